import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import type { CapacitySignal, NotFeasible } from './capacity.js';
import { invConflict, invInvalid, invNotFound } from './inventory.errors.js';
import type { Address, StudyInput } from './inventory.schemas.js';
import { zoneKey } from './inventory.states.js';
import type { ReservationKind } from './inventory.tables.js';
import { recordStatus } from './plant.writers.js';
import { reservationFromDoc, type Reservation, type ReservationDoc } from './technical-file.js';

/**
 * The automatic study (seed: "études automatiques, réservation de constitution"): find a complete
 * free chain for the line and reserve it with a number in one transaction, or say why not.
 *
 * The study itself is the database function `inv_study` (migrations/0210_inventory_study.sql): the
 * picks depend on each other (distribution pair → primary pair of its cabinet → port of the
 * exchange that pair reaches → number of that exchange), so driving them from here cost ~15 round
 * trips; there it is one statement and one commit. Concurrency: each free resource is taken with
 * `FOR UPDATE SKIP LOCKED` and its `status = 'free'` is re-checked once locked, so concurrent
 * studies never take the same pair, port, SIM or number; partial unique indexes on live
 * reservations are the last guard. A resource locked by a concurrent study that later rolls back is
 * skipped, so a study may call a nearly saturated element saturated a moment early: the request is
 * then held and resumed by the next capacity event.
 */

export interface Serving {
  cps: { id: number; code: string }[];
  baseStations: { id: number; code: string }[];
}

/** The concentration points and base stations that serve an address: the most specific areas win. */
export async function resolveServing(db: Executor, address: Address): Promise<Serving> {
  const r = await sql<{ cp_id: number | null; base_station_id: number | null; code: string }>`
    SELECT cp_id, base_station_id, code
    FROM inv_serving(${address.locality}, ${address.district ?? null}, ${address.street ?? null})`.execute(
    db,
  );
  return {
    cps: r.rows.filter((x) => x.cp_id !== null).map((x) => ({ id: x.cp_id as number, code: x.code })),
    baseStations: r.rows
      .filter((x) => x.base_station_id !== null)
      .map((x) => ({ id: x.base_station_id as number, code: x.code })),
  };
}

/**
 * A number for the product (`inv_pick_number`): the preferred one when the customer chose it
 * (golden numbers only this way), else the lowest ordinary free number of the product's pools (the
 * site's first). The number is locked until the caller's transaction ends.
 */
export async function pickNumber(
  db: Executor,
  productCode: string,
  siteId: number | null,
  preferred: string | undefined,
): Promise<{ number: string; from: string } | NotFeasible> {
  const product = productCode.toUpperCase();
  const r = await sql<{ o_number: string | null; o_from: string | null; o_failure: string | null }>`
    SELECT o_number, o_from, o_failure FROM inv_pick_number(${product}, ${siteId}::bigint, ${preferred ?? null})`.execute(
    db,
  );
  const row = r.rows[0];
  if (row?.o_number && row.o_from) return { number: row.o_number, from: row.o_from };
  if (row?.o_failure === 'unavailable')
    throw invConflict(
      'number.unavailable',
      `number ${preferred ?? ''} is not available for ${product}`,
      'preferredNumber',
    );
  return row?.o_failure === 'no_pool'
    ? notFeasible('missing_equipment', 'number_pool', product, `no number pool for product ${product}`)
    : notFeasible('saturation', 'number_pool', product, `number pools of ${product} are exhausted`);
}

const notFeasible = (
  cause: NotFeasible['cause'],
  elementType: NotFeasible['elementType'],
  elementCode: string,
  detail: string,
): NotFeasible => ({ feasible: false, cause, elementType, elementCode, detail });

export interface ChainIds {
  kind: ReservationKind;
  portId?: number;
  primaryPairId?: number;
  distributionPairId?: number;
  cpId?: number;
  baseStationId?: number;
  simId?: number;
  number?: { number: string; from: string };
}

/**
 * Writes the reservation of resources the caller has locked and moves each of them to reserved,
 * with history and event (`inv_reserve`). Returns the reservation id.
 */
export async function reserveChain(
  db: Executor,
  input: { requestRef: string; product: string; address?: Address | undefined },
  chain: ChainIds,
  by: Actor,
): Promise<number> {
  const r = await sql<{ id: number }>`
    SELECT inv_reserve(${input.requestRef}, ${chain.kind}, ${input.product.toUpperCase()},
      ${input.address ? JSON.stringify(input.address) : null}::jsonb, ${chain.portId ?? null}::bigint,
      ${chain.primaryPairId ?? null}::bigint, ${chain.distributionPairId ?? null}::bigint, ${chain.cpId ?? null}::bigint,
      ${chain.baseStationId ?? null}::bigint, ${chain.simId ?? null}::bigint, ${chain.number?.number ?? null},
      ${chain.number?.from ?? null}, ${by.userId}::bigint, ${by.actor ?? null}) AS id`.execute(db);
  return Number(r.rows[0]?.id);
}

