import {
  sql,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import type { Executor, Tx } from '../../platform/db.js';
import type { EventInput } from '../../platform/events.js';
import type { Data } from './routing.js';
import type { TaskKind, TaskStatus, TimerAction, TimerKind } from './workflow.tables.js';

/** Woken workers listen on this channel; a commit that makes automatic tasks ready notifies it. */
export const TASK_READY_CHANNEL = 'wf_task_ready';

export interface TaskInsert {
  id: number;
  instance_id: number;
  node: string;
  kind: TaskKind;
  actor: string | null;
  status: TaskStatus;
  assignee_id: number | null;
  priority: number;
  due_at: Date | null;
  available_at: Date;
  max_attempts: number;
  input: Data;
  explanation: unknown;
  hold_cause: string | null;
  resume_event: string | null;
  resume_match: Data | null;
  from_task_id: number | null;
  customer_id: number | null;
  line_id: string | null;
  created_at: Date;
}

/** The columns a transition changes on an existing task: claimed, done or cancelled. */
export interface TaskPatch {
  status?: TaskStatus;
  outcome?: string;
  result?: unknown;
  claimed_at?: Date;
  completed_at?: Date;
  completed_by?: number | null;
  resume_key?: string | null;
}

export interface InstancePatch {
  /** The instance's data, serialised when staged: later steps mutate the live object. */
  dataJson?: string;
  line_id?: string | null;
  status?: string;
  reason?: string | null;
  ended_at?: Date;
}

interface TimerInsert {
  instance_id: number;
  task_id: number;
  kind: TimerKind;
  fire_at: Date;
  action: TimerAction;
  payload: Data;
}

type Op =
  | { op: 'task.insert'; row: TaskInsert }
  | { op: 'task.patch'; id: number; patch: TaskPatch }
  | { op: 'timer.insert'; row: TimerInsert }
  | { op: 'timer.cancel'; taskId: number | null; instanceId: number | null; at: Date }
  | {
      op: 'compensation.insert';
      row: { instance_id: number; task_id: number; action: string; payload: Data; created_at: Date };
    }
  | { op: 'instance.patch'; id: number; patch: InstancePatch }
  | { op: 'event'; event: EventInput }
  | { op: 'deferred'; writer: BatchWriter<unknown>; row: unknown }
  | { op: 'afterCommit'; fn: () => void };

/**
 * Writes the rows a batch of steps recorded for one module table with one statement (see
 * `WriteSet.defer`). It throws when the database refuses any of them: the worker then runs the
 * batch again step by step, where the steps write for themselves.
 */
export type BatchWriter<R> = (trx: Tx, rows: R[]) => Promise<void>;

export interface WriteMark {
  ops: number;
  flushed: number;
}

/**
 * The workflow writes of one transaction, kept in order and written set-based when the transaction
 * (or a batch of transitions in it) is about to end: one multi-row statement per table instead of
 * one statement per task, event or timer. Nothing is visible to anyone before commit either way,
 * so deferring the statements inside the transaction changes no outcome; the engine reads through
 * `openTasks` (the database, or what the worker read at claim time, plus what is recorded here) or
 * flushes first when it needs the database to be current (joins, compensations, push assignment).
 *
 * A worker runs several transitions in one transaction, each behind a savepoint: `mark()` before a
 * transition and `rollback(mark)` after `ROLLBACK TO SAVEPOINT` forget that transition's writes,
 * including those a `flush()` inside the savepoint had sent (the database forgot them too).
 */
export class WriteSet {
  private ops: Op[] = [];
  private flushed = 0;
  private ids: number[] = [];
  /** Ids fetched ahead for other tables' identity sequences (`sequenceId`). */
  private readonly otherIds = new Map<string, { ids: number[]; block: number }>();
  /** Open tasks of instances this transaction locked, read once after the claim. */
  private readonly known = new Map<number, { id: number; node: string; actor: string | null }[]>();
  /** Whether a statement may have changed the database since the caller last reset it (savepoint reuse). */
  dirty = false;

  constructor(
    /** Task ids fetched from the identity sequence per round trip (doubles at each refill, up to 512). */
    private idBlock = 8,
  ) {}

  /** The open tasks of a locked instance as read after the claim: `openTasks` then needs no query. */
  knowOpenTasks(instanceId: number, tasks: { id: number; node: string; actor: string | null }[]): void {
    this.known.set(instanceId, tasks);
  }

  /** Something wrote this instance's tasks directly (a join): ask the database next time. */
  forgetOpenTasks(instanceId: number): void {
    this.known.delete(instanceId);
  }

  mark(): WriteMark {
    return { ops: this.ops.length, flushed: this.flushed };
  }

  rollback(m: WriteMark): void {
    this.ops.length = m.ops;
    this.flushed = m.flushed;
  }

  /** A task id from the table's own identity sequence, fetched ahead in blocks. */
  async taskId(db: Executor, hint = 0): Promise<number> {
    if (this.ids.length === 0) {
      const n = Math.max(this.idBlock, hint);
      this.idBlock = Math.min(this.idBlock * 2, 512);
      const r = await sql<{ id: number }>`
        SELECT nextval(pg_get_serial_sequence('wf_task', 'id'))::bigint AS id
        FROM generate_series(1, ${n}::int)`.execute(db);
      this.ids = r.rows.map((x) => Number(x.id));
    }
    return this.ids.shift() as number;
  }

  /**
   * An id from another table's identity sequence (e.g. a module's row written by `defer`), fetched
   * ahead in blocks like task ids. The ids live as long as this write set (one transaction), so a
   * row never gets an id much older than its transaction.
   */
  async sequenceId(db: Executor, table: string): Promise<number> {
    let c = this.otherIds.get(table);
    if (!c) this.otherIds.set(table, (c = { ids: [], block: this.idBlock }));
    if (c.ids.length === 0) {
      const n = c.block;
      c.block = Math.min(c.block * 2, 512);
      const r = await sql<{ id: number }>`
        SELECT nextval(pg_get_serial_sequence(${table}, 'id'))::bigint AS id
        FROM generate_series(1, ${n}::int)`.execute(db);
      c.ids = r.rows.map((x) => Number(x.id));
    }
    return c.ids.shift() as number;
  }

  /**
   * A row of a module's own table, written at flush with the other rows of the same `writer` (one
   * statement for the whole batch) instead of one statement per step; rolled back with the step
   * like every recorded write.
   */
  defer<R>(writer: BatchWriter<R>, row: R): void {
    this.ops.push({ op: 'deferred', writer: writer as BatchWriter<unknown>, row });
  }

  /**
   * Something to do once the transaction has committed (e.g. hand the orders a step wrote to the
   * automaton of this process); forgotten with the step if it is rolled back. See `committed`.
   */
  afterCommit(fn: () => void): void {
    this.ops.push({ op: 'afterCommit', fn });
  }

  /**
   * Runs what the transaction's steps asked to do after commit, in their order: to be called once
   * the transaction that wrote this set has committed, never after a rollback. A throwing callback
   * does not stop the others (it only ever loses a shortcut: see `afterCommit`'s callers).
   */
  committed(onError?: (err: unknown) => void): void {
    for (const o of this.ops) {
      if (o.op !== 'afterCommit') continue;
      try {
        o.fn();
      } catch (err) {
        onError?.(err);
      }
    }
  }

  insertTask(row: TaskInsert): void {
    this.ops.push({ op: 'task.insert', row });
  }
  patchTask(id: number, patch: TaskPatch): void {
    this.ops.push({ op: 'task.patch', id, patch });
  }
  insertTimer(row: TimerInsert): void {
    this.ops.push({ op: 'timer.insert', row });
  }
  cancelTimers(by: { taskId?: number; instanceId?: number }, at: Date): void {
    this.ops.push({ op: 'timer.cancel', taskId: by.taskId ?? null, instanceId: by.instanceId ?? null, at });
  }
  insertCompensation(row: {
    instance_id: number;
    task_id: number;
    action: string;
    payload: Data;
    created_at: Date;
  }): void {
    this.ops.push({ op: 'compensation.insert', row });
  }
  patchInstance(id: number, patch: InstancePatch): void {
    this.ops.push({ op: 'instance.patch', id, patch });
  }
  event(event: EventInput): void {
    this.ops.push({ op: 'event', event });
  }

  /** Tasks created since `m`, with the status they have now (for chaining successors). */
  createdSince(m: WriteMark): TaskInsert[] {
    const out: TaskInsert[] = [];
    for (let i = m.ops; i < this.ops.length; i++) {
      const o = this.ops[i]!;
      if (o.op === 'task.insert') out.push(o.row);
    }
    return out;
  }

  /** The status this transaction gave a task (pending or already flushed), if it gave one. */
  statusOf(id: number): TaskStatus | undefined {
    for (let i = this.ops.length - 1; i >= 0; i--) {
      const o = this.ops[i]!;
      if (o.op === 'task.patch' && o.id === id && o.patch.status) return o.patch.status;
      if (o.op === 'task.insert' && o.row.id === id) return o.row.status;
    }
    return undefined;
  }

  /** The latest staged state of an instance in this transaction (to restore after a rollback). */
  instanceState(id: number): { dataJson?: string; line_id?: string | null; status?: string } {
    const out: { dataJson?: string; line_id?: string | null; status?: string } = {};
    for (let i = this.ops.length - 1; i >= 0; i--) {
      const o = this.ops[i]!;
      if (o.op !== 'instance.patch' || o.id !== id) continue;
      if (out.dataJson === undefined && o.patch.dataJson !== undefined) {
        out.dataJson = o.patch.dataJson;
        out.line_id = o.patch.line_id ?? null;
      }
      if (out.status === undefined && o.patch.status !== undefined) out.status = o.patch.status;
    }
    return out;
  }

  /**
   * The open tasks of an instance as this transaction sees them: the database rows (flushed
   * writes included) overlaid with what is still pending, or the rows read after the claim
   * overlaid with everything recorded since. The caller holds the instance lock, so nobody else
   * changes them meanwhile.
   */
  async openTasks(
    db: Executor,
    instanceId: number,
    openStatuses: readonly TaskStatus[],
  ): Promise<{ id: number; node: string; actor: string | null }[]> {
    const known = this.known.get(instanceId);
    const rows =
      known?.map((t) => ({ ...t, status: 'ready' as TaskStatus })) ??
      (await db
        .selectFrom('wf_task')
        .select(['id', 'node', 'actor', 'status'])
        .where('instance_id', '=', instanceId)
        .where('status', 'in', openStatuses)
        .orderBy('id')
        .execute());
    const pending = known ? this.ops : this.ops.slice(this.flushed);
    const status = new Map<number, TaskStatus>();
    const added: { id: number; node: string; actor: string | null }[] = [];
    for (const o of pending) {
      if (o.op === 'task.insert' && o.row.instance_id === instanceId) {
        status.set(o.row.id, o.row.status);
        added.push({ id: o.row.id, node: o.row.node, actor: o.row.actor });
      } else if (o.op === 'task.patch' && o.patch.status) status.set(o.id, o.patch.status);
    }
    const isOpen = (id: number, fallback: TaskStatus) => openStatuses.includes(status.get(id) ?? fallback);
    return [
      ...rows.filter((r) => isOpen(r.id, r.status)).map((r) => ({ id: r.id, node: r.node, actor: r.actor })),
      ...added.filter((r) => isOpen(r.id, 'ready')),
    ];
  }

  get pending(): number {
    return this.ops.length - this.flushed;
  }

  /** Writes every pending operation with one statement per table and kind of change. */
  async flush(trx: Tx): Promise<number> {
    const pending = this.ops.slice(this.flushed);
    this.flushed = this.ops.length;
    if (pending.length === 0) return 0;
    const inserts = new Map<number, TaskInsert & TaskPatch>();
    const patches = new Map<number, TaskPatch>();
    const timers: TimerInsert[] = [];
    const cancelByTask = new Map<number, Date>();
    const cancelByInstance = new Map<number, Date>();
    const compensations: Extract<Op, { op: 'compensation.insert' }>['row'][] = [];
    const instances = new Map<number, InstancePatch>();
    const events: EventInput[] = [];
    const deferred = new Map<BatchWriter<unknown>, unknown[]>();
    for (const o of pending) {
      switch (o.op) {
        case 'task.insert':
          inserts.set(o.row.id, { ...o.row });
          break;
        case 'task.patch': {
          const row = inserts.get(o.id);
          if (row) Object.assign(row, o.patch);
          else patches.set(o.id, { ...patches.get(o.id), ...o.patch });
          break;
        }
        case 'timer.insert':
          timers.push(o.row);
          break;
        case 'timer.cancel':
          if (o.taskId !== null && !cancelByTask.has(o.taskId)) cancelByTask.set(o.taskId, o.at);
          if (o.instanceId !== null && !cancelByInstance.has(o.instanceId))
            cancelByInstance.set(o.instanceId, o.at);
          break;
        case 'compensation.insert':
          compensations.push(o.row);
          break;
        case 'instance.patch':
          instances.set(o.id, { ...instances.get(o.id), ...o.patch });
          break;
        case 'event':
          events.push(o.event);
          break;
        case 'deferred': {
          const rows = deferred.get(o.writer);
          if (rows) rows.push(o.row);
          else deferred.set(o.writer, [o.row]);
          break;
        }
        case 'afterCommit':
          break;
      }
    }
    let statements = 0;
    // Existing rows first: a join finished here may be entered again by a row inserted below.
    if (patches.size > 0) {
      statements++;
      await sql`
        UPDATE wf_task t SET
          status = COALESCE(p->>'status', t.status),
          outcome = CASE WHEN p ? 'outcome' THEN p->>'outcome' ELSE t.outcome END,
          result = CASE WHEN p ? 'result' THEN p->'result' ELSE t.result END,
          claimed_at = CASE WHEN p ? 'claimed_at' THEN (p->>'claimed_at')::timestamptz ELSE t.claimed_at END,
          completed_at = CASE WHEN p ? 'completed_at' THEN (p->>'completed_at')::timestamptz ELSE t.completed_at END,
          completed_by = CASE WHEN p ? 'completed_by' THEN (p->>'completed_by')::bigint ELSE t.completed_by END,
          resume_key = CASE WHEN p ? 'resume_key' THEN p->>'resume_key' ELSE t.resume_key END
        FROM jsonb_array_elements(${JSON.stringify([...patches].map(([id, p]) => ({ id, ...p })))}::jsonb) AS e(p)
        WHERE t.id = (p->>'id')::bigint`.execute(trx);
    }
    if (inserts.size > 0) {
      statements++;
      // Idle workers LISTEN on the channel: a new ready automatic task wakes them at commit.
      await sql`
        WITH ins AS (
          INSERT INTO wf_task (id, instance_id, node, kind, actor, status, assignee_id, priority, due_at,
            available_at, max_attempts, input, explanation, hold_cause, resume_event, resume_match,
            from_task_id, customer_id, line_id, created_at, outcome, result, claimed_at, completed_at,
            completed_by, resume_key)
          OVERRIDING SYSTEM VALUE
          SELECT x.id, x.instance_id, x.node, x.kind, x.actor, x.status, x.assignee_id, x.priority, x.due_at,
            x.available_at, x.max_attempts, COALESCE(x.input, '{}'), COALESCE(x.explanation, '{}'), x.hold_cause,
            x.resume_event, x.resume_match, x.from_task_id, x.customer_id, x.line_id, x.created_at, x.outcome,
            x.result, x.claimed_at, x.completed_at, x.completed_by, x.resume_key
          FROM jsonb_to_recordset(${JSON.stringify([...inserts.values()])}::jsonb) AS x(
            id bigint, instance_id bigint, node text, kind text, actor text, status text, assignee_id bigint,
            priority int, due_at timestamptz, available_at timestamptz, max_attempts int, input jsonb,
            explanation jsonb, hold_cause text, resume_event text, resume_match jsonb, from_task_id bigint,
            customer_id bigint, line_id text, created_at timestamptz, outcome text, result jsonb,
            claimed_at timestamptz, completed_at timestamptz, completed_by bigint, resume_key text)
          RETURNING kind, status)
        SELECT pg_notify(${TASK_READY_CHANNEL}, '') FROM ins
        WHERE kind = 'automatic' AND status = 'ready' LIMIT 1`.execute(trx);
    }
    if (timers.length > 0) {
      statements++;
      await sql`
        INSERT INTO wf_timer (instance_id, task_id, kind, fire_at, action, payload)
        SELECT x.instance_id, x.task_id, x.kind, x.fire_at, x.action, x.payload
        FROM jsonb_to_recordset(${JSON.stringify(timers)}::jsonb) AS x(
          instance_id bigint, task_id bigint, kind text, fire_at timestamptz, action text, payload jsonb)`.execute(
        trx,
      );
    }
    // After the inserts, as the operations were recorded: a timer set and cancelled here ends cancelled.
    if (cancelByTask.size > 0) {
      statements++;
      await sql`
        UPDATE wf_timer tm SET cancelled_at = x.at
        FROM jsonb_to_recordset(${JSON.stringify([...cancelByTask].map(([id, at]) => ({ id, at })))}::jsonb)
          AS x(id bigint, at timestamptz)
        WHERE tm.task_id = x.id AND tm.fired_at IS NULL AND tm.cancelled_at IS NULL`.execute(trx);
    }
    if (cancelByInstance.size > 0) {
      statements++;
      await sql`
        UPDATE wf_timer tm SET cancelled_at = x.at
        FROM jsonb_to_recordset(${JSON.stringify([...cancelByInstance].map(([id, at]) => ({ id, at })))}::jsonb)
          AS x(id bigint, at timestamptz)
        WHERE tm.instance_id = x.id AND tm.fired_at IS NULL AND tm.cancelled_at IS NULL`.execute(trx);
    }
    if (compensations.length > 0) {
      statements++;
      await sql`
        INSERT INTO wf_compensation (instance_id, task_id, action, payload, created_at)
        SELECT x.instance_id, x.task_id, x.action, x.payload, x.created_at
        FROM ROWS FROM (jsonb_to_recordset(${JSON.stringify(compensations)}::jsonb) AS (
          instance_id bigint, task_id bigint, action text, payload jsonb, created_at timestamptz))
          WITH ORDINALITY AS x(instance_id, task_id, action, payload, created_at, n)
        ORDER BY x.n`.execute(trx);
    }
    for (const [writer, rows] of deferred) {
      statements++;
      await writer(trx, rows);
    }
    if (instances.size > 0) {
      statements++;
      // The data is already JSON text: splice it in rather than parse and serialise it again.
      const items = [...instances].map(([id, p]) => {
        const { dataJson, ...rest } = p;
        const head = JSON.stringify({ id, ...rest });
        return dataJson === undefined ? head : `${head.slice(0, -1)},"data":${dataJson}}`;
      });
      await sql`
        UPDATE wf_instance i SET
          data = CASE WHEN p ? 'data' THEN p->'data' ELSE i.data END,
          line_id = CASE WHEN p ? 'line_id' THEN p->>'line_id' ELSE i.line_id END,
          status = COALESCE(p->>'status', i.status),
          reason = CASE WHEN p ? 'reason' THEN p->>'reason' ELSE i.reason END,
          ended_at = CASE WHEN p ? 'ended_at' THEN (p->>'ended_at')::timestamptz ELSE i.ended_at END
        FROM jsonb_array_elements(${`[${items.join(',')}]`}::jsonb) AS e(p)
        WHERE i.id = (p->>'id')::bigint`.execute(trx);
    }
    if (events.length > 0) {
      statements++;
      await sql`
        INSERT INTO event (entity_type, entity_id, kind, customer_id, line_id, actor, user_id, payload)
        SELECT x.entity_type, x.entity_id, x.kind, x.customer_id, x.line_id, x.actor, x.user_id,
          COALESCE(x.payload, '{}')
        FROM ROWS FROM (jsonb_to_recordset(${JSON.stringify(
          events.map((e) => ({
            entity_type: e.entityType,
            entity_id: String(e.entityId),
            kind: e.kind,
            customer_id: e.customerId ?? null,
            line_id: e.lineId ?? null,
            actor: e.actor ?? null,
            user_id: e.userId ?? null,
            payload: e.payload ?? {},
          })),
        )}::jsonb) AS (entity_type text, entity_id text, kind text, customer_id bigint, line_id text,
          actor text, user_id bigint, payload jsonb))
          WITH ORDINALITY AS x(entity_type, entity_id, kind, customer_id, line_id, actor, user_id, payload, n)
        ORDER BY x.n`.execute(trx);
    }
    if (statements > 0) this.dirty = true;
    return statements;
  }
}

/**
 * Marks a write set dirty whenever a statement goes through the transaction it wraps: given to
 * step handlers, so a worker knows whether it needs a new savepoint before the next step.
 */
export class TouchPlugin implements KyselyPlugin {
  constructor(private readonly writes: WriteSet) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.writes.dirty = true;
    return args.node;
  }
  async transformResult(args: { result: QueryResult<UnknownRow> }): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
