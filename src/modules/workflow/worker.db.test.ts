import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { bootstrap } from '../../platform/bootstrap.js';
import { SYSTEM } from '../../platform/events.js';
import { createWorkflow, HandlerRegistry, type WorkflowServices } from './index.js';
import type { ScenarioDef } from './scenario.schema.js';

/** Three automatic steps; the second has a deadline timer, the third writes a row (and may fail). */
const chain: ScenarioDef = {
  code: 'worker_chain',
  name: 'Worker chain',
  start: ['a'],
  nodes: {
    a: { kind: 'automatic', label: 'A', actor: 'workflow_automaton', handler: 'w.step', outcomes: ['ok'] },
    b: {
      kind: 'automatic',
      label: 'B',
      actor: 'workflow_automaton',
      handler: 'w.step',
      outcomes: ['ok'],
      timers: [{ afterDays: 1, action: 'cancel', reason: 'too slow' }],
    },
    c: {
      kind: 'automatic',
      label: 'C',
      actor: 'workflow_automaton',
      handler: 'w.write',
      outcomes: ['ok'],
      maxAttempts: 3,
      backoffSeconds: 60,
    },
    done: { kind: 'end', label: 'Done', result: 'completed' },
  },
  transitions: [
    { from: 'a', on: 'ok', to: ['b'] },
    { from: 'b', on: 'ok', to: ['c'] },
    { from: 'c', on: 'ok', to: ['done'] },
  ],
};

/** Two automatic branches joined; the first may answer "stop", which aborts the join. */
const fork: ScenarioDef = {
  code: 'worker_fork',
  name: 'Worker fork',
  start: ['p', 'q'],
  nodes: {
    p: {
      kind: 'automatic',
      label: 'P',
      actor: 'workflow_automaton',
      handler: 'w.p',
      outcomes: ['ok', 'stop'],
    },
    q: { kind: 'automatic', label: 'Q', actor: 'workflow_automaton', handler: 'w.step', outcomes: ['ok'] },
    j: { kind: 'join', label: 'J', waitFor: ['p', 'q'], abortOn: ['stop'] },
    done: { kind: 'end', label: 'Done', result: 'completed' },
    stopped: { kind: 'end', label: 'Stopped', result: 'rejected' },
  },
  transitions: [
    { from: 'p', on: '*', to: ['j'] },
    { from: 'q', on: '*', to: ['j'] },
    { from: 'j', on: 'done', to: ['done'] },
    { from: 'j', on: 'aborted', to: ['stopped'] },
  ],
};

/** An automatic step that ends the request while a human task of a parallel branch is still open. */
const race: ScenarioDef = {
  code: 'worker_race',
  name: 'Worker race',
  start: ['h', 'p'],
  nodes: {
    h: { kind: 'human', label: 'H', actor: 'commercial', outcomes: ['done'], slaHours: 2 },
    p: { kind: 'automatic', label: 'P', actor: 'workflow_automaton', handler: 'w.step', outcomes: ['ok'] },
    done: { kind: 'end', label: 'Done', result: 'completed' },
  },
  transitions: [
    { from: 'h', on: 'done', to: ['done'] },
    { from: 'p', on: 'ok', to: ['done'] },
  ],
};

/** One automatic step whose handler may answer data PostgreSQL refuses, with no retry. */
const nul: ScenarioDef = {
  code: 'worker_nul',
  name: 'Worker NUL',
  start: ['n'],
  nodes: {
    n: {
      kind: 'automatic',
      label: 'N',
      actor: 'workflow_automaton',
      handler: 'w.nul',
      outcomes: ['ok'],
      maxAttempts: 1,
      fallbackActor: 'commercial',
    },
    done: { kind: 'end', label: 'Done', result: 'completed' },
  },
  transitions: [{ from: 'n', on: 'ok', to: ['done'] }],
};

