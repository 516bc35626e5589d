import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { DAKAR_ADDRESS, DEMO_CATEGORIES } from '../../../test/tmf/server.js';

const BASE = '/tmf-api/customerManagement/v4';
let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.login('admin');
});
afterAll(async () => {
  await t?.close();
});

const organisation = (name: string) => ({
  name,
  engagedParty: { '@referredType': 'Organization' },
  contactMedium: [
    DAKAR_ADDRESS,
    { mediumType: 'phone', characteristic: { phoneNumber: '+221 33 800 00 01' } },
  ],
  characteristic: DEMO_CATEGORIES,
});

describe('TMF629 Customer', () => {
  it('creates a real GPTo customer, readable through both APIs, valid against the v4 swagger', async () => {
    const res = await t.call('POST', `${BASE}/customer`, admin, organisation('Sonatel Sports'));
    expect(res.statusCode).toBe(201);
    const c = res.json() as Record<string, unknown>;
    expect(res.headers.location).toBe(c.href);
    expect(c).toMatchObject({ name: 'Sonatel Sports', status: 'active', '@type': 'Customer' });
    expect(swaggerErrors('TMF629', 'Customer', c)).toEqual([]);
    const native = await t.call('GET', `/api/v1/customers/${String(c.id)}`, admin);
    expect(native.statusCode).toBe(200);
    expect(native.json()).toMatchObject({
      customer: { companyName: 'Sonatel Sports', phones: ['+221338000001'] },
    });
    expect((c.account as unknown[]).length).toBe(1);
    const got = await t.call('GET', `${BASE}/customer/${String(c.id)}`, admin);
    expect(got.json()).toEqual(c);
  });

  it('lists as a bare array with counts, filters exactly and projects fields', async () => {
    await t.call('POST', `${BASE}/customer`, admin, organisation('Filtre Exact SARL'));
    await t.call('POST', `${BASE}/customer`, admin, organisation('Filtre Exact SARL Bis'));
    const res = await t.call('GET', `${BASE}/customer?name=Filtre%20Exact%20SARL`, admin);
    expect(res.statusCode).toBe(200);
    const list = res.json() as Record<string, unknown>[];
    expect(list.map((c) => c.name)).toEqual(['Filtre Exact SARL']);
    expect(res.headers['x-total-count']).toBe('1');
    expect(res.headers['x-result-count']).toBe('1');
    const page = await t.call('GET', `${BASE}/customer?limit=2&offset=1&fields=name`, admin);
    const items = page.json() as Record<string, unknown>[];
    expect(items).toHaveLength(2);
    expect(Object.keys(items[0] ?? {}).sort()).toEqual(['@baseType', '@type', 'href', 'id', 'name']);
    expect(Number(page.headers['x-total-count'])).toBeGreaterThanOrEqual(3);
    // A filter on an attribute not pushed to SQL is applied on the mapped resources.
    const local = await t.call(
      'GET',
      `${BASE}/customer?characteristic.value=ENT&name=Filtre%20Exact%20SARL%20Bis`,
      admin,
    );
    expect((local.json() as unknown[]).length).toBe(1);
  });

  it('merge-patches status and contact media with an event on the customer timeline', async () => {
    const c = (await t.call('POST', `${BASE}/customer`, admin, organisation('Patch Moi'))).json() as {
      id: string;
    };
    const res = await t.app.http.inject({
      method: 'PATCH',
      url: `${BASE}/customer/${c.id}`,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify({
        status: 'inactive',
        contactMedium: [{ mediumType: 'email', characteristic: { emailAddress: 'x@patch.sn' } }],
      }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'inactive' });
    const tl = await t.call('GET', `/api/v1/customers/${c.id}/events`, admin);
    expect(JSON.stringify(tl.json())).toContain('customer.updated');
  });

  it('answers errors in the TMF shape naming the field, and 404 for an unknown id', async () => {
    const missing = await t.call('GET', `${BASE}/customer/C99999999`, admin);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ '@type': 'Error', status: '404', code: 'tmf.not_found' });
    expect(swaggerErrors('TMF629', 'Error', missing.json())).toEqual([]);
    const noCat = await t.call('POST', `${BASE}/customer`, admin, {
      ...organisation('X'),
      characteristic: [],
    });
    expect(noCat.statusCode).toBe(400);
    expect(noCat.json()).toMatchObject({ field: 'characteristic.category.commercial1' });
    const badLimit = await t.call('GET', `${BASE}/customer?limit=0`, admin);
    expect(badLimit.json()).toMatchObject({ status: '400', field: 'limit' });
    const unknownParty = await t.call('POST', `${BASE}/customer`, admin, {
      name: 'Y',
      engagedParty: { id: 'C77777777' },
    });
    expect(unknownParty.json()).toMatchObject({ status: '422', field: 'engagedParty.id' });
  });

  it('checks rights like the native API', async () => {
    const anon = await t.call('GET', `${BASE}/customer`);
    expect(anon.statusCode).toBe(401);
    expect(anon.json()).toMatchObject({ '@type': 'Error' });
    const enquiries = await t.login('enquiries');
    const denied = await t.call('POST', `${BASE}/customer`, enquiries, organisation('Interdit'));
    expect(denied.statusCode).toBe(403);
  });
});
