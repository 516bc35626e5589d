import { sql, type RawBuilder } from 'kysely';
import { assertRightOrThrow } from '../../platform/auth/auth.service.js';
import type { Db } from '../../platform/db.js';
import type { AssistanceModule } from '../assistance/index.js';
import { isoOf } from './common.js';
import {
  pageAcross,
  tmfInvalid,
  type TmfApiDef,
  type TmfContext,
  type TmfListQuery,
  type TmfObject,
  type TmfResourceDef,
} from './framework.js';

/**
 * TMF621 Trouble Ticket over customer assistance: a ticket is a fault on a line (`ticketType`
 * fault) or a customer complaint (`complaint`), created and changed through the assistance
 * services, so the diagnosis, the fault scenario, work orders and SLAs are the real ones.
 */

const API = 'troubleTicket';
const SYMPTOMS = [
  'no_dial_tone',
  'no_incoming_calls',
  'no_outgoing_calls',
  'noise',
  'cut_off',
  'no_network',
  'no_data',
  'other',
] as const;
type ComplaintCategory = 'billing' | 'service' | 'quality' | 'commercial' | 'other';

interface TicketRow {
  src: 'fault' | 'complaint';
  number: string;
  status: string;
  name: string;
  description: string | null;
  channel: string | null;
  line_id: string | null;
  subscription_code: string | null;
  customer_code: string;
  customer_name: string;
  created_at: Date;
  due_at: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  verdict: string | null;
  why: string | null;
  cause_code: string | null;
  resolution: string | null;
  invoice_number: string | null;
  disputed_amount: string | null;
  fault_number: string | null;
  decision_reason: string | null;
}

function statusOf(r: TicketRow): string {
  if (r.src === 'fault') return r.status === 'open' ? 'inProgress' : r.status; // resolved, closed
  return r.status === 'open' ? 'inProgress' : r.status === 'accepted' ? 'resolved' : 'rejected';
}

/** TMF status → GPTo statuses per source, for filters. */
const STATUS_MAP: Record<string, { fault: string[]; complaint: string[] }> = {
  inProgress: { fault: ['open'], complaint: ['open'] },
  resolved: { fault: ['resolved'], complaint: ['accepted'] },
  closed: { fault: ['closed'], complaint: [] },
  rejected: { fault: [], complaint: ['rejected'] },
};

