import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db.js';
import type { BillingCycleServices } from '../billing/cycle.index.js';
import { TmfBillCycles } from './bill-cycle.js';
import { TmfBillsOnDemand } from './bill-on-demand.js';
import { isoOf } from './common.js';
import {
  tmfInvalid,
  type TmfApiDef,
  type TmfContext,
  type TmfListQuery,
  type TmfObject,
  type TmfResourceDef,
} from './framework.js';

/**
 * TMF678 Customer Bill Management, read-only: a `customerBill` is an issued GPTo invoice (or
 * credit note) — issued invoices never change, corrections are credit notes — and an
 * `appliedCustomerBillingRate` is one of its lines. `id` is the invoice number.
 */

const API = 'customerBillManagement';

interface InvoiceRow {
  id: string;
  number: string;
  kind: string;
  status: string;
  currency: string;
  amount_excl_tax: string;
  tax_amount: string;
  total: string;
  paid_amount: string;
  credited_amount: string;
  taxes: { code: string; label: string; rateBasisPoints: number; amount: number }[];
  period_start: string | null;
  period_end: string | null;
  issued_at: Date;
  due_at: Date;
  payer_code: string;
  payer_name: string;
  customer_code: string;
  payments: { number: string; amount: number }[];
  run_id: string | null;
  cycle_name: string | null;
}

interface LineRow {
  number: string;
  ord: string;
  line: {
    kind?: string;
    label: string;
    productCode?: string | null;
    subscriptionCode?: string | null;
    directoryNumber?: string | null;
    quantity: number;
    unitPrice: number;
    amount: number;
  };
  currency: string;
  issued_at: Date;
  period_start: string | null;
  period_end: string | null;
  payer_code: string;
  payer_name: string;
}

const money = (unit: string, value: number | string) => ({ unit, value: Number(value) });

function stateOf(r: InvoiceRow): string {
  if (r.status === 'paid' || r.status === 'cancelled') return 'settled';
  if (r.kind === 'credit_note') return 'settled';
  return Number(r.paid_amount) + Number(r.credited_amount) > 0 ? 'partiallyPaid' : 'sent';
}

function billingAccountRef(ctx: TmfContext, code: string, name: string) {
  return {
    id: code,
    href: ctx.href('accountManagement', 'billingAccount', code),
    name,
    '@referredType': 'BillingAccount',
  };
}

function period(start: string | null, end: string | null) {
  return start && end
    ? { startDateTime: isoOf(start), endDateTime: isoOf(`${String(end).slice(0, 10)}T23:59:59Z`) }
    : undefined;
}

export class TmfBills {
  constructor(private readonly db: Db) {}

  private toBill(r: InvoiceRow, ctx: TmfContext): TmfObject {
    const href = ctx.href(API, 'customerBill', r.number);
    const origin = new URL(href).origin;
    const open =
      r.status === 'open' ? Number(r.total) - Number(r.paid_amount) - Number(r.credited_amount) : 0;
    const billingPeriod = period(r.period_start, r.period_end);
    return {
      id: r.number,
      href,
      billNo: r.number,
      billDate: isoOf(r.issued_at),
      paymentDueDate: isoOf(r.due_at),
      lastUpdate: isoOf(r.issued_at),
      category: r.kind === 'credit_note' ? 'credit note' : r.kind === 'periodic' ? 'normal' : 'one-off',
      runType: r.kind === 'periodic' ? 'onCycle' : 'offCycle',
      ...(billingPeriod ? { billingPeriod } : {}),
      ...(r.run_id
        ? {
            billCycle: {
              id: String(r.run_id),
              href: ctx.href(API, 'billCycle', String(r.run_id)),
              ...(r.cycle_name ? { name: r.cycle_name } : {}),
              '@referredType': 'BillCycle',
            },
          }
        : {}),
      state: stateOf(r),
      amountDue: money(r.currency, r.total),
      remainingAmount: money(r.currency, open),
      taxExcludedAmount: money(r.currency, r.amount_excl_tax),
      taxIncludedAmount: money(r.currency, r.total),
      taxItem: r.taxes.map((t) => ({
        taxCategory: t.code,
        taxRate: t.rateBasisPoints / 10_000,
        taxAmount: money(r.currency, t.amount),
      })),
      billDocument: [
        {
          id: r.number,
          name: `${r.number}.pdf`,
          mimeType: 'application/pdf',
          attachmentType: 'bill',
          url: `${origin}/api/v1/invoices/${r.number}/pdf`,
          '@type': 'Attachment',
        },
      ],
      billingAccount: billingAccountRef(ctx, r.payer_code, r.payer_name),
      // the customer-level account (TMF666 financialAccount, id = customer code)
      financialAccount: {
        id: r.customer_code,
        href: ctx.href('accountManagement', 'financialAccount', r.customer_code),
        '@referredType': 'FinancialAccount',
      },
      relatedParty: [
        {
          id: r.customer_code,
          href: ctx.href('customerManagement', 'customer', r.customer_code),
          name: r.payer_name,
          role: 'customer',
          '@referredType': 'Customer',
        },
      ],
      appliedPayment: r.payments.map((p) => ({
        appliedAmount: money(r.currency, p.amount),
        payment: { id: p.number, href: ctx.href('payment', 'payment', p.number), '@referredType': 'Payment' },
      })),
      '@type': 'CustomerBill',
    };
  }

