// `npm run bench -- activation [n=2000] [connections=2]`: N mobile activations through the workflow
// and the activation automaton against one real osmo-hlr, beside the raw CTRL client driving the same
// operations (create, keys, MSISDN) on the same osmo-hlr with the same number of connections in the
// same run; likewise N fixed-line activations against the switch simulator. Target: the automaton's
// throughput ≥ 85 % of the raw client's.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { SYSTEM } from '../src/platform/events.js';
import type { Db } from '../src/platform/db.js';
import { createInventory } from '../src/modules/inventory/index.js';
import { createWorkflow, workLoop, type ScenarioDef } from '../src/modules/workflow/index.js';
import { activationSteps, AUTOMATON_ACTOR, createActivation } from '../src/modules/activation/index.js';
import { directSession } from '../src/modules/activation/drivers/direct-session.js';
import { HlrLink, hlrOps } from '../src/modules/activation/drivers/hlr.driver.js';
import { SwitchLink, switchOps } from '../src/modules/activation/drivers/switch.driver.js';
import { SwitchSimulator } from '../src/modules/activation/switch-sim/simulator.js';
import { cardsCsv, makeCards, type TestCard } from '../src/modules/activation/testing/fixtures.js';
import {
  osmoHlrAvailable,
  OSMO_HLR_SKIP_REASON,
  startOsmoHlr,
} from '../src/modules/activation/testing/osmo-hlr.js';
import { environment, openBenchRuntime, percentiles, printResult, printTable, round } from './lib.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

/** Waits until every instance has ended; returns how many completed. */
async function waitEnded(
  db: Db,
  ids: number[],
  maxMs: number,
): Promise<{ completed: number; other: number }> {
  const t0 = Date.now();
  for (;;) {
    const r = await sql<{ status: string; n: number }>`
      SELECT status, count(*)::int AS n FROM wf_instance WHERE id BETWEEN ${ids[0]} AND ${ids[ids.length - 1]} GROUP BY status`.execute(
      db,
    );
    const by = Object.fromEntries(r.rows.map((x) => [x.status, x.n]));
    const running = by.running ?? 0;
    if (running === 0 || Date.now() - t0 > maxMs)
      return { completed: by.completed ?? 0, other: ids.length - (by.completed ?? 0) };
    await sleep(50);
  }
}

