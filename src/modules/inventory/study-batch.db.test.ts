import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, createPool } from '../../platform/db.js';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { createInventory, type InventoryServices } from './index.js';
import type { StudyInput } from './inventory.schemas.js';
import { ADMIN, buildPlant } from './test-fixtures.js';

const plateau = { street: 'Rue Carnot', district: 'Plateau', locality: 'Dakar' };
const wired = (requestRef: string, address = plateau): StudyInput => ({
  requestRef,
  kind: 'fixed_wired',
  product: 'FIXE',
  address,
});

describe('studies that queue behind busy lanes share a transaction (migration 0251)', () => {
  let tdb: TestDb;
  let inv: InventoryServices;
  beforeAll(async () => {
    tdb = await createTestDb();
    // One lane: everything asked while it is busy goes into its next batch.
    inv = createInventory(tdb.db, undefined, undefined, { studyLanes: 1 });
    await buildPlant(inv, { distPairs: 12, primaryPairs: 40, ports: 40, numbers: 100 });
  });
  afterAll(async () => tdb?.close());

  it('gives each study of a batch its own answer: reservations, not feasible, held, refused', async () => {
    const before = { ...inv.service.studies.stats };
    const asked = [
      inv.service.study(wired('BA-1'), ADMIN),
      inv.service.study(wired('BA-2'), ADMIN),
      inv.service.study(wired('BA-3'), ADMIN),
      inv.service.study(
        { ...wired('BA-M', { locality: 'Dakar', district: 'Medina' } as typeof plateau) },
        ADMIN,
      ),
      inv.service.study(
        {
          ...wired('BA-H', { locality: 'Dakar', district: 'Medina' } as typeof plateau),
          holdIfNotFeasible: true,
        },
        ADMIN,
      ),
      inv.service.study({ requestRef: 'BA-S', kind: 'mobile', product: 'MOBILE', shop: 'NOPE' }, ADMIN),
      inv.service.study(wired('BA-1'), ADMIN), // the same request again, in the same batch
    ];
    const out = await Promise.allSettled(asked);
    const stats = inv.service.studies.stats;
    // The first went alone (the lane was free); the six others queued behind it and went as one.
    expect(stats.studies - before.studies).toBe(7);
    expect(stats.batches - before.batches).toBe(2);
    expect(stats.retriedAlone - before.retriedAlone).toBe(0);

    const value = (i: number) => {
      const r = out[i]!;
      if (r.status !== 'fulfilled') throw new Error(`study ${i} rejected: ${String(r.reason)}`);
      return r.value;
    };
    const chains = [0, 1, 2].map((i) => {
      const r = value(i);
      if (!r.feasible) throw new Error(`study ${i} not feasible: ${r.detail}`);
      return r.reservation;
    });
    expect(chains.map((c) => c.requestRef)).toEqual(['BA-1', 'BA-2', 'BA-3']);
    const distinct = (xs: unknown[]) => new Set(xs).size;
    expect(distinct(chains.map((c) => c.chain.distributionPair?.id))).toBe(3);
    expect(distinct(chains.map((c) => c.chain.primaryPair?.id))).toBe(3);
    expect(distinct(chains.map((c) => c.chain.equipmentNumber))).toBe(3);
    expect(distinct(chains.map((c) => c.directoryNumber))).toBe(3);
    expect(value(3)).toMatchObject({
      feasible: false,
      cause: 'missing_equipment',
      elementCode: 'PC2',
      held: false,
    });
    expect(value(4)).toMatchObject({ feasible: false, cause: 'missing_equipment', held: true });
    const shop = out[5]!;
    expect(shop.status).toBe('rejected');
    expect(shop.status === 'rejected' && (shop.reason as { code?: string }).code).toBe('inventory.not_found');
    const again = value(6);
    expect(again.feasible && again.reused && again.reservation.code === chains[0]!.code).toBe(true);

    const held = await sql<{ request_ref: string }>`
      SELECT request_ref FROM inv_pending WHERE status = 'waiting' AND request_ref LIKE 'BA-%'`.execute(
      tdb.db,
    );
    expect(held.rows).toEqual([{ request_ref: 'BA-H' }]);
    const live = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM inv_reservation WHERE status = 'reserved' AND request_ref LIKE 'BA-%'`.execute(
      tdb.db,
    );
    expect(live.rows[0]?.n).toBe(3);
  });

  it('runs a failed batch’s studies again one by one, so that only the failing one fails', async () => {
    // A study that fails with an error (not an answer): a trigger refusing one request's reservation.
    await sql`
      CREATE FUNCTION test_boom() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'boom for %', NEW.request_ref; END $$`.execute(tdb.db);
    await sql`
      CREATE TRIGGER test_boom BEFORE INSERT ON inv_reservation FOR EACH ROW
      WHEN (NEW.request_ref = 'BB-BOOM') EXECUTE FUNCTION test_boom()`.execute(tdb.db);
    try {
      const before = { ...inv.service.studies.stats };
      const refs = ['BB-1', 'BB-2', 'BB-BOOM', 'BB-3', 'BB-4'];
      const out = await Promise.allSettled(refs.map((ref) => inv.service.study(wired(ref), ADMIN)));
      const stats = inv.service.studies.stats;
      expect(stats.batches - before.batches).toBe(2); // BB-1 alone, then the four others
      expect(stats.retriedAlone - before.retriedAlone).toBe(4);
      expect(out.map((r) => r.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      expect(String((out[2] as PromiseRejectedResult).reason)).toMatch(/boom for BB-BOOM/);
      const live = await sql<{ request_ref: string }>`
        SELECT request_ref FROM inv_reservation WHERE status = 'reserved' AND request_ref LIKE 'BB-%'
        ORDER BY request_ref`.execute(tdb.db);
      expect(live.rows.map((r) => r.request_ref)).toEqual(['BB-1', 'BB-2', 'BB-3', 'BB-4']);
      // Nothing of the rolled-back batch is left half-done: every reserved pair belongs to a live reservation.
      const orphans = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM inv_pair p WHERE p.status = 'reserved' AND NOT EXISTS (
          SELECT FROM inv_reservation r WHERE r.status = 'reserved' AND p.id IN (r.primary_pair_id, r.distribution_pair_id))`.execute(
        tdb.db,
      );
      expect(orphans.rows[0]?.n).toBe(0);
    } finally {
      await sql`DROP TRIGGER test_boom ON inv_reservation`.execute(tdb.db);
      await sql`DROP FUNCTION test_boom()`.execute(tdb.db);
    }
  });
});

