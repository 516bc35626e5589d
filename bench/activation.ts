// `npm run bench -- activation [n=10000] [connections=2] [pipeline=4] [--keep] [--element-priority none|nice|rt]`: N mobile activations through
// the workflow and the activation automaton against one real osmo-hlr, beside the raw CTRL client
// driving the same operations (create, keys, MSISDN) on the same osmo-hlr with the same number of
// connections and the same operations in flight per connection (pipeline) in the same run — twice,
// before and after the automaton phase, the baseline being their mean rate; likewise
// N fixed-line activations against the switch simulator. Target: the automaton's throughput ≥ 85 %
// of the raw client's. Besides throughput it prints what each activation costs: CPU ms of this
// process (Node), of PostgreSQL and of the element (osmo-hlr), commits and WAL bytes.
//
// Two phases say where the gap is (since 2026-11-27, session 11): the automaton alone, mobile and
// fixed — N orders placed directly (no request, no workflow step; placed untimed), then the
// automaton claims, reads the keys, commands the element, journals and records every outcome. The
// issue's target is on the workflow + automaton phase; `automatonAloneRatio` is not it.
//
// `--element-priority none|nice|rt` (default none: every process at equal priority). At equal
// priority the element processes (osmo-hlr, `gpto switch-sim`) wait for a core behind Node and PostgreSQL on
// this 2-core box — osmo-hlr runnable but waiting 0.26–0.29 ms per activation in the automaton phase,
// 0.01–0.02 in the raw phase (2026-11-27) — where an operator's HLR has its own host. `nice` runs them
// at nice −20, `rt` at real-time round-robin priority 1 (`chrt -r -p 1`); both need root or
// CAP_SYS_NICE and apply to the raw and the automaton phases alike. Neither is a faithful stand-in:
// `rt` removes the automaton phase's wait but also slowed the raw client (median 1,619/s against
// 1,878/s at equal priority or nice −20), which flatters the ratio; `nice` leaves the raw client as it is and
// removes only part of the wait. The JSON line says which applied and each phase's element run-queue
// wait per activation (/proc/<pid>/schedstat).
//
// `--switch-response-ms N` (default 0, the set-up every recorded figure uses unless it says
// otherwise): the switch simulator takes N ms over each command, a session's commands one after the
// other, as an exchange does — the simulator otherwise answers in ≈ 40 µs, which no real exchange
// does. For the fixed ratio's sensitivity to the element's response time; the target's set-up is 0.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { SYSTEM } from '../src/platform/events.js';
import { WORKFLOW_BATCH_DEFAULT, WORKFLOW_LOOPS_DEFAULT } from '../src/config.js';
import type { Db } from '../src/platform/db.js';
import { createInventory } from '../src/modules/inventory/index.js';
import {
  createWorkflow,
  listenForReadyTasks,
  workLoop,
  type ScenarioDef,
  type Wake,
} from '../src/modules/workflow/index.js';
import {
  activationSteps,
  AUTOMATON_ACTOR,
  createActivation,
  holdWhileFull,
} from '../src/modules/activation/index.js';
import { directSession } from '../src/modules/activation/drivers/direct-session.js';
import { HlrLink, hlrOps } from '../src/modules/activation/drivers/hlr.driver.js';
import { SwitchLink, switchOps } from '../src/modules/activation/drivers/switch.driver.js';
import { cardsCsv, makeCards, type TestCard } from '../src/modules/activation/testing/fixtures.js';
import {
  osmoHlrAvailable,
  OSMO_HLR_SKIP_REASON,
  startOsmoHlr,
} from '../src/modules/activation/testing/osmo-hlr.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import pg from 'pg';
import {
  cpuMeter,
  environment,
  openBenchRuntime,
  percentiles,
  printResult,
  printTable,
  round,
} from './lib.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Statements this process sends to PostgreSQL (BEGIN, COMMIT and savepoints included): every
// pooled connection's query goes through the prototype (db.ts binds it when a connection opens).
let statementsSent = 0;
const pgQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statementsSent++;
  return (pgQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pgQuery;

/** CPU ms (user + system) of a process so far, from /proc; 0 when unknown. */
function procCpuMs(pid: number | null): number {
  if (!pid) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(f[11] ?? 0) + Number(f[12] ?? 0)) * 10; // USER_HZ = 100
  } catch {
    return 0;
  }
}

/** Time (ms) a process has spent runnable but waiting for a core, from /proc/<pid>/schedstat; 0 when unknown. */
function procRunQueueMs(pid: number | null): number {
  if (!pid) return 0;
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1] ?? 0) / 1e6;
  } catch {
    return 0;
  }
}

/**
 * Gives an element process real-time round-robin priority 1, so that it never waits for a core
 * behind this process and PostgreSQL (an element on its own host); returns what applied.
 */
