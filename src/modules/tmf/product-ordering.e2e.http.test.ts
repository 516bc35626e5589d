import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { loadDemoPlant } from '../../demo/plant.js';
import { SYSTEM } from '../../platform/events.js';
import { PENDING_RESUMED } from '../requests/index.js';
import { TmfHub } from './hub-dispatcher.js';
import { tmfApisOf } from './index.js';
import { startTestElements, type TestElements } from '../activation/testing/elements.js';
import { osmoHlrSuiteName } from '../activation/testing/osmo-hlr.js';

/**
 * The "done when": a product order placed through TMF622 for a new line is fulfilled end to
 * end by the workflow — automatic steps by the workers and the activation automaton on the switch
 * simulator, human tasks claimed and completed through the native API by the demo agents — its
 * state goes to completed and the new line is visible through TMF637, TMF639 and the native API.
 */

const ORDERING = '/tmf-api/productOrderingManagement/v4';
const INVENTORY = '/tmf-api/productInventory/v4';
const RESOURCES = '/tmf-api/resourceInventoryManagement/v4';

const AGENT_OF: Record<string, string> = {
  commercial: 'commercial',
  finance: 'finance',
  switching: 'switching',
  mdf: 'mdf',
  network_studies: 'network',
  stock: 'stock',
  field: 'field',
  supervision: 'supervisor',
};

interface RequestJson {
  number: string;
  status: string;
  subscriptionId: number | null;
  lineId: string | null;
  workflow: {
    data: Record<string, unknown>;
    tasks: { id: number; node: string; kind: string; actor: string; status: string }[];
  };
}
type Step = (r: RequestJson) => { outcome: string; data?: Record<string, unknown> };
const SCRIPT: Record<string, Step> = {
  quote_acceptance: () => ({ outcome: 'accepted' }),
  deposit: (r) => ({ outcome: 'paid', data: { amount: r.workflow.data.depositDue, method: 'cash' } }),
  payment: (r) => ({
    outcome: 'paid',
    data: {
      amount: (r.workflow.data.invoice as { total: number }).total,
      method: 'mobile_money',
      reference: 'OM-7',
    },
  }),
  mdf_works: () => ({ outcome: 'done' }),
  field_works: () => ({ outcome: 'done', data: { report: 'line installed, tone OK' } }),
};

const suite = osmoHlrSuiteName(
  'TMF622 order for a new line fulfilled end to end, seen through TMF637/TMF639',
);

