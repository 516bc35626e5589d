import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import type { PaymentMethod } from './billing.tables.js';
import { BillingCycleError, invalidInput } from './cycle.errors.js';
import { settleDepositIn, type DepositSettlement } from './deposit-settlement.js';
import { importBankTransfers, importMobileMoney } from './payment-import.js';

export interface PaymentInput {
  payerId: number;
  amount: number;
  method: PaymentMethod;
  reference?: string | null;
  /** Settle this invoice first; the rest goes to the oldest open invoices. */
  invoiceNumber?: string | null;
  /** The transaction id of an imported file: the same transaction is never recorded twice. */
  importRef?: string | null;
  at: Date;
}

export interface PaymentResult {
  id: number;
  number: string;
  payerId: number;
  customerId: number;
  amount: number;
  method: string;
  allocations: { invoice: string; amount: number }[];
  unallocated: number;
}

export interface ImportReport {
  rows: number;
  recorded: number;
  duplicates: number;
  amount: number;
  payments: string[];
  rejected: { line: number; reason: string; field?: string }[];
}

/**
 * Payments of payers: recorded at the cash desk or imported from bank-transfer and mobile-money
 * files, matched to invoices (the designated one first, then the oldest open invoice first), each
 * with its receipt number; and guarantee deposits settled when a line ends (applied to what is
 * owed, the rest refunded).
 */
export class PaymentService {
  /** Called after a payment commits (collection restores lines when the debt is paid). */
  onPaid: ((payerId: number) => Promise<void>) | undefined;

  constructor(
    private readonly db: Db,
    private readonly currency: string,
  ) {}

  async record(input: PaymentInput, by: Actor): Promise<PaymentResult> {
    const r = await this.db.transaction().execute((trx) => this.recordIn(trx, input, by));
    await this.onPaid?.(r.payerId);
    return r;
  }

