import type { Tx } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import { decodeNumericCursor, pageOf, type Page } from '../../platform/http/pagination.js';
import { AssistanceError, asstConflict, asstInvalid, asstNotFound } from './assistance.errors.js';
import {
  approvableLevels,
  approvalLevel,
  minutesBetween,
  outageRebate,
  whyNotDecide,
} from './assistance.rules.js';
import type { ApprovalLevel, RebateMethod, RebateStatus } from './assistance.tables.js';
import { iso, nextNumber, type AssistanceContext } from './context.js';
import { lineSubscription } from './lookups.js';

export interface RebateRequest {
  /** The line the rebate is for (its payer is credited), or the customer (default payer). */
  line?: string;
  customer?: string;
  fault?: string;
  reason: string;
  /** A fixed amount, or an outage to compensate (minutes; from the fault's times when omitted). */
  amount?: number;
  outageMinutes?: number;
}

export interface RebateView {
  id: number;
  number: string;
  customerId: number;
  payerId: number;
  subscriptionId: number | null;
  lineId: string | null;
  faultNumber: string | null;
  complaintNumber: string | null;
  reason: string;
  method: RebateMethod;
  outageMinutes: number | null;
  monthlyPrice: number | null;
  amount: number;
  currency: string;
  approvalLevel: ApprovalLevel;
  status: RebateStatus;
  requestedAt: string;
  requestedBy: number | null;
  decidedAt: string | null;
  decidedBy: number | null;
  decisionNote: string | null;
}

/** Who decides, with the rights they hold (approval is bound to amount thresholds). */
export interface Approver extends Actor {
  rights: ReadonlySet<string>;
}

/**
 * Rebates (dégrèvements): a credit on the payer's account, fixed or computed from an outage and
 * the subscription's monthly price. A rebate is requested, then approved by someone else holding
 * the right for its amount: only then is the payer credited. Every step is an event (the audit).
 */
export class RebateService {
  constructor(private readonly ctx: AssistanceContext) {}

