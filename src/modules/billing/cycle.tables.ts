import type { ColumnType, Generated } from 'kysely';
import type { Timestamp } from '../../platform/tables.js';

type Opt<T> = ColumnType<T, T | undefined, T>;
type JsonOpt = ColumnType<unknown, string | undefined, string>;

export type CollectionStage = 'open' | 'reminder' | 'limitation' | 'suspension' | 'termination_proposal';

export interface BillingCycleTable {
  code: string;
  label: string;
  months: number;
  due_days: number;
}

export interface BillingPayerCycleTable {
  payer_id: number;
  cycle_code: string;
  updated_at: Timestamp;
}

export interface BillingNumberSeriesTable {
  series: string;
  next: number;
}

export interface BillingRunTable {
  id: Generated<number>;
  period: string;
  cycle_code: string;
  period_start: string;
  period_end: string;
  status: Opt<'running' | 'done' | 'failed'>;
  invoices: Opt<number>;
  amount_total: Opt<number>;
  started_at: Date;
  finished_at: Date | null;
  started_by: number | null;
  error: string | null;
}

export interface BillingChargeTable {
  id: Generated<number>;
  payer_id: number;
  customer_id: number;
  subscription_id: number | null;
  kind: 'one_off' | 'adjustment';
  label: string;
  product_code: string | null;
  amount: number;
  created_at: Date;
  invoice_id: number | null;
}

export interface MeterReadingTable {
  id: Generated<number>;
  subscription_id: number;
  customer_id: number;
  read_at: Date;
  meter_index: number;
  source: 'api' | 'csv' | 'automaton';
  recorded_at: Timestamp;
}

export interface BillingPaymentAllocationTable {
  payment_id: number;
  invoice_id: number;
  amount: number;
}

export interface BillingCollectionRuleTable {
  category_id: number;
  reminder_day: number | null;
  limitation_day: number | null;
  suspension_day: number | null;
  termination_day: number | null;
  min_amount: Opt<number>;
  updated_at: Timestamp;
}

export interface BillingCollectionExemptionTable {
  id: Generated<number>;
  customer_id: number;
  reason: string;
  until: string | null;
  created_at: Date;
  created_by: number | null;
  lifted_at: Date | null;
}

export interface BillingCollectionCaseTable {
  id: Generated<number>;
  payer_id: number;
  customer_id: number;
  stage: CollectionStage;
  opened_at: Date;
  updated_at: Date;
  closed_at: Date | null;
  close_reason: string | null;
}

export interface BillingCollectionActionTable {
  id: Generated<number>;
  case_id: number;
  payer_id: number;
  customer_id: number;
  stage: string;
  subscription_id: number | null;
  request_ref: string | null;
  debt: number;
  days_overdue: number;
  at: Date;
  detail: JsonOpt;
}

export interface BillingGlAccountTable {
  key: string;
  account: string;
  label: string;
}

export interface BillingPeriodTable {
  period: string;
  period_start: string;
  period_end: string;
  status: 'open' | 'closed';
  totals: JsonOpt;
  export_csv: string | null;
  closed_at: Date | null;
  closed_by: number | null;
}

export interface BillingDepositSettlementTable {
  id: Generated<number>;
  number: string;
  deposit_id: number;
  payer_id: number;
  customer_id: number;
  amount: number;
  applied: number;
  refunded: number;
  currency: string;
  allocations: JsonOpt;
  reason: string;
  settled_at: Timestamp;
  settled_by: number | null;
}

export interface BillingCollectionDayTable {
  run_date: string;
  status: 'running' | 'done' | 'failed';
  runner: string;
  attempts: Opt<number>;
  started_at: Timestamp;
  heartbeat_at: Timestamp;
  finished_at: Timestamp | null;
  report: ColumnType<unknown, string | null, string | null>;
  error: string | null;
}

export type DeliveryStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'paper';

export interface BillingDeliveryTable {
  invoice_id: number;
  run_id: number;
  payer_id: number;
  customer_id: number;
  channel: 'email' | 'paper';
  postal_rank: number | null;
  email: string | null;
  status: DeliveryStatus;
  attempts: Opt<number>;
  next_attempt_at: Timestamp | null;
  lease_until: Timestamp | null;
  last_error: string | null;
  message_id: string | null;
  sent_at: Timestamp | null;
  created_at: Timestamp;
}

export interface BillingCycleTables {
  billing_cycle: BillingCycleTable;
  billing_payer_cycle: BillingPayerCycleTable;
  billing_number_series: BillingNumberSeriesTable;
  billing_run: BillingRunTable;
  billing_charge: BillingChargeTable;
  meter_reading: MeterReadingTable;
  billing_payment_allocation: BillingPaymentAllocationTable;
  billing_collection_rule: BillingCollectionRuleTable;
  billing_collection_exemption: BillingCollectionExemptionTable;
  billing_collection_case: BillingCollectionCaseTable;
  billing_collection_action: BillingCollectionActionTable;
  billing_gl_account: BillingGlAccountTable;
  billing_period: BillingPeriodTable;
  billing_deposit_settlement: BillingDepositSettlementTable;
  billing_collection_day: BillingCollectionDayTable;
  billing_delivery: BillingDeliveryTable;
}
