import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import type { CapacityBus, CapacitySignal } from './capacity.js';
import { invConflict, invNotFound, InventoryError } from './inventory.errors.js';
import type * as S from './inventory.schemas.js';
import { canChangeResourceStatus, releasesCapacity } from './inventory.states.js';
import type { ResourceStatus } from './inventory.tables.js';
import { recordStatus, type StatusResource } from './plant.writers.js';

/**
 * Plant changes as the API makes them: a writer (plant.writers.ts) in one transaction with its event,
 * then the capacity it created announced; and technicians' status changes on pairs, ports and base
 * stations, which may give capacity back.
 */

export class PlantService {
  constructor(
    private readonly db: Db,
    private readonly bus: CapacityBus,
  ) {}

  /** Runs a writer in one transaction with its event, then announces the capacity it created. */
  async write<T>(
    kind: string,
    entityType: string,
    fn: (trx: Executor, signals: CapacitySignal[]) => Promise<T>,
    payload: Record<string, unknown>,
    by: Actor,
    refuseDuplicate = true,
  ): Promise<T> {
    const signals: CapacitySignal[] = [];
    const out = await this.db.transaction().execute(async (trx) => {
      const r = (await fn(trx, signals)) as T & { id?: number; created?: boolean };
      if (refuseDuplicate && r.created === false)
        throw invConflict(
          'inventory.duplicate',
          `${entityType} ${String(payload.code)} already exists`,
          'code',
        );
      await appendEvent(trx, {
        entityType,
        entityId: String(payload.code ?? r.id ?? ''),
        kind,
        userId: by.userId,
        payload,
      });
      return r;
    });
    await this.bus.announce(signals);
    return out;
  }

  /**
   * A technician's status change on a pair, port or base station: reported faulty, repaired, put
   * out of order. A repair gives capacity back and resumes the requests waiting for it.
   */
  async changeStatus(
    type: StatusResource,
    id: number,
    change: S.StatusChange,
    by: Actor,
  ): Promise<{ id: number; status: ResourceStatus }> {
    const signals: CapacitySignal[] = [];
    await this.db.transaction().execute(async (trx) => {
      const row = await this.lockForStatus(trx, type, id);
      const inUse =
        type !== 'base_station' &&
        (row.status === 'in_service' || (row.status === 'faulty' && (await this.usedByLine(trx, type, id))));
      if (!canChangeResourceStatus(row.status, change.status, inUse)) {
        throw new InventoryError(
          'conflict',
          'inventory.transition',
          `${type} ${id} cannot go from ${row.status} to ${change.status}${inUse ? ' while a line uses it' : ''}`,
          'status',
        );
      }
      const table = type === 'pair' ? 'inv_pair' : type === 'port' ? 'inv_port' : 'inv_base_station';
      await sql`UPDATE ${sql.table(table)} SET status = ${change.status} WHERE id = ${id}`.execute(trx);
      await recordStatus(
        trx,
        [{ type, id, from: row.status, to: change.status }],
        change.reason ?? null,
        null,
        by,
      );
      await appendEvent(trx, {
        entityType: type,
        entityId: id,
        kind: `${type}.status_changed`,
        userId: by.userId,
        payload: { from: row.status, to: change.status, reason: change.reason ?? null },
      });
      if (releasesCapacity(row.status, change.status) && row.element) {
        signals.push({ ...row.element, reason: 'repaired' });
      }
    });
    await this.bus.announce(signals);
    return { id, status: change.status };
  }

  private async lockForStatus(
    trx: Executor,
    type: StatusResource,
    id: number,
  ): Promise<{ status: ResourceStatus; element: Omit<CapacitySignal, 'reason'> | null }> {
    if (type === 'pair') {
      const r = await sql<{ status: ResourceStatus; kind: string; cp_code: string | null; sdf_code: string }>`
        SELECT p.status, p.kind, cp.code AS cp_code, sdf.code AS sdf_code FROM inv_pair p
        JOIN inv_sdf sdf ON sdf.id = p.sdf_id LEFT JOIN inv_cp cp ON cp.id = p.cp_id
        WHERE p.id = ${id} FOR UPDATE OF p`.execute(trx);
      const row = r.rows[0];
      if (!row) throw invNotFound('inventory.not_found', 'pair', id);
      return {
        status: row.status,
        element:
          row.kind === 'distribution'
            ? { elementType: 'cp', code: row.cp_code ?? '' }
            : { elementType: 'sdf', code: row.sdf_code },
      };
    }
    if (type === 'port') {
      const r = await sql<{ status: ResourceStatus; site_code: string }>`
        SELECT p.status, s.code AS site_code FROM inv_port p JOIN inv_site s ON s.id = p.site_id
        WHERE p.id = ${id} FOR UPDATE OF p`.execute(trx);
      const row = r.rows[0];
      if (!row) throw invNotFound('inventory.not_found', 'port', id);
      return { status: row.status, element: { elementType: 'site', code: row.site_code } };
    }
    const r = await sql<{ status: ResourceStatus; code: string }>`
      SELECT status, code FROM inv_base_station WHERE id = ${id} FOR UPDATE`.execute(trx);
    const row = r.rows[0];
    if (!row) throw invNotFound('inventory.not_found', 'base station', id);
    return { status: row.status, element: { elementType: 'base_station', code: row.code } };
  }

  private async usedByLine(trx: Executor, type: StatusResource, id: number): Promise<boolean> {
    const col =
      type === 'pair'
        ? sql`(primary_pair_id = ${id} OR distribution_pair_id = ${id})`
        : type === 'port'
          ? sql`port_id = ${id}`
          : sql`base_station_id = ${id}`;
    const r = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM inv_line WHERE status = 'active' AND ${col}`.execute(trx);
    return (r.rows[0]?.n ?? 0) > 0;
  }
}
