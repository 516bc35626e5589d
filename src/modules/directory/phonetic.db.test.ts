import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import {
  COMPANY_PATTERNS,
  FEMALE_FIRST_NAMES,
  LAST_NAMES,
  LOCALITIES,
  MALE_FIRST_NAMES,
  NICKNAMES,
  STREET_NAMES,
} from '../../demo/names.js';
import { dirNorm, phonexFr } from './phonetic.js';

let tdb: TestDb;
beforeAll(async () => {
  tdb = await createTestDb();
});
afterAll(async () => {
  await tdb.close();
});

async function sqlTwins(texts: string[]): Promise<{ norm: string; keys: string[] }[]> {
  const r = await sql<{ norm: string; keys: string[] }>`
    SELECT gpto_dir_norm(t) AS norm,
      ARRAY(SELECT gpto_phonex_fr(w) FROM unnest(gpto_dir_words(t)) AS w) AS keys
    FROM unnest(${texts}::text[]) WITH ORDINALITY AS x(t, i) ORDER BY i`.execute(tdb.db);
  return r.rows;
}

describe('the TypeScript and SQL twins agree', () => {
  it('on every demo name, nickname, street and locality', async () => {
    const texts = [
      ...LAST_NAMES,
      ...MALE_FIRST_NAMES,
      ...FEMALE_FIRST_NAMES,
      ...NICKNAMES,
      ...STREET_NAMES,
      ...COMPANY_PATTERNS,
      ...LOCALITIES.flatMap((l) => [l[0], ...l[2]]),
    ];
    const rows = await sqlTwins(texts);
    texts.forEach((t, i) => {
      const norm = dirNorm(t);
      expect(rows[i]?.norm, t).toBe(norm);
      expect(rows[i]?.keys, t).toEqual(norm === '' ? [] : norm.split(' ').map(phonexFr));
    });
  });

  it('on random French-looking words', async () => {
    const letter = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzéèêëàâîïôûüç'.split(''), "'", '-', ' ');
    const words = fc.sample(
      fc.array(letter, { minLength: 1, maxLength: 14 }).map((a) => a.join('')),
      500,
    );
    const rows = await sqlTwins(words);
    words.forEach((t, i) => {
      const norm = dirNorm(t);
      expect(rows[i]?.norm, t).toBe(norm);
      expect(rows[i]?.keys, t).toEqual(norm === '' ? [] : norm.split(' ').map(phonexFr));
    });
  });
});
