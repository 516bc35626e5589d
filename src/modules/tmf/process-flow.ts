import { sql, type RawBuilder } from 'kysely';
import { hasRight } from '../../platform/auth/rights.js';
import type { Db } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import { PENDING_RESUMED } from '../requests/index.js';
import type { Agent, ScenarioDef, WorkflowServices } from '../workflow/index.js';
import { isoOf } from './common.js';
import {
  tmfInvalid,
  type TmfApiDef,
  type TmfContext,
  type TmfListQuery,
  type TmfObject,
  type TmfResourceDef,
} from './framework.js';
import { CUSTOMER_API, CUSTOMER_NAME, ORDERING_API } from './product-refs.js';

/**
 * TMF701 Process Flow over the workflow engine: a processFlowSpecification is a scenario (its
 * latest version), a taskFlowSpecification one of its nodes, a processFlow a running or ended
 * instance (a service request's flow), a taskFlow one of its tasks. A human task is worked by
 * PATCHing its taskFlow (`state: active` claims it, `state: completed` with an `outcome`
 * characteristic completes it) through the same task service, rights and actor checks as the
 * native baskets.
 */

export const PROCESS_API = 'processFlowManagement';

/** wf_instance.status (+ a capacity hold) → ProcessFlowStateType. */
const FLOW_STATE = sql<string>`CASE i.status
  WHEN 'running' THEN CASE WHEN EXISTS (SELECT 1 FROM wf_task h WHERE h.instance_id = i.id
      AND h.status = 'held' AND h.resume_event = ${PENDING_RESUMED}) THEN 'hold' ELSE 'active' END
  WHEN 'cancelled' THEN 'cancelled'
  ELSE 'completed' END`;

/** wf_task.status → TaskFlowStateType: ready is `new` (in a basket, not taken), claimed is `active`. */
const TASK_STATE: Record<string, string> = {
  ready: 'new',
  claimed: 'active',
  waiting: 'active',
  held: 'hold',
  done: 'completed',
  cancelled: 'cancelled',
};
const TASK_STATUS_OF: Record<string, string[]> = {
  new: ['ready'],
  active: ['claimed', 'waiting'],
  hold: ['held'],
  completed: ['done'],
  cancelled: ['cancelled'],
};

const taskFlowPath = (flowId: string) => `processFlow/${flowId}/taskFlow`;

interface FlowRow {
  id: number;
  scenario_code: string;
  scenario_version: number;
  scenario_name: string;
  subject_type: string;
  subject_id: string;
  status: string;
  reason: string | null;
  created_at: Date;
  ended_at: Date | null;
  state: string;
  request_number: string | null;
  customer_code: string | null;
  customer_name: string | null;
  tasks: number[];
}

function characteristic(name: string, value: unknown): Record<string, unknown> {
  return { name, value, valueType: typeof value === 'number' ? 'integer' : 'string' };
}

function flowToTmf(r: FlowRow, ctx: TmfContext): TmfObject {
  const id = String(r.id);
  return {
    id,
    href: ctx.href(PROCESS_API, 'processFlow', id),
    processFlowDate: isoOf(r.created_at),
    processFlowSpecification: r.scenario_code,
    processFlowSpecificationRef: {
      id: r.scenario_code,
      href: ctx.href(PROCESS_API, 'processFlowSpecification', r.scenario_code),
      name: r.scenario_name,
      '@referredType': 'ProcessFlowSpecification',
    },
    state: r.state,
    characteristic: [
      characteristic('scenarioVersion', r.scenario_version),
      characteristic('result', r.status),
      ...(r.reason ? [characteristic('reason', r.reason)] : []),
      ...(r.ended_at ? [characteristic('endDate', isoOf(r.ended_at))] : []),
    ],
    relatedEntity: r.request_number
      ? [
          {
            id: r.request_number,
            href: ctx.href(ORDERING_API, 'productOrder', r.request_number),
            role: 'serviceRequest',
            '@referredType': 'ProductOrder',
          },
        ]
      : [{ id: `${r.subject_type}:${r.subject_id}`, role: r.subject_type, '@referredType': r.subject_type }],
    relatedParty: r.customer_code
      ? [
          {
            id: r.customer_code,
            href: ctx.href(CUSTOMER_API, 'customer', r.customer_code),
            name: r.customer_name ?? undefined,
            role: 'customer',
            '@referredType': 'Customer',
          },
        ]
      : [],
    taskFlow: r.tasks.map((t) => ({
      id: String(t),
      href: ctx.href(PROCESS_API, taskFlowPath(id), String(t)),
      '@referredType': 'TaskFlow',
    })),
    '@type': 'ProcessFlow',
  };
}

