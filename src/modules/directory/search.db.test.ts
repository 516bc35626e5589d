import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { generateCustomers } from '../../demo/generate.js';
import { generateListings } from '../../demo/listings.js';
import { dirKeys, pairKey } from './search.service.js';

let t: TestApp;
beforeAll(async () => {
  // the demo listings: real names, compound first names, addresses, professional headings
  t = await createTestApp();
  await generateCustomers(t.tdb.pool, 150);
  await generateListings(t.tdb.pool);
});
afterAll(async () => {
  await t.close();
});

describe('gpto_dir_keys', () => {
  it('indexes the words and word pairs the search asks for, as its TypeScript twin says', async () => {
    const r = await sql<{ fterms: string[]; keys: string[] }>`
      SELECT fterms, gpto_dir_keys(fterms) AS keys FROM directory_listing ORDER BY id`.execute(t.tdb.db);
    expect(r.rows.length).toBeGreaterThan(50);
    for (const row of r.rows) {
      expect([...row.keys].sort()).toEqual(dirKeys(row.fterms).sort());
      // every pair the search may build from two words of the listing is one of its keys
      const words = row.fterms.map((ft) => ft.slice(2));
      const keys = new Set(row.keys);
      for (const a of words) for (const b of words) expect(keys.has(pairKey(a, b)), `${a}/${b}`).toBe(true);
    }
  });

  it('gives no key to a listing without words and is what the partial index, with a short pending list, holds', async () => {
    const r = await sql<{ keys: string[] }>`SELECT gpto_dir_keys('{}'::text[]) AS keys`.execute(t.tdb.db);
    expect(r.rows[0]?.keys).toEqual([]);
    const ix = await sql<{ def: string }>`
      SELECT pg_get_indexdef('directory_listing_keys_gin'::regclass) AS def`.execute(t.tdb.db);
    expect(ix.rows[0]?.def).toMatch(/gpto_dir_keys\(fterms\)\).*WHERE \(NOT unlisted\)/);
    // a bounded pending list: every search reads it through (migrations/0311)
    expect(ix.rows[0]?.def).toContain("gin_pending_list_limit='256'");
  });
});
