import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { SYSTEM } from '../../platform/events.js';
import { cardsCsv, makeCards } from '../activation/testing/fixtures.js';
import { hubNotes } from './hub-notes.testing.js';
import { startStockReservationExpiry, TmfStockTasks } from './stock-tasks.js';

const BASE = '/tmf-api/stock/v4';
let t: TestApp;
let stock: string;
let front: string;
type Obj = Record<string, unknown> & { id: string };

beforeAll(async () => {
  t = await createTestApp();
  const inv = t.app.inventory;
  await inv.csv.import(
    'shops',
    'code,name,locality\nAG-RES,Agence Réserve,Dakar\nAG-ALT,Agence Alt,Thiès',
    SYSTEM,
  );
  await inv.sims.importBatch(
    { batch: 'TMFRES', manufacturer: 'Test', csv: cardsCsv(makeCards(8, 8811)) },
    SYSTEM,
  );
  await inv.sims.allocate({ shop: 'AG-RES', count: 3 }, SYSTEM);
  await inv.sims.allocate({ shop: 'AG-ALT', count: 4 }, SYSTEM);
  await inv.pools.create({ code: 'MOB-T', product: 'MOBILE-PREP', quarantineDays: 0 }, SYSTEM);
  await inv.pools.addRange('MOB-T', { first: '771500000', last: '771500009' }, SYSTEM);
  stock = await t.login('stock');
  front = await t.login('commercial');
});
afterAll(async () => {
  await t?.close();
});

const level = async (id: string) =>
  (
    (await t.call('GET', `${BASE}/productStock/${id}`, stock)).json() as {
      productStockLevel: { amount: number };
    }
  ).productStockLevel.amount;
const reserve = (amount: number, extra: Record<string, unknown> = {}, item: Record<string, unknown> = {}) =>
  t.call('POST', `${BASE}/reserveProductStock`, front, {
    reserveProductStockItem: [
      {
        id: '1',
        productStockRequested: { id: 'sim-AG-RES-available' },
        quantityRequested: { amount },
        ...item,
      },
    ],
    ...extra,
  });
const study = (ref: string) =>
  t.call('POST', '/api/v1/inventory/studies', front, {
    requestRef: ref,
    kind: 'mobile',
    product: 'MOBILE-PREP',
    shop: 'AG-RES',
    withNumber: false,
  });
const iccidsOf = (r: Obj) =>
  (
    (r.reserveProductStockItem as Obj[])[0]!.requestedProduct as {
      realizingResource: { id: string; name: string }[];
    }
  ).realizingResource
    .filter((x) => x.id.startsWith('sim-'))
    .map((x) => x.name);

