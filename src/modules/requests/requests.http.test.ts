import { spawnSync } from 'node:child_process';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from '../../../test/app.js';
import { loadDemoPlant } from '../../demo/plant.js';
import { FixedClock } from '../../platform/clock.js';
import { withLuhn } from '../inventory/sim.service.js';
import { startTestElements, type TestElements } from '../activation/testing/elements.js';
import { osmoHlrSuiteName } from '../activation/testing/osmo-hlr.js';

/** Which demo agent works each actor's basket. */
const AGENT_OF: Record<string, string> = {
  commercial: 'commercial',
  finance: 'finance',
  switching: 'switching',
  mdf: 'mdf',
  network_studies: 'network',
  stock: 'stock',
  field: 'field',
  supervision: 'supervisor',
};

type Step = { outcome: string; data?: Record<string, unknown> };
type Script = Record<string, Step | ((r: RequestJson) => Step)>;
interface TaskJson {
  id: number;
  node: string;
  kind: string;
  actor: string;
  status: string;
  assigneeId: number | null;
  lastError?: string | null;
  explanation: Record<string, unknown>;
}
interface RequestJson {
  number: string;
  status: string;
  reason: string | null;
  subscriptionId: number | null;
  lineId: string | null;
  payerId: number;
  customerId: number;
  workflow: {
    status: string;
    tasks: TaskJson[];
    data: Record<string, unknown>;
    compensations: { action: string; doneAt: string | null }[];
  };
  documents: { id: number; kind: string; contentType: string; text: string | null }[];
}

let seq = 0;
/** SIM cards of the demo batch still in the central stock (the first 200 went to the shops). */
let stockSim = 300;
const nextStockIccid = () => withLuhn(`892210100${String(--stockSim).padStart(9, '0')}`);
/** Addresses the demo plant serves (src/demo/plant.ts). */
const PLATEAU = { street: 'Avenue Georges Pompidou', district: 'Plateau', locality: 'Dakar' };
const RUFISQUE = { street: 'Route de Rufisque', locality: 'Rufisque' };
const PARCELLES = { street: 'Unité 15', district: 'Parcelles Assainies', locality: 'Dakar' };
const KEUR_MASSAR = { street: 'Rue 12', district: 'Cité Aliou Sow', locality: 'Keur Massar' };

// The activation steps reach a real osmo-hlr and the switch simulator: without osmo-hlr the suite is
// skipped with the reason in its name (and fails under CI=true).
const suite = osmoHlrSuiteName('service requests end to end over HTTP, with the network elements');

