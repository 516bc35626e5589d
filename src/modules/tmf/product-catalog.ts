import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import { isoOf } from './common.js';
import type { TmfApiDef, TmfContext, TmfListQuery, TmfObject, TmfResourceDef } from './framework.js';
import { CATALOG_API, money, offeringRef, SPECIFICATIONS, specificationRef } from './product-refs.js';

/**
 * TMF620 Product Catalog (read-only) over GPTo's catalogue: a productOffering is a product (id =
 * product code) with the prices of its version in force inline (`productOfferingPrice`: one-off,
 * monthly, usage unit price, guarantee deposits by commercial category); a productSpecification is
 * a kind of product (fixed wired, fixed radio, mobile postpaid/prepaid, option) with the
 * characteristics its products carry. The catalogue is changed through the native API.
 */

interface OfferingRow {
  code: string;
  name: string;
  kind: string;
  applies_to: string[];
  active: boolean;
  created_at: Date;
  version: number | null;
  valid_from: Date | null;
  one_off_price: number | null;
  recurring_price: number | null;
  usage_unit_price: number | null;
  currency: string | null;
  deposits: Record<string, number> | null;
  /** Line products of the kinds an option applies to. */
  lines: { code: string; name: string }[];
}

/** What each kind of product carries as characteristics (TMF637 productCharacteristic). */
const CHARACTERISTICS: Record<string, string[]> = {
  fixed_wired: ['directoryNumber', 'equipmentNumber'],
  fixed_radio: ['directoryNumber', 'equipmentNumber'],
  mobile_postpaid: ['directoryNumber', 'iccid'],
  mobile_prepaid: ['directoryNumber', 'iccid'],
  option: [],
};

/** One price of an offering's version in force, as a TMF620 ProductOfferingPrice (id `<code>.<kind>`). */
function pricesOf(r: OfferingRow, ctx: TmfContext): Record<string, unknown>[] {
  const currency = r.currency ?? 'XOF';
  const out: Record<string, unknown>[] = [];
  const add = (
    slug: string,
    name: string,
    priceType: string,
    amount: number,
    extra: Record<string, unknown> = {},
  ) => {
    const id = `${r.code}.${slug}`;
    out.push({
      id,
      href: ctx.href(CATALOG_API, 'productOfferingPrice', id),
      name,
      priceType,
      price: money(amount, currency),
      ...extra,
      isBundle: false,
      lifecycleStatus: r.active ? 'Launched' : 'Retired',
      ...(r.version !== null ? { version: String(r.version) } : {}),
      ...(r.valid_from ? { validFor: { startDateTime: isoOf(r.valid_from) } } : {}),
      '@type': 'ProductOfferingPrice',
    });
  };
  if (r.one_off_price !== null) add('oneOff', 'One-off fees', 'nonRecurring', r.one_off_price);
  if (r.recurring_price !== null)
    add('recurring', 'Subscription', 'recurring', r.recurring_price, {
      recurringChargePeriodType: 'month',
      recurringChargePeriodLength: 1,
    });
  if (r.usage_unit_price)
    add('usage', 'Usage', 'usage', r.usage_unit_price, { unitOfMeasure: { amount: 1, units: 'unit' } });
  // guarantee deposits by commercial category (`*`: any other category)
  for (const [category, amount] of Object.entries(r.deposits ?? {}))
    add(
      `deposit.${category === '*' ? 'any' : category}`,
      `Guarantee deposit (${category === '*' ? 'any category' : category})`,
      'deposit',
      amount,
    );
  return out;
}

function toTmf(r: OfferingRow, ctx: TmfContext): TmfObject {
  return {
    id: r.code,
    href: ctx.href(CATALOG_API, 'productOffering', r.code),
    name: r.name,
    description: SPECIFICATIONS[r.kind]?.description ?? r.kind,
    isBundle: false,
    isSellable: r.active,
    lifecycleStatus: r.active ? 'Launched' : 'Retired',
    ...(r.version !== null ? { version: String(r.version) } : {}),
    lastUpdate: isoOf(r.valid_from ?? r.created_at),
    ...(r.valid_from ? { validFor: { startDateTime: isoOf(r.valid_from) } } : {}),
    productSpecification: specificationRef(ctx, r.kind),
    // references carrying the amounts inline: a client needs no second call for the price list
    productOfferingPrice: pricesOf(r, ctx).map((p) => ({ ...p, '@referredType': 'ProductOfferingPrice' })),
    // an option is offered on lines of the kinds it applies to
    ...(r.kind === 'option'
      ? {
          productOfferingRelationship: r.lines.map((l) => ({
            ...offeringRef(ctx, l.code, l.name),
            relationshipType: 'appliesTo',
          })),
        }
      : {}),
    '@type': 'ProductOffering',
  };
}

