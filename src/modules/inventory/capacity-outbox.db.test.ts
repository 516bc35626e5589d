import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { recordCapacity } from './capacity-outbox.js';
import { createInventory, type InventoryServices, type Resumed } from './index.js';
import { releaseInTrx } from './study.service.js';
import { ADMIN, buildPlant } from './test-fixtures.js';

const plateau = { street: 'Rue Carnot', district: 'Plateau', locality: 'Dakar' };

/**
 * A release made inside a caller's transaction (a workflow step's) frees the plant with that
 * transaction, and the held requests it may serve are re-studied only after its commit.
 */
describe('capacity freed in a caller’s transaction', () => {
  let tdb: TestDb;
  let inv: InventoryServices;
  const heard: Resumed[] = [];
  beforeAll(async () => {
    tdb = await createTestDb();
    inv = createInventory(tdb.db);
    inv.pending.onResumed((r) => void heard.push(...r));
    // one distribution pair at PC1: the first request takes it, the next ones wait for it
    await buildPlant(inv, { distPairs: 1 });
    const study = (ref: string) =>
      inv.service.study(
        { requestRef: ref, kind: 'fixed_wired', product: 'FIXE', address: plateau, holdIfNotFeasible: true },
        ADMIN,
      );
    expect((await study('C-0')).feasible).toBe(true);
    expect(await study('C-1')).toMatchObject({ feasible: false, held: true, elementCode: 'PC1' });
  });
  afterAll(async () => tdb?.close());

  const outbox = async () =>
    Number(
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM inv_capacity_signal`.execute(tdb.db)).rows[0]!
        .n,
    );

  it('a release whose transaction rolls back frees nothing and announces nothing', async () => {
    await expect(
      tdb.db.transaction().execute(async (trx) => {
        const r = await inv.service.releaseIn(trx, { requestRef: 'C-0' }, 'cancelled', ADMIN);
        expect(r.status).toBe('released');
        throw new Error('the step failed after the release');
      }),
    ).rejects.toThrow('the step failed after the release');
    await inv.relay.settled();
    expect((await inv.service.reservation({ requestRef: 'C-0' })).status).toBe('reserved');
    expect(heard).toEqual([]);
    expect(await outbox()).toBe(0);
    expect((await inv.pending.list({})).map((p) => p.requestRef)).toEqual(['C-1']);
  });

  it('a committed release resumes the held request only after the commit', async () => {
    await tdb.db.transaction().execute(async (trx) => {
      await inv.service.releaseIn(trx, { requestRef: 'C-0' }, 'cancelled', ADMIN);
      // the relay waits for this transaction: nothing can be re-studied yet
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(heard).toEqual([]);
    });
    await inv.relay.settled();
    expect(heard.map((h) => h.requestRef)).toEqual(['C-1']);
    expect((await inv.service.reservation({ requestRef: 'C-1' })).status).toBe('reserved');
    expect((await inv.service.reservation({ requestRef: 'C-0' })).status).toBe('released');
    expect(await outbox()).toBe(0);
  });

  it('signals left by a process that died after its commit are announced by the next relay', async () => {
    expect(
      (
        await inv.service.study(
          {
            requestRef: 'C-2',
            kind: 'fixed_wired',
            product: 'FIXE',
            address: plateau,
            holdIfNotFeasible: true,
          },
          ADMIN,
        )
      ).feasible,
    ).toBe(false);
    // what releaseIn leaves when its process is killed right after the commit: the plant change and
    // its signal row, and no relay running
    await tdb.db.transaction().execute(async (trx) => {
      const { id } = await trx
        .selectFrom('inv_reservation')
        .select('id')
        .where('request_ref', '=', 'C-1')
        .where('status', '=', 'reserved')
        .executeTakeFirstOrThrow();
      await recordCapacity(trx, await releaseInTrx(trx, id, 'cancelled', ADMIN));
    });
    expect(await outbox()).toBe(1);
    expect(heard.map((h) => h.requestRef)).toEqual(['C-1']);
    expect(await inv.service.announceLeftovers()).toBeGreaterThan(0);
    expect(heard.map((h) => h.requestRef)).toEqual(['C-1', 'C-2']);
    expect(await outbox()).toBe(0);
    expect((await inv.service.reservation({ requestRef: 'C-2' })).status).toBe('reserved');
  });
});
