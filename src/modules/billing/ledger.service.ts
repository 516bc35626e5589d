import { sql } from 'kysely';
import type { Db, Executor, Tx } from '../../platform/db.js';
import { DomainError, type ErrorKind } from '../../platform/errors.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import type { LedgerAccount, LedgerKind, PaymentMethod } from './billing.tables.js';
import { settleDepositIn, type DepositSettlement } from './deposit-settlement.js';

export type BillingErrorCode =
  | 'invoice.not_found'
  | 'invoice.state'
  | 'payment.amount'
  | 'deposit.not_found'
  | 'deposit.state'
  | 'payer.not_found';

export class BillingError extends DomainError {
  constructor(kind: ErrorKind, code: BillingErrorCode, message: string, field?: string) {
    super(kind, code, message, field);
  }
}

export interface InvoiceLine {
  label: string;
  productCode?: string;
  quantity: number;
  unitPrice: number;
  amount: number;
}

export interface Tax {
  code: string;
  label: string;
  rateBasisPoints: number;
}

/** Lines and taxes of a bill, in minor units: each tax is rounded once on the taxable total. */
export function priceLines(
  lines: Omit<InvoiceLine, 'amount'>[],
  taxes: Tax[],
): {
  lines: InvoiceLine[];
  amountExclTax: number;
  taxes: (Tax & { amount: number })[];
  taxAmount: number;
  total: number;
} {
  const priced = lines.map((l) => ({ ...l, amount: l.quantity * l.unitPrice }));
  const amountExclTax = priced.reduce((s, l) => s + l.amount, 0);
  const taxed = taxes.map((t) => ({
    ...t,
    amount: Math.round((amountExclTax * t.rateBasisPoints) / 10_000),
  }));
  const taxAmount = taxed.reduce((s, t) => s + t.amount, 0);
  return { lines: priced, amountExclTax, taxes: taxed, taxAmount, total: amountExclTax + taxAmount };
}

export interface Invoice {
  id: number;
  number: string;
  payerId: number;
  customerId: number;
  kind: string;
  status: string;
  currency: string;
  amountExclTax: number;
  taxAmount: number;
  total: number;
  paidAmount: number;
  lines: InvoiceLine[];
  taxes: unknown;
  issuedAt: string;
  dueAt: string;
}

export interface Balance {
  payerId: number;
  currency: string;
  /** What the customer owes (negative: the operator owes the customer). */
  receivable: number;
  /** Guarantee deposits the operator holds for this payer. */
  depositsHeld: number;
  openInvoices: number;
}

interface Source {
  type: string;
  id: string;
}

/**
 * The payer account ledger: every invoice, payment, deposit and credit is a row of its own table
 * and an append-only ledger entry, written in the caller's transaction with its event. The later
 * billing cycle issues periodic invoices through the same `issueInvoice`.
 */
export class LedgerService {
  constructor(
    private readonly db: Db,
    private readonly currency: string,
  ) {}

  private async entry(
    trx: Tx,
    e: {
      payerId: number;
      customerId: number;
      account: LedgerAccount;
      kind: LedgerKind;
      amount: number;
      invoiceId?: number;
      paymentId?: number;
      depositId?: number;
      description: string;
      at: Date;
    },
  ) {
    await trx
      .insertInto('billing_ledger_entry')
      .values({
        payer_id: e.payerId,
        customer_id: e.customerId,
        account: e.account,
        kind: e.kind,
        amount: e.amount,
        currency: this.currency,
        invoice_id: e.invoiceId ?? null,
        payment_id: e.paymentId ?? null,
        deposit_id: e.depositId ?? null,
        description: e.description,
        occurred_at: e.at,
      })
      .execute();
  }

