import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoPlant } from '../../src/demo/plant.js';
import { runCtk } from './ctk.js';
import { startTmfServer, type TmfServer } from './server.js';

let s: TmfServer;
beforeAll(async () => {
  s = await startTmfServer();
  await loadDemoPlant(s.t.tdb.db);
});
afterAll(async () => {
  await s?.close();
});

describe('TMF639 official CTK', () => {
  it('passes with no failed assertion over the demo plant', async () => {
    // The kit's default resource ("RouterXX", @type Resource) is nothing GPTo keeps; an exchange
    // site is what one creates with a name.
    const r = await runCtk('TMF639', s.baseUrl('resourceInventoryManagement'), s.token, {
      Resource: {
        name: 'Central de Ngor',
        '@type': 'PhysicalResource',
        category: 'site',
        resourceCharacteristic: [
          { name: 'code', value: 'NGR' },
          { name: 'locality', value: 'Dakar' },
          { name: 'district', value: 'Ngor' },
        ],
      },
    });
    expect(r.failures).toEqual([]);
    expect(r.assertionsFailed).toBe(0);
    expect(r.assertions).toBeGreaterThan(15);
  }, 120_000);
});