  /** Requests a rebate in the caller's transaction (a complaint's decision, the API). */
  async requestIn(
    trx: Tx,
    input: RebateRequest & { complaintId?: number },
    by: Actor,
    now: Date,
  ): Promise<{ id: number; number: string }> {
    let customerId: number;
    let payerId: number;
    let subscriptionId: number | null = null;
    let lineId: string | null = null;
    let monthlyPrice: number | null = null;
    let fault: { id: number; reported_at: Date; resolved_at: Date | null; line_id: string } | undefined;
    if (input.fault) {
      const ref = input.fault;
      let q = trx.selectFrom('asst_fault').select(['id', 'reported_at', 'resolved_at', 'line_id']);
      q = /^[0-9]+$/.test(ref) ? q.where('id', '=', Number(ref)) : q.where('number', '=', ref.toUpperCase());
      fault = await q.executeTakeFirst();
      if (!fault) throw asstInvalid('rebate.invalid', 'fault', `there is no fault ${ref}`);
    }
    const number = input.line ?? fault?.line_id;
    if (number) {
      const sub = await lineSubscription(trx, number);
      if (!sub) throw asstInvalid('rebate.invalid', 'line', `there is no line ${number}`);
      customerId = sub.customerId;
      payerId = sub.payerId;
      subscriptionId = sub.subscriptionId;
      lineId = sub.directoryNumber;
      monthlyPrice = sub.recurringPrice;
    } else if (input.customer) {
      const c = await this.ctx.deps.referential.customers.get(input.customer).catch(() => undefined);
      if (!c) throw asstInvalid('rebate.invalid', 'customer', `there is no customer ${input.customer}`);
      const payer = (await this.ctx.deps.referential.payers.listPayers(c.code)).find((p) => p.isDefault);
      if (!payer) throw asstInvalid('rebate.invalid', 'customer', `customer ${c.code} has no default payer`);
      customerId = c.id;
      payerId = payer.id;
    } else {
      throw asstInvalid('rebate.invalid', 'line', 'name the line, the fault or the customer to credit');
    }
    let method: RebateMethod = 'fixed';
    let amount = input.amount;
    let outage: number | null = null;
    if (amount === undefined) {
      outage =
        input.outageMinutes ?? (fault ? minutesBetween(fault.reported_at, fault.resolved_at ?? now) : null);
      if (outage === null)
        throw asstInvalid(
          'rebate.invalid',
          'amount',
          'give an amount, or an outage (outageMinutes or a fault)',
        );
      if (monthlyPrice === null)
        throw asstInvalid('rebate.invalid', 'line', 'an outage rebate needs the line and its monthly price');
      method = 'outage';
      amount = outageRebate(outage, monthlyPrice);
    }
    if (!Number.isSafeInteger(amount) || amount <= 0)
      throw asstInvalid('rebate.invalid', 'amount', 'the amount is a positive whole number of XOF');
    const level = approvalLevel(amount, this.ctx.config.rebateSmallLimit);
    const rebateNumber = await nextNumber(trx, 'asst_rebate_number_seq', 'DG', now);
    const row = await trx
      .insertInto('asst_rebate')
      .values({
        number: rebateNumber,
        customer_id: customerId,
        payer_id: payerId,
        subscription_id: subscriptionId,
        line_id: lineId,
        fault_id: fault?.id ?? null,
        complaint_id: input.complaintId ?? null,
        reason: input.reason,
        method,
        outage_minutes: method === 'outage' ? outage : null,
        monthly_price: method === 'outage' ? monthlyPrice : null,
        amount,
        currency: this.ctx.config.currency,
        approval_level: level,
        requested_at: now,
        requested_by: by.userId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendEvent(trx, {
      entityType: 'rebate',
      entityId: row.id,
      customerId,
      lineId,
      kind: 'rebate.requested',
      userId: by.userId,
      payload: {
        number: rebateNumber,
        amount,
        method,
        outageMinutes: outage,
        monthlyPrice: method === 'outage' ? monthlyPrice : null,
        approvalLevel: level,
        reason: input.reason,
      },
    });
    return { id: row.id, number: rebateNumber };
  }

  async request(input: RebateRequest, by: Actor): Promise<RebateView> {
    const { id } = await this.ctx.db
      .transaction()
      .execute((trx) => this.requestIn(trx, input, by, this.ctx.now()));
    return this.get(String(id));
  }

  /**
   * Approves and credits, or rejects. The approver holds the right for the rebate's amount and is
   * not the agent who asked for it (four eyes); the credit is in the same transaction.
   */
  async decide(
    ref: string,
    d: { decision: 'approve' | 'reject'; note?: string },
    by: Approver,
  ): Promise<RebateView> {
    const r = await this.get(ref);
    await this.ctx.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('asst_rebate')
        .selectAll()
        .where('id', '=', r.id)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const no = whyNotDecide(
        {
          status: row.status,
          approvalLevel: row.approval_level,
          amount: row.amount,
          currency: row.currency,
          requestedBy: row.requested_by,
        },
        by,
      );
      if (no)
        throw no.kind === 'conflict'
          ? asstConflict('rebate.state', `rebate ${row.number}: ${no.why}`)
          : new AssistanceError(no.kind, 'rebate.forbidden', no.why);
      const now = this.ctx.now();
      const status: RebateStatus = d.decision === 'approve' ? 'credited' : 'rejected';
      await trx
        .updateTable('asst_rebate')
        .set({ status, decided_at: now, decided_by: by.userId, decision_note: d.note ?? null })
        .where('id', '=', row.id)
        .execute();
      await appendEvent(trx, {
        entityType: 'rebate',
        entityId: row.id,
        customerId: row.customer_id,
        lineId: row.line_id,
        kind: d.decision === 'approve' ? 'rebate.approved' : 'rebate.rejected',
        userId: by.userId,
        payload: {
          number: row.number,
          amount: row.amount,
          approvalLevel: row.approval_level,
          note: d.note ?? null,
        },
      });
      // the billing ledger is the one writer of ledger entries (its credit() writes payer.credited)
      if (status === 'credited')
        await this.ctx.deps.billing.ledger.credit(
          trx,
          {
            payerId: row.payer_id,
            customerId: row.customer_id,
            amount: row.amount,
            description: `rebate ${row.number}: ${row.reason}`,
            source: { type: 'rebate', id: String(row.id) },
            lineId: row.line_id,
            at: now,
          },
          by,
        );
    });
    return this.get(String(r.id));
  }

