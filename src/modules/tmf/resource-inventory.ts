import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import type { InventoryServices } from '../inventory/index.js';
import { plantWriters, tmfStates } from '../inventory/index.js';
import {
  pageAcross,
  tmfInvalid,
  type TmfApiDef,
  type TmfContext,
  type TmfListQuery,
  type TmfObject,
  type TmfResourceDef,
} from './framework.js';

/**
 * TMF639 Resource Inventory over GPTo's technical inventory. One `resource` collection holds every
 * kind, told apart by `category` (and the id's prefix): the fixed plant's equipment (sites,
 * switches, MDFs, sub-distribution frames, concentration points, base stations), switch line ports
 * (equipment numbers), cable pairs, directory numbers and SIM cards. SIM secrets never leave.
 */

const API = 'resourceInventoryManagement';

interface Row {
  key: string;
  name: string;
  status: string | null;
  chars: Record<string, unknown>;
  place: string | null;
}

interface Source {
  category: string;
  prefix: string;
  type: 'PhysicalResource' | 'LogicalResource';
  /** SELECT key, name, status, chars, place, ord FROM … (alias-free outer filters use these). */
  from: RawBuilder<unknown>;
  key: string;
  name: string;
  states(status: string | null): States;
}

interface States {
  administrativeState: string;
  operationalState: string;
  usageState: string;
  resourceStatus: string;
}

const plantStates = (s: string | null): States =>
  s === null ? tmfStates('free') : tmfStates(s as Parameters<typeof tmfStates>[0]);
const equipmentStates = (): States => ({
  administrativeState: 'unlocked',
  operationalState: 'enable',
  usageState: 'active',
  resourceStatus: 'available',
});

function numberStates(s: string | null): States {
  switch (s ?? '') {
    case 'reserved':
      return {
        administrativeState: 'unlocked',
        operationalState: 'enable',
        usageState: 'active',
        resourceStatus: 'reserved',
      };
    case 'assigned':
      return {
        administrativeState: 'unlocked',
        operationalState: 'enable',
        usageState: 'busy',
        resourceStatus: 'available',
      };
    case 'quarantine':
      return {
        administrativeState: 'locked',
        operationalState: 'enable',
        usageState: 'idle',
        resourceStatus: 'standby',
      };
    default:
      return {
        administrativeState: 'unlocked',
        operationalState: 'enable',
        usageState: 'idle',
        resourceStatus: 'available',
      };
  }
}

function simStates(s: string | null): States {
  switch (s ?? '') {
    case 'active':
      return {
        administrativeState: 'unlocked',
        operationalState: 'enable',
        usageState: 'busy',
        resourceStatus: 'available',
      };
    case 'suspended':
      return {
        administrativeState: 'locked',
        operationalState: 'enable',
        usageState: 'idle',
        resourceStatus: 'suspended',
      };
    case 'replaced':
    case 'destroyed':
    case 'lost_stolen':
      return {
        administrativeState: 'shutdown',
        operationalState: 'disable',
        usageState: 'idle',
        resourceStatus: 'unknown',
      };
    default: // in_stock, allocated to a shop
      return {
        administrativeState: 'unlocked',
        operationalState: 'enable',
        usageState: 'idle',
        resourceStatus: 'available',
      };
  }
}

