import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db.js';
import { isoOf } from './common.js';
import { partyPathOf } from './customer.js';
import { tmfInvalid, type TmfContext, type TmfListQuery, type TmfObject } from './framework.js';

/**
 * TMF666 `financialAccount`: the customer-level account — what one customer owes across all its
 * payers (the consolidated view of `GET /api/v1/customers/:code/billing-account`), id = the
 * customer code. It aggregates the customer's billing accounts (payers, `accountRelationship`);
 * its balances are the sums of their ledgers. Read-only: it changes through its payers' bills,
 * payments and refunds.
 */

const API = 'accountManagement';

interface Row {
  code: string;
  kind: string;
  name: string;
  status: string;
  created_at: Date;
  updated_at: Date;
  receivable: string;
  deposits: string;
  overdue: string;
  payers: { code: string; name: string; created_at: string }[];
}

export class TmfFinancialAccounts {
  constructor(
    private readonly db: Db,
    private readonly currency: string,
  ) {}

  private toTmf(r: Row, ctx: TmfContext): TmfObject {
    const now = new Date().toISOString();
    const balance = (balanceType: string, value: string) => ({
      balanceType,
      amount: { unit: this.currency, value: Number(value) },
      validFor: { startDateTime: now },
    });
    return {
      id: r.code,
      href: ctx.href(API, 'financialAccount', r.code),
      name: r.name,
      accountType: 'receivable',
      state: r.status,
      lastModified: isoOf(r.updated_at),
      accountBalance: [
        balance('receivable', r.receivable),
        balance('overdue', r.overdue),
        balance('depositHeld', r.deposits),
      ],
      accountRelationship: r.payers.map((p) => ({
        relationshipType: 'aggregates',
        account: {
          id: p.code,
          href: ctx.href(API, 'billingAccount', p.code),
          name: p.name,
          '@referredType': 'BillingAccount',
        },
        validFor: { startDateTime: isoOf(p.created_at) },
      })),
      relatedParty: [
        {
          id: r.code,
          href: ctx.href('customerManagement', 'customer', r.code),
          name: r.name,
          role: 'owner',
          '@referredType': 'Customer',
        },
        {
          id: r.code,
          href: ctx.href('party', partyPathOf(r.kind), r.code),
          name: r.name,
          role: 'customer party',
          '@referredType': r.kind === 'organisation' ? 'Organization' : 'Individual',
        },
      ],
      '@type': 'FinancialAccount',
      '@baseType': 'Account',
    };
  }

  async list(q: TmfListQuery, ctx: TmfContext): Promise<{ items: TmfObject[]; total: number }> {
    const where: RawBuilder<unknown>[] = [sql`EXISTS (SELECT 1 FROM payer x WHERE x.customer_id = c.id)`];
    for (const [attr, values] of Object.entries(q.filters)) {
      if (attr === 'id' || attr === 'relatedParty.id')
        where.push(sql`c.code = ANY(${values.map((v) => v.toUpperCase())}::text[])`);
      else if (attr === 'state') where.push(sql`c.status = ANY(${values}::text[])`);
      else throw tmfInvalid(attr, 'is not a filterable attribute');
    }
    const w = sql`WHERE ${sql.join(where, sql` AND `)}`;
    const [rows, n] = await Promise.all([
      sql<Row>`
        SELECT c.code, c.kind, c.status, c.created_at, c.updated_at,
          CASE WHEN c.kind = 'organisation' THEN coalesce(c.company_name, '')
            ELSE concat_ws(' ', nullif(c.title, ''), nullif(c.first_names, ''), nullif(c.last_name, '')) END AS name,
          coalesce((SELECT sum(e.amount) FROM payer p JOIN billing_ledger_entry e ON e.payer_id = p.id
            WHERE p.customer_id = c.id AND e.account = 'receivable'), 0) AS receivable,
          coalesce((SELECT -sum(e.amount) FROM payer p JOIN billing_ledger_entry e ON e.payer_id = p.id
            WHERE p.customer_id = c.id AND e.account = 'deposit'), 0) AS deposits,
          coalesce((SELECT sum(i.total - i.paid_amount - i.credited_amount) FROM payer p
            JOIN billing_invoice i ON i.payer_id = p.id
            WHERE p.customer_id = c.id AND i.status = 'open' AND i.due_at < now()), 0) AS overdue,
          (SELECT json_agg(json_build_object('code', p.code, 'name', p.name, 'created_at', p.created_at) ORDER BY p.id)
            FROM payer p WHERE p.customer_id = c.id) AS payers
        FROM customer c ${w} ORDER BY c.id OFFSET ${q.offset} LIMIT ${q.limit}`.execute(this.db),
      sql<{ n: string }>`SELECT count(*) AS n FROM customer c ${w}`.execute(this.db),
    ]);
    return { items: rows.rows.map((r) => this.toTmf(r, ctx)), total: Number(n.rows[0]?.n ?? 0) };
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    return (await this.list({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0];
  }
}
