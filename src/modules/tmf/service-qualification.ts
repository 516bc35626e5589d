import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import { appendEvent } from '../../platform/events.js';
import type { InventoryServices, StudyResult } from '../inventory/index.js';
import type { ReferentialServices } from '../referential/index.js';
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
 * TMF645 Service Qualification: "can this address get this service?" answered by GPTo's own
 * automatic study — the very statement a service request runs — inside a transaction that is
 * rolled back, so the answer names the plant that would serve the line and nothing is reserved.
 */

const API = 'serviceQualificationManagement';

type Kind = 'fixed_wired' | 'fixed_radio' | 'mobile';

interface Place {
  street?: string;
  district?: string;
  locality: string;
  number?: string;
}

/** Carries the study's answer out of the transaction it rolls back. */
class Rollback extends Error {
  constructor(readonly result: StudyResult) {
    super('rolled back on purpose');
  }
}

function obj(v: unknown, field: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw tmfInvalid(field, 'must be an object');
  return v as Record<string, unknown>;
}

function optString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || v.length > 200) throw tmfInvalid(field, 'must be a string');
  return v;
}

export class TmfQualifications {
  constructor(
    private readonly db: Db,
    private readonly inventory: InventoryServices,
    private readonly referential: ReferentialServices,
  ) {}

  /** A place: a TMF673 address id (`GA<n>`) or an address value (streetName, locality, city). */
  private async placeOf(service: Record<string, unknown>, field: string): Promise<Place> {
    const places = service.place;
    const first = Array.isArray(places) ? (places[0] as unknown) : places;
    if (first === undefined) throw tmfInvalid(`${field}.place`, 'the address to qualify is required');
    const p = obj(first, `${field}.place[0]`);
    if (typeof p.id === 'string' && /^GA\d+$/i.test(p.id) && p.city === undefined) {
      const r = await sql<{ locality: string; district: string; street: string }>`
        SELECT locality, district, street FROM inv_serving_area WHERE id = ${Number(p.id.slice(2))}`.execute(
        this.db,
      );
      const a = r.rows[0];
      if (!a) throw tmfInvalid(`${field}.place[0].id`, `geographic address ${p.id} does not exist`);
      return {
        locality: a.locality,
        ...(a.district ? { district: a.district } : {}),
        ...(a.street ? { street: a.street } : {}),
      };
    }
    const city = optString(p.city, `${field}.place[0].city`);
    if (!city) throw tmfInvalid(`${field}.place[0].city`, 'is required (or give a geographicAddress id)');
    const street = optString(p.streetName, `${field}.place[0].streetName`);
    const district = optString(p.locality, `${field}.place[0].locality`);
    const number = optString(p.streetNr, `${field}.place[0].streetNr`);
    return {
      locality: city,
      ...(street ? { street } : {}),
      ...(district ? { district } : {}),
      ...(number ? { number } : {}),
    };
  }

  private async productOf(
    service: Record<string, unknown>,
    field: string,
  ): Promise<{ code: string; kind: Kind }> {
    const spec = obj(service.serviceSpecification, `${field}.serviceSpecification`);
    if (typeof spec.id !== 'string')
      throw tmfInvalid(`${field}.serviceSpecification.id`, 'the product code is required');
    const product = await this.referential.catalogue.get(spec.id).catch(() => undefined);
    if (!product) throw tmfInvalid(`${field}.serviceSpecification.id`, `product ${spec.id} does not exist`);
    const kind: Kind | undefined =
      product.kind === 'fixed_wired' || product.kind === 'fixed_radio'
        ? product.kind
        : product.kind.startsWith('mobile')
          ? 'mobile'
          : undefined;
    if (!kind)
      throw tmfInvalid(`${field}.serviceSpecification.id`, `${product.code} is an option, not a line`);
    return { code: product.code, kind };
  }

  /** The automatic study, rolled back: what it would reserve, or why it cannot. */
  private async dryStudy(
    ref: string,
    kind: Kind,
    product: string,
    place: Place | undefined,
    shop: string | undefined,
    ctx: TmfContext,
  ): Promise<StudyResult> {
    try {
      await this.db.transaction().execute(async (trx) => {
        const result = await this.inventory.service.studyIn(
          trx,
          {
            requestRef: ref,
            kind,
            product,
            ...(place ? { address: place } : {}),
            ...(shop ? { shop } : {}),
            withNumber: false,
          },
          ctx.actor,
        );
        throw new Rollback(result);
      });
    } catch (e) {
      if (e instanceof Rollback) return e.result;
      throw e;
    }
    throw new Error('unreachable: the study transaction always rolls back');
  }

