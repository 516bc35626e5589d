import { CompiledQuery, Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';

// bigint ids and counts come back as strings by default; int8 fits JS numbers for every id and
// amount we store (minor units of XOF stay far below 2^53), so parse them once here.
pg.types.setTypeParser(20, (v) => Number(v));
// `date` columns stay 'YYYY-MM-DD' strings: a birth date has no time zone.
pg.types.setTypeParser(1082, (v) => v);

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either a plain handle or a transaction: repositories accept both so services choose the boundary. */
export type Executor = Db | Tx;

// Planning, not executing, is most of PostgreSQL's work for the short indexed reads agents make all
// day (measured on the customer 360°: 1.1 ms of server CPU per request unprepared, 0.4 ms prepared).
// So parameterised statements are sent as named prepared statements: each connection parses and
// plans them once, and PostgreSQL keeps a generic plan where it is no worse than a custom one. The
// registry is bounded so one-off texts (bulk inserts, variable IN lists) cannot grow it for ever.
const PREPARED_MAX = 500;
// 8,000: the line consultation's one statement (referential + assistance reads) is ~4,500 characters.
const PREPARED_MAX_TEXT = 8_000;
const PREPARED_MAX_PARAMS = 50;
const preparedNames = new Map<string, string>();

function statementName(text: string, values: unknown[]): string | undefined {
  if (values.length === 0 || values.length > PREPARED_MAX_PARAMS || text.length > PREPARED_MAX_TEXT) {
    return undefined;
  }
  let name = preparedNames.get(text);
  if (!name && preparedNames.size < PREPARED_MAX) {
    name = `gpto_${preparedNames.size + 1}`;
    preparedNames.set(text, name);
  }
  return name;
}

/**
 * Kysely calls `client.query(text, values)`; a statement with a registry name goes to pg as a
 * `pg.Query` built from the text (pg copies a `{ name, text, values }` object property by
 * property, the largest JS item of a statement in the app's profile) and named before it is
 * submitted; its callback settles the one promise Kysely awaits.
 */
function preparingStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((config: unknown, values?: unknown, callback?: unknown) => {
    const name =
      typeof config === 'string' && Array.isArray(values) ? statementName(config, values) : undefined;
    if (!name) return query(config, values, callback);
    if (typeof callback === 'function') {
      // pool.query(text, values) comes here with a callback: pg returns nothing in that form
      const q = new pg.Query(config as string, values as unknown[], callback as never);
      (q as pg.Query & { name: string }).name = name;
      query(q);
      return undefined;
    }
    return new Promise((resolve, reject) => {
      const q = new pg.Query(config as string, values as unknown[], (err, res) =>
        err ? reject(err) : resolve(res),
      );
      (q as pg.Query & { name: string }).name = name;
      query(q);
    });
  }) as typeof client.query;
}

export function createPool(url: string, max = 20): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, application_name: 'gpto' });
  pool.on('connect', preparingStatements);
  // An idle connection the server closes (restart, Ctrl-C reaching the embedded server first) is
  // not a crash: the pool drops it and opens a new one on the next query.
  pool.on('error', () => undefined);
  return pool;
}

export function createDb(pool: pg.Pool): Db {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * A hot statement whose text does not depend on its one parameter, compiled through Kysely once and
 * then run with the parameter swapped into its parameters: compiling a large template and hashing a
 * fresh text to find its prepared statement cost 60–90 µs of app CPU per call on the line
 * consultation, reusing the same string ~1–2 µs. The text is checked to be the same for two
 * different values, so a fragment that ever put the value in the text itself is refused, not mis-run.
 */
export function compiledOnce<P, R>(
  make: (param: P) => { compile(db: Executor): CompiledQuery<R> },
): (db: Executor, param: P) => CompiledQuery<R> {
  const SLOT_A = '\u0000param-a';
  const SLOT_B = '\u0000param-b';
  let compiled: CompiledQuery<R> | undefined;
  return (db, param) => {
    if (!compiled) {
      const a = make(SLOT_A as P).compile(db);
      const b = make(SLOT_B as P).compile(db);
      if (a.sql !== b.sql || a.parameters.length !== b.parameters.length)
        throw new Error('a compiled-once statement depends on its parameter beyond its parameters');
      compiled = a;
    }
    const c = compiled;
    return CompiledQuery.raw(
      c.sql,
      c.parameters.map((p) => (p === SLOT_A ? param : p)),
    ) as CompiledQuery<R>;
  };
}
