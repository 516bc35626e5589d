import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';
import { invNotFound } from './inventory.errors.js';

/**
 * The subscriber technical file, read side: the chain that makes each line (or that a reservation
 * holds), named as technicians name it, for the line view, the fault process and the API.
 */

export interface Reservation {
  code: string;
  requestRef: string;
  kind: string;
  status: string;
  product: string;
  directoryNumber: string | null;
  chain: Chain;
  createdAt: Date;
  closedAt: Date | null;
}

export interface Chain {
  equipmentNumber: string | null;
  switch: string | null;
  site: string | null;
  mdf: string | null;
  mdfHorizontal: string | null;
  mdfVertical: string | null;
  primaryPair: { id: number; cable: string; number: number } | null;
  sdf: string | null;
  distributionPair: { id: number; cable: string; number: number } | null;
  cp: string | null;
  baseStation: string | null;
  sim: { iccid: string; imsi: string } | null;
  portId: number | null;
}

interface ChainRow {
  port_id: number | null;
  equipment_number: string | null;
  switch_code: string | null;
  site_code: string | null;
  mdf_code: string | null;
  h_pos: string | null;
  v_pos: string | null;
  pp_id: number | null;
  pp_cable: string | null;
  pp_number: number | null;
  sdf_code: string | null;
  dp_id: number | null;
  dp_cable: string | null;
  dp_number: number | null;
  cp_code: string | null;
  bs_code: string | null;
  iccid: string | null;
  imsi: string | null;
}

/** The names technicians use for a reservation's or a line's ids (`inv_chain`, migration 0210). */
const chainSelect = (t: string) => sql`
  c.* FROM ${sql.table(t)} x
  CROSS JOIN LATERAL inv_chain(x.port_id, x.primary_pair_id, x.distribution_pair_id, x.cp_id, x.base_station_id, x.sim_id) c`;

function toChain(r: ChainRow): Chain {
  return {
    equipmentNumber: r.equipment_number,
    switch: r.switch_code,
    site: r.site_code,
    mdf: r.mdf_code,
    mdfHorizontal: r.h_pos,
    mdfVertical: r.v_pos,
    primaryPair: r.pp_id ? { id: r.pp_id, cable: r.pp_cable ?? '', number: r.pp_number ?? 0 } : null,
    sdf: r.sdf_code,
    distributionPair: r.dp_id ? { id: r.dp_id, cable: r.dp_cable ?? '', number: r.dp_number ?? 0 } : null,
    cp: r.cp_code,
    baseStation: r.bs_code,
    sim: r.iccid ? { iccid: r.iccid, imsi: r.imsi ?? '' } : null,
    portId: r.port_id,
  };
}

/** A reservation as `inv_reservation_doc` (the study function) returns it: JSON, dates as text. */
export type ReservationDoc = ChainRow & {
  id: number;
  code: string;
  request_ref: string;
  kind: string;
  status: string;
  product_code: string;
  directory_number: string | null;
  created_at: string | Date;
  closed_at: string | Date | null;
};

export function reservationFromDoc(row: ReservationDoc): Reservation {
  return {
    code: row.code,
    requestRef: row.request_ref,
    kind: row.kind,
    status: row.status,
    product: row.product_code,
    directoryNumber: row.directory_number,
    chain: toChain(row),
    createdAt: new Date(row.created_at),
    closedAt: row.closed_at === null ? null : new Date(row.closed_at),
  };
}

export async function loadReservation(
  db: Executor,
  where: { id?: number; code?: string; requestRef?: string },
): Promise<Reservation> {
  const cond = where.id
    ? sql`x.id = ${where.id}`
    : where.code
      ? sql`x.code = ${where.code.toUpperCase()}`
      : sql`x.request_ref = ${where.requestRef ?? ''} AND x.id = (SELECT max(id) FROM inv_reservation WHERE request_ref = ${where.requestRef ?? ''})`;
  // inv_reservation_doc keeps its plan for the session: the chain's join is costly to plan, cheap to run.
  const r = await sql<{ doc: ReservationDoc }>`
    SELECT inv_reservation_doc(x.id) AS doc FROM inv_reservation x WHERE ${cond}`.execute(db);
  const row = r.rows[0];
  if (!row)
    throw invNotFound(
      'reservation.not_found',
      'reservation',
      where.code ?? where.requestRef ?? where.id ?? '',
    );
  return reservationFromDoc(row.doc);
}

