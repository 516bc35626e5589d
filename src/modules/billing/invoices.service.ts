import { sql } from 'kysely';
import type { Db, Executor, Tx } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import { BillingCycleError, invalidInput } from './cycle.errors.js';
import { taxOf } from './period.js';

export interface BillLine {
  kind?: string;
  label: string;
  productCode?: string | null;
  subscriptionId?: number | null;
  subscriptionCode?: string | null;
  directoryNumber?: string | null;
  rootId?: number | null;
  quantity: number;
  unitPrice: number;
  amount: number;
  days?: number | null;
}

export interface BillTax {
  code: string;
  label: string;
  rateBasisPoints: number;
  base?: number;
  amount: number;
}

export interface InvoiceSummary {
  previousBalance: number;
  paymentsInPeriod: number;
  rebatesInPeriod: number;
  depositsHeld: number;
  newCharges: number;
  balanceDue: number;
}

export interface InvoiceDoc {
  id: number;
  number: string;
  kind: string;
  status: string;
  payerId: number;
  customerId: number;
  currency: string;
  amountExclTax: number;
  taxAmount: number;
  total: number;
  paidAmount: number;
  creditedAmount: number;
  openAmount: number;
  lines: BillLine[];
  taxes: BillTax[];
  summary: InvoiceSummary | null;
  periodStart: string | null;
  periodEnd: string | null;
  correctsId: number | null;
  runId: number | null;
  issuedAt: string;
  dueAt: string;
}

type InvoiceRow = {
  id: number;
  number: string;
  kind: string;
  status: string;
  payer_id: number;
  customer_id: number;
  currency: string;
  amount_excl_tax: number;
  tax_amount: number;
  total: number;
  paid_amount: number;
  credited_amount: number;
  lines: unknown;
  taxes: unknown;
  summary: unknown;
  period_start: string | null;
  period_end: string | null;
  corrects_id: number | null;
  run_id: number | null;
  issued_at: Date;
  due_at: Date;
};

export function toInvoiceDoc(r: InvoiceRow): InvoiceDoc {
  return {
    id: r.id,
    number: r.number,
    kind: r.kind,
    status: r.status,
    payerId: r.payer_id,
    customerId: r.customer_id,
    currency: r.currency,
    amountExclTax: r.amount_excl_tax,
    taxAmount: r.tax_amount,
    total: r.total,
    paidAmount: r.paid_amount,
    creditedAmount: r.credited_amount,
    openAmount: r.status === 'open' ? r.total - r.paid_amount - r.credited_amount : 0,
    lines: (r.lines ?? []) as BillLine[],
    taxes: (r.taxes ?? []) as BillTax[],
    summary: (r.summary ?? null) as InvoiceSummary | null,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    correctsId: r.corrects_id,
    runId: r.run_id,
    issuedAt: new Date(r.issued_at).toISOString(),
    dueAt: new Date(r.due_at).toISOString(),
  };
}

/**
 * Issued invoices (read side), credit notes that correct them, charges waiting for the next bill.
 * Corrections never touch an issued invoice: a credit note is a document of its own (series A),
 * credited to the invoice it corrects and posted to the ledger as a credit.
 */
export class InvoiceService {
  constructor(
    private readonly db: Db,
    private readonly currency: string,
  ) {}

  async get(ref: string | number, db: Executor = this.db): Promise<InvoiceDoc> {
    let q = db.selectFrom('billing_invoice').selectAll();
    q =
      typeof ref === 'number' || /^[0-9]{1,15}$/.test(ref)
        ? q.where('id', '=', Number(ref))
        : q.where('number', '=', ref.toUpperCase());
    const r = await q.executeTakeFirst();
    if (!r) throw new BillingCycleError('not_found', 'invoice.not_found', `invoice ${ref} does not exist`);
    return toInvoiceDoc(r as InvoiceRow);
  }

  async listOfPayer(payerId: number, limit = 50): Promise<InvoiceDoc[]> {
    const rows = await this.db
      .selectFrom('billing_invoice')
      .selectAll()
      .where('payer_id', '=', payerId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => toInvoiceDoc(r as InvoiceRow));
  }

  /** Invoices of a billing run in number order, a page at a time (print batches stream these). */
  async pageOfRun(runId: number, afterId: number, limit: number): Promise<InvoiceDoc[]> {
    const rows = await this.db
      .selectFrom('billing_invoice')
      .selectAll()
      .where('run_id', '=', runId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => toInvoiceDoc(r as InvoiceRow));
  }

