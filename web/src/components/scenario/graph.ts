import type {
  Condition,
  DiagramMarks,
  NodeMark,
  ScenarioDef,
  ScenarioIssue,
  ScenarioTransition,
  SimulationStep,
} from './types';

// Pure functions behind the scenario diagram: what a condition says, what a request or a simulation
// marks on the drawing. No React, no DOM.

const OPS: Record<string, string> = {
  eq: '=',
  ne: '≠',
  in: '∈',
  nin: '∉',
  gt: '>',
  gte: '≥',
  lt: '<',
  lte: '≤',
};

function shown(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(shown).join(', ')}]`;
  if (typeof v === 'string') return `"${v}"`;
  return String(v);
}

/** A condition as a person reads it: `depositDue > 0`, `category ∈ ["PRO", "ADM"] and zone exists`. */
export function conditionText(c: Condition | undefined): string {
  if (!c) return '';
  if ('all' in c) return c.all.map((x) => wrap(x)).join(' and ');
  if ('any' in c) return c.any.map((x) => wrap(x)).join(' or ');
  if ('not' in c) return `not ${wrap(c.not)}`;
  if (c.op === 'exists') return `${c.path} exists`;
  if (c.op === 'missing') return `${c.path} missing`;
  return `${c.path} ${OPS[c.op] ?? c.op} ${shown(c.value)}`;
}

function wrap(c: Condition): string {
  const s = conditionText(c);
  return 'all' in c || 'any' in c ? `(${s})` : s;
}

/** The label of a transition's arrow: its outcome, and its condition when it has one. */
export function transitionLabel(t: ScenarioTransition): { outcome: string; condition: string } {
  return { outcome: t.on === '*' ? '*' : t.on, condition: conditionText(t.when) };
}

const RANK: Record<NodeMark, number> = {
  invalid: 6,
  current: 5,
  failed: 4,
  done: 3,
  visited: 2,
  cancelled: 1,
};

function mark(marks: Record<string, NodeMark>, node: string, m: NodeMark) {
  const old = marks[node];
  if (!old || RANK[m] > RANK[old]) marks[node] = m;
}

export interface TaskLike {
  node: string;
  status: string;
  explanation: unknown;
}

/** A task's status as drawn: still to do (or waiting), done, failed or cancelled. */
export function taskMark(status: string): NodeMark {
  switch (status) {
    case 'done':
    case 'completed':
      return 'done';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
    default:
      return 'current';
  }
}

/** The index of the transition that created a task, when its explanation records one. */
export function transitionIndexOf(explanation: unknown): number | undefined {
  if (!explanation || typeof explanation !== 'object') return undefined;
  const t = (explanation as { transition?: unknown }).transition;
  if (!t || typeof t !== 'object') return undefined;
  const i = (t as { index?: unknown }).index;
  return typeof i === 'number' ? i : undefined;
}

/** Where a request stands on its scenario: its open tasks, the done ones, the transitions taken. */
export function requestMarks(tasks: TaskLike[]): DiagramMarks {
  const nodes: Record<string, NodeMark> = {};
  const transitions = new Set<number>();
  for (const t of tasks) {
    mark(nodes, t.node, taskMark(t.status));
    const i = transitionIndexOf(t.explanation);
    if (i !== undefined) transitions.add(i);
  }
  // A node open now is shown as current even when an earlier visit of it is done (a loop).
  for (const t of tasks) if (taskMark(t.status) === 'current') nodes[t.node] = 'current';
  return { nodes, transitions };
}

/** The path of a simulation on the drawing: the nodes it visited, the transitions it took. */
export function simulationMarks(def: ScenarioDef, steps: SimulationStep[]): DiagramMarks {
  const nodes: Record<string, NodeMark> = {};
  const transitions = new Set<number>();
  for (const s of steps) {
    mark(nodes, s.node, 'visited');
    if (!s.next || !s.outcome) continue;
    const to = s.next.to.join(',');
    const i = def.transitions.findIndex(
      (t) => t.from === s.node && (t.on === s.outcome || t.on === '*') && t.to.join(',') === to,
    );
    if (i >= 0) transitions.add(i);
  }
  const last = steps.at(-1);
  if (last && last.note && last.kind !== 'end') nodes[last.node] = 'failed';
  return { nodes, transitions };
}

/** The nodes a validation issue points at (`nodes.quote.actor`, `transitions[3].to` → its from). */
export function issueMarks(def: ScenarioDef | null, issues: ScenarioIssue[]): DiagramMarks {
  const nodes: Record<string, NodeMark> = {};
  for (const i of issues) {
    const n = /^nodes\.([a-z][a-z0-9_]*)/.exec(i.path);
    if (n?.[1]) nodes[n[1]] = 'invalid';
    const t = /^transitions\[(\d+)\]/.exec(i.path);
    const from = t?.[1] !== undefined ? def?.transitions[Number(t[1])]?.from : undefined;
    if (from) nodes[from] = 'invalid';
  }
  return { nodes, transitions: new Set() };
}

/**
 * An end reached: end nodes create no task, so the request's own status says which end it reached;
 * the end is marked, with the transitions into it from the steps done.
 */
export function withEnd(def: ScenarioDef, marks: DiagramMarks, status: string): DiagramMarks {
  const nodes = { ...marks.nodes };
  const transitions = new Set(marks.transitions);
  def.transitions.forEach((t, i) => {
    if (nodes[t.from] !== 'done') return;
    for (const to of t.to) {
      if (def.nodes[to]?.kind === 'end' && (def.nodes[to]?.result ?? 'completed') === status) {
        nodes[to] = 'done';
        transitions.add(i);
      }
    }
  });
  return { nodes, transitions };
}
