import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import type { Actor } from '../../platform/events.js';
import { decodeNumericCursor, pageOf, type Page } from '../../platform/http/pagination.js';
import type { WorkflowEngine } from './engine.js';
import type { Data } from './routing.js';
import type { NodeDef } from './scenario.schema.js';
import { WorkflowError } from './workflow.errors.js';
import { TASK_READY_CHANNEL } from './writes.js';

/** Who works a task: the acting user, the actors (services) they belong to, and whether they supervise. */
export interface Agent extends Actor {
  userId: number;
  actors: string[];
  supervisor: boolean;
}

export interface TaskView {
  id: number;
  instanceId: number;
  subject: string;
  /** The subject as people know it: a request's, fault's or complaint's number, else its id. */
  subjectRef: string;
  scenario: string;
  node: string;
  label: string;
  kind: string;
  actor: string | null;
  status: string;
  assigneeId: number | null;
  priority: number;
  dueAt: string | null;
  createdAt: string;
  claimedAt: string | null;
  completedAt: string | null;
  outcome: string | null;
  outcomes: string[];
  fields: NodeDef['fields'];
  input: unknown;
  result: unknown;
  attempts: number;
  lastError: string | null;
  holdCause: string | null;
  escalatedFrom: string | null;
  fellOut: boolean;
  customerId: number | null;
  lineId: string | null;
  /** Why this task exists and why it went to this actor and agent. */
  explanation: unknown;
}

type Row = {
  id: number;
  instance_id: number;
  node: string;
  kind: string;
  actor: string | null;
  status: string;
  assignee_id: number | null;
  priority: number;
  due_at: Date | null;
  created_at: Date;
  claimed_at: Date | null;
  completed_at: Date | null;
  outcome: string | null;
  input: unknown;
  result: unknown;
  attempts: number;
  last_error: string | null;
  hold_cause: string | null;
  escalated_from: string | null;
  fell_out: boolean;
  customer_id: number | null;
  line_id: string | null;
  explanation: unknown;
  scenario_id: number;
  scenario_code: string;
  subject_type: string;
  subject_id: string;
  subject_ref: string | null;
};

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function fieldError(field: string, message: string) {
  return new WorkflowError('invalid', 'task.field', message, `data.${field}`);
}

/** Checks an agent's input against the fields the scenario says the task needs. */
export function checkFields(node: NodeDef, outcome: string, data: Data): void {
  for (const f of node.fields ?? []) {
    const v = data[f.name];
    const required = f.required && (!f.forOutcomes || f.forOutcomes.includes(outcome));
    if (v === undefined || v === null || v === '') {
      if (required) throw fieldError(f.name, `${f.label ?? f.name} is required`);
      continue;
    }
    switch (f.type) {
      case 'string':
        if (typeof v !== 'string') throw fieldError(f.name, `${f.name} must be text`);
        break;
      case 'integer':
        if (typeof v !== 'number' || !Number.isSafeInteger(v))
          throw fieldError(f.name, `${f.name} must be an integer`);
        break;
      case 'boolean':
        if (typeof v !== 'boolean') throw fieldError(f.name, `${f.name} must be true or false`);
        break;
      case 'date':
        if (typeof v !== 'string' || Number.isNaN(Date.parse(v)))
          throw fieldError(f.name, `${f.name} must be a date`);
        break;
    }
  }
}

export class TaskService {
  constructor(
    private readonly db: Db,
    private readonly engine: WorkflowEngine,
  ) {}

  private base() {
    return (
      this.db
        .selectFrom('wf_task as t')
        .innerJoin('wf_instance as i', 'i.id', 't.instance_id')
        .selectAll('t')
        .select(['i.scenario_id', 'i.scenario_code', 'i.subject_type', 'i.subject_id'])
        // the reference people know the subject by, when its data names one (the number of a
        // service request, a fault, a complaint: `data.<subject>.number`), rather than its row id
        .select(
          sql<string | null>`coalesce(i.data #>> '{request,number}', i.data #>> '{fault,number}',
          i.data #>> '{complaint,number}')`.as('subject_ref'),
        )
    );
  }

