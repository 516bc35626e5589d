import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import type { ActivationModule, OrderView } from '../activation/index.js';
import { isoOf, type Characteristic } from './common.js';
import { tmfInvalid, type TmfContext, type TmfListQuery, type TmfObject } from './framework.js';
import { CUSTOMER_NAME, customerPartyRef, productRef, RESOURCE_API } from './product-refs.js';
import { resourceId } from './product-inventory.js';

/**
 * The network-facing side of GPTo's lines, shared by TMF638 Service Inventory, TMF640 Service
 * Activation and TMF641 Service Ordering.
 *
 * - A **service** is a line as the network knows it: id = its directory number (the key of every
 *   activation order, `act_order.line_id`), backed by the line's subscription (the latest one
 *   holding that number, a live one first). Its `state` is the network's: the last completed
 *   activation order that changes it (activate/restore → active, suspend → inactive, deactivate →
 *   terminated), else the subscription's status (pending → reserved).
 * - A **service order** (TMF641) and a **monitor** (TMF640) are one activation order (`act_order`),
 *   id = the order's number; their state follows the order (pending → acknowledged, running →
 *   inProgress, done → completed, refused → failed, cancelled → cancelled).
 *
 * Writes go through ActivationService.order (right `activation:write`), which queues the order and
 * its `activation.order_queued` event in one transaction and wakes the automaton.
 */

export const SERVICE_INVENTORY_API = 'serviceInventory';
export const SERVICE_ACTIVATION_API = 'serviceActivationConfiguration';
export const SERVICE_ORDERING_API = 'serviceOrdering';

/** Operations after which the line's network state is known. */
const STATE_OF_OPERATION: Record<string, string> = {
  'fixed.activate': 'active',
  'mobile.activate': 'active',
  'fixed.restore': 'active',
  'mobile.restore': 'active',
  'mobile.sim_swap': 'active',
  'fixed.suspend': 'inactive',
  'mobile.suspend': 'inactive',
  'fixed.deactivate': 'terminated',
  'mobile.deactivate': 'terminated',
};
const STATE_OPERATIONS = Object.keys(STATE_OF_OPERATION);

const STATE_OF_SUBSCRIPTION: Record<string, string> = {
  pending: 'reserved',
  active: 'active',
  suspended: 'inactive',
  terminated: 'terminated',
};

export const SERVICE_STATES = ['reserved', 'inactive', 'active', 'terminated'] as const;

/** act_order.status → TMF641 ServiceOrderStateType (and its item's). */
export const ORDER_STATE: Record<string, string> = {
  pending: 'acknowledged',
  running: 'inProgress',
  done: 'completed',
  refused: 'failed',
  cancelled: 'cancelled',
};
/** act_order.status → TMF640 Monitor state (InProgress, InError, Completed). */
export const MONITOR_STATE: Record<string, string> = {
  pending: 'InProgress',
  running: 'InProgress',
  done: 'Completed',
  refused: 'InError',
  cancelled: 'InError',
};

export type LineFamily = 'fixed' | 'mobile';

export const familyOf = (productKind: string): LineFamily =>
  productKind.startsWith('mobile') ? 'mobile' : 'fixed';

/** The TMF action of an activation operation (TMF641 itemAction). */
export function actionOf(operation: string): 'add' | 'modify' | 'delete' {
  if (operation.endsWith('.activate')) return 'add';
  if (operation.endsWith('.deactivate')) return 'delete';
  return 'modify';
}

interface ServiceRow {
  subscription_id: number;
  subscription_code: string;
  subscription_status: string;
  customer_id: number;
  directory_number: string;
  sim_iccid: string | null;
  equipment_number: string | null;
  created_at: Date;
  activated_at: Date | null;
  terminated_at: Date | null;
  customer_code: string;
  customer_name: string;
  product_kind: string;
  product_code: string;
  product_name: string;
  state: string;
  net_operation: string | null;
  net_element: string | null;
  net_at: Date | null;
  options: { code: string; name: string }[];
  orders: { id: number; operation: string; status: string }[];
}

/** One row per directory number: its live subscription, else its latest one. */
const LINES = sql`SELECT DISTINCT ON (s.directory_number)
    s.id AS subscription_id, s.code AS subscription_code, s.status AS subscription_status, s.customer_id,
    s.directory_number, s.sim_iccid, s.equipment_number, s.created_at, s.activated_at, s.terminated_at,
    c.code AS customer_code, ${CUSTOMER_NAME} AS customer_name,
    pr.kind AS product_kind, pr.code AS product_code, pr.name AS product_name
  FROM subscription s
  JOIN customer c ON c.id = s.customer_id
  JOIN product_version v ON v.id = s.product_version_id
  JOIN product pr ON pr.id = v.product_id
  WHERE s.parent_id IS NULL AND s.directory_number IS NOT NULL`;

