import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { generateCustomers } from '../../demo/generate.js';
import { SYSTEM } from '../../platform/events.js';
import type { CustomerCreate } from './referential.schemas.js';

// The name search through the word tables (migration 0010) must answer exactly what
// `search_name LIKE '%w%'` for every typed word answers, in id order, page by page.

const categories = {
  commercial1: 'RES',
  commercial2: 'STD',
  collection: 'STANDARD',
  accounting: 'PART',
  tax: 'TVA18',
};
const address = { number: '1', street: 'Rue 1', district: 'Plateau', locality: 'Dakar', postalCode: '10000' };

describe('name search by words', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    // The bulk load runs in replica mode (triggers off but ENABLE ALWAYS ones): the words must follow.
    await generateCustomers(t.tdb.pool, 3_000, undefined, { concurrency: 2, batchSize: 1_000 });
  }, 120_000);
  afterAll(async () => t?.close());

  const create = (over: Partial<CustomerCreate>) =>
    t.app.referential.customers.create(
      { kind: 'person', lastName: 'X', firstNames: 'Y', address, categories, ...over } as CustomerCreate,
      SYSTEM,
    );

  /** What the search must answer: every typed word inside search_name, by id. */
  const oracle = async (fragment: string, after: number, limit: number) =>
    (
      await t.tdb.pool.query<{ id: number }>(
        `SELECT c.id FROM customer c
         WHERE c.id > $2 AND (SELECT bool_and(c.search_name LIKE '%' || w || '%')
                              FROM string_to_table(gpto_norm($1), ' ') AS w)
         ORDER BY c.id LIMIT $3`,
        [fragment, after, limit],
      )
    ).rows.map((r) => r.id);

  /** The two words (of at least four letters) most often found together in one search name. */
  const commonPair = async () => {
    const r = await t.tdb.pool.query<{ a: string; b: string }>(
      `SELECT a.word AS a, b.word AS b FROM customer_word a
       JOIN customer_word b ON b.customer_id = a.customer_id AND b.word > a.word
       WHERE length(a.word) >= 4 AND length(b.word) >= 4
       GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT 1`,
    );
    return r.rows[0] as { a: string; b: string };
  };

  const searched = async (fragment: string, limit: number, cursor?: string) =>
    t.app.referential.customers.search({ name: fragment, limit, ...(cursor ? { cursor } : {}) });

  it('leaves the tables the bulk load filled with statistics and a visibility map', async () => {
    // Straight after a 1 M load, without them, the planner took customer_word for empty and a
    // two-word search read every posting of both words from the heap (docs/performance.md).
    // (Whether VACUUM could mark pages all-visible depends on the transactions still open around it.)
    const r = await t.tdb.pool.query<{ relname: string; vacuumed: boolean; analyzed: boolean }>(
      `SELECT s.relname, s.last_vacuum IS NOT NULL AS vacuumed, s.last_analyze IS NOT NULL AS analyzed
       FROM pg_stat_user_tables s
       WHERE s.relname IN ('customer_word', 'search_word', 'customer', 'customer_search', 'event')
       ORDER BY s.relname`,
    );
    expect(r.rows).toEqual(
      ['customer', 'customer_search', 'customer_word', 'event', 'search_word'].map((relname) => ({
        relname,
        vacuumed: true,
        analyzed: true,
      })),
    );
  });

  it('keeps customer_word and search_word equal to the words of every search name', async () => {
    const a = await create({ lastName: 'Zeïnabou-Kassé', firstNames: 'Aminata', nickname: 'Tata Bé' });
    await t.app.referential.customers.update(a.code, { lastName: 'Koulibali', nickname: null }, SYSTEM);
    const org = await create({
      kind: 'organisation',
      companyName: 'Quincaillerie du Fleuve',
      tradeName: "L'Outil d'Or",
      lastName: undefined,
      firstNames: undefined,
    });
    const diff = await t.tdb.pool.query(
      `(SELECT word, customer_id FROM customer_word
        EXCEPT SELECT w, customer_id FROM customer_search, string_to_table(search_name, ' ') AS w)
       UNION ALL
       (SELECT w, customer_id FROM customer_search, string_to_table(search_name, ' ') AS w
        EXCEPT SELECT word, customer_id FROM customer_word)
       UNION ALL
       (SELECT word, 0 FROM customer_word EXCEPT SELECT word, 0 FROM search_word)`,
    );
    expect(diff.rows).toEqual([]);
    const words = async (id: number) =>
      (
        await t.tdb.pool.query<{ word: string }>(
          'SELECT word FROM customer_word WHERE customer_id = $1 ORDER BY word',
          [id],
        )
      ).rows.map((r) => r.word);
    // The rename took the old words away and the new ones in.
    expect(await words(a.id)).toEqual(['aminata', 'koulibali']);
    expect(await words(org.id)).toEqual(['du', 'fleuve', 'loutil', 'dor', 'quincaillerie'].sort());
    expect((await searched('zeinabou', 5)).items).toEqual([]);
    expect((await searched('koulibal amin', 5)).items.map((c) => c.id)).toEqual([a.id]);
  });

  it('answers every kind of fragment as search_name LIKE each of its words, in id order', async () => {
    const common = (
      await t.tdb.pool.query<{ word: string }>(
        `SELECT word FROM customer_word WHERE length(word) >= 4 GROUP BY word ORDER BY count(*) DESC, word LIMIT 12`,
      )
    ).rows.map((r) => r.word);
    expect(common.length).toBeGreaterThanOrEqual(6);
    const [w0, w1, w2, w3, w4, w5] = common as [string, string, string, string, string, string];
    const pair = await commonPair();
    const fragments = [
      `${pair.b} ${pair.a}`, // two words found together: merged ranges
      `${pair.a.slice(0, 3)} ${pair.b.slice(1)}`,
      w0, // a whole common word: one word drives
      w1.slice(0, 3), // the start of a word: several words match
      w2.slice(1, 4), // inside a word
      w3.toUpperCase(),
      `${w0} ${w1}`, // two words: merged ranges
      `${w2.slice(0, 3)} ${w4}`, // a start and a word: several words on one side
      `${w1} ${w3} ${w5}`, // three words
      `${w4} ${w0.slice(0, 2)}`, // a word and two letters: tested on customer_search
      w5.slice(0, 2), // two letters only: the scan in id order
      `${w0} zzqx`, // a word that matches nothing
      'zzqx',
      `  ${w1.toUpperCase()}  ,  `,
    ];
    let found = 0;
    for (const fragment of fragments) {
      for (const limit of [1, 7, 20]) {
        const page = await searched(fragment, limit);
        const expected = await oracle(fragment, 0, limit);
        expect(
          page.items.map((c) => c.id),
          `${fragment} limit ${limit}`,
        ).toEqual(expected);
        if (expected.length === limit) found++;
      }
    }
    // Most fragments fill their pages: the comparison is not between empty answers.
    expect(found).toBeGreaterThanOrEqual(20);
  });

  it('drives by one word when the words match too many words to merge, with the same answers', async () => {
    // 35 distinct words containing "zqx": "zqx zqx" makes 70 words to merge, over MAX_MERGED_WORDS
    // (64), so the search drives by one of them instead.
    for (let i = 0; i < 35; i++) await create({ lastName: `Zqx${i}`, firstNames: 'Testa' });
    for (const fragment of ['zqx zqx', 'ZQX zqx te', 'zqx zqx zqx']) {
      const expected = await oracle(fragment, 0, 20);
      expect(expected).toHaveLength(20);
      expect(
        (await searched(fragment, 20)).items.map((c) => c.id),
        fragment,
      ).toEqual(expected);
    }
  });

  it('pages through a common word and two words with the cursor, missing and repeating nothing', async () => {
    const pair = await commonPair();
    for (const fragment of [pair.a.slice(0, 3), `${pair.a} ${pair.b.slice(0, 3)}`]) {
      const all = await oracle(fragment, 0, 100_000);
      expect(all.length).toBeGreaterThan(25);
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await searched(fragment, 10, cursor);
        seen.push(...page.items.map((c) => c.id));
        cursor = page.nextCursor;
      } while (cursor && seen.length < 200);
      expect(seen).toEqual(all.slice(0, seen.length));
      expect(seen.length).toBe(Math.min(all.length, 200));
    }
  });

  it('answers the JSON text of the route exactly as the objects of search()', async () => {
    const pair = await commonPair();
    const some = await searched(pair.a, 3);
    const first = some.items[0];
    expect(first).toBeDefined();
    const queries = [
      { name: pair.a, limit: 5 },
      { name: `${pair.a} ${pair.b}`, limit: 4 }, // merged ranges: a statement without parameters
      { name: `${pair.a.slice(0, 3)} ${pair.b.slice(0, 2)}`, limit: 6 },
      { name: pair.b.slice(0, 2), limit: 3 },
      { name: pair.a, limit: 5, cursor: some.nextCursor },
      { q: first?.code ?? '' },
      { status: 'active', name: pair.a, limit: 2 },
      { name: 'zzqx qzzx' },
    ];
    for (const query of queries) {
      const objects = await t.app.referential.customers.search(query);
      const text = await t.app.referential.customers.searchJson(query);
      expect(JSON.parse(text), JSON.stringify(query)).toEqual(JSON.parse(JSON.stringify(objects)));
    }
  });
});
