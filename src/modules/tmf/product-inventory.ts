import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db.js';
import { isoOf, type Characteristic } from './common.js';
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
  INVENTORY_API,
  money,
  offeringRef,
  ORDERING_API,
  productRef,
  RESOURCE_API,
  SERVICE_API,
  specificationRef,
} from './product-refs.js';

/**
 * TMF637 Product Inventory over GPTo's subscriptions: a `product` is a subscription (a line, or an
 * option on a line), id = subscription code. Its characteristics carry the directory number, the
 * SIM card's ICCID and the equipment number; `realizingResource` points at the TMF639 resources
 * that make the line (number, SIM, switch port, pairs, base station). Read-only: a product changes
 * through a TMF622 order (a service request), as at the counter.
 */

/** GPTo subscription status → TMF ProductStatusType. */
export const PRODUCT_STATUS: Record<string, string> = {
  pending: 'created',
  active: 'active',
  suspended: 'suspended',
  terminated: 'terminated',
};
const STATUS_OF: Record<string, string> = Object.fromEntries(
  Object.entries(PRODUCT_STATUS).map(([gpto, tmf]) => [tmf, gpto]),
);

interface ProductRow {
  id: number;
  code: string;
  status: string;
  directory_number: string | null;
  sim_iccid: string | null;
  equipment_number: string | null;
  created_at: Date;
  activated_at: Date | null;
  terminated_at: Date | null;
  customer_code: string;
  customer_name: string;
  payer_code: string;
  payer_name: string;
  product_code: string;
  product_name: string;
  product_kind: string;
  recurring_price: number;
  currency: string;
  parent_code: string | null;
  options: { code: string; name: string }[];
  orders: { number: string; kind: string }[];
  line: {
    port: string | null;
    primary_pair_id: number | null;
    distribution_pair_id: number | null;
    base_station: string | null;
  } | null;
}

/** The TMF639 resource ids GPTo uses (documented in docs/tmf.md, shared with that facade). */
export const resourceId = {
  number: (dn: string) => `number-${dn}`,
  sim: (iccid: string) => `sim-${iccid}`,
  port: (equipmentNumber: string) => `port-${equipmentNumber}`,
  pair: (id: number) => `pair-${id}`,
  baseStation: (code: string) => `bts-${code}`,
};

function resourceRef(ctx: TmfContext, id: string, name: string, type: string): Record<string, unknown> {
  return { id, href: ctx.href(RESOURCE_API, 'resource', id), name, '@referredType': type };
}

