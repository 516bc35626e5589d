// `npm run bench -- directory [--rows N] [--queries N] [--naive N]`: directory enquiries over HTTP at
// 8 connections on N generated listings (default 1 M, realistic skew: very common names, compound
// names, particles, accents), a query set with known answers (exact words, fragments, one and two
// typos, sound-alike spellings, nicknames, address fragments), recall@10 and p50/p95/p99, beside a
// naive `ILIKE '%…%'` scan of the same data in the same run. Ends with one JSON line.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import {
  BENCH_PASSWORD,
  BENCH_USER,
  ensureBenchUser,
  environment,
  login,
  openBenchRuntime,
  percentiles,
  printResult,
  printTable,
  startAppProcess,
  startBenchApp,
} from './lib.js';
import { readFileSync } from 'node:fs';
import {
  FEMALE_FIRST_NAMES,
  LAST_NAMES,
  LOCALITIES,
  MALE_FIRST_NAMES,
  NICKNAMES,
  STREET_KINDS,
  STREET_NAMES,
} from '../src/demo/names.js';
import { dirNorm, dirWords, phonexFr } from '../src/modules/directory/phonetic.js';

// ---------------------------------------------------------------------------------------------
// Deterministic data

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** Skewed pick: the first entries of a list are much more frequent (Diop, Ndiaye… as in real registers). */
const skewed = (r: number, n: number, k = 2.2) => Math.min(n - 1, Math.floor(n * Math.pow(r, k)));

const PARTICLES = [
  'de Souza',
  'da Silva',
  'dos Santos',
  "d'Almeida",
  'de Carvalho',
  'Le Gall',
  'de la Fontaine',
];
const uniq = <T>(a: T[]) => [...new Set(a)];

interface Vocab {
  lasts: string[];
  firsts: string[];
  streets: string[];
}

export function vocab(): Vocab {
  const r = prng(7);
  const base = uniq(LAST_NAMES);
  const compounds = Array.from({ length: 300 }, () => {
    const a = base[skewed(r(), base.length)] as string;
    const b = base[skewed(r(), base.length)] as string;
    return a === b ? a : `${a}-${b}`;
  });
  const firstBase = uniq([...MALE_FIRST_NAMES, ...FEMALE_FIRST_NAMES]);
  const firstCompounds = Array.from({ length: 150 }, () => {
    const a = firstBase[skewed(r(), firstBase.length)] as string;
    const b = firstBase[skewed(r(), firstBase.length)] as string;
    return a === b ? a : `${a} ${b}`;
  });
  const streets = STREET_KINDS.flatMap((k) => STREET_NAMES.map((s) => `${k} ${s}`));
  return {
    lasts: uniq([...base, ...PARTICLES, ...compounds]),
    firsts: uniq([...firstBase, ...firstCompounds]),
    streets,
  };
}

interface Data {
  n: number;
  last: Int32Array;
  first: Int32Array;
  nick: Int32Array; // -1: none
  street: Int32Array;
  streetNo: Int32Array;
  loc: Int32Array;
  unlisted: Uint8Array;
}

export function generate(v: Vocab, n: number): Data {
  const r = prng(42);
  const d: Data = {
    n,
    last: new Int32Array(n),
    first: new Int32Array(n),
    nick: new Int32Array(n),
    street: new Int32Array(n),
    streetNo: new Int32Array(n),
    loc: new Int32Array(n),
    unlisted: new Uint8Array(n),
  };
  const nBase = uniq(LAST_NAMES).length;
  for (let i = 0; i < n; i++) {
    const kind = r();
    // 85 % plain names (skewed), 5 % particles, 10 % compound names
    d.last[i] =
      kind < 0.85
        ? skewed(r(), nBase)
        : kind < 0.9
          ? nBase + Math.floor(r() * PARTICLES.length)
          : nBase + PARTICLES.length + Math.floor(r() * (v.lasts.length - nBase - PARTICLES.length));
    d.first[i] = skewed(r(), v.firsts.length, 1.6);
    d.nick[i] = r() < 0.1 ? Math.floor(r() * NICKNAMES.length) : -1;
    d.street[i] = Math.floor(r() * v.streets.length);
    d.streetNo[i] = 1 + Math.floor(r() * 200);
    d.loc[i] = skewed(r(), LOCALITIES.length, 1.8);
    d.unlisted[i] = r() < 0.05 ? 1 : 0;
  }
  return d;
}

const numberOf = (i: number) => `3${String(10000000 + i).padStart(8, '0')}`;
const indexOfNumber = (n: string) => Number(n.slice(1)) - 10000000;

