import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import { appendEvent } from '../../platform/events.js';
import type { RequestsModule } from '../requests/index.js';
import type { RequestCreate } from '../requests/requests.schemas.js';
import { TmfCancelProductOrders } from './cancel-product-order.js';
import { isoOf } from './common.js';
import {
  tmfInvalid,
  type TmfApiDef,
  type TmfContext,
  type TmfListQuery,
  type TmfObject,
  type TmfResourceDef,
} from './framework.js';
import {
  billingAccountRef,
  CUSTOMER_NAME,
  customerPartyRef,
  date,
  field,
  instantOf,
  money,
  offeringRef,
  ORDERING_API,
  productRef,
  text,
} from './product-refs.js';

/**
 * TMF622 Product Ordering over GPTo's service requests. A productOrder IS a service request: its
 * id is the request number, POST starts the request's scenario on the workflow engine, and its
 * `state` is derived from the request and its open tasks whenever it is read. The TMF attributes
 * GPTo has no column for (externalId, wished dates, notes) live in `tmf_product_order` beside it.
 */

export type OrderState =
  'acknowledged' | 'rejected' | 'pending' | 'held' | 'inProgress' | 'cancelled' | 'completed' | 'failed';

/**
 * Human steps that wait on the customer rather than on the operator: accepting the quote, paying
 * the deposit or the fees, agreeing another number. While only these are open the order is `pending`.
 */
export const CUSTOMER_STEPS = ['quote_acceptance', 'deposit', 'payment', 'choose_number'];

/**
 * The order's TMF state from the request (alias r) and its workflow instance (alias i), in SQL so
 * that `state=` filters run in the database. The derivation is the SQL function of migration 0750
 * (`tmf_product_order_state`), the same one whose changes the journal records for the hub:
 * `held` is a request waiting for network capacity (a hold resumed by PENDING_RESUMED, the
 * inventory's pending requests); no task done yet is `acknowledged`; only CUSTOMER_STEPS open is
 * `pending`; anything else open (the short waits on the activation automaton included) is
 * `inProgress`.
 */
const STATE = sql<OrderState>`tmf_product_order_state(r.status, i.id)`;

/** The journal row of a real change of an order's state (migration 0750), payload {number, from, to}. */
export const STATE_CHANGED = 'request.tmf_state_changed';

const ORDER_STATES: readonly OrderState[] = [
  'acknowledged',
  'rejected',
  'pending',
  'held',
  'inProgress',
  'cancelled',
  'completed',
  'failed',
];

interface OrderRow {
  id: number;
  number: string;
  kind: string;
  status: string;
  reason: string | null;
  created_at: Date;
  closed_at: Date | null;
  customer_code: string;
  customer_name: string;
  commercial1: string | null;
  payer_code: string;
  payer_name: string;
  offering_code: string | null;
  offering_name: string | null;
  subscription_code: string | null;
  line_id: string | null;
  product_data: { oneOff?: number; recurring?: number } | null;
  currency: string | null;
  state: OrderState;
  external_id: string | null;
  description: string | null;
  category: string | null;
  priority: string | null;
  notification_contact: string | null;
  requested_start_date: Date | null;
  requested_completion_date: Date | null;
  item_id: string | null;
  item_action: 'add' | 'modify' | 'delete' | null;
  note: { id?: string; author?: string; date?: string; text: string }[] | null;
}

/** The action a GPTo request kind is, for a productOrderItem. */
function actionOf(kind: string): 'add' | 'modify' | 'delete' {
  if (kind === 'new_line' || kind === 'add_option') return 'add';
  if (kind === 'termination' || kind === 'remove_option') return 'delete';
  return 'modify';
}

