import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import { BillingCycleError } from './cycle.errors.js';
import { cycleClosesOn, periodOf, type Period } from './period.js';
import { CHARGES_LOCK } from './on-demand.js';

export interface RunResult {
  runId: number;
  period: string;
  cycle: string;
  periodStart: string;
  periodEnd: string;
  invoices: number;
  amountTotal: number;
  payersScanned: number;
  ms: number;
}

export interface RunOptions {
  period: string;
  cycle?: string;
  /** Issue date of the invoices (default: now); the period must have ended by then. */
  at?: Date;
  /** Payers per transaction: bounds memory and lock time (default 5000). */
  chunkSize?: number;
  onProgress?: (p: { payersScanned: number; invoices: number }) => void;
}

/**
 * The lines of one chunk of payers, computed in the database and kept in a per-session temporary
 * table emptied at commit: recurring fees prorated on the days the line was active (from the
 * status history: activation, suspension, termination), usage (meter index delta × usage unit
 * price) and the charges waiting for a bill (one-off fees, adjustments).
 */
const CHARGE_TABLE = sql`
CREATE TEMP TABLE IF NOT EXISTS billing_run_charge (
  payer_id bigint NOT NULL, customer_id bigint NOT NULL, root_id bigint, subscription_id bigint,
  sort smallint NOT NULL, kind text NOT NULL, label text NOT NULL, product_code text,
  directory_number text, subscription_code text, quantity bigint NOT NULL, unit_price bigint NOT NULL,
  amount bigint NOT NULL, days integer, charge_id bigint
) ON COMMIT DELETE ROWS`;

interface ChunkParams {
  lo: number;
  hi: number;
  cycle: string;
  p: Period;
  runId: number;
  at: Date;
  dueDays: number;
  currency: string;
  userId: number | null;
}

// Lines activated in the period that no service request set up are charged their one-off fee
// once (a request invoices its own one-off fees before the works; its activation event says so).
async function chargeOneOffFees(trx: Tx, c: ChunkParams): Promise<void> {
  await sql`
    INSERT INTO billing_charge (payer_id, customer_id, subscription_id, kind, label, product_code, amount, created_at)
    SELECT s.payer_id, s.customer_id, s.id, 'one_off', pr.name || ' — frais de mise en service', pr.code,
           pv.one_off_price, s.activated_at
    FROM subscription s
    JOIN product_version pv ON pv.id = s.product_version_id
    JOIN product pr ON pr.id = pv.product_id
    LEFT JOIN billing_payer_cycle pc ON pc.payer_id = s.payer_id
    WHERE s.payer_id >= ${c.lo} AND s.payer_id < ${c.hi}
      AND coalesce(pc.cycle_code, 'monthly') = ${c.cycle}
      AND s.activated_at >= ${c.p.start}::timestamp AT TIME ZONE 'UTC'
      AND s.activated_at < ${c.p.end}::timestamp AT TIME ZONE 'UTC'
      AND pv.one_off_price > 0
      AND NOT EXISTS (
        SELECT 1 FROM event e
        WHERE e.entity_type = 'subscription' AND e.entity_id = s.id::text AND e.kind = 'subscription.active'
          AND e.payload->>'reason' LIKE 'request %')
    ON CONFLICT DO NOTHING`.execute(trx);
}

