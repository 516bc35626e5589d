import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import { decodeNumericCursor, encodeCursor } from '../../platform/http/pagination.js';
import { DirectoryError, dirInvalid } from './directory.errors.js';
import * as repo from './directory.repository.js';
import type { SearchQuery } from './directory.schemas.js';
import type { DirectoryKind } from './directory.tables.js';
import type { ListingAddress } from './listing.service.js';
import { normNumber } from './listing.service.js';
import { TermDictionary } from './dictionary.js';
import { dirWords, phonexFr } from './phonetic.js';

/** Field prefixes of `fterms` (see gpto_dir_fterms in migrations/0300_directory.sql). */
export type FieldPrefix = 'n' | 'f' | 't' | 'k' | 'c' | 'h' | 's' | 'l';
export const ANY_FIELD: readonly FieldPrefix[] = ['n', 'f', 't', 'k', 'c', 'h', 's', 'l'];
const FIELD_PARAMS: Record<
  Exclude<keyof SearchQuery, 'q' | 'directory' | 'limit' | 'cursor'>,
  FieldPrefix[]
> = {
  name: ['n'],
  firstName: ['f'],
  title: ['t'],
  nickname: ['k'],
  trade: ['c', 'h'],
  street: ['s'],
  locality: ['l'],
};
/** A word found in a name says more about who is meant than one found in an address. */
const FIELD_WEIGHT: Record<FieldPrefix, number> = {
  n: 1,
  c: 1,
  f: 0.97,
  k: 0.97,
  h: 0.94,
  s: 0.93,
  l: 0.93,
  t: 0.9,
};
/** Little words of French addresses and company names that say nothing on their own. */
const STOP_WORDS = new Set(['de', 'du', 'des', 'la', 'le', 'les', 'et', 'l', 'd', 'a', 'au', 'aux', 'en']);
/** Expansions ≥ this weight (same word, a prefix, same sound) are a "good" match; below, a typo or a fragment. */
const GOOD = 0.85;
const EXPANSIONS_PER_WORD = 40;
const CANDIDATE_CAP = 400;
/** Above this many pairs for two words (fragments with many completions), each word is looked up alone. */
export const MAX_PAIR_KEYS = 400;
/**
 * Up to this many candidates, the candidate statement also reads what the answer shows of each one
 * (by primary key), sparing a round trip: nine searches in ten of the benchmark's set have at most
 * 60 candidates (three in four at most 20, the page).
 */
const INLINE_DETAILS = 64;
/** Words whose expansions a process keeps (dropped all at once past this, or when the dictionary grows). */
const EXPANSION_CACHE_MAX = 20_000;

export interface SearchItem {
  code: string;
  number: string;
  numbers: string[];
  directory: DirectoryKind;
  title: string | null;
  lastName: string | null;
  firstNames: string | null;
  nickname: string | null;
  company: string | null;
  heading: string | null;
  address: ListingAddress;
  score: number;
}

export interface Token {
  word: string;
  phon: string;
  fields: readonly FieldPrefix[];
}

/** Turns the search box and the optional fields into words, each with the fields it may match. */
export function tokensOf(query: SearchQuery): { tokens: Token[]; numbers: string[] } {
  const tokens: Token[] = [];
  const numbers: string[] = [];
  const seen = new Set<string>();
  const add = (word: string, fields: readonly FieldPrefix[]) => {
    const key = `${word}|${fields.join('')}`;
    if (seen.has(key)) return;
    seen.add(key);
    tokens.push({ word, phon: phonexFr(word), fields });
  };
  if (query.q) {
    // A box holding only digits (and separators) is a number: reverse search.
    const asNumber = /[a-z]/i.test(query.q) ? undefined : normNumber(query.q);
    if (asNumber) numbers.push(asNumber);
    else {
      for (const w of dirWords(query.q)) {
        if (/^[0-9]{6,15}$/.test(w)) numbers.push(w);
        else if (!STOP_WORDS.has(w) && (w.length > 1 || /[0-9]/.test(w))) add(w, ANY_FIELD);
      }
    }
  }
  for (const [param, fields] of Object.entries(FIELD_PARAMS)) {
    const value = query[param as keyof typeof FIELD_PARAMS];
    if (!value) continue;
    for (const w of dirWords(value)) if (!STOP_WORDS.has(w) || fields.includes('n')) add(w, fields);
  }
  return { tokens, numbers };
}