  private async view(r: Row): Promise<TaskView> {
    const def = await this.engine.scenarioById(this.db, r.scenario_id);
    const node = def.nodes[r.node];
    return {
      id: r.id,
      instanceId: r.instance_id,
      subject: `${r.subject_type}:${r.subject_id}`,
      subjectRef: r.subject_ref ?? r.subject_id,
      scenario: r.scenario_code,
      node: r.node,
      label: node?.label ?? r.node,
      kind: r.kind,
      actor: r.actor,
      status: r.status,
      assigneeId: r.assignee_id,
      priority: r.priority,
      dueAt: iso(r.due_at),
      createdAt: new Date(r.created_at).toISOString(),
      claimedAt: iso(r.claimed_at),
      completedAt: iso(r.completed_at),
      outcome: r.outcome,
      outcomes: node?.outcomes ?? [],
      fields: node?.fields ?? [],
      input: r.input,
      result: r.result,
      attempts: r.attempts,
      lastError: r.last_error,
      holdCause: r.hold_cause,
      escalatedFrom: r.escalated_from,
      fellOut: r.fell_out,
      customerId: r.customer_id,
      lineId: r.line_id,
      explanation: r.explanation,
    };
  }

  async get(id: number): Promise<TaskView> {
    const r = await this.base().where('t.id', '=', id).executeTakeFirst();
    if (!r) throw new WorkflowError('not_found', 'task.not_found', `task ${id} does not exist`);
    return this.view(r as Row);
  }

  async ofInstance(instanceId: number): Promise<TaskView[]> {
    const rows = await this.base().where('t.instance_id', '=', instanceId).orderBy('t.id').execute();
    return Promise.all(rows.map((r) => this.view(r as Row)));
  }

  /** An actor's basket: open human tasks, most urgent first (priority, then deadline). */
  async basket(
    actor: string,
    opts: { cursor?: string; limit: number; status?: 'ready' | 'claimed' },
  ): Promise<Page<TaskView>> {
    const offset = decodeNumericCursor(opts.cursor) ?? 0;
    let q = this.base()
      .where('t.kind', '=', 'human')
      .where('t.actor', '=', actor)
      .where('t.status', 'in', opts.status ? [opts.status] : ['ready', 'claimed']);
    q = q
      .orderBy('t.priority', 'desc')
      .orderBy(sql`t.due_at NULLS LAST`)
      .orderBy('t.id');
    const rows = await q
      .offset(offset)
      .limit(opts.limit + 1)
      .execute();
    const views = await Promise.all(rows.map((r) => this.view(r as Row)));
    const page = pageOf(views, opts.limit, () => [offset + opts.limit]);
    return page;
  }

  /**
   * The subject ids of one subject type with an open human task in an actor's basket, as a subquery
   * (not run here) for the subject's own module to filter its lists with: exact at any basket size,
   * unlike a page of the basket.
   */
  basketSubjectIds(actor: string, subjectType: string) {
    return this.db
      .selectFrom('wf_task as t')
      .innerJoin('wf_instance as i', 'i.id', 't.instance_id')
      .where('t.kind', '=', 'human')
      .where('t.actor', '=', actor)
      .where('t.status', 'in', ['ready', 'claimed'])
      .where('i.subject_type', '=', subjectType)
      .select('i.subject_id');
  }

  /** One agent's own basket: the tasks pushed to them or claimed by them. */
  async agentBasket(userId: number, opts: { cursor?: string; limit: number }): Promise<Page<TaskView>> {
    const offset = decodeNumericCursor(opts.cursor) ?? 0;
    const rows = await this.base()
      .where('t.assignee_id', '=', userId)
      .where('t.status', 'in', ['ready', 'claimed'])
      .orderBy('t.priority', 'desc')
      .orderBy(sql`t.due_at NULLS LAST`)
      .orderBy('t.id')
      .offset(offset)
      .limit(opts.limit + 1)
      .execute();
    const views = await Promise.all(rows.map((r) => this.view(r as Row)));
    return pageOf(views, opts.limit, () => [offset + opts.limit]);
  }

