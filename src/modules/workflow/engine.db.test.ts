import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { FixedClock } from '../../platform/clock.js';
import { bootstrap } from '../../platform/bootstrap.js';
import { loadReferenceData } from '../../demo/reference-data.js';
import { SYSTEM } from '../../platform/events.js';
import { createWorkflow, HandlerRegistry, type WorkflowServices, type Agent } from './index.js';
import type { ScenarioDef } from './scenario.schema.js';

const DAY = 24 * 3600_000;

/** A scenario exercising every node kind, with test handlers whose effects are rows in `setting`. */
const scenario = (over: Partial<ScenarioDef> = {}): ScenarioDef => ({
  code: 'test_flow',
  name: 'Test flow',
  start: ['intake'],
  nodes: {
    intake: {
      kind: 'human',
      label: 'Intake',
      actor: 'commercial',
      outcomes: ['done'],
      fields: [{ name: 'zone', type: 'string', required: true }],
      slaHours: 4,
    },
    reserve: {
      kind: 'automatic',
      label: 'Reserve',
      actor: 'blacklist_check',
      handler: 'test.reserve',
      outcomes: ['ok'],
      maxAttempts: 3,
      backoffSeconds: 10,
      fallbackActor: 'commercial',
    },
    study_a: {
      kind: 'human',
      label: 'Study A',
      actor: 'network_studies',
      actorRules: [
        {
          when: { path: 'intake.zone', op: 'eq', value: 'RADIO' },
          actor: 'switching',
          why: 'radio zones are studied by switching',
        },
      ],
      outcomes: ['feasible', 'not_feasible'],
    },
    study_b: { kind: 'human', label: 'Study B', actor: 'mdf', outcomes: ['feasible', 'not_feasible'] },
    studies: {
      kind: 'join',
      label: 'Studies done',
      waitFor: ['study_a', 'study_b'],
      abortOn: ['not_feasible'],
    },
    deposit: {
      kind: 'human',
      label: 'Deposit',
      actor: 'finance',
      outcomes: ['paid'],
      timers: [{ afterDays: 15, action: 'cancel', reason: 'deposit unpaid after 15 days' }],
    },
    wait_capacity: {
      kind: 'hold',
      label: 'Waiting for capacity',
      cause: 'saturation',
      resumeOn: { event: 'test.capacity_added', match: { zone: 'intake.zone' } },
    },
    done: { kind: 'end', label: 'Done', result: 'completed' },
    rejected: { kind: 'end', label: 'Rejected', result: 'rejected' },
  },
  transitions: [
    { from: 'intake', on: 'done', to: ['reserve'] },
    { from: 'reserve', on: 'ok', to: ['study_a', 'study_b'], why: 'studies run side by side' },
    { from: 'study_a', on: '*', to: ['studies'] },
    { from: 'study_b', on: '*', to: ['studies'] },
    { from: 'studies', on: 'done', to: ['deposit'] },
    {
      from: 'studies',
      on: 'aborted',
      when: { path: 'intake.zone', op: 'eq', value: 'WAIT' },
      to: ['wait_capacity'],
      why: 'not feasible yet: wait for capacity',
    },
    { from: 'studies', on: 'aborted', to: ['rejected'], why: 'not feasible' },
    { from: 'wait_capacity', on: 'resumed', to: ['study_a', 'study_b'] },
    { from: 'deposit', on: 'paid', to: ['done'] },
  ],
  ...over,
});

