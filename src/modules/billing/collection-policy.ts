import type { Db } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import type { CollectionStage } from './cycle.tables.js';
import { BillingCycleError, invalidInput } from './cycle.errors.js';

export interface CollectionRule {
  category: string;
  reminderDay: number | null;
  limitationDay: number | null;
  suspensionDay: number | null;
  terminationDay: number | null;
  minAmount: number;
}

/** The stages a debt `days` overdue has reached under a rule, in order. */
export function stagesDue(
  rule: {
    reminder_day: number | null;
    limitation_day: number | null;
    suspension_day: number | null;
    termination_day: number | null;
  },
  days: number,
): CollectionStage[] {
  const out: CollectionStage[] = [];
  const steps: [CollectionStage, number | null][] = [
    ['reminder', rule.reminder_day],
    ['limitation', rule.limitation_day],
    ['suspension', rule.suspension_day],
    ['termination_proposal', rule.termination_day],
  ];
  for (const [stage, day] of steps) if (day !== null && days >= day) out.push(stage);
  return out;
}

/**
 * The collection policy the operator sets — rules per collection category, exemptions per
 * customer — and the cases it opened, as the back office reads them. The daily run is
 * `CollectionService` (collection.service.ts).
 */
export class CollectionPolicy {
  constructor(protected readonly db: Db) {}

  async setRule(rule: CollectionRule, by: Actor): Promise<CollectionRule> {
    const cat = await this.db
      .selectFrom('category')
      .select('id')
      .where('kind', '=', 'collection')
      .where('code', '=', rule.category.toUpperCase())
      .executeTakeFirst();
    if (!cat)
      throw new BillingCycleError(
        'not_found',
        'collection.category_not_found',
        `no collection category ${rule.category}`,
        'category',
      );
    const days = [rule.reminderDay, rule.limitationDay, rule.suspensionDay, rule.terminationDay].filter(
      (d): d is number => d !== null,
    );
    if (days.some((d, i) => i > 0 && d < days[i - 1]!))
      throw invalidInput(
        'days',
        'the days of the steps go up: reminder ≤ limitation ≤ suspension ≤ termination',
      );
    const values = {
      reminder_day: rule.reminderDay,
      limitation_day: rule.limitationDay,
      suspension_day: rule.suspensionDay,
      termination_day: rule.terminationDay,
      min_amount: rule.minAmount,
      updated_at: new Date(),
    };
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('billing_collection_rule')
        .values({ category_id: cat.id, ...values })
        .onConflict((oc) => oc.column('category_id').doUpdateSet(values))
        .execute();
      await appendEvent(trx, {
        entityType: 'category',
        entityId: cat.id,
        kind: 'collection.rule_set',
        userId: by.userId,
        payload: { ...rule },
      });
    });
    return rule;
  }

  async rules(): Promise<CollectionRule[]> {
    const rows = await this.db
      .selectFrom('billing_collection_rule as r')
      .innerJoin('category as c', 'c.id', 'r.category_id')
      .select([
        'c.code',
        'r.reminder_day',
        'r.limitation_day',
        'r.suspension_day',
        'r.termination_day',
        'r.min_amount',
      ])
      .orderBy('c.code')
      .execute();
    return rows.map((r) => ({
      category: r.code,
      reminderDay: r.reminder_day,
      limitationDay: r.limitation_day,
      suspensionDay: r.suspension_day,
      terminationDay: r.termination_day,
      minAmount: r.min_amount,
    }));
  }

  async exempt(
    input: { customer: string; reason: string; until?: string | null; at: Date },
    by: Actor,
  ): Promise<number> {
    const c = await this.db
      .selectFrom('customer')
      .select('id')
      .where('code', '=', input.customer.toUpperCase())
      .executeTakeFirst();
    if (!c)
      throw new BillingCycleError(
        'not_found',
        'customer.not_found',
        `customer ${input.customer} does not exist`,
        'customer',
      );
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('billing_collection_exemption')
        .values({
          customer_id: c.id,
          reason: input.reason,
          until: input.until ?? null,
          created_at: input.at,
          created_by: by.userId,
          lifted_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await appendEvent(trx, {
        entityType: 'customer',
        entityId: c.id,
        customerId: c.id,
        kind: 'collection.exempted',
        userId: by.userId,
        payload: { exemptionId: row.id, reason: input.reason, until: input.until ?? null },
      });
      return row.id;
    });
  }

  async liftExemption(id: number, at: Date, by: Actor): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const x = await trx
        .updateTable('billing_collection_exemption')
        .set({ lifted_at: at })
        .where('id', '=', id)
        .where('lifted_at', 'is', null)
        .returning(['customer_id'])
        .executeTakeFirst();
      if (!x) throw new BillingCycleError('not_found', 'customer.not_found', `no active exemption ${id}`);
      await appendEvent(trx, {
        entityType: 'customer',
        entityId: x.customer_id,
        customerId: x.customer_id,
        kind: 'collection.exemption_lifted',
        userId: by.userId,
        payload: { exemptionId: id },
      });
    });
  }

  async cases(q: { open?: boolean; payerId?: number; limit: number }) {
    let query = this.db.selectFrom('billing_collection_case').selectAll();
    if (q.open) query = query.where('closed_at', 'is', null);
    if (q.payerId) query = query.where('payer_id', '=', q.payerId);
    const rows = await query.orderBy('id', 'desc').limit(q.limit).execute();
    const actions = rows.length
      ? await this.db
          .selectFrom('billing_collection_action')
          .selectAll()
          .where(
            'case_id',
            'in',
            rows.map((r) => r.id),
          )
          .orderBy('id')
          .execute()
      : [];
    return rows.map((r) => ({
      id: r.id,
      payerId: r.payer_id,
      customerId: r.customer_id,
      stage: r.stage,
      openedAt: new Date(r.opened_at).toISOString(),
      closedAt: r.closed_at ? new Date(r.closed_at).toISOString() : null,
      closeReason: r.close_reason,
      actions: actions
        .filter((a) => a.case_id === r.id)
        .map((a) => ({
          stage: a.stage,
          at: new Date(a.at).toISOString(),
          debt: a.debt,
          daysOverdue: a.days_overdue,
          subscriptionId: a.subscription_id,
          request: a.request_ref,
        })),
    }));
  }
}
