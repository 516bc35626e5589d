// The scenario document as the API gives it (src/modules/workflow/scenario.schema.ts; docs/workflow.md).

export type Condition =
  | { path: string; op: string; value?: unknown }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export type NodeKind = 'human' | 'automatic' | 'join' | 'hold' | 'timer' | 'end';

export interface ScenarioNode {
  kind: NodeKind;
  label: string;
  actor?: string;
  actorRules?: { when?: Condition; actor: string; why: string }[];
  handler?: string;
  outcomes?: string[];
  slaHours?: number;
  waitFor?: string[];
  abortOn?: string[];
  cause?: string;
  resumeOn?: { event: string; match?: Record<string, string> };
  timers?: { afterHours?: number; afterDays?: number; atPath?: string; action: string; outcome?: string }[];
  afterHours?: number;
  atPath?: string;
  result?: 'completed' | 'rejected' | 'cancelled';
  fallbackActor?: string;
}

export interface ScenarioTransition {
  from: string;
  on: string;
  when?: Condition;
  to: string[];
  why?: string;
}

export interface ScenarioDef {
  code: string;
  name: string;
  description?: string;
  requestKind?: string;
  start: string[];
  nodes: Record<string, ScenarioNode>;
  transitions: ScenarioTransition[];
}

export interface ScenarioSummary {
  id: number;
  code: string;
  version: number;
  name: string;
  requestKind: string | null;
  createdAt: string;
  versions: number;
}

export interface ScenarioVersion {
  id: number;
  code: string;
  version: number;
  name: string;
  createdAt: string;
  createdBy: number | null;
  definition: ScenarioDef;
}

export interface ScenarioIssue {
  path: string;
  message: string;
}

export interface SimulationStep {
  node: string;
  kind: string;
  label: string;
  actor?: string;
  actorWhy?: string;
  outcome?: string;
  next?: { to: string[]; why: string; considered: { to: string[]; because: string; taken: boolean }[] };
  note?: string;
}

export interface SimulationResult {
  scenario: string;
  version: number | null;
  result: 'completed' | 'rejected' | 'cancelled' | 'stuck';
  steps: SimulationStep[];
  data: Record<string, unknown>;
}

/** How a node is drawn for a request or a simulation. */
export type NodeMark = 'current' | 'done' | 'failed' | 'cancelled' | 'visited' | 'invalid';

export interface DiagramMarks {
  nodes: Record<string, NodeMark>;
  /** Indexes (in `transitions`) of the transitions taken. */
  transitions: Set<number>;
}