const LINES_ORDER = sql`ORDER BY s.directory_number, (s.status <> 'terminated') DESC, s.id DESC`;

function lineFilters(filters: Record<string, string[]>): {
  inner: RawBuilder<unknown>[];
  outer: RawBuilder<unknown>[];
} {
  const inner: RawBuilder<unknown>[] = [];
  const outer: RawBuilder<unknown>[] = [];
  for (const [attr, values] of Object.entries(filters)) {
    switch (attr) {
      case 'id':
      case 'name':
        inner.push(sql`s.directory_number = ANY(${values}::text[])`);
        break;
      case 'category': {
        const bad = values.find((v) => v !== 'fixed' && v !== 'mobile');
        if (bad) throw tmfInvalid('category', 'must be fixed or mobile');
        const kinds = values.flatMap((v) =>
          v === 'fixed' ? ['fixed_wired', 'fixed_radio'] : ['mobile_postpaid', 'mobile_prepaid'],
        );
        inner.push(sql`pr.kind = ANY(${kinds}::text[])`);
        break;
      }
      case 'serviceSpecification.id':
      case 'serviceType':
        inner.push(sql`pr.kind = ANY(${values}::text[])`);
        break;
      case 'relatedParty.id':
        inner.push(sql`c.code = ANY(${values.map((v) => v.toUpperCase())}::text[])`);
        break;
      case 'serviceCharacteristic.value':
        inner.push(
          sql`(s.directory_number = ANY(${values}::text[]) OR s.sim_iccid = ANY(${values}::text[])
              OR s.equipment_number = ANY(${values}::text[]))`,
        );
        break;
      case 'state': {
        const bad = values.find((v) => !(SERVICE_STATES as readonly string[]).includes(v));
        if (bad) throw tmfInvalid('state', `must be one of ${SERVICE_STATES.join(', ')}`);
        outer.push(sql`x.state = ANY(${values}::text[])`);
        break;
      }
      default:
        throw tmfInvalid(attr, 'is not a filterable attribute');
    }
  }
  return { inner, outer };
}

export const SERVICE_PUSHDOWN = [
  'id',
  'name',
  'category',
  'serviceType',
  'serviceSpecification.id',
  'relatedParty.id',
  'serviceCharacteristic.value',
  'state',
] as const;

const subscriptionStateSql = sql.raw(
  `CASE l.subscription_status ${Object.entries(STATE_OF_SUBSCRIPTION)
    .map(([k, v]) => `WHEN '${k}' THEN '${v}'`)
    .join(' ')} END`,
);
const operationStateSql = sql.raw(
  `CASE n.operation ${Object.entries(STATE_OF_OPERATION)
    .map(([k, v]) => `WHEN '${k}' THEN '${v}'`)
    .join(' ')} END`,
);

export class TmfServices {
  constructor(
    private readonly db: Db,
    private readonly activation: ActivationModule,
  ) {}

