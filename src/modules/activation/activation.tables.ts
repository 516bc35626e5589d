import type { ColumnType, Generated } from 'kysely';
import type { Auto, Timestamp } from '../../platform/tables.js';
import type { ElementKind } from './drivers/driver.js';

/** A JSON column with a database default: optional on insert. */
type JsonAuto = ColumnType<unknown, string | undefined, string>;
type JsonNull = ColumnType<unknown, string | null | undefined, string | null>;

export type OrderStatus = 'pending' | 'running' | 'done' | 'refused' | 'cancelled';
export type CommandOutcome = 'ok' | 'refused' | 'transport_error';

export interface ActElementTable {
  code: string;
  kind: ElementKind;
  name: string;
  host: string;
  port: number;
  /** osmo-hlr's VTY port (the audit's subscriber listing); null: 4258. */
  vty_port: ColumnType<number | null, number | null | undefined, number | null>;
  username: string | null;
  /** Only rows written before migration 0781, until the application seals them. */
  password: string | null;
  password_sealed: Buffer | null;
  rate_per_second: Auto<number>;
  pool_size: Auto<number>;
  pipeline: Auto<number>;
  exchanges: ColumnType<string[], string[] | undefined, string[]>;
  timeout_ms: Auto<number>;
  is_default: Auto<boolean>;
  enabled: Auto<boolean>;
  created_at: Timestamp;
}

export interface ActOrderTable {
  id: Generated<number>;
  element_code: string;
  operation: string;
  line_id: string;
  params: JsonAuto;
  status: Auto<OrderStatus>;
  attempts: Auto<number>;
  result: JsonNull;
  error: string | null;
  error_code: string | null;
  instance_id: number | null;
  task_id: number | null;
  resume_node: string | null;
  request_ref: string | null;
  customer_id: number | null;
  replay_of: number | null;
  revert_of: number | null;
  created_by: Auto<string>;
  created_at: Timestamp;
  available_at: Timestamp;
  claimed_by: string | null;
  lease_until: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  checkpoint: JsonNull;
  /** A refused order set aside by switching (not to be replayed): who, when, why. */
  dismissed_at: Date | null;
  dismissed_by: string | null;
  dismiss_reason: string | null;
}

export interface ActCommandTable {
  id: Generated<number>;
  order_id: number | null;
  element_code: string;
  line_id: string | null;
  instance_id: number | null;
  task_id: number | null;
  attempt: Auto<number>;
  command: string;
  reply: string | null;
  outcome: CommandOutcome;
  sent_at: Date;
  duration_ms: number;
}

export interface ActRevertTable {
  id: Generated<number>;
  order_id: number;
  element_code: string;
  line_id: string;
  operation: string;
  params: ColumnType<unknown, string, string>;
  due_at: Date;
  revert_order_id: number | null;
  done_at: Date | null;
}

export type AuditStatus = 'running' | 'done' | 'failed';
export type AuditItemKind =
  'missing' | 'state_differs' | 'number_differs' | 'port_differs' | 'unknown_on_element' | 'not_placeable';

export interface ActAuditTable {
  id: Generated<number>;
  element_code: string;
  status: Auto<AuditStatus>;
  repair: Auto<boolean>;
  expected: Auto<number>;
  checked: Auto<number>;
  consistent: Auto<number>;
  differences: Auto<number>;
  repaired: Auto<number>;
  error: string | null;
  warning: ColumnType<string | null, string | null | undefined, string | null>;
  started_by: string;
  scheduled_for: ColumnType<string | null, string | undefined, string | null>;
  started_at: Timestamp;
  heartbeat_at: Timestamp;
  finished_at: Date | null;
}

export interface ActAuditItemTable {
  id: Generated<number>;
  audit_id: number;
  line_id: string;
  kind: AuditItemKind;
  subscription_code: string | null;
  customer_id: number | null;
  plan: JsonAuto;
  expected: JsonNull;
  actual: JsonNull;
  detail: string;
  order_ids: ColumnType<number[], number[] | undefined, number[]>;
  orders_in_flight: ColumnType<number[], number[] | undefined, number[]>;
}

export interface ActivationTables {
  act_audit: ActAuditTable;
  act_audit_item: ActAuditItemTable;
  act_element: ActElementTable;
  act_order: ActOrderTable;
  act_command: ActCommandTable;
  act_revert: ActRevertTable;
}
