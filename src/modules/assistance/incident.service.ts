import { sql } from 'kysely';
import { appendEvent, appendEvents, type Actor } from '../../platform/events.js';
import { decodeNumericCursor, pageOf, type Page } from '../../platform/http/pagination.js';
import { asstConflict, asstInvalid, asstNotFound } from './assistance.errors.js';
import type { IncidentStatus } from './assistance.tables.js';
import { iso, nextNumber, type AssistanceContext } from './context.js';
import { lineSubscriptions } from './lookups.js';
import type { IncidentScopeInput } from './plant-port.js';

export type IncidentOpen = IncidentScopeInput & { description: string; zone?: string };

interface TakenPair {
  id: number;
  cable: string;
  number: number;
  /** The status before the incident: a repaired pair goes back to it. */
  previous: 'in_service' | 'free';
}

export interface IncidentView {
  id: number;
  number: string;
  scope: string;
  cable: string | null;
  pairFrom: number | null;
  pairTo: number | null;
  cp: string | null;
  zone: string | null;
  description: string;
  status: IncidentStatus;
  pairs: TakenPair[];
  /** Pairs left alone: reserved for a line being built, or already out of service. */
  skipped: { id: number; cable: string; number: number; status: string }[];
  lines: string[];
  openFaults: string[];
  /** Faults the repair closed (they were attached to the incident). */
  closedFaults: string[];
  /** What the repair did beyond the pairs: held requests re-studied and served by the freed pairs. */
  repair: { faultsClosed: number; requestsResumed: string[] } | null;
  openedAt: string;
  repairedAt: string | null;
  repairReport: string | null;
}

/**
 * Plant incidents: a cable cut, a damaged range of pairs, a concentration point out of order. The
 * incident takes its pairs out of service (so studies stop choosing them), flags the lines on them
 * (new faults there attach to it and wait for its repair), and its repair puts the pairs back, which
 * makes the inventory re-study the requests held for capacity, and closes the attached faults.
 */
export class IncidentService {
  constructor(private readonly ctx: AssistanceContext) {}

