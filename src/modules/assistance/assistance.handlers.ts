import { appendEvent } from '../../platform/events.js';
import type { Data, HandlerRegistry, TaskContext } from '../workflow/index.js';
import { AssistanceError, asstInvalid } from './assistance.errors.js';
import type { Verdict } from './assistance.rules.js';
import type { AssistanceContext } from './context.js';
import type { RebateService } from './rebate.service.js';
import { WORK_ORDER_TEAMS, type WorkOrderService } from './work-order.service.js';

const VERDICTS: Verdict[] = ['incident', 'switch', 'mdf', 'field'];

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

function faultOf(ctx: TaskContext): { id: number; number: string } {
  const f = ctx.instance.data.fault as { id: number; number: string } | undefined;
  if (!f) throw new AssistanceError('conflict', 'fault.state', 'this workflow is not a fault’s');
  return f;
}

function complaintOf(ctx: TaskContext): { id: number; number: string } {
  const c = ctx.instance.data.complaint as { id: number; number: string } | undefined;
  if (!c) throw new AssistanceError('conflict', 'complaint.state', 'this workflow is not a complaint’s');
  return c;
}

const CHAIN_TEXT = (chain: Data | null): string => {
  if (!chain) return 'constitution de ligne inconnue';
  const c = chain as {
    equipmentNumber?: string | null;
    mdfHorizontal?: string | null;
    mdfVertical?: string | null;
    primaryPair?: { cable: string; number: number } | null;
    sdf?: string | null;
    distributionPair?: { cable: string; number: number } | null;
    cp?: string | null;
    baseStation?: string | null;
  };
  return [
    c.equipmentNumber && `NE ${c.equipmentNumber}`,
    c.mdfHorizontal && `rép. ${c.mdfHorizontal}`,
    c.mdfVertical && `${c.mdfVertical}`,
    c.primaryPair && `paire ${c.primaryPair.cable}/${c.primaryPair.number}`,
    c.sdf && `SR ${c.sdf}`,
    c.distributionPair && `paire ${c.distributionPair.cable}/${c.distributionPair.number}`,
    c.cp && `PC ${c.cp}`,
    c.baseStation && `BTS ${c.baseStation}`,
  ]
    .filter(Boolean)
    .join(', ');
};

