import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { bootstrap } from '../platform/bootstrap.js';
import { generateCustomers, type GenerateProgress } from './generate.js';
import { loadReferenceData } from './reference-data.js';

async function secondaryIndexes(tdb: TestDb): Promise<string[]> {
  const r = await tdb.pool.query<{ name: string }>(
    `SELECT x.relname AS name FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
     JOIN pg_class t ON t.oid = i.indrelid
     WHERE t.relname IN ('customer', 'customer_search', 'subscription', 'event') AND NOT i.indisunique ORDER BY 1`,
  );
  return r.rows.map((x) => x.name);
}

describe('demo customer generator', () => {
  let tdb: TestDb;
  beforeAll(async () => {
    tdb = await createTestDb();
    await bootstrap(tdb.db, 'admin-password-1');
    await loadReferenceData(tdb.db, 'demo-password-1');
  });
  afterAll(async () => tdb?.close());

  it('loads consistent customers on two connections, each with one default payer, lines, history and events', async () => {
    const seen: GenerateProgress[] = [];
    const total = await generateCustomers(tdb.pool, 2_500, (p) => seen.push(p), {
      batchSize: 500,
      concurrency: 2,
    });
    expect(total.customers).toBe(2_500);
    expect(seen.filter((p) => p.phase === 'customers')).toHaveLength(5);
    const q = async (text: string) => (await tdb.pool.query<{ n: number }>(text)).rows[0]?.n;
    expect(await q('SELECT count(*)::int AS n FROM customer')).toBe(2_500);
    expect(await q('SELECT count(DISTINCT code)::int AS n FROM customer')).toBe(2_500);
    expect(await q('SELECT count(*)::int AS n FROM subscription')).toBe(total.subscriptions);
    // every customer: exactly one default payer and 1–3 lines, all under that payer
    expect(
      await q(`SELECT count(*)::int AS n FROM customer c WHERE
        (SELECT count(*) FROM payer p WHERE p.customer_id = c.id AND p.is_default) <> 1
        OR (SELECT count(*) FROM subscription s WHERE s.customer_id = c.id) NOT BETWEEN 1 AND 3`),
    ).toBe(0);
    expect(
      await q(`SELECT count(*)::int AS n FROM subscription s JOIN payer p ON p.id = s.payer_id
        WHERE p.customer_id <> s.customer_id`),
    ).toBe(0);
    // the load may skip PostgreSQL's foreign-key checks: every reference must resolve all the same
    expect(
      await q(`SELECT (
        (SELECT count(*) FROM subscription s LEFT JOIN subscription_user u ON u.id = s.user_id
          WHERE s.user_id IS NOT NULL AND (u.id IS NULL OR u.customer_id <> s.customer_id))
        + (SELECT count(*) FROM subscription s LEFT JOIN product_version v ON v.id = s.product_version_id WHERE v.id IS NULL)
        + (SELECT count(*) FROM subscription_status_history h LEFT JOIN subscription s ON s.id = h.subscription_id WHERE s.id IS NULL)
        + (SELECT count(*) FROM subscription_payer_history h LEFT JOIN payer p ON p.id = h.to_payer_id WHERE p.id IS NULL)
        + (SELECT count(*) FROM customer c LEFT JOIN category k ON k.id = c.tax_id WHERE k.id IS NULL)
      )::int AS n`),
    ).toBe(0);
    // organisations' lines have a user of their own; people use their own lines
    expect(
      await q(`SELECT count(*)::int AS n FROM subscription s JOIN customer c ON c.id = s.customer_id
        WHERE (c.kind = 'organisation') <> (s.user_id IS NOT NULL)`),
    ).toBe(0);
    expect(
      await q(`SELECT count(*)::int AS n FROM subscription s
        WHERE NOT EXISTS (SELECT 1 FROM subscription_status_history h WHERE h.subscription_id = s.id AND h.to_status = s.status)
           OR NOT EXISTS (SELECT 1 FROM event e WHERE e.entity_type = 'subscription' AND e.entity_id = s.id::text)`),
    ).toBe(0);
    expect(
      await q(`SELECT count(*)::int AS n FROM customer c
        WHERE NOT EXISTS (SELECT 1 FROM event e WHERE e.customer_id = c.id AND e.kind = 'customer.created')`),
    ).toBe(0);
    expect(
      await q(
        'SELECT (count(email) - count(DISTINCT email))::int AS n FROM customer WHERE email IS NOT NULL',
      ),
    ).toBe(0);
  });

  it('drops the secondary indexes for a bulk load and rebuilds them, search included', async () => {
    const before = await secondaryIndexes(tdb);
    expect(before).toContain('customer_search_trgm');
    const phases: string[] = [];
    await generateCustomers(tdb.pool, 600, (p) => phases.push(p.phase), {
      batchSize: 300,
      deferIndexes: true,
    });
    expect(phases.at(-1)).toBe('indexes');
    expect(await secondaryIndexes(tdb)).toEqual(before);
    const pending = await tdb.pool.query("SELECT 1 FROM setting WHERE key = 'demo.deferred_indexes'");
    expect(pending.rowCount).toBe(0);
    expect((await tdb.pool.query('SELECT count(*)::int AS n FROM customer')).rows[0]).toEqual({
      n: 3_100,
    });
    // every generated customer is findable by name, whether or not the load ran with triggers off
    const q = async (text: string) => (await tdb.pool.query<{ n: number }>(text)).rows[0]?.n;
    expect(
      await q(`SELECT count(*)::int AS n FROM customer c
        LEFT JOIN customer_search s ON s.customer_id = c.id AND s.search_name = c.search_name
        WHERE s.customer_id IS NULL`),
    ).toBe(0);
  });

  it('rebuilds the indexes an interrupted bulk load left dropped before loading again', async () => {
    const before = await secondaryIndexes(tdb);
    // what a load killed half-way leaves behind: indexes dropped, their definitions saved
    const defs = await tdb.pool.query<{ def: string; name: string }>(
      `SELECT pg_get_indexdef(indexrelid) AS def, indexrelid::regclass::text AS name FROM pg_index
       WHERE indexrelid = 'customer_search_trgm'::regclass`,
    );
    const saved = defs.rows[0];
    expect(saved).toBeDefined();
    await tdb.pool.query('INSERT INTO setting (key, value) VALUES ($1, $2)', [
      'demo.deferred_indexes',
      JSON.stringify([saved?.def]),
    ]);
    await tdb.pool.query(`DROP INDEX ${saved?.name}`);
    await generateCustomers(tdb.pool, 10, () => undefined, { deferIndexes: false });
    expect(await secondaryIndexes(tdb)).toEqual(before);
  });
});