const SOURCES: Source[] = [
  {
    category: 'site',
    prefix: 'site',
    type: 'PhysicalResource',
    key: 's.code',
    name: 's.name',
    from: sql`SELECT s.code AS key, s.name, NULL::text AS status, s.id AS ord, s.locality AS place,
      jsonb_build_object('code', s.code, 'locality', s.locality, 'district', s.district) AS chars FROM inv_site s`,
    states: equipmentStates,
  },
  {
    category: 'switch',
    prefix: 'switch',
    type: 'PhysicalResource',
    key: 'w.code',
    name: 'w.name',
    from: sql`SELECT w.code AS key, w.name, NULL::text AS status, w.id AS ord, si.locality AS place,
      jsonb_build_object('code', w.code, 'site', si.code, 'model', w.model) AS chars
      FROM inv_switch w JOIN inv_site si ON si.id = w.site_id`,
    states: equipmentStates,
  },
  {
    category: 'mdf',
    prefix: 'mdf',
    type: 'PhysicalResource',
    key: 'm.code',
    name: 'm.name',
    from: sql`SELECT m.code AS key, m.name, NULL::text AS status, m.id AS ord, si.locality AS place,
      jsonb_build_object('code', m.code, 'site', si.code) AS chars
      FROM inv_mdf m JOIN inv_site si ON si.id = m.site_id`,
    states: equipmentStates,
  },
  {
    category: 'subDistributionFrame',
    prefix: 'sdf',
    type: 'PhysicalResource',
    key: 'f.code',
    name: 'f.name',
    from: sql`SELECT f.code AS key, f.name, NULL::text AS status, f.id AS ord, f.locality AS place,
      jsonb_build_object('code', f.code, 'site', si.code, 'locality', f.locality, 'district', f.district) AS chars
      FROM inv_sdf f JOIN inv_site si ON si.id = f.site_id`,
    states: equipmentStates,
  },
  {
    category: 'concentrationPoint',
    prefix: 'cp',
    type: 'PhysicalResource',
    key: 'c.code',
    name: 'c.name',
    from: sql`SELECT c.code AS key, c.name, NULL::text AS status, c.id AS ord, c.locality AS place,
      jsonb_build_object('code', c.code, 'subDistributionFrame', f.code, 'locality', c.locality,
        'district', c.district, 'street', c.street,
        'freePairs', (SELECT count(*) FROM inv_pair p WHERE p.cp_id = c.id AND p.status = 'free')) AS chars
      FROM inv_cp c JOIN inv_sdf f ON f.id = c.sdf_id`,
    states: equipmentStates,
  },
  {
    category: 'baseStation',
    prefix: 'bts',
    type: 'PhysicalResource',
    key: 'b.code',
    name: 'b.name',
    from: sql`SELECT b.code AS key, b.name, b.status::text AS status, b.id AS ord, si.locality AS place,
      jsonb_build_object('code', b.code, 'site', si.code, 'capacity', b.capacity, 'used', b.used) AS chars
      FROM inv_base_station b JOIN inv_site si ON si.id = b.site_id`,
    states: plantStates,
  },
  {
    category: 'equipmentNumber',
    prefix: 'port',
    type: 'PhysicalResource',
    key: 'o.equipment_number',
    name: 'o.equipment_number',
    from: sql`SELECT o.equipment_number AS key, o.equipment_number AS name, o.status::text AS status, o.id AS ord,
      si.locality AS place,
      jsonb_build_object('equipmentNumber', o.equipment_number, 'switch', w.code, 'shelf', o.shelf, 'card', o.card,
        'port', o.port) AS chars
      FROM inv_port o JOIN inv_switch w ON w.id = o.switch_id JOIN inv_site si ON si.id = o.site_id`,
    states: plantStates,
  },
  {
    category: 'cablePair',
    prefix: 'pair',
    type: 'PhysicalResource',
    key: 'p.id::text',
    name: "(k.code || '/' || p.number)",
    from: sql`SELECT p.id::text AS key, k.code || '/' || p.number AS name, p.status::text AS status, p.id AS ord,
      NULL::text AS place,
      jsonb_build_object('cable', k.code, 'kind', p.kind, 'pairNumber', p.number,
        'concentrationPoint', (SELECT c.code FROM inv_cp c WHERE c.id = p.cp_id)) AS chars
      FROM inv_pair p JOIN inv_cable k ON k.id = p.cable_id`,
    states: plantStates,
  },
  {
    category: 'directoryNumber',
    prefix: 'number',
    type: 'LogicalResource',
    key: 'n.number',
    name: 'n.number',
    from: sql`SELECT n.number AS key, n.number AS name, n.status AS status, 0 AS ord, NULL::text AS place,
      jsonb_build_object('directoryNumber', n.number, 'pool', pl.code, 'golden', n.golden,
        'quarantineUntil', n.quarantine_until) AS chars
      FROM inv_number n JOIN inv_number_pool pl ON pl.id = n.pool_id`,
    states: numberStates,
  },
  {
    category: 'simCard',
    prefix: 'sim',
    type: 'PhysicalResource',
    key: 'm.iccid',
    name: 'm.iccid',
    from: sql`SELECT m.iccid AS key, m.iccid AS name, m.status AS status, m.id AS ord, sh.locality AS place,
      jsonb_build_object('iccid', m.iccid, 'imsi', m.imsi, 'shop', sh.code, 'directoryNumber', m.directory_number,
        'batch', ba.code) AS chars
      FROM inv_sim m JOIN inv_sim_batch ba ON ba.id = m.batch_id LEFT JOIN inv_shop sh ON sh.id = m.shop_id`,
    states: simStates,
  },
];

