import type { FastifyInstance } from 'fastify';
import type { Db } from '../../platform/db.js';
import type { ActivationModule } from '../activation/index.js';
import type { AssistanceModule } from '../assistance/index.js';
import type { BillingServices } from '../billing/index.js';
import type { BillingCycleServices } from '../billing/cycle.index.js';
import type { InventoryServices } from '../inventory/index.js';
import type { ReferentialServices } from '../referential/index.js';
import type { RequestsModule } from '../requests/index.js';
import type { WorkflowServices } from '../workflow/index.js';
import { accountApi } from './account.js';
import { customerApi } from './customer.js';
import { customerBillApi } from './customer-bill.js';
import { paymentApi } from './payment.js';
import { troubleTicketApi } from './trouble-ticket.js';
import { registerTmfApi, type TmfApiDef } from './framework.js';
import { registerHubRoutes, TmfHubSubscriptions } from './hub.js';
import { geographicAddressApi } from './geographic-address.js';
import { communicationApi, partyInteractionApi } from './interactions.js';
import { partyApi } from './party.js';
import { resourceInventoryApi } from './resource-inventory.js';
import { serviceQualificationApi } from './service-qualification.js';
import { productOrderingApi } from './product-ordering.js';
import { productInventoryApi } from './product-inventory.js';
import { processFlowApi } from './process-flow.js';
import { productCatalogApi } from './product-catalog.js';
import { serviceInventoryApi } from './service-inventory.js';
import { serviceActivationApi } from './service-activation.js';
import { serviceOrderingApi } from './service-ordering.js';
import { stockApi } from './stock.js';

/** The modules the facades front: the same services the native routes use. */
export interface TmfDeps {
  db: Db;
  referential: ReferentialServices;
  workflow: WorkflowServices;
  billing: BillingServices;
  requests: RequestsModule;
  inventory: InventoryServices;
  activation: ActivationModule;
  assistance: AssistanceModule;
  /** ISO code of the operator's currency (amounts are in its minor unit). */
  currency?: string;
  /** Periodic invoices, payments and collection (payments restore lines through it). */
  billingCycle: BillingCycleServices;
}

/** Every TMF Open API v4 facade; each entry is one API (one base path). */
export function tmfApis(deps: TmfDeps): TmfApiDef[] {
  return [
    customerApi(deps.db, deps.referential),
    partyApi(deps.db, deps.referential),
    accountApi(deps.db, deps.referential, deps.currency ?? 'XOF', deps.billingCycle),
    customerBillApi(deps.db, deps.billingCycle),
    paymentApi(deps.db, deps.billingCycle),
    troubleTicketApi(deps.db, deps.assistance),
    partyInteractionApi(deps.db, deps.referential),
    communicationApi(deps.db, deps.billingCycle.delivery),
    geographicAddressApi(deps.db),
    resourceInventoryApi(deps.db, deps.inventory),
    serviceQualificationApi(deps.db, deps.inventory, deps.referential),
    productOrderingApi(deps.db, deps.requests),
    productInventoryApi(deps.db),
    processFlowApi(deps.db, deps.workflow),
    productCatalogApi(deps.db),
    serviceInventoryApi(deps.db, deps.activation),
    serviceActivationApi(deps.db, deps.activation),
    serviceOrderingApi(deps.db, deps.activation, deps.requests),
    stockApi(deps.db, deps.inventory),
  ];
}

/** The facades an app serves, for the hub's dispatcher (main.ts starts it, tests drive it). */
const registered = new WeakMap<FastifyInstance, TmfApiDef[]>();

export function tmfApisOf(app: FastifyInstance): TmfApiDef[] {
  return registered.get(app) ?? [];
}

export async function registerTmfRoutes(app: FastifyInstance, deps: TmfDeps): Promise<TmfApiDef[]> {
  const apis = tmfApis(deps);
  const subscriptions = new TmfHubSubscriptions(deps.db);
  for (const api of apis)
    await registerTmfApi(app, api, (scope, a) => registerHubRoutes(scope, a, subscriptions));
  registered.set(app, apis);
  return apis;
}

export { basePathOf, isTmfUrl, sendTmfError, type TmfApiDef, type TmfResourceDef } from './framework.js';
export { TmfHub, type TmfHubOptions } from './hub-dispatcher.js';
