import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db.js';
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
const KINDS = Object.keys(CONTACTS);

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

function toInteraction(r: ContactRow, ctx: TmfContext): TmfObject {
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
      {
        id: r.customer_code,
        href: ctx.href('customerManagement', 'customer', r.customer_code),
        name: r.customer_name,
        role: 'customer',
        '@referredType': 'Customer',
      },
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
  constructor(private readonly db: Db) {}

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
        where.push(sql`e.kind = ANY(${kinds}::text[])`);
      } else throw tmfInvalid(attr, 'is not a filterable attribute');
    }
    const w = sql.join(where, sql` AND `);
    const from = sql`FROM event e JOIN customer c ON c.id = e.customer_id LEFT JOIN app_user u ON u.id = e.user_id`;
    const [rows, n] = await Promise.all([
      sql<ContactRow>`SELECT e.id, e.occurred_at, e.kind, e.entity_type, e.entity_id, e.payload, e.line_id,
          c.code AS customer_code, ${CUSTOMER_NAME} AS customer_name, u.username
        ${from} WHERE ${w} ORDER BY e.id OFFSET ${q.offset} LIMIT ${q.limit}`.execute(this.db),
      sql<{ n: string }>`SELECT count(*) AS n ${from} WHERE ${w}`.execute(this.db),
    ]);
    return { items: rows.rows.map((r) => toInteraction(r, ctx)), total: Number(n.rows[0]?.n ?? 0) };
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    return (await this.list({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0];
  }
}

export function partyInteractionApi(db: Db): TmfApiDef {
  const interactions = new TmfInteractions(db);
  const resource: TmfResourceDef = {
    path: 'partyInteraction',
    type: 'PartyInteraction',
    read: 'customer:read',
    pushdown: ['id', 'relatedParty.id', 'reason'],
    list: (q, ctx) => interactions.list(q, ctx),
    get: (id, ctx) => interactions.get(id, ctx),
  };
  return { name: 'partyInteraction', title: 'TMF683 Party Interaction Management', resources: [resource] };
}

// ---------------------------------------------------------------------------------------------
// TMF681 Communication

interface MessageRow {
  src: 'notification' | 'invoice';
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
  const id = r.src === 'notification' ? `N${r.key}` : `INV-${r.key}`;
  const type = r.channel === 'sms' ? 'SMS' : r.channel === 'email' ? 'email' : 'letter';
  const href = ctx.href('communicationManagement', 'communicationMessage', id);
  const content =
    r.src === 'notification'
      ? (r.text ?? '')
      : r.channel === 'email'
        ? `Invoice ${r.key} attached`
        : `Invoice ${r.key}, in the print batch of billing run ${r.run_id ?? ''}`;
  return {
    id,
    href,
    messageType: type,
    subject: r.src === 'notification' ? `About ${r.about ?? ''}` : `Invoice ${r.key}`,
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
  constructor(private readonly db: Db) {}

  async list(q: TmfListQuery, ctx: TmfContext): Promise<{ items: TmfObject[]; total: number }> {
    const parts: { from: RawBuilder<unknown>; where: RawBuilder<unknown>[] }[] = [];
    for (const src of ['notification', 'invoice'] as const) {
      const where: RawBuilder<unknown>[] = [];
      let skip = false;
      for (const [attr, values] of Object.entries(q.filters)) {
        if (attr === 'id') {
          const keys = values
            .map((v) =>
              src === 'notification' ? /^N(\d+)$/i.exec(v)?.[1] : /^INV-(.+)$/i.exec(v)?.[1]?.toUpperCase(),
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
      if (!skip) parts.push({ from: src === 'notification' ? NOTIFICATIONS : INVOICES, where });
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
}

export function communicationApi(db: Db): TmfApiDef {
  const messages = new TmfMessages(db);
  const resource: TmfResourceDef = {
    path: 'communicationMessage',
    type: 'CommunicationMessage',
    read: 'customer:read',
    pushdown: ['id', 'messageType', 'receiver.id'],
    list: (q, ctx) => messages.list(q, ctx),
    get: (id, ctx) => messages.get(id, ctx),
  };
  return { name: 'communicationManagement', title: 'TMF681 Communication Management', resources: [resource] };
}
