import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from '../../../test/app.js';
import { SYSTEM } from '../../platform/events.js';
import { createWorkflow, workOnce, type ScenarioDef, type Wake } from '../workflow/index.js';
import { claimStatement } from './automaton.js';
import { activationSteps, createActivation, holdWhileFull, type ActivationModule } from './index.js';
import { SwitchSimulator } from './switch-sim/simulator.js';
import { registerSwitch } from './testing/elements.js';

// An activation step worked by a workflow loop of the process that runs the automaton: its order is
// written `running`, claimed by that automaton, and handed to it once the batch commits (no claim
// statement, no poll) — unless the line has an unfinished order, which goes first. While the
// automaton is full, the loops leave its steps ready (holdWhileFull).

const act = activationSteps('activate', 'fixed.activate', ['done'], { label: 'Fixed line activation' });
const scenario = (code: string): ScenarioDef => ({
  code,
  name: `Test: ${code}`,
  start: ['activate'],
  nodes: { ...act.nodes, done: { kind: 'end', label: 'Done', result: 'completed' } },
  transitions: act.transitions,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('orders handed to the automaton as the workflow writes them', () => {
  let t: TestApp;
  let sim: SwitchSimulator;
  let wf: ReturnType<typeof createWorkflow>;
  let activation: ActivationModule;
  const nudged: number[] = [];
  const wake: Wake = {
    wait: async (ms) => {
      await sleep(ms);
    },
    nudge: () => nudged.push(Date.now()),
    close: async () => undefined,
  };

  beforeAll(async () => {
    t = await createTestApp();
    // an exchange that takes its time (150 ms a command): orders stay in flight long enough to be seen there
    sim = new SwitchSimulator({ name: 'SWH', responseMs: 150 });
    const port = await sim.start();
    // a workflow and an automaton of their own: three orders in flight fill this automaton
    wf = createWorkflow(t.tdb.db);
    activation = createActivation(t.tdb.db, {
      secretKey: TEST_SECRET_KEY,
      keys: () => Promise.reject(new Error('no card in these tests')),
      workflow: wf,
      automaton: { maxInFlight: 4, batch: 2 },
    });
    await registerSwitch(activation, 'SWH', port);
    await wf.scenarios.createVersion(scenario('act_hand_off'), SYSTEM);
    await activation.start();
  });
  afterAll(async () => {
    await activation?.stop();
    await t?.app.activation.stop();
    await sim?.stop();
    await t?.close();
  });

  const start = (lines: string[]) =>
    t.tdb.db.transaction().execute(async (trx) => {
      const ids: number[] = [];
      for (const [k, dn] of lines.entries())
        ids.push(
          await wf.engine.start(trx, {
            scenarioCode: 'act_hand_off',
            subjectType: 'test_request',
            subjectId: `${dn}-${k}-${Date.now()}`,
            customerId: null,
            lineId: dn,
            data: { directoryNumber: dn, equipmentNumber: `EN-${dn.slice(-4)}`, services: ['CLIP'] },
            by: SYSTEM,
          }),
        );
      return ids;
    });

  const ordersOf = (ids: number[]) =>
    t.tdb.db
      .selectFrom('act_order')
      .select(['id', 'line_id', 'status', 'claimed_by', 'attempts', 'instance_id'])
      .where('instance_id', 'in', ids)
      .orderBy('id')
      .execute();

  /** The order's queued and started events, and whether one transaction wrote both. */
  const startedWith = async (orderId: number) => {
    const r = await sql<{ kind: string; txid: string | null }>`
      SELECT kind, txid::text FROM event
       WHERE entity_type = 'activation_order' AND entity_id = ${String(orderId)}
         AND kind IN ('activation.order_queued', 'activation.order_started')
       ORDER BY id`.execute(t.tdb.db);
    return {
      kinds: r.rows.map((x) => x.kind),
      oneTransaction: r.rows.length === 2 && r.rows[0]!.txid !== null && r.rows[0]!.txid === r.rows[1]!.txid,
    };
  };

  const until = async (what: () => Promise<boolean>, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!(await what())) {
      if (Date.now() > end) throw new Error('timed out');
      await sleep(20);
    }
  };
  const ended = (ids: number[]) => async () => {
    const r = await t.tdb.db.selectFrom('wf_instance').select('status').where('id', 'in', ids).execute();
    return r.every((x) => x.status === 'completed');
  };

  it('writes the order running under the automaton, with its start, and the automaton carries it out', async () => {
    const ids = await start(['338140001', '338140002']);
    const report = await workOnce(t.tdb.db, wf.engine, { batch: 50, actors: ['activation_automaton'] });
    expect(report.completed).toBe(2);
    const orders = await ordersOf(ids);
    expect(orders).toHaveLength(2);
    for (const o of orders) {
      expect(o.claimed_by).toBe(activation.automaton.id);
      expect(o.attempts).toBe(1);
      // queued and started by the worker's transaction: the automaton never claimed it
      expect(await startedWith(o.id)).toEqual({
        kinds: ['activation.order_queued', 'activation.order_started'],
        oneTransaction: true,
      });
    }
    await until(ended(ids));
    expect((await ordersOf(ids)).map((o) => o.status)).toEqual(['done', 'done']);
    expect(sim.lines.has('338140001')).toBe(true);
    expect(sim.lines.has('338140002')).toBe(true);
  });

  it("leaves an order pending behind its line's unfinished order, and the second of a line in one batch", async () => {
    // an earlier order of 338140010, not due yet: unfinished (written while the automaton is
    // stopped, which would otherwise carry it out at once)
    await activation.stop();
    const early = await activation.service.order(
      {
        operation: 'fixed.activate',
        lineId: '338140010',
        params: { dn: '338140010', en: 'EN-0010', services: [] },
      },
      SYSTEM,
    );
    await t.tdb.db
      .updateTable('act_order')
      .set({ available_at: new Date(Date.now() + 3_600_000) })
      .where('id', '=', early.id)
      .execute();
    await activation.start();
    const ids = await start(['338140010', '338140011', '338140011']);
    await workOnce(t.tdb.db, wf.engine, { batch: 50, actors: ['activation_automaton'] });
    const orders = await ordersOf(ids);
    const [behindEarly, first, second] = [
      orders.find((o) => o.line_id === '338140010')!,
      ...orders.filter((o) => o.line_id === '338140011'),
    ];
    expect((await startedWith(behindEarly.id)).kinds).toEqual(['activation.order_queued']);
    expect(first!.claimed_by).toBe(activation.automaton.id);
    expect((await startedWith(first!.id)).oneTransaction).toBe(true);
    // the second order of 338140011 goes after the first, through a claim
    expect((await startedWith(second!.id)).oneTransaction).toBe(false);
    await until(async () => (await ordersOf([ids[2]!]))[0]!.status === 'done');
    expect((await startedWith(second!.id)).kinds).toEqual([
      'activation.order_queued',
      'activation.order_started',
    ]);
    // the order behind the early one waits for it
    await sleep(200);
    expect((await ordersOf([ids[0]!]))[0]!.status).toBe('pending');
    await t.tdb.db
      .updateTable('act_order')
      .set({ available_at: new Date() })
      .where('id', '=', early.id)
      .execute();
    activation.automaton.poke();
    await until(ended(ids));
  });

  /** Two orders of `line`, the younger `running` under another automaton's lease, the older pending. */
  const runningAndPending = async (line: string, leaseUntil: Date) => {
    const ids = await sql<{ id: number }>`
      SELECT nextval(pg_get_serial_sequence('act_order', 'id'))::bigint AS id
        FROM generate_series(1, 2)`.execute(t.tdb.db);
    const [older, younger] = ids.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
    const now = new Date();
    for (const [id, status] of [
      [younger!, 'running'],
      [older!, 'pending'],
    ] as const)
      await sql`
        INSERT INTO act_order (id, element_code, operation, line_id, params, created_by, created_at,
                               available_at, status, claimed_by, lease_until, attempts, started_at)
        OVERRIDING SYSTEM VALUE
        VALUES (${id}, 'SWH', 'fixed.deactivate', ${line}, ${JSON.stringify({ dn: line })}::jsonb, 'test',
                ${now}, ${now}, ${status}, ${status === 'running' ? 'automaton-other' : null},
                ${status === 'running' ? leaseUntil : null},
                ${status === 'running' ? 1 : 0}, ${status === 'running' ? now : null})`.execute(t.tdb.db);
    return { older: older!, younger: younger! };
  };
  const claimIds = async () =>
    (
      await claimStatement('automaton-test', new Date(), new Date(Date.now() + 60_000), 10).execute(t.tdb.db)
    ).rows.map((r) => Number(r.id));
  const end = (id: number, status: 'done' | 'cancelled') =>
    t.tdb.db
      .updateTable('act_order')
      .set({ status, finished_at: new Date(), lease_until: null })
      .where('id', '=', id)
      .execute();

  it('re-runs a younger order whose automaton died before the older pending one of its line', async () => {
    await activation.stop();
    try {
      // the younger one was handed to an automaton that died: its lease lapsed
      const { older, younger } = await runningAndPending('338140021', new Date(Date.now() - 1000));
      const first = await claimIds();
      expect(first).toContain(younger);
      expect(first).not.toContain(older);
      await end(younger, 'done');
      expect(await claimIds()).toContain(older);
      await end(older, 'cancelled');
    } finally {
      await activation.start();
    }
  });

  it('claims no order of a line while a younger order of that line runs', async () => {
    await activation.stop();
    try {
      const line = '338140020';
      const ids = await sql<{ id: number }>`
        SELECT nextval(pg_get_serial_sequence('act_order', 'id'))::bigint AS id
          FROM generate_series(1, 2)`.execute(t.tdb.db);
      const [older, younger] = ids.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
      const now = new Date();
      // the younger one handed to an automaton (running, leased), the older one written after it
      for (const [id, status] of [
        [younger!, 'running'],
        [older!, 'pending'],
      ] as const)
        await sql`
          INSERT INTO act_order (id, element_code, operation, line_id, params, created_by, created_at,
                                 available_at, status, claimed_by, lease_until, attempts, started_at)
          OVERRIDING SYSTEM VALUE
          VALUES (${id}, 'SWH', 'fixed.deactivate', ${line}, ${JSON.stringify({ dn: line })}::jsonb, 'test',
                  ${now}, ${now}, ${status}, ${status === 'running' ? 'automaton-other' : null},
                  ${status === 'running' ? new Date(now.getTime() + 60_000) : null},
                  ${status === 'running' ? 1 : 0}, ${status === 'running' ? now : null})`.execute(t.tdb.db);
      const lease = new Date(Date.now() + 60_000);
      const claim = () => claimStatement('automaton-test', new Date(), lease, 10).execute(t.tdb.db);
      expect((await claim()).rows.map((r) => Number(r.id))).not.toContain(older);
      await t.tdb.db
        .updateTable('act_order')
        .set({ status: 'done', finished_at: new Date(), lease_until: null })
        .where('id', '=', younger!)
        .execute();
      expect((await claim()).rows.map((r) => Number(r.id))).toContain(older);
      await t.tdb.db
        .updateTable('act_order')
        .set({ status: 'cancelled', finished_at: new Date(), lease_until: null })
        .where('id', '=', older!)
        .execute();
    } finally {
      await activation.start();
    }
  });

  it('leaves the steps ready while the automaton is full, and wakes the loops when it has room', async () => {
    const hold = holdWhileFull(activation.automaton, [wake]);
    expect(hold()).toEqual([]);
    const lines = Array.from({ length: 5 }, (_, i) => `33814003${i}`);
    const first = await start(lines);
    // a batch takes what it claims: five orders for an automaton full at three
    const r1 = await workOnce(t.tdb.db, wf.engine, { batch: 50, actors: ['activation_automaton'], hold });
    expect(r1.completed).toBe(5);
    expect(activation.automaton.saturated).toBe(true);
    expect(hold()).toEqual(['activation_automaton']);
    const more = await start(['338140040']);
    nudged.length = 0;
    const r2 = await workOnce(t.tdb.db, wf.engine, { batch: 50, actors: ['activation_automaton'], hold });
    expect(r2.claimed).toBe(0);
    const held = await t.tdb.db
      .selectFrom('wf_task')
      .select('status')
      .where('instance_id', '=', more[0]!)
      .where('node', '=', 'activate')
      .executeTakeFirstOrThrow();
    expect(held.status).toBe('ready');
    // the exchange answers: the automaton has room again and says so
    await until(async () => nudged.length > 0);
    expect(hold()).toEqual([]);
    const r3 = await workOnce(t.tdb.db, wf.engine, { batch: 50, actors: ['activation_automaton'], hold });
    expect(r3.completed).toBe(1);
    await until(ended([...first, ...more]));
  });
});
