import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { createInventory } from '../modules/inventory/index.js';
import { loadDemoPlant } from './plant.js';

describe('demo plant', () => {
  let tdb: TestDb;
  beforeAll(async () => {
    tdb = await createTestDb();
  });
  afterAll(async () => tdb?.close());

  it('loads a plant with a saturated area, an unequipped zone, a radio cell and SIM stock, once', async () => {
    await loadDemoPlant(tdb.db);
    await loadDemoPlant(tdb.db);
    const inv = createInventory(tdb.db);
    const summary = await inv.pending.summary();
    expect(summary).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ cause: 'saturation', elementCode: 'PC-PAR-01', count: 3 }),
        expect.objectContaining({ cause: 'unequipped_zone', zone: 'keur massar/cite aliou sow', count: 1 }),
      ]),
    );
    const radio = await inv.service.study(
      {
        requestRef: 'R-1',
        kind: 'fixed_radio',
        product: 'FIXE-RADIO',
        address: { locality: 'Rufisque', district: 'Keury Souf' },
      },
      { userId: null, username: 't' },
    );
    expect(radio.feasible).toBe(true);
    const stock = await inv.sims.stock();
    expect(stock).toEqual(expect.arrayContaining([{ shop: 'AG-PLATEAU', status: 'allocated', count: 150 }]));
  });
});