  private async select(filters: Record<string, string[]>, offset: number, limit: number) {
    const { inner, outer } = lineFilters(filters);
    const innerSql = inner.length ? sql`${LINES} AND ${sql.join(inner, sql` AND `)}` : LINES;
    const outerSql = outer.length ? sql`WHERE ${sql.join(outer, sql` AND `)}` : sql``;
    // Without a state filter the page is cut from the lines first, so only its rows read their orders.
    const paged = outer.length === 0;
    const lines = paged
      ? sql`SELECT * FROM (${innerSql} ${LINES_ORDER}) p ORDER BY p.directory_number OFFSET ${offset} LIMIT ${limit}`
      : sql`${innerSql} ${LINES_ORDER}`;
    // the network's word on the line: its last completed state-changing order since the subscription
    const base = (from: RawBuilder<unknown>) => sql`SELECT l.*, n.operation AS net_operation,
        n.element_code AS net_element, n.finished_at AS net_at,
        coalesce(${operationStateSql}, ${subscriptionStateSql}) AS state
      FROM (${from}) l
      LEFT JOIN LATERAL (SELECT o.operation, o.element_code, o.finished_at FROM act_order o
        WHERE o.line_id = l.directory_number AND o.status = 'done'
          AND o.operation = ANY(${STATE_OPERATIONS}::text[]) AND o.created_at >= l.created_at
        ORDER BY o.id DESC LIMIT 1) n ON true`;
    const [rows, n] = await Promise.all([
      sql<ServiceRow>`SELECT x.*,
          coalesce((SELECT json_agg(json_build_object('code', o.code, 'name', op.name) ORDER BY o.id)
            FROM subscription o JOIN product_version ov ON ov.id = o.product_version_id
            JOIN product op ON op.id = ov.product_id
            WHERE o.parent_id = x.subscription_id AND o.status <> 'terminated'), '[]') AS options,
          coalesce((SELECT json_agg(json_build_object('id', a.id, 'operation', a.operation, 'status', a.status)
              ORDER BY a.id DESC)
            FROM (SELECT a.id, a.operation, a.status FROM act_order a
              WHERE a.line_id = x.directory_number AND a.created_at >= x.created_at
              ORDER BY a.id DESC LIMIT 20) a), '[]') AS orders
        FROM (${base(lines)}) x ${outerSql}
        ORDER BY x.directory_number ${paged ? sql`` : sql`OFFSET ${offset} LIMIT ${limit}`}`.execute(this.db),
      paged
        ? sql<{ n: string }>`SELECT count(DISTINCT s.directory_number) AS n FROM (${innerSql}) s`.execute(
            this.db,
          )
        : sql<{
            n: string;
          }>`SELECT count(*) AS n FROM (${base(sql`${innerSql} ${LINES_ORDER}`)}) x ${outerSql}`.execute(
            this.db,
          ),
    ]);
    return { rows: rows.rows, total: Number(n.rows[0]?.n ?? 0) };
  }

  async list(q: TmfListQuery, ctx: TmfContext, api: string) {
    const { rows, total } = await this.select(q.filters, q.offset, q.limit);
    return { items: rows.map((r) => toService(r, ctx, api)), total };
  }

  async get(id: string, ctx: TmfContext, api: string): Promise<TmfObject | undefined> {
    const row = await this.row(id);
    return row && toService(row, ctx, api);
  }

  /** Several services by directory number, in one read (a page of monitors' results). */
  async byIds(ids: string[], ctx: TmfContext, api: string): Promise<Map<string, TmfObject>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const { rows } = await this.select({ id: unique }, 0, unique.length);
    return new Map(rows.map((r) => [r.directory_number, toService(r, ctx, api)]));
  }

  private async row(id: string): Promise<ServiceRow | undefined> {
    return (await this.select({ id: [id] }, 0, 1)).rows[0];
  }

  /**
   * Queues the activation order a TMF request stands for on the line `id`:
   * - `add`: create the line on its element (fixed: on its equipment number; mobile: from its SIM);
   * - `delete`: remove it;
   * - `modify` with `state`: inactive → suspend, active → restore (of a line already on the network);
   * - `modify` with the `barring` characteristic (fixed lines): change the barring class.
   * Returns undefined when no line has that directory number.
   */
  async queue(
    id: string,
    want: { action: string; state?: unknown; characteristics: Record<string, unknown>; field: string },
    ctx: TmfContext,
  ): Promise<OrderView | undefined> {
    const line = await this.row(id);
    if (!line) return undefined;
    const family = familyOf(line.product_kind);
    const dn = line.directory_number;
    const { field } = want;
    let operation: string;
    let params: Record<string, unknown>;
    const element =
      typeof want.characteristics.networkElement === 'string'
        ? want.characteristics.networkElement
        : undefined;
    if (line.subscription_status === 'terminated' && want.action !== 'delete')
      throw new DomainError(
        'rule',
        'tmf.service_terminated',
        `line ${dn} is terminated (subscription ${line.subscription_code}); a new line is ordered through TMF622`,
        'service.id',
      );
    if (want.action === 'add') {
      if (family === 'fixed') {
        if (!line.equipment_number)
          throw new DomainError(
            'rule',
            'tmf.service_unplanned',
            `line ${dn} has no equipment number yet: its study and allocation come first`,
            'service.id',
          );
        operation = 'fixed.activate';
        params = { dn, en: line.equipment_number };
        if (typeof want.characteristics.barring === 'string') params.barring = want.characteristics.barring;
      } else {
        if (!line.sim_iccid)
          throw new DomainError(
            'rule',
            'tmf.service_unplanned',
            `line ${dn} has no SIM card yet`,
            'service.id',
          );
        operation = 'mobile.activate';
        params = { iccid: line.sim_iccid, msisdn: dn };
      }
    } else if (want.action === 'delete') {
      operation = `${family}.deactivate`;
      params = family === 'fixed' ? { dn } : { iccid: line.sim_iccid, msisdn: dn };
    } else if (want.action === 'modify') {
      const sim = family === 'mobile' ? { iccid: line.sim_iccid } : { dn };
      if (want.state !== undefined) {
        if (want.state === 'inactive') operation = `${family}.suspend`;
        else if (want.state === 'active') operation = `${family}.restore`;
        else
          throw tmfInvalid(
            `${field}.state`,
            'a modify sets state inactive (suspend) or active (restore); add and delete create and remove the line',
          );
        params = sim;
      } else if (typeof want.characteristics.barring === 'string') {
        if (family !== 'fixed')
          throw tmfInvalid(`${field}.serviceCharacteristic`, 'barring classes are a fixed line’s');
        operation = 'fixed.barring';
        params = { dn, barring: want.characteristics.barring };
      } else
        throw tmfInvalid(
          field,
          'a modify gives a state (inactive or active) or, for a fixed line, the barring characteristic',
        );
    } else throw tmfInvalid(`${field}.action`, 'must be add, modify or delete');
    return this.activation.service.order(
      { operation, lineId: dn, params, element, customerId: line.customer_id },
      ctx.actor,
    );
  }

  /** The subscription id → its directory number (the hub's id mapping for subscription events). */
  async dnOfSubscription(entityId: string): Promise<string | undefined> {
    if (!/^\d+$/.test(entityId)) return undefined;
    const r = await this.db
      .selectFrom('subscription')
      .select('directory_number')
      .where('id', '=', Number(entityId))
      .where('parent_id', 'is', null)
      .executeTakeFirst();
    return r?.directory_number ?? undefined;
  }

  async dnOfOrder(entityId: string): Promise<string | undefined> {
    if (!/^\d+$/.test(entityId)) return undefined;
    const r = await this.db
      .selectFrom('act_order')
      .select('line_id')
      .where('id', '=', Number(entityId))
      .executeTakeFirst();
    return r?.line_id;
  }
}

