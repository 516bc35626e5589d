import { sql } from 'kysely';
import PDFDocument from 'pdfkit';
import type { Executor, Tx } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import { money } from './invoice-pdf.js';

/** A deposit settled when its line ended, as its receipt shows it. */
export interface DepositSettlement {
  number: string;
  depositId: number;
  payerId: number;
  customerId: number;
  amount: number;
  /** What paid the payer's debt (invoices below, oldest due first). */
  applied: number;
  /** What goes back to the customer. */
  refunded: number;
  currency: string;
  allocations: { invoice: string; amount: number }[];
  reason: string;
  settledAt: string;
}

type Row = {
  number: string;
  deposit_id: number;
  payer_id: number;
  customer_id: number;
  amount: number;
  applied: number;
  refunded: number;
  currency: string;
  allocations: unknown;
  reason: string;
  settled_at: Date;
};
const toView = (r: Row): DepositSettlement => ({
  number: r.number,
  depositId: r.deposit_id,
  payerId: r.payer_id,
  customerId: r.customer_id,
  amount: Number(r.amount),
  applied: Number(r.applied),
  refunded: Number(r.refunded),
  currency: r.currency,
  allocations: r.allocations as DepositSettlement['allocations'],
  reason: r.reason,
  settledAt: new Date(r.settled_at).toISOString(),
});

/**
 * A line ends (termination, or an agent settling by hand): its guarantee deposit first pays what
 * the payer owes — the receivable balance, open invoices settled oldest due first — and the rest
 * is refunded. Ledger entries (`deposit_applied` on both accounts, `deposit_refunded`), the
 * invoices' settlement, the settlement document (number `DG…`, its receipt) and the event are
 * written in the caller's transaction.
 *
 * Returns `null` when the deposit is no longer held: `existing` then holds its settlement if it
 * was settled this way (a re-run step finds it), none if it was refunded otherwise.
 */