async function load(rt: Awaited<ReturnType<typeof openBenchRuntime>>, v: Vocab, d: Data): Promise<number> {
  const t0 = performance.now();
  await rt.pool.query(`DELETE FROM directory_listing WHERE source = 'import' AND primary_number LIKE '3%'`);
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\t/g, ' ').replace(/\n/g, ' ');
  const CHUNK = 100_000;
  for (let start = 0; start < d.n; start += CHUNK) {
    const client = await rt.pool.connect();
    try {
      const end = Math.min(d.n, start + CHUNK);
      let i = start;
      const src = new Readable({
        read() {
          let buf = '';
          for (let k = 0; k < 5000 && i < end; k++, i++) {
            const loc = LOCALITIES[d.loc[i] as number] as [string, string, string[]];
            const nick = d.nick[i] as number;
            buf +=
              [
                'alphabetical',
                esc(v.lasts[d.last[i] as number] as string),
                esc(v.firsts[d.first[i] as number] as string),
                nick >= 0 ? esc(NICKNAMES[nick] as string) : '\\N',
                String(d.streetNo[i]),
                esc(v.streets[d.street[i] as number] as string),
                esc(loc[0]),
                esc(loc[1]),
                `{${numberOf(i)}}`,
                d.unlisted[i] ? 't' : 'f',
                'import',
              ].join('\t') + '\n';
          }
          this.push(buf === '' ? null : buf);
        },
      });
      await pipeline(
        src,
        client.query(
          copyFrom(
            `COPY directory_listing (directory, last_name, first_names, nickname, street_number, street, locality,
              postal_code, numbers, unlisted, source) FROM STDIN`,
          ),
        ),
      );
    } finally {
      client.release();
    }
    process.stdout.write(`\r  loaded ${Math.min(d.n, start + CHUNK)} / ${d.n} listings`);
  }
  process.stdout.write('\n');
  await rt.pool.query('VACUUM ANALYZE directory_listing');
  await rt.pool.query('VACUUM ANALYZE directory_term');
  return (performance.now() - t0) / 1000;
}

// ---------------------------------------------------------------------------------------------
// Queries with known answers

type Kind = 'exact' | 'fragment' | 'typo1' | 'typo2' | 'phonetic' | 'nickname' | 'address';
interface Query {
  kind: Kind;
  q: string;
  /** The listings a perfect engine would put first. */
  relevant: Set<number>;
  /** Words for the naive scan (what ILIKE can do with the same input). */
  words: string[];
}

/** Spellings that sound the same, both ways. */
const VARIANTS: Record<string, string> = {
  gueye: 'gaye',
  gaye: 'gueye',
  ndiaye: 'n diaye',
  faye: 'fay',
  fay: 'faye',
  mbaye: 'm baye',
  cisse: 'sisse',
  thiam: 'tiam',
  seck: 'sek',
  diallo: 'dialo',
  wade: 'ouade',
  kane: 'cane',
  sy: 'si',
  fall: 'fal',
};

function typo(word: string, edits: number, r: () => number): string {
  let w = word;
  for (let e = 0; e < edits; e++) {
    const pos = 1 + Math.floor(r() * (w.length - 2));
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    let c = letters[Math.floor(r() * 26)] as string;
    if (c === w[pos]) c = c === 'a' ? 'e' : 'a';
    w = w.slice(0, pos) + c + w.slice(pos + 1);
  }
  return w;
}