describe('concurrent studies on a nearly saturated concentration point, whatever the lanes', () => {
  // 1 lane: batches of up to 16 in one transaction; 2 (the default on two cores) and 3: batches
  // beside each other; 50: every study in a transaction of its own, all at once.
  it.each([1, 2, 3, 50])(
    '%i lane(s): 50 studies never reserve the same pair, port or number twice',
    async (lanes) => {
      const tdb = await createTestDb();
      const pool = createPool(tdb.url, 50);
      const db = createDb(pool);
      try {
        const inv = createInventory(db, undefined, undefined, { studyLanes: lanes });
        await buildPlant(inv, { distPairs: 7, primaryPairs: 60, ports: 60, numbers: 200 });
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => inv.service.study(wired(`L${lanes}-${i}`), ADMIN)),
        );
        const ok = results.flatMap((r) => (r.feasible ? [r.reservation] : []));
        expect(ok).toHaveLength(7);
        for (const r of results.filter((x) => !x.feasible))
          expect(r).toMatchObject({ cause: 'saturation', elementType: 'cp', elementCode: 'PC1' });
        const distinct = (xs: unknown[]) => new Set(xs).size;
        expect(distinct(ok.map((c) => c.chain.distributionPair?.id))).toBe(7);
        expect(distinct(ok.map((c) => c.chain.primaryPair?.id))).toBe(7);
        expect(distinct(ok.map((c) => c.chain.equipmentNumber))).toBe(7);
        expect(distinct(ok.map((c) => c.directoryNumber))).toBe(7);
        const counts = await sql<{ pairs: number; ports: number; numbers: number; reservations: number }>`
        SELECT (SELECT count(*)::int FROM inv_pair WHERE status = 'reserved') AS pairs,
               (SELECT count(*)::int FROM inv_port WHERE status = 'reserved') AS ports,
               (SELECT count(*)::int FROM inv_number WHERE status = 'reserved') AS numbers,
               (SELECT count(*)::int FROM inv_reservation WHERE status = 'reserved') AS reservations`.execute(
          db,
        );
        expect(counts.rows[0]).toEqual({ pairs: 14, ports: 7, numbers: 7, reservations: 7 });
        expect(inv.service.studies.stats.batches).toBeLessThanOrEqual(50);
        if (lanes === 1) expect(inv.service.studies.stats.batches).toBeLessThan(10);
      } finally {
        await db.destroy();
        await tdb.close();
      }
    },
  );
});
