import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import { appendEvent } from '../../platform/events.js';
import type { DeliveryService } from '../billing/delivery.service.js';
import type { ContactState } from '../referential/contact.service.js';
import type { ReferentialServices } from '../referential/index.js';
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
 * TMF683 Party Interaction and TMF681 Communication, read-only views over what GPTo already
 * records: the contacts in the event journal (a customer created, a request taken, a fault
 * reported, a complaint opened, a payment or a deposit at the counter, a rebate asked for) and the
 * messages sent to customers (fault SMS and complaint letters, invoices by e-mail or on paper).
 */

/** Journal kinds that are a contact with the customer, and what they are about. */
const CONTACTS: Record<string, { reason: string; item: string; api: string; path: string }> = {
  'customer.created': {
    reason: 'new customer',
    item: 'Customer',
    api: 'customerManagement',
    path: 'customer',
  },
  'request.created': {
    reason: 'service request',
    item: 'ProductOrder',
    api: 'productOrderingManagement',
    path: 'productOrder',
  },
  'fault.reported': {
    reason: 'fault reported',
    item: 'TroubleTicket',
    api: 'troubleTicket',
    path: 'troubleTicket',
  },
  'complaint.opened': {
    reason: 'complaint',
    item: 'TroubleTicket',
    api: 'troubleTicket',
    path: 'troubleTicket',
  },
  'payment.received': { reason: 'payment', item: 'Payment', api: 'payment', path: 'payment' },
  'deposit.received': { reason: 'deposit paid', item: 'Payment', api: 'payment', path: 'payment' },
  'rebate.requested': { reason: 'rebate asked for', item: 'Rebate', api: '', path: '' },
};
/** A contact recorded as such (TMF683 POST, `ContactService`), its latest state folded in. */
const RECORDED = 'contact.recorded';
const KINDS = [...Object.keys(CONTACTS), RECORDED];
/** The journal's entity type of each kind (to find a row again from its entity id). */
const ENTITY_OF: Record<string, string> = {
  'customer.created': 'customer',
  'request.created': 'service_request',
  'fault.reported': 'fault',
  'complaint.opened': 'complaint',
  'payment.received': 'payment',
  'deposit.received': 'deposit',
  'rebate.requested': 'rebate',
  [RECORDED]: 'customer',
};
const DIRECTIONS = ['inbound', 'outbound'] as const;
const STATUSES = ['inProgress', 'completed'] as const;

interface ContactRow {
  id: string;
  occurred_at: Date;
  kind: string;
  entity_type: string;
  entity_id: string;
  payload: Record<string, unknown>;
  customer_code: string;
  customer_name: string;
  username: string | null;
  line_id: string | null;
  /** Recorded contacts: the state after their last change (else as recorded). */
  state: (ContactState & { key?: string }) | null;
  changed_at: Date | null;
}

const CUSTOMER_NAME = sql`CASE WHEN c.kind = 'organisation' THEN coalesce(c.company_name, '')
  ELSE concat_ws(' ', nullif(c.title, ''), nullif(c.first_names, ''), nullif(c.last_name, '')) END`;

/** The TMF id of what the contact was about, when that has a TMF facade. */
function itemIdOf(r: ContactRow): string {
  const p = r.payload;
  for (const k of ['number', 'code', 'requestNumber', 'faultNumber', 'complaintNumber']) {
    if (typeof p[k] === 'string') return p[k];
  }
  const after = p.after as Record<string, unknown> | undefined;
  if (after && typeof after.code === 'string') return after.code;
  if (r.kind === 'customer.created') return r.customer_code;
  return r.entity_id;
}

function customerParty(r: ContactRow, ctx: TmfContext) {
  return {
    id: r.customer_code,
    href: ctx.href('customerManagement', 'customer', r.customer_code),
    name: r.customer_name,
    role: 'customer',
    '@referredType': 'Customer',
  };
}

const HREF_OF: Record<string, [string, string]> = {
  Customer: ['customerManagement', 'customer'],
  ProductOrder: ['productOrderingManagement', 'productOrder'],
  TroubleTicket: ['troubleTicket', 'troubleTicket'],
  Payment: ['payment', 'payment'],
  CustomerBill: ['customerBillManagement', 'customerBill'],
  Product: ['productInventory', 'product'],
};

