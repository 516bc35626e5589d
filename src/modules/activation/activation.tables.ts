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

export interface ActivationTables {
  act_element: ActElementTable;
  act_order: ActOrderTable;
  act_command: ActCommandTable;
  act_revert: ActRevertTable;
}
