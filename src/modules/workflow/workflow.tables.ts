import type { Generated } from 'kysely';
import type { ColumnType } from 'kysely';
import type { Auto, Json, Timestamp } from '../../platform/tables.js';

/** A JSON column with a database default: optional on insert. */
type JsonAuto = ColumnType<unknown, string | undefined, string>;

export type InstanceStatus = 'running' | 'completed' | 'rejected' | 'cancelled';
export type TaskKind = 'human' | 'automatic' | 'join' | 'hold' | 'timer';
export type TaskStatus = 'ready' | 'claimed' | 'waiting' | 'held' | 'done' | 'cancelled';
export type TimerKind = 'sla' | 'deadline' | 'wait';
export type TimerAction = 'escalate' | 'cancel' | 'reject' | 'complete';

export interface WfScenarioTable {
  id: Generated<number>;
  code: string;
  version: number;
  name: string;
  definition: Json;
  created_at: Timestamp;
  created_by: number | null;
}

export interface WfInstanceTable {
  id: Generated<number>;
  scenario_id: number;
  scenario_code: string;
  scenario_version: number;
  subject_type: string;
  subject_id: string;
  customer_id: number | null;
  line_id: string | null;
  status: InstanceStatus;
  data: Json;
  reason: string | null;
  created_at: Timestamp;
  ended_at: Date | null;
}

export interface WfTaskTable {
  id: Generated<number>;
  instance_id: number;
  node: string;
  kind: TaskKind;
  actor: string | null;
  status: TaskStatus;
  assignee_id: number | null;
  priority: Auto<number>;
  due_at: Date | null;
  available_at: Timestamp;
  attempts: Auto<number>;
  max_attempts: Auto<number>;
  last_error: string | null;
  outcome: string | null;
  input: JsonAuto;
  result: Json | null;
  explanation: JsonAuto;
  hold_cause: string | null;
  resume_event: string | null;
  resume_match: Json | null;
  /** A waiting automatic step: the key its external completion names (engine.completeWaiting). */
  resume_key: string | null;
  arrived: Auto<string[]>;
  escalated_from: string | null;
  fell_out: Auto<boolean>;
  from_task_id: number | null;
  customer_id: number | null;
  line_id: string | null;
  created_at: Timestamp;
  claimed_at: Date | null;
  completed_at: Date | null;
  completed_by: number | null;
}

export interface WfTimerTable {
  id: Generated<number>;
  instance_id: number;
  task_id: number | null;
  kind: TimerKind;
  fire_at: Timestamp;
  action: TimerAction;
  payload: JsonAuto;
  fired_at: Date | null;
  cancelled_at: Date | null;
}

export interface WfCompensationTable {
  id: Generated<number>;
  instance_id: number;
  task_id: number | null;
  action: string;
  payload: JsonAuto;
  created_at: Timestamp;
  done_at: Date | null;
}

export interface WorkflowTables {
  wf_scenario: WfScenarioTable;
  wf_instance: WfInstanceTable;
  wf_task: WfTaskTable;
  wf_timer: WfTimerTable;
  wf_compensation: WfCompensationTable;
}
