import type { Db, Executor, Tx } from '../../platform/db.js';
import type { Actor } from '../../platform/events.js';
import type { NotFeasible } from './capacity.js';
import { recordCapacity, type CapacityRelay } from './capacity-outbox.js';
import { invConflict, invNotFound } from './inventory.errors.js';
import type { AssignNumberInput, StudyInput } from './inventory.schemas.js';
import { ceaseInTrx, commitInTrx, relocateInTrx } from './line.service.js';
import { registerInTrx } from './pending.service.js';
import { idOf } from './plant.writers.js';
import {
  PlantCodes,
  StudyBatcher,
  pickNumber,
  releaseInTrx,
  reserveChain,
  runStudy,
} from './study.service.js';
import { loadLine, loadReservation, type Reservation, type TechnicalFile } from './technical-file.js';

/** The id of the reservation a reference names (its latest one for a request). */
async function reservationId(trx: Executor, ref: { code?: string; requestRef?: string }): Promise<number> {
  const row = ref.code
    ? await trx
        .selectFrom('inv_reservation')
        .select('id')
        .where('code', '=', ref.code.toUpperCase())
        .executeTakeFirst()
    : await trx
        .selectFrom('inv_reservation')
        .select('id')
        .where('request_ref', '=', ref.requestRef ?? '')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
  if (!row) throw invNotFound('reservation.not_found', 'reservation', ref.code ?? ref.requestRef ?? '');
  return row.id;
}

export type StudyResult =
  { feasible: true; reused: boolean; reservation: Reservation } | (NotFeasible & { held: boolean });

/**
 * Studies, reservations and the technical file: the calls the workflow makes (see index.ts).
 *
 * Each call comes in two forms: `x(…)` runs in a transaction of its own, `xIn(trx, …)` in the
 * caller's, so that a workflow step and the plant change it makes commit or roll back together
 * (a worker killed between the two can then leave neither a reservation without its step nor the
 * reverse). Capacity freed in the caller's transaction is announced after its commit (see
 * capacity-outbox.ts).
 */
export class InventoryService {
  /** Codes of sites, MDFs, cabinets and cables by id, for the study's document (study.service.ts). */
  private readonly codes = new PlantCodes();
  /** Stand-alone studies on `studyLanes` lanes, batched when they queue (study.service.ts). */
  readonly studies: StudyBatcher;

  constructor(
    private readonly db: Db,
    private readonly relay: CapacityRelay,
    studyLanes: number,
  ) {
    this.studies = new StudyBatcher(db, this.codes, studyLanes);
  }

  /**
   * Automatic study + reservation in a transaction of its own: one statement, one commit (studies
   * that arrive while every lane is busy share one, see StudyBatcher). Idempotent per requestRef
   * while its reservation lives. Not feasible → the cause; with `holdIfNotFeasible` the request is
   * also held, in the same transaction. A held request that becomes feasible this way is marked
   * resumed.
   */
  async study(input: StudyInput, by: Actor): Promise<StudyResult> {
    const out = await this.studies.study(input, by);
    if (!out.feasible) return out;
    return { feasible: true, reused: out.reused, reservation: out.reservation };
  }

  /** The study in the caller's transaction (the same single statement). */
  async studyIn(trx: Executor, input: StudyInput, by: Actor): Promise<StudyResult> {
    const out = await runStudy(trx, input, by, this.codes);
    if (!out.feasible) return out;
    return { feasible: true, reused: out.reused, reservation: out.reservation };
  }

  /** Holds a request the caller found not feasible (e.g. from a study result it kept). */
  async registerPending(input: StudyInput, why: NotFeasible, by: Actor): Promise<void> {
    await this.db.transaction().execute((trx) => registerInTrx(trx, input, why, by));
  }

  /** Compensation: gives back everything a request's live reservation holds; capacity may resume others. */
  async release(
    ref: { code?: string; requestRef?: string },
    reason: string,
    by: Actor,
  ): Promise<Reservation> {
    const r = await this.db.transaction().execute((trx) => this.releaseWith(trx, ref, reason, by));
    await this.relay.drain();
    return r.reservation;
  }

  /**
   * The release in the caller's transaction; the freed capacity is announced (held requests
   * re-studied) once that transaction has committed, and not at all if it rolls back.
   */
  async releaseIn(
    trx: Tx,
    ref: { code?: string; requestRef?: string },
    reason: string,
    by: Actor,
  ): Promise<Reservation> {
    const r = await this.releaseWith(trx, ref, reason, by);
    this.relay.afterCommit(r.signalRow);
    return r.reservation;
  }

  private async releaseWith(
    trx: Tx,
    ref: { code?: string; requestRef?: string },
    reason: string,
    by: Actor,
  ): Promise<{ reservation: Reservation; signalRow: number | null }> {
    const id = await reservationId(trx, ref);
    const signals = await releaseInTrx(trx, id, reason, by);
    const signalRow = await recordCapacity(trx, signals);
    return { reservation: await loadReservation(trx, { id }), signalRow };
  }