async function prioritise(pid: number | null, want: 'rt' | 'nice' | 'none'): Promise<string> {
  if (want === 'none' || !pid) return 'none';
  const [cmd, args] =
    want === 'rt' ? ['chrt', ['-r', '-p', '1', String(pid)]] : ['renice', ['-n', '-20', '-p', String(pid)]];
  const ok = await new Promise<boolean>((resolve) =>
    spawn(cmd, args, { stdio: 'ignore' })
      .once('exit', (code) => resolve(code === 0))
      .once('error', () => resolve(false)),
  );
  return ok ? (want === 'rt' ? 'rt' : 'nice -20') : `none (${cmd} refused: needs root or CAP_SYS_NICE)`;
}

interface Costs {
  nodeCpuMs: number;
  pgCpuMs: number | null;
  elementCpuMs: number;
  /** ms the element process was runnable but waited for a core. */
  elementRunQueueMs: number;
  commits: number;
  /** Statements (round trips) this process sent, BEGIN/COMMIT included. */
  statements: number;
  walBytes: number;
}

/**
 * Per-operation costs of a phase: CPU of this process, of PostgreSQL and of the element process,
 * commits and WAL bytes of the bench database. Call `end(n)` when the phase's work is done.
 */
async function costMeter(db: Db, elementPid: () => number | null) {
  const stats = async () =>
    (
      await sql<{ commits: string; lsn: string }>`
        SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())::text AS commits,
               pg_current_wal_lsn()::text AS lsn`.execute(db)
    ).rows[0]!;
  const cpu = cpuMeter(process.pid);
  const el0 = procCpuMs(elementPid());
  const rq0 = procRunQueueMs(elementPid());
  const s0 = await stats();
  const q0 = statementsSent;
  return async (n: number): Promise<Costs> => {
    const c = cpu(n);
    const el = procCpuMs(elementPid()) - el0;
    const rq = procRunQueueMs(elementPid()) - rq0;
    const statements = statementsSent - q0;
    await sleep(1100); // backends report their commit counts at most once a second
    const s1 = await stats();
    const wal = await sql<{ b: string }>`SELECT pg_wal_lsn_diff(${s1.lsn}, ${s0.lsn})::text AS b`.execute(db);
    if (process.env.GPTO_BENCH_WAL_LSN === '1') console.log(`wal-range ${s0.lsn} ${s1.lsn}`);
    return {
      nodeCpuMs: round(c.app),
      pgCpuMs: c.postgres === null ? null : round(c.postgres),
      elementCpuMs: round(el / n),
      elementRunQueueMs: round(rq / n),
      commits: round((Number(s1.commits) - Number(s0.commits) - 2) / n),
      statements: round(statements / n),
      walBytes: Math.round(Number(wal.rows[0]!.b) / n),
    };
  };
}

/**
 * GPTO_BENCH_PGSS=1 with pg_stat_statements loaded (track = all): the statements PostgreSQL ran in a
 * phase (triggers' statements included), by total time, per activation. Diagnosis only.
 */
async function statementProfile(db: Db) {
  if (process.env.GPTO_BENCH_PGSS !== '1') return async (_label: string, _n: number) => undefined;
  try {
    await sql`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`.execute(db);
    await sql`SELECT pg_stat_statements_reset()`.execute(db);
  } catch (err) {
    // a new data dir: ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements' and rerun with --keep
    console.log(`pg_stat_statements unavailable (${String(err)}): no statement profile`);
    return async (_label: string, _n: number) => undefined;
  }
  return async (label: string, n: number) => {
    const pl = await sql<{ plans: string; ms: number }>`
      SELECT sum(plans)::text AS plans, sum(total_plan_time) AS ms FROM pg_stat_statements`.execute(db);
    console.log(
      `planning: ${(Number(pl.rows[0]?.plans) / n).toFixed(3)} plans, ${((pl.rows[0]?.ms ?? 0) / n).toFixed(4)} ms per activation`,
    );
    const r = await sql<{ calls: string; ms: number; rows: string; q: string }>`
      SELECT calls::text, total_exec_time AS ms, rows::text, left(regexp_replace(query, '\\s+', ' ', 'g'), 140) AS q
        FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 30`.execute(db);
    console.log(`pg_stat_statements, ${label} (per activation: calls, exec ms, rows):`);
    for (const x of r.rows)
      console.log(
        `${(Number(x.calls) / n).toFixed(3).padStart(8)} ${(x.ms / n).toFixed(4).padStart(8)} ${(Number(x.rows) / n).toFixed(2).padStart(7)}  ${x.q}`,
      );
  };
}

