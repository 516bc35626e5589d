import { sql } from 'kysely';
import type { Tx } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import { toInvoiceDoc, type BillLine, type InvoiceDoc } from './invoices.service.js';
import { taxOf } from './period.js';

/**
 * Serialises on-demand bills with the billing runs' chunks: a chunk holds it shared for its
 * transaction (invoice-run.ts), an on-demand bill exclusively, so that the charges waiting for a
 * bill are billed by exactly one of them.
 */
export const CHARGES_LOCK = 7470770;

/**
 * An on-demand bill: the payer's charges waiting for its next bill (one-off fees, adjustments)
 * invoiced now, with the billing run's rules — the same lines, the customer's tax category (each
 * tax rounded once on the total), the payer's cycle's due delay, a credit on the account settling
 * it first — as an off-cycle invoice (kind `one_off`) of the same number series. Recurring fees
 * and usage stay with the cycle: they are billed in arrears for whole periods.
 */
export async function billOnDemandIn(
  trx: Tx,
  currency: string,
  input: { payerId: number; at: Date; source: { type: string; id: string } },
  by: Actor,
): Promise<InvoiceDoc> {
  await sql`SELECT pg_advisory_xact_lock(${CHARGES_LOCK}::bigint)`.execute(trx);
  const payer = await trx
    .selectFrom('payer')
    .select(['id', 'code', 'customer_id'])
    .where('id', '=', input.payerId)
    .forUpdate()
    .executeTakeFirst();
  if (!payer)
    throw new DomainError('not_found', 'payer.not_found', `payer ${input.payerId} does not exist`, 'payerId');
  const charges = await sql<{
    id: string;
    kind: string;
    label: string;
    product_code: string | null;
    amount: string;
    subscription_id: string | null;
    subscription_code: string | null;
    directory_number: string | null;
    root_id: string | null;
  }>`
    SELECT ch.id, ch.kind, ch.label, ch.product_code, ch.amount, ch.subscription_id,
           s.code AS subscription_code, s.directory_number, coalesce(s.parent_id, ch.subscription_id) AS root_id
    FROM billing_charge ch LEFT JOIN subscription s ON s.id = ch.subscription_id
    WHERE ch.payer_id = ${payer.id} AND ch.invoice_id IS NULL AND ch.created_at <= ${input.at}
    ORDER BY coalesce(s.parent_id, ch.subscription_id) NULLS LAST,
             CASE WHEN ch.kind = 'one_off' THEN 0 ELSE 4 END, ch.subscription_id, ch.id
    FOR UPDATE OF ch`.execute(trx);
  if (charges.rows.length === 0)
    throw new DomainError(
      'rule',
      'billing.nothing_to_bill',
      `payer ${payer.code} has no charge waiting for its next bill`,
      'payerId',
    );
  const lines: BillLine[] = charges.rows.map((c) => ({
    kind: c.kind,
    label: c.label,
    productCode: c.product_code,
    subscriptionId: c.subscription_id === null ? null : Number(c.subscription_id),
    subscriptionCode: c.subscription_code,
    directoryNumber: c.directory_number,
    rootId: c.root_id === null ? null : Number(c.root_id),
    quantity: 1,
    unitPrice: Number(c.amount),
    amount: Number(c.amount),
    days: null,
  }));
  const excl = lines.reduce((s, l) => s + l.amount, 0);
  const cat = await sql<{
    tax_exempt: boolean;
    taxes: { code: string; label: string; rateBasisPoints: number }[];
  }>`
    SELECT cat.tax_exempt, cat.taxes FROM customer cu JOIN category cat ON cat.id = cu.tax_id
    WHERE cu.id = ${payer.customer_id}`.execute(trx);
  const rates = cat.rows[0] && !cat.rows[0].tax_exempt ? (cat.rows[0].taxes ?? []) : [];
  const taxes = rates.map((t) => ({
    code: t.code,
    label: t.label,
    rateBasisPoints: Number(t.rateBasisPoints),
    base: excl,
    amount: taxOf(excl, Number(t.rateBasisPoints)),
  }));
  const taxAmount = taxes.reduce((s, t) => s + t.amount, 0);
  const total = excl + taxAmount;
  const acct = await sql<{ balance: string; due_days: number }>`
    SELECT coalesce((SELECT sum(amount) FROM billing_ledger_entry
                     WHERE payer_id = ${payer.id} AND account = 'receivable'), 0) AS balance,
           coalesce((SELECT c.due_days FROM billing_payer_cycle pc JOIN billing_cycle c ON c.code = pc.cycle_code
                     WHERE pc.payer_id = ${payer.id}),
                    (SELECT due_days FROM billing_cycle WHERE code = 'monthly'), 15) AS due_days`.execute(
    trx,
  );
  const credit = Math.max(0, -Number(acct.rows[0]?.balance ?? 0));
  const credited = Math.min(credit, total);
  const series = `F${input.at.getUTCFullYear()}`;
  const seq = await sql<{ n: number }>`SELECT billing_reserve_numbers(${series}, 1)::int AS n`.execute(trx);
  const number = `${series}${String(seq.rows[0]!.n).padStart(8, '0')}`;
  const row = await trx
    .insertInto('billing_invoice')
    .values({
      number,
      payer_id: payer.id,
      customer_id: payer.customer_id,
      kind: 'one_off',
      status: credited >= total ? 'paid' : 'open',
      currency,
      amount_excl_tax: excl,
      tax_amount: taxAmount,
      total,
      lines: JSON.stringify(lines),
      taxes: JSON.stringify(taxes),
      source_type: input.source.type,
      source_id: input.source.id,
      issued_at: input.at,
      due_at: new Date(input.at.getTime() + Number(acct.rows[0]?.due_days ?? 15) * 86_400_000),
      credited_amount: credited,
      paid_at: credited >= total ? input.at : null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (total !== 0)
    await trx
      .insertInto('billing_ledger_entry')
      .values({
        payer_id: payer.id,
        customer_id: payer.customer_id,
        account: 'receivable',
        kind: 'invoice',
        amount: total,
        currency,
        invoice_id: row.id,
        description: `invoice ${number}`,
        occurred_at: input.at,
      })
      .execute();
  await trx
    .updateTable('billing_charge')
    .set({ invoice_id: row.id })
    .where(
      'id',
      'in',
      charges.rows.map((c) => Number(c.id)),
    )
    .execute();
  await appendEvent(trx, {
    entityType: 'invoice',
    entityId: row.id,
    customerId: payer.customer_id,
    kind: 'invoice.issued',
    userId: by.userId,
    payload: { number, total, payerId: payer.id, source: input.source, charges: lines.length },
  });
  return toInvoiceDoc(row as Parameters<typeof toInvoiceDoc>[0]);
}
