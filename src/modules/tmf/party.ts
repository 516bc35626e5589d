import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import { appendEvent } from '../../platform/events.js';
import type { ReferentialServices } from '../referential/index.js';
import type { Address } from '../referential/referential.schemas.js';
import { contactInputOf, contactMediumOf, isoOf, type ContactMedium } from './common.js';
import {
  pageAcross,
  tmfInvalid,
  type TmfApiDef,
  type TmfContext,
  type TmfEventMapping,
  type TmfListQuery,
  type TmfObject,
  type TmfResourceDef,
} from './framework.js';

/**
 * TMF632 Party Management. An Individual or Organization is either a GPTo customer (id = the
 * customer code; its identity lives on the customer) or a party that is not a customer yet
 * (id = `PTY…`, table `party`), which TMF629 can later turn into one.
 */

type Kind = 'person' | 'organisation';

/** One row shape for both sources; `src` says which table holds it. */
interface PartyRow {
  src: 'customer' | 'party';
  code: string;
  kind: Kind;
  customer_status: string | null;
  title: string | null;
  given_name: string | null;
  family_name: string | null;
  middle_name: string | null;
  birth_date: string | null;
  trading_name: string | null;
  legal_name: string | null;
  registration_number: string | null;
  id_document_type: string | null;
  id_document_number: string | null;
  address: Address | null;
  phones: string[] | null;
  email: string | null;
  contact_medium: ContactMedium[] | null;
  characteristic: unknown[] | null;
  customer_code: string | null;
  created_at: Date;
}

const PERSON_FILTERS: Record<string, { customer: string; party: string }> = {
  id: { customer: 'c.code', party: 'p.code' },
  familyName: { customer: 'c.last_name', party: 'p.family_name' },
  givenName: { customer: 'c.first_names', party: 'p.given_name' },
  title: { customer: 'c.title', party: 'p.title' },
};
const ORG_FILTERS: Record<string, { customer: string; party: string }> = {
  id: { customer: 'c.code', party: 'p.code' },
  tradingName: { customer: 'coalesce(c.trade_name, c.company_name)', party: 'p.trading_name' },
  name: { customer: 'c.company_name', party: 'coalesce(p.legal_name, p.trading_name)' },
};

function stateOf(r: PartyRow): string {
  if (r.src === 'party' && !r.customer_code) return 'initialized';
  if (r.customer_status === 'prospect') return 'initialized';
  if (r.customer_status === 'closed' && r.kind === 'organisation') return 'closed';
  return 'validated';
}

function toIndividual(r: PartyRow, ctx: TmfContext): TmfObject {
  const contact =
    r.src === 'customer' ? contactMediumOf(r.address, r.phones ?? [], r.email) : (r.contact_medium ?? []);
  const fullName = [r.given_name, r.middle_name, r.family_name].filter(Boolean).join(' ');
  return {
    id: r.code,
    href: ctx.href('party', 'individual', r.code),
    ...(r.title ? { title: r.title } : {}),
    givenName: r.given_name ?? '',
    familyName: r.family_name ?? '',
    ...(r.middle_name ? { middleName: r.middle_name } : {}),
    fullName,
    formattedName: [r.title, fullName].filter(Boolean).join(' '),
    ...(r.birth_date ? { birthDate: isoOf(r.birth_date) } : {}),
    status: stateOf(r),
    contactMedium: contact,
    ...(r.id_document_number
      ? {
          individualIdentification: [
            { identificationType: r.id_document_type ?? 'other', identificationId: r.id_document_number },
          ],
        }
      : {}),
    partyCharacteristic: r.characteristic ?? [],
    ...(r.customer_code
      ? {
          relatedParty: [
            {
              id: r.customer_code,
              href: ctx.href('customerManagement', 'customer', r.customer_code),
              role: 'customer',
              '@referredType': 'Customer',
            },
          ],
        }
      : {}),
    '@type': 'Individual',
    '@baseType': 'Party',
  };
}