/** `serviceCharacteristic` → name → value (names the element at fault). */
export function characteristicsOf(raw: unknown, field: string): Record<string, unknown> {
  if (raw === undefined) return {};
  if (!Array.isArray(raw)) throw tmfInvalid(field, 'must be an array');
  const out: Record<string, unknown> = {};
  raw.forEach((c: unknown, i) => {
    const ch = c as { name?: unknown; value?: unknown } | null;
    if (!ch || typeof ch.name !== 'string') throw tmfInvalid(`${field}[${i}].name`, 'is required');
    out[ch.name] = ch.value;
  });
  return out;
}

function toService(r: ServiceRow, ctx: TmfContext, api: string): TmfObject {
  const family = familyOf(r.product_kind);
  const chars: Characteristic[] = [];
  const ch = (name: string, value: string | null | undefined) => {
    if (value) chars.push({ name, value, valueType: 'string' });
  };
  ch('directoryNumber', r.directory_number);
  ch('iccid', r.sim_iccid);
  ch('equipmentNumber', r.equipment_number);
  ch('subscriptionStatus', r.subscription_status);
  ch('networkElement', r.net_element);
  ch('lastNetworkOperation', r.net_operation);
  const res = (id: string, name: string, type: string) => ({
    id,
    href: ctx.href(RESOURCE_API, 'resource', id),
    name,
    '@referredType': type,
  });
  const supporting = [res(resourceId.number(r.directory_number), r.directory_number, 'LogicalResource')];
  if (r.sim_iccid) supporting.push(res(resourceId.sim(r.sim_iccid), r.sim_iccid, 'PhysicalResource'));
  if (r.equipment_number)
    supporting.push(res(resourceId.port(r.equipment_number), r.equipment_number, 'PhysicalResource'));
  return {
    id: r.directory_number,
    href: ctx.href(api, 'service', r.directory_number),
    name: `${family} line ${r.directory_number}`,
    description: r.product_name,
    category: family,
    serviceType: r.product_kind,
    state: r.state,
    isServiceEnabled: r.state === 'active',
    hasStarted: r.activated_at !== null || r.net_operation !== null,
    isStateful: true,
    isBundle: false,
    startMode: '1',
    serviceDate: isoOf(r.created_at),
    ...(r.activated_at ? { startDate: isoOf(r.activated_at) } : {}),
    ...(r.terminated_at ? { endDate: isoOf(r.terminated_at) } : {}),
    serviceSpecification: {
      id: r.product_kind,
      name: `${family} line`,
      '@referredType': 'ServiceSpecification',
    },
    serviceCharacteristic: chars,
    // the options of the line's subscription are its supplementary services
    feature: r.options.map((o) => ({
      id: o.code,
      name: o.name,
      isEnabled: true,
      featureCharacteristic: [{ name: 'subscription', value: o.code, valueType: 'string' }],
    })),
    supportingResource: supporting,
    relatedParty: [{ ...customerPartyRef(ctx, r.customer_code, r.customer_name), '@type': 'RelatedParty' }],
    relatedEntity: [
      {
        ...productRef(ctx, r.subscription_code),
        role: 'realizes',
        '@referredType': 'Product',
      },
    ],
    serviceOrderItem: r.orders.map((o) => ({
      itemId: '1',
      serviceOrderId: String(o.id),
      serviceOrderHref: ctx.href(SERVICE_ORDERING_API, 'serviceOrder', String(o.id)),
      itemAction: actionOf(o.operation),
      role: o.operation,
      '@referredType': 'ServiceOrder',
    })),
    '@type': 'Service',
  };
}

