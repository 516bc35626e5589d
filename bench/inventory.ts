// `npm run bench -- inventory [--scale 1] [--seconds 20] [--callers 8]`
// A generated plant of 1 M pairs, 500 k numbers and 100 k SIM cards (× scale); automatic study +
// reservation throughput with 8 concurrent callers and its p99, beside pgbench TPC-B on the same
// server in the same run; and the time to resume 10 k held requests after one capacity event.
import { sql } from 'kysely';
import { createInventory, type InventoryServices } from '../src/modules/inventory/index.js';
import { plantWriters } from '../src/modules/inventory/plant.service.js';
import { withLuhn } from '../src/modules/inventory/sim.service.js';
import { SYSTEM } from '../src/platform/events.js';
import type { Executor } from '../src/platform/db.js';
import type { CapacitySignal } from '../src/modules/inventory/index.js';
import type { Runtime } from '../src/platform/runtime.js';
import {
  ensurePgbench,
  environment,
  openBenchRuntime,
  percentiles,
  printResult,
  printTable,
  runPgbench,
} from './lib.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

const SITES = 10;
const SDF_PER_SITE = 20;
const CP_PER_SDF = 10;

/** Builds the plant through the same writers as the API and CSV import (pairs come from generate_series). */
async function generate(rt: Runtime, inv: InventoryServices, scale: number): Promise<Record<string, number>> {
  const done = await rt.db
    .selectFrom('setting')
    .select('value')
    .where('key', '=', `bench_inventory_${scale}`)
    .executeTakeFirst();
  if (done) return done.value as Record<string, number>;
  const t0 = performance.now();
  const primaryPairs = Math.max(50, Math.round(2000 * scale));
  const distPairs = Math.max(20, Math.round(300 * scale));
  const ports = Math.max(100, Math.round(20000 * scale));
  const numbersPerSite = Math.max(1000, Math.round(50000 * scale));
  const w = (fn: (t: Executor, s: CapacitySignal[]) => Promise<unknown>) =>
    inv.plant.write('bench', 'bench', fn, { code: 'bench' }, SYSTEM, false);
  for (let s = 0; s < SITES; s++) {
    const site = `BS${s}`;
    await w((t) => plantWriters.site(t, { code: site, name: `Bench site ${s}`, locality: 'Bench' }));
    await w((t) => plantWriters.switch(t, { code: `${site}-SW`, site, name: 'switch' }));
    await w((t) => plantWriters.mdf(t, { code: `${site}-MDF`, site, name: 'mdf' }));
    for (let card = 0; card * 10000 < ports; card++)
      await w((t, sig) =>
        plantWriters.ports(
          t,
          {
            switch: `${site}-SW`,
            mdf: `${site}-MDF`,
            shelf: 1,
            card,
            ports: Math.min(10000, ports - card * 10000),
          },
          sig,
        ),
      );
    for (let d = 0; d < SDF_PER_SITE; d++) {
      const sdf = `${site}-SR${d}`;
      await w((t) => plantWriters.sdf(t, { code: sdf, site, name: sdf, locality: 'Bench', district: sdf }));
      await w((t, sig) =>
        plantWriters.cable(
          t,
          { code: `${sdf}-P`, kind: 'primary', mdf: `${site}-MDF`, sdf, pairs: primaryPairs },
          sig,
        ),
      );
      await rt.db.transaction().execute(async (t) => {
        const sig: never[] = [];
        for (let c = 0; c < CP_PER_SDF; c++) {
          const cp = `${sdf}-PC${c}`;
          await plantWriters.cp(t, { code: cp, sdf, name: cp, locality: 'Bench', district: cp });
          await plantWriters.cable(
            t,
            { code: `${cp}-D`, kind: 'distribution', sdf, cp, pairs: distPairs },
            sig,
          );
          await plantWriters.servingArea(t, { locality: 'Bench', district: cp, cp }, sig);
        }
      });
    }
    await inv.pools.create({ code: `FIXE-${site}`, product: 'FIXE', site }, SYSTEM);
    const first = 330000000 + s * 1000000;
    await inv.pools.addRange(
      `FIXE-${site}`,
      { first: String(first), last: String(first + numbersPerSite - 1) },
      SYSTEM,
    );
  }
  const sims = Math.max(1000, Math.round(100000 * scale));
  for (let b = 0; b * 10000 < sims; b++) {
    const rows = ['iccid,imsi,ki,opc,pin1,puk1,pin2,puk2'];
    for (let i = b * 10000; i < Math.min(sims, (b + 1) * 10000); i++)
      rows.push(
        [
          withLuhn(`8922199${String(i).padStart(11, '0')}`),
          `60809${String(i).padStart(10, '0')}`,
          'A'.repeat(32),
          'B'.repeat(32),
          '0000',
          String(10000000 + i),
          '1234',
          String(20000000 + i),
        ].join(','),
      );
    await inv.sims.importBatch({ batch: `BENCH-${b}`, manufacturer: 'bench', csv: rows.join('\n') }, SYSTEM);
  }
  const counts = (
    await sql<{ pairs: number; numbers: number; sims: number; ports: number }>`
      SELECT (SELECT count(*)::int FROM inv_pair) AS pairs, (SELECT count(*)::int FROM inv_number) AS numbers,
             (SELECT count(*)::int FROM inv_sim) AS sims, (SELECT count(*)::int FROM inv_port) AS ports`.execute(
      rt.db,
    )
  ).rows[0] as Record<string, number>;
  const out = { ...counts, generateSeconds: (performance.now() - t0) / 1000 };
  await rt.db
    .insertInto('setting')
    .values({ key: `bench_inventory_${scale}`, value: JSON.stringify(out) })
    .execute();
  await sql`ANALYZE`.execute(rt.db);
  return out;
}

