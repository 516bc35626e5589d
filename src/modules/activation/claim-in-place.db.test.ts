import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { claimStatement, outcomeStatement } from './automaton.js';

// Migration 0780: claiming an order changes no indexed column, so the claim is a HOT update (no new
// entry in any of act_order's indexes); the queue index follows `finished_at`, which the CHECK ties
// to the open states.

describe('activation claim in place (migration 0780)', () => {
  let t: TestDb;
  const now = new Date(Date.now() + 120_000);
  const lease = new Date(now.getTime() + 60_000);

  beforeAll(async () => {
    t = await createTestDb();
    await sql`INSERT INTO act_element (code, kind, name, host, port) VALUES ('HOT_HLR', 'osmo_hlr', 'HLR', '127.0.0.1', 4259)`.execute(
      t.db,
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a claim updates its orders in place: no index entry written, the queue index still finds them', async () => {
    await sql`
      INSERT INTO act_order (element_code, operation, line_id, available_at)
      SELECT 'HOT_HLR', 'mobile.activate', '2218' || lpad(g::text, 8, '0'), now() - interval '1 second'
        FROM generate_series(1, 4) g`.execute(t.db);
    const counts = await t.db.transaction().execute(async (trx) => {
      const claimed = await claimStatement('hot-1', now, lease, 10).execute(trx);
      const r = await sql<{ updated: string; hot: string }>`
        SELECT pg_stat_get_xact_tuples_updated('act_order'::regclass)::text AS updated,
               pg_stat_get_xact_tuples_hot_updated('act_order'::regclass)::text AS hot`.execute(trx);
      return { claimed: claimed.rows.length, ...r.rows[0]! };
    });
    expect(counts.claimed).toBe(4);
    expect(Number(counts.updated)).toBe(4);
    expect(Number(counts.hot)).toBe(4);
    // still open: the queue (finished_at IS NULL) holds them, a lapsed lease makes them claimable
    const open = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM act_order WHERE finished_at IS NULL AND claimed_by = 'hot-1'`.execute(
      t.db,
    );
    expect(open.rows[0]!.n).toBe(4);
    const later = new Date(lease.getTime() + 1000);
    const again = await claimStatement('hot-2', later, new Date(later.getTime() + 60_000), 10).execute(t.db);
    expect(again.rows).toHaveLength(4);
    // the outcome leaves the queue
    const rows = again.rows.map((o) => ({
      id: Number(o.id),
      status: 'done' as const,
      result: null,
      error: null,
      code: null,
    }));
    const done = await outcomeStatement('hot-2', later, rows).execute(t.db);
    expect(done.rows).toHaveLength(4);
    const left = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM act_order WHERE element_code = 'HOT_HLR' AND finished_at IS NULL`.execute(
      t.db,
    );
    expect(left.rows[0]!.n).toBe(0);
  });

  it('an order cannot be ended without its finish time, nor left open with one', async () => {
    const id = (
      await sql<{ id: string }>`
        INSERT INTO act_order (element_code, operation, line_id) VALUES ('HOT_HLR', 'mobile.activate', '221899999999')
        RETURNING id`.execute(t.db)
    ).rows[0]!.id;
    await expect(sql`UPDATE act_order SET status = 'done' WHERE id = ${id}`.execute(t.db)).rejects.toThrow(
      /act_order_finished_iff_ended/,
    );
    await expect(
      sql`UPDATE act_order SET finished_at = now() WHERE id = ${id}`.execute(t.db),
    ).rejects.toThrow(/act_order_finished_iff_ended/);
    await sql`UPDATE act_order SET status = 'cancelled', finished_at = now() WHERE id = ${id}`.execute(t.db);
  });
});
