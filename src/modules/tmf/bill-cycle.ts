import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db.js';
import { isoOf } from './common.js';
import { tmfInvalid, type TmfContext, type TmfListQuery, type TmfObject } from './framework.js';

/**
 * GPTo's billing cycles and runs as TMF objects, shared by TMF678 (`billCycleSpecification`,
 * `billCycle`) and TMF666 (`billingCycleSpecification`, and a billing account's `billStructure`):
 * a cycle (`billing_cycle`: monthly, bimonthly, quarterly) is a specification, a billing run of a
 * period on a cycle is a bill cycle. Also the bill formats and presentation media GPTo has: the
 * invoice PDF, sent by e-mail or printed on paper (delivery.service.ts).
 */

const BILL_API = 'customerBillManagement';
const ACCOUNT_API = 'accountManagement';

interface CycleRow {
  code: string;
  label: string;
  months: number;
  due_days: number;
}

const PERIOD_OF: Record<number, string> = {
  1: 'month',
  2: 'two months',
  3: 'quarter',
  6: 'half year',
  12: 'year',
};

function cycleFields(r: CycleRow) {
  return {
    name: r.label,
    description:
      `billed in arrears once the ${PERIOD_OF[r.months] ?? `${r.months} months`} has ended ` +
      `(periods end on months that are multiples of ${r.months}); payment due ${r.due_days} days after the bill`,
    frequency: r.months === 1 ? 'monthly' : `every ${r.months} months`,
    billingPeriod: PERIOD_OF[r.months] ?? `${r.months} months`,
  };
}

/** `code` filter only: there are a handful of cycles. */
async function cycles(db: Db, q: TmfListQuery): Promise<{ rows: CycleRow[]; total: number }> {
  const where: RawBuilder<unknown>[] = [];
  for (const [attr, values] of Object.entries(q.filters)) {
    if (attr === 'id') where.push(sql`code = ANY(${values}::text[])`);
    else if (attr === 'name') where.push(sql`label = ANY(${values}::text[])`);
    else throw tmfInvalid(attr, 'is not a filterable attribute');
  }
  const w = where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
  const [rows, n] = await Promise.all([
    sql<CycleRow>`SELECT code, label, months, due_days FROM billing_cycle ${w}
      ORDER BY months, code OFFSET ${q.offset} LIMIT ${q.limit}`.execute(db),
    sql<{ n: string }>`SELECT count(*) AS n FROM billing_cycle ${w}`.execute(db),
  ]);
  return { rows: rows.rows, total: Number(n.rows[0]?.n ?? 0) };
}

export class TmfBillCycles {
  constructor(private readonly db: Db) {}

  /** TMF678 BillCycleSpecification. */
  async listSpecs(q: TmfListQuery, ctx: TmfContext) {
    const { rows, total } = await cycles(this.db, q);
    return {
      items: rows.map((r): TmfObject => ({
        id: r.code,
        href: ctx.href(BILL_API, 'billCycleSpecification', r.code),
        ...cycleFields(r),
        '@type': 'BillCycleSpecification',
      })),
      total,
    };
  }

  /** TMF666 BillingCycleSpecification (the same cycles). */
  async listBillingSpecs(q: TmfListQuery, ctx: TmfContext) {
    const { rows, total } = await cycles(this.db, q);
    return {
      items: rows.map((r): TmfObject => ({
        id: r.code,
        href: ctx.href(ACCOUNT_API, 'billingCycleSpecification', r.code),
        ...cycleFields(r),
        '@type': 'BillingCycleSpecification',
      })),
      total,
    };
  }

