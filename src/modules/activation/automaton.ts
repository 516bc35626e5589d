import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Executor, Tx } from '../../platform/db.js';
import type { Clock } from '../../platform/clock.js';
import { appendEvents, type EventInput } from '../../platform/events.js';
import { DomainError } from '../../platform/errors.js';
import { ElementRefusal, type Checkpoint } from './drivers/driver.js';
import { ShutdownError, type ElementManager } from './element-manager.js';
import type { JournalWriter } from './journal.js';
import { recordsAccess, type Limitations } from './line-access.js';
import { OPERATIONS, type KeyReader, type ManyKeyReader, type Params } from './operations.js';

/**
 * The activation automaton: claims pending orders (short transaction, `FOR UPDATE SKIP LOCKED`),
 * executes them on the network elements with no transaction open, and records their outcomes in
 * batches — each order's outcome, its events, the revert of a temporary change and the resume of
 * the workflow task waiting for it in one transaction. An automaton that dies mid-order leaves the
 * order `running` with a lease; when the lease runs out any automaton re-runs it, which is safe
 * because every operation is idempotent.
 */

export interface OrderRow {
  id: number;
  element_code: string;
  operation: string;
  line_id: string;
  params: unknown;
  attempts: number;
  instance_id: number | null;
  task_id: number | null;
  resume_node: string | null;
  customer_id: number | null;
  request_ref: string | null;
  revert_of: number | null;
  /** What an earlier run of the order saved before a destructive step (see Session.checkpoint). */
  checkpoint?: unknown;
}

export interface Completion {
  order: OrderRow;
  status: 'done' | 'refused';
  result: Params | null;
  error: string | null;
  errorCode: string | null;
}

/**
 * Called in the completion transaction with the orders workflow tasks wait for and the batch's own
 * events (`activation.order_done`…), which it writes in that transaction with the workflow's (one
 * statement for both); returns the orders it could not resume (their outcome is recorded all the same).
 */
export type OnCompleted = (
  trx: Tx,
  cs: Completion[],
  events: EventInput[],
) => Promise<{ order: OrderRow; error: string }[]>;

