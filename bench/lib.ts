// Shared helpers for the benchmarks in bench/: a runtime on its own data dir, the app listening on a
// real port, pgbench baselines on the same server, percentiles, a table printer and the final JSON
// line. Every benchmark prints its figures next to a baseline measured in the same run, because
// absolute figures on a shared 2-core machine drift from one run to the next.
import { randomBytes } from 'node:crypto';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import autocannon from 'autocannon';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { buildApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createUser } from '../src/platform/auth/auth.service.js';
import { bootstrap } from '../src/platform/bootstrap.js';
import { pgUrl } from '../src/platform/embedded-pg.js';
import { SYSTEM } from '../src/platform/events.js';
import { ensureDatabase, openRuntime, type Runtime } from '../src/platform/runtime.js';

const run = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// Statistics and printing

export interface Percentiles {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** p50/p95/p99 plus min, mean and max of unsorted samples (e.g. milliseconds). */
export function percentiles(samples: readonly number[]): Percentiles {
  const s = [...samples].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  return {
    count: s.length,
    min: s[0] ?? Number.NaN,
    mean: s.length ? sum / s.length : Number.NaN,
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? Number.NaN,
  };
}

/** Times an async function: returns its result and the elapsed milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const t0 = performance.now();
  const result = await fn();
  return { result, ms: performance.now() - t0 };
}

/** Rounds for display and JSON: 3 significant decimals below 10, 1 below 1000, integers above. */
export function round(n: number): number {
  if (!Number.isFinite(n)) return n;
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n);
  if (a >= 10) return Math.round(n * 10) / 10;
  return Math.round(n * 1000) / 1000;
}

type Cell = string | number | boolean | null | undefined;

/** Prints rows as an aligned text table; numbers are right-aligned and rounded. */
export function printTable(rows: Record<string, Cell>[], title?: string): void {
  if (title) console.log(`\n${title}`);
  if (rows.length === 0) {
    console.log('(no rows)');
    return;
  }
  const headers = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const text = (v: Cell) =>
    v === null || v === undefined ? '' : typeof v === 'number' ? String(round(v)) : String(v);
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => text(r[h]).length)));
  const line = (cells: string[], numeric: boolean[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ');
  console.log(
    line(
      headers,
      headers.map(() => false),
    ),
  );
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) {
    console.log(
      line(
        headers.map((h) => text(r[h])),
        headers.map((h) => typeof r[h] === 'number'),
      ),
    );
  }
}