  private serviceOf(
    product: string,
    result: StudyResult | undefined,
    place: Place | undefined,
    ctx: TmfContext,
  ) {
    const supporting: Record<string, unknown>[] = [];
    if (result?.feasible) {
      const c = result.reservation.chain;
      const ref = (id: string, name: string) => ({
        id,
        href: ctx.href('resourceInventoryManagement', 'resource', id),
        name,
        '@referredType': 'Resource',
      });
      if (c.cp) supporting.push(ref(`cp-${c.cp}`, c.cp));
      if (c.equipmentNumber) supporting.push(ref(`port-${c.equipmentNumber}`, c.equipmentNumber));
      if (c.baseStation) supporting.push(ref(`bts-${c.baseStation}`, c.baseStation));
      if (c.sim) supporting.push(ref(`sim-${c.sim.iccid}`, c.sim.iccid));
    }
    return {
      serviceSpecification: { id: product, name: product, '@referredType': 'ServiceSpecification' },
      ...(place
        ? {
            place: [
              {
                role: 'installationAddress',
                ...(place.street ? { streetName: place.street } : {}),
                ...(place.district ? { locality: place.district } : {}),
                city: place.locality,
                '@type': 'GeographicAddress',
              },
            ],
          }
        : {}),
      ...(supporting.length ? { supportingResource: supporting } : {}),
      '@type': 'Service',
    };
  }

