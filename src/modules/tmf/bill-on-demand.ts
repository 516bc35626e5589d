import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import type { BillingCycleServices } from '../billing/cycle.index.js';
import { isoOf } from './common.js';
import { tmfInvalid, type TmfContext, type TmfListQuery, type TmfObject } from './framework.js';

/**
 * TMF678 `customerBillOnDemand`: a client asks for a bill now for a billing account (a payer).
 * The billing module issues it with its on-demand rule (on-demand.ts: the charges waiting for the
 * payer's next bill, taxed and numbered like a run's invoice) — a real invoice, the one the native
 * API and its PDF show, read back as the `customerBill`. The request is kept with that invoice
 * (`tmf_bill_on_demand`, migration 0770), in the invoice's transaction; it is `done` at once.
 */

const API = 'customerBillManagement';

interface Row {
  code: string;
  name: string | null;
  description: string | null;
  created_at: Date;
  number: string;
  payer_code: string;
  payer_name: string;
  customer_code: string;
}

function text(body: Record<string, unknown>, field: string, max: number): string | null {
  const v = body[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length > max) throw tmfInvalid(field, `a text of at most ${max} characters`);
  return v;
}

export class TmfBillsOnDemand {
  constructor(
    private readonly db: Db,
    private readonly cycle: BillingCycleServices,
  ) {}

  private toTmf(r: Row, ctx: TmfContext): TmfObject {
    return {
      id: r.code,
      href: ctx.href(API, 'customerBillOnDemand', r.code),
      ...(r.name ? { name: r.name } : {}),
      ...(r.description ? { description: r.description } : {}),
      lastUpdate: isoOf(r.created_at),
      state: 'done',
      billingAccount: {
        id: r.payer_code,
        href: ctx.href('accountManagement', 'billingAccount', r.payer_code),
        name: r.payer_name,
        '@referredType': 'BillingAccount',
      },
      customerBill: {
        id: r.number,
        href: ctx.href(API, 'customerBill', r.number),
        name: r.number,
        '@referredType': 'CustomerBill',
      },
      relatedParty: {
        id: r.customer_code,
        href: ctx.href('customerManagement', 'customer', r.customer_code),
        name: r.payer_name,
        role: 'customer',
        '@referredType': 'Customer',
      },
      '@type': 'CustomerBillOnDemand',
    };
  }

  async list(q: TmfListQuery, ctx: TmfContext): Promise<{ items: TmfObject[]; total: number }> {
    const where: RawBuilder<unknown>[] = [];
    for (const [attr, values] of Object.entries(q.filters)) {
      const up = values.map((v) => v.toUpperCase());
      if (attr === 'id') where.push(sql`d.code = ANY(${up}::text[])`);
      else if (attr === 'billingAccount.id') where.push(sql`p.code = ANY(${up}::text[])`);
      else if (attr === 'customerBill.id') where.push(sql`i.number = ANY(${up}::text[])`);
      else if (attr === 'relatedParty.id') where.push(sql`c.code = ANY(${up}::text[])`);
      else throw tmfInvalid(attr, 'is not a filterable attribute');
    }
    const w = where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
    const from = sql`FROM tmf_bill_on_demand d JOIN billing_invoice i ON i.id = d.invoice_id
      JOIN payer p ON p.id = d.payer_id JOIN customer c ON c.id = p.customer_id`;
    const [rows, n] = await Promise.all([
      sql<Row>`SELECT d.code, d.name, d.description, d.created_at, i.number, p.code AS payer_code,
          p.name AS payer_name, c.code AS customer_code
        ${from} ${w} ORDER BY d.id OFFSET ${q.offset} LIMIT ${q.limit}`.execute(this.db),
      sql<{ n: string }>`SELECT count(*) AS n ${from} ${w}`.execute(this.db),
    ]);
    return { items: rows.rows.map((r) => this.toTmf(r, ctx)), total: Number(n.rows[0]?.n ?? 0) };
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    return (await this.list({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0];
  }

  async create(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    for (const k of ['state', 'customerBill'])
      if (body[k] !== undefined) throw tmfInvalid(k, 'is set by GPTo: the bill it issued and its state');
    const account = body.billingAccount as { id?: unknown } | undefined;
    if (!account || typeof account !== 'object' || typeof account.id !== 'string')
      throw tmfInvalid('billingAccount.id', 'the billing account (payer code) to bill');
    const name = text(body, 'name', 200);
    const description = text(body, 'description', 2000);
    const payer = await this.db
      .selectFrom('payer')
      .select(['id', 'customer_id'])
      .where('code', '=', account.id.toUpperCase())
      .executeTakeFirst();
    if (!payer)
      throw new DomainError(
        'rule',
        'tmf.account_not_found',
        `billingAccount.id: billing account ${account.id} does not exist`,
        'billingAccount.id',
      );
    const party = body.relatedParty as { id?: unknown } | undefined;
    if (party !== undefined) {
      const owner = await this.db
        .selectFrom('customer')
        .select('code')
        .where('id', '=', payer.customer_id)
        .executeTakeFirstOrThrow();
      if (typeof party?.id !== 'string' || party.id.toUpperCase() !== owner.code)
        throw tmfInvalid('relatedParty.id', `the billing account's customer is ${owner.code}`);
    }
    const code = await this.db.transaction().execute(async (trx) => {
      const seq = await sql<{ n: string }>`SELECT nextval('tmf_bill_on_demand_seq') AS n`.execute(trx);
      const code = `BOD${String(seq.rows[0]!.n).padStart(8, '0')}`;
      let invoice;
      try {
        invoice = await this.cycle.billOnDemand(
          trx,
          { payerId: payer.id, source: { type: 'on_demand', id: code } },
          ctx.actor,
        );
      } catch (e) {
        if (e instanceof DomainError && e.field === 'payerId')
          throw new DomainError(e.kind, e.code, e.message, 'billingAccount.id');
        throw e;
      }
      await sql`INSERT INTO tmf_bill_on_demand (code, payer_id, invoice_id, name, description, created_by)
        VALUES (${code}, ${payer.id}, ${invoice.id}, ${name}, ${description}, ${ctx.actor.userId})`.execute(
        trx,
      );
      return code;
    });
    return (await this.get(code, ctx)) as TmfObject;
  }
}
