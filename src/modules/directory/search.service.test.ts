import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ANY_FIELD,
  candidateConditions,
  candidateScorer,
  dirKeys,
  ExpansionCache,
  MAX_PAIR_KEYS,
  pairKey,
  scoreCandidate,
  searchPasses,
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

describe('ExpansionCache', () => {
  const exp = (...terms: string[]) => new Map(terms.map((t) => [t, 1]));

  it('keeps expansions of the current generation only, and empties itself when the dictionary grows', () => {
    const c = new ExpansionCache();
    expect(c.get('diop')).toBeUndefined();
    expect(c.observe(3)).toBe(true);
    c.set('diop', 3, exp('diop'));
    expect(c.get('diop')?.has('diop')).toBe(true);
    // a statement that saw an older generation (another connection's older snapshot) changes nothing
    expect(c.observe(2)).toBe(false);
    c.set('fall', 2, exp('fall'));
    expect(c.get('fall')).toBeUndefined();
    expect(c.get('diop')).toBeDefined();
    // a newer generation: what was kept may miss the new words
    expect(c.observe(4)).toBe(true);
    expect(c.get('diop')).toBeUndefined();
    expect(c.gen).toBe(4);
  });

  it('does not keep a word without expansion (the next import may bring it) and stays bounded', () => {
    const c = new ExpansionCache(2);
    c.observe(1);
    c.set('zorglub', 1, new Map());
    expect(c.get('zorglub')).toBeUndefined();
    c.set('a1', 1, exp('a1'));
    c.set('a2', 1, exp('a2'));
    c.set('a3', 1, exp('a3'));
    expect(c.size).toBeLessThanOrEqual(2);
    expect(c.get('a3')).toBeDefined();
  });
});

describe('candidateScorer', () => {
  it('gives every listing the score scoreCandidate gives it, to the bit', () => {
    const prefixes = fc.constantFrom<FieldPrefix>(...ANY_FIELD);
    const word = fc.constantFrom('diop', 'diouf', 'moussa', 'dakar', 'ndiaye', 'fall', 'rue', '12', 'x');
    const weight = fc.constantFrom(1, 0.9, 0.85, 0.8, 0.7, 0.6);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            word,
            fields: fc.oneof(
              fc.constant(ANY_FIELD),
              fc.uniqueArray(prefixes, { minLength: 1, maxLength: 3 }),
            ),
            expansion: fc.array(fc.tuple(word, weight), { maxLength: 6 }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        fc.array(
          fc.array(
            fc.tuple(prefixes, word).map(([f, w]) => `${f}:${w}`),
            { maxLength: 12 },
          ),
          {
            maxLength: 8,
          },
        ),
        (specs, listings) => {
          const tokens = specs.map((s) => token(s.word, s.fields));
          const expansions = specs.map((s) => new Map(s.expansion));
          const score = candidateScorer(expansions, tokens);
          for (const fterms of listings)
            expect(score(fterms)).toBe(scoreCandidate(fterms, expansions, tokens));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('ranks a listing matching every word well above a fuzzy one and refuses a listing missing a word', () => {
    const tokens = [token('diop'), token('moussa')];
    const expansions = [
      new Map([
        ['diop', 1],
        ['diope', 0.8],
      ]),
      new Map([['moussa', 1]]),
    ];
    const score = candidateScorer(expansions, tokens);
    expect(score(['n:diop', 'f:moussa'])).toBeGreaterThan(10);
    expect(score(['n:diope', 'f:moussa'])).toBeLessThan(10);
    expect(score(['n:diope', 'f:moussa'])).toBeGreaterThan(0);
    expect(score(['n:diop', 's:dakar'])).toBe(0);
  });
});

describe('searchPasses', () => {
  const m = (o: Record<string, number>) => new Map(Object.entries(o));
  it('tries the words matched well first, then typos for the words without a good match, then everything', () => {
    // every word has a good match: good first, then all
    expect(searchPasses([m({ diop: 1 }), m({ moussa: 1, moussi: 0.7 })])).toEqual([
      [0.85, 0.85],
      [0, 0],
    ]);
    // a typo: its fuzzy words with the other word still matched well, then all
    expect(searchPasses([m({ ndiaye: 0.7 }), m({ moussa: 1, moussi: 0.7 })])).toEqual([
      [0, 0.85],
      [0, 0],
    ]);
    // nothing to loosen on the other word: the mixed pass would be the last one
    expect(searchPasses([m({ ndiaye: 0.7 }), m({ moussa: 1 })])).toEqual([[0, 0]]);
    expect(searchPasses([m({ diop: 1 }), m({ moussa: 1, mouss: 0.9 })])).toEqual([[0.85, 0.85]]);
    // a number alone (no word): one pass
    expect(searchPasses([])).toEqual([[]]);
  });
});
