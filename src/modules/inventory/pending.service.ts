import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db.js';
import { appendEvent, SYSTEM, type Actor } from '../../platform/events.js';
import type { CapacitySignal, NotFeasible } from './capacity.js';
import { invNotFound } from './inventory.errors.js';
import type { PendingQuery, StudyInput } from './inventory.schemas.js';
import { zoneKey } from './inventory.states.js';

/**
 * Pending requests (seed: "suivi des instances"): a request the study found not feasible is held,
 * indexed by its cause and by the element or zone it waits for. New capacity re-studies the
 * matching requests oldest first, reserves for them and tells the workflow through a
 * `pending.resumed` event (and the in-process listeners), so that their scenario moves on.
 */

export interface PendingRequest {
  requestRef: string;
  kind: string;
  product: string;
  cause: string;
  elementType: string;
  elementCode: string;
  detail: string;
  zone: string;
  locality: string;
  district: string;
  status: string;
  attempts: number;
  createdAt: Date;
  ageDays: number;
}

export interface Resumed {
  requestRef: string;
  reservationId: number;
}

export type ResumedListener = (resumed: Resumed[]) => Promise<void> | void;

/** Rows re-studied per transaction: big enough to amortise the commit, small enough to keep locks short. */
const CHUNK = 200;

/** Holds a request in the caller's transaction (`inv_hold`); a request already held gets its new cause. */
export async function registerInTrx(
  db: Executor,
  input: StudyInput,
  why: NotFeasible,
  by: Actor,
): Promise<void> {
  const doc = { ...input, product: input.product.toUpperCase(), shop: input.shop?.toUpperCase() ?? null };
  const zone = zoneKey(input.address?.locality, input.address?.district);
  await sql`SELECT inv_hold(${JSON.stringify(doc)}::jsonb, ${zone}, ${JSON.stringify(why)}::jsonb,
                            ${by.userId}::bigint, ${by.actor ?? null})`.execute(db);
}

/** One re-studied request as inv_restudy_waiting answers it. */
interface RestudyOutcome {
  id: number;
  requestRef: string;
  feasible?: boolean;
  reservationId?: number;
  elementType?: string;
  elementCode?: string;
  error?: string;
}

interface PendingRow {
  id: number;
}

export class PendingService {
  private listeners: ResumedListener[] = [];

  constructor(private readonly db: Db) {}

  /** The workflow engine subscribes here (in-process) besides reading the `pending.resumed` events. */
  onResumed(listener: ResumedListener): void {
    this.listeners.push(listener);
  }

  async cancel(requestRef: string, by: Actor): Promise<void> {
    await this.db.transaction().execute((trx) => this.cancelIn(trx, requestRef, by));
  }

