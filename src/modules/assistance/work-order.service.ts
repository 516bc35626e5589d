import PDFDocument from 'pdfkit';
import type { Tx } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import { decodeNumericCursor, pageOf, type Page } from '../../platform/http/pagination.js';
import type { Agent } from '../workflow/index.js';
import { asstConflict, asstInvalid, asstNotFound } from './assistance.errors.js';
import type { WorkOrderStatus } from './assistance.tables.js';
import { iso, nextNumber, type AssistanceContext } from './context.js';

export interface WorkOrderView {
  id: number;
  number: string;
  faultNumber: string | null;
  incidentNumber: string | null;
  customerId: number | null;
  lineId: string | null;
  team: string;
  zone: string | null;
  instructions: string;
  status: WorkOrderStatus;
  report: string | null;
  causeCode: string | null;
  assigneeId: number | null;
  issuedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  ageHours: number;
}

export const WORK_ORDER_TEAMS = ['mdf', 'field', 'switching', 'network_studies'] as const;

/** How a team's report ends the fault scenario's task it answers. */
const TASK_OUTCOME: Record<string, Record<'done' | 'failed', string>> = {
  mdf: { done: 'repaired', failed: 'to_field' },
  field: { done: 'repaired', failed: 'failed' },
};

/**
 * Work orders (ordres de travaux): instructions to the MDF or field technicians of the zone,
 * issued by a fault scenario or for a plant incident, printed, followed up (issued, in progress,
 * done, failed) and closed by their completion report.
 */
export class WorkOrderService {
  constructor(private readonly ctx: AssistanceContext) {}