function toTmf(r: OrderRow, ctx: TmfContext): TmfObject {
  const currency = r.currency ?? 'XOF';
  const prices: Record<string, unknown>[] = [];
  if (r.product_data?.oneOff !== undefined)
    prices.push({
      name: 'One-off fees',
      priceType: 'nonRecurring',
      price: { dutyFreeAmount: money(r.product_data.oneOff, currency) },
      '@type': 'OrderPrice',
    });
  if (r.product_data?.recurring !== undefined)
    prices.push({
      name: 'Subscription',
      priceType: 'recurring',
      recurringChargePeriod: 'month',
      price: { dutyFreeAmount: money(r.product_data.recurring, currency) },
      '@type': 'OrderPrice',
    });
  const itemState = r.state;
  const item: Record<string, unknown> = {
    id: r.item_id ?? '1',
    quantity: 1,
    action: r.item_action ?? actionOf(r.kind),
    state: itemState,
    ...(r.offering_code ? { productOffering: offeringRef(ctx, r.offering_code, r.offering_name) } : {}),
    ...(r.subscription_code ? { product: productRef(ctx, r.subscription_code) } : {}),
    ...(prices.length ? { itemPrice: prices } : {}),
    '@type': 'ProductOrderItem',
  };
  const notes = [...(r.note ?? [])];
  if (r.status === 'rejected' && r.reason)
    notes.push({ id: 'gpto-reason', author: 'GPTo', text: `rejected: ${r.reason}` });
  return {
    id: r.number,
    href: ctx.href(ORDERING_API, 'productOrder', r.number),
    orderDate: isoOf(r.created_at),
    state: r.state,
    ...(r.status === 'completed' && r.closed_at ? { completionDate: isoOf(r.closed_at) } : {}),
    ...(r.status === 'cancelled'
      ? {
          ...(r.closed_at ? { cancellationDate: isoOf(r.closed_at) } : {}),
          ...(r.reason ? { cancellationReason: r.reason } : {}),
        }
      : {}),
    ...(r.external_id ? { externalId: r.external_id } : {}),
    description: r.description ?? `${r.kind.replace(/_/g, ' ')}${r.line_id ? ` ${r.line_id}` : ''}`,
    category: r.category ?? r.commercial1 ?? undefined,
    ...(r.priority ? { priority: r.priority } : {}),
    ...(r.notification_contact ? { notificationContact: r.notification_contact } : {}),
    ...(r.requested_start_date ? { requestedStartDate: isoOf(r.requested_start_date) } : {}),
    ...(r.requested_completion_date ? { requestedCompletionDate: isoOf(r.requested_completion_date) } : {}),
    relatedParty: [customerPartyRef(ctx, r.customer_code, r.customer_name)],
    billingAccount: billingAccountRef(ctx, r.payer_code, r.payer_name),
    note: notes,
    productOrderItem: [item],
    '@type': 'ProductOrder',
  };
}

function filterSql(filters: Record<string, string[]>): RawBuilder<unknown>[] {
  const where: RawBuilder<unknown>[] = [];
  for (const [attr, values] of Object.entries(filters)) {
    switch (attr) {
      case 'id':
        where.push(sql`r.number = ANY(${values.map((v) => v.toUpperCase())}::text[])`);
        break;
      case 'state': {
        const bad = values.find((v) => !ORDER_STATES.includes(v as OrderState));
        if (bad) throw tmfInvalid('state', `must be one of ${ORDER_STATES.join(', ')}`);
        // the closed states are the request's status: narrow on it before deriving the open ones
        const statuses = values.flatMap((v) =>
          v === 'completed' || v === 'cancelled' || v === 'rejected' ? [v] : v === 'failed' ? [] : ['open'],
        );
        where.push(sql`r.status = ANY(${statuses}::text[]) AND (${STATE}) = ANY(${values}::text[])`);
        break;
      }
      case 'orderDate': {
        const instants = values.map((v) => instantOf(v, 'orderDate').toISOString());
        // orderDate is shown to the millisecond; the database keeps microseconds
        where.push(sql`date_trunc('milliseconds', r.created_at) = ANY(${instants}::timestamptz[])`);
        break;
      }
      case 'relatedParty.id':
        where.push(sql`c.code = ANY(${values.map((v) => v.toUpperCase())}::text[])`);
        break;
      case 'billingAccount.id':
        where.push(sql`p.code = ANY(${values.map((v) => v.toUpperCase())}::text[])`);
        break;
      case 'externalId':
        where.push(sql`o.external_id = ANY(${values}::text[])`);
        break;
      case 'productOrderItem.productOffering.id':
        where.push(
          sql`coalesce(r.product_code, sp.code) = ANY(${values.map((v) => v.toUpperCase())}::text[])`,
        );
        break;
      case 'productOrderItem.product.id':
        where.push(sql`s.code = ANY(${values.map((v) => v.toUpperCase())}::text[])`);
        break;
      default:
        throw tmfInvalid(attr, 'is not a filterable attribute');
    }
  }
  return where;
}