const FLOW_FROM = sql`FROM wf_instance i
  JOIN wf_scenario sc ON sc.id = i.scenario_id
  LEFT JOIN service_request r ON i.subject_type = 'service_request' AND r.id::text = i.subject_id
  LEFT JOIN customer c ON c.id = i.customer_id`;

function flowFilters(filters: Record<string, string[]>): RawBuilder<unknown>[] {
  const where: RawBuilder<unknown>[] = [];
  for (const [attr, values] of Object.entries(filters)) {
    switch (attr) {
      case 'id': {
        const ids = values.filter((v) => /^[0-9]{1,15}$/.test(v)).map(Number);
        where.push(sql`i.id = ANY(${ids}::bigint[])`);
        break;
      }
      case 'state': {
        const bad = values.find((v) => !['active', 'hold', 'cancelled', 'completed'].includes(v));
        if (bad) throw tmfInvalid('state', 'must be active, hold, cancelled or completed');
        where.push(sql`(${FLOW_STATE}) = ANY(${values}::text[])`);
        break;
      }
      case 'processFlowSpecification':
      case 'processFlowSpecificationRef.id':
        where.push(sql`i.scenario_code = ANY(${values}::text[])`);
        break;
      case 'relatedParty.id':
        where.push(sql`c.code = ANY(${values.map((v) => v.toUpperCase())}::text[])`);
        break;
      case 'relatedEntity.id':
        where.push(sql`r.number = ANY(${values.map((v) => v.toUpperCase())}::text[])`);
        break;
      default:
        throw tmfInvalid(attr, 'is not a filterable attribute');
    }
  }
  return where;
}

interface TaskRow {
  id: number;
  instance_id: number;
  scenario_code: string;
  scenario_id: number;
  node: string;
  kind: string;
  actor: string | null;
  status: string;
  assignee: string | null;
  priority: number;
  due_at: Date | null;
  created_at: Date;
  claimed_at: Date | null;
  completed_at: Date | null;
  outcome: string | null;
  attempts: number;
  last_error: string | null;
  hold_cause: string | null;
  from_task_id: number | null;
}

export class TmfProcessFlows {
  constructor(
    private readonly db: Db,
    private readonly workflow: WorkflowServices,
  ) {}

  private async selectFlows(where: RawBuilder<unknown>[], offset: number, limit: number) {
    const cond = where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
    const [rows, n] = await Promise.all([
      sql<FlowRow>`
        SELECT i.id, i.scenario_code, i.scenario_version, sc.name AS scenario_name, i.subject_type, i.subject_id,
          i.status, i.reason, i.created_at, i.ended_at, ${FLOW_STATE} AS state, r.number AS request_number,
          c.code AS customer_code, CASE WHEN c.id IS NULL THEN NULL ELSE ${CUSTOMER_NAME} END AS customer_name,
          coalesce((SELECT array_agg(t.id ORDER BY t.id) FROM wf_task t WHERE t.instance_id = i.id), '{}') AS tasks
        ${FLOW_FROM} ${cond}
        ORDER BY i.id
        OFFSET ${offset} LIMIT ${limit}`.execute(this.db),
      sql<{ n: string }>`SELECT count(*) AS n ${FLOW_FROM} ${cond}`.execute(this.db),
    ]);
    return { rows: rows.rows, total: Number(n.rows[0]?.n ?? 0) };
  }

  async listFlows(q: TmfListQuery, ctx: TmfContext) {
    const { rows, total } = await this.selectFlows(flowFilters(q.filters), q.offset, q.limit);
    return { items: rows.map((r) => flowToTmf(r, ctx)), total };
  }

  async getFlow(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    if (!/^[0-9]{1,15}$/.test(id)) return undefined;
    const { rows } = await this.selectFlows([sql`i.id = ${Number(id)}`], 0, 1);
    return rows[0] && flowToTmf(rows[0], ctx);
  }

