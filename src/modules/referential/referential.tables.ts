import type { Generated } from 'kysely';
import type { Auto, Json, Timestamp } from '../../platform/tables.js';

export type CategoryKind = 'commercial1' | 'commercial2' | 'collection' | 'accounting' | 'tax';
export const CATEGORY_KINDS: readonly CategoryKind[] = [
  'commercial1',
  'commercial2',
  'collection',
  'accounting',
  'tax',
];

export type CustomerKind = 'person' | 'organisation';
export type CustomerStatus = 'prospect' | 'active' | 'inactive' | 'closed';
export type PaymentMethod = 'cash' | 'bank_transfer' | 'direct_debit' | 'mobile_money' | 'cheque';
export type ProductKind = 'fixed_wired' | 'fixed_radio' | 'mobile_postpaid' | 'mobile_prepaid' | 'option';
export type SubscriptionStatus = 'pending' | 'active' | 'suspended' | 'terminated';

export interface CategoryTable {
  id: Generated<number>;
  kind: CategoryKind;
  code: string;
  label: string;
  collective_account: string | null;
  tax_exempt: boolean | null;
  taxes: Json | null;
  active: Auto<boolean>;
}

export interface CustomerTable {
  id: Generated<number>;
  code: string;
  kind: CustomerKind;
  title: string | null;
  last_name: string | null;
  first_names: string | null;
  nickname: string | null;
  birth_date: string | null;
  id_document_type: string | null;
  id_document_number: string | null;
  company_name: string | null;
  trade_name: string | null;
  registration_number: string | null;
  address: Json;
  phones: string[];
  email: string | null;
  preferred_language: Auto<string>;
  status: Auto<CustomerStatus>;
  commercial1_id: number;
  commercial2_id: number;
  collection_id: number;
  accounting_id: number;
  tax_id: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  version: Auto<number>;
  search_name: Generated<string>;
  id_document_norm: Generated<string | null>;
}

export interface PayerTable {
  id: Generated<number>;
  customer_id: number;
  code: string;
  name: string;
  billing_address: Json;
  payment_method: PaymentMethod;
  bank_account: string | null;
  mobile_money_number: string | null;
  is_default: boolean;
  status: Auto<'active' | 'closed'>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SubscriptionUserTable {
  id: Generated<number>;
  customer_id: number;
  title: string | null;
  last_name: string;
  first_names: string | null;
  phone: string | null;
  email: string | null;
  id_document_number: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ProductTable {
  id: Generated<number>;
  code: string;
  name: string;
  kind: ProductKind;
  applies_to: string[];
  active: Auto<boolean>;
  created_at: Timestamp;
}

export interface ProductVersionTable {
  id: Generated<number>;
  product_id: number;
  version: number;
  valid_from: Timestamp;
  one_off_price: number;
  recurring_price: number;
  usage_unit_price: Auto<number>;
  currency: string;
  deposits: Json;
  created_at: Timestamp;
}

export interface SubscriptionTable {
  id: Generated<number>;
  code: string;
  customer_id: number;
  payer_id: number;
  user_id: number | null;
  product_version_id: number;
  parent_id: number | null;
  status: Auto<SubscriptionStatus>;
  directory_number: string | null;
  sim_iccid: string | null;
  equipment_number: string | null;
  plant_ref: Json | null;
  created_at: Timestamp;
  activated_at: Date | null;
  terminated_at: Date | null;
  updated_at: Timestamp;
}

export interface SubscriptionStatusHistoryTable {
  id: Generated<number>;
  subscription_id: number;
  from_status: SubscriptionStatus | null;
  to_status: SubscriptionStatus;
  reason: string | null;
  changed_at: Timestamp;
  user_id: number | null;
}

export interface SubscriptionPayerHistoryTable {
  id: Generated<number>;
  subscription_id: number;
  from_payer_id: number | null;
  to_payer_id: number;
  moved_at: Timestamp;
  user_id: number | null;
}

export interface BlacklistEntryTable {
  id: Generated<number>;
  customer_code: string | null;
  id_document_number: string | null;
  name: string | null;
  reason: string;
  listed_at: Timestamp;
  listed_by: number | null;
  lifted_at: Date | null;
  lifted_by: number | null;
  lift_reason: string | null;
  id_document_norm: Generated<string | null>;
  name_norm: Generated<string | null>;
}

export interface CustomerSearchTable {
  customer_id: number;
  search_name: string;
}

/** The distinct words of the customers' search names (migration 0010), kept by triggers. */
export interface SearchWordTable {
  word: string;
}

/** One row per word of a customer's search name (migration 0010), kept by triggers. */
export interface CustomerWordTable {
  word: string;
  customer_id: number;
}

export interface ReferentialTables {
  customer_search: CustomerSearchTable;
  search_word: SearchWordTable;
  customer_word: CustomerWordTable;
  category: CategoryTable;
  customer: CustomerTable;
  payer: PayerTable;
  subscription_user: SubscriptionUserTable;
  product: ProductTable;
  product_version: ProductVersionTable;
  subscription: SubscriptionTable;
  subscription_status_history: SubscriptionStatusHistoryTable;
  subscription_payer_history: SubscriptionPayerHistoryTable;
  blacklist_entry: BlacklistEntryTable;
}
