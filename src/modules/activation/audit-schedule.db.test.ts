import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { FixedClock } from '../../platform/clock.js';
import { parseDailyAt } from '../../platform/daily.js';
import { SYSTEM } from '../../platform/events.js';
import { AuditScheduler } from './audit-schedule.js';
import type { AuditView } from './audit.js';
import { SwitchSimulator } from './switch-sim/simulator.js';

describe('the nightly network audit', () => {
  let t: TestApp;
  const sim = new SwitchSimulator({ name: 'NIGHT' });
  beforeAll(async () => {
    t = await createTestApp();
    const port = await sim.start();
    const s = t.app.activation.service;
    const sw = { kind: 'mml_switch' as const, host: '127.0.0.1', port, username: 'gpto', password: 'gpto' };
    await s.upsertElement({ code: 'NSW1', name: 'Night 1', isDefault: true, ...sw }, SYSTEM);
    await s.upsertElement({ code: 'NSW2', name: 'Night 2 (off)', enabled: false, ...sw }, SYSTEM);
  });
  afterAll(async () => {
    await t?.app.activation.stop();
    await sim.stop();
    await t?.close();
  });

  const at = parseDailyAt('03:30', 'off') as number;
  // tomorrow 03:29 in Dakar (UTC+0): the nights below are after every audit row's real start time
  const tomorrow = new Date();
  tomorrow.setUTCDate(tomorrow.getUTCDate() + 1);
  tomorrow.setUTCHours(3, 29, 0, 0);
  const day = (days: number, hh: number, mm: number) =>
    new Date(tomorrow.getTime() + days * 24 * 3600_000 + ((hh - 3) * 60 + (mm - 29)) * 60_000);
  const waitDone = async (id: number) => {
    for (let i = 0; i < 400; i++) {
      const a = await t.app.activation.audit.get(id);
      if (a.status !== 'running') return a;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`audit ${id} still running`);
  };

  it('audits every enabled element once a day at the time set, whatever the number of processes', async () => {
    // Dakar is UTC+0: 03:29 there is not yet the time
    const clock = new FixedClock(day(0, 3, 29));
    const one = new AuditScheduler(t.app.activation.audit, { at, timeZone: 'Africa/Dakar', clock });
    const other = new AuditScheduler(t.app.activation.audit, { at, timeZone: 'Africa/Dakar', clock });
    expect(await one.tick()).toBe('not_yet');
    clock.advance(60_000);
    // two processes tick at the same moment: one of them starts the audit
    const both = (await Promise.all([one.tick(), other.tick()])) as AuditView[][];
    const started = both.flat();
    expect(started.map((a) => a.element)).toEqual(['NSW1']); // NSW2 is disabled
    expect(started[0]).toMatchObject({ repair: false, startedBy: 'nightly-audit' });
    expect((await waitDone(started[0]!.id)).status).toBe('done');
    // the same night: neither this process nor another one audits it again
    expect(await one.tick()).toEqual([]);
    expect(await other.tick()).toEqual([]);
    // the next night, one of them does
    clock.advance(24 * 3600_000);
    const next = (await other.tick()) as AuditView[];
    expect(next.map((a) => a.element)).toEqual(['NSW1']);
    await waitDone(next[0]!.id);
    expect(await one.tick()).toEqual([]);
    // the card shows the newest
    const token = await t.login('switching');
    const elements = (await t.call('GET', '/api/v1/activation/elements', token)).json() as {
      code: string;
      lastAudit: { id: number; status: string; differences: number } | null;
    }[];
    expect(elements.find((e) => e.code === 'NSW1')!.lastAudit).toMatchObject({
      id: next[0]!.id,
      status: 'done',
      differences: 0,
    });
    expect(elements.find((e) => e.code === 'NSW2')!.lastAudit).toBeNull();
  });

  it('leaves an element being audited by hand for a later tick, then audits it', async () => {
    const clock = new FixedClock(day(3, 5, 0));
    const night = new AuditScheduler(t.app.activation.audit, { at, timeZone: 'Africa/Dakar', clock });
    // an audit started by hand elsewhere, still running
    const manual = await t.tdb.db
      .insertInto('act_audit')
      .values({ element_code: 'NSW1', started_by: 'switching' })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(await night.tick()).toEqual([]);
    await t.tdb.db
      .updateTable('act_audit')
      .set({ status: 'done', finished_at: new Date() })
      .where('id', '=', manual.id)
      .execute();
    const started = (await night.tick()) as AuditView[];
    expect(started.map((a) => a.element)).toEqual(['NSW1']);
    await waitDone(started[0]!.id);
  });

  it('skips an element audited in the last 12 hours (an alignment at start, an audit by hand)', async () => {
    const clock = new FixedClock(day(5, 4, 0));
    const night = new AuditScheduler(t.app.activation.audit, { at, timeZone: 'Africa/Dakar', clock });
    const recent = await t.tdb.db
      .insertInto('act_audit')
      .values({
        element_code: 'NSW1',
        started_by: 'switching',
        status: 'done',
        started_at: new Date(clock.now().getTime() - 3600_000),
        finished_at: new Date(clock.now().getTime() - 3500_000),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(await night.tick()).toEqual([]);
    // thirteen hours ago is not recent: tonight's audit runs
    await t.tdb.db
      .updateTable('act_audit')
      .set({ started_at: new Date(clock.now().getTime() - 13 * 3600_000) })
      .where('id', '=', recent.id)
      .execute();
    const started = (await night.tick()) as AuditView[];
    expect(started.map((a) => a.element)).toEqual(['NSW1']);
    await waitDone(started[0]!.id);
  });

  it('ends at the automaton’s start an audit left running by a process that stopped', async () => {
    const rows = await t.tdb.db
      .insertInto('act_audit')
      .values([
        { element_code: 'NSW1', started_by: 'switching', heartbeat_at: new Date(Date.now() - 10 * 60_000) },
        // beating: another process's, left alone
        { element_code: 'NSW2', started_by: 'switching' },
      ])
      .returning('id')
      .execute();
    await t.app.activation.start();
    await t.app.activation.stop();
    const [stale, live] = await Promise.all(rows.map((r) => t.app.activation.audit.get(r.id)));
    expect(stale).toMatchObject({ status: 'failed', error: 'interrupted: the process running it stopped' });
    expect(live).toMatchObject({ status: 'running' });
  });
});
