// `npm run bench -- directory-profile [--rows N] [--queries N] [--passes N] [--explain N] [--cold] [--answers FILE]`:
// where a directory search's cost goes, query by query. Replays the directory benchmark's query set
// (same data, same queries, same order, same 20 warm-up queries, one expansion cache per pass as
// the app process has) through SearchService on ONE connection, with no HTTP, and records for each
// query: the statements it sent, the CPU of its PostgreSQL backend (/proc/<pid>/schedstat, in ns:
// load does not inflate it much), the app process's own CPU and the wall time. Prints the cost per
// kind of query, the slowest 5 % with their text, and `EXPLAIN (ANALYZE, BUFFERS)` of the
// statements of the N heaviest. `--cold`: an empty expansion cache for every query (every search
// expands all its words). Ends with one JSON line.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import { createPool } from '../src/platform/db.js';
import type { Database } from '../src/platform/database.js';
import { SearchService as HeadService } from '../src/modules/directory/search.service.js';
import {
  buildQueries,
  fingerprint,
  generate,
  indexOfNumber,
  recallAt10,
  staleReason,
  vocab,
} from './directory.js';
import { environment, openBenchRuntime, percentiles, printResult, printTable } from './lib.js';

/** CPU time a process has run, in ns (first field of /proc/<pid>/schedstat). */
function cpuNs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
}

interface Sample {
  kind: string;
  q: string;
  statements: number;
  pgMs: number;
  appMs: number;
  wallMs: number;
  items: number;
  recall: number;
  answer: string;
  logged: { sql: string; params: readonly unknown[]; ms: number; pgNs: number }[];
}

/**
 * What a logged statement is: the expansion of uncached words (SQL, before 0e604dc), the dictionary
 * read (once per process, then when it grows), the generation check of a word the dictionary lacks,
 * the candidates, or the page read.
 */
const statementKind = (text: string) =>
  text.includes('gpto_dir_expand_all')
    ? 'expand'
    : text.includes('FROM directory_term d')
      ? 'dictionary'
      : text.includes('WITH c AS')
        ? 'candidates'
        : text.includes('FROM directory_term_gen')
          ? 'generation'
          : 'details';