  /**
   * Opens a transition on a task: locks its instance first (the order every transition follows,
   * so concurrent agents and workers cannot deadlock), then the task.
   */
  private async withTask<T>(
    id: number,
    by: Actor,
    fn: (ctx: {
      run: NonNullable<Awaited<ReturnType<WorkflowEngine['open']>>>;
      task: {
        id: number;
        node: string;
        kind: 'human' | 'automatic' | 'join' | 'hold' | 'timer';
        actor: string | null;
        status: string;
        assignee_id: number | null;
        attempts: number;
        input: unknown;
      };
    }) => Promise<T>,
  ): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      const pre = await trx
        .selectFrom('wf_task')
        .select('instance_id')
        .where('id', '=', id)
        .executeTakeFirst();
      if (!pre) throw new WorkflowError('not_found', 'task.not_found', `task ${id} does not exist`);
      const run = await this.engine.open(trx, pre.instance_id, by);
      if (!run) throw new WorkflowError('not_found', 'task.not_found', `task ${id} does not exist`);
      const task = await trx
        .selectFrom('wf_task')
        .select(['id', 'node', 'kind', 'actor', 'status', 'assignee_id', 'attempts', 'input'])
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const out = await fn({ run, task });
      await this.engine.flush(run);
      return out;
    });
  }

  private assertHumanOpen(task: { id: number; kind: string; status: string }) {
    if (task.kind !== 'human')
      throw new WorkflowError('conflict', 'task.state', `task ${task.id} is done by an automatic worker`);
    if (task.status !== 'ready' && task.status !== 'claimed')
      throw new WorkflowError('conflict', 'task.state', `task ${task.id} is ${task.status}`);
  }

  private assertActor(agent: Agent, actor: string | null) {
    if (agent.supervisor || (actor && agent.actors.includes(actor))) return;
    throw new WorkflowError('forbidden', 'task.actor', `only agents of ${actor} work this task`);
  }

  async claim(id: number, agent: Agent): Promise<TaskView> {
    await this.withTask(id, agent, async ({ run, task }) => {
      this.assertHumanOpen(task);
      this.assertActor(agent, task.actor);
      if (task.status === 'claimed')
        throw new WorkflowError('conflict', 'task.not_claimable', `task ${id} is already claimed`);
      if (task.assignee_id !== null && task.assignee_id !== agent.userId && !agent.supervisor)
        throw new WorkflowError('conflict', 'task.not_claimable', `task ${id} is assigned to another agent`);
      await run.trx
        .updateTable('wf_task')
        .set({ status: 'claimed', assignee_id: agent.userId, claimed_at: run.now })
        .where('id', '=', id)
        .execute();
      this.engine.event(
        run,
        'workflow_task',
        id,
        'task.claimed',
        { node: task.node, by: agent.username },
        task.actor,
      );
    });
    return this.get(id);
  }

  async release(id: number, agent: Agent): Promise<TaskView> {
    await this.withTask(id, agent, async ({ run, task }) => {
      this.assertHumanOpen(task);
      if (task.status !== 'claimed')
        throw new WorkflowError('conflict', 'task.state', `task ${id} is not claimed`);
      if (task.assignee_id !== agent.userId && !agent.supervisor)
        throw new WorkflowError('forbidden', 'task.not_yours', `task ${id} is claimed by another agent`);
      await run.trx
        .updateTable('wf_task')
        .set({ status: 'ready', assignee_id: null, claimed_at: null })
        .where('id', '=', id)
        .execute();
      this.engine.event(
        run,
        'workflow_task',
        id,
        'task.released',
        { node: task.node, by: agent.username },
        task.actor,
      );
    });
    return this.get(id);
  }

  /** A supervisor moves a task to another actor's basket and/or to one agent. */
  async reassign(id: number, to: { actor?: string; userId?: number }, agent: Agent): Promise<TaskView> {
    await this.withTask(id, agent, async ({ run, task }) => {
      this.assertHumanOpen(task);
      const actor = to.actor ?? task.actor;
      if (to.actor) {
        const a = await run.trx
          .selectFrom('actor')
          .select('code')
          .where('code', '=', to.actor)
          .executeTakeFirst();
        if (!a) throw new WorkflowError('invalid', 'task.actor', `there is no actor "${to.actor}"`, 'actor');
      }
      if (to.userId !== undefined) {
        const member = await run.trx
          .selectFrom('user_actor as ua')
          .innerJoin('app_user as u', 'u.id', 'ua.user_id')
          .select('u.id')
          .where('ua.user_id', '=', to.userId)
          .where('ua.actor_code', '=', actor ?? '')
          .where('u.active', '=', true)
          .executeTakeFirst();
        if (!member)
          throw new WorkflowError(
            'invalid',
            'agent.not_found',
            `user ${to.userId} is not an active agent of ${actor}`,
            'userId',
          );
      }
      await run.trx
        .updateTable('wf_task')
        .set({
          actor,
          assignee_id: to.userId ?? null,
          status: 'ready',
          claimed_at: null,
          explanation: sql`explanation || ${JSON.stringify({ reassigned: { by: agent.username, from: task.actor, to: actor, userId: to.userId ?? null, at: run.now.toISOString() } })}::jsonb`,
        })
        .where('id', '=', id)
        .execute();
      this.engine.event(
        run,
        'workflow_task',
        id,
        'task.reassigned',
        { node: task.node, from: task.actor, to: actor, userId: to.userId ?? null },
        actor,
      );
    });
    return this.get(id);
  }

  /**
   * "Retry now": an automatic step waiting for its back-off, or fallen out to a human basket after
   * its failures (the element answers again, the data was corrected), goes back to its worker at
   * once. A fallen-out task becomes automatic again under its own actor with the attempts it has
   * used, so one more failure sends it straight back to the basket with the new error. Allowed to
   * supervisors and to the agents of the basket it is in or would fall out to.
   */
  async retryNow(id: number, agent: Agent): Promise<TaskView> {
    await this.withTask(id, agent, async ({ run, task }) => {
      const row = await run.trx
        .selectFrom('wf_task')
        .select(['fell_out', 'escalated_from', 'available_at', 'last_error'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const node = this.engine.node(run, task.node);
      if (node.kind !== 'automatic')
        throw new WorkflowError('conflict', 'task.state', `task ${id} is not an automatic step`);
      if (run.inst.status !== 'running')
        throw new WorkflowError('conflict', 'instance.ended', 'the request has ended');
      const waiting = task.kind === 'automatic' && task.status === 'ready';
      const fellOut = task.kind === 'human' && row.fell_out && ['ready', 'claimed'].includes(task.status);
      if (!waiting && !fellOut)
        throw new WorkflowError(
          'conflict',
          'task.state',
          `task ${id} is ${task.status}: only a step waiting for its retry or fallen out to a basket is retried`,
        );
      const baskets = [task.actor, node.fallbackActor ?? null].filter((x): x is string => !!x);
      if (!agent.supervisor && !baskets.some((b) => agent.actors.includes(b)))
        throw new WorkflowError(
          'forbidden',
          'task.actor',
          `only supervisors and agents of ${baskets.join(' or ')} retry this step`,
        );
      const actor = fellOut ? (row.escalated_from ?? node.actor ?? task.actor) : task.actor;
      const retried = {
        by: agent.username,
        at: run.now.toISOString(),
        from: fellOut ? 'fell_out' : 'backoff',
        attempts: task.attempts,
        lastError: row.last_error,
      };
      await run.trx
        .updateTable('wf_task')
        .set({
          kind: 'automatic',
          actor,
          status: 'ready',
          assignee_id: null,
          claimed_at: null,
          available_at: run.now,
          fell_out: false,
          explanation: sql`explanation || ${JSON.stringify({ retriedNow: retried })}::jsonb`,
        })
        .where('id', '=', id)
        .execute();
      // wakes idle workers at commit (see wake.ts)
      await sql`SELECT pg_notify(${TASK_READY_CHANNEL}, '')`.execute(run.trx);
      this.engine.event(
        run,
        'workflow_task',
        id,
        'task.retry_requested',
        {
          node: task.node,
          by: agent.username,
          from: retried.from,
          attempts: task.attempts,
          ...(fellOut ? { basket: task.actor } : { wasDueAt: new Date(row.available_at).toISOString() }),
        },
        actor,
      );
    });
    return this.get(id);
  }

  /**
   * An agent ends a task with one of its outcomes and the data it asks for. The step's handler
   * (quote, payment matched to the invoice, number assignment…) runs in the same transaction as
   * the transition, so the domain change and the next tasks commit together or not at all.
   */
  async complete(id: number, input: { outcome: string; data?: Data }, agent: Agent): Promise<TaskView> {
    await this.withTask(id, agent, async ({ run, task }) => {
      this.assertHumanOpen(task);
      this.assertActor(agent, task.actor);
      if (task.status === 'claimed' && task.assignee_id !== agent.userId && !agent.supervisor)
        throw new WorkflowError('forbidden', 'task.not_yours', `task ${id} is claimed by another agent`);
      if (
        task.status === 'ready' &&
        task.assignee_id !== null &&
        task.assignee_id !== agent.userId &&
        !agent.supervisor
      )
        throw new WorkflowError('forbidden', 'task.not_yours', `task ${id} is assigned to another agent`);
      if (run.inst.status !== 'running')
        throw new WorkflowError('conflict', 'instance.ended', 'the request has ended');
      const node = this.engine.node(run, task.node);
      const outcomes = node.outcomes ?? ['done'];
      if (!outcomes.includes(input.outcome))
        throw new WorkflowError(
          'invalid',
          'task.outcome',
          `outcome must be one of ${outcomes.join(', ')}`,
          'outcome',
        );
      const data = input.data ?? {};
      checkFields(node, input.outcome, data);
      // A fell-out automatic step is decided by the agent: its failing handler is not run again.
      const out =
        node.kind === 'automatic' ? {} : await this.engine.runHandler(run, task, node, data, input.outcome);
      // What the agent typed stays under the node's name, where conditions and later tasks read it.
      const patch: Data = { [task.node]: data, ...(out.data ?? {}) };
      await this.engine.finish(run, task, input.outcome, { by: agent.username, data }, patch);
    });
    return this.get(id);
  }
}