const PUSHDOWN = [
  'id',
  'state',
  'orderDate',
  'relatedParty.id',
  'billingAccount.id',
  'externalId',
  'productOrderItem.productOffering.id',
  'productOrderItem.product.id',
] as const;

const FROM = sql`FROM service_request r
  JOIN customer c ON c.id = r.customer_id
  JOIN payer p ON p.id = r.payer_id
  LEFT JOIN subscription s ON s.id = r.subscription_id
  LEFT JOIN product_version spv ON spv.id = s.product_version_id
  LEFT JOIN product sp ON sp.id = spv.product_id
  LEFT JOIN product op ON op.code = coalesce(r.product_code, sp.code)
  LEFT JOIN wf_instance i ON i.subject_type = 'service_request' AND i.subject_id = r.id::text
  LEFT JOIN tmf_product_order o ON o.request_id = r.id`;

type Note = { id?: string; author?: string; date?: string; text: string };

function notesOf(v: unknown, ctx: TmfContext, now: Date): Note[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw tmfInvalid('note', 'must be an array');
  if (v.length > 100) throw tmfInvalid('note', 'at most 100 notes');
  return v.map((n: unknown, i) => {
    const o = field(n, `note[${i}]`);
    const t = text(o?.text, `note[${i}].text`, 4000);
    if (!t) throw tmfInvalid(`note[${i}].text`, 'is required');
    return {
      id: text(o?.id, `note[${i}].id`, 60) ?? String(i + 1),
      author: text(o?.author, `note[${i}].author`, 200) ?? ctx.principal.username,
      date: (date(o?.date, `note[${i}].date`) ?? now).toISOString(),
      text: t,
    };
  });
}

/** A request service error names its own input; the client sent TMF attributes. */
const FIELD_OF: Record<string, string> = {
  customer: 'relatedParty.id',
  payerId: 'billingAccount.id',
  productCode: 'productOrderItem[0].productOffering.id',
  subscriptionId: 'productOrderItem[0].product.id',
  preferredNumber: 'productOrderItem[0].product.productCharacteristic.directoryNumber',
  shop: 'productOrderItem[0].product.productCharacteristic.shop',
};

function renamed(err: unknown): unknown {
  if (!(err instanceof DomainError) || !err.field || !FIELD_OF[err.field]) return err;
  const mapped = FIELD_OF[err.field];
  return new DomainError(err.kind, err.code, `${mapped}: ${err.message}`, mapped, err.details);
}

function refused(fieldName: string, message: string): DomainError {
  return new DomainError('rule', 'tmf.order_refused', `${fieldName}: ${message}`, fieldName);
}

export class TmfProductOrders {
  constructor(
    private readonly db: Db,
    private readonly requests: RequestsModule,
  ) {}

  private async select(where: RawBuilder<unknown>[], offset: number, limit: number) {
    const cond = where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
    const [rows, n] = await Promise.all([
      sql<OrderRow>`
        SELECT r.id, r.number, r.kind, r.status, r.reason, r.created_at, r.closed_at, r.line_id,
          c.code AS customer_code, ${CUSTOMER_NAME} AS customer_name,
          (SELECT k.code FROM category k WHERE k.id = c.commercial1_id) AS commercial1,
          p.code AS payer_code, p.name AS payer_name,
          op.code AS offering_code, op.name AS offering_name, s.code AS subscription_code,
          i.data -> 'product' AS product_data,
          (SELECT v.currency FROM product_version v WHERE v.product_id = op.id ORDER BY v.version DESC LIMIT 1) AS currency,
          ${STATE} AS state,
          o.external_id, o.description, o.category, o.priority, o.notification_contact,
          o.requested_start_date, o.requested_completion_date, o.item_id, o.item_action, o.note
        ${FROM} ${cond}
        ORDER BY r.id
        OFFSET ${offset} LIMIT ${limit}`.execute(this.db),
      sql<{ n: string }>`SELECT count(*) AS n ${FROM} ${cond}`.execute(this.db),
    ]);
    return { rows: rows.rows, total: Number(n.rows[0]?.n ?? 0) };
  }

