import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { bucketMinutesFor, elementActivity } from './activity.js';
import { SwitchSimulator } from './switch-sim/simulator.js';

describe("what switching reports: an element's activity (its commands per bucket) and the orders as CSV", () => {
  let t: TestApp;
  const sim = new SwitchSimulator({ name: 'SWC' });
  let port = 0;
  beforeAll(async () => {
    [t, port] = await Promise.all([createTestApp(), sim.start()]);
    const admin = await t.login('admin');
    for (const code of ['SWC', 'SWD']) {
      const put = await t.call('PUT', `/api/v1/activation/elements/${code}`, admin, {
        kind: 'mml_switch',
        name: `Switch ${code}`,
        host: '127.0.0.1',
        port,
        username: 'gpto',
        password: 'gpto',
        isDefault: code === 'SWC',
      });
      expect(put.statusCode).toBe(200);
    }
  });
  afterAll(async () => {
    await t.app.activation.stop();
    await sim.stop();
    await t.close();
  });

  it('picks buckets a chart reads easily: at most 96 bars from an hour to a week', () => {
    expect(bucketMinutesFor(1)).toBe(1);
    expect(bucketMinutesFor(6)).toBe(5);
    expect(bucketMinutesFor(24)).toBe(15);
    expect(bucketMinutesFor(168)).toBe(120);
    for (let h = 1; h <= 168; h++) expect((h * 60) / bucketMinutesFor(h)).toBeLessThanOrEqual(96);
  });

  it('counts what the automaton sent, refused included, and what it took', async () => {
    const switching = await t.login('switching');
    for (const n of [1, 2, 3]) {
      const res = await t.call('POST', '/api/v1/activation/orders', switching, {
        operation: 'fixed.activate',
        lineId: `33825000${n}`,
        params: { dn: `33825000${n}`, en: `04-02-00${n}` },
      });
      expect(res.statusCode).toBe(202);
    }
    // services on a number the switch does not have: refused (DNUNK)
    const refused = await t.call('POST', '/api/v1/activation/orders', switching, {
      operation: 'fixed.services',
      lineId: '338259999',
      params: { dn: '338259999', add: ['CFU'] },
    });
    expect(refused.statusCode).toBe(202);
    await t.app.activation.automaton.drain();

    const journal = await sql<{ outcome: string; n: string }>`
      SELECT outcome, count(*) AS n FROM act_command WHERE element_code = 'SWC' GROUP BY 1`.execute(t.tdb.db);
    const count = (o: string) => Number(journal.rows.find((r) => r.outcome === o)?.n ?? 0);
    expect(count('ok')).toBeGreaterThanOrEqual(6); // each activation: a look, then the line made
    expect(count('refused')).toBeGreaterThanOrEqual(1);

    const res = await t.call('GET', '/api/v1/activation/elements/SWC/activity?hours=1', switching);
    expect(res.statusCode).toBe(200);
    const a = res.json() as {
      bucketMinutes: number;
      buckets: { at: string; ok: number; refused: number; transportErrors: number; p95Ms: number | null }[];
      totals: { ok: number; refused: number; transportErrors: number; p95Ms: number | null };
      outages: unknown[];
    };
    expect(a.bucketMinutes).toBe(1);
    expect(a.buckets).toHaveLength(60);
    expect(a.totals).toMatchObject({ ok: count('ok'), refused: count('refused'), transportErrors: 0 });
    expect(a.totals.p95Ms).toBeGreaterThan(0);
    // the last bucket holds now
    const last = a.buckets.at(-1)!;
    expect(Date.parse(last.at)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(last.at) + 60_000).toBeGreaterThan(Date.now() - 5_000);
    expect(a.buckets.reduce((n, b) => n + b.ok, 0)).toBe(count('ok'));
    expect(a.outages).toEqual([]);

    // read once for every screen for a few seconds: a command journaled since shows a little later
    await sql`INSERT INTO act_command (element_code, line_id, command, reply, outcome, sent_at, duration_ms)
              VALUES ('SWC', '338250001', 'DSP-LINE DN=338250001', 'x', 'ok', now(), 1)`.execute(t.tdb.db);
    const again = await t.call('GET', '/api/v1/activation/elements/SWC/activity?hours=1', switching);
    expect((again.json() as typeof a).totals.ok).toBe(count('ok'));
    expect((await elementActivity(t.tdb.db, 'SWC', 1, new Date())).totals.ok).toBe(count('ok') + 1);

    // the other element sent nothing
    const other = await t.call('GET', '/api/v1/activation/elements/SWD/activity', switching);
    expect(other.json()).toMatchObject({
      bucketMinutes: 15,
      totals: { ok: 0, refused: 0, transportErrors: 0, p95Ms: null },
    });
    expect((other.json() as { buckets: unknown[] }).buckets).toHaveLength(96);
  });

  it('puts each command in its bucket, leaves out what is older than the window, and says why a query is refused', async () => {
    const now = new Date('2026-03-02T10:07:30Z');
    const at = (min: number, s = 0) => new Date(now.getTime() - min * 60_000 - s * 1000);
    // hand-written journal rows, in id order as the journal writes them (sent first, written first)
    const rows: [Date, string, number][] = [
      [at(400), 'ok', 1], // before a 6-hour window
      [at(359), 'ok', 2], // 04:08:30: the window's first bucket starts at 04:10
      [at(355), 'ok', 5], // 04:12:30
      [at(30), 'ok', 4],
      [at(30), 'refused', 8],
      [at(29, 50), 'transport_error', 100],
      [at(0, 10), 'ok', 3],
    ];
    for (const [sentAt, outcome, ms] of rows)
      await sql`INSERT INTO act_command (element_code, line_id, command, reply, outcome, sent_at, duration_ms)
                VALUES ('SWD', '338250100', 'DSP-LINE DN=338250100', 'x', ${outcome}, ${sentAt}, ${ms})`.execute(
        t.tdb.db,
      );
    const a = await elementActivity(t.tdb.db, 'SWD', 6, now);
    expect(a.bucketMinutes).toBe(5);
    expect(a.from).toBe('2026-03-02T04:10:00.000Z');
    expect(a.to).toBe('2026-03-02T10:10:00.000Z');
    expect(a.buckets).toHaveLength(72);
    const nonEmpty = a.buckets.filter((b) => b.ok + b.refused + b.transportErrors > 0);
    expect(nonEmpty.map((b) => [b.at, b.ok, b.refused, b.transportErrors])).toEqual([
      ['2026-03-02T04:10:00.000Z', 1, 0, 0],
      ['2026-03-02T09:35:00.000Z', 1, 1, 1],
      ['2026-03-02T10:05:00.000Z', 1, 0, 0],
    ]);
    expect(nonEmpty[1]).toMatchObject({ p50Ms: 8, maxMs: 100 });
    expect(a.totals).toEqual({ ok: 3, refused: 1, transportErrors: 1, p95Ms: expect.any(Number) });
    expect(a.totals.p95Ms).toBeGreaterThan(8);

    // a bar's commands: those sent in its bucket, newest first; one outcome at a time
    const token = await t.login('switching');
    const bar = (extra = '') =>
      t.call(
        'GET',
        `/api/v1/activation/elements/SWD/journal?since=2026-03-02T09:35:00Z&until=2026-03-02T09:40:00Z${extra}`,
        token,
      );
    const inBar = (await bar()).json() as { items: { outcome: string; durationMs: number }[] };
    expect(inBar.items.map((c) => [c.outcome, c.durationMs])).toEqual([
      ['transport_error', 100],
      ['refused', 8],
      ['ok', 4],
    ]);
    const refusedInBar = (await bar('&outcome=refused')).json() as { items: { outcome: string }[] };
    expect(refusedInBar.items.map((c) => c.outcome)).toEqual(['refused']);
    const paged = (await bar('&limit=2')).json() as { items: unknown[]; nextCursor?: string };
    expect(paged.items).toHaveLength(2);
    const rest = (await bar(`&limit=2&cursor=${paged.nextCursor!}`)).json() as { items: unknown[] };
    expect(rest.items).toHaveLength(1);
    // the first bucket of the window, and no bound but one
    const first = (
      await t.call(
        'GET',
        '/api/v1/activation/elements/SWD/journal?since=2026-03-02T04:10:00Z&until=2026-03-02T04:15:00Z',
        token,
      )
    ).json() as { items: { durationMs: number }[] };
    expect(first.items.map((c) => c.durationMs)).toEqual([5]);
    const before = (
      await t.call('GET', '/api/v1/activation/elements/SWD/journal?until=2026-03-02T04:10:00Z', token)
    ).json() as { items: { durationMs: number }[] };
    expect(before.items.map((c) => c.durationMs)).toEqual([2, 1]);
    const badOutcome = await t.call('GET', '/api/v1/activation/elements/SWD/journal?outcome=maybe', token);
    expect(badOutcome.statusCode).toBe(400);
    expect(badOutcome.body).toContain('outcome');

    const tooLong = await t.call('GET', '/api/v1/activation/elements/SWD/activity?hours=500', token);
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.body).toContain('hours');
    const unknown = await t.call('GET', '/api/v1/activation/elements/NOPE/activity', token);
    expect(unknown.statusCode).toBe(404);
    const enquiries = await t.login('enquiries');
    expect((await t.call('GET', '/api/v1/activation/elements/SWD/activity', enquiries)).statusCode).toBe(403);
  });
  it('exports the orders the filters select as CSV, every page of them, and refuses an export too large to be useful', async () => {
    const switching = await t.login('switching');
    const refused = await t.call(
      'GET',
      '/api/v1/activation/orders/export?element=SWC&status=refused',
      switching,
    );
    expect(refused.statusCode).toBe(200);
    expect(refused.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(refused.headers['content-disposition']).toBe(
      'attachment; filename="activation-orders-SWC-refused.csv"',
    );
    expect(refused.body.startsWith('\ufeffid,createdAt,element,operation,lineId,status')).toBe(true);
    const rows = parse(refused.body, { bom: true, columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      element: 'SWC',
      operation: 'fixed.services',
      lineId: '338259999',
      status: 'refused',
      createdBy: 'switching',
      replayedBy: '',
    });
    expect(rows[0]!.error).toMatch(/DNUNK/);
    expect(JSON.parse(rows[0]!.params!)).toEqual({ dn: '338259999', add: ['CFU'] });
    expect(refused.headers['x-gpto-rows']).toBe('1');

    // every order of the element, newest first, beyond the list's page of 25
    const all = parse((await t.call('GET', '/api/v1/activation/orders/export?element=SWC', switching)).body, {
      bom: true,
      columns: true,
    }) as Record<string, string>[];
    expect(all.map((r) => r.lineId)).toEqual(['338259999', '338250003', '338250002', '338250001']);
    expect(all.map((r) => Number(r.id))).toEqual([...all.map((r) => Number(r.id))].sort((a, b) => b - a));
    const future = await t.call(
      'GET',
      `/api/v1/activation/orders/export?element=SWC&since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`,
      switching,
    );
    expect(future.statusCode).toBe(200);
    expect(parse(future.body, { bom: true, columns: true })).toEqual([]);
    const badSince = await t.call('GET', '/api/v1/activation/orders/export?since=yesterday', switching);
    expect(badSince.statusCode).toBe(400);
    expect(badSince.body).toContain('since');
    const enquiries = await t.login('enquiries');
    expect((await t.call('GET', '/api/v1/activation/orders/export', enquiries)).statusCode).toBe(403);

    // a busy element's history: more than one export holds is refused, naming what to narrow
    await sql`INSERT INTO act_order (element_code, operation, line_id, status, finished_at)
              SELECT 'SWD', 'fixed.status', '3382' || g, 'done', now() FROM generate_series(1, 100001) g`.execute(
      t.tdb.db,
    );
    const tooLarge = await t.call('GET', '/api/v1/activation/orders/export?element=SWD', switching);
    expect(tooLarge.statusCode).toBe(409);
    expect(tooLarge.json()).toMatchObject({ code: 'activation.export_too_large', field: 'since' });
    const narrowed = await t.call(
      'GET',
      '/api/v1/activation/orders/export?element=SWD&status=refused',
      switching,
    );
    expect(narrowed.statusCode).toBe(200);
  }, 60_000);
});