function toOrganization(r: PartyRow, ctx: TmfContext): TmfObject {
  const contact =
    r.src === 'customer' ? contactMediumOf(r.address, r.phones ?? [], r.email) : (r.contact_medium ?? []);
  return {
    id: r.code,
    href: ctx.href('party', 'organization', r.code),
    tradingName: r.trading_name ?? r.legal_name ?? '',
    name: r.legal_name ?? r.trading_name ?? '',
    isLegalEntity: true,
    status: stateOf(r),
    contactMedium: contact,
    ...(r.registration_number
      ? {
          organizationIdentification: [
            { identificationType: 'registration', identificationId: r.registration_number },
          ],
        }
      : {}),
    partyCharacteristic: r.characteristic ?? [],
    ...(r.customer_code
      ? {
          relatedParty: [
            {
              id: r.customer_code,
              href: ctx.href('customerManagement', 'customer', r.customer_code),
              role: 'customer',
              '@referredType': 'Customer',
            },
          ],
        }
      : {}),
    '@type': 'Organization',
    '@baseType': 'Party',
  };
}

function str(body: Record<string, unknown>, field: string, max = 200): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.trim() === '' || v.length > max)
    throw tmfInvalid(field, `must be a non-empty string of at most ${max} characters`);
  return v.trim();
}

function dateOf(body: Record<string, unknown>, field: string): string | undefined {
  const v = str(body, field, 40);
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw tmfInvalid(field, 'must be an ISO 8601 date');
  return d.toISOString().slice(0, 10);
}

/** Characteristics are stored as given; only their shape is checked. */
function characteristicsOf(raw: unknown): unknown[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw tmfInvalid('partyCharacteristic', 'must be an array');
  raw.forEach((c: unknown, i) => {
    if (!c || typeof c !== 'object' || typeof (c as { name?: unknown }).name !== 'string')
      throw tmfInvalid(`partyCharacteristic[${i}].name`, 'is required');
  });
  return raw;
}

export class TmfParties {
  constructor(
    private readonly db: Db,
    private readonly referential: ReferentialServices,
  ) {}

  /** Parties of one kind: standalone parties first, then customers that have no party row. */
  async list(kind: Kind, q: TmfListQuery): Promise<{ rows: PartyRow[]; total: number }> {
    const map = kind === 'person' ? PERSON_FILTERS : ORG_FILTERS;
    const cw: RawBuilder<unknown>[] = [
      sql`c.kind = ${kind}`,
      sql`NOT EXISTS (SELECT 1 FROM party x WHERE x.customer_id = c.id)`,
    ];
    const pw: RawBuilder<unknown>[] = [sql`p.kind = ${kind}`];
    for (const [attr, values] of Object.entries(q.filters)) {
      const cols = map[attr];
      if (!cols) throw tmfInvalid(attr, 'is not a filterable attribute');
      const vs = attr === 'id' ? values.map((v) => v.toUpperCase()) : values;
      cw.push(sql`${sql.raw(cols.customer)} = ANY(${vs}::text[])`);
      pw.push(sql`${sql.raw(cols.party)} = ANY(${vs}::text[])`);
    }
    const cWhere = sql.join(cw, sql` AND `);
    const pWhere = sql.join(pw, sql` AND `);
    const count = async (table: 'party' | 'customer') =>
      Number(
        (
          await (
            table === 'party'
              ? sql<{ n: string }>`SELECT count(*) AS n FROM party p WHERE ${pWhere}`
              : sql<{ n: string }>`SELECT count(*) AS n FROM customer c WHERE ${cWhere}`
          ).execute(this.db)
        ).rows[0]?.n ?? 0,
      );
    const { items, total } = await pageAcross(
      ['party', 'customer'] as const,
      q.offset,
      q.limit,
      count,
      (table, offset, limit) =>
        table === 'party' ? this.partyRows(pWhere, offset, limit) : this.customerRows(cWhere, offset, limit),
    );
    return { rows: items, total };
  }

