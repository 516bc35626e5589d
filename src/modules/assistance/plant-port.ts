import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';
import type { InventoryServices } from '../inventory/index.js';

/**
 * What assistance needs of the plant beyond the inventory's service API: the pairs an incident
 * covers and the live lines that run on them. INTERIM: these two read-only queries belong in the
 * inventory's `PlantQueries` (asked for in the hand-over); they are kept here, in one file, so
 * moving them is a one-line change for the callers. Status changes always go through
 * `inventory.plant.changeStatus` (history, events, re-study of held requests on repair).
 */

export interface ScopePair {
  id: number;
  cable: string;
  number: number;
  kind: 'primary' | 'distribution';
  status: string;
}

export type IncidentScopeInput =
  | { scope: 'cable'; cable: string }
  | { scope: 'pair_range'; cable: string; from: number; to: number }
  | { scope: 'cp'; cp: string };

export class PlantPort {
  constructor(
    private readonly db: Executor,
    readonly inventory: InventoryServices,
  ) {}

  /** The pairs of a cable, of a range of it, or of every distribution cable ending at a CP. */
  async pairsOf(s: IncidentScopeInput): Promise<ScopePair[] | null> {
    if (s.scope === 'cp') {
      const cp = await sql<{ id: number }>`SELECT id FROM inv_cp WHERE code = upper(${s.cp})`.execute(
        this.db,
      );
      if (!cp.rows[0]) return null;
      const r = await sql<ScopePair>`
        SELECT p.id, c.code AS cable, p.number, p.kind, p.status::text AS status
        FROM inv_pair p JOIN inv_cable c ON c.id = p.cable_id
        WHERE p.cp_id = ${cp.rows[0].id} ORDER BY c.code, p.number`.execute(this.db);
      return r.rows;
    }
    const cable = await sql<{ id: number }>`SELECT id FROM inv_cable WHERE code = upper(${s.cable})`.execute(
      this.db,
    );
    if (!cable.rows[0]) return null;
    const from = s.scope === 'pair_range' ? s.from : 1;
    const to = s.scope === 'pair_range' ? s.to : 2_147_483_647;
    const r = await sql<ScopePair>`
      SELECT p.id, c.code AS cable, p.number, p.kind, p.status::text AS status
      FROM inv_pair p JOIN inv_cable c ON c.id = p.cable_id
      WHERE p.cable_id = ${cable.rows[0].id} AND p.number BETWEEN ${from}::int AND ${to}::int
      ORDER BY p.number`.execute(this.db);
    return r.rows;
  }

  /** Directory numbers of the live lines whose chain uses one of these pairs. */
  async linesOn(pairIds: number[]): Promise<string[]> {
    if (pairIds.length === 0) return [];
    const r = await sql<{ directory_number: string }>`
      SELECT DISTINCT directory_number FROM inv_line
      WHERE status = 'active'
        AND (primary_pair_id = ANY(${pairIds}::bigint[]) OR distribution_pair_id = ANY(${pairIds}::bigint[]))
      ORDER BY directory_number`.execute(this.db);
    return r.rows.map((x) => x.directory_number);
  }
}
