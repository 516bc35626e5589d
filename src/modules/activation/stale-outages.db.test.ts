import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from '../../../test/app.js';
import { SYSTEM } from '../../platform/events.js';
import { createActivation } from './index.js';
import { SwitchSimulator } from './switch-sim/simulator.js';

/** The pid of a process of this host that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

/** A local port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('outages left open by an automaton that stopped while the element was down', () => {
  let t: TestApp;
  const sim = new SwitchSimulator({ name: 'SWS', user: 'op', password: 'pw' });
  let port = 0;
  beforeAll(async () => {
    [t, port] = await Promise.all([createTestApp(), sim.start()]);
  });
  afterAll(async () => {
    await sim.stop();
    await t.close();
  });

  const element = async (code: string, p: number) =>
    t.app.activation.service.upsertElement(
      {
        code,
        kind: 'mml_switch',
        name: code,
        host: '127.0.0.1',
        port: p,
        username: 'op',
        password: 'pw',
        timeoutMs: 2000,
      } as never,
      SYSTEM,
    );
  const opened = async (code: string, seenBy: string) =>
    t.tdb.db
      .insertInto('event')
      .values({
        entity_type: 'network_element',
        entity_id: code,
        kind: 'activation.element_unreachable',
        actor: 'activation_automaton',
        payload: JSON.stringify({ error: 'connect ECONNREFUSED', seenBy }),
      })
      .execute();

  it('are ended at the next start on their host: found back, or carried on by the new process', async () => {
    const host = hostname();
    const gone = `${host}:${await deadPid()}`;
    const down = await closedPort();
    await element('SWS_BACK', port); // a stopped process's outage; the element answers now
    await element('SWS_LIVE', port); // a running process's outage (this test's parent): its own to end
    await element('SWS_AWAY', port); // another host's: not checkable from here
    await element('SWS_DOWN', down); // a stopped process's outage; the element still down
    await opened('SWS_BACK', gone);
    await opened('SWS_LIVE', `${host}:${process.ppid}`);
    await opened('SWS_AWAY', 'elsewhere:4242');
    await opened('SWS_DOWN', gone);

    const a = createActivation(t.tdb.db, {
      keys: () => Promise.reject(new Error('no keys')),
      secretKey: TEST_SECRET_KEY,
    });
    const me = `${host}:${process.pid}`;
    try {
      await a.start();
      const last = async (code: string) => (await a.service.outages(code))[0];

      expect(await last('SWS_BACK')).toMatchObject({
        seenBy: gone,
        until: expect.any(String),
        durationMs: expect.any(Number),
        closedBy: me,
        takenOver: false,
      });
      expect(await last('SWS_LIVE')).toMatchObject({ until: null, closedBy: null });
      expect(await last('SWS_AWAY')).toMatchObject({ until: null, closedBy: null });

      // still down: the stopped process's outage ends where this one's begins, with the probe's error
      // this process's own outage is journaled as its circuit opens, asynchronously (as every circuit event)
      await expect.poll(async () => (await a.service.outages('SWS_DOWN')).length).toBe(2);
      const [mine, theirs] = await a.service.outages('SWS_DOWN');
      expect(theirs).toMatchObject({
        seenBy: gone,
        until: expect.any(String),
        closedBy: me,
        takenOver: true,
      });
      expect(mine).toMatchObject({ seenBy: me, until: null, error: expect.stringContaining('ECONNREFUSED') });
      expect(a.manager.health().find((h) => h.code === 'SWS_DOWN')).toMatchObject({ circuit: 'open' });
      expect(a.manager.health().find((h) => h.code === 'SWS_BACK')).toMatchObject({ circuit: 'closed' });

      // the list of elements says the same: nothing left "down since" for an element in service
      const els = await a.service.elements();
      expect(els.find((e) => e.code === 'SWS_BACK')?.lastOutage).toMatchObject({ closedBy: me });
    } finally {
      await a.stop();
    }

    // it stopped with SWS_DOWN still down: its successor on the same host and pid (a restarted
    // container) ends that outage in turn and carries it on
    const b = createActivation(t.tdb.db, {
      keys: () => Promise.reject(new Error('no keys')),
      secretKey: TEST_SECRET_KEY,
    });
    try {
      await b.start();
      await expect.poll(async () => (await b.service.outages('SWS_DOWN')).length).toBe(3);
      const [now, a1, first] = await b.service.outages('SWS_DOWN');
      expect(now).toMatchObject({ seenBy: me, until: null });
      expect(a1).toMatchObject({ seenBy: me, until: expect.any(String), closedBy: me, takenOver: true });
      expect(first).toMatchObject({ seenBy: gone, takenOver: true });
      // ended outages are left alone
      expect(await b.service.outages('SWS_BACK')).toHaveLength(1);
    } finally {
      await b.stop();
    }
  });

  it('two processes of the host starting together end it once', async () => {
    const gone = `${hostname()}:${await deadPid()}`;
    await element('SWS_TWICE', port);
    await opened('SWS_TWICE', gone);
    const make = () =>
      createActivation(t.tdb.db, {
        keys: () => Promise.reject(new Error('no keys')),
        secretKey: TEST_SECRET_KEY,
      });
    const [a, b] = [make(), make()];
    try {
      await Promise.all([a.start(), b.start()]);
      const outages = await a.service.outages('SWS_TWICE');
      expect(outages).toHaveLength(1);
      expect(outages[0]).toMatchObject({ seenBy: gone, until: expect.any(String), takenOver: false });
      const backs = await t.tdb.db
        .selectFrom('event')
        .select('id')
        .where('entity_id', '=', 'SWS_TWICE')
        .where('kind', '=', 'activation.element_back')
        .execute();
      expect(backs).toHaveLength(1);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