/** The last line a benchmark prints: one line of JSON with every figure and its baselines. */
export function printResult(result: Record<string, unknown>): void {
  console.log(JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' ? round(v) : v)));
}

/** Where and on what the figures were taken, for the JSON line and docs/performance.md. */
export async function environment(): Promise<Record<string, string | number>> {
  const commit = await run('git', ['rev-parse', '--short', 'HEAD'])
    .then((r) => r.stdout.trim())
    .catch(() => 'unknown');
  return {
    date: new Date().toISOString(),
    commit,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    // the machine is shared: a load average above the core count means the figures are pessimistic
    loadAvg1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    // how the app and the pgbench baseline reach PostgreSQL (both the same way)
    pgTransport: pgTransport(),
  };
}

/** `unix` or `tcp`: the transport of DATABASE_URL, else of the embedded server's URL (embedded-pg.ts). */
export function pgTransport(env = process.env): 'unix' | 'tcp' {
  const url = env.DATABASE_URL || pgUrl(0, 'gpto', env.GPTO_PG_UNIX_SOCKET);
  const u = new URL(url);
  const host = u.searchParams.get('host') || decodeURIComponent(u.hostname);
  return host.startsWith('/') ? 'unix' : 'tcp';
}

// ---------------------------------------------------------------------------------------------
// Runtime and app

export interface BenchRuntimeOptions {
  /** Data dir of the embedded server (default GPTO_BENCH_DATA_DIR, else data/bench). */
  dataDir?: string;
  /** Port of the embedded server (default GPTO_BENCH_PG_PORT, else 54339). */
  pgPort?: number;
  poolSize?: number;
}

/**
 * The database a benchmark runs on: the server of DATABASE_URL when set, else an embedded PostgreSQL
 * in its own data dir (never the dev one), migrated, with the built-in roles and admin account.
 */
export async function openBenchRuntime(opts: BenchRuntimeOptions = {}): Promise<Runtime> {
  const config = loadConfig({
    ...process.env,
    GPTO_DATA_DIR: opts.dataDir ?? process.env.GPTO_BENCH_DATA_DIR ?? 'data/bench',
    GPTO_PG_PORT: String(opts.pgPort ?? process.env.GPTO_BENCH_PG_PORT ?? 54339),
  });
  const rt = await openRuntime(config, { poolSize: opts.poolSize ?? 20 });
  await bootstrap(rt.db, config.adminPassword);
  return rt;
}

export const BENCH_USER = 'bench';
export const BENCH_PASSWORD = 'bench-gpto-2026';

/** A `bench` account with the admin role, created once per bench database. */
export async function ensureBenchUser(rt: Runtime): Promise<{ username: string; password: string }> {
  const existing = await rt.db
    .selectFrom('app_user')
    .select('id')
    .where('username', '=', BENCH_USER)
    .executeTakeFirst();
  if (!existing) {
    await rt.db.transaction().execute((trx) =>
      createUser(
        trx,
        {
          username: BENCH_USER,
          displayName: 'Benchmark',
          password: BENCH_PASSWORD,
          roles: ['admin'],
          actors: [],
        },
        SYSTEM,
      ),
    );
  }
  return { username: BENCH_USER, password: BENCH_PASSWORD };
}

export interface BenchApp {
  app: App;
  baseUrl: string;
  close: () => Promise<void>;
}

/** The real app (buildApp) listening on 127.0.0.1; port 0 picks a free one. Logs only warnings. */
export async function startBenchApp(rt: Runtime, port = 0): Promise<BenchApp> {
  const app = await buildApp({
    db: rt.db,
    config: { currency: 'XOF', logLevel: process.env.LOG_LEVEL || 'warn' },
  });
  await app.http.listen({ port, host: '127.0.0.1' });
  const address = app.http.server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    app,
    baseUrl: `http://127.0.0.1:${actual}`,
    close: () => app.http.close(),
  };
}

/** Logs in through the API and returns the bearer header to send. */
export async function login(
  baseUrl: string,
  credentials: { username: string; password: string },
): Promise<{ authorization: string }> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  if (!res.ok) throw new Error(`login as ${credentials.username} failed: ${res.status} ${await res.text()}`);
  const { token } = (await res.json()) as { token: string };
  return { authorization: `Bearer ${token}` };
}

// ---------------------------------------------------------------------------------------------
// pgbench baseline (Debian's /usr/bin/pgbench, PostgreSQL 15 client)

export const PGBENCH = process.env.PGBENCH || '/usr/bin/pgbench';
const PGBENCH_DB = 'pgbench';

/** The same server as `url`, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * libpq environment for a postgres:// URL, so pgbench needs no password prompt. A `host=/dir`
 * parameter (the embedded server's Unix-domain socket, platform/embedded-pg.ts) wins over the
 * URL's host, as it does for the app's pool: the pgbench baseline uses the app's transport.
 */
function libpqEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  return {
    ...process.env,
    PGHOST: u.searchParams.get('host') || u.hostname,
    PGPORT: u.port || '5432',
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
  };
}

/**
 * Makes sure a `pgbench` database initialised at `scale` exists on the server of `serverUrl` (any
 * database URL of that server). Returns the seconds spent initialising, 0 when it was already there.
 */