type SearchRow = Awaited<ReturnType<typeof repo.findSearchItemsByIds>>[number];
const SEARCH_ROW_COLUMNS = repo.SEARCH_ITEM_COLUMNS.filter((c) => c !== 'id');
/** The answer's columns as SQL, built once (fixed identifiers: nothing from the request). */
const SEARCH_ROW_SELECT = sql.raw(SEARCH_ROW_COLUMNS.map((col) => `l.${col}`).join(', '));

/** One AND-ed condition of the candidate query: the listing has one of `any`. */
export interface CandidateCondition {
  /** `keys`: gpto_dir_keys(fterms) (words and pairs of words, any field); `fterms`: field:word. */
  on: 'keys' | 'fterms';
  any: string[];
}

/**
 * What gpto_dir_keys (migrations/0310) indexes for a listing's fterms: its distinct words, then every
 * pair "a b" of two of them with a < b. Twin of the SQL function, checked against it by a test.
 */
export function dirKeys(fterms: readonly string[]): string[] {
  const words = [...new Set(fterms.map((ft) => ft.slice(2)))].sort();
  const keys = [...words];
  for (let i = 0; i < words.length; i++)
    for (let j = i + 1; j < words.length; j++) keys.push(`${words[i]} ${words[j]}`);
  return keys;
}

/** The key of two words in gpto_dir_keys: the word itself when both are the same, else "a b" with a < b. */
export function pairKey(a: string, b: string): string {
  return a === b ? a : a < b ? `${a} ${b}` : `${b} ${a}`;
}

/**
 * The conditions the candidate listings must meet, given each token's accepted words. Words typed in
 * a field box are looked up with their field (fterms). Words of the search box may be in any field:
 * they are taken two by two and looked up as pairs (gpto_dir_keys), whose posting lists are far
 * shorter than those of common words alone — "diop moussa" instead of "diop" and "moussa". A pair
 * whose cross product would be too long (fragments with many completions) is looked up word by word.
 */
export function candidateConditions(
  tokens: readonly Token[],
  terms: readonly string[][],
): CandidateCondition[] {
  const conds: CandidateCondition[] = [];
  const free: number[] = [];
  tokens.forEach((t, i) => {
    const words = terms[i] as string[];
    if (t.fields.length === ANY_FIELD.length) free.push(i);
    else conds.push({ on: 'fterms', any: t.fields.flatMap((f) => words.map((w) => `${f}:${w}`)) });
  });
  // Fewest words first; each token is paired with the one after it, the last one of an odd count
  // with the first one (a token may be in two pairs: still one condition each).
  free.sort((a, b) => (terms[a] as string[]).length - (terms[b] as string[]).length || a - b);
  const pair = (i: number, j: number) => {
    const a = terms[i] as string[];
    const b = terms[j] as string[];
    if (a.length * b.length > MAX_PAIR_KEYS) {
      conds.push({ on: 'keys', any: a }, { on: 'keys', any: b });
      return;
    }
    const keys = new Set<string>();
    for (const x of a) for (const y of b) keys.add(pairKey(x, y));
    conds.push({ on: 'keys', any: [...keys] });
  };
  if (free.length === 1) conds.push({ on: 'keys', any: terms[free[0] as number] as string[] });
  for (let k = 0; k + 1 < free.length; k += 2) pair(free[k] as number, free[k + 1] as number);
  if (free.length > 1 && free.length % 2 === 1) pair(free[free.length - 1] as number, free[0] as number);
  return conds;
}

/** Best first: every word matched well beats any fuzzy match; then closeness and field. */
export function scoreCandidate(fterms: string[], expansions: Map<string, number>[], tokens: Token[]): number {
  let score = 0;
  let allGood = true;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    const exp = expansions[i] as Map<string, number>;
    let best = 0;
    let bestRaw = 0;
    for (const ft of fterms) {
      const prefix = ft.charAt(0) as FieldPrefix;
      if (!token.fields.includes(prefix)) continue;
      const w = exp.get(ft.slice(2));
      if (w === undefined) continue;
      const weighted = w * FIELD_WEIGHT[prefix];
      if (weighted > best) {
        best = weighted;
        bestRaw = w;
      }
    }
    if (best === 0) return 0;
    if (bestRaw < GOOD) allGood = false;
    score += best;
  }
  // Fewer words besides the matched ones: the closer listing of two that both match.
  return score + (allGood ? 10 : 0) - 0.002 * fterms.length;
}