  async check(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    const items = body.serviceQualificationItem;
    if (!Array.isArray(items) || items.length === 0)
      throw tmfInvalid('serviceQualificationItem', 'give at least one item');
    if (items.length > 20) throw tmfInvalid('serviceQualificationItem', 'at most 20 items at a time');
    const provideAlternative = body.provideAlternative === true;
    const provideReason = body.provideUnavailabilityReason === true;
    const code = (
      await sql<{
        c: string;
      }>`SELECT 'SQ' || lpad(nextval('tmf_service_qualification_seq')::text, 8, '0') AS c`.execute(this.db)
    ).rows[0]?.c as string;
    const out: Record<string, unknown>[] = [];
    for (const [i, raw] of items.entries()) {
      const field = `serviceQualificationItem[${i}]`;
      const item = obj(raw, field);
      const service = obj(item.service, `${field}.service`);
      const product = await this.productOf(service, `${field}.service`);
      const place = product.kind === 'mobile' ? undefined : await this.placeOf(service, `${field}.service`);
      const shop = (Array.isArray(service.serviceCharacteristic) ? service.serviceCharacteristic : []).find(
        (c: unknown) => (c as { name?: unknown } | null)?.name === 'shop',
      ) as { value?: unknown } | undefined;
      if (product.kind === 'mobile' && typeof shop?.value !== 'string')
        throw tmfInvalid(
          `${field}.service.serviceCharacteristic`,
          'a mobile line is qualified against a shop’s SIM stock: give "shop"',
        );
      const id = typeof item.id === 'string' ? item.id : String(i + 1);
      const result = await this.dryStudy(
        `${code}-${id}`,
        product.kind,
        product.code,
        place,
        typeof shop?.value === 'string' ? shop.value : undefined,
        ctx,
      );
      const entry: Record<string, unknown> = {
        id,
        state: 'done',
        service: this.serviceOf(product.code, result, place, ctx),
        '@type': 'CheckServiceQualificationItem',
      };
      if (result.feasible) {
        entry.qualificationResult = 'qualified';
      } else {
        entry.qualificationResult = 'unqualified';
        if (provideReason)
          entry.eligibilityUnavailabilityReason = [{ code: result.cause, label: result.detail }];
        // A wired line that cannot be built may still be served by radio (fixed wireless).
        if (provideAlternative && product.kind === 'fixed_wired' && place) {
          const radios = (await this.referential.catalogue.list('fixed_radio')).filter((p) => p.active);
          for (const radio of radios) {
            const alt = await this.dryStudy(
              `${code}-${id}-alt`,
              'fixed_radio',
              radio.code,
              place,
              undefined,
              ctx,
            );
            if (alt.feasible) {
              entry.qualificationResult = 'alternate';
              entry.alternateServiceProposal = [
                {
                  id: '1',
                  alternateService: this.serviceOf(radio.code, alt, place, ctx),
                  '@type': 'AlternateServiceProposal',
                },
              ];
              break;
            }
          }
        }
      }
      out.push(entry);
    }
    const results = out.map((o) => o.qualificationResult);
    const overall = results.includes('unqualified')
      ? 'unqualified'
      : results.includes('alternate')
        ? 'alternate'
        : 'qualified';
    const now = new Date().toISOString();
    const doc = {
      ...(typeof body.description === 'string' ? { description: body.description } : {}),
      ...(typeof body.externalId === 'string' ? { externalId: body.externalId } : {}),
      ...(Array.isArray(body.relatedParty) ? { relatedParty: body.relatedParty } : {}),
      checkServiceQualificationDate: now,
      effectiveQualificationDate: now,
      instantSyncQualification: true,
      provideAlternative,
      provideUnavailabilityReason: provideReason,
      qualificationResult: overall,
      state: 'done',
      serviceQualificationItem: out,
    };
    await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('tmf_service_qualification')
        .values({ code, document: JSON.stringify(doc), user_id: ctx.actor.userId ?? null })
        .returning('id')
        .executeTakeFirstOrThrow();
      await appendEvent(trx, {
        entityType: 'service_qualification',
        entityId: row.id,
        kind: 'service_qualification.done',
        userId: ctx.actor.userId,
        payload: { code, result: overall },
      });
    });
    return (await this.get(code, ctx)) as TmfObject;
  }

  /**
   * Which lines can this address get? Every active fixed product (wired and radio; mobile too when
   * the criteria name a shop) is studied at the address, rolled back; the feasible ones are listed.
   */
  async query(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    const criteria = obj(body.searchCriteria, 'searchCriteria');
    const service = obj(criteria.service ?? {}, 'searchCriteria.service');
    const place = await this.placeOf(service, 'searchCriteria.service');
    const shop = (Array.isArray(service.serviceCharacteristic) ? service.serviceCharacteristic : []).find(
      (c: unknown) => (c as { name?: unknown } | null)?.name === 'shop',
    ) as { value?: unknown } | undefined;
    const code = (
      await sql<{
        c: string;
      }>`SELECT 'QSQ' || lpad(nextval('tmf_service_qualification_seq')::text, 8, '0') AS c`.execute(this.db)
    ).rows[0]?.c as string;
    const products = (await this.referential.catalogue.list()).filter(
      (p) =>
        p.active &&
        (p.kind === 'fixed_wired' ||
          p.kind === 'fixed_radio' ||
          (p.kind.startsWith('mobile') && typeof shop?.value === 'string')),
    );
    const items: Record<string, unknown>[] = [];
    for (const p of products) {
      const kind: Kind = p.kind === 'fixed_wired' || p.kind === 'fixed_radio' ? p.kind : 'mobile';
      const r = await this.dryStudy(
        `${code}-${p.code}`,
        kind,
        p.code,
        kind === 'mobile' ? undefined : place,
        kind === 'mobile' ? (shop?.value as string) : undefined,
        ctx,
      );
      if (!r.feasible) continue;
      items.push({
        id: String(items.length + 1),
        service: this.serviceOf(p.code, r, kind === 'mobile' ? undefined : place, ctx),
        '@type': 'ServiceQualificationItem',
      });
    }
    const now = new Date().toISOString();
    const doc = {
      ...(typeof body.description === 'string' ? { description: body.description } : {}),
      ...(typeof body.externalId === 'string' ? { externalId: body.externalId } : {}),
      queryServiceQualificationDate: now,
      effectiveQualificationDate: now,
      instantSyncQualification: true,
      state: 'done',
      // The criteria as understood: the address in its normalised form.
      searchCriteria: {
        service: {
          place: [
            {
              role: 'installationAddress',
              ...(place.street ? { streetName: place.street } : {}),
              ...(place.district ? { locality: place.district } : {}),
              city: place.locality,
              '@type': 'GeographicAddress',
            },
          ],
          ...(typeof shop?.value === 'string'
            ? { serviceCharacteristic: [{ name: 'shop', value: shop.value, valueType: 'string' }] }
            : {}),
        },
      },
      serviceQualificationItem: items,
      '@type': 'QueryServiceQualification',
    };
    await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('tmf_service_qualification')
        .values({ code, document: JSON.stringify(doc), user_id: ctx.actor.userId ?? null })
        .returning('id')
        .executeTakeFirstOrThrow();
      await appendEvent(trx, {
        entityType: 'service_qualification',
        entityId: row.id,
        kind: 'service_qualification.queried',
        userId: ctx.actor.userId,
        payload: { code, qualified: items.length },
      });
    });
    return (await this.getQuery(code, ctx)) as TmfObject;
  }

  async listQueries(q: TmfListQuery, ctx: TmfContext): Promise<{ items: TmfObject[]; total: number }> {
    let base = this.db
      .selectFrom('tmf_service_qualification')
      .where(sql<boolean>`document->>'@type' = 'QueryServiceQualification'`);
    if (q.filters.id)
      base = base.where(
        'code',
        'in',
        q.filters.id.map((v) => v.toUpperCase()),
      );
    const [rows, n] = await Promise.all([
      base.selectAll().orderBy('id').offset(q.offset).limit(q.limit).execute(),
      base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst(),
    ]);
    return { items: rows.map((r) => this.toQuery(r, ctx)), total: Number(n?.n ?? 0) };
  }

  async getQuery(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    return (await this.listQueries({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0];
  }

  private toQuery(r: { code: string; document: unknown }, ctx: TmfContext): TmfObject {
    return {
      id: r.code,
      href: ctx.href(API, 'queryServiceQualification', r.code),
      ...(r.document as Record<string, unknown>),
      '@type': 'QueryServiceQualification',
    };
  }

  async list(q: TmfListQuery, ctx: TmfContext): Promise<{ items: TmfObject[]; total: number }> {
    let base = this.db
      .selectFrom('tmf_service_qualification')
      .where(sql<boolean>`coalesce(document->>'@type', '') <> 'QueryServiceQualification'`);
    if (q.filters.id)
      base = base.where(
        'code',
        'in',
        q.filters.id.map((v) => v.toUpperCase()),
      );
    if (q.filters.qualificationResult)
      base = base.where(
        sql<boolean>`document->>'qualificationResult' = ANY(${q.filters.qualificationResult}::text[])`,
      );
    const [rows, n] = await Promise.all([
      base.selectAll().orderBy('id').offset(q.offset).limit(q.limit).execute(),
      base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst(),
    ]);
    return { items: rows.map((r) => this.toTmf(r, ctx)), total: Number(n?.n ?? 0) };
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    return (await this.list({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0];
  }

  private toTmf(r: { code: string; document: unknown; created_at: Date }, ctx: TmfContext): TmfObject {
    const doc = r.document as Record<string, unknown>;
    return {
      id: r.code,
      href: ctx.href(API, 'checkServiceQualification', r.code),
      ...doc,
      checkServiceQualificationDate: doc.checkServiceQualificationDate ?? isoOf(r.created_at),
      '@type': 'CheckServiceQualification',
    };
  }
}

export function serviceQualificationApi(
  db: Db,
  inventory: InventoryServices,
  referential: ReferentialServices,
): TmfApiDef {
  const q = new TmfQualifications(db, inventory, referential);
  const check: TmfResourceDef = {
    path: 'checkServiceQualification',
    type: 'CheckServiceQualification',
    read: 'inventory:read',
    write: 'inventory:study',
    pushdown: ['id', 'qualificationResult'],
    list: (query, ctx) => q.list(query, ctx),
    get: (id, ctx) => q.get(id, ctx),
    create: (body, ctx) => q.check(body, ctx),
    events: {
      entityTypes: ['service_qualification'],
      classify: ({ kind }) => (kind === 'service_qualification.done' ? 'CreateEvent' : null),
      idOf: async (entityId) =>
        (
          await db
            .selectFrom('tmf_service_qualification')
            .select('code')
            .where('id', '=', Number(entityId))
            .executeTakeFirst()
        )?.code,
    },
  };
  const query: TmfResourceDef = {
    path: 'queryServiceQualification',
    type: 'QueryServiceQualification',
    read: 'inventory:read',
    write: 'inventory:study',
    pushdown: ['id'],
    list: (query, ctx) => q.listQueries(query, ctx),
    get: (id, ctx) => q.getQuery(id, ctx),
    create: (body, ctx) => q.query(body, ctx),
  };
  return { name: API, title: 'TMF645 Service Qualification Management', resources: [check, query] };
}
