import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Database } from '../../platform/database.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { generateCustomers } from '../../demo/generate.js';
import { generateListings } from '../../demo/listings.js';
import { dirKeys, pairKey, SearchService } from './search.service.js';

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

describe('gpto_dir_expand_all', () => {
  it('weighs the completions of a number below a good match (10 is not 104), those of a word above', async () => {
    await sql`INSERT INTO directory_listing (directory, last_name, first_names, street_number, street, numbers, source)
      VALUES ('alphabetical', 'Diopsa', 'Awa', '7771', 'Rue 77712', '{338990010}', 'agent')`.execute(
      t.tdb.db,
    );
    const w = async (word: string) =>
      new Map(
        (
          await sql<{ term: string; w: number }>`
            SELECT term, w FROM gpto_dir_expand_all(ARRAY[${word}], ARRAY[${word}], 40)`.execute(t.tdb.db)
        ).rows.map((r) => [r.term, r.w]),
      );
    const n = await w('777');
    expect(n.get('7771')).toBeCloseTo(0.75);
    expect(n.get('77712')).toBeCloseTo(0.75);
    // the number itself is a good match; its own completions are not
    expect(await w('7771')).toEqual(
      new Map([
        ['7771', 1],
        ['77712', 0.75],
      ]),
    );
    expect((await w('diops')).get('diopsa')).toBeCloseTo(0.9);
  });
});

describe('expansion cache', () => {
  it('finds a listing whose name is a new word close to a word whose expansions the process already kept', async () => {
    const svc = new SearchService(t.tdb.db);
    const before = await svc.search({ q: 'Diop', limit: 50 }, { technical: false });
    expect(before.items.length).toBeGreaterThan(0);
    expect(before.items.length).toBeLessThan(50);
    expect(svc.expansions.get('diop')?.has('diopsy')).toBe(false);
    const gen0 = svc.expansions.gen;
    // a new word of the dictionary: "diop" now also expands to it (a word it begins)
    await sql`INSERT INTO directory_listing (directory, last_name, first_names, numbers, source)
      VALUES ('alphabetical', 'Diopsy', 'Awa', '{338990001}', 'agent')`.execute(t.tdb.db);
    const after = await svc.search({ q: 'Diop', limit: 50 }, { technical: false });
    expect(svc.expansions.gen).toBeGreaterThan(gen0 as number);
    expect(after.items.map((i) => i.lastName)).toContain('Diopsy');
    expect(svc.expansions.get('diop')?.has('diopsy')).toBe(true);
    // a listing without new words leaves the generation (and so the cache) alone
    await sql`INSERT INTO directory_listing (directory, last_name, first_names, numbers, source)
      VALUES ('alphabetical', 'Diopsy', 'Awa', '{338990002}', 'agent')`.execute(t.tdb.db);
    await svc.search({ q: 'Diop', limit: 50 }, { technical: false });
    expect(svc.expansions.gen).toBe((gen0 as number) + 1);
  });

  it('reads the whole dictionary at preload, so that the first search reads none of it again', async () => {
    const statements: string[] = [];
    const logged = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: t.tdb.pool }),
      log: (e) => void statements.push(e.query.sql),
    });
    const svc = new SearchService(logged);
    const held = await svc.preload();
    const n = await sql<{ n: number }>`SELECT count(*)::int AS n FROM directory_term`.execute(t.tdb.db);
    expect(held).toBe(n.rows[0]?.n);
    expect(statements.filter((q) => q.includes('FROM directory_term d'))).toHaveLength(1);
    const one = await sql<{ last_name: string; first_names: string }>`
      SELECT last_name, first_names FROM directory_listing
      WHERE directory = 'alphabetical' AND NOT unlisted AND first_names <> '' ORDER BY id LIMIT 1`.execute(
      t.tdb.db,
    );
    const who = one.rows[0];
    const found = await svc.search({ q: `${who?.first_names} ${who?.last_name}` }, { technical: false });
    expect(found.items.map((i) => i.lastName)).toContain(who?.last_name);
    // the search checked the generation in its own statement and found nothing new to read
    expect(statements.filter((q) => q.includes('FROM directory_term d'))).toHaveLength(1);
  });

  it('reads only the words added since when the dictionary grows, and answers as a fresh process does', async () => {
    const svc = new SearchService(t.tdb.db);
    await svc.search({ q: 'Fatou Ndiaye' }, { technical: false });
    const statements: { sql: string; params: readonly unknown[] }[] = [];
    const logged = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: t.tdb.pool }),
      log: (e) => {
        statements.push({ sql: e.query.sql, params: e.query.parameters });
      },
    });
    const watched = new SearchService(logged);
    await watched.search({ q: 'Fatou Ndiaye' }, { technical: false });
    // two transactions adding words (a new last name, then a new street), a search after each
    await sql`INSERT INTO directory_listing (directory, last_name, first_names, numbers, source)
      VALUES ('alphabetical', 'Ndiayebou', 'Fatou', '{338990101}', 'agent')`.execute(t.tdb.db);
    const a = await watched.search({ q: 'Fatou Ndiaye', limit: 50 }, { technical: false });
    expect(a.items.map((i) => i.lastName)).toContain('Ndiayebou');
    await sql`INSERT INTO directory_listing (directory, last_name, first_names, street, numbers, source)
      VALUES ('alphabetical', 'Sarr', 'Fatou', 'Rue Kermelbis', '{338990102}', 'agent')`.execute(t.tdb.db);
    const b = await watched.search({ q: 'Fatou kermel', limit: 50 }, { technical: false });
    expect(b.items.map((i) => i.address.street)).toContain('Rue Kermelbis');
    // the dictionary reads after the first asked only for the words of newer transactions
    const reads = statements.filter((q) => q.sql.includes('FROM directory_term d'));
    expect(reads.map((q) => q.params[0] === '0')).toEqual([true, false, false]);
    for (const q of ['Fatou Ndiaye', 'Fatou kermel', 'ndiayeb', 'kermelbi sarr', 'diop'])
      expect(await watched.search({ q, limit: 50 }, { technical: false }), q).toEqual(
        await new SearchService(t.tdb.db).search({ q, limit: 50 }, { technical: false }),
      );
    // (not destroyed: it would end the test database's pool)
  });
});
