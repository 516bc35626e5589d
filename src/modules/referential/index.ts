import type { Db } from '../../platform/db.js';
import { BlacklistService } from './blacklist.service.js';
import { CatalogueService } from './catalogue.service.js';
import { CategoryService } from './category.service.js';
import { ContactService } from './contact.service.js';
import { CustomerService } from './customer.service.js';
import { PayerService } from './payer.service.js';
import { SubscriptionService } from './subscription.service.js';

export interface ReferentialServices {
  categories: CategoryService;
  customers: CustomerService;
  payers: PayerService;
  catalogue: CatalogueService;
  subscriptions: SubscriptionService;
  blacklist: BlacklistService;
  /** Contacts recorded on a customer's timeline (TMF683 partyInteraction). */
  contacts: ContactService;
}

export function createReferential(db: Db, currency: string): ReferentialServices {
  const customers = new CustomerService(db);
  return {
    categories: new CategoryService(db),
    customers,
    payers: new PayerService(db, customers),
    catalogue: new CatalogueService(db, currency),
    subscriptions: new SubscriptionService(db, customers),
    blacklist: new BlacklistService(db),
    contacts: new ContactService(db, customers),
  };
}

export { registerReferentialRoutes } from './referential.routes.js';
export { canTransition } from './subscription.service.js';
export { depositFor, currentVersion } from './catalogue.service.js';
export type { Customer, Customer360, TimelineEvent } from './customer.service.js';
export type { Payer, Subscription, SubscriptionUser } from './mappers.js';
export { linePartiesJson, type LineParties } from './customer.repository.js';
export type { BlacklistMatch } from './blacklist.service.js';
export type { Category, Tax } from './category.service.js';
export type { Product, ProductVersion } from './catalogue.service.js';
