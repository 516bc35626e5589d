import { sql } from 'kysely';
import type { Executor, Tx } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import type { TechnicalFile } from '../inventory/index.js';
import { asstConflict, asstInvalid, asstNotFound, AssistanceError } from './assistance.errors.js';
import { faultSlaHours, firstVerdict, type Verdict } from './assistance.rules.js';
import { faultScenarioFor } from './assistance.scenarios.js';
import type { FaultStatus } from './assistance.tables.js';
import { iso, nextNumber, type AssistanceContext } from './context.js';
import type { LineStatus } from './line-status.js';
import { lineSubscription, type LineSubscription } from './lookups.js';

export interface FaultReport {
  line: string;
  symptom: string;
  description?: string;
  contactPhone?: string;
  channel?: 'phone' | 'counter' | 'web' | 'field';
}

export interface FaultView {
  id: number;
  number: string;
  status: FaultStatus;
  customerId: number;
  payerId: number;
  subscriptionId: number;
  lineId: string;
  productKind: string;
  zone: string | null;
  symptom: string;
  description: string | null;
  contactPhone: string | null;
  channel: string;
  diagnosis: Diagnosis;
  incident: { id: number; number: string; status: string } | null;
  instanceId: number | null;
  causeCode: string | null;
  resolution: string | null;
  reopenCount: number;
  reportedAt: string;
  dueAt: string;
  overdue: boolean;
  resolvedAt: string | null;
  closedAt: string | null;
  /** Open-to-resolved time in minutes, once resolved. */
  timeToRepairMinutes: number | null;
}

export interface Diagnosis {
  verdict: Verdict;
  why: string;
  lineStatus: LineStatus;
  incident: { id: number; number: string } | null;
  chain: TechnicalFile['chain'] | null;
  at: string;
}

type FaultRow = {
  id: number;
  number: string;
  status: FaultStatus;
  customer_id: number;
  payer_id: number;
  subscription_id: number;
  line_id: string;
  product_kind: string;
  zone: string | null;
  symptom: string;
  description: string | null;
  contact_phone: string | null;
  channel: string;
  diagnosis: unknown;
  incident_id: number | null;
  incident_number: string | null;
  incident_status: string | null;
  instance_id: number | null;
  cause_code: string | null;
  resolution: string | null;
  reopen_count: number;
  reported_at: Date;
  due_at: Date;
  resolved_at: Date | null;
  closed_at: Date | null;
};

export function toFault(r: FaultRow, now: Date): FaultView {
  return {
    id: r.id,
    number: r.number,
    status: r.status,
    customerId: r.customer_id,
    payerId: r.payer_id,
    subscriptionId: r.subscription_id,
    lineId: r.line_id,
    productKind: r.product_kind,
    zone: r.zone,
    symptom: r.symptom,
    description: r.description,
    contactPhone: r.contact_phone,
    channel: r.channel,
    diagnosis: r.diagnosis as Diagnosis,
    incident:
      r.incident_id !== null
        ? { id: r.incident_id, number: r.incident_number ?? '', status: r.incident_status ?? '' }
        : null,
    instanceId: r.instance_id,
    causeCode: r.cause_code,
    resolution: r.resolution,
    reopenCount: r.reopen_count,
    reportedAt: new Date(r.reported_at).toISOString(),
    dueAt: new Date(r.due_at).toISOString(),
    overdue: r.status === 'open' && new Date(r.due_at).getTime() < now.getTime(),
    resolvedAt: iso(r.resolved_at),
    closedAt: iso(r.closed_at),
    timeToRepairMinutes: r.resolved_at
      ? Math.round((new Date(r.resolved_at).getTime() - new Date(r.reported_at).getTime()) / 60_000)
      : null,
  };
}

export function faultQuery(db: Executor) {
  return db
    .selectFrom('asst_fault as f')
    .leftJoin('asst_incident as i', 'i.id', 'f.incident_id')
    .selectAll('f')
    .select(['i.number as incident_number', 'i.status as incident_status']);
}

