import { sql, type RawBuilder } from 'kysely';
import type { LedgerAccount, LedgerKind } from './billing.tables.js';
import type { Balance } from './ledger.service.js';

/** A ledger entry as `LedgerService.entries()` returns it. */
export interface LedgerEntryView {
  id: number;
  account: LedgerAccount;
  kind: LedgerKind;
  amount: number;
  currency: string;
  invoiceId: number | null;
  paymentId: number | null;
  depositId: number | null;
  description: string;
  occurredAt: string;
}

/** What `payerAccountJson` returns: the balance's sums and the payer's latest entries (oldest first). */
export interface PayerAccountDoc {
  receivable: number;
  depositsHeld: number;
  openInvoices: number;
  /** Every entry of the payer, of which `entries` are the last ones. */
  entryCount: number;
  entries: LedgerEntryView[];
}

/**
 * A payer's balance (as `LedgerService.balance`) and its last `lastEntries` ledger entries (as
 * `LedgerService.entries`, oldest first) as one json scalar subquery over a payer id expression of
 * the caller's statement, so a screen that shows a line with its payer's account (the line
 * consultation) reads it in the same round trip; the SQL stays billing's. A front-office screen shows
 * the recent movements; every entry is on `GET /api/v1/payers/:id/account` and the statement of a
 * period on `GET /api/v1/payers/:id/statement`.
 */
export function payerAccountJson(payerId: RawBuilder<unknown>, lastEntries: number) {
  return sql<PayerAccountDoc>`(SELECT json_build_object(
      'receivable', coalesce(sum(l.amount) FILTER (WHERE l.account = 'receivable'), 0),
      'depositsHeld', coalesce(-sum(l.amount) FILTER (WHERE l.account = 'deposit'), 0),
      'entryCount', count(*),
      'openInvoices', (SELECT count(*) FROM billing_invoice i WHERE i.payer_id = ${payerId} AND i.status = 'open'),
      'entries', (SELECT coalesce(json_agg(json_build_object('id', e.id, 'account', e.account, 'kind', e.kind,
          'amount', e.amount, 'currency', e.currency, 'invoiceId', e.invoice_id, 'paymentId', e.payment_id,
          'depositId', e.deposit_id, 'description', e.description,
          'occurredAt', to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY e.id), '[]')
        FROM (SELECT * FROM billing_ledger_entry WHERE payer_id = ${payerId} ORDER BY id DESC LIMIT ${lastEntries}) e))
    FROM billing_ledger_entry l WHERE l.payer_id = ${payerId})`;
}

/** The balance of a `payerAccountJson` document, as `LedgerService.balance` gives it. */
export function balanceFromDoc(payerId: number, currency: string, doc: PayerAccountDoc): Balance {
  return {
    payerId,
    currency,
    receivable: Number(doc.receivable),
    depositsHeld: Number(doc.depositsHeld),
    openInvoices: Number(doc.openInvoices),
  };
}
