import { DomainError, type ErrorKind } from '../../platform/errors.js';

export type BillingCycleErrorCode =
  | 'billing.invalid'
  | 'billing.period_not_ended'
  | 'billing.cycle_not_due'
  | 'billing.cycle_not_found'
  | 'billing.run_not_found'
  | 'billing.run_not_done'
  | 'billing.delivery_not_prepared'
  | 'deposit.settlement_not_found'
  | 'mail.not_configured'
  | 'invoice.not_found'
  | 'invoice.state'
  | 'credit_note.amount'
  | 'payer.not_found'
  | 'customer.not_found'
  | 'subscription.not_found'
  | 'payment.not_found'
  | 'payment.amount'
  | 'payment.duplicate'
  | 'deposit.not_found'
  | 'deposit.state'
  | 'meter.regression'
  | 'meter.duplicate'
  | 'collection.category_not_found'
  | 'ledger.period_closed'
  | 'ledger.period_not_ended'
  | 'ledger.unbalanced';

/** Errors of the billing cycle, payments, collection and centralisation. */
export class BillingCycleError extends DomainError {
  constructor(kind: ErrorKind, code: BillingCycleErrorCode, message: string, field?: string) {
    super(kind, code, message, field);
  }
}

export const invalidInput = (field: string, message: string) =>
  new BillingCycleError('invalid', 'billing.invalid', message, field);