  /** The rebate as this person sees it: may they approve or reject it now, and if not, why. */
  forDecider(
    r: RebateView,
    by: Approver,
  ): RebateView & { decision: { allowed: boolean; why: string | null } } {
    const no = whyNotDecide(r, by);
    return { ...r, decision: { allowed: no === null, why: no?.why ?? null } };
  }

  private base() {
    return this.ctx.db
      .selectFrom('asst_rebate as r')
      .leftJoin('asst_fault as f', 'f.id', 'r.fault_id')
      .leftJoin('asst_complaint as c', 'c.id', 'r.complaint_id')
      .selectAll('r')
      .select(['f.number as fault_number', 'c.number as complaint_number']);
  }

  private view(
    r: Awaited<ReturnType<ReturnType<RebateService['base']>['executeTakeFirstOrThrow']>>,
  ): RebateView {
    return {
      id: r.id,
      number: r.number,
      customerId: r.customer_id,
      payerId: r.payer_id,
      subscriptionId: r.subscription_id,
      lineId: r.line_id,
      faultNumber: r.fault_number,
      complaintNumber: r.complaint_number,
      reason: r.reason,
      method: r.method,
      outageMinutes: r.outage_minutes,
      monthlyPrice: r.monthly_price,
      amount: r.amount,
      currency: r.currency,
      approvalLevel: r.approval_level,
      status: r.status,
      requestedAt: new Date(r.requested_at).toISOString(),
      requestedBy: r.requested_by,
      decidedAt: iso(r.decided_at),
      decidedBy: r.decided_by,
      decisionNote: r.decision_note,
    };
  }

  async get(ref: string): Promise<RebateView> {
    let q = this.base();
    q = /^[0-9]+$/.test(ref)
      ? q.where('r.id', '=', Number(ref))
      : q.where('r.number', '=', ref.toUpperCase());
    const r = await q.executeTakeFirst();
    if (!r) throw asstNotFound('rebate.not_found', 'rebate', ref);
    return this.view(r);
  }

  async list(q: {
    status?: RebateStatus;
    level?: ApprovalLevel;
    customerId?: number;
    /** Only the rebates this person may decide now: `whyNotDecide`'s rule, in SQL, so pages stay full. */
    decidableBy?: Approver;
    cursor?: string;
    limit: number;
  }): Promise<Page<RebateView>> {
    let query = this.base();
    if (q.status) query = query.where('r.status', '=', q.status);
    if (q.level) query = query.where('r.approval_level', '=', q.level);
    if (q.customerId) query = query.where('r.customer_id', '=', q.customerId);
    if (q.decidableBy) {
      const levels = approvableLevels(q.decidableBy.rights);
      if (levels.length === 0) return { items: [] };
      query = query.where('r.status', '=', 'pending').where('r.approval_level', 'in', levels);
      // four eyes: never the agent who asked for it
      const me = q.decidableBy.userId;
      if (me !== null)
        query = query.where((eb) =>
          eb.or([eb('r.requested_by', 'is', null), eb('r.requested_by', '!=', me)]),
        );
    }
    const after = decodeNumericCursor(q.cursor);
    if (after !== undefined) query = query.where('r.id', '<', after);
    const rows = await query
      .orderBy('r.id', 'desc')
      .limit(q.limit + 1)
      .execute();
    const page = pageOf(rows, q.limit, (r) => [r.id]);
    return {
      items: page.items.map((r) => this.view(r)),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }
}
