import { Value } from '@sinclair/typebox/value';
import { outcomesOf } from './routing.js';
import { ScenarioDef } from './scenario.schema.js';

export interface ScenarioIssue {
  /** Where in the document: `nodes.quote.actor`, `transitions[3].to`. */
  path: string;
  message: string;
}

export interface KnownNames {
  actors?: ReadonlySet<string>;
  handlers?: ReadonlySet<string>;
}

/**
 * Everything wrong with a scenario document: first its shape (the JSON schema), then what a schema
 * cannot say — names that point nowhere, outcomes without a way forward, nodes nobody reaches.
 */
export function validateScenario(doc: unknown, known: KnownNames = {}): ScenarioIssue[] {
  const shape = [...Value.Errors(ScenarioDef, doc)].slice(0, 20);
  if (shape.length > 0) {
    return shape.map((e) => ({
      path: e.path.replace(/^\//, '').replace(/\//g, '.') || '(document)',
      message: e.message,
    }));
  }
  const def = doc as ScenarioDef;
  const issues: ScenarioIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const names = new Set(Object.keys(def.nodes));

  def.start.forEach((s, i) => {
    if (!names.has(s)) add(`start[${i}]`, `there is no node "${s}"`);
  });
  for (const [name, node] of Object.entries(def.nodes)) {
    const at = `nodes.${name}`;
    switch (node.kind) {
      case 'human':
      case 'automatic':
        if (!node.actor && !(node.actorRules && node.actorRules.length > 0))
          add(`${at}.actor`, 'a task needs an actor or actor rules');
        for (const [i, a] of [
          node.actor,
          ...(node.actorRules ?? []).map((r) => r.actor),
          node.fallbackActor,
        ].entries()) {
          if (a && known.actors && !known.actors.has(a)) add(`${at}.actor`, `unknown actor "${a}" (${i})`);
        }
        if (node.kind === 'automatic' && !node.handler)
          add(`${at}.handler`, 'an automatic task needs a handler');
        if (node.handler && known.handlers && !known.handlers.has(node.handler))
          add(`${at}.handler`, `unknown handler "${node.handler}"`);
        break;
      case 'join':
        if (!node.waitFor) add(`${at}.waitFor`, 'a join waits for at least two nodes');
        for (const w of node.waitFor ?? [])
          if (!names.has(w)) add(`${at}.waitFor`, `there is no node "${w}"`);
        break;
      case 'hold':
        if (!node.resumeOn && !(node.timers && node.timers.length > 0))
          add(`${at}.resumeOn`, 'a hold needs an event that resumes it or a timer');
        if (!node.cause) add(`${at}.cause`, 'a hold says its cause');
        break;
      case 'timer':
        if (node.afterHours === undefined && !node.atPath)
          add(`${at}.afterHours`, 'a timer needs afterHours or atPath');
        break;
      case 'end':
        if (!node.result) add(`${at}.result`, 'an end says its result: completed, rejected or cancelled');
        break;
    }
    for (const [i, t] of (node.timers ?? []).entries()) {
      if (t.afterHours === undefined && t.afterDays === undefined && !t.atPath)
        add(`${at}.timers[${i}]`, 'a timer needs afterHours, afterDays or atPath');
      if (t.action === 'complete' && !outcomesOf(node).includes(t.outcome ?? 'expired'))
        add(`${at}.timers[${i}].outcome`, `"${t.outcome}" is not an outcome of ${name}`);
    }
  }
  def.transitions.forEach((t, i) => {
    const from = def.nodes[t.from];
    if (!from) add(`transitions[${i}].from`, `there is no node "${t.from}"`);
    else if (from.kind === 'end') add(`transitions[${i}].from`, `"${t.from}" is an end`);
    else if (t.on !== '*' && !outcomesOf(from).includes(t.on))
      add(
        `transitions[${i}].on`,
        `"${t.on}" is not an outcome of ${t.from} (${outcomesOf(from).join(', ')})`,
      );
    t.to.forEach((n, j) => {
      if (!names.has(n)) add(`transitions[${i}].to[${j}]`, `there is no node "${n}"`);
    });
  });
  // Every outcome must lead somewhere, else an instance would stop with nobody to finish it.
  for (const [name, node] of Object.entries(def.nodes)) {
    if (node.kind === 'end') continue;
    for (const outcome of outcomesOf(node)) {
      if (node.kind === 'join' && outcome === 'aborted' && !(node.abortOn && node.abortOn.length > 0))
        continue;
      const leaves = def.transitions.some((t) => t.from === name && (t.on === outcome || t.on === '*'));
      if (!leaves) add(`nodes.${name}.outcomes`, `outcome "${outcome}" of ${name} has no transition`);
    }
  }
  const reached = new Set<string>();
  const queue = [...def.start];
  while (queue.length > 0) {
    const n = queue.shift()!;
    if (reached.has(n)) continue;
    reached.add(n);
    for (const t of def.transitions) if (t.from === n) queue.push(...t.to);
  }
  for (const name of names)
    if (!reached.has(name)) add(`nodes.${name}`, `${name} is never reached from the start`);
  if (![...names].some((n) => def.nodes[n]?.kind === 'end'))
    add('nodes', 'a scenario needs at least one end');
  return issues;
}