export async function run(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 2000);
  const conns = Number(args[1] ?? 2);
  if (!osmoHlrAvailable()) {
    console.error(`bench activation needs osmo-hlr: ${OSMO_HLR_SKIP_REASON}`);
    process.exit(2);
  }
  const rt = await openBenchRuntime({
    dataDir: process.env.GPTO_BENCH_DATA_DIR ?? 'data/bench-activation',
    pgPort: Number(process.env.GPTO_BENCH_PG_PORT ?? 54383),
    poolSize: 16,
  });
  const hlr = await startOsmoHlr();
  const sim = new SwitchSimulator({ name: 'BENCH' });
  const simPort = await sim.start();
  const stopLoops = new AbortController();
  const errors: unknown[] = [];
  const inventory = createInventory(rt.db, randomBytes(32));
  const workflow = createWorkflow(rt.db);
  const activation = createActivation(rt.db, {
    keys: (iccid) => inventory.sims.authKeys(iccid, AUTOMATON_ACTOR),
    workflow,
    onError: (e) => errors.push(e),
  });
  try {
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
        isDefault: true,
      },
      SYSTEM,
    );
    await workflow.scenarios.createVersion(scenario('bench_act_mobile', 'mobile.activate'), SYSTEM);
    await workflow.scenarios.createVersion(scenario('bench_act_fixed', 'fixed.activate'), SYSTEM);

    // every run uses fresh numbers and cards (the bench database and HLR live on between runs)
    const seed = Math.floor(Date.now() / 1000) % 10000;
    const rawCards = makeCards(n, seed * 2);
    const autoCards = makeCards(n, seed * 2 + 1);
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

    // --- mobile, raw client: the same operations, same connections, no database
    const links = Array.from({ length: conns }, () => new HlrLink({ host: hlr.host }));
    const rawLat: number[] = [];
    const t0 = performance.now();
    await lanes(
      rawCards.map((c, i) => ({ c, i })),
      conns,
      async (lane, { c, i }: { c: TestCard; i: number }) => {
        const t = performance.now();
        await hlrOps.activate(directSession(links[lane]!), { imsi: c.imsi, msisdn: msisdn(1, i), keys: c });
        rawLat.push(performance.now() - t);
      },
    );
    const rawMs = performance.now() - t0;
    links.forEach((l) => l.close());

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
    const since = new Date();
    const t1 = performance.now();
    await s.loadElements();
    activation.automaton.start();
    const loops = [0, 1].map(() =>
      workLoop(rt.db, workflow.engine, {
        batch: 50,
        idleMs: 20,
        signal: stopLoops.signal,
        actors: ['activation_automaton'],
      }),
    );
    const mobile = await waitEnded(rt.db, mobileIds, 600_000);
    const autoMs = performance.now() - t1;

    // --- fixed: raw MML client vs the automaton, on the switch simulator
    const fixedRaw = Array.from({ length: n }, (_, i) => ({ dn: dn(1, i), en: `R${seed}-${i}` }));
    const swLinks = Array.from(
      { length: conns },
      () => new SwitchLink({ host: '127.0.0.1', port: simPort, user: 'gpto', password: 'gpto' }),
    );
    const t2 = performance.now();
    await lanes(fixedRaw, conns, async (lane, x) => {
      await switchOps.activate(directSession(swLinks[lane]!), { dn: x.dn, en: x.en, services: ['CLIP'] });
    });
    const fixedRawMs = performance.now() - t2;
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
    const t3 = performance.now();
    const fixed = await waitEnded(rt.db, fixedIds, 600_000);
    const fixedAutoMs = performance.now() - t3;

    // --- on-demand line status through the same pools
    const qLat: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await s.query('fixed.status', { dn: dn(2, i % n) });
      qLat.push(performance.now() - t);
    }
    stopLoops.abort();
    await Promise.all(loops);
    await activation.stop();

    const journal = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM act_command WHERE element_code = 'BENCH_HLR' AND sent_at >= ${since}`.execute(
      rt.db,
    );
    const rows = [
      {
        case: 'mobile raw CTRL client',
        activations: n,
        seconds: rawMs / 1000,
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
    ];
    printTable(rows, `Activation: ${n} activations, ${conns} connection(s) per element`);
    const q = percentiles(qLat);
    const r = percentiles(rawLat);
    printTable([
      { what: 'raw mobile activation latency ms', ...r },
      { what: 'on-demand line status ms', ...q },
    ]);
    if (errors.length)
      console.log(`errors reported by the automaton: ${errors.length}; first: ${String(errors[0])}`);
    printResult({
      bench: 'activation',
      n,
      connections: conns,
      mobile: {
        rawPerSecond: round(rows[0]!.perSecond),
        automatonPerSecond: round(rows[1]!.perSecond),
        ratio: round(rows[1]!.ratio),
        completed: mobile.completed,
        notCompleted: mobile.other,
      },
      fixed: {
        rawPerSecond: round(rows[2]!.perSecond),
        automatonPerSecond: round(rows[3]!.perSecond),
        ratio: round(rows[3]!.ratio),
        completed: fixed.completed,
        notCompleted: fixed.other,
      },
      statusQueryMs: { p50: round(q.p50), p95: round(q.p95), max: round(q.max) },
      hlrCommandsJournaled: journal.rows[0]?.n ?? 0,
      target: 0.85,
      env,
    });
  } finally {
    stopLoops.abort();
    await activation.stop().catch(() => undefined);
    await sim.stop();
    await hlr.dispose();
    await rt.close();
  }
}
