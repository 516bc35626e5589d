// `npm run bench -- workflow [--requests 1000] [--workers 4] [--batch 50] [--rate R] [--seconds 20]
//   [--chain on|off] [--pgbench-seconds 10]`
// N instances of a fully automatic 5-step scenario pushed through the engine by K workers, each a
// process of its own (bench/_workflow-worker.ts: the real workLoop, LISTEN wake-up), on the same
// PostgreSQL as pgbench TPC-B with 4 clients. Phases (after a 200-request warm-up), interleaved so
// that the baseline and the measurement see the same (shared-machine) load:
//   pgbench 1 → backlog (N instances queued, then the workers start) → pgbench 2 →
//   steady arrivals (R requests/s for S seconds, workers already idle) → pgbench 3.
// Figures: completed transitions/s; delay from a task's completion to its successor being claimed
// (successor.claimed_at − predecessor.completed_at, both the workers' clocks at step start); the
// workers' transaction durations (how long a completed step waits for its commit, at most); the
// request's start→end time in the steady phase; the load average of the machine in each phase.
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { SYSTEM } from '../src/platform/events.js';
import { createWorkflow, type HandlerRegistry, type ScenarioDef } from '../src/modules/workflow/index.js';
import type { Db } from '../src/platform/db.js';
import {
  ensurePgbench,
  environment,
  openBenchRuntime,
  percentiles,
  printResult,
  printTable,
  runPgbench,
  type Percentiles,
} from './lib.js';

const STEPS = 5;

const scenario: ScenarioDef = {
  code: 'bench_auto',
  name: 'Benchmark: five automatic steps',
  start: ['s1'],
  nodes: {
    ...Object.fromEntries(
      Array.from({ length: STEPS }, (_, i) => [
        `s${i + 1}`,
        {
          kind: 'automatic',
          label: `Step ${i + 1}`,
          actor: 'workflow_automaton',
          handler: 'bench.step',
          outcomes: ['ok'],
        },
      ]),
    ),
    done: { kind: 'end', label: 'Done', result: 'completed' },
  },
  transitions: Array.from({ length: STEPS }, (_, i) => ({
    from: `s${i + 1}`,
    on: 'ok',
    to: [i + 1 < STEPS ? `s${i + 2}` : 'done'],
  })),
};

/** The step every node runs: records what it did in the instance's data, like a small domain write. */
export function registerBenchStep(handlers: HandlerRegistry): void {
  handlers.task('bench.step', async (ctx) => ({
    outcome: 'ok',
    data: { [`${ctx.task.node}At`]: ctx.now.toISOString() },
  }));
}

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

interface WorkerStats {
  pid: number;
  rounds: number;
  busyRounds: number;
  transitions: number;
  failed: number;
  errors: number;
  roundMs: number[];
}

/** K worker processes, started idle; `go` starts their loops, `stats` collects and resets their counters. */
async function startWorkers(url: string, k: number, batch: number, chain: boolean) {
  const script = fileURLToPath(new URL('./_workflow-worker.ts', import.meta.url));
  const children: ChildProcess[] = [];
  const waiting = new Map<ChildProcess, (s: WorkerStats) => void>();
  const pausing = new Map<ChildProcess, () => void>();
  await Promise.all(
    Array.from({ length: k }, () => {
      const child = spawn(process.execPath, [...process.execArgv, script], {
        env: {
          ...process.env,
          DATABASE_URL: url,
          WORKER_BATCH: String(batch),
          WORKER_CHAIN: chain ? 'on' : 'off',
        },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      children.push(child);
      return new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          if (line === 'ready') resolve();
          else if (line === 'paused') {
            pausing.get(child)?.();
            pausing.delete(child);
          } else if (line.startsWith('stats ')) {
            waiting.get(child)?.(JSON.parse(line.slice(6)) as WorkerStats);
            waiting.delete(child);
          }
        });
        child.once('exit', (code) => reject(new Error(`worker exited with code ${code}`)));
      });
    }),
  );
  return {
    go: () => children.forEach((c) => c.stdin!.write('go\n')),
    pause: () =>
      Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              pausing.set(c, resolve);
              c.stdin!.write('pause\n');
            }),
        ),
      ),
    stats: () =>
      Promise.all(
        children.map(
          (c) =>
            new Promise<WorkerStats>((resolve) => {
              waiting.set(c, resolve);
              c.stdin!.write('stats\n');
            }),
        ),
      ),
    stop: () =>
      Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              c.removeAllListeners('exit');
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGTERM');
            }),
        ),
      ),
  };
}

