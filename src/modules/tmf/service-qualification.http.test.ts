import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { loadDemoPlant } from '../../demo/plant.js';

const BASE = '/tmf-api/serviceQualificationManagement/v4';
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

const item = (
  product: string,
  place: Record<string, unknown> | undefined,
  extra: Record<string, unknown> = {},
) => ({
  id: '1',
  service: {
    serviceSpecification: { id: product },
    ...(place ? { place: [place] } : {}),
    ...extra,
  },
});

async function plantSnapshot() {
  const r = await sql<{ reservations: string; free_pairs: string; free_sims: string }>`
    SELECT (SELECT count(*) FROM inv_reservation) AS reservations,
      (SELECT count(*) FROM inv_pair WHERE status = 'free') AS free_pairs,
      (SELECT count(*) FROM inv_sim WHERE reservation_id IS NULL) AS free_sims`.execute(t.tdb.db);
  return r.rows[0];
}

describe('TMF645 Service Qualification', () => {
  it('qualifies an address by the automatic study, naming the plant, and reserves nothing', async () => {
    const before = await plantSnapshot();
    const res = await t.call('POST', `${BASE}/checkServiceQualification`, admin, {
      provideUnavailabilityReason: true,
      serviceQualificationItem: [
        item('FIXE', { streetName: 'Rue Carnot', locality: 'Plateau', city: 'Dakar' }),
      ],
    });
    expect(res.statusCode).toBe(201);
    const q = res.json() as Record<string, unknown> & { serviceQualificationItem: Record<string, unknown>[] };
    expect(q).toMatchObject({
      qualificationResult: 'qualified',
      state: 'done',
      '@type': 'CheckServiceQualification',
    });
    const svc = q.serviceQualificationItem[0]?.service as { supportingResource: { id: string }[] };
    expect(svc.supportingResource.map((r) => r.id)).toContain('cp-PC-PLT-01');
    expect(swaggerErrors('TMF645', 'CheckServiceQualification', q)).toEqual([]);
    expect(await plantSnapshot()).toEqual(before);
    expect((await t.call('GET', `${BASE}/checkServiceQualification/${String(q.id)}`, admin)).json()).toEqual(
      q,
    );
    // The same resource is readable through TMF639.
    const cp = await t.call('GET', `/tmf-api/resourceInventoryManagement/v4/resource/cp-PC-PLT-01`, admin);
    expect(cp.statusCode).toBe(200);
  });

  it('says why not, and proposes fixed wireless where only radio serves', async () => {
    const unequipped = (
      await t.call('POST', `${BASE}/checkServiceQualification`, admin, {
        provideUnavailabilityReason: true,
        serviceQualificationItem: [item('FIXE', { locality: 'Ouakam', city: 'Dakar' })],
      })
    ).json() as { qualificationResult: string; serviceQualificationItem: Record<string, unknown>[] };
    expect(unequipped.qualificationResult).toBe('unqualified');
    expect(unequipped.serviceQualificationItem[0]?.eligibilityUnavailabilityReason).toEqual([
      { code: 'unequipped_zone', label: expect.any(String) },
    ]);
    const radio = (
      await t.call('POST', `${BASE}/checkServiceQualification`, admin, {
        provideAlternative: true,
        serviceQualificationItem: [item('FIXE', { city: 'Rufisque' })],
      })
    ).json() as Record<string, unknown> & { serviceQualificationItem: Record<string, unknown>[] };
    expect(radio.qualificationResult).toBe('alternate');
    const alt = radio.serviceQualificationItem[0]?.alternateServiceProposal as {
      alternateService: { serviceSpecification: { id: string }; supportingResource: { id: string }[] };
    }[];
    expect(alt[0]?.alternateService.serviceSpecification.id).toBe('FIXE-RADIO');
    expect(alt[0]?.alternateService.supportingResource.map((r) => r.id)).toEqual(['bts-BTS-RUF-01']);
    expect(swaggerErrors('TMF645', 'CheckServiceQualification', radio)).toEqual([]);
  });

  it('takes a TMF673 address id, qualifies mobile lines against a shop’s SIM stock, lists with filters', async () => {
    const addr = (
      (
        await t.call(
          'GET',
          `/tmf-api/geographicAddressManagement/v4/geographicAddress?streetName=Rue%20Carnot`,
          admin,
        )
      ).json() as { id: string }[]
    )[0];
    const byId = (
      await t.call('POST', `${BASE}/checkServiceQualification`, admin, {
        serviceQualificationItem: [item('FIXE', { id: addr?.id, '@referredType': 'GeographicAddress' })],
      })
    ).json() as { qualificationResult: string };
    expect(byId.qualificationResult).toBe('qualified');
    const mobile = (
      await t.call('POST', `${BASE}/checkServiceQualification`, admin, {
        serviceQualificationItem: [
          item('MOBILE-POST', undefined, { serviceCharacteristic: [{ name: 'shop', value: 'AG-PLATEAU' }] }),
        ],
      })
    ).json() as {
      qualificationResult: string;
      serviceQualificationItem: { service: { supportingResource: { id: string }[] } }[];
    };
    expect(mobile.qualificationResult).toBe('qualified');
    expect(mobile.serviceQualificationItem[0]?.service.supportingResource[0]?.id).toMatch(/^sim-89/);
    const list = await t.call(
      'GET',
      `${BASE}/checkServiceQualification?qualificationResult=alternate`,
      admin,
    );
    expect(
      (list.json() as { qualificationResult: string }[]).every((x) => x.qualificationResult === 'alternate'),
    ).toBe(true);
  });

  it('lists which lines an address can get (queryServiceQualification)', async () => {
    const before = await plantSnapshot();
    const res = await t.call('POST', `${BASE}/queryServiceQualification`, admin, {
      searchCriteria: { service: { place: [{ city: 'Rufisque' }] } },
    });
    expect(res.statusCode, res.body).toBe(201);
    const q = res.json() as Record<string, unknown> & {
      serviceQualificationItem: { service: { serviceSpecification: { id: string } } }[];
    };
    // Rufisque is served by radio only: no wired line, the fixed-wireless product.
    expect(q.serviceQualificationItem.map((i) => i.service.serviceSpecification.id)).toEqual(['FIXE-RADIO']);
    expect(swaggerErrors('TMF645', 'QueryServiceQualification', q)).toEqual([]);
    expect(await plantSnapshot()).toEqual(before);
    const plateau = (
      await t.call('POST', `${BASE}/queryServiceQualification`, admin, {
        searchCriteria: {
          service: {
            place: [{ streetName: 'Rue Carnot', locality: 'Plateau', city: 'Dakar' }],
            serviceCharacteristic: [{ name: 'shop', value: 'AG-PLATEAU' }],
          },
        },
      })
    ).json() as { serviceQualificationItem: { service: { serviceSpecification: { id: string } } }[] };
    const ids = plateau.serviceQualificationItem.map((i) => i.service.serviceSpecification.id);
    expect(ids).toContain('FIXE');
    expect(ids).toContain('MOBILE-POST');
    expect((await t.call('GET', `${BASE}/queryServiceQualification/${String(q.id)}`, admin)).json()).toEqual(
      q,
    );
    // The two collections stay apart.
    const checks = (await t.call('GET', `${BASE}/checkServiceQualification?limit=100`, admin)).json() as {
      id: string;
    }[];
    expect(checks.some((c) => c.id === q.id)).toBe(false);
  });

  it('names the field at fault; rights', async () => {
    const bad = await t.call('POST', `${BASE}/checkServiceQualification`, admin, {
      serviceQualificationItem: [
        { service: { serviceSpecification: { id: 'NOPE' }, place: [{ city: 'Dakar' }] } },
      ],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      field: 'serviceQualificationItem[0].service.serviceSpecification.id',
    });
    const noPlace = await t.call('POST', `${BASE}/checkServiceQualification`, admin, {
      serviceQualificationItem: [{ service: { serviceSpecification: { id: 'FIXE' } } }],
    });
    expect(noPlace.json()).toMatchObject({ field: 'serviceQualificationItem[0].service.place' });
    const enquiries = await t.login('enquiries');
    expect(
      (await t.call('POST', `${BASE}/checkServiceQualification`, enquiries, { serviceQualificationItem: [] }))
        .statusCode,
    ).toBe(403);
  });
});
