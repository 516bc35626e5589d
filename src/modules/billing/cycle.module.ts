import type { Clock } from '../../platform/clock.js';
import type { Db, Tx } from '../../platform/db.js';
import { SYSTEM, type Actor } from '../../platform/events.js';
import type { RequestService } from '../requests/index.js';
import type { WorkflowServices } from '../workflow/index.js';
import { AccountService } from './accounts.service.js';
import { billOnDemandIn } from './on-demand.js';
import { RefundService } from './refund.js';
import { CentralisationService } from './centralisation.service.js';
import { registerCollectionHandlers } from './collection-handlers.js';
import { COLLECTION_SCENARIOS } from './collection-scenario.js';
import { CollectionService, type CollectionPorts } from './collection.service.js';
import { DeliveryService, type MailSettings } from './delivery.service.js';
import { runBilling, type RunOptions, type RunResult } from './invoice-run.js';
import { InvoiceService, type InvoiceDoc } from './invoices.service.js';
import { MeterService } from './meter.service.js';
import { PaymentService } from './payments.service.js';

export interface BillingCycleServices {
  db: Db;
  currency: string;
  clock: Clock;
  invoices: InvoiceService;
  meters: MeterService;
  payments: PaymentService;
  accounts: AccountService;
  /** Money given back to a payer in credit (refund.ts). */
  refunds: RefundService;
  /** An invoice now of the charges waiting for the payer's next bill (on-demand.ts), in `trx`. */
  billOnDemand: (
    trx: Tx,
    input: { payerId: number; source: { type: string; id: string } },
    by: Actor,
  ) => Promise<InvoiceDoc>;
  collection: CollectionService;
  /** Delivery of a run's bills: paper print batch in postal order, e-mail outbox and sender. */
  delivery: DeliveryService;
  centralisation: CentralisationService;
  /** The billing run of a period (see invoice-run.ts). */
  run: (opts: RunOptions, by: Actor) => Promise<RunResult>;
  /** The daily collection run at the clock's date (or `at`). */
  collect: (by: Actor, at?: Date) => ReturnType<CollectionService['run']>;
}

/**
 * The billing cycle, payments, collection and centralisation. Collection starts limitation,
 * suspension and restoration as service requests through the requests module's public service
 * (its scenarios drive the activation automaton) and resumes held limitations through the
 * workflow's signals.
 */
export function createBillingCycle(
  db: Db,
  deps: {
    currency: string;
    requests: RequestService;
    workflow: WorkflowServices;
    clock?: Clock;
    mail?: MailSettings;
  },
): BillingCycleServices {
  const clock = deps.clock ?? deps.workflow.engine.clock;
  registerCollectionHandlers(deps.workflow.handlers);
  let scenariosReady = false;
  const ports: CollectionPorts = {
    startRequest: async (input, by) => {
      // stored on first use (a new version only where the shipped document changed)
      if (input.scenario && !scenariosReady) {
        for (const def of COLLECTION_SCENARIOS) await deps.workflow.scenarios.createVersion(def, SYSTEM);
        scenariosReady = true;
      }
      const r = await deps.requests.create(
        {
          kind: input.kind,
          customer: input.customer,
          payerId: input.payerId,
          subscriptionId: input.subscriptionId,
          channel: 'api',
          details: input.details,
          ...(input.scenario ? { scenario: input.scenario } : {}),
          ...(input.accessChange ? { accessChange: input.accessChange } : {}),
        },
        by,
      );
      return { number: r.number };
    },
    requestStatus: async (ref) => (await deps.requests.get(ref)).status,
    cancelRequest: async (ref, reason, by) => {
      await deps.requests.cancel(ref, reason, by);
    },
    signal: (event, payload, by) => deps.workflow.signal(event, payload, by),
  };
  const collection = new CollectionService(db, ports);
  const payments = new PaymentService(db, deps.currency);
  // restoration follows the payment; if it fails now, the daily run restores the lines
  payments.onPaid = async (payerId) => {
    await collection.settle(payerId, clock.now(), SYSTEM).catch(() => false);
  };
  return {
    db,
    currency: deps.currency,
    clock,
    invoices: new InvoiceService(db, deps.currency),
    meters: new MeterService(db),
    payments,
    accounts: new AccountService(db, deps.currency),
    refunds: new RefundService(db, deps.currency),
    billOnDemand: (trx, input, by) => billOnDemandIn(trx, deps.currency, { ...input, at: clock.now() }, by),
    collection,
    delivery: new DeliveryService(db, deps.currency, deps.mail ?? {}),
    centralisation: new CentralisationService(db, deps.currency),
    run: (opts, by) => runBilling(db, deps.currency, opts, by, clock.now()),
    collect: (by, at) => collection.run(at ?? clock.now(), by),
  };
}