/** Registers the fault and complaint steps the assistance scenarios name, and their end hooks. */
export function registerAssistanceHandlers(
  registry: HandlerRegistry,
  ctx: AssistanceContext,
  s: { workOrders: WorkOrderService; rebates: RebateService },
): void {
  registry.task('fault.triage', async (t) => {
    const d = t.instance.data.diagnosis as { verdict?: string } | undefined;
    const verdict = VERDICTS.find((v) => v === d?.verdict) ?? 'switch';
    return { outcome: verdict };
  });

  // The team is named by the node (`wo_mdf`, `wo_field`): an operator adds a team by adding a node.
  registry.task('fault.issue_work_order', async (t) => {
    const f = faultOf(t);
    const team = t.task.node.replace(/^wo_/, '');
    if (!(WORK_ORDER_TEAMS as readonly string[]).includes(team))
      throw new AssistanceError(
        'conflict',
        'work_order.invalid',
        `node ${t.task.node} names no team (wo_<team>)`,
      );
    const data = t.instance.data;
    const diag = data.diagnosis as { why?: string } | undefined;
    const previous = Object.entries((data.outcomes as Data | undefined) ?? {})
      .map(([k, v]) => `${k}: ${String(v)}`)
      .join(', ');
    const instructions = [
      `Dérangement ${f.number} sur la ligne ${String(data.line)} (${String(data.productKind)}).`,
      `Constitution : ${CHAIN_TEXT((data.chain as Data | null) ?? null)}.`,
      `Premier diagnostic : ${diag?.why ?? '—'}.`,
      previous ? `Étapes précédentes : ${previous}.` : '',
      team === 'mdf'
        ? 'Tester la paire au répartiteur, vérifier la jarretière, réparer ou orienter vers le terrain.'
        : 'Intervenir sur le réseau de distribution et chez le client, rétablir la ligne, rédiger le compte rendu.',
    ]
      .filter(Boolean)
      .join('\n');
    const wo = await s.workOrders.issueIn(
      t.trx,
      {
        faultId: f.id,
        customerId: t.instance.customerId,
        lineId: t.instance.lineId,
        team,
        zone: str(data.zone),
        instructions,
      },
      t.by,
      t.now,
    );
    return { outcome: 'issued', data: { workOrder: wo } };
  });

  const recordRepair = async (t: TaskContext) => {
    const f = faultOf(t);
    const causeCode = str(t.input.causeCode);
    const report = str(t.input.report);
    await appendEvent(t.trx, {
      entityType: 'fault',
      entityId: f.id,
      customerId: t.instance.customerId,
      lineId: t.instance.lineId,
      kind: 'fault.step_reported',
      userId: t.by.userId,
      payload: { number: f.number, step: t.task.node, outcome: t.outcome ?? null, causeCode, report },
    });
    if (t.outcome === 'repaired')
      await t.trx
        .updateTable('asst_fault')
        .set({ cause_code: causeCode, resolution: report })
        .where('id', '=', f.id)
        .execute();
  };

  registry.task('fault.test_report', async (t) => {
    await recordRepair(t);
  });

  // The MDF or field task ends the work order it was issued with, in the same transaction.
  registry.task('fault.work_report', async (t) => {
    await recordRepair(t);
    const wo = t.instance.data.workOrder as { id: number } | undefined;
    if (!wo) return;
    const row = await t.trx
      .selectFrom('asst_work_order')
      .select('status')
      .where('id', '=', wo.id)
      .executeTakeFirst();
    if (!row || row.status === 'done' || row.status === 'failed') return;
    await s.workOrders.reportIn(
      t.trx,
      wo.id,
      {
        status: t.outcome === 'repaired' ? 'done' : 'failed',
        report: str(t.input.report),
        causeCode: str(t.input.causeCode),
      },
      t.by,
      t.now,
    );
  });

  registry.task('fault.notify', async (t) => {
    const f = faultOf(t);
    const outcomes = (t.instance.data.outcomes as Data | undefined) ?? {};
    const unresolved = outcomes.review === 'unresolved';
    const incident = outcomes.wait_incident === 'resumed';
    const text = unresolved
      ? `GPTo : votre dérangement ${f.number} sur la ligne ${String(t.instance.data.line)} n’a pas pu être réparé pour le moment. Un conseiller vous rappellera.`
      : incident
        ? `GPTo : l’incident réseau qui affectait votre ligne ${String(t.instance.data.line)} est réparé (dérangement ${f.number}). Merci de votre patience.`
        : `GPTo : votre ligne ${String(t.instance.data.line)} est rétablie (dérangement ${f.number}). Si le problème persiste, rappelez le service client.`;
    const fault = await t.trx
      .selectFrom('asst_fault')
      .select(['contact_phone', 'customer_id', 'line_id'])
      .where('id', '=', f.id)
      .executeTakeFirstOrThrow();
    await t.trx
      .insertInto('asst_notification')
      .values({
        customer_id: fault.customer_id,
        line_id: fault.line_id,
        fault_id: f.id,
        channel: 'sms',
        recipient: fault.contact_phone,
        text,
        created_at: t.now,
      })
      .execute();
    await appendEvent(t.trx, {
      entityType: 'fault',
      entityId: f.id,
      customerId: fault.customer_id,
      lineId: fault.line_id,
      kind: 'fault.notified',
      userId: t.by.userId,
      payload: { number: f.number, channel: 'sms', text },
    });
    return { outcome: 'sent' };
  });

  // The scenario's end is the repair: the ticket is resolved (closed later, with the customer).
  registry.subject('fault', {
    onEnd: async (trx, inst, result, _reason, by, now) => {
      if (result !== 'completed') return;
      const id = Number.parseInt(inst.subjectId, 10);
      const f = await trx
        .updateTable('asst_fault')
        .set({ status: 'resolved', resolved_at: now })
        .where('id', '=', id)
        .where('status', '=', 'open')
        .returning(['number', 'customer_id', 'line_id', 'cause_code'])
        .executeTakeFirst();
      if (!f) return;
      await appendEvent(trx, {
        entityType: 'fault',
        entityId: id,
        customerId: f.customer_id,
        lineId: f.line_id,
        kind: 'fault.resolved',
        userId: by.userId,
        payload: { number: f.number, causeCode: f.cause_code },
      });
    },
  });

  registry.task('complaint.investigation', async (t) => {
    const c = complaintOf(t);
    await appendEvent(t.trx, {
      entityType: 'complaint',
      entityId: c.id,
      customerId: t.instance.customerId,
      lineId: t.instance.lineId,
      kind: 'complaint.investigated',
      userId: t.by.userId,
      payload: {
        number: c.number,
        findings: str(t.input.findings),
        recommendedAmount: t.input.recommendedAmount ?? null,
      },
    });
  });

  // An accepted complaint gives a rebate, requested now and credited once approved.
  registry.task('complaint.decide', async (t) => {
    const c = complaintOf(t);
    const accepted = t.outcome === 'accepted';
    const reason = str(t.input.reason) ?? '';
    let rebate: { id: number; number: string } | null = null;
    if (accepted) {
      const investigate = (t.instance.data.investigate as Data | undefined) ?? {};
      const amount =
        (typeof t.input.amount === 'number' ? t.input.amount : undefined) ??
        (typeof t.input.outageMinutes === 'number'
          ? undefined
          : ((t.instance.data.disputedAmount as number | null) ??
            (investigate.recommendedAmount as number | undefined)));
      const outage = typeof t.input.outageMinutes === 'number' ? t.input.outageMinutes : undefined;
      if (amount === undefined && outage === undefined)
        throw asstInvalid(
          'complaint.invalid',
          'data.amount',
          'an accepted complaint needs the rebate amount (or outageMinutes)',
        );
      const row = await t.trx
        .selectFrom('asst_complaint')
        .select(['line_id', 'customer_id'])
        .where('id', '=', c.id)
        .executeTakeFirstOrThrow();
      const customer = t.instance.data.customer as { code: string } | undefined;
      rebate = await s.rebates.requestIn(
        t.trx,
        {
          ...(row.line_id ? { line: row.line_id } : { customer: customer?.code ?? String(row.customer_id) }),
          reason: `complaint ${c.number}: ${reason}`,
          ...(amount !== undefined ? { amount } : {}),
          ...(outage !== undefined ? { outageMinutes: outage } : {}),
          complaintId: c.id,
        },
        t.by,
        t.now,
      );
    }
    const row = await t.trx
      .updateTable('asst_complaint')
      .set({
        status: accepted ? 'accepted' : 'rejected',
        decision_reason: reason,
        decided_at: t.now,
        decided_by: t.by.userId,
      })
      .where('id', '=', c.id)
      .returning(['customer_id', 'line_id'])
      .executeTakeFirstOrThrow();
    await appendEvent(t.trx, {
      entityType: 'complaint',
      entityId: c.id,
      customerId: row.customer_id,
      lineId: row.line_id,
      kind: 'complaint.decided',
      userId: t.by.userId,
      payload: { number: c.number, decision: t.outcome ?? null, reason, rebate: rebate?.number ?? null },
    });
    return { data: { rebate } };
  });

  registry.task('complaint.reply', async (t) => {
    const c = complaintOf(t);
    const row = await t.trx
      .selectFrom('asst_complaint as c')
      .leftJoin('asst_rebate as r', 'r.complaint_id', 'c.id')
      .select([
        'c.customer_id',
        'c.line_id',
        'c.status',
        'c.decision_reason',
        'c.subject',
        'r.amount',
        'r.currency',
      ])
      .where('c.id', '=', c.id)
      .executeTakeFirstOrThrow();
    const text =
      row.status === 'accepted'
        ? `Objet : votre réclamation ${c.number} (${row.subject}).\nNous avons examiné votre réclamation et y donnons une suite favorable : ${row.decision_reason ?? ''}.\nUn dégrèvement de ${row.amount ?? 0} ${row.currency ?? ctx.config.currency} sera porté au crédit de votre compte dès sa validation.`
        : `Objet : votre réclamation ${c.number} (${row.subject}).\nAprès examen, nous ne pouvons donner une suite favorable à votre réclamation : ${row.decision_reason ?? ''}.`;
    await t.trx
      .insertInto('asst_notification')
      .values({
        customer_id: row.customer_id,
        line_id: row.line_id,
        complaint_id: c.id,
        channel: 'letter',
        recipient: null,
        text,
        created_at: t.now,
      })
      .execute();
    await appendEvent(t.trx, {
      entityType: 'complaint',
      entityId: c.id,
      customerId: row.customer_id,
      lineId: row.line_id,
      kind: 'complaint.replied',
      userId: t.by.userId,
      payload: { number: c.number, channel: 'letter' },
    });
    return { outcome: 'sent' };
  });
}
