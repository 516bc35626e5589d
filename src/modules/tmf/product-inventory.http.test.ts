import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';

const BASE = '/tmf-api/productInventory/v4';
let t: TestApp;
let admin: string;
let customer: { id: number; code: string };
let line: { id: number; code: string };
let option: { id: number; code: string };

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.login('admin');
  const c = await t.call('POST', '/api/v1/customers', admin, {
    kind: 'person',
    lastName: 'Fall',
    firstNames: 'Ibrahima',
    address: { street: 'Route de Rufisque', locality: 'Rufisque' },
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
  customer = c.json() as { id: number; code: string };
  // a mobile line and an option on it, entered through the native API as at the counter
  const s = await t.call('POST', `/api/v1/customers/${customer.code}/subscriptions`, admin, {
    productCode: 'MOBILE-POST',
    directoryNumber: '771234567',
    simIccid: '8922101000000000017',
  });
  expect(s.statusCode, s.body).toBe(201);
  line = s.json() as { id: number; code: string };
  const o = await t.call('POST', `/api/v1/customers/${customer.code}/subscriptions`, admin, {
    productCode: 'OPT-RENVOI',
    parentId: line.id,
  });
  expect(o.statusCode, o.body).toBe(201);
  option = o.json() as { id: number; code: string };
});
afterAll(async () => {
  await t?.close();
});

type Product = Record<string, unknown> & { id: string; status: string };

describe('TMF637 product', () => {
  it('shows a subscription as a product: characteristics, parties, offering, resources, options', async () => {
    const res = await t.call('GET', `${BASE}/product/${line.code}`, admin);
    expect(res.statusCode, res.body).toBe(200);
    const p = res.json() as Product;
    expect(swaggerErrors('TMF637', 'Product', p)).toEqual([]);
    const native = (await t.call('GET', `/api/v1/subscriptions/${line.id}`, admin)).json() as {
      status: string;
    };
    expect(p).toMatchObject({
      id: line.code,
      '@type': 'Product',
      productOffering: { id: 'MOBILE-POST', '@referredType': 'ProductOffering' },
      productSpecification: { id: 'mobile_postpaid' },
      relatedParty: [{ id: customer.code, role: 'customer', '@referredType': 'Customer' }],
      billingAccount: { '@referredType': 'BillingAccount' },
      productCharacteristic: expect.arrayContaining([
        { name: 'directoryNumber', value: '771234567', valueType: 'string' },
        { name: 'iccid', value: '8922101000000000017', valueType: 'string' },
      ]),
      realizingResource: expect.arrayContaining([
        expect.objectContaining({ id: 'number-771234567', '@referredType': 'LogicalResource' }),
        expect.objectContaining({ id: 'sim-8922101000000000017', '@referredType': 'PhysicalResource' }),
      ]),
      product: [expect.objectContaining({ id: option.code })],
      realizingService: [{ id: '771234567', '@referredType': 'Service' }],
    });
    expect(p.status).toBe(native.status === 'pending' ? 'created' : native.status);
    const opt = (await t.call('GET', `${BASE}/product/${option.code}`, admin)).json() as Product;
    expect(swaggerErrors('TMF637', 'Product', opt)).toEqual([]);
    expect(opt).toMatchObject({
      productOffering: { id: 'OPT-RENVOI' },
      productRelationship: [{ relationshipType: 'bundled', product: { id: line.code } }],
    });
  });

  it('lists with counts, filters on party, status and the directory number, projects fields', async () => {
    const all = await t.call('GET', `${BASE}/product?relatedParty.id=${customer.code}`, admin);
    expect(all.statusCode).toBe(200);
    const items = all.json() as Product[];
    expect(items.map((p) => p.id)).toEqual([line.code, option.code]);
    expect(all.headers['x-total-count']).toBe('2');
    expect(all.headers['x-result-count']).toBe('2');
    for (const p of items) expect(swaggerErrors('TMF637', 'Product', p)).toEqual([]);
    const byNumber = await t.call('GET', `${BASE}/product?productCharacteristic.value=771234567`, admin);
    expect((byNumber.json() as Product[]).map((p) => p.id)).toEqual([line.code]);
    // the status follows the subscription
    const before = (await t.call('GET', `/api/v1/subscriptions/${line.id}`, admin)).json() as {
      status: string;
    };
    if (before.status === 'pending') {
      const activate = await t.call('POST', `/api/v1/subscriptions/${line.id}/status`, admin, {
        status: 'active',
      });
      expect(activate.statusCode, activate.body).toBe(200);
    }
    const s2 = await t.call('POST', `/api/v1/subscriptions/${line.id}/status`, admin, {
      status: 'suspended',
      reason: 'test',
    });
    expect(s2.statusCode, s2.body).toBe(200);
    const suspended = await t.call(
      'GET',
      `${BASE}/product?status=suspended&relatedParty.id=${customer.code}`,
      admin,
    );
    expect((suspended.json() as Product[]).map((p) => [p.id, p.status])).toEqual([[line.code, 'suspended']]);
    const fields = await t.call('GET', `${BASE}/product?id=${option.code}&fields=status`, admin);
    expect(Object.keys((fields.json() as object[])[0] ?? {}).sort()).toEqual([
      '@type',
      'href',
      'id',
      'status',
    ]);
    const bad = await t.call('GET', `${BASE}/product?status=sleeping`, admin);
    expect(bad.json()).toMatchObject({ status: '400', field: 'status', '@type': 'Error' });
  });

  it('answers 404 for unknown ids, is read-only, and checks rights', async () => {
    const missing = await t.call('GET', `${BASE}/product/S99999999`, admin);
    expect(missing.statusCode).toBe(404);
    expect(swaggerErrors('TMF637', 'Error', missing.json())).toEqual([]);
    expect((await t.call('POST', `${BASE}/product`, admin, { name: 'x' })).statusCode).toBe(404);
    expect((await t.call('GET', `${BASE}/product`)).statusCode).toBe(401);
    const enquiries = await t.login('enquiries');
    expect((await t.call('GET', `${BASE}/product`, enquiries)).statusCode).toBe(403);
  });
});