  async list(q: TmfListQuery, ctx: TmfContext) {
    const { rows, total } = await this.select(filterSql(q.filters), q.offset, q.limit);
    return { items: rows.map((r) => toTmf(r, ctx)), total };
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    const { rows } = await this.select([sql`r.number = ${id.toUpperCase()}`], 0, 1);
    return rows[0] && toTmf(rows[0], ctx);
  }

  /** The customer and payer the order names: relatedParty (role customer) and/or billingAccount. */
  private async partiesOf(
    body: Record<string, unknown>,
    fromProduct: number | undefined,
  ): Promise<{ customer: string; payerId?: number }> {
    const parties = body.relatedParty;
    if (parties !== undefined && !Array.isArray(parties))
      throw tmfInvalid('relatedParty', 'must be an array');
    const list = (parties ?? []) as unknown[];
    const roles = list.map((p, i) => field(p, `relatedParty[${i}]`) ?? {});
    let index = roles.findIndex((p) => String(p.role ?? '').toLowerCase() === 'customer');
    if (index < 0 && roles.length === 1 && roles[0]?.role === undefined) index = 0;
    let customerId: number | undefined;
    let customerCode: string | undefined;
    if (index >= 0) {
      const name = `relatedParty[${index}].id`;
      const id = text(roles[index]?.id, name, 40);
      if (!id) throw tmfInvalid(name, 'is required');
      const c = await this.db
        .selectFrom('customer')
        .select(['id', 'code'])
        .where('code', '=', id.toUpperCase())
        .executeTakeFirst();
      if (!c) throw refused(name, `there is no customer ${id} (create it through TMF629 first)`);
      customerId = c.id;
      customerCode = c.code;
    }
    let payerId: number | undefined;
    const account = field(body.billingAccount, 'billingAccount');
    if (account) {
      const id = text(account.id, 'billingAccount.id', 40);
      if (!id) throw tmfInvalid('billingAccount.id', 'is required');
      const p = await this.db
        .selectFrom('payer as p')
        .innerJoin('customer as c', 'c.id', 'p.customer_id')
        .select(['p.id', 'p.customer_id', 'c.code'])
        .where('p.code', '=', id.toUpperCase())
        .executeTakeFirst();
      if (!p) throw refused('billingAccount.id', `there is no billing account ${id}`);
      if (customerId !== undefined && p.customer_id !== customerId)
        throw refused('billingAccount.id', `billing account ${id} is not one of customer ${customerCode}'s`);
      customerId = p.customer_id;
      customerCode = p.code;
      payerId = p.id;
    }
    if (customerCode === undefined && fromProduct !== undefined) {
      const c = await this.db
        .selectFrom('customer')
        .select('code')
        .where('id', '=', fromProduct)
        .executeTakeFirstOrThrow();
      customerCode = c.code;
    }
    if (customerCode === undefined)
      throw tmfInvalid('relatedParty', 'name the customer (role customer) or its billingAccount');
    return { customer: customerCode, ...(payerId !== undefined ? { payerId } : {}) };
  }

  /** The line or option an item acts on (TMF637 product id = subscription code). */
  private async subscriptionOf(
    id: unknown,
    name: string,
  ): Promise<{ id: number; customerId: number; kind: string }> {
    const code = text(id, name, 40);
    if (!code) throw tmfInvalid(name, 'is required: the product (subscription) the item acts on');
    const s = await this.db
      .selectFrom('subscription as s')
      .innerJoin('product_version as v', 'v.id', 's.product_version_id')
      .innerJoin('product as p', 'p.id', 'v.product_id')
      .select(['s.id', 's.customer_id', 'p.kind'])
      .where('s.code', '=', code.toUpperCase())
      .executeTakeFirst();
    if (!s) throw refused(name, `there is no product ${code}`);
    return { id: s.id, customerId: s.customer_id, kind: s.kind };
  }

