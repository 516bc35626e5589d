import type { ColumnType, Generated } from 'kysely';
import type { Timestamp } from '../../platform/tables.js';

/** TMF622's own rows (migration 0710): the order attributes GPTo's service request has no column for. */
export interface TmfProductOrderTable {
  request_id: number;
  external_id: string | null;
  description: string | null;
  category: string | null;
  priority: string | null;
  notification_contact: string | null;
  requested_start_date: Date | null;
  requested_completion_date: Date | null;
  item_id: ColumnType<string, string | undefined, string>;
  item_action: 'add' | 'modify' | 'delete';
  note: ColumnType<unknown, string | undefined, string>;
  updated_at: Timestamp;
}

export interface TmfCancelProductOrderTable {
  id: Generated<number>;
  code: string;
  request_id: number;
  cancellation_reason: string;
  requested_cancellation_date: Date | null;
  effective_cancellation_date: Date;
  state: 'accepted' | 'terminatedWithError' | 'inProgress' | 'done';
  created_at: Timestamp;
  created_by: number | null;
}

/** TMF641 cancelServiceOrder records (migration 0751). */
export interface TmfCancelServiceOrderTable {
  id: Generated<number>;
  code: string;
  order_id: number;
  cancellation_reason: string;
  requested_cancellation_date: Date | null;
  effective_cancellation_date: Date | null;
  state: 'accepted' | 'terminatedWithError' | 'inProgress' | 'done';
  error: string | null;
  created_at: Timestamp;
  created_by: number | null;
}

/** The last TMF622 state noted per order (migration 0750). */
export interface TmfOrderStateTable {
  request_id: number;
  state: string;
  changed_at: Timestamp;
}

export interface TmfOrderTables {
  tmf_product_order: TmfProductOrderTable;
  tmf_cancel_product_order: TmfCancelProductOrderTable;
  tmf_cancel_service_order: TmfCancelServiceOrderTable;
  tmf_order_state: TmfOrderStateTable;
}