export class TmfCatalog {
  constructor(private readonly db: Db) {}

  private async offerings(): Promise<OfferingRow[]> {
    // the version in force: the latest whose validity has started (as the request intake prices it)
    const r = await sql<OfferingRow>`
      SELECT p.code, p.name, p.kind, p.applies_to, p.active, p.created_at,
        v.version, v.valid_from, v.one_off_price, v.recurring_price, v.usage_unit_price, v.currency, v.deposits,
        coalesce((SELECT json_agg(json_build_object('code', l.code, 'name', l.name) ORDER BY l.code)
          FROM product l WHERE l.kind = ANY(p.applies_to) AND l.active), '[]') AS lines
      FROM product p
      LEFT JOIN LATERAL (SELECT * FROM product_version v WHERE v.product_id = p.id AND v.valid_from <= now()
        ORDER BY v.valid_from DESC, v.version DESC LIMIT 1) v ON true
      ORDER BY p.code`.execute(this.db);
    return r.rows;
  }

  async listOfferings(q: TmfListQuery, ctx: TmfContext) {
    const ids = q.filters.id?.map((v) => v.toUpperCase());
    const all = (await this.offerings()).filter((o) => !ids || ids.includes(o.code));
    return { items: all.slice(q.offset, q.offset + q.limit).map((o) => toTmf(o, ctx)), total: all.length };
  }

  async getOffering(id: string, ctx: TmfContext) {
    const page = await this.listOfferings({ offset: 0, limit: 1, filters: { id: [id] } }, ctx);
    return page.items[0];
  }

  async listPrices(q: TmfListQuery, ctx: TmfContext) {
    const ids = q.filters.id;
    const all = (await this.offerings())
      .flatMap((o) => pricesOf(o, ctx))
      .filter((p) => !ids || ids.includes(String(p.id))) as TmfObject[];
    return { items: all.slice(q.offset, q.offset + q.limit), total: all.length };
  }

  listSpecifications(q: TmfListQuery, ctx: TmfContext) {
    const all = Object.entries(SPECIFICATIONS)
      .filter(([kind]) => !q.filters.id || q.filters.id.includes(kind))
      .map(([kind, s]) => ({
        ...specificationRef(ctx, kind),
        '@referredType': undefined,
        description: s.description,
        isBundle: false,
        lifecycleStatus: 'Active',
        brand: 'GPTo',
        productSpecCharacteristic: (CHARACTERISTICS[kind] ?? []).map((name) => ({
          name,
          valueType: 'string',
          configurable: name === 'directoryNumber',
          description:
            name === 'directoryNumber'
              ? 'the line’s directory number; on an order, the number the customer asks for'
              : name === 'iccid'
                ? 'the SIM card’s ICCID'
                : 'the switch port (equipment number) serving the line',
        })),
        '@type': 'ProductSpecification',
      }))
      .map((o) => JSON.parse(JSON.stringify(o)) as TmfObject);
    return Promise.resolve({ items: all.slice(q.offset, q.offset + q.limit), total: all.length });
  }
}

export function productCatalogApi(db: Db): TmfApiDef {
  const catalog = new TmfCatalog(db);
  const productOffering: TmfResourceDef = {
    path: 'productOffering',
    type: 'ProductOffering',
    read: 'catalogue:read',
    pushdown: ['id'],
    list: (q, ctx) => catalog.listOfferings(q, ctx),
    get: (id, ctx) => catalog.getOffering(id, ctx),
    events: {
      entityTypes: ['product'],
      classify: ({ kind }) =>
        kind === 'product.created'
          ? 'CreateEvent'
          : kind === 'product.version_added'
            ? 'AttributeValueChangeEvent'
            : null,
      idOf: async (entityId) =>
        (await db.selectFrom('product').select('code').where('id', '=', Number(entityId)).executeTakeFirst())
          ?.code,
    },
  };
  const productOfferingPrice: TmfResourceDef = {
    path: 'productOfferingPrice',
    type: 'ProductOfferingPrice',
    read: 'catalogue:read',
    pushdown: ['id'],
    list: (q, ctx) => catalog.listPrices(q, ctx),
    get: async (id, ctx) =>
      (await catalog.listPrices({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0],
  };
  const productSpecification: TmfResourceDef = {
    path: 'productSpecification',
    type: 'ProductSpecification',
    read: 'catalogue:read',
    pushdown: ['id'],
    list: (q, ctx) => catalog.listSpecifications(q, ctx),
    get: async (id, ctx) =>
      (await catalog.listSpecifications({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0],
  };
  return {
    name: CATALOG_API,
    title: 'TMF620 Product Catalog',
    resources: [productOffering, productOfferingPrice, productSpecification],
  };
}
