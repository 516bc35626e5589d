import type { Db, Executor } from '../../platform/db.js';
import { appendEvent, diff, type Actor } from '../../platform/events.js';
import { ReferentialError, refInvalid, refNotFound } from './referential.errors.js';
import type { CategoryCreate, CategoryPatch } from './referential.schemas.js';
import type { CategoryKind } from './referential.tables.js';

export interface Tax {
  code: string;
  label: string;
  rateBasisPoints: number;
}

export interface Category {
  id: number;
  kind: CategoryKind;
  code: string;
  label: string;
  active: boolean;
  collectiveAccount?: string;
  taxExempt?: boolean;
  taxes?: Tax[];
}

type Row = {
  id: number;
  kind: CategoryKind;
  code: string;
  label: string;
  active: boolean;
  collective_account: string | null;
  tax_exempt: boolean | null;
  taxes: unknown;
};

export function toCategory(r: Row): Category {
  return {
    id: r.id,
    kind: r.kind,
    code: r.code,
    label: r.label,
    active: r.active,
    ...(r.kind === 'accounting' ? { collectiveAccount: r.collective_account ?? '' } : {}),
    ...(r.kind === 'tax' ? { taxExempt: r.tax_exempt ?? false, taxes: (r.taxes as Tax[] | null) ?? [] } : {}),
  };
}

/** Accounting categories need their GL account and tax categories their taxes; nobody else has them. */
function assertKindFieldsOrThrow(kind: CategoryKind, input: Partial<CategoryCreate>): void {
  if (kind === 'accounting' && input.collectiveAccount === undefined) {
    throw refInvalid(
      'category.invalid',
      'collectiveAccount',
      'an accounting category needs its collective account',
    );
  }
  if (kind !== 'accounting' && input.collectiveAccount !== undefined) {
    throw refInvalid(
      'category.invalid',
      'collectiveAccount',
      'only accounting categories have a collective account',
    );
  }
  if (kind === 'tax' && input.taxExempt === undefined) {
    throw refInvalid('category.invalid', 'taxExempt', 'a tax category says whether it is exempt');
  }
  if (kind !== 'tax' && (input.taxExempt !== undefined || input.taxes !== undefined)) {
    throw refInvalid(
      'category.invalid',
      input.taxes !== undefined ? 'taxes' : 'taxExempt',
      'only tax categories have taxes',
    );
  }
  if (input.taxExempt === true && input.taxes && input.taxes.length > 0) {
    throw refInvalid('category.invalid', 'taxes', 'an exempt tax category carries no taxes');
  }
}

export class CategoryService {
  constructor(private readonly db: Db) {}

  async list(kind?: CategoryKind): Promise<Category[]> {
    let q = this.db.selectFrom('category').selectAll();
    if (kind) q = q.where('kind', '=', kind);
    const rows = await q.orderBy('kind').orderBy('code').execute();
    return rows.map(toCategory);
  }

  async create(input: CategoryCreate, by: Actor): Promise<Category> {
    assertKindFieldsOrThrow(input.kind, input);
    const code = input.code.toUpperCase();
    return this.db.transaction().execute(async (trx) => {
      const exists = await trx
        .selectFrom('category')
        .select('id')
        .where('kind', '=', input.kind)
        .where('code', '=', code)
        .executeTakeFirst();
      if (exists)
        throw new ReferentialError(
          'conflict',
          'category.invalid',
          `category ${input.kind}/${code} already exists`,
          'code',
        );
      const row = await trx
        .insertInto('category')
        .values({
          kind: input.kind,
          code,
          label: input.label,
          collective_account: input.collectiveAccount ?? null,
          tax_exempt: input.kind === 'tax' ? (input.taxExempt ?? false) : null,
          taxes: input.kind === 'tax' ? JSON.stringify(input.taxes ?? []) : null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const category = toCategory(row);
      await appendEvent(trx, {
        entityType: 'category',
        entityId: row.id,
        kind: 'category.created',
        userId: by.userId,
        payload: { after: category },
      });
      return category;
    });
  }

  async update(id: number, patch: CategoryPatch, by: Actor): Promise<Category> {
    return this.db.transaction().execute(async (trx) => {
      const before = await trx
        .selectFrom('category')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!before) throw refNotFound('category.not_found', 'category', id);
      const { label, active, ...kindFields } = patch;
      if (Object.keys(kindFields).length > 0)
        assertKindFieldsOrThrow(before.kind, {
          ...kindFields,
          ...(before.kind === 'tax' && kindFields.taxExempt === undefined
            ? { taxExempt: before.tax_exempt ?? false }
            : {}),
          ...(before.kind === 'accounting' && kindFields.collectiveAccount === undefined
            ? { collectiveAccount: before.collective_account ?? '' }
            : {}),
        });
      const row = await trx
        .updateTable('category')
        .set({
          ...(label !== undefined ? { label } : {}),
          ...(active !== undefined ? { active } : {}),
          ...(patch.collectiveAccount !== undefined ? { collective_account: patch.collectiveAccount } : {}),
          ...(patch.taxExempt !== undefined ? { tax_exempt: patch.taxExempt } : {}),
          ...(patch.taxes !== undefined ? { taxes: JSON.stringify(patch.taxes) } : {}),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = toCategory(row);
      await appendEvent(trx, {
        entityType: 'category',
        entityId: id,
        kind: 'category.updated',
        userId: by.userId,
        payload: {
          changes: diff(
            toCategory(before) as unknown as Record<string, unknown>,
            after as unknown as Record<string, unknown>,
          ),
        },
      });
      return after;
    });
  }
}

/** Resolves the five category codes of a customer to ids, naming the first field that does not exist. */
export async function resolveCategoryCodes(
  db: Executor,
  codes: Partial<Record<CategoryKind, string>>,
): Promise<Partial<Record<CategoryKind, number>>> {
  const entries = Object.entries(codes) as [CategoryKind, string][];
  if (entries.length === 0) return {};
  const rows = await db
    .selectFrom('category')
    .select(['id', 'kind', 'code', 'active'])
    .where((eb) =>
      eb.or(
        entries.map(([kind, code]) => eb.and([eb('kind', '=', kind), eb('code', '=', code.toUpperCase())])),
      ),
    )
    .execute();
  const out: Partial<Record<CategoryKind, number>> = {};
  for (const [kind, code] of entries) {
    const row = rows.find((r) => r.kind === kind && r.code === code.toUpperCase());
    if (!row)
      throw refInvalid('category.not_found', `categories.${kind}`, `there is no ${kind} category "${code}"`);
    if (!row.active)
      throw refInvalid(
        'category.invalid',
        `categories.${kind}`,
        `the ${kind} category "${code}" is no longer in use`,
      );
    out[kind] = row.id;
  }
  return out;
}