  /**
   * One order item → one service request: `add` of a line offering is a new line, of an option an
   * option added to the line named in `product.productRelationship`; `modify` with product.status
   * `suspended`/`active` suspends or restores; `delete` terminates the line or removes the option.
   */
  async create(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    const items = body.productOrderItem;
    if (!Array.isArray(items) || items.length === 0) throw tmfInvalid('productOrderItem', 'give one item');
    if (items.length > 1)
      throw tmfInvalid(
        'productOrderItem',
        'GPTo runs one service request per order: send one item per productOrder',
      );
    const item = field(items[0], 'productOrderItem[0]') ?? {};
    const action = item.action;
    if (action !== 'add' && action !== 'modify' && action !== 'delete')
      throw tmfInvalid('productOrderItem[0].action', 'must be add, modify or delete');
    const itemId = text(item.id, 'productOrderItem[0].id', 60) ?? '1';
    const product = field(item.product, 'productOrderItem[0].product') ?? {};
    const offering = field(item.productOffering, 'productOrderItem[0].productOffering');
    const chars = product.productCharacteristic;
    if (chars !== undefined && !Array.isArray(chars))
      throw tmfInvalid('productOrderItem[0].product.productCharacteristic', 'must be an array');
    const charOf = (n: string) =>
      (chars as { name?: unknown; value?: unknown }[] | undefined)?.find((c) => c?.name === n)?.value;

    const input: Partial<RequestCreate> & { channel: 'api' } = { channel: 'api' };
    let owner: number | undefined;
    if (action === 'add') {
      const code = text(offering?.id, 'productOrderItem[0].productOffering.id', 31);
      if (!code) throw tmfInvalid('productOrderItem[0].productOffering.id', 'is required to add a product');
      const p = await this.db
        .selectFrom('product')
        .select(['code', 'kind', 'active'])
        .where('code', '=', code.toUpperCase())
        .executeTakeFirst();
      if (!p || !p.active)
        throw refused(
          'productOrderItem[0].productOffering.id',
          `there is no product offering ${code} on sale`,
        );
      input.productCode = p.code;
      if (p.kind === 'option') {
        const rel = product.productRelationship;
        const first = Array.isArray(rel)
          ? field(rel[0], 'productOrderItem[0].product.productRelationship[0]')
          : undefined;
        const lineId =
          first?.id ??
          field(first?.product, 'productOrderItem[0].product.productRelationship[0].product')?.id;
        const line = await this.subscriptionOf(
          lineId,
          'productOrderItem[0].product.productRelationship[0].id',
        );
        input.kind = 'add_option';
        input.subscriptionId = line.id;
        owner = line.customerId;
      } else {
        input.kind = 'new_line';
        // choose-a-number and the shop giving the SIM card, as the native API takes them
        const dn = charOf('directoryNumber');
        if (dn !== undefined) {
          if (typeof dn !== 'string' || !/^[0-9]{6,15}$/.test(dn))
            throw tmfInvalid(FIELD_OF.preferredNumber!, 'a directory number of 6 to 15 digits');
          input.preferredNumber = dn;
        }
        const shop = charOf('shop');
        if (shop !== undefined) {
          if (typeof shop !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$/.test(shop))
            throw tmfInvalid(FIELD_OF.shop!, 'a shop code');
          input.shop = shop;
        }
      }
    } else {
      const s = await this.subscriptionOf(product.id, 'productOrderItem[0].product.id');
      input.subscriptionId = s.id;
      owner = s.customerId;
      if (action === 'delete') input.kind = s.kind === 'option' ? 'remove_option' : 'termination';
      else if (product.status === 'suspended') input.kind = 'suspension';
      else if (product.status === 'active') input.kind = 'restoration';
      else
        throw tmfInvalid(
          'productOrderItem[0].product.status',
          'a modify item says the status wanted: suspended (suspension) or active (restoration)',
        );
    }
    const parties = await this.partiesOf(body, owner);

    const now = new Date();
    const extras = {
      external_id: text(body.externalId, 'externalId', 200) ?? null,
      description: text(body.description, 'description', 2000) ?? null,
      category: text(body.category, 'category', 100) ?? null,
      priority: text(body.priority, 'priority', 10) ?? null,
      notification_contact: text(body.notificationContact, 'notificationContact', 500) ?? null,
      requested_start_date: date(body.requestedStartDate, 'requestedStartDate') ?? null,
      requested_completion_date: date(body.requestedCompletionDate, 'requestedCompletionDate') ?? null,
      item_id: itemId,
      item_action: action,
      note: JSON.stringify(notesOf(body.note, ctx, now) ?? []),
    } as const;

    // One transaction: the request, its scenario, the client's attributes and the record of the
    // order — a failure anywhere leaves nothing behind.
    let created;
    try {
      created = await this.db.transaction().execute(async (trx) => {
        const r = await this.requests.requests.createIn(
          trx,
          {
            ...(input as RequestCreate),
            ...parties,
            ...(extras.external_id ? { details: { externalId: extras.external_id } } : {}),
          },
          ctx.actor,
        );
        await trx
          .insertInto('tmf_product_order')
          .values({ request_id: r.id, ...extras })
          .execute();
        await appendEvent(trx, {
          entityType: 'service_request',
          entityId: r.id,
          customerId: r.customerId,
          lineId: r.lineId,
          kind: 'request.order_received',
          userId: ctx.actor.userId,
          payload: { api: 'TMF622', externalId: extras.external_id, itemId },
        });
        return r;
      });
    } catch (err) {
      throw renamed(err);
    }
    return (await this.get(created.number, ctx)) as TmfObject;
  }

