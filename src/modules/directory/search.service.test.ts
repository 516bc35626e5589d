import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ANY_FIELD,
  candidateConditions,
  dirKeys,
  MAX_PAIR_KEYS,
  pairKey,
  type CandidateCondition,
  type FieldPrefix,
  type Token,
} from './search.service.js';

const token = (word: string, fields: readonly FieldPrefix[] = ANY_FIELD): Token => ({
  word,
  phon: word,
  fields,
});

function meets(fterms: string[], conds: CandidateCondition[]): boolean {
  const keys = new Set(dirKeys(fterms));
  const fts = new Set(fterms);
  return conds.every((c) => c.any.some((k) => (c.on === 'keys' ? keys : fts).has(k)));
}

describe('pairKey', () => {
  it('orders the two words and gives one word for a word paired with itself', () => {
    expect(pairKey('moussa', 'diop')).toBe('diop moussa');
    expect(pairKey('diop', 'moussa')).toBe('diop moussa');
    expect(pairKey('10', 'dakar')).toBe('10 dakar');
    expect(pairKey('diop', 'diop')).toBe('diop');
  });
});

describe('candidateConditions', () => {
  it('pairs the words of the box and keeps field words with their field', () => {
    const conds = candidateConditions(
      [token('moussa'), token('diop'), token('dakar'), token('mamy', ['k'])],
      [['moussa'], ['diop', 'diouf'], ['dakar'], ['mamy']],
    );
    expect(conds).toEqual([
      { on: 'fterms', any: ['k:mamy'] },
      { on: 'keys', any: ['dakar moussa'] },
      { on: 'keys', any: ['diop moussa', 'diouf moussa'] },
    ]);
    expect(candidateConditions([token('diop')], [['diop', 'diouf']])).toEqual([
      { on: 'keys', any: ['diop', 'diouf'] },
    ]);
  });

  it('looks words up alone when their pairs would be too many', () => {
    const many = Array.from({ length: 21 }, (_, i) => `w${i}`);
    expect(many.length * many.length).toBeGreaterThan(MAX_PAIR_KEYS);
    expect(candidateConditions([token('w'), token('v')], [many, many])).toEqual([
      { on: 'keys', any: many },
      { on: 'keys', any: many },
    ]);
  });

  it('is met by exactly the listings that have, for every token, one of its words in an allowed field', () => {
    const words = ['diop', 'moussa', 'dakar', 'fall', '10', 'rue', 'ba', 'awa'];
    const fields: FieldPrefix[] = ['n', 'f', 'k', 's', 'l'];
    const fterm = fc
      .tuple(fc.constantFrom(...fields), fc.constantFrom(...words))
      .map(([f, w]) => `${f}:${w}`);
    const tok = fc.record({
      fields: fc.oneof(fc.constant(ANY_FIELD), fc.subarray(fields, { minLength: 1 })),
      terms: fc.subarray(words, { minLength: 1 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(fterm, { maxLength: 8 }),
        fc.array(tok, { minLength: 1, maxLength: 5 }),
        (fterms, toks) => {
          const conds = candidateConditions(
            toks.map((t, i) => token(`t${i}`, t.fields)),
            toks.map((t) => t.terms),
          );
          const expected = toks.every((t) =>
            fterms.some(
              (ft) => t.fields.includes(ft.charAt(0) as FieldPrefix) && t.terms.includes(ft.slice(2)),
            ),
          );
          expect(meets(fterms, conds)).toBe(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
