import type { Db } from '../../platform/db.js';
import type { Actor } from '../../platform/events.js';
import type { CapacityBus, CapacitySignal, NotFeasible } from './capacity.js';
import { invConflict } from './inventory.errors.js';
import type { AssignNumberInput, StudyInput } from './inventory.schemas.js';
import { ceaseInTrx, commitInTrx } from './line.service.js';
import { registerInTrx, type PendingService } from './pending.service.js';
import { idOf } from './plant.writers.js';
import { pickNumber, releaseInTrx, reserveChain, runStudy } from './study.service.js';
import { loadLine, loadReservation, type Reservation, type TechnicalFile } from './technical-file.js';

export type StudyResult =
  { feasible: true; reused: boolean; reservation: Reservation } | (NotFeasible & { held: boolean });

/** Studies, reservations and the technical file: the calls the workflow makes (see index.ts). */
export class InventoryService {
  constructor(
    private readonly db: Db,
    private readonly bus: CapacityBus,
    private readonly pending: PendingService,
  ) {}

  /**
   * Automatic study + reservation: one statement, hence one transaction and one commit. Idempotent
   * per requestRef while its reservation lives. Not feasible → the cause; with `holdIfNotFeasible`
   * the request is also held, in the same transaction. A held request that becomes feasible this
   * way is marked resumed.
   */
  async study(input: StudyInput, by: Actor): Promise<StudyResult> {
    const out = await runStudy(this.db, input, by);
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
    let signals: CapacitySignal[] = [];
    const code = await this.db.transaction().execute(async (trx) => {
      const r = await loadReservation(trx, ref);
      const row = await trx
        .selectFrom('inv_reservation')
        .select('id')
        .where('code', '=', r.code)
        .executeTakeFirstOrThrow();
      signals = await releaseInTrx(trx, row.id, reason, by);
      return r.code;
    });
    await this.bus.announce(signals);
    return loadReservation(this.db, { code });
  }

  /** The line is built: the reservation becomes its technical file. */
  async commit(ref: { code?: string; requestRef?: string }, by: Actor): Promise<TechnicalFile> {
    const number = await this.db.transaction().execute(async (trx) => {
      const r = await loadReservation(trx, ref);
      const row = await trx
        .selectFrom('inv_reservation')
        .select('id')
        .where('code', '=', r.code)
        .executeTakeFirstOrThrow();
      await commitInTrx(trx, row.id, by);
      return r.directoryNumber as string;
    });
    return loadLine(this.db, number);
  }

  /** The line ceases: plant freed, number to quarantine. */
  async cease(directoryNumber: string, reason: string, by: Actor): Promise<TechnicalFile> {
    const signals = await this.db
      .transaction()
      .execute((trx) => ceaseInTrx(trx, directoryNumber, reason, by));
    await this.bus.announce(signals);
    return loadLine(this.db, directoryNumber);
  }

  /**
   * Number assignment: adds a number to the request's live reservation, or reserves one on its own
   * (kind `number`) when the request has none. A customer's choice is honoured or refused (409).
   */
  async assignNumber(i: AssignNumberInput, by: Actor): Promise<Reservation> {
    return this.db.transaction().execute(async (trx) => {
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
    });
  }

  reservation(ref: { code?: string; requestRef?: string }): Promise<Reservation> {
    return loadReservation(this.db, ref);
  }

  line(directoryNumber: string): Promise<TechnicalFile> {
    return loadLine(this.db, directoryNumber);
  }
}