describe('workflow engine on PostgreSQL', () => {
  let t: TestDb;
  let wf: WorkflowServices;
  const clock = new FixedClock(new Date('2026-03-01T08:00:00Z'));
  const agents: Record<string, Agent> = {};
  let failuresLeft = 0;
  let subject = 0;

  beforeAll(async () => {
    t = await createTestDb();
    await bootstrap(t.db, 'admin-password-long');
    await loadReferenceData(t.db, 'demo-password-long');
    const handlers = new HandlerRegistry()
      .task('test.reserve', async (ctx) => {
        if (failuresLeft > 0) {
          failuresLeft--;
          throw new Error('network element unreachable');
        }
        const key = `reserved:${ctx.instance.id}`;
        await ctx.trx
          .insertInto('setting')
          .values({ key, value: JSON.stringify({ at: ctx.now }) })
          .execute();
        ctx.compensate('test.release', { key });
        return { outcome: 'ok', data: { reservedKey: key } };
      })
      .compensation('test.release', async (ctx) => {
        await ctx.trx.deleteFrom('setting').where('key', '=', String(ctx.payload.key)).execute();
      });
    wf = createWorkflow(t.db, { clock, handlers });
    await wf.scenarios.createVersion(scenario(), SYSTEM);
    const users = await t.db
      .selectFrom('app_user as u')
      .leftJoin('user_actor as ua', 'ua.user_id', 'u.id')
      .select(['u.id', 'u.username', 'ua.actor_code'])
      .execute();
    for (const u of users) {
      agents[u.username] ??= {
        userId: u.id,
        username: u.username,
        actors: [],
        supervisor: u.username === 'supervisor',
      };
      if (u.actor_code) agents[u.username]!.actors.push(u.actor_code);
    }
  });
  afterAll(async () => t?.close());

  const start = async (data: Record<string, unknown> = {}, code = 'test_flow') =>
    t.db.transaction().execute((trx) =>
      wf.engine.start(trx, {
        scenarioCode: code,
        subjectType: 'test',
        subjectId: String(++subject),
        customerId: null,
        lineId: null,
        data,
        by: SYSTEM,
      }),
    );
  const open = async (instanceId: number, node: string) => {
    const tasks = await wf.tasks.ofInstance(instanceId);
    const task = tasks.find(
      (x) => x.node === node && ['ready', 'claimed', 'held', 'waiting'].includes(x.status),
    );
    if (!task) throw new Error(`no open ${node} in ${JSON.stringify(tasks.map((x) => [x.node, x.status]))}`);
    return task;
  };
  const work = (
    id: number,
    node: string,
    user: string,
    outcome: string,
    data: Record<string, unknown> = {},
  ) => open(id, node).then((task) => wf.tasks.complete(task.id, { outcome, data }, agents[user]!));
  const status = async (id: number) => (await wf.instances.get(id)).status;

  it('runs branches side by side, joins them, and explains who got each task and why', async () => {
    const id = await start();
    await expect(work(id, 'intake', 'commercial', 'done', {})).rejects.toMatchObject({ code: 'task.field' });
    await work(id, 'intake', 'commercial', 'done', { zone: 'RADIO' });
    expect(await wf.drain()).toBe(1);
    const a = await open(id, 'study_a');
    expect(a.actor).toBe('switching');
    expect(JSON.stringify(a.explanation)).toContain('radio zones are studied by switching');
    expect(JSON.stringify(a.explanation)).toContain('studies run side by side');
    await expect(wf.tasks.complete(a.id, { outcome: 'feasible' }, agents.network!)).rejects.toMatchObject({
      code: 'task.actor',
    });
    await work(id, 'study_a', 'switching', 'feasible');
    // the join waits for the second branch
    expect((await wf.instances.get(id)).tasks.find((x) => x.node === 'studies')?.status).toBe('waiting');
    await work(id, 'study_b', 'mdf', 'feasible');
    await work(id, 'deposit', 'finance', 'paid');
    const view = await wf.instances.get(id);
    expect(view.status).toBe('completed');
    expect(view.tasks.find((x) => x.node === 'studies')).toMatchObject({ status: 'done', outcome: 'done' });
    const kinds = (
      await t.db
        .selectFrom('event')
        .select('kind')
        .where('entity_type', 'like', 'workflow_%')
        .where((eb) => eb.or([eb('payload', '@>', JSON.stringify({ instanceId: id }) as never)]))
        .orderBy('id')
        .execute()
    ).map((e) => e.kind);
    expect(kinds[0]).toBe('instance.started');
    expect(kinds.at(-1)).toBe('instance.completed');
    expect(kinds.filter((k) => k === 'task.completed')).toHaveLength(6);
  });

  it('stops at the first "not feasible": the other branch is cancelled and compensations run', async () => {
    const id = await start();
    await work(id, 'intake', 'commercial', 'done', { zone: 'DAKAR' });
    await wf.drain();
    const key = `reserved:${id}`;
    expect(
      await t.db.selectFrom('setting').select('key').where('key', '=', key).executeTakeFirst(),
    ).toBeDefined();
    await work(id, 'study_b', 'mdf', 'not_feasible');
    const view = await wf.instances.get(id);
    expect(view.status).toBe('rejected');
    expect(view.tasks.find((x) => x.node === 'study_a')?.status).toBe('cancelled');
    expect(view.compensations).toEqual([
      expect.objectContaining({ action: 'test.release', doneAt: expect.any(String) }),
    ]);
    expect(
      await t.db.selectFrom('setting').select('key').where('key', '=', key).executeTakeFirst(),
    ).toBeUndefined();
  });

  it('holds with a cause and resumes on the matching event only, oldest first', async () => {
    const first = await start();
    const second = await start();
    for (const id of [first, second]) {
      await work(id, 'intake', 'commercial', 'done', { zone: 'WAIT' });
      await wf.drain();
      await work(id, 'study_a', 'network', 'not_feasible');
    }
    const held = await open(first, 'wait_capacity');
    expect(held).toMatchObject({ status: 'held', holdCause: 'saturation' });
    await t.db
      .transaction()
      .execute((trx) => wf.engine.signal(trx, 'test.capacity_added', { zone: 'THIES' }, SYSTEM));
    expect((await open(first, 'wait_capacity')).status).toBe('held');
    const resumed = await t.db
      .transaction()
      .execute((trx) => wf.engine.signal(trx, 'test.capacity_added', { zone: 'WAIT', pairs: 10 }, SYSTEM));
    expect(resumed).toEqual([
      held.id,
      (await wf.tasks.ofInstance(second)).find((x) => x.node === 'wait_capacity')!.id,
    ]);
    // the studies start again after the resume
    expect((await open(first, 'study_a')).status).toBe('ready');
    expect(await status(first)).toBe('running');
  });

  it('cancels the request when the deposit stays unpaid for 15 days, releasing what was reserved', async () => {
    const id = await start();
    await work(id, 'intake', 'commercial', 'done', { zone: 'DAKAR' });
    await wf.drain();
    await work(id, 'study_a', 'network', 'feasible');
    await work(id, 'study_b', 'mdf', 'feasible');
    expect((await open(id, 'deposit')).status).toBe('ready');
    await wf.timers(new Date(clock.now().getTime() + 14 * DAY));
    expect(await status(id)).toBe('running');
    await wf.timers(new Date(clock.now().getTime() + 15 * DAY + 1000));
    const view = await wf.instances.get(id);
    expect(view).toMatchObject({ status: 'cancelled', reason: 'deposit unpaid after 15 days' });
    expect(view.compensations[0]?.doneAt).not.toBeNull();
    expect(
      await t.db.selectFrom('setting').select('key').where('key', '=', `reserved:${id}`).executeTakeFirst(),
    ).toBeUndefined();
  });

  it('escalates a task whose SLA is breached to the supervision basket', async () => {
    const id = await start();
    const task = await open(id, 'intake');
    expect(task.dueAt).toBe(new Date(clock.now().getTime() + 4 * 3600_000).toISOString());
    await wf.timers(new Date(clock.now().getTime() + 3 * 3600_000));
    expect((await wf.tasks.get(task.id)).actor).toBe('commercial');
    await wf.timers(new Date(clock.now().getTime() + 5 * 3600_000));
    const escalated = await wf.tasks.get(task.id);
    expect(escalated).toMatchObject({ actor: 'supervision', escalatedFrom: 'commercial', status: 'ready' });
    const basket = await wf.tasks.basket('supervision', { limit: 50 });
    expect(basket.items.map((x) => x.id)).toContain(task.id);
    const ev = await t.db
      .selectFrom('event')
      .select('kind')
      .where('entity_id', '=', String(task.id))
      .where('kind', '=', 'task.escalated')
      .execute();
    expect(ev).toHaveLength(1);
  });

  it('retries a failing automatic step with back-off, then falls out to a human basket with the error', async () => {
    const id = await start();
    await work(id, 'intake', 'commercial', 'done', { zone: 'DAKAR' });
    failuresLeft = 3;
    const r1 = await wf.work();
    expect(r1).toMatchObject({ claimed: 1, failed: 1, fellOut: 0 });
    let task = await open(id, 'reserve');
    expect(task).toMatchObject({ attempts: 1, lastError: 'network element unreachable', status: 'ready' });
    // not claimable before its back-off has passed
    expect((await wf.work()).claimed).toBe(0);
    clock.advance(10_000);
    expect(await wf.work()).toMatchObject({ claimed: 1, failed: 1 });
    clock.advance(20_000);
    expect(await wf.work()).toMatchObject({ claimed: 1, failed: 1, fellOut: 1 });
    task = await open(id, 'reserve');
    expect(task).toMatchObject({
      kind: 'human',
      actor: 'commercial',
      fellOut: true,
      attempts: 3,
      escalatedFrom: 'blacklist_check',
    });
    expect(
      await t.db.selectFrom('setting').select('key').where('key', '=', `reserved:${id}`).executeTakeFirst(),
    ).toBeUndefined();
    // an agent decides the fell-out step; the flow goes on
    await wf.tasks.complete(task.id, { outcome: 'ok' }, agents.commercial!);
    expect((await open(id, 'study_a')).status).toBe('ready');
    failuresLeft = 0;
  });

  it('never lets two agents claim the same task', async () => {
    const id = await start();
    const task = await open(id, 'intake');
    const results = await Promise.allSettled([
      wf.tasks.claim(task.id, agents.commercial!),
      wf.tasks.claim(task.id, agents.supervisor!),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const claimed = await wf.tasks.get(task.id);
    expect(claimed.status).toBe('claimed');
    await wf.tasks.release(
      task.id,
      agents[claimed.assigneeId === agents.commercial!.userId ? 'commercial' : 'supervisor']!,
    );
    expect((await wf.tasks.get(task.id)).status).toBe('ready');
  });

  it('keeps running instances on their version when a new version is stored', async () => {
    const id = await start();
    const v2 = scenario({ name: 'Test flow v2' });
    v2.nodes.intake = { ...v2.nodes.intake!, actor: 'customer_care' };
    const stored = await wf.scenarios.createVersion(v2, SYSTEM);
    expect(stored.version).toBe(2);
    expect((await wf.scenarios.createVersion(v2, SYSTEM)).version).toBe(2);
    const later = await start();
    expect((await open(id, 'intake')).actor).toBe('commercial');
    expect((await open(later, 'intake')).actor).toBe('customer_care');
    expect((await wf.instances.get(id)).scenarioVersion).toBe(1);
  });

  it('refuses an invalid scenario with every issue named', async () => {
    const bad = scenario();
    bad.transitions.push({ from: 'deposit', on: 'refunded', to: ['nowhere'] });
    await expect(wf.scenarios.createVersion(bad, SYSTEM)).rejects.toMatchObject({ code: 'scenario.invalid' });
    const { issues } = await wf.scenarios.validate(bad);
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['transitions[9].on', 'transitions[9].to[0]']),
    );
  });
});