/** A contact recorded through TMF683 (or `ContactService`): what was recorded, as it is now. */
function toRecorded(r: ContactRow, s: ContactState, ctx: TmfContext): TmfObject {
  const id = `PI${r.id}`;
  const at = isoOf(r.occurred_at);
  return {
    id,
    href: ctx.href('partyInteraction', 'partyInteraction', id),
    creationDate: at,
    interactionDate: { startDateTime: s.startedAt, ...(s.endedAt ? { endDateTime: s.endedAt } : {}) },
    ...(s.description ? { description: s.description } : {}),
    reason: s.reason,
    direction: s.direction,
    status: s.status,
    statusChangeDate: isoOf(r.changed_at ?? r.occurred_at),
    channel: [{ id: s.channel, name: s.channel, role: 'contact channel', '@referredType': 'Channel' }],
    relatedParty: [
      customerParty(r, ctx),
      ...(r.username
        ? [{ id: r.username, name: r.username, role: 'agent', '@referredType': 'Individual' }]
        : []),
    ],
    interactionItem: s.about.map((a, i) => {
      const api = HREF_OF[a.type];
      return {
        id: String(i + 1),
        creationDate: at,
        reason: s.reason,
        item: {
          id: a.id,
          ...(api ? { href: ctx.href(api[0], api[1], a.id) } : {}),
          role: 'subject',
          '@referredType': a.type,
        },
      };
    }),
    note: s.notes.map((n, i) => ({ id: String(i + 1), ...n })),
    '@type': 'PartyInteraction',
  };
}

function toInteraction(r: ContactRow, ctx: TmfContext): TmfObject {
  if (r.kind === RECORDED && r.state) return toRecorded(r, r.state, ctx);
  const id = `PI${r.id}`;
  const what = CONTACTS[r.kind] ?? { reason: r.kind, item: 'Entity', api: '', path: '' };
  const itemId = itemIdOf(r);
  const channel = typeof r.payload.channel === 'string' ? r.payload.channel : r.username ? 'agent' : 'system';
  return {
    id,
    href: ctx.href('partyInteraction', 'partyInteraction', id),
    creationDate: isoOf(r.occurred_at),
    interactionDate: { startDateTime: isoOf(r.occurred_at), endDateTime: isoOf(r.occurred_at) },
    description: `${what.reason} (${r.kind})`,
    reason: what.reason,
    direction: 'inbound',
    status: 'completed',
    statusChangeDate: isoOf(r.occurred_at),
    channel: [{ id: channel, name: channel, role: 'contact channel', '@referredType': 'Channel' }],
    relatedParty: [
      customerParty(r, ctx),
      ...(r.username
        ? [{ id: r.username, name: r.username, role: 'agent', '@referredType': 'Individual' }]
        : []),
    ],
    interactionItem: [
      {
        id: '1',
        creationDate: isoOf(r.occurred_at),
        reason: what.reason,
        item: {
          id: itemId,
          ...(what.api ? { href: ctx.href(what.api, what.path, itemId) } : {}),
          role: 'subject',
          '@referredType': what.item,
        },
        ...(r.line_id ? { note: [{ text: `line ${r.line_id}` }] } : {}),
      },
    ],
    '@type': 'PartyInteraction',
  };
}

export class TmfInteractions {
  constructor(
    private readonly db: Db,
    private readonly referential: ReferentialServices,
  ) {}

