import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import { appendEvent, SYSTEM, type Actor } from '../../platform/events.js';
import type { InventoryServices } from '../inventory/index.js';
import { isoOf } from './common.js';
import { tmfInvalid, type TmfContext, type TmfListQuery, type TmfObject } from './framework.js';

/**
 * TMF687 task resources over the SIM stock (see stock.ts for `productStock`):
 *
 * - `reserveProductStock` holds SIM cards of a shop through the inventory's own reservation: one
 *   study per card (`InventoryService.studyIn`, kind mobile, at the shop), all in one transaction,
 *   request refs `<RPS code>-<n>`. A held card is no longer offered to any other study; with a
 *   mobile product, each card also gets a directory number. `DELETE` (cancel) and expiry at
 *   `validFor.endDateTime` release them (`releaseIn`, capacity announced after the commit).
 * - `checkProductStock` / `queryProductStock` answer from the live counts and are kept for
 *   reading back.
 */

const API = 'stock';
/** A reservation without an end date lasts this long; none may last longer than MAX_DAYS. */
const DEFAULT_HOURS = 48;
const MAX_DAYS = 30;
const MAX_CARDS = 100;
/** The product code stored on a card-only reservation (no number, no product chosen yet). */
const CARD_ONLY = 'SIM';

export interface StockReader {
  /** Every productStock as TMF687 shows it (place × condition). */
  all(ctx: TmfContext): Promise<TmfObject[]>;
  get(id: string, ctx: TmfContext): Promise<TmfObject | undefined>;
}

interface TaskRow {
  id: number;
  code: string;
  kind: 'reserve' | 'check' | 'query';
  document: Record<string, unknown>;
  status: string;
  shop_code: string | null;
  quantity: number | null;
  valid_until: Date | null;
  created_at: Date;
  closed_at: Date | null;
}

interface HeldRow {
  request_ref: string;
  status: string;
  iccid: string | null;
  directory_number: string | null;
  code: string;
}

const PREFIX = { reserve: 'RPS', check: 'CPS', query: 'QPS' } as const;
const PATHS = {
  reserve: 'reserveProductStock',
  check: 'checkProductStock',
  query: 'queryProductStock',
} as const;

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function shopOfStockId(id: unknown): string | undefined {
  if (typeof id !== 'string') return undefined;
  const m = /^sim-(.+)-available$/.exec(id);
  return m && m[1] !== 'central' ? m[1] : undefined;
}

function amountOf(q: unknown, field: string, max: number): number {
  const amount = obj(q)?.amount;
  if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 1 || amount > max)
    throw tmfInvalid(field, `a whole number of cards, 1 to ${max}`);
  return amount;
}

/** The inventory request refs of a reservation's cards: `<code>-1` … `<code>-<quantity>`. */
function refsOf(code: string, quantity: number): string[] {
  return Array.from({ length: quantity }, (_, i) => `${code}-${i + 1}`);
}

function stockRef(id: string, ctx: TmfContext) {
  return { id, href: ctx.href(API, 'productStock', id), '@referredType': 'ProductStock' };
}

export class TmfStockTasks {
  constructor(
    private readonly db: Db,
    private readonly inventory: InventoryServices,
    private readonly stock: StockReader,
  ) {}

  // ------------------------------------------------------------------------------------------
  // reserveProductStock

