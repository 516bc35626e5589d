import { sql } from 'kysely';
import { decodeNumericCursor, pageOf, type Page } from '../../platform/http/pagination.js';
import type { FaultStatus } from './assistance.tables.js';
import type { AssistanceContext } from './context.js';
import { faultQuery, toFault, type FaultView } from './fault.service.js';

export interface FaultFilter {
  status?: FaultStatus;
  zone?: string;
  /** Faults whose open task sits in this actor's basket (switching, mdf, field, supervision…). */
  actor?: string;
  customerId?: number;
  line?: string;
  overdue?: boolean;
  olderThanHours?: number;
  cursor?: string;
  limit: number;
}

/** Follow-up: lists by actor, zone, status and age; volumes per day and times to repair for charts. */
export class FollowUpService {
  constructor(private readonly ctx: AssistanceContext) {}

  async faults(q: FaultFilter): Promise<Page<FaultView>> {
    const now = this.ctx.now();
    let query = faultQuery(this.ctx.db);
    if (q.status) query = query.where('f.status', '=', q.status);
    if (q.zone) query = query.where('f.zone', '=', q.zone.toUpperCase());
    if (q.customerId) query = query.where('f.customer_id', '=', q.customerId);
    if (q.line) query = query.where('f.line_id', '=', q.line);
    if (q.overdue) query = query.where('f.status', '=', 'open').where('f.due_at', '<', now);
    if (q.olderThanHours !== undefined)
      query = query.where('f.reported_at', '<', new Date(now.getTime() - q.olderThanHours * 3600_000));
    if (q.actor) {
      // The actor's basket (the workflow's subquery), narrowed to fault instances; a reopened
      // fault's later rounds are subjects `<id>-<round>`.
      const inBasket = this.ctx.deps.workflow.tasks.basketSubjectIds(q.actor, 'fault');
      query = query.where(
        sql<boolean>`f.id IN (SELECT split_part(b.subject_id, '-', 1)::bigint FROM (${inBasket}) b)`,
      );
    }
    const after = decodeNumericCursor(q.cursor);
    if (after !== undefined) query = query.where('f.id', '<', after);
    const rows = await query
      .orderBy('f.id', 'desc')
      .limit(q.limit + 1)
      .execute();
    const page = pageOf(rows, q.limit, (r) => [r.id]);
    return {
      items: page.items.map((r) => toFault(r, now)),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  /** Daily volumes over the last `days` days and the mean time to repair (hours) of resolved faults. */
  async stats(days: number) {
    const now = this.ctx.now();
    const since = new Date(now.getTime() - days * 86_400_000);
    const perDay = await sql<{ day: string; kind: string; n: number }>`
      SELECT to_char(date_trunc('day', at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, kind, count(*)::int AS n FROM (
        SELECT reported_at AS at, 'faults_reported' AS kind FROM asst_fault WHERE reported_at >= ${since}
        UNION ALL SELECT resolved_at, 'faults_resolved' FROM asst_fault WHERE resolved_at >= ${since}
        UNION ALL SELECT opened_at, 'complaints' FROM asst_complaint WHERE opened_at >= ${since}
        UNION ALL SELECT issued_at, 'work_orders' FROM asst_work_order WHERE issued_at >= ${since}
        UNION ALL SELECT opened_at, 'incidents' FROM asst_incident WHERE opened_at >= ${since}
      ) x GROUP BY 1, 2 ORDER BY 1, 2`.execute(this.ctx.db);
    const days_ = new Map<string, Record<string, number | string>>();
    for (const r of perDay.rows) {
      const d = days_.get(r.day) ?? {
        day: r.day,
        faults_reported: 0,
        faults_resolved: 0,
        complaints: 0,
        work_orders: 0,
        incidents: 0,
      };
      d[r.kind] = r.n;
      days_.set(r.day, d);
    }
    const mttr = await sql<{ product_kind: string; n: number; hours: number | null }>`
      SELECT product_kind, count(*)::int AS n,
        round((avg(extract(epoch FROM resolved_at - reported_at)) / 3600)::numeric, 2)::float8 AS hours
      FROM asst_fault WHERE resolved_at >= ${since} GROUP BY product_kind ORDER BY product_kind`.execute(
      this.ctx.db,
    );
    const open = await sql<{ status: string; n: number; overdue: number }>`
      SELECT status, count(*)::int AS n, count(*) FILTER (WHERE status = 'open' AND due_at < ${now})::int AS overdue
      FROM asst_fault GROUP BY status ORDER BY status`.execute(this.ctx.db);
    const wo = await sql<{ team: string; status: string; n: number }>`
      SELECT team, status, count(*)::int AS n FROM asst_work_order GROUP BY team, status ORDER BY team, status`.execute(
      this.ctx.db,
    );
    const rebates = await sql<{ status: string; n: number; amount: number }>`
      SELECT status, count(*)::int AS n, coalesce(sum(amount), 0)::bigint AS amount
      FROM asst_rebate WHERE requested_at >= ${since} GROUP BY status ORDER BY status`.execute(this.ctx.db);
    const all = mttr.rows.filter((r) => r.hours !== null);
    const total = all.reduce((s, r) => s + r.n, 0);
    return {
      since: since.toISOString(),
      perDay: [...days_.values()],
      meanTimeToRepairHours: {
        overall: total
          ? Math.round((all.reduce((s, r) => s + (r.hours ?? 0) * r.n, 0) / total) * 100) / 100
          : null,
        byProductKind: mttr.rows.map((r) => ({ productKind: r.product_kind, faults: r.n, hours: r.hours })),
      },
      faultsByStatus: open.rows,
      workOrders: wo.rows,
      rebates: rebates.rows.map((r) => ({ ...r, amount: Number(r.amount) })),
    };
  }
}