/**
 * The codes of the plant's fixed elements by id — site, MDF, cabinet (SDF), cable — for the fast
 * study's document (migration 0250): that document names them by id so that the study does not join
 * four tables more per call (≈ 5 % of its server instructions). A code never changes once given (the
 * plant writers upsert by code, ids come from sequences), so what one read gives stays true; each
 * service keeps its own, and an id it has not seen yet costs one query.
 */
export class PlantCodes {
  private readonly sites = new Map<number, string>();
  private readonly mdfs = new Map<number, string>();
  private readonly sdfs = new Map<number, string>();
  private readonly cables = new Map<number, string>();

  /** The document as the chain view gives it: codes in place of the ids the fast study returned. */
  async complete(db: Executor, doc: ReservationDoc & FastDocIds): Promise<ReservationDoc> {
    if (doc.site_id === undefined) return doc;
    const {
      site_id: site = null,
      mdf_id: mdf = null,
      sdf_id: sdf = null,
      dp_cable_id: cable = null,
      ...rest
    } = doc;
    const maps = [this.sites, this.mdfs, this.sdfs, this.cables];
    const ids = [site, mdf, sdf, cable];
    const want = ids.map((id, i) => (id !== null && !maps[i]!.has(id) ? id : null));
    if (want.some((x) => x !== null)) {
      const r = await sql<{
        site: string | null;
        mdf: string | null;
        sdf: string | null;
        cable: string | null;
      }>`
        SELECT (SELECT code FROM inv_site WHERE id = ${want[0]}::bigint) AS site,
               (SELECT code FROM inv_mdf WHERE id = ${want[1]}::bigint) AS mdf,
               (SELECT code FROM inv_sdf WHERE id = ${want[2]}::bigint) AS sdf,
               (SELECT code FROM inv_cable WHERE id = ${want[3]}::bigint) AS cable`.execute(db);
      const row = r.rows[0];
      const got = [row?.site, row?.mdf, row?.sdf, row?.cable];
      want.forEach((id, i) => {
        const c = got[i];
        if (id !== null && c != null) maps[i]!.set(id, c);
      });
    }
    const code = (i: number) => (ids[i] === null ? null : (maps[i]!.get(ids[i]!) ?? null));
    return { ...rest, site_code: code(0), mdf_code: code(1), sdf_code: code(2), dp_cable: code(3) };
  }
}

/** What the fast study's document gives by id instead of by code (migration 0250). */
interface FastDocIds {
  site_id?: number | null;
  mdf_id?: number | null;
  sdf_id?: number | null;
  dp_cable_id?: number | null;
}

export type StudyOutcome =
  | { feasible: true; reservationId: number; reused: boolean; reservation: Reservation }
  | (NotFeasible & { held: boolean });

type StudyAnswer =
  | { feasible: true; reused: boolean; reservation: ReservationDoc & FastDocIds }
  | (NotFeasible & { held: boolean })
  | { error: 'number.unavailable' | 'shop.not_found' | 'failed'; detail: string };

/**
 * The study, one statement: idempotent per request (a live reservation is returned). Run it on the
 * pool for a study of its own (one round trip, one commit), or inside the caller's transaction.
 * `trigger` is the capacity signal that re-studies a held request (it writes `pending.resumed`).
 */
export async function runStudy(
  db: Executor,
  input: StudyInput,
  by: Actor,
  codes: PlantCodes,
  trigger?: CapacitySignal,
): Promise<StudyOutcome> {
  return completed(db, codes, await callStudy(db, input, by, trigger));
}

async function callStudy(
  db: Executor,
  input: StudyInput,
  by: Actor,
  trigger: CapacitySignal | undefined,
): Promise<Exclude<StudyAnswer, { error: string }>> {
  return studyStatement(db, input, studyDoc(input, trigger), by, trigger);
}

/** One study, one statement, on a document `studyDoc` made. */
async function studyStatement(
  db: Executor,
  input: StudyInput,
  { doc, zone }: { doc: string; zone: string },
  by: Actor,
  trigger?: CapacitySignal,
): Promise<Exclude<StudyAnswer, { error: string }>> {
  // A re-study on new capacity runs guarded (its own subtransaction): see pending.service.ts.
  const fn = trigger ? sql.raw('inv_study_guarded') : sql.raw('inv_study');
  const r = await sql<{ out: StudyAnswer }>`
    SELECT ${fn}(${doc}::jsonb, ${zone}, ${by.userId}::bigint, ${by.actor ?? null}) AS out`.execute(db);
  return answerOf(input, r.rows[0]?.out as StudyAnswer);
}

