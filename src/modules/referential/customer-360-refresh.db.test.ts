import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { generateCustomers } from '../../demo/generate.js';
import { customersWithout360, refresh360, type Refresh360Progress } from './customer-360-refresh.js';
import { read360Json, read360Live } from './customer.repository.js';

// `gpto maintenance refresh-360`: customers left without a stored 360° document get it back, the
// same text, byte for byte, as the live rendering.

describe('customer 360° backfill', { timeout: 120_000 }, () => {
  let t: TestApp;
  let ids: number[] = [];
  beforeAll(async () => {
    t = await createTestApp();
    await generateCustomers(t.tdb.pool, 300, undefined, { concurrency: 1, batchSize: 300 });
    ids = (await t.tdb.pool.query<{ id: string }>('SELECT id FROM customer ORDER BY id')).rows.map((r) =>
      Number(r.id),
    );
  }, 120_000);
  afterAll(async () => t?.close());

  /** Codes of the customers whose stored document is missing or differs from the live rendering. */
  const stale = async (): Promise<string[]> => {
    const codes = (await t.tdb.pool.query<{ code: string }>('SELECT code FROM customer ORDER BY id')).rows;
    const out: string[] = [];
    for (const { code } of codes) {
      const [stored, live] = [await read360Json(t.tdb.db, { code }), await read360Live(t.tdb.db, { code })];
      if (live === null || stored !== live) out.push(code);
    }
    return out;
  };
  const docs = async () =>
    Number((await t.tdb.pool.query<{ n: string }>('SELECT count(*) AS n FROM customer_360')).rows[0]?.n);
  /** Deletes the documents of `these` as a bypassed trigger or a killed load would leave them. */
  const drop = (these: number[]) =>
    t.tdb.pool.query('DELETE FROM customer_360 WHERE customer_id = ANY($1::bigint[])', [these]);

  it('counts nothing missing after a complete load', async () => {
    expect(ids.length).toBeGreaterThanOrEqual(300);
    expect(await customersWithout360(t.tdb.db)).toBe(0);
    expect(await refresh360(t.tdb.db)).toEqual({ rendered: 0 });
  });

  it('renders the missing documents, a dense tail and scattered ones, identical to the live text', async () => {
    const tail = ids.slice(-120); // a load killed before its final rendering
    const scattered = ids.slice(0, 150).filter((_, i) => i % 7 === 3); // triggers bypassed here and there
    await drop([...tail, ...scattered]);
    const missing = tail.length + scattered.length;
    expect(await customersWithout360(t.tdb.db)).toBe(missing);
    expect((await stale()).length).toBe(missing);

    const seen: Refresh360Progress[] = [];
    // chunks of 25: the tail's chunks are dense (customer_360_fill), the scattered ones are not
    // (customer_360_refresh by id)
    const r = await refresh360(t.tdb.db, { chunk: 25, onProgress: (p) => seen.push(p) });
    expect(r.rendered).toBe(missing);
    expect(seen[0]).toEqual({ done: 0, total: missing });
    expect(seen.at(-1)).toEqual({ done: missing, total: missing });
    expect(seen.length).toBe(1 + Math.ceil(missing / 25));
    expect(await customersWithout360(t.tdb.db)).toBe(0);
    expect(await docs()).toBe(ids.length);
    expect(await stale()).toEqual([]);

    // idempotent
    expect(await refresh360(t.tdb.db, { chunk: 25 })).toEqual({ rendered: 0 });
    expect(await stale()).toEqual([]);
  });

  it('re-renders every document with --all, a damaged one included', async () => {
    const [damaged, gone] = [ids[10] as number, ids[200] as number];
    await t.tdb.pool.query(
      `UPDATE customer_360 SET head = '{"customer" : {}, "events" : ' WHERE customer_id = $1`,
      [damaged],
    );
    await drop([gone]);
    expect((await stale()).length).toBe(2);
    // missing-only leaves a present (damaged) document alone
    expect(await refresh360(t.tdb.db)).toEqual({ rendered: 1 });
    expect((await stale()).length).toBe(1);

    const r = await refresh360(t.tdb.db, { all: true, chunk: 100 });
    expect(r.rendered).toBe(ids.length);
    expect(await stale()).toEqual([]);
    expect(await docs()).toBe(ids.length);
  });

  it('runs as `gpto maintenance refresh-360` on the database of DATABASE_URL', async () => {
    await drop(ids.slice(-30));
    const run = () =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'maintenance', 'refresh-360'], {
        // the configuration asks for the key with DATABASE_URL (this command does not use it)
        env: { ...process.env, DATABASE_URL: t.tdb.url, GPTO_SECRET_KEY: '0'.repeat(64) },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^30 customer 360° documents rendered in [0-9.]+ s \(the missing ones\)$/m);
    expect(await stale()).toEqual([]);
    const second = run();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain('every customer has its 360° document: nothing to render');
  });
});