/* ----------------------------- activation orders ----------------------------- */

interface OrderRow {
  id: number;
  element_code: string;
  operation: string;
  line_id: string;
  params: Record<string, unknown>;
  status: string;
  error: string | null;
  error_code: string | null;
  request_ref: string | null;
  created_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  customer_code: string | null;
  customer_name: string | null;
}

function orderFilters(filters: Record<string, string[]>, states: Record<string, string>) {
  const where: RawBuilder<unknown>[] = [];
  for (const [attr, values] of Object.entries(filters)) {
    switch (attr) {
      case 'id': {
        const ids = values.filter((v) => /^\d{1,15}$/.test(v)).map(Number);
        where.push(sql`o.id = ANY(${ids}::bigint[])`);
        break;
      }
      case 'state': {
        const all = Object.keys(states).filter((k) => values.includes(states[k] as string));
        if (all.length === 0)
          throw tmfInvalid('state', `must be one of ${[...new Set(Object.values(states))].join(', ')}`);
        where.push(sql`o.status = ANY(${all}::text[])`);
        break;
      }
      case 'serviceOrderItem.service.id':
      case 'lineId':
        where.push(sql`o.line_id = ANY(${values}::text[])`);
        break;
      case 'category':
        where.push(sql`o.operation = ANY(${values}::text[])`);
        break;
      case 'externalId':
        // the request number; act_order.request_ref holds the request's id (the workflow's subject)
        where.push(
          sql`o.request_ref IN (SELECT sr.id::text FROM service_request sr
            WHERE sr.number = ANY(${values.map((v) => v.toUpperCase())}::text[]))`,
        );
        break;
      default:
        throw tmfInvalid(attr, 'is not a filterable attribute');
    }
  }
  return where;
}

export const ORDER_PUSHDOWN = ['id', 'state', 'serviceOrderItem.service.id', 'category', 'externalId'];

export class TmfActivationOrders {
  constructor(private readonly db: Db) {}

  async select(q: TmfListQuery, states: Record<string, string>) {
    const where = orderFilters(q.filters, states);
    const cond = where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
    const from = sql`FROM act_order o LEFT JOIN customer c ON c.id = o.customer_id
      LEFT JOIN service_request sr
        ON sr.id = CASE WHEN o.request_ref ~ '^[0-9]{1,18}$' THEN o.request_ref::bigint END`;
    const [rows, n] = await Promise.all([
      sql<OrderRow>`SELECT o.id, o.element_code, o.operation, o.line_id, o.params, o.status, o.error, o.error_code,
          coalesce(sr.number, o.request_ref) AS request_ref, o.created_by, o.created_at, o.started_at, o.finished_at,
          c.code AS customer_code, CASE WHEN c.id IS NULL THEN NULL ELSE ${CUSTOMER_NAME} END AS customer_name
        ${from} ${cond} ORDER BY o.id DESC OFFSET ${q.offset} LIMIT ${q.limit}`.execute(this.db),
      sql<{ n: string }>`SELECT count(*) AS n ${from} ${cond}`.execute(this.db),
    ]);
    return { rows: rows.rows, total: Number(n.rows[0]?.n ?? 0) };
  }