  /** The request was abandoned: out of the pending requests, in the caller's transaction. */
  async cancelIn(trx: Executor, requestRef: string, by: Actor): Promise<void> {
    const r = await trx
      .updateTable('inv_pending')
      .set({ status: 'cancelled', closed_at: new Date(), updated_at: new Date() })
      .where('request_ref', '=', requestRef)
      .where('status', '=', 'waiting')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0)
      throw invNotFound('inventory.not_found', 'pending request', requestRef);
    await appendEvent(trx, {
      entityType: 'pending_request',
      entityId: requestRef,
      kind: 'pending.cancelled',
      userId: by.userId,
      payload: { requestRef },
    });
  }

  /**
   * New capacity: re-study the requests waiting for it, oldest first. For an element (a CP, a
   * cabinet, a site…) we stop at the first request that finds it saturated again: the ones behind
   * it in the queue keep their turn. For coverage of a zone every held request of the zone is tried,
   * since their addresses differ.
   */
  async onCapacity(signals: CapacitySignal[], by: Actor = SYSTEM): Promise<Resumed[]> {
    const resumed: Resumed[] = [];
    for (const signal of signals) {
      let afterId = 0;
      let exhausted = false;
      let first = true;
      while (!exhausted) {
        const batch = await this.db.transaction().execute(async (trx) => {
          const rows = await this.waitingFor(trx, signal, afterId);
          if (first && rows.length > 0) {
            await appendEvent(trx, {
              entityType: signal.elementType,
              entityId: signal.code,
              kind: 'inventory.capacity_available',
              userId: by.userId,
              payload: { ...signal, waiting: rows.length },
            });
            first = false;
          }
          const done: Resumed[] = [];
          if (rows.length === 0) {
            exhausted = true;
            return done;
          }
          // The chunk is re-studied in one call (inv_restudy_waiting, migration 0234), in order: each
          // request in its own subtransaction (inv_study_guarded: one request's unexpected failure does
          // not undo the others and leaves it waiting for the next event), marked resumed (with its
          // event) or held again with its new cause; for an element, the first request that finds it
          // saturated again stops the chunk and the requests behind it keep their turn.
          const r = await sql<{ out: RestudyOutcome[] }>`
            SELECT inv_restudy_waiting(${rows.map((x) => x.id)}::bigint[], ${JSON.stringify(signal)}::jsonb,
                                       ${by.userId}::bigint, ${by.actor ?? null}) AS out`.execute(trx);
          const outcomes = r.rows[0]?.out ?? [];
          for (const out of outcomes) {
            afterId = out.id;
            if (out.error !== undefined) continue;
            if (out.feasible) {
              done.push({ requestRef: out.requestRef, reservationId: Number(out.reservationId) });
            } else if (
              signal.elementType !== 'zone' &&
              out.elementType === signal.elementType &&
              out.elementCode === signal.code
            ) {
              exhausted = true;
            }
          }
          if (rows.length < CHUNK) exhausted = true;
          return done;
        });
        resumed.push(...batch);
        if (batch.length) for (const l of this.listeners) await l(batch);
      }
    }
    return resumed;
  }

  private async waitingFor(trx: Executor, s: CapacitySignal, afterId: number): Promise<PendingRow[]> {
    const match =
      s.elementType === 'zone'
        ? s.code.endsWith('/')
          ? sql`zone_key LIKE ${`${s.code.replace(/[%_\\]/g, '\\$&')}%`}`
          : sql`zone_key = ${s.code}`
        : sql`element_type = ${s.elementType} AND element_code = ${s.code}`;
    const r = await sql<PendingRow>`
      SELECT id FROM inv_pending
      WHERE status = 'waiting' AND ${match} AND id > ${afterId}
      ORDER BY id LIMIT ${CHUNK} FOR UPDATE SKIP LOCKED`.execute(trx);
    return r.rows;
  }

  /** The planners' view: held requests by cause, zone and age, oldest first. */
  async list(q: PendingQuery): Promise<PendingRequest[]> {
    let query = this.db.selectFrom('inv_pending').selectAll().where('status', '=', 'waiting');
    if (q.cause) query = query.where('cause', '=', q.cause);
    if (q.zone)
      query = query.where('zone_key', 'like', `${q.zone.toLowerCase().replace(/[%_\\]/g, '\\$&')}%`);
    if (q.minAgeDays !== undefined)
      query = query.where('created_at', '<=', new Date(Date.now() - q.minAgeDays * 86_400_000));
    const rows = await query
      .orderBy('id')
      .limit(q.limit ?? 100)
      .execute();
    const now = Date.now();
    return rows.map((r) => ({
      requestRef: r.request_ref,
      kind: r.kind,
      product: r.product_code,
      cause: r.cause,
      elementType: r.element_type,
      elementCode: r.element_code,
      detail: r.detail,
      zone: r.zone_key,
      locality: r.locality,
      district: r.district,
      status: r.status,
      attempts: r.attempts,
      createdAt: r.created_at,
      ageDays: Math.floor((now - r.created_at.getTime()) / 86_400_000),
    }));
  }

  /** Counts per cause, zone and element with the oldest wait: where investment unblocks the most. */
  async summary(): Promise<
    {
      cause: string;
      zone: string;
      elementType: string;
      elementCode: string;
      count: number;
      oldestDays: number;
    }[]
  > {
    const r = await sql<{
      cause: string;
      zone: string;
      element_type: string;
      element_code: string;
      count: number;
      oldest_days: number;
    }>`
      SELECT cause, zone_key AS zone, element_type, element_code, count(*)::int AS count,
             floor(extract(epoch FROM now() - min(created_at)) / 86400)::int AS oldest_days
      FROM inv_pending WHERE status = 'waiting'
      GROUP BY cause, zone_key, element_type, element_code
      ORDER BY count DESC, oldest_days DESC LIMIT 500`.execute(this.db);
    return r.rows.map((x) => ({
      cause: x.cause,
      zone: x.zone,
      elementType: x.element_type,
      elementCode: x.element_code,
      count: x.count,
      oldestDays: x.oldest_days,
    }));
  }
}
