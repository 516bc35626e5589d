import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';

/**
 * TMF620 has no v4 swagger vendored in test/tmf/swaggers: the references it hands out are checked
 * against the same reference definitions of TMF622 (ProductOfferingRef, ProductOfferingPriceRef,
 * ProductSpecificationRef), the shapes TMF622/637 clients follow from them.
 */

const BASE = '/tmf-api/productCatalogManagement/v4';
let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.login('admin');
});
afterAll(async () => {
  await t?.close();
});

type Offering = Record<string, unknown> & {
  id: string;
  productOfferingPrice: (Record<string, unknown> & {
    id: string;
    priceType: string;
    price: { value: number };
  })[];
};

describe('TMF620 product catalog (read)', () => {
  it('a productOffering is a catalogue product with the prices of its version in force', async () => {
    const res = await t.call('GET', `${BASE}/productOffering/FIXE`, admin);
    expect(res.statusCode, res.body).toBe(200);
    const o = res.json() as Offering;
    const native = (await t.call('GET', '/api/v1/products/FIXE', admin)).json() as {
      name: string;
      current: {
        oneOffPrice: number;
        recurringPrice: number;
        currency: string;
        deposits: Record<string, number>;
      };
    };
    expect(o).toMatchObject({
      id: 'FIXE',
      name: native.name,
      isSellable: true,
      lifecycleStatus: 'Launched',
      productSpecification: { id: 'fixed_wired' },
      '@type': 'ProductOffering',
    });
    expect(swaggerErrors('TMF622', 'ProductOfferingRef', o)).toEqual([]);
    expect(swaggerErrors('TMF622', 'ProductSpecificationRef', o.productSpecification)).toEqual([]);
    const byType = Object.fromEntries(o.productOfferingPrice.map((p) => [p.priceType, p.price.value]));
    expect(byType).toMatchObject({
      nonRecurring: native.current.oneOffPrice,
      recurring: native.current.recurringPrice,
    });
    const deposits = o.productOfferingPrice.filter((p) => p.priceType === 'deposit');
    expect(deposits.length).toBe(Object.keys(native.current.deposits).length);
    for (const p of o.productOfferingPrice) {
      expect(swaggerErrors('TMF622', 'ProductOfferingPriceRef', p)).toEqual([]);
      const one = await t.call('GET', `${BASE}/productOfferingPrice/${p.id}`, admin);
      expect(one.statusCode).toBe(200);
      expect(one.json()).toMatchObject({ id: p.id, price: { unit: native.current.currency } });
    }
  });

  it('lists offerings, options with the lines they apply to, specifications; filters and fields', async () => {
    const res = await t.call('GET', `${BASE}/productOffering`, admin);
    expect(res.statusCode).toBe(200);
    const all = res.json() as Offering[];
    const products = (await t.call('GET', '/api/v1/products', admin)).json() as { code: string }[];
    expect(all.map((o) => o.id).sort()).toEqual(products.map((p) => p.code).sort());
    expect(res.headers['x-total-count']).toBe(String(products.length));
    const option = all.find((o) => o.id === 'OPT-RENVOI')!;
    expect(option).toMatchObject({ productSpecification: { id: 'option' } });
    expect((option.productOfferingRelationship as { id: string }[]).length).toBeGreaterThan(0);
    const filtered = await t.call(
      'GET',
      `${BASE}/productOffering?productSpecification.id=mobile_prepaid`,
      admin,
    );
    expect((filtered.json() as Offering[]).map((o) => o.id)).toEqual(['MOBILE-PREP']);
    const fields = await t.call('GET', `${BASE}/productOffering?id=FIXE&fields=name`, admin);
    expect(Object.keys((fields.json() as object[])[0] ?? {}).sort()).toEqual(['@type', 'href', 'id', 'name']);
    const specs = (await t.call('GET', `${BASE}/productSpecification`, admin)).json() as { id: string }[];
    expect(specs.map((s) => s.id)).toEqual([
      'fixed_wired',
      'fixed_radio',
      'mobile_postpaid',
      'mobile_prepaid',
      'option',
    ]);
    const mobile = await t.call('GET', `${BASE}/productSpecification/mobile_postpaid`, admin);
    expect(mobile.json()).toMatchObject({
      productSpecCharacteristic: [{ name: 'directoryNumber' }, { name: 'iccid' }],
    });
  });

  it('answers 404 for unknown ids, is read-only, and checks rights', async () => {
    const missing = await t.call('GET', `${BASE}/productOffering/NOPE`, admin);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ '@type': 'Error', status: '404' });
    expect((await t.call('GET', `${BASE}/productSpecification/nope`, admin)).statusCode).toBe(404);
    expect((await t.call('POST', `${BASE}/productOffering`, admin, { name: 'x' })).statusCode).toBe(404);
    expect((await t.call('GET', `${BASE}/productOffering`)).statusCode).toBe(401);
    const enquiries = await t.login('enquiries');
    expect((await t.call('GET', `${BASE}/productOffering`, enquiries)).statusCode).toBe(403);
  });
});
