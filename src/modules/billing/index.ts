import type { Db } from '../../platform/db.js';
import { LedgerService } from './ledger.service.js';

export interface BillingServices {
  ledger: LedgerService;
}

export function createBilling(db: Db, currency: string): BillingServices {
  return { ledger: new LedgerService(db, currency) };
}

export { LedgerService, BillingError, priceLines } from './ledger.service.js';
export type { Invoice, InvoiceLine, Tax, Balance } from './ledger.service.js';
export { registerBillingRoutes } from './billing.routes.js';
export { payerAccountJson, balanceFromDoc, type PayerAccountDoc } from './account-json.js';
