import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { generateCustomers } from '../../demo/generate.js';
import { generateListings } from '../../demo/listings.js';
import { levenshtein, TermDictionary } from './dictionary.js';
import { phonexFr } from './phonetic.js';

let t: TestApp;
let dict: TermDictionary;
let words: string[];
beforeAll(async () => {
  // the demo listings: real names, compound first names, addresses, numbers, headings
  t = await createTestApp();
  await generateCustomers(t.tdb.pool, 150);
  await generateListings(t.tdb.pool);
  const r = await sql<{ term: string; phon: string; gen: number }>`
    SELECT d.term, d.phon, g.gen FROM directory_term d, directory_term_gen g`.execute(t.tdb.db);
  words = r.rows.map((x) => x.term);
  dict = new TermDictionary(
    Number(r.rows[0]?.gen),
    r.rows.map((x) => [x.term, x.phon] as const),
  );
});
afterAll(async () => {
  await t.close();
});

/** What gpto_dir_expand_all returns for each word, in its order. */
async function sqlExpansions(typed: string[]): Promise<[string, number][][]> {
  const r = await sql<{ i: number; term: string; w: number }>`
    SELECT i, term, w FROM gpto_dir_expand_all(${typed}::text[], ${typed.map(phonexFr)}::text[], 40)`.execute(
    t.tdb.db,
  );
  const out: [string, number][][] = typed.map(() => []);
  for (const row of r.rows) out[row.i - 1]?.push([row.term, row.w]);
  return out;
}

const jsExpansions = (typed: string[]) => typed.map((w) => [...dict.expand(w, phonexFr(w), 40)]);

describe('TermDictionary.expand', () => {
  it('gives what gpto_dir_expand_all gives for every word of the dictionary, in the same order', async () => {
    expect(words.length).toBeGreaterThan(300);
    expect(dict.size).toBe(words.length);
    for (let k = 0; k < words.length; k += 200) {
      const chunk = words.slice(k, k + 200);
      expect(jsExpansions(chunk)).toEqual(await sqlExpansions(chunk));
    }
  });

  it('gives what gpto_dir_expand_all gives for typos, fragments, prefixes, numbers and unknown words', async () => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const edit = fc
      .tuple(
        fc.constantFrom(...words),
        fc.array(
          fc.tuple(fc.constantFrom('del', 'sub', 'ins', 'swap'), fc.nat(), fc.constantFrom(...alphabet)),
          { minLength: 0, maxLength: 3 },
        ),
        fc.nat(12),
        fc.nat(12),
      )
      .map(([w, edits, from, len]) => {
        let s = w;
        for (const [op, at, ch] of edits) {
          const i = s.length === 0 ? 0 : at % s.length;
          if (op === 'del') s = s.slice(0, i) + s.slice(i + 1);
          else if (op === 'sub') s = s.slice(0, i) + ch + s.slice(i + 1);
          else if (op === 'ins') s = s.slice(0, i) + ch + s.slice(i);
          else if (i + 1 < s.length) s = s.slice(0, i) + s.charAt(i + 1) + s.charAt(i) + s.slice(i + 2);
        }
        // sometimes only a fragment of it (a prefix, or a piece from inside)
        return len > 8 ? s : s.slice(from % Math.max(1, s.length), (from % Math.max(1, s.length)) + 2 + len);
      })
      .filter((s) => s.length > 0);
    const typed = [...new Set(fc.sample(edit, { numRuns: 1200, seed: 6 }))];
    typed.push('1', '10', '7', 'x', 'zz', 'qqqq', 'ndiaye', 'n', 'diop', 'sarr');
    expect(typed.length).toBeGreaterThan(800);
    for (let k = 0; k < typed.length; k += 200) {
      const chunk = typed.slice(k, k + 200);
      expect(jsExpansions(chunk), chunk.join(' ')).toEqual(await sqlExpansions(chunk));
    }
  });

  it('expands the same once grown word by word as when built at once (ids in another order)', async () => {
    const r = await sql<{ term: string; phon: string }>`SELECT term, phon FROM directory_term`.execute(
      t.tdb.db,
    );
    const all = r.rows.map((x) => [x.term, x.phon] as const);
    // reversed, then added in one big batch and in small ones (re-sorted vs inserted in place)
    const grown = new TermDictionary(1, all.slice(0, 50).reverse(), '0');
    grown.add(2, '0', all.slice(50, 250));
    for (let k = 250; k < all.length; k += 7) grown.add(3, '0', all.slice(k, k + 7));
    grown.add(4, '0', all.slice(0, 20)); // known words again: skipped
    expect(grown.size).toBe(all.length);
    expect(grown.gen).toBe(4);
    const typed = [...words.slice(0, 300), 'diop', 'ndiay', 'mamad', '10', 'ba', 'sarr', 'gueye', 'rue'];
    for (const w of typed)
      expect([...grown.expand(w, phonexFr(w), 40)], w).toEqual([...dict.expand(w, phonexFr(w), 40)]);
  });

  it('counts edits as fuzzystrmatch does', async () => {
    const pairs = fc.sample(
      fc.tuple(fc.constantFrom(...words), fc.constantFrom(...words, 'ndiaye', 'n', '')),
      { numRuns: 300, seed: 3 },
    );
    const r = await sql<{ d: number }>`
      SELECT levenshtein(a, b) AS d FROM unnest(${pairs.map((p) => p[0])}::text[],
        ${pairs.map((p) => p[1])}::text[]) WITH ORDINALITY AS x(a, b, i) ORDER BY i`.execute(t.tdb.db);
    expect(pairs.map(([a, b]) => levenshtein(a, b))).toEqual(r.rows.map((x) => x.d));
  });
});
