import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import type { BillingCycleServices } from '../billing/cycle.index.js';
import { isoOf } from './common.js';
import {
  tmfInvalid,
  type TmfApiDef,
  type TmfContext,
  type TmfListQuery,
  type TmfObject,
  type TmfResourceDef,
} from './framework.js';
import { TmfRefunds } from './refund.js';

/**
 * TMF676 Payment Management: a `payment` is a GPTo payment of a payer, recorded through the
 * billing payment service — matched to the designated invoice first, then the oldest open ones,
 * with its receipt number as id; a payment that clears the debt restores limited lines (the
 * collection listens to the same service).
 */

const API = 'payment';
export const METHODS: Record<string, 'cash' | 'bank_transfer' | 'direct_debit' | 'mobile_money' | 'cheque'> =
  {
    cash: 'cash',
    banktransfer: 'bank_transfer',
    bank_transfer: 'bank_transfer',
    directdebit: 'direct_debit',
    direct_debit: 'direct_debit',
    mobilemoney: 'mobile_money',
    mobile_money: 'mobile_money',
    cheque: 'cheque',
    check: 'cheque',
  };

/** The payer named by `account.id` (payments and refunds), or the error naming the field. */
export async function payerOfAccount(
  db: Db,
  body: Record<string, unknown>,
  hint: string,
): Promise<{ id: number }> {
  const account = body.account as { id?: unknown } | undefined;
  if (!account || typeof account !== 'object' || typeof account.id !== 'string')
    throw tmfInvalid('account.id', hint);
  const payer = await db
    .selectFrom('payer')
    .select('id')
    .where('code', '=', account.id.toUpperCase())
    .executeTakeFirst();
  if (!payer)
    throw new DomainError(
      'rule',
      'tmf.account_not_found',
      `account.id: billing account ${account.id} does not exist`,
      'account.id',
    );
  return payer;
}

/** GPTo's payment method from `paymentMethod.name` (or its `@type`), spaces and dashes ignored. */
export function methodOf(body: Record<string, unknown>): (typeof METHODS)[string] {
  const pm = body.paymentMethod as { name?: unknown; '@type'?: unknown } | undefined;
  const raw = String(pm?.name ?? pm?.['@type'] ?? '')
    .replace(/[\s-]/g, '')
    .toLowerCase();
  const method = METHODS[raw];
  if (!method)
    throw tmfInvalid('paymentMethod.name', 'cash, bank_transfer, direct_debit, mobile_money or cheque');
  return method;
}

/** `totalAmount.value` as a positive whole amount in the operator's currency. */
export function totalOf(
  body: Record<string, unknown>,
  currency: string,
  what: 'payments' | 'refunds',
): number {
  const total = body.totalAmount as { value?: unknown; unit?: unknown } | undefined;
  const value = total?.value;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
    throw tmfInvalid('totalAmount.value', `a positive whole amount in ${currency}`);
  if (total?.unit !== undefined && total.unit !== currency)
    throw tmfInvalid('totalAmount.unit', `${what} are in ${currency}`);
  return value;
}
export const TYPE_OF: Record<string, string> = {
  cash: 'Cash',
  bank_transfer: 'BankTransfer',
  direct_debit: 'DirectDebit',
  mobile_money: 'MobileMoney',
  cheque: 'Check',
  card: 'BankCard',
};

interface PaymentRow {
  number: string;
  amount: string;
  currency: string;
  method: string;
  reference: string | null;
  received_at: Date;
  payer_code: string;
  payer_name: string;
  customer_code: string;
  allocations: { invoice: string; amount: number }[];
}

export class TmfPayments {
  constructor(
    private readonly db: Db,
    private readonly cycle: BillingCycleServices,
  ) {}

  private toTmf(r: PaymentRow, ctx: TmfContext): TmfObject {
    const money = (v: number | string) => ({ unit: r.currency, value: Number(v) });
    return {
      id: r.number,
      href: ctx.href(API, 'payment', r.number),
      name: `Paiement ${r.number}`,
      paymentDate: isoOf(r.received_at),
      status: 'done',
      statusDate: isoOf(r.received_at),
      ...(r.reference ? { correlatorId: r.reference } : {}),
      account: {
        id: r.payer_code,
        href: ctx.href('accountManagement', 'billingAccount', r.payer_code),
        name: r.payer_name,
        '@referredType': 'BillingAccount',
      },
      amount: money(r.amount),
      totalAmount: money(r.amount),
      paymentMethod: { name: r.method, '@type': TYPE_OF[r.method] ?? 'PaymentMethod' },
      paymentItem: r.allocations.map((a) => ({
        amount: money(a.amount),
        totalAmount: money(a.amount),
        item: {
          id: a.invoice,
          href: ctx.href('customerBillManagement', 'customerBill', a.invoice),
          '@referredType': 'CustomerBill',
        },
      })),
      relatedParty: [
        {
          id: r.customer_code,
          href: ctx.href('customerManagement', 'customer', r.customer_code),
          name: r.payer_name,
          role: 'payer',
          '@referredType': 'Customer',
        },
      ],
      '@type': 'Payment',
    };
  }

