import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import { invNotFound } from './inventory.errors.js';
import type { Address } from './inventory.schemas.js';
import { tmfStates } from './inventory.states.js';
import type { ResourceStatus } from './inventory.tables.js';
import { resolveServing } from './study.service.js';

/** One entry of a resource's history, as `inv_resource_history_of` gives it. */
interface HistoryEntry {
  from_status: string | null;
  to_status: string;
  reason: string | null;
  reservation_id: number | null;
  user_id: number | null;
  at: Date;
}

type Counts = Record<ResourceStatus, number>;
const emptyCounts = (): Counts => ({ free: 0, reserved: 0, in_service: 0, faulty: 0, out_of_order: 0 });

/** Read side of the plant: lists with fill levels (planners look for saturation) and single resources. */
export class PlantQueries {
  constructor(private readonly db: Db) {}

  async sites(): Promise<unknown[]> {
    const r = await sql<{
      code: string;
      name: string;
      locality: string;
      district: string | null;
      status: ResourceStatus | null;
      n: number | null;
    }>`
      SELECT s.code, s.name, s.locality, s.district, p.status, count(p.id)::int AS n
      FROM inv_site s LEFT JOIN inv_port p ON p.site_id = s.id
      GROUP BY s.code, s.name, s.locality, s.district, p.status ORDER BY s.code`.execute(this.db);
    const out = new Map<
      string,
      { code: string; name: string; locality: string; district: string | null; ports: Counts }
    >();
    for (const row of r.rows) {
      const site = out.get(row.code) ?? {
        code: row.code,
        name: row.name,
        locality: row.locality,
        district: row.district,
        ports: emptyCounts(),
      };
      if (row.status) site.ports[row.status] += row.n ?? 0;
      out.set(row.code, site);
    }
    return [...out.values()];
  }

  /** Concentration points with the fill of their distribution pairs. */
  async cps(filter: { sdf?: string; locality?: string }): Promise<unknown[]> {
    const r = await sql<{
      code: string;
      name: string;
      sdf: string;
      locality: string;
      district: string | null;
      street: string | null;
      status: ResourceStatus | null;
      n: number;
    }>`
      SELECT cp.code, cp.name, d.code AS sdf, cp.locality, cp.district, cp.street, p.status, count(p.id)::int AS n
      FROM inv_cp cp JOIN inv_sdf d ON d.id = cp.sdf_id LEFT JOIN inv_pair p ON p.cp_id = cp.id
      WHERE (${filter.sdf ?? null}::text IS NULL OR d.code = upper(${filter.sdf ?? null}))
        AND (${filter.locality ?? null}::text IS NULL OR gpto_norm(cp.locality) = gpto_norm(${filter.locality ?? null}))
      GROUP BY cp.code, cp.name, d.code, cp.locality, cp.district, cp.street, p.status ORDER BY cp.code LIMIT 5000`.execute(
      this.db,
    );
    const out = new Map<string, Record<string, unknown> & { pairs: Counts }>();
    for (const row of r.rows) {
      const cp = out.get(row.code) ?? {
        code: row.code,
        name: row.name,
        sdf: row.sdf,
        locality: row.locality,
        district: row.district,
        street: row.street,
        pairs: emptyCounts(),
      };
      if (row.status) cp.pairs[row.status] += row.n;
      out.set(row.code, cp);
    }
    return [...out.values()];
  }

  async baseStations(): Promise<unknown[]> {
    const r = await sql<{
      code: string;
      name: string;
      site: string;
      capacity: number;
      used: number;
      status: ResourceStatus;
    }>`
      SELECT b.code, b.name, s.code AS site, b.capacity, b.used, b.status FROM inv_base_station b JOIN inv_site s ON s.id = b.site_id ORDER BY b.code`.execute(
      this.db,
    );
    return r.rows.map((b) => ({ ...b, free: b.capacity - b.used, ...tmfStates(b.status) }));
  }

  /** One cable with every pair, its status (and TMF's three states) and what it is connected to. */
  async cable(code: string): Promise<unknown> {
    const c = await sql<{
      id: number;
      code: string;
      kind: string;
      mdf: string | null;
      sdf: string;
      cp: string | null;
      pair_count: number;
      bundle: string | null;
      head: string | null;
      lead: string | null;
    }>`
      SELECT c.id, c.code, c.kind, m.code AS mdf, d.code AS sdf, cp.code AS cp, c.pair_count, c.bundle, c.head, c.lead
      FROM inv_cable c JOIN inv_sdf d ON d.id = c.sdf_id LEFT JOIN inv_mdf m ON m.id = c.mdf_id LEFT JOIN inv_cp cp ON cp.id = c.cp_id
      WHERE c.code = upper(${code})`.execute(this.db);
    const cable = c.rows[0];
    if (!cable) throw invNotFound('inventory.not_found', 'cable', code);
    const pairs = await sql<{
      id: number;
      number: number;
      status: ResourceStatus;
      mdf_position: string | null;
    }>`
      SELECT p.id, p.number, p.status, pos.position AS mdf_position FROM inv_pair p
      LEFT JOIN inv_mdf_position pos ON pos.id = p.mdf_position_id WHERE p.cable_id = ${cable.id} ORDER BY p.number`.execute(
      this.db,
    );
    return { ...cable, pairs: pairs.rows.map((p) => ({ ...p, ...tmfStates(p.status) })) };
  }

  /** One pair or port with TMF's states and its history. */
  async resource(type: 'pair' | 'port', id: number): Promise<unknown> {
    const row =
      type === 'pair'
        ? (
            await sql<{
              id: number;
              status: ResourceStatus;
            }>`SELECT p.id, p.status, p.kind, p.number, c.code AS cable FROM inv_pair p JOIN inv_cable c ON c.id = p.cable_id WHERE p.id = ${id}`.execute(
              this.db,
            )
          ).rows[0]
        : (
            await sql<{
              id: number;
              status: ResourceStatus;
            }>`SELECT id, status, equipment_number, shelf, card, port FROM inv_port WHERE id = ${id}`.execute(
              this.db,
            )
          ).rows[0];
    if (!row) throw invNotFound('inventory.not_found', type, id);
    // Its rows and the "reserved" entry a fast-path study's reservation still carries (0235).
    const history = (
      await sql<HistoryEntry>`
        SELECT from_status, to_status, reason, reservation_id, user_id, at
        FROM inv_resource_history_of(${type}, ${String(id)})`.execute(this.db)
    ).rows;
    return { ...row, ...tmfStates(row.status), history };
  }

  async portByEquipmentNumber(equipmentNumber: string): Promise<unknown> {
    const r = await sql<{
      id: number;
    }>`SELECT id FROM inv_port WHERE equipment_number = upper(${equipmentNumber})`.execute(this.db);
    if (!r.rows[0]) throw invNotFound('inventory.not_found', 'equipment number', equipmentNumber);
    return this.resource('port', r.rows[0].id);
  }

  /** Which plant serves an address: what the shop counter asks before promising a line. */
  async serving(address: Address): Promise<{ cps: string[]; baseStations: string[] }> {
    const s = await resolveServing(this.db, address);
    return { cps: s.cps.map((c) => c.code), baseStations: s.baseStations.map((b) => b.code) };
  }

  async shops(): Promise<unknown[]> {
    return this.db.selectFrom('inv_shop').select(['code', 'name', 'locality']).orderBy('code').execute();
  }
}
