import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import { appendEvent } from '../../platform/events.js';
import { isoOf } from './common.js';
import {
  tmfInvalid,
  type TmfApiDef,
  type TmfContext,
  type TmfListQuery,
  type TmfObject,
  type TmfResourceDef,
} from './framework.js';

/**
 * TMF673 Geographic Address over the addresses GPTo knows: the serving areas of the plant (a
 * locality, optionally a district and a street, served by concentration points or base
 * stations). Validation checks a submitted address against them and proposes the closest known
 * streets or localities.
 */

const API = 'geographicAddressManagement';
const COUNTRY = 'SN';

interface AreaRow {
  id: string;
  locality: string;
  district: string;
  street: string;
}

function toAddress(r: AreaRow, ctx: TmfContext): TmfObject {
  const id = `GA${r.id}`;
  return {
    id,
    href: ctx.href(API, 'geographicAddress', id),
    name: [r.street, r.district, r.locality].filter(Boolean).join(', '),
    ...(r.street ? { streetName: r.street } : {}),
    ...(r.district ? { locality: r.district } : {}),
    city: r.locality,
    country: COUNTRY,
    '@type': 'GeographicAddress',
  };
}

const GROUPED = sql`
  SELECT min(a.id) AS id, min(a.locality) AS locality, min(a.district) AS district, min(a.street) AS street
  FROM inv_serving_area a`;
const GROUP_BY = sql`GROUP BY a.locality_norm, a.district_norm, a.street_norm`;

function idOf(v: string): number {
  const m = /^GA(\d{1,15})$/i.exec(v);
  return m ? Number(m[1]) : -1;
}

export class TmfAddresses {
  constructor(private readonly db: Db) {}

  async list(q: TmfListQuery, ctx: TmfContext): Promise<{ items: TmfObject[]; total: number }> {
    const where: RawBuilder<unknown>[] = [];
    const having: RawBuilder<unknown>[] = [];
    for (const [attr, values] of Object.entries(q.filters)) {
      if (attr === 'id') having.push(sql`min(a.id) = ANY(${values.map(idOf)}::bigint[])`);
      else if (attr === 'city')
        where.push(sql`a.locality_norm IN (SELECT gpto_norm(v) FROM unnest(${values}::text[]) v)`);
      else if (attr === 'locality')
        where.push(sql`a.district_norm IN (SELECT gpto_norm(v) FROM unnest(${values}::text[]) v)`);
      else if (attr === 'streetName')
        where.push(sql`a.street_norm IN (SELECT gpto_norm(v) FROM unnest(${values}::text[]) v)`);
      else throw tmfInvalid(attr, 'is not a filterable attribute');
    }
    const w = where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
    const h = having.length ? sql`HAVING ${sql.join(having, sql` AND `)}` : sql``;
    const [rows, n] = await Promise.all([
      sql<AreaRow>`${GROUPED} ${w} ${GROUP_BY} ${h} ORDER BY min(a.id) OFFSET ${q.offset} LIMIT ${q.limit}`.execute(
        this.db,
      ),
      sql<{
        n: string;
      }>`SELECT count(*) AS n FROM (SELECT 1 FROM inv_serving_area a ${w} ${GROUP_BY} ${h}) x`.execute(
        this.db,
      ),
    ]);
    return { items: rows.rows.map((r) => toAddress(r, ctx)), total: Number(n.rows[0]?.n ?? 0) };
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    const r = await this.list({ offset: 0, limit: 1, filters: { id: [id] } }, ctx);
    return r.items[0];
  }