/**
 * `gpto switch-sim` as the issue places it: a process of its own, which the raw MML client and the
 * automaton both reach over loopback TCP (before 2026-11-26 S5 it ran inside the bench's process,
 * its CPU counted as node and its event loop shared with the automaton's).
 */
async function startSwitchSim(
  responseMs: number,
): Promise<{ port: number; pid: number | null; stop: () => void }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'switch-sim',
      '--port',
      '0',
      '--name',
      'BENCH',
      '--response-ms',
      String(responseMs),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`gpto switch-sim exited (${code}): ${out}`)));
  });
  return { port, pid: child.pid ?? null, stop: () => void child.kill('SIGTERM') };
}

function scenario(code: string, operation: string): ScenarioDef {
  const steps = activationSteps('activate', operation, ['done']);
  return {
    code,
    name: `Benchmark: ${operation}`,
    start: ['activate'],
    nodes: { ...steps.nodes, done: { kind: 'end', label: 'Done', result: 'completed' } },
    transitions: steps.transitions,
  };
}

/** Runs `work` for each item over `k` parallel lanes (one connection each). */
async function lanes<T>(
  items: T[],
  k: number,
  work: (lane: number, item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: k }, async (_, lane) => {
      while (next < items.length) await work(lane, items[next++]!);
    }),
  );
}

async function startInstances(
  db: Db,
  engine: ReturnType<typeof createWorkflow>['engine'],
  code: string,
  data: { line: string; d: Record<string, unknown> }[],
  tag: string,
) {
  const ids: number[] = [];
  for (let i = 0; i < data.length; i += 500) {
    const chunk = data.slice(i, i + 500);
    await db.transaction().execute(async (trx) => {
      for (const [j, x] of chunk.entries())
        ids.push(
          await engine.start(trx, {
            scenarioCode: code,
            subjectType: 'bench_activation',
            subjectId: `${tag}-${i + j}`,
            customerId: null,
            lineId: x.line,
            data: x.d,
            by: SYSTEM,
          }),
        );
    });
  }
  return ids;
}

/**
 * Waits until every instance has ended; returns how many completed. Polls every 50 ms for the
 * lowest instance still running from a cursor that only moves forward (a primary-key range scan
 * that stops at the first running one), then counts once at the end. Before 2026-11-26 S5 it
 * counted all N instances by status every 50 ms: ≈ 30–70 ms of PostgreSQL per poll at N = 10,000
 * on a database with history, ≈ 1.2 ms per mobile activation charged to the activations.
 */
async function waitEnded(
  db: Db,
  ids: number[],
  maxMs: number,
): Promise<{ completed: number; other: number }> {
  const t0 = Date.now();
  const last = ids[ids.length - 1]!;
  let cursor = ids[0]!;
  for (;;) {
    const r = await sql<{ id: number }>`
      SELECT id FROM wf_instance WHERE id BETWEEN ${cursor} AND ${last} AND status = 'running'
       ORDER BY id LIMIT 1`.execute(db);
    const first = r.rows[0];
    if (!first || Date.now() - t0 > maxMs) break;
    cursor = Number(first.id);
    await sleep(50);
  }
  const r = await sql<{ completed: number }>`
    SELECT count(*) FILTER (WHERE status = 'completed')::int AS completed
      FROM wf_instance WHERE id BETWEEN ${ids[0]} AND ${last}`.execute(db);
  const completed = r.rows[0]?.completed ?? 0;
  return { completed, other: ids.length - completed };
}

/** The database the phase runs on: rows of the tables an activation writes, and their dead rows. */
async function databaseState(db: Db) {
  const r = await sql<{ relname: string; live: string; dead: string }>`
    SELECT relname, n_live_tup::text AS live, n_dead_tup::text AS dead FROM pg_stat_user_tables
     WHERE relname IN ('event', 'wf_task', 'wf_instance', 'act_order', 'act_command')`.execute(db);
  const exact = await sql<{
    event: string;
    wf_task: string;
    wf_instance: string;
    act_order: string;
    act_command: string;
  }>`
    SELECT (SELECT count(*) FROM event)::text AS event, (SELECT count(*) FROM wf_task)::text AS wf_task,
           (SELECT count(*) FROM wf_instance)::text AS wf_instance, (SELECT count(*) FROM act_order)::text AS act_order,
           (SELECT count(*) FROM act_command)::text AS act_command`.execute(db);
  const rows = exact.rows[0]!;
  const dead = Object.fromEntries(r.rows.map((x) => [x.relname, Number(x.dead)]));
  return {
    event: Number(rows.event),
    wf_task: Number(rows.wf_task),
    wf_instance: Number(rows.wf_instance),
    act_order: Number(rows.act_order),
    act_command: Number(rows.act_command),
    deadRows: dead,
  };
}

/**
 * What autovacuum does after a setup's bulk inserts (their statistics and visibility map), done at
 * once so that every run starts its timed phase from the same state instead of autovacuum's timing.
 */