function levenshtein(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      cur[j] = Math.min(
        (prev[j] as number) + 1,
        (cur[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[n] as number;
}

export function buildQueries(v: Vocab, d: Data, count: number): Query[] {
  const r = prng(99);
  const lastN = v.lasts.map((s) => dirWords(s));
  const firstN = v.firsts.map((s) => dirWords(s));
  const streetN = v.streets.map((s) => dirWords(s));
  const locN = LOCALITIES.map((l) => dirNorm(l[0]));
  const nickN = NICKNAMES.map((s) => dirNorm(s));
  const lastKey = v.lasts.map((s) => dirNorm(s).replace(/ /g, ''));
  const kinds: Kind[] = ['exact', 'fragment', 'typo1', 'typo2', 'phonetic', 'nickname', 'address'];
  const queries: Query[] = [];
  const matchRows = (pred: (i: number) => boolean) => {
    const s = new Set<number>();
    for (let i = 0; i < d.n; i++) if (!d.unlisted[i] && pred(i)) s.add(i);
    return s;
  };
  // the street's name without its kind: a query names "Carnot", not "Rue" or "Avenue"
  const sameStreet = (a: number, b: number) => a % STREET_NAMES.length === b % STREET_NAMES.length;
  // street word used: the longest one of the street name (not the kind)
  const streetWord = (s: number) =>
    [...(streetN[s] as string[]).slice(1)].sort((a, b) => b.length - a.length)[0] ?? '';
  let guard = 0;
  while (queries.length < count && guard++ < count * 50) {
    const kind = kinds[queries.length % kinds.length] as Kind;
    const t = Math.floor(r() * d.n);
    if (d.unlisted[t]) continue;
    const L = d.last[t] as number;
    const F = d.first[t] as number;
    const S = d.street[t] as number;
    const C = d.loc[t] as number;
    const lastWords = lastN[L] as string[];
    const firstWord = (firstN[F] as string[])[0] as string;
    const sw = streetWord(S);
    const shuffle = (ws: string[]) =>
      ws
        .map((w) => [r(), w] as const)
        .sort((a, b) => a[0] - b[0])
        .map((x) => x[1]);
    if (kind === 'exact') {
      const words = [...lastWords, firstWord, sw];
      queries.push({
        kind,
        q: shuffle(words).join(' '),
        words,
        relevant: matchRows(
          (i) =>
            d.last[i] === L &&
            (firstN[d.first[i] as number] as string[]).includes(firstWord) &&
            sameStreet(d.street[i] as number, S),
        ),
      });
    } else if (kind === 'fragment') {
      const lw = lastWords[lastWords.length - 1] as string;
      if (lw.length < 5 || firstWord.length < 5) continue;
      const f1 = lw.slice(0, 4);
      const f2 = firstWord.slice(0, 3);
      const loc = locN[C] as string;
      const words = [f1, f2, sw, loc];
      queries.push({
        kind,
        q: shuffle(words).join(' '),
        words,
        relevant: matchRows(
          (i) =>
            (lastN[d.last[i] as number] as string[]).some((w) => w.startsWith(f1)) &&
            (firstN[d.first[i] as number] as string[]).some((w) => w.startsWith(f2)) &&
            sameStreet(d.street[i] as number, S) &&
            d.loc[i] === C,
        ),
      });
    } else if (kind === 'typo1' || kind === 'typo2') {
      const edits = kind === 'typo1' ? 1 : 2;
      const lw = lastWords[lastWords.length - 1] as string;
      if (lw.length < (edits === 1 ? 4 : 6)) continue;
      const bad = typo(lw, edits, r);
      if (bad === lw) continue;
      const words = [bad, firstWord, sw];
      const near = new Set(
        v.lasts
          .map((_, k) => k)
          .filter((k) => (lastN[k] as string[]).some((w) => levenshtein(w, bad) <= edits)),
      );
      queries.push({
        kind,
        q: shuffle(words).join(' '),
        words,
        relevant: matchRows(
          (i) =>
            near.has(d.last[i] as number) &&
            (firstN[d.first[i] as number] as string[]).includes(firstWord) &&
            sameStreet(d.street[i] as number, S),
        ),
      });
    } else if (kind === 'phonetic') {
      const key = lastKey[L] as string;
      const variant = VARIANTS[key];
      if (!variant) continue;
      const words = [variant, firstWord, sw];
      const ph = phonexFr(key);
      const same = new Set(v.lasts.map((_, k) => k).filter((k) => phonexFr(lastKey[k] as string) === ph));
      queries.push({
        kind,
        q: shuffle(words).join(' '),
        words,
        relevant: matchRows(
          (i) =>
            same.has(d.last[i] as number) &&
            (firstN[d.first[i] as number] as string[]).includes(firstWord) &&
            sameStreet(d.street[i] as number, S),
        ),
      });
    } else if (kind === 'nickname') {
      const nk = d.nick[t] as number;
      if (nk < 0) continue;
      const words = [nickN[nk] as string, ...lastWords, locN[C] as string];
      queries.push({
        kind,
        q: shuffle(words).join(' '),
        words,
        relevant: matchRows((i) => d.nick[i] === nk && d.last[i] === L && d.loc[i] === C),
      });
    } else {
      const no = d.streetNo[t] as number;
      const lw = lastWords[lastWords.length - 1] as string;
      const words = [String(no), sw, locN[C] as string, lw.slice(0, Math.max(3, lw.length - 1))];
      const frag = words[3] as string;
      queries.push({
        kind,
        q: shuffle(words).join(' '),
        words,
        relevant: matchRows(
          (i) =>
            sameStreet(d.street[i] as number, S) &&
            d.streetNo[i] === no &&
            d.loc[i] === C &&
            (lastN[d.last[i] as number] as string[]).some((w) => w.startsWith(frag)),
        ),
      });
    }
  }
  return queries;
}

// ---------------------------------------------------------------------------------------------
// CPU spent per search, read from /proc (Linux): on a shared machine the latency says how busy the
// others were; the CPU time says what one search costs.

interface CpuSnapshot {
  app: number;
  backends: Map<number, number>;
}

/** utime + stime of a process in ms (clock ticks of 10 ms), 0 when it is gone. */
function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

async function cpuSnapshot(
  rt: Awaited<ReturnType<typeof openBenchRuntime>>,
  appPid: number,
): Promise<CpuSnapshot> {
  const r = await rt.pool.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  return { app: cpuMsOf(appPid), backends: new Map(r.rows.map((x) => [x.pid, cpuMsOf(x.pid)])) };
}

/** Per search; backends opened during the run count whole, those closed during it are missed. */
function cpuSpent(a: CpuSnapshot, b: CpuSnapshot, searches: number): { appMs: number; pgMs: number } {
  let pg = 0;
  for (const [pid, ms] of b.backends) pg += ms - (a.backends.get(pid) ?? 0);
  return { appMs: (b.app - a.app) / searches, pgMs: pg / searches };
}

const recallAt10 = (got: number[], relevant: Set<number>) => {
  if (relevant.size === 0) return 1;
  const hits = got.slice(0, 10).filter((i) => relevant.has(i)).length;
  return hits / Math.min(10, relevant.size);
};

// ---------------------------------------------------------------------------------------------

async function runPool<T>(items: T[], workers: number, fn: (item: T) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await fn(item);
      }
    }),
  );
  return (performance.now() - t0) / 1000;
}