describe('TMF687 reserveProductStock', () => {
  it('holds real cards of a shop: they leave its available stock and no study gets them; cancelling frees them', async () => {
    expect(await level('sim-AG-RES-available')).toBe(3);
    const res = await reserve(2, {
      validFor: { endDateTime: new Date(Date.now() + 3_600_000).toISOString() },
    });
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json() as Obj;
    expect(res.headers.location).toBe(r.href);
    expect(swaggerErrors('TMF687', 'ReserveProductStock', r)).toEqual([]);
    expect(r).toMatchObject({
      reserveProductStockState: 'done',
      place: { id: 'AG-RES' },
      reserveProductStockItem: [
        {
          quantityRequested: { amount: 2 },
          quantityReserved: { amount: 2 },
          productStockReserved: { id: 'sim-AG-RES-reserved' },
        },
      ],
    });
    const held = iccidsOf(r);
    expect(held).toHaveLength(2);
    for (const iccid of held) {
      const card = (await t.call('GET', `/api/v1/inventory/sims/${iccid}`, stock)).json() as {
        reserved: boolean;
      };
      expect(card.reserved).toBe(true);
    }
    expect(await level('sim-AG-RES-available')).toBe(1);
    expect(await level('sim-AG-RES-reserved')).toBe(2);
    // the one free card goes to a study; the next study finds none (the held ones are not offered)
    const first = (await study('REQ-STK-1')).json() as {
      feasible: boolean;
      reservation: { chain: { sim: { iccid: string } } };
    };
    expect(first.feasible).toBe(true);
    expect(held).not.toContain(first.reservation.chain.sim.iccid);
    const second = (await study('REQ-STK-2')).json() as { feasible: boolean; elementType: string };
    expect(second).toMatchObject({ feasible: false, elementType: 'shop' });

    const again = await t.call('GET', `${BASE}/reserveProductStock/${r.id}`, stock);
    expect(again.json()).toEqual(r);
    const list = await t.call(
      'GET',
      `${BASE}/reserveProductStock?reserveProductStockItem.productStockRequested.id=sim-AG-RES-available`,
      stock,
    );
    expect((list.json() as Obj[]).map((x) => x.id)).toEqual([r.id]);
    expect(list.headers['x-total-count']).toBe('1');

    // cancel (DELETE): the cards are free again, the reservation is still readable, held nothing
    expect((await t.call('DELETE', `${BASE}/reserveProductStock/${r.id}`, front)).statusCode).toBe(204);
    // two free again; the one reserved is the first study's card
    expect(await level('sim-AG-RES-available')).toBe(2);
    expect(await level('sim-AG-RES-reserved')).toBe(1);
    const after = (await t.call('GET', `${BASE}/reserveProductStock/${r.id}`, stock)).json() as Obj;
    expect(swaggerErrors('TMF687', 'ReserveProductStock', after)).toEqual([]);
    expect(after).toMatchObject({ reserveProductStockItem: [{ quantityReserved: { amount: 0 } }] });
    const twice = await t.call('DELETE', `${BASE}/reserveProductStock/${r.id}`, front);
    expect(twice.statusCode).toBe(409);
    expect((await study('REQ-STK-2')).json()).toMatchObject({ feasible: true });
  });

  it('reserves a number with each card for a mobile product, and frees both at expiry', async () => {
    // free the two study reservations of the first test
    for (const ref of ['REQ-STK-1', 'REQ-STK-2'])
      await t.app.inventory.service.release({ requestRef: ref }, 'test over', SYSTEM);
    const res = await reserve(1, {}, { requestedProduct: { productOffering: { id: 'MOBILE-PREP' } } });
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json() as Obj;
    expect(swaggerErrors('TMF687', 'ReserveProductStock', r)).toEqual([]);
    const resources = (
      (r.reserveProductStockItem as Obj[])[0]!.requestedProduct as {
        realizingResource: { id: string; name: string }[];
      }
    ).realizingResource;
    const number = resources.find((x) => x.id.startsWith('number-'))?.name as string;
    expect(number).toMatch(/^7715000\d\d$/);
    const held = await sql<{
      status: string;
    }>`SELECT status FROM inv_number WHERE number = ${number}`.execute(t.tdb.db);
    expect(held.rows[0]?.status).toBe('reserved');
    const tasks = new TmfStockTasks(t.tdb.db, t.app.inventory, {
      all: async () => [],
      get: async () => undefined,
    });
    expect(await tasks.expireDue(new Date(Date.now() + 49 * 3_600_000))).toBe(1);
    const after = (await t.call('GET', `${BASE}/reserveProductStock/${r.id}`, stock)).json() as Obj;
    expect(after).toMatchObject({ reserveProductStockItem: [{ quantityReserved: { amount: 0 } }] });
    expect(await level('sim-AG-RES-reserved')).toBe(0);
    const n = await sql<{ status: string }>`SELECT status FROM inv_number WHERE number = ${number}`.execute(
      t.tdb.db,
    );
    expect(n.rows[0]?.status).toBe('free');
    const events = await sql<{ kind: string }>`
      SELECT kind FROM event WHERE entity_type = 'stock_reservation' AND entity_id = ${r.id} ORDER BY id`.execute(
      t.tdb.db,
    );
    expect(events.rows.map((e) => e.kind)).toEqual([
      'stock_reservation.created',
      'stock_reservation.expired',
    ]);
    // the hub: create then attribute change, each body valid against the swagger's event
    const notes = (await hubNotes(t.tdb.db, t.app, 'stock', 'stock_reservation', ['inventory:read'])).filter(
      (n) => (n.body.event as { reserveProductStock: { id: string } }).reserveProductStock.id === r.id,
    );
    expect(notes.map((n) => n.path)).toEqual([
      'listener/reserveProductStockCreateEvent',
      'listener/reserveProductStockAttributeValueChangeEvent',
    ]);
    for (const n of notes) expect(swaggerErrors('TMF687', n.body.eventType, n.body)).toEqual([]);
    expect(await hubNotes(t.tdb.db, t.app, 'stock', 'stock_reservation', [])).toEqual([]);
  });

  it('the background expiry (gpto start) releases a reservation whose end date passed, without any read', async () => {
    const r = (await reserve(1)).json() as Obj;
    expect(await level('sim-AG-RES-reserved')).toBe(1);
    await sql`UPDATE tmf_stock_task SET valid_until = now() - interval '1 minute' WHERE code = ${r.id}`.execute(
      t.tdb.db,
    );
    const stop = startStockReservationExpiry(t.tdb.db, t.app.inventory, { everyMs: 20 });
    try {
      await expect
        .poll(
          async () =>
            (
              await sql<{ status: string }>`SELECT status FROM tmf_stock_task WHERE code = ${r.id}`.execute(
                t.tdb.db,
              )
            ).rows[0]?.status,
          { timeout: 20_000, interval: 50 },
        )
        .toBe('expired');
    } finally {
      stop();
    }
    const live = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM inv_reservation WHERE request_ref = ${`${r.id}-1`} AND status = 'reserved'`.execute(
      t.tdb.db,
    );
    expect(live.rows[0]?.n).toBe(0);
  });

  it('holds nothing when the shop has fewer free cards than asked, and names the field at fault', async () => {
    const before = await level('sim-AG-RES-available');
    const short = await reserve(before + 1);
    expect(short.statusCode).toBe(422);
    expect(short.json()).toMatchObject({
      '@type': 'Error',
      code: 'tmf.stock_short',
      field: 'reserveProductStockItem[0].quantityRequested.amount',
    });
    expect(await level('sim-AG-RES-available')).toBe(before);
    expect(await level('sim-AG-RES-reserved')).toBe(0);
    const central = await reserve(1, {}, { productStockRequested: { id: 'sim-central-available' } });
    expect(central.json()).toMatchObject({ field: 'reserveProductStockItem[0].productStockRequested.id' });
    const fixed = await reserve(1, {}, { requestedProduct: { productOffering: { id: 'FIXE' } } });
    expect(fixed.json()).toMatchObject({
      field: 'reserveProductStockItem[0].requestedProduct.productOffering.id',
    });
    const past = await reserve(1, { validFor: { endDateTime: '2020-01-01T00:00:00Z' } });
    expect(past.json()).toMatchObject({ field: 'validFor.endDateTime' });
    expect((await t.call('GET', `${BASE}/reserveProductStock/RPS99999999`, stock)).statusCode).toBe(404);
    expect((await t.call('DELETE', `${BASE}/reserveProductStock/RPS99999999`, front)).statusCode).toBe(404);
    const enquiries = await t.login('enquiries');
    expect(
      (
        await t.call('POST', `${BASE}/reserveProductStock`, enquiries, {
          reserveProductStockItem: [{ id: '1', quantityRequested: { amount: 1 } }],
        })
      ).statusCode,
    ).toBe(403);
    expect((await t.call('GET', `${BASE}/reserveProductStock`)).statusCode).toBe(401);
  });
});

describe('TMF687 checkProductStock and queryProductStock', () => {
  it('answers from the live counts, with alternatives, and keeps the answer', async () => {
    const free = await level('sim-AG-RES-available');
    const res = await t.call('POST', `${BASE}/checkProductStock`, stock, {
      provideAlternative: true,
      checkProductStockItem: [
        { id: 'a', checkedProductStock: { id: 'sim-AG-RES-available' }, requestedQuantity: { amount: free } },
        {
          id: 'b',
          checkedProductStock: { id: 'sim-AG-RES-available' },
          requestedQuantity: { amount: free + 1 },
        },
      ],
    });
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json() as Obj;
    expect(swaggerErrors('TMF687', 'CheckProductStock', c)).toEqual([]);
    const items = c.checkProductStockItem as Obj[];
    expect(items[0]).toMatchObject({ availabilityResult: 'available', state: 'done' });
    expect(items[1]).toMatchObject({ availabilityResult: 'alternate' });
    const alternates = (items[1]!.alternate as { alternateStock: { id: string } }[]).map(
      (a) => a.alternateStock.id,
    );
    expect(alternates).toContain('sim-AG-ALT-available');
    expect(alternates).not.toContain('sim-AG-RES-available');
    expect((await t.call('GET', `${BASE}/checkProductStock/${c.id}`, stock)).json()).toEqual(c);
    const bad = await t.call('POST', `${BASE}/checkProductStock`, stock, {
      checkProductStockItem: [
        { id: 'a', checkedProductStock: { id: 'sim-NOPE-available' }, requestedQuantity: { amount: 1 } },
      ],
    });
    expect(bad.json()).toMatchObject({ field: 'checkProductStockItem[0].checkedProductStock.id' });

    const q = await t.call('POST', `${BASE}/queryProductStock`, stock, {
      searchCriteria: { place: { id: 'AG-ALT' }, productStockStatusType: 'available' },
    });
    expect(q.statusCode, q.body).toBe(201);
    const query = q.json() as Obj;
    expect(swaggerErrors('TMF687', 'QueryProductStock', query)).toEqual([]);
    const found = query.queryProductStockItem as Obj[];
    expect(found.map((s) => s.id)).toEqual(['sim-AG-ALT-available']);
    expect(found[0]).toMatchObject({ productStockLevel: { amount: 4 } });
    const list = await t.call('GET', `${BASE}/queryProductStock?fields=state`, stock);
    expect(list.json()).toEqual([
      { id: query.id, href: query.href, state: 'done', '@type': 'QueryProductStock' },
    ]);
    const unknown = await t.call('POST', `${BASE}/queryProductStock`, stock, {
      searchCriteria: { colour: 'red' },
    });
    expect(unknown.json()).toMatchObject({ status: '400', field: 'searchCriteria.colour' });
  });
});