/** Numbers sort by themselves (their key is the primary key); everything else by its id. */
const orderOf = (s: Source) => (s.category === 'directoryNumber' ? sql`key` : sql`ord`);

function toResource(src: Source, r: Row, ctx: TmfContext): TmfObject {
  const id = `${src.prefix}-${r.key}`;
  const chars = Object.entries(r.chars)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([name, value]) => ({
      name,
      value,
      valueType: typeof value === 'number' ? 'integer' : typeof value,
    }));
  return {
    id,
    href: ctx.href(API, 'resource', id),
    name: r.name,
    category: src.category,
    resourceSpecification: { id: src.category, name: src.category, '@referredType': 'ResourceSpecification' },
    ...src.states(r.status),
    resourceCharacteristic: chars,
    ...(r.status ? { note: [{ text: `GPTo status: ${r.status}` }] } : {}),
    ...(r.place
      ? { place: { id: r.place, name: r.place, role: 'locality', '@referredType': 'GeographicAddress' } }
      : {}),
    '@type': src.type,
    '@baseType': 'Resource',
  };
}

function splitId(id: string): { src: Source; key: string } | undefined {
  const dash = id.indexOf('-');
  if (dash < 1) return undefined;
  const prefix = id.slice(0, dash);
  const src = SOURCES.find((s) => s.prefix === prefix);
  return src && { src, key: id.slice(dash + 1) };
}

export class TmfResources {
  constructor(
    private readonly db: Db,
    private readonly inventory: InventoryServices,
  ) {}

  /** The sources a query can touch and each one's extra conditions; undefined = none matches. */
  private plan(filters: Record<string, string[]>): { src: Source; where: RawBuilder<unknown>[] }[] {
    let srcs = SOURCES;
    if (filters.category) srcs = srcs.filter((s) => filters.category?.includes(s.category));
    if (filters['@type']) {
      const t = filters['@type'];
      if (!t.includes('Resource')) srcs = srcs.filter((s) => t.includes(s.type));
    }
    if (filters['resourceSpecification.id'])
      srcs = srcs.filter((s) => filters['resourceSpecification.id']?.includes(s.category));
    const out: { src: Source; where: RawBuilder<unknown>[] }[] = [];
    for (const src of srcs) {
      const where: RawBuilder<unknown>[] = [];
      if (filters.id) {
        const keys = filters.id
          .map(splitId)
          .filter((x) => x?.src === src)
          .map((x) => x?.key as string);
        if (keys.length === 0) continue;
        where.push(sql`${sql.raw(src.key)} = ANY(${keys}::text[])`);
      }
      if (filters.name) where.push(sql`${sql.raw(src.name)} = ANY(${filters.name}::text[])`);
      out.push({ src, where });
    }
    return out;
  }

  private fromOf(src: Source, where: RawBuilder<unknown>[]): RawBuilder<unknown> {
    // Conditions name the source's own columns, so they go inside its SELECT.
    return where.length
      ? sql`SELECT * FROM (${src.from} WHERE ${sql.join(where, sql` AND `)}) x`
      : sql`SELECT * FROM (${src.from}) x`;
  }

