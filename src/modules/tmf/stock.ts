import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import type { InventoryServices } from '../inventory/index.js';
import { isoOf } from './common.js';
import {
  tmfInvalid,
  type TmfApiDef,
  type TmfContext,
  type TmfListQuery,
  type TmfObject,
  type TmfResourceDef,
} from './framework.js';
import { TmfStockTasks } from './stock-tasks.js';

/**
 * TMF687 Stock over GPTo's SIM card stock — the only stock GPTo keeps (the fixed plant is an
 * inventory of installed equipment, not stock; see TMF639). A `productStock` is the SIM cards of
 * one place in one condition: id `sim-<place>-<available|reserved>`, place = `central` (the
 * warehouse: cards in stock, not yet sent to a shop) or a shop code (cards allocated to it).
 * `available` counts the cards no line study has reserved, `reserved` those a study holds for a
 * request. Cards of lines (active, suspended) and cards gone (replaced, destroyed, lost) are out
 * of stock. An `adjustProductStock` sends cards from the warehouse to a shop (the native
 * allocation, right `sim:write`): id = the journal row of that allocation (`sim.allocated`).
 */

const API = 'stock';
const CENTRAL = 'central';
type StatusType = 'available' | 'reserved';

interface StockRow {
  place: string;
  place_name: string;
  locality: string | null;
  status_type: StatusType;
  amount: number;
  last_update: Date | null;
}

function stockId(place: string, status: StatusType): string {
  return `sim-${place}-${status}`;
}

function parseStockId(id: string): { place: string; status: StatusType } | undefined {
  const m = /^sim-(.+)-(available|reserved)$/.exec(id);
  return m ? { place: m[1] as string, status: m[2] as StatusType } : undefined;
}

function toStock(r: StockRow, ctx: TmfContext): TmfObject {
  const id = stockId(r.place, r.status_type);
  const central = r.place === CENTRAL;
  return {
    id,
    href: ctx.href(API, 'productStock', id),
    name: `SIM cards ${r.status_type} — ${r.place_name}`,
    description: central
      ? `SIM cards in the central warehouse, ${r.status_type === 'available' ? 'free to send to a shop or to a line' : 'held by a line study'}`
      : `SIM cards allocated to shop ${r.place}, ${r.status_type === 'available' ? 'free to sell' : 'held by a line study'}`,
    ...(r.last_update ? { lastUpdate: isoOf(r.last_update) } : {}),
    productStockStatusType: r.status_type,
    ...(central ? {} : { productStockUsageType: 'inShop' }),
    productStockLevel: { amount: r.amount, units: 'card' },
    place: {
      id: r.place,
      name: r.place_name,
      role: central ? 'warehouse' : 'shop',
      '@referredType': 'GeographicSite',
    },
    stockedProduct: {
      name: 'SIM card',
      description: 'A SIM card of an imported batch (ICCID, IMSI; its keys stay sealed in GPTo)',
      productSpecification: {
        id: 'simCard',
        name: 'SIM card',
        '@referredType': 'ProductSpecification',
      },
      '@type': 'Product',
    },
    '@type': 'ProductStock',
  };
}

export class TmfStock {
  constructor(
    private readonly db: Db,
    private readonly inventory: InventoryServices,
  ) {}

  /** Every place (the warehouse, then each shop) × condition, with its count (zero included). */
  private async rows(place?: string): Promise<StockRow[]> {
    const r = await sql<StockRow>`
      WITH places AS (
        SELECT ${CENTRAL}::text AS place, 'Central warehouse'::text AS place_name, NULL::text AS locality,
               NULL::bigint AS shop_id, 0 AS ord
        UNION ALL
        SELECT sh.code, sh.name, sh.locality, sh.id, 1 FROM inv_shop sh),
      counts AS (
        SELECT s.shop_id, CASE WHEN s.reservation_id IS NULL THEN 'available' ELSE 'reserved' END AS status_type,
               count(*)::int AS amount, max(s.updated_at) AS last_update
          FROM inv_sim s
         WHERE (s.status = 'in_stock' AND s.shop_id IS NULL) OR (s.status = 'allocated' AND s.shop_id IS NOT NULL)
         GROUP BY 1, 2)
      SELECT p.place, p.place_name, p.locality, t.status_type, coalesce(c.amount, 0) AS amount, c.last_update
        FROM places p
        CROSS JOIN (VALUES ('available'), ('reserved')) t(status_type)
        LEFT JOIN counts c ON c.shop_id IS NOT DISTINCT FROM p.shop_id AND c.status_type = t.status_type
       WHERE ${place === undefined ? sql`true` : sql`p.place = ${place}`}
       ORDER BY p.ord, p.place, t.status_type`.execute(this.db);
    return r.rows;
  }