export interface TechnicalFile {
  id: number;
  directoryNumber: string;
  kind: string;
  status: string;
  product: string;
  requestRef: string | null;
  address: unknown;
  chain: Chain;
  createdAt: Date;
  ceasedAt: Date | null;
  history: { change: string; detail: unknown; at: Date; userId: number | null }[];
}

/** The live technical file of a number, or its latest ceased one. */
export async function loadLine(db: Executor, directoryNumber: string): Promise<TechnicalFile> {
  const r = await sql<
    ChainRow & {
      id: number;
      directory_number: string;
      kind: string;
      status: string;
      product_code: string;
      request_ref: string | null;
      address: unknown;
      created_at: Date;
      ceased_at: Date | null;
    }
  >`
    SELECT x.id, x.directory_number, x.kind, x.status, x.product_code, x.request_ref, x.address, x.created_at, x.ceased_at,
      ${chainSelect('inv_line')}
    WHERE x.directory_number = ${directoryNumber}
    ORDER BY (x.status = 'active') DESC, x.id DESC LIMIT 1`.execute(db);
  const row = r.rows[0];
  if (!row) throw invNotFound('line.not_found', 'line', directoryNumber);
  const history = await db
    .selectFrom('inv_line_history')
    .select(['change', 'detail', 'at', 'user_id'])
    .where('line_id', '=', row.id)
    .orderBy('id')
    .execute();
  return {
    id: row.id,
    directoryNumber: row.directory_number,
    kind: row.kind,
    status: row.status,
    product: row.product_code,
    requestRef: row.request_ref,
    address: row.address,
    chain: toChain(row),
    createdAt: row.created_at,
    ceasedAt: row.ceased_at,
    history: history.map((h) => ({ change: h.change, detail: h.detail, at: h.at, userId: h.user_id })),
  };
}

/** What `lineTechnicalFileJson` returns: the `loadLine` row as JSON (dates as text) with its history. */
export type TechnicalFileDoc = ChainRow & {
  id: number;
  directory_number: string;
  kind: string;
  status: string;
  product_code: string;
  request_ref: string | null;
  address: unknown;
  created_at: string;
  ceased_at: string | null;
  history: { change: string; detail: unknown; at: string; user_id: number | null }[];
};

/**
 * The technical file `loadLine` reads (the live one of a number, else its latest ceased one), as
 * one json scalar subquery (null when the number never had one), so a screen that shows the line
 * beside other modules' records (the line consultation) reads it in the same round trip; the SQL
 * stays the inventory's. `technicalFileFromDoc` gives the same `TechnicalFile` as `loadLine`.
 */
export function lineTechnicalFileJson(directoryNumber: string) {
  return sql<TechnicalFileDoc | null>`(SELECT to_json(t) FROM (
    SELECT x.id, x.directory_number, x.kind, x.status, x.product_code, x.request_ref, x.address, x.created_at, x.ceased_at,
      (SELECT coalesce(json_agg(json_build_object('change', h.change, 'detail', h.detail, 'at', h.at,
          'user_id', h.user_id) ORDER BY h.id), '[]')
        FROM inv_line_history h WHERE h.line_id = x.id) AS history,
      ${chainSelect('inv_line')}
    WHERE x.directory_number = ${directoryNumber}
    ORDER BY (x.status = 'active') DESC, x.id DESC LIMIT 1) t)`;
}

/**
 * Whether the number has a live technical file: one probe of `inv_line_number_idx`. A screen that
 * embeds `lineTechnicalFileJson` pays for its chain's ~17 tables (their locks, the plan's nodes)
 * on every read even when there is no file; with this test it reads the file only when there is one.
 */
export function lineHasLiveTechnicalFile(directoryNumber: string) {
  return sql<boolean>`EXISTS (SELECT 1 FROM inv_line x WHERE x.directory_number = ${directoryNumber} AND x.status = 'active')`;
}

export function technicalFileFromDoc(doc: TechnicalFileDoc): TechnicalFile {
  return {
    id: doc.id,
    directoryNumber: doc.directory_number,
    kind: doc.kind,
    status: doc.status,
    product: doc.product_code,
    requestRef: doc.request_ref,
    address: doc.address,
    chain: toChain(doc),
    createdAt: new Date(doc.created_at),
    ceasedAt: doc.ceased_at === null ? null : new Date(doc.ceased_at),
    history: doc.history.map((h) => ({
      change: h.change,
      detail: h.detail,
      at: new Date(h.at),
      userId: h.user_id,
    })),
  };
}
