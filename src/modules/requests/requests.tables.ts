import type { ColumnType, Generated } from 'kysely';
import type { Timestamp } from '../../platform/tables.js';

type JsonAuto = ColumnType<unknown, string | undefined, string>;

export type RequestKind =
  | 'new_line'
  | 'add_option'
  | 'remove_option'
  | 'access_change'
  | 'sim_replacement'
  | 'transfer_ownership'
  | 'relocation'
  | 'suspension'
  | 'restoration'
  | 'termination';
export type RequestStatus = 'open' | 'completed' | 'rejected' | 'cancelled';
export type DocumentKind =
  'quote' | 'invoice' | 'work_order' | 'completion_report' | 'letter' | 'sms' | 'email';

export interface ServiceRequestTable {
  id: Generated<number>;
  number: string;
  kind: RequestKind;
  scenario_code: string;
  customer_id: number;
  payer_id: number;
  subscription_id: number | null;
  product_code: string | null;
  line_id: string | null;
  status: ColumnType<RequestStatus, RequestStatus | undefined, RequestStatus>;
  channel: ColumnType<string, string | undefined, string>;
  details: JsonAuto;
  reason: string | null;
  created_at: Timestamp;
  created_by: number | null;
  closed_at: Date | null;
}

export interface RequestDocumentTable {
  id: Generated<number>;
  request_id: number;
  customer_id: number;
  kind: DocumentKind;
  title: string;
  content_type: string;
  body: Buffer | null;
  text: string | null;
  recipient: string | null;
  created_at: Timestamp;
  sent_at: Date | null;
}

export interface MessageTemplateTable {
  code: string;
  channel: 'letter' | 'sms' | 'email';
  language: string;
  subject: string | null;
  body: string;
}

export interface RequestsTables {
  service_request: ServiceRequestTable;
  request_document: RequestDocumentTable;
  message_template: MessageTemplateTable;
}
