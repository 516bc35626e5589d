/**
 * Inventory — the technical side of the operator (seed: "Gestion technique"): fixed plant (sites,
 * switches and equipment numbers, MDF positions, cabinets, concentration points, cables and pairs,
 * cross-connects, radio base stations, serving zones), number pools, SIM stock, the subscriber
 * technical file, automatic studies with path reservation, and pending requests.
 *
 * Service API for the workflow (call these; never this module's tables):
 *
 *   const inv = app.inventory;                       // createInventory(db, secretKey)
 *   inv.service.study({ requestRef, kind, product, address?, shop?, preferredNumber?,
 *                       withNumber?, holdIfNotFeasible? }, actor)
 *     → { feasible: true, reservation, reused } — chain reserved in one statement and one commit
 *       (the database function inv_study, migrations 0210–0250; see study.service.ts) (idempotent
 *       per requestRef while the reservation lives; studies queued behind busy lanes share a
 *       transaction: StudyBatcher, migration 0251), or
 *     → { feasible: false, cause: 'saturation'|'unequipped_zone'|'missing_equipment',
 *         elementType, elementCode, detail, held } — `held` when holdIfNotFeasible was set.
 *   inv.service.studyIn(trx, input, actor)             the same in the caller's transaction: every
 *     call here has an `…In(trx, …)` form (studyIn, assignNumberIn, releaseIn, commitIn, ceaseIn,
 *     pending.cancelIn, sims.replaceIn) so a workflow step and its plant change commit together;
 *     capacity freed that way is announced after the caller's commit (capacity-outbox.ts)
 *   inv.service.registerPending(studyInput, notFeasible, actor)   hold a request (same index)
 *   inv.service.release({ requestRef } | { code }, reason, actor) compensation on cancel/reject
 *   inv.service.assignNumber({ requestRef, product, site?, preferredNumber? }, actor)
 *   inv.service.commit({ requestRef } | { code }, actor)          line built → technical file
 *   inv.service.cease(directoryNumber, reason, actor)             termination: plant freed, number quarantined
 *   inv.service.line(directoryNumber) / inv.service.reservation({ requestRef })
 *   inv.pending.cancel(requestRef, actor)                         the request was abandoned
 *   inv.pending.onResumed(async (resumed) => …)                   in-process: [{ requestRef, reservationId }]
 *
 * Events (in the `event` table, same transaction as the change): `reservation.created|released`,
 * `line.built|ceased`, `pending.registered|resumed|cancelled` (entity `pending_request`, entity id
 * = requestRef, payload.requestRef), `inventory.capacity_available` (entity = element type/code),
 * `pair|port|base_station.status_changed`, `sim.*` (including `sim.puk_disclosed`), imports.
 * When capacity appears (pairs added or repaired, ports installed, pool extended, coverage added,
 * SIMs sent to a shop, a reservation released or a line ceased) the matching held requests are
 * re-studied oldest first and, when feasible, reserved and announced as `pending.resumed`.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Db } from '../../platform/db.js';
import { CapacityBus } from './capacity.js';
import { CapacityRelay } from './capacity-outbox.js';
import { SecretBox } from './crypto.js';
import { CsvService } from './csv.service.js';
import { InventoryService } from './inventory.service.js';
import { PendingService } from './pending.service.js';
import { PlantQueries } from './plant.queries.js';
import { PlantService } from './plant.service.js';
import { PoolService } from './pools.service.js';
import { SimService } from './sim.service.js';

export interface InventoryServices {
  service: InventoryService;
  plant: PlantService;
  queries: PlantQueries;
  pools: PoolService;
  sims: SimService;
  pending: PendingService;
  csv: CsvService;
  bus: CapacityBus;
  /** Announces capacity freed in callers' transactions after they commit (`settled()` for tests). */
  relay: CapacityRelay;
}

/**
 * `secretKey` seals SIM secrets (config: GPTO_SECRET_KEY or `<dataDir>/secret.key`). Only tests build
 * the app without one: they get a key for the life of the process, which is all they need.
 */
export function createInventory(
  db: Db,
  secretKey: Buffer = randomBytes(32),
  onError: (err: unknown) => void = () => undefined,
  options: { studyLanes?: number } = {},
): InventoryServices {
  const bus = new CapacityBus();
  const pending = new PendingService(db);
  bus.subscribe(async (signals) => {
    await pending.onCapacity(signals);
  });
  const relay = new CapacityRelay(db, bus, onError);
  return {
    service: new InventoryService(db, relay, options.studyLanes ?? defaultStudyLanes()),
    relay,
    plant: new PlantService(db, bus),
    queries: new PlantQueries(db),
    pools: new PoolService(db, bus),
    sims: new SimService(db, new SecretBox(secretKey), bus),
    pending,
    csv: new CsvService(db, bus),
    bus,
  };
}

/**
 * Stand-alone studies running at once (GPTO_STUDY_LANES): as many as the machine has cores, at least
 * two; more queue and share a transaction (StudyBatcher).
 */
export function defaultStudyLanes(): number {
  return Math.max(2, availableParallelism());
}

export { registerInventoryRoutes } from './inventory.routes.js';
export type { StudyResult } from './inventory.service.js';
export type { Reservation, TechnicalFile, Chain } from './technical-file.js';
export {
  lineHasLiveTechnicalFile,
  lineTechnicalFileJson,
  technicalFileFromDoc,
  type TechnicalFileDoc,
} from './technical-file.js';
export type { CapacitySignal, NotFeasible, ElementType } from './capacity.js';
export type { Resumed, PendingRequest } from './pending.service.js';
export type { StudyInput, AssignNumberInput, Address } from './inventory.schemas.js';
export { tmfStates } from './inventory.states.js';
export { plantWriters } from './plant.writers.js';