  private async partyRows(where: RawBuilder<unknown>, offset: number, limit: number): Promise<PartyRow[]> {
    const r = await sql<PartyRow>`
      SELECT 'party' AS src, p.code, p.kind,
        c.status AS customer_status,
        coalesce(c.title, p.title) AS title,
        CASE WHEN c.id IS NULL THEN p.given_name ELSE c.first_names END AS given_name,
        CASE WHEN c.id IS NULL THEN p.family_name ELSE c.last_name END AS family_name,
        p.middle_name, coalesce(c.birth_date, p.birth_date)::text AS birth_date,
        CASE WHEN c.id IS NULL THEN p.trading_name ELSE coalesce(c.trade_name, c.company_name) END AS trading_name,
        CASE WHEN c.id IS NULL THEN p.legal_name ELSE c.company_name END AS legal_name,
        coalesce(c.registration_number, p.registration_number) AS registration_number,
        c.id_document_type, c.id_document_number,
        c.address, c.phones, c.email, p.contact_medium, p.characteristic,
        c.code AS customer_code, p.created_at
      FROM party p LEFT JOIN customer c ON c.id = p.customer_id
      WHERE ${where}
      ORDER BY p.id OFFSET ${offset} LIMIT ${limit}`.execute(this.db);
    // A party that became a customer shows the customer's live identity and contact media.
    return r.rows.map((row) => (row.customer_code ? { ...row, src: 'customer' as const } : row));
  }

  private async customerRows(where: RawBuilder<unknown>, offset: number, limit: number): Promise<PartyRow[]> {
    const r = await sql<PartyRow>`
      SELECT 'customer' AS src, c.code, c.kind, c.status AS customer_status, c.title,
        c.first_names AS given_name, c.last_name AS family_name, NULL AS middle_name,
        c.birth_date::text AS birth_date, coalesce(c.trade_name, c.company_name) AS trading_name,
        c.company_name AS legal_name, c.registration_number, c.id_document_type, c.id_document_number,
        c.address, c.phones, c.email, NULL AS contact_medium, NULL AS characteristic,
        c.code AS customer_code, c.created_at
      FROM customer c WHERE ${where}
      ORDER BY c.id OFFSET ${offset} LIMIT ${limit}`.execute(this.db);
    return r.rows;
  }

  async getRow(kind: Kind, id: string): Promise<PartyRow | undefined> {
    const { rows } = await this.list(kind, { offset: 0, limit: 1, filters: { id: [id] } });
    return rows[0];
  }