/**
 * scoreCandidate for many candidates of one search, same scores to the bit: the tokens' expansions
 * are gathered once into one map, word → each token's weight, so that each of a listing's words
 * costs one lookup instead of one per token (and the field check is a table by prefix). For a given
 * token the words are visited in the same order and compared the same way as in scoreCandidate.
 */
export function candidateScorer(
  expansions: Map<string, number>[],
  tokens: Token[],
): (fterms: string[]) => number {
  const n = tokens.length;
  const byWord = new Map<string, (number | undefined)[]>();
  for (let i = 0; i < n; i++) {
    for (const [word, w] of expansions[i] as Map<string, number>) {
      let ws = byWord.get(word);
      if (!ws) byWord.set(word, (ws = new Array<number | undefined>(n).fill(undefined)));
      ws[i] = w;
    }
  }
  // allowed[i]: token i's field weights by prefix (undefined: the token may not match that field)
  const allowed = tokens.map((t) => {
    const m: Partial<Record<string, number>> = {};
    for (const f of t.fields) m[f] = FIELD_WEIGHT[f];
    return m;
  });
  const best = new Float64Array(n);
  const bestRaw = new Float64Array(n);
  return (fterms) => {
    best.fill(0);
    bestRaw.fill(0);
    for (const ft of fterms) {
      const ws = byWord.get(ft.slice(2));
      if (ws === undefined) continue;
      const prefix = ft.charAt(0);
      for (let i = 0; i < n; i++) {
        const w = ws[i];
        if (w === undefined) continue;
        const fieldWeight = (allowed[i] as Partial<Record<string, number>>)[prefix];
        if (fieldWeight === undefined) continue;
        const weighted = w * fieldWeight;
        if (weighted > (best[i] as number)) {
          best[i] = weighted;
          bestRaw[i] = w;
        }
      }
    }
    let score = 0;
    let allGood = true;
    for (let i = 0; i < n; i++) {
      const b = best[i] as number;
      if (b === 0) return 0;
      if ((bestRaw[i] as number) < GOOD) allGood = false;
      score += b;
    }
    return score + (allGood ? 10 : 0) - 0.002 * fterms.length;
  };
}

/** A word's expansions: dictionary word → weight (1 same word … 0.7 a word containing it). */
type Expansion = Map<string, number>;

/**
 * The expansions of the words searched lately, in this process. An expansion depends only on the
 * dictionary (directory_term), which only grows; `directory_term_gen.gen` moves in the transaction
 * that adds words (migrations/0320). Every search statement reads that generation: a newer one than
 * the cache's empties the cache (and a search that ran on cached expansions runs again afresh).
 */
export class ExpansionCache {
  private generation: number | undefined;
  private readonly words = new Map<string, Expansion>();

  constructor(private readonly max = EXPANSION_CACHE_MAX) {}

  get gen(): number | undefined {
    return this.generation;
  }

  /** The cached expansion of `word`, if it was computed at the current generation. */
  get(word: string): Expansion | undefined {
    return this.generation === undefined ? undefined : this.words.get(word);
  }

  /**
   * What a statement saw: a newer generation than the cache's empties it. Returns true when
   * expansions computed at `gen` may be kept (it is the cache's generation).
   */
  observe(gen: number): boolean {
    if (this.generation === undefined || gen > this.generation) {
      this.words.clear();
      this.generation = gen;
    }
    return gen === this.generation;
  }

  /** Keeps a non-empty expansion computed at `gen` (an empty one may be filled by the next import). */
  set(word: string, gen: number, expansion: Expansion): void {
    if (gen !== this.generation || expansion.size === 0) return;
    if (this.words.size >= this.max) this.words.clear();
    this.words.set(word, expansion);
  }

  get size(): number {
    return this.words.size;
  }
}