  /**
   * `success`: the street (or, without a street, the district) is a known served address;
   * `partial`: the locality is known but not the street; `fails`: the locality is unknown.
   * Alternatives: the closest known streets of the locality, or the closest localities.
   */
  async validate(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    const submitted = body.submittedGeographicAddress as Record<string, unknown> | undefined;
    if (!submitted || typeof submitted !== 'object' || Array.isArray(submitted))
      throw tmfInvalid('submittedGeographicAddress', 'is required');
    if (body.provideAlternative !== undefined && typeof body.provideAlternative !== 'boolean')
      throw tmfInvalid('provideAlternative', 'must be true or false');
    const text = (k: string): string => {
      const v = submitted[k];
      if (v === undefined || v === null || v === '') return '';
      if (typeof v !== 'string' || v.length > 200)
        throw tmfInvalid(`submittedGeographicAddress.${k}`, 'must be a string of at most 200 characters');
      return v;
    };
    const city = text('city');
    const district = text('locality');
    const street = text('streetName');
    if (!city) throw tmfInvalid('submittedGeographicAddress.city', 'is required');
    const alternatives = body.provideAlternative === true;

    const known = await sql<AreaRow & { score: number }>`
      ${GROUPED}
      WHERE a.locality_norm = gpto_norm(${city})
      ${GROUP_BY}
      ORDER BY min(a.id)`.execute(this.db);
    let result: 'success' | 'partial' | 'fails';
    let valid: AreaRow | undefined;
    let alternates: AreaRow[] = [];
    if (known.rows.length === 0) {
      result = 'fails';
      if (alternatives) {
        const near = await sql<AreaRow>`
          SELECT min(a.id) AS id, min(a.locality) AS locality, '' AS district, '' AS street
          FROM inv_serving_area a
          WHERE similarity(a.locality_norm, gpto_norm(${city})) > 0.3
          GROUP BY a.locality_norm ORDER BY max(similarity(a.locality_norm, gpto_norm(${city}))) DESC LIMIT 5`.execute(
          this.db,
        );
        alternates = near.rows;
      }
    } else {
      const norm = await sql<{
        s: string;
        d: string;
      }>`SELECT gpto_norm(${street}) AS s, gpto_norm(${district}) AS d`.execute(this.db);
      const s = norm.rows[0]?.s ?? '';
      const d = norm.rows[0]?.d ?? '';
      const rows = await sql<AreaRow & { street_norm: string; district_norm: string }>`
        SELECT min(a.id) AS id, min(a.locality) AS locality, min(a.district) AS district, min(a.street) AS street,
          a.street_norm, a.district_norm
        FROM inv_serving_area a WHERE a.locality_norm = gpto_norm(${city})
        GROUP BY a.locality_norm, a.district_norm, a.street_norm ORDER BY min(a.id)`.execute(this.db);
      const exact = street
        ? rows.rows.find(
            (r) => r.street_norm === s && (!d || r.district_norm === d || r.district_norm === ''),
          )
        : rows.rows.find((r) => r.street_norm === '' && r.district_norm === d);
      if (exact) {
        result = 'success';
        valid = exact;
      } else {
        result = 'partial';
        if (alternatives && street) {
          const near = await sql<AreaRow>`
            SELECT min(a.id) AS id, min(a.locality) AS locality, min(a.district) AS district, min(a.street) AS street
            FROM inv_serving_area a
            WHERE a.locality_norm = gpto_norm(${city}) AND a.street_norm <> ''
              AND similarity(a.street_norm, ${s}) > 0.2
            GROUP BY a.locality_norm, a.district_norm, a.street_norm
            ORDER BY max(similarity(a.street_norm, ${s})) DESC LIMIT 5`.execute(this.db);
          alternates = near.rows;
        } else if (alternatives) {
          alternates = rows.rows.slice(0, 5);
        }
      }
    }
    const submittedOut = {
      ...submitted,
      '@type': typeof submitted['@type'] === 'string' ? submitted['@type'] : 'GeographicAddress',
    };
    const resultDoc = {
      validationResult: result,
      validGeographicAddress: valid ? toAddress(valid, ctx) : undefined,
      alternateGeographicAddress: alternates.map((a) => toAddress(a, ctx)),
    };
    const code = await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('tmf_address_validation')
        .values({
          code: sql<string>`'GAV' || lpad(nextval('tmf_address_validation_seq')::text, 8, '0')`,
          submitted: JSON.stringify(submittedOut),
          result: JSON.stringify({ ...resultDoc, provideAlternative: alternatives }),
          user_id: ctx.actor.userId ?? null,
        })
        .returning(['id', 'code'])
        .executeTakeFirstOrThrow();
      await appendEvent(trx, {
        entityType: 'address_validation',
        entityId: row.id,
        kind: 'address_validation.done',
        userId: ctx.actor.userId,
        payload: { code: row.code, result },
      });
      return row.code;
    });
    return (await this.getValidation(code, ctx)) as TmfObject;
  }

  async listValidations(q: TmfListQuery, ctx: TmfContext): Promise<{ items: TmfObject[]; total: number }> {
    const ids = q.filters.id?.map((v) => v.toUpperCase());
    const base = this.db.selectFrom('tmf_address_validation');
    const filtered = ids ? base.where('code', 'in', ids) : base;
    const [rows, n] = await Promise.all([
      filtered.selectAll().orderBy('id').offset(q.offset).limit(q.limit).execute(),
      filtered.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst(),
    ]);
    return { items: rows.map((r) => this.toValidation(r, ctx)), total: Number(n?.n ?? 0) };
  }

  async getValidation(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    const r = await this.db
      .selectFrom('tmf_address_validation')
      .selectAll()
      .where('code', '=', id.toUpperCase())
      .executeTakeFirst();
    return r && this.toValidation(r, ctx);
  }

  private toValidation(
    r: { code: string; submitted: unknown; result: unknown; created_at: Date },
    ctx: TmfContext,
  ): TmfObject {
    const res = r.result as {
      validationResult: string;
      validGeographicAddress?: TmfObject;
      alternateGeographicAddress: TmfObject[];
      provideAlternative: boolean;
    };
    return {
      id: r.code,
      href: ctx.href(API, 'geographicAddressValidation', r.code),
      provideAlternative: res.provideAlternative,
      validationDate: isoOf(r.created_at),
      validationResult: res.validationResult,
      state: 'done',
      submittedGeographicAddress: r.submitted,
      ...(res.validGeographicAddress ? { validGeographicAddress: res.validGeographicAddress } : {}),
      alternateGeographicAddress: res.alternateGeographicAddress,
      '@type': 'GeographicAddressValidation',
    };
  }
}

