import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCtk } from './ctk.js';
import { DAKAR_ADDRESS, DEMO_CATEGORIES, startTmfServer, type TmfServer } from './server.js';

let s: TmfServer;
beforeAll(async () => {
  s = await startTmfServer();
});
afterAll(async () => {
  await s?.close();
});

describe('TMF629 official CTK', () => {
  it('passes with no failed assertion', async () => {
    const r = await runCtk('TMF629', s.baseUrl('customerManagement'), s.token, {
      Customer: {
        name: 'Moon Football Club',
        engagedParty: { '@referredType': 'Organization' },
        contactMedium: [DAKAR_ADDRESS],
        characteristic: DEMO_CATEGORIES,
      },
    });
    expect(r.failures).toEqual([]);
    expect(r.assertionsFailed).toBe(0);
    expect(r.assertions).toBeGreaterThan(20);
  }, 120_000);
});