/** Starts `count` instances in one transaction (an arrival tick, or a chunk of the backlog). */
async function startInstances(
  db: Db,
  wf: ReturnType<typeof createWorkflow>,
  runId: string,
  from: number,
  count: number,
) {
  await db.transaction().execute(async (trx) => {
    for (let j = from; j < from + count; j++) {
      await wf.engine.start(trx, {
        scenarioCode: 'bench_auto',
        subjectType: runId,
        subjectId: String(j),
        customerId: null,
        lineId: null,
        data: {},
        by: SYSTEM,
      });
    }
  });
}

async function ended(db: Db, runId: string): Promise<number> {
  const r = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM wf_instance WHERE subject_type = ${runId} AND status <> 'running'`.execute(
    db,
  );
  return r.rows[0]?.n ?? 0;
}

async function waitEnded(db: Db, runId: string, n: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await ended(db, runId)) >= n) return true;
    await sleep(20);
  }
  return false;
}

/** Completion → successor claimed, and the request's start → end, for one phase's instances. */
async function delays(db: Db, runId: string): Promise<{ handoff: Percentiles; request: Percentiles }> {
  const h = await sql<{ ms: number }>`
    SELECT extract(epoch FROM (s.claimed_at - p.completed_at)) * 1000 AS ms
    FROM wf_task s JOIN wf_task p ON p.id = s.from_task_id
    JOIN wf_instance i ON i.id = s.instance_id
    WHERE i.subject_type = ${runId} AND s.claimed_at IS NOT NULL`.execute(db);
  const r = await sql<{ ms: number }>`
    SELECT extract(epoch FROM (ended_at - created_at)) * 1000 AS ms
    FROM wf_instance WHERE subject_type = ${runId} AND ended_at IS NOT NULL`.execute(db);
  return {
    handoff: percentiles(h.rows.map((x) => Number(x.ms))),
    request: percentiles(r.rows.map((x) => Number(x.ms))),
  };
}

const roundsOf = (stats: WorkerStats[]) => ({
  transitions: stats.reduce((a, s) => a + s.transitions, 0),
  failed: stats.reduce((a, s) => a + s.failed, 0),
  errors: stats.reduce((a, s) => a + s.errors, 0),
  busyRounds: stats.reduce((a, s) => a + s.busyRounds, 0),
  roundMs: percentiles(stats.flatMap((s) => s.roundMs)),
});

export async function run(args: string[]): Promise<void> {
  const n = Number(option(args, 'requests', '1000'));
  const k = Number(option(args, 'workers', '4'));
  const batch = Number(option(args, 'batch', '50'));
  const steadySeconds = Number(option(args, 'seconds', '20'));
  const chain = option(args, 'chain', 'on') !== 'off';
  const pgbenchSeconds = Number(option(args, 'pgbench-seconds', '10'));
  const rt = await openBenchRuntime({
    dataDir: process.env.GPTO_BENCH_DATA_DIR ?? 'data/bench-workflow',
    pgPort: Number(process.env.GPTO_BENCH_PG_PORT ?? 54363),
    poolSize: 4,
  });
  let workers: Awaited<ReturnType<typeof startWorkers>> | undefined;
  try {
    const wf = createWorkflow(rt.db);
    registerBenchStep(wf.handlers);
    await wf.scenarios.createVersion(scenario, SYSTEM);
    await ensurePgbench(rt.url, 10);
    // Earlier runs' rows stay in the bench database; start from a checkpointed, analysed state.
    await sql`VACUUM ANALYZE wf_task`.execute(rt.db);
    await sql`VACUUM ANALYZE wf_instance`.execute(rt.db);
    await sql`CHECKPOINT`.execute(rt.db);
    const baseline: { phase: string; tps: number; load: number[] }[] = [];
    const pgbench = async (phase: string) => {
      const r = await runPgbench(rt.url, { mode: 'tpcb', clients: 4, seconds: pgbenchSeconds });
      baseline.push({ phase, tps: r.tps, load: load() });
      return r.tps;
    };
    workers = await startWorkers(rt.url, k, batch, chain);
    const stamp = Date.now();
    // Warm-up (JIT, scenario cache, connections) before anything is measured; the workers then
    // stay running and idle until the backlog is queued.
    const warmId = `bench-${stamp}-warmup`;
    const warm = Math.min(n, 200);
    await startInstances(rt.db, wf, warmId, 0, warm);
    workers.go();
    await waitEnded(rt.db, warmId, warm, 120_000);
    await workers.pause();
    await workers.stats();

    await pgbench('before backlog');

    // Backlog: the whole load queued first, then the workers let loose on it.
    const backlogId = `bench-${stamp}-backlog`;
    const loadStart = performance.now();
    for (let i = 0; i < n; i += 100) await startInstances(rt.db, wf, backlogId, i, Math.min(100, n - i));
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const backlogLoad0 = load();
    const t0 = performance.now();
    workers.go();
    const backlogDone = await waitEnded(rt.db, backlogId, n, 600_000);
    const backlogSeconds = (performance.now() - t0) / 1000;
    const backlogRounds = roundsOf(await workers.stats());
    const backlogDelays = await delays(rt.db, backlogId);
    const backlogTps = (n * STEPS) / backlogSeconds;
    const backlogLoad = load();

    await pgbench('after backlog');

    // Steady arrivals: R requests/s (default half the backlog throughput), in 20 ms ticks.
    const rate = Number(option(args, 'rate', String(Math.max(1, Math.round(backlogTps / STEPS / 2)))));
    const steadyId = `bench-${stamp}-steady`;
    const s0 = performance.now();
    let started = 0;
    while (performance.now() - s0 < steadySeconds * 1000) {
      const due = Math.floor(((performance.now() - s0) / 1000) * rate) - started;
      if (due > 0) {
        await startInstances(rt.db, wf, steadyId, started, due);
        started += due;
      }
      await sleep(20);
    }
    const arrivalSeconds = (performance.now() - s0) / 1000;
    const steadyDone = await waitEnded(rt.db, steadyId, started, 120_000);
    const steadySecondsAll = (performance.now() - s0) / 1000;
    const steadyRounds = roundsOf(await workers.stats());
    const steadyDelays = await delays(rt.db, steadyId);
    const steadyLoad = load();

    await pgbench('after steady');
    await workers.stop();
    workers = undefined;

    const tpcb = baseline.reduce((a, b) => a + b.tps, 0) / baseline.length;
    const steadyTps = (started * STEPS) / steadySecondsAll;
    printTable(
      baseline.map((b) => ({ 'pgbench TPC-B 4 clients': b.phase, 'tx/s': b.tps, load: b.load.join(' ') })),
      `baseline, ${pgbenchSeconds} s slices interleaved with the measurement`,
    );
    printTable(
      [
        {
          phase: `backlog ${n}×${STEPS}`,
          done: backlogDone,
          'transitions/s': backlogTps,
          'ratio to TPC-B': backlogTps / tpcb,
          'handoff p50 ms': backlogDelays.handoff.p50,
          'handoff p99 ms': backlogDelays.handoff.p99,
          'txn p50 ms': backlogRounds.roundMs.p50,
          'txn p99 ms': backlogRounds.roundMs.p99,
          'request p50 ms': backlogDelays.request.p50,
          'request p99 ms': backlogDelays.request.p99,
          load: backlogLoad.join(' '),
        },
        {
          phase: `steady ${rate}/s × ${steadySeconds} s`,
          done: steadyDone,
          'transitions/s': steadyTps,
          'ratio to TPC-B': steadyTps / tpcb,
          'handoff p50 ms': steadyDelays.handoff.p50,
          'handoff p99 ms': steadyDelays.handoff.p99,
          'txn p50 ms': steadyRounds.roundMs.p50,
          'txn p99 ms': steadyRounds.roundMs.p99,
          'request p50 ms': steadyDelays.request.p50,
          'request p99 ms': steadyDelays.request.p99,
          load: steadyLoad.join(' '),
        },
      ],
      `workflow: ${k} worker processes, batch ${batch}, chain ${chain ? 'on' : 'off'}; mean TPC-B ${Math.round(tpcb)} tx/s`,
    );
    printResult({
      bench: 'workflow',
      steps: STEPS,
      workers: k,
      batch,
      chain,
      pgbenchTpcb4: { mean: tpcb, slices: baseline },
      backlog: {
        requests: n,
        done: backlogDone,
        loadSeconds,
        seconds: backlogSeconds,
        transitionsPerSecond: backlogTps,
        ratio: backlogTps / tpcb,
        handoffMs: backlogDelays.handoff,
        requestMs: backlogDelays.request,
        workerTxnMs: backlogRounds.roundMs,
        workerRounds: backlogRounds.busyRounds,
        failed: backlogRounds.failed,
        errors: backlogRounds.errors,
        loadAvgAtStart: backlogLoad0,
        loadAvgAtEnd: backlogLoad,
      },
      steady: {
        ratePerSecond: rate,
        requests: started,
        done: steadyDone,
        arrivalSeconds,
        seconds: steadySecondsAll,
        transitionsPerSecond: steadyTps,
        handoffMs: steadyDelays.handoff,
        requestMs: steadyDelays.request,
        workerTxnMs: steadyRounds.roundMs,
        workerRounds: steadyRounds.busyRounds,
        failed: steadyRounds.failed,
        errors: steadyRounds.errors,
        loadAvgAtEnd: steadyLoad,
      },
      env: await environment(),
    });
  } finally {
    await workers?.stop();
    await rt.close();
  }
}