  async recordIn(trx: Tx, input: PaymentInput, by: Actor): Promise<PaymentResult> {
    if (!Number.isInteger(input.amount) || input.amount <= 0)
      throw invalidInput('amount', 'amount is a positive whole number of minor units');
    // one payer's payments are matched one at a time
    const payer = await trx
      .selectFrom('payer')
      .select(['id', 'customer_id'])
      .where('id', '=', input.payerId)
      .forUpdate()
      .executeTakeFirst();
    if (!payer)
      throw new BillingCycleError(
        'not_found',
        'payer.not_found',
        `payer ${input.payerId} does not exist`,
        'payerId',
      );
    if (input.importRef) {
      const dup = await trx
        .selectFrom('billing_payment')
        .select('number')
        .where('method', '=', input.method)
        .where('import_ref', '=', input.importRef)
        .executeTakeFirst();
      if (dup)
        throw new BillingCycleError(
          'conflict',
          'payment.duplicate',
          `transaction ${input.importRef} is already recorded as payment ${dup.number}`,
          'reference',
        );
    }
    let designated: { id: number; number: string } | undefined;
    if (input.invoiceNumber) {
      const inv = await trx
        .selectFrom('billing_invoice')
        .select(['id', 'number', 'payer_id', 'status'])
        .where('number', '=', input.invoiceNumber.toUpperCase())
        .executeTakeFirst();
      if (!inv || inv.payer_id !== payer.id)
        throw new BillingCycleError(
          'not_found',
          'invoice.not_found',
          `payer ${payer.id} has no invoice ${input.invoiceNumber}`,
          'invoiceNumber',
        );
      if (inv.status !== 'open')
        throw new BillingCycleError(
          'conflict',
          'invoice.state',
          `invoice ${inv.number} is ${inv.status}`,
          'invoiceNumber',
        );
      designated = inv;
    }
    const seq = await sql<{ n: number }>`SELECT nextval('billing_payment_number_seq')::int AS n`.execute(trx);
    const number = `P${input.at.getUTCFullYear()}${String(seq.rows[0]!.n).padStart(8, '0')}`;
    const open = await trx
      .selectFrom('billing_invoice')
      .select(['id', 'number', 'total', 'paid_amount', 'credited_amount'])
      .where('payer_id', '=', payer.id)
      .where('status', '=', 'open')
      .orderBy(sql`id = ${designated?.id ?? 0}`, 'desc')
      .orderBy('due_at')
      .orderBy('id')
      .forUpdate()
      .execute();
    const allocations: { id: number; invoice: string; amount: number; settles: boolean }[] = [];
    let left = input.amount;
    for (const inv of open) {
      if (left === 0) break;
      const due = inv.total - inv.paid_amount - inv.credited_amount;
      if (due <= 0) continue;
      const take = Math.min(due, left);
      allocations.push({ id: inv.id, invoice: inv.number, amount: take, settles: take === due });
      left -= take;
    }
    const p = await trx
      .insertInto('billing_payment')
      .values({
        number,
        payer_id: payer.id,
        customer_id: payer.customer_id,
        amount: input.amount,
        currency: this.currency,
        method: input.method,
        reference: input.reference ?? null,
        invoice_id: designated?.id ?? null,
        received_at: input.at,
        recorded_by: by.userId,
        allocated_amount: input.amount - left,
        import_ref: input.importRef ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const a of allocations) {
      await trx
        .updateTable('billing_invoice')
        .set((eb) => ({
          paid_amount: eb('paid_amount', '+', a.amount),
          ...(a.settles ? { status: 'paid' as const, paid_at: input.at } : {}),
        }))
        .where('id', '=', a.id)
        .execute();
    }
    if (allocations.length > 0)
      await trx
        .insertInto('billing_payment_allocation')
        .values(allocations.map((a) => ({ payment_id: p.id, invoice_id: a.id, amount: a.amount })))
        .execute();
    await trx
      .insertInto('billing_ledger_entry')
      .values({
        payer_id: payer.id,
        customer_id: payer.customer_id,
        account: 'receivable',
        kind: 'payment',
        amount: -input.amount,
        currency: this.currency,
        invoice_id: designated?.id ?? null,
        payment_id: p.id,
        description: `payment ${number} (${input.method}${input.reference ? ` ${input.reference}` : ''})`,
        occurred_at: input.at,
      })
      .execute();
    await appendEvent(trx, {
      entityType: 'payment',
      entityId: p.id,
      customerId: payer.customer_id,
      kind: 'payment.received',
      userId: by.userId,
      payload: {
        number,
        payerId: payer.id,
        amount: input.amount,
        method: input.method,
        allocations: allocations.map((a) => ({ invoice: a.invoice, amount: a.amount })),
        unallocated: left,
      },
    });
    return {
      id: p.id,
      number,
      payerId: payer.id,
      customerId: payer.customer_id,
      amount: input.amount,
      method: input.method,
      allocations: allocations.map((a) => ({ invoice: a.invoice, amount: a.amount })),
      unallocated: left,
    };
  }

  async get(numberOrId: string): Promise<PaymentResult & { reference: string | null; receivedAt: string }> {
    const p = await this.db
      .selectFrom('billing_payment')
      .selectAll()
      .where(/^[0-9]{1,15}$/.test(numberOrId) ? 'id' : 'number', '=', numberOrId.toUpperCase() as never)
      .executeTakeFirst();
    if (!p)
      throw new BillingCycleError('not_found', 'payment.not_found', `payment ${numberOrId} does not exist`);
    const allocs = await this.db
      .selectFrom('billing_payment_allocation as a')
      .innerJoin('billing_invoice as i', 'i.id', 'a.invoice_id')
      .select(['i.number', 'a.amount'])
      .where('a.payment_id', '=', p.id)
      .orderBy('i.id')
      .execute();
    return {
      id: p.id,
      number: p.number,
      payerId: p.payer_id,
      customerId: p.customer_id,
      amount: p.amount,
      method: p.method,
      reference: p.reference,
      receivedAt: new Date(p.received_at).toISOString(),
      allocations: allocs.map((a) => ({ invoice: a.number, amount: a.amount })),
      unallocated: p.amount - p.allocated_amount,
    };
  }

  /** Bank-transfer statement (CSV): see payment-import.ts. */
  importBankTransfers(csv: string | Buffer, by: Actor): Promise<ImportReport> {
    return importBankTransfers(this.db, this, csv, by);
  }

  /** Mobile-money operator file (CSV): see payment-import.ts. */
  importMobileMoney(csv: string | Buffer, by: Actor): Promise<ImportReport> {
    return importMobileMoney(this.db, this, csv, by);
  }

  /**
   * A line ends: its guarantee deposits first pay what the payer still owes (oldest invoices
   * first), the rest is refunded to the customer (deposit-settlement.ts), with its receipt.
   */
  async settleDeposit(
    depositId: number,
    input: { reason: string; applyToDebt: boolean; at: Date },
    by: Actor,
  ): Promise<DepositSettlement> {
    const r = await this.db.transaction().execute((trx) => settleDepositIn(trx, depositId, input, by));
    if (!r.found)
      throw new BillingCycleError('not_found', 'deposit.not_found', `deposit ${depositId} does not exist`);
    if (!r.settlement) {
      const d = await this.db
        .selectFrom('billing_deposit')
        .select('status')
        .where('id', '=', depositId)
        .executeTakeFirstOrThrow();
      throw new BillingCycleError(
        'conflict',
        'deposit.state',
        `deposit ${depositId} is already ${d.status}${r.existing ? ` (${r.existing.number})` : ''}`,
      );
    }
    if (r.settlement.applied > 0) await this.onPaid?.(r.settlement.payerId);
    return r.settlement;
  }
}