export async function ensurePgbench(serverUrl: string, scale = 10): Promise<number> {
  await ensureDatabase(withDatabase(serverUrl, 'postgres'), PGBENCH_DB);
  const url = withDatabase(serverUrl, PGBENCH_DB);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let have = 0;
  try {
    const exists = await client.query("SELECT to_regclass('pgbench_branches') IS NOT NULL AS ok");
    const r = exists.rows[0]?.ok
      ? await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pgbench_branches')
      : { rows: [{ n: 0 }] };
    have = r.rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
  if (have === scale) return 0;
  const t0 = performance.now();
  await run(PGBENCH, ['-i', '-q', '-s', String(scale)], { env: libpqEnv(url), maxBuffer: 16 << 20 });
  return (performance.now() - t0) / 1000;
}

export interface PgbenchOptions {
  /** `select-only` is pgbench -S (one indexed read per transaction); `tpcb` is the default TPC-B-like script. */
  mode: 'select-only' | 'tpcb';
  clients: number;
  seconds: number;
  threads?: number;
  /** simple (default, one parse per statement), extended, or prepared. */
  protocol?: 'simple' | 'extended' | 'prepared';
}

export interface PgbenchResult extends Required<PgbenchOptions> {
  tps: number;
  latencyMs: number;
  transactions: number;
}

/** Runs pgbench against the `pgbench` database of the server of `serverUrl` and parses its figures. */
export async function runPgbench(serverUrl: string, opts: PgbenchOptions): Promise<PgbenchResult> {
  const threads = opts.threads ?? Math.min(opts.clients, cpus().length);
  const protocol = opts.protocol ?? 'simple';
  const args = [
    ...(opts.mode === 'select-only' ? ['-S'] : []),
    '-c',
    String(opts.clients),
    '-j',
    String(threads),
    '-T',
    String(opts.seconds),
    '-M',
    protocol,
    '-n', // the app's tables are not pgbench's: skip the vacuum of pgbench_* before the run
  ];
  const { stdout } = await run(PGBENCH, args, {
    env: libpqEnv(withDatabase(serverUrl, PGBENCH_DB)),
    maxBuffer: 16 << 20,
  });
  const num = (re: RegExp) => {
    const m = re.exec(stdout);
    if (!m?.[1]) throw new Error(`cannot read pgbench output:\n${stdout}`);
    return Number(m[1]);
  };
  return {
    ...opts,
    threads,
    protocol,
    tps: num(/tps = ([0-9.]+) \(without initial connection time\)/),
    latencyMs: num(/latency average = ([0-9.]+) ms/),
    transactions: num(/number of transactions actually processed: ([0-9]+)/),
  };
}

export interface AppProcess {
  baseUrl: string;
  pid: number;
  close: () => Promise<void>;
}

/**
 * The real app in a child process (bench/_app-server.ts) on the database of `databaseUrl`, as
 * `gpto start` runs it (pool of 20). Use it for load tests, so the load generator and the app do not
 * share one event loop. `port` 0 picks a free port.
 */
export async function startAppProcess(databaseUrl: string, port = 0): Promise<AppProcess> {
  const script = fileURLToPath(new URL('./_app-server.ts', import.meta.url));
  // Same Node and same loader flags (tsx) as this process.
  const child = spawn(process.execPath, [...process.execArgv, script], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      // a key of the run's own when none is given: a switch element registered by the bench is
      // sealed with it (since 2026-11-27 a switch password cannot be stored without one)
      GPTO_SECRET_KEY: process.env.GPTO_SECRET_KEY ?? randomBytes(32).toString('hex'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const actual = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`app process exited with code ${code}: ${out}`)));
  });
  child.removeAllListeners('exit');
  return {
    baseUrl: `http://127.0.0.1:${actual}`,
    pid: child.pid ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface HttpFigures {
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
}

/** Drives GET paths drawn round-robin from `paths` at `connections` for `seconds` (autocannon). */
export async function loadHttp(
  baseUrl: string,
  headers: Record<string, string>,
  paths: string[],
  connections: number,
  seconds: number,
): Promise<HttpFigures> {
  let i = 0;
  const result = await autocannon({
    url: baseUrl,
    connections,
    duration: seconds,
    headers,
    requests: [
      { method: 'GET', setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] ?? '/' }) },
    ],
  });
  return {
    requests: result.requests.total,
    rps: result.requests.total / (result.duration || seconds),
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

// ---------------------------------------------------------------------------------------------
// CPU per request (Linux /proc): on a shared machine throughput measures the share of CPU the app
// got, while the CPU a request costs the app and PostgreSQL changes much less with the load.

/** Fields of /proc/<pid>/stat after the command name (index 0 = state, 1 = ppid, 11 = utime…). */
function procStat(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ');
  } catch {
    return undefined; // the process ended meanwhile
  }
}