  async issueInvoice(
    trx: Tx,
    input: {
      payerId: number;
      customerId: number;
      kind: 'one_off' | 'periodic';
      lines: Omit<InvoiceLine, 'amount'>[];
      taxes: Tax[];
      source: Source;
      dueDays: number;
      lineId?: string | null;
      at: Date;
    },
    by: Actor,
  ): Promise<Invoice> {
    const priced = priceLines(input.lines, input.taxes);
    // gap-free: the series counter row (migration 0500), shared with the billing runs
    const series = `F${input.at.getUTCFullYear()}`;
    const seq = await sql<{ n: number }>`SELECT billing_reserve_numbers(${series}, 1)::int AS n`.execute(trx);
    const number = `${series}${String(seq.rows[0]!.n).padStart(8, '0')}`;
    const row = await trx
      .insertInto('billing_invoice')
      .values({
        number,
        payer_id: input.payerId,
        customer_id: input.customerId,
        kind: input.kind,
        currency: this.currency,
        amount_excl_tax: priced.amountExclTax,
        tax_amount: priced.taxAmount,
        total: priced.total,
        lines: JSON.stringify(priced.lines),
        taxes: JSON.stringify(priced.taxes),
        source_type: input.source.type,
        source_id: input.source.id,
        issued_at: input.at,
        due_at: new Date(input.at.getTime() + input.dueDays * 86_400_000),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.entry(trx, {
      payerId: input.payerId,
      customerId: input.customerId,
      account: 'receivable',
      kind: 'invoice',
      amount: priced.total,
      invoiceId: row.id,
      description: `invoice ${number}`,
      at: input.at,
    });
    await appendEvent(trx, {
      entityType: 'invoice',
      entityId: row.id,
      customerId: input.customerId,
      lineId: input.lineId ?? null,
      kind: 'invoice.issued',
      userId: by.userId,
      payload: { number, total: priced.total, payerId: input.payerId, source: input.source },
    });
    return toInvoice(row);
  }

  /** A payment matched to an invoice: it must settle exactly what is still open on it. */
  async recordInvoicePayment(
    trx: Tx,
    input: {
      invoiceId: number;
      amount: number;
      method: PaymentMethod;
      reference: string | null;
      at: Date;
      lineId?: string | null;
    },
    by: Actor,
  ): Promise<{ paymentNumber: string; invoice: Invoice }> {
    const inv = await trx
      .selectFrom('billing_invoice')
      .selectAll()
      .where('id', '=', input.invoiceId)
      .forUpdate()
      .executeTakeFirst();
    if (!inv)
      throw new BillingError('not_found', 'invoice.not_found', `invoice ${input.invoiceId} does not exist`);
    if (inv.status !== 'open')
      throw new BillingError('conflict', 'invoice.state', `invoice ${inv.number} is ${inv.status}`);
    const open = inv.total - inv.paid_amount;
    if (input.amount !== open)
      throw new BillingError(
        'rule',
        'payment.amount',
        `invoice ${inv.number} has ${open} ${inv.currency} to pay, not ${input.amount}`,
        'amount',
      );
    const paymentNumber = await this.paymentNumber(trx, input.at);
    const p = await trx
      .insertInto('billing_payment')
      .values({
        number: paymentNumber,
        payer_id: inv.payer_id,
        customer_id: inv.customer_id,
        amount: input.amount,
        currency: inv.currency,
        method: input.method,
        reference: input.reference,
        invoice_id: inv.id,
        received_at: input.at,
        recorded_by: by.userId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const updated = await trx
      .updateTable('billing_invoice')
      .set({ paid_amount: inv.paid_amount + input.amount, status: 'paid', paid_at: input.at })
      .where('id', '=', inv.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.entry(trx, {
      payerId: inv.payer_id,
      customerId: inv.customer_id,
      account: 'receivable',
      kind: 'payment',
      amount: -input.amount,
      invoiceId: inv.id,
      paymentId: p.id,
      description: `payment ${paymentNumber} of invoice ${inv.number}`,
      at: input.at,
    });
    await appendEvent(trx, {
      entityType: 'invoice',
      entityId: inv.id,
      customerId: inv.customer_id,
      lineId: input.lineId ?? null,
      kind: 'invoice.paid',
      userId: by.userId,
      payload: { number: inv.number, payment: paymentNumber, amount: input.amount, method: input.method },
    });
    return { paymentNumber, invoice: toInvoice(updated) };
  }

  /** Cancels an open invoice with a reversing entry; what was paid on it stays as a credit. */
  async cancelInvoice(trx: Tx, invoiceId: number, reason: string, at: Date, by: Actor): Promise<void> {
    const inv = await trx
      .selectFrom('billing_invoice')
      .selectAll()
      .where('id', '=', invoiceId)
      .forUpdate()
      .executeTakeFirst();
    if (!inv) throw new BillingError('not_found', 'invoice.not_found', `invoice ${invoiceId} does not exist`);
    if (inv.status === 'cancelled') return;
    await trx
      .updateTable('billing_invoice')
      .set({ status: 'cancelled', cancelled_at: at, cancel_reason: reason })
      .where('id', '=', invoiceId)
      .execute();
    await this.entry(trx, {
      payerId: inv.payer_id,
      customerId: inv.customer_id,
      account: 'receivable',
      kind: 'invoice_cancelled',
      amount: -inv.total,
      invoiceId,
      description: `invoice ${inv.number} cancelled: ${reason}`,
      at,
    });
    await appendEvent(trx, {
      entityType: 'invoice',
      entityId: invoiceId,
      customerId: inv.customer_id,
      kind: 'invoice.cancelled',
      userId: by.userId,
      payload: { number: inv.number, reason, paidAmountLeftAsCredit: inv.paid_amount },
    });
  }

  /**
   * Gives the customer back what they paid on a cancelled invoice (a request that did not go
   * ahead): a refund entry clears the credit the cancellation left. Done once per invoice.
   */
  async refundCancelledInvoice(
    trx: Tx,
    invoiceId: number,
    reason: string,
    at: Date,
    by: Actor,
  ): Promise<number> {
    const inv = await trx
      .selectFrom('billing_invoice')
      .selectAll()
      .where('id', '=', invoiceId)
      .forUpdate()
      .executeTakeFirst();
    if (!inv) throw new BillingError('not_found', 'invoice.not_found', `invoice ${invoiceId} does not exist`);
    if (inv.status !== 'cancelled' || inv.paid_amount <= 0) return 0;
    const done = await trx
      .selectFrom('billing_ledger_entry')
      .select('id')
      .where('invoice_id', '=', invoiceId)
      .where('kind', '=', 'refund')
      .executeTakeFirst();
    if (done) return 0;
    const amount = Number(inv.paid_amount);
    await this.entry(trx, {
      payerId: inv.payer_id,
      customerId: inv.customer_id,
      account: 'receivable',
      kind: 'refund',
      amount,
      invoiceId,
      description: `refund of what was paid on cancelled invoice ${inv.number}: ${reason}`,
      at,
    });
    await appendEvent(trx, {
      entityType: 'invoice',
      entityId: invoiceId,
      customerId: inv.customer_id,
      kind: 'invoice.refunded',
      userId: by.userId,
      payload: { number: inv.number, amount, reason },
    });
    return amount;
  }

  /**
   * A credit granted on a payer's account (a rebate after a fault or a complaint): what the
   * customer owes goes down; the next bill settles itself with it first and the centralisation
   * posts it to the rebates account.
   */
  async credit(
    trx: Tx,
    input: {
      payerId: number;
      customerId: number;
      amount: number;
      description: string;
      source: Source;
      lineId?: string | null;
      at: Date;
    },
    by: Actor,
  ): Promise<void> {
    if (!Number.isInteger(input.amount) || input.amount <= 0)
      throw new BillingError('invalid', 'payment.amount', 'a credit is a positive whole amount', 'amount');
    await this.entry(trx, {
      payerId: input.payerId,
      customerId: input.customerId,
      account: 'receivable',
      kind: 'credit',
      amount: -input.amount,
      description: input.description,
      at: input.at,
    });
    await appendEvent(trx, {
      entityType: 'payer',
      entityId: input.payerId,
      customerId: input.customerId,
      lineId: input.lineId ?? null,
      kind: 'payer.credited',
      userId: by.userId,
      payload: { amount: input.amount, description: input.description, source: input.source },
    });
  }

  /** A guarantee deposit received: the operator now holds it until the line ends. */
  async receiveDeposit(
    trx: Tx,
    input: {
      payerId: number;
      customerId: number;
      amount: number;
      method: PaymentMethod;
      reference: string | null;
      source: Source;
      at: Date;
      lineId?: string | null;
    },
    by: Actor,
  ): Promise<{ depositId: number; paymentNumber: string }> {
    const d = await trx
      .insertInto('billing_deposit')
      .values({
        payer_id: input.payerId,
        customer_id: input.customerId,
        subscription_id: null,
        amount: input.amount,
        currency: this.currency,
        status: 'held',
        source_type: input.source.type,
        source_id: input.source.id,
        received_at: input.at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const paymentNumber = await this.paymentNumber(trx, input.at);
    const p = await trx
      .insertInto('billing_payment')
      .values({
        number: paymentNumber,
        payer_id: input.payerId,
        customer_id: input.customerId,
        amount: input.amount,
        currency: this.currency,
        method: input.method,
        reference: input.reference,
        deposit_id: d.id,
        received_at: input.at,
        recorded_by: by.userId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await this.entry(trx, {
      payerId: input.payerId,
      customerId: input.customerId,
      account: 'deposit',
      kind: 'deposit_received',
      amount: -input.amount,
      depositId: d.id,
      paymentId: p.id,
      description: `guarantee deposit received (${paymentNumber})`,
      at: input.at,
    });
    await appendEvent(trx, {
      entityType: 'deposit',
      entityId: d.id,
      customerId: input.customerId,
      lineId: input.lineId ?? null,
      kind: 'deposit.received',
      userId: by.userId,
      payload: { amount: input.amount, payment: paymentNumber, source: input.source },
    });
    return { depositId: d.id, paymentNumber };
  }

  /** Ties a held deposit to the line it guarantees, once that line exists. */
  async attachDeposit(trx: Tx, depositId: number, subscriptionId: number): Promise<void> {
    await trx
      .updateTable('billing_deposit')
      .set({ subscription_id: subscriptionId })
      .where('id', '=', depositId)
      .execute();
  }

  async refundDeposit(trx: Tx, depositId: number, reason: string, at: Date, by: Actor): Promise<void> {
    const d = await trx
      .selectFrom('billing_deposit')
      .selectAll()
      .where('id', '=', depositId)
      .forUpdate()
      .executeTakeFirst();
    if (!d) throw new BillingError('not_found', 'deposit.not_found', `deposit ${depositId} does not exist`);
    if (d.status !== 'held') return;
    await trx
      .updateTable('billing_deposit')
      .set({ status: 'refunded', ended_at: at })
      .where('id', '=', depositId)
      .execute();
    await this.entry(trx, {
      payerId: d.payer_id,
      customerId: d.customer_id,
      account: 'deposit',
      kind: 'deposit_refunded',
      amount: d.amount,
      depositId,
      description: `guarantee deposit refunded: ${reason}`,
      at,
    });
    await appendEvent(trx, {
      entityType: 'deposit',
      entityId: depositId,
      customerId: d.customer_id,
      kind: 'deposit.refunded',
      userId: by.userId,
      payload: { amount: d.amount, reason },
    });
  }

  /**
   * A line ends: its deposit first pays what the payer owes, the rest is refunded, with a
   * settlement receipt (deposit-settlement.ts), in the caller's transaction. A deposit no longer
   * held is left alone (a re-run step), its earlier settlement returned when there is one.
   */
  async settleDeposit(
    trx: Tx,
    depositId: number,
    reason: string,
    at: Date,
    by: Actor,
  ): Promise<DepositSettlement | null> {
    const r = await settleDepositIn(trx, depositId, { reason, applyToDebt: true, at }, by);
    if (!r.found)
      throw new BillingError('not_found', 'deposit.not_found', `deposit ${depositId} does not exist`);
    return r.settlement ?? r.existing;
  }

  async depositsOfSubscription(db: Executor, subscriptionId: number): Promise<number[]> {
    const rows = await db
      .selectFrom('billing_deposit')
      .select('id')
      .where('subscription_id', '=', subscriptionId)
      .where('status', '=', 'held')
      .execute();
    return rows.map((r) => r.id);
  }

  async invoice(db: Executor, id: number): Promise<Invoice> {
    const row = await db.selectFrom('billing_invoice').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new BillingError('not_found', 'invoice.not_found', `invoice ${id} does not exist`);
    return toInvoice(row);
  }

  async balance(payerId: number, db: Executor = this.db): Promise<Balance> {
    const r = await db
      .selectFrom('billing_ledger_entry')
      .select([
        sql<number>`coalesce(sum(amount) FILTER (WHERE account = 'receivable'), 0)::bigint`.as('receivable'),
        sql<number>`coalesce(-sum(amount) FILTER (WHERE account = 'deposit'), 0)::bigint`.as('deposits'),
      ])
      .where('payer_id', '=', payerId)
      .executeTakeFirstOrThrow();
    const open = await db
      .selectFrom('billing_invoice')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('payer_id', '=', payerId)
      .where('status', '=', 'open')
      .executeTakeFirstOrThrow();
    return {
      payerId,
      currency: this.currency,
      receivable: Number(r.receivable),
      depositsHeld: Number(r.deposits),
      openInvoices: Number(open.n),
    };
  }

  async entries(payerId: number, db: Executor = this.db) {
    const rows = await db
      .selectFrom('billing_ledger_entry')
      .selectAll()
      .where('payer_id', '=', payerId)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      account: r.account,
      kind: r.kind,
      amount: r.amount,
      currency: r.currency,
      invoiceId: r.invoice_id,
      paymentId: r.payment_id,
      depositId: r.deposit_id,
      description: r.description,
      occurredAt: new Date(r.occurred_at).toISOString(),
    }));
  }

  private async paymentNumber(trx: Tx, at: Date): Promise<string> {
    const seq = await sql<{ n: number }>`SELECT nextval('billing_payment_number_seq')::int AS n`.execute(trx);
    return `P${at.getUTCFullYear()}${String(seq.rows[0]!.n).padStart(8, '0')}`;
  }
}

function toInvoice(r: {
  id: number;
  number: string;
  payer_id: number;
  customer_id: number;
  kind: string;
  status: string;
  currency: string;
  amount_excl_tax: number;
  tax_amount: number;
  total: number;
  paid_amount: number;
  lines: unknown;
  taxes: unknown;
  issued_at: Date;
  due_at: Date;
}): Invoice {
  return {
    id: r.id,
    number: r.number,
    payerId: r.payer_id,
    customerId: r.customer_id,
    kind: r.kind,
    status: r.status,
    currency: r.currency,
    amountExclTax: r.amount_excl_tax,
    taxAmount: r.tax_amount,
    total: r.total,
    paidAmount: r.paid_amount,
    lines: r.lines as InvoiceLine[],
    taxes: r.taxes,
    issuedAt: new Date(r.issued_at).toISOString(),
    dueAt: new Date(r.due_at).toISOString(),
  };
}