  async list(q: TmfListQuery, ctx: TmfContext): Promise<{ items: TmfObject[]; total: number }> {
    const where: RawBuilder<unknown>[] = [];
    for (const [attr, values] of Object.entries(q.filters)) {
      const up = values.map((v) => v.toUpperCase());
      if (attr === 'id') where.push(sql`pm.number = ANY(${up}::text[])`);
      else if (attr === 'account.id') where.push(sql`p.code = ANY(${up}::text[])`);
      else if (attr === 'correlatorId') where.push(sql`pm.reference = ANY(${values}::text[])`);
      else if (attr === 'relatedParty.id') where.push(sql`c.code = ANY(${up}::text[])`);
      else throw tmfInvalid(attr, 'is not a filterable attribute');
    }
    const w = where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
    const from = sql`FROM billing_payment pm JOIN payer p ON p.id = pm.payer_id JOIN customer c ON c.id = pm.customer_id`;
    const [rows, n] = await Promise.all([
      sql<PaymentRow>`
        SELECT pm.number, pm.amount, pm.currency, pm.method, pm.reference, pm.received_at,
          p.code AS payer_code, p.name AS payer_name, c.code AS customer_code,
          coalesce((SELECT json_agg(json_build_object('invoice', i.number, 'amount', a.amount) ORDER BY i.id)
            FROM billing_payment_allocation a JOIN billing_invoice i ON i.id = a.invoice_id
            WHERE a.payment_id = pm.id), '[]') AS allocations
        ${from} ${w} ORDER BY pm.id OFFSET ${q.offset} LIMIT ${q.limit}`.execute(this.db),
      sql<{ n: string }>`SELECT count(*) AS n ${from} ${w}`.execute(this.db),
    ]);
    return { items: rows.rows.map((r) => this.toTmf(r, ctx)), total: Number(n.rows[0]?.n ?? 0) };
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    return (await this.list({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0];
  }

  async create(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    const payer = await payerOfAccount(this.db, body, 'the billing account (payer code) is required');
    const method = methodOf(body);
    const value = totalOf(body, this.cycle.currency, 'payments');
    const items = Array.isArray(body.paymentItem) ? (body.paymentItem as { item?: { id?: unknown } }[]) : [];
    const invoice = items[0]?.item?.id;
    if (invoice !== undefined && typeof invoice !== 'string')
      throw tmfInvalid('paymentItem[0].item.id', 'the bill (invoice number) the payment settles first');
    const reference = body.correlatorId;
    if (reference !== undefined && (typeof reference !== 'string' || reference.length > 100))
      throw tmfInvalid('correlatorId', 'a reference of at most 100 characters');
    const r = await this.cycle.payments.record(
      {
        payerId: payer.id,
        amount: value,
        method,
        reference: (reference as string | undefined) ?? null,
        invoiceNumber: (invoice as string | undefined) ?? null,
        at: new Date(),
      },
      ctx.actor,
    );
    return (await this.get(r.number, ctx)) as TmfObject;
  }
}

export function paymentApi(db: Db, cycle: BillingCycleServices): TmfApiDef {
  const payments = new TmfPayments(db, cycle);
  const payment: TmfResourceDef = {
    path: 'payment',
    type: 'Payment',
    read: 'billing:read',
    write: 'payment:write',
    pushdown: ['id', 'account.id', 'correlatorId', 'relatedParty.id'],
    list: (q, ctx) => payments.list(q, ctx),
    get: (id, ctx) => payments.get(id, ctx),
    create: (b, ctx) => payments.create(b, ctx),
    events: {
      entityTypes: ['payment'],
      classify: ({ kind }) => (kind === 'payment.received' ? 'CreateEvent' : null),
      idOf: async (entityId) =>
        (
          await db
            .selectFrom('billing_payment')
            .select('number')
            .where('id', '=', Number(entityId))
            .executeTakeFirst()
        )?.number,
    },
  };
  const refunds = new TmfRefunds(db, cycle);
  const refund: TmfResourceDef = {
    path: 'refund',
    type: 'Refund',
    read: 'billing:read',
    write: 'payment:write',
    pushdown: ['id', 'account.id', 'payment.id', 'correlatorId'],
    list: (q, ctx) => refunds.list(q, ctx),
    get: (id, ctx) => refunds.get(id, ctx),
    create: (b, ctx) => refunds.create(b, ctx),
    events: {
      entityTypes: ['refund'],
      classify: ({ kind }) => (kind === 'refund.recorded' ? 'CreateEvent' : null),
      idOf: async (_entityId, { payload }) => (payload as { number?: string } | null)?.number,
    },
  };
  return { name: API, title: 'TMF676 Payment Management', resources: [payment, refund] };
}
