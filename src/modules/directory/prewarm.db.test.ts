import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { generateCustomers } from '../../demo/generate.js';
import { generateListings } from '../../demo/listings.js';
import { prewarmSearch } from './prewarm.js';

let app: TestApp;
let t: TestApp['tdb'];
beforeAll(async () => {
  app = await createTestApp();
  t = app.tdb;
  await generateCustomers(t.pool, 200);
  await generateListings(t.pool);
});
afterAll(async () => {
  await app?.close();
});

describe('directory search prewarm', () => {
  it('reads the listings, the search indexes and the dictionary into the cache, each by its size', async () => {
    const r = await prewarmSearch(t.db);
    if (!('relations' in r)) throw new Error(`not prewarmed: ${r.skipped}`);
    const sizes = await sql<{ name: string; pages: number }>`
      SELECT c.relname AS name, pg_relation_size(c.oid)::bigint / current_setting('block_size')::int AS pages
        FROM pg_class c WHERE c.relname = ANY(${r.relations.map((x) => x.name)}::text[])`.execute(t.db);
    const expected = Object.fromEntries(sizes.rows.map((x) => [x.name, Number(x.pages)]));
    expect(r.relations.map((x) => x.name)).toEqual([
      'directory_listing',
      'directory_listing_fterms_gin',
      'directory_listing_keys_gin',
      'directory_listing_numbers_gin',
      'directory_term',
    ]);
    for (const x of r.relations) expect(x.pages, x.name).toBe(expected[x.name]);
    expect(r.pages).toBeGreaterThan(0);
  });

  it('skips a relation that is not there and says why when the extension cannot be had', async () => {
    await sql`DROP INDEX directory_listing_numbers_gin`.execute(t.db);
    const r = await prewarmSearch(t.db);
    expect('relations' in r && r.relations.map((x) => x.name)).not.toContain('directory_listing_numbers_gin');
    // a role that may not create the extension, on a database where it is not installed yet
    await sql`DROP EXTENSION pg_prewarm`.execute(t.db);
    const role = `gpto_t_norights_${process.pid}`;
    await sql`CREATE ROLE ${sql.id(role)}`.execute(t.db);
    try {
      // the refused CREATE EXTENSION aborts the transaction: it is rolled back, the answer kept
      let skipped: unknown;
      await t.db
        .transaction()
        .execute(async (trx) => {
          await sql`SET LOCAL ROLE ${sql.id(role)}`.execute(trx);
          skipped = await prewarmSearch(trx);
          throw new Error('rollback');
        })
        .catch(() => undefined);
      expect(skipped).toMatchObject({
        skipped: expect.stringMatching(/pg_prewarm unavailable: permission denied/),
      });
    } finally {
      await sql`DROP ROLE ${sql.id(role)}`.execute(t.db);
    }
  });
});