  async list(q: TmfListQuery, ctx: TmfContext): Promise<{ items: TmfObject[]; total: number }> {
    return pageAcross(
      this.plan(q.filters),
      q.offset,
      q.limit,
      async ({ src, where }) =>
        Number(
          (
            await sql<{ n: string }>`SELECT count(*) AS n FROM (${this.fromOf(src, where)}) c`.execute(
              this.db,
            )
          ).rows[0]?.n ?? 0,
        ),
      async ({ src, where }, offset, limit) =>
        (
          await sql<Row>`${this.fromOf(src, where)} ORDER BY ${orderOf(src)} OFFSET ${offset} LIMIT ${limit}`.execute(
            this.db,
          )
        ).rows.map((r) => toResource(src, r, ctx)),
    );
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    if (!splitId(id)) return undefined;
    return (await this.list({ offset: 0, limit: 1, filters: { id: [id] } }, ctx)).items[0];
  }

  /**
   * What GPTo lets one create one at a time: an exchange site, or a directory number added to a
   * pool. The rest of the plant is built through the native API and CSV imports.
   */
  async create(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    const category = body.category ?? (body.resourceSpecification as { id?: unknown } | undefined)?.id;
    const name = body.name;
    if (typeof name !== 'string' || name.trim() === '') throw tmfInvalid('name', 'is required');
    const chars = charsOf(body.resourceCharacteristic);
    if (category === 'site') {
      const code = String(chars.code ?? '');
      const locality = String(chars.locality ?? '');
      if (!/^[A-Z0-9][A-Z0-9_-]{0,30}$/.test(code))
        throw tmfInvalid('resourceCharacteristic.code', 'a site code: capitals, digits, "-" or "_"');
      if (!locality) throw tmfInvalid('resourceCharacteristic.locality', 'is required for a site');
      const input = {
        code,
        name: name.trim(),
        locality,
        ...(typeof chars.district === 'string' ? { district: chars.district } : {}),
      };
      await this.inventory.plant.write(
        'site.created',
        'site',
        (t) => plantWriters.site(t, input),
        input,
        ctx.actor,
      );
      return (await this.get(`site-${code}`, ctx)) as TmfObject;
    }
    if (category === 'directoryNumber') {
      if (!/^[0-9]{6,15}$/.test(name)) throw tmfInvalid('name', 'a directory number: 6 to 15 digits');
      if (typeof chars.pool !== 'string')
        throw tmfInvalid('resourceCharacteristic.pool', 'the number pool is required');
      const r = await this.inventory.pools.addRange(chars.pool, { first: name, last: name }, ctx.actor);
      if (r.added === 0)
        throw new DomainError('conflict', 'tmf.resource_exists', `number ${name} already exists`, 'name');
      return (await this.get(`number-${name}`, ctx)) as TmfObject;
    }
    throw tmfInvalid(
      'category',
      'GPTo creates "site" (resourceCharacteristic code, locality) or "directoryNumber" (name = the number, resourceCharacteristic pool) here; build the rest of the plant through /api/v1/inventory and its CSV imports',
    );
  }