export async function run(): Promise<void> {
  const scale = arg('scale', 1);
  const seconds = arg('seconds', 20);
  const callers = arg('callers', 8);
  const pendingCount = arg('pending', 10000);
  const rt = await openBenchRuntime({
    dataDir: process.env.GPTO_BENCH_DATA_DIR ?? 'data/bench-inventory',
    poolSize: callers + 4,
  });
  try {
    const inv = createInventory(rt.db);
    console.log(`generating the plant (scale ${scale}) if not there yet…`);
    const plant = await generate(rt, inv, scale);
    printTable([plant], 'plant');

    // Study + reservation: each caller studies random addresses among the generated CPs.
    const runId = Date.now().toString(36);
    const latencies: number[] = [];
    let feasible = 0;
    let n = 0;
    const until = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: callers }, async (_, c) => {
        while (performance.now() < until) {
          const s = Math.floor(Math.random() * SITES);
          const d = Math.floor(Math.random() * SDF_PER_SITE);
          const p = Math.floor(Math.random() * CP_PER_SDF);
          const t0 = performance.now();
          const r = await inv.service.study(
            {
              requestRef: `B-${runId}-${c}-${n++}`,
              kind: 'fixed_wired',
              product: 'FIXE',
              address: { locality: 'Bench', district: `BS${s}-SR${d}-PC${p}` },
            },
            SYSTEM,
          );
          latencies.push(performance.now() - t0);
          if (r.feasible) feasible++;
        }
      }),
    );
    const lat = percentiles(latencies);
    const studyTps = latencies.length / seconds;

    // pgbench TPC-B on the same server, same number of clients, same duration.
    await ensurePgbench(rt.url, 10);
    const pgb = await runPgbench(rt.url, { mode: 'tpcb', clients: callers, seconds });
    printTable(
      [
        {
          what: 'study + reservation',
          tps: studyTps,
          p50ms: lat.p50,
          p95ms: lat.p95,
          p99ms: lat.p99,
          feasible,
          calls: lat.count,
        },
        {
          what: 'pgbench TPC-B',
          tps: pgb.tps,
          p50ms: pgb.latencyMs,
          p95ms: null,
          p99ms: null,
          feasible: null,
          calls: pgb.transactions,
        },
      ],
      `throughput with ${callers} concurrent callers for ${seconds} s`,
    );

    // 10 k held requests on one saturated concentration point, then one capacity event.
    const sdf = `HOLD-${runId}`.toUpperCase();
    const cp = `${sdf}-PC`;
    const w = (fn: (t: Executor, s: CapacitySignal[]) => Promise<unknown>) =>
      inv.plant.write('bench', 'bench', fn, { code: 'bench' }, SYSTEM, false);
    await w((t) => plantWriters.site(t, { code: sdf, name: 'hold site', locality: 'Hold' }));
    await w((t) => plantWriters.switch(t, { code: `${sdf}-SW`, site: sdf, name: 'switch' }));
    await w((t) => plantWriters.mdf(t, { code: `${sdf}-MDF`, site: sdf, name: 'mdf' }));
    for (let card = 0; card * 10000 < pendingCount; card++)
      await w((t, sig) =>
        plantWriters.ports(
          t,
          {
            switch: `${sdf}-SW`,
            mdf: `${sdf}-MDF`,
            shelf: 1,
            card,
            ports: Math.min(10000, pendingCount - card * 10000),
          },
          sig,
        ),
      );
    await w((t) => plantWriters.sdf(t, { code: `${sdf}-SR`, site: sdf, name: 'sdf', locality: 'Hold' }));
    await w((t, sig) =>
      plantWriters.cable(
        t,
        {
          code: `${sdf}-P`,
          kind: 'primary',
          mdf: `${sdf}-MDF`,
          sdf: `${sdf}-SR`,
          pairs: Math.min(10000, pendingCount),
        },
        sig,
      ),
    );
    await w((t) =>
      plantWriters.cp(t, { code: cp, sdf: `${sdf}-SR`, name: 'cp', locality: 'Hold', district: runId }),
    );
    await w((t, sig) =>
      plantWriters.cable(t, { code: `${cp}-D`, kind: 'distribution', sdf: `${sdf}-SR`, cp, pairs: 1 }, sig),
    );
    await w((t, sig) => plantWriters.servingArea(t, { locality: 'Hold', district: runId, cp }, sig));
    await inv.pools.create({ code: `P-${sdf}`.slice(0, 30), product: 'FIXE', site: sdf }, SYSTEM);
    await inv.pools.addRange(
      `P-${sdf}`.slice(0, 30),
      {
        first: String(400000000 + (Date.now() % 500) * 100000),
        last: String(400000000 + (Date.now() % 500) * 100000 + pendingCount + 999),
      },
      SYSTEM,
    );
    await inv.service.study(
      {
        requestRef: `H-${runId}-first`,
        kind: 'fixed_wired',
        product: 'FIXE',
        address: { locality: 'Hold', district: runId },
      },
      SYSTEM,
    );
    await sql`
      INSERT INTO inv_pending (request_ref, kind, product_code, address, locality, district, zone_key, cause, element_type, element_code, detail)
      SELECT 'H-' || ${runId} || '-' || i, 'fixed_wired', 'FIXE', jsonb_build_object('locality', 'Hold', 'district', ${runId}::text), 'Hold', ${runId}, 'hold/' || ${runId},
             'saturation', 'cp', ${cp}, 'bench' FROM generate_series(1, ${pendingCount}::int) i`.execute(
      rt.db,
    );
    const t0 = performance.now();
    await w((t, sig) =>
      plantWriters.cable(
        t,
        {
          code: `${cp}-D`,
          kind: 'distribution',
          sdf: `${sdf}-SR`,
          cp,
          pairs: Math.min(10000, pendingCount + 1),
        },
        sig,
      ),
    );
    const resumeSeconds = (performance.now() - t0) / 1000;
    const resumed =
      (
        await sql<{
          n: number;
        }>`SELECT count(*)::int AS n FROM inv_pending WHERE element_code = ${cp} AND status = 'resumed'`.execute(
          rt.db,
        )
      ).rows[0]?.n ?? 0;
    printTable(
      [{ held: pendingCount, resumed, seconds: resumeSeconds, perSecond: resumed / resumeSeconds }],
      'resume held requests after one capacity event',
    );

    printResult({
      bench: 'inventory',
      ...(await environment()),
      plant,
      callers,
      seconds,
      study: { tps: studyTps, p50Ms: lat.p50, p95Ms: lat.p95, p99Ms: lat.p99, feasible, calls: lat.count },
      pgbenchTpcb: { tps: pgb.tps, latencyMs: pgb.latencyMs, clients: callers },
      ratioToPgbench: studyTps / pgb.tps,
      resume: { held: pendingCount, resumed, seconds: resumeSeconds },
    });
  } finally {
    await rt.close();
  }
}
