import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import { BillingCycleError } from './cycle.errors.js';

export interface StatementLine {
  id: number;
  date: string;
  kind: string;
  description: string;
  invoice: string | null;
  payment: string | null;
  debit: number;
  credit: number;
  balance: number;
}

export interface Statement {
  payerId: number;
  payerCode: string;
  currency: string;
  from: string;
  to: string;
  openingBalance: number;
  closingBalance: number;
  depositsHeld: number;
  lines: StatementLine[];
}

export interface PayerAccount {
  payerId: number;
  payerCode: string;
  name: string;
  cycle: string;
  balance: number;
  overdue: number;
  depositsHeld: number;
  openInvoices: number;
  oldestDue: string | null;
}

/** Payers' accounts as the customer and the agents read them: statement, balances, the customer's view. */
export class AccountService {
  constructor(
    private readonly db: Db,
    private readonly currency: string,
  ) {}

  /** The receivable account of a payer between two dates: opening balance, movements, running balance. */
  async statement(payerId: number, from: Date, to: Date): Promise<Statement> {
    const payer = await this.db
      .selectFrom('payer')
      .select(['id', 'code'])
      .where('id', '=', payerId)
      .executeTakeFirst();
    if (!payer)
      throw new BillingCycleError('not_found', 'payer.not_found', `payer ${payerId} does not exist`);
    const sums = await this.db
      .selectFrom('billing_ledger_entry')
      .select([
        sql<number>`coalesce(sum(amount) FILTER (WHERE account = 'receivable' AND occurred_at < ${from}), 0)::bigint`.as(
          'opening',
        ),
        sql<number>`coalesce(-sum(amount) FILTER (WHERE account = 'deposit' AND occurred_at < ${to}), 0)::bigint`.as(
          'deposits',
        ),
      ])
      .where('payer_id', '=', payerId)
      .executeTakeFirstOrThrow();
    const rows = await this.db
      .selectFrom('billing_ledger_entry as e')
      .leftJoin('billing_invoice as i', 'i.id', 'e.invoice_id')
      .leftJoin('billing_payment as p', 'p.id', 'e.payment_id')
      .select([
        'e.id',
        'e.occurred_at',
        'e.kind',
        'e.description',
        'e.amount',
        'i.number as invoice',
        'p.number as payment',
      ])
      .where('e.payer_id', '=', payerId)
      .where('e.account', '=', 'receivable')
      .where('e.occurred_at', '>=', from)
      .where('e.occurred_at', '<', to)
      .orderBy('e.occurred_at')
      .orderBy('e.id')
      .execute();
    let balance = Number(sums.opening);
    const lines = rows.map((r) => {
      balance += r.amount;
      return {
        id: r.id,
        date: new Date(r.occurred_at).toISOString(),
        kind: r.kind,
        description: r.description,
        invoice: r.invoice,
        payment: r.payment,
        debit: r.amount > 0 ? r.amount : 0,
        credit: r.amount < 0 ? -r.amount : 0,
        balance,
      };
    });
    return {
      payerId,
      payerCode: payer.code,
      currency: this.currency,
      from: from.toISOString(),
      to: to.toISOString(),
      openingBalance: Number(sums.opening),
      closingBalance: balance,
      depositsHeld: Number(sums.deposits),
      lines,
    };
  }

  /** Every payer of a customer with its balance, overdue amount and deposits, and the totals. */
  async customerAccount(
    customerRef: string,
    now: Date,
  ): Promise<{
    customerId: number;
    customerCode: string;
    currency: string;
    payers: PayerAccount[];
    totals: { balance: number; overdue: number; depositsHeld: number };
  }> {
    const c = await this.db
      .selectFrom('customer')
      .select(['id', 'code'])
      .where(/^[0-9]{1,15}$/.test(customerRef) ? 'id' : 'code', '=', customerRef.toUpperCase() as never)
      .executeTakeFirst();
    if (!c)
      throw new BillingCycleError(
        'not_found',
        'customer.not_found',
        `customer ${customerRef} does not exist`,
      );
    const r = await sql<{
      payer_id: number;
      code: string;
      name: string;
      cycle: string;
      balance: number;
      deposits: number;
      open_invoices: number;
      overdue: number;
      oldest_due: Date | null;
    }>`
      SELECT p.id AS payer_id, p.code, p.name, coalesce(pc.cycle_code, 'monthly') AS cycle,
        coalesce((SELECT sum(amount) FROM billing_ledger_entry e WHERE e.payer_id = p.id AND e.account = 'receivable'), 0)::bigint AS balance,
        coalesce((SELECT -sum(amount) FROM billing_ledger_entry e WHERE e.payer_id = p.id AND e.account = 'deposit'), 0)::bigint AS deposits,
        (SELECT count(*) FROM billing_invoice i WHERE i.payer_id = p.id AND i.status = 'open')::int AS open_invoices,
        coalesce((SELECT sum(total - paid_amount - credited_amount) FROM billing_invoice i
                  WHERE i.payer_id = p.id AND i.status = 'open' AND i.due_at < ${now}), 0)::bigint AS overdue,
        (SELECT min(due_at) FROM billing_invoice i WHERE i.payer_id = p.id AND i.status = 'open') AS oldest_due
      FROM payer p LEFT JOIN billing_payer_cycle pc ON pc.payer_id = p.id
      WHERE p.customer_id = ${c.id}
      ORDER BY p.id`.execute(this.db);
    const payers = r.rows.map((x) => ({
      payerId: x.payer_id,
      payerCode: x.code,
      name: x.name,
      cycle: x.cycle,
      balance: Number(x.balance),
      overdue: Math.max(0, Math.min(Number(x.overdue), Number(x.balance))),
      depositsHeld: Number(x.deposits),
      openInvoices: x.open_invoices,
      oldestDue: x.oldest_due ? new Date(x.oldest_due).toISOString() : null,
    }));
    return {
      customerId: c.id,
      customerCode: c.code,
      currency: this.currency,
      payers,
      totals: {
        balance: payers.reduce((s, p) => s + p.balance, 0),
        overdue: payers.reduce((s, p) => s + p.overdue, 0),
        depositsHeld: payers.reduce((s, p) => s + p.depositsHeld, 0),
      },
    };
  }

  /** Moves a payer to another billing cycle (from its next period). */
  async setCycle(payerId: number, cycle: string, by: Actor): Promise<void> {
    const c = await this.db
      .selectFrom('billing_cycle')
      .select('code')
      .where('code', '=', cycle)
      .executeTakeFirst();
    if (!c)
      throw new BillingCycleError(
        'not_found',
        'billing.cycle_not_found',
        `no billing cycle "${cycle}"`,
        'cycle',
      );
    const p = await this.db
      .selectFrom('payer')
      .select(['id', 'customer_id'])
      .where('id', '=', payerId)
      .executeTakeFirst();
    if (!p) throw new BillingCycleError('not_found', 'payer.not_found', `payer ${payerId} does not exist`);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('billing_payer_cycle')
        .values({ payer_id: payerId, cycle_code: cycle })
        .onConflict((oc) => oc.column('payer_id').doUpdateSet({ cycle_code: cycle, updated_at: new Date() }))
        .execute();
      await appendEvent(trx, {
        entityType: 'payer',
        entityId: payerId,
        customerId: p.customer_id,
        kind: 'billing.cycle_changed',
        userId: by.userId,
        payload: { cycle },
      });
    });
  }
}
