import { parse } from 'csv-parse/sync';
import type { Db, Tx } from '../../platform/db.js';
import type { Actor } from '../../platform/events.js';
import { BillingCycleError, invalidInput } from './cycle.errors.js';
import type { ImportReport, PaymentService } from './payments.service.js';

const INVOICE_RE = /\bF[0-9]{12}\b/i;

/**
 * Bank-transfer statement, header `date,amount,reference,payer,invoice`: the bank's transaction
 * reference (recorded once), the payer code and optionally the invoice the customer quoted (also
 * looked for in the reference text).
 */
export function importBankTransfers(
  db: Db,
  payments: PaymentService,
  csv: string | Buffer,
  by: Actor,
): Promise<ImportReport> {
  return importRows(
    db,
    payments,
    csv,
    'bank_transfer',
    ['date', 'amount', 'reference'],
    by,
    async (trx, row) => ({
      importRef: row.reference!,
      ...(await matchRow(trx, { payer: row.payer, invoice: row.invoice, text: row.reference })),
      date: row.date!,
      amount: row.amount!,
    }),
  );
}

/**
 * Mobile-money operator file, header `transaction_id,date,msisdn,amount,reference`: matched by
 * the invoice or payer code in the reference, else by the payer's registered wallet number.
 */
export function importMobileMoney(
  db: Db,
  payments: PaymentService,
  csv: string | Buffer,
  by: Actor,
): Promise<ImportReport> {
  return importRows(
    db,
    payments,
    csv,
    'mobile_money',
    ['transaction_id', 'date', 'msisdn', 'amount'],
    by,
    async (trx, row) => ({
      importRef: row.transaction_id!,
      ...(await matchRow(trx, { text: row.reference, msisdn: row.msisdn })),
      date: row.date!,
      amount: row.amount!,
    }),
  );
}

async function matchRow(
  trx: Tx,
  m: {
    payer?: string | undefined;
    invoice?: string | undefined;
    text?: string | undefined;
    msisdn?: string | undefined;
  },
): Promise<{ payerId: number; invoiceNumber: string | null }> {
  const invoiceNumber = (m.invoice || INVOICE_RE.exec(m.text ?? '')?.[0] || '').toUpperCase() || null;
  if (invoiceNumber) {
    const inv = await trx
      .selectFrom('billing_invoice')
      .select(['payer_id', 'status'])
      .where('number', '=', invoiceNumber)
      .executeTakeFirst();
    if (!inv) throw invalidInput('invoice', `no invoice ${invoiceNumber}`);
    // an invoice already settled: the money goes to the payer's oldest open invoices
    return { payerId: inv.payer_id, invoiceNumber: inv.status === 'open' ? invoiceNumber : null };
  }
  const code = (m.payer || /\bP[0-9]{8}\b/i.exec(m.text ?? '')?.[0] || '').toUpperCase();
  if (code) {
    const p = await trx.selectFrom('payer').select('id').where('code', '=', code).executeTakeFirst();
    if (!p) throw invalidInput('payer', `no payer ${code}`);
    return { payerId: p.id, invoiceNumber: null };
  }
  if (m.msisdn) {
    const ps = await trx
      .selectFrom('payer')
      .select('id')
      .where('mobile_money_number', '=', m.msisdn)
      .where('status', '=', 'active')
      .limit(2)
      .execute();
    if (ps.length === 1) return { payerId: ps[0]!.id, invoiceNumber: null };
    throw invalidInput(
      'msisdn',
      ps.length === 0
        ? `no payer pays from wallet ${m.msisdn}`
        : `several payers pay from wallet ${m.msisdn}`,
    );
  }
  throw invalidInput('reference', 'neither an invoice number nor a payer code identifies the payer');
}

async function importRows(
  db: Db,
  payments: PaymentService,
  csv: string | Buffer,
  method: 'bank_transfer' | 'mobile_money',
  required: string[],
  by: Actor,
  match: (
    trx: Tx,
    row: Record<string, string>,
  ) => Promise<{
    importRef: string;
    payerId: number;
    invoiceNumber: string | null;
    date: string;
    amount: string;
  }>,
): Promise<ImportReport> {
  let rows: Record<string, string>[];
  try {
    rows = parse(csv, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<
      string,
      string
    >[];
  } catch (err) {
    throw invalidInput('body', `unreadable CSV: ${(err as Error).message}`);
  }
  const report: ImportReport = {
    rows: rows.length,
    recorded: 0,
    duplicates: 0,
    amount: 0,
    payments: [],
    rejected: [],
  };
  const paidPayers = new Set<number>();
  for (const [i, row] of rows.entries()) {
    const line = i + 2;
    const missing = required.find((c) => !row[c]);
    if (missing) {
      report.rejected.push({ line, reason: `column ${missing} is empty or missing`, field: missing });
      continue;
    }
    try {
      const r = await db.transaction().execute(async (trx) => {
        const m = await match(trx, row);
        const at = new Date(m.date);
        if (Number.isNaN(at.getTime())) throw invalidInput('date', `unreadable date "${m.date}"`);
        if (!/^[0-9]+$/.test(m.amount))
          throw invalidInput('amount', `amount "${m.amount}" is not a whole number`);
        return payments.recordIn(
          trx,
          {
            payerId: m.payerId,
            amount: Number(m.amount),
            method,
            reference: row.reference || m.importRef,
            invoiceNumber: m.invoiceNumber,
            importRef: m.importRef,
            at,
          },
          by,
        );
      });
      report.recorded++;
      report.amount += r.amount;
      report.payments.push(r.number);
      paidPayers.add(r.payerId);
    } catch (err) {
      if (err instanceof BillingCycleError && err.code === 'payment.duplicate') {
        report.duplicates++;
        continue;
      }
      if (!(err instanceof BillingCycleError)) throw err;
      report.rejected.push({ line, reason: err.message, ...(err.field ? { field: err.field } : {}) });
    }
  }
  for (const payerId of paidPayers) await payments.onPaid?.(payerId);
  return report;
}
