import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db.js';
import { SYSTEM, type Actor } from '../../platform/events.js';
import { SUPERVISION_ACTOR, type WorkflowEngine } from './engine.js';
import type { Data } from './routing.js';

export interface WorkOptions {
  /** Tasks claimed and completed per transaction: grouping work per commit is what makes throughput. */
  batch?: number;
  /** Only these actors' automatic tasks (default: all). */
  actors?: string[];
}

export interface WorkReport {
  claimed: number;
  completed: number;
  failed: number;
  fellOut: number;
}

const WORKER: Actor = { userId: null, username: 'workflow-worker', actor: 'automatic' };

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 1000);
}

/**
 * One round of an automatic worker: claims up to `batch` ready automatic tasks with
 * `FOR UPDATE SKIP LOCKED` (task and instance rows together, so two workers never wait on each
 * other), runs each step's handler and its transition in a savepoint, and commits them all at once.
 * A process killed at any point loses nothing (the claim dies with its transaction) and does
 * nothing twice (the domain change commits with the transition or not at all).
 */
export async function workOnce(db: Db, engine: WorkflowEngine, opts: WorkOptions = {}): Promise<WorkReport> {
  const report: WorkReport = { claimed: 0, completed: 0, failed: 0, fellOut: 0 };
  await db.transaction().execute(async (trx) => {
    const now = engine.clock.now();
    let q = trx
      .selectFrom('wf_task as t')
      .innerJoin('wf_instance as i', 'i.id', 't.instance_id')
      .select([
        't.id',
        't.instance_id',
        't.node',
        't.kind',
        't.actor',
        't.attempts',
        't.max_attempts',
        't.input',
      ])
      .where('t.status', '=', 'ready')
      .where('t.kind', '=', 'automatic')
      .where('t.available_at', '<=', now);
    if (opts.actors && opts.actors.length > 0) q = q.where('t.actor', 'in', opts.actors);
    const tasks = await q
      .orderBy('t.available_at')
      .orderBy('t.id')
      .limit(opts.batch ?? 20)
      .modifyEnd(sql`FOR UPDATE OF t, i SKIP LOCKED`)
      .execute();
    report.claimed = tasks.length;
    for (const task of tasks) {
      await sql`SAVEPOINT wf_task`.execute(trx);
      try {
        const run = await engine.open(trx, task.instance_id, WORKER);
        if (!run || run.inst.status !== 'running') {
          await sql`RELEASE SAVEPOINT wf_task`.execute(trx);
          continue;
        }
        await trx.updateTable('wf_task').set({ claimed_at: run.now }).where('id', '=', task.id).execute();
        const node = engine.node(run, task.node);
        const out = await engine.runHandler(run, task, node, (task.input ?? {}) as Data, undefined);
        const outcome = out.outcome ?? node.outcomes?.[0] ?? 'done';
        if (!(node.outcomes ?? ['done']).includes(outcome))
          throw new Error(`handler ${node.handler} answered "${outcome}", not an outcome of ${task.node}`);
        await engine.finish(
          run,
          task,
          outcome,
          { by: 'worker', attempt: task.attempts + 1 },
          out.data ?? null,
        );
        await engine.flush(run);
        await sql`RELEASE SAVEPOINT wf_task`.execute(trx);
        report.completed++;
      } catch (err) {
        await sql`ROLLBACK TO SAVEPOINT wf_task`.execute(trx);
        const fellOut = await failTask(engine, trx, task, err, now);
        report.failed++;
        if (fellOut) report.fellOut++;
        await sql`RELEASE SAVEPOINT wf_task`.execute(trx);
      }
    }
  });
  return report;
}

/**
 * A failed attempt: retry later with exponential back-off, or after `max_attempts` fall out to a
 * human basket (the node's fallback actor, else supervision) with the error as the diagnosis.
 */
async function failTask(
  engine: WorkflowEngine,
  trx: Tx,
  task: {
    id: number;
    instance_id: number;
    node: string;
    actor: string | null;
    attempts: number;
    max_attempts: number;
  },
  err: unknown,
  now: Date,
): Promise<boolean> {
  const run = await engine.open(trx, task.instance_id, WORKER);
  if (!run) return false;
  const node = run.def.nodes[task.node];
  const attempts = task.attempts + 1;
  const error = errorText(err);
  if (attempts >= task.max_attempts) {
    const to = node?.fallbackActor ?? SUPERVISION_ACTOR;
    await trx
      .updateTable('wf_task')
      .set({
        kind: 'human',
        actor: to,
        status: 'ready',
        attempts,
        last_error: error,
        fell_out: true,
        escalated_from: task.actor,
        explanation: sql`explanation || ${JSON.stringify({ fellOut: { from: task.actor, to, attempts, error } })}::jsonb`,
      })
      .where('id', '=', task.id)
      .execute();
    engine.event(
      run,
      'workflow_task',
      task.id,
      'task.fell_out',
      { node: task.node, from: task.actor, to, attempts, error },
      to,
    );
    await engine.flush(run);
    return true;
  }
  const backoffMs = (node?.backoffSeconds ?? 5) * 1000 * 2 ** (attempts - 1);
  const at = new Date(now.getTime() + backoffMs);
  await trx
    .updateTable('wf_task')
    .set({ attempts, last_error: error, available_at: at, claimed_at: null })
    .where('id', '=', task.id)
    .execute();
  engine.event(
    run,
    'workflow_task',
    task.id,
    'task.retry_scheduled',
    { node: task.node, attempts, error, at: at.toISOString() },
    task.actor,
  );
  await engine.flush(run);
  return false;
}

