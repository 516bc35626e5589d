import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { loadDemoPlant } from '../../demo/plant.js';

const BASE = '/tmf-api/geographicAddressManagement/v4';
let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await createTestApp();
  await loadDemoPlant(t.tdb.db);
  admin = await t.login('admin');
});
afterAll(async () => {
  await t?.close();
});

describe('TMF673 Geographic Address', () => {
  it('lists the served addresses of the plant, filtered and valid against the swagger', async () => {
    const res = await t.call('GET', `${BASE}/geographicAddress?city=Dakar&locality=Plateau`, admin);
    expect(res.statusCode).toBe(200);
    const list = res.json() as Record<string, unknown>[];
    expect(list.map((a) => a.streetName ?? null).sort()).toEqual([null, 'Rue Carnot'].sort());
    for (const a of list) expect(swaggerErrors('TMF673', 'GeographicAddress', a)).toEqual([]);
    const one = await t.call('GET', `${BASE}/geographicAddress/${String(list[0]?.id)}`, admin);
    expect(one.json()).toEqual(list[0]);
    expect((await t.call('GET', `${BASE}/geographicAddress/GA999999`, admin)).statusCode).toBe(404);
  });

  it('answers the sub-addresses of an address: none known (GPTo stops at the street), 404 for an unknown address', async () => {
    const [first] = (await t.call('GET', `${BASE}/geographicAddress?city=Dakar&limit=1`, admin)).json() as {
      id: string;
    }[];
    const subs = await t.call('GET', `${BASE}/geographicAddress/${first!.id}/geographicSubAddress`, admin);
    expect(subs.statusCode).toBe(200);
    expect(subs.json()).toEqual([]);
    expect(subs.headers['x-total-count']).toBe('0');
    const one = await t.call('GET', `${BASE}/geographicAddress/${first!.id}/geographicSubAddress/1`, admin);
    expect(one.statusCode).toBe(404);
    expect(one.json()).toMatchObject({ '@type': 'Error', code: 'tmf.not_found' });
    const unknown = await t.call('GET', `${BASE}/geographicAddress/GA999999/geographicSubAddress`, admin);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ field: 'geographicAddressId' });
    expect(
      (await t.call('GET', `${BASE}/geographicAddress/${first!.id}/geographicSubAddress`)).statusCode,
    ).toBe(401);
  });

  it('validates addresses: success, partial with the closest streets, fails with the closest localities', async () => {
    const ok = await t.call('POST', `${BASE}/geographicAddressValidation`, admin, {
      provideAlternative: true,
      submittedGeographicAddress: { streetName: 'rue carnot', locality: 'Plateau', city: 'DAKAR' },
    });
    expect(ok.statusCode).toBe(201);
    const v = ok.json() as Record<string, unknown>;
    expect(v).toMatchObject({
      validationResult: 'success',
      state: 'done',
      validGeographicAddress: { streetName: 'Rue Carnot', city: 'Dakar' },
    });
    expect(swaggerErrors('TMF673', 'GeographicAddressValidation', v)).toEqual([]);
    expect(
      (await t.call('GET', `${BASE}/geographicAddressValidation/${String(v.id)}`, admin)).json(),
    ).toEqual(v);

    const typo = (
      await t.call('POST', `${BASE}/geographicAddressValidation`, admin, {
        provideAlternative: true,
        submittedGeographicAddress: { streetName: 'Rue Carno', city: 'Dakar' },
      })
    ).json() as { validationResult: string; alternateGeographicAddress: { streetName?: string }[] };
    expect(typo.validationResult).toBe('partial');
    expect(typo.alternateGeographicAddress[0]?.streetName).toBe('Rue Carnot');

    const far = (
      await t.call('POST', `${BASE}/geographicAddressValidation`, admin, {
        provideAlternative: true,
        submittedGeographicAddress: { city: 'Rufisk' },
      })
    ).json() as { validationResult: string; alternateGeographicAddress: { city?: string }[] };
    expect(far.validationResult).toBe('fails');
    expect(far.alternateGeographicAddress.map((a) => a.city)).toContain('Rufisque');
  });

  it('names the field at fault and checks rights', async () => {
    const bad = await t.call('POST', `${BASE}/geographicAddressValidation`, admin, {
      provideAlternative: false,
      submittedGeographicAddress: { streetName: 'Rue Carnot' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'submittedGeographicAddress.city', '@type': 'Error' });
    expect((await t.call('GET', `${BASE}/geographicAddress`)).statusCode).toBe(401);
  });
});
