import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { SYSTEM } from '../../platform/events.js';
import { cardsCsv, makeCards } from '../activation/testing/fixtures.js';

const BASE = '/tmf-api/stock/v4';
let t: TestApp;
let stock: string;
type Obj = Record<string, unknown> & { id: string };
type Native = { shop: string | null; status: string; count: number }[];

beforeAll(async () => {
  t = await createTestApp();
  await t.app.inventory.csv.import('shops', 'code,name,locality\nAG-TEST,Agence Test,Dakar', SYSTEM);
  await t.app.inventory.sims.importBatch(
    { batch: 'TMFSTK', manufacturer: 'Test', csv: cardsCsv(makeCards(5, 7312)) },
    SYSTEM,
  );
  stock = await t.login('stock');
});
afterAll(async () => {
  await t?.close();
});

const level = (s: Obj) => (s.productStockLevel as { amount: number }).amount;
const nativeCount = (n: Native, shop: string | null, status: string) =>
  n.find((r) => r.shop === shop && r.status === status)?.count ?? 0;

describe('TMF687 productStock and adjustProductStock', () => {
  it('shows the SIM stock per place and condition, as the native stock counts it', async () => {
    const res = await t.call('GET', `${BASE}/productStock`, stock);
    expect(res.statusCode, res.body).toBe(200);
    const list = res.json() as Obj[];
    expect(res.headers['x-total-count']).toBe(String(list.length));
    for (const s of list) expect(swaggerErrors('TMF687', 'ProductStock', s)).toEqual([]);
    const native = (await t.call('GET', '/api/v1/inventory/sims/stock', stock)).json() as Native;
    const central = list.find((s) => s.id === 'sim-central-available') as Obj;
    expect(level(central)).toBe(nativeCount(native, null, 'in_stock'));
    expect(level(central)).toBeGreaterThanOrEqual(5);
    expect(central).toMatchObject({ productStockStatusType: 'available', place: { role: 'warehouse' } });
    const shop = (await t.call('GET', `${BASE}/productStock/sim-AG-TEST-available`, stock)).json() as Obj;
    expect(swaggerErrors('TMF687', 'ProductStock', shop)).toEqual([]);
    expect(shop).toMatchObject({ productStockUsageType: 'inShop', place: { id: 'AG-TEST', role: 'shop' } });
    expect(level(shop)).toBe(0);
    const filtered = await t.call(
      'GET',
      `${BASE}/productStock?place.id=AG-TEST&fields=productStockLevel`,
      stock,
    );
    expect((filtered.json() as Obj[]).map((s) => s.id)).toEqual([
      'sim-AG-TEST-available',
      'sim-AG-TEST-reserved',
    ]);
    expect(Object.keys((filtered.json() as Obj[])[0]!).sort()).toEqual([
      '@type',
      'href',
      'id',
      'productStockLevel',
    ]);
    expect((await t.call('GET', `${BASE}/productStock/sim-NOWHERE-available`, stock)).statusCode).toBe(404);
    expect((await t.call('GET', `${BASE}/productStock/bogus`, stock)).statusCode).toBe(404);
  });

  it('sends cards from the warehouse to a shop through adjustProductStock', async () => {
    const before = level(
      (await t.call('GET', `${BASE}/productStock/sim-central-available`, stock)).json() as Obj,
    );
    const res = await t.call('POST', `${BASE}/adjustProductStock`, stock, {
      adjustProductStockItem: [
        {
          id: '1',
          productStockTarget: { id: 'sim-AG-TEST-available' },
          adjustProductStockQuantity: { amount: 2 },
        },
      ],
    });
    expect(res.statusCode, res.body).toBe(201);
    const adj = res.json() as Obj;
    expect(res.headers.location).toBe(adj.href);
    expect(swaggerErrors('TMF687', 'AdjustProductStock', adj)).toEqual([]);
    expect(adj).toMatchObject({
      state: 'done',
      adjustProductStockItem: [{ adjustProductStockQuantity: { amount: 2 } }],
    });
    const shop = (await t.call('GET', `${BASE}/productStock/sim-AG-TEST-available`, stock)).json() as Obj;
    expect(level(shop)).toBe(2);
    const native = (await t.call('GET', '/api/v1/inventory/sims/stock', stock)).json() as Native;
    expect(nativeCount(native, 'AG-TEST', 'allocated')).toBe(2);
    const after = level(
      (await t.call('GET', `${BASE}/productStock/sim-central-available`, stock)).json() as Obj,
    );
    expect(after).toBe(before - 2);
    const again = await t.call('GET', `${BASE}/adjustProductStock/${adj.id}`, stock);
    expect(again.json()).toEqual(adj);
    const list = await t.call(
      'GET',
      `${BASE}/adjustProductStock?adjustProductStockItem.productStockTarget.id=sim-AG-TEST-available`,
      stock,
    );
    expect((list.json() as Obj[]).map((a) => a.id)).toEqual([adj.id]);
    for (const a of list.json() as Obj[])
      expect(swaggerErrors('TMF687', 'AdjustProductStock', a)).toEqual([]);
  });

  it('refuses what GPTo cannot do, naming the field, and checks rights', async () => {
    const tooMany = await t.call('POST', `${BASE}/adjustProductStock`, stock, {
      adjustProductStockItem: [
        {
          id: '1',
          productStockTarget: { id: 'sim-AG-TEST-available' },
          adjustProductStockQuantity: { amount: 99999 },
        },
      ],
    });
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.json()).toMatchObject({
      '@type': 'Error',
      field: 'adjustProductStockItem[0].adjustProductStockQuantity.amount',
    });
    const central = await t.call('POST', `${BASE}/adjustProductStock`, stock, {
      adjustProductStockItem: [
        {
          id: '1',
          productStockTarget: { id: 'sim-central-available' },
          adjustProductStockQuantity: { amount: 1 },
        },
      ],
    });
    expect(central.statusCode).toBe(400);
    expect(central.json()).toMatchObject({ field: 'adjustProductStockItem[0].productStockTarget.id' });
    const negative = await t.call('POST', `${BASE}/adjustProductStock`, stock, {
      adjustProductStockItem: [
        {
          id: '1',
          productStockTarget: { id: 'sim-AG-TEST-available' },
          adjustProductStockQuantity: { amount: -1 },
        },
      ],
    });
    expect(negative.json()).toMatchObject({
      field: 'adjustProductStockItem[0].adjustProductStockQuantity.amount',
    });
    expect((await t.call('GET', `${BASE}/productStock?limit=0`, stock)).json()).toMatchObject({
      field: 'limit',
    });
    expect((await t.call('GET', `${BASE}/productStock`)).statusCode).toBe(401);
    const enquiries = await t.login('enquiries');
    expect((await t.call('GET', `${BASE}/productStock`, enquiries)).statusCode).toBe(403);
    const care = await t.login('care');
    const denied = await t.call('POST', `${BASE}/adjustProductStock`, care, {
      adjustProductStockItem: [
        {
          id: '1',
          productStockTarget: { id: 'sim-AG-TEST-available' },
          adjustProductStockQuantity: { amount: 1 },
        },
      ],
    });
    expect(denied.statusCode).toBe(403);
  });
});