  async open(input: IncidentOpen, by: Actor): Promise<IncidentView> {
    if (input.scope === 'pair_range' && input.from > input.to)
      throw asstInvalid('incident.invalid', 'to', 'the last pair of the range comes after the first');
    const pairs = await this.ctx.plant.pairsOf(input);
    if (!pairs)
      throw asstInvalid(
        'incident.invalid',
        input.scope === 'cp' ? 'cp' : 'cable',
        `there is no ${input.scope === 'cp' ? `concentration point ${input.cp}` : `cable ${input.cable}`}`,
      );
    if (pairs.length === 0) throw asstInvalid('incident.invalid', 'scope', 'the incident covers no pair');
    const lines = await this.ctx.plant.linesOn(pairs.map((p) => p.id));
    const subs = await lineSubscriptions(this.ctx.db, lines);
    const now = this.ctx.now();
    const { id, number } = await this.ctx.db.transaction().execute(async (trx) => {
      const number = await nextNumber(trx, 'asst_incident_number_seq', 'INC', now);
      const row = await trx
        .insertInto('asst_incident')
        .values({
          number,
          scope: input.scope,
          cable_code: input.scope === 'cp' ? null : input.cable.toUpperCase(),
          pair_from: input.scope === 'pair_range' ? input.from : null,
          pair_to: input.scope === 'pair_range' ? input.to : null,
          cp_code: input.scope === 'cp' ? input.cp.toUpperCase() : null,
          zone: input.zone?.toUpperCase() ?? null,
          description: input.description,
          lines,
          opened_at: now,
          opened_by: by.userId,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await appendEvent(trx, {
        entityType: 'incident',
        entityId: row.id,
        kind: 'incident.opened',
        userId: by.userId,
        payload: {
          number,
          scope: input.scope,
          pairs: pairs.length,
          lines: lines.length,
          description: input.description,
        },
      });
      // Each line's and customer's timeline shows that the line is hit by the incident.
      await appendEvents(
        trx,
        subs.map((s) => ({
          entityType: 'incident',
          entityId: row.id,
          customerId: s.customerId,
          lineId: s.directoryNumber,
          kind: 'line.incident_flagged',
          userId: by.userId,
          payload: { incident: number, description: input.description },
        })),
      );
      return { id: row.id, number };
    });
    // Pair statuses change through the inventory (its history, events and capacity signals), one
    // pair per transaction; what was taken is recorded so the repair gives back exactly that.
    const taken: TakenPair[] = [];
    const skipped: IncidentView['skipped'] = [];
    for (const p of pairs) {
      if (p.status !== 'in_service' && p.status !== 'free') {
        skipped.push({ id: p.id, cable: p.cable, number: p.number, status: p.status });
        continue;
      }
      await this.ctx.deps.inventory.plant.changeStatus(
        'pair',
        p.id,
        { status: 'faulty', reason: `plant incident ${number}` },
        by,
      );
      taken.push({ id: p.id, cable: p.cable, number: p.number, previous: p.status });
    }
    await this.ctx.db
      .updateTable('asst_incident')
      .set({ pairs: JSON.stringify(taken), skipped: JSON.stringify(skipped) })
      .where('id', '=', id)
      .execute();
    return this.get(String(id));
  }

  /**
   * The repair: pairs back to service (or free), the attached faults resumed and closed, the
   * incident closed. The inventory re-studies the held requests when freed pairs give capacity.
   */
  async repair(ref: string, input: { report: string }, by: Actor): Promise<IncidentView> {
    const inc = await this.get(ref);
    if (inc.status !== 'open')
      throw asstConflict('incident.state', `incident ${inc.number} is already repaired`);
    // The re-study of held requests runs inside each pair's status change (after its commit), so the
    // `pending.resumed` events written meanwhile for a repair are the requests this one served (a
    // repair of other plant at the very same moment would be counted too: a figure for people, not
    // for accounting).
    const before = await this.ctx.db
      .selectFrom('event')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    for (const p of inc.pairs) {
      const reason = `plant incident ${inc.number} repaired`;
      try {
        await this.ctx.deps.inventory.plant.changeStatus('pair', p.id, { status: p.previous, reason }, by);
      } catch (err) {
        // The line on it ceased meanwhile (in service → free), or a line now uses it (free → in service).
        if (!(err instanceof Error && 'kind' in err && (err as { kind: string }).kind === 'conflict'))
          throw err;
        const other = p.previous === 'in_service' ? 'free' : 'in_service';
        await this.ctx.deps.inventory.plant.changeStatus('pair', p.id, { status: other, reason }, by);
      }
    }
    const resumed = await this.ctx.db
      .selectFrom('event')
      .select('entity_id')
      .where('id', '>', Number(before?.id ?? 0))
      .where('kind', '=', 'pending.resumed')
      .where(sql<boolean>`payload->'trigger'->>'reason' = 'repaired'`)
      .orderBy('id')
      .execute();
    await this.ctx.db.transaction().execute(async (trx) => {
      const now = this.ctx.now();
      const n = await trx
        .updateTable('asst_incident')
        .set({ status: 'repaired', repaired_at: now, repaired_by: by.userId, repair_report: input.report })
        .where('id', '=', inc.id)
        .where('status', '=', 'open')
        .executeTakeFirst();
      if (Number(n.numUpdatedRows) !== 1)
        throw asstConflict('incident.state', `incident ${inc.number} was repaired meanwhile`);
      // Faults waiting for this incident go on (their customer is told) and are closed now.
      await this.ctx.deps.workflow.engine.signal(
        trx,
        'assistance.incident_repaired',
        { incidentId: inc.id },
        by,
      );
      const faults = await trx
        .updateTable('asst_fault')
        .set({
          status: 'closed',
          cause_code: 'PLANT_INCIDENT',
          resolution: `plant incident ${inc.number} repaired: ${input.report}`,
          resolved_at: now,
          closed_at: now,
          closed_by: by.userId,
        })
        .where('incident_id', '=', inc.id)
        .where('status', 'in', ['open', 'resolved'])
        .returning(['id', 'number', 'customer_id', 'line_id'])
        .execute();
      await appendEvents(
        trx,
        faults.map((f) => ({
          entityType: 'fault',
          entityId: f.id,
          customerId: f.customer_id,
          lineId: f.line_id,
          kind: 'fault.closed',
          userId: by.userId,
          payload: { number: f.number, incident: inc.number, causeCode: 'PLANT_INCIDENT' },
        })),
      );
      await appendEvent(trx, {
        entityType: 'incident',
        entityId: inc.id,
        kind: 'incident.repaired',
        userId: by.userId,
        payload: {
          number: inc.number,
          report: input.report,
          pairs: inc.pairs.length,
          faultsClosed: faults.length,
          requestsResumed: resumed.map((r) => r.entity_id),
        },
      });
    });
    return this.get(String(inc.id));
  }

  async get(ref: string): Promise<IncidentView> {
    let q = this.ctx.db.selectFrom('asst_incident').selectAll();
    q = /^[0-9]+$/.test(ref) ? q.where('id', '=', Number(ref)) : q.where('number', '=', ref.toUpperCase());
    const r = await q.executeTakeFirst();
    if (!r) throw asstNotFound('incident.not_found', 'incident', ref);
    const [faults, repaired] = await Promise.all([
      this.ctx.db
        .selectFrom('asst_fault')
        .select(['number', 'status'])
        .where('incident_id', '=', r.id)
        .orderBy('id')
        .execute(),
      r.status === 'repaired'
        ? this.ctx.db
            .selectFrom('event')
            .select('payload')
            .where('entity_type', '=', 'incident')
            .where('entity_id', '=', String(r.id))
            .where('kind', '=', 'incident.repaired')
            .orderBy('id', 'desc')
            .executeTakeFirst()
        : Promise.resolve(undefined),
    ]);
    const p = (repaired?.payload ?? null) as { faultsClosed?: number; requestsResumed?: string[] } | null;
    return {
      ...toIncident(
        r,
        faults.filter((f) => f.status === 'open').map((f) => f.number),
      ),
      closedFaults: faults.filter((f) => f.status === 'closed').map((f) => f.number),
      repair: p ? { faultsClosed: p.faultsClosed ?? 0, requestsResumed: p.requestsResumed ?? [] } : null,
    };
  }

  async list(q: { status?: IncidentStatus; cursor?: string; limit: number }): Promise<Page<IncidentView>> {
    let query = this.ctx.db.selectFrom('asst_incident').selectAll();
    if (q.status) query = query.where('status', '=', q.status);
    const after = decodeNumericCursor(q.cursor);
    if (after !== undefined) query = query.where('id', '<', after);
    const rows = await query
      .orderBy('id', 'desc')
      .limit(q.limit + 1)
      .execute();
    const page = pageOf(rows, q.limit, (r) => [r.id]);
    return {
      items: page.items.map((r) => toIncident(r, [])),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }
}

function toIncident(
  r: {
    id: number;
    number: string;
    scope: string;
    cable_code: string | null;
    pair_from: number | null;
    pair_to: number | null;
    cp_code: string | null;
    zone: string | null;
    description: string;
    status: IncidentStatus;
    pairs: unknown;
    skipped: unknown;
    lines: string[];
    opened_at: Date;
    repaired_at: Date | null;
    repair_report: string | null;
  },
  openFaults: string[],
): IncidentView {
  return {
    id: r.id,
    number: r.number,
    scope: r.scope,
    cable: r.cable_code,
    pairFrom: r.pair_from,
    pairTo: r.pair_to,
    cp: r.cp_code,
    zone: r.zone,
    description: r.description,
    status: r.status,
    pairs: r.pairs as TakenPair[],
    skipped: r.skipped as IncidentView['skipped'],
    lines: r.lines,
    openFaults,
    closedFaults: [],
    repair: null,
    openedAt: new Date(r.opened_at).toISOString(),
    repairedAt: iso(r.repaired_at),
    repairReport: r.repair_report,
  };
}
