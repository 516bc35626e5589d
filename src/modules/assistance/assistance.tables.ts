import type { ColumnType, Generated } from 'kysely';
import type { Json, Timestamp } from '../../platform/tables.js';

type JsonAuto = ColumnType<unknown, string | undefined, string>;
type Default<T> = ColumnType<T, T | undefined, T>;

export type FaultStatus = 'open' | 'resolved' | 'closed';
export type IncidentScope = 'cable' | 'pair_range' | 'cp';
export type IncidentStatus = 'open' | 'repaired';
export type ComplaintCategory = 'billing' | 'service' | 'quality' | 'commercial' | 'other';
export type ComplaintStatus = 'open' | 'accepted' | 'rejected';
export type RebateMethod = 'fixed' | 'outage';
export type RebateStatus = 'pending' | 'credited' | 'rejected';
export type ApprovalLevel = 'small' | 'large';
export type WorkOrderStatus = 'issued' | 'in_progress' | 'done' | 'failed';

export interface AsstIncidentTable {
  id: Generated<number>;
  number: string;
  scope: IncidentScope;
  cable_code: string | null;
  pair_from: number | null;
  pair_to: number | null;
  cp_code: string | null;
  zone: string | null;
  description: string;
  status: Default<IncidentStatus>;
  pairs: JsonAuto;
  lines: Default<string[]>;
  skipped: JsonAuto;
  opened_at: Timestamp;
  opened_by: number | null;
  repaired_at: Date | null;
  repaired_by: number | null;
  repair_report: string | null;
}

export interface AsstFaultTable {
  id: Generated<number>;
  number: string;
  customer_id: number;
  payer_id: number;
  subscription_id: number;
  line_id: string;
  product_kind: string;
  zone: string | null;
  symptom: string;
  description: string | null;
  contact_phone: string | null;
  channel: Default<string>;
  status: Default<FaultStatus>;
  diagnosis: JsonAuto;
  incident_id: number | null;
  instance_id: number | null;
  cause_code: string | null;
  resolution: string | null;
  reopen_count: Default<number>;
  reported_at: Timestamp;
  reported_by: number | null;
  due_at: Timestamp;
  resolved_at: Date | null;
  closed_at: Date | null;
  closed_by: number | null;
}

export interface AsstComplaintTable {
  id: Generated<number>;
  number: string;
  customer_id: number;
  payer_id: number;
  subscription_id: number | null;
  line_id: string | null;
  category: ComplaintCategory;
  subject: string;
  description: string | null;
  invoice_number: string | null;
  disputed_amount: number | null;
  fault_id: number | null;
  status: Default<ComplaintStatus>;
  decision_reason: string | null;
  instance_id: number | null;
  opened_at: Timestamp;
  opened_by: number | null;
  decided_at: Date | null;
  decided_by: number | null;
}

export interface AsstRebateTable {
  id: Generated<number>;
  number: string;
  customer_id: number;
  payer_id: number;
  subscription_id: number | null;
  line_id: string | null;
  fault_id: number | null;
  complaint_id: number | null;
  reason: string;
  method: RebateMethod;
  outage_minutes: number | null;
  monthly_price: number | null;
  amount: number;
  currency: string;
  approval_level: ApprovalLevel;
  status: Default<RebateStatus>;
  requested_at: Timestamp;
  requested_by: number | null;
  decided_at: Date | null;
  decided_by: number | null;
  decision_note: string | null;
}

export interface AsstWorkOrderTable {
  id: Generated<number>;
  number: string;
  fault_id: number | null;
  incident_id: number | null;
  customer_id: number | null;
  line_id: string | null;
  team: string;
  zone: string | null;
  instructions: string;
  status: Default<WorkOrderStatus>;
  report: string | null;
  cause_code: string | null;
  assignee_id: number | null;
  issued_at: Timestamp;
  issued_by: number | null;
  started_at: Date | null;
  ended_at: Date | null;
  ended_by: number | null;
}

export interface AsstMeterReadingTable {
  id: Generated<number>;
  line_id: string;
  customer_id: number | null;
  meter_index: number;
  source: string;
  read_at: Timestamp;
}

export interface AsstNotificationTable {
  id: Generated<number>;
  customer_id: number;
  line_id: string | null;
  fault_id: number | null;
  complaint_id: number | null;
  channel: 'sms' | 'letter';
  recipient: string | null;
  text: string;
  created_at: Timestamp;
}

export interface AssistanceTables {
  asst_incident: AsstIncidentTable;
  asst_fault: AsstFaultTable;
  asst_complaint: AsstComplaintTable;
  asst_rebate: AsstRebateTable;
  asst_work_order: AsstWorkOrderTable;
  asst_meter_reading: AsstMeterReadingTable;
  asst_notification: AsstNotificationTable;
}

// Json is re-exported for the services' casts of jsonb columns.
export type { Json };