  private async taskToTmf(r: TaskRow, ctx: TmfContext): Promise<TmfObject> {
    const def = await this.workflow.engine.scenarioById(this.db, r.scenario_id);
    const node = def.nodes[r.node];
    const flowId = String(r.instance_id);
    const spec = `${r.scenario_code}.${r.node}`;
    const chars: Record<string, unknown>[] = [characteristic('node', r.node)];
    if (r.actor) chars.push(characteristic('actor', r.actor));
    if (node && 'outcomes' in node && node.outcomes?.length)
      chars.push(characteristic('outcomes', node.outcomes.join(',')));
    if (r.outcome) chars.push(characteristic('outcome', r.outcome));
    if (r.assignee) chars.push(characteristic('assignee', r.assignee));
    if (r.hold_cause) chars.push(characteristic('holdCause', r.hold_cause));
    if (r.attempts > 0) chars.push(characteristic('attempts', r.attempts));
    if (r.last_error) chars.push(characteristic('lastError', r.last_error));
    return {
      id: String(r.id),
      href: ctx.href(PROCESS_API, taskFlowPath(flowId), String(r.id)),
      state: TASK_STATE[r.status] ?? r.status,
      completionMethod: r.kind === 'human' ? 'manual' : 'automatic',
      isMandatory: true,
      priority: r.priority,
      startDate: isoOf(r.claimed_at ?? r.created_at),
      ...(r.completed_at ? { completionDate: isoOf(r.completed_at) } : {}),
      ...(r.due_at ? { requestedCompletionDate: isoOf(r.due_at) } : {}),
      taskFlowSpecification: spec,
      taskFlowSpecificationRef: {
        id: spec,
        href: ctx.href(PROCESS_API, 'taskFlowSpecification', spec),
        name: node?.label ?? r.node,
        '@referredType': 'TaskFlowSpecification',
      },
      characteristic: chars,
      ...(r.from_task_id
        ? {
            taskFlowRelationship: [
              {
                relationshipType: 'previousTask',
                taskFlow: {
                  id: String(r.from_task_id),
                  href: ctx.href(PROCESS_API, taskFlowPath(flowId), String(r.from_task_id)),
                  '@referredType': 'TaskFlow',
                },
              },
            ],
          }
        : {}),
      '@type': 'TaskFlow',
    };
  }

  private flowIdOf(ctx: TmfContext): number | undefined {
    const raw = ctx.params?.processFlowId ?? '';
    return /^[0-9]{1,15}$/.test(raw) ? Number(raw) : undefined;
  }

  private async selectTasks(flowId: number, where: RawBuilder<unknown>[], offset: number, limit: number) {
    const cond = sql.join([sql`t.instance_id = ${flowId}`, ...where], sql` AND `);
    const from = sql`FROM wf_task t JOIN wf_instance i ON i.id = t.instance_id
      LEFT JOIN app_user u ON u.id = t.assignee_id`;
    const [rows, n] = await Promise.all([
      sql<TaskRow>`SELECT t.id, t.instance_id, i.scenario_code, i.scenario_id, t.node, t.kind, t.actor, t.status,
          u.username AS assignee, t.priority, t.due_at, t.created_at, t.claimed_at, t.completed_at, t.outcome,
          t.attempts, t.last_error, t.hold_cause, t.from_task_id
        ${from} WHERE ${cond} ORDER BY t.id OFFSET ${offset} LIMIT ${limit}`.execute(this.db),
      sql<{ n: string }>`SELECT count(*) AS n ${from} WHERE ${cond}`.execute(this.db),
    ]);
    return { rows: rows.rows, total: Number(n.rows[0]?.n ?? 0) };
  }

  async listTasks(q: TmfListQuery, ctx: TmfContext) {
    const flowId = this.flowIdOf(ctx);
    if (flowId === undefined || !(await this.getFlow(String(flowId), ctx)))
      throw new DomainError(
        'not_found',
        'tmf.not_found',
        `ProcessFlow ${ctx.params?.processFlowId} does not exist`,
        'processFlowId',
      );
    const where: RawBuilder<unknown>[] = [];
    for (const [attr, values] of Object.entries(q.filters)) {
      if (attr === 'id')
        where.push(sql`t.id = ANY(${values.filter((v) => /^[0-9]{1,15}$/.test(v)).map(Number)}::bigint[])`);
      else if (attr === 'state') {
        const bad = values.find((v) => !TASK_STATUS_OF[v]);
        if (bad) throw tmfInvalid('state', `must be one of ${Object.keys(TASK_STATUS_OF).join(', ')}`);
        where.push(sql`t.status = ANY(${values.flatMap((v) => TASK_STATUS_OF[v] ?? [])}::text[])`);
      } else if (attr === 'completionMethod')
        where.push(
          sql`(CASE WHEN t.kind = 'human' THEN 'manual' ELSE 'automatic' END) = ANY(${values}::text[])`,
        );
    }
    const { rows, total } = await this.selectTasks(flowId, where, q.offset, q.limit);
    return { items: await Promise.all(rows.map((r) => this.taskToTmf(r, ctx))), total };
  }