/** The live technical file of a line, or null (a mobile line, a line built before the inventory). */
export async function technicalFileOf(ctx: AssistanceContext, number: string): Promise<TechnicalFile | null> {
  try {
    const tf = await ctx.deps.inventory.service.line(number);
    return tf.status === 'active' ? tf : null;
  } catch (err) {
    if (err instanceof Error && 'kind' in err && (err as { kind: string }).kind === 'not_found') return null;
    throw err;
  }
}

/** The open incident covering a line: by the lines it flagged, or by the pairs of the line's chain. */
export async function openIncidentOn(
  db: Executor,
  number: string,
  chain: TechnicalFile['chain'] | null,
): Promise<{ id: number; number: string } | undefined> {
  const pairIds = [chain?.primaryPair?.id, chain?.distributionPair?.id].filter(
    (x): x is number => typeof x === 'number',
  );
  const r = await sql<{ id: number; number: string }>`
    SELECT id, number FROM asst_incident
    WHERE status = 'open' AND (lines @> ARRAY[${number}]::text[]
      OR EXISTS (SELECT 1 FROM jsonb_array_elements(pairs) p WHERE (p->>'id')::bigint = ANY(${pairIds}::bigint[])))
    ORDER BY id LIMIT 1`.execute(db);
  return r.rows[0];
}

export function zoneOf(tf: TechnicalFile | null, sub: LineSubscription): string | null {
  const a = (tf?.address ?? null) as { locality?: string } | null;
  const locality = a?.locality ?? sub.locality;
  return locality ? locality.toUpperCase() : null;
}

export class FaultService {
  constructor(private readonly ctx: AssistanceContext) {}

  private async resolveLine(number: string): Promise<LineSubscription> {
    const sub = await lineSubscription(this.ctx.db, number);
    if (!sub) throw asstNotFound('line.not_found', 'line', number);
    return sub;
  }

