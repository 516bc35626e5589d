// The directory's word dictionary (directory_term) held in the app process, and the expansion of a
// typed word against it: the TypeScript twin of gpto_dir_expand_all (migrations/0321), which
// dictionary.db.test.ts checks against the SQL function word by word. Expanding here spares every
// search whose words the process has not seen yet a statement and a round trip (three searches in
// four of the benchmark's set), and PostgreSQL 0.7–1 ms of CPU per word.

/** Weight of a word the typed word begins (a number's completions weigh less: 0321). */
const PREFIX_W = 0.9;
const NUMBER_PREFIX_W = 0.75;
const SOUND_W = 0.85;
/** 0.8 − 0.1 per wrong letter, as PostgreSQL prints the real (0.8 - 0.1 * levenshtein)::real. */
const TYPO_W = [0.8, 0.7, 0.6];
const CONTAINS_W = 0.7;
/** pg_trgm.similarity_threshold inside gpto_dir_expand_all. */
const TRGM_THRESHOLD = 0.2;

/** pg_trgm's trigrams of one word of [a-z0-9] (two spaces before, one after), distinct. */
export function trigrams(word: string): string[] {
  if (word === '') return [];
  const padded = `  ${word} `;
  const out = new Set<string>();
  for (let i = 0; i + 3 <= padded.length; i++) out.add(padded.slice(i, i + 3));
  return [...out];
}

/** Edit distance (insertions, deletions, substitutions, cost 1), as fuzzystrmatch's levenshtein. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] as number) + (ca === b.charCodeAt(j - 1) ? 0 : 1);
      const del = (prev[j] as number) + 1;
      const ins = (cur[j - 1] as number) + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : del < ins ? del : ins;
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length] as number;
}

/** levenshtein(a, b) if it is at most `max`, else any number above `max` (stops early). */
function levenshteinAtMost(a: string, b: string, max: number, prev: Int32Array, cur: Int32Array): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] as number) + (ca === b.charCodeAt(j - 1) ? 0 : 1);
      const del = (prev[j] as number) + 1;
      const ins = (cur[j - 1] as number) + 1;
      const v = sub < del ? (sub < ins ? sub : ins) : del < ins ? del : ins;
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    for (let j = 0; j <= b.length; j++) prev[j] = cur[j] as number;
  }
  return prev[b.length] as number;
}

/**
 * The dictionary as of one generation (directory_term_gen.gen, read in the same snapshot as the
 * words), indexed as PostgreSQL indexes directory_term: sorted words (completions), phonetic keys,
 * trigrams, first letter and length. Words are only ever added (`add`), as in the table.
 */
export class TermDictionary {
  /** Words by id, in the order they were added. */
  private readonly terms: string[] = [];
  private readonly known = new Set<string>();
  /** Ids in the words' byte order (the database's C collation). */
  private sorted: number[] = [];
  private readonly byPhon = new Map<string, number[]>();
  private readonly byTrigram = new Map<string, number[]>();
  /** `${trigram}${length}` → words of that length holding the trigram (typo candidates). */
  private readonly byTrigramLength = new Map<string, number[]>();
  /** Distinct trigrams of each word. */
  private readonly trigramCount: number[] = [];
  /** `${first letter}${length}` → words. */
  private readonly byFirstLength = new Map<string, number[]>();
  /** Scratch counters of shared trigrams, one per word (reset after each use). */
  private shared = new Int32Array(0);
  private row0 = new Int32Array(64);
  private row1 = new Int32Array(64);

  /**
   * @param gen the generation the words were read at
   * @param xmin the xmin of the snapshot they were read in (a word added by a transaction that
   *   snapshot did not see has an added_xid ≥ it: what the next read asks for)
   */
  constructor(
    public gen: number,
    words: readonly (readonly [term: string, phon: string])[],
    public xmin = '0',
  ) {
    this.add(gen, xmin, words);
  }