export interface AutomatonOptions {
  clock: Clock;
  keys: KeyReader;
  /** Reads a claimed batch's cards in one transaction (else one `keys` read per card). */
  keysMany?: ManyKeyReader;
  onCompleted?: OnCompleted;
  /** Orders claimed per round. */
  batch?: number;
  /** Orders executing at once, across elements. */
  maxInFlight?: number;
  leaseMs?: number;
  idleMs?: number;
  /** Outcome batches committed side by side (default 2). */
  completionTxs?: number;
  /**
   * How long a round that claimed less than a full batch, or an outcome batch that is still small
   * while other orders run, waits for more to gather (default 10 ms): fewer, larger transactions —
   * one key read, one claim and one outcome commit for many orders — for a few ms of latency.
   */
  gatherMs?: number;
  /** How long a small outcome batch waits for more at most, `gatherMs` at a time (default 50 ms). */
  maxGatherMs?: number;
  /** Key reads (and other preparations) at once. */
  prepareConcurrency?: number;
  onError?: (err: unknown) => void;
  /**
   * The lines limited for unpaid bills (billing): a mobile line's temporary change of access ends
   * on the access the records give it then (recordsAccess), limitation included.
   */
  limitations?: Limitations | null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Takes, until the transaction ends, the locks of the lines a transaction is about to write orders
 * for, sorted. Every writer of orders takes them, before the statement that inserts: an order
 * written `running` at once (handed to the automaton, ActivationService.queue) then sees every other
 * writer's order of its line, committed. A transaction that writes orders in several statements
 * (the reverts, an audit's repairs, a worker batch flushed twice) may lock lines out of order and
 * meet another in a deadlock: PostgreSQL aborts one of the two, which is retried (the reverts lock
 * all their lines at once, first).
 */
export async function lockOrderLines(db: Executor, lines: string[]): Promise<void> {
  const sorted = [...new Set(lines)].sort();
  if (sorted.length === 0) return;
  await sql`SELECT count(pg_advisory_xact_lock(hashtextextended('act_order:' || l, 0)))
              FROM unnest(${sorted}::text[]) WITH ORDINALITY AS u(l, n)`.execute(db);
}

/**
 * The claim: up to `limit` ready orders — pending, or running with a lapsed lease (an automaton
 * died) — whose line has no older order unfinished nor any other order running (one handed to an
 * automaton as it was written may be younger: ids are taken ahead, before the line's lock), marked
 * running for `by` until `lease`. A running order whose lease lapsed is never held back by a
 * pending one: the pending one may be older than it, and waits for it.
 *
 * `finished_at IS NULL` is the queue index's predicate (migration 0780): the open orders.
 *
 * The probe for an older unfinished order of the line is written so that its plan does not depend
 * on the statistics (migration 0421): `NOT IN` the finished states matches no partial index's
 * predicate, so only the line index (line_id, id) serves it, the line as its index condition, and
 * `OFFSET 0` keeps it a correlated subplan — never a join whose inner side scans the whole
 * queue because the last ANALYZE saw the queue empty (quadratic in the backlog).
 */
export function claimStatement(by: string, now: Date, lease: Date, limit: number, down: string[] = []) {
  return sql<OrderRow>`
    UPDATE act_order o
       SET status = 'running', claimed_by = ${by}, lease_until = ${lease},
           attempts = o.attempts + 1, started_at = coalesce(o.started_at, ${now})
     WHERE o.id IN (
       SELECT q.id FROM act_order q
        WHERE q.finished_at IS NULL
          AND ((q.status = 'pending' AND q.available_at <= ${now}) OR (q.status = 'running' AND q.lease_until < ${now}))
          AND q.element_code <> ALL(${down}::text[])
          AND NOT EXISTS (SELECT 1 FROM act_order p
                           WHERE p.line_id = q.line_id AND p.id <> q.id
                             AND p.status NOT IN ('done', 'refused', 'cancelled')
                             AND CASE WHEN p.status = 'running' THEN q.status = 'pending' OR p.id < q.id
                                      ELSE q.status = 'pending' AND p.id < q.id END OFFSET 0)
        ORDER BY q.available_at, q.id
        LIMIT ${limit}
        FOR NO KEY UPDATE SKIP LOCKED)
    RETURNING o.id, o.element_code, o.operation, o.line_id, o.params, o.attempts, o.instance_id, o.task_id,
              o.resume_node, o.customer_id, o.request_ref, o.revert_of, o.checkpoint`;
}

/** One order's outcome, as `outcomeStatement` records it. */
export interface OutcomeRow {
  id: number;
  status: 'done' | 'refused';
  result: Params | null;
  error: string | null;
  code: string | null;
}

/**
 * Records outcomes of orders `by` still holds. Rows are locked in id order, like the lease renewal:
 * two statements never wait on each other. They are reached by primary key only and their status
 * is tested on the locked version (l): a condition on status in the scan itself let a stale ANALYZE
 * (queue "empty") plan a scan of the whole queue index per outcome batch, O(backlog) each.
 * The outcomes travel as one JSON parameter and the ids as one array: the statement's text is the
 * same for every batch, so it is prepared once per connection and its plan reused (a VALUES list
 * of 5 parameters a row was a new text per batch size, parsed and planned at every batch past 10).
 */
export function outcomeStatement(by: string, now: Date, rows: OutcomeRow[]) {
  return sql<{ id: number }>`
    WITH v AS (SELECT x.id, x.status, x.result, x.error, x.code
                 FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
                   AS x(id bigint, status text, result jsonb, error text, code text)),
         l AS (SELECT q.id, q.status, q.claimed_by FROM act_order q WHERE q.id = ANY(${rows.map((r) => r.id)}::bigint[])
                ORDER BY q.id FOR NO KEY UPDATE)
    UPDATE act_order o
       SET status = v.status, result = v.result, error = v.error, error_code = v.code,
           finished_at = ${now}, lease_until = NULL
      FROM v, l
     WHERE o.id = v.id AND l.id = o.id AND l.status = 'running' AND l.claimed_by = ${by}
    RETURNING o.id`;
}

export class Automaton {
  readonly id = `automaton-${randomUUID().slice(0, 8)}`;
  private readonly inFlight = new Map<number, Promise<void>>();
  /** Orders handed over (`accept`) and not yet dispatched. */
  private handed: OrderRow[] = [];
  /** Orders claimed or handed over whose cards are being read (not in `inFlight` yet). */
  private dispatching = 0;
  /** Hand-overs being dispatched (`accept`): `stop` waits for them. */
  private readonly handing = new Set<Promise<void>>();
  private readonly roomListeners: (() => void)[] = [];
  private completions: Completion[] = [];
  private readonly completing = new Set<Promise<void>>();
  private gathering: Promise<void> | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private lastLeaseRenewal = 0;
  private lastRevertCheck = 0;
  /** Preparations (SIM key reads) running now, and those waiting for a slot. */
  private preparing = 0;
  private readonly prepareWaiters: (() => void)[] = [];

  constructor(
    private readonly db: Db,
    private readonly manager: ElementManager,
    private readonly journal: JournalWriter,
    private readonly opts: AutomatonOptions,
  ) {
    // Orders that start waiting for an element to come back leave room without ending: the loops
    // holding the automaton's steps (holdWhileFull) are told at once, not at their next poll.
    manager.onPark(() => {
      if (!this.saturated) for (const fn of this.roomListeners) fn();
    });
  }

  get busy(): number {
    return this.inFlight.size;
  }

  /**
   * Orders in flight that are working: those waiting for an unreachable element to come back hold
   * no connection and do not count, or one element down would fill the automaton and stop the others.
   */
  private get active(): number {
    return Math.max(0, this.inFlight.size - this.manager.parked());
  }

  /** Starts the claim loop (and the revert timer) in the background. */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.manager.resumeWaiting();
    this.loop = this.run();
  }

  /** Wakes the loop now (e.g. just after orders were added). */
  poke(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = null;
    // orders waiting for an unreachable element would hold the stop until it comes back
    this.manager.abandonWaiting();
    await Promise.allSettled([...this.handing]);
    await Promise.allSettled([...this.inFlight.values()]);
    await this.flushCompletions();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let claimed = 0;
      try {
        if (Date.now() - this.lastRevertCheck >= 1000) {
          this.lastRevertCheck = Date.now();
          await this.dueReverts();
        }
        claimed = await this.claimAndDispatch();
        await this.renewLeases();
      } catch (err) {
        this.opts.onError?.(err);
      }
      if (claimed === 0 && !this.stopping) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, this.opts.idleMs ?? 50);
        });
        this.wake = null;
      } else if (this.active > this.claimAbove()) {
        // The elements are the bottleneck (hundreds of orders queued before them): claim again when
        // half a batch has room, not as each order ends — a claim and a key read per order would
        // cost two commits and five statements an order. The timer: orders that start waiting for
        // an element that went down make room without ending.
        while (this.active > this.claimAbove() && !this.stopping)
          await Promise.race([...this.inFlight.values(), sleep(this.opts.idleMs ?? 50)]);
      } else if (claimed < (this.opts.batch ?? 100) && !this.stopping) {
        // a partial batch: let the next orders gather instead of claiming them one by one
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, this.opts.gatherMs ?? 10);
        });
        this.wake = null;
      }
    }
  }

  /** The most orders in flight at which a round claims more: `maxInFlight` less half a batch. */
  private claimAbove(): number {
    const max = this.opts.maxInFlight ?? 256;
    return max - Math.max(1, Math.floor(Math.min(this.opts.batch ?? 100, max) / 2));
  }

  /**
   * One round: claims up to `batch` orders that are ready — pending, or running with a lapsed lease
   * (an automaton died) — and whose line has no older order unfinished (orders of a line run in
   * order), and starts executing them. Returns how many it claimed.
   * See claimStatement.
   */
  async claimAndDispatch(skipDown = true): Promise<number> {
    const room = (this.opts.maxInFlight ?? 256) - this.active;
    if (room <= 0) return 0;
    const now = this.opts.clock.now();
    const lease = new Date(now.getTime() + (this.opts.leaseMs ?? 60_000));
    const limit = Math.min(room, this.opts.batch ?? 100);
    // orders for an element whose circuit is open stay pending: they would only wait in memory
    const rows = await claimStatement(
      this.id,
      now,
      lease,
      limit,
      skipDown ? this.manager.down() : [],
    ).execute(this.db);
    await this.dispatch(rows.rows);
    return rows.rows.length;
  }

  /** Reads the orders' cards and starts executing them (they are this automaton's, running). */
  private async dispatch(rows: OrderRow[], handed = false): Promise<void> {
    if (rows.length === 0) return;
    this.dispatching += rows.length;
    let keys: KeyReader;
    try {
      keys = await this.readCards(rows);
    } finally {
      this.dispatching -= rows.length;
    }
    // handed over, and the automaton stopping while their cards were read: the orders keep their
    // lease, the next automaton takes them (claimed ones run: `drain` claims with the loop stopped)
    if (handed && this.stopping) return;
    for (const order of rows) {
      const p = this.execute(order, keys).finally(() => {
        const was = this.saturated;
        this.inFlight.delete(order.id);
        if (was && !this.saturated) for (const fn of this.roomListeners) fn();
      });
      this.inFlight.set(order.id, p);
    }
  }

  /**
   * Whether an order for `element` may be handed to this automaton as it is written (`accept`)
   * rather than queued for a claim: the loop runs, the element's circuit is closed and the orders
   * in flight leave room. Whoever asks writes the order `running`, claimed by `this.id` with a
   * lease (`leaseUntil`), and hands it over once that is committed.
   */
  takes(element: string): boolean {
    // The workflow's loops stop taking the automaton's steps at `claimAbove` (holdWhileFull) but
    // a round that started below it hands over its whole batch: up to twice `maxInFlight` are
    // taken, so a round is not split between orders handed over and orders left to a claim.
    return (
      this.loop !== null &&
      !this.stopping &&
      this.active + this.handed.length + this.dispatching < 2 * (this.opts.maxInFlight ?? 256) &&
      this.manager.ready(element)
    );
  }

  /**
   * Whether the orders in flight fill this automaton (see `claimAbove`): the workflow's workers
   * then leave its steps ready (WorkOptions.hold) until `onRoom`'s listeners hear it has room.
   */
  get saturated(): boolean {
    return this.loop !== null && this.active + this.handed.length + this.dispatching >= this.claimAbove();
  }

  /** Calls `fn` each time the automaton stops being saturated. */
  onRoom(fn: () => void): void {
    this.roomListeners.push(fn);
  }

  /** The lease an order handed over at `now` is written with. */
  leaseUntil(now: Date): Date {
    return new Date(now.getTime() + (this.opts.leaseMs ?? 60_000));
  }

  /**
   * An order committed `running` under this automaton's id (see `takes`): executed as if this
   * automaton had claimed it. The orders handed over in one turn of the event loop share one read
   * of their cards. Should this process die first, the lease runs out and any automaton re-runs it.
   */
  accept(order: OrderRow): void {
    if (this.stopping) return; // its lease lets the next automaton take it
    this.handed.push(order);
    if (this.handed.length > 1) return;
    queueMicrotask(() => {
      const rows = this.handed;
      this.handed = [];
      const p: Promise<void> = this.dispatch(rows, true)
        .catch((err) => this.opts.onError?.(err))
        .finally(() => this.handing.delete(p));
      this.handing.add(p);
    });
  }

  /**
   * The SIM cards the claimed orders need (IMSI, Ki/OPc), read in one transaction — one logged
   * `sim.keys_read` per card — instead of one transaction per card. Returns the reader the orders
   * use: a card read here is answered from memory, any other (or all, if the batch read failed)
   * through the single-card reader.
   */
  private async readCards(rows: OrderRow[]): Promise<KeyReader> {
    const single = this.opts.keys;
    if (!this.opts.keysMany) return single;
    const iccids = [
      ...new Set(rows.flatMap((o) => OPERATIONS[o.operation]?.cards?.((o.params ?? {}) as Params) ?? [])),
    ];
    if (iccids.length === 0) return single;
    let read: Awaited<ReturnType<ManyKeyReader>>;
    try {
      read = await this.opts.keysMany(iccids);
    } catch (err) {
      this.opts.onError?.(err);
      return single;
    }
    return async (iccid) => read.get(iccid) ?? single(iccid);
  }

  private async execute(order: OrderRow, keys: KeyReader = this.opts.keys): Promise<void> {
    const def = OPERATIONS[order.operation];
    let completion: Completion;
    try {
      if (!def) throw new ElementRefusal(`unknown operation ${order.operation}`, 'unknown_operation');
      const stored = (order.params ?? {}) as Params;
      const params = def.prepare
        ? keys === this.opts.keys
          ? await this.prepared(() => def.prepare!(stored, keys))
          : await def.prepare(stored, keys)
        : stored;
      const result = await this.manager.run(
        order.element_code,
        order.line_id,
        {
          lineId: order.line_id,
          orderId: order.id,
          instanceId: order.instance_id,
          taskId: order.task_id,
          attempt: order.attempts,
        },
        (s) => def.run({ ...s, checkpoint: this.checkpoint(order) }, params, keys),
      );
      completion = { order, status: 'done', result, error: null, errorCode: null };
    } catch (err) {
      // shutting down: the order stays running and its lease lets the next automaton take it
      if (err instanceof ShutdownError) return;
      const refusal = err instanceof ElementRefusal;
      // a coded error of the records (a SIM card gone from the inventory…) is the order's fault,
      // not GPTo's: refused with that code, not logged as an internal error
      const coded = err instanceof DomainError;
      if (!refusal && !coded) this.opts.onError?.(err);
      completion = {
        order,
        status: 'refused',
        result: null,
        error: (err instanceof Error ? err.message : String(err)).slice(0, 2000),
        errorCode: refusal ? err.code : coded ? err.code : 'internal',
      };
    }
    this.completions.push(completion);
    await this.flushCompletions();
  }

  /**
   * The order's checkpoint: saved in its row (committed before the operation goes on) while this
   * automaton still holds the order; an order another automaton took over is not ours to go on with.
   */
  private checkpoint(order: OrderRow): Checkpoint {
    return {
      read: () => (order.checkpoint ?? null) as Record<string, unknown> | null,
      save: async (data) => {
        const r = await this.db
          .updateTable('act_order')
          .set({ checkpoint: JSON.stringify(data) })
          .where('id', '=', order.id)
          .where('claimed_by', '=', this.id)
          .where('status', '=', 'running')
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) throw new ShutdownError();
        order.checkpoint = data;
      },
    };
  }

  /**
   * Runs a preparation (a database read) with few others at once: a hundred claimed orders reading
   * their keys together would take every pooled database connection and starve the transactions
   * that claim orders and record outcomes.
   */
  private async prepared<T>(fn: () => Promise<T>): Promise<T> {
    if (this.preparing >= (this.opts.prepareConcurrency ?? 12))
      await new Promise<void>((resolve) => this.prepareWaiters.push(resolve));
    this.preparing++;
    try {
      return await fn();
    } finally {
      this.preparing--;
      this.prepareWaiters.shift()?.();
    }
  }

  /**
   * Records the outcomes gathered so far, in one transaction per batch; up to `completionTxs`
   * batches commit side by side (outcomes of different orders touch different rows), so recording
   * keeps up with the elements. Resolves once this caller's outcome is committed.
   */
  async flushCompletions(): Promise<void> {
    let waited = 0;
    while (this.completions.length > 0) {
      if (this.completing.size >= (this.opts.completionTxs ?? 2)) {
        await Promise.race(this.completing);
        continue;
      }
      // A small batch while other orders are still running: wait for their outcomes, `gatherMs`
      // at a time, up to `maxGatherMs` — a slow element (tens of orders a second) would otherwise
      // get a transaction of a dozen statements and a commit per outcome.
      const gatherMs = this.opts.gatherMs ?? 10;
      if (
        waited < (this.opts.maxGatherMs ?? 50) &&
        !this.stopping &&
        gatherMs > 0 &&
        this.completions.length < 50 &&
        this.active > this.completions.length
      ) {
        this.gathering ??= sleep(gatherMs).finally(() => (this.gathering = null));
        await this.gathering;
        waited += gatherMs;
        continue;
      }
      const batch = this.completions;
      this.completions = [];
      const p: Promise<void> = this.complete(batch).finally(() => this.completing.delete(p));
      this.completing.add(p);
      await p;
      return;
    }
    await Promise.all(this.completing);
  }

  private async complete(batch: Completion[]): Promise<void> {
    const journal = this.journal.take();
    // a deadlock or serialization failure (a lease renewal, a workflow worker on the same rows) is
    // retried at once: giving up would leave the orders to their lease (a minute) and re-run them
    for (let attempt = 1; ; attempt++) {
      try {
        await this.record(batch, journal);
        return;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if ((code === '40P01' || code === '40001') && attempt < 5) {
          await sleep(5 * attempt);
          continue;
        }
        // nothing is recorded: the leases lapse and the orders are re-run (idempotent)
        this.opts.onError?.(err);
        return;
      }
    }
  }

  private async record(batch: Completion[], journal: ReturnType<JournalWriter['take']>): Promise<void> {
    const now = this.opts.clock.now();
    await this.db.transaction().execute(async (trx) => {
      // the commands first: an order marked done always has its commands in the journal
      await this.journal.insert(trx, journal);
      // one statement records every outcome; an order another automaton took over after our
      // lease lapsed is not ours to record (its outcome wins)
      const mine = await outcomeStatement(
        this.id,
        now,
        batch.map((c) => ({
          id: c.order.id,
          status: c.status,
          result: c.result,
          error: c.error,
          code: c.errorCode,
        })),
      ).execute(trx);
      const recorded = new Set(mine.rows.map((r) => r.id));
      const done = batch.filter((c) => recorded.has(c.order.id));
      const reverts = done.flatMap((c) => {
        const def = OPERATIONS[c.order.operation];
        if (c.status !== 'done' || !def?.revert || !c.result) return [];
        const r = def.revert((c.order.params ?? {}) as Params, c.result);
        return [
          {
            order_id: c.order.id,
            element_code: c.order.element_code,
            line_id: c.order.line_id,
            operation: r.operation,
            params: JSON.stringify(r.params),
            due_at: r.dueAt,
          },
        ];
      });
      if (reverts.length)
        await trx
          .insertInto('act_revert')
          .values(reverts)
          .onConflict((oc) => oc.column('order_id').doNothing())
          .execute();
      // a limitation ended a fixed line's temporary authorisation: nothing is left to revert
      const cleared = done.filter((c) => c.status === 'done' && c.result?.clearedTemporary);
      if (cleared.length)
        await trx
          .updateTable('act_revert')
          .set({ done_at: now })
          .where(
            'line_id',
            'in',
            cleared.map((c) => c.order.line_id),
          )
          .where('operation', '=', 'fixed.clear_temporary')
          .where('done_at', 'is', null)
          .execute();
      const revertOrders = done.filter((c) => c.order.revert_of !== null).map((c) => c.order.id);
      if (revertOrders.length)
        await trx
          .updateTable('act_revert')
          .set({ done_at: now })
          .where('revert_order_id', 'in', revertOrders)
          .execute();
      const events: EventInput[] = done.map((c) => ({
        entityType: 'activation_order',
        entityId: c.order.id,
        kind: c.status === 'done' ? 'activation.order_done' : 'activation.order_refused',
        customerId: c.order.customer_id,
        lineId: c.order.line_id,
        actor: 'activation_automaton',
        payload: {
          operation: c.order.operation,
          element: c.order.element_code,
          attempts: c.order.attempts,
          ...(c.order.request_ref ? { requestRef: c.order.request_ref } : {}),
          ...(c.error ? { error: c.error } : {}),
        },
      }));
      const waiting = done.filter((c) => c.order.instance_id !== null && c.order.resume_node);
      if (waiting.length && this.opts.onCompleted) {
        // the hook writes the outcomes' events with the workflow's
        const failed = await this.opts.onCompleted(trx, waiting, events);
        if (failed.length)
          await appendEvents(
            trx,
            failed.map((f) => ({
              entityType: 'activation_order',
              entityId: f.order.id,
              kind: 'activation.resume_failed',
              customerId: f.order.customer_id,
              lineId: f.order.line_id,
              actor: 'activation_automaton',
              payload: { error: f.error },
            })),
          );
      } else await appendEvents(trx, events);
    });
  }

  /**
   * Due temporary changes become revert orders; the table survives restarts, so none is forgotten.
   * A mobile line's change ends on the access the records give the line now, not on what the HLR
   * had when it began: a limitation for unpaid bills put on or lifted meanwhile, or a suspension,
   * is kept (recordsAccess). A change another one on the same line has superseded since, or on a
   * line terminated since, ends with no order; one whose line is having a limitation put on or
   * lifted waits a minute for that order to settle the access.
   */
  async dueReverts(): Promise<number> {
    const now = this.opts.clock.now();
    return this.db.transaction().execute(async (trx) => {
      const due = await trx
        .selectFrom('act_revert')
        .selectAll()
        .where('revert_order_id', 'is', null)
        .where('done_at', 'is', null)
        .where('due_at', '<=', now)
        .orderBy('due_at')
        .orderBy('id')
        .limit(100)
        .forUpdate()
        .skipLocked()
        .execute();
      // every line this transaction may write an order for, locked at once (lockOrderLines)
      await lockOrderLines(
        trx,
        due.map((r) => r.line_id),
      );
      const events: EventInput[] = [];
      const chained = new Map<number, Params>();
      for (const r of due) {
        const src = await trx
          .selectFrom('act_order')
          .select(['customer_id', 'request_ref', 'instance_id', 'operation'])
          .where('id', '=', r.order_id)
          .executeTakeFirstOrThrow();
        const event = (kind: string, entityId: number, payload: Record<string, unknown>) =>
          events.push({
            entityType: 'activation_order',
            entityId,
            kind,
            customerId: src.customer_id,
            lineId: r.line_id,
            actor: 'activation_automaton',
            payload: { revertOf: r.order_id, dueAt: r.due_at.toISOString(), ...payload },
          });
        let params = { ...(r.params as Params), ...chained.get(r.order_id) };
        if (src.operation === 'mobile.temporary_access') {
          // a later change still in force (its own end not come yet)
          const later = await trx
            .selectFrom('act_revert')
            .select('order_id')
            .where('line_id', '=', r.line_id)
            .where('done_at', 'is', null)
            .where('revert_order_id', 'is', null)
            .where('id', '>', r.id)
            .orderBy('id')
            .limit(1)
            .executeTakeFirst();
          // an earlier change still in force (a short change inside a longer one): back to that one
          const earlier = later
            ? undefined
            : await trx
                .selectFrom('act_revert as v')
                .innerJoin('act_order as o', 'o.id', 'v.order_id')
                .select(['v.order_id', 'o.params'])
                .where('v.line_id', '=', r.line_id)
                .where('v.done_at', 'is', null)
                .where('v.revert_order_id', 'is', null)
                .where('v.id', '<', r.id)
                .where('v.due_at', '>', now)
                .where('o.operation', '=', 'mobile.temporary_access')
                .orderBy('v.id', 'desc')
                .limit(1)
                .executeTakeFirst();
          const target =
            later || earlier ? null : await recordsAccess(trx, r.line_id, this.opts.limitations ?? null);
          if (target?.kind === 'changing') {
            await trx
              .updateTable('act_revert')
              .set({ due_at: new Date(now.getTime() + 60_000) })
              .where('id', '=', r.id)
              .execute();
            continue;
          }
          if (later || target?.kind === 'terminated') {
            await trx.updateTable('act_revert').set({ done_at: now }).where('id', '=', r.id).execute();
            // the next change's own "before" is this one's change: it ends on what this one found
            // (for a line the records do not know; records decide for the others)
            if (later) {
              // (and in this batch, should it be due as well)
              chained.set(later.order_id, { cs: params.cs, ps: params.ps });
              await trx
                .updateTable('act_revert')
                .set({
                  params: sql<string>`params || jsonb_build_object('cs', ${params.cs ?? null}::boolean, 'ps', ${params.ps ?? null}::boolean)`,
                })
                .where('order_id', '=', later.order_id)
                .execute();
            }
            event(
              'activation.revert_skipped',
              r.order_id,
              later
                ? { reason: 'superseded', by: later.order_id }
                : { reason: 'line_terminated', operation: r.operation },
            );
            continue;
          }
          if (earlier) {
            const asked = earlier.params as Params;
            params = { ...params, cs: asked.cs, ps: asked.ps, accessFrom: `order ${earlier.order_id}` };
          } else if (target?.kind === 'records')
            params = { ...params, cs: target.access.cs, ps: target.access.ps, accessFrom: target.why };
        }
        await lockOrderLines(trx, [r.line_id]);
        const order = await trx
          .insertInto('act_order')
          .values({
            element_code: r.element_code,
            operation: r.operation,
            line_id: r.line_id,
            params: JSON.stringify(params),
            revert_of: r.order_id,
            customer_id: src.customer_id,
            request_ref: src.request_ref,
            instance_id: src.instance_id,
            created_by: 'activation_automaton',
            created_at: now,
            available_at: now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx
          .updateTable('act_revert')
          .set({ revert_order_id: order.id })
          .where('id', '=', r.id)
          .execute();
        event('activation.revert_due', order.id, {
          operation: r.operation,
          ...(typeof params.accessFrom === 'string' ? { accessFrom: params.accessFrom } : {}),
        });
      }
      if (events.length) await appendEvents(trx, events);
      return due.length;
    });
  }

  private async renewLeases(): Promise<void> {
    const now = Date.now();
    const leaseMs = this.opts.leaseMs ?? 60_000;
    if (this.inFlight.size === 0 || now - this.lastLeaseRenewal < leaseMs / 3) return;
    this.lastLeaseRenewal = now;
    const until = new Date(this.opts.clock.now().getTime() + leaseMs);
    const ids = [...this.inFlight.keys()];
    // locks taken in id order (as the outcome recording does): no deadlock between the two
    await sql`
      UPDATE act_order o SET lease_until = ${until}
        FROM (SELECT id, status, claimed_by FROM act_order WHERE id = ANY(${ids}::bigint[])
               ORDER BY id FOR NO KEY UPDATE) l
       WHERE o.id = l.id AND l.claimed_by = ${this.id} AND l.status = 'running'`.execute(this.db);
  }

  /** Runs rounds until no order is ready, none is executing and no outcome is unrecorded (tests, bench). */
  async drain(maxMs = 60_000): Promise<void> {
    const t0 = Date.now();
    this.manager.resumeWaiting();
    for (;;) {
      await this.dueReverts();
      // every ready order, an unreachable element's too: a drain waits for it to come back
      const n = await this.claimAndDispatch(false);
      if (this.inFlight.size > 0) await Promise.race(this.inFlight.values());
      else if (n === 0) {
        await this.flushCompletions();
        return;
      }
      if (Date.now() - t0 > maxMs) throw new Error('activation orders still running after drain timeout');
      if (n === 0 && this.inFlight.size === 0) await sleep(5);
    }
  }
}