  async one(id: string): Promise<OrderRow | undefined> {
    if (!/^\d{1,15}$/.test(id)) return undefined;
    return (await this.select({ offset: 0, limit: 1, filters: { id: [id] } }, ORDER_STATE)).rows[0];
  }
}

/** The order's params without anything secret (params never hold keys; kept narrow all the same). */
function publicParams(p: Record<string, unknown>): Characteristic[] {
  return Object.entries(p)
    .filter(([k, v]) => !/^(ki|opc|k|card|secret)/i.test(k) && v !== null && v !== undefined)
    .map(([name, value]) => ({
      name,
      value: typeof value === 'object' ? JSON.stringify(value) : value,
      valueType: typeof value === 'object' ? 'string' : typeof value,
    }));
}

export function toServiceOrder(r: OrderRow, ctx: TmfContext): TmfObject {
  const state = ORDER_STATE[r.status] ?? r.status;
  const id = String(r.id);
  return {
    id,
    href: ctx.href(SERVICE_ORDERING_API, 'serviceOrder', id),
    category: r.operation,
    description: `${r.operation} on ${r.line_id} (${r.element_code})`,
    ...(r.request_ref ? { externalId: r.request_ref } : {}),
    orderDate: isoOf(r.created_at),
    ...(r.started_at ? { startDate: isoOf(r.started_at) } : {}),
    ...(r.finished_at && r.status === 'done' ? { completionDate: isoOf(r.finished_at) } : {}),
    state,
    ...(r.error
      ? { note: [{ author: r.element_code, text: `${r.error_code ?? 'error'}: ${r.error}` }] }
      : {}),
    relatedParty: [
      ...(r.customer_code
        ? [{ ...customerPartyRef(ctx, r.customer_code, r.customer_name ?? ''), '@type': 'RelatedParty' }]
        : []),
      {
        id: r.created_by,
        name: r.created_by,
        role: 'requester',
        '@referredType': 'Individual',
        '@type': 'RelatedParty',
      },
    ],
    serviceOrderItem: [
      {
        id: '1',
        action: actionOf(r.operation),
        state,
        service: {
          id: r.line_id,
          href: ctx.href(SERVICE_INVENTORY_API, 'service', r.line_id),
          serviceCharacteristic: [
            { name: 'operation', value: r.operation, valueType: 'string' },
            { name: 'networkElement', value: r.element_code, valueType: 'string' },
            ...publicParams(r.params),
          ],
          '@type': 'Service',
        },
        '@type': 'ServiceOrderItem',
      },
    ],
    '@type': 'ServiceOrder',
  };
}

/** The TMF640 call an operation stands for: activate = POST, deactivate = DELETE, others PATCH. */
function methodOf(operation: string): { method: string; collection: boolean } {
  if (operation.endsWith('.activate')) return { method: 'POST', collection: true };
  if (operation.endsWith('.deactivate')) return { method: 'DELETE', collection: false };
  return { method: 'PATCH', collection: false };
}

/**
 * A TMF640 monitor: one activation order. Once the automaton has done it, `response` carries the
 * resulting service (`service`, as TMF640 reads it now); a refusal carries the element's error.
 */
export function toMonitor(r: OrderRow, ctx: TmfContext, service?: TmfObject): TmfObject {
  const id = String(r.id);
  const call = methodOf(r.operation);
  return {
    id,
    href: ctx.href(SERVICE_ACTIVATION_API, 'monitor', id),
    sourceHref: ctx.href(SERVICE_ACTIVATION_API, 'service', r.line_id),
    state: MONITOR_STATE[r.status] ?? r.status,
    request: {
      method: call.method,
      to: call.collection
        ? `${ctx.href(SERVICE_ACTIVATION_API, 'service', r.line_id).replace(/\/[^/]*$/, '')}`
        : ctx.href(SERVICE_ACTIVATION_API, 'service', r.line_id),
      header: [{ name: 'Content-Type', value: 'application/json' }],
      body: JSON.stringify({ operation: r.operation, params: r.params }),
      '@type': 'Request',
    },
    ...(r.status === 'done' || r.status === 'refused' || r.status === 'cancelled'
      ? {
          response: {
            statusCode: r.status === 'done' ? '200' : r.status === 'refused' ? '422' : '409',
            header: [{ name: 'Content-Type', value: 'application/json' }],
            body: JSON.stringify(
              r.status === 'done' ? (service ?? { id: r.line_id }) : { code: r.error_code, message: r.error },
            ),
            '@type': 'Response',
          },
        }
      : {}),
    '@type': 'Monitor',
  };
}
