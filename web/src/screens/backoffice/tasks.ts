// Shapes of the workflow and request API (see /api/openapi.json), and the helpers their screens share.

export interface TaskField {
  name: string;
  type: 'string' | 'integer' | 'boolean' | 'date';
  required?: boolean;
  label?: string;
  forOutcomes?: string[];
}

export interface Task {
  id: number;
  instanceId: number;
  subject: string;
  /** The subject as people know it (a request's, fault's or complaint's number). */
  subjectRef: string;
  scenario: string;
  node: string;
  label: string;
  kind: string;
  actor: string | null;
  status: string;
  assigneeId: number | null;
  priority: number;
  dueAt: string | null;
  createdAt: string;
  claimedAt: string | null;
  completedAt: string | null;
  outcome: string | null;
  outcomes: string[];
  fields?: TaskField[];
  input: unknown;
  result: unknown;
  lastError: string | null;
  holdCause: string | null;
  customerId: number | null;
  lineId: string | null;
  explanation: unknown;
}

export interface ServiceRequest {
  id: number;
  number: string;
  kind: string;
  scenario: string;
  customerId: number;
  payerId: number;
  subscriptionId: number | null;
  productCode: string | null;
  lineId: string | null;
  status: string;
  channel: string;
  details: unknown;
  reason: string | null;
  createdAt: string;
  closedAt: string | null;
}

export interface RequestView extends ServiceRequest {
  workflow: {
    id: number;
    scenario: string;
    scenarioVersion: number;
    status: string;
    reason: string | null;
    /** The instance's data (`activation.<node>`: the order a step waits for, and its element). */
    data?: Record<string, unknown>;
    tasks: Task[];
    timers: {
      id: number;
      kind: string;
      action: string;
      fireAt: string;
      firedAt: string | null;
      cancelledAt: string | null;
    }[];
  };
  documents: {
    id: number;
    kind: string;
    title: string;
    contentType: string;
    createdAt: string;
    sentAt: string | null;
  }[];
}

export const isOverdue = (t: { dueAt: string | null; status: string }) =>
  !!t.dueAt && ['ready', 'claimed', 'held'].includes(t.status) && new Date(t.dueAt).getTime() < Date.now();

/** A request or task subject is "request:R000123" or similar: the part a person reads. */
/** The page of a task's subject: a service request's, a fault's, a complaint's. */
export function subjectPath(t: { subject: string; subjectRef: string }): string {
  const type = t.subject.split(':')[0];
  const base = type === 'fault' ? '/faults' : type === 'complaint' ? '/complaints' : '/requests';
  return `${base}/${encodeURIComponent(t.subjectRef)}`;
}

/** The reasons an explanation gives (its `why` and `because` texts, depth first), for people to read. */
export function reasonsOf(explanation: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if ((k === 'why' || k === 'because') && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  walk(explanation);
  return [...new Set(out)];
}