  /** The words read at a later generation (already known ones are skipped). */
  add(gen: number, xmin: string, words: readonly (readonly [term: string, phon: string])[]): void {
    const push = (m: Map<string, number[]>, k: string, id: number) => {
      const l = m.get(k);
      if (l) l.push(id);
      else m.set(k, [id]);
    };
    const added: number[] = [];
    for (const [term, phon] of words) {
      if (this.known.has(term)) continue;
      this.known.add(term);
      const id = this.terms.length;
      this.terms.push(term);
      added.push(id);
      push(this.byPhon, phon, id);
      const tg = trigrams(term);
      this.trigramCount.push(tg.length);
      for (const t of tg) {
        push(this.byTrigram, t, id);
        push(this.byTrigramLength, `${t}${term.length}`, id);
      }
      push(this.byFirstLength, `${term.charAt(0)}${term.length}`, id);
    }
    const byTerm = (x: number, y: number) => {
      const a = this.terms[x] as string;
      const b = this.terms[y] as string;
      return a < b ? -1 : a > b ? 1 : 0;
    };
    if (added.length > 64 || this.sorted.length === 0) {
      this.sorted.push(...added);
      this.sorted.sort(byTerm);
    } else {
      for (const id of added) this.sorted.splice(this.lowerBound(this.terms[id] as string), 0, id);
    }
    if (this.shared.length < this.terms.length) this.shared = new Int32Array(this.terms.length * 2);
    if (gen > this.gen) this.gen = gen;
    this.xmin = xmin;
  }

  /** Position in `sorted` of the first word ≥ `word`. */
  private lowerBound(word: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.terms[this.sorted[mid] as number] as string) < word) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get size(): number {
    return this.terms.length;
  }

  /**
   * What gpto_dir_expand_all(ARRAY[word], ARRAY[phon], limit) returns for one word: dictionary word
   * → weight, at most `limit`, best first (weight, then shorter, then byte order).
   */
  expand(word: string, phon: string, limit: number): Map<string, number> {
    const len = word.length;
    const found = new Map<number, number>();
    const offer = (id: number, w: number) => {
      const had = found.get(id);
      if (had === undefined || w > had) found.set(id, w);
    };
    // the word itself, and the words it begins (byte order: they follow it)
    const prefixW = /^[0-9]+$/.test(word) ? NUMBER_PREFIX_W : PREFIX_W;
    for (let k = this.lowerBound(word); k < this.sorted.length; k++) {
      const id = this.sorted[k] as number;
      const t = this.terms[id] as string;
      if (t === word) offer(id, 1);
      else if (len >= 2 && t.startsWith(word)) offer(id, prefixW);
      else break;
    }
    if (len >= 2) for (const id of this.byPhon.get(phon) ?? []) offer(id, SOUND_W);
    if (len >= 4) {
      // one wrong letter up to five letters, two above; a candidate shares enough trigrams with the
      // word (pg_trgm's %), or has its first letter and a length within two
      // (a word more than maxEdits longer or shorter cannot be within maxEdits)
      const maxEdits = len <= 5 ? 1 : 2;
      if (this.row0.length <= len) {
        this.row0 = new Int32Array(len + 1);
        this.row1 = new Int32Array(len + 1);
      }
      const typo = (id: number) => {
        const d = levenshteinAtMost(this.terms[id] as string, word, maxEdits, this.row0, this.row1);
        if (d <= maxEdits) offer(id, TYPO_W[d] as number);
      };
      for (let l = len - maxEdits; l <= len + maxEdits; l++)
        for (const id of this.byFirstLength.get(`${word.charAt(0)}${l}`) ?? []) typo(id);
      const wordTrigrams = trigrams(word);
      const touched: number[] = [];
      for (const t of wordTrigrams)
        for (let l = len - maxEdits; l <= len + maxEdits; l++)
          for (const id of this.byTrigramLength.get(`${t}${l}`) ?? []) {
            if (this.shared[id] === 0) touched.push(id);
            this.shared[id] = (this.shared[id] as number) + 1;
          }
      for (const id of touched) {
        const common = this.shared[id] as number;
        this.shared[id] = 0;
        // pg_trgm computes the similarity in single precision
        const sml = Math.fround(common / (wordTrigrams.length + (this.trigramCount[id] as number) - common));
        if (sml >= TRGM_THRESHOLD) typo(id);
      }
    }
    if (len >= 3) {
      // words containing it: they hold each of its trigrams; scan the rarest one's words
      let rarest: number[] | undefined;
      for (let i = 0; i + 3 <= len; i++) {
        const l = this.byTrigram.get(word.slice(i, i + 3)) ?? [];
        if (!rarest || l.length < rarest.length) rarest = l;
      }
      for (const id of rarest ?? []) if ((this.terms[id] as string).includes(word)) offer(id, CONTAINS_W);
    }
    const ranked = [...found].sort((a, b) => {
      if (a[1] !== b[1]) return b[1] - a[1];
      const ta = this.terms[a[0]] as string;
      const tb = this.terms[b[0]] as string;
      return ta.length - tb.length || (ta < tb ? -1 : ta > tb ? 1 : 0);
    });
    const out = new Map<string, number>();
    for (const [id, w] of ranked.slice(0, limit)) out.set(this.terms[id] as string, w);
    return out;
  }
}
