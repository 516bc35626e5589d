import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import type { PaymentMethod } from './billing.tables.js';

export interface RefundInput {
  payerId: number;
  amount: number;
  reason: string;
  /** The payment given back (receipt number): the refund goes back by its method. */
  paymentNumber?: string | null;
  /** Without a payment: `cash` (the only method the centralisation posts a refund without one to). */
  method?: PaymentMethod | null;
  /** The transfer's or mobile-money transaction's reference. */
  reference?: string | null;
  at: Date;
}

export interface RefundDoc {
  id: number;
  number: string;
  payerId: number;
  payerCode: string;
  customerId: number;
  amount: number;
  currency: string;
  method: PaymentMethod;
  paymentNumber: string | null;
  reason: string;
  reference: string | null;
  refundedAt: string;
  refundedBy: number | null;
}

const refused = (code: string, message: string, field: string) =>
  new DomainError('rule', code, message, field);

/**
 * Refunds: money given back to a payer whose account is in credit — what it overpaid, a rebate
 * or a credit note larger than what it owed. A refund never exceeds the credit on the account
 * (GPTo does not lend), nor what is left of the payment it gives back. Each is a numbered document
 * (`RB<year><8 digits>`) and a `refund` ledger entry on the receivable account, written with its
 * event (`refund.recorded`, the user who did it) in one transaction; the payer's row is locked
 * meanwhile, as payments do, so concurrent refunds cannot both spend the same credit.
 */
export class RefundService {
  constructor(
    private readonly db: Db,
    private readonly currency: string,
  ) {}

  async get(ref: string): Promise<RefundDoc> {
    const r = await sql<{
      id: string;
      number: string;
      payer_id: string;
      payer_code: string;
      customer_id: string;
      amount: string;
      currency: string;
      method: PaymentMethod;
      payment_number: string | null;
      reason: string;
      reference: string | null;
      refunded_at: Date;
      refunded_by: string | null;
    }>`SELECT r.id, r.number, r.payer_id, p.code AS payer_code, r.customer_id, r.amount, r.currency, r.method,
          pm.number AS payment_number, r.reason, r.reference, r.refunded_at, r.refunded_by
        FROM billing_refund r JOIN payer p ON p.id = r.payer_id LEFT JOIN billing_payment pm ON pm.id = r.payment_id
        WHERE r.number = ${ref.toUpperCase()}`.execute(this.db);
    const row = r.rows[0];
    if (!row) throw new DomainError('not_found', 'refund.not_found', `refund ${ref} does not exist`);
    return {
      id: Number(row.id),
      number: row.number,
      payerId: Number(row.payer_id),
      payerCode: row.payer_code,
      customerId: Number(row.customer_id),
      amount: Number(row.amount),
      currency: row.currency,
      method: row.method,
      paymentNumber: row.payment_number,
      reason: row.reason,
      reference: row.reference,
      refundedAt: new Date(row.refunded_at).toISOString(),
      refundedBy: row.refunded_by === null ? null : Number(row.refunded_by),
    };
  }

  async record(input: RefundInput, by: Actor): Promise<RefundDoc> {
    return this.db.transaction().execute((trx) => this.recordIn(trx, input, by));
  }