async function settle(db: Db) {
  for (const t of ['inv_sim', 'wf_instance', 'wf_task', 'act_order', 'act_command', 'event'])
    await sql`VACUUM (ANALYZE) ${sql.table(t)}`.execute(db);
}

/**
 * The automaton alone: `params.length` orders of `operation` placed directly on `element` (as
 * `POST /activation/orders` places them: no request, no workflow step; placed in the untimed setup),
 * then the automaton — claims, key reads, commands, journal, outcomes, events — until every one has
 * finished. What the workflow adds around the automaton is the difference with the "workflow +
 * automaton" phase. Returns the elapsed ms and how many orders did not end `done`.
 */
async function automatonAlone(
  db: Db,
  automaton: { start(): void; stop(): Promise<void> },
  element: string,
  operation: string,
  params: Record<string, unknown>[],
  meter: () => Promise<(n: number) => Promise<Costs>>,
): Promise<{ ms: number; notDone: number; costs: Costs }> {
  const r = await sql<{ lo: string; hi: string }>`
    WITH o AS (
      INSERT INTO act_order (element_code, operation, line_id, params, created_by, created_at, available_at)
      SELECT ${element}, ${operation}, coalesce(x.p->>'msisdn', x.p->>'dn'), x.p, 'bench', now(), now()
        FROM jsonb_array_elements(${JSON.stringify(params)}::jsonb) AS x(p)
      RETURNING id)
    SELECT min(id)::text AS lo, max(id)::text AS hi FROM o`.execute(db);
  const lo = Number(r.rows[0]!.lo);
  const hi = Number(r.rows[0]!.hi);
  await settle(db);
  const cost = await meter();
  const t0 = performance.now();
  automaton.start();
  // the queue index (partial on finished_at IS NULL) answers the poll from the open orders alone
  for (;;) {
    const open = await sql<{ id: string }>`
      SELECT id::text FROM act_order WHERE finished_at IS NULL AND id BETWEEN ${lo} AND ${hi} LIMIT 1`.execute(
      db,
    );
    if (open.rows.length === 0) break;
    await sleep(50);
  }
  const ms = performance.now() - t0;
  const costs = await cost(params.length);
  await automaton.stop();
  const bad = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM act_order WHERE id BETWEEN ${lo} AND ${hi} AND status <> 'done'`.execute(
    db,
  );
  return { ms, notDone: bad.rows[0]!.n, costs };
}

/** When the phase's orders were all queued (by the workflow workers) and finished, in s from its start. */
async function stages(db: Db, element: string, since: Date, t0: number) {
  const r = await sql<{ queued: Date; first: Date; last: Date }>`
    SELECT max(created_at) AS queued, min(finished_at) AS first, max(finished_at) AS last
      FROM act_order WHERE element_code = ${element} AND created_at >= ${since}`.execute(db);
  const at = (d: Date | null | undefined) =>
    d ? round((d.getTime() - (Date.now() - (performance.now() - t0))) / 1000) : null;
  const row = r.rows[0];
  return { allQueuedS: at(row?.queued), firstDoneS: at(row?.first), lastDoneS: at(row?.last) };
}

export async function run(args: string[]): Promise<void> {
  // `--keep`: run on the bench database as previous runs left it (their rows, dead rows and
  // statistics); by default every run starts from a new, empty database (a stated state)
  const keep = args.includes('--keep');
  const positional = args.filter(
    (a, i) =>
      !a.startsWith('--') && args[i - 1] !== '--element-priority' && args[i - 1] !== '--switch-response-ms',
  );
  const ri = args.indexOf('--switch-response-ms');
  const switchResponseMs = ri >= 0 ? Number(args[ri + 1]) : 0;
  if (!Number.isFinite(switchResponseMs) || switchResponseMs < 0) {
    console.error('--switch-response-ms must be a number of ms ≥ 0');
    process.exit(2);
  }
  const n = Number(positional[0] ?? 10_000);
  const conns = Number(positional[1] ?? 2);
  const depth = Number(positional[2] ?? 4);
  const pi = args.indexOf('--element-priority');
  const elementPriority = pi >= 0 ? args[pi + 1] : 'none';
  if (elementPriority !== 'rt' && elementPriority !== 'nice' && elementPriority !== 'none') {
    console.error('--element-priority must be rt, nice or none');
    process.exit(2);
  }
  // lib's cpuMeter finds the embedded server's processes under this directory
  process.env.GPTO_BENCH_DATA_DIR ??= 'data/bench-activation';
  if (!osmoHlrAvailable()) {
    console.error(`bench activation needs osmo-hlr: ${OSMO_HLR_SKIP_REASON}`);
    process.exit(2);
  }
  if (!keep) rmSync(process.env.GPTO_BENCH_DATA_DIR, { recursive: true, force: true });
  const rt = await openBenchRuntime({
    dataDir: process.env.GPTO_BENCH_DATA_DIR ?? 'data/bench-activation',
    pgPort: Number(process.env.GPTO_BENCH_PG_PORT ?? 54383),
    poolSize: 16,
  });
  if (process.env.GPTO_BENCH_WAL_LSN === '1') {
    // diagnosis: keep the phases' WAL for pg_waldump --stats over the printed ranges
    await sql`ALTER SYSTEM SET wal_keep_size = '8GB'`.execute(rt.db);
    await sql`SELECT pg_reload_conf()`.execute(rt.db);
  }
  const hlr = await startOsmoHlr();
  const sim = await startSwitchSim(switchResponseMs);
  const simPort = sim.port;
  const priority = {
    hlr: await prioritise(hlr.pid(), elementPriority),
    switchSim: await prioritise(sim.pid, elementPriority),
  };
  let stopLoops = new AbortController();
  let loops: Promise<void>[] = [];
  const wakes: Wake[] = [];
  const errors: unknown[] = [];
  let firstErrorAt = '';
  const secretKey = randomBytes(32);
  const inventory = createInventory(rt.db, secretKey);
  const workflow = createWorkflow(rt.db);
  const activation = createActivation(rt.db, {
    secretKey,
    keys: (iccid) => inventory.sims.authKeys(iccid, AUTOMATON_ACTOR),
    keysMany: (iccids) => inventory.sims.authKeysMany(iccids, AUTOMATON_ACTOR),
    workflow,
    onError: (e) => {
      errors.push(e);
      if (errors.length === 1)
        firstErrorAt = new Error('reported').stack?.split('\n').slice(2, 4).join(' ') ?? '';
    },
  });
  try {
    // The workers as `gpto start` runs them (its default loops and batch, src/config.ts): idle ones
    // wait on LISTEN (one per loop) and poll every 200 ms (the default). Before 2026-11-27 S8,
    // `gpto start` ran one loop of 20 and the bench two of 50. Before 2026-11-26 R3 they polled
    // every 20 ms without LISTEN: two transactions per worker every 20 ms while the phase waited on
    // the element, charged to the activations (≈ 3 statements and 0.7 commits per mobile activation
    // at 60/s).
    wakes.push(
      ...(await Promise.all(
        Array.from({ length: WORKFLOW_LOOPS_DEFAULT }, () => listenForReadyTasks(rt.url)),
      )),
    );
    const env = await environment();
    const s = activation.service;
    await s.upsertElement(
      {
        code: 'BENCH_HLR',
        kind: 'osmo_hlr',
        name: 'bench HLR',
        host: hlr.host,
        port: hlr.port,
        poolSize: conns,
        pipeline: depth,
        isDefault: true,
      },
      SYSTEM,
    );
    await s.upsertElement(
      {
        code: 'BENCH_SW',
        kind: 'mml_switch',
        name: 'bench switch',
        host: '127.0.0.1',
        port: simPort,
        username: 'gpto',
        password: 'gpto',
        poolSize: conns,
        pipeline: depth,
        isDefault: true,
      },
      SYSTEM,
    );
    await workflow.scenarios.createVersion(scenario('bench_act_mobile', 'mobile.activate'), SYSTEM);
    await workflow.scenarios.createVersion(scenario('bench_act_fixed', 'fixed.activate'), SYSTEM);
    // the workflow's own part: the same shape (one automatic step, then the end) with a step that
    // does nothing — the ceiling of any automaton behind these workers
    workflow.handlers.task('bench.noop', async () => ({ outcome: 'done' }));
    await workflow.scenarios.createVersion(
      {
        code: 'bench_act_noop',
        name: 'Benchmark: workflow only',
        start: ['step'],
        nodes: {
          step: {
            kind: 'automatic',
            label: 'No-op',
            actor: 'activation_automaton',
            handler: 'bench.noop',
            outcomes: ['done'],
          },
          done: { kind: 'end', label: 'Done', result: 'completed' },
        },
        transitions: [{ from: 'step', on: 'done', to: ['done'] }],
      } as ScenarioDef,
      SYSTEM,
    );

    // every run uses fresh numbers and cards (the bench database and HLR live on between runs)
    const seed = Math.floor(Date.now() / 1000) % 10000;
    const rawCards = makeCards(n, seed * 2);
    const rawCardsAfter = makeCards(n, 20000 + seed * 2);
    const autoCards = makeCards(n, seed * 2 + 1);
    const aloneCards = makeCards(n, 40000 + seed * 2);
    const msisdn = (set: number, i: number) =>
      `2217${set}${String(seed).padStart(4, '0')}${String(i).padStart(5, '0')}`;
    const dn = (set: number, i: number) =>
      `33${set}${String(seed).padStart(4, '0')}${String(i).padStart(5, '0')}`;
    console.log(`importing ${n} SIM cards into the inventory (setup, not timed)…`);
    for (let i = 0; i < n; i += 5000)
      await inventory.sims.importBatch(
        { batch: `BENCH${seed}X${i}`, manufacturer: 'bench', csv: cardsCsv(autoCards.slice(i, i + 5000)) },
        SYSTEM,
      );
    for (let i = 0; i < n; i += 5000)
      await inventory.sims.importBatch(
        { batch: `BENCH${seed}A${i}`, manufacturer: 'bench', csv: cardsCsv(aloneCards.slice(i, i + 5000)) },
        SYSTEM,
      );

    // --- mobile, raw client: the same operations, same connections, no database. It runs twice,
    // before and after the automaton phase (fresh cards and numbers each time), and the baseline is
    // the mean of the two: one raw phase alone moved 1,550–1,950/s from run to run (2026-11-27).
    const hlrPid = () => hlr.pid();
    const rawLat: number[] = [];
    const rawMobile = async (cards: TestCard[], set: number) => {
      const links = Array.from({ length: conns }, () => new HlrLink({ host: hlr.host }));
      const cost = await costMeter(rt.db, hlrPid);
      const t0 = performance.now();
      // conns × depth activations in flight, `depth` on each connection: what the automaton's pool does
      await lanes(
        cards.map((c, i) => ({ c, i })),
        conns * depth,
        async (lane, { c, i }: { c: TestCard; i: number }) => {
          const t = performance.now();
          await hlrOps.activate(directSession(links[lane % conns]!), {
            imsi: c.imsi,
            msisdn: msisdn(set, i),
            keys: c,
          });
          rawLat.push(performance.now() - t);
        },
      );
      const ms = performance.now() - t0;
      const costs = await cost(n);
      links.forEach((l) => l.close());
      return { ms, costs };
    };
    const rawBefore = await rawMobile(rawCards, 1);

    // --- mobile, through the workflow and the automaton
    console.log(`starting ${n} mobile requests (setup, not timed)…`);
    const mobileIds = await startInstances(
      rt.db,
      workflow.engine,
      'bench_act_mobile',
      autoCards.map((c, i) => ({
        line: msisdn(2, i),
        d: { directoryNumber: msisdn(2, i), simIccid: c.iccid },
      })),
      `m${seed}`,
    );
    await settle(rt.db);
    const state = { history: keep ? 'kept' : 'new database', ...(await databaseState(rt.db)) };
    const since = new Date();
    const mobileProfile = await statementProfile(rt.db);
    const autoCost = await costMeter(rt.db, hlrPid);
    const t1 = performance.now();
    // profiling aid: the phase's window on the monotonic clock a --cpu-prof profile uses (µs)
    if (process.env.GPTO_BENCH_MARKS === '1')
      console.log(`mark mobile-start ${process.hrtime.bigint() / 1000n}`);
    await s.loadElements();
    // the workers and the automaton run only while a phase is timed: requests started during a
    // phase's setup must not be worked before its clock starts
    // as `gpto start` runs them: the loops leave the automaton's steps ready while it is full
    const hold = holdWhileFull(activation.automaton, wakes);
    const resume = () => {
      stopLoops = new AbortController();
      activation.automaton.start();
      loops = wakes.map((wake) =>
        workLoop(rt.db, workflow.engine, {
          batch: WORKFLOW_BATCH_DEFAULT,
          signal: stopLoops.signal,
          actors: ['activation_automaton'],
          wake,
          hold,
        }),
      );
    };
    const pause = async () => {
      stopLoops.abort();
      await Promise.all(loops);
      await activation.automaton.stop();
    };
    resume();
    const mobile = await waitEnded(rt.db, mobileIds, 1_800_000);
    const autoMs = performance.now() - t1;
    if (process.env.GPTO_BENCH_MARKS === '1')
      console.log(`mark mobile-end ${process.hrtime.bigint() / 1000n}`);
    const autoCosts = await autoCost(n);
    const mobileStages = await stages(rt.db, 'BENCH_HLR', since, t1);
    await mobileProfile('mobile workflow + automaton', n);
    await pause();

    // --- mobile, the automaton alone (orders placed directly, no workflow): what the workflow adds
    await s.loadElements();
    const alone = await automatonAlone(
      rt.db,
      activation.automaton,
      'BENCH_HLR',
      'mobile.activate',
      aloneCards.map((c, i) => ({ iccid: c.iccid, msisdn: msisdn(5, i) })),
      () => costMeter(rt.db, hlrPid),
    );

    const rawAfter = await rawMobile(rawCardsAfter, 3);
    const rawMs = (rawBefore.ms + rawAfter.ms) / 2;
    const rawCosts = rawBefore.costs;

    // --- fixed: raw MML client vs the automaton, on the switch simulator
    const fixedRaw = Array.from({ length: n }, (_, i) => ({ dn: dn(1, i), en: `R${seed}-${i}` }));
    const swLinks = Array.from(
      { length: conns },
      () => new SwitchLink({ host: '127.0.0.1', port: simPort, user: 'gpto', password: 'gpto' }),
    );
    const fixedRawCost = await costMeter(rt.db, () => sim.pid);
    const t2 = performance.now();
    await lanes(fixedRaw, conns * depth, async (lane, x) => {
      await switchOps.activate(directSession(swLinks[lane % conns]!), {
        dn: x.dn,
        en: x.en,
        services: ['CLIP'],
      });
    });
    const fixedRawMs = performance.now() - t2;
    const fixedRawCosts = await fixedRawCost(n);
    swLinks.forEach((l) => l.close());
    const fixedIds = await startInstances(
      rt.db,
      workflow.engine,
      'bench_act_fixed',
      Array.from({ length: n }, (_, i) => ({
        line: dn(2, i),
        d: { directoryNumber: dn(2, i), equipmentNumber: `A${seed}-${i}`, services: ['CLIP'] },
      })),
      `f${seed}`,
    );
    await settle(rt.db);
    const fixedAutoCost = await costMeter(rt.db, () => sim.pid);
    const fixedSince = new Date();
    const t3 = performance.now();
    resume();
    const fixed = await waitEnded(rt.db, fixedIds, 1_800_000);
    const fixedAutoMs = performance.now() - t3;
    const fixedAutoCosts = await fixedAutoCost(n);
    const fixedStages = await stages(rt.db, 'BENCH_SW', fixedSince, t3);
    await pause();

    // --- fixed, the automaton alone
    const fixedAlone = await automatonAlone(
      rt.db,
      activation.automaton,
      'BENCH_SW',
      'fixed.activate',
      Array.from({ length: n }, (_, i) => ({ dn: dn(4, i), en: `L${seed}-${i}`, services: ['CLIP'] })),
      () => costMeter(rt.db, () => sim.pid),
    );

    // --- the workflow alone: the same number of one-step requests, no order, no element
    const noopIds = await startInstances(
      rt.db,
      workflow.engine,
      'bench_act_noop',
      Array.from({ length: n }, (_, i) => ({ line: dn(3, i), d: { directoryNumber: dn(3, i) } })),
      `w${seed}`,
    );
    await settle(rt.db);
    const noopCost = await costMeter(rt.db, () => null);
    const t4 = performance.now();
    resume();
    const noop = await waitEnded(rt.db, noopIds, 1_800_000);
    const noopMs = performance.now() - t4;
    const noopCosts = await noopCost(n);

    // --- on-demand line status through the same pools
    const qLat: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await s.query('fixed.status', { dn: dn(2, i % n) });
      qLat.push(performance.now() - t);
    }
    await pause();
    await activation.stop();

    const journal = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM act_command WHERE element_code = 'BENCH_HLR' AND sent_at >= ${since}`.execute(
      rt.db,
    );
    const rows = [
      {
        case: 'mobile raw CTRL client (both phases: the baseline)',
        activations: 2 * n,
        seconds: (2 * rawMs) / 1000,
        perSecond: (n * 1000) / rawMs,
        ratio: 1,
      },
      {
        case: 'mobile workflow + automaton',
        activations: mobile.completed,
        seconds: autoMs / 1000,
        perSecond: (mobile.completed * 1000) / autoMs,
        ratio: (mobile.completed * 1000) / autoMs / ((n * 1000) / rawMs),
      },
      {
        case: 'fixed raw MML client',
        activations: n,
        seconds: fixedRawMs / 1000,
        perSecond: (n * 1000) / fixedRawMs,
        ratio: 1,
      },
      {
        case: 'fixed workflow + automaton',
        activations: fixed.completed,
        seconds: fixedAutoMs / 1000,
        perSecond: (fixed.completed * 1000) / fixedAutoMs,
        ratio: (fixed.completed * 1000) / fixedAutoMs / ((n * 1000) / fixedRawMs),
      },
      {
        case: 'workflow only (no-op step, no order)',
        activations: noop.completed,
        seconds: noopMs / 1000,
        perSecond: (noop.completed * 1000) / noopMs,
        ratio: null,
      },
      {
        case: 'mobile automaton alone (orders placed directly, no workflow)',
        activations: n - alone.notDone,
        seconds: alone.ms / 1000,
        perSecond: ((n - alone.notDone) * 1000) / alone.ms,
        ratio: ((n - alone.notDone) * 1000) / alone.ms / ((n * 1000) / rawMs),
      },
      {
        case: 'fixed automaton alone (orders placed directly, no workflow)',
        activations: n - fixedAlone.notDone,
        seconds: fixedAlone.ms / 1000,
        perSecond: ((n - fixedAlone.notDone) * 1000) / fixedAlone.ms,
        ratio: ((n - fixedAlone.notDone) * 1000) / fixedAlone.ms / ((n * 1000) / fixedRawMs),
      },
    ];
    console.log(
      `mobile raw CTRL client: ${round((n * 1000) / rawBefore.ms)}/s before the automaton phase, ${round((n * 1000) / rawAfter.ms)}/s after`,
    );
    printTable(
      rows,
      `Activation: ${n} activations, ${conns} connection(s) per element, ${depth} in flight per connection; element priority: osmo-hlr ${priority.hlr}, switch-sim ${priority.switchSim}`,
    );
    const { deadRows, ...counts } = state;
    printTable(
      [
        {
          ...counts,
          deadRows: Object.entries(deadRows)
            .map(([t, d]) => `${t} ${d}`)
            .join(', '),
        },
      ],
      'Database at the start of the mobile automaton phase (rows; dead rows after the setup and its VACUUM ANALYZE)',
    );
    printTable(
      [
        { phase: 'mobile', ...mobileStages },
        { phase: 'fixed', ...fixedStages },
      ],
      'When the automaton phase got there (s from its start): every order queued by the workflow workers, first/last order finished',
    );
    const costs = {
      mobileRaw: rawCosts,
      mobileAutomaton: autoCosts,
      mobileAutomatonAlone: alone.costs,
      fixedRaw: fixedRawCosts,
      fixedAutomaton: fixedAutoCosts,
      fixedAutomatonAlone: fixedAlone.costs,
      workflowOnly: noopCosts,
    };
    printTable(
      Object.entries(costs).map(([k, c]) => ({ perActivation: k, ...c })),
      'Cost per activation (CPU ms; element = osmo-hlr for mobile, the `gpto switch-sim` process for fixed)',
    );
    const q = percentiles(qLat);
    const r = percentiles(rawLat);
    printTable([
      { what: 'raw mobile activation latency ms', ...r },
      { what: 'on-demand line status ms', ...q },
    ]);
    if (errors.length) {
      const e = errors[0] as { detail?: string; where?: string };
      console.log(
        `errors reported by the automaton: ${errors.length}; first: ${String(errors[0])}${e.detail ? ` (${e.detail})` : ''}${e.where ? ` at ${e.where}` : ''}; reported from ${firstErrorAt}`,
      );
    }
    printResult({
      bench: 'activation',
      n,
      connections: conns,
      pipeline: depth,
      elementPriority: priority,
      // the simulated exchange's time per command (0: it answers at once, the issue's set-up)
      switchResponseMs,
      database: state,
      costPerActivation: costs,
      stages: { mobile: mobileStages, fixed: fixedStages },
      mobile: {
        rawPerSecond: round(rows[0]!.perSecond),
        rawBeforePerSecond: round((n * 1000) / rawBefore.ms),
        rawAfterPerSecond: round((n * 1000) / rawAfter.ms),
        automatonPerSecond: round(rows[1]!.perSecond),
        ratio: round(rows[1]!.ratio!),
        completed: mobile.completed,
        notCompleted: mobile.other,
        // the issue's target is on the ratio above; this one says how much of the gap is the workflow's
        automatonAlonePerSecond: round(rows[5]!.perSecond),
        automatonAloneRatio: round(rows[5]!.ratio!),
        automatonAloneNotDone: alone.notDone,
      },
      fixed: {
        rawPerSecond: round(rows[2]!.perSecond),
        automatonPerSecond: round(rows[3]!.perSecond),
        ratio: round(rows[3]!.ratio!),
        completed: fixed.completed,
        notCompleted: fixed.other,
        automatonAlonePerSecond: round(rows[6]!.perSecond),
        automatonAloneRatio: round(rows[6]!.ratio!),
        automatonAloneNotDone: fixedAlone.notDone,
      },
      workflowOnly: {
        perSecond: round(rows[4]!.perSecond),
        completed: noop.completed,
        fixedAutomatonShare: round(rows[3]!.perSecond / rows[4]!.perSecond),
      },
      statusQueryMs: { p50: round(q.p50), p95: round(q.p95), max: round(q.max) },
      hlrCommandsJournaled: journal.rows[0]?.n ?? 0,
      target: 0.85,
      env,
    });
  } finally {
    stopLoops.abort();
    await activation.stop().catch(() => undefined);
    await Promise.all(wakes.map((w) => w.close()));
    sim.stop();
    await hlr.dispose();
    await rt.close();
  }
}
