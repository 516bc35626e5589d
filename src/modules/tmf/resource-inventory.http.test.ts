import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { loadDemoPlant } from '../../demo/plant.js';

const BASE = '/tmf-api/resourceInventoryManagement/v4';
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

type R = Record<string, unknown> & { id: string; resourceCharacteristic: { name: string; value: unknown }[] };
const char = (r: R, name: string) => r.resourceCharacteristic.find((c) => c.name === name)?.value;

describe('TMF639 Resource Inventory', () => {
  it('shows every kind of resource of the demo plant, valid against the v4 swagger', async () => {
    const categories = [
      'site',
      'switch',
      'mdf',
      'subDistributionFrame',
      'concentrationPoint',
      'baseStation',
      'equipmentNumber',
      'cablePair',
      'directoryNumber',
      'simCard',
    ];
    for (const category of categories) {
      const res = await t.call('GET', `${BASE}/resource?category=${category}&limit=3`, admin);
      expect(res.statusCode).toBe(200);
      const list = res.json() as R[];
      expect(list.length, category).toBeGreaterThan(0);
      expect(Number(res.headers['x-total-count'])).toBeGreaterThanOrEqual(list.length);
      for (const r of list) {
        expect(r.category).toBe(category);
        expect(swaggerErrors('TMF639', 'Resource', r), category).toEqual([]);
        expect((await t.call('GET', `${BASE}/resource/${r.id}`, admin)).json()).toEqual(r);
      }
    }
    // SIM cards show ICCID and IMSI, never their secrets.
    const sim = (
      (await t.call('GET', `${BASE}/resource?category=simCard&limit=1`, admin)).json() as R[]
    )[0] as R;
    expect(String(char(sim, 'iccid'))).toMatch(/^89/);
    expect(JSON.stringify(sim)).not.toMatch(/ki|opc|puk|pin/i);
  });

  it('pages across kinds with exact counts and filters by name, id and @type', async () => {
    const all = await t.call('GET', `${BASE}/resource?limit=5&offset=0`, admin);
    const total = Number(all.headers['x-total-count']);
    expect(total).toBeGreaterThan(60_000); // the demo number pools alone hold 61,000 numbers
    const last = await t.call('GET', `${BASE}/resource?limit=5&offset=${total - 2}`, admin);
    expect((last.json() as R[]).length).toBe(2);
    const byName = (await t.call('GET', `${BASE}/resource?name=338210042`, admin)).json() as R[];
    expect(byName.map((r) => r.id)).toEqual(['number-338210042']);
    const logical = await t.call('GET', `${BASE}/resource?@type=LogicalResource&limit=1`, admin);
    expect((logical.json() as R[])[0]?.category).toBe('directoryNumber');
    expect(Number(logical.headers['x-total-count'])).toBe(61_000);
  });

  it('creates a site and a number, and changes a pair’s status like a technician', async () => {
    const site = await t.call('POST', `${BASE}/resource`, admin, {
      name: 'Central de Yoff',
      category: 'site',
      resourceCharacteristic: [
        { name: 'code', value: 'YOF' },
        { name: 'locality', value: 'Dakar' },
      ],
    });
    expect(site.statusCode).toBe(201);
    expect(site.json()).toMatchObject({
      id: 'site-YOF',
      name: 'Central de Yoff',
      '@type': 'PhysicalResource',
    });
    expect((await t.call('GET', '/api/v1/inventory/sites', admin)).body).toContain('YOF');
    const num = await t.call('POST', `${BASE}/resource`, admin, {
      name: '338229999',
      category: 'directoryNumber',
      resourceCharacteristic: [{ name: 'pool', value: 'FIXE-DKR' }],
    });
    expect(num.statusCode).toBe(201);
    expect(num.json()).toMatchObject({
      id: 'number-338229999',
      resourceStatus: 'available',
      usageState: 'idle',
    });

    const pair = (
      (await t.call('GET', `${BASE}/resource?category=cablePair&limit=1`, admin)).json() as R[]
    )[0] as R;
    const faulty = await t.call('PATCH', `${BASE}/resource/${pair.id}`, admin, {
      resourceStatus: 'alarm',
      note: [{ text: 'humidité dans la tête de câble' }],
    });
    expect(faulty.statusCode).toBe(200);
    expect(faulty.json()).toMatchObject({ resourceStatus: 'alarm', operationalState: 'disable' });
    const repaired = await t.call('PATCH', `${BASE}/resource/${pair.id}`, admin, {
      resourceStatus: 'available',
    });
    expect(repaired.json()).toMatchObject({ resourceStatus: 'available', operationalState: 'enable' });
  });

  it('refuses what GPTo does not do, naming the field; 404; rights', async () => {
    const router = await t.call('POST', `${BASE}/resource`, admin, { name: 'RouterXX', '@type': 'Resource' });
    expect(router.statusCode).toBe(400);
    expect(router.json()).toMatchObject({ field: 'category', '@type': 'Error' });
    const badStatus = await t.call('PATCH', `${BASE}/resource/site-DKR`, admin, { resourceStatus: 'alarm' });
    expect(badStatus.json()).toMatchObject({ field: 'resourceStatus' });
    expect((await t.call('GET', `${BASE}/resource/pair-999999999`, admin)).statusCode).toBe(404);
    expect((await t.call('GET', `${BASE}/resource/nonsense`, admin)).statusCode).toBe(404);
    const enquiries = await t.login('enquiries');
    expect((await t.call('GET', `${BASE}/resource`, enquiries)).statusCode).toBe(403);
  });
});
