// `npm run bench -- workflow [requests=2000] [workers=4] [batch=50]`: N instances of a fully
// automatic 5-step scenario pushed through the engine by K competing workers (SKIP LOCKED, batch
// per commit), then pgbench TPC-B with 4 clients on the same server in the same run.
import { sql } from 'kysely';
import { SYSTEM } from '../src/platform/events.js';
import { createWorkflow, workOnce, type ScenarioDef } from '../src/modules/workflow/index.js';
import {
  ensurePgbench,
  environment,
  openBenchRuntime,
  percentiles,
  printResult,
  printTable,
  runPgbench,
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

export async function run(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 2000);
  const k = Number(args[1] ?? 4);
  const batch = Number(args[2] ?? 50);
  const rt = await openBenchRuntime({
    dataDir: process.env.GPTO_BENCH_DATA_DIR ?? 'data/bench-workflow',
    pgPort: Number(process.env.GPTO_BENCH_PG_PORT ?? 54363),
    poolSize: k + 4,
  });
  try {
    const wf = createWorkflow(rt.db);
    // a step that records what it did in the instance's data, like a real step's small domain write
    wf.handlers.task('bench.step', async (ctx) => ({
      outcome: 'ok',
      data: { [`${ctx.task.node}At`]: ctx.now.toISOString() },
    }));
    await wf.scenarios.createVersion(scenario, SYSTEM);
    const runId = `bench-${Date.now()}`;
    for (let i = 0; i < n; i += 200) {
      await rt.db.transaction().execute(async (trx) => {
        for (let j = i; j < Math.min(n, i + 200); j++) {
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
    const t0 = performance.now();
    let completed = 0;
    await Promise.all(
      Array.from({ length: k }, async () => {
        for (;;) {
          const r = await workOnce(rt.db, wf.engine, { batch });
          completed += r.completed;
          if (r.claimed === 0) {
            const left = await rt.db
              .selectFrom('wf_instance')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .where('subject_type', '=', runId)
              .where('status', '=', 'running')
              .executeTakeFirstOrThrow();
            if (Number(left.n) === 0) return;
            await new Promise((r2) => setTimeout(r2, 5));
          }
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const delays = await sql<{ ms: number }>`
      SELECT extract(epoch FROM (s.claimed_at - p.completed_at)) * 1000 AS ms
      FROM wf_task s JOIN wf_task p ON p.id = s.from_task_id
      JOIN wf_instance i ON i.id = s.instance_id
      WHERE i.subject_type = ${runId} AND s.claimed_at IS NOT NULL`.execute(rt.db);
    const d = percentiles(delays.rows.map((r) => Number(r.ms)).sort((a, b) => a - b));
    const transitionsPerSecond = completed / seconds;
    await ensurePgbench(rt.url, 10);
    const tpcb = await runPgbench(rt.url, { mode: 'tpcb', clients: 4, seconds: 10 });
    printTable(
      [
        { figure: 'transitions/s', value: transitionsPerSecond },
        { figure: 'completion→claimed p50 ms', value: d.p50 },
        { figure: 'completion→claimed p99 ms', value: d.p99 },
        { figure: 'pgbench TPC-B 4 clients tx/s', value: tpcb.tps },
        { figure: 'ratio transitions/s ÷ TPC-B tx/s', value: transitionsPerSecond / tpcb.tps },
      ],
      `workflow: ${n} requests × ${STEPS} automatic steps, ${k} workers, batch ${batch}`,
    );
    printResult({
      bench: 'workflow',
      requests: n,
      steps: STEPS,
      workers: k,
      batch,
      transitions: completed,
      seconds,
      transitionsPerSecond,
      delayMs: d,
      pgbenchTpcb4: tpcb.tps,
      ratio: transitionsPerSecond / tpcb.tps,
      env: await environment(),
    });
  } finally {
    await rt.close();
  }
}
