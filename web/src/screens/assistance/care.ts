import type { Task } from '../backoffice/tasks';

// Shapes of the assistance API's complaints, rebates, plant incidents and work orders
// (src/modules/assistance/{complaint,rebate,incident,work-order}.service.ts).

export const COMPLAINT_CATEGORIES = ['billing', 'service', 'quality', 'commercial', 'other'] as const;
export const COMPLAINT_STATUSES = ['open', 'accepted', 'rejected'] as const;
export const REBATE_STATUSES = ['pending', 'credited', 'rejected'] as const;
export const INCIDENT_STATUSES = ['open', 'repaired'] as const;
export const WORK_ORDER_STATUSES = ['issued', 'in_progress', 'done', 'failed'] as const;
export const WORK_ORDER_TEAMS = ['mdf', 'field', 'switching', 'network_studies'] as const;
/** The cause codes the fault scenarios suggest (the API takes any upper-case code). */
export const CAUSE_CODES = [
  'PAIR_CUT',
  'MDF_JUMPER',
  'SWITCH_CARD',
  'CPE',
  'CABLE_DAMAGE',
  'NO_FAULT',
] as const;

export interface Complaint {
  id: number;
  number: string;
  customerId: number;
  payerId: number;
  subscriptionId: number | null;
  lineId: string | null;
  category: string;
  subject: string;
  description: string | null;
  invoiceNumber: string | null;
  disputedAmount: number | null;
  faultNumber: string | null;
  status: 'open' | 'accepted' | 'rejected';
  decisionReason: string | null;
  rebate: { number: string; amount: number; status: string } | null;
  instanceId: number | null;
  openedAt: string;
  decidedAt: string | null;
}

export interface ComplaintDetail extends Complaint {
  workflow: { id: number; scenario: string; scenarioVersion: number; status: string; tasks: Task[] } | null;
  notifications: { channel: string; recipient: string; text: string; at: string | null }[];
}

export interface Rebate {
  id: number;
  number: string;
  customerId: number;
  payerId: number;
  subscriptionId: number | null;
  lineId: string | null;
  faultNumber: string | null;
  complaintNumber: string | null;
  reason: string;
  method: 'fixed' | 'outage';
  outageMinutes: number | null;
  monthlyPrice: number | null;
  amount: number;
  currency: string;
  approvalLevel: 'small' | 'large';
  status: 'pending' | 'credited' | 'rejected';
  requestedAt: string;
  requestedBy: number | null;
  decidedAt: string | null;
  decidedBy: number | null;
  decisionNote: string | null;
  /** Whether the logged-in user may approve or reject it now, and the server's reason when not. */
  decision: { allowed: boolean; why: string | null };
}

export interface Incident {
  id: number;
  number: string;
  scope: 'cable' | 'pair_range' | 'cp';
  cable: string | null;
  pairFrom: number | null;
  pairTo: number | null;
  cp: string | null;
  zone: string | null;
  description: string;
  status: 'open' | 'repaired';
  pairs: { id: number; cable: string; number: number; previous: string }[];
  skipped: { id: number; cable: string; number: number; status: string }[];
  lines: string[];
  openFaults: string[];
  closedFaults: string[];
  repair: { faultsClosed: number; requestsResumed: string[] } | null;
  openedAt: string;
  repairedAt: string | null;
  repairReport: string | null;
}

export interface WorkOrder {
  id: number;
  number: string;
  faultNumber: string | null;
  incidentNumber: string | null;
  customerId: number | null;
  lineId: string | null;
  team: string;
  zone: string | null;
  instructions: string;
  status: 'issued' | 'in_progress' | 'done' | 'failed';
  report: string | null;
  causeCode: string | null;
  assigneeId: number | null;
  issuedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  ageHours: number;
}

/** What an incident covers, in a few words: "cable D1", "D1 pairs 3–7", "CP PC1". */
export function incidentScope(i: Incident, t: (k: string, o?: Record<string, unknown>) => string): string {
  if (i.scope === 'cp') return t('incident.scopeCp', { cp: i.cp });
  if (i.scope === 'pair_range')
    return t('incident.scopeRange', { cable: i.cable, from: i.pairFrom, to: i.pairTo });
  return t('incident.scopeCable', { cable: i.cable });
}
