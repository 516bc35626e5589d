import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { SYSTEM } from '../../platform/events.js';
import { startTestElements, type TestElements } from '../activation/testing/elements.js';
import { cardsCsv, makeCards } from '../activation/testing/fixtures.js';
import { TmfHub } from './hub-dispatcher.js';
import { tmfApisOf } from './index.js';

/** TMF638 Service Inventory, TMF640 Service Activation and TMF641 Service Ordering over the automaton. */

const INV = '/tmf-api/serviceInventory/v4';
const ACT = '/tmf-api/serviceActivationConfiguration/v4';
const ORD = '/tmf-api/serviceOrdering/v4';
const FIXED_DN = '338240101';
const MOBILE_DN = '771230001';
const EN = '04-01-007';
const cards = makeCards(2, 7311);

let t: TestApp;
let net: TestElements;
let admin: string;
let switching: string;
let customerCode: string;
let fixedStatus: string;

type Obj = Record<string, unknown> & { id: string; state: string };

beforeAll(async () => {
  t = await createTestApp();
  net = await startTestElements(t.app.activation);
  await t.app.inventory.sims.importBatch(
    { batch: 'TMFSVC', manufacturer: 'Test', csv: cardsCsv(cards) },
    SYSTEM,
  );
  admin = await t.login('admin');
  switching = await t.login('switching');
  const c = await t.call('POST', '/api/v1/customers', admin, {
    kind: 'person',
    lastName: 'Ndiaye',
    firstNames: 'Awa',
    address: { street: 'Rue 10', locality: 'Dakar' },
    phones: ['+221 77 100 00 00'],
    categories: {
      commercial1: 'RES',
      commercial2: 'STD',
      collection: 'STANDARD',
      accounting: 'PART',
      tax: 'TVA18',
    },
  });
  expect(c.statusCode, c.body).toBe(201);
  customerCode = (c.json() as { code: string }).code;
  const fixed = await t.call('POST', `/api/v1/customers/${customerCode}/subscriptions`, admin, {
    productCode: 'FIXE',
    directoryNumber: FIXED_DN,
  });
  expect(fixed.statusCode, fixed.body).toBe(201);
  fixedStatus = (fixed.json() as { status: string }).status;
  // the equipment number the allocation gives a fixed line
  await t.tdb.db
    .transaction()
    .execute((trx) =>
      t.app.referential.subscriptions.changeTechnicalIn(
        trx,
        (fixed.json() as { id: number }).id,
        { equipmentNumber: EN },
        'allocation',
        SYSTEM,
      ),
    );
  const mobile = await t.call('POST', `/api/v1/customers/${customerCode}/subscriptions`, admin, {
    productCode: 'MOBILE-POST',
    directoryNumber: MOBILE_DN,
    simIccid: cards[0]!.iccid,
  });
  expect(mobile.statusCode, mobile.body).toBe(201);
}, 60_000);

afterAll(async () => {
  await t?.app.activation.stop();
  await net?.close();
  await t?.close();
});

const drain = () => t.app.activation.automaton.drain();

