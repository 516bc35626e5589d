import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { SYSTEM } from '../../platform/events.js';
import type { ScenarioDef } from '../workflow/index.js';
import { activationSteps } from './index.js';
import { SwitchSimulator } from './switch-sim/simulator.js';
import { registerSwitch } from './testing/elements.js';

// A worker batch of activation steps queues its orders with the batch's own writes: one statement
// for all the orders, one for all the events, no savepoint or insert per step. These tests hold the
// guarantees of the per-step version: one order per task, its event, the task waiting on it, and a
// task that somehow has its order already waits on that one (the batch is worked again step by step).

const act = activationSteps('activate', 'fixed.activate', ['done'], { label: 'Fixed line activation' });
const scenario: ScenarioDef = {
  code: 'act_batch_fixed',
  name: 'Test: fixed activation in batches',
  start: ['activate'],
  nodes: { ...act.nodes, done: { kind: 'end', label: 'Done', result: 'completed' } },
  transitions: act.transitions,
};

// Counts the statements every pooled connection sends while `counting` runs: db.ts binds each
// connection's query to the prototype's when the connection opens, so the wrapper is installed
// before the test app opens any.
let counted: number | null = null;
const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
const query = proto.query;
proto.query = function (this: unknown, ...a: unknown[]) {
  if (counted !== null) counted++;
  return query.apply(this, a);
};
async function counting<T>(fn: () => Promise<T>): Promise<{ value: T; statements: number }> {
  counted = 0;
  try {
    const value = await fn();
    return { value, statements: counted };
  } finally {
    counted = null;
  }
}

describe('activation steps queued with the worker batch', () => {
  let t: TestApp;
  let sim: SwitchSimulator;

  beforeAll(async () => {
    t = await createTestApp();
    sim = new SwitchSimulator({ name: 'SWB' });
    const port = await sim.start();
    await registerSwitch(t.app.activation, 'SWB', port);
    await t.app.workflow.scenarios.createVersion(scenario, SYSTEM);
  });
  afterAll(async () => {
    proto.query = query;
    await t?.app.activation.stop();
    await sim?.stop();
    await t?.close();
  });

  const start = (refs: string[]) =>
    t.tdb.db.transaction().execute(async (trx) => {
      const ids: number[] = [];
      for (const ref of refs)
        ids.push(
          await t.app.workflow.engine.start(trx, {
            scenarioCode: 'act_batch_fixed',
            subjectType: 'test_request',
            subjectId: ref,
            customerId: null,
            lineId: `33812${ref}`,
            data: { directoryNumber: `33812${ref}`, equipmentNumber: `EN-${ref}`, services: ['CLIP'] },
            by: SYSTEM,
          }),
        );
      return ids;
    });

  const tasksOf = (ids: number[]) =>
    t.tdb.db
      .selectFrom('wf_task')
      .select(['id', 'instance_id', 'status', 'resume_key'])
      .where('instance_id', 'in', ids)
      .where('node', '=', 'activate')
      .orderBy('id')
      .execute();

  it('queues a batch of orders with a few statements, each with its event, the task waiting on it', async () => {
    const refs = Array.from({ length: 20 }, (_, i) => String(1000 + i));
    const ids = await start(refs);
    const { value: report, statements } = await counting(() =>
      t.app.workflow.work({ batch: 50, actors: ['activation_automaton'] }),
    );
    expect(report.completed).toBe(20);
    // claim, open tasks, a savepoint, order ids, then one statement per table, BEGIN/COMMIT: not
    // the two round trips (savepoint, order) per step of the per-step version
    expect(statements).toBeGreaterThan(3); // the counter counts
    expect(statements).toBeLessThan(20);
    const tasks = await tasksOf(ids);
    const orders = await t.tdb.db
      .selectFrom('act_order')
      .select([
        'id',
        'task_id',
        'instance_id',
        'line_id',
        'status',
        'resume_node',
        'request_ref',
        'element_code',
      ])
      .where('instance_id', 'in', ids)
      .orderBy('id')
      .execute();
    expect(orders).toHaveLength(20);
    for (const task of tasks) {
      const order = orders.find((o) => o.task_id === task.id)!;
      expect(task).toMatchObject({ status: 'waiting', resume_key: `activation.order:${order.id}` });
      expect(order).toMatchObject({
        instance_id: task.instance_id,
        status: 'pending',
        resume_node: 'activate',
        element_code: 'SWB',
      });
    }
    const events = await t.tdb.db
      .selectFrom('event')
      .select(['entity_id', 'line_id', 'payload'])
      .where('kind', '=', 'activation.order_queued')
      .where(
        'entity_id',
        'in',
        orders.map((o) => String(o.id)),
      )
      .execute();
    expect(events).toHaveLength(20);
    for (const e of events) {
      const o = orders.find((x) => String(x.id) === e.entity_id)!;
      expect(e.line_id).toBe(o.line_id);
      expect(e.payload).toMatchObject({
        operation: 'fixed.activate',
        element: 'SWB',
        requestRef: o.request_ref,
      });
    }
    const inst = await t.app.workflow.instances.get(ids[0]!);
    expect((inst.data as { activation: Record<string, unknown> }).activation.activate).toMatchObject({
      orderId: orders.find((o) => o.instance_id === ids[0])!.id,
      status: 'pending',
    });

    await t.app.activation.automaton.drain();
    for (const id of ids) expect((await t.app.workflow.instances.get(id)).status).toBe('completed');
    for (const r of refs) expect(sim.lines.has(`33812${r}`)).toBe(true);
  });

  it('a task that has its order already waits on it: no second order, the rest of the batch goes on', async () => {
    const ids = await start(['2000', '2001', '2002']);
    const [first] = await tasksOf([ids[0]!]);
    // an order for the first task, as a step run whose transition was lost would have left it
    const existing = await sql<{ id: number }>`
      INSERT INTO act_order (element_code, operation, line_id, params, instance_id, task_id, resume_node, created_by)
      VALUES ('SWB', 'fixed.activate', '338122000', ${JSON.stringify({ dn: '338122000', en: 'EN-2000' })}::jsonb,
              ${ids[0]}, ${first!.id}, 'activate', 'test')
      RETURNING id`.execute(t.tdb.db);
    const report = await t.app.workflow.work({ batch: 50, actors: ['activation_automaton'] });
    expect(report.completed).toBe(3);
    const tasks = await tasksOf(ids);
    expect(tasks.map((x) => x.status)).toEqual(['waiting', 'waiting', 'waiting']);
    expect(tasks[0]!.resume_key).toBe(`activation.order:${existing.rows[0]!.id}`);
    const orders = await t.tdb.db
      .selectFrom('act_order')
      .select(['task_id'])
      .where('instance_id', 'in', ids)
      .execute();
    expect(orders.map((o) => o.task_id).sort()).toEqual(tasks.map((x) => x.id).sort());

    await t.app.activation.automaton.drain();
    for (const id of ids) expect((await t.app.workflow.instances.get(id)).status).toBe('completed');
  });
});
