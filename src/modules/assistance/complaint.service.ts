import { appendEvent, type Actor } from '../../platform/events.js';
import { decodeNumericCursor, pageOf, type Page } from '../../platform/http/pagination.js';
import { asstInvalid, asstNotFound } from './assistance.errors.js';
import { COMPLAINT } from './assistance.scenarios.js';
import type { ComplaintCategory, ComplaintStatus } from './assistance.tables.js';
import { iso, nextNumber, type AssistanceContext } from './context.js';
import { lineSubscription } from './lookups.js';

export interface ComplaintOpen {
  customer?: string;
  line?: string;
  category: ComplaintCategory;
  subject: string;
  description?: string;
  invoiceNumber?: string;
  disputedAmount?: number;
  fault?: string;
}

export interface ComplaintView {
  id: number;
  number: string;
  customerId: number;
  payerId: number;
  subscriptionId: number | null;
  lineId: string | null;
  category: ComplaintCategory;
  subject: string;
  description: string | null;
  invoiceNumber: string | null;
  disputedAmount: number | null;
  faultNumber: string | null;
  status: ComplaintStatus;
  decisionReason: string | null;
  rebate: { number: string; amount: number; status: string } | null;
  instanceId: number | null;
  openedAt: string;
  decidedAt: string | null;
}

/** Complaints (réclamations): a dispute investigated by the service concerned, then decided. */
export class ComplaintService {
  constructor(private readonly ctx: AssistanceContext) {}

