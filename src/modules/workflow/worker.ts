import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import { SYSTEM, type Actor } from '../../platform/events.js';
import { OPEN_STATUSES, SUPERVISION_ACTOR, type Run, type WorkflowEngine } from './engine.js';
import { FallOutNow } from './handlers.js';
import type { Data } from './routing.js';
import type { Wake } from './wake.js';
import { TouchPlugin, WriteSet } from './writes.js';

export interface WorkOptions {
  /** Tasks claimed per transaction: grouping work per commit is what makes throughput. */
  batch?: number;
  /** Only these actors' automatic tasks (default: all). */
  actors?: string[];
  /**
   * Go on with a completed step's automatic successor in the same transaction (default true): it
   * is claimed the moment it exists, instead of after a commit and another worker's poll.
   */
  chain?: boolean;
  /** Most transitions in one transaction, chained ones included (default 5 × batch). */
  maxPerCommit?: number;
  /**
   * Actors whose automatic tasks are left ready for now, asked at each round: what carries them out
   * has no room (the activation automaton with hundreds of orders before its elements). Their tasks
   * are claimed once it has room again, rather than turned into a backlog of queued orders.
   */
  hold?: () => readonly string[];
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

interface QueuedTask {
  id: number;
  kind: 'automatic';
  instance_id: number;
  node: string;
  actor: string | null;
  attempts: number;
  max_attempts: number;
  input: unknown;
}

/** A claimed instance: its run for the whole batch, and its state at claim time (to restore after a failed step). */
interface Slot {
  run: Run;
  dataJson: string;
  lineId: string | null;
  status: string;
}

/**
 * One round of an automatic worker, in one transaction:
 * 1. claims up to `batch` ready automatic tasks with one `FOR UPDATE OF t, i SKIP LOCKED` statement
 *    (task and instance rows together, so two workers never wait on each other; the instance rows
 *    come back with the claim, nothing is read again);
 * 2. runs each step's handler and its transition behind a savepoint; the transition's writes are
 *    only recorded (WriteSet) and, with `chain`, an automatic successor is worked at once in the
 *    same transaction (its instance is already locked by this worker);
 * 3. writes every completion, successor task, timer, instance change and event of the batch with
 *    one multi-row statement per table, and commits.
 * A new savepoint is taken only when something was written since the last one, so steps that only
 * change the instance's data — or defer their own rows to the batch's write (TaskContext.batch) —
 * cost no round trip of their own.
 * A process killed at any point loses nothing (the claim dies with its transaction) and does
 * nothing twice (the domain change commits with the transition or not at all).
 */
export async function workOnce(db: Db, engine: WorkflowEngine, opts: WorkOptions = {}): Promise<WorkReport> {
  try {
    return await round(db, engine, opts, false);
  } catch (err) {
    if (!(err instanceof BatchWriteError)) throw err;
    // One step recorded something the database refuses (e.g. a NUL character in its data): the
    // whole batch was rolled back. Work the same tasks again writing step by step, so that step
    // alone fails, is retried and falls out like any failing step, and the others go through.
    return round(db, engine, { ...opts, chain: false }, true);
  }
}

/** The set-based write at the end of a batch failed: nothing of the batch was committed. */
class BatchWriteError extends Error {
  constructor(override readonly cause: unknown) {
    super(errorText(cause));
  }
}

async function round(
  db: Db,
  engine: WorkflowEngine,
  opts: WorkOptions,
  stepwise: boolean,
): Promise<WorkReport> {
  const report: WorkReport = { claimed: 0, completed: 0, failed: 0, fellOut: 0 };
  const batch = opts.batch ?? 20;
  const chain = opts.chain ?? true;
  const maxPerCommit = Math.max(batch, opts.maxPerCommit ?? batch * 5);
  const actors = opts.actors && opts.actors.length > 0 ? opts.actors : undefined;
  let committed: WriteSet | null = null;
  await db.transaction().execute(async (trx) => {
    const now = engine.clock.now();
    let q = trx
      .selectFrom('wf_task as t')
      .innerJoin('wf_instance as i', 'i.id', 't.instance_id')
      .select([
        't.id',
        't.instance_id',
        't.node',
        't.actor',
        't.attempts',
        't.max_attempts',
        't.input',
        'i.scenario_id',
        'i.scenario_code',
        'i.scenario_version',
        'i.subject_type',
        'i.subject_id',
        'i.customer_id as i_customer_id',
        'i.line_id as i_line_id',
        'i.status as i_status',
        sql<string>`i.data::text`.as('i_data'),
      ])
      .where('t.status', '=', 'ready')
      .where('t.kind', '=', 'automatic')
      .where('t.available_at', '<=', now);
    if (actors) q = q.where('t.actor', 'in', actors);
    const held = opts.hold?.() ?? [];
    if (held.length > 0) q = q.where(sql<boolean>`coalesce(t.actor, '') <> ALL(${[...held]}::text[])`);
    const claimed = await q
      .orderBy('t.available_at')
      .orderBy('t.id')
      .limit(batch)
      .modifyEnd(sql`FOR UPDATE OF t, i SKIP LOCKED`)
      .execute();
    report.claimed = claimed.length;
    if (claimed.length === 0) return;

    const writes = new WriteSet(Math.max(8, claimed.length));
    // The open tasks of the claimed instances, read once: ending an instance then needs no query
    // (nobody else changes them while this transaction holds the instance rows).
    const open = await trx
      .selectFrom('wf_task')
      .select(['id', 'instance_id', 'node', 'actor'])
      .where('instance_id', 'in', [...new Set(claimed.map((c) => c.instance_id))])
      .where('status', 'in', OPEN_STATUSES)
      .orderBy('id')
      .execute();
    const stepTrx = trx.withPlugin(new TouchPlugin(writes));
    const slots = new Map<number, Slot>();
    for (const c of claimed) {
      if (slots.has(c.instance_id)) continue;
      const row = {
        id: c.instance_id,
        scenario_id: c.scenario_id,
        scenario_code: c.scenario_code,
        scenario_version: c.scenario_version,
        subject_type: c.subject_type,
        subject_id: c.subject_id,
        customer_id: c.i_customer_id,
        line_id: c.i_line_id,
        status: c.i_status,
        data: JSON.parse(c.i_data) as unknown,
      };
      const run = await engine.attach(trx, row, WORKER, { writes, stepTrx });
      // handlers may write their own rows with the batch's (one statement per table at the end)
      run.batched = !stepwise;
      slots.set(c.instance_id, { run, dataJson: c.i_data, lineId: c.i_line_id, status: c.i_status });
      writes.knowOpenTasks(
        c.instance_id,
        open
          .filter((o) => o.instance_id === c.instance_id)
          .map(({ id, node, actor }) => ({ id, node, actor })),
      );
    }
    const queue: QueuedTask[] = claimed.map((c) => ({
      id: c.id,
      kind: 'automatic',
      instance_id: c.instance_id,
      node: c.node,
      actor: c.actor,
      attempts: c.attempts,
      max_attempts: c.max_attempts,
      input: c.input,
    }));
    let savepoint = false;
    for (let k = 0; k < queue.length; k++) {
      const task = queue[k]!;
      const slot = slots.get(task.instance_id)!;
      const run = slot.run;
      if (run.inst.status !== 'running') continue;
      // An earlier step of the same instance in this batch may have cancelled it (a join that aborts).
      const status = writes.statusOf(task.id);
      if (status !== undefined && status !== 'ready') continue;
      if (!savepoint || writes.dirty) {
        await sql
          .raw(savepoint ? 'RELEASE SAVEPOINT wf_task; SAVEPOINT wf_task' : 'SAVEPOINT wf_task')
          .execute(trx);
        savepoint = true;
        writes.dirty = false;
      }
      const mark = writes.mark();
      run.now = engine.clock.now();
      run.entries = 0;
      try {
        writes.patchTask(task.id, { claimed_at: run.now });
        const node = engine.node(run, task.node);
        const out = await engine.runHandler(run, task, node, (task.input ?? {}) as Data, undefined);
        if (out.wait) {
          // waits for its external completion (engine.completeWaiting): no transition now
          engine.wait(run, task, out.wait.key, out.data);
          engine.stage(run);
          if (stepwise) await writes.flush(trx);
          report.completed++;
          continue;
        }
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
        engine.stage(run);
        if (stepwise) await writes.flush(trx);
        report.completed++;
        if (chain) {
          // Depth first: the successor is worked right after its predecessor, not after the batch.
          let at = k + 1;
          for (const next of writes.createdSince(mark)) {
            if (queue.length >= maxPerCommit) break;
            if (next.kind !== 'automatic' || next.status !== 'ready' || next.available_at > run.now) continue;
            if (actors && !actors.includes(next.actor ?? '')) continue;
            if (held.includes(next.actor ?? '')) continue;
            queue.splice(at++, 0, {
              id: next.id,
              kind: 'automatic',
              instance_id: next.instance_id,
              node: next.node,
              actor: next.actor,
              attempts: 0,
              max_attempts: next.max_attempts,
              input: next.input,
            });
          }
        }
      } catch (err) {
        await sql`ROLLBACK TO SAVEPOINT wf_task`.execute(trx);
        writes.rollback(mark);
        restore(slot, writes);
        let fellOut: boolean;
        try {
          fellOut = await failTask(engine, run, task, err, run.now);
        } catch (e) {
          // writing the batch so far failed (a deferred row the database refuses): step by step
          if (!stepwise) throw new BatchWriteError(e);
          throw e;
        }
        report.failed++;
        if (fellOut) report.fellOut++;
      }
    }
    try {
      await writes.flush(trx);
    } catch (err) {
      throw new BatchWriteError(err);
    }
    committed = writes;
  });
  // the transaction has committed: what its steps left for after the commit
  (committed as WriteSet | null)?.committed();
  return report;
}

/** After a rolled-back step: the instance as the batch's earlier steps left it. */
function restore(slot: Slot, writes: WriteSet): void {
  const staged = writes.instanceState(slot.run.inst.id);
  slot.run.inst.data = JSON.parse(staged.dataJson ?? slot.dataJson) as Data;
  slot.run.inst.lineId = staged.dataJson !== undefined ? (staged.line_id ?? null) : slot.lineId;
  slot.run.inst.status = staged.status ?? slot.status;
  slot.run.dataChanged = false;
}

/**
 * A failed attempt: retry later with exponential back-off, or after `max_attempts` fall out to a
 * human basket (the node's fallback actor, else supervision) with the error as the diagnosis.
 */
async function failTask(
  engine: WorkflowEngine,
  run: Run,
  task: QueuedTask,
  err: unknown,
  now: Date,
): Promise<boolean> {
  // A chained step's row may still be pending: write the batch so far, then change the row in place.
  await run.writes.flush(run.trx);
  run.writes.dirty = true;
  run.now = now;
  return engine.failStep(run, task, errorText(err), { final: err instanceof FallOutNow });
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

/** A worker loop for `gpto start` and the worker process: works, sleeps when idle, stops on signal. */
export async function workLoop(
  db: Db,
  engine: WorkflowEngine,
  opts: WorkOptions & {
    idleMs?: number;
    signal?: AbortSignal;
    onError?: (err: unknown) => void;
    /** Wakes the idle loop when a commit makes an automatic task ready (see wake.ts); else it polls. */
    wake?: Wake;
    /** Called after each round with what it did and how long its transactions took. */
    onRound?: (report: WorkReport, ms: number) => void;
    /** While busy, due timers are looked for at most this often (default 1000 ms); always when idle. */
    timersEveryMs?: number;
  } = {},
): Promise<void> {
  let timersAt = 0;
  while (!opts.signal?.aborted) {
    let busy = false;
    try {
      const t0 = performance.now();
      // every actor this loop works for is held: nothing to claim (and no scan past their tasks)
      const held = opts.hold?.() ?? [];
      const r =
        opts.actors && opts.actors.length > 0 && opts.actors.every((a) => held.includes(a))
          ? { claimed: 0, completed: 0, failed: 0, fellOut: 0 }
          : await workOnce(db, engine, opts);
      opts.onRound?.(r, performance.now() - t0);
      // Timers are minutes to days away (SLAs, deadlines): a second late costs nothing, and a
      // transaction per round would cost the busy loop a round trip per batch.
      let t = 0;
      if (r.claimed === 0 || performance.now() - timersAt >= (opts.timersEveryMs ?? 1000)) {
        timersAt = performance.now();
        t = await runTimers(db, engine);
      }
      busy = r.claimed > 0 || t > 0;
    } catch (err) {
      opts.onError?.(err);
    }
    if (!busy) {
      const ms = opts.idleMs ?? 200;
      await (opts.wake ? opts.wake.wait(ms) : new Promise((resolve) => setTimeout(resolve, ms)));
    }
  }
}