describe.skipIf(suite.skip)(suite.name, () => {
  let t: TestApp;
  let front: string;
  let net: TestElements;

  beforeAll(async () => {
    t = await createTestApp();
    await loadDemoPlant(t.tdb.db, TEST_SECRET_KEY);
    await t.app.requests.loadDefaultScenarios();
    net = await startTestElements(t.app.activation);
    front = await t.login('commercial');
  });
  afterAll(async () => {
    await net?.close();
    await t?.close();
  });

  const newCustomer = async (over: Record<string, unknown> = {}) => {
    const res = await t.call('POST', '/api/v1/customers', front, {
      kind: 'person',
      lastName: 'Sarr',
      firstNames: `Fatou ${++seq}`,
      address: PLATEAU,
      phones: ['+221 77 000 00 00'],
      categories: {
        commercial1: 'RES',
        commercial2: 'STD',
        collection: 'STANDARD',
        accounting: 'PART',
        tax: 'TVA18',
      },
      ...over,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: number; code: string };
  };

  const get = async (number: string) => {
    const res = await t.call('GET', `/api/v1/requests/${number}`, front);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as RequestJson;
  };

  const create = async (body: Record<string, unknown>) => {
    const res = await t.call('POST', '/api/v1/requests', front, body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as RequestJson;
  };

  /**
   * Works the request as the agents would: automatic steps by the engine's workers, each open
   * human task claimed and completed through the API by the demo agent of its actor.
   */
  const drive = async (number: string, script: Script, until: 'end' | string = 'end') => {
    for (let round = 0; round < 40; round++) {
      // the workers, then the automaton on the network elements (it resumes the waiting steps)
      await t.app.workflow.drain();
      await t.app.activation.automaton.drain();
      await t.app.workflow.drain();
      const r = await get(number);
      if (r.status !== 'open') return r;
      const open = r.workflow.tasks.filter(
        (x) => x.kind === 'human' && ['ready', 'claimed'].includes(x.status),
      );
      if (until !== 'end' && open.some((x) => x.node === until)) return r;
      if (open.length === 0) return r;
      for (const task of open) {
        const entry = script[task.node];
        if (!entry)
          throw new Error(
            `no script for ${task.node} (${r.workflow.tasks.map((x) => `${x.node}:${x.status}`).join(' ')}) ${JSON.stringify(r.workflow.data.activation ?? null)}`,
          );
        const step = typeof entry === 'function' ? entry(r) : entry;
        const token = await t.login(AGENT_OF[task.actor]!);
        const claim = await t.call('POST', `/api/v1/tasks/${task.id}/claim`, token);
        expect(claim.statusCode, `${task.node}: ${claim.body}`).toBe(200);
        const done = await t.call('POST', `/api/v1/tasks/${task.id}/complete`, token, step);
        expect(done.statusCode, `${task.node}: ${done.body}`).toBe(200);
      }
    }
    throw new Error('the request did not settle');
  };

  const money: Script = {
    quote_acceptance: { outcome: 'accepted' },
    deposit: (r) => ({ outcome: 'paid', data: { amount: r.workflow.data.depositDue, method: 'cash' } }),
    payment: (r) => ({
      outcome: 'paid',
      data: {
        amount: (r.workflow.data.invoice as { total: number }).total,
        method: 'mobile_money',
        reference: 'OM-1',
      },
    }),
  };
  const fixedScript: Script = {
    ...money,
    mdf_works: { outcome: 'done' },
    field_works: { outcome: 'done', data: { report: 'line installed, tone OK' } },
  };
  /** Steps of the relocation besides the field works (none are human but the field's today). */
  const relocationScript: Script = {};
  const inventory = async (url: string) => {
    const res = await t.call('GET', `/api/v1/inventory${url}`, await t.login('network'));
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Record<string, unknown>;
  };
  const subscription = async (id: number) => {
    const res = await t.call('GET', `/api/v1/subscriptions/${id}`, front);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as {
      status: string;
      directoryNumber: string | null;
      simIccid: string | null;
      equipmentNumber: string | null;
      plantRef: Record<string, unknown> | null;
      customerId: number;
    };
  };
  const account = async (payerId: number) => {
    const res = await t.call('GET', `/api/v1/payers/${payerId}/account`, await t.login('finance'));
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as {
      balance: { receivable: number; depositsHeld: number; openInvoices: number };
      entries: { kind: string; amount: number }[];
    };
  };
  const pending = async () =>
    (await t.call('GET', '/api/v1/inventory/pending?limit=500', await t.login('network'))).json() as {
      requestRef: string;
      cause: string;
      elementType: string;
      elementCode: string;
    }[];

  const newMobileLine = async (customer: { code: string }, extra: Record<string, unknown> = {}) => {
    const r = await create({
      kind: 'new_line',
      customer: customer.code,
      productCode: 'MOBILE-POST',
      ...extra,
    });
    const done = await drive(r.number, money);
    expect(done.status).toBe('completed');
    const s = await subscription(done.subscriptionId!);
    // the subscriber really exists in osmo-hlr with the line's number (read back over CTRL)
    const imsi = (await inventory(`/sims/${s.simIccid}`)).imsi as string;
    expect(await net.subscriber(imsi)).toMatchObject({
      exists: true,
      msisdn: s.directoryNumber,
      access: { cs: true, ps: true },
    });
    return {
      request: done,
      number: s.directoryNumber!,
      iccid: s.simIccid!,
      imsi,
      subscriptionId: done.subscriptionId!,
    };
  };

  it('new fixed wired line: automatic study reserves the chain and a number, quote, deposit, invoice, payment, works, line committed to the technical file, reply', async () => {
    const c = await newCustomer();
    const r = await create({ kind: 'new_line', customer: c.code, productCode: 'FIXE' });
    expect(r.workflow.tasks.map((x) => x.node)).toEqual(['check_customer']);
    await drive(r.number, {}, 'quote_acceptance');
    const studied = await get(r.number);
    const study = studied.workflow.data.study as { feasible: boolean; chain: Record<string, string> };
    // no human study: the inventory reserved a port, MDF positions and pairs at the CP serving the address
    expect(studied.workflow.tasks.filter((x) => x.node.startsWith('study'))).toMatchObject([
      { node: 'study', kind: 'automatic', status: 'done' },
    ]);
    expect(study).toMatchObject({ feasible: true, chain: { cp: 'PC-PLT-02', site: 'DKR', sdf: 'SR-PLT1' } });
    expect(study.chain.equipmentNumber).toBeTruthy();
    const reservation = await inventory(`/reservations/${study.chain.reservation}`);
    expect(reservation).toMatchObject({ status: 'reserved', requestRef: r.number });
    const done = await drive(r.number, fixedScript);
    const number = study.chain.number!;
    expect(number).toMatch(/^33821/);
    expect(done).toMatchObject({ status: 'completed', lineId: number });
    const s = await subscription(done.subscriptionId!);
    expect(s).toMatchObject({
      status: 'active',
      directoryNumber: number,
      equipmentNumber: study.chain.equipmentNumber,
    });
    // the automaton created the line on the switch, on the reserved port, international calls barred
    expect(net.line(number)).toMatchObject({
      en: study.chain.equipmentNumber,
      status: 'IDLE',
      barring: 'INTL',
    });
    expect(done.workflow.data.activation).toMatchObject({
      switch_activate: { status: 'done', operation: 'fixed.activate', element: 'SW1' },
    });
    expect(done.workflow.tasks.some((x) => x.actor === 'switching')).toBe(false);
    expect(s.plantRef).toMatchObject({
      reservation: study.chain.reservation,
      cp: 'PC-PLT-02',
      distributionPair: study.chain.distributionPair,
      zone: 'DAKAR',
    });
    // the reservation became the line's technical file: pairs and port in service, number assigned
    expect(await inventory(`/reservations/${study.chain.reservation}`)).toMatchObject({
      status: 'committed',
    });
    expect(await inventory(`/lines/${number}`)).toMatchObject({
      status: 'active',
      requestRef: r.number,
      chain: { cp: 'PC-PLT-02', equipmentNumber: study.chain.equipmentNumber },
    });
    expect(await inventory(`/numbers/${number}`)).toMatchObject({ status: 'assigned' });
    // RES deposit of FIXE is 20 000; one-off 25 000 + TVA 18 % = 29 500
    expect(done.workflow.data.depositDue).toBe(20000);
    expect(done.workflow.data.invoice).toMatchObject({ total: 29500 });
    expect(await account(done.payerId)).toMatchObject({
      balance: { receivable: 0, depositsHeld: 20000, openInvoices: 0 },
    });
    expect(done.documents.map((d) => d.kind).sort()).toEqual(
      ['completion_report', 'invoice', 'letter', 'quote', 'sms', 'work_order', 'work_order'].sort(),
    );
    const pdf = await t.call(
      'GET',
      `/api/v1/requests/${done.number}/documents/${done.documents.find((d) => d.kind === 'quote')!.id}`,
      front,
    );
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    expect(done.documents.find((d) => d.kind === 'sms')?.text).toContain(number);
    // MDF and field works were pushed by zone to the agents of DAKAR, and the request says why
    const mdfWorks = done.workflow.tasks.find((x) => x.node === 'mdf_works')!;
    expect(JSON.stringify(mdfWorks.explanation)).toContain('zone DAKAR');
    // every message is on the customer's timeline, the line's events carry its number
    const events = await t.tdb.db
      .selectFrom('event')
      .select(['kind', 'line_id'])
      .where('customer_id', '=', c.id)
      .execute();
    const kinds = new Set(events.map((e) => e.kind));
    for (const k of [
      'request.created',
      'task.created',
      'task.claimed',
      'task.completed',
      'instance.completed',
      'request.completed',
      'invoice.paid',
      'deposit.received',
    ])
      expect(kinds, k).toContain(k);
    expect(events.filter((e) => e.kind === 'request.completed')[0]?.line_id).toBe(number);
  });

  it('choose-a-number: the study reserves the number the customer asked for, or a commercial agent agrees another', async () => {
    const c = await newCustomer();
    const wanted = '338210777';
    const r = await create({
      kind: 'new_line',
      customer: c.code,
      productCode: 'FIXE',
      preferredNumber: wanted,
    });
    const done = await drive(r.number, fixedScript);
    expect(done).toMatchObject({ status: 'completed', lineId: wanted });
    expect((await subscription(done.subscriptionId!)).directoryNumber).toBe(wanted);
    // the same number again: not available, the counter agrees another one with the customer
    const again = await create({
      kind: 'new_line',
      customer: c.code,
      productCode: 'FIXE',
      preferredNumber: wanted,
    });
    const other = '338210778';
    const second = await drive(again.number, {
      ...fixedScript,
      choose_number: { outcome: 'chosen', data: { preferredNumber: other } },
    });
    expect(second).toMatchObject({ status: 'completed', lineId: other });
    expect(second.workflow.data.outcomes).toMatchObject({ choose_number: 'chosen', study: 'feasible' });
  });

  it('a study replayed after its inventory call committed (worker killed before its own commit) reuses the reservation', async () => {
    // a district where generated demo customers live
    const address = { street: 'Rue 4', district: 'Thiès Nord', locality: 'Thiès' };
    const c = await newCustomer({ address });
    const r = await create({ kind: 'new_line', customer: c.code, productCode: 'FIXE' });
    // the first attempt's inventory transaction committed, the worker's did not
    const first = await t.call('POST', '/api/v1/inventory/studies', front, {
      requestRef: r.number,
      kind: 'fixed_wired',
      product: 'FIXE',
      address,
    });
    expect(first.statusCode, first.body).toBe(200);
    const code = (first.json() as { reservation: { code: string } }).reservation.code;
    await drive(r.number, {}, 'quote_acceptance');
    const study = (await get(r.number)).workflow.data.study as { chain: Record<string, string> };
    expect(study.chain).toMatchObject({ reservation: code, cp: 'PC-THS-01', site: 'THS' });
    const done = await drive(r.number, fixedScript);
    expect(done).toMatchObject({ status: 'completed', lineId: study.chain.number });
    expect(await inventory(`/reservations/${code}`)).toMatchObject({ status: 'committed' });
  });

  it('new fixed radio line: the base station serving the address and a number', async () => {
    const c = await newCustomer({ address: RUFISQUE });
    const r = await create({ kind: 'new_line', customer: c.code, productCode: 'FIXE-RADIO' });
    expect(r.workflow.data).toMatchObject({ product: { kind: 'fixed_radio', deposit: 25000 } });
    const done = await drive(r.number, fixedScript);
    expect(done.status).toBe('completed');
    expect(done.workflow.tasks.some((x) => x.node === 'mdf_works')).toBe(false);
    expect(done.workflow.data.study).toMatchObject({ chain: { baseStation: 'BTS-RUF-01' } });
    const s = await subscription(done.subscriptionId!);
    expect(s).toMatchObject({ status: 'active', plantRef: { baseStation: 'BTS-RUF-01' } });
    expect(s.directoryNumber).toMatch(/^338360/);
    // a WLL line sits on a virtual port of its base station on the switch
    expect(net.line(s.directoryNumber!)).toMatchObject({
      en: `BTS-RUF-01-${s.directoryNumber!.slice(-6)}`,
      status: 'IDLE',
    });
    expect(await inventory(`/lines/${s.directoryNumber}`)).toMatchObject({
      status: 'active',
      chain: { baseStation: 'BTS-RUF-01' },
    });
  });

  it('new mobile lines from a shop’s SIM stock, postpaid with a deposit by category and prepaid without', async () => {
    const c = await newCustomer({
      categories: {
        commercial1: 'PRO',
        commercial2: 'STD',
        collection: 'STANDARD',
        accounting: 'PART',
        tax: 'EXO',
      },
    });
    const post = await newMobileLine(c);
    expect(post.request.workflow.data.depositDue).toBe(30000);
    expect(post.request.workflow.data.invoice).toMatchObject({ total: 5000 }); // tax exempt
    expect(post.request.workflow.data.shop).toBe('AG-PLATEAU'); // the shop of the customer's locality
    expect(post.number).toMatch(/^7710/);
    expect(await inventory(`/sims/${post.iccid}`)).toMatchObject({
      status: 'active',
      directoryNumber: post.number,
    });
    const r = await create({
      kind: 'new_line',
      customer: c.code,
      productCode: 'MOBILE-PREP',
      shop: 'AG-THIES',
    });
    const done = await drive(r.number, money);
    expect(done.status).toBe('completed');
    expect(done.workflow.tasks.some((x) => x.node === 'deposit' || x.node === 'quote')).toBe(false);
    const s = await subscription(done.subscriptionId!);
    expect(s).toMatchObject({ status: 'active' });
    expect(s.directoryNumber).toMatch(/^7810/);
    expect(await inventory(`/sims/${s.simIccid}`)).toMatchObject({ status: 'active', shop: 'AG-THIES' });
  });

  it('adds and removes an option, with the deposit the option asks: by switching on a mobile line (osmo-hlr has no such setting)', async () => {
    const c = await newCustomer();
    const line = await newMobileLine(c);
    const add = await create({
      kind: 'add_option',
      customer: c.code,
      subscriptionId: line.subscriptionId,
      productCode: 'OPT-INTER',
    });
    const added = await drive(add.number, { ...money, switch_option: { outcome: 'done' } });
    expect(added.status).toBe('completed');
    expect(added.workflow.tasks.find((x) => x.node === 'deposit')?.status).toBe('done');
    // the step fell out to switching at once (no retries), with the reason
    const byHand = added.workflow.tasks.find((x) => x.node === 'switch_option')!;
    expect(byHand).toMatchObject({ kind: 'human', actor: 'switching', status: 'done' });
    expect(byHand.lastError).toContain('osmo-hlr');
    const optionId = added.subscriptionId!;
    expect((await subscription(optionId)).status).toBe('active');
    const remove = await create({ kind: 'remove_option', customer: c.code, subscriptionId: optionId });
    const removed = await drive(remove.number, { switch_option: { outcome: 'done' } });
    expect(removed.status).toBe('completed');
    expect((await subscription(optionId)).status).toBe('terminated');
  });

  it('options of a fixed line are set on the switch by the automaton: services, barring class', async () => {
    const c = await newCustomer();
    const first = await drive(
      (await create({ kind: 'new_line', customer: c.code, productCode: 'FIXE' })).number,
      fixedScript,
    );
    const dn = first.lineId!;
    expect(net.line(dn)).toMatchObject({ barring: 'INTL', services: [] });
    const option = async (productCode: string) => {
      const r = await drive(
        (
          await create({
            kind: 'add_option',
            customer: c.code,
            subscriptionId: first.subscriptionId,
            productCode,
          })
        ).number,
        money,
      );
      expect(r.status, productCode).toBe('completed');
      expect(r.workflow.tasks.some((x) => x.actor === 'switching')).toBe(false);
      return r.subscriptionId!;
    };
    const forwarding = await option('OPT-RENVOI');
    expect(net.line(dn)?.services.sort()).toEqual(['CFB', 'CFNR', 'CFU']);
    await option('OPT-INTER');
    expect(net.line(dn)?.barring).toBe('NONE');
    // an option with no network effect: the step ends at once, no order
    const listing = await drive(
      (
        await create({
          kind: 'add_option',
          customer: c.code,
          subscriptionId: first.subscriptionId,
          productCode: 'OPT-ANNUAIRE',
        })
      ).number,
      money,
    );
    expect(listing.workflow.data.activation).toMatchObject({ switch_option: { status: 'done' } });
    // cutting the data of a fixed line means nothing: refused at the counter, naming what applies
    const noData = await t.call('POST', '/api/v1/requests', front, {
      kind: 'access_change',
      customer: c.code,
      subscriptionId: first.subscriptionId,
      accessChange: { change: 'bar_data', until: new Date(Date.now() + 86_400_000).toISOString() },
    });
    expect(noData.statusCode).toBe(400);
    expect(noData.json()).toMatchObject({ field: 'accessChange.change' });
    expect(noData.json().detail).toMatch(
      /^bar_data does not apply to a fixed line: one of bar_international, /,
    );
    const removal = (await create({ kind: 'remove_option', customer: c.code, subscriptionId: forwarding }))
      .number;
    const removed = await drive(removal, {});
    expect(removed.status).toBe('completed');
    expect(net.line(dn)?.services).toEqual([]);
    // the journal of the line holds the commands the automaton sent
    const journal = await t.call('GET', `/api/v1/activation/lines/${dn}/journal`, await t.login('switching'));
    expect(journal.statusCode, journal.body).toBe(200);
    const commands = (journal.json() as { items: { command: string }[] }).items.map((x) => x.command);
    expect(commands.some((x) => x.startsWith('ADD-SERV'))).toBe(true);
    expect(commands.some((x) => x.startsWith('RMV-SERV'))).toBe(true);
    // each order names its request by the number the agents know, not its row id
    const orders = await t.call('GET', `/api/v1/activation/orders?lineId=${dn}`, await t.login('switching'));
    const latest = (orders.json() as { items: { operation: string; requestRef: string }[] }).items[0]!;
    expect(latest).toMatchObject({ operation: 'fixed.services', requestRef: removal });
    // and the request's journal, from a shell: the removal's commands only
    const cli = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'activation', 'journal', '--request', removal],
      {
        env: { ...process.env, DATABASE_URL: t.tdb.url, GPTO_SECRET_KEY: TEST_SECRET_KEY.toString('hex') },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`RMV-SERV DN=${dn}.*\\bok\\b`));
    expect(cli.stdout).not.toContain('ADD-SERV');
  });

  it('applies a temporary change of access rights in the HLR; the automaton reverts it at its end date', async () => {
    const c = await newCustomer();
    const line = await newMobileLine(c);
    const until = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const r = await create({
      kind: 'access_change',
      customer: c.code,
      subscriptionId: line.subscriptionId,
      accessChange: { change: 'bar_data', until },
    });
    // a change the counter's list does not have is answered at once, naming the field
    const typo = await t.call('POST', '/api/v1/requests', front, {
      kind: 'access_change',
      customer: c.code,
      subscriptionId: line.subscriptionId,
      accessChange: { change: 'bar_dta', until },
    });
    expect(typo.statusCode).toBe(400);
    expect(typo.json()).toMatchObject({ field: 'accessChange.change' });
    expect(typo.json().detail).toContain('bar_data');
    let now = await drive(r.number, {});
    expect(now.status).toBe('open');
    expect(now.workflow.tasks.find((x) => x.node === 'until_end')?.status).toBe('waiting');
    expect(await net.subscriber(line.imsi)).toMatchObject({ access: { cs: true, ps: false } });
    // the revert is the automaton's: recorded with its due date, it survives restarts
    const revert = await t.tdb.db
      .selectFrom('act_revert')
      .select(['operation', 'due_at', 'line_id'])
      .where('line_id', '=', line.number)
      .executeTakeFirstOrThrow();
    expect(revert).toMatchObject({ operation: 'mobile.set_access', line_id: line.number });
    expect(revert.due_at.toISOString()).toBe(until);
    // the end date passes (the engine's clock is moved forward)
    const engine = t.app.workflow.engine;
    const realClock = engine.clock;
    engine.clock = new FixedClock(new Date(Date.parse(until) + 1000));
    try {
      now = await drive(r.number, {});
    } finally {
      engine.clock = realClock;
    }
    expect(now.status).toBe('completed');
    expect(now.workflow.tasks.some((x) => x.node === 'switching_revert')).toBe(false);
  });

  it('a temporary change the HLR cannot express is applied and reverted by switching', async () => {
    const c = await newCustomer();
    const line = await newMobileLine(c);
    const until = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const r = await create({
      kind: 'access_change',
      customer: c.code,
      subscriptionId: line.subscriptionId,
      accessChange: { change: 'bar_international', until },
    });
    let now = await drive(r.number, { apply: { outcome: 'done' } });
    expect(now.status).toBe('open');
    expect(now.workflow.tasks.find((x) => x.node === 'apply')).toMatchObject({
      kind: 'human',
      actor: 'switching',
      lastError: expect.stringContaining('HLR'),
    });
    await t.app.workflow.timers(new Date(Date.parse(until) + 1000));
    now = await drive(r.number, { switching_revert: { outcome: 'done' } });
    expect(now.status).toBe('completed');
    expect(now.workflow.tasks.find((x) => x.node === 'switching_revert')?.status).toBe('done');
  });

  it('replaces a SIM card with one from stock: the number moves to it in the inventory', async () => {
    const c = await newCustomer();
    const line = await newMobileLine(c);
    const r = await create({
      kind: 'sim_replacement',
      customer: c.code,
      subscriptionId: line.subscriptionId,
    });
    // a card that is not in the stock is refused at once
    await drive(r.number, {}, 'sim_assignment');
    const task = (await get(r.number)).workflow.tasks.find((x) => x.node === 'sim_assignment')!;
    const stock = await t.login('stock');
    expect((await t.call('POST', `/api/v1/tasks/${task.id}/claim`, stock)).statusCode).toBe(200);
    const bad = await t.call('POST', `/api/v1/tasks/${task.id}/complete`, stock, {
      outcome: 'assigned',
      data: { simIccid: '8922101999999999999' },
    });
    expect(bad.statusCode).toBe(400);
    const iccid = nextStockIccid();
    const good = await t.call('POST', `/api/v1/tasks/${task.id}/complete`, stock, {
      outcome: 'assigned',
      data: { simIccid: iccid },
    });
    expect(good.statusCode, good.body).toBe(200);
    const done = await drive(r.number, {});
    expect(done.status).toBe('completed');
    expect((await subscription(line.subscriptionId)).simIccid).toBe(iccid);
    expect(await inventory(`/sims/${iccid}`)).toMatchObject({
      status: 'active',
      directoryNumber: line.number,
    });
    expect(await inventory(`/sims/${line.iccid}`)).toMatchObject({ status: 'replaced' });
    // in the HLR the new card's IMSI holds the number; the old subscriber is gone
    const imsi = (await inventory(`/sims/${iccid}`)).imsi as string;
    expect(await net.subscriber(imsi)).toMatchObject({ exists: true, msisdn: line.number });
    expect(await net.subscriber(line.imsi)).toMatchObject({ exists: false });
  });

  it('transfers a line to another customer, same number', async () => {
    const a = await newCustomer();
    const b = await newCustomer();
    const line = await newMobileLine(a);
    const r = await create({
      kind: 'transfer_ownership',
      customer: a.code,
      subscriptionId: line.subscriptionId,
      newCustomer: b.code,
    });
    const done = await drive(r.number, {
      transfer_agreement: { outcome: 'signed' },
      final_account: { outcome: 'settled' },
    });
    expect(done.status).toBe('completed');
    expect((await subscription(line.subscriptionId)).status).toBe('terminated');
    const moved = await subscription(done.subscriptionId!);
    expect(moved).toMatchObject({ status: 'active', directoryNumber: line.number, customerId: b.id });
    // the old holder's deposit is given back
    expect((await account(line.request.payerId)).balance.depositsHeld).toBe(0);
  });

  it('relocates a fixed line: the inventory studies the new address, the line keeps its number on its new chain', async () => {
    const c = await newCustomer();
    const first = await drive(
      (await create({ kind: 'new_line', customer: c.code, productCode: 'FIXE' })).number,
      fixedScript,
    );
    expect(first.status).toBe('completed');
    const before = (await inventory(`/lines/${first.lineId}`)) as {
      chain: { cp: string; equipmentNumber: string; distributionPair: { id: number } };
    };
    expect(before.chain.cp).toBe('PC-PLT-02');
    const r = await create({
      kind: 'relocation',
      customer: c.code,
      subscriptionId: first.subscriptionId,
      address: { street: 'Avenue Blaise Diagne', district: 'Médina', locality: 'Dakar' },
    });
    await t.app.workflow.drain();
    // no human study: the inventory reserved the chain at the new address, without a number
    const studied = await get(r.number);
    expect(studied.workflow.tasks.filter((x) => x.node === 'study')).toMatchObject([
      { kind: 'automatic', status: 'done' },
    ]);
    expect(studied.workflow.data.study).toMatchObject({
      feasible: true,
      chain: { cp: 'PC-MED-01', number: null },
    });
    const done = await drive(r.number, {
      ...relocationScript,
      field_works: { outcome: 'done', data: { report: 'moved' } },
    });
    expect(done.status).toBe('completed');
    // the line keeps its number on its new chain; its old pairs are free for others
    const after = (await inventory(`/lines/${first.lineId}`)) as { status: string; chain: { cp: string } };
    // same exchange: the equipment number stays (nothing to change on the switch)
    expect(after).toMatchObject({
      status: 'active',
      chain: { cp: 'PC-MED-01', equipmentNumber: before.chain.equipmentNumber },
    });
    // and the switch has the line on that port, still in service
    expect(net.line(first.lineId!)).toMatchObject({ en: before.chain.equipmentNumber, status: 'IDLE' });
    expect(done.workflow.tasks.find((x) => x.node === 'switch_move')).toMatchObject({ status: 'done' });
    expect(await inventory(`/pairs/${before.chain.distributionPair.id}`)).toMatchObject({ status: 'free' });
    expect(await inventory(`/numbers/${first.lineId}`)).toMatchObject({ status: 'assigned' });
    expect((await subscription(first.subscriptionId!)).plantRef).toMatchObject({
      cp: 'PC-MED-01',
      number: first.lineId,
    });
    // a new address nobody serves: the relocation waits for capacity like a new line
    const held = await create({
      kind: 'relocation',
      customer: c.code,
      subscriptionId: first.subscriptionId,
      address: KEUR_MASSAR,
    });
    await t.app.workflow.drain();
    const waiting = await get(held.number);
    expect(waiting.workflow.tasks.find((x) => x.node === 'wait_capacity')?.status).toBe('held');
    expect(waiting.workflow.data.study).toMatchObject({ feasible: false, cause: 'unequipped_zone' });
  });

  it('suspends and restores a line at the customer’s demand, then terminates it: deposit refunded, line ceased in the inventory', async () => {
    const c = await newCustomer();
    const line = await newMobileLine(c);
    const s = await drive(
      (await create({ kind: 'suspension', customer: c.code, subscriptionId: line.subscriptionId })).number,
      {},
    );
    expect(s.status).toBe('completed');
    expect((await subscription(line.subscriptionId)).status).toBe('suspended');
    expect(await net.subscriber(line.imsi)).toMatchObject({ access: { cs: false, ps: false } });
    const back = await drive(
      (await create({ kind: 'restoration', customer: c.code, subscriptionId: line.subscriptionId })).number,
      {},
    );
    expect(back.status).toBe('completed');
    expect((await subscription(line.subscriptionId)).status).toBe('active');
    expect(await net.subscriber(line.imsi)).toMatchObject({ access: { cs: true, ps: true } });
    expect((await account(line.request.payerId)).balance.depositsHeld).toBe(15000);
    const end = await drive(
      (await create({ kind: 'termination', customer: c.code, subscriptionId: line.subscriptionId })).number,
      { final_account: { outcome: 'settled' } },
    );
    expect(end.status).toBe('completed');
    expect(await net.subscriber(line.imsi)).toMatchObject({ exists: false });
    expect(end.workflow.data.ceasedInInventory).toBe(line.number);
    expect((await subscription(line.subscriptionId)).status).toBe('terminated');
    expect((await account(line.request.payerId)).balance.depositsHeld).toBe(0);
    // the number rests in quarantine before reuse, the technical file is closed
    expect(await inventory(`/numbers/${line.number}`)).toMatchObject({ status: 'quarantine' });
    expect(await inventory(`/lines/${line.number}`)).toMatchObject({ status: 'ceased' });
  });

  it('rejects a blacklisted customer with a letter giving the reason', async () => {
    const c = await newCustomer();
    const sup = await t.login('supervisor');
    expect(
      (await t.call('POST', '/api/v1/blacklist', sup, { customerCode: c.code, reason: 'unpaid bills' }))
        .statusCode,
    ).toBe(201);
    const r = await create({ kind: 'new_line', customer: c.code, productCode: 'FIXE' });
    const done = await drive(r.number, {});
    expect(done.status).toBe('rejected');
    expect(done.reason).toContain('unpaid bills');
    expect(done.documents.find((d) => d.kind === 'sms')?.text).toContain('unpaid bills');
  });

  it('cancelling a request releases its reservation, refunds deposit and fees, and tells the customer', async () => {
    const c = await newCustomer();
    const a = await create({ kind: 'new_line', customer: c.code, productCode: 'FIXE' });
    await drive(a.number, fixedScript, 'mdf_works');
    const before = await get(a.number);
    const chain = (before.workflow.data.study as { chain: Record<string, string> }).chain;
    expect(await inventory(`/numbers/${chain.number}`)).toMatchObject({ status: 'reserved' });
    const cancelled = await t.call('POST', `/api/v1/requests/${a.number}/cancel`, front, {
      reason: 'customer changed their mind',
    });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    const after = cancelled.json() as RequestJson;
    expect(after.status).toBe('cancelled');
    expect(after.workflow.compensations.map((x) => x.action).sort()).toEqual(
      ['request.cancel_invoice', 'request.refund_deposit', 'request.release_inventory'].sort(),
    );
    expect(after.workflow.compensations.every((x) => x.doneAt)).toBe(true);
    expect(after.workflow.tasks.find((x) => x.node === 'mdf_works')?.status).toBe('cancelled');
    // nothing stays reserved: the reservation is released, its number and pairs free again
    expect(await inventory(`/reservations/${chain.reservation}`)).toMatchObject({ status: 'released' });
    expect(await inventory(`/numbers/${chain.number}`)).toMatchObject({ status: 'free' });
    expect(after.subscriptionId).toBeNull();
    // the customer gets a cancellation letter and SMS giving the reason
    const sms = after.documents.filter((d) => d.kind === 'sms');
    expect(sms).toHaveLength(1);
    expect(sms[0]!.text).toContain('customer changed their mind');
    expect(after.documents.filter((d) => d.kind === 'letter')).toHaveLength(1);
    // the deposit came back and what was paid on the cancelled invoice was refunded, not left as a credit
    const acc = await account(after.payerId);
    expect(acc.balance).toMatchObject({ depositsHeld: 0, receivable: 0, openInvoices: 0 });
    expect(acc.entries.map((e) => e.kind)).toContain('refund');
    // the released number goes to the next request that asks for it
    const b = await create({
      kind: 'new_line',
      customer: c.code,
      productCode: 'FIXE',
      preferredNumber: chain.number,
    });
    expect(await drive(b.number, fixedScript)).toMatchObject({ status: 'completed', lineId: chain.number });
  });

  it('cancelling a request withdraws its activation order still waiting for the automaton; one on the element refuses the cancel', async () => {
    const c = await newCustomer();
    const line = await newMobileLine(c);
    const admin = await t.login('admin');
    const orderOf = async (number: string) => {
      const r = await get(number);
      const instance = (r.workflow as unknown as { id: number }).id;
      const res = await t.call('GET', `/api/v1/activation/orders?lineId=${line.number}&limit=100`, admin);
      expect(res.statusCode, res.body).toBe(200);
      const mine = (
        res.json() as { items: { id: number; status: string; instanceId: number | null }[] }
      ).items.filter((o) => o.instanceId === instance);
      expect(mine).toHaveLength(1);
      return mine[0]!;
    };
    const orderStatus = async (id: number) =>
      ((await t.call('GET', `/api/v1/activation/orders/${id}`, admin)).json() as { status: string }).status;

    // the suspension's step queued its order; the automaton has not run yet
    const susp = await create({ kind: 'suspension', customer: c.code, subscriptionId: line.subscriptionId });
    await t.app.workflow.drain();
    const order = await orderOf(susp.number);
    expect(order.status).toBe('pending');
    const cancelled = await t.call('POST', `/api/v1/requests/${susp.number}/cancel`, front, {
      reason: 'the customer paid after all',
    });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect((cancelled.json() as RequestJson).status).toBe('cancelled');
    expect(await orderStatus(order.id)).toBe('cancelled');
    const events = await t.call('GET', `/api/v1/customers/${c.code}/events?limit=100`, front);
    const withdrawn = (
      events.json() as {
        items: { kind: string; entityId: string | number; payload: Record<string, unknown> }[];
      }
    ).items.filter((e) => e.kind === 'activation.order_cancelled' && Number(e.entityId) === order.id);
    expect(withdrawn).toHaveLength(1);
    expect(withdrawn[0]!.payload).toMatchObject({ reason: 'the customer paid after all' });
    // the automaton never runs it: the line stays in service in osmo-hlr
    await t.app.activation.automaton.drain();
    await t.app.workflow.drain();
    expect(await orderStatus(order.id)).toBe('cancelled');
    expect(await net.subscriber(line.imsi)).toMatchObject({ access: { cs: true, ps: true } });
    expect((await subscription(line.subscriptionId)).status).toBe('active');

    // an order already on the element cannot be called back (as TMF641): the cancel is refused
    const again = await create({ kind: 'suspension', customer: c.code, subscriptionId: line.subscriptionId });
    await t.app.workflow.drain();
    const running = await orderOf(again.number);
    // the automaton's claim (as its queue query does it), its lease already over so the next drain runs it
    await sql`UPDATE act_order SET status = 'running', claimed_by = 'test', lease_until = now(), started_at = now()
      WHERE id = ${running.id}`.execute(t.tdb.db);
    const refused = await t.call('POST', `/api/v1/requests/${again.number}/cancel`, front, {
      reason: 'too late',
    });
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json()).toMatchObject({
      code: 'request.activation_in_progress',
      field: 'ref',
      details: { activationOrder: String(running.id), element: expect.any(String) },
    });
    expect((await get(again.number)).status).toBe('open');
    expect(await orderStatus(running.id)).toBe('running');
    // the order runs to its end and the request with it
    const done = await drive(again.number, {});
    expect(done.status).toBe('completed');
    expect(await orderStatus(running.id)).toBe('done');
    expect((await subscription(line.subscriptionId)).status).toBe('suspended');
  });

  it('cancelling a temporary access change leaves its due revert order to run: the line gets its access back', async () => {
    const c = await newCustomer();
    const line = await newMobileLine(c);
    const r = await create({
      kind: 'access_change',
      customer: c.code,
      subscriptionId: line.subscriptionId,
      accessChange: { change: 'bar_data', until: new Date(Date.now() + 7 * 86_400_000).toISOString() },
    });
    expect((await drive(r.number, {})).status).toBe('open');
    expect(await net.subscriber(line.imsi)).toMatchObject({ access: { cs: true, ps: false } });
    // the end date comes: the automaton queues the revert order (of the same workflow instance)
    await sql`UPDATE act_revert SET due_at = now() - interval '1 second' WHERE line_id = ${line.number}`.execute(
      t.tdb.db,
    );
    expect(await t.app.activation.automaton.dueReverts()).toBe(1);
    const revert = await t.tdb.db
      .selectFrom('act_order')
      .select(['id', 'status'])
      .where('line_id', '=', line.number)
      .where('revert_of', 'is not', null)
      .executeTakeFirstOrThrow();
    expect(revert.status).toBe('pending');
    const cancelled = await t.call('POST', `/api/v1/requests/${r.number}/cancel`, front, {
      reason: 'no longer needed',
    });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    // the revert is the automaton's undo of a change already made: it is not withdrawn
    await t.app.activation.automaton.drain();
    const after = await t.tdb.db
      .selectFrom('act_order')
      .select('status')
      .where('id', '=', revert.id)
      .executeTakeFirstOrThrow();
    expect(after.status).toBe('done');
    expect(await net.subscriber(line.imsi)).toMatchObject({ access: { cs: true, ps: true } });
  });

  it('holds a request the inventory finds not feasible, with its cause, and resumes it by itself when pairs are added', async () => {
    const c = await newCustomer({ address: PARCELLES });
    const r = await create({ kind: 'new_line', customer: c.code, productCode: 'FIXE' });
    await t.app.workflow.drain();
    const held = await get(r.number);
    expect(held.workflow.tasks.find((x) => x.node === 'wait_capacity')?.status).toBe('held');
    // the hold carries the inventory's cause, naming the saturated concentration point
    expect(held.workflow.data.study).toMatchObject({
      feasible: false,
      cause: 'saturation',
      elementType: 'cp',
      elementCode: 'PC-PAR-01',
    });
    // and the request is in the inventory's pending requests, behind the demo's older ones
    const waiting = await pending();
    expect(waiting.find((p) => p.requestRef === r.number)).toMatchObject({
      cause: 'saturation',
      elementCode: 'PC-PAR-01',
    });
    // the network service lays more pairs to the CP: no manual signal, the request resumes
    const network = await t.login('network');
    const laid = await t.call('POST', '/api/v1/inventory/cables', network, {
      code: 'CD-PAR-01',
      kind: 'distribution',
      sdf: 'SR-PAR1',
      cp: 'PC-PAR-01',
      pairs: 12,
    });
    expect(laid.statusCode, laid.body).toBeLessThan(300);
    await t.app.requests.resumesSettled();
    const resumed = await get(r.number);
    expect(resumed.workflow.tasks.find((x) => x.node === 'wait_capacity')).toMatchObject({
      status: 'done',
    });
    expect((await pending()).some((p) => p.requestRef === r.number)).toBe(false);
    const done = await drive(r.number, fixedScript);
    expect(done.status).toBe('completed');
    expect(done.workflow.data.study).toMatchObject({ feasible: true, chain: { cp: 'PC-PAR-01' } });
  });

  it('an unequipped zone holds the request until the deadline, then refuses it and leaves the pending requests', async () => {
    const c = await newCustomer({ address: KEUR_MASSAR });
    const r = await create({ kind: 'new_line', customer: c.code, productCode: 'FIXE' });
    await t.app.workflow.drain();
    const held = await get(r.number);
    expect(held.workflow.data.study).toMatchObject({ feasible: false, cause: 'unequipped_zone' });
    expect((await pending()).find((p) => p.requestRef === r.number)).toMatchObject({
      cause: 'unequipped_zone',
    });
    // a periodic recheck studies again and holds again, still waiting; then 90 days pass without
    // capacity: refusal letter, out of the pending requests (the engine's clock is moved forward)
    const engine = t.app.workflow.engine;
    const realClock = engine.clock;
    const clock = new FixedClock(new Date(Date.now() + 25 * 3600_000));
    engine.clock = clock;
    try {
      await t.app.workflow.drain();
      const rechecked = await get(r.number);
      expect(rechecked.workflow.tasks.filter((x) => x.node === 'study')).toHaveLength(2);
      expect(
        rechecked.workflow.tasks.filter((x) => x.node === 'wait_capacity' && x.status === 'held'),
      ).toHaveLength(1);
      expect((await pending()).find((p) => p.requestRef === r.number)).toBeDefined();
      clock.advance(91 * 86_400_000);
      await t.app.workflow.drain();
    } finally {
      engine.clock = realClock;
    }
    const done = await drive(r.number, {});
    expect(done.status).toBe('rejected');
    expect(done.reason).toContain('unequipped zone');
    expect((await pending()).some((p) => p.requestRef === r.number)).toBe(false);
  });

  it('lists baskets by actor, refuses other actors’ baskets, and simulates a scenario without side effects', async () => {
    const c = await newCustomer();
    const placed = await create({ kind: 'new_line', customer: c.code, productCode: 'FIXE' });
    await t.app.workflow.drain();
    const network = await t.login('network');
    const basket = await t.call('GET', '/api/v1/baskets/actors/network_studies', network);
    expect(basket.statusCode).toBe(200);
    // each task names its request by the number the agents know, beside the workflow's subject
    const supervisor = await t.login('admin');
    const open = (
      (await t.call('GET', `/api/v1/requests/${placed.number}`, supervisor)).json() as RequestJson
    ).workflow.tasks.find((x) => x.kind === 'human' && x.status === 'ready');
    expect(open).toBeDefined();
    const theirs = await t.call('GET', `/api/v1/baskets/actors/${open!.actor}`, supervisor);
    const mine = (
      theirs.json() as { items: { id: number; subject: string; subjectRef: string }[] }
    ).items.find((x) => x.id === open!.id);
    expect(mine).toMatchObject({
      subjectRef: placed.number,
      subject: expect.stringMatching(/^service_request:\d+$/),
    });
    expect((basket.json() as { items: TaskJson[] }).items.every((x) => x.actor === 'network_studies')).toBe(
      true,
    );
    expect((await t.call('GET', '/api/v1/baskets/actors/finance', network)).statusCode).toBe(403);
    expect(
      (await t.call('POST', '/api/v1/requests', network, { kind: 'new_line', customer: c.code })).statusCode,
    ).toBe(403);
    const before = await t.tdb.db
      .selectFrom('wf_task')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const sim = await t.call('POST', '/api/v1/scenarios/simulate', front, {
      code: 'new_fixed_wired',
      data: { zone: 'DAKAR', request: { number: 'R-SIM' }, capacityDeadline: '2030-01-01T00:00:00Z' },
      outcomes: { study: 'not_feasible' },
    });
    expect(sim.statusCode, sim.body).toBe(200);
    const path = (sim.json() as { steps: { node: string }[] }).steps.map((s) => s.node);
    expect(path).toContain('wait_capacity');
    const after = await t.tdb.db
      .selectFrom('wf_task')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    const admin = await t.login('admin');
    const exported = await t.call('GET', '/api/v1/scenarios/suspension/export', admin);
    expect(exported.statusCode).toBe(200);
    const doc = exported.json() as { name: string };
    const imported = await t.call('POST', '/api/v1/scenarios/import', admin, {
      ...doc,
      name: 'Suspension v2',
    });
    expect(imported.statusCode, imported.body).toBe(201);
    expect(imported.json().version).toBe(2);
    const bad = await t.call('POST', '/api/v1/scenarios/validate', admin, { ...doc, start: ['nowhere'] });
    expect(bad.json()).toMatchObject({
      valid: false,
      issues: expect.arrayContaining([expect.objectContaining({ path: 'start[0]' })]),
    });
  });
});
