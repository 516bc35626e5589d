/**
 * Customer assistance (seed: "Assistance aux clients, réclamation, dérangement"): the line
 * consultation, faults on the fault scenarios, plant incidents, complaints, rebates, work orders
 * and their follow-up. docs/assistance.md describes the model, rules and API.
 *
 *   const a = createAssistance(db, { referential, workflow, billing, inventory });
 *   a.lines.view(number)                 the line consultation
 *   a.faults.report({ line, symptom }, actor) / close / reopen
 *   a.incidents.open({ scope, … }, actor) / repair
 *   a.complaints.open({ customer|line, category, subject }, actor)
 *   a.rebates.request(…) / decide(ref, { decision }, approver)
 *   a.workOrders.start / report / pdf
 *   a.setLineStatusSource(source)        plug the activation automaton's line-status query in
 *   loadAssistanceScenarios(workflow)    store the shipped scenarios (bootstrap, demo)
 */
import type { Db } from '../../platform/db.js';
import { SYSTEM } from '../../platform/events.js';
import type { WorkflowServices } from '../workflow/index.js';
import { registerAssistanceHandlers } from './assistance.handlers.js';
import { ASSISTANCE_SCENARIOS } from './assistance.scenarios.js';
import { ComplaintService } from './complaint.service.js';
import { AssistanceContext, type AssistanceConfig, type AssistanceDeps } from './context.js';
import { FaultService } from './fault.service.js';
import { FollowUpService } from './followup.service.js';
import { IncidentService } from './incident.service.js';
import { NO_LINE_STATUS, type LineStatusSource } from './line-status.js';
import { LineViewService } from './line-view.service.js';
import { RebateService } from './rebate.service.js';
import { WorkOrderService } from './work-order.service.js';

export interface AssistanceModule {
  lines: LineViewService;
  faults: FaultService;
  incidents: IncidentService;
  complaints: ComplaintService;
  rebates: RebateService;
  workOrders: WorkOrderService;
  followUp: FollowUpService;
  setLineStatusSource: (source: LineStatusSource) => void;
}

export const DEFAULT_REBATE_SMALL_LIMIT = 25_000;

export function createAssistance(
  db: Db,
  deps: AssistanceDeps,
  config: Partial<AssistanceConfig> & { lineStatus?: LineStatusSource } = {},
): AssistanceModule {
  const ctx = new AssistanceContext(
    db,
    deps,
    {
      currency: config.currency ?? 'XOF',
      rebateSmallLimit: config.rebateSmallLimit ?? DEFAULT_REBATE_SMALL_LIMIT,
    },
    config.lineStatus ?? NO_LINE_STATUS,
  );
  const workOrders = new WorkOrderService(ctx);
  const rebates = new RebateService(ctx);
  registerAssistanceHandlers(deps.workflow.handlers, ctx, { workOrders, rebates });
  return {
    lines: new LineViewService(ctx),
    faults: new FaultService(ctx),
    incidents: new IncidentService(ctx),
    complaints: new ComplaintService(ctx),
    rebates,
    workOrders,
    followUp: new FollowUpService(ctx),
    setLineStatusSource: (source) => {
      ctx.lineStatus = source;
    },
  };
}

/** Stores the shipped assistance scenarios (a new version only where the shipped document changed). */
export async function loadAssistanceScenarios(workflow: WorkflowServices): Promise<void> {
  for (const s of ASSISTANCE_SCENARIOS) await workflow.scenarios.createVersion(s, SYSTEM);
}

export { registerAssistanceRoutes } from './assistance.routes.js';
export { activationLineStatus } from './activation-line-status.js';
export { ASSISTANCE_SCENARIOS } from './assistance.scenarios.js';
export type { LineStatus, LineStatusSource, LineRef, LineState } from './line-status.js';
export type { FaultView } from './fault.service.js';
export type { RebateView } from './rebate.service.js';
export type { WorkOrderView } from './work-order.service.js';
export type { ComplaintView } from './complaint.service.js';
export type { IncidentView } from './incident.service.js';