export async function run(args: string[]): Promise<void> {
  const opt = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const rows = opt('rows', 1_000_000);
  const nQueries = opt('queries', 350);
  const passes = Math.max(1, opt('passes', 3));
  const nExplain = opt('explain', 6);
  const cold = args.includes('--cold');
  // `--variant FILE`: another version of search.service.ts (same exports), for same-minute A/B replays
  const variantAt = args.indexOf('--variant');
  const SearchService: typeof HeadService =
    variantAt >= 0
      ? ((await import(path.resolve(args[variantAt + 1] as string))) as { SearchService: typeof HeadService })
          .SearchService
      : HeadService;

  const rt = await openBenchRuntime({ poolSize: 2 });
  const pool = createPool(rt.url, 1);
  let logged: Sample['logged'] = [];
  let pid = 0;
  let lastNs = 0;
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (e: LogEvent) => {
      // the backend's CPU at the end of each statement: what each statement cost it
      const now = pid ? cpuNs(pid) : 0;
      logged.push({
        sql: e.query.sql,
        params: e.query.parameters,
        ms: e.queryDurationMillis,
        pgNs: now - lastNs,
      });
      lastNs = now;
    },
  });
  try {
    const v = vocab();
    const d = generate(v, rows);
    const stale = await staleReason(rt, v, d, fingerprint(v, d));
    if (stale)
      throw new Error(`no benchmark data to profile (${stale}): run npm run bench -- directory first`);
    const queries = buildQueries(v, d, nQueries);
    pid = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid as number;

    const samples: Sample[][] = [];
    for (let pass = 0; pass < passes; pass++) {
      let svc = new SearchService(db);
      for (const q of queries.slice(0, 20)) await svc.search({ q: q.q }, { technical: false });
      const out: Sample[] = [];
      for (const q of queries) {
        if (cold) svc = new SearchService(db);
        logged = [];
        const pg0 = cpuNs(pid);
        lastNs = pg0;
        const app0 = process.cpuUsage();
        const t0 = performance.now();
        const res = await svc.search({ q: q.q }, { technical: false });
        const wallMs = performance.now() - t0;
        const app = process.cpuUsage(app0);
        out.push({
          kind: q.kind,
          q: q.q,
          statements: logged.length,
          pgMs: (cpuNs(pid) - pg0) / 1e6,
          appMs: (app.user + app.system) / 1000,
          wallMs,
          items: res.items.length,
          recall: recallAt10(
            res.items.map((it) => indexOfNumber(it.number)),
            q.relevant,
          ),
          answer: res.items.map((it) => `${it.code}:${it.score}`).join(' '),
          logged,
        });
      }
      samples.push(out);
    }
    // per query: the median over the passes (the passes see the same cache states)
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const perQuery = queries.map((_, k) => {
      const s = samples.map((p) => p[k] as Sample);
      const first = s[0] as Sample;
      return {
        ...first,
        pgMs: med(s.map((x) => x.pgMs)),
        appMs: med(s.map((x) => x.appMs)),
        wallMs: med(s.map((x) => x.wallMs)),
      };
    });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const kinds = [...new Set(perQuery.map((s) => s.kind))];
    const byKind = kinds.map((kind) => {
      const s = perQuery.filter((x) => x.kind === kind);
      const pg = percentiles(s.map((x) => x.pgMs));
      const wall = percentiles(s.map((x) => x.wallMs));
      return {
        kind,
        queries: s.length,
        'recall@10': mean(s.map((x) => x.recall)),
        statements: mean(s.map((x) => x.statements)),
        'pg ms mean': pg.mean,
        'pg p95': pg.p95,
        'app ms mean': mean(s.map((x) => x.appMs)),
        'wall mean': wall.mean,
        'wall p95': wall.p95,
      };
    });
    const all = {
      kind: 'all',
      queries: perQuery.length,
      'recall@10': mean(perQuery.map((x) => x.recall)),
      statements: mean(perQuery.map((x) => x.statements)),
      'pg ms mean': mean(perQuery.map((x) => x.pgMs)),
      'pg p95': percentiles(perQuery.map((x) => x.pgMs)).p95,
      'app ms mean': mean(perQuery.map((x) => x.appMs)),
      'wall mean': mean(perQuery.map((x) => x.wallMs)),
      'wall p95': percentiles(perQuery.map((x) => x.wallMs)).p95,
    };
    printTable(
      [...byKind, all],
      `cost per search by kind (one connection, no HTTP, median of ${passes} passes${cold ? ', cold cache' : ''})`,
    );
    // PostgreSQL CPU by statement kind (first pass), per search of the set
    const stKinds = new Map<string, { n: number; ns: number }>();
    for (const sm of samples[0] as Sample[])
      for (const st of sm.logged) {
        const k = statementKind(st.sql);
        const acc = stKinds.get(k) ?? { n: 0, ns: 0 };
        acc.n++;
        acc.ns += st.pgNs;
        stKinds.set(k, acc);
      }
    const byStatement = [...stKinds].map(([statement, a]) => ({
      statement,
      'per search': a.n / perQuery.length,
      'pg ms each': a.ns / 1e6 / a.n,
      'pg ms per search': a.ns / 1e6 / perQuery.length,
    }));
    printTable(byStatement, 'PostgreSQL CPU by statement (first pass)');
    // `--buffers`: shared buffers each statement of the first pass touches (EXPLAIN ANALYZE, run again):
    // a count the machine's load does not change
    if (args.includes('--buffers')) {
      const bufs = new Map<string, { n: number; hit: number }>();
      for (const sm of samples[0] as Sample[])
        for (const st of sm.logged) {
          const r = await pool.query<{ 'QUERY PLAN': [{ Plan: Record<string, number> }] }>(
            `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${st.sql}`,
            st.params as unknown[],
          );
          const plan = r.rows[0]?.['QUERY PLAN'][0]?.Plan ?? {};
          const k = statementKind(st.sql);
          const acc = bufs.get(k) ?? { n: 0, hit: 0 };
          acc.n++;
          acc.hit += (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);
          bufs.set(k, acc);
        }
      printTable(
        [...bufs].map(([statement, a]) => ({
          statement,
          'buffers each': a.hit / a.n,
          'buffers per search': a.hit / perQuery.length,
        })),
        'shared buffers by statement (first pass, EXPLAIN ANALYZE)',
      );
    }
    // what one more round trip costs: searches by their number of statements
    printTable(
      [1, 2, 3].map((n) => {
        const s = perQuery.filter((x) => x.statements === n);
        return {
          statements: n,
          searches: s.length,
          'app ms mean': mean(s.map((x) => x.appMs)),
          'pg ms mean': mean(s.map((x) => x.pgMs)),
          'wall ms mean': mean(s.map((x) => x.wallMs)),
        };
      }),
      'cost by number of statements',
    );
    const slowest = [...perQuery]
      .sort((a, b) => b.pgMs + b.appMs - (a.pgMs + a.appMs))
      .slice(0, Math.ceil(perQuery.length * 0.05));
    printTable(
      slowest.map((s) => ({
        kind: s.kind,
        q: s.q,
        statements: s.statements,
        'pg ms': s.pgMs,
        'app ms': s.appMs,
        'wall ms': s.wallMs,
        items: s.items,
      })),
      'the slowest 5 % (PostgreSQL + app CPU)',
    );
    for (const s of slowest.slice(0, nExplain)) {
      console.log(`\n--- ${s.kind}: "${s.q}"`);
      for (const st of s.logged) {
        const plan = await pool.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${st.sql}`,
          st.params as unknown[],
        );
        console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
      }
    }
    // `--answers FILE`: every query's answer (codes and scores, first pass), to compare two versions
    const answersAt = args.indexOf('--answers');
    if (answersAt >= 0)
      writeFileSync(
        args[answersAt + 1] as string,
        (samples[0] as Sample[]).map((x) => `${x.q}\t${x.answer}`).join('\n') + '\n',
      );
    printResult({
      bench: 'directory-profile',
      ...(await environment()),
      passes,
      cold,
      byKind: Object.fromEntries(byKind.map((k) => [k.kind, k])),
      byStatement,
      all,
      slowest: slowest.map((s) => ({ kind: s.kind, q: s.q, pgMs: s.pgMs, appMs: s.appMs })),
    });
  } finally {
    await db.destroy();
    await rt.close();
  }
}