describe('TMF638 service', () => {
  it('lists the lines as services, valid against the swagger, with filters, fields and 404', async () => {
    const res = await t.call('GET', `${INV}/service?relatedParty.id=${customerCode}`, switching);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-total-count']).toBe('2');
    const list = res.json() as Obj[];
    for (const s of list) expect(swaggerErrors('TMF638', 'Service', s)).toEqual([]);
    const fixed = list.find((s) => s.id === FIXED_DN);
    expect(fixed).toMatchObject({
      category: 'fixed',
      serviceType: 'fixed_wired',
      '@type': 'Service',
      serviceCharacteristic: expect.arrayContaining([
        { name: 'directoryNumber', value: FIXED_DN, valueType: 'string' },
        { name: 'equipmentNumber', value: EN, valueType: 'string' },
      ]),
      supportingResource: expect.arrayContaining([
        expect.objectContaining({ id: `number-${FIXED_DN}` }),
        expect.objectContaining({ id: `port-${EN}` }),
      ]),
      relatedParty: [expect.objectContaining({ id: customerCode, role: 'customer' })],
    });
    // no activation order yet: the state is the subscription's
    const byStatus: Record<string, string> = { pending: 'reserved', active: 'active', suspended: 'inactive' };
    expect(fixed?.state).toBe(byStatus[fixedStatus]);
    expect(fixed?.serviceCharacteristic).toContainEqual({
      name: 'subscriptionStatus',
      value: fixedStatus,
      valueType: 'string',
    });
    const mobile = (await t.call('GET', `${INV}/service/${MOBILE_DN}`, switching)).json() as Obj;
    expect(swaggerErrors('TMF638', 'Service', mobile)).toEqual([]);
    expect(mobile.supportingResource).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: `sim-${cards[0]!.iccid}` })]),
    );
    const byIccid = await t.call(
      'GET',
      `${INV}/service?serviceCharacteristic.value=${cards[0]!.iccid}`,
      switching,
    );
    expect((byIccid.json() as Obj[]).map((s) => s.id)).toEqual([MOBILE_DN]);
    const byCategory = await t.call(
      'GET',
      `${INV}/service?category=fixed&relatedParty.id=${customerCode}`,
      switching,
    );
    expect((byCategory.json() as Obj[]).map((s) => s.id)).toEqual([FIXED_DN]);
    const fields = (await t.call('GET', `${INV}/service/${FIXED_DN}?fields=state`, switching)).json();
    expect(Object.keys(fields as object).sort()).toEqual(['@type', 'href', 'id', 'state']);
    const missing = await t.call('GET', `${INV}/service/999999999`, switching);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ '@type': 'Error', status: '404' });
    // an attribute no service has matches none; a malformed paging parameter is named
    const none = await t.call('GET', `${INV}/service?colour=blue`, switching);
    expect(none.json()).toEqual([]);
    const bad = await t.call('GET', `${INV}/service?limit=many`, switching);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ '@type': 'Error', field: 'limit' });
    const badState = await t.call('GET', `${INV}/service?state=sleepy`, switching);
    expect(badState.statusCode).toBe(400);
    expect(badState.json()).toMatchObject({ field: 'state' });
  });

  it('answers 401 without a token and 403 without the inventory right', async () => {
    expect((await t.call('GET', `${INV}/service`)).statusCode).toBe(401);
    const enquiries = await t.login('enquiries');
    expect((await t.call('GET', `${INV}/service`, enquiries)).statusCode).toBe(403);
  });
});