  async reserve(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    await this.expireDue();
    const items = body.reserveProductStockItem;
    if (!Array.isArray(items) || items.length !== 1)
      throw tmfInvalid('reserveProductStockItem', 'give exactly one item (one shop’s SIM stock)');
    const item = obj(items[0]);
    if (!item) throw tmfInvalid('reserveProductStockItem[0]', 'must be an object');
    const field = 'reserveProductStockItem[0]';
    const placeId = obj(body.place)?.id;
    const requested = obj(item.productStockRequested)?.id;
    const shop =
      requested !== undefined
        ? shopOfStockId(requested)
        : typeof placeId === 'string' && placeId !== 'central'
          ? placeId.toUpperCase()
          : undefined;
    if (!shop)
      throw tmfInvalid(
        requested !== undefined ? `${field}.productStockRequested.id` : `${field}.productStockRequested`,
        'a shop’s available SIM stock, sim-<shop code>-available (or the shop as place.id); cards are reserved at a shop, as a study does',
      );
    if (!(await this.stock.get(`sim-${shop}-available`, ctx)))
      throw tmfInvalid(`${field}.productStockRequested.id`, `no shop ${shop}`);
    const count = amountOf(item.quantityRequested, `${field}.quantityRequested.amount`, MAX_CARDS);
    const product = await this.productOf(item.requestedProduct, `${field}.requestedProduct`);
    const now = new Date();
    const validFor = obj(body.validFor);
    let until = new Date(now.getTime() + DEFAULT_HOURS * 3_600_000);
    if (validFor?.endDateTime !== undefined) {
      const end = typeof validFor.endDateTime === 'string' ? new Date(validFor.endDateTime) : new Date(NaN);
      if (Number.isNaN(end.getTime()) || end <= now || end.getTime() > now.getTime() + MAX_DAYS * 86_400_000)
        throw tmfInvalid('validFor.endDateTime', `a date-time in the future, at most ${MAX_DAYS} days ahead`);
      until = end;
    }
    const code = await this.db.transaction().execute(async (trx) => {
      const row = await sql<{ id: number; code: string }>`
        INSERT INTO tmf_stock_task (code, kind, document, status, shop_code, quantity, valid_until, user_id)
        VALUES ('RPS' || lpad(nextval('tmf_stock_task_seq')::text, 8, '0'), 'reserve',
                ${JSON.stringify({
                  request: {
                    ...(body.relatedParty !== undefined ? { relatedParty: body.relatedParty } : {}),
                    ...(body.channel !== undefined ? { channel: body.channel } : {}),
                    ...(body.relatedEntity !== undefined ? { relatedEntity: body.relatedEntity } : {}),
                    itemId: typeof item.id === 'string' ? item.id : '1',
                    ...(product ? { product } : {}),
                  },
                })}::jsonb,
                'reserved', ${shop}, ${count}, ${until}, ${ctx.actor.userId}::bigint)
        RETURNING id, code`.execute(trx);
      const task = row.rows[0] as { id: number; code: string };
      for (let n = 1; n <= count; n++) {
        const out = await this.inventory.service.studyIn(
          trx,
          {
            requestRef: `${task.code}-${n}`,
            kind: 'mobile',
            product: product ?? CARD_ONLY,
            shop,
            withNumber: product !== undefined,
          },
          ctx.actor,
        );
        if (!out.feasible)
          throw new DomainError(
            'rule',
            'tmf.stock_short',
            n === 1
              ? out.detail
              : `${out.detail}: only ${n - 1} of the ${count} cards asked could be held (nothing was reserved)`,
            `${field}.quantityRequested.amount`,
          );
      }
      await appendEvent(trx, {
        entityType: 'stock_reservation',
        entityId: task.code,
        kind: 'stock_reservation.created',
        userId: ctx.actor.userId,
        payload: { code: task.code, shop, count, product: product ?? null, validUntil: until.toISOString() },
      });
      return task.code;
    });
    return (await this.get('reserve', code, ctx)) as TmfObject;
  }

  /** A mobile product of the catalogue (TMF620 offering id = product code), or none. */
  private async productOf(v: unknown, field: string): Promise<string | undefined> {
    if (v === undefined) return undefined;
    const p = obj(v);
    const id = obj(p?.productOffering)?.id ?? obj(p?.productSpecification)?.id;
    if (typeof id !== 'string')
      throw tmfInvalid(`${field}.productOffering.id`, 'the mobile product the card is held for');
    const row = await this.db
      .selectFrom('product')
      .select(['code', 'kind'])
      .where('code', '=', id.toUpperCase())
      .executeTakeFirst();
    if (!row?.kind.startsWith('mobile'))
      throw tmfInvalid(`${field}.productOffering.id`, `${id} is not a mobile product of the catalogue`);
    return row.code;
  }

