import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import { hasRight } from '../../platform/auth/rights.js';
import type { BillingCycleServices } from '../billing/cycle.index.js';
import type { ReferentialServices } from '../referential/index.js';
import type { Address } from '../referential/referential.schemas.js';
import { contactInputOf, contactMediumOf, isoOf } from './common.js';
import { partyPathOf } from './customer.js';
import {
  tmfInvalid,
  type TmfApiDef,
  type TmfContext,
  type TmfListQuery,
  type TmfObject,
  type TmfResourceDef,
} from './framework.js';
import { BILL_FORMATS, BILL_MEDIA, staticList, TmfBillCycles } from './bill-cycle.js';
import { TmfFinancialAccounts } from './financial-account.js';

const formatRef = (ctx: TmfContext, f: { id: string; name: string }) => ({
  id: f.id,
  href: ctx.href('accountManagement', 'billFormat', f.id),
  name: f.name,
  '@referredType': 'BillFormat',
});
const mediaRef = (ctx: TmfContext, m: { id: string; name: string }) => ({
  id: m.id,
  href: ctx.href('accountManagement', 'billPresentationMedia', m.id),
  name: m.name,
  '@referredType': 'BillPresentationMedia',
});

/**
 * TMF666 Account Management: a `billingAccount` is a GPTo payer — the account invoices go to and
 * payments come from — with its balance from the payer's ledger. `id` is the payer code.
 */

const API = 'accountManagement';
const METHODS = ['cash', 'bank_transfer', 'direct_debit', 'mobile_money', 'cheque'] as const;
type Method = (typeof METHODS)[number];

interface PayerRow {
  id: string;
  code: string;
  name: string;
  billing_address: Address;
  payment_method: string;
  mobile_money_number: string | null;
  bank_account: string | null;
  is_default: boolean;
  status: string;
  created_at: Date;
  updated_at: Date;
  customer_code: string;
  customer_name: string;
  customer_kind: string;
  receivable: string;
  deposits: string;
  open_invoices: string;
  cycle_code: string;
  cycle_label: string;
  has_email: boolean;
}

export class TmfAccounts {
  constructor(
    private readonly db: Db,
    private readonly referential: ReferentialServices,
    private readonly currency: string,
    private readonly cycle?: BillingCycleServices,
  ) {}

  private toTmf(r: PayerRow, ctx: TmfContext): TmfObject {
    const receivable = Number(r.receivable);
    const now = new Date().toISOString();
    return {
      id: r.code,
      href: ctx.href(API, 'billingAccount', r.code),
      name: r.name,
      accountType: r.is_default ? 'default billing' : 'billing',
      state: r.status,
      // Overdue is the collection's business; the account only says whether something is owed.
      paymentStatus: receivable > 0 ? (Number(r.open_invoices) > 0 ? 'due' : 'debit') : 'paid',
      lastModified: isoOf(r.updated_at),
      accountBalance: [
        {
          balanceType: 'receivable',
          amount: { unit: this.currency, value: receivable },
          validFor: { startDateTime: now },
        },
        {
          balanceType: 'depositHeld',
          amount: { unit: this.currency, value: Number(r.deposits) },
          validFor: { startDateTime: now },
        },
      ],
      relatedParty: [
        {
          id: r.customer_code,
          href: ctx.href('customerManagement', 'customer', r.customer_code),
          name: r.customer_name,
          role: 'owner',
          '@referredType': 'Customer',
        },
        {
          id: r.customer_code,
          href: ctx.href('party', partyPathOf(r.customer_kind), r.customer_code),
          name: r.customer_name,
          role: 'customer party',
          '@referredType': r.customer_kind === 'organisation' ? 'Organization' : 'Individual',
        },
      ],
      contact: [
        {
          contactType: 'billing',
          contactName: r.name,
          validFor: { startDateTime: isoOf(r.created_at) },
          contactMedium: contactMediumOf(
            r.billing_address,
            r.mobile_money_number ? [r.mobile_money_number] : [],
            null,
          ),
        },
      ],
      // how its bills are made: cycle, the invoice PDF, by e-mail or on paper (delivery.service.ts)
      billStructure: {
        cycleSpecification: {
          id: r.cycle_code,
          href: ctx.href(API, 'billingCycleSpecification', r.cycle_code),
          name: r.cycle_label,
          '@referredType': 'BillingCycleSpecification',
        },
        format: { ...formatRef(ctx, BILL_FORMATS[0]) },
        presentationMedia: [mediaRef(ctx, BILL_MEDIA[r.has_email ? 0 : 1])],
      },
      financialAccount: {
        id: r.customer_code,
        href: ctx.href(API, 'financialAccount', r.customer_code),
        name: r.customer_name,
        '@referredType': 'FinancialAccount',
      },
      defaultPaymentMethod: {
        id: r.payment_method,
        name: r.payment_method,
        '@referredType': 'PaymentMethod',
      },
      '@type': 'BillingAccount',
      '@baseType': 'Account',
    };
  }

