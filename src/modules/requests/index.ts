import type { Db } from '../../platform/db.js';
import { SYSTEM } from '../../platform/events.js';
import type { BillingServices } from '../billing/index.js';
import type { InventoryServices } from '../inventory/index.js';
import type { ReferentialServices } from '../referential/index.js';
import type { WorkflowServices } from '../workflow/index.js';
import { DEFAULT_SCENARIOS } from './default-scenarios.js';
import { registerLineHandlers, wireAutomaticResume } from './line.handlers.js';
import { registerRequestHandlers } from './request.handlers.js';
import { RequestService } from './request.service.js';

export interface RequestsModule {
  requests: RequestService;
  /** Stores the shipped scenarios (a new version only where the shipped document changed). */
  loadDefaultScenarios: () => Promise<void>;
  /** Waits until the held requests the inventory resumed so far have been signalled (tests, shutdown). */
  resumesSettled: () => Promise<void>;
}

export function createRequests(
  db: Db,
  deps: {
    referential: ReferentialServices;
    billing: BillingServices;
    workflow: WorkflowServices;
    inventory: InventoryServices;
    /** Where a failed automatic resume is reported (the hold's periodic recheck catches up). */
    onError?: (err: unknown) => void;
  },
): RequestsModule {
  registerRequestHandlers(deps.workflow.handlers, deps);
  registerLineHandlers(deps.workflow.handlers, deps);
  const resume = wireAutomaticResume(deps.inventory, deps.workflow, deps.onError ?? (() => undefined));
  return {
    requests: new RequestService(db, deps.referential, deps.workflow),
    loadDefaultScenarios: async () => {
      for (const s of DEFAULT_SCENARIOS) await deps.workflow.scenarios.createVersion(s, SYSTEM);
    },
    resumesSettled: async () => {
      // capacity freed by a step's transaction is announced after its commit, then resumes signalled
      await deps.inventory.relay.settled();
      await resume.settled();
    },
  };
}

export { registerRequestRoutes } from './requests.routes.js';
export { DEFAULT_SCENARIOS, scenarioFor } from './default-scenarios.js';
export { PENDING_RESUMED } from './line.handlers.js';
export { fixedLineProfile } from './network.js';
export type { RequestService, ServiceRequest, RequestView } from './request.service.js';
