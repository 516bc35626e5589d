/**
 * Activation — the automaton that drives the network elements (seed: "Activation automatique").
 *
 *   const act = createActivation(db, { keys, workflow });   // keys: SIM Ki/OPc reader (inventory, logged)
 *   await act.start();                                      // loads elements, runs the automaton loop
 *   act.service.order({ operation, lineId, params }, by)    // an order from the API
 *   act.service.query('fixed.status' | 'fixed.meter' | 'mobile.status', params)  // on demand
 *   act.service.journal({ lineId } | { instanceId } | { element }, page)
 *   act.service.replay(orderId, by, params?, retryStep?)    // a refused order again (a request's: its step retried)
 *   act.service.replayRefused({ element, since? }, by, { retryStep? })  // an element's refusals left to handle
 *   act.service.elements() / act.service.upsertElement(…)
 *   act.audit.start(element, { repair }, by) / run(…) / get(id) / items(id, …) / repair(id, by)
 *   await act.stop();
 *
 * Workflow: scenarios call `activation.<operation>` handlers (see workflow.glue.ts and
 * `activationSteps()`); the automaton resumes the waiting hold through the engine when done.
 * Events: `activation.order_queued|order_done|order_refused|order_replayed|revert_due|
 * element_saved|resume_failed`, with the line and the customer.
 */
import { hostname } from 'node:os';
import { Sealer } from '../../platform/sealed.js';
import type { Db } from '../../platform/db.js';
import { systemClock, type Clock } from '../../platform/clock.js';
import type { HandlerRegistry, Wake, WorkflowEngine } from '../workflow/index.js';
import { ActivationService } from './activation.service.js';
import { Automaton, type AutomatonOptions } from './automaton.js';
import { ElementManager, type ManagerOptions } from './element-manager.js';
import { JournalWriter } from './journal.js';
import { NetworkAudit, type LineProfile } from './audit.js';
import type { Limitations } from './line-access.js';
import type { KeyReader, ManyKeyReader } from './operations.js';
import { AUTOMATON_ACTOR, registerActivationHandlers, resumeWorkflow } from './workflow.glue.js';

export interface ActivationModule {
  service: ActivationService;
  manager: ElementManager;
  automaton: Automaton;
  journal: JournalWriter;
  /** The network audit: an element's lines against the records, realigned on demand. */
  audit: NetworkAudit;
  /** Loads the elements and starts the automaton loop (gpto start, the automaton worker). */
  start: () => Promise<void>;
  stop: () => Promise<void>;
}

export interface ActivationOptions {
  /** Reads a SIM card's IMSI, Ki and OPc (the inventory's authKeys, which logs every read). */
  keys: KeyReader;
  /** The same for a claimed batch of cards in one transaction (the inventory's authKeysMany). */
  keysMany?: ManyKeyReader;
  workflow?: { engine: WorkflowEngine; handlers: HandlerRegistry };
  clock?: Clock;
  manager?: ManagerOptions;
  automaton?: Partial<Omit<AutomatonOptions, 'clock' | 'keys' | 'onCompleted'>>;
  onError?: (err: unknown) => void;
  /**
   * What a fixed line with these live options holds on its switch (barring class, services): the
   * catalogue's knowledge (requests' fixedLineProfile). Without it the audit neither compares them
   * nor sets them on a line it re-creates.
   */
  lineProfile?: LineProfile;
  /** The lines limited for unpaid bills (billing): the audit expects their access cut accordingly. */
  limitations?: Limitations;
  /** GPTO_SECRET_KEY: seals and opens switch elements' passwords (without it none can be stored). */
  secretKey?: Buffer | undefined;
}

