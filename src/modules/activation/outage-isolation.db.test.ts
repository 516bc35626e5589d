import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from '../../../test/app.js';
import { SYSTEM } from '../../platform/events.js';
import { createActivation, holdWhileFull, type ActivationModule } from './index.js';
import { SwitchSimulator } from './switch-sim/simulator.js';

// One element down must not stop the others: the orders waiting for it to come back do not fill
// the automaton, and no round claims more of them while its circuit is open. Before, a dozen
// orders for an unreachable switch took every slot of this automaton (maxInFlight 4) and the
// orders of a reachable one waited for the outage to end.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('an element down does not hold up the others', () => {
  let t: TestApp;
  let down: SwitchSimulator;
  let up: SwitchSimulator;
  let activation: ActivationModule;

  beforeAll(async () => {
    t = await createTestApp();
    down = new SwitchSimulator({ name: 'SWDOWN' });
    up = new SwitchSimulator({ name: 'SWUP' });
    const [downPort, upPort] = await Promise.all([down.start(), up.start()]);
    await down.stop(); // its port known, nothing listening: the exchange is down
    activation = createActivation(t.tdb.db, {
      secretKey: TEST_SECRET_KEY,
      keys: () => Promise.reject(new Error('no card in these tests')),
      automaton: { maxInFlight: 4, batch: 2, idleMs: 20 },
      // Twice as many failures as orders in flight before the circuit opens, each retried after
      // 300 ms: the first orders stay in flight (between attempts) for that long, so the automaton
      // is full for a window a busy CI machine cannot miss, not for the instant of a refused connect.
      manager: { failureThreshold: 8, retryBaseMs: 300, retryMaxMs: 600, probeMs: 100 },
    });
    for (const [code, port] of [
      ['SWDOWN', downPort],
      ['SWUP', upPort],
    ] as const)
      await activation.service.upsertElement(
        {
          code,
          kind: 'mml_switch',
          name: code,
          host: '127.0.0.1',
          port,
          username: 'gpto',
          password: 'gpto',
          isDefault: code === 'SWUP',
        },
        SYSTEM,
      );
    await activation.service.loadElements();
  });
  afterAll(async () => {
    await activation?.stop();
    await t?.app.activation.stop();
    await up?.stop();
    await down?.stop();
    await t?.close();
  });

  const order = (element: string, dn: string) =>
    activation.service.order(
      {
        operation: 'fixed.activate',
        element,
        lineId: dn,
        params: { dn, en: `EN-${dn.slice(-4)}`, services: ['CLIP'] },
      },
      SYSTEM,
    );
  const statuses = async (ids: number[]) =>
    Promise.all(ids.map(async (id) => (await activation.service.get(id)).status));
  const until = async (what: string, check: () => Promise<boolean>, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(20);
    }
  };

  it('orders for a reachable switch go on while another is down; the waiting ones complete when it is back', async () => {
    // the workflow loops of this process, as `gpto start` wires them: held while the automaton is
    // full, nudged when it has room (a loop's Wake; counted here)
    let nudges = 0;
    const hold = holdWhileFull(activation.automaton, [
      { wait: () => Promise.resolve(), nudge: () => nudges++, close: () => Promise.resolve() },
    ]);
    let sawFull = false;
    const watch = setInterval(() => {
      if (hold().length > 0) sawFull = true;
    }, 1);
    activation.automaton.start();
    // a dozen orders for the switch that is down, three times what this automaton runs at once
    const waiting: number[] = [];
    for (let i = 0; i < 12; i++) waiting.push((await order('SWDOWN', `33815000${10 + i}`)).id);
    await until(
      'the circuit to open',
      async () => activation.manager.health().find((h) => h.code === 'SWDOWN')?.circuit === 'open',
    );
    await until('the orders taken to wait for the switch', async () => {
      const h = activation.manager.health().find((x) => x.code === 'SWDOWN')!;
      return h.waiting > 0 && h.inFlight === 0;
    });
    clearInterval(watch);
    // the orders taken filled the automaton while they were tried; once they wait for the switch
    // the loops hold its steps no more and were told so, though no order has ended
    expect(sawFull).toBe(true);
    expect(hold()).toEqual([]);
    expect(nudges).toBeGreaterThan(0);
    await sleep(300); // rounds that would claim more of them
    // then orders for the switch that answers
    const going: number[] = [];
    for (let i = 0; i < 6; i++) going.push((await order('SWUP', `33816000${10 + i}`)).id);
    await until('the reachable switch to carry out its orders', async () =>
      (await statuses(going)).every((s) => s === 'done'),
    );
    expect(up.lines.size).toBe(6);
    // nothing of the outage is lost: the orders wait, running (taken before the circuit opened) or
    // pending (left for when it is back); none refused
    const during = await statuses(waiting);
    expect(during.every((s) => s === 'running' || s === 'pending')).toBe(true);
    // only the orders taken before the circuit opened are held, not the whole backlog
    const held = activation.manager.health().find((h) => h.code === 'SWDOWN')!.waiting;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(12);
    expect(during.filter((s) => s === 'pending').length).toBeGreaterThan(0);
    await down.start();
    await until('the orders to complete once the switch is back', async () =>
      (await statuses(waiting)).every((s) => s === 'done'),
    );
    expect(down.lines.size).toBe(12);
    await activation.automaton.stop();
  });
});