  async list(q: TmfListQuery, ctx: TmfContext): Promise<{ items: TmfObject[]; total: number }> {
    const where: RawBuilder<unknown>[] = [
      sql`e.kind = ANY(${KINDS}::text[])`,
      sql`e.customer_id IS NOT NULL`,
    ];
    for (const [attr, values] of Object.entries(q.filters)) {
      if (attr === 'id') {
        const ids = values.map((v) => /^PI(\d{1,18})$/i.exec(v)?.[1]).filter((v) => v !== undefined);
        where.push(sql`e.id = ANY(${ids}::bigint[])`);
      } else if (attr === 'relatedParty.id')
        where.push(sql`c.code = ANY(${values.map((v) => v.toUpperCase())}::text[])`);
      else if (attr === 'reason') {
        const kinds = KINDS.filter((k) => values.includes(CONTACTS[k]?.reason ?? ''));
        where.push(
          sql`(e.kind = ANY(${kinds}::text[]) OR (e.kind = ${RECORDED} AND e.payload->>'reason' = ANY(${values}::text[])))`,
        );
      } else throw tmfInvalid(attr, 'is not a filterable attribute');
    }
    const w = sql.join(where, sql` AND `);
    const from = sql`FROM event e JOIN customer c ON c.id = e.customer_id LEFT JOIN app_user u ON u.id = e.user_id`;
    const [rows, n] = await Promise.all([
      sql<ContactRow>`SELECT e.id, e.occurred_at, e.kind, e.entity_type, e.entity_id, e.payload, e.line_id,
          c.code AS customer_code, ${CUSTOMER_NAME} AS customer_name, u.username,
          CASE WHEN e.kind = ${RECORDED} THEN coalesce(upd.payload->'after', e.payload) END AS state,
          upd.occurred_at AS changed_at
        ${from}
        LEFT JOIN LATERAL (
          SELECT x.payload, x.occurred_at FROM event x
          WHERE e.kind = ${RECORDED} AND x.entity_type = 'contact' AND x.entity_id = e.id::text
            AND x.kind = 'contact.updated'
          ORDER BY x.id DESC LIMIT 1) upd ON true
        WHERE ${w} ORDER BY e.id OFFSET ${q.offset} LIMIT ${q.limit}`.execute(this.db),
      sql<{ n: string }>`SELECT count(*) AS n ${from} WHERE ${w}`.execute(this.db),
    ]);
    return { items: rows.rows.map((r) => toInteraction(r, ctx)), total: Number(n.rows[0]?.n ?? 0) };
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    return (await this.list({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0];
  }

  /**
   * Records a contact on the customer's timeline: `relatedParty` names the customer (role
   * `customer` or `@referredType: Customer`), `channel[0]` how (phone, shop, email, letter, web…),
   * `reason`, `direction`; optional `description`, `status` (`inProgress`, `completed` by
   * default), `interactionDate`, `note[].text`, `interactionItem[].item` (what it was about).
   */
  async create(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    const parties = Array.isArray(body.relatedParty) ? (body.relatedParty as unknown[]) : [];
    const customer = parties
      .map((p) => (p && typeof p === 'object' ? (p as Record<string, unknown>) : {}))
      .find((p) => p.role === 'customer' || p['@referredType'] === 'Customer');
    if (typeof customer?.id !== 'string')
      throw tmfInvalid('relatedParty', 'name the customer: {id: <customer code>, role: "customer"}');
    const channel = Array.isArray(body.channel)
      ? (body.channel[0] as Record<string, unknown> | undefined)
      : undefined;
    const channelName = channel?.name ?? channel?.id;
    if (typeof channelName !== 'string' || !/^[\w .@-]{1,40}$/u.test(channelName))
      throw tmfInvalid('channel', 'give the channel, e.g. [{"id": "phone"}] (at most 40 characters)');
    const reason = text(body.reason, 'reason', 200, true) as string;
    if (!DIRECTIONS.includes(body.direction as (typeof DIRECTIONS)[number]))
      throw tmfInvalid('direction', 'inbound or outbound');
    const status = body.status ?? 'completed';
    if (!STATUSES.includes(status as (typeof STATUSES)[number]))
      throw tmfInvalid('status', 'inProgress or completed');
    const period = (body.interactionDate ?? {}) as Record<string, unknown>;
    const start = dateOf(period.startDateTime, 'interactionDate.startDateTime') ?? new Date().toISOString();
    const end =
      dateOf(period.endDateTime, 'interactionDate.endDateTime') ??
      (status === 'completed' ? new Date().toISOString() : null);
    const notes = notesOf(body.note, ctx);
    const items = Array.isArray(body.interactionItem) ? (body.interactionItem as unknown[]) : [];
    if (items.length > 20) throw tmfInvalid('interactionItem', 'at most 20 items');
    const about = items.map((it, i) => {
      const item = (it as { item?: Record<string, unknown> } | null)?.item;
      if (typeof item?.id !== 'string' || item.id.length > 100)
        throw tmfInvalid(`interactionItem[${i}].item.id`, 'what the contact was about, by id');
      const type = item['@referredType'] ?? item['@type'];
      return { id: item.id, type: typeof type === 'string' ? type.slice(0, 60) : 'Entity' };
    });
    const contact = await this.referential.contacts.record(
      customer.id,
      {
        channel: channelName,
        direction: body.direction as 'inbound' | 'outbound',
        reason,
        description: text(body.description, 'description', 2000, false),
        status: status as 'inProgress' | 'completed',
        startedAt: start,
        endedAt: end,
        notes,
        about,
      },
      ctx.actor,
    );
    return (await this.get(`PI${contact.id}`, ctx)) as TmfObject;
  }

  /** Only a recorded contact changes: `status`, `description`, `interactionDate.endDateTime`, new notes. */
  async patch(id: string, body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject | undefined> {
    const current = await this.get(id, ctx);
    if (!current) return undefined;
    const m = /^PI(\d{1,18})$/i.exec(id);
    const recorded = await this.db
      .selectFrom('event')
      .select('id')
      .where('id', '=', Number(m?.[1]))
      .where('kind', '=', RECORDED)
      .executeTakeFirst();
    if (!recorded)
      throw new DomainError(
        'rule',
        'tmf.interaction_readonly',
        `${id} is the record of work done in GPTo (${String(current.reason)}): it does not change; record a new contact`,
        'id',
      );
    const allowed = ['status', 'description', 'note', 'interactionDate'];
    for (const k of Object.keys(body))
      if (!allowed.includes(k)) throw tmfInvalid(k, `cannot change; only ${allowed.join(', ')}`);
    if (body.status !== undefined && !STATUSES.includes(body.status as (typeof STATUSES)[number]))
      throw tmfInvalid('status', 'inProgress or completed');
    const period = (body.interactionDate ?? {}) as Record<string, unknown>;
    for (const k of Object.keys(period))
      if (k !== 'endDateTime') throw tmfInvalid(`interactionDate.${k}`, 'only endDateTime changes');
    const end = dateOf(period.endDateTime, 'interactionDate.endDateTime');
    // notes are added: the ones already there (same text) are kept as they are
    const had = new Set(((current.note as { text?: string }[] | undefined) ?? []).map((n) => n.text));
    const added = notesOf(body.note, ctx)
      .map((n) => n.text)
      .filter((t) => !had.has(t));
    await this.referential.contacts.update(
      recorded.id,
      {
        ...(body.status !== undefined ? { status: body.status as 'inProgress' | 'completed' } : {}),
        ...(body.description !== undefined
          ? { description: text(body.description, 'description', 2000, false) }
          : {}),
        ...(end ? { endedAt: end } : {}),
        addNotes: added,
      },
      ctx.actor,
    );
    return this.get(id, ctx);
  }
}

function text(v: unknown, field: string, max: number, required: boolean): string | null {
  if (v === undefined || v === null || v === '') {
    if (required) throw tmfInvalid(field, 'is required');
    return null;
  }
  if (typeof v !== 'string' || v.length > max) throw tmfInvalid(field, `a text of at most ${max} characters`);
  return v;
}

function dateOf(v: unknown, field: string): string | null {
  if (v === undefined || v === null) return null;
  const d = typeof v === 'string' ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw tmfInvalid(field, 'an ISO 8601 date-time');
  return d.toISOString();
}

function notesOf(v: unknown, ctx: TmfContext): { text: string; author: string; date: string }[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > 50) throw tmfInvalid('note', 'a list of at most 50 notes');
  return v.map((n, i) => ({
    text: text((n as { text?: unknown } | null)?.text, `note[${i}].text`, 2000, true) as string,
    author: ctx.actor.username,
    date: new Date().toISOString(),
  }));
}

export function partyInteractionApi(db: Db, referential: ReferentialServices): TmfApiDef {
  const interactions = new TmfInteractions(db, referential);
  const resource: TmfResourceDef = {
    path: 'partyInteraction',
    type: 'PartyInteraction',
    read: 'customer:read',
    write: 'customer:write',
    pushdown: ['id', 'relatedParty.id', 'reason'],
    list: (q, ctx) => interactions.list(q, ctx),
    get: (id, ctx) => interactions.get(id, ctx),
    create: (body, ctx) => interactions.create(body, ctx),
    patch: (id, body, ctx) => interactions.patch(id, body, ctx),
    events: {
      entityTypes: [...new Set(Object.values(ENTITY_OF)), 'contact'],
      classify: ({ kind, payload }) => {
        if (kind === 'contact.updated')
          return ((payload as { changed?: string[] } | null)?.changed ?? []).includes('status')
            ? 'StatusChangeEvent'
            : 'AttributeValueChangeEvent';
        return KINDS.includes(kind) ? 'CreateEvent' : null;
      },
      idOf: async (entityId, { kind, payload }) => {
        if (kind === 'contact.updated') return `PI${entityId}`;
        const key = (payload as { key?: unknown } | null)?.key;
        const row = await sql<{ id: string }>`
          SELECT id FROM event WHERE entity_type = ${ENTITY_OF[kind] ?? ''} AND entity_id = ${entityId} AND kind = ${kind}
            ${kind === RECORDED ? sql`AND payload->>'key' = ${typeof key === 'string' ? key : ''}` : sql``}
          ORDER BY id LIMIT 1`.execute(db);
        return row.rows[0] ? `PI${row.rows[0].id}` : undefined;
      },
    },
  };
  return { name: 'partyInteraction', title: 'TMF683 Party Interaction Management', resources: [resource] };
}

// ---------------------------------------------------------------------------------------------
// TMF681 Communication

interface MessageRow {
  src: 'notification' | 'invoice' | 'message';
  key: string;
  channel: string;
  recipient: string | null;
  text: string | null;
  status: string | null;
  attempts: number | null;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
  customer_code: string;
  customer_name: string;
  about: string | null;
  run_id: string | null;
}

const NOTIFICATIONS = sql`SELECT 'notification' AS src, n.id::text AS key, n.channel, n.recipient, n.text,
    NULL::text AS status, NULL::int AS attempts, NULL::text AS last_error, n.created_at, NULL::timestamptz AS sent_at,
    c.code AS customer_code, ${CUSTOMER_NAME} AS customer_name,
    coalesce((SELECT f.number FROM asst_fault f WHERE f.id = n.fault_id),
      (SELECT m.number FROM asst_complaint m WHERE m.id = n.complaint_id)) AS about, NULL::text AS run_id, n.id AS ord
  FROM asst_notification n JOIN customer c ON c.id = n.customer_id`;

const INVOICES = sql`SELECT 'invoice' AS src, i.number AS key, d.channel, d.email AS recipient, NULL::text AS text,
    d.status, d.attempts, d.last_error, d.created_at, d.sent_at,
    c.code AS customer_code, ${CUSTOMER_NAME} AS customer_name, i.number AS about, d.run_id::text AS run_id,
    d.invoice_id AS ord
  FROM billing_delivery d JOIN billing_invoice i ON i.id = d.invoice_id JOIN customer c ON c.id = d.customer_id`;

/** Messages sent through TMF681 itself (POST communicationMessage, table tmf_message). */
const SENT = sql`SELECT 'message' AS src, m.code AS key, m.channel, m.recipient, m.content AS text,
    m.status, m.attempts, m.last_error, m.created_at, m.sent_at,
    c.code AS customer_code, ${CUSTOMER_NAME} AS customer_name, m.subject AS about, NULL::text AS run_id, m.id AS ord
  FROM tmf_message m JOIN customer c ON c.id = m.customer_id`;

function messageState(r: MessageRow): string {
  if (r.src === 'notification') return 'initial';
  switch (r.status ?? '') {
    case 'sending':
      return 'inProgress';
    case 'sent':
      return 'completed';
    case 'failed':
      return 'failed';
    default: // queued e-mail; paper waits in the run's print batch
      return 'initial';
  }
}

function toMessage(r: MessageRow, ctx: TmfContext): TmfObject {
  const id = r.src === 'notification' ? `N${r.key}` : r.src === 'message' ? r.key : `INV-${r.key}`;
  const type = r.channel === 'sms' ? 'SMS' : r.channel === 'email' ? 'email' : 'letter';
  const href = ctx.href('communicationManagement', 'communicationMessage', id);
  const content =
    r.src !== 'invoice'
      ? (r.text ?? '')
      : r.channel === 'email'
        ? `Invoice ${r.key} attached`
        : `Invoice ${r.key}, in the print batch of billing run ${r.run_id ?? ''}`;
  return {
    id,
    href,
    messageType: type,
    subject:
      r.src === 'message'
        ? (r.about ?? '')
        : r.src === 'notification'
          ? `About ${r.about ?? ''}`
          : `Invoice ${r.key}`,
    content,
    state: messageState(r),
    scheduledSendTime: isoOf(r.created_at),
    ...(r.sent_at ? { sendTime: isoOf(r.sent_at), sendTimeComplete: isoOf(r.sent_at) } : {}),
    ...(r.attempts !== null ? { tryTimes: r.attempts } : {}),
    ...(r.last_error ? { description: r.last_error } : {}),
    sender: { id: 'operator', name: 'GPTo' },
    receiver: [
      {
        id: r.customer_code,
        name: r.customer_name,
        ...(r.channel === 'email' && r.recipient ? { email: r.recipient } : {}),
        ...(r.channel === 'sms' && r.recipient ? { phoneNumber: r.recipient } : {}),
        party: {
          id: r.customer_code,
          href: ctx.href('customerManagement', 'customer', r.customer_code),
          name: r.customer_name,
          role: 'customer',
          '@referredType': 'Customer',
        },
      },
    ],
    ...(r.src === 'invoice'
      ? {
          attachment: [
            {
              id: r.key,
              name: `${r.key}.pdf`,
              mimeType: 'application/pdf',
              url: `${new URL(href).origin}/api/v1/invoices/${r.key}/pdf`,
            },
          ],
        }
      : {}),
    '@type': 'CommunicationMessage',
  };
}

export class TmfMessages {
  constructor(
    private readonly db: Db,
    private readonly delivery: DeliveryService,
  ) {}

  async list(q: TmfListQuery, ctx: TmfContext): Promise<{ items: TmfObject[]; total: number }> {
    const parts: { from: RawBuilder<unknown>; where: RawBuilder<unknown>[] }[] = [];
    for (const src of ['notification', 'invoice', 'message'] as const) {
      const where: RawBuilder<unknown>[] = [];
      let skip = false;
      for (const [attr, values] of Object.entries(q.filters)) {
        if (attr === 'id') {
          const keys = values
            .map((v) =>
              src === 'notification'
                ? /^N(\d+)$/i.exec(v)?.[1]
                : src === 'message'
                  ? /^(CM\d+)$/i.exec(v)?.[1]?.toUpperCase()
                  : /^INV-(.+)$/i.exec(v)?.[1]?.toUpperCase(),
            )
            .filter((v) => v !== undefined);
          if (keys.length === 0) skip = true;
          where.push(sql`key = ANY(${keys}::text[])`);
        } else if (attr === 'messageType') {
          const channels = values.map(
            (v) => ({ SMS: 'sms', email: 'email', letter: src === 'invoice' ? 'paper' : 'letter' })[v] ?? '',
          );
          where.push(sql`channel = ANY(${channels}::text[])`);
        } else if (attr === 'receiver.id')
          where.push(sql`customer_code = ANY(${values.map((v) => v.toUpperCase())}::text[])`);
        else throw tmfInvalid(attr, 'is not a filterable attribute');
      }
      if (!skip)
        parts.push({
          from: src === 'notification' ? NOTIFICATIONS : src === 'message' ? SENT : INVOICES,
          where,
        });
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
          await sql<MessageRow>`${sel(p)} ORDER BY ord OFFSET ${offset} LIMIT ${limit}`.execute(this.db)
        ).rows.map((r) => toMessage(r, ctx)),
    );
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    return (await this.list({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0];
  }

  /**
   * Sends an e-mail to a customer through the bills' SMTP sender (`DeliveryService.sendMessage`)
   * and records it: `sending` (journal `message.queued`) before the send, then `sent` or `failed`
   * with its event. One try; no transaction is open while the message is on the wire.
   */
  async send(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    const type = body.messageType;
    if (type === 'SMS' || type === 'sms')
      throw new DomainError(
        'rule',
        'tmf.channel_unavailable',
        'GPTo has no SMS gateway: it sends e-mail only (its SMS are recorded by customer assistance, not sent)',
        'messageType',
      );
    if (typeof type !== 'string' || type.toLowerCase() !== 'email')
      throw tmfInvalid('messageType', 'email (the only channel GPTo sends on)');
    const receivers = body.receiver;
    if (!Array.isArray(receivers) || receivers.length !== 1)
      throw tmfInvalid('receiver', 'give exactly one receiver (a customer)');
    const r = (receivers[0] ?? {}) as Record<string, unknown>;
    const party = (r.party ?? {}) as Record<string, unknown>;
    const code = typeof party.id === 'string' ? party.id : typeof r.id === 'string' ? r.id : undefined;
    if (!code) throw tmfInvalid('receiver[0].party.id', 'the customer code the message is for');
    const customer = await this.db
      .selectFrom('customer')
      .select(['id', 'code', 'email'])
      .where('code', '=', code.toUpperCase())
      .executeTakeFirst();
    if (!customer)
      throw new DomainError(
        'not_found',
        'tmf.not_found',
        `customer ${code} does not exist`,
        'receiver[0].party.id',
      );
    const email = typeof r.email === 'string' && r.email !== '' ? r.email : customer.email?.trim();
    if (!email || !/^[^\s@<>,;]{1,64}@[^\s@<>,;]{1,190}\.[^\s@<>,;]{2,}$/.test(email))
      throw tmfInvalid('receiver[0].email', 'a valid e-mail address (the customer has none on file)');
    const content = body.content;
    if (typeof content !== 'string' || content.trim() === '' || content.length > 20_000)
      throw tmfInvalid('content', 'the text to send, at most 20000 characters');
    const subject = body.subject ?? 'GPTo Télécom';
    if (typeof subject !== 'string' || subject.length > 200 || /[\r\n]/.test(subject))
      throw tmfInvalid('subject', 'one line of at most 200 characters');
    if (!this.delivery.mailConfigured)
      throw new DomainError(
        'unavailable',
        'mail.not_configured',
        'no SMTP server configured (GPTO_SMTP_URL): GPTo cannot send e-mail',
        'messageType',
      );
    const row = await this.db.transaction().execute(async (trx) => {
      const m = await sql<{ id: number; code: string }>`
        INSERT INTO tmf_message (code, customer_id, channel, recipient, subject, content, status, attempts, user_id)
        VALUES ('CM' || lpad(nextval('tmf_message_seq')::text, 8, '0'), ${customer.id}, 'email', ${email},
                ${subject}, ${content}, 'sending', 1, ${ctx.actor.userId}::bigint)
        RETURNING id, code`.execute(trx);
      const msg = m.rows[0] as { id: number; code: string };
      await appendEvent(trx, {
        entityType: 'communication_message',
        entityId: msg.code,
        customerId: customer.id,
        kind: 'message.queued',
        userId: ctx.actor.userId,
        payload: { code: msg.code, channel: 'email', to: email, subject },
      });
      return msg;
    });
    let outcome: { ok: true; messageId: string | null } | { ok: false; error: string };
    try {
      outcome = { ok: true, ...(await this.delivery.sendMessage({ to: email, subject, text: content })) };
    } catch (err) {
      outcome = { ok: false, error: (err instanceof Error ? err.message : String(err)).slice(0, 500) };
    }
    await this.db.transaction().execute(async (trx) => {
      await sql`UPDATE tmf_message SET status = ${outcome.ok ? 'sent' : 'failed'},
          sent_at = ${outcome.ok ? new Date() : null}, message_id = ${outcome.ok ? outcome.messageId : null},
          last_error = ${outcome.ok ? null : outcome.error}
        WHERE id = ${row.id}`.execute(trx);
      await appendEvent(trx, {
        entityType: 'communication_message',
        entityId: row.code,
        customerId: customer.id,
        kind: outcome.ok ? 'message.sent' : 'message.failed',
        userId: ctx.actor.userId,
        payload: outcome.ok
          ? { code: row.code, to: email, messageId: outcome.messageId }
          : { code: row.code, to: email, error: outcome.error },
      });
    });
    return (await this.get(row.code, ctx)) as TmfObject;
  }
}

export function communicationApi(db: Db, delivery: DeliveryService): TmfApiDef {
  const messages = new TmfMessages(db, delivery);
  const resource: TmfResourceDef = {
    path: 'communicationMessage',
    type: 'CommunicationMessage',
    read: 'customer:read',
    write: 'customer:write',
    pushdown: ['id', 'messageType', 'receiver.id'],
    list: (q, ctx) => messages.list(q, ctx),
    get: (id, ctx) => messages.get(id, ctx),
    create: (body, ctx) => messages.send(body, ctx),
    events: {
      entityTypes: ['communication_message', 'invoice'],
      classify: ({ kind }) =>
        kind === 'message.sent' ||
        kind === 'message.failed' ||
        kind === 'invoice.emailed' ||
        kind === 'invoice.email_failed'
          ? 'StateChangeEvent'
          : null,
      idOf: async (entityId, { kind, payload }) => {
        if (kind.startsWith('message.')) return entityId;
        const number = (payload as { number?: unknown } | null)?.number;
        return typeof number === 'string' ? `INV-${number}` : undefined;
      },
    },
  };
  return { name: 'communicationManagement', title: 'TMF681 Communication Management', resources: [resource] };
}