function toTicket(r: TicketRow, ctx: TmfContext): TmfObject {
  const status = statusOf(r);
  const changes: { status: string; changeDate: string | undefined; changeReason?: string }[] = [
    { status: 'acknowledged', changeDate: isoOf(r.created_at) },
    { status: 'inProgress', changeDate: isoOf(r.created_at) },
  ];
  if (r.resolved_at)
    changes.push({
      status: r.src === 'complaint' && r.status === 'rejected' ? 'rejected' : 'resolved',
      changeDate: isoOf(r.resolved_at),
      ...(r.decision_reason ? { changeReason: r.decision_reason } : {}),
    });
  if (r.closed_at) changes.push({ status: 'closed', changeDate: isoOf(r.closed_at) });
  const last = changes[changes.length - 1];
  const notes: { text: string; author: string }[] = [];
  if (r.verdict) notes.push({ author: 'GPTo diagnosis', text: `${r.verdict}${r.why ? `: ${r.why}` : ''}` });
  if (r.cause_code) notes.push({ author: 'GPTo', text: `cause: ${r.cause_code}` });
  if (r.resolution) notes.push({ author: 'GPTo', text: `resolution: ${r.resolution}` });
  if (r.disputed_amount) notes.push({ author: 'GPTo', text: `disputed amount: ${r.disputed_amount}` });
  const entities: Record<string, unknown>[] = [];
  if (r.line_id)
    entities.push({
      id: `number-${r.line_id}`,
      href: ctx.href('resourceInventoryManagement', 'resource', `number-${r.line_id}`),
      name: r.line_id,
      role: 'line',
      '@referredType': 'Resource',
    });
  if (r.subscription_code)
    entities.push({
      id: r.subscription_code,
      href: ctx.href('productInventory', 'product', r.subscription_code),
      role: 'subscription',
      '@referredType': 'Product',
    });
  if (r.invoice_number)
    entities.push({
      id: r.invoice_number,
      href: ctx.href('customerBillManagement', 'customerBill', r.invoice_number),
      role: 'disputed bill',
      '@referredType': 'CustomerBill',
    });
  return {
    id: r.number,
    href: ctx.href(API, 'troubleTicket', r.number),
    ticketType: r.src,
    name: r.name,
    description: r.description ?? r.name,
    severity:
      r.src === 'fault' && ['no_dial_tone', 'cut_off', 'no_network'].includes(r.name) ? 'critical' : 'minor',
    status,
    statusChangeDate: last?.changeDate,
    ...(last?.changeReason ? { statusChangeReason: last.changeReason } : {}),
    statusChange: changes,
    creationDate: isoOf(r.created_at),
    lastUpdate: isoOf(r.closed_at ?? r.resolved_at ?? r.created_at),
    ...(r.due_at ? { expectedResolutionDate: isoOf(r.due_at) } : {}),
    ...(r.resolved_at ? { resolutionDate: isoOf(r.resolved_at) } : {}),
    ...(r.channel ? { channel: { id: r.channel, name: r.channel } } : {}),
    note: notes,
    relatedEntity: entities,
    relatedParty: [
      {
        id: r.customer_code,
        href: ctx.href('customerManagement', 'customer', r.customer_code),
        name: r.customer_name,
        role: 'customer',
        '@referredType': 'Customer',
      },
    ],
    ...(r.fault_number
      ? {
          troubleTicketRelationship: [
            {
              id: r.fault_number,
              href: ctx.href(API, 'troubleTicket', r.fault_number),
              relationshipType: 'isCausedBy',
            },
          ],
        }
      : {}),
    '@type': 'TroubleTicket',
  };
}

const CUSTOMER_NAME = sql`CASE WHEN c.kind = 'organisation' THEN coalesce(c.company_name, '')
  ELSE concat_ws(' ', nullif(c.title, ''), nullif(c.first_names, ''), nullif(c.last_name, '')) END`;

const FAULTS = sql`SELECT 'fault' AS src, f.number, f.status, f.symptom AS name, f.description, f.channel,
    f.line_id, s.code AS subscription_code, c.code AS customer_code, ${CUSTOMER_NAME} AS customer_name,
    f.reported_at AS created_at, f.due_at, f.resolved_at, f.closed_at,
    f.diagnosis->>'verdict' AS verdict, f.diagnosis->>'why' AS why, f.cause_code, f.resolution,
    NULL::text AS invoice_number, NULL::bigint AS disputed_amount, NULL::text AS fault_number,
    NULL::text AS decision_reason, f.id AS ord
  FROM asst_fault f JOIN customer c ON c.id = f.customer_id JOIN subscription s ON s.id = f.subscription_id`;

const COMPLAINTS = sql`SELECT 'complaint' AS src, m.number, m.status, m.subject AS name, m.description,
    NULL::text AS channel, m.line_id, s.code AS subscription_code, c.code AS customer_code,
    ${CUSTOMER_NAME} AS customer_name, m.opened_at AS created_at, NULL::timestamptz AS due_at,
    m.decided_at AS resolved_at, NULL::timestamptz AS closed_at, NULL AS verdict, NULL AS why,
    m.category AS cause_code, NULL AS resolution, m.invoice_number, m.disputed_amount,
    (SELECT x.number FROM asst_fault x WHERE x.id = m.fault_id) AS fault_number, m.decision_reason, m.id AS ord
  FROM asst_complaint m JOIN customer c ON c.id = m.customer_id LEFT JOIN subscription s ON s.id = m.subscription_id`;