async function computeCharges(trx: Tx, c: ChunkParams): Promise<number> {
  const ps = c.p.start;
  const pe = c.p.end;
  const r = await sql<{ n: number }>`
    WITH payers AS (
      SELECT p.id, p.customer_id FROM payer p
      LEFT JOIN billing_payer_cycle pc ON pc.payer_id = p.id
      WHERE p.id >= ${c.lo} AND p.id < ${c.hi} AND coalesce(pc.cycle_code, 'monthly') = ${c.cycle}
        AND NOT EXISTS (SELECT 1 FROM billing_invoice i
                        WHERE i.payer_id = p.id AND i.kind = 'periodic' AND i.period_start = ${ps}::date)
    ), subs AS (
      SELECT s.id, s.payer_id, s.customer_id, coalesce(s.parent_id, s.id) AS root_id, s.code, s.directory_number,
             pv.recurring_price, pv.usage_unit_price, pr.code AS product_code, pr.name AS product_name
      FROM payers p
      JOIN subscription s ON s.payer_id = p.id
      JOIN product_version pv ON pv.id = s.product_version_id
      JOIN product pr ON pr.id = pv.product_id
      WHERE s.activated_at < ${pe}::timestamp AT TIME ZONE 'UTC'
        AND (s.terminated_at IS NULL OR s.terminated_at >= ${ps}::timestamp AT TIME ZONE 'UTC')
    ), hist AS (
      SELECT h.subscription_id, h.to_status, (h.changed_at AT TIME ZONE 'UTC')::date AS from_d,
             lead((h.changed_at AT TIME ZONE 'UTC')::date)
               OVER (PARTITION BY h.subscription_id ORDER BY h.changed_at, h.id) AS to_d
      FROM subs s JOIN subscription_status_history h ON h.subscription_id = s.id
    ), active AS (
      SELECT subscription_id,
             sum(greatest(0, least(coalesce(to_d, ${pe}::date), ${pe}::date) - greatest(from_d, ${ps}::date)))::int AS days
      FROM hist WHERE to_status = 'active' GROUP BY subscription_id
    ), recurring AS (
      SELECT s.payer_id, s.customer_id, s.root_id, s.id AS subscription_id,
             (CASE WHEN s.id = s.root_id THEN 1 ELSE 2 END)::smallint AS sort, 'recurring' AS kind,
             s.product_name || CASE WHEN a.days < ${c.p.days}::int
                                    THEN ' (' || a.days || ' j / ' || ${c.p.days}::int || ')' ELSE '' END AS label,
             s.product_code, s.directory_number, s.code AS subscription_code,
             a.days::bigint AS quantity, s.recurring_price * ${c.p.months}::int AS unit_price,
             round(s.recurring_price::numeric * ${c.p.months}::int * a.days / ${c.p.days}::int)::bigint AS amount,
             a.days, NULL::bigint AS charge_id
      FROM subs s JOIN active a ON a.subscription_id = s.id
      WHERE s.recurring_price > 0 AND a.days > 0
    ), meters AS (
      SELECT s.*,
        (SELECT m.meter_index FROM meter_reading m WHERE m.subscription_id = s.id
           AND m.read_at < ${pe}::timestamp AT TIME ZONE 'UTC' ORDER BY m.read_at DESC LIMIT 1) AS end_index,
        coalesce(
          (SELECT m.meter_index FROM meter_reading m WHERE m.subscription_id = s.id
             AND m.read_at < ${ps}::timestamp AT TIME ZONE 'UTC' ORDER BY m.read_at DESC LIMIT 1),
          (SELECT m.meter_index FROM meter_reading m WHERE m.subscription_id = s.id
             AND m.read_at >= ${ps}::timestamp AT TIME ZONE 'UTC' ORDER BY m.read_at LIMIT 1)) AS start_index
      FROM subs s WHERE s.usage_unit_price > 0
    ), usage AS (
      SELECT m.payer_id, m.customer_id, m.root_id, m.id, 3::smallint, 'usage',
             'Consommations (index ' || m.start_index || ' à ' || m.end_index || ')',
             m.product_code, m.directory_number, m.code,
             m.end_index - m.start_index, m.usage_unit_price,
             (m.end_index - m.start_index) * m.usage_unit_price, NULL::int, NULL::bigint
      FROM meters m WHERE m.end_index > m.start_index
    ), pending AS (
      SELECT ch.payer_id, ch.customer_id, coalesce(s.parent_id, ch.subscription_id), ch.subscription_id,
             (CASE WHEN ch.kind = 'one_off' THEN 0 ELSE 4 END)::smallint, ch.kind, ch.label, ch.product_code,
             s.directory_number, s.code, 1::bigint, ch.amount, ch.amount, NULL::int, ch.id
      FROM payers p
      JOIN billing_charge ch ON ch.payer_id = p.id AND ch.invoice_id IS NULL
      LEFT JOIN subscription s ON s.id = ch.subscription_id
      WHERE ch.created_at < ${pe}::timestamp AT TIME ZONE 'UTC'
    ), ins AS (
      INSERT INTO billing_run_charge
      SELECT * FROM recurring UNION ALL SELECT * FROM usage UNION ALL SELECT * FROM pending
      RETURNING payer_id
    )
    SELECT count(DISTINCT payer_id)::int AS n FROM ins`.execute(trx);
  return r.rows[0]?.n ?? 0;
}

