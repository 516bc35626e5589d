import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import type { ReferentialServices } from '../referential/index.js';
import type { Address } from '../referential/referential.schemas.js';
import { appendEvent } from '../../platform/events.js';
import { TmfParties } from './party.js';
import {
  categoriesOf,
  type CategoryKind,
  type ContactInput,
  categoryCharacteristics,
  contactInputOf,
  contactMediumOf,
  isoOf,
  requireAllCategories,
} from './common.js';
import {
  tmfInvalid,
  type TmfApiDef,
  type TmfContext,
  type TmfListQuery,
  type TmfObject,
  type TmfResourceDef,
} from './framework.js';

/**
 * TMF629 Customer Management over GPTo's customers. A GPTo customer is at once the party (its
 * identity: TMF632 Individual or Organization, same id) and the customer role; its payers are
 * the billing accounts (TMF666). `id` is the customer code.
 */

interface CustomerRow {
  id: string;
  code: string;
  kind: 'person' | 'organisation';
  display_name: string;
  status: string;
  address: Address | null;
  phones: string[];
  email: string | null;
  created_at: Date;
  categories: Record<string, string>;
  payers: { code: string; name: string }[];
  /** Set when the customer grew from a TMF632 party: that party stays its engagedParty. */
  party_code: string | null;
}

export const PARTY_API = 'party';
export const ACCOUNT_API = 'accountManagement';

export function partyPathOf(kind: string): 'individual' | 'organization' {
  return kind === 'organisation' ? 'organization' : 'individual';
}

const DISPLAY_NAME = sql<string>`CASE WHEN c.kind = 'organisation' THEN coalesce(c.company_name, '')
  ELSE concat_ws(' ', nullif(c.title, ''), nullif(c.first_names, ''), nullif(c.last_name, '')) END`;

function toTmf(r: CustomerRow, ctx: TmfContext): TmfObject {
  const party = partyPathOf(r.kind);
  return {
    id: r.code,
    href: ctx.href('customerManagement', 'customer', r.code),
    name: r.display_name,
    status: r.status,
    engagedParty: {
      id: r.party_code ?? r.code,
      href: ctx.href(PARTY_API, party, r.party_code ?? r.code),
      name: r.display_name,
      '@referredType': r.kind === 'organisation' ? 'Organization' : 'Individual',
    },
    account: r.payers.map((p) => ({
      id: p.code,
      href: ctx.href(ACCOUNT_API, 'billingAccount', p.code),
      name: p.name,
      '@referredType': 'BillingAccount',
    })),
    characteristic: categoryCharacteristics(r.categories),
    contactMedium: contactMediumOf(r.address, r.phones, r.email),
    validFor: { startDateTime: isoOf(r.created_at) },
    '@type': 'Customer',
    '@baseType': 'PartyRole',
  };
}

function filterSql(filters: Record<string, string[]>): RawBuilder<unknown>[] {
  const where: RawBuilder<unknown>[] = [];
  for (const [attr, values] of Object.entries(filters)) {
    switch (attr) {
      case 'id':
        where.push(sql`c.code = ANY(${values.map((v) => v.toUpperCase())}::text[])`);
        break;
      case 'engagedParty.id': {
        const vs = values.map((v) => v.toUpperCase());
        where.push(sql`(c.code = ANY(${vs}::text[]) AND NOT EXISTS (SELECT 1 FROM party pt WHERE pt.customer_id = c.id)
          OR c.id IN (SELECT pt.customer_id FROM party pt WHERE pt.code = ANY(${vs}::text[])))`);
        break;
      }
      case 'status':
        where.push(sql`c.status = ANY(${values}::text[])`);
        break;
      case 'name':
        // The trigram index narrows on the normalised words before the exact comparison.
        where.push(
          sql`(${DISPLAY_NAME} = ANY(${values}::text[]) AND c.search_name LIKE ANY(
            SELECT '%' || gpto_norm(w) || '%' FROM unnest(${values}::text[]) v, regexp_split_to_table(v, '\\s+') w
            WHERE length(w) >= 4 LIMIT 1))`,
        );
        break;
      default:
        throw tmfInvalid(attr, 'is not a filterable attribute');
    }
  }
  return where;
}

export class TmfCustomers {
  constructor(
    private readonly db: Db,
    private readonly referential: ReferentialServices,
  ) {}