  async getTask(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    const flowId = this.flowIdOf(ctx);
    if (flowId === undefined || !/^[0-9]{1,15}$/.test(id)) return undefined;
    const { rows } = await this.selectTasks(flowId, [sql`t.id = ${Number(id)}`], 0, 1);
    return rows[0] && this.taskToTmf(rows[0], ctx);
  }

  /**
   * Works a human task as an agent of its actor would in the baskets: `state: active` claims it,
   * `state: new` releases it, `state: completed` completes it with the `outcome` characteristic
   * and the others as the data the step asks for (amount, method, report…).
   */
  async patchTask(
    id: string,
    body: Record<string, unknown>,
    ctx: TmfContext,
  ): Promise<TmfObject | undefined> {
    const existing = await this.getTask(id, ctx);
    if (!existing) return undefined;
    for (const k of Object.keys(body))
      if (!['state', 'characteristic', '@type'].includes(k))
        throw tmfInvalid(k, 'cannot be changed: a taskFlow is worked through its state and characteristic');
    const agent: Agent = {
      ...ctx.actor,
      userId: ctx.principal.userId,
      actors: ctx.principal.actors,
      supervisor: hasRight(ctx.principal.rights, 'task:supervise'),
    };
    const chars = body.characteristic ?? [];
    if (!Array.isArray(chars)) throw tmfInvalid('characteristic', 'must be an array');
    const data: Record<string, unknown> = {};
    let outcome: string | undefined;
    chars.forEach((c: unknown, i) => {
      const ch = c as { name?: unknown; value?: unknown } | null;
      if (!ch || typeof ch.name !== 'string') throw tmfInvalid(`characteristic[${i}].name`, 'is required');
      if (ch.name === 'outcome') {
        if (typeof ch.value !== 'string')
          throw tmfInvalid(`characteristic[${i}].value`, 'an outcome is a string');
        outcome = ch.value;
      } else data[ch.name] = ch.value;
    });
    const taskId = Number(id);
    try {
      switch (body.state) {
        case 'active':
          await this.workflow.tasks.claim(taskId, agent);
          break;
        case 'new':
          await this.workflow.tasks.release(taskId, agent);
          break;
        case 'completed':
          if (!outcome)
            throw tmfInvalid(
              'characteristic',
              'completing a taskFlow needs its outcome: {"name": "outcome", "value": …}',
            );
          await this.workflow.tasks.complete(taskId, { outcome, data }, agent);
          break;
        default:
          throw tmfInvalid(
            'state',
            'a taskFlow is claimed (active), released (new) or completed (completed)',
          );
      }
    } catch (err) {
      if (err instanceof DomainError && err.field?.startsWith('data.')) {
        const name = `characteristic.${err.field.slice(5)}`;
        throw new DomainError(err.kind, err.code, err.message, name, err.details);
      }
      if (err instanceof DomainError && err.field === 'outcome')
        throw new DomainError(err.kind, err.code, err.message, 'characteristic.outcome', err.details);
      throw err;
    }
    return this.getTask(id, ctx);
  }
}

/** Scenarios as process flow specifications, their nodes as task flow specifications. */
export class TmfFlowSpecifications {
  constructor(private readonly db: Db) {}

  private async latest(): Promise<
    { code: string; version: number; name: string; created_at: Date; definition: ScenarioDef }[]
  > {
    const r = await sql<{
      code: string;
      version: number;
      name: string;
      created_at: Date;
      definition: ScenarioDef;
    }>`
      SELECT DISTINCT ON (code) code, version, name, created_at, definition FROM wf_scenario
      ORDER BY code, version DESC`.execute(this.db);
    return r.rows;
  }

  async listProcess(q: TmfListQuery, ctx: TmfContext) {
    const all = (await this.latest()).map((s) => ({
      id: s.code,
      href: ctx.href(PROCESS_API, 'processFlowSpecification', s.code),
      name: s.name,
      description: `${s.definition.requestKind ?? s.code} (${Object.keys(s.definition.nodes).length} steps)`,
      version: String(s.version),
      lifecycleStatus: 'Active',
      lastUpdate: isoOf(s.created_at),
      taskFlowSpecification: Object.entries(s.definition.nodes)
        .filter(([, n]) => n.kind !== 'end')
        .map(([name, n]) => ({
          id: `${s.code}.${name}`,
          href: ctx.href(PROCESS_API, 'taskFlowSpecification', `${s.code}.${name}`),
          name: n.label,
          '@referredType': 'TaskFlowSpecification',
        })),
      '@type': 'ProcessFlowSpecification',
    }));
    const ids = q.filters.id;
    const items = ids ? all.filter((s) => ids.includes(s.id)) : all;
    return { items: items.slice(q.offset, q.offset + q.limit), total: items.length };
  }