  /** The line is built: the reservation becomes its technical file. */
  commit(ref: { code?: string; requestRef?: string }, by: Actor): Promise<TechnicalFile> {
    return this.db.transaction().execute((trx) => this.commitIn(trx, ref, by));
  }

  async commitIn(trx: Tx, ref: { code?: string; requestRef?: string }, by: Actor): Promise<TechnicalFile> {
    const id = await reservationId(trx, ref);
    await commitInTrx(trx, id, by);
    return loadLine(trx, (await loadReservation(trx, { id })).directoryNumber as string);
  }

  /** The line ceases: plant freed, number to quarantine. */
  async cease(directoryNumber: string, reason: string, by: Actor): Promise<TechnicalFile> {
    const line = await this.db.transaction().execute(async (trx) => {
      await recordCapacity(trx, await ceaseInTrx(trx, directoryNumber, reason, by));
      return loadLine(trx, directoryNumber);
    });
    await this.relay.drain();
    return line;
  }

  /** The cessation in the caller's transaction; freed capacity is announced after its commit. */
  async ceaseIn(trx: Tx, directoryNumber: string, reason: string, by: Actor): Promise<TechnicalFile> {
    this.relay.afterCommit(await recordCapacity(trx, await ceaseInTrx(trx, directoryNumber, reason, by)));
    return loadLine(trx, directoryNumber);
  }

  /**
   * Relocation: the line keeps its number and moves onto the chain the request's study reserved at
   * the new address; its old plant is freed (announced after the caller's commit).
   */
  async relocateIn(
    trx: Tx,
    i: { requestRef: string; directoryNumber: string },
    reason: string,
    by: Actor,
  ): Promise<TechnicalFile> {
    const r = await relocateInTrx(trx, i.requestRef, i.directoryNumber, reason, by);
    this.relay.afterCommit(await recordCapacity(trx, r.signals));
    return loadLine(trx, i.directoryNumber);
  }

  /**
   * Number assignment: adds a number to the request's live reservation, or reserves one on its own
   * (kind `number`) when the request has none. A customer's choice is honoured or refused (409).
   */
  assignNumber(i: AssignNumberInput, by: Actor): Promise<Reservation> {
    return this.db.transaction().execute((trx) => this.assignNumberIn(trx, i, by));
  }

  async assignNumberIn(trx: Tx, i: AssignNumberInput, by: Actor): Promise<Reservation> {
    const live = await trx
      .selectFrom('inv_reservation')
      .selectAll()
      .where('request_ref', '=', i.requestRef)
      .where('status', '=', 'reserved')
      .forUpdate()
      .executeTakeFirst();
    if (live?.directory_number) {
      if (i.preferredNumber && i.preferredNumber !== live.directory_number)
        throw invConflict(
          'number.unavailable',
          `request ${i.requestRef} already holds ${live.directory_number}; release it first`,
          'preferredNumber',
        );
      return loadReservation(trx, { id: live.id });
    }
    let siteId: number | null = i.site ? await idOf(trx, 'inv_site', i.site, 'site') : null;
    if (!siteId && live?.port_id)
      siteId = (
        await trx
          .selectFrom('inv_port')
          .select('site_id')
          .where('id', '=', live.port_id)
          .executeTakeFirstOrThrow()
      ).site_id;
    const n = await pickNumber(trx, i.product, siteId, i.preferredNumber);
    if ('feasible' in n) throw invConflict('number.unavailable', n.detail, 'product');
    if (live) {
      await trx
        .updateTable('inv_reservation')
        .set({ directory_number: n.number })
        .where('id', '=', live.id)
        .execute();
      await trx
        .updateTable('inv_number')
        .set({ status: 'reserved', quarantine_until: null, updated_at: new Date() })
        .where('number', '=', n.number)
        .execute();
      await trx
        .insertInto('inv_resource_history')
        .values({
          resource_type: 'number',
          resource_id: n.number,
          from_status: n.from,
          to_status: 'reserved',
          reason: `assigned to ${i.requestRef}`,
          reservation_id: live.id,
          user_id: by.userId,
        })
        .execute();
      return loadReservation(trx, { id: live.id });
    }
    const id = await reserveChain(
      trx,
      { requestRef: i.requestRef, product: i.product },
      { kind: 'number', number: n },
      by,
    );
    return loadReservation(trx, { id });
  }

  reservation(ref: { code?: string; requestRef?: string }, db: Executor = this.db): Promise<Reservation> {
    return loadReservation(db, ref);
  }

  line(directoryNumber: string, db: Executor = this.db): Promise<TechnicalFile> {
    return loadLine(db, directoryNumber);
  }

  /** Announces capacity freed by transactions whose relay did not run (e.g. a process that died). */
  announceLeftovers(): Promise<number> {
    return this.relay.drain();
  }
}