export async function settleDepositIn(
  trx: Tx,
  depositId: number,
  input: { reason: string; applyToDebt: boolean; at: Date },
  by: Actor,
): Promise<{ settlement: DepositSettlement | null; existing: DepositSettlement | null; found: boolean }> {
  const d = await trx
    .selectFrom('billing_deposit')
    .selectAll()
    .where('id', '=', depositId)
    .forUpdate()
    .executeTakeFirst();
  if (!d) return { settlement: null, existing: null, found: false };
  if (d.status !== 'held') {
    const prior = await trx
      .selectFrom('billing_deposit_settlement')
      .selectAll()
      .where('deposit_id', '=', depositId)
      .executeTakeFirst();
    return { settlement: null, existing: prior ? toView(prior as Row) : null, found: true };
  }
  const amount = Number(d.amount);
  let applied = 0;
  if (input.applyToDebt) {
    const bal = await trx
      .selectFrom('billing_ledger_entry')
      .select(sql<number>`coalesce(sum(amount), 0)::bigint`.as('owed'))
      .where('payer_id', '=', d.payer_id)
      .where('account', '=', 'receivable')
      .executeTakeFirstOrThrow();
    applied = Math.max(0, Math.min(amount, Number(bal.owed)));
  }
  const refunded = amount - applied;
  const allocations: DepositSettlement['allocations'] = [];
  if (applied > 0) {
    let left = applied;
    const open = await trx
      .selectFrom('billing_invoice')
      .select(['id', 'number', 'total', 'paid_amount', 'credited_amount'])
      .where('payer_id', '=', d.payer_id)
      .where('status', '=', 'open')
      .orderBy('due_at')
      .orderBy('id')
      .forUpdate()
      .execute();
    for (const inv of open) {
      if (left === 0) break;
      const due = Number(inv.total) - Number(inv.paid_amount) - Number(inv.credited_amount);
      const take = Math.min(due, left);
      if (take <= 0) continue;
      left -= take;
      allocations.push({ invoice: inv.number, amount: take });
      await trx
        .updateTable('billing_invoice')
        .set({
          paid_amount: Number(inv.paid_amount) + take,
          ...(take === due ? { status: 'paid' as const, paid_at: input.at } : {}),
        })
        .where('id', '=', inv.id)
        .execute();
    }
  }
  const seq = await sql<{
    n: number;
  }>`SELECT nextval('billing_deposit_settlement_number_seq')::int AS n`.execute(trx);
  const number = `DG${input.at.getUTCFullYear()}${String(seq.rows[0]!.n).padStart(8, '0')}`;
  const base = {
    payer_id: d.payer_id,
    customer_id: d.customer_id,
    currency: d.currency,
    deposit_id: d.id,
    occurred_at: input.at,
  };
  const entries = [
    ...(applied > 0
      ? [
          {
            ...base,
            account: 'deposit' as const,
            kind: 'deposit_applied' as const,
            amount: applied,
            description: `deposit applied to the debt (${number}): ${input.reason}`,
          },
          {
            ...base,
            account: 'receivable' as const,
            kind: 'deposit_applied' as const,
            amount: -applied,
            description: `deposit applied to the debt (${number}): ${input.reason}`,
          },
        ]
      : []),
    ...(refunded > 0
      ? [
          {
            ...base,
            account: 'deposit' as const,
            kind: 'deposit_refunded' as const,
            amount: refunded,
            description: `guarantee deposit refunded (${number}): ${input.reason}`,
          },
        ]
      : []),
  ];
  await trx.insertInto('billing_ledger_entry').values(entries).execute();
  await trx
    .updateTable('billing_deposit')
    .set({ status: refunded > 0 ? 'refunded' : 'applied', ended_at: input.at })
    .where('id', '=', d.id)
    .execute();
  const row = await trx
    .insertInto('billing_deposit_settlement')
    .values({
      number,
      deposit_id: d.id,
      payer_id: d.payer_id,
      customer_id: d.customer_id,
      amount,
      applied,
      refunded,
      currency: d.currency,
      allocations: JSON.stringify(allocations),
      reason: input.reason,
      settled_at: input.at,
      settled_by: by.userId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendEvent(trx, {
    entityType: 'deposit',
    entityId: d.id,
    customerId: d.customer_id,
    kind: refunded > 0 ? 'deposit.refunded' : 'deposit.applied',
    userId: by.userId,
    payload: { amount, applied, refunded, settlement: number, allocations, reason: input.reason },
  });
  return { settlement: toView(row as Row), existing: null, found: true };
}

export async function depositSettlement(db: Executor, number: string): Promise<DepositSettlement | null> {
  const r = await db
    .selectFrom('billing_deposit_settlement')
    .selectAll()
    .where('number', '=', number.toUpperCase())
    .executeTakeFirst();
  return r ? toView(r as Row) : null;
}

/** The settlement's receipt: the deposit, what paid which invoice, what is refunded. */
export function renderDepositSettlementPdf(
  s: DepositSettlement,
  payer: { code: string; name: string },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A5',
      margin: 40,
      info: { Title: `Décompte ${s.number}`, Author: 'GPTo', CreationDate: new Date(s.settledAt) },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (b: Buffer) => chunks.push(b));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.fontSize(14).font('Helvetica-Bold').fillColor('#003366').text('GPTo Télécom');
    doc.fillColor('#000').fontSize(13).text(`Décompte du dépôt de garantie ${s.number}`).moveDown(0.5);
    doc.fontSize(9).font('Helvetica');
    doc.text(`Date : ${s.settledAt.slice(0, 10).split('-').reverse().join('/')}`);
    doc.text(`Payeur : ${payer.name} (${payer.code})`);
    doc.text(`Motif : ${s.reason}`).moveDown(0.5);
    doc.text(`Dépôt de garantie : ${money(s.amount, s.currency)}`);
    for (const a of s.allocations)
      doc.text(`Imputé sur la facture ${a.invoice} : ${money(a.amount, s.currency)}`);
    if (s.applied > 0) doc.text(`Total imputé sur votre dette : ${money(s.applied, s.currency)}`);
    doc
      .font('Helvetica-Bold')
      .text(`Remboursé : ${money(s.refunded, s.currency)}`)
      .font('Helvetica');
    doc.end();
  });
}
