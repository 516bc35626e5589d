import type { Condition, NodeDef, ScenarioDef, TransitionDef } from './scenario.schema.js';

/**
 * The seed's "algorithm that selects the next actor", as plain functions over the request's data:
 * which transition an outcome takes, which actor gets the next task, and a readable account of why.
 * The engine, the simulator and the tests all use these same functions.
 */

export type Data = Record<string, unknown>;

export function getPath(data: unknown, path: string): unknown {
  let cur: unknown = data;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

/** Evaluates a condition and says, in words, what it found. */
export function evaluate(cond: Condition, data: Data): { ok: boolean; because: string } {
  if ('all' in cond) {
    const parts = cond.all.map((c) => evaluate(c, data));
    const failed = parts.find((p) => !p.ok);
    return failed
      ? { ok: false, because: failed.because }
      : { ok: true, because: parts.map((p) => p.because).join(' and ') };
  }
  if ('any' in cond) {
    const parts = cond.any.map((c) => evaluate(c, data));
    const hit = parts.find((p) => p.ok);
    return hit
      ? { ok: true, because: hit.because }
      : { ok: false, because: parts.map((p) => p.because).join(' and ') };
  }
  if ('not' in cond) {
    const inner = evaluate(cond.not, data);
    return { ok: !inner.ok, because: `not (${inner.because})` };
  }
  const actual = getPath(data, cond.path);
  const shown = `${cond.path} = ${JSON.stringify(actual ?? null)}`;
  let ok: boolean;
  switch (cond.op) {
    case 'eq':
      ok = actual === cond.value;
      break;
    case 'ne':
      ok = actual !== cond.value;
      break;
    case 'in':
      ok = Array.isArray(cond.value) && cond.value.includes(actual as never);
      break;
    case 'nin':
      ok = Array.isArray(cond.value) && !cond.value.includes(actual as never);
      break;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const c = compare(actual, cond.value);
      ok =
        c !== undefined &&
        (cond.op === 'gt' ? c > 0 : cond.op === 'gte' ? c >= 0 : cond.op === 'lt' ? c < 0 : c <= 0);
      break;
    }
    case 'exists':
      ok = actual !== undefined && actual !== null;
      break;
    case 'missing':
      ok = actual === undefined || actual === null;
      break;
  }
  const expected =
    cond.op === 'exists' || cond.op === 'missing' ? cond.op : `${cond.op} ${JSON.stringify(cond.value)}`;
  return { ok, because: `${shown} (${expected}: ${ok ? 'yes' : 'no'})` };
}

export interface TransitionChoice {
  transition: TransitionDef | undefined;
  index: number;
  /** Every candidate looked at, in order, with the verdict of its condition. */
  considered: { index: number; to: string[]; because: string; taken: boolean }[];
}

/** The first transition, in the scenario's order, from this node with this outcome whose condition holds. */
export function chooseTransition(
  def: ScenarioDef,
  from: string,
  outcome: string,
  data: Data,
): TransitionChoice {
  const considered: TransitionChoice['considered'] = [];
  for (let i = 0; i < def.transitions.length; i++) {
    const t = def.transitions[i]!;
    if (t.from !== from || (t.on !== outcome && t.on !== '*')) continue;
    const verdict = t.when ? evaluate(t.when, data) : { ok: true, because: 'no condition' };
    considered.push({ index: i, to: t.to, because: verdict.because, taken: verdict.ok });
    if (verdict.ok) return { transition: t as TransitionDef, index: i, considered };
  }
  return { transition: undefined, index: -1, considered };
}

export interface ActorChoice {
  actor: string;
  why: string;
}

/** The actor of a task: the first actor rule whose condition holds, else the node's default actor. */
export function chooseActor(node: NodeDef, data: Data): ActorChoice | undefined {
  for (const rule of node.actorRules ?? []) {
    const when = rule.when as Condition | undefined;
    const verdict = when ? evaluate(when, data) : { ok: true, because: 'always' };
    if (verdict.ok) return { actor: rule.actor, why: `${rule.why} (${verdict.because})` };
  }
  if (node.actor) return { actor: node.actor, why: 'the task’s default actor' };
  return undefined;
}

/** Outcomes a node can end with; joins, holds and timers have fixed ones. */
export function outcomesOf(node: NodeDef): string[] {
  switch (node.kind) {
    case 'human':
    case 'automatic':
      return node.outcomes ?? ['done'];
    case 'join':
      return ['done', 'aborted'];
    case 'hold':
      return [
        'resumed',
        ...(node.timers ?? []).filter((t) => t.action === 'complete').map((t) => t.outcome ?? 'expired'),
      ];
    case 'timer':
      return ['elapsed'];
    case 'end':
      return [];
  }
}
