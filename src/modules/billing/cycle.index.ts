// Public surface of the billing cycle (periodic invoices, payments, accounts, collection,
// centralisation), beside the payer account ledger of index.ts.
export { createBillingCycle, type BillingCycleServices } from './cycle.module.js';
export { registerBillingCycleRoutes } from './billing.cycle.routes.js';
export { runBilling, type RunResult, type RunOptions } from './invoice-run.js';
export { periodOf, prorate, taxOf } from './period.js';
export {
  LIMITATION_SCENARIO_DEF,
  SUSPENSION_SCENARIO_DEF,
  RESTORATION_SCENARIO_DEF,
  COLLECTION_SCENARIOS,
  DEBT_SETTLED,
} from './collection-scenario.js';
export { BillingCycleError } from './cycle.errors.js';
export { lineHasLimitation, lineLimitations, LIMITATION_BARRING } from './collection-handlers.js';
export type { InvoiceDoc } from './invoices.service.js';