  async listTask(q: TmfListQuery, ctx: TmfContext) {
    const all = (await this.latest()).flatMap((s) =>
      Object.entries(s.definition.nodes)
        .filter(([, n]) => n.kind !== 'end')
        .map(([name, n]) => {
          const id = `${s.code}.${name}`;
          const node = n as {
            kind: string;
            label: string;
            actor?: string;
            outcomes?: string[];
            slaHours?: number;
          };
          return {
            id,
            href: ctx.href(PROCESS_API, 'taskFlowSpecification', id),
            name: node.label,
            description: node.actor ? `${node.kind} step of ${node.actor}` : `${node.kind} step`,
            taskFlowSpecificationType: node.kind,
            version: String(s.version),
            lifecycleStatus: 'Active',
            taskFlowSpecificationCharacteristic: [
              ...(node.actor ? [{ name: 'actor', valueType: 'string', configurable: false }] : []),
              ...(node.outcomes?.length
                ? [
                    {
                      name: 'outcome',
                      valueType: 'string',
                      configurable: true,
                      taskFlowSpecCharacteristicValue: node.outcomes.map((o) => ({
                        value: o,
                        valueType: 'string',
                      })),
                    },
                  ]
                : []),
            ],
            '@type': 'TaskFlowSpecification',
          };
        }),
    );
    const ids = q.filters.id;
    const items = ids ? all.filter((s) => ids.includes(s.id)) : all;
    return { items: items.slice(q.offset, q.offset + q.limit), total: items.length };
  }
}

export function processFlowApi(db: Db, workflow: WorkflowServices): TmfApiDef {
  const flows = new TmfProcessFlows(db, workflow);
  const specs = new TmfFlowSpecifications(db);
  const one = async <T>(p: Promise<{ items: T[] }>) => (await p).items[0];
  const byId = (id: string) => ({ offset: 0, limit: 1, filters: { id: [id] } });
  const processFlowSpecification: TmfResourceDef = {
    path: 'processFlowSpecification',
    type: 'ProcessFlowSpecification',
    read: 'request:read',
    pushdown: ['id'],
    list: (q, ctx) => specs.listProcess(q, ctx),
    get: (id, ctx) => one(specs.listProcess(byId(id), ctx)),
  };
  const taskFlowSpecification: TmfResourceDef = {
    path: 'taskFlowSpecification',
    type: 'TaskFlowSpecification',
    read: 'request:read',
    pushdown: ['id'],
    list: (q, ctx) => specs.listTask(q, ctx),
    get: (id, ctx) => one(specs.listTask(byId(id), ctx)),
  };
  const processFlow: TmfResourceDef = {
    path: 'processFlow',
    type: 'ProcessFlow',
    read: 'request:read',
    pushdown: [
      'id',
      'state',
      'processFlowSpecification',
      'processFlowSpecificationRef.id',
      'relatedParty.id',
      'relatedEntity.id',
    ],
    list: (q, ctx) => flows.listFlows(q, ctx),
    get: (id, ctx) => flows.getFlow(id, ctx),
    events: {
      entityTypes: ['workflow_instance'],
      classify: ({ kind }) => {
        if (kind === 'instance.started') return 'CreateEvent';
        if (['instance.completed', 'instance.rejected', 'instance.cancelled'].includes(kind))
          return 'StateChangeEvent';
        return null;
      },
    },
  };
  const taskFlow: TmfResourceDef = {
    path: 'processFlow/:processFlowId/taskFlow',
    type: 'TaskFlow',
    read: 'request:read',
    write: 'task:work',
    pushdown: ['id', 'state', 'completionMethod'],
    list: (q, ctx) => flows.listTasks(q, ctx),
    get: (id, ctx) => flows.getTask(id, ctx),
    patch: (id, b, ctx) => flows.patchTask(id, b, ctx),
  };
  return {
    name: PROCESS_API,
    title: 'TMF701 Process Flow',
    resources: [processFlowSpecification, taskFlowSpecification, processFlow, taskFlow],
  };
}