describe.skipIf(suite.skip)(suite.name, () => {
  let t: TestApp;
  let admin: string;
  let net: TestElements;

  beforeAll(async () => {
    t = await createTestApp();
    await loadDemoPlant(t.tdb.db);
    await t.app.requests.loadDefaultScenarios();
    net = await startTestElements(t.app.activation);
    admin = await t.login('admin');
  });
  afterAll(async () => {
    await net?.close();
    await t?.close();
  });

  const order = async (id: string) => {
    const res = await t.call('GET', `${ORDERING}/productOrder/${id}`, admin);
    expect(res.statusCode, res.body).toBe(200);
    const o = res.json() as Record<string, unknown> & { state: string };
    expect(swaggerErrors('TMF622', 'ProductOrder', o)).toEqual([]);
    return o;
  };

  it('new fixed wired line: acknowledged → pending/inProgress → completed; the product, its number and port are there', async () => {
    const front = await t.login('commercial');
    const c = await t.call('POST', '/api/v1/customers', front, {
      kind: 'person',
      lastName: 'Sy',
      firstNames: 'Mariama',
      address: { street: 'Avenue Georges Pompidou', district: 'Plateau', locality: 'Dakar' },
      phones: ['+221 77 400 00 00'],
      categories: {
        commercial1: 'RES',
        commercial2: 'STD',
        collection: 'STANDARD',
        accounting: 'PART',
        tax: 'TVA18',
      },
    });
    expect(c.statusCode, c.body).toBe(201);
    const customer = c.json() as { id: number; code: string };
    const placed = await t.call('POST', `${ORDERING}/productOrder`, admin, {
      externalId: 'CRM-E2E-1',
      productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'FIXE' } }],
      relatedParty: [{ id: customer.code, role: 'customer', '@referredType': 'Individual' }],
    });
    expect(placed.statusCode, placed.body).toBe(201);
    const id = (placed.json() as { id: string }).id;
    expect((await order(id)).state).toBe('acknowledged');

    const seen = new Set<string>();
    let r: RequestJson | undefined;
    for (let round = 0; round < 40; round++) {
      await t.app.workflow.drain();
      await t.app.activation.automaton.drain();
      await t.app.workflow.drain();
      r = (await t.call('GET', `/api/v1/requests/${id}`, admin)).json() as RequestJson;
      seen.add((await order(id)).state);
      if (r.status !== 'open') break;
      const open = r.workflow.tasks.filter(
        (x) => x.kind === 'human' && ['ready', 'claimed'].includes(x.status),
      );
      if (open.length === 0) continue;
      for (const task of open) {
        const step = SCRIPT[task.node];
        if (!step) throw new Error(`no script for ${task.node}`);
        const token = await t.login(AGENT_OF[task.actor]!);
        const claim = await t.call('POST', `/api/v1/tasks/${task.id}/claim`, token);
        expect(claim.statusCode, `${task.node}: ${claim.body}`).toBe(200);
        const done = await t.call('POST', `/api/v1/tasks/${task.id}/complete`, token, step(r));
        expect(done.statusCode, `${task.node}: ${done.body}`).toBe(200);
      }
    }
    expect(r?.status).toBe('completed');
    // waiting on the customer's acceptance and payments, then on the operator's works
    expect(seen).toContain('pending');
    expect(seen).toContain('inProgress');
    const completed = await order(id);
    expect(completed).toMatchObject({
      state: 'completed',
      externalId: 'CRM-E2E-1',
      productOrderItem: [{ state: 'completed', productOffering: { id: 'FIXE' } }],
    });
    expect(typeof completed.completionDate).toBe('string');
    const listed = await t.call(
      'GET',
      `${ORDERING}/productOrder?state=completed&relatedParty.id=${customer.code}`,
      admin,
    );
    expect((listed.json() as { id: string }[]).map((o) => o.id)).toEqual([id]);

    // the new line through TMF637: the product the order item points at
    const item = (completed.productOrderItem as { product?: { id: string } }[])[0];
    const sub = (await t.call('GET', `/api/v1/subscriptions/${r!.subscriptionId}`, admin)).json() as {
      code: string;
      status: string;
      directoryNumber: string;
      equipmentNumber: string;
    };
    expect(item?.product?.id).toBe(sub.code);
    const p = await t.call('GET', `${INVENTORY}/product/${sub.code}`, admin);
    expect(p.statusCode, p.body).toBe(200);
    const product = p.json() as Record<string, unknown>;
    expect(swaggerErrors('TMF637', 'Product', product)).toEqual([]);
    expect(product).toMatchObject({
      status: 'active',
      productOffering: { id: 'FIXE' },
      relatedParty: [{ id: customer.code }],
      productCharacteristic: expect.arrayContaining([
        { name: 'directoryNumber', value: sub.directoryNumber, valueType: 'string' },
        { name: 'equipmentNumber', value: sub.equipmentNumber, valueType: 'string' },
      ]),
      productOrderItem: [expect.objectContaining({ productOrderId: id, orderItemAction: 'add' })],
    });
    const resources = product.realizingResource as { id: string; '@referredType': string }[];
    expect(resources.map((x) => x.id)).toContain(`number-${sub.directoryNumber}`);
    expect(resources.map((x) => x.id)).toContain(`port-${sub.equipmentNumber}`);
    expect(resources.filter((x) => x.id.startsWith('pair-'))).toHaveLength(2);
    const byNumber = await t.call(
      'GET',
      `${INVENTORY}/product?productCharacteristic.value=${sub.directoryNumber}`,
      admin,
    );
    expect((byNumber.json() as { id: string }[]).map((x) => x.id)).toEqual([sub.code]);

    // the number in the inventory: through the native API and through TMF639
    const number = await t.call('GET', `/api/v1/inventory/numbers/${sub.directoryNumber}`, admin);
    expect(number.json()).toMatchObject({ status: 'assigned' });
    for (const ref of resources) {
      const res = await t.call('GET', `${RESOURCES}/resource/${ref.id}`, admin);
      expect(res.statusCode, `${ref.id}: ${res.body}`).toBe(200);
      expect(res.json()).toMatchObject({ id: ref.id, '@type': ref['@referredType'] });
      expect(swaggerErrors('TMF639', 'Resource', res.json())).toEqual([]);
    }
    // and on the switch the automaton really set it up
    expect(net.line(sub.directoryNumber)).toMatchObject({ en: sub.equipmentNumber });
  }, 120_000);
});