  /** Cancels a live reservation: every card (and number) it still holds goes back to its stock. */
  async cancel(code: string, ctx: TmfContext): Promise<boolean> {
    await this.expireDue();
    const found = await this.db.transaction().execute(async (trx) => {
      const t = await sql<{ id: number; status: string }>`
        SELECT id, status FROM tmf_stock_task WHERE code = ${code.toUpperCase()} AND kind = 'reserve' FOR UPDATE`.execute(
        trx,
      );
      const task = t.rows[0];
      if (!task) return false;
      if (task.status !== 'reserved')
        throw new DomainError(
          'conflict',
          'tmf.reservation_closed',
          `reservation ${code.toUpperCase()} is already ${task.status}`,
          'id',
        );
      await this.releaseIn(trx, code.toUpperCase(), 'released', 'cancelled through TMF687', ctx.actor);
      return true;
    });
    if (found) await this.inventory.relay.settled();
    return found;
  }

  /** Releases the reservations whose end date has passed; returns how many. Runs before every read. */
  async expireDue(now: Date = new Date()): Promise<number> {
    let n = 0;
    for (;;) {
      const done = await this.db.transaction().execute(async (trx) => {
        const due = await sql<{ code: string }>`
          SELECT code FROM tmf_stock_task WHERE status = 'reserved' AND valid_until <= ${now}
          ORDER BY valid_until, id LIMIT 20 FOR UPDATE SKIP LOCKED`.execute(trx);
        for (const r of due.rows) await this.releaseIn(trx, r.code, 'expired', 'reservation expired', SYSTEM);
        return due.rows.length;
      });
      n += done;
      if (done < 20) break;
    }
    if (n > 0) await this.inventory.relay.settled();
    return n;
  }

  private async releaseIn(
    trx: Tx,
    code: string,
    status: 'released' | 'expired',
    reason: string,
    by: Actor,
  ): Promise<void> {
    const q = await sql<{
      quantity: number;
    }>`SELECT quantity FROM tmf_stock_task WHERE code = ${code}`.execute(trx);
    const live = await trx
      .selectFrom('inv_reservation')
      .select('request_ref')
      .where('request_ref', 'in', refsOf(code, q.rows[0]?.quantity ?? 0))
      .where('status', '=', 'reserved')
      .orderBy('id')
      .execute();
    for (const r of live)
      await this.inventory.service.releaseIn(trx, { requestRef: r.request_ref }, reason, by);
    await sql`UPDATE tmf_stock_task SET status = ${status}, closed_at = now() WHERE code = ${code}`.execute(
      trx,
    );
    await appendEvent(trx, {
      entityType: 'stock_reservation',
      entityId: code,
      kind: `stock_reservation.${status}`,
      userId: by.userId,
      payload: { code, released: live.length },
    });
  }

  // ------------------------------------------------------------------------------------------
  // checkProductStock and queryProductStock