  private async select(
    where: RawBuilder<unknown>[],
    offset: number,
    limit: number,
  ): Promise<{ rows: CustomerRow[]; total: number }> {
    const cond = where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
    // Count and page apart: a window count would build every matching row's JSON.
    const [rows, n] = await Promise.all([
      sql<CustomerRow>`
      SELECT c.id, c.code, c.kind, ${DISPLAY_NAME} AS display_name, c.status, c.address, c.phones, c.email,
        c.created_at,
        (SELECT json_object_agg(k.kind, k.code) FROM category k
          WHERE k.id IN (c.commercial1_id, c.commercial2_id, c.collection_id, c.accounting_id, c.tax_id)) AS categories,
        coalesce((SELECT json_agg(json_build_object('code', p.code, 'name', p.name) ORDER BY p.id)
          FROM payer p WHERE p.customer_id = c.id), '[]') AS payers,
        (SELECT pt.code FROM party pt WHERE pt.customer_id = c.id) AS party_code
      FROM customer c ${cond}
      ORDER BY c.id
      OFFSET ${offset} LIMIT ${limit}`.execute(this.db),
      sql<{ n: string }>`SELECT count(*) AS n FROM customer c ${cond}`.execute(this.db),
    ]);
    return { rows: rows.rows, total: Number(n.rows[0]?.n ?? 0) };
  }

  async list(q: TmfListQuery, ctx: TmfContext) {
    const { rows, total } = await this.select(filterSql(q.filters), q.offset, q.limit);
    return { items: rows.map((r) => toTmf(r, ctx)), total };
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    const { rows } = await this.select([sql`c.code = ${id.toUpperCase()}`], 0, 1);
    return rows[0] && toTmf(rows[0], ctx);
  }

  /**
   * An engagedParty with an id names an existing party: a prospect becomes a customer. Without
   * an id, an Organization is created from `name`; an Individual needs its names, so it is
   * created through TMF632 first.
   */
  async create(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    const party = body.engagedParty as Record<string, unknown> | undefined;
    if (!party || typeof party !== 'object') throw tmfInvalid('engagedParty', 'is required');
    const contact = contactInputOf(body.contactMedium);
    const cats = categoriesOf(body.characteristic);
    const name = body.name;
    if (name !== undefined && (typeof name !== 'string' || name.trim() === ''))
      throw tmfInvalid('name', 'must be a non-empty string');
    if (typeof party.id === 'string' && /^PTY/i.test(party.id)) {
      return this.fromParty(party.id, name, contact, cats, ctx);
    }
    if (party.id !== undefined) {
      if (typeof party.id !== 'string') throw tmfInvalid('engagedParty.id', 'must be a string');
      const existing = await this.get(party.id, ctx);
      if (!existing)
        throw new DomainError(
          'rule',
          'tmf.party_not_found',
          `engagedParty.id: party ${party.id} does not exist`,
          'engagedParty.id',
        );
      if (existing.status !== 'prospect')
        throw new DomainError(
          'conflict',
          'tmf.already_customer',
          `party ${party.id} is already a customer (${String(existing.status)})`,
          'engagedParty.id',
        );
      if (typeof name === 'string' && name !== existing.name)
        throw tmfInvalid('name', `a customer's name is its party's name ("${String(existing.name)}")`);
      await this.referential.customers.update(
        party.id,
        {
          status: 'active',
          ...(Object.keys(cats).length ? { categories: cats } : {}),
          ...contact,
        },
        ctx.actor,
      );
      return (await this.get(party.id, ctx)) as TmfObject;
    }
    if (party['@referredType'] !== 'Organization')
      throw tmfInvalid(
        'engagedParty.id',
        'give the id of an existing Individual or Organization (TMF632), or @referredType Organization to create one',
      );
    if (typeof name !== 'string') throw tmfInvalid('name', 'is required to create an Organization');
    if (!contact.address)
      throw tmfInvalid(
        'contactMedium',
        'a postalAddress is required (GPTo keeps an address for every customer)',
      );
    const created = await this.referential.customers.create(
      {
        kind: 'organisation',
        companyName: name,
        address: contact.address,
        ...(contact.phones ? { phones: contact.phones } : {}),
        ...(contact.email ? { email: contact.email } : {}),
        status: 'active',
        categories: requireAllCategories(cats),
      },
      ctx.actor,
    );
    return (await this.get(created.code, ctx)) as TmfObject;
  }

