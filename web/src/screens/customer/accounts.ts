// Shapes of the billing API's accounts, invoices and payments (src/modules/billing/*.service.ts).

/** Cash-desk payment methods the API accepts (`POST /api/v1/payments`). */
export const PAYMENT_METHODS = [
  'cash',
  'mobile_money',
  'cheque',
  'card',
  'bank_transfer',
  'direct_debit',
] as const;

export interface PayerAccount {
  payerId: number;
  payerCode: string;
  name: string;
  cycle: string;
  /** What the payer owes (negative: an advance, the operator owes the payer). */
  balance: number;
  overdue: number;
  depositsHeld: number;
  openInvoices: number;
  oldestDue: string | null;
}

export interface CustomerAccount {
  customerId: number;
  customerCode: string;
  currency: string;
  payers: PayerAccount[];
  totals: { balance: number; overdue: number; depositsHeld: number };
}

export interface Invoice {
  id: number;
  number: string;
  kind: 'one_off' | 'periodic' | 'credit_note';
  status: 'open' | 'paid' | 'cancelled';
  payerId: number;
  currency: string;
  total: number;
  paidAmount: number;
  creditedAmount: number;
  openAmount: number;
  periodStart: string | null;
  periodEnd: string | null;
  issuedAt: string;
  dueAt: string;
}

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

export interface Payment {
  id: number;
  number: string;
  payerId: number;
  amount: number;
  method: string;
  allocations: { invoice: string; amount: number }[];
  unallocated: number;
}

export const invoicePdf = (number: string) => `/api/v1/invoices/${encodeURIComponent(number)}/pdf`;
export const receiptPdf = (number: string) => `/api/v1/payments/${encodeURIComponent(number)}/receipt`;
export const paymentJson = (number: string) => `/api/v1/payments/${encodeURIComponent(number)}`;

/** Query keys of one payer's account, refreshed together after a payment. */
export const accountKeys = {
  customer: (code: string) => ['billing-account', code] as const,
  invoices: (payerId: number) => ['payer-invoices', payerId] as const,
  statement: (payerId: number) => ['payer-statement', payerId] as const,
};

/** `YYYY-MM-DD` of a date, in UTC like the API's statement bounds. */
export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}
