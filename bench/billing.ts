// `npm run bench -- billing [customers=100000] [chunk=5000] [pgbenchSeconds=20]`: a billing run over the
// demo operator (generated customers, 1–3 lines each, options on a third of the active lines, meter
// readings on the fixed lines), printing invoices per second, total time and peak memory, beside
// pgbench TPC-B (4 clients) on the same server in the same run. Each run bills the latest ended
// month not billed yet in this data dir, so it can be run again on the same data.
import { sql } from 'kysely';
import { generateCustomers } from '../src/demo/generate.js';
import { loadReferenceData } from '../src/demo/reference-data.js';
import { runBilling } from '../src/modules/billing/invoice-run.js';
import { periodOf } from '../src/modules/billing/period.js';
import { SYSTEM } from '../src/platform/events.js';
import { ensurePgbench, environment, openBenchRuntime, printResult, printTable, runPgbench } from './lib.js';

export async function run(args: string[]): Promise<void> {
  const target = Number(args[0] ?? 100_000);
  const chunk = Number(args[1] ?? 5000);
  const pgbenchSeconds = Number(args[2] ?? 20);
  const rt = await openBenchRuntime({
    dataDir: process.env.GPTO_BENCH_DATA_DIR ?? 'data/bench-billing',
    pgPort: Number(process.env.GPTO_BENCH_PG_PORT ?? 54371),
    poolSize: 4,
  });
  try {
    await loadReferenceData(rt.db, 'bench-demo-password');
    const have = Number(
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM customer`.execute(rt.db)).rows[0]?.n ?? 0,
    );
    let loadSeconds = 0;
    if (have < target) {
      const t0 = performance.now();
      let last = 0;
      await generateCustomers(rt.pool, target - have, (p) => {
        if (p.customers - last >= 50_000) {
          last = p.customers;
          console.log(`  loaded ${p.customers} customers, ${p.subscriptions} subscriptions`);
        }
      });
      loadSeconds = (performance.now() - t0) / 1000;
    }
    await addOptions(rt.db);

    // the latest ended month this data dir has not billed yet
    const now = new Date();
    const billed = new Set(
      (await rt.db.selectFrom('billing_run').select('period').where('status', '=', 'done').execute()).map(
        (r) => r.period,
      ),
    );
    let period = '';
    for (let back = 1; back <= 36 && !period; back++) {
      const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
      const code = d.toISOString().slice(0, 7);
      if (!billed.has(code)) period = code;
    }
    if (!period)
      throw new Error('every month of the last three years is billed in this data dir: use a fresh one');
    const readings = await addMeterReadings(rt.db, period);
    await sql`ANALYZE`.execute(rt.db);

    const counts = (
      await sql<{
        customers: number;
        payers: number;
        subscriptions: number;
        options: number;
        readings: number;
      }>`
        SELECT (SELECT count(*) FROM customer)::int AS customers, (SELECT count(*) FROM payer)::int AS payers,
               (SELECT count(*) FROM subscription)::int AS subscriptions,
               (SELECT count(*) FROM subscription WHERE parent_id IS NOT NULL)::int AS options,
               (SELECT count(*) FROM meter_reading)::int AS readings`.execute(rt.db)
    ).rows[0]!;

    // baseline first, on a quiet server
    await ensurePgbench(rt.url, 10);
    const pgb = await runPgbench(rt.url, { mode: 'tpcb', clients: 4, seconds: pgbenchSeconds });

    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 100);
    const rssBefore = process.memoryUsage().rss;
    const r = await runBilling(rt.db, 'XOF', { period, chunkSize: chunk }, SYSTEM);
    clearInterval(sampler);
    const perSecond = r.invoices / (r.ms / 1000);
    const lines = (
      await sql<{
        lines: number;
      }>`SELECT coalesce(sum(jsonb_array_length(lines)), 0)::int AS lines FROM billing_invoice WHERE run_id = ${r.runId}`.execute(
        rt.db,
      )
    ).rows[0]!.lines;

    printTable(
      [
        { what: 'customers', value: counts.customers },
        { what: 'payers', value: counts.payers },
        { what: 'subscriptions (of which options)', value: `${counts.subscriptions} (${counts.options})` },
        { what: 'meter readings (added for this period)', value: `${counts.readings} (${readings})` },
        { what: 'period billed', value: `${period} (${periodOf(period).days} days)` },
        { what: 'invoices issued', value: r.invoices },
        { what: 'invoice lines', value: lines },
        { what: 'amount invoiced (XOF)', value: r.amountTotal },
        { what: 'billing run total time (s)', value: r.ms / 1000 },
        { what: 'invoices per second', value: perSecond },
        { what: 'payers per transaction', value: chunk },
        { what: 'peak RSS of the process during the run (MiB)', value: peakRss / 2 ** 20 },
        { what: 'RSS growth during the run (MiB)', value: (peakRss - rssBefore) / 2 ** 20 },
        { what: 'pgbench TPC-B, 4 clients (tx/s)', value: pgb.tps },
        { what: 'invoices/s ÷ pgbench tx/s', value: perSecond / pgb.tps },
      ],
      'Billing run',
    );
    printResult({
      bench: 'billing',
      env: await environment(),
      data: { ...counts, loadSeconds, period },
      run: {
        runId: r.runId,
        invoices: r.invoices,
        lines,
        amountTotal: r.amountTotal,
        seconds: r.ms / 1000,
        invoicesPerSecond: perSecond,
        chunk,
        peakRssMiB: peakRss / 2 ** 20,
      },
      pgbenchTpcb: { tps: pgb.tps, latencyMs: pgb.latencyMs, clients: 4, seconds: pgbenchSeconds },
      ratioToPgbench: perSecond / pgb.tps,
      targetInvoicesPerSecond: 1000,
    });
  } finally {
    await rt.close();
  }
}

/**
 * Options on a third of the active lines (set-based, like the generator), for the lines not seen
 * by an earlier run of this benchmark in the same data dir (a high-water mark in `setting`).
 */
async function addOptions(db: Awaited<ReturnType<typeof openBenchRuntime>>['db']): Promise<void> {
  const mark = await db
    .selectFrom('setting')
    .select('value')
    .where('key', '=', 'bench_billing_options')
    .executeTakeFirst();
  // without a mark of its own (an older run), the last line that got an option is the mark
  const after = Number(
    (mark?.value as { lastLine?: number } | undefined)?.lastLine ??
      (await sql<{ m: number | null }>`SELECT max(parent_id)::bigint AS m FROM subscription`.execute(db))
        .rows[0]?.m ??
      0,
  );
  const last = Number(
    (
      await sql<{
        m: number | null;
      }>`SELECT max(id)::bigint AS m FROM subscription WHERE parent_id IS NULL`.execute(db)
    ).rows[0]?.m ?? 0,
  );
  if (last <= after) return;
  await sql`
    WITH opts AS (
      SELECT array_agg(v.id ORDER BY p.code) AS ids FROM product_version v JOIN product p ON p.id = v.product_id
      WHERE p.code IN ('OPT-RENVOI', 'OPT-INTER', 'OPT-HOTLINE')
    ), lines AS (
      SELECT s.id, s.customer_id, s.payer_id, s.activated_at, random() AS r
      FROM subscription s WHERE s.parent_id IS NULL AND s.status = 'active' AND s.activated_at IS NOT NULL
        AND s.id > ${after} AND s.id <= ${last}
    ), ins AS (
      INSERT INTO subscription (code, customer_id, payer_id, product_version_id, parent_id, status, created_at, activated_at, updated_at)
      SELECT 'S' || lpad(nextval('subscription_code_seq')::text, 8, '0'), l.customer_id, l.payer_id,
             (SELECT ids[1 + floor(l.r * 9)::int % 3] FROM opts), l.id, 'active',
             l.activated_at + interval '10 days', l.activated_at + interval '10 days', l.activated_at + interval '10 days'
      FROM lines l WHERE l.r < 0.33
      RETURNING id, activated_at
    )
    INSERT INTO subscription_status_history (subscription_id, from_status, to_status, changed_at)
    SELECT id, NULL, 'pending', activated_at FROM ins
    UNION ALL SELECT id, 'pending', 'active', activated_at FROM ins`.execute(db);
  const value = JSON.stringify({ at: new Date().toISOString(), lastLine: last });
  await db
    .insertInto('setting')
    .values({ key: 'bench_billing_options', value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

/**
 * Meter readings of the fixed lines an hour before the period starts and ends, as the automaton's
 * nightly meter query would leave them; the index grows with time at a pace of its own per line.
 */
async function addMeterReadings(
  db: Awaited<ReturnType<typeof openBenchRuntime>>['db'],
  period: string,
): Promise<number> {
  const p = periodOf(period);
  const r = await sql<{ n: number }>`
    WITH fixed AS (
      SELECT s.id, s.customer_id FROM subscription s
      JOIN product_version v ON v.id = s.product_version_id JOIN product pr ON pr.id = v.product_id
      WHERE pr.kind IN ('fixed_wired', 'fixed_radio') AND s.activated_at < ${p.start}::timestamptz
    ), at AS (
      SELECT unnest(ARRAY[${p.start}::timestamptz - interval '1 hour', ${p.end}::timestamptz - interval '1 hour']) AS t
    ), ins AS (
      INSERT INTO meter_reading (subscription_id, customer_id, read_at, meter_index, source)
      SELECT f.id, f.customer_id, at.t,
             (f.id % 997) * 10 + floor(extract(epoch FROM at.t) / 86400)::bigint * (f.id % 23 + 1), 'automaton'
      FROM fixed f CROSS JOIN at
      ON CONFLICT (subscription_id, read_at) DO NOTHING
      RETURNING 1
    ) SELECT count(*)::int AS n FROM ins`.execute(db);
  return r.rows[0]?.n ?? 0;
}