  /**
   * A technician's status change on a port, pair or base station (`resourceStatus` alarm =
   * faulty, suspended = out of order, available = repaired), or a number's golden flag.
   */
  async patch(id: string, body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject | undefined> {
    const at = splitId(id);
    if (!at || !(await this.get(id, ctx))) return undefined;
    for (const k of Object.keys(body)) {
      if (!['resourceStatus', 'resourceCharacteristic', 'note', 'id', 'href', '@type'].includes(k))
        throw tmfInvalid(k, 'cannot be changed through TMF639');
    }
    if (body.resourceStatus !== undefined) {
      const to = { alarm: 'faulty', suspended: 'out_of_order', available: 'free' }[
        String(body.resourceStatus)
      ];
      if (!to)
        throw tmfInvalid(
          'resourceStatus',
          'set alarm (faulty), suspended (out of order) or available (repaired)',
        );
      const type = { equipmentNumber: 'port', cablePair: 'pair', baseStation: 'base_station' }[
        at.src.category
      ] as 'port' | 'pair' | 'base_station' | undefined;
      if (!type) throw tmfInvalid('resourceStatus', `a ${at.src.category} has no status to change`);
      const num = await this.numericId(type, at.key);
      const note = Array.isArray(body.note)
        ? (body.note[0] as { text?: unknown } | undefined)?.text
        : undefined;
      await this.inventory.plant.changeStatus(
        type,
        num,
        {
          status: to as 'faulty' | 'out_of_order' | 'free',
          ...(typeof note === 'string' ? { reason: note } : {}),
        },
        ctx.actor,
      );
    }
    if (body.resourceCharacteristic !== undefined) {
      const chars = charsOf(body.resourceCharacteristic);
      const names = Object.keys(chars);
      if (at.src.category !== 'directoryNumber' || names.some((n) => n !== 'golden'))
        throw tmfInvalid(
          'resourceCharacteristic',
          'only a directory number’s "golden" characteristic can change',
        );
      if (typeof chars.golden !== 'boolean')
        throw tmfInvalid('resourceCharacteristic.golden', 'must be true or false');
      await this.inventory.pools.setGolden(at.key, chars.golden, ctx.actor);
    }
    return this.get(id, ctx);
  }

  private async numericId(type: 'port' | 'pair' | 'base_station', key: string): Promise<number> {
    if (type === 'pair') return Number(key);
    const r =
      type === 'port'
        ? await sql<{ id: string }>`SELECT id FROM inv_port WHERE equipment_number = ${key}`.execute(this.db)
        : await sql<{ id: string }>`SELECT id FROM inv_base_station WHERE code = ${key}`.execute(this.db);
    return Number(r.rows[0]?.id);
  }

  /** Journal entity ids → TMF ids: coded equipment by code, ports by equipment number. */
  async idOfEvent(entityId: string, kind: string): Promise<string | undefined> {
    const type = kind.split('.')[0] ?? '';
    const byCode: Record<string, string> = {
      site: 'site',
      switch: 'switch',
      mdf: 'mdf',
      sdf: 'sdf',
      cp: 'cp',
      base_station: 'bts',
    };
    if (type === 'pair') return `pair-${entityId}`;
    if (type === 'number') return `number-${entityId}`;
    if (type === 'port') {
      const r = await sql<{
        e: string;
      }>`SELECT equipment_number AS e FROM inv_port WHERE id = ${Number(entityId)}`.execute(this.db);
      return r.rows[0] && `port-${r.rows[0].e}`;
    }
    if (type === 'base_station' && /^\d+$/.test(entityId)) {
      const r = await sql<{
        c: string;
      }>`SELECT code AS c FROM inv_base_station WHERE id = ${Number(entityId)}`.execute(this.db);
      return r.rows[0] && `bts-${r.rows[0].c}`;
    }
    const prefix = byCode[type];
    return prefix ? `${prefix}-${entityId}` : undefined;
  }
}

function charsOf(raw: unknown): Record<string, unknown> {
  if (raw === undefined) return {};
  if (!Array.isArray(raw)) throw tmfInvalid('resourceCharacteristic', 'must be an array');
  const out: Record<string, unknown> = {};
  raw.forEach((c: unknown, i) => {
    const ch = c as { name?: unknown; value?: unknown } | null;
    if (!ch || typeof ch.name !== 'string')
      throw tmfInvalid(`resourceCharacteristic[${i}].name`, 'is required');
    out[ch.name] = ch.value;
  });
  return out;
}

export function resourceInventoryApi(db: Db, inventory: InventoryServices): TmfApiDef {
  const resources = new TmfResources(db, inventory);
  const resource: TmfResourceDef = {
    path: 'resource',
    type: 'Resource',
    read: 'inventory:read',
    write: 'inventory:write',
    pushdown: ['id', 'name', 'category', '@type', 'resourceSpecification.id'],
    list: (q, ctx) => resources.list(q, ctx),
    get: (id, ctx) => resources.get(id, ctx),
    create: (b, ctx) => resources.create(b, ctx),
    patch: (id, b, ctx) => resources.patch(id, b, ctx),
    events: {
      entityTypes: ['site', 'switch', 'mdf', 'sdf', 'cp', 'base_station', 'port', 'pair', 'number'],
      classify: ({ kind }) => {
        if (kind.endsWith('.created')) return 'CreateEvent';
        if (kind.endsWith('.status_changed')) return 'StateChangeEvent';
        if (kind === 'number.golden_changed') return 'AttributeValueChangeEvent';
        return null;
      },
      idOf: (entityId, event) => resources.idOfEvent(entityId, event.kind),
    },
  };
  return { name: API, title: 'TMF639 Resource Inventory Management', resources: [resource] };
}