/** The study's input as inv_study reads it (JSON text) and the zone a hold would be filed under. */
function studyDoc(input: StudyInput, trigger: CapacitySignal | undefined): { doc: string; zone: string } {
  if (input.kind === 'mobile') {
    if (!input.shop)
      throw invInvalid('inventory.invalid', 'shop', 'a mobile line is studied at a shop: give its code');
  } else if (!input.address) {
    throw invInvalid('inventory.invalid', 'address', 'a fixed line is studied at an address');
  }
  const doc = {
    ...input,
    product: input.product.toUpperCase(),
    ...(input.shop ? { shop: input.shop.toUpperCase() } : {}),
    ...(trigger ? { trigger } : {}),
  };
  const zone = input.address ? zoneKey(input.address.locality, input.address.district) : '';
  return { doc: JSON.stringify(doc), zone };
}

/** inv_study's answer, its refusals as the module's coded errors. */
function answerOf(input: StudyInput, out: StudyAnswer): Exclude<StudyAnswer, { error: string }> {
  if ('error' in out) {
    switch (out.error) {
      case 'shop.not_found':
        throw invNotFound('inventory.not_found', 'shop', out.detail, 'shop');
      case 'number.unavailable':
        throw invConflict('number.unavailable', out.detail, 'preferredNumber');
      case 'failed':
        throw new Error(`study of ${input.requestRef} failed: ${out.detail}`);
    }
  }
  return out;
}

async function completed(
  db: Executor,
  codes: PlantCodes,
  out: Exclude<StudyAnswer, { error: string }>,
): Promise<StudyOutcome> {
  if (!out.feasible) return out;
  const reservation = reservationFromDoc(await codes.complete(db, out.reservation));
  return { feasible: true, reused: out.reused, reservationId: out.reservation.id, reservation };
}

interface Queued {
  input: StudyInput;
  by: Actor;
  doc: string;
  zone: string;
  resolve: (out: StudyOutcome) => void;
  reject: (err: unknown) => void;
}

/**
 * Stand-alone studies (each in a transaction of its own) on a few lanes: a study that finds a lane
 * free goes at once, alone, as before; studies that arrive while every lane is busy queue, and the
 * next free lane takes up to `maxBatch` of them as one call of `inv_study_many` (migrations 0251, 0252) —
 * one round trip, one transaction and one commit for the lot, and no more backends at work than
 * lanes. It is group commit: each study still gets its own answer once the batch has committed.
 * A study that fails (an error, not an answer) rolls its batch back; each of that batch's studies
 * is then run again on its own, so one bad study fails only itself.
 */
export class StudyBatcher {
  private readonly queue: Queued[] = [];
  private busy = 0;
  /** Studies in the lanes' batches. */
  private running = 0;
  /** Studies and batches sent, for the benchmark and tests (a batch of one counts as one). */
  readonly stats = { studies: 0, batches: 0, retriedAlone: 0 };

  constructor(
    private readonly db: Db,
    private readonly codes: PlantCodes,
    private readonly lanes: number,
    private readonly maxBatch = 16,
  ) {}

