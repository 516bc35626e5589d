import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { PENDING_RESUMED } from '../requests/index.js';
import { CUSTOMER_STEPS } from './product-ordering.js';

/**
 * Migration 0750: the TMF622 order state is noted at commit, and a journal row is written only when
 * it really changed — not for task churn inside a transaction, not for a rolled-back one, in commit
 * order when two transactions change the same order.
 */

let t: TestApp;
let order: { number: string; requestId: number; instanceId: number };

beforeAll(async () => {
  t = await createTestApp();
  await t.app.requests.loadDefaultScenarios();
  const admin = await t.login('admin');
  const c = await t.call('POST', '/api/v1/customers', admin, {
    kind: 'person',
    lastName: 'Fall',
    firstNames: 'Aminata',
    address: { street: 'Rue Carnot', district: 'Plateau', locality: 'Dakar' },
    phones: ['+221 77 300 00 00'],
    categories: {
      commercial1: 'RES',
      commercial2: 'STD',
      collection: 'STANDARD',
      accounting: 'PART',
      tax: 'TVA18',
    },
  });
  expect(c.statusCode, c.body).toBe(201);
  // no plant: the study cannot serve the address, the request waits for capacity (held)
  const o = await t.call('POST', '/tmf-api/productOrderingManagement/v4/productOrder', admin, {
    productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'FIXE' } }],
    relatedParty: [{ id: (c.json() as { code: string }).code, role: 'customer' }],
  });
  expect(o.statusCode, o.body).toBe(201);
  const number = (o.json() as { id: string }).id;
  const r = await sql<{ request_id: number; instance_id: number }>`
    SELECT r.id AS request_id, i.id AS instance_id FROM service_request r
    JOIN wf_instance i ON i.subject_type = 'service_request' AND i.subject_id = r.id::text
    WHERE r.number = ${number}`.execute(t.tdb.db);
  order = { number, requestId: r.rows[0]!.request_id, instanceId: r.rows[0]!.instance_id };
});
afterAll(async () => {
  await t?.close();
});

const changes = async () =>
  (
    await sql<{ from: string; to: string }>`
      SELECT payload ->> 'from' AS "from", payload ->> 'to' AS "to" FROM event
      WHERE entity_type = 'service_request' AND entity_id = ${String(order.requestId)}
        AND kind = 'request.tmf_state_changed' ORDER BY id`.execute(t.tdb.db)
  ).rows;
const noted = async () =>
  (
    await sql<{ state: string; now: string }>`
      SELECT s.state, tmf_product_order_state(r.status, ${order.instanceId}::bigint) AS now
      FROM tmf_order_state s JOIN service_request r ON r.id = s.request_id
      WHERE s.request_id = ${order.requestId}`.execute(t.tdb.db)
  ).rows[0];
const heldTask = async () =>
  (
    await sql<{
      id: number;
    }>`SELECT id FROM wf_task WHERE instance_id = ${order.instanceId} AND status = 'held'`.execute(t.tdb.db)
  ).rows[0]?.id;

describe('TMF622 order states noted at commit (migration 0750)', () => {
  it('the creation is silent (the CreateEvent carries it); the hold is one change', async () => {
    expect(await changes()).toEqual([]);
    await t.app.workflow.drain();
    expect(await changes()).toEqual([{ from: 'acknowledged', to: 'held' }]);
    expect(await noted()).toEqual({ state: 'held', now: 'held' });
  });

  it('task churn inside one transaction that ends in the same state writes nothing', async () => {
    const held = await heldTask();
    expect(held).toBeDefined();
    await t.tdb.db.transaction().execute(async (trx) => {
      // the hold ends and a new one starts, as a periodic recheck would do
      await sql`UPDATE wf_task SET status = 'done', outcome = 'recheck' WHERE id = ${held}`.execute(trx);
      await sql`INSERT INTO wf_task (instance_id, node, kind, status, available_at, created_at, resume_event)
        VALUES (${order.instanceId}, 'wait_capacity', 'hold', 'held', now(), now(), ${PENDING_RESUMED})`.execute(
        trx,
      );
    });
    expect(await changes()).toHaveLength(1);
    expect(await noted()).toEqual({ state: 'held', now: 'held' });
  });

  it('a rolled-back change writes nothing', async () => {
    const held = await heldTask();
    await expect(
      t.tdb.db.transaction().execute(async (trx) => {
        await sql`UPDATE wf_task SET status = 'done' WHERE id = ${held}`.execute(trx);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await changes()).toHaveLength(1);
  });

  it('two transactions on the same order: each real change once, in commit order, the chain unbroken', async () => {
    const held = await heldTask();
    const db = t.tdb.db;
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((r) => (releaseFirst = r));
    let firstChanged!: () => void;
    const firstHasChanged = new Promise<void>((r) => (firstChanged = r));
    // first: the hold ends (capacity found) but its commit waits
    const first = db.transaction().execute(async (trx) => {
      await sql`UPDATE wf_task SET status = 'done', outcome = 'resumed' WHERE id = ${held}`.execute(trx);
      firstChanged();
      await firstMayCommit;
    });
    await firstHasChanged;
    // second, committed meanwhile: a customer step opens (quote to accept)
    await db.transaction().execute(async (trx) => {
      await sql`INSERT INTO wf_task (instance_id, node, kind, actor, status, available_at, created_at)
        VALUES (${order.instanceId}, ${CUSTOMER_STEPS[0]!}, 'human', 'commercial', 'ready', now(), now())`.execute(
        trx,
      );
    });
    releaseFirst();
    await first;
    const all = await changes();
    // the second noted nothing (it could not see the first's end of hold: still held); the first,
    // committing after it, reads both and notes the one real change
    expect(all).toEqual([
      { from: 'acknowledged', to: 'held' },
      { from: 'held', to: 'pending' },
    ]);
    expect(await noted()).toEqual({ state: 'pending', now: 'pending' });
  });

  it('the SQL derivation uses the facade’s customer steps and capacity hold', async () => {
    const def = await sql<{
      d: string;
    }>`SELECT pg_get_functiondef('tmf_product_order_state'::regproc) AS d`.execute(t.tdb.db);
    expect(def.rows[0]!.d).toContain(`{${CUSTOMER_STEPS.join(',')}}`);
    expect(def.rows[0]!.d).toContain(`'${PENDING_RESUMED}'`);
  });
});