  async recordIn(trx: Tx, input: RefundInput, by: Actor): Promise<RefundDoc> {
    if (!Number.isSafeInteger(input.amount) || input.amount <= 0)
      throw new DomainError('invalid', 'billing.invalid', 'a positive whole number of minor units', 'amount');
    const reason = input.reason.trim();
    if (reason === '' || reason.length > 500)
      throw new DomainError('invalid', 'billing.invalid', 'say why, in at most 500 characters', 'reason');
    const payer = await trx
      .selectFrom('payer')
      .select(['id', 'code', 'customer_id'])
      .where('id', '=', input.payerId)
      .forUpdate()
      .executeTakeFirst();
    if (!payer)
      throw new DomainError(
        'not_found',
        'payer.not_found',
        `payer ${input.payerId} does not exist`,
        'payerId',
      );
    let method: PaymentMethod = input.method ?? 'cash';
    let payment: { id: number; number: string; amount: number; refunded: number } | undefined;
    if (input.paymentNumber) {
      const p = await sql<{
        id: string;
        number: string;
        payer_id: string;
        amount: string;
        method: PaymentMethod;
        refunded: string;
      }>`
        SELECT pm.id, pm.number, pm.payer_id, pm.amount, pm.method,
               coalesce((SELECT sum(r.amount) FROM billing_refund r WHERE r.payment_id = pm.id), 0) AS refunded
        FROM billing_payment pm WHERE pm.number = ${input.paymentNumber.toUpperCase()}`.execute(trx);
      const row = p.rows[0];
      if (!row || Number(row.payer_id) !== payer.id)
        throw new DomainError(
          'not_found',
          'payment.not_found',
          `payer ${payer.code} has no payment ${input.paymentNumber}`,
          'payment',
        );
      if (input.method && input.method !== row.method)
        throw new DomainError(
          'invalid',
          'billing.invalid',
          `payment ${row.number} was made by ${row.method}: its refund goes back the same way`,
          'method',
        );
      method = row.method;
      payment = {
        id: Number(row.id),
        number: row.number,
        amount: Number(row.amount),
        refunded: Number(row.refunded),
      };
      if (input.amount > payment.amount - payment.refunded)
        throw refused(
          'refund.exceeds_payment',
          `payment ${payment.number} of ${payment.amount} ${this.currency} has ${payment.amount - payment.refunded} left to refund, not ${input.amount}`,
          'amount',
        );
    } else if (method !== 'cash') {
      throw new DomainError(
        'invalid',
        'billing.invalid',
        'a refund that gives back no particular payment is paid in cash; name the payment to refund it by its method',
        'method',
      );
    }
    const bal = await sql<{ receivable: string }>`
      SELECT coalesce(sum(amount), 0) AS receivable FROM billing_ledger_entry
      WHERE payer_id = ${payer.id} AND account = 'receivable'`.execute(trx);
    const credit = -Number(bal.rows[0]?.receivable ?? 0);
    if (input.amount > credit)
      throw refused(
        'refund.exceeds_credit',
        credit > 0
          ? `payer ${payer.code} has ${credit} ${this.currency} in credit: a refund cannot exceed it`
          : `payer ${payer.code} has no credit to refund (it owes ${-credit} ${this.currency})`,
        'amount',
      );
    const seq = await sql<{ n: number }>`SELECT nextval('billing_refund_number_seq')::int AS n`.execute(trx);
    const number = `RB${input.at.getUTCFullYear()}${String(seq.rows[0]!.n).padStart(8, '0')}`;
    const entry = await trx
      .insertInto('billing_ledger_entry')
      .values({
        payer_id: payer.id,
        customer_id: payer.customer_id,
        account: 'receivable',
        kind: 'refund',
        amount: input.amount,
        currency: this.currency,
        invoice_id: null,
        payment_id: payment?.id ?? null,
        deposit_id: null,
        description: `refund ${number}${payment ? ` of payment ${payment.number}` : ''}: ${reason}`,
        occurred_at: input.at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const ins = await sql<{ id: string }>`
      INSERT INTO billing_refund (number, payer_id, customer_id, payment_id, amount, currency, method, reason,
                                  reference, ledger_entry_id, refunded_at, refunded_by)
      VALUES (${number}, ${payer.id}, ${payer.customer_id}, ${payment?.id ?? null}, ${input.amount}, ${this.currency},
              ${method}, ${reason}, ${input.reference ?? null}, ${entry.id}, ${input.at}, ${by.userId})
      RETURNING id`.execute(trx);
    const id = Number(ins.rows[0]!.id);
    await appendEvent(trx, {
      entityType: 'refund',
      entityId: id,
      customerId: payer.customer_id,
      kind: 'refund.recorded',
      userId: by.userId,
      payload: {
        number,
        payerId: payer.id,
        amount: input.amount,
        method,
        payment: payment?.number ?? null,
        reason,
      },
    });
    return {
      id,
      number,
      payerId: payer.id,
      payerCode: payer.code,
      customerId: payer.customer_id,
      amount: input.amount,
      currency: this.currency,
      method,
      paymentNumber: payment?.number ?? null,
      reason,
      reference: input.reference ?? null,
      refundedAt: input.at.toISOString(),
      refundedBy: by.userId,
    };
  }
}