  study(input: StudyInput, by: Actor): Promise<StudyOutcome> {
    const { doc, zone } = studyDoc(input, undefined);
    return new Promise<StudyOutcome>((resolve, reject) => {
      this.queue.push({ input, by, doc, zone, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.busy < this.lanes && this.queue.length > 0) {
      // An even share of the studies waiting or running per lane: a lane that took everything
      // queued would leave the other with one study, and the two would stay that way.
      const share = Math.ceil((this.queue.length + this.running) / this.lanes);
      const batch = this.queue.splice(0, Math.min(this.maxBatch, share));
      this.busy++;
      this.running += batch.length;
      this.stats.batches++;
      this.stats.studies += batch.length;
      // The lane is given back a turn of the event loop later: the callers just answered ask their
      // next study first, and go into this lane's next batch instead of each taking it alone.
      void this.send(batch).finally(() =>
        setImmediate(() => {
          this.running -= batch.length;
          this.busy--;
          this.pump();
        }),
      );
    }
  }

  private async send(batch: Queued[]): Promise<void> {
    if (batch.length === 1) {
      const q = batch[0]!;
      await this.alone(q);
      return;
    }
    let outs: StudyAnswer[];
    try {
      const r = await sql<{ out: StudyAnswer[] }>`
        SELECT inv_study_many(${`[${batch.map((q) => q.doc).join(',')}]`}::jsonb, ${batch.map((q) => q.zone)}::text[],
          ${batch.map((q) => q.by.userId)}::bigint[], ${batch.map((q) => q.by.actor ?? null)}::text[]) AS out`.execute(
        this.db,
      );
      outs = r.rows[0]?.out ?? [];
    } catch {
      // Rolled back as a whole: each study again on its own (its error, if any, is its own).
      this.stats.retriedAlone += batch.length;
      await Promise.all(batch.map((q) => this.alone(q)));
      return;
    }
    await Promise.all(
      batch.map(async (q, i) => {
        try {
          q.resolve(await completed(this.db, this.codes, answerOf(q.input, outs[i] as StudyAnswer)));
        } catch (err) {
          q.reject(err);
        }
      }),
    );
  }

  private async alone(q: Queued): Promise<void> {
    try {
      q.resolve(await completed(this.db, this.codes, await studyStatement(this.db, q.input, q, q.by)));
    } catch (err) {
      q.reject(err);
    }
  }
}

/**
 * Gives a reservation's resources back (compensation of a cancelled or rejected request). Numbers
 * that were only reserved go straight back to free: nobody was ever called on them.
 */
export async function releaseInTrx(
  db: Executor,
  reservationId: number,
  reason: string,
  by: Actor,
): Promise<CapacitySignal[]> {
  const r = await db
    .selectFrom('inv_reservation')
    .selectAll()
    .where('id', '=', reservationId)
    .forUpdate()
    .executeTakeFirst();
  if (!r) throw invNotFound('reservation.not_found', 'reservation', reservationId);
  if (r.status !== 'reserved')
    throw invConflict('reservation.closed', `reservation ${r.code} is already ${r.status}`);
  await db
    .updateTable('inv_reservation')
    .set({ status: 'released', closed_at: new Date() })
    .where('id', '=', r.id)
    .execute();
  const history: Parameters<typeof recordStatus>[1] = [];
  const signals: CapacitySignal[] = [];
  const pairs = [r.primary_pair_id, r.distribution_pair_id].filter((x): x is number => x !== null);
  if (pairs.length) {
    const rows = await sql<{ id: number; kind: string; cp: string | null; sdf: string }>`
      UPDATE inv_pair p SET status = 'free', updated_at = now() FROM inv_sdf s
      WHERE p.id = ANY(${pairs}::bigint[]) AND s.id = p.sdf_id AND p.status = 'reserved'
      RETURNING p.id, p.kind, (SELECT code FROM inv_cp WHERE id = p.cp_id) AS cp, s.code AS sdf`.execute(db);
    for (const p of rows.rows) {
      history.push({ type: 'pair', id: p.id, from: 'reserved', to: 'free' });
      signals.push(
        p.kind === 'primary'
          ? { elementType: 'sdf', code: p.sdf, reason: 'released' }
          : { elementType: 'cp', code: p.cp ?? '', reason: 'released' },
      );
    }
  }
  if (r.port_id) {
    const rows = await sql<{ code: string }>`
      UPDATE inv_port p SET status = 'free', updated_at = now() FROM inv_site s
      WHERE p.id = ${r.port_id} AND s.id = p.site_id AND p.status = 'reserved' RETURNING s.code`.execute(db);
    if (rows.rows[0]) {
      history.push({ type: 'port', id: r.port_id, from: 'reserved', to: 'free' });
      signals.push({ elementType: 'site', code: rows.rows[0].code, reason: 'released' });
    }
  }
  if (r.base_station_id) {
    const rows = await sql<{
      code: string;
    }>`UPDATE inv_base_station SET used = used - 1 WHERE id = ${r.base_station_id} RETURNING code`.execute(
      db,
    );
    if (rows.rows[0])
      signals.push({ elementType: 'base_station', code: rows.rows[0].code, reason: 'released' });
  }
  if (r.sim_id) {
    const rows = await sql<{ code: string | null }>`
      UPDATE inv_sim s SET reservation_id = NULL, updated_at = now() WHERE id = ${r.sim_id}
      RETURNING (SELECT code FROM inv_shop WHERE id = s.shop_id) AS code`.execute(db);
    if (rows.rows[0]?.code)
      signals.push({ elementType: 'shop', code: rows.rows[0].code, reason: 'released' });
  }
  if (r.directory_number) {
    await sql`UPDATE inv_number SET status = 'free', updated_at = now() WHERE number = ${r.directory_number} AND status = 'reserved'`.execute(
      db,
    );
    history.push({ type: 'number', id: r.directory_number, from: 'reserved', to: 'free' });
    signals.push({ elementType: 'number_pool', code: r.product_code, reason: 'released' });
  }
  await recordStatus(db, history, reason, r.id, by);
  await appendEvent(db, {
    entityType: 'reservation',
    entityId: r.code,
    kind: 'reservation.released',
    lineId: r.directory_number,
    userId: by.userId,
    actor: by.actor ?? null,
    payload: { requestRef: r.request_ref, reason },
  });
  return signals;
}