  async create(kind: Kind, body: Record<string, unknown>, ctx: TmfContext): Promise<string> {
    const contact = contactInputOf(body.contactMedium); // validates; stored in TMF form
    void contact;
    const characteristic = characteristicsOf(body.partyCharacteristic);
    const values =
      kind === 'person'
        ? {
            given_name: str(body, 'givenName', 150),
            family_name: str(body, 'familyName', 100),
            middle_name: str(body, 'middleName', 100) ?? null,
            title: str(body, 'title', 30) ?? null,
            birth_date: dateOf(body, 'birthDate') ?? null,
          }
        : {
            trading_name: str(body, 'tradingName') ?? str(body, 'name'),
            legal_name: str(body, 'name') ?? null,
          };
    if (kind === 'person' && !values.given_name) throw tmfInvalid('givenName', 'is required');
    if (kind === 'person' && !values.family_name) throw tmfInvalid('familyName', 'is required');
    if (kind === 'organisation' && !values.trading_name) throw tmfInvalid('tradingName', 'is required');
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('party')
        .values({
          code: sql<string>`'PTY' || lpad(nextval('party_code_seq')::text, 7, '0')`,
          kind,
          ...values,
          contact_medium: JSON.stringify(body.contactMedium ?? []),
          characteristic: JSON.stringify(characteristic),
        })
        .returning(['id', 'code'])
        .executeTakeFirstOrThrow();
      await appendEvent(trx, {
        entityType: 'party',
        entityId: row.id,
        kind: 'party.created',
        userId: ctx.actor.userId,
        payload: { code: row.code, kind },
      });
      return row.code;
    });
  }

  /** A customer's identity changes through the referential; a standalone party in place. */
  async patch(kind: Kind, id: string, body: Record<string, unknown>, ctx: TmfContext): Promise<boolean> {
    const row = await this.getRow(kind, id);
    if (!row) return false;
    const allowed =
      kind === 'person'
        ? [
            'givenName',
            'familyName',
            'middleName',
            'title',
            'birthDate',
            'contactMedium',
            'partyCharacteristic',
          ]
        : ['tradingName', 'name', 'contactMedium', 'partyCharacteristic'];
    for (const k of Object.keys(body)) {
      if (['id', 'href', '@type', '@baseType'].includes(k)) continue;
      if (!allowed.includes(k)) throw tmfInvalid(k, 'cannot be changed through TMF632');
    }
    if (row.src === 'customer') {
      if (body.middleName !== undefined || body.partyCharacteristic !== undefined)
        throw tmfInvalid(
          body.middleName !== undefined ? 'middleName' : 'partyCharacteristic',
          'is not kept for customers',
        );
      const patch: Record<string, unknown> = { ...contactInputOf(body.contactMedium) };
      if (kind === 'person') {
        if (body.givenName !== undefined) patch.firstNames = str(body, 'givenName', 150);
        if (body.familyName !== undefined) patch.lastName = str(body, 'familyName', 100);
        if (body.title !== undefined) patch.title = str(body, 'title', 30) ?? null;
        if (body.birthDate !== undefined) patch.birthDate = dateOf(body, 'birthDate') ?? null;
      } else {
        if (body.tradingName !== undefined) patch.tradeName = str(body, 'tradingName');
        if (body.name !== undefined) patch.companyName = str(body, 'name');
      }
      if (Object.keys(patch).length > 0)
        await this.referential.customers.update(row.customer_code ?? id, patch, ctx.actor);
      return true;
    }
    if (body.contactMedium !== undefined) contactInputOf(body.contactMedium);
    const set: Record<string, unknown> = {};
    if (kind === 'person') {
      if (body.givenName !== undefined) set.given_name = str(body, 'givenName', 150);
      if (body.familyName !== undefined) set.family_name = str(body, 'familyName', 100);
      if (body.middleName !== undefined) set.middle_name = str(body, 'middleName', 100) ?? null;
      if (body.title !== undefined) set.title = str(body, 'title', 30) ?? null;
      if (body.birthDate !== undefined) set.birth_date = dateOf(body, 'birthDate') ?? null;
    } else {
      if (body.tradingName !== undefined) set.trading_name = str(body, 'tradingName');
      if (body.name !== undefined) set.legal_name = str(body, 'name') ?? null;
    }
    if (body.contactMedium !== undefined) set.contact_medium = JSON.stringify(body.contactMedium);
    if (body.partyCharacteristic !== undefined)
      set.characteristic = JSON.stringify(characteristicsOf(body.partyCharacteristic));
    if (Object.keys(set).length === 0) return true;
    await this.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('party')
        .set({ ...set, updated_at: sql<Date>`now()` })
        .where('code', '=', id.toUpperCase())
        .returning('id')
        .executeTakeFirstOrThrow();
      await appendEvent(trx, {
        entityType: 'party',
        entityId: r.id,
        kind: 'party.updated',
        userId: ctx.actor.userId,
        payload: { code: id.toUpperCase(), changed: Object.keys(set) },
      });
    });
    return true;
  }

  /** Only a party that never became a customer can go: customers are closed, never deleted. */
  async remove(kind: Kind, id: string, ctx: TmfContext): Promise<boolean> {
    const row = await this.getRow(kind, id);
    if (!row) return false;
    if (row.customer_code)
      throw new DomainError(
        'conflict',
        'tmf.party_is_customer',
        `${id} is a customer (${row.customer_code}); close the customer instead of deleting it`,
        'id',
      );
    await this.db.transaction().execute(async (trx) => {
      const r = await trx
        .deleteFrom('party')
        .where('code', '=', id.toUpperCase())
        .where('customer_id', 'is', null)
        .returning('id')
        .executeTakeFirst();
      if (r)
        await appendEvent(trx, {
          entityType: 'party',
          entityId: r.id,
          kind: 'party.deleted',
          userId: ctx.actor.userId,
          payload: { code: id.toUpperCase(), kind },
        });
    });
    return true;
  }

  /** For TMF629: the party a new customer grows from, with what it knows. */
  async standalone(code: string): Promise<
    | {
        id: number;
        kind: Kind;
        customerId: number | null;
        givenName: string | null;
        familyName: string | null;
        title: string | null;
        birthDate: string | null;
        tradingName: string | null;
        legalName: string | null;
        contactMedium: unknown;
        characteristic: unknown;
      }
    | undefined
  > {
    const r = await this.db
      .selectFrom('party')
      .selectAll()
      .where('code', '=', code.toUpperCase())
      .executeTakeFirst();
    if (!r) return undefined;
    return {
      id: r.id,
      kind: r.kind,
      customerId: r.customer_id,
      givenName: r.given_name,
      familyName: r.family_name,
      title: r.title,
      birthDate: r.birth_date ? String(r.birth_date).slice(0, 10) : null,
      tradingName: r.trading_name,
      legalName: r.legal_name,
      contactMedium: r.contact_medium,
      characteristic: r.characteristic,
    };
  }
}