  /**
   * An agent reports a fault on a line: the first diagnosis (line status from the equipment, known
   * plant incidents on the line's chain) is made at once, the ticket and its scenario start in one
   * transaction, and the meter index read on the way is kept as a reading.
   */
  async report(input: FaultReport, by: Actor): Promise<FaultView> {
    const number = input.line.replace(/[\s.+-]/g, '');
    const sub = await this.resolveLine(number);
    if (sub.status === 'terminated')
      throw new AssistanceError('rule', 'fault.state', `line ${number} is terminated`, 'line');
    if (sub.productKind === 'option')
      throw asstInvalid('fault.invalid', 'line', 'report the fault on the line, not on an option');
    const tf = await technicalFileOf(this.ctx, number);
    const status = await this.ctx.lineStatus.query({
      directoryNumber: number,
      productKind: sub.productKind,
      equipmentNumber: tf?.chain.equipmentNumber ?? sub.equipmentNumber,
      iccid: tf?.chain.sim?.iccid ?? sub.simIccid,
      imsi: tf?.chain.sim?.imsi ?? null,
    });
    const incident = await openIncidentOn(this.ctx.db, number, tf?.chain ?? null);
    const v = firstVerdict({
      productKind: sub.productKind,
      incidentNumber: incident?.number ?? null,
      status,
      symptom: input.symptom,
    });
    const now = this.ctx.now();
    const diagnosis: Diagnosis = {
      verdict: v.verdict,
      why: v.why,
      lineStatus: status,
      incident: incident ?? null,
      chain: tf?.chain ?? null,
      at: now.toISOString(),
    };
    const zone = zoneOf(tf, sub);
    const id = await this.ctx.db.transaction().execute(async (trx) => {
      const open = await trx
        .selectFrom('asst_fault')
        .select('number')
        .where('line_id', '=', number)
        .where('status', '=', 'open')
        .executeTakeFirst();
      if (open)
        throw asstConflict('fault.state', `fault ${open.number} is already open on line ${number}`, 'line');
      const faultNumber = await nextNumber(trx, 'asst_fault_number_seq', 'D', now);
      const row = await trx
        .insertInto('asst_fault')
        .values({
          number: faultNumber,
          customer_id: sub.customerId,
          payer_id: sub.payerId,
          subscription_id: sub.subscriptionId,
          line_id: number,
          product_kind: sub.productKind,
          zone,
          symptom: input.symptom,
          description: input.description ?? null,
          contact_phone: input.contactPhone ?? sub.contactPhone,
          channel: input.channel ?? 'phone',
          diagnosis: JSON.stringify(diagnosis),
          incident_id: incident?.id ?? null,
          reported_at: now,
          reported_by: by.userId,
          due_at: new Date(now.getTime() + faultSlaHours(sub.productKind) * 3600_000),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      if (status.available && status.meterIndex !== null)
        await trx
          .insertInto('asst_meter_reading')
          .values({
            line_id: number,
            customer_id: sub.customerId,
            meter_index: status.meterIndex,
            source: status.source,
            read_at: now,
          })
          .execute();
      await appendEvent(trx, {
        entityType: 'fault',
        entityId: row.id,
        customerId: sub.customerId,
        lineId: number,
        kind: 'fault.reported',
        userId: by.userId,
        payload: {
          number: faultNumber,
          symptom: input.symptom,
          verdict: v.verdict,
          why: v.why,
          lineState: status.state,
          incident: incident?.number ?? null,
        },
      });
      await this.startScenario(trx, row.id, faultNumber, sub, tf, zone, diagnosis, by);
      return row.id;
    });
    return this.get(String(id));
  }

  private async startScenario(
    trx: Tx,
    id: number,
    number: string,
    sub: LineSubscription,
    tf: TechnicalFile | null,
    zone: string | null,
    diagnosis: Diagnosis,
    by: Actor,
    round = 0,
  ): Promise<void> {
    const instanceId = await this.ctx.deps.workflow.engine.start(trx, {
      scenarioCode: faultScenarioFor(sub.productKind),
      subjectType: 'fault',
      // one instance per round of the ticket: a reopened fault runs its scenario again
      subjectId: round === 0 ? String(id) : `${id}-${round}`,
      customerId: sub.customerId,
      lineId: sub.directoryNumber,
      data: {
        fault: { id, number },
        line: sub.directoryNumber,
        productKind: sub.productKind,
        customer: { id: sub.customerId, code: sub.customerCode, name: sub.customerName },
        zone,
        address: tf?.address ?? null,
        chain: tf?.chain ?? null,
        diagnosis: { verdict: diagnosis.verdict, why: diagnosis.why, lineState: diagnosis.lineStatus.state },
        incidentId: diagnosis.incident?.id ?? null,
      },
      by,
    });
    await trx.updateTable('asst_fault').set({ instance_id: instanceId }).where('id', '=', id).execute();
  }

  async get(ref: string): Promise<FaultView> {
    let q = faultQuery(this.ctx.db);
    q = /^[0-9]+$/.test(ref)
      ? q.where('f.id', '=', Number(ref))
      : q.where('f.number', '=', ref.toUpperCase());
    const r = await q.executeTakeFirst();
    if (!r) throw asstNotFound('fault.not_found', 'fault', ref);
    return toFault(r as FaultRow, this.ctx.now());
  }

  /** The ticket with its workflow (tasks, who has them and why, timers), work orders and notifications. */
  async detail(ref: string) {
    const f = await this.get(ref);
    const [workOrders, notifications, workflow] = await Promise.all([
      this.ctx.db
        .selectFrom('asst_work_order')
        .select(['number', 'team', 'zone', 'status', 'report', 'cause_code', 'issued_at', 'ended_at'])
        .where('fault_id', '=', f.id)
        .orderBy('id')
        .execute(),
      this.ctx.db
        .selectFrom('asst_notification')
        .select(['channel', 'recipient', 'text', 'created_at'])
        .where('fault_id', '=', f.id)
        .orderBy('id')
        .execute(),
      f.instanceId ? this.ctx.deps.workflow.instances.get(f.instanceId) : Promise.resolve(null),
    ]);
    return {
      ...f,
      workOrders: workOrders.map((w) => ({
        number: w.number,
        team: w.team,
        zone: w.zone,
        status: w.status,
        report: w.report,
        causeCode: w.cause_code,
        issuedAt: iso(w.issued_at),
        endedAt: iso(w.ended_at),
      })),
      notifications: notifications.map((n) => ({
        channel: n.channel,
        recipient: n.recipient,
        text: n.text,
        at: iso(n.created_at),
      })),
      workflow,
    };
  }

  /** The customer confirmed the line works: the ticket is closed (a resolved one, or by a supervisor). */
  async close(ref: string, input: { note?: string }, by: Actor): Promise<FaultView> {
    const f = await this.get(ref);
    await this.ctx.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('asst_fault')
        .select(['status', 'instance_id'])
        .where('id', '=', f.id)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (row.status !== 'resolved')
        throw asstConflict(
          'fault.state',
          `fault ${f.number} is ${row.status}: only a resolved fault is closed`,
        );
      const now = this.ctx.now();
      await trx
        .updateTable('asst_fault')
        .set({ status: 'closed', closed_at: now, closed_by: by.userId })
        .where('id', '=', f.id)
        .execute();
      await appendEvent(trx, {
        entityType: 'fault',
        entityId: f.id,
        customerId: f.customerId,
        lineId: f.lineId,
        kind: 'fault.closed',
        userId: by.userId,
        payload: { number: f.number, note: input.note ?? null },
      });
    });
    return this.get(String(f.id));
  }

