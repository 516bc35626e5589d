import type { Db, Tx } from '../../platform/db.js';
import type { Actor } from '../../platform/events.js';
import type { WorkflowEngine } from './engine.js';
import type { TaskService, TaskView } from './task.service.js';
import { WorkflowError } from './workflow.errors.js';

export interface InstanceView {
  id: number;
  scenario: string;
  scenarioVersion: number;
  subject: string;
  status: string;
  reason: string | null;
  customerId: number | null;
  lineId: string | null;
  data: unknown;
  createdAt: string;
  endedAt: string | null;
  tasks: TaskView[];
  timers: {
    id: number;
    taskId: number | null;
    kind: string;
    action: string;
    fireAt: string;
    firedAt: string | null;
    cancelledAt: string | null;
  }[];
  compensations: { id: number; action: string; payload: unknown; doneAt: string | null }[];
}

export class InstanceService {
  constructor(
    private readonly db: Db,
    private readonly engine: WorkflowEngine,
    private readonly tasks: TaskService,
  ) {}

  async get(id: number): Promise<InstanceView> {
    const i = await this.db.selectFrom('wf_instance').selectAll().where('id', '=', id).executeTakeFirst();
    if (!i)
      throw new WorkflowError('not_found', 'instance.not_found', `workflow instance ${id} does not exist`);
    const timers = await this.db
      .selectFrom('wf_timer')
      .selectAll()
      .where('instance_id', '=', id)
      .orderBy('id')
      .execute();
    const comps = await this.db
      .selectFrom('wf_compensation')
      .selectAll()
      .where('instance_id', '=', id)
      .orderBy('id')
      .execute();
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
    return {
      id: i.id,
      scenario: i.scenario_code,
      scenarioVersion: i.scenario_version,
      subject: `${i.subject_type}:${i.subject_id}`,
      status: i.status,
      reason: i.reason,
      customerId: i.customer_id,
      lineId: i.line_id,
      data: i.data,
      createdAt: new Date(i.created_at).toISOString(),
      endedAt: iso(i.ended_at),
      tasks: await this.tasks.ofInstance(id),
      timers: timers.map((t) => ({
        id: t.id,
        taskId: t.task_id,
        kind: t.kind,
        action: t.action,
        fireAt: new Date(t.fire_at).toISOString(),
        firedAt: iso(t.fired_at),
        cancelledAt: iso(t.cancelled_at),
      })),
      compensations: comps.map((c) => ({
        id: c.id,
        action: c.action,
        payload: c.payload,
        doneAt: iso(c.done_at),
      })),
    };
  }

  /** Cancels a running instance in the caller's transaction: open tasks stop, compensations run. */
  async cancelIn(
    trx: Tx,
    id: number,
    reason: string,
    by: Actor,
    result: 'cancelled' | 'rejected' = 'cancelled',
  ): Promise<void> {
    const run = await this.engine.open(trx, id, by);
    if (!run)
      throw new WorkflowError('not_found', 'instance.not_found', `workflow instance ${id} does not exist`);
    if (run.inst.status !== 'running')
      throw new WorkflowError(
        'conflict',
        'instance.ended',
        `the request has already ended (${run.inst.status})`,
      );
    await this.engine.end(run, result, reason);
    await this.engine.flush(run);
  }
}