async function issueChunk(
  trx: Tx,
  c: ChunkParams,
  payers: number,
): Promise<{ invoices: number; total: number }> {
  const series = `F${c.at.getUTCFullYear()}`;
  const first = await sql<{
    first: number;
  }>`SELECT billing_reserve_numbers(${series}, ${payers}) AS first`.execute(trx);
  const base = Number(first.rows[0]!.first);
  const runRef = String(c.runId);
  const r = await sql<{ invoices: number; total: number }>`
    WITH tot AS (
      SELECT payer_id, min(customer_id) AS customer_id, sum(amount)::bigint AS excl,
        jsonb_agg(jsonb_build_object(
          'kind', kind, 'label', label, 'productCode', product_code, 'subscriptionId', subscription_id,
          'subscriptionCode', subscription_code, 'directoryNumber', directory_number, 'rootId', root_id,
          'quantity', quantity, 'unitPrice', unit_price, 'amount', amount, 'days', days)
          ORDER BY root_id NULLS LAST, sort, subscription_id, charge_id) AS lines
      FROM billing_run_charge GROUP BY payer_id
    ), numbered AS (
      SELECT t.*, ${base}::bigint + row_number() OVER (ORDER BY t.payer_id) - 1 AS n FROM tot t
    ), taxed AS (
      SELECT n.*, coalesce(tx.taxes, '[]'::jsonb) AS taxes, coalesce(tx.tax_amount, 0)::bigint AS tax_amount
      FROM numbered n
      JOIN customer cu ON cu.id = n.customer_id
      JOIN category cat ON cat.id = cu.tax_id
      LEFT JOIN LATERAL (
        SELECT jsonb_agg(jsonb_build_object(
                 'code', t->>'code', 'label', t->>'label', 'rateBasisPoints', (t->>'rateBasisPoints')::int,
                 'base', n.excl, 'amount', round(n.excl::numeric * (t->>'rateBasisPoints')::int / 10000)::bigint)
                 ORDER BY ord) AS taxes,
               sum(round(n.excl::numeric * (t->>'rateBasisPoints')::int / 10000))::bigint AS tax_amount
        FROM jsonb_array_elements(cat.taxes) WITH ORDINALITY AS x(t, ord)
        WHERE NOT cat.tax_exempt
      ) tx ON true
    ), acct AS (
      SELECT e.payer_id,
        coalesce(sum(e.amount) FILTER (WHERE e.account = 'receivable'), 0)::bigint AS previous_balance,
        coalesce(-sum(e.amount) FILTER (WHERE e.account = 'deposit'), 0)::bigint AS deposits_held,
        coalesce(-sum(e.amount) FILTER (WHERE e.kind = 'payment'
          AND e.occurred_at >= ${c.p.start}::timestamp AT TIME ZONE 'UTC'), 0)::bigint AS payments,
        coalesce(-sum(e.amount) FILTER (WHERE e.kind = 'credit'
          AND e.occurred_at >= ${c.p.start}::timestamp AT TIME ZONE 'UTC'), 0)::bigint AS rebates
      FROM billing_ledger_entry e
      WHERE e.payer_id >= ${c.lo} AND e.payer_id < ${c.hi} AND e.payer_id IN (SELECT payer_id FROM tot)
      GROUP BY e.payer_id
    ), inv AS (
      -- a credit on the account (overpayment, rebate, credit note) settles the new bill first
      INSERT INTO billing_invoice (number, payer_id, customer_id, kind, status, currency, amount_excl_tax, tax_amount,
        total, lines, taxes, source_type, source_id, issued_at, due_at, period_start, period_end, run_id, summary,
        credited_amount, paid_at)
      SELECT ${series} || lpad(t.n::text, 8, '0'), t.payer_id, t.customer_id, 'periodic',
        CASE WHEN t.credit >= t.excl + t.tax_amount THEN 'paid' ELSE 'open' END, ${c.currency},
        t.excl, t.tax_amount, t.excl + t.tax_amount, t.lines, t.taxes, 'billing_run', ${runRef},
        ${c.at}::timestamptz, ${c.at}::timestamptz + ${c.dueDays}::int * interval '1 day',
        ${c.p.start}::date, ${c.p.last}::date, ${c.runId}::bigint,
        jsonb_build_object(
          'previousBalance', coalesce(a.previous_balance, 0),
          'paymentsInPeriod', coalesce(a.payments, 0),
          'rebatesInPeriod', coalesce(a.rebates, 0),
          'depositsHeld', coalesce(a.deposits_held, 0),
          'newCharges', t.excl + t.tax_amount,
          'balanceDue', coalesce(a.previous_balance, 0) + t.excl + t.tax_amount),
        least(t.credit, t.excl + t.tax_amount),
        CASE WHEN t.credit >= t.excl + t.tax_amount THEN ${c.at}::timestamptz END
      FROM (SELECT t.*, greatest(0, -coalesce(a.previous_balance, 0)) AS credit FROM taxed t
            LEFT JOIN acct a ON a.payer_id = t.payer_id) t
      LEFT JOIN acct a ON a.payer_id = t.payer_id
      ORDER BY t.n
      RETURNING id, number, payer_id, customer_id, total
    ), led AS (
      INSERT INTO billing_ledger_entry (payer_id, customer_id, account, kind, amount, currency, invoice_id, description, occurred_at)
      SELECT payer_id, customer_id, 'receivable', 'invoice', total, ${c.currency}, id, 'invoice ' || number, ${c.at}::timestamptz
      FROM inv WHERE total <> 0
    ), ev AS (
      INSERT INTO event (entity_type, entity_id, customer_id, kind, user_id, payload)
      SELECT 'invoice', id::text, customer_id, 'invoice.issued', ${c.userId}::bigint,
             jsonb_build_object('number', number, 'total', total, 'payerId', payer_id,
                                'source', jsonb_build_object('type', 'billing_run', 'id', ${runRef}::text))
      FROM inv
    ), ch AS (
      UPDATE billing_charge c SET invoice_id = inv.id
      FROM billing_run_charge r JOIN inv ON inv.payer_id = r.payer_id
      WHERE r.charge_id IS NOT NULL AND c.id = r.charge_id
    )
    SELECT count(*)::int AS invoices, coalesce(sum(total), 0)::bigint AS total FROM inv`.execute(trx);
  const row = r.rows[0]!;
  if (row.invoices !== payers)
    throw new Error(`billing run ${c.runId}: ${payers} numbers reserved but ${row.invoices} invoices issued`);
  return { invoices: row.invoices, total: Number(row.total) };
}

