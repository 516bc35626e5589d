import { describe, expect, it } from 'vitest';
import { chooseActor, chooseTransition, evaluate } from './routing.js';
import type { ScenarioDef } from './scenario.schema.js';
import { simulate } from './simulate.js';
import { validateScenario } from './scenario.validate.js';

const def: ScenarioDef = {
  code: 'sim',
  name: 'Sim',
  start: ['intake'],
  nodes: {
    intake: { kind: 'human', label: 'Intake', actor: 'commercial', outcomes: ['done'] },
    a: {
      kind: 'automatic',
      label: 'A',
      actor: 'blacklist_check',
      handler: 'study_x',
      outcomes: ['feasible', 'not_feasible'],
    },
    b: { kind: 'human', label: 'B', actor: 'mdf', outcomes: ['feasible', 'not_feasible'] },
    j: { kind: 'join', label: 'J', waitFor: ['a', 'b'], abortOn: ['not_feasible'] },
    deposit: {
      kind: 'human',
      label: 'Deposit',
      actor: 'finance',
      actorRules: [
        {
          when: { path: 'category', op: 'in', value: ['ENT', 'ADM'] },
          actor: 'commercial',
          why: 'key accounts',
        },
      ],
      outcomes: ['paid'],
    },
    ok: { kind: 'end', label: 'ok', result: 'completed' },
    ko: { kind: 'end', label: 'ko', result: 'rejected' },
  },
  transitions: [
    { from: 'intake', on: 'done', to: ['a', 'b'] },
    { from: 'a', on: '*', to: ['j'] },
    { from: 'b', on: '*', to: ['j'] },
    {
      from: 'j',
      on: 'done',
      when: { path: 'deposit', op: 'gt', value: 0 },
      to: ['deposit'],
      why: 'a deposit is due',
    },
    { from: 'j', on: 'done', to: ['ok'], why: 'no deposit' },
    { from: 'j', on: 'aborted', to: ['ko'] },
    { from: 'deposit', on: 'paid', to: ['ok'] },
  ],
};

describe('routing', () => {
  it('evaluates conditions and says why', () => {
    expect(evaluate({ path: 'p.kind', op: 'eq', value: 'x' }, { p: { kind: 'x' } })).toEqual({
      ok: true,
      because: 'p.kind = "x" (eq "x": yes)',
    });
    expect(
      evaluate({ all: [{ path: 'n', op: 'gte', value: 3 }, { not: { path: 'm', op: 'exists' } }] }, { n: 3 })
        .ok,
    ).toBe(true);
    expect(
      evaluate(
        {
          any: [
            { path: 'n', op: 'lt', value: 3 },
            { path: 'n', op: 'in', value: [1, 2] },
          ],
        },
        { n: 3 },
      ).ok,
    ).toBe(false);
    expect(evaluate({ path: 'n', op: 'gt', value: 3 }, { n: 'a' }).ok).toBe(false);
  });

  it('takes the first transition whose condition holds and records the others considered', () => {
    const c = chooseTransition(def, 'j', 'done', { deposit: 0 });
    expect(c.transition?.to).toEqual(['ok']);
    expect(c.considered.map((x) => x.taken)).toEqual([false, true]);
    expect(chooseTransition(def, 'j', 'done', { deposit: 5 }).transition?.to).toEqual(['deposit']);
  });

  it('chooses the actor by rule, else the default, with the reason', () => {
    const node = def.nodes.deposit!;
    expect(chooseActor(node, { category: 'ENT' })?.actor).toBe('commercial');
    expect(chooseActor(node, { category: 'RES' })).toEqual({
      actor: 'finance',
      why: 'the task’s default actor',
    });
  });
});

describe('simulation', () => {
  it('shows the path with parallel branches, the join and the deposit condition', () => {
    const r = simulate(def, { deposit: 20000, category: 'ENT' });
    expect(r.result).toBe('completed');
    expect(r.steps.map((s) => s.node)).toEqual(['intake', 'a', 'j', 'b', 'j', 'deposit', 'ok']);
    expect(r.steps.find((s) => s.node === 'deposit')?.actor).toBe('commercial');
  });

  it('stops at the first "not feasible"', () => {
    const r = simulate(def, {}, { outcomes: { a: 'not_feasible' } });
    expect(r.result).toBe('rejected');
    expect(r.steps.map((s) => `${s.node}:${s.outcome ?? ''}`)).toEqual([
      'intake:done',
      'a:not_feasible',
      'j:aborted',
      'ko:',
    ]);
  });
});

describe('scenario validation', () => {
  it('accepts a sound scenario and names every problem of a broken one', () => {
    expect(validateScenario(def)).toEqual([]);
    const broken = structuredClone(def) as ScenarioDef;
    broken.start = ['nope'];
    delete broken.nodes.deposit!.actor;
    broken.nodes.deposit!.actorRules = [];
    broken.transitions = broken.transitions.filter((t) => t.from !== 'deposit');
    const paths = validateScenario(broken, {
      actors: new Set(['commercial', 'finance', 'mdf', 'blacklist_check']),
    }).map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining(['start[0]', 'nodes.deposit.actor', 'nodes.deposit.outcomes']),
    );
    expect(validateScenario({ code: 'X' }).length).toBeGreaterThan(0);
  });
});