function toTmf(r: ProductRow, ctx: TmfContext): TmfObject {
  const chars: Characteristic[] = [];
  const ch = (name: string, value: string | null) => {
    if (value) chars.push({ name, value, valueType: 'string' });
  };
  ch('directoryNumber', r.directory_number);
  ch('iccid', r.sim_iccid);
  ch('equipmentNumber', r.equipment_number);
  const resources: Record<string, unknown>[] = [];
  if (r.directory_number)
    resources.push(
      resourceRef(ctx, resourceId.number(r.directory_number), r.directory_number, 'LogicalResource'),
    );
  if (r.sim_iccid)
    resources.push(resourceRef(ctx, resourceId.sim(r.sim_iccid), r.sim_iccid, 'PhysicalResource'));
  if (r.line?.port)
    resources.push(resourceRef(ctx, resourceId.port(r.line.port), r.line.port, 'PhysicalResource'));
  if (r.line?.primary_pair_id)
    resources.push(
      resourceRef(ctx, resourceId.pair(r.line.primary_pair_id), 'primary pair', 'PhysicalResource'),
    );
  if (r.line?.distribution_pair_id)
    resources.push(
      resourceRef(ctx, resourceId.pair(r.line.distribution_pair_id), 'distribution pair', 'PhysicalResource'),
    );
  if (r.line?.base_station)
    resources.push(
      resourceRef(ctx, resourceId.baseStation(r.line.base_station), r.line.base_station, 'PhysicalResource'),
    );
  return {
    id: r.code,
    href: ctx.href(INVENTORY_API, 'product', r.code),
    name: r.directory_number ? `${r.product_name} ${r.directory_number}` : r.product_name,
    status: PRODUCT_STATUS[r.status] ?? r.status,
    isBundle: false,
    isCustomerVisible: true,
    orderDate: isoOf(r.created_at),
    ...(r.activated_at ? { startDate: isoOf(r.activated_at) } : {}),
    ...(r.terminated_at ? { terminationDate: isoOf(r.terminated_at) } : {}),
    productOffering: offeringRef(ctx, r.product_code, r.product_name),
    productSpecification: specificationRef(ctx, r.product_kind),
    productCharacteristic: chars,
    productPrice: [
      {
        name: 'Subscription',
        priceType: 'recurring',
        recurringChargePeriod: 'month',
        price: { dutyFreeAmount: money(r.recurring_price, r.currency) },
      },
    ],
    relatedParty: [customerPartyRef(ctx, r.customer_code, r.customer_name)],
    billingAccount: billingAccountRef(ctx, r.payer_code, r.payer_name),
    // an option is bundled on its line; a line lists its options
    ...(r.parent_code
      ? { productRelationship: [{ relationshipType: 'bundled', product: productRef(ctx, r.parent_code) }] }
      : {}),
    ...(r.options.length ? { product: r.options.map((o) => productRef(ctx, o.code, o.name)) } : {}),
    productOrderItem: r.orders.map((o) => ({
      orderItemId: '1',
      productOrderId: o.number,
      productOrderHref: ctx.href(ORDERING_API, 'productOrder', o.number),
      orderItemAction:
        o.kind === 'new_line' || o.kind === 'add_option'
          ? 'add'
          : o.kind === 'termination' || o.kind === 'remove_option'
            ? 'delete'
            : 'modify',
      '@referredType': 'ProductOrder',
    })),
    realizingResource: resources,
    // the line's network-facing service (TMF638, id = its directory number); an option has none of its own
    ...(r.directory_number && !r.parent_code
      ? {
          realizingService: [
            {
              id: r.directory_number,
              href: ctx.href(SERVICE_API, 'service', r.directory_number),
              name: r.directory_number,
              '@referredType': 'Service',
            },
          ],
        }
      : {}),
    '@type': 'Product',
  };
}

function filterSql(filters: Record<string, string[]>): RawBuilder<unknown>[] {
  const where: RawBuilder<unknown>[] = [];
  const upper = (v: string[]) => v.map((x) => x.toUpperCase());
  for (const [attr, values] of Object.entries(filters)) {
    switch (attr) {
      case 'id':
        where.push(sql`s.code = ANY(${upper(values)}::text[])`);
        break;
      case 'status': {
        const bad = values.find((v) => !STATUS_OF[v]);
        if (bad) throw tmfInvalid('status', `must be one of ${Object.keys(STATUS_OF).join(', ')}`);
        where.push(sql`s.status = ANY(${values.map((v) => STATUS_OF[v])}::text[])`);
        break;
      }
      case 'relatedParty.id':
        where.push(sql`c.code = ANY(${upper(values)}::text[])`);
        break;
      case 'billingAccount.id':
        where.push(sql`p.code = ANY(${upper(values)}::text[])`);
        break;
      case 'productOffering.id':
        where.push(sql`pr.code = ANY(${upper(values)}::text[])`);
        break;
      case 'productSpecification.id':
        where.push(sql`pr.kind = ANY(${values}::text[])`);
        break;
      case 'productCharacteristic.value':
        // the directory number, ICCID or equipment number (each indexed or narrow)
        where.push(
          sql`(s.directory_number = ANY(${values}::text[]) OR s.sim_iccid = ANY(${values}::text[])
              OR s.equipment_number = ANY(${values}::text[]))`,
        );
        break;
      default:
        throw tmfInvalid(attr, 'is not a filterable attribute');
    }
  }
  return where;
}

