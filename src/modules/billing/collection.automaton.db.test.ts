import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { SYSTEM } from '../../platform/events.js';
import { HlrLink } from '../activation/drivers/hlr.driver.js';
import { FixedClock } from '../../platform/clock.js';
import { TEST_SECRET_KEY } from '../../../test/app.js';
import { activationSteps, createActivation, SwitchSimulator } from '../activation/index.js';
import { cardsCsv, makeCards } from '../activation/testing/fixtures.js';
import { osmoHlrSuiteName, startOsmoHlr, type OsmoHlr } from '../activation/testing/osmo-hlr.js';
import {
  createBillingCycle,
  lineLimitations,
  LIMITATION_BARRING,
  type BillingCycleServices,
} from './cycle.index.js';
import { runBilling } from './invoice-run.js';
import { makeCustomer, makeLine } from './test-fixtures.js';

const suite = osmoHlrSuiteName(
  'collection through the activation automaton: limitation, suspension and restoration in a real osmo-hlr and the switch simulator',
);

const day = (d: string) => new Date(`${d}T07:00:00Z`);

describe.skipIf(suite.skip)(suite.name, () => {
  let t: TestApp;
  let hlr: OsmoHlr;
  let sim: SwitchSimulator;
  let ctrl: HlrLink;
  let cycle: BillingCycleServices;
  const card = makeCards(2, 51)[0]!;
  const MSISDN = '221770051001';
  const DN = '338251001';

  beforeAll(async () => {
    [t, hlr] = await Promise.all([createTestApp(), startOsmoHlr()]);
    sim = new SwitchSimulator({ name: 'SW1' });
    const port = await sim.start();
    ctrl = new HlrLink({ host: hlr.host });
    const s = t.app.activation.service;
    await s.upsertElement(
      { code: 'HLR1', kind: 'osmo_hlr', name: 'HLR', host: hlr.host, port: hlr.port, isDefault: true },
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
      },
      SYSTEM,
    );
    await t.app.inventory.sims.importBatch(
      { batch: 'COLLTEST', manufacturer: 'Test', csv: cardsCsv([card]) },
      SYSTEM,
    );
    await t.app.requests.loadDefaultScenarios();
    cycle = createBillingCycle(t.tdb.db, {
      currency: 'XOF',
      requests: t.app.requests.requests,
      workflow: t.app.workflow,
    });
  });
  afterAll(async () => {
    ctrl?.close();
    await t?.app.activation.stop();
    await sim?.stop();
    await hlr?.dispose();
    await t?.close();
  });

  /** Workflow workers and the automaton, until neither has anything left to do. */
  const settle = async () => {
    for (let i = 0; i < 6; i++) {
      const a = await t.app.workflow.drain();
      await t.app.activation.automaton.drain();
      const b = await t.app.workflow.drain();
      if (a + b === 0 && i > 0) return;
    }
  };
  /** What osmo-hlr says of the subscriber, read back over CTRL. */
  const access = async () => ({
    cs: await ctrl.send(`GET subscriber.by-imsi-${card.imsi}.cs-enabled`),
    ps: await ctrl.send(`GET subscriber.by-imsi-${card.imsi}.ps-enabled`),
  });
  const statusOf = async (ids: number[]) =>
    (
      await t.tdb.db
        .selectFrom('subscription')
        .select(['id', 'status'])
        .where('id', 'in', ids)
        .orderBy('id')
        .execute()
    ).map((r) => r.status);
  const requestsOf = (numbers: string[]) => Promise.all(numbers.map((n) => t.app.requests.requests.get(n)));

  it('bars in osmo-hlr and on the switch past day M, suspends past day P, restores after the payment, unattended', async () => {
    // the lines exist on their elements, as a new-line request leaves them
    const s = t.app.activation.service;
    await s.order(
      { operation: 'mobile.activate', lineId: MSISDN, params: { iccid: card.iccid, msisdn: MSISDN } },
      SYSTEM,
    );
    await s.order(
      { operation: 'fixed.activate', lineId: DN, params: { dn: DN, en: '05-01-001', barring: 'INTL' } },
      SYSTEM,
    );
    await t.app.activation.automaton.drain();
    expect(await access()).toEqual({ cs: '1', ps: '1' });

    const c = await makeCustomer(t.tdb.db, { name: 'Sow' });
    const mobile = await makeLine(t.tdb.db, c, 'MOBILE-POST', [['active', '2025-12-01T08:00:00Z']], {
      number: MSISDN,
      sim: card.iccid,
    });
    const fixed = await makeLine(t.tdb.db, c, 'FIXE', [['active', '2025-12-01T08:00:00Z']], { number: DN });
    await cycle.collection.setRule(
      {
        category: 'STANDARD',
        reminderDay: 3,
        limitationDay: 10,
        suspensionDay: 20,
        terminationDay: null,
        minAmount: 1000,
      },
      SYSTEM,
    );
    // January billed on 1 February, due on the 16th
    const run = await runBilling(
      t.tdb.db,
      'XOF',
      { period: '2026-01', at: new Date('2026-02-01T06:00:00Z') },
      SYSTEM,
    );
    expect(run.invoices).toBe(1);
    const due = run.amountTotal;

    // day 9 after the due date: a reminder only, the network is untouched
    expect(await cycle.collect(SYSTEM, day('2026-02-25'))).toMatchObject({ reminders: 1, limitations: 0 });
    await settle();
    expect(await access()).toEqual({ cs: '1', ps: '1' });

    // day 10 (M): limitation of both lines by the automaton, then the requests wait for the payment
    const m = await cycle.collect(SYSTEM, day('2026-02-26'));
    expect(m).toMatchObject({ limitations: 2, errors: [] });
    const limitations = m.requests;
    await settle();
    expect(await access()).toEqual({ cs: '1', ps: '0' }); // mobile.limit: data cut, voice kept
    expect(sim.lines.get(DN)!.barring).toBe('OUTG'); // outgoing calls barred
    for (const r of await requestsOf(limitations)) {
      expect(r.status).toBe('open');
      expect(r.workflow.tasks.filter((x) => x.status === 'held').map((x) => x.node)).toEqual([
        'wait_payment',
      ]);
    }
    // what the network audit reads: both lines limited (their requests at the hold)
    expect(await lineLimitations(t.tdb.db)).toEqual(
      new Map([
        [MSISDN, 'limited'],
        [DN, 'limited'],
      ]),
    );

    // day 20 (P): suspension: subscriptions suspended, CS and PS cut, the fixed line barred
    const p = await cycle.collect(SYSTEM, day('2026-03-08'));
    expect(p).toMatchObject({ suspensions: 2, errors: [] });
    await settle();
    expect(await access()).toEqual({ cs: '0', ps: '0' });
    expect(sim.lines.get(DN)!.blocked).toBe(true);
    expect(await statusOf([mobile.id, fixed.id])).toEqual(['suspended', 'suspended']);
    expect((await requestsOf(p.requests)).map((r) => [r.scenario, r.status])).toEqual([
      ['collection_suspension', 'completed'],
      ['collection_suspension', 'completed'],
    ]);

    // the payment at the cash desk restores everything by itself
    await cycle.payments.record(
      { payerId: c.payerId, amount: due, method: 'cash', at: day('2026-03-09') },
      SYSTEM,
    );
    await settle();
    expect(await access()).toEqual({ cs: '1', ps: '1' });
    expect(sim.lines.get(DN)!.blocked).toBe(false);
    expect(sim.lines.get(DN)!.barring).toBe('INTL'); // the class it had before the limitation
    expect(await statusOf([mobile.id, fixed.id])).toEqual(['active', 'active']);
    expect((await requestsOf(limitations)).map((r) => r.status)).toEqual(['completed', 'completed']);
    expect((await lineLimitations(t.tdb.db)).size).toBe(0);
    const restored = await t.tdb.db
      .selectFrom('event')
      .select('payload')
      .where('kind', '=', 'collection.restored')
      .where('customer_id', '=', c.customerId)
      .executeTakeFirstOrThrow();
    const restorations = (restored.payload as { restorations: { request: string; action: string }[] })
      .restorations;
    expect(restorations.map((x) => x.action)).toEqual(['restoration', 'restoration']);
    expect((await requestsOf(restorations.map((x) => x.request))).map((r) => [r.scenario, r.status])).toEqual(
      [
        ['collection_restoration', 'completed'],
        ['collection_restoration', 'completed'],
      ],
    );
    // every command went through the automaton and its journal, none through a human basket
    const journal = await s.journal({ lineId: MSISDN }, { limit: 50 });
    expect(
      journal.items
        .map((x) => x.command)
        .filter((x) => x.includes('-enabled'))
        .reverse(),
    ).toEqual(
      expect.arrayContaining([
        `SET subscriber.by-imsi-${card.imsi}.ps-enabled 0`,
        `SET subscriber.by-imsi-${card.imsi}.cs-enabled 0`,
        `SET subscriber.by-imsi-${card.imsi}.cs-enabled 1`,
        `SET subscriber.by-imsi-${card.imsi}.ps-enabled 1`,
      ]),
    );
    const human = await t.tdb.db
      .selectFrom('wf_task')
      .select('node')
      .where('kind', '=', 'human')
      .where('instance_id', 'in', (eb) =>
        eb.selectFrom('wf_instance').select('id').where('customer_id', '=', c.customerId),
      )
      .execute();
    expect(human).toEqual([]);
  });

  it('a limitation outlives a temporary change begun before it, and no temporary change or restoration lifts it', async () => {
    const s = t.app.activation.service;
    const card2 = makeCards(2, 51)[1]!;
    const MSISDN2 = '221770051002';
    const DN2 = '338251002';
    await t.app.inventory.sims.importBatch(
      { batch: 'COLLTEST2', manufacturer: 'Test', csv: cardsCsv([card2]) },
      SYSTEM,
    );
    await s.order(
      { operation: 'mobile.activate', lineId: MSISDN2, params: { iccid: card2.iccid, msisdn: MSISDN2 } },
      SYSTEM,
    );
    await s.order(
      { operation: 'fixed.activate', lineId: DN2, params: { dn: DN2, en: '05-01-002', barring: 'INTL' } },
      SYSTEM,
    );
    await t.app.activation.automaton.drain();
    const c = await makeCustomer(t.tdb.db, { name: 'Faye' });
    await makeLine(t.tdb.db, c, 'MOBILE-POST', [['active', '2025-12-01T08:00:00Z']], {
      number: MSISDN2,
      sim: card2.iccid,
    });
    await makeLine(t.tdb.db, c, 'FIXE', [['active', '2025-12-01T08:00:00Z']], { number: DN2 });
    const access2 = async () => ({
      cs: await ctrl.send(`GET subscriber.by-imsi-${card2.imsi}.cs-enabled`),
      ps: await ctrl.send(`GET subscriber.by-imsi-${card2.imsi}.ps-enabled`),
    });

    // the customer asks, for a week: everything barred on the mobile, international open on the fixed
    const until = new Date(Date.now() + 3_600_000);
    const tmpMobile = await s.order(
      {
        operation: 'mobile.temporary_access',
        lineId: MSISDN2,
        params: { iccid: card2.iccid, cs: false, ps: false, until: until.toISOString() },
      },
      SYSTEM,
    );
    const tmpFixed = await s.order(
      {
        operation: 'fixed.temporary_access',
        lineId: DN2,
        params: { dn: DN2, barring: 'NONE', until: until.toISOString() },
      },
      SYSTEM,
    );
    await t.app.activation.automaton.drain();
    expect(await access2()).toEqual({ cs: '0', ps: '0' });
    expect(sim.lines.get(DN2)!.tmpBarring).toBe('NONE');

    // March goes unpaid: both lines limited at day M
    await runBilling(t.tdb.db, 'XOF', { period: '2026-03', at: new Date('2026-04-01T06:00:00Z') }, SYSTEM);
    const m = await cycle.collect(SYSTEM, day('2026-04-26'));
    expect(m.errors).toEqual([]);
    await settle();
    expect((await lineLimitations(t.tdb.db, MSISDN2)).get(MSISDN2)).toBe('limited');
    // data cut; the voice the customer's temporary change barred stays barred (not given back)
    expect(await access2()).toEqual({ cs: '0', ps: '0' });
    const limitOrder = (await s.orders({ lineId: MSISDN2 }, { limit: 1 })).items[0]!;
    expect(limitOrder).toMatchObject({ operation: 'mobile.set_access', params: { cs: false, ps: false } });
    // the switch's temporary authorisation (NONE) would override OUTG: the limitation ended it
    expect(sim.lines.get(DN2)!).toMatchObject({ barring: 'OUTG', tmpBarring: null });
    const fixedRevert = await t.tdb.db
      .selectFrom('act_revert')
      .select(['done_at', 'revert_order_id'])
      .where('order_id', '=', tmpFixed.id)
      .executeTakeFirstOrThrow();
    expect(fixedRevert.done_at).not.toBeNull();
    expect(fixedRevert.revert_order_id).toBeNull();
    // the agent on the phone sees it all on the line consultation: the element's side and why
    const care = await t.login('care');
    const consult = async (n: string) => {
      const res = await t.call('GET', `/api/v1/lines/${n}`, care);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as { status: { available: boolean; access?: unknown } }).status;
    };
    expect(await consult(MSISDN2)).toMatchObject({
      available: true,
      access: {
        voice: false,
        data: false,
        limitation: 'limited',
        temporary: [{ orderId: tmpMobile.id, until: until.toISOString(), voice: false, data: false }],
      },
    });
    expect(await consult(DN2)).toMatchObject({
      available: true,
      access: {
        voice: null,
        barring: 'OUTG',
        effectiveBarring: 'OUTG',
        limitation: 'limited',
        temporary: [],
      },
    });

    // the week is over: the mobile change ends on what the records say now (limited), not on the
    // full access the HLR had when it began; an automaton started later, with billing behind it
    const later = createActivation(t.tdb.db, {
      secretKey: TEST_SECRET_KEY,
      keys: (iccid) => t.app.inventory.sims.authKeys(iccid, SYSTEM),
      clock: new FixedClock(new Date(until.getTime() + 60_000)),
      limitations: { lines: (dn) => lineLimitations(t.tdb.db, dn), barring: LIMITATION_BARRING },
    });
    try {
      await later.service.loadElements();
      await later.automaton.drain();
    } finally {
      await later.stop();
    }
    expect(await access2()).toEqual({ cs: '1', ps: '0' });
    const mobileRevert = await t.tdb.db
      .selectFrom('act_revert')
      .select(['done_at', 'revert_order_id'])
      .where('order_id', '=', tmpMobile.id)
      .executeTakeFirstOrThrow();
    const revertOrder = await s.get(mobileRevert.revert_order_id!);
    expect(revertOrder).toMatchObject({ operation: 'mobile.set_access', status: 'done' });
    expect(revertOrder.params).toMatchObject({
      cs: true,
      ps: false,
      accessFrom: 'active, limited for unpaid bills',
    });
    // the fixed line's ended authorisation was not "reverted" a second time
    expect((await s.orders({ lineId: DN2 }, { limit: 20 })).items.map((o) => o.operation)).not.toContain(
      'fixed.clear_temporary',
    );

    // through the workflow: a temporary opening of the limited lines falls out to switching with
    // why; a restoration gives the mobile its voice, not its data
    const steps = {
      open: activationSteps('open', 'line.temporary_access', ['done'], { params: { lineKind: 'lineKind' } }),
      restore: activationSteps('restore', 'line.restore', ['done'], { params: { lineKind: 'lineKind' } }),
    };
    for (const [code, st] of Object.entries(steps))
      await t.app.workflow.scenarios.createVersion(
        {
          code: `limit_test_${code}`,
          name: `Test: ${code} on a limited line`,
          start: [code],
          nodes: { ...st.nodes, done: { kind: 'end', label: 'Done', result: 'completed' } },
          transitions: st.transitions,
        },
        SYSTEM,
      );
    const start = (code: string, ref: string, data: Record<string, unknown>) =>
      t.tdb.db.transaction().execute((trx) =>
        t.app.workflow.engine.start(trx, {
          scenarioCode: `limit_test_${code}`,
          subjectType: 'test_request',
          subjectId: ref,
          customerId: c.customerId,
          lineId: String(data.directoryNumber),
          data,
          by: SYSTEM,
        }),
      );
    const openMobile = await start('open', 'L1', {
      directoryNumber: MSISDN2,
      simIccid: card2.iccid,
      lineKind: 'mobile_postpaid',
      cs: true,
      ps: true,
      until: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const openFixed = await start('open', 'L2', {
      directoryNumber: DN2,
      lineKind: 'fixed',
      barring: 'NONE',
      until: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const restore = await start('restore', 'L3', {
      directoryNumber: MSISDN2,
      simIccid: card2.iccid,
      lineKind: 'mobile_postpaid',
    });
    await settle();
    const fellOut = async (id: number) =>
      (await t.app.workflow.instances.get(id)).tasks.find((x) => x.node === 'open');
    expect(await fellOut(openMobile)).toMatchObject({
      kind: 'human',
      actor: 'switching',
      lastError: expect.stringContaining('limited for unpaid bills (data cut until the debt is paid)'),
    });
    expect(await fellOut(openFixed)).toMatchObject({
      actor: 'switching',
      lastError: expect.stringContaining('a temporary authorisation NONE would lift it'),
    });
    const restored = await t.app.workflow.instances.get(restore);
    expect(restored.status).toBe('completed');
    const notes = (restored.data as { activation: Record<string, { operation: string }> }).activation;
    expect(notes.restore!.operation).toBe('mobile.limit');
    expect(await access2()).toEqual({ cs: '1', ps: '0' });
    expect(sim.lines.get(DN2)!).toMatchObject({ barring: 'OUTG', tmpBarring: null });

    // the debt paid, the lift gives everything back
    const owed = await sql<{ due: string }>`
      SELECT sum(amount)::text AS due FROM billing_ledger_entry
       WHERE payer_id = ${c.payerId} AND account = 'receivable'`.execute(t.tdb.db);
    await cycle.payments.record(
      { payerId: c.payerId, amount: Number(owed.rows[0]!.due), method: 'cash', at: day('2026-04-27') },
      SYSTEM,
    );
    await settle();
    expect(await access2()).toEqual({ cs: '1', ps: '1' });
    expect(sim.lines.get(DN2)!.barring).toBe('INTL');
    expect((await lineLimitations(t.tdb.db, MSISDN2)).size).toBe(0);
  });
});
