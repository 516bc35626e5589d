import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import type { BillingCycleServices } from '../billing/cycle.index.js';
import { isoOf } from './common.js';
import { tmfInvalid, type TmfContext, type TmfListQuery, type TmfObject } from './framework.js';
import { methodOf, payerOfAccount, totalOf, TYPE_OF } from './payment.js';

/**
 * TMF676 `refund`: money given back to a payer whose account is in credit, recorded by the
 * billing module's refund service (refund.ts there) — a numbered document `RB…` and a `refund`
 * movement on the payer's ledger, audited by its `refund.recorded` event. Never more than the
 * credit on the account, nor than what is left of the payment it gives back.
 */

const API = 'payment';

interface RefundRow {
  number: string;
  amount: string;
  currency: string;
  method: string;
  reason: string;
  reference: string | null;
  refunded_at: Date;
  payment_number: string | null;
  payer_code: string;
  payer_name: string;
  customer_code: string;
}

export class TmfRefunds {
  constructor(
    private readonly db: Db,
    private readonly cycle: BillingCycleServices,
  ) {}

  private toTmf(r: RefundRow, ctx: TmfContext): TmfObject {
    const money = { unit: r.currency, value: Number(r.amount) };
    return {
      id: r.number,
      href: ctx.href(API, 'refund', r.number),
      name: `Remboursement ${r.number}`,
      description: r.reason,
      refundDate: isoOf(r.refunded_at),
      status: 'done',
      statusDate: isoOf(r.refunded_at),
      ...(r.reference ? { correlatorId: r.reference } : {}),
      account: {
        id: r.payer_code,
        href: ctx.href('accountManagement', 'billingAccount', r.payer_code),
        name: r.payer_name,
        '@referredType': 'BillingAccount',
      },
      amount: money,
      totalAmount: money,
      paymentMethod: { name: r.method, '@type': TYPE_OF[r.method] ?? 'PaymentMethod' },
      ...(r.payment_number
        ? {
            payment: {
              id: r.payment_number,
              href: ctx.href(API, 'payment', r.payment_number),
              '@referredType': 'Payment',
            },
          }
        : {}),
      requestor: {
        id: r.customer_code,
        href: ctx.href('customerManagement', 'customer', r.customer_code),
        name: r.payer_name,
        role: 'payer',
        '@referredType': 'Customer',
      },
      '@type': 'Refund',
    };
  }

  async list(q: TmfListQuery, ctx: TmfContext): Promise<{ items: TmfObject[]; total: number }> {
    const where: RawBuilder<unknown>[] = [];
    for (const [attr, values] of Object.entries(q.filters)) {
      const up = values.map((v) => v.toUpperCase());
      if (attr === 'id') where.push(sql`r.number = ANY(${up}::text[])`);
      else if (attr === 'account.id') where.push(sql`p.code = ANY(${up}::text[])`);
      else if (attr === 'payment.id') where.push(sql`pm.number = ANY(${up}::text[])`);
      else if (attr === 'correlatorId') where.push(sql`r.reference = ANY(${values}::text[])`);
      else throw tmfInvalid(attr, 'is not a filterable attribute');
    }
    const w = where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
    const from = sql`FROM billing_refund r JOIN payer p ON p.id = r.payer_id JOIN customer c ON c.id = r.customer_id
      LEFT JOIN billing_payment pm ON pm.id = r.payment_id`;
    const [rows, n] = await Promise.all([
      sql<RefundRow>`SELECT r.number, r.amount, r.currency, r.method, r.reason, r.reference, r.refunded_at,
          pm.number AS payment_number, p.code AS payer_code, p.name AS payer_name, c.code AS customer_code
        ${from} ${w} ORDER BY r.id OFFSET ${q.offset} LIMIT ${q.limit}`.execute(this.db),
      sql<{ n: string }>`SELECT count(*) AS n ${from} ${w}`.execute(this.db),
    ]);
    return { items: rows.rows.map((r) => this.toTmf(r, ctx)), total: Number(n.rows[0]?.n ?? 0) };
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    return (await this.list({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0];
  }

  async create(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    const payer = await payerOfAccount(this.db, body, 'the billing account (payer code) to refund');
    const method = methodOf(body);
    const value = totalOf(body, this.cycle.currency, 'refunds');
    const amount = body.amount as { value?: unknown } | undefined;
    if (amount !== undefined && amount?.value !== value)
      throw tmfInvalid('amount.value', 'GPTo refunds carry no tax: amount is totalAmount');
    const payment = body.payment as { id?: unknown } | undefined;
    if (payment !== undefined && typeof payment?.id !== 'string')
      throw tmfInvalid('payment.id', 'the payment (receipt number) given back');
    const reason = body.description ?? body.name;
    if (typeof reason !== 'string' || reason.trim() === '' || reason.length > 500)
      throw tmfInvalid('description', 'say why the money is given back (at most 500 characters)');
    const reference = body.correlatorId;
    if (reference !== undefined && (typeof reference !== 'string' || reference.length > 100))
      throw tmfInvalid('correlatorId', 'a reference of at most 100 characters');
    let r;
    try {
      r = await this.cycle.refunds.record(
        {
          payerId: payer.id,
          amount: value,
          method,
          reason,
          paymentNumber: (payment?.id as string | undefined) ?? null,
          reference: (reference as string | undefined) ?? null,
          at: this.cycle.clock.now(),
        },
        ctx.actor,
      );
    } catch (e) {
      const field: Record<string, string> = {
        amount: 'totalAmount.value',
        method: 'paymentMethod.name',
        payment: 'payment.id',
        reason: 'description',
        payerId: 'account.id',
      };
      if (e instanceof DomainError && e.field && field[e.field])
        throw new DomainError(e.kind, e.code, e.message, field[e.field]);
      throw e;
    }
    return (await this.get(r.number, ctx)) as TmfObject;
  }
}