/**
 * Fires the timers that are due: SLA breaches escalate the task to the supervision basket,
 * deadlines cancel or reject the request (deposit unpaid after N days), waits complete their node.
 */
export async function runTimers(db: Db, engine: WorkflowEngine, at?: Date, limit = 100): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const now = at ?? engine.clock.now();
    const due = await trx
      .selectFrom('wf_timer as tm')
      .innerJoin('wf_instance as i', 'i.id', 'tm.instance_id')
      .select(['tm.id', 'tm.instance_id', 'tm.task_id', 'tm.kind', 'tm.action', 'tm.payload'])
      .where('tm.fired_at', 'is', null)
      .where('tm.cancelled_at', 'is', null)
      .where('tm.fire_at', '<=', now)
      .orderBy('tm.fire_at')
      .orderBy('tm.id')
      .limit(limit)
      .modifyEnd(sql`FOR UPDATE OF tm, i SKIP LOCKED`)
      .execute();
    for (const timer of due) {
      const run = await engine.open(trx, timer.instance_id, SYSTEM);
      await trx.updateTable('wf_timer').set({ fired_at: now }).where('id', '=', timer.id).execute();
      if (!run || run.inst.status !== 'running') continue;
      run.now = now;
      const payload = timer.payload as { outcome?: string; reason?: string };
      const task = timer.task_id
        ? await trx
            .selectFrom('wf_task')
            .select(['id', 'node', 'kind', 'actor', 'status'])
            .where('id', '=', timer.task_id)
            .forUpdate()
            .executeTakeFirst()
        : undefined;
      const open = task && ['ready', 'claimed', 'waiting', 'held'].includes(task.status);
      switch (timer.action) {
        case 'escalate':
          if (open && task.actor !== SUPERVISION_ACTOR) {
            await trx
              .updateTable('wf_task')
              .set({
                actor: SUPERVISION_ACTOR,
                escalated_from: task.actor,
                status: 'ready',
                assignee_id: null,
                explanation: sql`explanation || ${JSON.stringify({ escalated: { from: task.actor, at: now.toISOString(), why: 'SLA breached' } })}::jsonb`,
              })
              .where('id', '=', task.id)
              .execute();
            engine.event(
              run,
              'workflow_task',
              task.id,
              'task.escalated',
              { node: task.node, from: task.actor, to: SUPERVISION_ACTOR, why: 'SLA breached' },
              SUPERVISION_ACTOR,
            );
          }
          break;
        case 'cancel':
        case 'reject':
          if (open) {
            engine.event(run, 'workflow_timer', timer.id, 'timer.fired', {
              node: task.node,
              action: timer.action,
              reason: payload.reason ?? null,
            });
            await engine.end(
              run,
              timer.action === 'cancel' ? 'cancelled' : 'rejected',
              payload.reason ?? `timer on ${task.node}`,
            );
          }
          break;
        case 'complete':
          if (open) await engine.finish(run, task, payload.outcome ?? 'expired', { timer: timer.id }, null);
          break;
      }
      await engine.flush(run);
    }
    return due.length;
  });
}

/** Runs workers and timers until nothing is left to do now (tests, demos, the bench's tail). */
export async function drain(
  db: Db,
  engine: WorkflowEngine,
  opts: WorkOptions = {},
  maxRounds = 1000,
): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxRounds; i++) {
    const r = await workOnce(db, engine, opts);
    const t = await runTimers(db, engine);
    total += r.completed;
    if (r.claimed === 0 && t === 0) break;
  }
  return total;
}

/** A worker loop for `gpto start` and the worker process: polls, backs off when idle, stops on signal. */
export async function workLoop(
  db: Db,
  engine: WorkflowEngine,
  opts: WorkOptions & { idleMs?: number; signal?: AbortSignal; onError?: (err: unknown) => void } = {},
): Promise<void> {
  while (!opts.signal?.aborted) {
    let busy = false;
    try {
      const r = await workOnce(db, engine, opts);
      const t = await runTimers(db, engine);
      busy = r.claimed > 0 || t > 0;
    } catch (err) {
      opts.onError?.(err);
    }
    if (!busy) await new Promise((resolve) => setTimeout(resolve, opts.idleMs ?? 200));
  }
}
