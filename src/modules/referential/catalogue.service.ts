import type { Db, Executor } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import { ReferentialError, refInvalid, refNotFound } from './referential.errors.js';
import type { PriceInput, ProductCreate } from './referential.schemas.js';
import type { ProductKind } from './referential.tables.js';

export interface ProductVersion {
  id: number;
  version: number;
  validFrom: string;
  oneOffPrice: number;
  recurringPrice: number;
  usageUnitPrice: number;
  currency: string;
  deposits: Record<string, number>;
}

export interface Product {
  id: number;
  code: string;
  name: string;
  kind: ProductKind;
  appliesTo: string[];
  active: boolean;
  current: ProductVersion | null;
  versions?: ProductVersion[];
}

type VersionRow = {
  id: number;
  version: number;
  valid_from: Date | string;
  one_off_price: number;
  recurring_price: number;
  usage_unit_price: number;
  currency: string;
  deposits: unknown;
};

const toVersion = (v: VersionRow): ProductVersion => ({
  id: v.id,
  version: v.version,
  validFrom: new Date(v.valid_from).toISOString(),
  oneOffPrice: v.one_off_price,
  recurringPrice: v.recurring_price,
  usageUnitPrice: v.usage_unit_price,
  currency: v.currency,
  deposits: (v.deposits ?? {}) as Record<string, number>,
});

/** The guarantee deposit a product version asks of a customer of this commercial category. */
export function depositFor(version: ProductVersion, commercialCategory: string): number {
  return version.deposits[commercialCategory] ?? version.deposits['*'] ?? 0;
}

/** The version in force at `at`: the latest one whose validity has started. */
export async function currentVersion(
  db: Executor,
  productId: number,
  at = new Date(),
): Promise<ProductVersion | null> {
  const v = await db
    .selectFrom('product_version')
    .selectAll()
    .where('product_id', '=', productId)
    .where('valid_from', '<=', at)
    .orderBy('valid_from', 'desc')
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return v ? toVersion(v) : null;
}

export class CatalogueService {
  constructor(
    private readonly db: Db,
    private readonly defaultCurrency: string,
  ) {}

  async list(kind?: ProductKind): Promise<Product[]> {
    let q = this.db.selectFrom('product').selectAll();
    if (kind) q = q.where('kind', '=', kind);
    const products = await q.orderBy('code').execute();
    const out: Product[] = [];
    for (const p of products) {
      out.push({
        id: p.id,
        code: p.code,
        name: p.name,
        kind: p.kind,
        appliesTo: p.applies_to,
        active: p.active,
        current: await currentVersion(this.db, p.id),
      });
    }
    return out;
  }

  async get(code: string): Promise<Product> {
    const p = await this.db
      .selectFrom('product')
      .selectAll()
      .where('code', '=', code.toUpperCase())
      .executeTakeFirst();
    if (!p) throw refNotFound('product.not_found', 'product', code);
    const versions = await this.db
      .selectFrom('product_version')
      .selectAll()
      .where('product_id', '=', p.id)
      .orderBy('version')
      .execute();
    return {
      id: p.id,
      code: p.code,
      name: p.name,
      kind: p.kind,
      appliesTo: p.applies_to,
      active: p.active,
      current: await currentVersion(this.db, p.id),
      versions: versions.map(toVersion),
    };
  }

  async create(input: ProductCreate, by: Actor): Promise<Product> {
    if (input.kind === 'option' && (!input.appliesTo || input.appliesTo.length === 0)) {
      throw refInvalid('product.invalid', 'appliesTo', 'an option says which line kinds it can be added to');
    }
    if (input.kind !== 'option' && input.appliesTo && input.appliesTo.length > 0) {
      throw refInvalid('product.invalid', 'appliesTo', 'only options apply to other products');
    }
    if (input.appliesTo?.includes('option'))
      throw refInvalid('product.invalid', 'appliesTo', 'an option applies to lines, not to options');
    const code = input.code.toUpperCase();
    await this.db.transaction().execute(async (trx) => {
      const exists = await trx.selectFrom('product').select('id').where('code', '=', code).executeTakeFirst();
      if (exists)
        throw new ReferentialError('conflict', 'product.invalid', `product ${code} already exists`, 'code');
      const p = await trx
        .insertInto('product')
        .values({ code, name: input.name, kind: input.kind, applies_to: input.appliesTo ?? [] })
        .returning('id')
        .executeTakeFirstOrThrow();
      await this.insertVersion(trx, p.id, 1, input.price);
      await appendEvent(trx, {
        entityType: 'product',
        entityId: p.id,
        kind: 'product.created',
        userId: by.userId,
        payload: { code, kind: input.kind, price: input.price },
      });
    });
    return this.get(code);
  }

  /** Prices change by a new version; subscriptions keep pointing at the version they were sold on. */
  async addVersion(code: string, price: PriceInput, by: Actor): Promise<Product> {
    await this.db.transaction().execute(async (trx) => {
      const p = await trx
        .selectFrom('product')
        .select('id')
        .where('code', '=', code.toUpperCase())
        .forUpdate()
        .executeTakeFirst();
      if (!p) throw refNotFound('product.not_found', 'product', code);
      const last = await trx
        .selectFrom('product_version')
        .select('version')
        .where('product_id', '=', p.id)
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
      const version = (last?.version ?? 0) + 1;
      await this.insertVersion(trx, p.id, version, price);
      await appendEvent(trx, {
        entityType: 'product',
        entityId: p.id,
        kind: 'product.version_added',
        userId: by.userId,
        payload: { version, price },
      });
    });
    return this.get(code);
  }

  private async insertVersion(db: Executor, productId: number, version: number, price: PriceInput) {
    await db
      .insertInto('product_version')
      .values({
        product_id: productId,
        version,
        valid_from: price.validFrom ? new Date(price.validFrom) : new Date(),
        one_off_price: price.oneOffPrice,
        recurring_price: price.recurringPrice,
        usage_unit_price: price.usageUnitPrice ?? 0,
        currency: price.currency ?? this.defaultCurrency,
        deposits: JSON.stringify(
          Object.fromEntries(
            Object.entries(price.deposits ?? {}).map(([k, v]) => [k === '*' ? k : k.toUpperCase(), v]),
          ),
        ),
      })
      .execute();
  }
}