const eventsSuite = osmoHlrSuiteName(
  'TMF622 order state changes notified to a listener: a hold, the customer steps, the works, completion',
);

describe.skipIf(eventsSuite.skip)(eventsSuite.name, () => {
  let t: TestApp;
  let admin: string;
  let net: TestElements;
  let server: Server;
  const received: { path: string; body: Notification }[] = [];

  interface Notification {
    eventId: string;
    eventType: string;
    event: { productOrder?: { id: string; state: string; productOrderItem: { state: string }[] } };
  }

  beforeAll(async () => {
    // no plant yet: the first study finds the address unserved and the request waits for capacity
    t = await createTestApp();
    await t.app.requests.loadDefaultScenarios();
    net = await startTestElements(t.app.activation);
    admin = await t.login('admin');
    server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(data) as Notification });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  }, 60_000);
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await net?.close();
    await t?.close();
  });

  it('publishes one ProductOrderStateChangeEvent per real change, in order, each with the state it led to', async () => {
    const port = (server.address() as AddressInfo).port;
    const sub = await t.call('POST', `${ORDERING}/hub`, admin, {
      callback: `http://127.0.0.1:${port}/crm`,
      query: 'eventType=ProductOrderStateChangeEvent,ProductOrderCreateEvent',
    });
    expect(sub.statusCode, sub.body).toBe(201);
    const front = await t.login('commercial');
    const c = await t.call('POST', '/api/v1/customers', front, {
      kind: 'person',
      lastName: 'Diop',
      firstNames: 'Ousmane',
      address: { street: 'Avenue Georges Pompidou', district: 'Plateau', locality: 'Dakar' },
      phones: ['+221 77 400 00 01'],
      categories: {
        commercial1: 'RES',
        commercial2: 'STD',
        collection: 'STANDARD',
        accounting: 'PART',
        tax: 'TVA18',
      },
    });
    expect(c.statusCode, c.body).toBe(201);
    const placed = await t.call('POST', `${ORDERING}/productOrder`, admin, {
      productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'FIXE' } }],
      relatedParty: [{ id: (c.json() as { code: string }).code, role: 'customer' }],
    });
    expect(placed.statusCode, placed.body).toBe(201);
    const id = (placed.json() as { id: string }).id;
    const stateOf = async () =>
      ((await t.call('GET', `${ORDERING}/productOrder/${id}`, admin)).json() as { state: string }).state;

    const polled: string[] = [await stateOf()];
    const see = async () => {
      const s = await stateOf();
      if (polled[polled.length - 1] !== s) polled.push(s);
    };
    await t.app.workflow.drain();
    await see();
    expect(polled).toEqual(['acknowledged', 'held']);

    // capacity arrives: the plant is loaded, the held request resumes (by the inventory, or by hand)
    await loadDemoPlant(t.tdb.db);
    await t.app.requests.resumesSettled();
    if ((await stateOf()) === 'held')
      await t.app.workflow.signal(PENDING_RESUMED, { requestRef: id }, SYSTEM);

    let status = 'open';
    for (let round = 0; round < 40 && status === 'open'; round++) {
      await t.app.workflow.drain();
      await see();
      await t.app.activation.automaton.drain();
      await t.app.workflow.drain();
      await see();
      const r = (await t.call('GET', `/api/v1/requests/${id}`, admin)).json() as RequestJson;
      status = r.status;
      for (const task of r.workflow.tasks.filter(
        (x) => x.kind === 'human' && ['ready', 'claimed'].includes(x.status),
      )) {
        const step = SCRIPT[task.node];
        if (!step) throw new Error(`no script for ${task.node}`);
        const token = await t.login(AGENT_OF[task.actor]!);
        expect((await t.call('POST', `/api/v1/tasks/${task.id}/claim`, token)).statusCode).toBe(200);
        const done = await t.call('POST', `/api/v1/tasks/${task.id}/complete`, token, step(r));
        expect(done.statusCode, `${task.node}: ${done.body}`).toBe(200);
        await see();
      }
    }
    expect(status).toBe('completed');
    expect(polled[polled.length - 1]).toBe('completed');

    // the listener was not called during all this: the dispatcher runs now, once everything is over
    const hub = new TmfHub(t.tdb.db, tmfApisOf(t.app.http));
    await hub.runOnce();
    const notes = received.filter((n) => n.body.event.productOrder?.id === id);
    expect(notes[0]?.body.eventType).toBe('ProductOrderCreateEvent');
    const changes = notes.filter((n) => n.body.eventType === 'ProductOrderStateChangeEvent');
    for (const n of changes) expect(n.path).toBe('/crm/listener/productOrderStateChangeEvent');
    const states = changes.map((n) => n.body.event.productOrder!.state);
    // each notification carries the state its change led to, the item's too, valid for the swagger
    for (const n of changes) {
      const o = n.body.event.productOrder!;
      expect(o.productOrderItem[0]?.state).toBe(o.state);
      expect(swaggerErrors('TMF622', 'ProductOrder', o)).toEqual([]);
    }
    // exactly the journal's changes, in order, none twice in a row (task churn is not a change)
    const journal = await sql<{ id: string; from: string; to: string }>`
      SELECT e.id::text AS id, e.payload ->> 'from' AS "from", e.payload ->> 'to' AS "to" FROM event e
      JOIN service_request r ON r.id::text = e.entity_id
      WHERE e.entity_type = 'service_request' AND e.kind = 'request.tmf_state_changed' AND r.number = ${id}
      ORDER BY e.id`.execute(t.tdb.db);
    expect(changes.map((n) => n.body.eventId)).toEqual(journal.rows.map((j) => j.id));
    expect(states).toEqual(journal.rows.map((j) => j.to));
    expect(['acknowledged', ...states.slice(0, -1)]).toEqual(journal.rows.map((j) => j.from));
    for (let i = 1; i < states.length; i++) expect(states[i]).not.toBe(states[i - 1]);
    // the hold first, completion last, the customer's steps and the operator's works in between;
    // every state the agents' screens saw is there, in the same order
    expect(states[0]).toBe('held');
    expect(states[states.length - 1]).toBe('completed');
    expect(states).toContain('pending');
    expect(states).toContain('inProgress');
    let k = 0;
    for (const s of states) if (s === polled.slice(1)[k]) k++;
    expect(k, `${polled.join(' → ')} within ${states.join(' → ')}`).toBe(polled.length - 1);
    // a second pass sends nothing again
    const before = received.length;
    await hub.runOnce();
    expect(received.length).toBe(before);
  }, 180_000);
});