describe('automatic workers: batches, chained successors, set-based writes', () => {
  let t: TestDb;
  let wf: WorkflowServices;
  let subject = 0;

  beforeAll(async () => {
    t = await createTestDb();
    await bootstrap(t.db, 'admin-password-long');
    const handlers = new HandlerRegistry()
      .task('w.step', async (ctx) => ({ outcome: 'ok', data: { [`${ctx.task.node}Done`]: true } }))
      .task('w.nul', async (ctx) => ({
        outcome: 'ok',
        data: { note: ctx.instance.data.nul ? 'a\u0000b' : 'ab' },
      }))
      .task('w.p', async (ctx) => ({ outcome: ctx.instance.data.stop ? 'stop' : 'ok' }))
      .task('w.write', async (ctx) => {
        await ctx.trx
          .insertInto('setting')
          .values({ key: `w:${ctx.instance.id}`, value: JSON.stringify({ attempt: ctx.task.attempts }) })
          .execute();
        if (ctx.instance.data.fail) throw new Error('equipment did not answer');
        return { outcome: 'ok' };
      });
    wf = createWorkflow(t.db, { handlers });
    await wf.scenarios.createVersion(chain, SYSTEM);
    await wf.scenarios.createVersion(fork, SYSTEM);
    await wf.scenarios.createVersion(race, SYSTEM);
    await wf.scenarios.createVersion(nul, SYSTEM);
  });
  afterAll(async () => t?.close());

  const start = (code: string, data: Record<string, unknown> = {}) =>
    t.db.transaction().execute((trx) =>
      wf.engine.start(trx, {
        scenarioCode: code,
        subjectType: 'worker-test',
        subjectId: String(++subject),
        customerId: null,
        lineId: null,
        data,
        by: SYSTEM,
      }),
    );
  const tasksOf = (id: number) =>
    t.db.selectFrom('wf_task').selectAll().where('instance_id', '=', id).orderBy('id').execute();
  const eventsOf = async (id: number) =>
    (
      await sql<{ kind: string; entity_id: string }>`
        SELECT kind, entity_id FROM event WHERE payload->>'instanceId' = ${String(id)} ORDER BY id`.execute(
        t.db,
      )
    ).rows;

  it('works a successor in the same transaction, writes the batch set-based and cancels the done step’s timers', async () => {
    const ids = [await start('worker_chain'), await start('worker_chain'), await start('worker_chain')];
    const r = await wf.work({ batch: 10 });
    expect(r).toEqual({ claimed: 3, completed: 9, failed: 0, fellOut: 0 });
    for (const id of ids) {
      expect((await wf.instances.get(id)).status).toBe('completed');
      const tasks = await tasksOf(id);
      expect(tasks.map((x) => [x.node, x.status, x.outcome])).toEqual([
        ['a', 'done', 'ok'],
        ['b', 'done', 'ok'],
        ['c', 'done', 'ok'],
      ]);
      // each successor comes from its predecessor, was claimed after it completed, and says why it exists
      expect(tasks[1]!.from_task_id).toBe(tasks[0]!.id);
      expect(tasks[2]!.from_task_id).toBe(tasks[1]!.id);
      for (const [prev, next] of [
        [tasks[0]!, tasks[1]!],
        [tasks[1]!, tasks[2]!],
      ] as const)
        expect(next.claimed_at!.getTime()).toBeGreaterThanOrEqual(prev.completed_at!.getTime());
      expect(JSON.stringify(tasks[1]!.explanation)).toContain('"from":"a"');
      const timers = await t.db.selectFrom('wf_timer').selectAll().where('instance_id', '=', id).execute();
      expect(timers).toHaveLength(1);
      expect(timers[0]).toMatchObject({ task_id: tasks[1]!.id, fired_at: null });
      expect(timers[0]!.cancelled_at).not.toBeNull();
      const data = (await wf.instances.get(id)).data as Record<string, unknown>;
      expect(data).toMatchObject({ aDone: true, bDone: true, outcomes: { a: 'ok', b: 'ok', c: 'ok' } });
      const kinds = (await eventsOf(id)).map((e) => e.kind);
      expect(kinds).toEqual([
        'instance.started',
        'task.created',
        'task.completed',
        'task.created',
        'task.completed',
        'task.created',
        'task.completed',
        'instance.completed',
      ]);
    }
  });

  it('without chaining, a successor waits for the next round', async () => {
    const id = await start('worker_chain');
    expect(await wf.work({ batch: 10, chain: false })).toMatchObject({ claimed: 1, completed: 1 });
    expect((await tasksOf(id)).map((x) => [x.node, x.status])).toEqual([
      ['a', 'done'],
      ['b', 'ready'],
    ]);
    await wf.drain({ chain: false });
    expect((await wf.instances.get(id)).status).toBe('completed');
  });

  it('a failing step rolls back only its own writes; the rest of the batch commits', async () => {
    const ok1 = await start('worker_chain');
    const bad = await start('worker_chain', { fail: true });
    const ok2 = await start('worker_chain');
    const r = await wf.work({ batch: 10 });
    expect(r).toEqual({ claimed: 3, completed: 8, failed: 1, fellOut: 0 });
    for (const id of [ok1, ok2]) {
      expect((await wf.instances.get(id)).status).toBe('completed');
      expect(
        await t.db.selectFrom('setting').select('key').where('key', '=', `w:${id}`).execute(),
      ).toHaveLength(1);
    }
    expect((await wf.instances.get(bad)).status).toBe('running');
    expect(
      await t.db.selectFrom('setting').select('key').where('key', '=', `w:${bad}`).execute(),
    ).toHaveLength(0);
    const tasks = await tasksOf(bad);
    expect(tasks.map((x) => [x.node, x.status])).toEqual([
      ['a', 'done'],
      ['b', 'done'],
      ['c', 'ready'],
    ]);
    expect(tasks[2]).toMatchObject({ attempts: 1, last_error: 'equipment did not answer', claimed_at: null });
    const data = (await wf.instances.get(bad)).data as Record<string, unknown>;
    expect(data.outcomes).toEqual({ a: 'ok', b: 'ok' });
    const kinds = (await eventsOf(bad)).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'task.completed')).toHaveLength(2);
    expect(kinds.at(-1)).toBe('task.retry_scheduled');
  });

  it('joins two automatic branches worked in the same batch', async () => {
    const id = await start('worker_fork');
    await wf.work({ batch: 10 });
    const view = await wf.instances.get(id);
    expect(view.status).toBe('completed');
    expect(view.tasks.map((x) => [x.node, x.status, x.outcome])).toEqual([
      ['p', 'done', 'ok'],
      ['q', 'done', 'ok'],
      ['j', 'done', 'done'],
    ]);
  });

  it('a branch that aborts the join cancels its sibling claimed in the same batch, which is then not worked', async () => {
    const id = await start('worker_fork', { stop: true });
    const r = await wf.work({ batch: 10 });
    expect(r).toMatchObject({ claimed: 2, completed: 1, failed: 0 });
    const view = await wf.instances.get(id);
    expect(view.status).toBe('rejected');
    expect(view.tasks.map((x) => [x.node, x.status, x.outcome])).toEqual([
      ['p', 'done', 'stop'],
      ['q', 'cancelled', null],
      ['j', 'done', 'aborted'],
    ]);
    const q = view.tasks.find((x) => x.node === 'q')!;
    const qEvents = (await eventsOf(id)).filter((e) => e.entity_id === String(q.id)).map((e) => e.kind);
    expect(qEvents).toEqual(['task.created', 'task.cancelled']);
  });

  it('an automatic step that ends the request cancels the open human task and its SLA timer', async () => {
    const id = await start('worker_race');
    expect(await wf.work({ batch: 10 })).toMatchObject({ claimed: 1, completed: 1 });
    const view = await wf.instances.get(id);
    expect(view.status).toBe('completed');
    expect(view.tasks.map((x) => [x.node, x.status])).toEqual([
      ['h', 'cancelled'],
      ['p', 'done'],
    ]);
    const timers = await t.db.selectFrom('wf_timer').selectAll().where('instance_id', '=', id).execute();
    expect(timers).toHaveLength(1);
    expect(timers[0]!.cancelled_at).not.toBeNull();
    const kinds = (await eventsOf(id)).map((e) => e.kind);
    expect(kinds.slice(-3)).toEqual(['task.completed', 'task.cancelled', 'instance.completed']);
  });

  it('a step whose writes the database refuses fails alone, after the batch is worked again step by step', async () => {
    const ids = [
      await start('worker_nul'),
      await start('worker_nul', { nul: true }),
      await start('worker_nul'),
    ];
    const r = await wf.work({ batch: 10 });
    expect(r).toEqual({ claimed: 3, completed: 2, failed: 1, fellOut: 1 });
    expect((await wf.instances.get(ids[0]!)).status).toBe('completed');
    expect((await wf.instances.get(ids[2]!)).status).toBe('completed');
    const view = await wf.instances.get(ids[1]!);
    expect(view.status).toBe('running');
    expect(view.tasks[0]).toMatchObject({
      kind: 'human',
      actor: 'commercial',
      fellOut: true,
      status: 'ready',
    });
    expect(view.tasks[0]!.lastError).toMatch(/unicode|\\u0000/i);
  });
});
