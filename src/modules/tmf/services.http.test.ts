import { createServer, type Server } from 'node:http';
import { sql } from 'kysely';
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
  const monitorOf = async (href: string) => {
    const res = await t.call('GET', new URL(href).pathname, switching);
    expect(res.statusCode, res.body).toBe(200);
    const m = res.json() as Obj & { response?: { statusCode: string; body: string } };
    expect(swaggerErrors('TMF640', 'Monitor', m)).toEqual([]);
    return m;
  };
  const linkOf = (header: unknown) => /^<([^>]+)>; rel="monitor"$/.exec(String(header))?.[1];

  it('answers a long-running POST with 202 and its monitor, which ends with the resulting service', async () => {
    const created = await t.call('POST', `${ACT}/service`, switching, { id: MOBILE_DN, state: 'active' });
    expect(created.statusCode, created.body).toBe(202);
    const m = created.json() as Obj & { href: string; sourceHref: string };
    expect(swaggerErrors('TMF640', 'Monitor', m)).toEqual([]);
    expect(created.headers.location).toBe(m.href);
    expect(m.href).toMatch(new RegExp(`${ACT}/monitor/${m.id}$`));
    expect(m).toMatchObject({
      state: 'InProgress',
      sourceHref: expect.stringContaining(`${ACT}/service/${MOBILE_DN}`),
      request: { method: 'POST', '@type': 'Request' },
      '@type': 'Monitor',
    });
    expect(m.response).toBeUndefined();
    // the monitor is the activation order, also a TMF641 service order
    expect(((await t.call('GET', `${ORD}/serviceOrder/${m.id}`, switching)).json() as Obj).state).toBe(
      'acknowledged',
    );
    await drain();
    const done = await monitorOf(m.href);
    expect(done.state).toBe('Completed');
    expect(done.response?.statusCode).toBe('200');
    const result = JSON.parse(done.response!.body) as Obj;
    expect(swaggerErrors('TMF640', 'Service', result)).toEqual([]);
    expect(result).toMatchObject({ id: MOBILE_DN, state: 'active', '@type': 'Service' });
    const active = (await t.call('GET', `${ACT}/service/${MOBILE_DN}`, switching)).json() as Obj;
    expect(swaggerErrors('TMF640', 'Service', active)).toEqual([]);
    expect(active).toMatchObject({ state: 'active', category: 'mobile' });
    expect(await net.subscriber(cards[0]!.imsi)).toMatchObject({ msisdn: MOBILE_DN });
  });

  it('PATCH answers 200 with the service and links its monitor; with Prefer: respond-async, 202 and the monitor', async () => {
    const patched = await t.call('PATCH', `${ACT}/service/${MOBILE_DN}`, switching, { state: 'inactive' });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(swaggerErrors('TMF640', 'Service', patched.json())).toEqual([]);
    const link = linkOf(patched.headers.link);
    expect(link).toMatch(/\/monitor\/\d+$/);
    expect((await monitorOf(link!)).state).toBe('InProgress');
    await drain();
    const suspended = await monitorOf(link!);
    expect(suspended.state).toBe('Completed');
    expect(JSON.parse(suspended.response!.body)).toMatchObject({ id: MOBILE_DN, state: 'inactive' });
    expect(((await t.call('GET', `${ACT}/service/${MOBILE_DN}`, switching)).json() as Obj).state).toBe(
      'inactive',
    );
    expect(await net.subscriber(cards[0]!.imsi)).toMatchObject({ access: { cs: false, ps: false } });

    const async = await t.app.http.inject({
      method: 'PATCH',
      url: `${ACT}/service/${MOBILE_DN}`,
      headers: { authorization: `Bearer ${switching}`, prefer: 'respond-async' },
      payload: { state: 'active' },
    });
    expect(async.statusCode, async.body).toBe(202);
    const m = async.json() as Obj & { href: string };
    expect(swaggerErrors('TMF640', 'Monitor', m)).toEqual([]);
    expect(async.headers.location).toBe(m.href);
    expect(m).toMatchObject({ state: 'InProgress', request: { method: 'PATCH' } });
    await drain();
    expect(JSON.parse((await monitorOf(m.href)).response!.body)).toMatchObject({ state: 'active' });

    const monitors = await t.call(
      'GET',
      `${ACT}/monitor?serviceOrderItem.service.id=${MOBILE_DN}`,
      switching,
    );
    expect(monitors.statusCode).toBe(200);
    const ms = monitors.json() as (Obj & { response: { body: string } })[];
    expect(ms.map((x) => x.state)).toEqual(['Completed', 'Completed', 'Completed']);
    for (const x of ms) expect(swaggerErrors('TMF640', 'Monitor', x)).toEqual([]);
    // each with the service as it is now (listing reads the lines once)
    for (const x of ms) expect(JSON.parse(x.response.body)).toMatchObject({ id: MOBILE_DN, state: 'active' });
  });

  it('DELETE answers 204 with the monitor linked; refuses what GPTo cannot do, naming the field; checks rights', async () => {
    const badPatch = await t.call('PATCH', `${ACT}/service/${MOBILE_DN}`, switching, { state: 'designed' });
    expect(badPatch.statusCode).toBe(400);
    expect(badPatch.json()).toMatchObject({ field: 'service.state' });
    const readOnly = await t.call('PATCH', `${ACT}/service/${MOBILE_DN}`, switching, { category: 'x' });
    expect(readOnly.json()).toMatchObject({ field: 'category' });
    expect(
      (await t.call('PATCH', `${ACT}/service/999999999`, switching, { state: 'active' })).statusCode,
    ).toBe(404);
    const unknown = await t.call('POST', `${ACT}/service`, switching, { id: '999999999' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ field: 'id', '@type': 'Error' });
    expect((await t.call('GET', `${ACT}/monitor/999999999`, switching)).statusCode).toBe(404);

    const del = await t.call('DELETE', `${ACT}/service/${MOBILE_DN}`, switching);
    expect(del.statusCode).toBe(204);
    const link = linkOf(del.headers.link);
    expect(link).toMatch(/\/monitor\/\d+$/);
    await drain();
    const removed = await monitorOf(link!);
    expect(removed).toMatchObject({ state: 'Completed', request: { method: 'DELETE' } });
    expect(((await t.call('GET', `${ACT}/service/${MOBILE_DN}`, switching)).json() as Obj).state).toBe(
      'terminated',
    );
    const care = await t.login('care');
    expect((await t.call('PATCH', `${ACT}/service/${MOBILE_DN}`, care, { state: 'active' })).statusCode).toBe(
      403,
    );
    expect((await t.call('POST', `${ACT}/service`, undefined, { id: MOBILE_DN })).statusCode).toBe(401);
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
      while ((orderNotes().length < 3 || !lineBack()) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 25));
      expect(orderNotes().map((n) => n.body.eventType)).toEqual([
        'ServiceOrderCreateEvent',
        'ServiceOrderStateChangeEvent',
        'ServiceOrderStateChangeEvent',
      ]);
      expect(orderNotes().map((n) => n.path)).toEqual([
        '/orders/listener/serviceOrderCreateEvent',
        '/orders/listener/serviceOrderStateChangeEvent',
        '/orders/listener/serviceOrderStateChangeEvent',
      ]);
      // each state change with the state it led to: claimed by the automaton, then done
      expect(
        orderNotes()
          .slice(1)
          .map((n) => n.body.event.serviceOrder!.state),
      ).toEqual(['inProgress', 'completed']);
      for (const n of orderNotes())
        expect(swaggerErrors('TMF641', 'ServiceOrder', n.body.event.serviceOrder)).toEqual([]);
      expect(lineBack()).toBe(true);
    } finally {
      await hub.stop();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('TMF641 cancelServiceOrder', () => {
  const MOBILE2 = '771230002';
  let lineId: number;

  beforeAll(async () => {
    await t.app.requests.loadDefaultScenarios();
    const s = await t.call('POST', `/api/v1/customers/${customerCode}/subscriptions`, admin, {
      productCode: 'MOBILE-POST',
      directoryNumber: MOBILE2,
      simIccid: cards[1]!.iccid,
    });
    expect(s.statusCode, s.body).toBe(201);
    const sub = s.json() as { id: number; status: string };
    lineId = sub.id;
    if (sub.status === 'pending')
      expect(
        (await t.call('POST', `/api/v1/subscriptions/${sub.id}/status`, admin, { status: 'active' }))
          .statusCode,
      ).toBe(200);
    // on the network (in the HLR) before anything is suspended there
    const on = await t.call('POST', `${ACT}/service`, switching, { id: MOBILE2 });
    expect(on.statusCode, on.body).toBe(202);
    await drain();
    expect(((await t.call('GET', `${ACT}/service/${MOBILE2}`, switching)).json() as Obj).state).toBe(
      'active',
    );
  });

  const queue = async (token: string) => {
    const res = await t.call('POST', `${ORD}/serviceOrder`, token, {
      serviceOrderItem: [{ id: '1', action: 'modify', service: { id: MOBILE2, state: 'inactive' } }],
    });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as Obj).id;
  };
  const orderState = async (id: string) =>
    ((await t.call('GET', `${ORD}/serviceOrder/${id}`, admin)).json() as Obj).state;

  it('withdraws a queued order: done at once, the order cancelled; valid against the v4 swagger', async () => {
    const id = await queue(switching);
    expect(await orderState(id)).toBe('acknowledged');
    const res = await t.call('POST', `${ORD}/cancelServiceOrder`, switching, {
      serviceOrder: { id, '@referredType': 'ServiceOrder' },
      cancellationReason: 'customer changed their mind',
      requestedCancellationDate: '2026-12-01T08:00:00.000Z',
    });
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json() as Obj & { href: string };
    expect(res.headers.location).toBe(c.href);
    expect(swaggerErrors('TMF641', 'CancelServiceOrder', c)).toEqual([]);
    expect(c).toMatchObject({
      state: 'done',
      cancellationReason: 'customer changed their mind',
      requestedCancellationDate: '2026-12-01T08:00:00.000Z',
      serviceOrder: { id, '@referredType': 'ServiceOrder' },
      '@type': 'CancelServiceOrder',
    });
    expect(typeof c.effectiveCancellationDate).toBe('string');
    const order = (await t.call('GET', `${ORD}/serviceOrder/${id}`, admin)).json() as Obj;
    expect(order.state).toBe('cancelled');
    expect(swaggerErrors('TMF641', 'ServiceOrder', order)).toEqual([]);
    // the automaton never runs it
    await drain();
    expect(await orderState(id)).toBe('cancelled');

    const one = await t.call('GET', `${ORD}/cancelServiceOrder/${c.id}`, switching);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual(c);
    const listed = await t.call('GET', `${ORD}/cancelServiceOrder?serviceOrder.id=${id}`, switching);
    expect(listed.headers['x-total-count']).toBe('1');
    expect((listed.json() as Obj[]).map((x) => x.id)).toEqual([c.id]);
    for (const x of listed.json() as Obj[])
      expect(swaggerErrors('TMF641', 'CancelServiceOrder', x)).toEqual([]);
    const projected = await t.call('GET', `${ORD}/cancelServiceOrder?state=done&fields=state`, switching);
    expect(projected.json()).toContainEqual({
      id: c.id,
      href: c.href,
      state: 'done',
      '@type': 'CancelServiceOrder',
    });

    // an ended order cannot be cancelled; unknown ones are named
    const again = await t.call('POST', `${ORD}/cancelServiceOrder`, switching, { serviceOrder: { id } });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ field: 'serviceOrder.id', '@type': 'Error' });
    const unknown = await t.call('POST', `${ORD}/cancelServiceOrder`, switching, {
      serviceOrder: { id: '99999999' },
    });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({ field: 'serviceOrder.id' });
    const bad = await t.call('POST', `${ORD}/cancelServiceOrder`, switching, { order: { id } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'order' });
    expect((await t.call('GET', `${ORD}/cancelServiceOrder/CSO99999999`, switching)).statusCode).toBe(404);
    expect((await t.call('GET', `${ORD}/cancelServiceOrder?state=finished`, switching)).statusCode).toBe(400);
  });

  it('an order already on its element cannot be called back: terminatedWithError, the order runs to its end', async () => {
    const id = await queue(switching);
    // the automaton's claim (as its queue query does it), with a lease already over so that the
    // next drain takes it over and runs it
    await sql`UPDATE act_order SET status = 'running', claimed_by = 'test', lease_until = now(), started_at = now()
      WHERE id = ${Number(id)}`.execute(t.tdb.db);
    expect(await orderState(id)).toBe('inProgress');
    const started = await sql<{ n: number }>`SELECT count(*)::int AS n FROM event
      WHERE entity_type = 'activation_order' AND entity_id = ${id} AND kind = 'activation.order_started'`.execute(
      t.tdb.db,
    );
    expect(started.rows[0]?.n).toBe(1);
    const res = await t.call('POST', `${ORD}/cancelServiceOrder`, switching, { serviceOrder: { id } });
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json() as Obj;
    expect(swaggerErrors('TMF641', 'CancelServiceOrder', c)).toEqual([]);
    expect(c.state).toBe('terminatedWithError');
    expect(c.effectiveCancellationDate).toBeUndefined();
    expect(await orderState(id)).toBe('inProgress');
    await drain();
    expect(await orderState(id)).toBe('completed');
    // back in service for the next test
    const restore = await t.call('POST', `${ORD}/serviceOrder`, switching, {
      serviceOrderItem: [{ id: '1', action: 'modify', service: { id: MOBILE2, state: 'active' } }],
    });
    expect(restore.statusCode, restore.body).toBe(201);
    await drain();
  });

  it("an order of a service request cancels that request by the requests module's rule (request:write needed)", async () => {
    const r = await t.call('POST', '/api/v1/requests', admin, {
      kind: 'suspension',
      customer: customerCode,
      subscriptionId: lineId,
    });
    expect(r.statusCode, r.body).toBe(201);
    const number = (r.json() as { number: string }).number;
    await t.app.workflow.drain();
    const queued = (await t.call('GET', `${ORD}/serviceOrder?externalId=${number}`, admin)).json() as Obj[];
    expect(queued.map((o) => o.state)).toEqual(['acknowledged']);
    const id = queued[0]!.id;
    // externalId: the request number (act_order keeps the request's id)
    expect(queued[0]).toMatchObject({ externalId: number });

    // switching may write activation orders but not cancel requests
    const refused = await t.call('POST', `${ORD}/cancelServiceOrder`, switching, { serviceOrder: { id } });
    expect(refused.statusCode).toBe(403);
    expect(await orderState(id)).toBe('acknowledged');
    expect(
      ((await t.call('GET', `/api/v1/requests/${number}`, admin)).json() as { status: string }).status,
    ).toBe('open');

    const supervisor = await t.login('supervisor');
    const res = await t.call('POST', `${ORD}/cancelServiceOrder`, supervisor, {
      serviceOrder: { id },
      cancellationReason: 'asked by the customer',
    });
    expect(res.statusCode, res.body).toBe(201);
    expect((res.json() as Obj).state).toBe('done');
    expect(await orderState(id)).toBe('cancelled');
    const request = (await t.call('GET', `/api/v1/requests/${number}`, admin)).json() as {
      status: string;
      reason: string | null;
    };
    expect(request).toMatchObject({ status: 'cancelled', reason: 'asked by the customer' });
    // the same request through TMF622
    const po = await t.call('GET', `/tmf-api/productOrderingManagement/v4/productOrder/${number}`, admin);
    expect(po.json()).toMatchObject({ state: 'cancelled' });
    await drain();
    expect(await orderState(id)).toBe('cancelled');
  });

  it('checks rights like the native activation API', async () => {
    const id = await queue(switching);
    const care = await t.login('care');
    expect(
      (await t.call('POST', `${ORD}/cancelServiceOrder`, care, { serviceOrder: { id } })).statusCode,
    ).toBe(403);
    expect(
      (await t.call('POST', `${ORD}/cancelServiceOrder`, undefined, { serviceOrder: { id } })).statusCode,
    ).toBe(401);
    // reading needs activation:read only, as the orders themselves
    expect((await t.call('GET', `${ORD}/cancelServiceOrder`, care)).statusCode).toBe(200);
    await drain();
  });
});
