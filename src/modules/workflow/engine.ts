import { sql } from 'kysely';
import type { Executor, Tx } from '../../platform/db.js';
import type { Clock } from '../../platform/clock.js';
import { appendEvents, type Actor, type EventInput } from '../../platform/events.js';
import { pickAssignee } from './assignment.js';
import type { HandlerRegistry, HandlerResult, InstanceState } from './handlers.js';
import { chooseActor, chooseTransition, getPath, type Data } from './routing.js';
import type { NodeDef, ScenarioDef, TimerDef } from './scenario.schema.js';
import { WorkflowError } from './workflow.errors.js';
import type { TaskKind, TaskStatus, TimerAction, WfInstanceTable } from './workflow.tables.js';
import { WriteSet } from './writes.js';

/** Statuses of a task that still has something to do. */
export const OPEN_STATUSES: TaskStatus[] = ['ready', 'claimed', 'waiting', 'held'];
export const SUPERVISION_ACTOR = 'supervision';
const MAX_ENTRIES_PER_TRANSITION = 200;

/**
 * One transition in progress: the locked instance, its scenario, and the writes it produces (task
 * rows, timers, compensations, the instance's data, events), kept in `writes` and written
 * set-based by `flush` in the caller's transaction; nothing is visible before commit either way.
 */
export interface Run {
  trx: Tx;
  /** The transaction handed to step handlers, compensations and subject hooks (a worker tracks it). */
  stepTrx: Tx;
  writes: WriteSet;
  inst: InstanceState & { status: string };
  def: ScenarioDef;
  by: Actor;
  now: Date;
  entries: number;
  dataChanged: boolean;
  /** A worker's batched round: handlers may defer their writes to the batch's (TaskContext.batch). */
  batched?: boolean;
}

export type InstanceRow = Pick<
  WfInstanceTable,
  | 'scenario_id'
  | 'scenario_code'
  | 'scenario_version'
  | 'subject_type'
  | 'subject_id'
  | 'customer_id'
  | 'line_id'
  | 'status'
> & { id: number; data: unknown };

/** Whether entering this node can have set timers on its task (so finishing it must cancel them). */
export function nodeMayHaveTimers(node: NodeDef | undefined): boolean {
  if (!node) return true;
  return (
    node.kind === 'timer' || (node.timers?.length ?? 0) > 0 || (node.kind === 'human' && !!node.slaHours)
  );
}

export interface TaskRow {
  id: number;
  instance_id: number;
  node: string;
  kind: TaskKind;
  actor: string | null;
  status: TaskStatus;
  assignee_id: number | null;
  attempts: number;
  max_attempts: number;
  input: unknown;
  arrived: string[];
  line_id: string | null;
  due_at: Date | null;
}

/** Merged into an instance's data: given, or made from the data as it is under the instance lock. */
export type DataPatch = Data | ((data: Data) => Data);

export interface EnterVia {
  fromTaskId: number | null;
  fromNode: string | null;
  outcome: string | null;
  transition: { index: number; why: string; considered: unknown[] } | null;
}

export class WorkflowEngine {
  private readonly scenarios = new Map<number, ScenarioDef>();

  constructor(
    readonly handlers: HandlerRegistry,
    public clock: Clock,
  ) {}