export class TmfTickets {
  constructor(
    private readonly db: Db,
    private readonly assistance: AssistanceModule,
  ) {}

  async list(q: TmfListQuery, ctx: TmfContext): Promise<{ items: TmfObject[]; total: number }> {
    const parts: { src: 'fault' | 'complaint'; from: RawBuilder<unknown>; where: RawBuilder<unknown>[] }[] =
      [];
    for (const src of ['fault', 'complaint'] as const) {
      if (q.filters.ticketType && !q.filters.ticketType.includes(src)) continue;
      const where: RawBuilder<unknown>[] = [];
      if (q.filters.id) where.push(sql`number = ANY(${q.filters.id.map((v) => v.toUpperCase())}::text[])`);
      if (q.filters.status) {
        const wanted = q.filters.status.flatMap((s) => STATUS_MAP[s]?.[src] ?? []);
        if (wanted.length === 0) continue;
        where.push(sql`status = ANY(${wanted}::text[])`);
      }
      if (q.filters['relatedParty.id'])
        where.push(
          sql`customer_code = ANY(${q.filters['relatedParty.id'].map((v) => v.toUpperCase())}::text[])`,
        );
      parts.push({ src, from: src === 'fault' ? FAULTS : COMPLAINTS, where });
    }
    const sel = (p: (typeof parts)[number]) =>
      sql`SELECT * FROM (${p.from}) t ${p.where.length ? sql`WHERE ${sql.join(p.where, sql` AND `)}` : sql``}`;
    return pageAcross(
      parts,
      q.offset,
      q.limit,
      async (p) =>
        Number(
          (await sql<{ n: string }>`SELECT count(*) AS n FROM (${sel(p)}) x`.execute(this.db)).rows[0]?.n ??
            0,
        ),
      async (p, offset, limit) =>
        (
          await sql<TicketRow>`${sel(p)} ORDER BY ord OFFSET ${offset} LIMIT ${limit}`.execute(this.db)
        ).rows.map((r) => toTicket(r, ctx)),
    );
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    return (await this.list({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0];
  }

  private lineOf(body: Record<string, unknown>): string | undefined {
    const entities = Array.isArray(body.relatedEntity)
      ? (body.relatedEntity as Record<string, unknown>[])
      : [];
    const line =
      entities.find((e) => e.role === 'line') ?? entities.find((e) => e['@referredType'] === 'Resource');
    if (!line) return undefined;
    const raw = typeof line.id === 'string' ? line.id : typeof line.name === 'string' ? line.name : '';
    const dn = raw.replace(/^number-/, '').replace(/[\s.+-]/g, '');
    if (!/^[0-9]{4,15}$/.test(dn))
      throw tmfInvalid(
        'relatedEntity.id',
        'the line: its directory number, or its TMF639 id number-<number>',
      );
    return dn;
  }

  async create(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    const type = body.ticketType ?? 'fault';
    if (typeof body.description !== 'string' || body.description.trim() === '')
      throw tmfInvalid('description', 'is required');
    const description = body.description.trim().slice(0, 2000);
    const name = typeof body.name === 'string' ? body.name : undefined;
    const line = this.lineOf(body);
    if (type === 'fault') {
      if (!line) throw tmfInvalid('relatedEntity', 'a fault needs the line: relatedEntity with role "line"');
      const symptom = (SYMPTOMS as readonly string[]).includes(name ?? '')
        ? (name as (typeof SYMPTOMS)[number])
        : 'other';
      const channel = (body.channel as { name?: unknown } | undefined)?.name;
      const f = await this.assistance.faults.report(
        {
          line,
          symptom,
          description,
          channel: channel === 'counter' || channel === 'phone' || channel === 'field' ? channel : 'web',
        },
        ctx.actor,
      );
      return (await this.get(f.number, ctx)) as TmfObject;
    }
    if (type === 'complaint') {
      assertRightOrThrow(ctx.principal, 'complaint:write');
      const parties = Array.isArray(body.relatedParty) ? (body.relatedParty as { id?: unknown }[]) : [];
      const customer = typeof parties[0]?.id === 'string' ? parties[0].id : undefined;
      if (!customer && !line)
        throw tmfInvalid(
          'relatedParty',
          'a complaint needs the customer (relatedParty) or the line (relatedEntity)',
        );
      const entities = Array.isArray(body.relatedEntity)
        ? (body.relatedEntity as Record<string, unknown>[])
        : [];
      const bill = entities.find((e) => e['@referredType'] === 'CustomerBill');
      // TMF621 has no complaint category: a disputed bill makes it a billing complaint.
      const category: ComplaintCategory = bill ? 'billing' : 'service';
      const c = await this.assistance.complaints.open(
        {
          ...(customer ? { customer } : {}),
          ...(line ? { line } : {}),
          category,
          subject: (name ?? description).slice(0, 200),
          description,
          ...(typeof bill?.id === 'string' ? { invoiceNumber: bill.id } : {}),
        },
        ctx.actor,
      );
      return (await this.get(c.number, ctx)) as TmfObject;
    }
    throw tmfInvalid('ticketType', 'fault or complaint');
  }

  /** Agents close or reopen a fault; complaints are decided in the native API (rebates, rights). */
  async patch(id: string, body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject | undefined> {
    const t = await this.get(id, ctx);
    if (!t) return undefined;
    for (const k of Object.keys(body)) {
      if (!['status', 'statusChangeReason', 'id', 'href', '@type'].includes(k))
        throw tmfInvalid(k, 'cannot be changed through TMF621: change the status (closed / inProgress)');
    }
    if (body.status === undefined || body.status === t.status) return t;
    if (t.ticketType !== 'fault')
      throw tmfInvalid(
        'status',
        'a complaint is decided by the service concerned (native API: accept or reject)',
      );
    const reason = typeof body.statusChangeReason === 'string' ? body.statusChangeReason : undefined;
    if (body.status === 'closed')
      await this.assistance.faults.close(id, reason ? { note: reason } : {}, ctx.actor);
    else if (body.status === 'inProgress') {
      if (!reason) throw tmfInvalid('statusChangeReason', 'say why the fault is reopened');
      await this.assistance.faults.reopen(id, { reason }, ctx.actor);
    } else throw tmfInvalid('status', 'closed (close the fault) or inProgress (reopen it)');
    return this.get(id, ctx);
  }
}

export function troubleTicketApi(db: Db, assistance: AssistanceModule): TmfApiDef {
  const tickets = new TmfTickets(db, assistance);
  const ticket: TmfResourceDef = {
    path: 'troubleTicket',
    type: 'TroubleTicket',
    read: 'fault:read',
    write: 'fault:write',
    pushdown: ['id', 'ticketType', 'status', 'relatedParty.id'],
    list: (q, ctx) => tickets.list(q, ctx),
    get: (id, ctx) => tickets.get(id, ctx),
    create: (b, ctx) => tickets.create(b, ctx),
    patch: (id, b, ctx) => tickets.patch(id, b, ctx),
    events: {
      entityTypes: ['fault', 'complaint'],
      classify: ({ kind }) =>
        kind.endsWith('.reported') || kind.endsWith('.opened')
          ? 'CreateEvent'
          : /\.(resolved|closed|reopened|accepted|rejected|decided)$/.test(kind)
            ? 'StateChangeEvent'
            : null,
      idOf: async (entityId, event) => {
        if (!/^\d+$/.test(entityId)) return entityId;
        const table = event.kind.startsWith('complaint.') ? 'asst_complaint' : 'asst_fault';
        return (
          await db.selectFrom(table).select('number').where('id', '=', Number(entityId)).executeTakeFirst()
        )?.number;
      },
    },
  };
  return { name: API, title: 'TMF621 Trouble Ticket Management', resources: [ticket] };
}
