import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';

const BASE = '/tmf-api/productOrderingManagement/v4';
let t: TestApp;
let admin: string;
let front: string;
let seq = 0;

beforeAll(async () => {
  t = await createTestApp();
  await t.app.requests.loadDefaultScenarios();
  admin = await t.login('admin');
  front = await t.login('commercial');
});
afterAll(async () => {
  await t?.close();
});

const PLATEAU = { street: 'Avenue Georges Pompidou', district: 'Plateau', locality: 'Dakar' };

async function newCustomer(): Promise<{ id: number; code: string }> {
  const res = await t.call('POST', '/api/v1/customers', front, {
    kind: 'person',
    lastName: 'Ndiaye',
    firstNames: `Awa ${++seq}`,
    address: PLATEAU,
    phones: ['+221 77 100 00 00'],
    categories: {
      commercial1: 'RES',
      commercial2: 'STD',
      collection: 'STANDARD',
      accounting: 'PART',
      tax: 'TVA18',
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: number; code: string };
}

const newLine = (customer: string, extra: Record<string, unknown> = {}) => ({
  externalId: `CRM-${++seq}`,
  description: 'Ligne fixe pour la boutique',
  requestedCompletionDate: '2027-01-15T10:00:00.000Z',
  productOrderItem: [{ id: '100', action: 'add', productOffering: { id: 'FIXE' } }],
  relatedParty: [{ id: customer, role: 'customer', '@referredType': 'Individual' }],
  ...extra,
});

type Order = Record<string, unknown> & { id: string; href: string; state: string };

describe('TMF622 productOrder', () => {
  it('POST starts a real service request on the workflow engine, valid against the v4 swagger', async () => {
    const c = await newCustomer();
    const res = await t.call('POST', `${BASE}/productOrder`, admin, newLine(c.code));
    expect(res.statusCode, res.body).toBe(201);
    const o = res.json() as Order;
    expect(res.headers.location).toBe(o.href);
    expect(swaggerErrors('TMF622', 'ProductOrder', o)).toEqual([]);
    expect(o).toMatchObject({
      state: 'acknowledged',
      externalId: expect.stringMatching(/^CRM-/),
      requestedCompletionDate: '2027-01-15T10:00:00.000Z',
      relatedParty: [{ id: c.code, role: 'customer', '@referredType': 'Customer' }],
      billingAccount: { '@referredType': 'BillingAccount' },
      productOrderItem: [
        { id: '100', action: 'add', state: 'acknowledged', productOffering: { id: 'FIXE' } },
      ],
      '@type': 'ProductOrder',
    });
    expect(typeof o.orderDate).toBe('string');
    // the same object through the native API: a new_line request taken over the API channel
    const native = await t.call('GET', `/api/v1/requests/${o.id}`, admin);
    expect(native.statusCode).toBe(200);
    expect(native.json()).toMatchObject({
      kind: 'new_line',
      channel: 'api',
      productCode: 'FIXE',
      status: 'open',
      customerId: c.id,
      workflow: { scenario: 'new_fixed_wired', status: 'running' },
    });
    const got = await t.call('GET', `${BASE}/productOrder/${o.id}`, admin);
    expect(got.json()).toEqual(o);
    // the workers run the first steps: the state follows the request
    await t.app.workflow.drain();
    const later = (await t.call('GET', `${BASE}/productOrder/${o.id}`, admin)).json() as Order;
    expect(['inProgress', 'pending', 'held']).toContain(later.state);
    expect(swaggerErrors('TMF622', 'ProductOrder', later)).toEqual([]);
  });

  it('lists as a bare array with counts, filters on id, state, orderDate, party, and projects fields', async () => {
    const c = await newCustomer();
    const a = (await t.call('POST', `${BASE}/productOrder`, admin, newLine(c.code))).json() as Order;
    const b = (await t.call('POST', `${BASE}/productOrder`, admin, newLine(c.code))).json() as Order;
    const byParty = await t.call('GET', `${BASE}/productOrder?relatedParty.id=${c.code}`, admin);
    expect(byParty.statusCode).toBe(200);
    expect((byParty.json() as Order[]).map((o) => o.id)).toEqual([a.id, b.id]);
    expect(byParty.headers['x-total-count']).toBe('2');
    expect(byParty.headers['x-result-count']).toBe('2');
    for (const o of byParty.json() as Order[]) expect(swaggerErrors('TMF622', 'ProductOrder', o)).toEqual([]);
    const byId = await t.call('GET', `${BASE}/productOrder?id=${a.id}`, admin);
    expect((byId.json() as Order[]).map((o) => o.id)).toEqual([a.id]);
    const byDate = await t.call('GET', `${BASE}/productOrder?orderDate=${String(b.orderDate)}`, admin);
    expect((byDate.json() as Order[]).map((o) => o.id)).toContain(b.id);
    expect((byDate.json() as Order[]).every((o) => o.orderDate === b.orderDate)).toBe(true);
    const ack = await t.call(
      'GET',
      `${BASE}/productOrder?state=acknowledged&relatedParty.id=${c.code}`,
      admin,
    );
    expect((ack.json() as Order[]).length).toBe(2);
    const none = await t.call('GET', `${BASE}/productOrder?state=completed&relatedParty.id=${c.code}`, admin);
    expect(none.json()).toEqual([]);
    const ext = await t.call('GET', `${BASE}/productOrder?externalId=${String(a.externalId)}`, admin);
    expect((ext.json() as Order[]).map((o) => o.id)).toEqual([a.id]);
    const page = await t.call(
      'GET',
      `${BASE}/productOrder?relatedParty.id=${c.code}&fields=state&limit=1&offset=1`,
      admin,
    );
    const items = page.json() as Record<string, unknown>[];
    expect(items).toHaveLength(1);
    expect(Object.keys(items[0] ?? {}).sort()).toEqual(['@type', 'href', 'id', 'state']);
    expect(page.headers['x-total-count']).toBe('2');
    // a filter not evaluated in SQL is applied on the mapped orders
    const local = await t.call(
      'GET',
      `${BASE}/productOrder?relatedParty.id=${c.code}&description=Ligne%20fixe%20pour%20la%20boutique`,
      admin,
    );
    expect((local.json() as unknown[]).length).toBe(2);
  });

  it('PATCH changes what the client owns (wished dates, notes) with an event, and refuses the rest by name', async () => {
    const c = await newCustomer();
    const o = (await t.call('POST', `${BASE}/productOrder`, admin, newLine(c.code))).json() as Order;
    const res = await t.app.http.inject({
      method: 'PATCH',
      url: `${BASE}/productOrder/${o.id}`,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify({
        requestedCompletionDate: '2027-02-01T08:00:00.000Z',
        note: [{ text: 'Le client préfère une intervention le matin' }],
      }),
    });
    expect(res.statusCode, res.body).toBe(200);
    const patched = res.json() as Order;
    expect(patched).toMatchObject({
      requestedCompletionDate: '2027-02-01T08:00:00.000Z',
      note: [{ text: 'Le client préfère une intervention le matin', author: 'admin' }],
    });
    expect(swaggerErrors('TMF622', 'ProductOrder', patched)).toEqual([]);
    const events = await t.tdb.db
      .selectFrom('event')
      .select('kind')
      .where('customer_id', '=', c.id)
      .where('kind', '=', 'request.order_updated')
      .execute();
    expect(events).toHaveLength(1);
    // what was read, sent back unchanged with the change (ProductOrder_Update requires the items)
    const resent = await t.call('PATCH', `${BASE}/productOrder/${o.id}`, admin, {
      productOrderItem: patched.productOrderItem,
      state: patched.state,
      priority: '1',
    });
    expect(resent.statusCode, resent.body).toBe(200);
    expect(resent.json()).toMatchObject({ priority: '1', productOrderItem: patched.productOrderItem });
    const state = await t.call('PATCH', `${BASE}/productOrder/${o.id}`, admin, { state: 'completed' });
    expect(state.statusCode).toBe(400);
    expect(state.json()).toMatchObject({ '@type': 'Error', field: 'state' });
    const items = await t.call('PATCH', `${BASE}/productOrder/${o.id}`, admin, { productOrderItem: [] });
    expect(items.json()).toMatchObject({ status: '400', field: 'productOrderItem' });
  });

  it('cancelProductOrder cancels the request with its compensation; an ended order cannot be cancelled', async () => {
    const c = await newCustomer();
    const o = (await t.call('POST', `${BASE}/productOrder`, admin, newLine(c.code))).json() as Order;
    const res = await t.call('POST', `${BASE}/cancelProductOrder`, admin, {
      productOrder: { id: o.id, '@referredType': 'ProductOrder' },
      cancellationReason: 'Le client a déménagé',
    });
    expect(res.statusCode, res.body).toBe(201);
    const x = res.json() as Record<string, unknown> & { id: string; href: string };
    expect(res.headers.location).toBe(x.href);
    expect(swaggerErrors('TMF622', 'CancelProductOrder', x)).toEqual([]);
    expect(x).toMatchObject({
      state: 'done',
      productOrder: { id: o.id },
      cancellationReason: 'Le client a déménagé',
    });
    const order = (await t.call('GET', `${BASE}/productOrder/${o.id}`, admin)).json() as Order;
    expect(order).toMatchObject({ state: 'cancelled', cancellationReason: 'Le client a déménagé' });
    expect(swaggerErrors('TMF622', 'ProductOrder', order)).toEqual([]);
    const native = (await t.call('GET', `/api/v1/requests/${o.id}`, admin)).json() as {
      status: string;
      workflow: { status: string };
    };
    expect(native).toMatchObject({ status: 'cancelled', workflow: { status: 'cancelled' } });
    expect((await t.call('GET', `${BASE}/cancelProductOrder/${x.id}`, admin)).json()).toEqual(x);
    const list = await t.call('GET', `${BASE}/cancelProductOrder?productOrder.id=${o.id}`, admin);
    expect((list.json() as unknown[]).length).toBe(1);
    expect(list.headers['x-total-count']).toBe('1');
    const again = await t.call('POST', `${BASE}/cancelProductOrder`, admin, { productOrder: { id: o.id } });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ field: 'productOrder.id' });
  });

  it('cancelProductOrder while an activation order is on its element: 409 saying why and to retry, nothing changed', async () => {
    const c = await newCustomer();
    const o = (await t.call('POST', `${BASE}/productOrder`, admin, newLine(c.code))).json() as Order;
    const db = t.tdb.db;
    // the automaton's claim of an order of this request (as its queue query does it)
    await sql`INSERT INTO act_element (code, kind, name, host, port) VALUES ('MSC-TEST', 'mml_switch', 'test', '127.0.0.1', 1)
      ON CONFLICT DO NOTHING`.execute(db);
    const claimed = await sql<{
      id: number;
    }>`INSERT INTO act_order (element_code, operation, line_id, status, instance_id,
        request_ref, claimed_by, lease_until, started_at)
      SELECT 'MSC-TEST', 'create_line', '338000001', 'running', i.id, r.id::text, 'test', now() + interval '1 minute', now()
      FROM service_request r JOIN wf_instance i ON i.subject_type = 'service_request' AND i.subject_id = r.id::text
      WHERE r.number = ${o.id} RETURNING id`.execute(db);
    const orderId = claimed.rows[0]?.id;
    expect(orderId).toBeDefined();
    const res = await t.call('POST', `${BASE}/cancelProductOrder`, admin, { productOrder: { id: o.id } });
    expect(res.statusCode, res.body).toBe(409);
    const problem = res.json() as { field: string; message?: string; reason?: string };
    expect(problem).toMatchObject({ field: 'productOrder.id', '@type': 'Error' });
    const text = JSON.stringify(problem);
    expect(text).toContain(`activation order ${orderId} is being carried out on MSC-TEST`);
    expect(text).toContain('retry the cancellation once that activation has ended');
    expect(text).not.toContain('can no longer be cancelled');
    // nothing changed: the order stays in progress, no cancellation record
    expect(((await t.call('GET', `${BASE}/productOrder/${o.id}`, admin)).json() as Order).state).not.toBe(
      'cancelled',
    );
    const list = await t.call('GET', `${BASE}/cancelProductOrder?productOrder.id=${o.id}`, admin);
    expect(list.headers['x-total-count']).toBe('0');

    // once the activation has ended, the same cancel goes through
    await sql`UPDATE act_order SET status = 'done', finished_at = now() WHERE id = ${orderId}`.execute(db);
    const again = await t.call('POST', `${BASE}/cancelProductOrder`, admin, { productOrder: { id: o.id } });
    expect(again.statusCode, again.body).toBe(201);
  });

  it('creates the request and the order record in one transaction: a failure after the request leaves nothing', async () => {
    const c = await newCustomer();
    const db = t.tdb.db;
    const count = async () => {
      const r = await sql<{ requests: number; instances: number; events: number }>`
        SELECT (SELECT count(*) FROM service_request WHERE customer_id = ${c.id})::int AS requests,
          (SELECT count(*) FROM wf_instance WHERE customer_id = ${c.id})::int AS instances,
          (SELECT count(*) FROM event WHERE customer_id = ${c.id} AND entity_type = 'service_request')::int AS events`.execute(
        db,
      );
      return r.rows[0];
    };
    // a fault injected after the request is written: the order record itself cannot be stored
    await sql`CREATE FUNCTION test_refuse_order() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected failure'; END $$`.execute(db);
    await sql`CREATE TRIGGER test_refuse_order BEFORE INSERT ON tmf_product_order
      FOR EACH ROW WHEN (NEW.external_id = 'FAIL-AFTER-REQUEST') EXECUTE FUNCTION test_refuse_order()`.execute(
      db,
    );
    try {
      const before = await count();
      const res = await t.call(
        'POST',
        `${BASE}/productOrder`,
        admin,
        newLine(c.code, { externalId: 'FAIL-AFTER-REQUEST' }),
      );
      expect(res.statusCode, res.body).toBe(500);
      expect(await count()).toEqual(before);
      expect(before).toEqual({ requests: 0, instances: 0, events: 0 });
      const listed = await t.call('GET', `${BASE}/productOrder?relatedParty.id=${c.code}`, admin);
      expect(listed.json()).toEqual([]);
    } finally {
      await sql`DROP TRIGGER test_refuse_order ON tmf_product_order`.execute(db);
      await sql`DROP FUNCTION test_refuse_order()`.execute(db);
    }
    // and without the fault the same order goes through
    const ok = await t.call('POST', `${BASE}/productOrder`, admin, newLine(c.code));
    expect(ok.statusCode, ok.body).toBe(201);
    expect((await count())?.requests).toBe(1);
  });

  it('refuses an order that cannot become a request, naming the field, and answers 404 for unknown ids', async () => {
    const c = await newCustomer();
    const unknownParty = await t.call('POST', `${BASE}/productOrder`, admin, newLine('C99999999'));
    expect(unknownParty.statusCode).toBe(422);
    expect(unknownParty.json()).toMatchObject({ '@type': 'Error', field: 'relatedParty[0].id' });
    expect(swaggerErrors('TMF622', 'Error', unknownParty.json())).toEqual([]);
    const unknownOffering = await t.call('POST', `${BASE}/productOrder`, admin, {
      ...newLine(c.code),
      productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'NOPE' } }],
    });
    expect(unknownOffering.json()).toMatchObject({
      status: '422',
      field: 'productOrderItem[0].productOffering.id',
    });
    const option = await t.call('POST', `${BASE}/productOrder`, admin, {
      ...newLine(c.code),
      productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'OPT-RENVOI' } }],
    });
    expect(option.json()).toMatchObject({
      status: '400',
      field: 'productOrderItem[0].product.productRelationship[0].id',
    });
    const badNumber = await t.call('POST', `${BASE}/productOrder`, admin, {
      ...newLine(c.code),
      productOrderItem: [
        {
          id: '1',
          action: 'add',
          productOffering: { id: 'FIXE' },
          product: { productCharacteristic: [{ name: 'directoryNumber', value: '12' }] },
        },
      ],
    });
    expect(badNumber.json()).toMatchObject({
      status: '400',
      field: 'productOrderItem[0].product.productCharacteristic.directoryNumber',
    });
    const twoItems = await t.call('POST', `${BASE}/productOrder`, admin, {
      ...newLine(c.code),
      productOrderItem: [
        { id: '1', action: 'add', productOffering: { id: 'FIXE' } },
        { id: '2', action: 'add', productOffering: { id: 'FIXE' } },
      ],
    });
    expect(twoItems.json()).toMatchObject({ status: '400', field: 'productOrderItem' });
    const noParty = await t.call('POST', `${BASE}/productOrder`, admin, {
      productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'FIXE' } }],
    });
    expect(noParty.json()).toMatchObject({ status: '400', field: 'relatedParty' });
    const missing = await t.call('GET', `${BASE}/productOrder/R20269999999`, admin);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ '@type': 'Error', status: '404' });
    expect((await t.call('GET', `${BASE}/cancelProductOrder/CPO99999999`, admin)).statusCode).toBe(404);
    const badFilter = await t.call('GET', `${BASE}/productOrder?state=done`, admin);
    expect(badFilter.json()).toMatchObject({ status: '400', field: 'state' });
  });

  it('checks rights like the native API', async () => {
    const anon = await t.call('GET', `${BASE}/productOrder`);
    expect(anon.statusCode).toBe(401);
    expect(anon.json()).toMatchObject({ '@type': 'Error' });
    const enquiries = await t.login('enquiries');
    expect((await t.call('GET', `${BASE}/productOrder`, enquiries)).statusCode).toBe(403);
    const c = await newCustomer();
    expect((await t.call('POST', `${BASE}/productOrder`, enquiries, newLine(c.code))).statusCode).toBe(403);
    expect(
      (await t.call('POST', `${BASE}/cancelProductOrder`, enquiries, { productOrder: { id: 'R1' } }))
        .statusCode,
    ).toBe(403);
  });
});
