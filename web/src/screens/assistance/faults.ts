import type { Task } from '../backoffice/tasks';

// Shapes of the assistance API's faults (src/modules/assistance/fault.service.ts).

export const SYMPTOMS = [
  'no_dial_tone',
  'no_incoming_calls',
  'no_outgoing_calls',
  'noise',
  'cut_off',
  'no_network',
  'no_data',
  'other',
] as const;

export const FAULT_STATUSES = ['open', 'resolved', 'closed'] as const;

/** What the line may do on the network, as the element has it, and what in the records holds it so. */
export interface LineAccess {
  voice: boolean | null;
  data: boolean | null;
  barring: string | null;
  effectiveBarring: string | null;
  temporary: { orderId: number; until: string; voice?: boolean; data?: boolean; barring?: string }[];
  limitation: 'limited' | 'changing' | null;
}

export interface LineStatus {
  available: boolean;
  state: string;
  meterIndex: number | null;
  source: string;
  detail: string | null;
  at: string;
  access?: LineAccess;
}

export interface Fault {
  id: number;
  number: string;
  status: 'open' | 'resolved' | 'closed';
  customerId: number;
  lineId: string;
  productKind: string;
  zone: string | null;
  symptom: string;
  description: string | null;
  contactPhone: string | null;
  channel: string;
  diagnosis: {
    verdict: string;
    why: string;
    lineStatus: LineStatus;
    incident: { id: number; number: string } | null;
    at: string;
  };
  incident: { id: number; number: string; status: string } | null;
  causeCode: string | null;
  resolution: string | null;
  reopenCount: number;
  reportedAt: string;
  dueAt: string;
  overdue: boolean;
  resolvedAt: string | null;
  closedAt: string | null;
  timeToRepairMinutes: number | null;
}

export interface FaultDetail extends Fault {
  workOrders: {
    number: string;
    team: string;
    zone: string | null;
    status: string;
    report: string | null;
    causeCode: string | null;
    issuedAt: string | null;
    endedAt: string | null;
  }[];
  notifications: { channel: string; recipient: string; text: string; at: string | null }[];
  workflow: { id: number; scenario: string; scenarioVersion: number; status: string; tasks: Task[] } | null;
}