function partyEvents(db: Db, kind: Kind): TmfEventMapping {
  return {
    entityTypes: ['party'],
    classify: ({ kind: k, payload }) => {
      if (
        (payload as { kind?: string } | null)?.kind !== undefined &&
        (payload as { kind?: string }).kind !== kind
      )
        return null;
      if (k === 'party.created') return 'CreateEvent';
      if (k === 'party.updated') return 'AttributeValueChangeEvent';
      if (k === 'party.deleted') return 'DeleteEvent';
      return null;
    },
    idOf: async (entityId) =>
      (
        await db
          .selectFrom('party')
          .select(['code', 'kind'])
          .where('id', '=', Number(entityId))
          .executeTakeFirst()
      )?.code,
  };
}

export function partyApi(db: Db, referential: ReferentialServices): TmfApiDef {
  const parties = new TmfParties(db, referential);
  const resource = (kind: Kind): TmfResourceDef => {
    const map = kind === 'person' ? toIndividual : toOrganization;
    const filters = kind === 'person' ? PERSON_FILTERS : ORG_FILTERS;
    return {
      path: kind === 'person' ? 'individual' : 'organization',
      type: kind === 'person' ? 'Individual' : 'Organization',
      read: 'customer:read',
      write: 'customer:write',
      pushdown: Object.keys(filters),
      list: async (q, ctx) => {
        const { rows, total } = await parties.list(kind, q);
        return { items: rows.map((r) => map(r, ctx)), total };
      },
      get: async (id, ctx) => {
        const r = await parties.getRow(kind, id);
        return r && map(r, ctx);
      },
      create: async (body, ctx) => {
        const code = await parties.create(kind, body, ctx);
        const r = await parties.getRow(kind, code);
        return map(r as PartyRow, ctx);
      },
      patch: async (id, body, ctx) => {
        if (!(await parties.patch(kind, id, body, ctx))) return undefined;
        const r = await parties.getRow(kind, id);
        return r && map(r, ctx);
      },
      remove: (id, ctx) => parties.remove(kind, id, ctx),
      events: partyEvents(db, kind),
    };
  };
  return {
    name: 'party',
    title: 'TMF632 Party Management',
    resources: [resource('person'), resource('organisation')],
  };
}