  /** TMF678 BillCycle: one billing run (period × cycle). */
  async listRuns(q: TmfListQuery, ctx: TmfContext) {
    const where: RawBuilder<unknown>[] = [];
    for (const [attr, values] of Object.entries(q.filters)) {
      if (attr === 'id') {
        const ids = values.filter((v) => /^\d{1,15}$/.test(v)).map(Number);
        if (ids.length === 0) return { items: [], total: 0 };
        where.push(sql`r.id = ANY(${ids}::bigint[])`);
      } else if (attr === 'billingPeriod') where.push(sql`r.period = ANY(${values}::text[])`);
      else if (attr === 'BillCycleSpecification.id') where.push(sql`r.cycle_code = ANY(${values}::text[])`);
      else throw tmfInvalid(attr, 'is not a filterable attribute');
    }
    const w = where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
    const from = sql`FROM billing_run r JOIN billing_cycle c ON c.code = r.cycle_code`;
    const [rows, n] = await Promise.all([
      sql<{
        id: string;
        period: string;
        cycle_code: string;
        label: string;
        period_start: string;
        period_end: string;
        status: string;
        invoices: string;
        amount_total: string;
        started_at: Date;
        finished_at: Date | null;
        billed_at: Date | null;
        due_at: Date | null;
        mailed_at: Date | null;
      }>`SELECT r.id, r.period, r.cycle_code, c.label, r.period_start, r.period_end, r.status, r.invoices,
          r.amount_total, r.started_at, r.finished_at,
          (SELECT i.issued_at FROM billing_invoice i WHERE i.run_id = r.id ORDER BY i.id LIMIT 1) AS billed_at,
          (SELECT i.due_at FROM billing_invoice i WHERE i.run_id = r.id ORDER BY i.id LIMIT 1) AS due_at,
          (SELECT min(d.sent_at) FROM billing_delivery d WHERE d.run_id = r.id) AS mailed_at
        ${from} ${w} ORDER BY r.id OFFSET ${q.offset} LIMIT ${q.limit}`.execute(this.db),
      sql<{ n: string }>`SELECT count(*) AS n ${from} ${w}`.execute(this.db),
    ]);
    return {
      items: rows.rows.map((r): TmfObject => ({
        id: String(r.id),
        href: ctx.href(BILL_API, 'billCycle', String(r.id)),
        name: `${r.label} ${r.period}`,
        description: `billing run ${r.id}: ${r.status}, ${r.invoices} invoices, ${r.amount_total} in all`,
        billingPeriod: r.period,
        billingDate: isoOf(r.billed_at ?? r.started_at),
        ...(r.due_at ? { paymentDueDate: isoOf(r.due_at) } : {}),
        ...(r.mailed_at ? { mailingDate: isoOf(r.mailed_at) } : {}),
        validFor: {
          startDateTime: isoOf(`${String(r.period_start).slice(0, 10)}T00:00:00Z`),
          endDateTime: isoOf(`${String(r.period_end).slice(0, 10)}T23:59:59Z`),
        },
        BillCycleSpecification: {
          id: r.cycle_code,
          href: ctx.href(BILL_API, 'billCycleSpecification', r.cycle_code),
          name: r.label,
          '@referredType': 'BillCycleSpecification',
        },
        '@type': 'BillCycle',
      })),
      total: Number(n.rows[0]?.n ?? 0),
    };
  }
}

/** The bill formats GPTo produces: one, the invoice PDF (docs/billing.md, "Bills as PDF"). */
export const BILL_FORMATS = [
  {
    id: 'pdf',
    name: 'Facture PDF',
    description:
      'A4 PDF: operator header, customer and payer, account summary, details per line, taxes with their rates, totals and a payment slip',
  },
] as const;

/** How a bill reaches its payer: by e-mail when the customer has an address, else on paper. */
export const BILL_MEDIA = [
  {
    id: 'email',
    name: 'E-mail',
    description: 'the invoice PDF attached to an e-mail to the customer (customers with an e-mail address)',
  },
  {
    id: 'paper',
    name: 'Papier',
    description: 'printed in postal order in the run’s paper batch (customers without an e-mail address)',
  },
] as const;

/** A fixed list as a TMF resource list, every filter evaluated by the framework on the objects. */
export function staticList(
  entries: readonly { id: string; name: string; description: string }[],
  type: string,
  path: string,
  ctx: TmfContext,
  q: TmfListQuery,
) {
  const all = entries.map((e): TmfObject => ({
    id: e.id,
    href: ctx.href(ACCOUNT_API, path, e.id),
    name: e.name,
    description: e.description,
    '@type': type,
  }));
  return { items: all.slice(q.offset, q.offset + q.limit), total: all.length };
}
