// The shapes the API returns (see /api/openapi.json); only what the screens read.

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface Me {
  id: number;
  username: string;
  displayName: string;
  roles: string[];
  actors: string[];
  rights: string[];
}

export interface Address {
  number?: string | null;
  street: string;
  district?: string | null;
  locality: string;
  postalCode?: string | null;
}

export const CATEGORY_KINDS = ['commercial1', 'commercial2', 'collection', 'accounting', 'tax'] as const;
export type CategoryKind = (typeof CATEGORY_KINDS)[number];

export interface Customer {
  id: number;
  code: string;
  kind: 'person' | 'organisation';
  title: string | null;
  lastName: string | null;
  firstNames: string | null;
  nickname: string | null;
  birthDate: string | null;
  idDocument: { type: string; number: string } | null;
  companyName: string | null;
  tradeName: string | null;
  registrationNumber: string | null;
  displayName: string;
  address: Address;
  phones: string[];
  email: string | null;
  preferredLanguage: string;
  status: string;
  categories: Record<CategoryKind, string>;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface Payer {
  id: number;
  customerId: number;
  code: string;
  name: string;
  billingAddress: Address;
  paymentMethod: string;
  bankAccount: string | null;
  mobileMoneyNumber: string | null;
  isDefault: boolean;
  status: string;
}

export interface SubscriptionUser {
  id: number;
  title: string | null;
  lastName: string;
  firstNames: string | null;
  phone: string | null;
  email: string | null;
  idDocumentNumber: string | null;
}

export interface Subscription {
  id: number;
  code: string;
  payerId: number;
  userId: number | null;
  parentId: number | null;
  product?: { code: string; name: string; kind: string; version: number };
  status: 'pending' | 'active' | 'suspended' | 'terminated';
  directoryNumber: string | null;
  simIccid: string | null;
  createdAt: string | null;
  activatedAt: string | null;
  terminatedAt: string | null;
}

export interface TimelineEvent {
  id: number;
  occurredAt: string;
  entityType: string;
  entityId: string;
  kind: string;
  actor: string | null;
  lineId: string | null;
  payload: unknown;
}

export interface Customer360 {
  customer: Customer;
  payers: Payer[];
  users: SubscriptionUser[];
  subscriptions: Subscription[];
  events: TimelineEvent[];
}

export interface Tax {
  code: string;
  label: string;
  rateBasisPoints: number;
}

export interface Category {
  id: number;
  kind: CategoryKind;
  code: string;
  label: string;
  active: boolean;
  collectiveAccount?: string;
  taxExempt?: boolean;
  taxes?: Tax[];
}

export const PRODUCT_KINDS = [
  'fixed_wired',
  'fixed_radio',
  'mobile_postpaid',
  'mobile_prepaid',
  'option',
] as const;
export type ProductKind = (typeof PRODUCT_KINDS)[number];

export interface ProductVersion {
  id: number;
  version: number;
  validFrom: string;
  oneOffPrice: number;
  recurringPrice: number;
  usageUnitPrice: number;
  currency: string;
  deposits: Record<string, number>;
}

export interface Product {
  id: number;
  code: string;
  name: string;
  kind: ProductKind;
  appliesTo: string[];
  active: boolean;
  current: ProductVersion | null;
  versions?: ProductVersion[];
}

export interface BlacklistEntry {
  id: number;
  customerCode: string | null;
  idDocumentNumber: string | null;
  name: string | null;
  reason: string;
  listedAt: string;
  liftedAt: string | null;
  liftReason: string | null;
}

export interface BlacklistMatch {
  blacklisted: boolean;
  matches: (BlacklistEntry & { matchedOn: string[] })[];
}

export interface AppUser {
  id: number;
  username: string;
  displayName: string;
  roles: string[];
  actors: string[];
  active: boolean;
  zone: string | null;
  skills: string[] | null;
}

export interface Role {
  code: string;
  name: string;
  rights: string[];
}

export interface Actor {
  code: string;
  name: string;
  kind: string;
}
