/** What the activation API returns (src/modules/activation: elements, orders, the command journal). */
import { get } from '../../lib/api';

export interface ElementHealth {
  circuit: 'closed' | 'open';
  openedAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  consecutiveFailures: number;
  connections: number;
  busyConnections: number;
  inFlight: number;
  queued: number;
  waiting: number;
  commandsSent: number;
  refusals: number;
  transportErrors: number;
  meanLatencyMs: number | null;
  ratePerSecond: number;
}

export interface NetworkElement {
  code: string;
  kind: 'osmo_hlr' | 'mml_switch';
  name: string;
  host: string;
  port: number;
  /** osmo-hlr's VTY port (the audit's subscriber list); null: 4258. */
  vtyPort: number | null;
  ratePerSecond: number;
  poolSize: number;
  pipeline: number;
  exchanges: string[];
  timeoutMs: number;
  isDefault: boolean;
  enabled: boolean;
  /** Null: the element is not loaded in this process (disabled, or no automaton here). */
  health: ElementHealth | null;
  /** Open orders by status (pending, running). */
  queue: Record<string, number>;
  /** Refused orders left to handle (not replayed; a request's: its step still in the basket). */
  toHandle: number;
  /** Its newest network audit (a nightly one, or one started by hand), null if never. */
  lastAudit: {
    id: number;
    status: 'running' | 'done' | 'failed';
    checked: number;
    consistent: number;
    differences: number;
    repaired: number;
    startedAt: string;
    finishedAt: string | null;
  } | null;
  /** The last time an automaton found it unreachable (the journal), null if never. */
  lastOutage: {
    since: string;
    until: string | null;
    durationMs: number | null;
    error: string | null;
    seenBy: string | null;
    /** Ended by another process at its start, the one that saw it having stopped (host:pid). */
    closedBy: string | null;
    /** Ended that way with the element still down: the new process's outage carries on. */
    takenOver: boolean;
  } | null;
}

/** `GET /activation/elements/:code/activity`: the command journal per bucket over a window. */
export interface ElementActivity {
  code: string;
  from: string;
  to: string;
  bucketMinutes: number;
  buckets: {
    at: string;
    ok: number;
    refused: number;
    transportErrors: number;
    p50Ms: number | null;
    p95Ms: number | null;
    maxMs: number | null;
  }[];
  totals: { ok: number; refused: number; transportErrors: number; p95Ms: number | null };
  outages: { since: string; until: string | null; durationMs: number | null; error: string | null }[];
}

export interface ActivationOrder {
  id: number;
  element: string;
  operation: string;
  lineId: string;
  params: Record<string, unknown>;
  status: OrderStatus;
  attempts: number;
  result: unknown;
  error: string | null;
  errorCode: string | null;
  instanceId: number | null;
  taskId: number | null;
  requestRef: string | null;
  replayOf: number | null;
  /** The order that replayed this one (the newest). */
  replayedBy: number | null;
  revertOf: number | null;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** A refused order switching set aside (not to be replayed). */
  dismissed: { at: string; by: string; reason: string } | null;
}

export interface Command {
  id: number;
  orderId: number | null;
  element: string;
  lineId: string | null;
  attempt: number;
  command: string;
  reply: string | null;
  outcome: 'ok' | 'refused' | 'transport_error';
  sentAt: string;
  durationMs: number;
}

export const ORDER_STATUSES = ['pending', 'running', 'done', 'refused', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** What a replay of an element's refused orders did (POST /api/v1/activation/orders/replay). */
export interface ReplayReport {
  element: string;
  replayed: { replayOf: number; id: number }[];
  more: boolean;
  moreSteps: boolean;
  /** Requests' steps retried (the workflow's retry now): the requests carry on. */
  retried: { orderId: number; taskId: number }[];
  /** Requests' steps left in the switching basket, with why. */
  left: { orderId: number; taskId: number; reason: string }[];
}

/** The elements with their health: the cards' query and the menu's alert share it (one cache). */
export const elementsQuery = {
  queryKey: ['activation-elements'],
  queryFn: () => get<NetworkElement[]>('/api/v1/activation/elements'),
};
