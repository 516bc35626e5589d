import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import type { CapacitySignal } from './capacity.js';
import { invConflict, invNotFound } from './inventory.errors.js';
import { recordStatus } from './plant.writers.js';

/**
 * The subscriber technical file, write side: built from a reservation when the line is built
 * (commit), closed when it ceases (the read side is technical-file.ts).
 */

/**
 * The line is built: the reservation becomes the line's technical file, its resources go into
 * service, its number is assigned, its SIM is activated and the MDF and cabinet jumpers exist.
 */
export async function commitInTrx(
  db: Executor,
  reservationId: number,
  by: Actor,
  opts: { relocation?: boolean; keptPort?: boolean } = {},
): Promise<number> {
  const r = await db
    .selectFrom('inv_reservation')
    .selectAll()
    .where('id', '=', reservationId)
    .forUpdate()
    .executeTakeFirst();
  if (!r) throw invNotFound('reservation.not_found', 'reservation', reservationId);
  if (r.status !== 'reserved')
    throw invConflict('reservation.closed', `reservation ${r.code} is already ${r.status}`);
  if (!r.directory_number)
    throw invConflict(
      'reservation.closed',
      `reservation ${r.code} has no number yet: assign one first`,
      'directoryNumber',
    );
  if (r.kind === 'number')
    throw invConflict(
      'reservation.closed',
      `reservation ${r.code} holds only a number: study the line first`,
    );
  await db
    .updateTable('inv_reservation')
    .set({ status: 'committed', closed_at: new Date() })
    .where('id', '=', r.id)
    .execute();
  const { id: lineId } = await db
    .insertInto('inv_line')
    .values({
      directory_number: r.directory_number,
      kind: r.kind,
      request_ref: r.request_ref,
      reservation_id: r.id,
      product_code: r.product_code,
      address: r.address === null ? null : JSON.stringify(r.address),
      port_id: r.port_id,
      primary_pair_id: r.primary_pair_id,
      distribution_pair_id: r.distribution_pair_id,
      cp_id: r.cp_id,
      base_station_id: r.base_station_id,
      sim_id: r.sim_id,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const history: Parameters<typeof recordStatus>[1] = [];
  const pairs = [r.primary_pair_id, r.distribution_pair_id].filter((x): x is number => x !== null);
  if (pairs.length) {
    await sql`UPDATE inv_pair SET status = 'in_service', updated_at = now() WHERE id = ANY(${pairs}::bigint[])`.execute(
      db,
    );
    for (const p of pairs) history.push({ type: 'pair', id: p, from: 'reserved', to: 'in_service' });
  }
  if (r.port_id) {
    if (!opts.keptPort) {
      await sql`UPDATE inv_port SET status = 'in_service', updated_at = now() WHERE id = ${r.port_id}`.execute(
        db,
      );
      history.push({ type: 'port', id: r.port_id, from: 'reserved', to: 'in_service' });
    }
    if (r.primary_pair_id) {
      // The MDF jumper joins the port's horizontal position to the primary pair's vertical one.
      await sql`
        INSERT INTO inv_cross_connect (kind, from_id, to_id, line_id)
        SELECT 'mdf_jumper', port.mdf_position_id, pp.mdf_position_id, ${lineId}
        FROM inv_port port, inv_pair pp WHERE port.id = ${r.port_id} AND pp.id = ${r.primary_pair_id}
          AND port.mdf_position_id IS NOT NULL AND pp.mdf_position_id IS NOT NULL`.execute(db);
    }
  }
  if (r.primary_pair_id && r.distribution_pair_id) {
    await db
      .insertInto('inv_cross_connect')
      .values({
        kind: 'sdf_jumper',
        from_id: r.primary_pair_id,
        to_id: r.distribution_pair_id,
        line_id: lineId,
      })
      .execute();
  }
  if (r.sim_id) {
    await sql`UPDATE inv_sim SET status = 'active', directory_number = ${r.directory_number}, reservation_id = NULL, updated_at = now() WHERE id = ${r.sim_id}`.execute(
      db,
    );
    history.push({ type: 'sim', id: r.sim_id, from: 'allocated', to: 'active' });
  }
  // A relocated line keeps its number, already assigned.
  if (!opts.relocation) {
    await sql`UPDATE inv_number SET status = 'assigned', updated_at = now() WHERE number = ${r.directory_number}`.execute(
      db,
    );
    history.push({ type: 'number', id: r.directory_number, from: 'reserved', to: 'assigned' });
  }
  await recordStatus(db, history, `line built for ${r.request_ref}`, r.id, by);
  await db
    .insertInto('inv_line_history')
    .values({
      line_id: lineId,
      change: opts.relocation ? 'relocated_here' : 'built',
      detail: JSON.stringify({ reservation: r.code, requestRef: r.request_ref }),
      user_id: by.userId,
    })
    .execute();
  await appendEvent(db, {
    entityType: 'line',
    entityId: r.directory_number,
    kind: 'line.built',
    lineId: r.directory_number,
    userId: by.userId,
    actor: by.actor ?? null,
    payload: {
      reservation: r.code,
      requestRef: r.request_ref,
      kind: r.kind,
      ...(opts.relocation ? { relocated: true } : {}),
    },
  });
  return lineId;
}

/**
 * The line ceases (termination): its plant goes back to free for the next customer, its number
 * rests in quarantine for the pool's quarantine period, its SIM is taken out of circulation.
 */
export async function ceaseInTrx(
  db: Executor,
  directoryNumber: string,
  reason: string,
  by: Actor,
  opts: { relocatedBy?: string; keepPort?: boolean } = {},
): Promise<CapacitySignal[]> {
  const line = await db
    .selectFrom('inv_line')
    .selectAll()
    .where('directory_number', '=', directoryNumber)
    .where('status', '=', 'active')
    .forUpdate()
    .executeTakeFirst();
  if (!line) throw invNotFound('line.not_found', 'live line', directoryNumber);
  await db
    .updateTable('inv_line')
    .set({ status: 'ceased', ceased_at: new Date() })
    .where('id', '=', line.id)
    .execute();
  await db
    .updateTable('inv_cross_connect')
    .set({ status: 'removed', removed_at: new Date() })
    .where('line_id', '=', line.id)
    .where('status', '=', 'active')
    .execute();
  const signals: CapacitySignal[] = [];
  const history: Parameters<typeof recordStatus>[1] = [];
  const pairs = [line.primary_pair_id, line.distribution_pair_id].filter((x): x is number => x !== null);
  if (pairs.length) {
    const rows = await sql<{ id: number; kind: string; cp: string | null; sdf: string; status: string }>`
      UPDATE inv_pair p SET status = CASE WHEN p.status = 'in_service' THEN 'free' ELSE p.status END, updated_at = now()
      FROM inv_sdf s WHERE p.id = ANY(${pairs}::bigint[]) AND s.id = p.sdf_id
      RETURNING p.id, p.kind, p.status, (SELECT code FROM inv_cp WHERE id = p.cp_id) AS cp, s.code AS sdf`.execute(
      db,
    );
    for (const p of rows.rows) {
      if (p.status !== 'free') continue;
      history.push({ type: 'pair', id: p.id, from: 'in_service', to: 'free' });
      signals.push(
        p.kind === 'primary'
          ? { elementType: 'sdf', code: p.sdf, reason: 'released' }
          : { elementType: 'cp', code: p.cp ?? '', reason: 'released' },
      );
    }
  }
  if (line.port_id && !opts.keepPort) {
    const rows = await sql<{ code: string }>`
      UPDATE inv_port p SET status = 'free', updated_at = now() FROM inv_site s
      WHERE p.id = ${line.port_id} AND s.id = p.site_id AND p.status = 'in_service' RETURNING s.code`.execute(
      db,
    );
    if (rows.rows[0]) {
      history.push({ type: 'port', id: line.port_id, from: 'in_service', to: 'free' });
      signals.push({ elementType: 'site', code: rows.rows[0].code, reason: 'released' });
    }
  }
  if (line.base_station_id) {
    const rows = await sql<{
      code: string;
    }>`UPDATE inv_base_station SET used = used - 1 WHERE id = ${line.base_station_id} RETURNING code`.execute(
      db,
    );
    if (rows.rows[0])
      signals.push({ elementType: 'base_station', code: rows.rows[0].code, reason: 'released' });
  }
  if (line.sim_id && !opts.relocatedBy) {
    await sql`UPDATE inv_sim SET status = 'destroyed', updated_at = now() WHERE id = ${line.sim_id} AND status IN ('active', 'suspended')`.execute(
      db,
    );
    history.push({ type: 'sim', id: line.sim_id, from: 'active', to: 'destroyed' });
  }
  // A relocated line keeps its number: only its old plant is given back.
  if (!opts.relocatedBy) {
    await sql`
      UPDATE inv_number n SET status = 'quarantine', quarantine_until = now() + make_interval(days => p.quarantine_days), updated_at = now()
      FROM inv_number_pool p WHERE n.number = ${directoryNumber} AND p.id = n.pool_id`.execute(db);
    history.push({ type: 'number', id: directoryNumber, from: 'assigned', to: 'quarantine' });
  }
  await recordStatus(db, history, reason, null, by);
  await db
    .insertInto('inv_line_history')
    .values({
      line_id: line.id,
      change: opts.relocatedBy ? 'relocated_away' : 'ceased',
      detail: JSON.stringify({ reason, ...(opts.relocatedBy ? { requestRef: opts.relocatedBy } : {}) }),
      user_id: by.userId,
    })
    .execute();
  await appendEvent(db, {
    entityType: 'line',
    entityId: directoryNumber,
    kind: opts.relocatedBy ? 'line.relocated' : 'line.ceased',
    lineId: directoryNumber,
    userId: by.userId,
    payload: { reason, ...(opts.relocatedBy ? { requestRef: opts.relocatedBy } : {}) },
  });
  return signals;
}

/**
 * Relocation (seed: "transfert"): the line keeps its number and moves onto the chain its request's
 * study reserved at the new address. The old technical file closes (its plant freed for others),
 * the reservation becomes the new one. A line set up before the inventory had no technical file:
 * it simply gets one. A number the re-study of a held relocation may have reserved goes back.
 */
export async function relocateInTrx(
  db: Executor,
  requestRef: string,
  directoryNumber: string,
  reason: string,
  by: Actor,
): Promise<{ lineId: number; signals: CapacitySignal[] }> {
  const r = await db
    .selectFrom('inv_reservation')
    .selectAll()
    .where('request_ref', '=', requestRef)
    .where('status', '=', 'reserved')
    .forUpdate()
    .executeTakeFirst();
  if (!r) throw invNotFound('reservation.not_found', 'live reservation of request', requestRef);
  if (r.kind !== 'fixed_wired' && r.kind !== 'fixed_radio')
    throw invConflict('reservation.closed', `reservation ${r.code} is not a fixed line's chain`);
  const live = await db
    .selectFrom('inv_line')
    .select(['id', 'port_id'])
    .where('directory_number', '=', directoryNumber)
    .where('status', '=', 'active')
    .executeTakeFirst();
  // Within the same exchange the line keeps its equipment number (nothing changes on the switch:
  // only the pairs and the MDF jumper move); the port the study reserved goes back.
  let keepPort = false;
  if (live?.port_id && r.port_id && live.port_id !== r.port_id) {
    const sites = await sql<{ same: boolean }>`
      SELECT (SELECT site_id FROM inv_port WHERE id = ${live.port_id}) =
             (SELECT site_id FROM inv_port WHERE id = ${r.port_id}) AS same`.execute(db);
    keepPort = sites.rows[0]?.same === true;
  }
  const signals = live
    ? await ceaseInTrx(db, directoryNumber, reason, by, { relocatedBy: requestRef, keepPort })
    : [];
  if (keepPort && live?.port_id && r.port_id) {
    const freed = await sql<{ code: string }>`
      UPDATE inv_port p SET status = 'free', updated_at = now() FROM inv_site s
      WHERE p.id = ${r.port_id} AND s.id = p.site_id AND p.status = 'reserved' RETURNING s.code`.execute(db);
    await recordStatus(
      db,
      [{ type: 'port', id: r.port_id, from: 'reserved', to: 'free' }],
      `relocation of ${directoryNumber} keeps its equipment number`,
      r.id,
      by,
    );
    if (freed.rows[0]) signals.push({ elementType: 'site', code: freed.rows[0].code, reason: 'released' });
    await db.updateTable('inv_reservation').set({ port_id: live.port_id }).where('id', '=', r.id).execute();
  }
  if (r.directory_number && r.directory_number !== directoryNumber) {
    await sql`UPDATE inv_number SET status = 'free', updated_at = now() WHERE number = ${r.directory_number} AND status = 'reserved'`.execute(
      db,
    );
    await recordStatus(
      db,
      [{ type: 'number', id: r.directory_number, from: 'reserved', to: 'free' }],
      `relocation of ${directoryNumber} keeps its number`,
      r.id,
      by,
    );
    signals.push({ elementType: 'number_pool', code: r.product_code, reason: 'released' });
  }
  await db
    .updateTable('inv_reservation')
    .set({ directory_number: directoryNumber })
    .where('id', '=', r.id)
    .execute();
  const lineId = await commitInTrx(db, r.id, by, { relocation: true, keptPort: keepPort });
  return { lineId, signals };
}
