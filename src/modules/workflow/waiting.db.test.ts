import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { bootstrap } from '../../platform/bootstrap.js';
import { SYSTEM } from '../../platform/events.js';
import { createWorkflow, FallOutNow, HandlerRegistry, type WorkflowServices } from './index.js';
import type { ScenarioDef } from './scenario.schema.js';

/** A step that waits for an external completion (like an order on a network element), then an end. */
const waiting: ScenarioDef = {
  code: 'wait_ext',
  name: 'Waiting step',
  start: ['ext'],
  nodes: {
    ext: {
      kind: 'automatic',
      label: 'External',
      actor: 'workflow_automaton',
      handler: 'w.ext',
      outcomes: ['done', 'retry'],
      maxAttempts: 3,
      backoffSeconds: 60,
      fallbackActor: 'switching',
    },
    done: { kind: 'end', label: 'Done', result: 'completed' },
  },
  transitions: [
    { from: 'ext', on: 'done', to: ['done'] },
    { from: 'ext', on: 'retry', to: ['ext'] },
  ],
};

describe('automatic steps that wait for an external completion', () => {
  let t: TestDb;
  let wf: WorkflowServices;
  let subject = 0;

  beforeAll(async () => {
    t = await createTestDb();
    await bootstrap(t.db, 'admin-password-long');
    const handlers = new HandlerRegistry().task('w.ext', async (ctx) => {
      if (ctx.instance.data.impossible) throw new FallOutNow('no element can do this: by hand');
      return { wait: { key: `ext:${ctx.instance.id}:${ctx.task.id}` }, data: { sent: ctx.task.id } };
    });
    wf = createWorkflow(t.db, { handlers });
    await wf.scenarios.createVersion(waiting, SYSTEM);
  });
  afterAll(async () => t?.close());

  const start = (data: Record<string, unknown> = {}) =>
    t.db.transaction().execute((trx) =>
      wf.engine.start(trx, {
        scenarioCode: 'wait_ext',
        subjectType: 'wait-test',
        subjectId: String(++subject),
        customerId: null,
        lineId: null,
        data,
        by: SYSTEM,
      }),
    );
  const tasksOf = (id: number) =>
    t.db.selectFrom('wf_task').selectAll().where('instance_id', '=', id).orderBy('id').execute();
  const instance = (id: number) =>
    t.db.selectFrom('wf_instance').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('waits under its key with no transition, and its completion takes the transition once', async () => {
    const id = await start();
    await wf.drain();
    const [task] = await tasksOf(id);
    expect(task).toMatchObject({ status: 'waiting', resume_key: `ext:${id}:${task!.id}` });
    expect((await instance(id)).data).toMatchObject({ sent: task!.id });
    // a worker does not take a waiting step again
    expect((await wf.work()).claimed).toBe(0);
    const key = task!.resume_key!;
    const r = await t.db.transaction().execute((trx) =>
      wf.engine.completeWaitingMany(
        trx,
        [
          { key, outcome: 'done', patch: (d) => ({ answer: { ...(d.answer as object), ext: 'ok' } }) },
          { key: 'ext:nobody', outcome: 'done' },
        ],
        SYSTEM,
      ),
    );
    expect(r.map((x) => x.status)).toEqual(['completed', 'not_waiting']);
    expect(await instance(id)).toMatchObject({ status: 'completed', data: { answer: { ext: 'ok' } } });
    expect((await tasksOf(id))[0]).toMatchObject({ status: 'done', outcome: 'done' });
    // a second completion of the same key finds nothing waiting
    expect(
      await t.db.transaction().execute((trx) => wf.engine.completeWaiting(trx, key, 'done', null, SYSTEM)),
    ).toBe('not_waiting');
  });

  it('completions that name their instance: the right one completes, a wrong one is not_waiting; the caller’s events are written with the steps’', async () => {
    const a = await start();
    const b = await start();
    await wf.drain();
    const ka = (await tasksOf(a))[0]!.resume_key!;
    const kb = (await tasksOf(b))[0]!.resume_key!;
    const r = await t.db.transaction().execute((trx) =>
      wf.engine.completeWaitingMany(
        trx,
        [
          { key: ka, outcome: 'done', instanceId: a },
          // b's key under a's instance: not b's step, nothing done to it
          { key: kb, outcome: 'done', instanceId: a },
        ],
        SYSTEM,
        {
          events: [
            { entityType: 'wait-test', entityId: a, kind: 'test.outcome_recorded', payload: { key: ka } },
          ],
        },
      ),
    );
    expect(r.map((x) => x.status)).toEqual(['completed', 'not_waiting']);
    expect((await instance(a)).status).toBe('completed');
    expect((await tasksOf(b))[0]).toMatchObject({ status: 'waiting', resume_key: kb });
    const events = await t.db
      .selectFrom('event')
      .select(['kind', 'entity_id'])
      .where((e) =>
        e.or([
          e.and([e('entity_type', '=', 'workflow_instance'), e('entity_id', '=', String(a))]),
          e('kind', '=', 'test.outcome_recorded'),
        ]),
      )
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.kind)).toEqual([
      'instance.started',
      'instance.completed',
      'test.outcome_recorded',
    ]);
    // nothing to complete: the caller's events are written all the same
    await t.db.transaction().execute((trx) =>
      wf.engine.completeWaitingMany(trx, [], SYSTEM, {
        events: [{ entityType: 'wait-test', entityId: b, kind: 'test.nothing_waiting', payload: {} }],
      }),
    );
    expect(
      await t.db.selectFrom('event').select('entity_id').where('kind', '=', 'test.nothing_waiting').execute(),
    ).toEqual([{ entity_id: String(b) }]);
  });

  it('a failed completion is retried after its back-off, or falls out at once when final', async () => {
    const id = await start();
    await wf.drain();
    const first = (await tasksOf(id))[0]!;
    const retried = await t.db
      .transaction()
      .execute((trx) => wf.engine.failWaiting(trx, first.resume_key!, 'element busy', SYSTEM));
    expect(retried).toBe('retry_scheduled');
    const again = (await tasksOf(id))[0]!;
    expect(again).toMatchObject({ status: 'ready', kind: 'automatic', attempts: 1, resume_key: null });
    expect(again.last_error).toBe('element busy');
    expect(again.available_at.getTime()).toBeGreaterThan(Date.now() + 30_000);
    // made ready now, it waits again under a key, then its element refuses: straight to switching
    await t.db.updateTable('wf_task').set({ available_at: new Date() }).where('id', '=', again.id).execute();
    await wf.drain();
    const waitingAgain = (await tasksOf(id))[0]!;
    expect(waitingAgain.status).toBe('waiting');
    const fell = await t.db.transaction().execute((trx) =>
      wf.engine.failWaiting(trx, waitingAgain.resume_key!, 'SW1 refused: ENINUSE', SYSTEM, {
        final: true,
        patch: { refused: true },
      }),
    );
    expect(fell).toBe('fell_out');
    expect((await tasksOf(id))[0]).toMatchObject({
      kind: 'human',
      actor: 'switching',
      status: 'ready',
      fell_out: true,
      last_error: 'SW1 refused: ENINUSE',
    });
    expect((await instance(id)).data).toMatchObject({ refused: true });
  });

  it('a step that throws FallOutNow goes to its fallback basket at once, without retries', async () => {
    const id = await start({ impossible: true });
    await wf.drain();
    expect((await tasksOf(id))[0]).toMatchObject({
      kind: 'human',
      actor: 'switching',
      attempts: 1,
      last_error: 'no element can do this: by hand',
    });
  });
});