describe('TMF641 serviceOrder', () => {
  it('puts a fixed line on the switch, then suspends it; the order follows the automaton', async () => {
    const res = await t.call('POST', `${ORD}/serviceOrder`, switching, {
      serviceOrderItem: [{ id: '1', action: 'add', service: { id: FIXED_DN, '@type': 'Service' } }],
    });
    expect(res.statusCode, res.body).toBe(201);
    const order = res.json() as Obj;
    expect(res.headers.location).toBe(order.href);
    expect(swaggerErrors('TMF641', 'ServiceOrder', order)).toEqual([]);
    expect(order).toMatchObject({ state: 'acknowledged', category: 'fixed.activate' });
    await drain();
    const done = (await t.call('GET', `${ORD}/serviceOrder/${order.id}`, switching)).json() as Obj;
    expect(swaggerErrors('TMF641', 'ServiceOrder', done)).toEqual([]);
    expect(done).toMatchObject({
      state: 'completed',
      serviceOrderItem: [{ state: 'completed', action: 'add' }],
    });
    expect(net.line(FIXED_DN)).toMatchObject({ en: EN });
    const native = (await t.call('GET', `/api/v1/activation/orders/${order.id}`, switching)).json();
    expect(native).toMatchObject({ status: 'done', createdBy: 'switching', lineId: FIXED_DN });
    const svc = (await t.call('GET', `${INV}/service/${FIXED_DN}`, switching)).json() as Obj;
    expect(svc).toMatchObject({ state: 'active', isServiceEnabled: true });
    expect(svc.serviceOrderItem).toEqual([
      expect.objectContaining({ serviceOrderId: order.id, itemAction: 'add' }),
    ]);

    const suspend = await t.call('POST', `${ORD}/serviceOrder`, switching, {
      serviceOrderItem: [{ id: '1', action: 'modify', service: { id: FIXED_DN, state: 'inactive' } }],
    });
    expect(suspend.statusCode, suspend.body).toBe(201);
    await drain();
    expect(((await t.call('GET', `${INV}/service/${FIXED_DN}`, switching)).json() as Obj).state).toBe(
      'inactive',
    );
    expect(net.line(FIXED_DN)?.status).not.toBe('idle');
    const inactive = await t.call(
      'GET',
      `${INV}/service?state=inactive&relatedParty.id=${customerCode}`,
      switching,
    );
    expect((inactive.json() as Obj[]).map((s) => s.id)).toEqual([FIXED_DN]);

    const list = await t.call(
      'GET',
      `${ORD}/serviceOrder?serviceOrderItem.service.id=${FIXED_DN}`,
      switching,
    );
    expect(list.headers['x-total-count']).toBe('2');
    for (const o of list.json() as Obj[]) expect(swaggerErrors('TMF641', 'ServiceOrder', o)).toEqual([]);
    const completed = await t.call(
      'GET',
      `${ORD}/serviceOrder?state=completed&category=fixed.suspend`,
      switching,
    );
    expect((completed.json() as Obj[]).map((o) => o.id)).toEqual([(suspend.json() as Obj).id]);
  });

  it('shows a refusal of the element as a failed order with its message', async () => {
    const res = await t.call('POST', `${ORD}/serviceOrder`, switching, {
      serviceOrderItem: [
        {
          id: '1',
          action: 'modify',
          service: { id: FIXED_DN, serviceCharacteristic: [{ name: 'barring', value: 'NOSUCH' }] },
        },
      ],
    });
    expect(res.statusCode, res.body).toBe(201);
    await drain();
    const failed = (
      await t.call('GET', `${ORD}/serviceOrder/${(res.json() as Obj).id}`, switching)
    ).json() as Obj;
    expect(swaggerErrors('TMF641', 'ServiceOrder', failed)).toEqual([]);
    expect(failed).toMatchObject({
      state: 'failed',
      note: [expect.objectContaining({ text: expect.any(String) })],
    });
  });

  it('refuses what GPTo cannot do, naming the field, and checks rights', async () => {
    const two = await t.call('POST', `${ORD}/serviceOrder`, switching, {
      serviceOrderItem: [
        { id: '1', action: 'delete', service: { id: FIXED_DN } },
        { id: '2', action: 'delete', service: { id: MOBILE_DN } },
      ],
    });
    expect(two.statusCode).toBe(400);
    expect(two.json()).toMatchObject({ '@type': 'Error', field: 'serviceOrderItem' });
    const unknown = await t.call('POST', `${ORD}/serviceOrder`, switching, {
      serviceOrderItem: [{ id: '1', action: 'add', service: { id: '999999999' } }],
    });
    expect(unknown.json()).toMatchObject({ field: 'serviceOrderItem[0].service.id' });
    const badAction = await t.call('POST', `${ORD}/serviceOrder`, switching, {
      serviceOrderItem: [{ id: '1', action: 'noChange', service: { id: FIXED_DN } }],
    });
    expect(badAction.json()).toMatchObject({ field: 'serviceOrderItem[0].service.action' });
    expect((await t.call('GET', `${ORD}/serviceOrder/424242`, switching)).statusCode).toBe(404);
    const care = await t.login('care');
    expect((await t.call('GET', `${ORD}/serviceOrder`, care)).statusCode).toBe(200);
    const denied = await t.call('POST', `${ORD}/serviceOrder`, care, {
      serviceOrderItem: [{ id: '1', action: 'delete', service: { id: FIXED_DN } }],
    });
    expect(denied.statusCode).toBe(403);
    expect((await t.call('GET', `${ORD}/serviceOrder`)).statusCode).toBe(401);
  });
});

