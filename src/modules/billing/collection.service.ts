import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import { payerOwes } from './collection-handlers.js';
import {
  DEBT_SETTLED,
  LIMITATION_SCENARIO,
  RESTORATION_SCENARIO,
  SUSPENSION_SCENARIO,
} from './collection-scenario.js';
import type { CollectionStage } from './cycle.tables.js';
import { CollectionPolicy, stagesDue } from './collection-policy.js';

/**
 * What collection needs from the service requests and the workflow, wired by the module factory
 * from their public services: limitation, suspension and restoration are service requests whose
 * scenarios (collection-scenario.ts) have the activation automaton act on the network element.
 */
export interface CollectionPorts {
  startRequest(
    input: {
      kind: 'access_change' | 'suspension' | 'restoration';
      customer: string;
      payerId: number;
      subscriptionId: number;
      scenario?: string;
      accessChange?: { change: string; until: string };
      details: Record<string, unknown>;
    },
    by: Actor,
  ): Promise<{ number: string }>;
  requestStatus(ref: string): Promise<string>;
  cancelRequest(ref: string, reason: string, by: Actor): Promise<void>;
  signal(event: string, payload: Record<string, unknown>, by: Actor): Promise<number[]>;
}

export interface CollectionRunReport {
  date: string;
  debtors: number;
  reminders: number;
  limitations: number;
  suspensions: number;
  terminationProposals: number;
  restored: number;
  requests: string[];
  errors: { payerId: number; stage: string; error: string }[];
}

const ORDER: CollectionStage[] = ['open', 'reminder', 'limitation', 'suspension', 'termination_proposal'];
const rank = (s: CollectionStage) => ORDER.indexOf(s);

interface Debtor {
  payer_id: number;
  customer_id: number;
  customer_code: string;
  oldest_due: Date;
  debt: number;
  days: number;
  reminder_day: number | null;
  limitation_day: number | null;
  suspension_day: number | null;
  termination_day: number | null;
}

/**
 * Collection (dunning), run daily: for each payer with an invoice past due and a debt of at least
 * the rule's minimum, the steps of its customer's collection category that are due happen once
 * each, in order — reminder, limitation (outgoing calls barred), suspension, termination
 * proposal — unless the customer is exempt. When the debt is paid the lines are restored
 * automatically. Every step is an event on the customer's timeline.
 */
export class CollectionService extends CollectionPolicy {
  constructor(
    db: Db,
    private readonly ports: CollectionPorts,
  ) {
    super(db);
  }

  private async debtors(at: Date, afterPayer: number, limit: number, payerId?: number): Promise<Debtor[]> {
    const r = await sql<Debtor>`
      WITH overdue AS (
        SELECT payer_id, min(due_at) AS oldest_due FROM billing_invoice
        WHERE status = 'open' AND due_at < ${at} AND payer_id > ${afterPayer}
          ${payerId ? sql`AND payer_id = ${payerId}` : sql``}
        GROUP BY payer_id ORDER BY payer_id LIMIT ${limit}
      )
      SELECT o.payer_id, p.customer_id, cu.code AS customer_code, o.oldest_due,
             bal.debt::bigint AS debt,
             floor(extract(epoch FROM (${at}::timestamptz - o.oldest_due)) / 86400)::int AS days,
             r.reminder_day, r.limitation_day, r.suspension_day, r.termination_day
      FROM overdue o
      JOIN payer p ON p.id = o.payer_id
      JOIN customer cu ON cu.id = p.customer_id
      JOIN billing_collection_rule r ON r.category_id = cu.collection_id
      CROSS JOIN LATERAL (SELECT coalesce(sum(amount), 0) AS debt FROM billing_ledger_entry e
                          WHERE e.payer_id = o.payer_id AND e.account = 'receivable') bal
      WHERE bal.debt >= r.min_amount
        AND NOT EXISTS (SELECT 1 FROM billing_collection_exemption x
                        WHERE x.customer_id = p.customer_id AND x.lifted_at IS NULL
                          AND (x.until IS NULL OR x.until >= (${at}::timestamptz AT TIME ZONE 'UTC')::date))
      ORDER BY o.payer_id`.execute(this.db);
    return r.rows;
  }

