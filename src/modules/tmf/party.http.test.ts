import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { DAKAR_ADDRESS, DEMO_CATEGORIES } from '../../../test/tmf/server.js';

const PARTY = '/tmf-api/party/v4';
const CUSTOMER = '/tmf-api/customerManagement/v4';
let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.login('admin');
});
afterAll(async () => {
  await t?.close();
});

describe('TMF632 Party', () => {
  it('declares an individual that is not a customer, then TMF629 makes it one', async () => {
    const res = await t.call('POST', `${PARTY}/individual`, admin, {
      givenName: 'Awa',
      familyName: 'Ndiaye',
      title: 'Mme',
      birthDate: '1990-04-12',
      contactMedium: [
        DAKAR_ADDRESS,
        { mediumType: 'phone', characteristic: { phoneNumber: '+221 77 123 45 67' } },
      ],
      partyCharacteristic: [{ name: 'category.commercial1', value: 'RES' }],
    });
    expect(res.statusCode).toBe(201);
    const ind = res.json() as Record<string, unknown>;
    expect(ind).toMatchObject({
      givenName: 'Awa',
      familyName: 'Ndiaye',
      status: 'initialized',
      '@type': 'Individual',
    });
    expect(String(ind.id)).toMatch(/^PTY\d{7}$/);
    expect(res.headers.location).toBe(ind.href);
    expect(swaggerErrors('TMF632', 'Individual', ind)).toEqual([]);
    // Not a customer yet: the native API does not know it.
    expect(
      (await t.call('GET', `${CUSTOMER}/customer?engagedParty.id=${String(ind.id)}`, admin)).json(),
    ).toEqual([]);

    const categories = DEMO_CATEGORIES.map((c) =>
      c.name === 'category.commercial1' ? { ...c, value: 'RES' } : c,
    );
    const made = await t.call('POST', `${CUSTOMER}/customer`, admin, {
      engagedParty: { id: ind.id, '@referredType': 'Individual' },
      characteristic: categories.filter((c) => c.name !== 'category.commercial1'),
    });
    expect(made.statusCode).toBe(201);
    const customer = made.json() as { id: string; name: string; engagedParty: { id: string } };
    expect(customer.engagedParty.id).toBe(ind.id);
    expect(customer.name).toBe('Mme Awa Ndiaye');
    const native = (await t.call('GET', `/api/v1/customers/${customer.id}`, admin)).json() as {
      customer: Record<string, unknown>;
    };
    expect(native.customer).toMatchObject({
      lastName: 'Ndiaye',
      firstNames: 'Awa',
      status: 'active',
      phones: ['+221771234567'],
    });
    expect(native.customer.categories).toMatchObject({ commercial1: 'RES', tax: 'TVA18' });
    // The party is now the customer: same id, live identity, a relation to the customer.
    const after = (await t.call('GET', `${PARTY}/individual/${String(ind.id)}`, admin)).json() as Record<
      string,
      unknown
    >;
    expect(after).toMatchObject({
      id: ind.id,
      status: 'validated',
      relatedParty: [{ id: customer.id, role: 'customer' }],
    });
    expect(swaggerErrors('TMF632', 'Individual', after)).toEqual([]);
    // A second time is a conflict, and the party cannot be deleted any more.
    const again = await t.call('POST', `${CUSTOMER}/customer`, admin, { engagedParty: { id: ind.id } });
    expect(again.statusCode).toBe(409);
    expect((await t.call('DELETE', `${PARTY}/individual/${String(ind.id)}`, admin)).statusCode).toBe(409);
    // Changing the name through TMF632 changes the customer.
    const renamed = await t.call('PATCH', `${PARTY}/individual/${String(ind.id)}`, admin, {
      familyName: 'Diop',
    });
    expect(renamed.json()).toMatchObject({ familyName: 'Diop' });
    expect((await t.call('GET', `${CUSTOMER}/customer/${customer.id}`, admin)).json()).toMatchObject({
      name: 'Mme Awa Diop',
    });
  });

  it('lists customers as parties too, filters exactly, and validates against the swagger', async () => {
    const org = await t.call('POST', `${CUSTOMER}/customer`, admin, {
      name: 'Keur Massar Transports',
      engagedParty: { '@referredType': 'Organization' },
      contactMedium: [DAKAR_ADDRESS],
      characteristic: DEMO_CATEGORIES,
    });
    const code = (org.json() as { id: string }).id;
    const res = await t.call('GET', `${PARTY}/organization?tradingName=Keur%20Massar%20Transports`, admin);
    const list = res.json() as Record<string, unknown>[];
    expect(list.map((o) => o.id)).toEqual([code]);
    expect(res.headers['x-total-count']).toBe('1');
    for (const o of list) expect(swaggerErrors('TMF632', 'Organization', o)).toEqual([]);
    const all = await t.call('GET', `${PARTY}/organization?limit=100`, admin);
    for (const o of all.json() as unknown[]) expect(swaggerErrors('TMF632', 'Organization', o)).toEqual([]);
    const byHref = await t.call(
      'GET',
      `${PARTY}/organization?href=${encodeURIComponent(String(list[0]?.href))}`,
      admin,
    );
    expect((byHref.json() as { id: string }[]).map((o) => o.id)).toEqual([code]);
  });

  it('deletes a standalone party, refuses bad input by field, 404s unknown ids', async () => {
    const p = (
      await t.call('POST', `${PARTY}/organization`, admin, { tradingName: 'Éphémère SARL' })
    ).json() as { id: string };
    expect((await t.call('DELETE', `${PARTY}/organization/${p.id}`, admin)).statusCode).toBe(204);
    const gone = await t.call('GET', `${PARTY}/organization/${p.id}`, admin);
    expect(gone.statusCode).toBe(404);
    expect(swaggerErrors('TMF632', 'Error', gone.json())).toEqual([]);
    const bad = await t.call('POST', `${PARTY}/individual`, admin, { givenName: 'Sans Nom' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'familyName', '@type': 'Error' });
    const badMedium = await t.call('POST', `${PARTY}/individual`, admin, {
      givenName: 'A',
      familyName: 'B',
      contactMedium: [{ mediumType: 'pigeon', characteristic: {} }],
    });
    expect(badMedium.json()).toMatchObject({ field: 'contactMedium[0].mediumType' });
    const care = await t.login('enquiries');
    expect(
      (await t.call('POST', `${PARTY}/individual`, care, { givenName: 'A', familyName: 'B' })).statusCode,
    ).toBe(403);
  });
});