  private filters(filters: Record<string, string[]>): RawBuilder<unknown>[] {
    const where: RawBuilder<unknown>[] = [];
    for (const [attr, values] of Object.entries(filters)) {
      const up = values.map((v) => v.toUpperCase());
      if (attr === 'id' || attr === 'billNo' || attr === 'bill.id')
        where.push(sql`i.number = ANY(${up}::text[])`);
      else if (attr === 'billingAccount.id') where.push(sql`p.code = ANY(${up}::text[])`);
      else if (attr === 'relatedParty.id') where.push(sql`c.code = ANY(${up}::text[])`);
      else if (attr === 'runType')
        where.push(
          sql`(CASE WHEN i.kind = 'periodic' THEN 'onCycle' ELSE 'offCycle' END) = ANY(${values}::text[])`,
        );
      else throw tmfInvalid(attr, 'is not a filterable attribute');
    }
    return where;
  }

  async list(q: TmfListQuery, ctx: TmfContext): Promise<{ items: TmfObject[]; total: number }> {
    const where = this.filters(q.filters);
    const w = where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
    const from = sql`FROM billing_invoice i JOIN payer p ON p.id = i.payer_id JOIN customer c ON c.id = i.customer_id`;
    const [rows, n] = await Promise.all([
      sql<InvoiceRow>`
        SELECT i.id, i.number, i.kind, i.status, i.currency, i.amount_excl_tax, i.tax_amount, i.total, i.paid_amount,
          i.credited_amount, i.taxes, i.period_start, i.period_end, i.issued_at, i.due_at,
          p.code AS payer_code, p.name AS payer_name, c.code AS customer_code, i.run_id,
          (SELECT bc.label || ' ' || r.period FROM billing_run r JOIN billing_cycle bc ON bc.code = r.cycle_code
            WHERE r.id = i.run_id) AS cycle_name,
          coalesce((SELECT json_agg(json_build_object('number', pm.number, 'amount', a.amount) ORDER BY a.payment_id)
            FROM billing_payment_allocation a JOIN billing_payment pm ON pm.id = a.payment_id
            WHERE a.invoice_id = i.id), '[]') AS payments
        ${from} ${w} ORDER BY i.id OFFSET ${q.offset} LIMIT ${q.limit}`.execute(this.db),
      sql<{ n: string }>`SELECT count(*) AS n ${from} ${w}`.execute(this.db),
    ]);
    return { items: rows.rows.map((r) => this.toBill(r, ctx)), total: Number(n.rows[0]?.n ?? 0) };
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    return (await this.list({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0];
  }

  private toRate(r: LineRow, ctx: TmfContext): TmfObject {
    const id = `${r.number}-${r.ord}`;
    const coverage = period(r.period_start, r.period_end);
    const l = r.line;
    return {
      id,
      href: ctx.href(API, 'appliedCustomerBillingRate', id),
      name: l.label,
      date: isoOf(r.issued_at),
      isBilled: true,
      appliedBillingRateType: l.kind ?? 'charge',
      taxExcludedAmount: money(r.currency, l.amount),
      ...(coverage ? { periodCoverage: coverage } : {}),
      bill: { id: r.number, href: ctx.href(API, 'customerBill', r.number), '@referredType': 'CustomerBill' },
      billingAccount: billingAccountRef(ctx, r.payer_code, r.payer_name),
      ...(l.subscriptionCode
        ? {
            product: {
              id: l.subscriptionCode,
              href: ctx.href('productInventory', 'product', l.subscriptionCode),
              '@referredType': 'Product',
            },
          }
        : {}),
      characteristic: [
        { name: 'quantity', value: l.quantity, valueType: 'number' },
        { name: 'unitPrice', value: l.unitPrice, valueType: 'number' },
        ...(l.productCode ? [{ name: 'productCode', value: l.productCode, valueType: 'string' }] : []),
        ...(l.directoryNumber
          ? [{ name: 'directoryNumber', value: l.directoryNumber, valueType: 'string' }]
          : []),
      ],
      '@type': 'AppliedCustomerBillingRate',
    };
  }

  async listRates(q: TmfListQuery, ctx: TmfContext): Promise<{ items: TmfObject[]; total: number }> {
    const where: RawBuilder<unknown>[] = [];
    for (const [attr, values] of Object.entries(q.filters)) {
      const up = values.map((v) => v.toUpperCase());
      if (attr === 'id') {
        const pairs = up.map((v) => /^(.+)-(\d{1,6})$/.exec(v)).filter((m) => m !== null);
        if (pairs.length === 0) return { items: [], total: 0 };
        where.push(
          sql`(i.number, l.ord) IN (${sql.join(pairs.map((m) => sql`(${m[1]}, ${Number(m[2])}::bigint)`))})`,
        );
      } else if (attr === 'bill.id') where.push(sql`i.number = ANY(${up}::text[])`);
      else if (attr === 'billingAccount.id') where.push(sql`p.code = ANY(${up}::text[])`);
      else throw tmfInvalid(attr, 'is not a filterable attribute');
    }
    const w = where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
    const from = sql`FROM billing_invoice i JOIN payer p ON p.id = i.payer_id
      CROSS JOIN LATERAL jsonb_array_elements(i.lines) WITH ORDINALITY AS l(line, ord)`;
    const [rows, n] = await Promise.all([
      sql<LineRow>`SELECT i.number, l.ord, l.line, i.currency, i.issued_at, i.period_start, i.period_end,
          p.code AS payer_code, p.name AS payer_name
        ${from} ${w} ORDER BY i.id, l.ord OFFSET ${q.offset} LIMIT ${q.limit}`.execute(this.db),
      sql<{ n: string }>`SELECT count(*) AS n ${from} ${w}`.execute(this.db),
    ]);
    return { items: rows.rows.map((r) => this.toRate(r, ctx)), total: Number(n.rows[0]?.n ?? 0) };
  }

  async getRate(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    return (await this.listRates({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0];
  }
}

export function customerBillApi(db: Db, cycle: BillingCycleServices): TmfApiDef {
  const bills = new TmfBills(db);
  const onDemand = new TmfBillsOnDemand(db, cycle);
  const cycles = new TmfBillCycles(db);
  const customerBill: TmfResourceDef = {
    path: 'customerBill',
    type: 'CustomerBill',
    read: 'billing:read',
    pushdown: ['id', 'billNo', 'billingAccount.id', 'relatedParty.id', 'runType'],
    list: (q, ctx) => bills.list(q, ctx),
    get: (id, ctx) => bills.get(id, ctx),
    events: {
      entityTypes: ['invoice'],
      classify: ({ kind }) =>
        kind === 'invoice.issued'
          ? 'CreateEvent'
          : ['invoice.paid', 'invoice.cancelled', 'invoice.credited', 'invoice.refunded'].includes(kind)
            ? 'StateChangeEvent'
            : null,
      idOf: async (entityId) =>
        /^\d+$/.test(entityId)
          ? (
              await db
                .selectFrom('billing_invoice')
                .select('number')
                .where('id', '=', Number(entityId))
                .executeTakeFirst()
            )?.number
          : entityId,
    },
  };
  const rate: TmfResourceDef = {
    path: 'appliedCustomerBillingRate',
    type: 'AppliedCustomerBillingRate',
    read: 'billing:read',
    pushdown: ['id', 'bill.id', 'billingAccount.id'],
    list: (q, ctx) => bills.listRates(q, ctx),
    get: (id, ctx) => bills.getRate(id, ctx),
  };
  const billOnDemand: TmfResourceDef = {
    path: 'customerBillOnDemand',
    type: 'CustomerBillOnDemand',
    read: 'billing:read',
    write: 'billing:run',
    pushdown: ['id', 'billingAccount.id', 'customerBill.id', 'relatedParty.id'],
    list: (q, ctx) => onDemand.list(q, ctx),
    get: (id, ctx) => onDemand.get(id, ctx),
    create: (b, ctx) => onDemand.create(b, ctx),
    events: {
      entityTypes: ['invoice'],
      classify: ({ kind, payload }) =>
        kind === 'invoice.issued' &&
        (payload as { source?: { type?: string } } | null)?.source?.type === 'on_demand'
          ? 'CreateEvent'
          : null,
      idOf: async (_entityId, { payload }) => (payload as { source?: { id?: string } } | null)?.source?.id,
    },
  };
  const billCycle: TmfResourceDef = {
    path: 'billCycle',
    type: 'BillCycle',
    read: 'billing:read',
    pushdown: ['id', 'billingPeriod', 'BillCycleSpecification.id'],
    list: (q, ctx) => cycles.listRuns(q, ctx),
    get: async (id, ctx) =>
      (await cycles.listRuns({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0],
  };
  const billCycleSpecification: TmfResourceDef = {
    path: 'billCycleSpecification',
    type: 'BillCycleSpecification',
    read: 'billing:read',
    pushdown: ['id', 'name'],
    list: (q, ctx) => cycles.listSpecs(q, ctx),
    get: async (id, ctx) =>
      (await cycles.listSpecs({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0],
  };
  return {
    name: API,
    title: 'TMF678 Customer Bill Management',
    resources: [customerBill, rate, billOnDemand, billCycle, billCycleSpecification],
  };
}
