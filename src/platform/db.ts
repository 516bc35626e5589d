import { Kysely, PostgresDialect, type Transaction } from 'kysely';
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

export function createPool(url: string, max = 20): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, application_name: 'gpto' });
  // An idle connection the server closes (restart, Ctrl-C reaching the embedded server first) is
  // not a crash: the pool drops it and opens a new one on the next query.
  pool.on('error', () => undefined);
  return pool;
}

export function createDb(pool: pg.Pool): Db {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
