import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from '../../../test/app.js';
import { FixedClock } from '../../platform/clock.js';
import { SYSTEM } from '../../platform/events.js';
import type { ScenarioDef } from '../workflow/index.js';
import { directSession } from './drivers/direct-session.js';
import { HlrLink, hlrOps } from './drivers/hlr.driver.js';
import { SwitchLink } from './drivers/switch.driver.js';
import { ShutdownError } from './element-manager.js';
import { activationSteps, createActivation, type ActivationModule } from './index.js';
import { SwitchSimulator } from './switch-sim/simulator.js';
import { cardsCsv, makeCards } from './testing/fixtures.js';
import { osmoHlrSuiteName, startOsmoHlr, type OsmoHlr } from './testing/osmo-hlr.js';

const suite = osmoHlrSuiteName(
  'activation automaton with the workflow, a real osmo-hlr and the switch simulator',
);

const act = activationSteps('activate', 'mobile.activate', ['done'], { label: 'Mobile line activation' });
const scenario: ScenarioDef = {
  code: 'act_test_mobile',
  name: 'Test: mobile activation',
  start: ['activate'],
  nodes: { ...act.nodes, done: { kind: 'end', label: 'Done', result: 'completed' } },
  transitions: act.transitions,
};

const waitFor = async (what: string, check: () => Promise<boolean>, ms = 15_000) => {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe.skipIf(suite.skip)(suite.name, () => {
  let t: TestApp;
  let hlr: OsmoHlr;
  let sim: SwitchSimulator;
  let raw: HlrLink;
  const cards = makeCards(12, 7);
  const card = (i: number) => cards[i]!;

  beforeAll(async () => {
    [t, hlr] = await Promise.all([createTestApp(), startOsmoHlr()]);
    sim = new SwitchSimulator({ name: 'SW1' });
    const port = await sim.start();
    raw = new HlrLink({ host: hlr.host });
    const s = t.app.activation.service;
    await s.upsertElement(
      {
        code: 'HLR1',
        kind: 'osmo_hlr',
        name: 'HLR',
        host: hlr.host,
        port: hlr.port,
        poolSize: 2,
        isDefault: true,
      },
      SYSTEM,
    );
    await s.upsertElement(
      {
        code: 'SW1',
        kind: 'mml_switch',
        name: 'Switch',
        host: '127.0.0.1',
        port,
        username: 'gpto',
        password: 'gpto',
        isDefault: true,
        ratePerSecond: 500,
      },
      SYSTEM,
    );
    await t.app.inventory.sims.importBatch(
      { batch: 'ACTTEST', manufacturer: 'Test', csv: cardsCsv(cards) },
      SYSTEM,
    );
    await t.app.workflow.scenarios.createVersion(scenario, SYSTEM);
  });
  afterAll(async () => {
    raw?.close();
    await t?.app.activation.stop();
    await sim?.stop();
    await hlr?.dispose();
    await t?.close();
  });

  const startRequest = (ref: string, number: string, simIccid: string) =>
    t.tdb.db.transaction().execute((trx) =>
      t.app.workflow.engine.start(trx, {
        scenarioCode: 'act_test_mobile',
        subjectType: 'test_request',
        subjectId: ref,
        customerId: null,
        lineId: number,
        data: { directoryNumber: number, simIccid },
        by: SYSTEM,
      }),
    );
  const settle = async () => {
    await t.app.workflow.drain();
    await t.app.activation.automaton.drain();
    await t.app.workflow.drain();
  };
  const instance = (id: number) => t.app.workflow.instances.get(id);

  it('activates a mobile line through the workflow: keys from the inventory, journal masked, request completed', async () => {
    const id = await startRequest('R1', '221770001001', card(0).iccid);
    await settle();
    const inst = await instance(id);
    expect(inst.status).toBe('completed');
    const st = await hlrOps.status(directSession(raw), { imsi: card(0).imsi });
    expect(st).toMatchObject({ exists: true, msisdn: '221770001001', access: { cs: true, ps: true } });
    const journal = await t.app.activation.service.journal({ instanceId: id }, { limit: 50 });
    expect(journal.items.map((c) => c.command).reverse()).toEqual([
      `SET subscriber.create ${card(0).imsi}`,
      `SET subscriber.by-imsi-${card(0).imsi}.aud3g milenage,<K>,opc,<OPc>`,
      `SET subscriber.by-imsi-${card(0).imsi}.msisdn 221770001001`,
    ]);
    expect(JSON.stringify(journal.items)).not.toContain(card(0).ki);
    // the automaton read the card's keys through the inventory, which logged the read
    const reads = await t.tdb.db
      .selectFrom('event')
      .select('kind')
      .where('entity_id', '=', card(0).iccid)
      .where('kind', '=', 'sim.keys_read')
      .execute();
    expect(reads).toHaveLength(1);
    const done = await t.tdb.db
      .selectFrom('event')
      .select(['kind', 'line_id'])
      .where('kind', '=', 'activation.order_done')
      .where('line_id', '=', '221770001001')
      .execute();
    expect(done).toHaveLength(1);
  });

  it('a refusal falls out at once to the switching basket with the element message; a retry after the fix succeeds', async () => {
    // the number is already held in the HLR by another subscriber
    await hlrOps.activate(directSession(raw), {
      imsi: '001019999000001',
      msisdn: '221770001002',
      keys: { ki: card(1).ki, opc: null },
    });
    const id = await startRequest('R2', '221770001002', card(1).iccid);
    await settle();
    const inst = await instance(id);
    expect(inst.status).toBe('running');
    // the step fell out at once (a refusal is not retried) to switching, with the element's message
    const fallout = inst.tasks.find((x) => x.node === 'activate');
    expect(fallout).toMatchObject({ actor: 'switching', status: 'ready', kind: 'human', fellOut: true });
    expect(fallout!.lastError).toMatch(/HLR1 refused mobile\.activate: .*(error|failed|verification)/i);
    const info = (
      (inst.data as { activation: unknown }).activation as Record<
        string,
        { status: string; error: string; orderId: number }
      >
    ).activate!;
    expect(info.status).toBe('refused');
    const order = await t.app.activation.service.get(info.orderId);
    expect(order.status).toBe('refused');
    expect(order.commands.some((c) => c.outcome === 'refused')).toBe(true);

    // switching frees the number in the HLR and asks for a new order: the step runs again and ends
    await hlrOps.deactivate(directSession(raw), { imsi: '001019999000001' });
    const sw = await t.login('switching');
    expect((await t.call('POST', `/api/v1/tasks/${fallout!.id}/claim`, sw)).statusCode).toBe(200);
    const retry = await t.call('POST', `/api/v1/tasks/${fallout!.id}/complete`, sw, { outcome: 'retry' });
    expect(retry.statusCode, retry.body).toBe(200);
    await settle();
    const after = await instance(id);
    expect(after.status).toBe('completed');
    const again = (
      (after.data as { activation: unknown }).activation as Record<
        string,
        { status: string; orderId: number }
      >
    ).activate!;
    expect(again).toMatchObject({ status: 'done' });
    expect(again.orderId).not.toBe(info.orderId);
    expect((await hlrOps.status(directSession(raw), { imsi: card(1).imsi })).msisdn).toBe('221770001002');
    // a refused order can also be replayed from the API; a done one cannot
    await expect(t.app.activation.service.replay(again.orderId, SYSTEM)).rejects.toThrow(
      /only a refused order/,
    );
  });

  it("after the fix, replaying the element's refusals retries the requests' fallen-out steps: the requests complete", async () => {
    const numbers = ['221770001007', '221770001008'];
    // both numbers held in the HLR by other subscribers: both requests' steps are refused
    for (const [i, msisdn] of numbers.entries())
      await hlrOps.activate(directSession(raw), {
        imsi: `00101999900000${7 + i}`,
        msisdn,
        keys: { ki: card(7 + i).ki, opc: null },
      });
    const ids = [
      await startRequest('R7', numbers[0]!, card(7).iccid),
      await startRequest('R8', numbers[1]!, card(8).iccid),
    ];
    await settle();
    for (const id of ids)
      expect((await instance(id)).tasks.find((x) => x.node === 'activate')).toMatchObject({
        actor: 'switching',
        fellOut: true,
      });
    // from the command line (no workflow agent there) they are left to the basket, with why
    const cli = await t.app.activation.service.replayRefused({ element: 'HLR1' }, SYSTEM);
    expect(cli.replayed).toEqual([]);
    const steps = await Promise.all(
      ids.map(async (id) => (await instance(id)).tasks.find((x) => x.node === 'activate')!.id),
    );
    expect(cli.left.map((x) => x.taskId)).toEqual(steps);
    expect(cli.left[0]!.reason).toMatch(/retry it from the switching basket/);
    const orderOf = async (id: number) =>
      ((await instance(id)).data as { activation: Record<string, { orderId: number }> }).activation.activate!
        .orderId;
    const first = await orderOf(ids[0]!);
    // a plain replay would leave the request where it is: refused without the workflow's retry
    await expect(t.app.activation.service.replay(first, SYSTEM)).rejects.toMatchObject({
      code: 'activation.request_step',
    });
    const sw = await t.login('switching');
    // the numbers are freed in the HLR; the first order is replayed from its drawer (the step is
    // retried), then the HLR's other refusals at once
    for (const i of [0, 1]) await hlrOps.deactivate(directSession(raw), { imsi: `00101999900000${7 + i}` });
    const one = await t.call('POST', `/api/v1/activation/orders/${first}/replay`, sw, {});
    expect(one.statusCode, one.body).toBe(202);
    expect(one.json()).toMatchObject({ id: first, retriedStep: steps[0] });
    const res = await t.call('POST', '/api/v1/activation/orders/replay', sw, { element: 'HLR1' });
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json() as { retried: { taskId: number }[]; left: { reason: string }[] };
    // the first step is retried already (automatic again, no longer in the basket): only the second
    expect(report.retried.map((x) => x.taskId)).toEqual([steps[1]]);
    expect(report.left).toEqual([]);
    await settle();
    for (const [i, id] of ids.entries()) {
      expect((await instance(id)).status).toBe('completed');
      expect((await hlrOps.status(directSession(raw), { imsi: card(7 + i).imsi })).msisdn).toBe(numbers[i]);
    }
    // their refused orders are replayed now (by the steps' new orders): nothing left to replay
    const again = await t.call('POST', '/api/v1/activation/orders/replay', sw, { element: 'HLR1' });
    expect(again.json()).toMatchObject({ replayed: [], retried: [], left: [] });
  });

  it('with no element to carry it out, the step goes to switching at once with the reason', async () => {
    const id = await t.tdb.db.transaction().execute((trx) =>
      t.app.workflow.engine.start(trx, {
        scenarioCode: 'act_test_mobile',
        subjectType: 'test_request',
        subjectId: 'R-NOELEMENT',
        customerId: null,
        lineId: '221770001099',
        data: { directoryNumber: '221770001099', simIccid: card(11).iccid, networkElement: 'HLR9' },
        by: SYSTEM,
      }),
    );
    await settle();
    const task = (await instance(id)).tasks.find((x) => x.node === 'activate');
    expect(task).toMatchObject({ kind: 'human', actor: 'switching', status: 'ready', attempts: 1 });
    expect(task!.lastError).toMatch(/HLR9.*do it by hand/);
  });

  it('element down: orders wait behind the open circuit, nothing is lost, they complete when it is back', async () => {
    const a = t.app.activation;
    await a.service.loadElements();
    a.automaton.start();
    try {
      await hlr.stop();
      const orders = await Promise.all(
        [2, 3, 4].map((i) =>
          a.service.order(
            {
              operation: 'mobile.activate',
              lineId: `22177000100${i + 1}`,
              params: { iccid: card(i).iccid, msisdn: `22177000100${i + 1}` },
            },
            SYSTEM,
          ),
        ),
      );
      await waitFor(
        'the circuit to open',
        async () => a.manager.health().find((h) => h.code === 'HLR1')?.circuit === 'open',
      );
      const during = await Promise.all(orders.map((o) => a.service.get(o.id)));
      expect(during.every((o) => o.status === 'running' || o.status === 'pending')).toBe(true);
      const health = (await a.service.elements()).find((e) => e.code === 'HLR1')!;
      expect(health.health?.circuit).toBe('open');
      await waitFor('the outage to be journaled', async () => (await a.service.outages('HLR1')).length > 0);
      expect((await a.service.outages('HLR1'))[0]).toMatchObject({ until: null, durationMs: null });
      expect(health.health?.lastError).toMatch(/connect|lost/);
      await hlr.start();
      await waitFor('the orders to complete', async () => {
        const now = await Promise.all(orders.map((o) => a.service.get(o.id)));
        return now.every((o) => o.status === 'done');
      });
      expect(a.manager.health().find((h) => h.code === 'HLR1')?.circuit).toBe('closed');
      // the outage is in the journal: since when, until when, the error, who saw it
      await waitFor(
        'the outage to be journaled',
        async () => (await a.service.outages('HLR1'))[0]?.until != null,
      );
      const [outage] = await a.service.outages('HLR1');
      expect(outage).toMatchObject({
        error: expect.stringMatching(/connect|lost/),
        seenBy: expect.stringMatching(/:\d+$/),
      });
      expect(outage!.durationMs).toBeGreaterThan(0);
      expect(new Date(outage!.until!).getTime()).toBeGreaterThanOrEqual(new Date(outage!.since).getTime());
      const hlr1 = (await a.service.elements()).find((e) => e.code === 'HLR1')!;
      expect(hlr1.lastOutage).toEqual(outage);
      for (const i of [2, 3, 4])
        expect((await hlrOps.status(directSession(raw), { imsi: card(i).imsi })).msisdn).toBe(
          `22177000100${i + 1}`,
        );
      const errors = await t.tdb.db
        .selectFrom('act_command')
        .select('outcome')
        .where(
          'order_id',
          'in',
          orders.map((o) => o.id),
        )
        .where('outcome', '=', 'transport_error')
        .execute();
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await a.automaton.stop();
    }
  });

  it('stopping while the element is down returns at once; its orders stay running, taken over when it is back', async () => {
    const a = t.app.activation;
    await a.service.loadElements();
    a.automaton.start();
    let stopped = false;
    try {
      await hlr.stop();
      const order = await a.service.order(
        {
          operation: 'mobile.activate',
          lineId: '221770001010',
          params: { iccid: card(9).iccid, msisdn: '221770001010' },
        },
        SYSTEM,
      );
      await waitFor(
        'the circuit to open',
        async () => a.manager.health().find((h) => h.code === 'HLR1')?.circuit === 'open',
      );
      // before: stop() waited for the element to come back (a shutdown hung while it was down)
      const t0 = Date.now();
      await a.automaton.stop();
      stopped = true;
      expect(Date.now() - t0).toBeLessThan(5000);
      const left = await a.service.get(order.id);
      expect(left.status).toBe('running');
      expect(left.attempts).toBe(1);
      // back: once the lease lapses, an automaton takes it over and carries it out
      await hlr.start();
      await t.tdb.db
        .updateTable('act_order')
        .set({ lease_until: new Date(Date.now() - 1000) })
        .where('id', '=', order.id)
        .execute();
      await a.automaton.drain();
      expect((await a.service.get(order.id)).status).toBe('done');
    } finally {
      if (!stopped) await a.automaton.stop();
    }
  });

  it('crash mid-command: an order left running by a dead automaton is re-run when its lease lapses, without harm', async () => {
    const c = card(5);
    const o = await t.app.activation.service.order(
      {
        operation: 'mobile.activate',
        lineId: '221770001006',
        params: { iccid: c.iccid, msisdn: '221770001006' },
      },
      SYSTEM,
    );
    // the dead automaton had claimed the order and got as far as creating the subscriber
    await t.tdb.db
      .updateTable('act_order')
      .set({
        status: 'running',
        claimed_by: 'automaton-dead',
        attempts: 1,
        lease_until: new Date(Date.now() - 1000),
      })
      .where('id', '=', o.id)
      .execute();
    await raw.send(`SET subscriber.create ${c.imsi}`);
    await t.app.activation.automaton.drain();
    const after = await t.app.activation.service.get(o.id);
    expect(after).toMatchObject({ status: 'done', attempts: 2, result: { created: false } });
    expect(after.commands.some((x) => x.reply === 'Subscriber already exists.')).toBe(true);
    const st = await hlrOps.status(directSession(raw), { imsi: c.imsi });
    expect(st).toMatchObject({ msisdn: '221770001006', auth: { aud2g: 'COMP128v1', aud3g: null } });
  });

  it('limitation, suspension, restoration and SIM swap through orders', async () => {
    const s = t.app.activation.service;
    const line = '221770001006';
    for (const operation of ['mobile.limit', 'mobile.suspend'] as const)
      await s.order({ operation, lineId: line, params: { iccid: card(5).iccid } }, SYSTEM);
    await t.app.activation.automaton.drain();
    expect((await hlrOps.status(directSession(raw), { imsi: card(5).imsi })).access).toEqual({
      cs: false,
      ps: false,
    });
    const swap = await s.order(
      {
        operation: 'mobile.sim_swap',
        lineId: line,
        params: { oldIccid: card(5).iccid, newIccid: card(6).iccid, msisdn: line },
      },
      SYSTEM,
    );
    await s.order({ operation: 'mobile.restore', lineId: line, params: { iccid: card(6).iccid } }, SYSTEM);
    await t.app.activation.automaton.drain();
    expect((await s.get(swap.id)).status).toBe('done');
    expect(await hlrOps.status(directSession(raw), { imsi: card(6).imsi })).toMatchObject({
      msisdn: line,
      access: { cs: true, ps: true },
    });
    expect((await hlrOps.status(directSession(raw), { imsi: card(5).imsi })).exists).toBe(false);
    const orders = await s.orders({ lineId: line }, { limit: 10 });
    expect(orders.items.map((o) => o.operation)).toEqual([
      'mobile.restore',
      'mobile.sim_swap',
      'mobile.suspend',
      'mobile.limit',
      'mobile.activate',
    ]);
  });

  it("an order whose SIM card the inventory no longer has is refused with the inventory's code, not as an internal error", async () => {
    const s = t.app.activation.service;
    // a request's order is not checked when queued (its card comes from the allocation): here the
    // card is missing all the same when the automaton reads it
    const o = await t.tdb.db
      .transaction()
      .execute((trx) =>
        s.submit(
          trx,
          { operation: 'mobile.suspend', lineId: '221770001098', params: { iccid: '8922100000000099998' } },
          SYSTEM,
        ),
      );
    await t.app.activation.automaton.drain();
    expect(await s.get(o.id)).toMatchObject({
      status: 'refused',
      errorCode: expect.stringMatching(/sim.*not_found/),
      error: expect.stringContaining('8922100000000099998'),
    });
  });

  it('a temporary access change is reverted at its expiry, even by an automaton started after a restart', async () => {
    const s = t.app.activation.service;
    const now = new Date();
    const until = new Date(now.getTime() + 3600_000);
    const o = await s.order(
      {
        operation: 'mobile.temporary_access',
        lineId: '221770001006',
        params: { iccid: card(6).iccid, cs: true, ps: false, until: until.toISOString() },
      },
      SYSTEM,
    );
    await t.app.activation.automaton.drain();
    expect((await s.get(o.id)).status).toBe('done');
    expect((await hlrOps.status(directSession(raw), { imsi: card(6).imsi })).access).toEqual({
      cs: true,
      ps: false,
    });
    // "restart": a new automaton, two hours later
    const clock = new FixedClock(new Date(now.getTime() + 2 * 3600_000));
    const later: ActivationModule = createActivation(t.tdb.db, {
      secretKey: TEST_SECRET_KEY,
      keys: (iccid) => t.app.inventory.sims.authKeys(iccid, SYSTEM),
      clock,
    });
    try {
      await later.service.loadElements();
      await later.automaton.drain();
    } finally {
      await later.stop();
    }
    const revert = await t.tdb.db
      .selectFrom('act_revert')
      .selectAll()
      .where('order_id', '=', o.id)
      .executeTakeFirstOrThrow();
    expect(revert.done_at).not.toBeNull();
    expect((await s.get(revert.revert_order_id!)).operation).toBe('mobile.set_access');
    expect((await hlrOps.status(directSession(raw), { imsi: card(6).imsi })).access).toEqual({
      cs: true,
      ps: true,
    });
  });

  it('temporary changes on one line: each ends on what it found, a change inside a longer one goes back to it', async () => {
    const s = t.app.activation.service;
    const line = '221770001011';
    const imsi = card(10).imsi;
    await s.order(
      { operation: 'mobile.activate', lineId: line, params: { iccid: card(10).iccid, msisdn: line } },
      SYSTEM,
    );
    await t.app.activation.automaton.drain();
    const t0 = Date.now();
    const at = (h: number) => new Date(t0 + h * 3600_000);
    const change = async (cs: boolean, ps: boolean, until: Date) => {
      const o = await s.order(
        {
          operation: 'mobile.temporary_access',
          lineId: line,
          params: { iccid: card(10).iccid, cs, ps, until: until.toISOString() },
        },
        SYSTEM,
      );
      await t.app.activation.automaton.drain();
      return o.id;
    };
    // hour 0: data barred until hour 10; hour 0 too: everything barred until hour 2; then from hour
    // 0 a third change, data barred until hour 20, supersedes the first
    const a = await change(true, false, at(10));
    const b = await change(false, false, at(2));
    const access = async () => (await hlrOps.status(directSession(raw), { imsi })).access;
    expect(await access()).toEqual({ cs: false, ps: false });
    const automatonAt = async (h: number) => {
      const later = createActivation(t.tdb.db, {
        secretKey: TEST_SECRET_KEY,
        keys: (iccid) => t.app.inventory.sims.authKeys(iccid, SYSTEM),
        clock: new FixedClock(at(h)),
      });
      try {
        await later.service.loadElements();
        await later.automaton.drain();
      } finally {
        await later.stop();
      }
    };
    // hour 3: the short change is over, the longer one is still in force: data barred, voice back
    await automatonAt(3);
    expect(await access()).toEqual({ cs: true, ps: false });
    const bRevert = await t.tdb.db
      .selectFrom('act_revert')
      .select('revert_order_id')
      .where('order_id', '=', b)
      .executeTakeFirstOrThrow();
    expect((await s.get(bRevert.revert_order_id!)).params).toMatchObject({
      cs: true,
      ps: false,
      accessFrom: `order ${a}`,
    });
    const c = await change(true, false, at(20));
    // hour 11: the first change is over but the third holds: nothing is sent, data still barred
    await automatonAt(11);
    expect(await access()).toEqual({ cs: true, ps: false });
    const reverts = await t.tdb.db
      .selectFrom('act_revert')
      .select(['order_id', 'revert_order_id', 'done_at'])
      .where('line_id', '=', line)
      .orderBy('id')
      .execute();
    expect(reverts.map((r) => [r.order_id, r.revert_order_id !== null, r.done_at !== null])).toEqual([
      [a, false, true],
      [b, true, true],
      [c, false, false],
    ]);
    const skipped = await t.tdb.db
      .selectFrom('event')
      .select('payload')
      .where('kind', '=', 'activation.revert_skipped')
      .where('line_id', '=', line)
      .executeTakeFirstOrThrow();
    expect(skipped.payload).toMatchObject({ revertOf: a, reason: 'superseded', by: c });
    // hour 21: the last change is over: the line goes back to what the first found, full access
    // (a bare number: no record to ask)
    await automatonAt(21);
    expect(await access()).toEqual({ cs: true, ps: true });
    // two stacked changes both over when the automaton comes back (one batch): full access again,
    // not the state the second one found
    await change(true, false, at(30));
    await change(false, false, at(31));
    expect(await access()).toEqual({ cs: false, ps: false });
    await automatonAt(40);
    expect(await access()).toEqual({ cs: true, ps: true });
  });

  it('fixed line orders on the switch run in order per line; temporary authorisation reverted; status and meter on demand', async () => {
    const s = t.app.activation.service;
    const dn = '338230001';
    const ops = [
      { operation: 'fixed.activate', params: { dn, en: '03-01-001', services: ['CLIP'] } },
      { operation: 'fixed.services', params: { dn, add: ['CW', 'CFU'], remove: ['CLIP'] } },
      { operation: 'fixed.barring', params: { dn, barring: 'INTL' } },
      {
        operation: 'fixed.temporary_access',
        params: { dn, barring: 'NONE', until: new Date(Date.now() - 1000).toISOString() },
      },
      { operation: 'fixed.suspend', params: { dn } },
    ];
    const ids: number[] = [];
    for (const o of ops) ids.push((await s.order({ ...o, lineId: dn }, SYSTEM)).id);
    await t.app.activation.automaton.drain();
    const orders = await Promise.all(ids.map((id) => s.get(id)));
    expect(orders.map((o) => o.status)).toEqual(['done', 'done', 'done', 'done', 'done']);
    // finished in the order they were asked
    const finished = orders.map((o) => o.finishedAt!);
    expect([...finished].sort()).toEqual(finished);
    const line = sim.lines.get(dn)!;
    expect([...line.services].sort()).toEqual(['CFU', 'CW']);
    expect(line.barring).toBe('INTL');
    expect(line.tmpBarring).toBeNull(); // expired on submission: reverted at once
    expect(await s.query('fixed.status', { dn })).toMatchObject({
      status: 'barred',
      barring: 'INTL',
      services: ['CFU', 'CW'],
    });
    await s.order({ operation: 'fixed.restore', lineId: dn, params: { dn } }, SYSTEM);
    await t.app.activation.automaton.drain();
    sim.lines.get(dn)!.meter = 41;
    expect(await s.query('fixed.meter', { dn })).toEqual({ dn, meter: 41 });
    const journal = await s.journal({ lineId: dn }, { limit: 100 });
    expect(journal.items.some((c) => c.command.startsWith('SET-TMPAUTH'))).toBe(true);
    expect(journal.items.some((c) => c.command.startsWith('RMV-TMPAUTH'))).toBe(true);
    const byElement = await s.journal({ element: 'SW1' }, { limit: 2 });
    expect(byElement.items).toHaveLength(2);
    expect(byElement.nextCursor).toBeDefined();
    const count = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM act_command WHERE element_code = 'SW1'`.execute(t.tdb.db);
    expect(count.rows[0]!.n).toBeGreaterThan(5);
  });
});

describe.skipIf(suite.skip)('fixed lines: one switch element per exchange; fixed.move is crash-safe', () => {
  let t: TestApp;
  let sim: SwitchSimulator;
  let simB: SwitchSimulator;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp();
    sim = new SwitchSimulator({ name: 'SWM' });
    port = await sim.start();
    simB = new SwitchSimulator({ name: 'SWN' });
    const portB = await simB.start();
    // two exchanges in the inventory, each with a switch and its ports
    const imp = (type: string, rows: string[]) => t.app.inventory.csv.import(type, rows.join('\n'), SYSTEM);
    await imp('sites', [
      'code,name,locality,district',
      'XA,Exchange A,Dakar,Plateau',
      'XB,Exchange B,Dakar,Yoff',
    ]);
    await imp('switches', ['code,site,name,model', 'XA-SW,XA,Switch A,E10B', 'XB-SW,XB,Switch B,5ESS']);
    await imp('mdfs', ['code,site,name', 'XA-RG,XA,MDF A', 'XB-RG,XB,MDF B']);
    await imp('ports', ['switch,mdf,shelf,card,ports', 'XA-SW,XA-RG,1,1,4', 'XB-SW,XB-RG,1,1,4']);
    await t.app.activation.service.upsertElement(
      {
        code: 'SWN',
        kind: 'mml_switch',
        name: 'Switch B',
        host: '127.0.0.1',
        port: portB,
        username: 'gpto',
        password: 'gpto',
        exchanges: ['XB-SW'],
      },
      SYSTEM,
    );
    await t.app.activation.service.upsertElement(
      {
        code: 'SWM',
        kind: 'mml_switch',
        name: 'Switch',
        host: '127.0.0.1',
        port,
        username: 'gpto',
        password: 'gpto',
        isDefault: true,
        exchanges: ['XA-SW'],
      },
      SYSTEM,
    );
  });
  afterAll(async () => {
    await t?.app.activation.stop();
    await sim?.stop();
    await simB?.stop();
    await t?.close();
  });

  it("a fixed line's orders go to the switch element of its exchange; a relocation to another exchange goes to switching", async () => {
    const s = t.app.activation.service;
    const onB = await s.order(
      {
        operation: 'fixed.activate',
        lineId: '338250001',
        params: { dn: '338250001', en: 'XB-SW-01-01-001' },
      },
      SYSTEM,
    );
    const onA = await s.order(
      {
        operation: 'fixed.activate',
        lineId: '338250002',
        params: { dn: '338250002', en: 'XA-SW-01-01-001' },
      },
      SYSTEM,
    );
    // an unknown port (no inventory entry) and no history: the default element
    const other = await s.order(
      { operation: 'fixed.activate', lineId: '338250003', params: { dn: '338250003', en: 'ZZ-9' } },
      SYSTEM,
    );
    expect([onB.element, onA.element, other.element]).toEqual(['SWN', 'SWM', 'SWM']);
    await t.app.activation.automaton.drain();
    expect(simB.lines.get('338250001')?.en).toBe('XB-SW-01-01-001');
    expect(sim.lines.has('338250001')).toBe(false);
    expect(sim.lines.get('338250002')?.en).toBe('XA-SW-01-01-001');
    // later orders on the line (no port named) follow it to its switch
    const suspend = await s.order(
      { operation: 'fixed.suspend', lineId: '338250001', params: { dn: '338250001' } },
      SYSTEM,
    );
    expect(suspend.element).toBe('SWN');
    // a relocation within the exchange stays on its switch; onto another exchange it is refused
    const move = await s.order(
      { operation: 'fixed.move', lineId: '338250002', params: { dn: '338250002', en: 'XA-SW-01-01-002' } },
      SYSTEM,
    );
    expect(move.element).toBe('SWM');
    await expect(
      s.order(
        { operation: 'fixed.move', lineId: '338250001', params: { dn: '338250001', en: 'XA-SW-01-01-003' } },
        SYSTEM,
      ),
    ).rejects.toMatchObject({ code: 'activation.exchange_change' });
    await t.app.activation.automaton.drain();
    expect(simB.status(simB.lines.get('338250001')!)).toBe('BARRED');
    expect(sim.lines.get('338250002')?.en).toBe('XA-SW-01-01-002');
  });

  it('an automaton that dies between the removal and the re-creation: the re-run re-creates the line as it was', async () => {
    const s = t.app.activation.service;
    const dn = '338240001';
    await s.order(
      {
        operation: 'fixed.activate',
        lineId: dn,
        params: { dn, en: '04-01-001', category: 'BUS', services: ['CLIP', 'CW'], barring: 'INTL' },
      },
      SYSTEM,
    );
    await t.app.activation.automaton.drain();
    sim.lines.get(dn)!.meter = 77;

    // an automaton whose process dies right after the switch removed the line from its old port
    const dying: ActivationModule = createActivation(t.tdb.db, {
      secretKey: TEST_SECRET_KEY,
      keys: (iccid) => t.app.inventory.sims.authKeys(iccid, SYSTEM),
      manager: {
        linkFactory: (cfg) => {
          const link = new SwitchLink({ host: cfg.host, port: cfg.port, user: 'gpto', password: 'gpto' });
          return {
            send: async (command: string) => {
              const reply = await link.send(command);
              if (command.startsWith('DLT-LINE')) throw new ShutdownError();
              return reply;
            },
            probe: () => link.probe(),
            close: () => link.close(),
          };
        },
      },
    });
    const move = await s.order(
      { operation: 'fixed.move', lineId: dn, params: { dn, en: '04-02-009' } },
      SYSTEM,
    );
    try {
      await dying.service.loadElements();
      await dying.automaton.drain();
    } finally {
      await dying.stop();
    }
    // the line is gone from the switch, the order is still running, what it was is saved
    expect(sim.lines.has(dn)).toBe(false);
    const left = await t.tdb.db
      .selectFrom('act_order')
      .select(['status', 'checkpoint'])
      .where('id', '=', move.id)
      .executeTakeFirstOrThrow();
    expect(left.status).toBe('running');
    expect(left.checkpoint).toMatchObject({ from: '04-01-001', services: ['CLIP', 'CW'], barring: 'INTL' });

    // its lease lapses; another automaton re-runs the order and converges
    await t.tdb.db
      .updateTable('act_order')
      .set({ lease_until: new Date(Date.now() - 1000) })
      .where('id', '=', move.id)
      .execute();
    await t.app.activation.automaton.drain();
    const after = await s.get(move.id);
    expect(after).toMatchObject({
      status: 'done',
      attempts: 2,
      result: { moved: true, from: '04-01-001', en: '04-02-009', meter: 77 },
    });
    const line = sim.lines.get(dn)!;
    expect(line.en).toBe('04-02-009');
    expect(line.category).toBe('BUS');
    expect([...line.services].sort()).toEqual(['CLIP', 'CW']);
    expect(line.barring).toBe('INTL');
    // the re-run's commands are journaled: it found the line absent and created it
    const commands = after.commands.map((c) => `${c.attempt} ${c.command.split(' ')[0]}`).reverse();
    expect(commands).toEqual(['1 DSP-LINE', '1 DLT-LINE', '2 DSP-LINE', '2 CRT-LINE', '2 DSP-LINE']);

    // a move of a line that is on no port and has no saved state is still refused
    const unknown = await s.order(
      { operation: 'fixed.move', lineId: '338240099', params: { dn: '338240099', en: '04-02-010' } },
      SYSTEM,
    );
    await t.app.activation.automaton.drain();
    expect(await s.get(unknown.id)).toMatchObject({ status: 'refused', errorCode: 'DNUNK' });
  });

  it("on-demand queries ask the line's own switch, not the default one; its outage says so", async () => {
    // before, every line was asked on the default switch (SWM): a line of exchange B showed "not on
    // switch", its meter was refused, and an outage of B went unnoticed
    const s = t.app.activation.service;
    simB.lines.get('338250001')!.meter = 12;
    expect(await s.query('fixed.status', { dn: '338250001' })).toMatchObject({
      exists: true,
      status: 'barred',
    });
    expect(await s.query('fixed.meter', { dn: '338250001' })).toEqual({ dn: '338250001', meter: 12 });
    expect(await s.query('fixed.status', { dn: '338250002' })).toMatchObject({ exists: true });
    // a line the switch does not know: missing there, not a refusal of the element
    const refusals = () => t.app.activation.manager.health().find((h) => h.code === 'SWM')!.refusals;
    const before = refusals();
    await expect(s.query('fixed.meter', { dn: '338259999' })).rejects.toMatchObject({
      kind: 'not_found',
      code: 'activation.line_not_on_element',
    });
    expect(refusals()).toBe(before);
    // exchange B's switch down: its line's status is unavailable, exchange A's still answers
    await simB.stop();
    try {
      await expect(s.query('fixed.status', { dn: '338250001' })).rejects.toMatchObject({
        kind: 'unavailable',
        code: 'activation.element_unavailable',
      });
      expect(await s.query('fixed.status', { dn: '338250002' })).toMatchObject({ exists: true });
    } finally {
      await simB.start();
    }
  });

  it("a disabled switch gets nothing: its exchange's orders are refused as such, never sent to the default switch", async () => {
    const s = t.app.activation.service;
    const input = {
      code: 'SWN',
      kind: 'mml_switch' as const,
      name: 'Switch B',
      host: '127.0.0.1',
      port: simB.port,
      username: 'gpto',
      password: 'gpto',
      exchanges: ['XB-SW'],
    };
    // an order queued before the switch is disabled (the automaton not yet at it)
    const queued = await s.order(
      { operation: 'fixed.restore', lineId: '338250001', params: { dn: '338250001' } },
      SYSTEM,
    );
    await s.upsertElement({ ...input, enabled: false }, SYSTEM);
    const before = new Set(sim.lines.keys());
    // a new line on exchange B, a line that lives there, its status: refused, naming the switch
    await expect(
      s.order(
        {
          operation: 'fixed.activate',
          lineId: '338250004',
          params: { dn: '338250004', en: 'XB-SW-01-01-004' },
        },
        SYSTEM,
      ),
    ).rejects.toMatchObject({ code: 'activation.element_disabled', kind: 'conflict', field: 'element' });
    await expect(
      s.order({ operation: 'fixed.suspend', lineId: '338250001', params: { dn: '338250001' } }, SYSTEM),
    ).rejects.toMatchObject({ code: 'activation.element_disabled' });
    await expect(s.query('fixed.status', { dn: '338250001' })).rejects.toMatchObject({
      code: 'activation.element_disabled',
    });
    // the order queued before is refused when taken, with the reason; nothing reached either switch
    const sentB = simB.commands;
    await t.app.activation.automaton.drain();
    expect(await s.get(queued.id)).toMatchObject({ status: 'refused', errorCode: 'element_disabled' });
    expect(simB.commands).toBe(sentB);
    expect(new Set(sim.lines.keys())).toEqual(before);
    // enabled again: its lines' orders go to it
    await s.upsertElement({ ...input, enabled: true }, SYSTEM);
    const back = await s.order(
      { operation: 'fixed.restore', lineId: '338250001', params: { dn: '338250001' } },
      SYSTEM,
    );
    expect(back.element).toBe('SWN');
    await t.app.activation.automaton.drain();
    expect((await s.get(back.id)).status).toBe('done');
  });
});