/**
 * The candidate passes of a search, loosest last, as the least weight each word's expansions must
 * have: words matched well (≥ GOOD: same word, completion, same sound) first; then, for the words
 * that have no such match (a typo, a spelling the dictionary lacks), their typos and fragments while
 * the others stay matched well; then every expansion of every word. A pass that would select the
 * same expansions as the one before it is left out; a pass where some word has none is cut short
 * (undefined weights are never produced: a word without any expansion ends the search before).
 */
export function searchPasses(expansions: readonly Map<string, number>[]): number[][] {
  const hasGood = expansions.map((e) => [...e.values()].some((w) => w >= GOOD));
  const hasFuzzy = expansions.map((e) => [...e.values()].some((w) => w < GOOD));
  const passes: number[][] = [];
  if (hasGood.every(Boolean)) passes.push(expansions.map(() => GOOD));
  // the mixed pass differs from the first only if a word has no good match, and from the last only
  // if a word with a good match also has fuzzy ones
  if (!hasGood.every(Boolean) && hasGood.some((g, i) => g && hasFuzzy[i]))
    passes.push(hasGood.map((g) => (g ? GOOD : 0)));
  if (hasFuzzy.some(Boolean)) passes.push(expansions.map(() => 0));
  return passes;
}

/**
 * Directory enquiries. Never returns a red-list (unlisted) listing, to anyone; the technical list
 * only to callers allowed to see it; never finds a listing by its number when the subscriber
 * refused reverse search.
 */
export class SearchService {
  readonly expansions = new ExpansionCache();
  private dict: TermDictionary | undefined;
  private loading: Promise<TermDictionary> | undefined;

  constructor(private readonly db: Db) {}

  /**
   * Reads the dictionary now rather than at the first enquiry (`gpto start` calls it once listening):
   * a national directory's tens of thousands of words take 0.5–2 s to read and index, which the
   * first operator of the day would otherwise wait for. Returns the number of words held.
   */
  async preload(): Promise<number> {
    return (await this.dictionary()).size;
  }

  /** The dictionary as this process last read it (read once, then again when its generation moves). */
  private dictionary(): Promise<TermDictionary> {
    return this.dict ? Promise.resolve(this.dict) : this.reloadDictionary(0);
  }

  /**
   * The dictionary at generation `seen` or newer, read afresh when the one held is older. The words
   * and the generation come from one statement (one snapshot): generation g holds every word added
   * up to g. Searches that need it at the same time share one read; a read that started before
   * `seen` was committed may return an older one, hence the loop (a read started after always
   * satisfies it). Reading 520 words takes ~1 ms; a national directory's tens of thousands, tens of
   * ms — once per change of the dictionary, not per search.
   */
  private async reloadDictionary(seen: number): Promise<TermDictionary> {
    while (!this.dict || this.dict.gen < seen) {
      this.loading ??= this.readDictionary().finally(() => (this.loading = undefined));
      await this.loading;
    }
    return this.dict;
  }

  /**
   * Reads the dictionary: all of it the first time, then only the words added by transactions the
   * last read's snapshot did not see (migrations/0322); generation, snapshot xmin and words in one
   * statement, so in one snapshot.
   */
  private async readDictionary(): Promise<TermDictionary> {
    const since = this.dict?.xmin ?? '0';
    const row = (
      await sql<{ gen: number; xmin: string; words: string | null }>`
        SELECT g.gen, pg_snapshot_xmin(pg_current_snapshot())::text AS xmin,
          (SELECT string_agg(d.term || ' ' || d.phon, E'\n') FROM directory_term d
            WHERE d.added_xid >= ${since}::xid8) AS words
        FROM directory_term_gen g`.execute(this.db)
    ).rows[0];
    const words = row?.words
      ? row.words.split('\n').map((l) => {
          const sp = l.indexOf(' ');
          return [l.slice(0, sp), l.slice(sp + 1)] as const;
        })
      : [];
    const gen = Number(row?.gen);
    const xmin = row?.xmin ?? '0';
    if (!this.dict) this.dict = new TermDictionary(gen, words, xmin);
    else this.dict.add(gen, xmin, words);
    this.expansions.observe(this.dict.gen);
    return this.dict;
  }

