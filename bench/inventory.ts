// `npm run bench -- inventory [--scale 1] [--seconds 20] [--callers 8]`
// A generated plant of 1 M pairs, 500 k numbers and 100 k SIM cards (× scale); automatic study +
// reservation throughput with 8 concurrent callers and its p99, beside pgbench TPC-B on the same
// server in the same run; and the time to resume 10 k held requests after one capacity event.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import {
  createInventory,
  defaultStudyLanes,
  type InventoryServices,
} from '../src/modules/inventory/index.js';
import { plantWriters } from '../src/modules/inventory/plant.writers.js';
import { withLuhn } from '../src/modules/inventory/sim.service.js';
import { SYSTEM } from '../src/platform/events.js';
import type { Executor } from '../src/platform/db.js';
import type { CapacitySignal } from '../src/modules/inventory/index.js';
import type { Runtime } from '../src/platform/runtime.js';
import {
  cpuMeter,
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
/** Ports per card and cards per shelf of the generated switches (equipment number SW-SS-CC-PPP). */
const PORTS_PER_CARD = 100;
const CARDS_PER_SHELF = 20;
const SIM_BATCH = 10_000;

/**
 * Builds the plant set-based: one INSERT … SELECT over generate_series per kind of resource, with the
 * names the plant writers give (equipment numbers SW-SS-CC-PPP on horizontal positions H…, primary
 * pairs on vertical positions V<cable>/NNNN), then the number ranges and the SIM batches through the
 * services themselves (number pools with golden-number marking, manufacturer files parsed, checked
 * and sealed with AES-GCM). Generated once per data dir and scale.
 */
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
  const steps: Record<string, number> = {};
  const step = async (name: string, fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    steps[name] = (performance.now() - t) / 1000;
    console.log(`  ${name}: ${steps[name].toFixed(1)} s`);
  };
  await step('sites, switches, MDFs, cabinets, CPs, cables, serving areas', () =>
    rt.db.transaction().execute(async (t) => {
      await sql`
        INSERT INTO inv_site (code, name, locality)
        SELECT 'BS' || s, 'Bench site ' || s, 'Bench' FROM generate_series(0, ${SITES - 1}::int) s`.execute(
        t,
      );
      await sql`
        INSERT INTO inv_switch (code, site_id, name) SELECT code || '-SW', id, 'switch' FROM inv_site WHERE code ~ '^BS[0-9]+$'`.execute(
        t,
      );
      await sql`
        INSERT INTO inv_mdf (code, site_id, name) SELECT code || '-MDF', id, 'mdf' FROM inv_site WHERE code ~ '^BS[0-9]+$'`.execute(
        t,
      );
      await sql`
        INSERT INTO inv_sdf (code, site_id, name, locality, district)
        SELECT s.code || '-SR' || d, s.id, s.code || '-SR' || d, 'Bench', s.code || '-SR' || d
        FROM inv_site s, generate_series(0, ${SDF_PER_SITE - 1}::int) d WHERE s.code ~ '^BS[0-9]+$'`.execute(
        t,
      );
      await sql`
        INSERT INTO inv_cp (code, sdf_id, name, locality, district)
        SELECT f.code || '-PC' || c, f.id, f.code || '-PC' || c, 'Bench', f.code || '-PC' || c
        FROM inv_sdf f, generate_series(0, ${CP_PER_SDF - 1}::int) c WHERE f.code ~ '^BS[0-9]+-SR[0-9]+$'`.execute(
        t,
      );
      await sql`
        INSERT INTO inv_cable (code, kind, mdf_id, sdf_id, pair_count)
        SELECT f.code || '-P', 'primary', m.id, f.id, ${primaryPairs}::int
        FROM inv_sdf f JOIN inv_mdf m ON m.site_id = f.site_id WHERE f.code ~ '^BS[0-9]+-SR[0-9]+$'`.execute(
        t,
      );
      await sql`
        INSERT INTO inv_cable (code, kind, sdf_id, cp_id, pair_count)
        SELECT c.code || '-D', 'distribution', c.sdf_id, c.id, ${distPairs}::int
        FROM inv_cp c WHERE c.code ~ '^BS[0-9]+-SR[0-9]+-PC[0-9]+$'`.execute(t);
      await sql`
        INSERT INTO inv_serving_area (locality, district, cp_id)
        SELECT 'Bench', c.code, c.id FROM inv_cp c WHERE c.code ~ '^BS[0-9]+-SR[0-9]+-PC[0-9]+$'`.execute(t);
    }),
  );
  await step(`line ports (${ports} per site) on horizontal MDF positions`, () =>
    sql`
      WITH pos AS (
        INSERT INTO inv_mdf_position (mdf_id, side, position)
        SELECT m.id, 'horizontal', 'H' || sw.code || '-' || lpad((k / ${PORTS_PER_CARD * CARDS_PER_SHELF} + 1)::text, 2, '0')
               || '-' || lpad((k / ${PORTS_PER_CARD} % ${CARDS_PER_SHELF})::text, 2, '0')
               || '-' || lpad((k % ${PORTS_PER_CARD} + 1)::text, 3, '0')
        FROM inv_switch sw JOIN inv_mdf m ON m.site_id = sw.site_id, generate_series(0, ${ports - 1}::int) k
        WHERE sw.code ~ '^BS[0-9]+-SW$'
        RETURNING id, mdf_id, position)
      INSERT INTO inv_port (switch_id, site_id, equipment_number, shelf, card, port, mdf_position_id)
      SELECT sw.id, sw.site_id, substr(pos.position, 2), split_part(pos.position, '-', 3)::int,
             split_part(pos.position, '-', 4)::int, split_part(pos.position, '-', 5)::int, pos.id
      FROM pos JOIN inv_mdf m ON m.id = pos.mdf_id JOIN inv_switch sw ON sw.site_id = m.site_id`.execute(
      rt.db,
    ),
  );
  await step(`primary pairs (${primaryPairs} per cabinet) on vertical MDF positions`, () =>
    sql`
      WITH pos AS (
        INSERT INTO inv_mdf_position (mdf_id, side, position)
        SELECT c.mdf_id, 'vertical', 'V' || c.code || '/' || lpad(n::text, greatest(4, length(n::text)), '0')
        FROM inv_cable c, generate_series(1, c.pair_count) n
        WHERE c.kind = 'primary' AND c.code ~ '^BS[0-9]+-SR[0-9]+-P$'
        RETURNING id, position)
      INSERT INTO inv_pair (cable_id, kind, number, sdf_id, mdf_position_id)
      SELECT c.id, 'primary', split_part(pos.position, '/', 2)::int, c.sdf_id, pos.id
      FROM pos JOIN inv_cable c ON c.code = substr(split_part(pos.position, '/', 1), 2)`.execute(rt.db),
  );
  await step(`distribution pairs (${distPairs} per concentration point)`, () =>
    sql`
      INSERT INTO inv_pair (cable_id, kind, number, sdf_id, cp_id)
      SELECT c.id, 'distribution', n, c.sdf_id, c.cp_id
      FROM inv_cable c, generate_series(1, c.pair_count) n
      WHERE c.kind = 'distribution' AND c.code ~ '^BS[0-9]+-SR[0-9]+-PC[0-9]+-D$'`.execute(rt.db),
  );
  await step(`number pools (${numbersPerSite} numbers per site, golden numbers marked)`, async () => {
    for (let s = 0; s < SITES; s++) {
      await inv.pools.create({ code: `FIXE-BS${s}`, product: 'FIXE', site: `BS${s}` }, SYSTEM);
      const first = 330000000 + s * 1000000;
      await inv.pools.addRange(
        `FIXE-BS${s}`,
        { first: String(first), last: String(first + numbersPerSite - 1) },
        SYSTEM,
      );
    }
  });
  const sims = Math.max(1000, Math.round(100000 * scale));
  await step(`SIM cards (${sims}, manufacturer files of ${SIM_BATCH}, secrets sealed)`, async () => {
    for (let b = 0; b * SIM_BATCH < sims; b++) {
      const rows = ['iccid,imsi,ki,opc,pin1,puk1,pin2,puk2'];
      for (let i = b * SIM_BATCH; i < Math.min(sims, (b + 1) * SIM_BATCH); i++)
        rows.push(
          [
            withLuhn(`8922199${String(i).padStart(11, '0')}`),
            `60809${String(i).padStart(10, '0')}`,
            randomBytes(16).toString('hex'),
            randomBytes(16).toString('hex'),
            String(1000 + (i % 9000)),
            String(10000000 + i),
            String(1000 + ((i * 7) % 9000)),
            String(20000000 + i),
          ].join(','),
        );
      await inv.sims.importBatch(
        { batch: `BENCH-${b}`, manufacturer: 'bench', csv: rows.join('\n') },
        SYSTEM,
      );
    }
  });
  await step('vacuum analyze', () => sql`VACUUM (ANALYZE)`.execute(rt.db));
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
    // Lanes: stand-alone studies at once; the callers beyond them queue and share a transaction
    // (StudyBatcher). `--lanes 8` with 8 callers gives every study a transaction of its own.
    const lanes = arg('lanes', defaultStudyLanes());
    const inv = createInventory(rt.db, undefined, undefined, { studyLanes: lanes });
    console.log(`generating the plant (scale ${scale}) if not there yet…`);
    const plant = await generate(rt, inv, scale);
    printTable([plant], 'plant');
    // Every run reserves for good (~20–30 k studies at full speed, spread over the 10 sites): say how
    // much room is left, so that a reused data dir is not measured once its sites are saturated
    // (studies then answer "not feasible", which is cheaper and would flatter the figure).
    const freeBefore = (
      await sql<{ ports: number; primary_pairs: number; numbers: number }>`
        SELECT (SELECT min(n)::int FROM (SELECT count(*) FILTER (WHERE p.status = 'free') AS n
                  FROM inv_port p JOIN inv_site s ON s.id = p.site_id WHERE s.code ~ '^BS[0-9]+$' GROUP BY p.site_id) x) AS ports,
               (SELECT min(n)::int FROM (SELECT count(*) FILTER (WHERE p.status = 'free') AS n
                  FROM inv_pair p JOIN inv_sdf f ON f.id = p.sdf_id WHERE p.kind = 'primary' AND f.code ~ '^BS[0-9]+-SR[0-9]+$' GROUP BY p.sdf_id) x) AS primary_pairs,
               (SELECT min(n)::int FROM (SELECT count(*) FILTER (WHERE n.status = 'free') AS n
                  FROM inv_number n JOIN inv_number_pool p ON p.id = n.pool_id WHERE p.code ~ '^FIXE-BS[0-9]+$' GROUP BY n.pool_id) x) AS numbers`.execute(
        rt.db,
      )
    ).rows[0] ?? { ports: 0, primary_pairs: 0, numbers: 0 };
    printTable([freeBefore], 'free before the run (least-equipped site, cabinet, pool)');
    if (freeBefore.ports < 5000 || freeBefore.primary_pairs < 500)
      console.log(
        'WARNING: the bench plant is nearly used up; remove the data dir to generate a fresh one (studies may turn infeasible)',
      );

    // Both measured phases start from a checkpoint, so that neither pays for flushing the other's
    // (or the generator's) dirty pages; pgbench's tables are made before either.
    await ensurePgbench(rt.url, 10);
    await sql`CHECKPOINT`.execute(rt.db);

    // WAL written per study and per TPC-B transaction (pg_stat_wal, the whole server; each phase
    // starts from a checkpoint): what a commit-bound workload pays per operation, load or not.
    const walNow = async () =>
      (
        await sql<{ bytes: string; fpi: string; records: string }>`
          SELECT wal_bytes::text AS bytes, wal_fpi::text AS fpi, wal_records::text AS records FROM pg_stat_wal`.execute(
          rt.db,
        )
      ).rows[0] ?? { bytes: '0', fpi: '0', records: '0' };
    const walPer = (a: { bytes: string; fpi: string; records: string }, b: typeof a, n: number) => ({
      bytes: (Number(b.bytes) - Number(a.bytes)) / Math.max(1, n),
      fpi: (Number(b.fpi) - Number(a.fpi)) / Math.max(1, n),
      records: (Number(b.records) - Number(a.records)) / Math.max(1, n),
    });

    // Study + reservation: each caller studies random addresses among the generated CPs.
    const wal0 = await walNow();
    // CPU per study of this process (the callers: Node's share) and of the whole embedded server
    // (backends, WAL writer, autovacuum…): what the load on a shared machine distorts least.
    const studyCpu = cpuMeter(process.pid);
    const sent0 = { ...inv.service.studies.stats };
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
    const sent = inv.service.studies.stats;
    const batching = {
      lanes,
      studiesPerTransaction: (sent.studies - sent0.studies) / Math.max(1, sent.batches - sent0.batches),
      retriedAlone: sent.retriedAlone - sent0.retriedAlone,
    };
    printTable([batching], 'stand-alone studies: lanes and studies per transaction');
    const studyTps = latencies.length / seconds;
    const studyWal = walPer(wal0, await walNow(), latencies.length);
    const studyCpuPer = studyCpu(latencies.length);

    // pgbench TPC-B on the same server, same number of clients, same duration.
    await sql`CHECKPOINT`.execute(rt.db);
    const wal2 = await walNow();
    const pgbCpu = cpuMeter(process.pid);
    const pgb = await runPgbench(rt.url, { mode: 'tpcb', clients: callers, seconds });
    const pgbCpuPer = pgbCpu(pgb.transactions);
    const pgbWal = walPer(wal2, await walNow(), pgb.transactions);
    printTable(
      [
        { what: 'study + reservation', ...studyWal },
        { what: 'pgbench TPC-B transaction', ...pgbWal },
      ],
      'WAL per operation (bytes, full-page images, records)',
    );
    printTable(
      [
        { what: 'study + reservation', nodeMs: studyCpuPer.app, postgresMs: studyCpuPer.postgres },
        { what: 'pgbench TPC-B transaction', nodeMs: null, postgresMs: pgbCpuPer.postgres },
      ],
      'CPU per operation (ms; PostgreSQL: the whole server, from /proc)',
    );
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

    // 10 k held requests on one saturated concentration point, then one capacity event: a new
    // distribution cable with as many pairs as requests wait (everything behind it has room).
    const sdf = `HOLD-${runId}`.toUpperCase();
    const cp = `${sdf}-PC`;
    const room = pendingCount + 1;
    const w = (fn: (t: Executor, s: CapacitySignal[]) => Promise<unknown>) =>
      inv.plant.write('bench', 'bench', fn, { code: 'bench' }, SYSTEM, false);
    await w((t) => plantWriters.site(t, { code: sdf, name: 'hold site', locality: 'Hold' }));
    await w((t) => plantWriters.switch(t, { code: `${sdf}-SW`, site: sdf, name: 'switch' }));
    await w((t) => plantWriters.mdf(t, { code: `${sdf}-MDF`, site: sdf, name: 'mdf' }));
    for (let card = 0; card * 1000 < room; card++)
      await w((t, sig) =>
        plantWriters.ports(
          t,
          {
            switch: `${sdf}-SW`,
            mdf: `${sdf}-MDF`,
            shelf: 1 + Math.floor(card / 100),
            card: card % 100,
            ports: Math.min(1000, room - card * 1000),
          },
          sig,
        ),
      );
    await w((t) => plantWriters.sdf(t, { code: `${sdf}-SR`, site: sdf, name: 'sdf', locality: 'Hold' }));
    for (let k = 0; k * 10000 < room; k++)
      await w((t, sig) =>
        plantWriters.cable(
          t,
          {
            code: `${sdf}-P${k}`,
            kind: 'primary',
            mdf: `${sdf}-MDF`,
            sdf: `${sdf}-SR`,
            pairs: Math.min(10000, room - k * 10000),
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
    const poolCode = `P-${sdf}`.slice(0, 30);
    const firstNumber = 400000000 + (Date.now() % 500) * 100000;
    await inv.pools.create({ code: poolCode, product: 'FIXE', site: sdf }, SYSTEM);
    await inv.pools.addRange(
      poolCode,
      { first: String(firstNumber), last: String(firstNumber + pendingCount + 999) },
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
    // The held requests, as a saturated study would have held them (`inv_hold`), written in one go.
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
          code: `${cp}-D2`,
          kind: 'distribution',
          sdf: `${sdf}-SR`,
          cp,
          pairs: Math.min(10000, pendingCount),
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
      study: {
        tps: studyTps,
        p50Ms: lat.p50,
        p95Ms: lat.p95,
        p99Ms: lat.p99,
        feasible,
        calls: lat.count,
        walBytes: studyWal.bytes,
        walFpi: studyWal.fpi,
        walRecords: studyWal.records,
        cpuNodeMs: studyCpuPer.app,
        cpuPostgresMs: studyCpuPer.postgres,
        ...batching,
      },
      pgbenchTpcb: {
        tps: pgb.tps,
        latencyMs: pgb.latencyMs,
        clients: callers,
        walBytes: pgbWal.bytes,
        walFpi: pgbWal.fpi,
        walRecords: pgbWal.records,
        cpuPostgresMs: pgbCpuPer.postgres,
      },
      freeBefore,
      ratioToPgbench: studyTps / pgb.tps,
      resume: { held: pendingCount, resumed, seconds: resumeSeconds },
    });
  } finally {
    await rt.close();
  }
}
