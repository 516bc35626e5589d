import type { ColumnType, Generated } from 'kysely';
import type { Json, Timestamp } from '../../platform/tables.js';
import type { BillingCycleTables } from './cycle.tables.js';

type JsonAuto = ColumnType<unknown, string | undefined, string>;
type NumAuto = ColumnType<number, number | undefined, number>;
type Opt<T> = ColumnType<T, T | undefined, T>;

export type InvoiceKind = 'one_off' | 'periodic' | 'credit_note';
export type InvoiceStatus = 'open' | 'paid' | 'cancelled';
export type DepositStatus = 'held' | 'refunded' | 'applied';
export type PaymentMethod = 'cash' | 'bank_transfer' | 'direct_debit' | 'mobile_money' | 'cheque' | 'card';
export type LedgerAccount = 'receivable' | 'deposit';
export type LedgerKind =
  | 'invoice'
  | 'invoice_cancelled'
  | 'payment'
  | 'deposit_received'
  | 'deposit_refunded'
  | 'deposit_applied'
  | 'credit'
  | 'refund';

export interface BillingInvoiceTable {
  id: Generated<number>;
  number: string;
  payer_id: number;
  customer_id: number;
  kind: InvoiceKind;
  status: ColumnType<InvoiceStatus, InvoiceStatus | undefined, InvoiceStatus>;
  currency: string;
  amount_excl_tax: number;
  tax_amount: number;
  total: number;
  paid_amount: NumAuto;
  lines: Json;
  taxes: JsonAuto;
  source_type: string | null;
  source_id: string | null;
  issued_at: Timestamp;
  due_at: Timestamp;
  paid_at: Date | null;
  cancelled_at: Date | null;
  cancel_reason: string | null;
  // billing cycle (migration 0500)
  period_start: Opt<string | null>;
  period_end: Opt<string | null>;
  run_id: Opt<number | null>;
  corrects_id: Opt<number | null>;
  credited_amount: NumAuto;
  summary: Opt<unknown>;
}

export interface BillingDepositTable {
  id: Generated<number>;
  payer_id: number;
  customer_id: number;
  subscription_id: number | null;
  amount: number;
  currency: string;
  status: DepositStatus;
  source_type: string | null;
  source_id: string | null;
  received_at: Timestamp;
  ended_at: Date | null;
}

export interface BillingPaymentTable {
  id: Generated<number>;
  number: string;
  payer_id: number;
  customer_id: number;
  amount: number;
  currency: string;
  method: PaymentMethod;
  reference: string | null;
  invoice_id: number | null;
  deposit_id: number | null;
  received_at: Timestamp;
  recorded_by: number | null;
  allocated_amount: NumAuto;
  import_ref: Opt<string | null>;
}

export interface BillingLedgerEntryTable {
  id: Generated<number>;
  payer_id: number;
  customer_id: number;
  account: LedgerAccount;
  kind: LedgerKind;
  amount: number;
  currency: string;
  invoice_id: number | null;
  payment_id: number | null;
  deposit_id: number | null;
  description: string;
  occurred_at: Timestamp;
}

export interface BillingTables extends BillingCycleTables {
  billing_invoice: BillingInvoiceTable;
  billing_deposit: BillingDepositTable;
  billing_payment: BillingPaymentTable;
  billing_ledger_entry: BillingLedgerEntryTable;
}