describe('TMF640 service and monitor', () => {
  it('creates the subscriber in the HLR, suspends and removes it, each order a monitor', async () => {
    const created = await t.call('POST', `${ACT}/service`, switching, { id: MOBILE_DN, state: 'active' });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.headers.location).toBe((created.json() as Obj).href);
    expect(swaggerErrors('TMF640', 'Service', created.json())).toEqual([]);
    await drain();
    const active = (await t.call('GET', `${ACT}/service/${MOBILE_DN}`, switching)).json() as Obj;
    expect(swaggerErrors('TMF640', 'Service', active)).toEqual([]);
    expect(active).toMatchObject({ state: 'active', category: 'mobile' });
    expect(await net.subscriber(cards[0]!.imsi)).toMatchObject({ msisdn: MOBILE_DN });

    const patched = await t.call('PATCH', `${ACT}/service/${MOBILE_DN}`, switching, { state: 'inactive' });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(swaggerErrors('TMF640', 'Service', patched.json())).toEqual([]);
    await drain();
    expect(((await t.call('GET', `${ACT}/service/${MOBILE_DN}`, switching)).json() as Obj).state).toBe(
      'inactive',
    );
    expect(await net.subscriber(cards[0]!.imsi)).toMatchObject({ access: { cs: false, ps: false } });

    const monitors = await t.call(
      'GET',
      `${ACT}/monitor?serviceOrderItem.service.id=${MOBILE_DN}`,
      switching,
    );
    expect(monitors.statusCode).toBe(200);
    const ms = monitors.json() as Obj[];
    expect(ms.map((m) => m.state)).toEqual(['Completed', 'Completed']);
    for (const m of ms) expect(swaggerErrors('TMF640', 'Monitor', m)).toEqual([]);
    const one = await t.call('GET', `${ACT}/monitor/${ms[0]!.id}`, switching);
    expect(one.json()).toMatchObject({ sourceHref: expect.stringContaining(`/service/${MOBILE_DN}`) });

    const badPatch = await t.call('PATCH', `${ACT}/service/${MOBILE_DN}`, switching, { state: 'designed' });
    expect(badPatch.statusCode).toBe(400);
    expect(badPatch.json()).toMatchObject({ field: 'service.state' });
    const readOnly = await t.call('PATCH', `${ACT}/service/${MOBILE_DN}`, switching, { category: 'x' });
    expect(readOnly.json()).toMatchObject({ field: 'category' });
    expect(
      (await t.call('PATCH', `${ACT}/service/999999999`, switching, { state: 'active' })).statusCode,
    ).toBe(404);

    const del = await t.call('DELETE', `${ACT}/service/${MOBILE_DN}`, switching);
    expect(del.statusCode).toBe(204);
    await drain();
    expect(((await t.call('GET', `${ACT}/service/${MOBILE_DN}`, switching)).json() as Obj).state).toBe(
      'terminated',
    );
    const care = await t.login('care');
    expect((await t.call('PATCH', `${ACT}/service/${MOBILE_DN}`, care, { state: 'active' })).statusCode).toBe(
      403,
    );
  });
});

describe('TMF641/TMF638 events', () => {
  it('notifies the order queued and done, and the line back in service', async () => {
    const notes: { path: string; body: { eventType: string; event: Record<string, Obj> } }[] = [];
    const server: Server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        notes.push({ path: req.url ?? '', body: JSON.parse(data) as (typeof notes)[number]['body'] });
        res.statusCode = 201;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const hub = new TmfHub(t.tdb.db, tmfApisOf(t.app.http), {
      pollMs: 20,
      backoffBaseMs: 40,
      backoffCapMs: 400,
      timeoutMs: 5_000,
    });
    try {
      for (const base of [ORD, INV]) {
        const sub = await t.call('POST', `${base}/hub`, switching, {
          callback: `http://127.0.0.1:${port}${base === ORD ? '/orders' : '/services'}`,
        });
        expect(sub.statusCode, sub.body).toBe(201);
      }
      hub.start();
      const res = await t.call('POST', `${ORD}/serviceOrder`, switching, {
        serviceOrderItem: [{ id: '1', action: 'modify', service: { id: FIXED_DN, state: 'active' } }],
      });
      expect(res.statusCode, res.body).toBe(201);
      const id = (res.json() as Obj).id;
      await drain();
      const deadline = Date.now() + 30_000;
      const orderNotes = () =>
        notes.filter((n) => n.path.startsWith('/orders') && n.body.event.serviceOrder?.id === id);
      const lineBack = () =>
        notes.some(
          (n) =>
            n.body.eventType === 'ServiceStateChangeEvent' &&
            n.body.event.service?.id === FIXED_DN &&
            n.body.event.service.state === 'active',
        );
      while ((orderNotes().length < 2 || !lineBack()) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 25));
      expect(orderNotes().map((n) => n.body.eventType)).toEqual([
        'ServiceOrderCreateEvent',
        'ServiceOrderStateChangeEvent',
      ]);
      expect(orderNotes().map((n) => n.path)).toEqual([
        '/orders/listener/serviceOrderCreateEvent',
        '/orders/listener/serviceOrderStateChangeEvent',
      ]);
      // the resource as it is when sent: the order completed by then
      expect(orderNotes()[1]!.body.event.serviceOrder).toMatchObject({ state: 'completed' });
      expect(lineBack()).toBe(true);
    } finally {
      await hub.stop();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