function cpuTicks(pid: number): number {
  const f = procStat(pid) ?? [];
  return Number(f[11] ?? 0) + Number(f[12] ?? 0); // utime + stime
}

/** The embedded server's postmaster pid, or undefined for an external server (DATABASE_URL). */
function postmasterPid(): number | undefined {
  if (process.env.DATABASE_URL) return undefined;
  const file = `${process.env.GPTO_BENCH_DATA_DIR ?? 'data/bench'}/pg/postmaster.pid`;
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * All the CPU (user + system ticks) the PostgreSQL server has used since it started: the
 * postmaster's own, its live children's (backends, autovacuum workers, background processes),
 * and — through the postmaster's cutime/cstime — every child that has exited and been reaped.
 * The sum only grows, whatever backends come and go between two readings (a difference of
 * per-process counters did not: a backend that exited took its CPU with it, and the figure could
 * come out negative). If a child is reaped while the children are being read, the postmaster's
 * counters move, and the reading is taken again.
 */
function postgresTicks(master: number): number | undefined {
  for (let attempt = 0; attempt < 5; attempt++) {
    const m0 = procStat(master);
    if (!m0) return undefined;
    let children = 0;
    for (const d of readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(d)) continue;
      const f = procStat(Number(d));
      if (f && Number(f[1]) === master) {
        children += Number(f[11] ?? 0) + Number(f[12] ?? 0) + Number(f[13] ?? 0) + Number(f[14] ?? 0);
      }
    }
    const m1 = procStat(master);
    if (!m1) return undefined;
    const reaped = (f: string[]) => Number(f[13] ?? 0) + Number(f[14] ?? 0); // cutime + cstime
    if (reaped(m0) === reaped(m1)) return Number(m1[11] ?? 0) + Number(m1[12] ?? 0) + reaped(m1) + children;
  }
  return undefined;
}

export interface CpuPerRequest {
  /** ms of CPU (user + system) per request in the app process. */
  app: number;
  /** ms of CPU per request in PostgreSQL (all backends and background processes); null if external. */
  postgres: number | null;
}

/**
 * Starts counting the CPU of the app process and of the whole embedded PostgreSQL server
 * (postmaster, backends, background and exited processes: see postgresTicks); call the result
 * with the request count. The server is the bench's own, so its CPU is the requests' (plus
 * autovacuum and checkpoints, which the requests' writes cause).
 */
export function cpuMeter(appPid: number): (requests: number) => CpuPerRequest {
  const ticksPerMs = 100 / 1000; // USER_HZ is 100 on Linux
  const master = postmasterPid();
  const pg0 = master === undefined ? undefined : postgresTicks(master);
  const app0 = cpuTicks(appPid);
  return (requests) => {
    const n = Math.max(1, requests);
    const app = (cpuTicks(appPid) - app0) / ticksPerMs / n;
    const pg1 = master === undefined ? undefined : postgresTicks(master);
    return {
      app,
      postgres: pg0 === undefined || pg1 === undefined ? null : (pg1 - pg0) / ticksPerMs / n,
    };
  };
}
