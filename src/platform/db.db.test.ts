import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { createPool } from './db.js';

describe('statements through platform/db.ts', () => {
  let tdb: TestDb;
  beforeAll(async () => {
    tdb = await createTestDb();
  });
  afterAll(async () => tdb?.close());

  it('sends a parameterised statement as a named prepared statement and returns its rows', async () => {
    // in a transaction: one connection, whose prepared statements pg_prepared_statements lists
    await tdb.db.transaction().execute(async (trx) => {
      const first = await sql<{
        n: number;
        s: string;
      }>`SELECT ${41}::int + 1 AS n, ${'x'}::text AS s`.execute(trx);
      expect(first.rows).toEqual([{ n: 42, s: 'x' }]);
      const again = await sql<{ n: number; s: string }>`SELECT ${1}::int + 1 AS n, ${'y'}::text AS s`.execute(
        trx,
      );
      expect(again.rows).toEqual([{ n: 2, s: 'y' }]);
      const names = await sql<{ name: string }>`SELECT name FROM pg_prepared_statements
        WHERE statement = ${'SELECT $1::int + 1 AS n, $2::text AS s'}`.execute(trx);
      expect(names.rows).toHaveLength(1);
      expect(names.rows[0]?.name).toMatch(/^gpto_\d+$/);
    });
  });

  it('prepares the statements of pool.query(text, values) too (the callback form pg-pool uses)', async () => {
    const r = await tdb.pool.query<{ n: number }>('SELECT $1::int * 2 AS n /* pool form */', [21]);
    expect(r.rows).toEqual([{ n: 42 }]);
    const err = await tdb.pool
      .query('SELECT $1::int AS n /* pool form */', ['x'])
      .catch((e: unknown) => e as { code?: string });
    expect(err).toMatchObject({ code: '22P02' });
    // pool of one connection: the statement is listed on the connection that ran it
    const one = createPool(tdb.url, 1);
    try {
      await one.query('SELECT $1::int + 3 AS n /* pool form */', [1]);
      const names = await one.query<{ name: string }>(
        "SELECT name FROM pg_prepared_statements WHERE statement LIKE '%+ 3 AS n /* pool form */'",
      );
      expect(names.rows.map((x) => x.name)).toEqual([expect.stringMatching(/^gpto_\d+$/)]);
    } finally {
      await one.end();
    }
  });

  it('rejects with the server error of a named statement (code and message kept)', async () => {
    const err = await sql`SELECT ${'not a number'}::int AS n`.execute(tdb.db).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code).toBe('22P02');
    // the connection stays usable and the statement works with a valid value
    const ok = await sql<{ n: number }>`SELECT ${'7'}::int AS n`.execute(tdb.db);
    expect(ok.rows).toEqual([{ n: 7 }]);
  });

  it('runs statements without parameters as they are (not prepared)', async () => {
    const r = await sql<{ one: number }>`SELECT 1 AS one`.execute(tdb.db);
    expect(r.rows).toEqual([{ one: 1 }]);
    const named = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements
      WHERE statement = 'SELECT 1 AS one'`.execute(tdb.db);
    expect(named.rows[0]?.n).toBe(0);
  });

  it('keeps transactions on one connection with named statements inside', async () => {
    const n = await tdb.db.transaction().execute(async (trx) => {
      await sql`CREATE TEMP TABLE t_db_test (v int) ON COMMIT DROP`.execute(trx);
      await sql`INSERT INTO t_db_test VALUES (${1}), (${2})`.execute(trx);
      return (await sql<{ s: number }>`SELECT sum(v)::int + ${0} AS s FROM t_db_test`.execute(trx)).rows[0]
        ?.s;
    });
    expect(n).toBe(3);
  });
});
