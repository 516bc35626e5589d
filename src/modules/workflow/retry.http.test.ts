import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { SYSTEM } from '../../platform/events.js';
import type { ScenarioDef } from './index.js';

/** An automatic step that fails while the element it talks to is "down", then a human check. */
const FLAKY: ScenarioDef = {
  code: 'test_retry_now',
  name: 'Retry now',
  start: ['push'],
  nodes: {
    push: {
      kind: 'automatic',
      label: 'Push to a flaky element',
      actor: 'workflow_automaton',
      handler: 'test.flaky',
      outcomes: ['done'],
      maxAttempts: 2,
      backoffSeconds: 3600,
      fallbackActor: 'network_studies',
    },
    check: { kind: 'human', label: 'Check', actor: 'commercial', outcomes: ['done'] },
    done: { kind: 'end', label: 'Done', result: 'completed' },
  },
  transitions: [
    { from: 'push', on: 'done', to: ['check'] },
    { from: 'check', on: 'done', to: ['done'] },
  ],
};

interface TaskJson {
  id: number;
  node: string;
  kind: string;
  actor: string;
  status: string;
  attempts: number;
  fellOut: boolean;
  lastError: string | null;
}

describe('retry now', () => {
  let t: TestApp;
  let elementDown = true;
  let calls = 0;

  beforeAll(async () => {
    t = await createTestApp();
    t.app.workflow.handlers.task('test.flaky', async () => {
      calls++;
      if (elementDown) throw new Error('element unreachable');
      return { outcome: 'done' };
    });
    await t.app.workflow.scenarios.createVersion(FLAKY, SYSTEM);
  });
  afterAll(async () => t?.close());

  const start = () =>
    t.tdb.db.transaction().execute((trx) =>
      t.app.workflow.engine.start(trx, {
        scenarioCode: FLAKY.code,
        subjectType: 'test',
        subjectId: `retry-${Date.now()}`,
        customerId: null,
        lineId: null,
        data: {},
        by: SYSTEM,
      }),
    );
  const tasks = async (instanceId: number) =>
    (await t.app.workflow.tasks.ofInstance(instanceId)) as unknown as TaskJson[];
  const retry = async (id: number, who: string) =>
    t.call('POST', `/api/v1/tasks/${id}/retry`, await t.login(who));
  const retryEvents = async (id: number) =>
    t.tdb.db
      .selectFrom('event')
      .select(['kind', 'payload'])
      .where('entity_type', '=', 'workflow_task')
      .where('entity_id', '=', String(id))
      .where('kind', '=', 'task.retry_requested')
      .orderBy('id')
      .execute();

  it('requeues a step waiting for its back-off at once, and one fallen out to a basket, with an event each', async () => {
    const instance = await start();
    await t.app.workflow.drain();
    const [push] = await tasks(instance);
    // first failure: waiting an hour for its retry; the worker leaves it alone meanwhile
    expect(push).toMatchObject({ node: 'push', kind: 'automatic', status: 'ready', attempts: 1 });
    const before = calls;
    await t.app.workflow.drain();
    expect(calls).toBe(before);

    // only supervisors and the agents of the basket it would fall out to may retry it
    expect((await retry(push!.id, 'switching')).statusCode).toBe(403);
    const now = await retry(push!.id, 'network');
    expect(now.statusCode, now.body).toBe(200);
    await t.app.workflow.drain();
    expect(calls).toBe(before + 1);
    // the element is still down: second failure, out to the network studies basket
    expect((await tasks(instance))[0]).toMatchObject({
      kind: 'human',
      actor: 'network_studies',
      fellOut: true,
      attempts: 2,
      lastError: 'element unreachable',
    });

    // the element is back: the agent sends the step back to its worker, which completes it
    elementDown = false;
    const again = await retry(push!.id, 'network');
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ kind: 'automatic', actor: 'workflow_automaton', status: 'ready' });
    await t.app.workflow.drain();
    const after = await tasks(instance);
    expect(after[0]).toMatchObject({ node: 'push', status: 'done', fellOut: false });
    expect(after.find((x) => x.node === 'check')).toMatchObject({ status: 'ready', actor: 'commercial' });

    // both requeues are on the timeline, saying who and from where
    const events = await retryEvents(push!.id);
    expect(events.map((e) => e.payload)).toMatchObject([
      { node: 'push', by: 'network', from: 'backoff', attempts: 1 },
      { node: 'push', by: 'network', from: 'fell_out', attempts: 2, basket: 'network_studies' },
    ]);
    // a done step is not retried
    expect((await retry(push!.id, 'supervisor')).statusCode).toBe(409);
    // nor a human step
    const check = after.find((x) => x.node === 'check')!;
    expect((await retry(check.id, 'supervisor')).statusCode).toBe(409);
  });

  it('lets a supervisor retry any basket’s fallen-out step and refuses agents without the right', async () => {
    elementDown = true;
    const instance = await start();
    await t.app.workflow.drain();
    const [push] = await tasks(instance);
    expect((await retry(push!.id, 'supervisor')).statusCode).toBe(200);
    await t.app.workflow.drain();
    expect((await tasks(instance))[0]).toMatchObject({ fellOut: true, actor: 'network_studies' });
    // the commercial agent's role has no task:retry right
    expect((await retry(push!.id, 'commercial')).statusCode).toBe(403);
    elementDown = false;
    expect((await retry(push!.id, 'supervisor')).statusCode).toBe(200);
    await t.app.workflow.drain();
    expect((await tasks(instance))[0]).toMatchObject({ status: 'done' });
  });
});