  /** A TMF632 party becomes a customer, linked to it in the same transaction. */
  private async fromParty(
    code: string,
    name: unknown,
    contact: ContactInput,
    cats: Partial<Record<CategoryKind, string>>,
    ctx: TmfContext,
  ): Promise<TmfObject> {
    const p = await new TmfParties(this.db, this.referential).standalone(code);
    if (!p)
      throw new DomainError(
        'rule',
        'tmf.party_not_found',
        `engagedParty.id: party ${code} does not exist`,
        'engagedParty.id',
      );
    if (p.customerId !== null)
      throw new DomainError(
        'conflict',
        'tmf.already_customer',
        `party ${code} is already a customer`,
        'engagedParty.id',
      );
    const stored = Array.isArray(p.contactMedium) ? contactInputOf(p.contactMedium) : {};
    const c = { ...stored, ...contact };
    if (!c.address)
      throw tmfInvalid(
        'contactMedium',
        'a postalAddress is required (on the party or here) to make it a customer',
      );
    const storedCats = Array.isArray(p.characteristic)
      ? categoriesOf(
          (p.characteristic as { name?: unknown }[]).filter(
            (x) => typeof x.name === 'string' && x.name.startsWith('category.'),
          ),
        )
      : {};
    const categories = requireAllCategories({ ...storedCats, ...cats });
    if (p.kind === 'person' && typeof name === 'string') {
      const full = [p.title, p.givenName, p.familyName].filter(Boolean).join(' ');
      if (name !== full) throw tmfInvalid('name', `a customer's name is its party's name ("${full}")`);
    }
    const identity =
      p.kind === 'person'
        ? {
            kind: 'person' as const,
            lastName: p.familyName,
            firstNames: p.givenName,
            title: p.title,
            birthDate: p.birthDate,
          }
        : {
            kind: 'organisation' as const,
            companyName: p.legalName ?? p.tradingName,
            tradeName: typeof name === 'string' ? name : p.tradingName,
          };
    const customerCode = await this.db.transaction().execute(async (trx) => {
      const locked = await trx
        .selectFrom('party')
        .select(['id', 'customer_id'])
        .where('id', '=', p.id)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (locked.customer_id !== null)
        throw new DomainError(
          'conflict',
          'tmf.already_customer',
          `party ${code} is already a customer`,
          'engagedParty.id',
        );
      const created = await this.referential.customers.createIn(
        trx,
        {
          ...identity,
          address: c.address as Address,
          ...(c.phones ? { phones: c.phones } : {}),
          ...(c.email ? { email: c.email } : {}),
          status: 'active',
          categories,
        },
        ctx.actor,
      );
      await trx
        .updateTable('party')
        .set({ customer_id: created.id, updated_at: sql<Date>`now()` })
        .where('id', '=', p.id)
        .execute();
      await appendEvent(trx, {
        entityType: 'party',
        entityId: p.id,
        customerId: created.id,
        kind: 'party.updated',
        userId: ctx.actor.userId,
        payload: { code: code.toUpperCase(), kind: p.kind, becameCustomer: created.code },
      });
      return created.code;
    });
    return (await this.get(customerCode, ctx)) as TmfObject;
  }

  /** Merge-patch of status, contact media, categories and (organisations) the name. */
  async patch(id: string, body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject | undefined> {
    const existing = await this.get(id, ctx);
    if (!existing) return undefined;
    const allowed = new Set(['name', 'status', 'contactMedium', 'characteristic', '@type', 'id', 'href']);
    for (const k of Object.keys(body)) {
      if (!allowed.has(k))
        throw tmfInvalid(k, 'cannot be changed through TMF629 (read-only or not supported)');
    }
    if (body.id !== undefined && body.id !== existing.id) throw tmfInvalid('id', 'cannot be changed');
    const patch: Record<string, unknown> = { ...contactInputOf(body.contactMedium) };
    const cats = categoriesOf(body.characteristic);
    if (Object.keys(cats).length) patch.categories = cats;
    if (body.status !== undefined) {
      if (!['prospect', 'active', 'inactive', 'closed'].includes(String(body.status)))
        throw tmfInvalid('status', 'must be prospect, active, inactive or closed');
      patch.status = body.status;
    }
    if (body.name !== undefined && body.name !== existing.name) {
      if (typeof body.name !== 'string' || body.name.trim() === '')
        throw tmfInvalid('name', 'must be a non-empty string');
      const referred = (existing.engagedParty as { '@referredType': string })['@referredType'];
      if (referred !== 'Organization')
        throw tmfInvalid('name', "an individual's name is changed through TMF632 (givenName, familyName)");
      patch.companyName = body.name;
    }
    if (Object.keys(patch).length > 0) await this.referential.customers.update(id, patch, ctx.actor);
    return this.get(id, ctx);
  }
}

export function customerApi(db: Db, referential: ReferentialServices): TmfApiDef {
  const customers = new TmfCustomers(db, referential);
  const customer: TmfResourceDef = {
    path: 'customer',
    type: 'Customer',
    read: 'customer:read',
    write: 'customer:write',
    pushdown: ['id', 'engagedParty.id', 'status', 'name'],
    list: (q, ctx) => customers.list(q, ctx),
    get: (id, ctx) => customers.get(id, ctx),
    create: (b, ctx) => customers.create(b, ctx),
    patch: (id, b, ctx) => customers.patch(id, b, ctx),
    events: {
      entityTypes: ['customer'],
      classify: ({ kind, payload }) => {
        if (kind === 'customer.created') return 'CreateEvent';
        if (kind !== 'customer.updated') return null;
        const changes = (payload as { changes?: Record<string, unknown> } | null)?.changes ?? {};
        return 'status' in changes ? 'StateChangeEvent' : 'AttributeValueChangeEvent';
      },
      idOf: async (entityId) =>
        (await db.selectFrom('customer').select('code').where('id', '=', Number(entityId)).executeTakeFirst())
          ?.code,
    },
  };
  return { name: 'customerManagement', title: 'TMF629 Customer Management', resources: [customer] };
}
