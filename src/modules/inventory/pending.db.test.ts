import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { createInventory, type InventoryServices, type Resumed } from './index.js';
import { plantWriters } from './plant.writers.js';
import { ADMIN, buildPlant } from './test-fixtures.js';

const plateau = { street: 'Rue Carnot', district: 'Plateau', locality: 'Dakar' };

describe('pending requests', () => {
  let tdb: TestDb;
  let inv: InventoryServices;
  const heard: Resumed[] = [];
  beforeAll(async () => {
    tdb = await createTestDb();
    inv = createInventory(tdb.db);
    inv.pending.onResumed((r) => void heard.push(...r));
    await buildPlant(inv, { distPairs: 1 });
  });
  afterAll(async () => tdb?.close());

  const study = (ref: string, address = plateau) =>
    inv.service.study(
      { requestRef: ref, kind: 'fixed_wired', product: 'FIXE', address, holdIfNotFeasible: true },
      ADMIN,
    );

  it('holds not-feasible requests indexed by cause and element, and lists them by cause and zone', async () => {
    expect((await study('H-0')).feasible).toBe(true);
    for (const ref of ['H-1', 'H-2', 'H-3'])
      expect(await study(ref)).toMatchObject({ feasible: false, held: true, elementCode: 'PC1' });
    expect(
      await study('H-Z', { street: 'Route de Ouakam', district: 'Ouakam', locality: 'Dakar' }),
    ).toMatchObject({ cause: 'unequipped_zone', held: true });
    const all = await inv.pending.list({});
    expect(all.map((p) => p.requestRef)).toEqual(['H-1', 'H-2', 'H-3', 'H-Z']);
    expect((await inv.pending.list({ cause: 'unequipped_zone' })).map((p) => p.requestRef)).toEqual(['H-Z']);
    expect((await inv.pending.list({ zone: 'dakar/plateau' })).map((p) => p.requestRef)).toEqual([
      'H-1',
      'H-2',
      'H-3',
    ]);
    const summary = await inv.pending.summary();
    expect(summary[0]).toMatchObject({
      cause: 'saturation',
      elementType: 'cp',
      elementCode: 'PC1',
      count: 3,
    });
    // studying again keeps one pending row per request
    await study('H-1');
    expect((await inv.pending.list({})).filter((p) => p.requestRef === 'H-1')).toMatchObject([
      { attempts: 2 },
    ]);
  });

  it('resumes the oldest matching requests when pairs are added, and only as many as fit', async () => {
    await inv.plant.write(
      'cable.laid',
      'cable',
      (t, s) =>
        plantWriters.cable(t, { code: 'D1', kind: 'distribution', sdf: 'SR1', cp: 'PC1', pairs: 3 }, s),
      { code: 'D1' },
      ADMIN,
      false,
    );
    expect(heard.map((h) => h.requestRef)).toEqual(['H-1', 'H-2']);
    expect((await inv.pending.list({})).map((p) => p.requestRef)).toEqual(['H-3', 'H-Z']);
    const r = await inv.service.reservation({ requestRef: 'H-1' });
    expect(r.status).toBe('reserved');
    const ev = await tdb.db
      .selectFrom('event')
      .select(['kind', 'payload'])
      .where('kind', 'in', ['pending.resumed', 'inventory.capacity_available'])
      .orderBy('id')
      .execute();
    expect(ev.map((e) => e.kind)).toEqual([
      'inventory.capacity_available',
      'pending.resumed',
      'pending.resumed',
    ]);
    expect((ev[1]?.payload as { requestRef: string }).requestRef).toBe('H-1');
  });

  it('resumes on a release (compensation of another request) and on coverage added', async () => {
    await inv.service.release({ requestRef: 'H-0' }, 'cancelled by the customer', ADMIN);
    expect(heard.map((h) => h.requestRef)).toEqual(['H-1', 'H-2', 'H-3']);
    await inv.plant.write(
      'cp',
      'cp',
      (t) =>
        plantWriters.cp(t, {
          code: 'PC9',
          sdf: 'SR1',
          name: 'PC Ouakam',
          locality: 'Dakar',
          district: 'Ouakam',
        }),
      { code: 'PC9' },
      ADMIN,
      false,
    );
    await inv.plant.write(
      'cable',
      'cable',
      (t, s) =>
        plantWriters.cable(t, { code: 'D9', kind: 'distribution', sdf: 'SR1', cp: 'PC9', pairs: 2 }, s),
      { code: 'D9' },
      ADMIN,
      false,
    );
    expect(heard).toHaveLength(3);
    await inv.plant.write(
      'area',
      'serving_area',
      (t, s) => plantWriters.servingArea(t, { locality: 'Dakar', district: 'Ouakam', cp: 'PC9' }, s),
      { code: 'area' },
      ADMIN,
      false,
    );
    expect(heard.map((h) => h.requestRef)).toEqual(['H-1', 'H-2', 'H-3', 'H-Z']);
    expect(await inv.pending.list({})).toEqual([]);
  });

  it('resumes a request waiting for a repaired pair', async () => {
    expect(await study('H-5')).toMatchObject({ feasible: false, elementCode: 'PC1' });
    const line = await inv.service.commit({ requestRef: 'H-1' }, ADMIN);
    const pairId = line.chain.distributionPair?.id as number;
    await inv.plant.changeStatus('pair', pairId, { status: 'faulty', reason: 'water in the cable' }, ADMIN);
    await inv.service.cease(line.directoryNumber, 'termination', ADMIN);
    expect(heard.map((h) => h.requestRef)).not.toContain('H-5');
    await inv.plant.changeStatus('pair', pairId, { status: 'free', reason: 'repaired' }, ADMIN);
    expect(heard.map((h) => h.requestRef)).toContain('H-5');
  });
});