  /** Scenario versions are immutable, so a version read once is cached for the life of the process. */
  async scenarioById(db: Executor, id: number): Promise<ScenarioDef> {
    const hit = this.scenarios.get(id);
    if (hit) return hit;
    const row = await db
      .selectFrom('wf_scenario')
      .select('definition')
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row)
      throw new WorkflowError('not_found', 'scenario.not_found', `scenario version ${id} does not exist`);
    const def = row.definition as ScenarioDef;
    this.scenarios.set(id, def);
    return def;
  }

  /** Starts an instance of the latest version of a scenario, in the caller's transaction. */
  async start(
    trx: Tx,
    input: {
      scenarioCode: string;
      subjectType: string;
      subjectId: string;
      customerId: number | null;
      lineId: string | null;
      data: Data;
      by: Actor;
    },
  ): Promise<number> {
    const version = await trx
      .selectFrom('wf_scenario')
      .select(['id', 'version'])
      .where('code', '=', input.scenarioCode)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!version)
      throw new WorkflowError(
        'not_found',
        'scenario.not_found',
        `there is no scenario "${input.scenarioCode}"`,
        'scenario',
      );
    const def = await this.scenarioById(trx, version.id);
    const now = this.clock.now();
    const data: Data = { ...input.data, outcomes: {} };
    const row = await trx
      .insertInto('wf_instance')
      .values({
        scenario_id: version.id,
        scenario_code: input.scenarioCode,
        scenario_version: version.version,
        subject_type: input.subjectType,
        subject_id: input.subjectId,
        customer_id: input.customerId,
        line_id: input.lineId,
        status: 'running',
        data: JSON.stringify(data),
        created_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const run: Run = {
      trx,
      stepTrx: trx,
      writes: new WriteSet(def.start.length),
      def,
      by: input.by,
      now,
      entries: 0,
      dataChanged: false,
      inst: {
        id: row.id,
        scenarioCode: input.scenarioCode,
        scenarioVersion: version.version,
        subjectType: input.subjectType,
        subjectId: input.subjectId,
        customerId: input.customerId,
        lineId: input.lineId,
        data,
        status: 'running',
      },
    };
    this.event(run, 'workflow_instance', row.id, 'instance.started', {
      scenario: input.scenarioCode,
      version: version.version,
      subject: `${input.subjectType}:${input.subjectId}`,
    });
    for (const name of def.start) {
      await this.enter(run, name, { fromTaskId: null, fromNode: null, outcome: null, transition: null });
    }
    await this.flush(run);
    return row.id;
  }

  /** Locks the instance row (every transition of an instance is serialised on it) and opens a run. */
  async open(
    trx: Tx,
    instanceId: number,
    by: Actor,
    opts: { skipLocked?: boolean; writes?: WriteSet; stepTrx?: Tx } = {},
  ): Promise<Run | undefined> {
    let q = trx.selectFrom('wf_instance').selectAll().where('id', '=', instanceId).forUpdate();
    if (opts.skipLocked) q = q.skipLocked();
    const row = await q.executeTakeFirst();
    if (!row) return undefined;
    return this.attach(trx, row, by, opts);
  }

  /** A run on an instance row the caller has already locked (a worker's claim returns them). */
  async attach(
    trx: Tx,
    row: InstanceRow,
    by: Actor,
    opts: { writes?: WriteSet; stepTrx?: Tx } = {},
  ): Promise<Run> {
    return {
      trx,
      stepTrx: opts.stepTrx ?? trx,
      writes: opts.writes ?? new WriteSet(),
      def: await this.scenarioById(trx, row.scenario_id),
      by,
      now: this.clock.now(),
      entries: 0,
      dataChanged: false,
      inst: {
        id: row.id,
        scenarioCode: row.scenario_code,
        scenarioVersion: row.scenario_version,
        subjectType: row.subject_type,
        subjectId: row.subject_id,
        customerId: row.customer_id,
        lineId: row.line_id,
        data: row.data as Data,
        status: row.status,
      },
    };
  }

  /** Records the instance's changed data in the run's writes (serialised now: later steps mutate it). */
  stage(run: Run): void {
    if (!run.dataChanged) return;
    run.writes.patchInstance(run.inst.id, {
      dataJson: JSON.stringify(run.inst.data),
      line_id: run.inst.lineId,
    });
    run.dataChanged = false;
  }

  /** Writes everything the run recorded: the last statements of a transition (or of a worker's batch). */
  async flush(run: Run): Promise<void> {
    this.stage(run);
    await run.writes.flush(run.trx);
  }

  event(
    run: Run,
    entityType: string,
    entityId: number,
    kind: string,
    payload: Data,
    actor?: string | null,
  ): void {
    run.writes.event({
      entityType,
      entityId,
      kind,
      customerId: run.inst.customerId,
      lineId: run.inst.lineId,
      actor: actor ?? null,
      userId: run.by.userId,
      payload: {
        instanceId: run.inst.id,
        subject: `${run.inst.subjectType}:${run.inst.subjectId}`,
        ...payload,
      },
    });
  }

  merge(run: Run, patch: Data | undefined): void {
    if (!patch || Object.keys(patch).length === 0) return;
    Object.assign(run.inst.data, patch);
    run.dataChanged = true;
  }

  node(run: Run, name: string): NodeDef {
    const node = run.def.nodes[name];
    if (!node) throw new WorkflowError('conflict', 'scenario.invalid', `scenario has no node "${name}"`);
    return node;
  }

  /** Enters a scenario node: creates its task, or records a join arrival, a hold, a timer, the end. */
  async enter(run: Run, name: string, via: EnterVia): Promise<void> {
    if (run.inst.status !== 'running') return;
    if (++run.entries > MAX_ENTRIES_PER_TRANSITION)
      throw new WorkflowError(
        'conflict',
        'scenario.invalid',
        'the scenario loops without waiting for anyone',
      );
    const node = this.node(run, name);
    const { trx, now } = run;
    const base = {
      instance_id: run.inst.id,
      node: name,
      priority: node.priority ?? 0,
      available_at: now,
      created_at: now,
      customer_id: run.inst.customerId,
      line_id: run.inst.lineId,
      from_task_id: via.fromTaskId,
      max_attempts: node.maxAttempts ?? 3,
    };
    const why = via.transition
      ? { from: via.fromNode, outcome: via.outcome, transition: via.transition }
      : { start: true, why: 'a first step of the scenario' };
    switch (node.kind) {
      case 'human':
      case 'automatic': {
        const actor = chooseActor(node, run.inst.data);
        if (!actor) throw new WorkflowError('conflict', 'scenario.invalid', `no actor for ${name}`);
        const push = node.kind === 'human' && node.assignment && node.assignment.strategy !== 'pull';
        // The least-loaded agent is counted from the database: write what is pending first.
        if (push) await this.flush(run);
        const assignee =
          push && node.assignment
            ? await pickAssignee(trx, actor.actor, node.assignment, run.inst.data)
            : { userId: null, why: 'agents of the actor take it from the basket' };
        const input: Data = {};
        for (const p of node.needs ?? []) input[p] = getPath(run.inst.data, p) ?? null;
        const due = node.slaHours ? new Date(now.getTime() + node.slaHours * 3600_000) : null;
        const explanation = { ...why, actor, assignee };
        const task = { id: await run.writes.taskId(trx) };
        run.writes.insertTask({
          ...base,
          id: task.id,
          kind: node.kind,
          actor: actor.actor,
          status: 'ready',
          assignee_id: assignee.userId,
          due_at: due,
          input,
          explanation,
          hold_cause: null,
          resume_event: null,
          resume_match: null,
        });
        if (due && node.kind === 'human') await this.addTimer(run, task.id, 'sla', due, 'escalate', {});
        for (const t of node.timers ?? []) await this.addNodeTimer(run, task.id, t);
        this.event(
          run,
          'workflow_task',
          task.id,
          'task.created',
          {
            node: name,
            label: node.label,
            kind: node.kind,
            actor: actor.actor,
            assigneeId: assignee.userId,
            why: explanation,
          },
          actor.actor,
        );
        return;
      }
      case 'join': {
        // Joins are read and written in place: rare, and the arrivals must see every branch.
        await this.flush(run);
        run.writes.dirty = true;
        run.writes.forgetOpenTasks(run.inst.id);
        let join = await trx
          .selectFrom('wf_task')
          .select(['id', 'arrived'])
          .where('instance_id', '=', run.inst.id)
          .where('node', '=', name)
          .where('kind', '=', 'join')
          .where('status', '=', 'waiting')
          .executeTakeFirst();
        if (!join) {
          join = await trx
            .insertInto('wf_task')
            .values({
              ...base,
              input: JSON.stringify({}),
              kind: 'join',
              status: 'waiting',
              explanation: JSON.stringify(why),
            })
            .returning(['id', 'arrived'])
            .executeTakeFirstOrThrow();
        }
        const arrived = [...new Set([...join.arrived, ...(via.fromNode ? [via.fromNode] : [])])];
        await trx.updateTable('wf_task').set({ arrived }).where('id', '=', join.id).execute();
        const row = { id: join.id, node: name, kind: 'join' as const, actor: null };
        if (via.outcome && node.abortOn?.includes(via.outcome)) {
          // Stop at the first "not feasible": the other branches' work is pointless now.
          const open = await trx
            .selectFrom('wf_task')
            .select(['id', 'node', 'actor'])
            .where('instance_id', '=', run.inst.id)
            .where('node', 'in', node.waitFor ?? [])
            .where('status', 'in', OPEN_STATUSES)
            .execute();
          await this.cancelTasks(run, open, `${via.fromNode} ended ${via.outcome}`);
          await this.finish(run, row, 'aborted', { abortedBy: via.fromNode }, null);
        } else if ((node.waitFor ?? []).every((w) => arrived.includes(w))) {
          await this.finish(run, row, 'done', { arrived }, null);
        }
        return;
      }
      case 'hold': {
        const match: Data = {};
        for (const [key, path] of Object.entries(node.resumeOn?.match ?? {}))
          match[key] = getPath(run.inst.data, path) ?? null;
        const task = { id: await run.writes.taskId(trx) };
        run.writes.insertTask({
          ...base,
          id: task.id,
          kind: 'hold',
          actor: null,
          status: 'held',
          assignee_id: null,
          due_at: null,
          input: {},
          hold_cause: node.cause ?? null,
          resume_event: node.resumeOn?.event ?? null,
          resume_match: match,
          explanation: why,
        });
        for (const t of node.timers ?? []) await this.addNodeTimer(run, task.id, t);
        this.event(run, 'workflow_task', task.id, 'task.held', {
          node: name,
          cause: node.cause,
          resumeOn: node.resumeOn?.event ?? null,
          match,
        });
        return;
      }
      case 'timer': {
        const task = { id: await run.writes.taskId(trx) };
        run.writes.insertTask({
          ...base,
          id: task.id,
          kind: 'timer',
          actor: null,
          status: 'waiting',
          assignee_id: null,
          due_at: null,
          input: {},
          hold_cause: null,
          resume_event: null,
          resume_match: null,
          explanation: why,
        });
        const at = this.fireAt(run, { afterHours: node.afterHours, atPath: node.atPath, action: 'complete' });
        await this.addTimer(run, task.id, 'wait', at, 'complete', { outcome: 'elapsed' });
        this.event(run, 'workflow_task', task.id, 'task.waiting', { node: name, until: at.toISOString() });
        return;
      }
      case 'end': {
        const reason = node.reasonPath ? String(getPath(run.inst.data, node.reasonPath) ?? '') || null : null;
        await this.end(run, node.result ?? 'completed', reason);
        return;
      }
    }
  }

  private fireAt(run: Run, t: Pick<TimerDef, 'afterHours' | 'afterDays' | 'atPath' | 'action'>): Date {
    if (t.atPath) {
      const v = getPath(run.inst.data, t.atPath);
      const d = typeof v === 'string' ? new Date(v) : undefined;
      if (d && !Number.isNaN(d.getTime())) return d;
      throw new WorkflowError(
        'invalid',
        'scenario.invalid',
        `the date at ${t.atPath} is missing or invalid`,
        t.atPath,
      );
    }
    const hours = (t.afterHours ?? 0) + (t.afterDays ?? 0) * 24;
    return new Date(run.now.getTime() + hours * 3600_000);
  }

  private async addNodeTimer(run: Run, taskId: number, t: TimerDef): Promise<void> {
    await this.addTimer(run, taskId, 'deadline', this.fireAt(run, t), t.action, {
      ...(t.outcome ? { outcome: t.outcome } : {}),
      ...(t.reason ? { reason: t.reason } : {}),
    });
  }

  private async addTimer(
    run: Run,
    taskId: number,
    kind: 'sla' | 'deadline' | 'wait',
    at: Date,
    action: TimerAction,
    payload: Data,
  ) {
    run.writes.insertTimer({ instance_id: run.inst.id, task_id: taskId, kind, fire_at: at, action, payload });
  }

  /** Marks a task done with its outcome, records its data, and takes the transition it leads to. */
  async finish(
    run: Run,
    task: { id: number; node: string; kind: TaskKind; actor: string | null },
    outcome: string,
    result: Data,
    patch: Data | null,
  ): Promise<void> {
    run.writes.patchTask(task.id, {
      status: 'done',
      outcome,
      result,
      completed_at: run.now,
      completed_by: run.by.userId,
    });
    if (nodeMayHaveTimers(run.def.nodes[task.node])) run.writes.cancelTimers({ taskId: task.id }, run.now);
    (run.inst.data.outcomes as Data | undefined) ??= {};
    (run.inst.data.outcomes as Data)[task.node] = outcome;
    run.dataChanged = true;
    this.merge(run, patch ?? undefined);
    const kind = task.kind === 'hold' ? 'task.resumed' : 'task.completed';
    this.event(run, 'workflow_task', task.id, kind, { node: task.node, outcome, result }, task.actor);
    await this.advance(run, task, outcome);
  }

  async advance(run: Run, task: { id: number; node: string }, outcome: string): Promise<void> {
    if (run.inst.status !== 'running') return;
    const choice = chooseTransition(run.def, task.node, outcome, run.inst.data);
    if (!choice.transition) {
      throw new WorkflowError(
        'conflict',
        'scenario.no_transition',
        `scenario ${run.inst.scenarioCode} v${run.inst.scenarioVersion} has no way on from ${task.node} on "${outcome}"`,
        undefined,
        { considered: choice.considered },
      );
    }
    const via: EnterVia = {
      fromTaskId: task.id,
      fromNode: task.node,
      outcome,
      transition: {
        index: choice.index,
        why: choice.transition.why ?? 'the only way on',
        considered: choice.considered,
      },
    };
    for (const to of choice.transition.to) await this.enter(run, to, via);
  }

  async cancelTasks(
    run: Run,
    tasks: { id: number; node: string; actor: string | null }[],
    reason: string,
  ): Promise<void> {
    if (tasks.length === 0) return;
    for (const t of tasks) {
      run.writes.patchTask(t.id, { status: 'cancelled', completed_at: run.now, completed_by: run.by.userId });
      if (nodeMayHaveTimers(run.def.nodes[t.node])) run.writes.cancelTimers({ taskId: t.id }, run.now);
    }
    for (const t of tasks)
      this.event(run, 'workflow_task', t.id, 'task.cancelled', { node: t.node, reason }, t.actor);
  }

  /**
   * Ends the instance. On cancel or reject every open task stops and the compensations recorded
   * by the steps run newest first, so nothing the request reserved stays reserved.
   */
  async end(run: Run, result: 'completed' | 'rejected' | 'cancelled', reason: string | null): Promise<void> {
    if (run.inst.status !== 'running') return;
    const open = await run.writes.openTasks(run.trx, run.inst.id, OPEN_STATUSES);
    await this.cancelTasks(run, open, `request ${result}`);
    if (this.scenarioMayHaveTimers(run.def)) run.writes.cancelTimers({ instanceId: run.inst.id }, run.now);
    if (result !== 'completed') await this.compensate(run);
    run.inst.status = result;
    run.writes.patchInstance(run.inst.id, { status: result, reason, ended_at: run.now });
    // The hook sees the instance through its arguments; the workflow rows are written at flush.
    const hooks = this.handlers.subjects.get(run.inst.subjectType);
    if (hooks?.onEnd) await hooks.onEnd(run.stepTrx, run.inst, result, reason, run.by, run.now);
    this.event(run, 'workflow_instance', run.inst.id, `instance.${result}`, { reason });
  }

  private readonly timersByScenario = new WeakMap<ScenarioDef, boolean>();

  /** Whether any node of the scenario can set a timer (else ending an instance cancels none). */
  private scenarioMayHaveTimers(def: ScenarioDef): boolean {
    let v = this.timersByScenario.get(def);
    if (v === undefined) {
      v = Object.values(def.nodes).some((n) => nodeMayHaveTimers(n));
      this.timersByScenario.set(def, v);
    }
    return v;
  }

  private async compensate(run: Run): Promise<void> {
    // Compensations recorded earlier in this transaction must be found: write them first.
    await this.flush(run);
    run.writes.dirty = true;
    const todo = await run.trx
      .selectFrom('wf_compensation')
      .selectAll()
      .where('instance_id', '=', run.inst.id)
      .where('done_at', 'is', null)
      .orderBy('id', 'desc')
      .execute();
    for (const c of todo) {
      const handler = this.handlers.compensations.get(c.action);
      if (!handler) throw new WorkflowError('conflict', 'scenario.invalid', `no compensation "${c.action}"`);
      await handler({
        trx: run.stepTrx,
        instance: run.inst,
        payload: c.payload as Data,
        by: run.by,
        now: run.now,
      });
      await run.trx.updateTable('wf_compensation').set({ done_at: run.now }).where('id', '=', c.id).execute();
      this.event(run, 'workflow_instance', run.inst.id, 'instance.compensated', {
        action: c.action,
        payload: c.payload as Data,
      });
    }
  }

  /** Runs a step's handler (if it has one) with the context it needs, collecting its compensations. */
  async runHandler(
    run: Run,
    task: { id: number; node: string; attempts: number; input: unknown },
    node: NodeDef,
    input: Data,
    outcome: string | undefined,
  ): Promise<HandlerResult> {
    if (!node.handler) return {};
    const handler = this.handlers.tasks.get(node.handler);
    if (!handler) throw new WorkflowError('conflict', 'scenario.invalid', `no handler "${node.handler}"`);
    const compensations: { action: string; payload: Data }[] = [];
    const out = await handler({
      trx: run.stepTrx,
      instance: run.inst,
      task: { id: task.id, node: task.node, attempts: task.attempts, input: (task.input ?? {}) as Data },
      node,
      input,
      ...(outcome !== undefined ? { outcome } : {}),
      by: run.by,
      now: run.now,
      compensate: (action, payload) => compensations.push({ action, payload }),
      setLine: (lineId) => {
        run.inst.lineId = lineId;
        run.dataChanged = true;
      },
      ...(run.batched
        ? {
            batch: {
              id: (table: string) => run.writes.sequenceId(run.trx, table),
              defer: (writer, row) => run.writes.defer(writer, row),
              event: (e) => run.writes.event(e),
              afterCommit: (fn) => run.writes.afterCommit(fn),
            },
          }
        : {}),
    });
    for (const c of compensations)
      run.writes.insertCompensation({
        instance_id: run.inst.id,
        task_id: task.id,
        action: c.action,
        payload: c.payload,
        created_at: run.now,
      });
    return out ?? {};
  }

  /** An automatic step waits for an external completion under `key` (its handler said `wait`). */
  wait(
    run: Run,
    task: { id: number; node: string; actor: string | null },
    key: string,
    patch: Data | undefined,
  ): void {
    run.writes.patchTask(task.id, { status: 'waiting', resume_key: key });
    this.merge(run, patch);
    this.event(run, 'workflow_task', task.id, 'task.waiting', { node: task.node, key }, task.actor);
  }

  /**
   * Ends waiting steps with the outcome their external completion brought, in the caller's
   * transaction (the one recording that completion, so a step is never ended twice nor lost):
   * finds the tasks by key (one index probe), locks their instances then the tasks, takes each
   * step's transition, and writes everything set-based. A key whose task is no longer waiting
   * (ended by hand, request cancelled) is `not_waiting`; a transition that fails is `failed`.
   */
  async completeWaitingMany(
    trx: Tx,
    items: {
      key: string;
      outcome: string;
      patch?: DataPatch | null;
      result?: Data;
      /**
       * The instance of the step waiting under `key`, when the caller knows it (an activation order
       * names its instance): when every item has one, the instances are locked without first
       * looking their tasks up. A wrong instance makes the item `not_waiting`, never another step.
       */
      instanceId?: number | null;
    }[],
    by: Actor,
    opts: {
      /** The caller's own events of this transaction, written in the same statement as the steps'. */
      events?: EventInput[];
    } = {},
  ): Promise<{ key: string; status: 'completed' | 'not_waiting' | 'failed'; error?: string }[]> {
    if (items.length === 0) {
      if (opts.events?.length) await appendEvents(trx, opts.events);
      return [];
    }
    const keys = items.map((i) => i.key);
    const instanceIds = items.every((i) => typeof i.instanceId === 'number')
      ? [...new Set(items.map((i) => i.instanceId!))].sort((a, b) => a - b)
      : [
          ...new Set(
            (
              await trx
                .selectFrom('wf_task')
                .select(['instance_id'])
                .where('resume_key', 'in', keys)
                .where('status', '=', 'waiting')
                .execute()
            ).map((f) => f.instance_id),
          ),
        ].sort((a, b) => a - b);
    // `= ANY(array)`: one statement text whatever the batch's size (prepared once, plan reused)
    const rows = instanceIds.length
      ? await trx
          .selectFrom('wf_instance')
          .selectAll()
          .where('id', '=', sql<number>`ANY(${instanceIds}::bigint[])`)
          .orderBy('id')
          .forUpdate()
          .execute()
      : [];
    // Under the instance locks, one statement: the instances' open tasks (a step that ends its
    // instance then needs no query of its own), the waiting ones under the keys locked and read
    // again (a task may have moved on since the caller looked). Two statements before.
    const open = instanceIds.length
      ? (
          await sql<{
            id: number;
            instance_id: number;
            node: string;
            kind: TaskKind;
            actor: string | null;
            resume_key: string | null;
            mine: boolean;
          }>`
            WITH w AS (SELECT id FROM wf_task
                        WHERE resume_key = ANY(${keys}::text[]) AND status = 'waiting'
                          AND instance_id = ANY(${instanceIds}::bigint[])
                        FOR UPDATE)
            SELECT t.id, t.instance_id, t.node, t.kind, t.actor, t.resume_key, t.id IN (SELECT id FROM w) AS mine
              FROM wf_task t
             WHERE t.instance_id = ANY(${instanceIds}::bigint[]) AND t.status = ANY(${OPEN_STATUSES}::text[])
             ORDER BY t.id`.execute(trx)
        ).rows
      : [];
    const tasks = open.filter((t) => t.mine && t.resume_key !== null);
    const byKey = new Map(tasks.map((t) => [t.resume_key!, t]));
    const instances = new Map(rows.map((r) => [r.id, r]));
    const writes = new WriteSet(Math.max(8, items.length));
    const openOf = new Map<number, { id: number; node: string; actor: string | null }[]>();
    for (const id of instanceIds) openOf.set(id, []);
    for (const o of open) openOf.get(o.instance_id)?.push({ id: o.id, node: o.node, actor: o.actor });
    for (const [id, ts] of openOf) writes.knowOpenTasks(id, ts);
    const runs = new Map<number, Run>();
    const out: { key: string; status: 'completed' | 'not_waiting' | 'failed'; error?: string }[] = [];
    for (const item of items) {
      const task = byKey.get(item.key);
      const row = task ? instances.get(task.instance_id) : undefined;
      if (!task || !row) {
        out.push({ key: item.key, status: 'not_waiting' });
        continue;
      }
      let run = runs.get(row.id);
      if (!run) {
        run = await this.attach(trx, row, by, { writes });
        runs.set(row.id, run);
      }
      if (run.inst.status !== 'running') {
        out.push({ key: item.key, status: 'not_waiting' });
        continue;
      }
      const mark = writes.mark();
      const before = JSON.stringify(run.inst.data);
      run.entries = 0;
      try {
        const node = this.node(run, task.node);
        if (!(node.outcomes ?? ['done']).includes(item.outcome))
          throw new WorkflowError(
            'conflict',
            'scenario.invalid',
            `"${item.outcome}" is not an outcome of ${task.node}`,
          );
        const patch = typeof item.patch === 'function' ? item.patch(run.inst.data) : (item.patch ?? null);
        await this.finish(run, task, item.outcome, item.result ?? { key: item.key }, patch);
        this.stage(run);
        byKey.delete(item.key);
        out.push({ key: item.key, status: 'completed' });
      } catch (err) {
        writes.rollback(mark);
        run.inst.data = JSON.parse(before) as Data;
        run.inst.status = 'running';
        run.dataChanged = false;
        out.push({
          key: item.key,
          status: 'failed',
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    for (const e of opts.events ?? []) writes.event(e);
    await writes.flush(trx);
    return out;
  }

  /** One waiting step ended by its external completion (see completeWaitingMany). */
  async completeWaiting(
    trx: Tx,
    key: string,
    outcome: string,
    patch: Data | null,
    by: Actor,
  ): Promise<'completed' | 'not_waiting'> {
    const [r] = await this.completeWaitingMany(trx, [{ key, outcome, patch }], by);
    if (r?.status === 'failed')
      throw new WorkflowError('conflict', 'scenario.no_transition', r.error ?? 'the step cannot go on');
    return r?.status === 'completed' ? 'completed' : 'not_waiting';
  }

  /**
   * A waiting step whose external completion failed: like a failing automatic step, it is tried
   * again after its back-off, or after its last attempt (at once with `final`: e.g. a network
   * element's refusal, which a retry would only repeat) falls out to its fallback actor's basket
   * with the error. `patch` is merged into the data either way (what the element answered).
   */
  async failWaiting(
    trx: Tx,
    key: string,
    error: string,
    by: Actor,
    opts: { final?: boolean; patch?: DataPatch } = {},
  ): Promise<'retry_scheduled' | 'fell_out' | 'not_waiting'> {
    const found = await trx
      .selectFrom('wf_task')
      .select('instance_id')
      .where('resume_key', '=', key)
      .where('status', '=', 'waiting')
      .executeTakeFirst();
    if (!found) return 'not_waiting';
    const run = await this.open(trx, found.instance_id, by);
    if (!run || run.inst.status !== 'running') return 'not_waiting';
    const task = await trx
      .selectFrom('wf_task')
      .select(['id', 'node', 'actor', 'attempts', 'max_attempts'])
      .where('resume_key', '=', key)
      .where('status', '=', 'waiting')
      .forUpdate()
      .executeTakeFirst();
    if (!task) return 'not_waiting';
    this.merge(run, typeof opts.patch === 'function' ? opts.patch(run.inst.data) : opts.patch);
    await this.flush(run);
    const fellOut = await this.failStep(run, task, error, { final: opts.final ?? false });
    await this.flush(run);
    return fellOut ? 'fell_out' : 'retry_scheduled';
  }

  /**
   * A failed attempt of an automatic step (its handler threw, or its external completion failed):
   * retry later with exponential back-off, or after `max_attempts` (at once when `final`) fall out
   * to a human basket — the node's fallback actor, else supervision — with the error as the
   * diagnosis. Writes the task row in place: the caller has written what came before.
   */
  async failStep(
    run: Run,
    task: { id: number; node: string; actor: string | null; attempts: number; max_attempts: number },
    error: string,
    opts: { final: boolean },
  ): Promise<boolean> {
    const { trx, now } = run;
    const node = run.def.nodes[task.node];
    const attempts = task.attempts + 1;
    if (opts.final || attempts >= task.max_attempts) {
      const to = node?.fallbackActor ?? SUPERVISION_ACTOR;
      await trx
        .updateTable('wf_task')
        .set({
          kind: 'human',
          actor: to,
          status: 'ready',
          resume_key: null,
          attempts,
          last_error: error,
          fell_out: true,
          escalated_from: task.actor,
          explanation: sql`explanation || ${JSON.stringify({ fellOut: { from: task.actor, to, attempts, error } })}::jsonb`,
        })
        .where('id', '=', task.id)
        .execute();
      this.event(
        run,
        'workflow_task',
        task.id,
        'task.fell_out',
        { node: task.node, from: task.actor, to, attempts, error },
        to,
      );
      return true;
    }
    const backoffMs = (node?.backoffSeconds ?? 5) * 1000 * 2 ** (attempts - 1);
    const at = new Date(now.getTime() + backoffMs);
    await trx
      .updateTable('wf_task')
      .set({
        status: 'ready',
        resume_key: null,
        attempts,
        last_error: error,
        available_at: at,
        claimed_at: null,
      })
      .where('id', '=', task.id)
      .execute();
    this.event(
      run,
      'workflow_task',
      task.id,
      'task.retry_scheduled',
      { node: task.node, attempts, error, at: at.toISOString() },
      task.actor,
    );
    return false;
  }

  /**
   * Resumes, oldest first, the holds waiting for this event whose match values all equal the
   * event's (e.g. `inventory.capacity_added` with `{zone: 'DAKAR'}`). Call it in the transaction
   * that records the event so a resume is never lost nor done twice.
   */
  async signal(trx: Tx, eventKind: string, payload: Data, by: Actor, limit = 1000): Promise<number[]> {
    const held = await trx
      .selectFrom('wf_task')
      .select(['id', 'instance_id'])
      .where('status', '=', 'held')
      .where('resume_event', '=', eventKind)
      .where(sql<boolean>`resume_match <@ ${JSON.stringify(payload)}::jsonb`)
      .orderBy('id')
      .limit(limit)
      .execute();
    const resumed: number[] = [];
    for (const h of held) {
      const run = await this.open(trx, h.instance_id, by);
      if (!run || run.inst.status !== 'running') continue;
      const task = await trx
        .selectFrom('wf_task')
        .select(['id', 'node', 'kind', 'actor', 'status'])
        .where('id', '=', h.id)
        .forUpdate()
        .executeTakeFirst();
      if (!task || task.status !== 'held') continue;
      await this.finish(run, task, 'resumed', { event: eventKind, payload }, null);
      await this.flush(run);
      resumed.push(h.id);
    }
    return resumed;
  }
}
