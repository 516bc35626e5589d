import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { FixedClock } from '../../platform/clock.js';
import { CollectionScheduler, operatorDay, parseCollectionAt } from './collection-schedule.js';
import type { CollectionRunReport } from './collection.service.js';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.close());

describe('collection schedule (pure)', () => {
  it('reads HH:MM or off, and the operator’s day in its time zone', () => {
    expect(parseCollectionAt(undefined)).toBe(120);
    expect(parseCollectionAt('06:30')).toBe(390);
    expect(parseCollectionAt('off')).toBeNull();
    expect(parseCollectionAt('25:00')).toBeInstanceOf(Error);
    expect(parseCollectionAt('2h')).toBeInstanceOf(Error);
    expect(operatorDay(new Date('2026-03-10T23:30:00Z'), 'Africa/Dakar')).toEqual({
      date: '2026-03-10',
      minutes: 23 * 60 + 30,
    });
    expect(operatorDay(new Date('2026-03-10T23:30:00Z'), 'Asia/Tokyo')).toEqual({
      date: '2026-03-11',
      minutes: 8 * 60 + 30,
    });
  });
});

describe('collection schedule', () => {
  const runs: { runner: string; at: string }[] = [];
  let fail = false;
  const report = (at: Date): CollectionRunReport => ({
    date: at.toISOString(),
    debtors: 0,
    reminders: 0,
    limitations: 0,
    suspensions: 0,
    terminationProposals: 0,
    restored: 0,
    requests: [],
    errors: [],
  });
  const scheduler = (runner: string, clock: FixedClock) =>
    new CollectionScheduler(
      t.db,
      async (at) => {
        // long enough for the other process's tick to meet this one running
        await new Promise((r) => setTimeout(r, 50));
        if (fail) throw new Error('database unreachable');
        runs.push({ runner, at: at.toISOString() });
        return report(at);
      },
      { at: parseCollectionAt('02:00') as number, timeZone: 'Africa/Dakar', clock, runner },
    );
  const day = async (d: string) =>
    t.db.selectFrom('billing_collection_day').selectAll().where('run_date', '=', d).executeTakeFirstOrThrow();

  it('runs once a day at the configured hour, across processes and restarts', async () => {
    const clock = new FixedClock(new Date('2026-03-10T01:30:00Z'));
    const a = scheduler('a', clock);
    const b = scheduler('b', clock);
    expect(await Promise.all([a.tick(), b.tick()])).toEqual(['not_yet', 'not_yet']);
    clock.advance(35 * 60_000); // 02:05
    expect((await Promise.all([a.tick(), b.tick()])).sort()).toEqual(['ran', 'taken']);
    expect(runs).toHaveLength(1);
    // again later that day, and after a restart (a new process): nothing more
    clock.advance(13 * 3600_000);
    const restarted = scheduler('c', clock);
    expect(await Promise.all([a.tick(), b.tick(), restarted.tick()])).toEqual(['taken', 'taken', 'taken']);
    expect(runs).toHaveLength(1);
    expect(await day('2026-03-10')).toMatchObject({ status: 'done', attempts: 1, runner: runs[0]!.runner });
    // the next day, not before 02:00
    clock.advance(10 * 3600_000 - 6 * 60_000); // 2026-03-11 00:59
    expect(await a.tick()).toBe('not_yet');
    clock.advance(61 * 60_000); // 02:00
    expect(await b.tick()).toBe('ran');
    expect(runs.map((r) => r.at)).toEqual(['2026-03-10T02:05:00.000Z', '2026-03-11T02:00:00.000Z']);
    const ev = await t.db
      .selectFrom('event')
      .select('entity_id')
      .where('kind', '=', 'collection.daily_run')
      .orderBy('id')
      .execute();
    expect(ev.map((e) => e.entity_id)).toEqual(['2026-03-10', '2026-03-11']);
  });

  it('takes over the day of a process that died while running it; retries a run that failed', async () => {
    const clock = new FixedClock(new Date('2026-03-12T02:05:00Z'));
    await t.db
      .insertInto('billing_collection_day')
      .values({
        run_date: '2026-03-12',
        status: 'running',
        runner: 'dead',
        started_at: new Date('2026-03-12T02:00:00Z'),
        heartbeat_at: new Date('2026-03-12T02:00:00Z'),
        finished_at: null,
        report: null,
        error: null,
      })
      .execute();
    const a = scheduler('a', clock);
    const before = runs.length;
    expect(await a.tick()).toBe('taken'); // it may still be alive: its beat is 5 minutes old
    clock.advance(6 * 60_000);
    expect(await a.tick()).toBe('ran');
    expect(runs.length).toBe(before + 1);
    expect(await day('2026-03-12')).toMatchObject({ status: 'done', runner: 'a', attempts: 2 });

    clock.advance(24 * 3600_000); // 2026-03-13 02:11
    fail = true;
    expect(await a.tick()).toBe('failed');
    expect(await day('2026-03-13')).toMatchObject({ status: 'failed', error: 'database unreachable' });
    fail = false;
    expect(await scheduler('b', clock).tick()).toBe('ran');
    expect(await day('2026-03-13')).toMatchObject({ status: 'done', runner: 'b', attempts: 2 });
    expect(runs.length).toBe(before + 2);
  });

  it('start() looks at once and stop() waits for the run in progress', async () => {
    const clock = new FixedClock(new Date('2026-03-14T09:00:00Z'));
    const s = scheduler('d', clock);
    const before = runs.length;
    s.start();
    await s.stop();
    expect(runs.length).toBe(before + 1);
    expect(await day('2026-03-14')).toMatchObject({ status: 'done', runner: 'd' });
  });
});