  async issueIn(
    trx: Tx,
    w: {
      faultId?: number | null;
      incidentId?: number | null;
      customerId?: number | null;
      lineId?: string | null;
      team: string;
      zone: string | null;
      instructions: string;
    },
    by: Actor,
    now: Date,
  ): Promise<{ id: number; number: string }> {
    const number = await nextNumber(trx, 'asst_work_order_number_seq', 'OT', now);
    const row = await trx
      .insertInto('asst_work_order')
      .values({
        number,
        fault_id: w.faultId ?? null,
        incident_id: w.incidentId ?? null,
        customer_id: w.customerId ?? null,
        line_id: w.lineId ?? null,
        team: w.team,
        zone: w.zone,
        instructions: w.instructions,
        issued_at: now,
        issued_by: by.userId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendEvent(trx, {
      entityType: 'work_order',
      entityId: row.id,
      customerId: w.customerId ?? null,
      lineId: w.lineId ?? null,
      actor: w.team,
      kind: 'work_order.issued',
      userId: by.userId,
      payload: {
        number,
        team: w.team,
        zone: w.zone,
        faultId: w.faultId ?? null,
        incidentId: w.incidentId ?? null,
      },
    });
    return { id: row.id, number };
  }

  /** Records a completion report (from the scenario's task or from the work-order API). */
  async reportIn(
    trx: Tx,
    id: number,
    r: { status: 'done' | 'failed'; report: string | null; causeCode: string | null },
    by: Actor,
    now: Date,
  ): Promise<void> {
    const wo = await trx
      .selectFrom('asst_work_order')
      .select(['id', 'number', 'status', 'customer_id', 'line_id', 'team'])
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!wo) throw asstNotFound('work_order.not_found', 'work order', id);
    if (wo.status === 'done' || wo.status === 'failed')
      throw asstConflict('work_order.state', `work order ${wo.number} is already ${wo.status}`);
    await trx
      .updateTable('asst_work_order')
      .set({
        status: r.status,
        report: r.report,
        cause_code: r.causeCode,
        ended_at: now,
        ended_by: by.userId,
      })
      .where('id', '=', id)
      .execute();
    await appendEvent(trx, {
      entityType: 'work_order',
      entityId: id,
      customerId: wo.customer_id,
      lineId: wo.line_id,
      actor: wo.team,
      kind: `work_order.${r.status}`,
      userId: by.userId,
      payload: { number: wo.number, report: r.report, causeCode: r.causeCode },
    });
  }

  private base() {
    return this.ctx.db
      .selectFrom('asst_work_order as w')
      .leftJoin('asst_fault as f', 'f.id', 'w.fault_id')
      .leftJoin('asst_incident as i', 'i.id', 'w.incident_id')
      .selectAll('w')
      .select(['f.number as fault_number', 'f.instance_id', 'i.number as incident_number']);
  }

  private view(r: Awaited<ReturnType<ReturnType<WorkOrderService['base']>['executeTakeFirstOrThrow']>>) {
    const now = this.ctx.now();
    return {
      id: r.id,
      number: r.number,
      faultNumber: r.fault_number,
      incidentNumber: r.incident_number,
      customerId: r.customer_id,
      lineId: r.line_id,
      team: r.team,
      zone: r.zone,
      instructions: r.instructions,
      status: r.status,
      report: r.report,
      causeCode: r.cause_code,
      assigneeId: r.assignee_id,
      issuedAt: new Date(r.issued_at).toISOString(),
      startedAt: iso(r.started_at),
      endedAt: iso(r.ended_at),
      ageHours: Math.floor((now.getTime() - new Date(r.issued_at).getTime()) / 3600_000),
    } satisfies WorkOrderView;
  }

  private async row(ref: string) {
    let q = this.base();
    q = /^[0-9]+$/.test(ref)
      ? q.where('w.id', '=', Number(ref))
      : q.where('w.number', '=', ref.toUpperCase());
    const r = await q.executeTakeFirst();
    if (!r) throw asstNotFound('work_order.not_found', 'work order', ref);
    return r;
  }

  async get(ref: string): Promise<WorkOrderView> {
    return this.view(await this.row(ref));
  }

  async list(q: {
    team?: string;
    zone?: string;
    status?: WorkOrderStatus;
    olderThanHours?: number;
    cursor?: string;
    limit: number;
  }): Promise<Page<WorkOrderView>> {
    let query = this.base();
    if (q.team) query = query.where('w.team', '=', q.team);
    if (q.zone) query = query.where('w.zone', '=', q.zone.toUpperCase());
    if (q.status) query = query.where('w.status', '=', q.status);
    if (q.olderThanHours !== undefined)
      query = query.where(
        'w.issued_at',
        '<',
        new Date(this.ctx.now().getTime() - q.olderThanHours * 3600_000),
      );
    const after = decodeNumericCursor(q.cursor);
    if (after !== undefined) query = query.where('w.id', '<', after);
    const rows = await query
      .orderBy('w.id', 'desc')
      .limit(q.limit + 1)
      .execute();
    const page = pageOf(rows, q.limit, (r) => [r.id]);
    return {
      items: page.items.map((r) => this.view(r)),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  /** A technician takes the work order: it is in progress, and so is the scenario's task it serves. */
  async start(ref: string, agent: Agent): Promise<WorkOrderView> {
    const wo = await this.row(ref);
    if (wo.status !== 'issued')
      throw asstConflict('work_order.state', `work order ${wo.number} is ${wo.status}, not issued`);
    const task = await this.openTask(wo.instance_id, wo.team);
    if (task && task.status === 'ready') await this.ctx.deps.workflow.tasks.claim(task.id, agent);
    await this.ctx.db.transaction().execute(async (trx) => {
      const now = this.ctx.now();
      const n = await trx
        .updateTable('asst_work_order')
        .set({ status: 'in_progress', started_at: now, assignee_id: agent.userId })
        .where('id', '=', wo.id)
        .where('status', '=', 'issued')
        .executeTakeFirst();
      if (Number(n.numUpdatedRows) !== 1)
        throw asstConflict('work_order.state', `work order ${wo.number} was taken meanwhile`);
      await appendEvent(trx, {
        entityType: 'work_order',
        entityId: wo.id,
        customerId: wo.customer_id,
        lineId: wo.line_id,
        actor: wo.team,
        kind: 'work_order.started',
        userId: agent.userId,
        payload: { number: wo.number, by: agent.username },
      });
    });
    return this.get(String(wo.id));
  }

  /**
   * The completion report. For a fault's work order it completes the scenario's task (whose handler
   * records the report in the same transaction), so the fault moves on exactly when the report lands.
   */
  async report(
    ref: string,
    r: { outcome: 'done' | 'failed'; report: string; causeCode?: string },
    agent: Agent,
  ): Promise<WorkOrderView> {
    const wo = await this.row(ref);
    if (wo.status === 'done' || wo.status === 'failed')
      throw asstConflict('work_order.state', `work order ${wo.number} is already ${wo.status}`);
    if (r.outcome === 'done' && wo.fault_number && !r.causeCode)
      throw asstInvalid('work_order.invalid', 'causeCode', 'a repaired fault needs its cause code');
    const task = await this.openTask(wo.instance_id, wo.team);
    const outcome = TASK_OUTCOME[wo.team]?.[r.outcome];
    if (task && outcome) {
      await this.ctx.deps.workflow.tasks.complete(
        task.id,
        { outcome, data: { report: r.report, ...(r.causeCode ? { causeCode: r.causeCode } : {}) } },
        agent,
      );
    } else {
      await this.ctx.db
        .transaction()
        .execute((trx) =>
          this.reportIn(
            trx,
            wo.id,
            { status: r.outcome, report: r.report, causeCode: r.causeCode ?? null },
            agent,
            this.ctx.now(),
          ),
        );
    }
    return this.get(String(wo.id));
  }

  private async openTask(instanceId: number | null, team: string) {
    if (!instanceId) return undefined;
    const inst = await this.ctx.deps.workflow.instances.get(instanceId);
    return inst.tasks.find(
      (t) => t.kind === 'human' && t.actor === team && (t.status === 'ready' || t.status === 'claimed'),
    );
  }

  /** The printable work order (A4 PDF) the technician takes to the MDF or the street. */
  async pdf(ref: string): Promise<{ number: string; body: Buffer }> {
    const wo = await this.get(ref);
    const body = await renderWorkOrder(wo);
    return { number: wo.number, body };
  }
}

const TEAM_LABELS: Record<string, string> = {
  mdf: 'Répartiteur',
  field: 'Équipe terrain',
  switching: 'Commutation',
  network_studies: 'Études réseau',
};

export function renderWorkOrder(wo: WorkOrderView): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const issued = new Date(wo.issuedAt);
    const doc = new PDFDocument({
      size: 'A4',
      margin: 50,
      info: { Title: `Ordre de travaux ${wo.number}`, Author: 'GPTo', CreationDate: issued },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (b: Buffer) => chunks.push(b));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.fontSize(10).fillColor('#555').text('GPTo — opérateur de télécommunications');
    doc.moveDown(1.5);
    doc.fontSize(18).fillColor('#000').text('Ordre de travaux');
    doc.fontSize(10).text(`${wo.number} — ${wo.issuedAt.slice(0, 10)}`);
    doc.moveDown();
    const facts: [string, string][] = [
      ['Équipe', TEAM_LABELS[wo.team] ?? wo.team],
      ['Zone', wo.zone ?? '—'],
      ['Ligne', wo.lineId ?? '—'],
      ['Dérangement', wo.faultNumber ?? '—'],
      ['Incident', wo.incidentNumber ?? '—'],
      ['État', wo.status],
    ];
    for (const [label, value] of facts)
      doc.font('Helvetica-Bold').text(`${label} : `, { continued: true }).font('Helvetica').text(value);
    doc.moveDown();
    doc.font('Helvetica-Bold').text('Travaux à effectuer');
    doc.font('Helvetica').text(wo.instructions, { width: 495 });
    doc.moveDown(2);
    doc.font('Helvetica-Bold').text('Compte rendu d’exécution');
    doc.font('Helvetica').text(wo.report ?? '\n\n\n', { width: 495 });
    doc.moveDown();
    doc.text(`Code cause : ${wo.causeCode ?? '________'}     Début : ________     Fin : ________`);
    doc.moveDown(2);
    doc.text('Signature du technicien : ____________________');
    doc.end();
  });
}
