import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';
import type { Actor } from '../../platform/events.js';
import type { CapacitySignal } from './capacity.js';
import { invConflict, invInvalid, invNotFound } from './inventory.errors.js';
import type * as S from './inventory.schemas.js';
import { norm, zoneKey } from './inventory.states.js';

/**
 * The plant writers, inside the caller's transaction: sites, switches and their line ports, MDFs,
 * cabinets, concentration points, cables and their pairs, serving areas — shared by the API and the
 * CSV import, which both announce the capacity they create after commit (PlantService.write) — and
 * the status history every port, pair, number and SIM change writes.
 */

type CodedTable =
  'inv_site' | 'inv_switch' | 'inv_mdf' | 'inv_sdf' | 'inv_cp' | 'inv_base_station' | 'inv_shop';

/** Resolves a public code to its id, naming the input field when it does not exist. */
export async function idOf(db: Executor, table: CodedTable, code: string, field: string): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select('id')
    .where('code', '=', code.toUpperCase())
    .executeTakeFirst();
  if (!row) throw invNotFound('inventory.not_found', field, code, field);
  return row.id;
}

export interface Upserted {
  id: number;
  created: boolean;
}

/** Inserts or updates by code; `created` tells which, so that an API create can refuse a duplicate. */
async function upsertCoded(
  db: Executor,
  table: CodedTable,
  values: Record<string, unknown> & { code: string },
): Promise<Upserted> {
  const cols = Object.keys(values);
  const r = await sql<{ id: number; created: boolean }>`
    INSERT INTO ${sql.table(table)} (${sql.join(cols.map((c) => sql.ref(c)))})
    VALUES (${sql.join(cols.map((c) => values[c]))})
    ON CONFLICT (code) DO UPDATE SET ${sql.join(
      cols.filter((c) => c !== 'code').map((c) => sql`${sql.ref(c)} = EXCLUDED.${sql.ref(c)}`),
    )}
    RETURNING id, (xmax = 0) AS created`.execute(db);
  return r.rows[0] as Upserted;
}

const up = (code: string) => code.toUpperCase();