  /** The daily run: steps due for every debtor, then restoration of the payers who paid. */
  async run(at: Date, by: Actor): Promise<CollectionRunReport> {
    const report: CollectionRunReport = {
      date: at.toISOString(),
      debtors: 0,
      reminders: 0,
      limitations: 0,
      suspensions: 0,
      terminationProposals: 0,
      restored: 0,
      requests: [],
      errors: [],
    };
    let after = 0;
    // pages of payers with overdue invoices; a page may be short after the rule and debt filters
    for (;;) {
      const page = await this.debtors(at, after, 500);
      const last = await sql<{ m: number | null }>`
        SELECT max(payer_id)::bigint AS m FROM (SELECT DISTINCT payer_id FROM billing_invoice
          WHERE status = 'open' AND due_at < ${at} AND payer_id > ${after} ORDER BY payer_id LIMIT 500) x`.execute(
        this.db,
      );
      for (const d of page) {
        report.debtors++;
        await this.advance(d, at, by, report);
      }
      const m = last.rows[0]?.m;
      if (m === null || m === undefined) break;
      after = Number(m);
    }
    report.restored += await this.restoreSettled(at, by);
    // a payment can arrive before a limitation reached its hold: say it again to late holds
    const recent = await this.db
      .selectFrom('billing_collection_case as c')
      .select('c.payer_id')
      .where('c.closed_at', '>=', new Date(at.getTime() - 30 * 86_400_000))
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('billing_collection_action as a')
            .select('a.id')
            .whereRef('a.case_id', '=', 'c.id')
            .where('a.stage', '=', 'limitation'),
        ),
      )
      .execute();
    for (const c of recent) await this.ports.signal(DEBT_SETTLED, { payerId: c.payer_id }, by);
    return report;
  }

  private async advance(d: Debtor, at: Date, by: Actor, report: CollectionRunReport): Promise<void> {
    const due = stagesDue(d, d.days);
    if (due.length === 0) return;
    const kase = await this.db.transaction().execute(async (trx) => {
      const open = await trx
        .selectFrom('billing_collection_case')
        .selectAll()
        .where('payer_id', '=', d.payer_id)
        .where('closed_at', 'is', null)
        .forUpdate()
        .executeTakeFirst();
      if (open) return open;
      const created = await trx
        .insertInto('billing_collection_case')
        .values({
          payer_id: d.payer_id,
          customer_id: d.customer_id,
          stage: 'open',
          opened_at: at,
          updated_at: at,
          closed_at: null,
          close_reason: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await appendEvent(trx, {
        entityType: 'payer',
        entityId: d.payer_id,
        customerId: d.customer_id,
        kind: 'collection.opened',
        userId: by.userId,
        payload: {
          caseId: created.id,
          debt: Number(d.debt),
          oldestDue: new Date(d.oldest_due).toISOString(),
        },
      });
      return created;
    });
    for (const stage of due) {
      if (rank(stage) <= rank(kase.stage)) continue;
      try {
        await this.step(kase.id, stage, d, at, by, report);
        kase.stage = stage;
      } catch (err) {
        report.errors.push({
          payerId: d.payer_id,
          stage,
          error: err instanceof Error ? err.message : String(err),
        });
        return;
      }
    }
  }

  private async step(
    caseId: number,
    stage: CollectionStage,
    d: Debtor,
    at: Date,
    by: Actor,
    report: CollectionRunReport,
  ): Promise<void> {
    const debt = Number(d.debt);
    const lines =
      stage === 'limitation' || stage === 'suspension'
        ? await this.db
            .selectFrom('subscription')
            .select(['id', 'directory_number'])
            .where('payer_id', '=', d.payer_id)
            .where('parent_id', 'is', null)
            .where('status', '=', 'active')
            .orderBy('id')
            .execute()
        : [];
    // Each line's request is started, then recorded with its number at once: a run interrupted in
    // between starts again after the lines already done.
    const done = new Set(
      (
        await this.db
          .selectFrom('billing_collection_action')
          .select('subscription_id')
          .where('case_id', '=', caseId)
          .where('stage', '=', stage)
          .execute()
      ).map((a) => a.subscription_id),
    );
    const base = {
      case_id: caseId,
      payer_id: d.payer_id,
      customer_id: d.customer_id,
      stage,
      debt,
      days_overdue: d.days,
      at,
    };
    let started = 0;
    for (const l of lines) {
      if (done.has(l.id)) continue;
      const details = { collectionCase: caseId, debt, daysOverdue: d.days };
      const r =
        stage === 'limitation'
          ? await this.ports.startRequest(
              {
                kind: 'access_change',
                scenario: LIMITATION_SCENARIO,
                customer: d.customer_code,
                payerId: d.payer_id,
                subscriptionId: l.id,
                accessChange: {
                  change: 'outgoing_barred',
                  until: new Date(at.getTime() + 365 * 86_400_000).toISOString(),
                },
                details,
              },
              by,
            )
          : await this.ports.startRequest(
              {
                kind: 'suspension',
                scenario: SUSPENSION_SCENARIO,
                customer: d.customer_code,
                payerId: d.payer_id,
                subscriptionId: l.id,
                details,
              },
              by,
            );
      report.requests.push(r.number);
      started++;
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('billing_collection_action')
          .values({
            ...base,
            subscription_id: l.id,
            request_ref: r.number,
            detail: JSON.stringify({ line: l.directory_number }),
          })
          .execute();
        await appendEvent(trx, {
          entityType: 'payer',
          entityId: d.payer_id,
          customerId: d.customer_id,
          lineId: l.directory_number,
          kind: `collection.${stage}`,
          userId: by.userId,
          payload: { caseId, debt, daysOverdue: d.days, request: r.number, subscriptionId: l.id },
        });
      });
    }
    await this.db.transaction().execute(async (trx) => {
      if (lines.length === 0) {
        await trx
          .insertInto('billing_collection_action')
          .values({ ...base, subscription_id: null, request_ref: null, detail: '{}' })
          .execute();
        await appendEvent(trx, {
          entityType: 'payer',
          entityId: d.payer_id,
          customerId: d.customer_id,
          kind: `collection.${stage}`,
          userId: by.userId,
          payload: { caseId, debt, daysOverdue: d.days, oldestDue: new Date(d.oldest_due).toISOString() },
        });
      }
      await trx
        .updateTable('billing_collection_case')
        .set({ stage, updated_at: at })
        .where('id', '=', caseId)
        .execute();
    });
    if (stage === 'reminder') report.reminders++;
    else if (stage === 'limitation') report.limitations += started;
    else if (stage === 'suspension') report.suspensions += started;
    else if (stage === 'termination_proposal') report.terminationProposals++;
  }

  /** Restores the lines of a payer whose debt is paid (called after each payment and daily). */
  async settle(payerId: number, at: Date, by: Actor): Promise<boolean> {
    const kase = await this.db
      .selectFrom('billing_collection_case')
      .selectAll()
      .where('payer_id', '=', payerId)
      .where('closed_at', 'is', null)
      .executeTakeFirst();
    if (!kase || (await payerOwes(this.db, payerId, at))) return false;
    const actions = await this.db
      .selectFrom('billing_collection_action')
      .selectAll()
      .where('case_id', '=', kase.id)
      .orderBy('id')
      .execute();
    const restorations: { subscriptionId: number; request: string; action: 'restoration' | 'cancelled' }[] =
      [];
    for (const a of actions.filter((x) => x.stage === 'suspension' && x.request_ref && x.subscription_id)) {
      const status = await this.ports.requestStatus(a.request_ref!);
      if (status === 'open') {
        await this.ports.cancelRequest(a.request_ref!, 'debt paid', by);
        restorations.push({
          subscriptionId: a.subscription_id!,
          request: a.request_ref!,
          action: 'cancelled',
        });
      }
      const line = await this.db
        .selectFrom('subscription')
        .select(['status', 'customer_id'])
        .where('id', '=', a.subscription_id!)
        .executeTakeFirst();
      // A suspension cancelled after it suspended the subscription may have had its element order
      // sent already: a restoration follows (its order runs after that one, orders of a line run
      // in order), so the line always ends restored on the network too.
      if ((status === 'completed' || status === 'open') && line?.status === 'suspended') {
        const cu = await this.db
          .selectFrom('customer')
          .select('code')
          .where('id', '=', line.customer_id)
          .executeTakeFirstOrThrow();
        const r = await this.ports.startRequest(
          {
            kind: 'restoration',
            scenario: RESTORATION_SCENARIO,
            customer: cu.code,
            payerId,
            subscriptionId: a.subscription_id!,
            details: { collectionCase: kase.id },
          },
          by,
        );
        restorations.push({ subscriptionId: a.subscription_id!, request: r.number, action: 'restoration' });
      }
    }
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('billing_collection_case')
        .set({ closed_at: at, close_reason: 'debt paid', updated_at: at })
        .where('id', '=', kase.id)
        .execute();
      await appendEvent(trx, {
        entityType: 'payer',
        entityId: payerId,
        customerId: kase.customer_id,
        kind: 'collection.restored',
        userId: by.userId,
        payload: { caseId: kase.id, stage: kase.stage, restorations },
      });
    });
    if (actions.some((a) => a.stage === 'limitation')) await this.ports.signal(DEBT_SETTLED, { payerId }, by);
    return true;
  }

  private async restoreSettled(at: Date, by: Actor): Promise<number> {
    const open = await this.db
      .selectFrom('billing_collection_case')
      .select('payer_id')
      .where('closed_at', 'is', null)
      .execute();
    let n = 0;
    for (const c of open) if (await this.settle(c.payer_id, at, by)) n++;
    return n;
  }
}