  /** The fault is back (or was never fixed): the ticket reopens and runs its scenario again. */
  async reopen(ref: string, input: { reason: string }, by: Actor): Promise<FaultView> {
    const f = await this.get(ref);
    const sub = await this.resolveLine(f.lineId);
    const tf = await technicalFileOf(this.ctx, f.lineId);
    const status = await this.ctx.lineStatus.query({
      directoryNumber: f.lineId,
      productKind: f.productKind,
      equipmentNumber: tf?.chain.equipmentNumber ?? sub.equipmentNumber,
      iccid: tf?.chain.sim?.iccid ?? sub.simIccid,
      imsi: tf?.chain.sim?.imsi ?? null,
    });
    const incident = await openIncidentOn(this.ctx.db, f.lineId, tf?.chain ?? null);
    const v = firstVerdict({
      productKind: f.productKind,
      incidentNumber: incident?.number ?? null,
      status,
      symptom: f.symptom,
    });
    const now = this.ctx.now();
    const diagnosis: Diagnosis = {
      verdict: v.verdict,
      why: v.why,
      lineStatus: status,
      incident: incident ?? null,
      chain: tf?.chain ?? null,
      at: now.toISOString(),
    };
    await this.ctx.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('asst_fault')
        .select(['status', 'reopen_count'])
        .where('id', '=', f.id)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (row.status === 'open') throw asstConflict('fault.state', `fault ${f.number} is still open`);
      const other = await trx
        .selectFrom('asst_fault')
        .select('number')
        .where('line_id', '=', f.lineId)
        .where('status', '=', 'open')
        .executeTakeFirst();
      if (other)
        throw asstConflict('fault.state', `fault ${other.number} is open on line ${f.lineId}: add to it`);
      await trx
        .updateTable('asst_fault')
        .set({
          status: 'open',
          reopen_count: row.reopen_count + 1,
          resolved_at: null,
          closed_at: null,
          closed_by: null,
          cause_code: null,
          resolution: null,
          incident_id: incident?.id ?? null,
          diagnosis: JSON.stringify(diagnosis),
          due_at: new Date(now.getTime() + faultSlaHours(f.productKind) * 3600_000),
        })
        .where('id', '=', f.id)
        .execute();
      await appendEvent(trx, {
        entityType: 'fault',
        entityId: f.id,
        customerId: f.customerId,
        lineId: f.lineId,
        kind: 'fault.reopened',
        userId: by.userId,
        payload: { number: f.number, reason: input.reason, verdict: v.verdict, previous: row.status },
      });
      await this.startScenario(
        trx,
        f.id,
        f.number,
        sub,
        tf,
        zoneOf(tf, sub),
        diagnosis,
        by,
        row.reopen_count + 1,
      );
    });
    return this.get(String(f.id));
  }
}