  /** Every productStock (reservations past their end released first). */
  async all(ctx: TmfContext): Promise<TmfObject[]> {
    await this.expire?.();
    return (await this.rows()).map((r) => toStock(r, ctx));
  }

  /** Set by stockApi: releases expired reserveProductStock before a count is read. */
  expire?: () => Promise<unknown>;

  async list(q: TmfListQuery, ctx: TmfContext) {
    const all = await this.all(ctx);
    return { items: all.slice(q.offset, q.offset + q.limit), total: all.length };
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    const at = parseStockId(id);
    if (!at) return undefined;
    await this.expire?.();
    const row = (await this.rows(at.place)).find((r) => r.status_type === at.status);
    return row && toStock(row, ctx);
  }

  /**
   * One item: `productStockTarget` a shop's available stock, `adjustProductStockQuantity.amount`
   * the number of cards sent from the warehouse (positive). Taking cards back from a shop is a
   * per-card return (native API), not a count.
   */
  async adjust(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    const items = body.adjustProductStockItem;
    if (!Array.isArray(items) || items.length !== 1)
      throw tmfInvalid('adjustProductStockItem', 'give exactly one item (one shop’s stock)');
    const item = items[0] as Record<string, unknown> | null;
    if (!item || typeof item !== 'object') throw tmfInvalid('adjustProductStockItem[0]', 'must be an object');
    const target = item.productStockTarget as { id?: unknown } | undefined;
    const at = typeof target?.id === 'string' ? parseStockId(target.id) : undefined;
    if (!at || at.place === CENTRAL || at.status !== 'available')
      throw tmfInvalid(
        'adjustProductStockItem[0].productStockTarget.id',
        'a shop’s available SIM stock, sim-<shop code>-available (cards come from the central warehouse)',
      );
    const amount = (item.adjustProductStockQuantity as { amount?: unknown } | undefined)?.amount;
    if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 1 || amount > 100_000)
      throw tmfInvalid(
        'adjustProductStockItem[0].adjustProductStockQuantity.amount',
        'the number of cards to send to the shop, 1 to 100000 (returns to the warehouse are per card, through the native API)',
      );
    if (!(await this.get(stockId(at.place, 'available'), ctx)))
      throw tmfInvalid('adjustProductStockItem[0].productStockTarget.id', `no shop ${at.place}`);
    const central = (await this.rows(CENTRAL)).find((r) => r.status_type === 'available');
    if ((central?.amount ?? 0) < amount)
      throw new DomainError(
        'rule',
        'tmf.stock_short',
        `the central warehouse has ${central?.amount ?? 0} free SIM cards, ${amount} asked`,
        'adjustProductStockItem[0].adjustProductStockQuantity.amount',
      );
    await this.inventory.sims.allocate({ shop: at.place, count: amount }, ctx.actor);
    const last = await this.db
      .selectFrom('event')
      .select('id')
      .where('entity_type', '=', 'shop')
      .where('entity_id', '=', at.place)
      .where('kind', '=', 'sim.allocated')
      .where('user_id', ctx.actor.userId === null ? 'is' : '=', ctx.actor.userId)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    return (await this.getAdjust(String(last.id), ctx)) as TmfObject;
  }

  async listAdjust(q: TmfListQuery, ctx: TmfContext) {
    const shops = q.filters['adjustProductStockItem.productStockTarget.id']?.map(
      (v) => parseStockId(v)?.place ?? '',
    );
    const ids = q.filters.id?.filter((v) => /^\d{1,15}$/.test(v)).map(Number);
    const base = this.db
      .selectFrom('event')
      .where('kind', '=', 'sim.allocated')
      .where('entity_type', '=', 'shop')
      .$if(shops !== undefined, (qb) => qb.where('entity_id', 'in', shops?.length ? shops : ['']))
      .$if(ids !== undefined, (qb) => qb.where('id', 'in', ids?.length ? ids : [-1]));
    const [rows, n] = await Promise.all([
      base
        .select(['id', 'entity_id', 'occurred_at', 'payload'])
        .orderBy('id', 'desc')
        .offset(q.offset)
        .limit(q.limit)
        .execute(),
      base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map((r) => toAdjust(r, ctx)), total: Number(n.n) };
  }

  async getAdjust(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    if (!/^\d{1,15}$/.test(id)) return undefined;
    return (await this.listAdjust({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0];
  }
}

function toAdjust(
  r: { id: number; entity_id: string; occurred_at: Date; payload: unknown },
  ctx: TmfContext,
): TmfObject {
  const id = String(r.id);
  const count = Number((r.payload as { count?: unknown } | null)?.count ?? 0);
  const target = stockId(r.entity_id, 'available');
  return {
    id,
    href: ctx.href(API, 'adjustProductStock', id),
    adjustReason: 'allocation to a shop',
    description: `${count} SIM cards sent from the central warehouse to shop ${r.entity_id}`,
    creationDate: isoOf(r.occurred_at),
    completedAdjustProductStockDate: isoOf(r.occurred_at),
    instantSyncAdjust: true,
    state: 'done',
    adjustProductStockItem: [
      {
        id: '1',
        productStockTarget: {
          id: target,
          href: ctx.href(API, 'productStock', target),
          '@referredType': 'ProductStock',
        },
        adjustProductStockQuantity: { amount: count, units: 'card' },
        state: 'done',
        '@type': 'AdjustProductStockItem',
      },
    ],
    '@type': 'AdjustProductStock',
  };
}

export function stockApi(db: Db, inventory: InventoryServices): TmfApiDef {
  const stock = new TmfStock(db, inventory);
  const productStock: TmfResourceDef = {
    path: 'productStock',
    type: 'ProductStock',
    read: 'inventory:read',
    list: (q, ctx) => stock.list(q, ctx),
    get: (id, ctx) => stock.get(id, ctx),
    // an allocation changes the shop's level (the warehouse's too, which the journal row does not name)
    events: {
      entityTypes: ['shop'],
      classify: ({ kind }) => (kind === 'sim.allocated' ? 'AttributeValueChangeEvent' : null),
      idOf: async (entityId) => stockId(entityId, 'available'),
    },
  };
  const adjustProductStock: TmfResourceDef = {
    path: 'adjustProductStock',
    type: 'AdjustProductStock',
    read: 'inventory:read',
    write: 'sim:write',
    pushdown: ['id', 'adjustProductStockItem.productStockTarget.id'],
    list: (q, ctx) => stock.listAdjust(q, ctx),
    get: (id, ctx) => stock.getAdjust(id, ctx),
    create: (body, ctx) => stock.adjust(body, ctx),
  };
  const tasks = new TmfStockTasks(db, inventory, stock);
  stock.expire = () => tasks.expireDue();
  const reserveProductStock: TmfResourceDef = {
    path: 'reserveProductStock',
    type: 'ReserveProductStock',
    read: 'inventory:read',
    write: 'inventory:study',
    pushdown: ['id', 'reserveProductStockItem.productStockRequested.id'],
    list: (q, ctx) => tasks.list('reserve', q, ctx),
    get: (id, ctx) => tasks.get('reserve', id, ctx),
    create: (body, ctx) => tasks.reserve(body, ctx),
    // GPTo addition: the v4 spec has no way to end a reservation early; DELETE cancels it
    remove: (id, ctx) => tasks.cancel(id, ctx),
    events: {
      entityTypes: ['stock_reservation'],
      classify: ({ kind }) =>
        kind === 'stock_reservation.created'
          ? 'CreateEvent'
          : kind === 'stock_reservation.released' || kind === 'stock_reservation.expired'
            ? 'AttributeValueChangeEvent'
            : null,
    },
  };
  const checkProductStock: TmfResourceDef = {
    path: 'checkProductStock',
    type: 'CheckProductStock',
    read: 'inventory:read',
    // a check only reads the stock: the read right is enough to ask one
    write: 'inventory:read',
    pushdown: ['id'],
    list: (q, ctx) => tasks.list('check', q, ctx),
    get: (id, ctx) => tasks.get('check', id, ctx),
    create: (body, ctx) => tasks.check(body, ctx),
    events: {
      entityTypes: ['stock_check'],
      classify: ({ kind }) => (kind === 'stock_check.done' ? 'CreateEvent' : null),
    },
  };
  const queryProductStock: TmfResourceDef = {
    path: 'queryProductStock',
    type: 'QueryProductStock',
    read: 'inventory:read',
    write: 'inventory:read',
    pushdown: ['id'],
    list: (q, ctx) => tasks.list('query', q, ctx),
    get: (id, ctx) => tasks.get('query', id, ctx),
    create: (body, ctx) => tasks.query(body, ctx),
    events: {
      entityTypes: ['stock_check'],
      classify: ({ kind }) => (kind === 'stock_query.done' ? 'CreateEvent' : null),
    },
  };
  return {
    name: API,
    title: 'TMF687 Stock Management',
    resources: [productStock, adjustProductStock, reserveProductStock, checkProductStock, queryProductStock],
  };
}