  async check(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    await this.expireDue();
    const items = body.checkProductStockItem;
    if (!Array.isArray(items) || items.length === 0 || items.length > 100)
      throw tmfInvalid('checkProductStockItem', 'give 1 to 100 items');
    const wantAlternatives = body.provideAlternative === true;
    const stocks = await this.stock.all(ctx);
    const answered = items.map((raw, i) => {
      const field = `checkProductStockItem[${i}]`;
      const item = obj(raw);
      if (!item) throw tmfInvalid(field, 'must be an object');
      const id = obj(item.checkedProductStock)?.id;
      if (typeof id !== 'string') throw tmfInvalid(`${field}.checkedProductStock.id`, 'is required');
      const stock = stocks.find((s) => s.id === id);
      if (!stock) throw tmfInvalid(`${field}.checkedProductStock.id`, `no productStock ${id}`);
      const amount = amountOf(item.requestedQuantity, `${field}.requestedQuantity.amount`, 1_000_000);
      const level = (stock.productStockLevel as { amount: number }).amount;
      const ok = level >= amount;
      const alternatives =
        !ok && (wantAlternatives || item.provideAlternative === true)
          ? stocks
              .filter(
                (s) =>
                  s.id !== id &&
                  s.productStockStatusType === 'available' &&
                  (s.productStockLevel as { amount: number }).amount >= amount,
              )
              .sort(
                (a, b) =>
                  (b.productStockLevel as { amount: number }).amount -
                  (a.productStockLevel as { amount: number }).amount,
              )
              .slice(0, 5)
          : [];
      return {
        id: typeof item.id === 'string' ? item.id : String(i + 1),
        availabilityResult: ok ? 'available' : alternatives.length ? 'alternate' : 'notAvailable',
        ...(item.provideAlternative !== undefined
          ? { provideAlternative: item.provideAlternative === true }
          : {}),
        checkedProductStock: stock,
        requestedQuantity: { amount, units: 'card' },
        ...(alternatives.length
          ? {
              alternate: alternatives.map((s, n) => ({
                id: String(n + 1),
                alternatePlace: s.place,
                alternateQuantity: s.productStockLevel,
                alternateStock: stockRef(s.id, ctx),
                '@type': 'AlternateProductStock',
              })),
            }
          : {}),
        state: 'done',
        '@type': 'CheckProductStockItem',
      };
    });
    return this.store(
      'check',
      {
        instantSyncCheck: true,
        provideAlternative: wantAlternatives,
        ...(body.relatedParty !== undefined ? { relatedParty: body.relatedParty } : {}),
        checkProductStockItem: answered,
      },
      ctx,
    );
  }

