import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCtk } from './ctk.js';
import { startTmfServer, type TmfServer } from './server.js';

let s: TmfServer;
let customer: string;
beforeAll(async () => {
  s = await startTmfServer();
  // a productOrder is a real service request: its scenario and its customer must exist
  await s.t.app.requests.loadDefaultScenarios();
  const res = await s.t.call('POST', '/api/v1/customers', await s.t.login('commercial'), {
    kind: 'person',
    lastName: 'Diop',
    firstNames: 'Moussa',
    address: { street: 'Avenue Georges Pompidou', district: 'Plateau', locality: 'Dakar' },
    phones: ['+221 77 200 00 00'],
    categories: {
      commercial1: 'RES',
      commercial2: 'STD',
      collection: 'STANDARD',
      accounting: 'PART',
      tax: 'TVA18',
    },
  });
  if (res.statusCode !== 201) throw new Error(`customer: ${res.statusCode} ${res.body}`);
  customer = (res.json() as { code: string }).code;
});
afterAll(async () => {
  await s?.close();
});

describe('TMF622 official CTK', () => {
  it('passes with no failed assertion', async () => {
    const r = await runCtk('TMF622', s.baseUrl('productOrderingManagement'), s.token, {
      // the kit's own payload with real references: an item adding the FIXE offering for a customer
      ProductOrder: {
        productOrderItem: [{ id: '123', action: 'add', productOffering: { id: 'FIXE' } }],
        relatedParty: [{ id: customer, role: 'customer', '@referredType': 'Individual' }],
      },
    });
    expect(r.failures).toEqual([]);
    expect(r.assertionsFailed).toBe(0);
    expect(r.assertions).toBeGreaterThan(20);
  }, 120_000);
});