  async list(q: TmfListQuery, ctx: TmfContext): Promise<{ items: TmfObject[]; total: number }> {
    const where: RawBuilder<unknown>[] = [];
    for (const [attr, values] of Object.entries(q.filters)) {
      if (attr === 'id') where.push(sql`p.code = ANY(${values.map((v) => v.toUpperCase())}::text[])`);
      else if (attr === 'name') where.push(sql`p.name = ANY(${values}::text[])`);
      else if (attr === 'state') where.push(sql`p.status = ANY(${values}::text[])`);
      else if (attr === 'relatedParty.id')
        where.push(sql`c.code = ANY(${values.map((v) => v.toUpperCase())}::text[])`);
      else throw tmfInvalid(attr, 'is not a filterable attribute');
    }
    const w = where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
    const [rows, n] = await Promise.all([
      sql<PayerRow>`
        SELECT p.id, p.code, p.name, p.billing_address, p.payment_method, p.mobile_money_number, p.bank_account,
          p.is_default, p.status, p.created_at, p.updated_at, c.code AS customer_code, c.kind AS customer_kind,
          CASE WHEN c.kind = 'organisation' THEN coalesce(c.company_name, '')
            ELSE concat_ws(' ', nullif(c.title, ''), nullif(c.first_names, ''), nullif(c.last_name, '')) END AS customer_name,
          coalesce((SELECT sum(e.amount) FILTER (WHERE e.account = 'receivable') FROM billing_ledger_entry e
            WHERE e.payer_id = p.id), 0) AS receivable,
          coalesce((SELECT -sum(e.amount) FILTER (WHERE e.account = 'deposit') FROM billing_ledger_entry e
            WHERE e.payer_id = p.id), 0) AS deposits,
          (SELECT count(*) FROM billing_invoice i WHERE i.payer_id = p.id AND i.status = 'open') AS open_invoices,
          bc.code AS cycle_code, bc.label AS cycle_label, nullif(trim(c.email), '') IS NOT NULL AS has_email
        FROM payer p JOIN customer c ON c.id = p.customer_id
        LEFT JOIN billing_payer_cycle pc ON pc.payer_id = p.id
        JOIN billing_cycle bc ON bc.code = coalesce(pc.cycle_code, 'monthly') ${w}
        ORDER BY p.id OFFSET ${q.offset} LIMIT ${q.limit}`.execute(this.db),
      sql<{
        n: string;
      }>`SELECT count(*) AS n FROM payer p JOIN customer c ON c.id = p.customer_id ${w}`.execute(this.db),
    ]);
    return { items: rows.rows.map((r) => this.toTmf(r, ctx)), total: Number(n.rows[0]?.n ?? 0) };
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    return (await this.list({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0];
  }

  private methodOf(body: Record<string, unknown>): Method | undefined {
    if (body.defaultPaymentMethod === undefined) return undefined;
    const m = (body.defaultPaymentMethod as { id?: unknown } | null)?.id;
    if (typeof m !== 'string' || !(METHODS as readonly string[]).includes(m))
      throw tmfInvalid('defaultPaymentMethod.id', `one of ${METHODS.join(', ')}`);
    return m as Method;
  }

  private addressOf(body: Record<string, unknown>): Address | undefined {
    if (body.contact === undefined) return undefined;
    if (!Array.isArray(body.contact)) throw tmfInvalid('contact', 'must be an array');
    for (const [i, c] of body.contact.entries()) {
      const media = (c as { contactMedium?: unknown } | null)?.contactMedium;
      try {
        const input = contactInputOf(media);
        if (input.address) return input.address;
      } catch (e) {
        if (e instanceof DomainError && e.field) throw tmfInvalid(`contact[${i}].${e.field}`, e.message);
        throw e;
      }
    }
    return undefined;
  }

  /** A new payer for an existing customer (`relatedParty` with the customer's id). */
  async create(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    if (typeof body.name !== 'string' || body.name.trim() === '') throw tmfInvalid('name', 'is required');
    const parties = Array.isArray(body.relatedParty)
      ? (body.relatedParty as { id?: unknown; role?: unknown }[])
      : [];
    const owner =
      parties.find((p) => p.role === undefined || p.role === 'owner' || p.role === 'customer') ?? parties[0];
    if (!owner || typeof owner.id !== 'string')
      throw tmfInvalid('relatedParty', 'the customer who owns the account is required');
    const exists = await this.db
      .selectFrom('customer')
      .select('id')
      .where('code', '=', owner.id.toUpperCase())
      .executeTakeFirst();
    if (!exists)
      throw new DomainError(
        'rule',
        'tmf.party_not_found',
        `relatedParty: customer ${owner.id} does not exist`,
        'relatedParty.id',
      );
    const address = this.addressOf(body);
    const method = this.methodOf(body);
    const payer = await this.referential.payers.createPayer(
      owner.id,
      {
        name: body.name.trim(),
        ...(address ? { billingAddress: address } : {}),
        ...(method ? { paymentMethod: method } : {}),
      },
      ctx.actor,
    );
    return (await this.get(payer.code, ctx)) as TmfObject;
  }

  async patch(id: string, body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject | undefined> {
    const row = await this.db
      .selectFrom('payer')
      .select(['id'])
      .where('code', '=', id.toUpperCase())
      .executeTakeFirst();
    if (!row) return undefined;
    for (const k of Object.keys(body)) {
      if (
        ![
          'name',
          'state',
          'contact',
          'defaultPaymentMethod',
          'billStructure',
          'id',
          'href',
          '@type',
          '@baseType',
        ].includes(k)
      )
        throw tmfInvalid(k, 'cannot be changed through TMF666 (balances come from the ledger)');
    }
    // checked before anything is written: a refused cycle leaves the rest of the patch undone too
    const cycle = await this.cycleOf(id, body, ctx);
    const patch: {
      name?: string;
      status?: 'active' | 'closed';
      billingAddress?: Address;
      paymentMethod?: Method;
    } = {};
    if (body.name !== undefined) {
      if (typeof body.name !== 'string' || body.name.trim() === '')
        throw tmfInvalid('name', 'must be a non-empty string');
      patch.name = body.name.trim();
    }
    if (body.state !== undefined) {
      if (body.state !== 'active' && body.state !== 'closed') throw tmfInvalid('state', 'active or closed');
      patch.status = body.state;
    }
    const address = this.addressOf(body);
    if (address) patch.billingAddress = address;
    const method = this.methodOf(body);
    if (method) patch.paymentMethod = method;
    if (Object.keys(patch).length) await this.referential.payers.updatePayer(row.id, patch, ctx.actor);
    if (cycle) await this.cycle?.accounts.setCycle(row.id, cycle, ctx.actor);
    return this.get(id, ctx);
  }

  /**
   * `billStructure.cycleSpecification.id`: the payer's billing cycle (the native
   * `PUT /api/v1/payers/:id/billing-cycle`, right `billing:run`). Its format and presentation media
   * are GPTo's (the PDF; e-mail when the customer has an address): sent back unchanged or refused.
   */
  private async cycleOf(
    id: string,
    body: Record<string, unknown>,
    ctx: TmfContext,
  ): Promise<string | undefined> {
    if (body.billStructure === undefined) return undefined;
    const bs = body.billStructure as Record<string, unknown> | null;
    if (bs === null || typeof bs !== 'object' || Array.isArray(bs))
      throw tmfInvalid('billStructure', 'must be an object');
    const current = (await this.get(id, ctx))?.billStructure as
      | { cycleSpecification: { id: string }; format: { id: string }; presentationMedia: { id: string }[] }
      | undefined;
    if (!current) return undefined;
    for (const k of Object.keys(bs))
      if (!['cycleSpecification', 'format', 'presentationMedia', '@type'].includes(k))
        throw tmfInvalid(`billStructure.${k}`, 'is not an attribute of a bill structure');
    const format = (bs.format as { id?: unknown } | undefined)?.id;
    if (bs.format !== undefined && format !== current.format.id)
      throw tmfInvalid('billStructure.format.id', `GPTo makes one bill format: ${current.format.id}`);
    if (bs.presentationMedia !== undefined) {
      const ids = Array.isArray(bs.presentationMedia)
        ? (bs.presentationMedia as { id?: unknown }[]).map((m) => m?.id)
        : [];
      if (ids.join() !== current.presentationMedia.map((m) => m.id).join())
        throw tmfInvalid(
          'billStructure.presentationMedia',
          'bills go by e-mail when the customer has an e-mail address, else on paper: change the customer’s e-mail',
        );
    }
    if (bs.cycleSpecification === undefined) return undefined;
    const wanted = (bs.cycleSpecification as { id?: unknown } | null)?.id;
    if (typeof wanted !== 'string')
      throw tmfInvalid(
        'billStructure.cycleSpecification.id',
        'the billing cycle code (billingCycleSpecification)',
      );
    if (wanted === current.cycleSpecification.id) return undefined;
    if (!this.cycle || !hasRight(ctx.principal.rights, 'billing:run'))
      throw new DomainError(
        'forbidden',
        'auth.forbidden',
        'the right "billing:run" is required to move a billing account to another cycle',
        'billStructure.cycleSpecification.id',
      );
    const exists = await this.db
      .selectFrom('billing_cycle')
      .select('code')
      .where('code', '=', wanted)
      .executeTakeFirst();
    if (!exists)
      throw new DomainError(
        'rule',
        'billing.cycle_not_found',
        `no billing cycle "${wanted}" (see billingCycleSpecification)`,
        'billStructure.cycleSpecification.id',
      );
    return wanted;
  }
}

export function accountApi(
  db: Db,
  referential: ReferentialServices,
  currency: string,
  cycle?: BillingCycleServices,
): TmfApiDef {
  const accounts = new TmfAccounts(db, referential, currency, cycle);
  const billingAccount: TmfResourceDef = {
    path: 'billingAccount',
    type: 'BillingAccount',
    read: 'billing:read',
    write: 'customer:write',
    pushdown: ['id', 'name', 'state', 'relatedParty.id'],
    list: (q, ctx) => accounts.list(q, ctx),
    get: (id, ctx) => accounts.get(id, ctx),
    create: (b, ctx) => accounts.create(b, ctx),
    patch: (id, b, ctx) => accounts.patch(id, b, ctx),
    events: {
      entityTypes: ['payer'],
      classify: ({ kind, payload }) => {
        if (kind === 'payer.created') return 'CreateEvent';
        if (kind === 'billing.cycle_changed') return 'AttributeValueChangeEvent';
        if (kind !== 'payer.updated') return null;
        const p = payload as { changes?: Record<string, unknown> } | null;
        return p?.changes && 'status' in p.changes ? 'StateChangeEvent' : 'AttributeValueChangeEvent';
      },
      idOf: async (entityId) =>
        (await db.selectFrom('payer').select('code').where('id', '=', Number(entityId)).executeTakeFirst())
          ?.code,
    },
  };
  // GPTo's party accounts are its payers: partyAccount lists them as what they are, BillingAccounts
  const partyAccount: TmfResourceDef = {
    path: 'partyAccount',
    type: 'BillingAccount',
    read: 'billing:read',
    pushdown: ['id', 'name', 'state', 'relatedParty.id'],
    list: (q, ctx) => accounts.list(q, ctx),
    get: (id, ctx) => accounts.get(id, ctx),
  };
  // GPTo settles with no partner (no revenue sharing, no dealers' commissions): none exists
  const settlementAccount: TmfResourceDef = {
    path: 'settlementAccount',
    type: 'SettlementAccount',
    read: 'billing:read',
    list: async () => ({ items: [], total: 0 }),
    get: async () => undefined,
  };
  const financial = new TmfFinancialAccounts(db, currency);
  const financialAccount: TmfResourceDef = {
    path: 'financialAccount',
    type: 'FinancialAccount',
    read: 'billing:read',
    pushdown: ['id', 'state', 'relatedParty.id'],
    list: (q, ctx) => financial.list(q, ctx),
    get: (id, ctx) => financial.get(id, ctx),
  };
  const cycles = new TmfBillCycles(db);
  const billingCycleSpecification: TmfResourceDef = {
    path: 'billingCycleSpecification',
    type: 'BillingCycleSpecification',
    read: 'billing:read',
    pushdown: ['id', 'name'],
    list: (q, ctx) => cycles.listBillingSpecs(q, ctx),
    get: async (id, ctx) =>
      (await cycles.listBillingSpecs({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0],
  };
  const billFormat: TmfResourceDef = {
    path: 'billFormat',
    type: 'BillFormat',
    read: 'billing:read',
    list: async (q, ctx) => staticList(BILL_FORMATS, 'BillFormat', 'billFormat', ctx, q),
    get: async (id, ctx) =>
      staticList(BILL_FORMATS, 'BillFormat', 'billFormat', ctx, {
        offset: 0,
        limit: 10,
        filters: {},
      }).items.find((f) => f.id === id),
  };
  const billPresentationMedia: TmfResourceDef = {
    path: 'billPresentationMedia',
    type: 'BillPresentationMedia',
    read: 'billing:read',
    list: async (q, ctx) => staticList(BILL_MEDIA, 'BillPresentationMedia', 'billPresentationMedia', ctx, q),
    get: async (id, ctx) =>
      staticList(BILL_MEDIA, 'BillPresentationMedia', 'billPresentationMedia', ctx, {
        offset: 0,
        limit: 10,
        filters: {},
      }).items.find((m) => m.id === id),
  };
  return {
    name: API,
    title: 'TMF666 Account Management',
    resources: [
      billingAccount,
      partyAccount,
      settlementAccount,
      financialAccount,
      billingCycleSpecification,
      billFormat,
      billPresentationMedia,
    ],
  };
}