/** The trx-level writers: the API and the CSV import share them, and both announce capacity after commit. */
export const plantWriters = {
  async site(db: Executor, i: S.SiteCreate): Promise<Upserted> {
    return upsertCoded(db, 'inv_site', {
      code: up(i.code),
      name: i.name,
      locality: i.locality,
      district: i.district ?? null,
    });
  },
  async switch(db: Executor, i: S.SwitchCreate): Promise<Upserted> {
    const site_id = await idOf(db, 'inv_site', i.site, 'site');
    return upsertCoded(db, 'inv_switch', { code: up(i.code), site_id, name: i.name, model: i.model ?? null });
  },
  async mdf(db: Executor, i: S.MdfCreate): Promise<Upserted> {
    const site_id = await idOf(db, 'inv_site', i.site, 'site');
    return upsertCoded(db, 'inv_mdf', { code: up(i.code), site_id, name: i.name });
  },
  async sdf(db: Executor, i: S.SdfCreate): Promise<Upserted> {
    const site_id = await idOf(db, 'inv_site', i.site, 'site');
    return upsertCoded(db, 'inv_sdf', {
      code: up(i.code),
      site_id,
      name: i.name,
      locality: i.locality,
      district: i.district ?? null,
    });
  },
  async cp(db: Executor, i: S.CpCreate): Promise<Upserted> {
    const sdf_id = await idOf(db, 'inv_sdf', i.sdf, 'sdf');
    return upsertCoded(db, 'inv_cp', {
      code: up(i.code),
      sdf_id,
      name: i.name,
      locality: i.locality,
      district: i.district ?? null,
      street: i.street ?? null,
    });
  },
  async baseStation(db: Executor, i: S.BaseStationCreate, signals: CapacitySignal[]): Promise<Upserted> {
    const site_id = await idOf(db, 'inv_site', i.site, 'site');
    const before = await db
      .selectFrom('inv_base_station')
      .select('capacity')
      .where('code', '=', up(i.code))
      .executeTakeFirst();
    const r = await upsertCoded(db, 'inv_base_station', {
      code: up(i.code),
      site_id,
      name: i.name,
      capacity: i.capacity,
    });
    if (!before || i.capacity > before.capacity) {
      signals.push({ elementType: 'base_station', code: up(i.code), reason: 'equipment_installed' });
    }
    return r;
  },

  /** Equips a card: line ports with their equipment numbers, each wired to a new horizontal position. */
  async ports(db: Executor, i: S.PortsCreate, signals: CapacitySignal[]): Promise<{ added: number }> {
    const sw = await db
      .selectFrom('inv_switch as s')
      .innerJoin('inv_site as site', 'site.id', 's.site_id')
      .select(['s.id', 's.code', 's.site_id', 'site.code as site_code'])
      .where('s.code', '=', up(i.switch))
      .executeTakeFirst();
    if (!sw) throw invNotFound('inventory.not_found', 'switch', i.switch, 'switch');
    const mdf = await db
      .selectFrom('inv_mdf')
      .select(['id', 'site_id'])
      .where('code', '=', up(i.mdf))
      .executeTakeFirst();
    if (!mdf) throw invNotFound('inventory.not_found', 'mdf', i.mdf, 'mdf');
    if (mdf.site_id !== sw.site_id)
      throw invInvalid('inventory.invalid', 'mdf', 'the MDF must be in the switch’s exchange site');
    const prefix = `${sw.code}-${String(i.shelf).padStart(2, '0')}-${String(i.card).padStart(2, '0')}-`;
    await sql`
      INSERT INTO inv_mdf_position (mdf_id, side, position)
      SELECT ${mdf.id}, 'horizontal', 'H' || ${prefix} || lpad(n::text, greatest(3, length(n::text)), '0')
      FROM generate_series(1, ${i.ports}::int) n
      ON CONFLICT DO NOTHING`.execute(db);
    const r = await sql`
      INSERT INTO inv_port (switch_id, site_id, equipment_number, shelf, card, port, mdf_position_id)
      SELECT ${sw.id}, ${sw.site_id}, ${prefix} || lpad(n::text, greatest(3, length(n::text)), '0'), ${i.shelf}::int, ${i.card}::int, n, pos.id
      FROM generate_series(1, ${i.ports}::int) n
      JOIN inv_mdf_position pos ON pos.mdf_id = ${mdf.id} AND pos.side = 'horizontal'
        AND pos.position = 'H' || ${prefix} || lpad(n::text, greatest(3, length(n::text)), '0')
      ON CONFLICT DO NOTHING`.execute(db);
    const added = Number(r.numAffectedRows ?? 0);
    if (added > 0) signals.push({ elementType: 'site', code: sw.site_code, reason: 'equipment_installed' });
    return { added };
  },

  /** Lays a cable with its pairs; a larger pair count on an existing cable extends it. */
  async cable(
    db: Executor,
    i: S.CableCreate,
    signals: CapacitySignal[],
  ): Promise<Upserted & { pairsAdded: number }> {
    const sdf = await db
      .selectFrom('inv_sdf')
      .select(['id', 'code'])
      .where('code', '=', up(i.sdf))
      .executeTakeFirst();
    if (!sdf) throw invNotFound('inventory.not_found', 'sdf', i.sdf, 'sdf');
    let mdfId: number | null = null;
    let cp: { id: number; code: string; sdf_id: number } | undefined;
    if (i.kind === 'primary') {
      if (!i.mdf) throw invInvalid('inventory.invalid', 'mdf', 'a primary cable starts at an MDF');
      if (i.cp)
        throw invInvalid(
          'inventory.invalid',
          'cp',
          'a primary cable ends at a cabinet, not at a concentration point',
        );
      mdfId = await idOf(db, 'inv_mdf', i.mdf, 'mdf');
    } else {
      if (!i.cp)
        throw invInvalid('inventory.invalid', 'cp', 'a distribution cable ends at a concentration point');
      if (i.mdf)
        throw invInvalid(
          'inventory.invalid',
          'mdf',
          'a distribution cable starts at a cabinet, not at the MDF',
        );
      cp = await db
        .selectFrom('inv_cp')
        .select(['id', 'code', 'sdf_id'])
        .where('code', '=', up(i.cp))
        .executeTakeFirst();
      if (!cp) throw invNotFound('inventory.not_found', 'cp', i.cp, 'cp');
      if (cp.sdf_id !== sdf.id)
        throw invInvalid('inventory.invalid', 'cp', 'the concentration point hangs off another cabinet');
    }
    const code = up(i.code);
    const existing = await db
      .selectFrom('inv_cable')
      .selectAll()
      .where('code', '=', code)
      .forUpdate()
      .executeTakeFirst();
    if (existing) {
      if (
        existing.kind !== i.kind ||
        existing.sdf_id !== sdf.id ||
        existing.mdf_id !== mdfId ||
        existing.cp_id !== (cp?.id ?? null)
      )
        throw invConflict(
          'inventory.in_use',
          `cable ${code} exists with other ends; a laid cable does not move`,
          'code',
        );
      if (i.pairs < existing.pair_count)
        throw invConflict(
          'inventory.in_use',
          `cable ${code} has ${existing.pair_count} pairs; pairs are never removed`,
          'pairs',
        );
    }
    const id = existing
      ? existing.id
      : (
          await db
            .insertInto('inv_cable')
            .values({
              code,
              kind: i.kind,
              bundle: i.bundle ?? null,
              mdf_id: mdfId,
              sdf_id: sdf.id,
              cp_id: cp?.id ?? null,
              head: i.head ?? null,
              lead: i.lead ?? null,
              pair_count: i.pairs,
            })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id;
    const from = (existing?.pair_count ?? 0) + 1;
    if (existing && i.pairs > existing.pair_count)
      await db.updateTable('inv_cable').set({ pair_count: i.pairs }).where('id', '=', id).execute();
    const pairsAdded = await addPairs(
      db,
      { id, code, kind: i.kind, mdfId, sdfId: sdf.id, cpId: cp?.id ?? null },
      from,
      i.pairs,
    );
    if (pairsAdded > 0) {
      signals.push(
        i.kind === 'primary'
          ? { elementType: 'sdf', code: sdf.code, reason: 'pairs_added' }
          : { elementType: 'cp', code: cp?.code ?? '', reason: 'pairs_added' },
      );
    }
    return { id, created: !existing, pairsAdded };
  },

  async servingArea(db: Executor, i: S.ServingAreaCreate, signals: CapacitySignal[]): Promise<Upserted> {
    if ((i.cp === undefined) === (i.baseStation === undefined))
      throw invInvalid(
        'inventory.invalid',
        'cp',
        'a serving area names either a concentration point or a base station',
      );
    const cpId = i.cp ? await idOf(db, 'inv_cp', i.cp, 'cp') : null;
    const bsId = i.baseStation ? await idOf(db, 'inv_base_station', i.baseStation, 'baseStation') : null;
    const r = await sql<{ id: number }>`
      INSERT INTO inv_serving_area (locality, district, street, cp_id, base_station_id)
      VALUES (${i.locality}, ${i.district ?? ''}, ${i.street ?? ''}, ${cpId}, ${bsId})
      ON CONFLICT DO NOTHING RETURNING id`.execute(db);
    const row = r.rows[0];
    if (row)
      signals.push({ elementType: 'zone', code: zoneKey(i.locality, i.district), reason: 'coverage_added' });
    const id =
      row?.id ??
      (
        await db
          .selectFrom('inv_serving_area')
          .select('id')
          .where('locality_norm', '=', norm(i.locality))
          .where('district_norm', '=', norm(i.district))
          .where('street_norm', '=', norm(i.street))
          .where((eb) => (cpId ? eb('cp_id', '=', cpId) : eb('base_station_id', '=', bsId)))
          .executeTakeFirstOrThrow()
      ).id;
    return { id, created: row !== undefined };
  },
};

async function addPairs(
  db: Executor,
  c: {
    id: number;
    code: string;
    kind: 'primary' | 'distribution';
    mdfId: number | null;
    sdfId: number;
    cpId: number | null;
  },
  from: number,
  to: number,
): Promise<number> {
  if (to < from) return 0;
  if (c.kind === 'primary') {
    // A primary pair lands on its own vertical position of the MDF, named after the cable and pair.
    await sql`
      INSERT INTO inv_mdf_position (mdf_id, side, position)
      SELECT ${c.mdfId}, 'vertical', 'V' || ${c.code} || '/' || lpad(n::text, greatest(4, length(n::text)), '0')
      FROM generate_series(${from}::int, ${to}::int) n ON CONFLICT DO NOTHING`.execute(db);
    const r = await sql`
      INSERT INTO inv_pair (cable_id, kind, number, sdf_id, mdf_position_id)
      SELECT ${c.id}, 'primary', n, ${c.sdfId}, pos.id
      FROM generate_series(${from}::int, ${to}::int) n
      JOIN inv_mdf_position pos ON pos.mdf_id = ${c.mdfId} AND pos.side = 'vertical'
        AND pos.position = 'V' || ${c.code} || '/' || lpad(n::text, greatest(4, length(n::text)), '0')
      ON CONFLICT DO NOTHING`.execute(db);
    return Number(r.numAffectedRows ?? 0);
  }
  const r = await sql`
    INSERT INTO inv_pair (cable_id, kind, number, sdf_id, cp_id)
    SELECT ${c.id}, 'distribution', n, ${c.sdfId}, ${c.cpId}
    FROM generate_series(${from}::int, ${to}::int) n ON CONFLICT DO NOTHING`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

export type StatusResource = 'pair' | 'port' | 'base_station';

/** Records a port/pair/base-station status change in its history and the event journal. */
export async function recordStatus(
  db: Executor,
  rows: { type: StatusResource | 'number' | 'sim'; id: string | number; from: string | null; to: string }[],
  reason: string | null,
  reservationId: number | null,
  by: Actor,
): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('inv_resource_history')
    .values(
      rows.map((r) => ({
        resource_type: r.type,
        resource_id: String(r.id),
        from_status: r.from,
        to_status: r.to,
        reason,
        reservation_id: reservationId,
        user_id: by.userId,
      })),
    )
    .execute();
}