  /**
   * Merge-patch of what the client owns: its reference, description, wished dates, contact and
   * notes. The state follows the request (cancel through cancelProductOrder); items, parties and
   * dates set by GPTo are refused by name.
   */
  async patch(id: string, body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject | undefined> {
    const existing = await this.get(id, ctx);
    if (!existing) return undefined;
    const allowed = new Set([
      'externalId',
      'description',
      'category',
      'priority',
      'notificationContact',
      'requestedStartDate',
      'requestedCompletionDate',
      'note',
      '@type',
    ]);
    for (const k of Object.keys(body)) {
      // ProductOrder_Update lists productOrderItem as required: a client resending what it read
      // (items, state, parties as they are) changes nothing and is not refused for it
      if (!allowed.has(k) && JSON.stringify(body[k]) === JSON.stringify(existing[k])) continue;
      if (!allowed.has(k))
        throw tmfInvalid(
          k,
          k === 'state'
            ? 'follows the service request; cancel an order through cancelProductOrder'
            : 'cannot be changed through TMF622 (set by GPTo or fixed at ordering)',
        );
    }
    const closed = ['completed', 'cancelled', 'rejected', 'failed'].includes(String(existing.state));
    if (closed && ('requestedStartDate' in body || 'requestedCompletionDate' in body))
      throw new DomainError(
        'conflict',
        'tmf.order_closed',
        `productOrder ${existing.id} is ${String(existing.state)}: its wished dates no longer apply`,
        'requestedCompletionDate' in body ? 'requestedCompletionDate' : 'requestedStartDate',
      );
    const now = new Date();
    const set: Record<string, unknown> = {};
    // merge-patch: null removes an attribute
    const put = (k: string, col: string, v: unknown) => {
      if (k in body) set[col] = v ?? null;
    };
    put('externalId', 'external_id', text(body.externalId, 'externalId', 200));
    put('description', 'description', text(body.description, 'description', 2000));
    put('category', 'category', text(body.category, 'category', 100));
    put('priority', 'priority', text(body.priority, 'priority', 10));
    put(
      'notificationContact',
      'notification_contact',
      text(body.notificationContact, 'notificationContact', 500),
    );
    put('requestedStartDate', 'requested_start_date', date(body.requestedStartDate, 'requestedStartDate'));
    put(
      'requestedCompletionDate',
      'requested_completion_date',
      date(body.requestedCompletionDate, 'requestedCompletionDate'),
    );
    if ('note' in body) set.note = JSON.stringify(body.note === null ? [] : notesOf(body.note, ctx, now));
    if (Object.keys(set).length === 0) return existing;
    await this.db.transaction().execute(async (trx) => {
      const r = await trx
        .selectFrom('service_request')
        .select(['id', 'customer_id', 'line_id', 'kind'])
        .where('number', '=', String(existing.id))
        .forUpdate()
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('tmf_product_order')
        .values({ request_id: r.id, item_action: actionOf(r.kind), ...set, updated_at: now })
        .onConflict((oc) => oc.column('request_id').doUpdateSet({ ...set, updated_at: now }))
        .execute();
      await appendEvent(trx, {
        entityType: 'service_request',
        entityId: r.id,
        customerId: r.customer_id,
        lineId: r.line_id,
        kind: 'request.order_updated',
        userId: ctx.actor.userId,
        payload: { api: 'TMF622', changed: Object.keys(body).filter((k) => k !== '@type') },
      });
    });
    return this.get(id, ctx);
  }
}

export function productOrderingApi(db: Db, requests: RequestsModule): TmfApiDef {
  const orders = new TmfProductOrders(db, requests);
  const cancels = new TmfCancelProductOrders(db, requests);
  const numberOf = async (entityId: string) =>
    (
      await db
        .selectFrom('service_request')
        .select('number')
        .where('id', '=', Number(entityId))
        .executeTakeFirst()
    )?.number;
  const productOrder: TmfResourceDef = {
    path: 'productOrder',
    type: 'ProductOrder',
    read: 'request:read',
    write: 'request:write',
    pushdown: PUSHDOWN,
    list: (q, ctx) => orders.list(q, ctx),
    get: (id, ctx) => orders.get(id, ctx),
    create: (b, ctx) => orders.create(b, ctx),
    patch: (id, b, ctx) => orders.patch(id, b, ctx),
    events: {
      entityTypes: ['service_request'],
      classify: ({ kind }) => {
        if (kind === 'request.created') return 'CreateEvent';
        // one row per real change of the derived state, written at commit (migration 0750):
        // acknowledged → pending/inProgress/held … → completed/cancelled/rejected
        if (kind === STATE_CHANGED) return 'StateChangeEvent';
        if (kind === 'request.order_updated') return 'AttributeValueChangeEvent';
        return null;
      },
      idOf: numberOf,
      // the state the change led to, not the one at delivery (a listener back after a while
      // receives every state in turn)
      atEvent: (order, { kind, payload }) => {
        const to = kind === STATE_CHANGED ? (payload as { to?: unknown }).to : undefined;
        if (typeof to !== 'string') return order;
        const items = (order.productOrderItem as Record<string, unknown>[] | undefined) ?? [];
        return { ...order, state: to, productOrderItem: items.map((i) => ({ ...i, state: to })) };
      },
    },
  };
  const cancelProductOrder: TmfResourceDef = {
    path: 'cancelProductOrder',
    type: 'CancelProductOrder',
    read: 'request:read',
    write: 'request:write',
    pushdown: ['id', 'productOrder.id', 'state'],
    list: (q, ctx) => cancels.list(q, ctx),
    get: (id, ctx) => cancels.get(id, ctx),
    create: (b, ctx) => cancels.create(b, ctx),
    events: {
      entityTypes: ['tmf_cancel_product_order'],
      classify: ({ kind }) => (kind === 'order.cancel_requested' ? 'CreateEvent' : null),
      idOf: async (entityId) =>
        (
          await db
            .selectFrom('tmf_cancel_product_order')
            .select('code')
            .where('id', '=', Number(entityId))
            .executeTakeFirst()
        )?.code,
    },
  };
  return {
    name: ORDERING_API,
    title: 'TMF622 Product Ordering',
    resources: [productOrder, cancelProductOrder],
  };
}