  /** Criteria on productStock attributes (exact match), e.g. `{place: {id: 'AG-PLATEAU'}}`. */
  async query(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    await this.expireDue();
    const criteria = obj(body.searchCriteria);
    if (!criteria) throw tmfInvalid('searchCriteria', 'is required: productStock attributes to match');
    const flat: [string, string][] = [];
    const walk = (v: unknown, path: string): void => {
      const o = obj(v);
      if (o) {
        for (const [k, x] of Object.entries(o)) if (!k.startsWith('@')) walk(x, path ? `${path}.${k}` : k);
      } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
        flat.push([path, String(v)]);
      } else {
        throw tmfInvalid(`searchCriteria.${path}`, 'give a value (no lists)');
      }
    };
    walk(criteria, '');
    const ALLOWED = [
      'id',
      'name',
      'productStockStatusType',
      'productStockUsageType',
      'place.id',
      'place.name',
      'place.role',
      'stockedProduct.productSpecification.id',
      'stockedProduct.name',
      'productStockLevel.amount',
      'productStockLevel.units',
    ];
    for (const [path] of flat)
      if (!ALLOWED.includes(path))
        throw tmfInvalid(`searchCriteria.${path}`, `not a criterion; use ${ALLOWED.join(', ')}`);
    const status = criteria.productStockStatusType;
    if (status !== undefined && !['available', 'reserved', 'unavailable', 'unknown'].includes(String(status)))
      throw tmfInvalid(
        'searchCriteria.productStockStatusType',
        'available, reserved, unavailable or unknown',
      );
    const place = obj(criteria.place);
    const at = (o: unknown, path: string): unknown =>
      path.split('.').reduce<unknown>((v, k) => obj(v)?.[k], o);
    const found = (await this.stock.all(ctx)).filter((s) =>
      flat.every(([path, want]) => String(at(s, path)) === want),
    );
    return this.store(
      'query',
      {
        instantSyncCheck: true,
        searchCriteria: {
          ...criteria,
          ...(place
            ? {
                place: {
                  ...place,
                  role:
                    typeof place.role === 'string'
                      ? place.role
                      : place.id === 'central'
                        ? 'warehouse'
                        : 'shop',
                  '@referredType': 'GeographicSite',
                },
              }
            : {}),
          '@type': 'ProductStock',
        },
        queryProductStockItem: found,
      },
      ctx,
    );
  }

  private async store(
    kind: 'check' | 'query',
    document: Record<string, unknown>,
    ctx: TmfContext,
  ): Promise<TmfObject> {
    const code = await this.db.transaction().execute(async (trx) => {
      const r = await sql<{ id: number; code: string }>`
        INSERT INTO tmf_stock_task (code, kind, document, user_id)
        VALUES (${PREFIX[kind]} || lpad(nextval('tmf_stock_task_seq')::text, 8, '0'), ${kind},
                ${JSON.stringify(document)}::jsonb, ${ctx.actor.userId}::bigint)
        RETURNING id, code`.execute(trx);
      const row = r.rows[0] as { id: number; code: string };
      await appendEvent(trx, {
        entityType: 'stock_check',
        entityId: row.code,
        kind: `stock_${kind}.done`,
        userId: ctx.actor.userId,
        payload: { code: row.code },
      });
      return row.code;
    });
    return (await this.get(kind, code, ctx)) as TmfObject;
  }

  // ------------------------------------------------------------------------------------------
  // reading

  async list(
    kind: TaskRow['kind'],
    q: TmfListQuery,
    ctx: TmfContext,
  ): Promise<{ items: TmfObject[]; total: number }> {
    if (kind === 'reserve') await this.expireDue();
    const ids = q.filters.id?.map((v) => v.toUpperCase());
    const shops = q.filters['reserveProductStockItem.productStockRequested.id']?.map(
      (v) => shopOfStockId(v) ?? '',
    );
    const where = sql.join(
      [
        sql`kind = ${kind}`,
        ...(ids ? [sql`code = ANY(${ids}::text[])`] : []),
        ...(shops ? [sql`shop_code = ANY(${shops}::text[])`] : []),
      ],
      sql` AND `,
    );
    const [rows, n] = await Promise.all([
      sql<TaskRow>`SELECT * FROM tmf_stock_task WHERE ${where} ORDER BY id OFFSET ${q.offset} LIMIT ${q.limit}`.execute(
        this.db,
      ),
      sql<{ n: string }>`SELECT count(*) AS n FROM tmf_stock_task WHERE ${where}`.execute(this.db),
    ]);
    const held =
      kind === 'reserve' && rows.rows.length ? await this.held(rows.rows) : new Map<string, HeldRow[]>();
    return {
      items: rows.rows.map((r) => this.toTask(r, held.get(r.code) ?? [], ctx)),
      total: Number(n.rows[0]?.n ?? 0),
    };
  }

  async get(kind: TaskRow['kind'], id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    return (await this.list(kind, { offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0];
  }

  /** The inventory reservations of each TMF reservation, with the card and number they hold. */
  private async held(tasks: { code: string; quantity: number | null }[]): Promise<Map<string, HeldRow[]>> {
    const refs = tasks.flatMap((t) => refsOf(t.code, t.quantity ?? 0));
    const r = await sql<HeldRow & { task: string }>`
      SELECT split_part(x.request_ref, '-', 1) AS task, x.request_ref, x.status, x.code, s.iccid, x.directory_number
      FROM inv_reservation x LEFT JOIN inv_sim s ON s.id = x.sim_id
      WHERE x.request_ref = ANY(${refs}::text[])
      ORDER BY x.id`.execute(this.db);
    const out = new Map<string, HeldRow[]>();
    for (const row of r.rows) out.set(row.task, [...(out.get(row.task) ?? []), row]);
    return out;
  }

  private toTask(r: TaskRow, held: HeldRow[], ctx: TmfContext): TmfObject {
    const base = { id: r.code, href: ctx.href(API, PATHS[r.kind], r.code) };
    const doc = r.document;
    if (r.kind !== 'reserve') {
      return {
        ...base,
        creationDate: isoOf(r.created_at),
        ...(r.kind === 'check'
          ? { completedCheckProductStockDate: isoOf(r.created_at) }
          : { completedQueryProductStockDate: isoOf(r.created_at) }),
        ...doc,
        state: 'done',
        '@type': r.kind === 'check' ? 'CheckProductStock' : 'QueryProductStock',
      };
    }
    const req = (doc.request ?? {}) as Record<string, unknown>;
    const live = held.filter((h) => h.status === 'reserved');
    const shop = r.shop_code ?? '';
    const end = r.closed_at ?? r.valid_until;
    return {
      ...base,
      creationDate: isoOf(r.created_at),
      reserveProductStockState: 'done',
      validFor: { startDateTime: isoOf(r.created_at), ...(end ? { endDateTime: isoOf(end) } : {}) },
      place: { id: shop, role: 'shop', '@referredType': 'GeographicSite' },
      ...(req.relatedParty !== undefined ? { relatedParty: req.relatedParty } : {}),
      ...(req.channel !== undefined ? { channel: req.channel } : {}),
      ...(req.relatedEntity !== undefined ? { relatedEntity: req.relatedEntity } : {}),
      reserveProductStockItem: [
        {
          id: typeof req.itemId === 'string' ? req.itemId : '1',
          productStockRequested: stockRef(`sim-${shop}-available`, ctx),
          productStockReserved: stockRef(`sim-${shop}-reserved`, ctx),
          quantityRequested: { amount: r.quantity ?? 0, units: 'card' },
          quantityReserved: { amount: live.length, units: 'card' },
          requestedProduct: {
            ...(typeof req.product === 'string'
              ? {
                  productOffering: {
                    id: req.product,
                    href: ctx.href('productCatalogManagement', 'productOffering', req.product),
                    '@referredType': 'ProductOffering',
                  },
                }
              : {}),
            productSpecification: {
              id: 'simCard',
              name: 'SIM card',
              '@referredType': 'ProductSpecification',
            },
            realizingResource: live.flatMap((h) => [
              ...(h.iccid
                ? [
                    {
                      id: `sim-${h.iccid}`,
                      href: ctx.href('resourceInventoryManagement', 'resource', `sim-${h.iccid}`),
                      name: h.iccid,
                      '@referredType': 'PhysicalResource',
                    },
                  ]
                : []),
              ...(h.directory_number
                ? [
                    {
                      id: `number-${h.directory_number}`,
                      href: ctx.href(
                        'resourceInventoryManagement',
                        'resource',
                        `number-${h.directory_number}`,
                      ),
                      name: h.directory_number,
                      '@referredType': 'LogicalResource',
                    },
                  ]
                : []),
            ]),
            '@type': 'Product',
          },
          reserveProductStockState: 'done',
          '@type': 'ReserveProductStockItem',
        },
      ],
      '@type': 'ReserveProductStock',
    };
  }
}

/**
 * Releases expired reservations every `everyMs` (`gpto start` runs it; reads of TMF687 also release
 * them first, so an answer never counts an expired hold). Several processes may run it: each due
 * reservation is taken with SKIP LOCKED. Returns the stop function.
 */
export function startStockReservationExpiry(
  db: Db,
  inventory: InventoryServices,
  opts: { everyMs?: number; onError?: (err: unknown) => void } = {},
): () => void {
  const none: StockReader = { all: async () => [], get: async () => undefined };
  const tasks = new TmfStockTasks(db, inventory, none);
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    tasks
      .expireDue()
      .catch((err: unknown) => opts.onError?.(err))
      .finally(() => {
        running = false;
      });
  }, opts.everyMs ?? 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