/**
 * The billing run of one period and cycle: every payer of the cycle gets one invoice with its
 * lines per subscription, in chunks of payers, each chunk one transaction of a handful of
 * set-based statements. A crashed or interrupted run is resumed by running it again: payers
 * already invoiced for the period are skipped (a unique index makes it impossible twice).
 */
export async function runBilling(
  db: Db,
  currency: string,
  opts: RunOptions,
  by: Actor,
  now: Date = new Date(),
): Promise<RunResult> {
  const t0 = performance.now();
  const cycleCode = opts.cycle ?? 'monthly';
  const cycle = await db
    .selectFrom('billing_cycle')
    .selectAll()
    .where('code', '=', cycleCode)
    .executeTakeFirst();
  if (!cycle)
    throw new BillingCycleError(
      'not_found',
      'billing.cycle_not_found',
      `no billing cycle "${cycleCode}"`,
      'cycle',
    );
  const p = periodOf(opts.period, cycle.months);
  if (!cycleClosesOn(opts.period, cycle.months))
    throw new BillingCycleError(
      'rule',
      'billing.cycle_not_due',
      `the ${cycle.code} cycle is not billed for ${opts.period} (its periods end on months that are multiples of ${cycle.months})`,
      'period',
    );
  const at = opts.at ?? now;
  // billed in arrears: the history of the whole period must be known
  if (at.getTime() < Date.parse(`${p.end}T00:00:00Z`))
    throw new BillingCycleError(
      'rule',
      'billing.period_not_ended',
      `period ${opts.period} ends on ${p.last}: it is billed once it has ended`,
      'period',
    );
  const run = await db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('billing_run')
      .values({
        period: opts.period,
        cycle_code: cycle.code,
        period_start: p.start,
        period_end: p.last,
        started_at: now,
        finished_at: null,
        started_by: by.userId,
        error: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendEvent(trx, {
      entityType: 'billing_run',
      entityId: row.id,
      kind: 'billing_run.started',
      userId: by.userId,
      payload: { period: opts.period, cycle: cycle.code, start: p.start, end: p.last },
    });
    return row;
  });

  const bounds = await db
    .selectFrom('payer')
    .select((eb) => [eb.fn.min('id').as('lo'), eb.fn.max('id').as('hi')])
    .executeTakeFirstOrThrow();
  const lo = Number(bounds.lo ?? 1);
  const hi = Number(bounds.hi ?? 0);
  const chunk = opts.chunkSize ?? 5000;
  let invoices = 0;
  let total = 0;
  let scanned = 0;
  try {
    for (let from = lo; from <= hi; from += chunk) {
      const c: ChunkParams = {
        lo: from,
        hi: from + chunk,
        cycle: cycle.code,
        p,
        runId: run.id,
        at,
        dueDays: cycle.due_days,
        currency,
        userId: by.userId,
      };
      const done = await db.transaction().execute(async (trx) => {
        // two runs of the same period and cycle take turns chunk by chunk and never bill twice
        await sql`SELECT pg_advisory_xact_lock(hashtext(${`billing_run:${opts.period}:${cycle.code}`}))`.execute(
          trx,
        );
        // an on-demand bill of a payer (on-demand.ts) waits for the chunk, and the chunk for it
        await sql`SELECT pg_advisory_xact_lock_shared(${CHARGES_LOCK}::bigint)`.execute(trx);
        await CHARGE_TABLE.execute(trx);
        await chargeOneOffFees(trx, c);
        const payers = await computeCharges(trx, c);
        const issued = payers > 0 ? await issueChunk(trx, c, payers) : { invoices: 0, total: 0 };
        await trx
          .updateTable('billing_run')
          .set((eb) => ({
            invoices: eb('invoices', '+', issued.invoices),
            amount_total: eb('amount_total', '+', issued.total),
          }))
          .where('id', '=', run.id)
          .execute();
        return issued;
      });
      invoices += done.invoices;
      total += done.total;
      scanned = Math.min(hi, from + chunk - 1) - lo + 1;
      opts.onProgress?.({ payersScanned: scanned, invoices });
    }
  } catch (err) {
    await db
      .updateTable('billing_run')
      .set({ status: 'failed', finished_at: new Date(), error: String(err).slice(0, 2000) })
      .where('id', '=', run.id)
      .execute();
    throw err;
  }
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('billing_run')
      .set({ status: 'done', finished_at: new Date() })
      .where('id', '=', run.id)
      .execute();
    await appendEvent(trx, {
      entityType: 'billing_run',
      entityId: run.id,
      kind: 'billing_run.done',
      userId: by.userId,
      payload: { period: opts.period, cycle: cycle.code, invoices, amountTotal: total },
    });
  });
  return {
    runId: run.id,
    period: opts.period,
    cycle: cycle.code,
    periodStart: p.start,
    periodEnd: p.last,
    invoices,
    amountTotal: total,
    payersScanned: scanned,
    ms: performance.now() - t0,
  };
}