export async function run(args: string[]): Promise<void> {
  const opt = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const rows = opt('rows', 1_000_000);
  const nQueries = opt('queries', 350);
  const nNaive = opt('naive', 42);
  const connections = 8;

  const rt = await openBenchRuntime({ poolSize: 20 });
  try {
    const v = vocab();
    const d = generate(v, rows);
    const have = await rt.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM directory_listing WHERE source = 'import' AND primary_number LIKE '3%'`,
    );
    const marker = await rt.pool.query<{ value: { rows: number } }>(
      `SELECT value FROM setting WHERE key = 'bench_directory'`,
    );
    let loadSeconds = 0;
    if ((have.rows[0]?.n ?? 0) !== rows || marker.rows[0]?.value.rows !== rows) {
      console.log(`generating ${rows} listings…`);
      loadSeconds = await load(rt, v, d);
      await rt.pool.query(
        `INSERT INTO setting (key, value) VALUES ('bench_directory', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [JSON.stringify({ rows })],
      );
    } else console.log(`reusing the ${rows} listings of a previous run`);
    const terms =
      (await rt.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM directory_term')).rows[0]?.n ?? 0;

    const queries = buildQueries(v, d, nQueries);
    await ensureBenchUser(rt);
    // The app in a process of its own (as in the referential and assistance benchmarks): sharing one
    // event loop with the load generator, it would queue behind the client's own work. `--in-process`
    // keeps the first runs' set-up (app and client in one process) for comparison.
    const inProcess = args.includes('--in-process');
    const bench = inProcess
      ? { ...(await startBenchApp(rt)), pid: process.pid }
      : await startAppProcess(rt.url, Number(process.env.GPTO_BENCH_PORT || 0));
    const auth = await login(bench.baseUrl, { username: BENCH_USER, password: BENCH_PASSWORD });
    try {
      // warm-up
      for (const q of queries.slice(0, 20)) {
        await fetch(`${bench.baseUrl}/api/v1/directory/search?q=${encodeURIComponent(q.q)}`, {
          headers: auth,
        });
      }
      const cpu0 = await cpuSnapshot(rt, bench.pid);
      const lat: number[] = [];
      const recall = new Map<Kind, number[]>();
      const latByKind = new Map<Kind, number[]>();
      let errors = 0;
      const rounds = Math.max(1, opt('rounds', 1));
      const timedQueries = Array.from({ length: rounds }, () => queries).flat();
      const seconds = await runPool(timedQueries, connections, async (q) => {
        const t0 = performance.now();
        const res = await fetch(`${bench.baseUrl}/api/v1/directory/search?q=${encodeURIComponent(q.q)}`, {
          headers: auth,
        });
        const body = (await res.json()) as { items?: { number: string }[] };
        const ms = performance.now() - t0;
        lat.push(ms);
        latByKind.set(q.kind, [...(latByKind.get(q.kind) ?? []), ms]);
        if (!res.ok || !body.items) errors++;
        const got = (body.items ?? []).map((it) => indexOfNumber(it.number));
        const list = recall.get(q.kind) ?? [];
        list.push(recallAt10(got, q.relevant));
        recall.set(q.kind, list);
      });
      const cpu = cpuSpent(cpu0, await cpuSnapshot(rt, bench.pid), lat.length);

      // naive: the same words, each as ILIKE '%word%' over the listing's concatenated text
      const naiveQueries = queries
        .filter((_, i) => i % Math.max(1, Math.floor(queries.length / nNaive)) === 0)
        .slice(0, nNaive);
      const naiveLat: number[] = [];
      const naiveRecall: number[] = [];
      const naiveSeconds = await runPool(naiveQueries, connections, async (q) => {
        const t0 = performance.now();
        const conds = q.words.map(
          (_, k) =>
            `concat_ws(' ', last_name, first_names, nickname, company, street_number, street, locality) ILIKE '%' || $${k + 1} || '%'`,
        );
        const r = await rt.pool.query<{ n: string }>(
          `SELECT primary_number AS n FROM directory_listing WHERE NOT unlisted AND ${conds.join(' AND ')} LIMIT 20`,
          q.words,
        );
        naiveLat.push(performance.now() - t0);
        naiveRecall.push(
          recallAt10(
            r.rows.map((x) => indexOfNumber(x.n)),
            q.relevant,
          ),
        );
      });

      const p = percentiles(lat);
      const np = percentiles(naiveLat);
      const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : Number.NaN);
      const all = [...recall.values()].flat();
      printTable(
        [...recall.entries()].map(([kind, rs]) => {
          const kp = percentiles(latByKind.get(kind) ?? []);
          return { kind, queries: rs.length, 'recall@10': mean(rs), p50: kp.p50, p95: kp.p95, max: kp.max };
        }),
        `recall@10 and latency (ms, at ${connections} connections) by kind of query (${rows} listings, ${terms} distinct words)`,
      );
      console.log(
        `\nCPU per search (load-independent): app process ${cpu.appMs.toFixed(2)} ms, PostgreSQL backends ${cpu.pgMs.toFixed(2)} ms` +
          (inProcess ? ' (app and load generator in one process)' : ''),
      );
      printTable(
        [
          {
            engine: 'GPTo search (HTTP)',
            queries: lat.length,
            'recall@10': mean(all),
            p50: p.p50,
            p95: p.p95,
            p99: p.p99,
            qps: lat.length / seconds,
          },
          {
            engine: "naive ILIKE '%…%' (SQL)",
            queries: naiveLat.length,
            'recall@10': mean(naiveRecall),
            p50: np.p50,
            p95: np.p95,
            p99: np.p99,
            qps: naiveLat.length / naiveSeconds,
          },
        ],
        `latency in ms at ${connections} connections`,
      );
      const ratio = np.p95 / p.p95;
      console.log(
        `\np95 ratio naive / GPTo: ${ratio.toFixed(1)}× (target ≥ 50×); targets: recall@10 ≥ 0.95, p95 ≤ 30 ms`,
      );
      printResult({
        bench: 'directory',
        ...(await environment()),
        listings: rows,
        distinctWords: terms,
        loadSeconds,
        connections,
        appInProcess: inProcess,
        rounds,
        queries: lat.length,
        errors,
        cpuPerSearchMs: { app: cpu.appMs, postgres: cpu.pgMs },
        recallAt10: mean(all),
        recallByKind: Object.fromEntries([...recall.entries()].map(([k, rs]) => [k, mean(rs)])),
        latencyByKind: Object.fromEntries(
          [...latByKind.entries()].map(([k, ls]) => {
            const kp = percentiles(ls);
            return [k, { p50: kp.p50, p95: kp.p95 }];
          }),
        ),
        p50: p.p50,
        p95: p.p95,
        p99: p.p99,
        qps: lat.length / seconds,
        naive: {
          queries: naiveLat.length,
          recallAt10: mean(naiveRecall),
          p50: np.p50,
          p95: np.p95,
          p99: np.p99,
        },
        p95RatioNaiveOverSearch: ratio,
      });
    } finally {
      await bench.close();
    }
  } finally {
    await rt.close();
  }
}
