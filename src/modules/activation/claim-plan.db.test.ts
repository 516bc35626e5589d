import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { claimStatement, outcomeStatement } from './automaton.js';

// The automaton's claim and outcome statements must keep their plans when the statistics are stale:
// a database with history whose last ANALYZE saw the queue empty, then a burst of orders. Before
// migration 0421 the planner took the queue for one row and scanned the whole queue index per
// claimed candidate (per-line probe) and per outcome batch: quadratic in the backlog.

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Join Filter'?: string;
  'Parent Relationship'?: string;
  'Subplan Name'?: string;
  Plans?: PlanNode[];
}

const nodes = (n: PlanNode, parents: PlanNode[] = []): { node: PlanNode; parents: PlanNode[] }[] => [
  { node: n, parents },
  ...(n.Plans ?? []).flatMap((c) => nodes(c, [...parents, n])),
];

describe('activation claim and outcome plans with stale statistics', () => {
  let t: TestDb;
  const now = new Date(Date.now() + 120_000); // every pending order is due

  beforeAll(async () => {
    t = await createTestDb();
    await sql`INSERT INTO act_element (code, kind, name, host, port) VALUES ('PLAN_HLR', 'osmo_hlr', 'HLR', '127.0.0.1', 4259)`.execute(
      t.db,
    );
    // history: finished orders, analysed while the queue is empty
    await sql`
      INSERT INTO act_order (element_code, operation, line_id, status, finished_at)
      SELECT 'PLAN_HLR', 'mobile.activate', '2217' || lpad(g::text, 8, '0'), 'done', now()
        FROM generate_series(1, 20000) g`.execute(t.db);
    await sql`ANALYZE act_order`.execute(t.db);
    // then a burst: pending orders on new lines and on lines with history, some already running
    await sql`
      INSERT INTO act_order (element_code, operation, line_id, status, claimed_by, lease_until, available_at)
      SELECT 'PLAN_HLR', 'mobile.activate', '2217' || lpad((g % 30000)::text, 8, '0'),
             CASE WHEN g <= 200 THEN 'running' ELSE 'pending' END,
             CASE WHEN g <= 200 THEN 'other' END,
             CASE WHEN g <= 200 THEN now() + interval '1 hour' END,
             now() - interval '1 second'
        FROM generate_series(1, 5000) g`.execute(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("the claim's per-line probe looks up the candidate's line by index, never scans the queue", async () => {
    const claim = claimStatement('a1', now, new Date(now.getTime() + 60_000), 100).compile(t.db);
    const r = await t.pool.query(`EXPLAIN (FORMAT JSON) ${claim.sql}`, claim.parameters as unknown[]);
    const all = nodes((r.rows[0] as { 'QUERY PLAN': { Plan: PlanNode }[] })['QUERY PLAN'][0]!.Plan);
    const orderScans = all.filter((x) => x.node['Relation Name'] === 'act_order');
    // the probe: a scan of act_order inside a subplan, by line
    const probes = orderScans.filter(
      (x) => x.parents.some((p) => p['Subplan Name']) || x.node['Subplan Name'],
    );
    expect(probes.length).toBe(1);
    expect(probes[0]!.node['Index Cond']).toMatch(/line_id/);
    expect(probes[0]!.node['Index Name']).not.toBe('act_order_queue_idx');
    // no join compares lines row by row
    expect(all.filter((x) => x.node['Join Filter']?.includes('line_id'))).toEqual([]);
    // and it still claims in order, skipping lines with an older unfinished order
    const claimed = await t.pool.query<{ id: string; line_id: string }>(
      claim.sql,
      claim.parameters as unknown[],
    );
    expect(claimed.rows).toHaveLength(100);
    const open = await t.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM act_order c WHERE c.id = ANY($1::bigint[])
          AND EXISTS (SELECT 1 FROM act_order p WHERE p.line_id = c.line_id AND p.id < c.id
                        AND p.status IN ('pending', 'running') AND p.claimed_by IS DISTINCT FROM 'a1')`,
      [claimed.rows.map((x) => x.id)],
    );
    expect(Number(open.rows[0]!.n)).toBe(0);
  });

  it('the outcome statement reaches its orders by primary key only', async () => {
    const ids = (
      await t.pool.query<{ id: string }>(
        `UPDATE act_order SET status = 'running', claimed_by = 'a1', lease_until = now() + interval '1 hour'
          WHERE id IN (SELECT id FROM act_order WHERE status = 'pending' ORDER BY id DESC LIMIT 20) RETURNING id`,
      )
    ).rows
      .map((x) => Number(x.id))
      .sort((a, b) => a - b);
    expect(ids).toHaveLength(20);
    const row = (id: number) => ({ id, status: 'done' as const, result: null, error: null, code: null });
    const q = outcomeStatement('a1', now, ids.map(row)).compile(t.db);
    const plan = await t.pool.query(`EXPLAIN (FORMAT JSON) ${q.sql}`, q.parameters as unknown[]);
    const all = nodes((plan.rows[0] as { 'QUERY PLAN': { Plan: PlanNode }[] })['QUERY PLAN'][0]!.Plan);
    const scans = all.filter(
      (x) => x.node['Relation Name'] === 'act_order' && x.node['Node Type'] !== 'ModifyTable',
    );
    expect(scans.length).toBeGreaterThan(0);
    for (const s of scans) expect(s.node['Index Name']).toBe('act_order_pkey');
    // and it records exactly the orders a1 holds
    const other = (
      await t.pool.query<{ id: string }>(
        `SELECT id FROM act_order WHERE claimed_by = 'other' ORDER BY id LIMIT 1`,
      )
    ).rows.map((x) => Number(x.id));
    const both = outcomeStatement('a1', now, [...ids, ...other].map(row)).compile(t.db);
    const done = await t.pool.query<{ id: string }>(both.sql, both.parameters as unknown[]);
    expect(done.rows.map((x) => Number(x.id)).sort((a, b) => a - b)).toEqual(ids);
  });
});