  /**
   * A credit note correcting an issued invoice: either all of it, or the given amounts (excluding
   * tax) — taxes at the corrected invoice's rates, each rounded once. What it credits first
   * settles what is still open on the invoice; the rest stays as a credit on the payer's account.
   */
  async creditNote(
    input: { invoice: string; reason: string; lines?: { label: string; amount: number }[]; at: Date },
    by: Actor,
  ): Promise<InvoiceDoc> {
    return this.db.transaction().execute(async (trx) => {
      const inv = await trx
        .selectFrom('billing_invoice')
        .selectAll()
        .where(
          /^[0-9]{1,15}$/.test(input.invoice) ? 'id' : 'number',
          '=',
          input.invoice.toUpperCase() as never,
        )
        .forUpdate()
        .executeTakeFirst();
      if (!inv)
        throw new BillingCycleError(
          'not_found',
          'invoice.not_found',
          `invoice ${input.invoice} does not exist`,
        );
      if (inv.kind === 'credit_note' || inv.status === 'cancelled')
        throw new BillingCycleError(
          'conflict',
          'invoice.state',
          `invoice ${inv.number} is ${inv.kind === 'credit_note' ? 'a credit note' : 'cancelled'}`,
        );
      const already = await trx
        .selectFrom('billing_invoice')
        .select(sql<number>`coalesce(sum(amount_excl_tax), 0)::bigint`.as('s'))
        .where('corrects_id', '=', inv.id)
        .executeTakeFirstOrThrow();
      const creditable = inv.amount_excl_tax - Number(already.s);
      const lines = input.lines ?? [{ label: `Annulation de la facture ${inv.number}`, amount: creditable }];
      for (const [i, l] of lines.entries())
        if (!Number.isInteger(l.amount) || l.amount <= 0)
          throw invalidInput(`lines/${i}/amount`, 'each amount is a positive whole number of minor units');
      const excl = lines.reduce((s, l) => s + l.amount, 0);
      if (excl > creditable || excl <= 0)
        throw new BillingCycleError(
          'rule',
          'credit_note.amount',
          `invoice ${inv.number} has ${creditable} ${inv.currency} (excluding tax) left to credit, not ${excl}`,
          'lines',
        );
      const rates = (inv.taxes ?? []) as BillTax[];
      const taxes = rates.map((t) => ({
        code: t.code,
        label: t.label,
        rateBasisPoints: t.rateBasisPoints,
        base: excl,
        amount: taxOf(excl, t.rateBasisPoints),
      }));
      const taxAmount = taxes.reduce((s, t) => s + t.amount, 0);
      const total = excl + taxAmount;
      const series = `A${input.at.getUTCFullYear()}`;
      const n = await sql<{ first: number }>`SELECT billing_reserve_numbers(${series}, 1) AS first`.execute(
        trx,
      );
      const number = `${series}${String(n.rows[0]!.first).padStart(8, '0')}`;
      const note = await trx
        .insertInto('billing_invoice')
        .values({
          number,
          payer_id: inv.payer_id,
          customer_id: inv.customer_id,
          kind: 'credit_note',
          status: 'paid',
          currency: inv.currency,
          amount_excl_tax: excl,
          tax_amount: taxAmount,
          total,
          paid_amount: total,
          lines: JSON.stringify(
            lines.map((l) => ({
              kind: 'credit',
              label: l.label,
              quantity: 1,
              unitPrice: l.amount,
              amount: l.amount,
            })),
          ),
          taxes: JSON.stringify(taxes),
          source_type: 'correction',
          source_id: inv.number,
          issued_at: input.at,
          due_at: input.at,
          paid_at: input.at,
          corrects_id: inv.id,
          summary: JSON.stringify({ reason: input.reason, corrects: inv.number }),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const open = inv.status === 'open' ? inv.total - inv.paid_amount - inv.credited_amount : 0;
      const settle = Math.min(open, total);
      if (settle > 0)
        await trx
          .updateTable('billing_invoice')
          .set({
            credited_amount: inv.credited_amount + settle,
            ...(settle === open ? { status: 'paid' as const, paid_at: input.at } : {}),
          })
          .where('id', '=', inv.id)
          .execute();
      await trx
        .insertInto('billing_ledger_entry')
        .values({
          payer_id: inv.payer_id,
          customer_id: inv.customer_id,
          account: 'receivable',
          kind: 'credit',
          amount: -total,
          currency: inv.currency,
          invoice_id: note.id,
          description: `credit note ${number} correcting invoice ${inv.number}: ${input.reason}`,
          occurred_at: input.at,
        })
        .execute();
      await appendEvent(trx, {
        entityType: 'invoice',
        entityId: inv.id,
        customerId: inv.customer_id,
        kind: 'invoice.credited',
        userId: by.userId,
        payload: { number: inv.number, creditNote: number, total, reason: input.reason, settled: settle },
      });
      return toInvoiceDoc(note as InvoiceRow);
    });
  }

  /** A charge for the next bill of the payer (one-off fee, adjustment). */
  async postCharge(
    trx: Tx,
    input: {
      payerId: number;
      subscriptionId?: number | null;
      kind: 'one_off' | 'adjustment';
      label: string;
      productCode?: string | null;
      amount: number;
      at: Date;
    },
    by: Actor,
  ): Promise<number> {
    const payer = await trx
      .selectFrom('payer')
      .select(['id', 'customer_id'])
      .where('id', '=', input.payerId)
      .executeTakeFirst();
    if (!payer)
      throw new BillingCycleError(
        'not_found',
        'payer.not_found',
        `payer ${input.payerId} does not exist`,
        'payerId',
      );
    if (!Number.isInteger(input.amount) || input.amount <= 0)
      throw invalidInput('amount', 'amount is a positive whole number of minor units');
    const row = await trx
      .insertInto('billing_charge')
      .values({
        payer_id: payer.id,
        customer_id: payer.customer_id,
        subscription_id: input.subscriptionId ?? null,
        kind: input.kind,
        label: input.label,
        product_code: input.productCode ?? null,
        amount: input.amount,
        created_at: input.at,
        invoice_id: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendEvent(trx, {
      entityType: 'payer',
      entityId: payer.id,
      customerId: payer.customer_id,
      kind: 'billing.charge_posted',
      userId: by.userId,
      payload: { chargeId: row.id, kind: input.kind, label: input.label, amount: input.amount },
    });
    return row.id;
  }
}
