import { chooseActor, chooseTransition, outcomesOf, type Data } from './routing.js';
import type { ScenarioDef } from './scenario.schema.js';

export interface SimulationChoices {
  /** The outcome each node ends with (a list when it is visited several times); default: its first outcome. */
  outcomes?: Record<string, string | string[]>;
  /** Data a node adds when it completes, merged into the request's data as the real step would. */
  data?: Record<string, Data>;
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
  result: 'completed' | 'rejected' | 'cancelled' | 'stuck';
  steps: SimulationStep[];
  data: Data;
}

const MAX_STEPS = 500;

/**
 * Runs a scenario on some data with no side effect and shows the path: which tasks, for which
 * actor and why, which transition each outcome takes and why. The same routing functions as the
 * engine decide, so what the simulator shows is what a real request would do.
 */
export function simulate(def: ScenarioDef, input: Data, choices: SimulationChoices = {}): SimulationResult {
  const data: Data = structuredClone(input);
  const outcomes: Record<string, string> = {};
  data.outcomes = outcomes;
  const visits = new Map<string, number>();
  const arrivals = new Map<string, Set<string>>();
  const aborted = new Set<string>();
  const steps: SimulationStep[] = [];
  const queue: { name: string; from?: string }[] = def.start.map((name) => ({ name }));
  let result: SimulationResult['result'] = 'stuck';

  while (queue.length > 0 && steps.length < MAX_STEPS) {
    const { name, from } = queue.shift()!;
    const node = def.nodes[name];
    if (!node) {
      steps.push({ node: name, kind: 'unknown', label: name, note: 'no such node' });
      break;
    }
    if (node.kind === 'join' && aborted.has(name)) continue;
    const step: SimulationStep = { node: name, kind: node.kind, label: node.label };
    steps.push(step);
    if (node.kind === 'end') {
      result = node.result ?? 'completed';
      step.note = `the request ends ${result}`;
      break;
    }
    let outcome: string;
    if (node.kind === 'join') {
      const got = arrivals.get(name) ?? new Set<string>();
      arrivals.set(name, got);
      if (from) got.add(from);
      if (from && node.abortOn?.includes(outcomes[from] ?? '')) {
        aborted.add(name);
        outcome = 'aborted';
        step.note = `${from} ended ${outcomes[from]}: the other branches are cancelled`;
        const branches = new Set(node.waitFor ?? []);
        for (let i = queue.length - 1; i >= 0; i--) if (branches.has(queue[i]!.name)) queue.splice(i, 1);
      } else if ((node.waitFor ?? []).every((w) => got.has(w))) {
        outcome = 'done';
        step.note = `all of ${(node.waitFor ?? []).join(', ')} are done`;
        arrivals.delete(name);
      } else {
        step.note = `waiting for ${(node.waitFor ?? []).filter((w) => !got.has(w)).join(', ')}`;
        continue;
      }
    } else {
      if (node.kind === 'human' || node.kind === 'automatic') {
        const actor = chooseActor(node, data);
        if (actor) {
          step.actor = actor.actor;
          step.actorWhy = actor.why;
        }
      }
      const n = visits.get(name) ?? 0;
      visits.set(name, n + 1);
      const wanted = choices.outcomes?.[name];
      const pick = Array.isArray(wanted) ? (wanted[n] ?? wanted.at(-1)) : wanted;
      outcome = pick ?? outcomesOf(node)[0] ?? 'done';
      if (!outcomesOf(node).includes(outcome)) {
        step.note = `"${outcome}" is not an outcome of ${name}`;
        break;
      }
      Object.assign(data, choices.data?.[name] ?? {});
    }
    step.outcome = outcome;
    outcomes[name] = outcome;
    const choice = chooseTransition(def, name, outcome, data);
    const considered = choice.considered.map(({ to, because, taken }) => ({ to, because, taken }));
    if (!choice.transition) {
      step.note = `no transition from ${name} on ${outcome}`;
      break;
    }
    step.next = { to: choice.transition.to, why: choice.transition.why ?? 'the only way on', considered };
    // A join reacts at once to an arrival (as in the engine), before the other branches move on.
    for (const to of choice.transition.to) {
      if (def.nodes[to]?.kind === 'join') queue.unshift({ name: to, from: name });
      else queue.push({ name: to, from: name });
    }
  }
  return { result, steps, data };
}