  async open(input: ComplaintOpen, by: Actor): Promise<ComplaintView> {
    let customerId: number;
    let customerCode: string;
    let payerId: number;
    let subscriptionId: number | null = null;
    let lineId: string | null = null;
    if (input.line) {
      const sub = await lineSubscription(this.ctx.db, input.line.replace(/[\s.+-]/g, ''));
      if (!sub) throw asstInvalid('complaint.invalid', 'line', `there is no line ${input.line}`);
      customerId = sub.customerId;
      customerCode = sub.customerCode;
      payerId = sub.payerId;
      subscriptionId = sub.subscriptionId;
      lineId = sub.directoryNumber;
      if (
        input.customer &&
        input.customer.toUpperCase() !== sub.customerCode &&
        input.customer !== String(sub.customerId)
      )
        throw asstInvalid('complaint.invalid', 'line', `line ${lineId} is not customer ${input.customer}’s`);
    } else if (input.customer) {
      const c = await this.ctx.deps.referential.customers.get(input.customer).catch(() => undefined);
      if (!c) throw asstInvalid('complaint.invalid', 'customer', `there is no customer ${input.customer}`);
      const payer = (await this.ctx.deps.referential.payers.listPayers(c.code)).find((p) => p.isDefault);
      if (!payer)
        throw asstInvalid('complaint.invalid', 'customer', `customer ${c.code} has no default payer`);
      customerId = c.id;
      customerCode = c.code;
      payerId = payer.id;
    } else {
      throw asstInvalid('complaint.invalid', 'customer', 'name the customer or the line');
    }
    let faultId: number | null = null;
    if (input.fault) {
      const f = await this.ctx.db
        .selectFrom('asst_fault')
        .select(['id', 'customer_id'])
        .where('number', '=', input.fault.toUpperCase())
        .executeTakeFirst();
      if (!f || f.customer_id !== customerId)
        throw asstInvalid('complaint.invalid', 'fault', `there is no fault ${input.fault} of this customer`);
      faultId = f.id;
    }
    const now = this.ctx.now();
    const id = await this.ctx.db.transaction().execute(async (trx) => {
      const number = await nextNumber(trx, 'asst_complaint_number_seq', 'RC', now);
      const row = await trx
        .insertInto('asst_complaint')
        .values({
          number,
          customer_id: customerId,
          payer_id: payerId,
          subscription_id: subscriptionId,
          line_id: lineId,
          category: input.category,
          subject: input.subject,
          description: input.description ?? null,
          invoice_number: input.invoiceNumber ?? null,
          disputed_amount: input.disputedAmount ?? null,
          fault_id: faultId,
          opened_at: now,
          opened_by: by.userId,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await appendEvent(trx, {
        entityType: 'complaint',
        entityId: row.id,
        customerId,
        lineId,
        kind: 'complaint.opened',
        userId: by.userId,
        payload: {
          number,
          category: input.category,
          subject: input.subject,
          disputedAmount: input.disputedAmount ?? null,
        },
      });
      const instanceId = await this.ctx.deps.workflow.engine.start(trx, {
        scenarioCode: COMPLAINT.code,
        subjectType: 'complaint',
        subjectId: String(row.id),
        customerId,
        lineId,
        data: {
          complaint: { id: row.id, number },
          customer: { id: customerId, code: customerCode },
          category: input.category,
          subject: input.subject,
          invoiceNumber: input.invoiceNumber ?? null,
          disputedAmount: input.disputedAmount ?? null,
          line: lineId,
          faultNumber: input.fault ?? null,
        },
        by,
      });
      await trx
        .updateTable('asst_complaint')
        .set({ instance_id: instanceId })
        .where('id', '=', row.id)
        .execute();
      return row.id;
    });
    return this.get(String(id));
  }

  private base() {
    return this.ctx.db
      .selectFrom('asst_complaint as c')
      .leftJoin('asst_fault as f', 'f.id', 'c.fault_id')
      .leftJoin('asst_rebate as r', 'r.complaint_id', 'c.id')
      .selectAll('c')
      .select([
        'f.number as fault_number',
        'r.number as rebate_number',
        'r.amount as rebate_amount',
        'r.status as rebate_status',
      ]);
  }

  private view(
    r: Awaited<ReturnType<ReturnType<ComplaintService['base']>['executeTakeFirstOrThrow']>>,
  ): ComplaintView {
    return {
      id: r.id,
      number: r.number,
      customerId: r.customer_id,
      payerId: r.payer_id,
      subscriptionId: r.subscription_id,
      lineId: r.line_id,
      category: r.category,
      subject: r.subject,
      description: r.description,
      invoiceNumber: r.invoice_number,
      disputedAmount: r.disputed_amount,
      faultNumber: r.fault_number,
      status: r.status,
      decisionReason: r.decision_reason,
      rebate:
        r.rebate_number !== null
          ? { number: r.rebate_number, amount: r.rebate_amount ?? 0, status: r.rebate_status ?? '' }
          : null,
      instanceId: r.instance_id,
      openedAt: new Date(r.opened_at).toISOString(),
      decidedAt: iso(r.decided_at),
    };
  }

  async get(ref: string): Promise<ComplaintView> {
    let q = this.base();
    q = /^[0-9]+$/.test(ref)
      ? q.where('c.id', '=', Number(ref))
      : q.where('c.number', '=', ref.toUpperCase());
    const r = await q.executeTakeFirst();
    if (!r) throw asstNotFound('complaint.not_found', 'complaint', ref);
    return this.view(r);
  }

  async detail(ref: string) {
    const c = await this.get(ref);
    const [workflow, notifications] = await Promise.all([
      c.instanceId ? this.ctx.deps.workflow.instances.get(c.instanceId) : Promise.resolve(null),
      this.ctx.db
        .selectFrom('asst_notification')
        .select(['channel', 'recipient', 'text', 'created_at'])
        .where('complaint_id', '=', c.id)
        .orderBy('id')
        .execute(),
    ]);
    return {
      ...c,
      workflow,
      notifications: notifications.map((n) => ({
        channel: n.channel,
        recipient: n.recipient,
        text: n.text,
        at: iso(n.created_at),
      })),
    };
  }

  async list(q: {
    status?: ComplaintStatus;
    category?: ComplaintCategory;
    customerId?: number;
    olderThanHours?: number;
    cursor?: string;
    limit: number;
  }): Promise<Page<ComplaintView>> {
    let query = this.base();
    if (q.status) query = query.where('c.status', '=', q.status);
    if (q.category) query = query.where('c.category', '=', q.category);
    if (q.customerId) query = query.where('c.customer_id', '=', q.customerId);
    if (q.olderThanHours !== undefined)
      query = query.where(
        'c.opened_at',
        '<',
        new Date(this.ctx.now().getTime() - q.olderThanHours * 3600_000),
      );
    const after = decodeNumericCursor(q.cursor);
    if (after !== undefined) query = query.where('c.id', '<', after);
    const rows = await query
      .orderBy('c.id', 'desc')
      .limit(q.limit + 1)
      .execute();
    const page = pageOf(rows, q.limit, (r) => [r.id]);
    return {
      items: page.items.map((r) => this.view(r)),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }
}