export function geographicAddressApi(db: Db): TmfApiDef {
  const addresses = new TmfAddresses(db);
  const address: TmfResourceDef = {
    path: 'geographicAddress',
    type: 'GeographicAddress',
    read: 'customer:read',
    pushdown: ['id', 'city', 'locality', 'streetName'],
    list: (q, ctx) => addresses.list(q, ctx),
    get: (id, ctx) => addresses.get(id, ctx),
  };
  const validation: TmfResourceDef = {
    path: 'geographicAddressValidation',
    type: 'GeographicAddressValidation',
    read: 'customer:read',
    write: 'customer:write',
    pushdown: ['id'],
    list: (q, ctx) => addresses.listValidations(q, ctx),
    get: (id, ctx) => addresses.getValidation(id, ctx),
    create: (body, ctx) => addresses.validate(body, ctx),
    events: {
      entityTypes: ['address_validation'],
      classify: ({ kind }) => (kind === 'address_validation.done' ? 'StateChangeEvent' : null),
      idOf: async (entityId) =>
        (
          await db
            .selectFrom('tmf_address_validation')
            .select('code')
            .where('id', '=', Number(entityId))
            .executeTakeFirst()
        )?.code,
    },
  };
  /**
   * Sub-addresses (building, level, unit, private street) of an address. GPTo knows addresses down
   * to the street (serving areas) and customers' house numbers, never buildings, floors or
   * apartments: every known address has an empty list; an unknown one is a 404.
   */
  const subAddress: TmfResourceDef = {
    path: 'geographicAddress/:geographicAddressId/geographicSubAddress',
    type: 'GeographicSubAddress',
    read: 'customer:read',
    list: async (_q, ctx) => {
      const parent = ctx.params?.geographicAddressId ?? '';
      if (!(await addresses.get(parent, ctx)))
        throw new DomainError(
          'not_found',
          'tmf.not_found',
          `GeographicAddress ${parent} does not exist`,
          'geographicAddressId',
        );
      return { items: [], total: 0 };
    },
    get: async (_id, ctx) => {
      const parent = ctx.params?.geographicAddressId ?? '';
      if (!(await addresses.get(parent, ctx)))
        throw new DomainError(
          'not_found',
          'tmf.not_found',
          `GeographicAddress ${parent} does not exist`,
          'geographicAddressId',
        );
      return undefined;
    },
  };
  return {
    name: API,
    title: 'TMF673 Geographic Address Management',
    resources: [address, validation, subAddress],
  };
}