/** Whether a process of this host still runs (a process of another user's counts as running). */
function processAlive(pid: number): boolean {
  if (pid <= 0) return true; // never signal a process group
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function createActivation(db: Db, opts: ActivationOptions): ActivationModule {
  const clock = opts.clock ?? systemClock;
  const onError = opts.onError ?? (() => undefined);
  const journal = new JournalWriter(db, { onError });
  // An element's outages go to the journal as they are seen, so that the switching service can
  // tell on Monday what was down over the weekend, and for how long (ActivationService.outages).
  const me = `${hostname()}:${process.pid}`;
  // (`service` is built below, before any circuit can open)
  const onCircuit = (code: string, state: 'open' | 'closed', error: string | null, since: Date | null) =>
    void service.recordCircuit(code, state, error, since, me).catch(onError);
  const manager = new ElementManager({
    ...opts.manager,
    journal: journal.add,
    onCircuit: (code, state, error, since) => {
      onCircuit(code, state, error, since);
      opts.manager?.onCircuit?.(code, state, error, since);
    },
  });
  const automaton = new Automaton(db, manager, journal, {
    ...opts.automaton,
    clock,
    keys: opts.keys,
    ...(opts.keysMany ? { keysMany: opts.keysMany } : {}),
    onError,
    ...(opts.workflow ? { onCompleted: resumeWorkflow(opts.workflow.engine) } : {}),
    limitations: opts.limitations ?? null,
  });
  const service = new ActivationService(
    db,
    manager,
    opts.keys,
    clock,
    automaton,
    opts.secretKey ? new Sealer(opts.secretKey) : null,
  );
  if (opts.workflow) registerActivationHandlers(opts.workflow.handlers, service, opts.limitations ?? null);
  const audit = new NetworkAudit(db, service, {
    ...(opts.lineProfile ? { lineProfile: opts.lineProfile } : {}),
    ...(opts.limitations ? { limitations: opts.limitations } : {}),
    journal: journal.add,
  });
  // An automaton that stopped while an element was down (a crash, a restart) never journaled the
  // end of that outage: at the next start on its host the element is probed and the outage ended
  // (found back), or ended and carried on as this process's own (still down). Done before the
  // automaton starts, so that no outage of this process is mistaken for the stopped one's.
  const closeStaleOutages = async () => {
    const stale = await service.staleOutages(me, processAlive);
    await Promise.all(
      stale.map(async ({ code, outage }) => {
        const { error } = await service.probe(code);
        await service.endStaleOutage(code, outage, me, error);
        // still down: this process's circuit opens (its own outage), whoever ended the old one
        if (error) manager.markUnreachable(code, error);
      }),
    );
  };
  return {
    service,
    manager,
    automaton,
    journal,
    audit,
    start: async () => {
      await service.loadElements();
      await closeStaleOutages().catch(onError);
      await audit.closeStale().catch(onError);
      automaton.start();
    },
    stop: async () => {
      await audit.interrupt();
      await automaton.stop();
      await journal.flush();
      manager.close();
    },
  };
}

/**
 * For the workflow loops of a process that runs the automaton (WorkOptions.hold): while the automaton
 * is full, the loops leave its steps ready — each order is then written when it can be handed to the
 * automaton at once (ActivationService.queue), not queued for a claim — and they are woken (`wakes`)
 * as soon as it has room.
 */
export function holdWhileFull(automaton: Automaton, wakes: readonly Wake[]): () => readonly string[] {
  automaton.onRoom(() => {
    for (const w of wakes) w.nudge();
  });
  const held = [AUTOMATON_ACTOR.actor!];
  const none: string[] = [];
  return () => (automaton.saturated ? held : none);
}

export { registerActivationRoutes } from './activation.routes.js';
export { activationSteps, AUTOMATON_ACTOR, COMPLETED_EVENT } from './workflow.glue.js';
export { OPERATIONS } from './operations.js';
export { SwitchSimulator } from './switch-sim/simulator.js';
export { startLocalElements } from './local-elements.js';
export type { ElementInput, OrderView, CommandView } from './activation.service.js';
export type { AuditView, AuditItemView } from './audit.js';
export type { Limitation, Limitations } from './line-access.js';
export { lineHasTemporaryAccess } from './line-access.js';
export { AuditScheduler, NIGHTLY_AUDITOR } from './audit-schedule.js';