  async search(
    query: SearchQuery,
    opts: { technical: boolean },
    retried = false,
  ): Promise<{ items: SearchItem[]; nextCursor?: string }> {
    const limit = query.limit ?? 20;
    const offset = decodeNumericCursor(query.cursor) ?? 0;
    if (offset < 0 || offset >= CANDIDATE_CAP)
      throw dirInvalid('directory.search_invalid', 'cursor', 'cursor out of range');
    let visible: DirectoryKind[] = opts.technical
      ? ['alphabetical', 'professional', 'technical']
      : ['alphabetical', 'professional'];
    if (query.directory) {
      if (!visible.includes(query.directory)) {
        throw new DirectoryError(
          'forbidden',
          'directory.search_invalid',
          'the technical list is visible to technical roles only',
          'directory',
        );
      }
      visible = [query.directory];
    }
    const { tokens, numbers } = tokensOf(query);
    if (tokens.length === 0 && numbers.length === 0) {
      throw dirInvalid(
        'directory.search_invalid',
        'q',
        'type at least two letters of a name or address, or a number',
      );
    }

    // Each word's expansion from this process's cache, the others from the dictionary this process
    // holds (TermDictionary: the twin of gpto_dir_expand_all). The candidate statement also reads the
    // dictionary's generation: if it moved since the dictionary was read, the dictionary may miss
    // words of listings committed since, and the search runs again on the dictionary read afresh.
    const dict = await this.dictionary();
    // (the dictionary grows in place: what matters is the generation these expansions were made at)
    const dictGen = dict.gen;
    const cache = this.expansions;
    cache.observe(dictGen);
    const expansions: Expansion[] = tokens.map((t) => {
      const kept = cache.get(t.word);
      if (kept) return kept;
      const e = dict.expand(t.word, t.phon, EXPANSIONS_PER_WORD);
      cache.set(t.word, dictGen, e);
      return e;
    });
    if (expansions.some((e) => e.size === 0)) {
      // A word the dictionary does not know: unless the dictionary grew since, nothing matches.
      if (retried) return { items: [] };
      const gen = Number(
        (await sql<{ gen: number }>`SELECT gen FROM directory_term_gen`.execute(this.db)).rows[0]?.gen,
      );
      if (gen === dictGen) return { items: [] };
      await this.reloadDictionary(gen);
      return this.search(query, opts, true);
    }

    /** The listings matching, for every word i, one of its expansions of at least `minWeight[i]`. */
    const matchingAt = (minWeight: readonly number[]) => {
      const terms = tokens.map((_, i) =>
        [...(expansions[i] as Map<string, number>)]
          .filter(([, w]) => w >= (minWeight[i] as number))
          .map(([term]) => term),
      );
      if (terms.some((t) => t.length === 0)) return undefined;
      const conds = candidateConditions(tokens, terms).map((c) =>
        c.on === 'keys'
          ? sql`AND gpto_dir_keys(fterms) && ${c.any}::text[]`
          : sql`AND fterms && ${c.any}::text[]`,
      );
      const numberCond =
        numbers.length > 0 ? sql`AND NOT no_reverse_search AND numbers @> ${numbers}::text[]` : sql``;
      // fterms as one space-separated text: its words have no spaces, and splitting a string costs far
      // less than parsing up to 400 array literals.
      // The answer's columns come with the candidate itself (its heap row is read anyway): with few
      // candidates they are the answer, without a second visit of each row by primary key.
      return sql`
        SELECT id, array_to_string(fterms, ' ') AS ft, ${SEARCH_ROW_SELECT} FROM directory_listing l
        WHERE NOT unlisted AND directory = ANY(${visible}::text[]) ${sql.join(conds, sql` `)} ${numberCond}
        LIMIT ${CANDIDATE_CAP}`;
    };
    const passes = searchPasses(expansions).map(matchingAt);
    const need = offset + limit;
    // Each pass runs only if the ones before it found too few (a one-time filter PostgreSQL evaluates
    // before starting it), and finds their listings again: the answer is the first pass that fills
    // the page, or the last one. All in one statement.
    const statement =
      passes.length === 0 || passes.some((p) => p === undefined)
        ? undefined
        : passes.length === 1
          ? passes[0]
          : sql`WITH ${sql.join(
              passes.map((p, k) =>
                k === 0
                  ? sql`p0 AS MATERIALIZED (${p})`
                  : sql`${sql.raw(`p${k}`)} AS MATERIALIZED (SELECT * FROM (${p}) x WHERE ${sql.join(
                      passes
                        .slice(0, k)
                        .map((_, j) => sql`(SELECT count(*) FROM ${sql.raw(`p${j}`)}) < ${need}`),
                      sql` AND `,
                    )})`,
              ),
              sql`, `,
            )}
            ${sql.join(
              passes.map((_, k) =>
                k < passes.length - 1
                  ? sql`SELECT * FROM ${sql.raw(`p${k}`)} WHERE (SELECT count(*) FROM ${sql.raw(`p${k}`)}) >= ${need}`
                  : sql`SELECT * FROM ${sql.raw(`p${k}`)}`,
              ),
              sql` UNION ALL `,
            )}`;
    // When there are few candidates (most searches: a name and an address), the same statement also
    // reads what the answer shows, by primary key, and a round trip is spared; otherwise (a one-time
    // filter on the count) only ids and words come back and the page is read afterwards. The
    // dictionary's generation comes back in the same snapshot (one row even without candidates).
    const inline = Math.max(INLINE_DETAILS, Math.min(offset + limit, 100));
    if (!statement) return { items: [] };
    // One row comes back, whatever the number of candidates: their ids and words as two texts (ids
    // space-separated, each one's words on a line, in the same order: both aggregates read the rows
    // in one pass) and, with few candidates, their answer columns as one JSON array. Up to 400 rows
    // of 20 columns each cost the driver more (row and field parsing) than splitting two strings
    // and one JSON.parse. The dictionary's generation comes back in the same snapshot.
    const result = (
      await sql<{
        gen: number;
        n: number;
        ids: string | null;
        fts: string | null;
        details: (SearchRow | null)[] | null;
      }>`
        WITH c AS MATERIALIZED (${statement})
        SELECT g.gen, a.n, a.ids, a.fts, CASE WHEN a.n <= ${inline} THEN (
          SELECT json_agg(row_to_json(d)) FROM (SELECT l.id, ${SEARCH_ROW_SELECT} FROM c l) d) END AS details
        FROM directory_term_gen g, (
          SELECT count(*)::int AS n, string_agg(c.id::text, ' ') AS ids,
            string_agg(coalesce(c.ft, ''), E'\n') AS fts FROM c) a`.execute(this.db)
    ).rows[0];
    const gen = Number(result?.gen);
    // The dictionary grew since this process read it: the expansions may miss its new words.
    if (tokens.length > 0 && gen !== dictGen && !retried) {
      await this.reloadDictionary(gen);
      return this.search(query, opts, true);
    }
    const found = result?.ids ? result.ids.split(' ').map(Number) : [];
    const fts = result?.fts != null ? result.fts.split('\n') : [];
    const score = tokens.length > 0 ? candidateScorer(expansions, tokens) : () => 1;
    const ranked: { id: number; score: number }[] = [];
    for (let k = 0; k < found.length; k++) {
      const ft = fts[k] as string;
      const s = score(ft === '' ? [] : ft.split(' '));
      if (s > 0) ranked.push({ id: found[k] as number, score: s });
    }
    ranked.sort((a, b) => b.score - a.score || a.id - b.id);
    const page = ranked.slice(offset, offset + limit);
    const rows: SearchRow[] =
      result?.details != null
        ? result.details.filter((r) => r !== null)
        : await repo.findSearchItemsByIds(
            this.db,
            page.map((p) => p.id),
          );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const items: SearchItem[] = [];
    for (const p of page) {
      const r = byId.get(p.id);
      // Re-checked on the row itself: the red list must never leak, whatever the index said.
      if (!r || r.unlisted || !visible.includes(r.directory)) continue;
      items.push({
        code: r.code,
        number: r.numbers[0] ?? '',
        numbers: r.numbers,
        directory: r.directory,
        title: r.title,
        lastName: r.last_name,
        firstNames: r.first_names,
        nickname: r.nickname,
        company: r.company,
        heading: r.heading_path,
        address: {
          streetNumber: r.street_number,
          street: r.street,
          locality: r.locality,
          postalCode: r.postal_code,
        },
        score: Math.round(p.score * 1000) / 1000,
      });
    }
    const more = ranked.length > offset + limit && offset + limit < CANDIDATE_CAP;
    return more ? { items, nextCursor: encodeCursor([offset + limit]) } : { items };
  }
}