const FROM = sql`FROM subscription s
  JOIN customer c ON c.id = s.customer_id
  JOIN payer p ON p.id = s.payer_id
  JOIN product_version v ON v.id = s.product_version_id
  JOIN product pr ON pr.id = v.product_id`;

export class TmfProducts {
  constructor(private readonly db: Db) {}

  private async select(where: RawBuilder<unknown>[], offset: number, limit: number) {
    const cond = where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
    const [rows, n] = await Promise.all([
      sql<ProductRow>`
        SELECT s.id, s.code, s.status, s.directory_number, s.sim_iccid, s.equipment_number, s.created_at,
          s.activated_at, s.terminated_at,
          c.code AS customer_code, ${CUSTOMER_NAME} AS customer_name, p.code AS payer_code, p.name AS payer_name,
          pr.code AS product_code, pr.name AS product_name, pr.kind AS product_kind,
          v.recurring_price, v.currency,
          (SELECT ps.code FROM subscription ps WHERE ps.id = s.parent_id) AS parent_code,
          coalesce((SELECT json_agg(json_build_object('code', o.code, 'name', op.name) ORDER BY o.id)
            FROM subscription o JOIN product_version ov ON ov.id = o.product_version_id
            JOIN product op ON op.id = ov.product_id
            WHERE o.parent_id = s.id AND o.status <> 'terminated'), '[]') AS options,
          coalesce((SELECT json_agg(json_build_object('number', r.number, 'kind', r.kind) ORDER BY r.id)
            FROM service_request r WHERE r.subscription_id = s.id), '[]') AS orders,
          (SELECT json_build_object('port', o.equipment_number, 'primary_pair_id', l.primary_pair_id,
              'distribution_pair_id', l.distribution_pair_id, 'base_station', b.code)
            FROM inv_line l LEFT JOIN inv_base_station b ON b.id = l.base_station_id
              LEFT JOIN inv_port o ON o.id = l.port_id
            WHERE s.directory_number IS NOT NULL AND l.directory_number = s.directory_number
              AND l.status = 'active' AND s.status <> 'terminated' AND s.parent_id IS NULL
            ORDER BY l.id DESC LIMIT 1) AS line
        ${FROM} ${cond}
        ORDER BY s.id
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
    const { rows } = await this.select([sql`s.code = ${id.toUpperCase()}`], 0, 1);
    return rows[0] && toTmf(rows[0], ctx);
  }
}

export function productInventoryApi(db: Db): TmfApiDef {
  const products = new TmfProducts(db);
  const product: TmfResourceDef = {
    path: 'product',
    type: 'Product',
    read: 'customer:read',
    pushdown: [
      'id',
      'status',
      'relatedParty.id',
      'billingAccount.id',
      'productOffering.id',
      'productSpecification.id',
      'productCharacteristic.value',
    ],
    list: (q, ctx) => products.list(q, ctx),
    get: (id, ctx) => products.get(id, ctx),
    events: {
      entityTypes: ['subscription'],
      classify: ({ kind }) => {
        if (kind === 'subscription.created') return 'CreateEvent';
        if (['subscription.active', 'subscription.suspended', 'subscription.terminated'].includes(kind))
          return 'StateChangeEvent';
        if (kind === 'subscription.technical_changed' || kind === 'subscription.payer_moved')
          return 'AttributeValueChangeEvent';
        return null;
      },
      idOf: async (entityId) =>
        (
          await db
            .selectFrom('subscription')
            .select('code')
            .where('id', '=', Number(entityId))
            .executeTakeFirst()
        )?.code,
    },
  };
  return { name: INVENTORY_API, title: 'TMF637 Product Inventory', resources: [product] };
}
