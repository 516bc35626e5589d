import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';

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
const nextNumber = (prefix: string) => `${prefix}${String(100000 + ++seq)}`;
const nextIccid = () => `8922101${String(1000000000000 + ++seq)}`;

describe('service requests end to end over HTTP', () => {
  let t: TestApp;
  let front: string;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.requests.loadDefaultScenarios();
    front = await t.login('commercial');
  });
  afterAll(async () => t?.close());

  const newCustomer = async (over: Record<string, unknown> = {}) => {
    const res = await t.call('POST', '/api/v1/customers', front, {
      kind: 'person',
      lastName: 'Sarr',
      firstNames: `Fatou ${++seq}`,
      address: { street: 'Rue 10', locality: 'Dakar' },
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
            `no script for ${task.node} (${r.workflow.tasks.map((x) => `${x.node}:${x.status}`).join(' ')})`,
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
  const fixedScript = (number: string): Script => ({
    ...money,
    study_network: { outcome: 'feasible', data: { notes: 'cable C12 has free pairs' } },
    study_switching: { outcome: 'feasible', data: { equipmentNumber: 'EQ-DKR-0042' } },
    study_mdf: { outcome: 'feasible', data: { pair: 'V12/H034' } },
    study_stock: { outcome: 'feasible' },
    number_assignment: { outcome: 'assigned', data: { directoryNumber: number } },
    mdf_works: { outcome: 'done' },
    field_works: { outcome: 'done', data: { report: 'line installed, tone OK' } },
  });
  const mobileScript = (number: string, iccid: string): Script => ({
    ...money,
    sim_assignment: { outcome: 'assigned', data: { directoryNumber: number, simIccid: iccid } },
  });
  const subscription = async (id: number) => {
    const res = await t.call('GET', `/api/v1/subscriptions/${id}`, front);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as {
      status: string;
      directoryNumber: string | null;
      simIccid: string | null;
      equipmentNumber: string | null;
      plantRef: unknown;
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

  const newMobileLine = async (customer: { code: string }) => {
    const number = nextNumber('77');
    const iccid = nextIccid();
    const r = await create({ kind: 'new_line', customer: customer.code, productCode: 'MOBILE-POST' });
    const done = await drive(r.number, mobileScript(number, iccid));
    expect(done.status).toBe('completed');
    return { request: done, number, iccid, subscriptionId: done.subscriptionId! };
  };

  it('new fixed wired line: studies side by side, quote, deposit, invoice, payment, number, works, active line, reply', async () => {
    const c = await newCustomer();
    const number = nextNumber('33');
    const r = await create({ kind: 'new_line', customer: c.code, productCode: 'FIXE' });
    expect(r.workflow.tasks.map((x) => x.node)).toEqual(['check_customer']);
    const done = await drive(r.number, fixedScript(number));
    expect(done).toMatchObject({ status: 'completed', lineId: number });
    const s = await subscription(done.subscriptionId!);
    expect(s).toMatchObject({ status: 'active', directoryNumber: number, equipmentNumber: 'EQ-DKR-0042' });
    expect(s.plantRef).toMatchObject({ pair: 'V12/H034', zone: 'DAKAR' });
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

  it('new fixed radio line', async () => {
    const c = await newCustomer();
    const number = nextNumber('33');
    const r = await create({ kind: 'new_line', customer: c.code, productCode: 'FIXE-RADIO' });
    expect(r.workflow.data).toMatchObject({ product: { kind: 'fixed_radio', deposit: 25000 } });
    const done = await drive(r.number, fixedScript(number));
    expect(done.status).toBe('completed');
    expect(done.workflow.tasks.some((x) => x.node === 'study_mdf')).toBe(false);
    expect((await subscription(done.subscriptionId!)).status).toBe('active');
  });

  it('new mobile lines, postpaid with a deposit by category and prepaid without', async () => {
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
    expect(await subscription(post.subscriptionId)).toMatchObject({
      status: 'active',
      directoryNumber: post.number,
      simIccid: post.iccid,
    });
    const number = nextNumber('76');
    const iccid = nextIccid();
    const r = await create({ kind: 'new_line', customer: c.code, productCode: 'MOBILE-PREP' });
    const done = await drive(r.number, mobileScript(number, iccid));
    expect(done.status).toBe('completed');
    expect(done.workflow.tasks.some((x) => x.node === 'deposit' || x.node === 'quote')).toBe(false);
    expect(await subscription(done.subscriptionId!)).toMatchObject({ status: 'active', simIccid: iccid });
  });

  it('adds and removes an option, with the deposit the option asks', async () => {
    const c = await newCustomer();
    const line = await newMobileLine(c);
    const add = await create({
      kind: 'add_option',
      customer: c.code,
      subscriptionId: line.subscriptionId,
      productCode: 'OPT-INTER',
    });
    const added = await drive(add.number, { ...money, switching_apply: { outcome: 'done' } });
    expect(added.status).toBe('completed');
    expect(added.workflow.tasks.find((x) => x.node === 'deposit')?.status).toBe('done');
    const optionId = added.subscriptionId!;
    expect((await subscription(optionId)).status).toBe('active');
    const remove = await create({ kind: 'remove_option', customer: c.code, subscriptionId: optionId });
    const removed = await drive(remove.number, { switching_apply: { outcome: 'done' } });
    expect(removed.status).toBe('completed');
    expect((await subscription(optionId)).status).toBe('terminated');
  });

  it('applies a temporary change of access rights and reverts it at its end date', async () => {
    const c = await newCustomer();
    const line = await newMobileLine(c);
    const until = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const r = await create({
      kind: 'access_change',
      customer: c.code,
      subscriptionId: line.subscriptionId,
      accessChange: { change: 'bar_international', until },
    });
    let now = await drive(r.number, { switching_apply: { outcome: 'done' } });
    expect(now.status).toBe('open');
    expect(now.workflow.tasks.find((x) => x.node === 'until_end')?.status).toBe('waiting');
    await t.app.workflow.timers(new Date(Date.parse(until) + 1000));
    now = await drive(r.number, { switching_revert: { outcome: 'done' } });
    expect(now.status).toBe('completed');
  });

  it('replaces a SIM card', async () => {
    const c = await newCustomer();
    const line = await newMobileLine(c);
    const iccid = nextIccid();
    const r = await create({
      kind: 'sim_replacement',
      customer: c.code,
      subscriptionId: line.subscriptionId,
    });
    const done = await drive(r.number, {
      sim_assignment: { outcome: 'assigned', data: { simIccid: iccid } },
    });
    expect(done.status).toBe('completed');
    expect((await subscription(line.subscriptionId)).simIccid).toBe(iccid);
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

  it('relocates a fixed line', async () => {
    const c = await newCustomer();
    const number = nextNumber('33');
    const first = await drive(
      (await create({ kind: 'new_line', customer: c.code, productCode: 'FIXE' })).number,
      fixedScript(number),
    );
    const r = await create({
      kind: 'relocation',
      customer: c.code,
      subscriptionId: first.subscriptionId,
      address: { street: 'Avenue Bourguiba', locality: 'Dakar' },
    });
    const done = await drive(r.number, {
      study_network: { outcome: 'feasible' },
      study_mdf: { outcome: 'feasible', data: { pair: 'V02/H101' } },
      field_works: { outcome: 'done', data: { report: 'moved' } },
    });
    expect(done.status).toBe('completed');
    expect((await subscription(first.subscriptionId!)).plantRef).toMatchObject({
      pair: 'V02/H101',
      address: 'Avenue Bourguiba Dakar',
    });
  });

  it('suspends and restores a line at the customer’s demand, then terminates it and refunds the deposit', async () => {
    const c = await newCustomer();
    const line = await newMobileLine(c);
    const s = await drive(
      (await create({ kind: 'suspension', customer: c.code, subscriptionId: line.subscriptionId })).number,
      {
        switching_apply: { outcome: 'done' },
      },
    );
    expect(s.status).toBe('completed');
    expect((await subscription(line.subscriptionId)).status).toBe('suspended');
    const back = await drive(
      (await create({ kind: 'restoration', customer: c.code, subscriptionId: line.subscriptionId })).number,
      {
        switching_apply: { outcome: 'done' },
      },
    );
    expect(back.status).toBe('completed');
    expect((await subscription(line.subscriptionId)).status).toBe('active');
    expect((await account(line.request.payerId)).balance.depositsHeld).toBe(15000);
    const end = await drive(
      (await create({ kind: 'termination', customer: c.code, subscriptionId: line.subscriptionId })).number,
      {
        final_account: { outcome: 'settled' },
        switching_apply: { outcome: 'done' },
      },
    );
    expect(end.status).toBe('completed');
    expect((await subscription(line.subscriptionId)).status).toBe('terminated');
    expect((await account(line.request.payerId)).balance.depositsHeld).toBe(0);
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

  it('cancelling a request releases the number and refunds the deposit; nothing stays reserved', async () => {
    const c = await newCustomer();
    const number = nextNumber('77');
    const stock = await t.login('stock');
    const a = await create({ kind: 'new_line', customer: c.code, productCode: 'MOBILE-POST' });
    const b = await create({ kind: 'new_line', customer: c.code, productCode: 'MOBILE-POST' });
    await drive(a.number, { ...money }, 'sim_assignment');
    await drive(b.number, { ...money }, 'sim_assignment');
    const simOf = async (n: string) =>
      (await get(n)).workflow.tasks.find((x) => x.node === 'sim_assignment' && x.status === 'ready')!;
    const assign = (taskId: number, directoryNumber: string) =>
      t.call('POST', `/api/v1/tasks/${taskId}/complete`, stock, {
        outcome: 'assigned',
        data: { directoryNumber, simIccid: nextIccid() },
      });
    expect((await assign((await simOf(a.number)).id, number)).statusCode).toBe(200);
    // the number is held by A: B cannot take it
    const clash = await assign((await simOf(b.number)).id, number);
    expect(clash.statusCode).toBe(409);
    expect(clash.json().code).toBe('request.reserved');
    // A is cancelled before its line is set up
    const cancelled = await t.call('POST', `/api/v1/requests/${a.number}/cancel`, front, {
      reason: 'customer changed their mind',
    });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    const after = cancelled.json() as RequestJson;
    expect(after.status).toBe('cancelled');
    expect(after.workflow.compensations.map((x) => x.action).sort()).toEqual(
      [
        'request.cancel_invoice',
        'request.refund_deposit',
        'request.release_reservation',
        'request.release_reservation',
      ].sort(),
    );
    expect(after.workflow.compensations.every((x) => x.doneAt)).toBe(true);
    expect(after.workflow.tasks.find((x) => x.node === 'activate')?.status).toBe('cancelled');
    const live = await t.tdb.db
      .selectFrom('request_reservation as rr')
      .innerJoin('service_request as sr', 'sr.id', 'rr.request_id')
      .select('rr.value')
      .where('sr.number', '=', a.number)
      .where('rr.status', '=', 'reserved')
      .execute();
    expect(live).toEqual([]);
    // the released number goes to B, whose line is set up with it
    expect((await assign((await simOf(b.number)).id, number)).statusCode).toBe(200);
    const done = await drive(b.number, {});
    expect(done).toMatchObject({ status: 'completed', lineId: number });
    expect((await get(a.number)).subscriptionId).toBeNull();
    // A's deposit came back and its paid invoice was cancelled: only B's deposit is held and what
    // A's customer paid for fees (5 000 + 18 %) stays on the account as a credit
    expect((await account(after.payerId)).balance).toMatchObject({
      depositsHeld: 15000,
      receivable: -5900,
      openInvoices: 0,
    });
  });

  it('puts a not-feasible request on hold and resumes it when capacity is added in its zone', async () => {
    const c = await newCustomer();
    const r = await create({ kind: 'new_line', customer: c.code, productCode: 'FIXE' });
    await drive(r.number, {}, 'study_mdf');
    const mdfTask = (await get(r.number)).workflow.tasks.find((x) => x.node === 'study_mdf')!;
    const mdf = await t.login('mdf');
    const res0 = await t.call('POST', `/api/v1/tasks/${mdfTask.id}/complete`, mdf, {
      outcome: 'not_feasible',
      data: { notes: 'cable saturated' },
    });
    expect(res0.statusCode, res0.body).toBe(200);
    const now = await get(r.number);
    expect(now.workflow.tasks.find((x) => x.node === 'wait_capacity')?.status).toBe('held');
    expect(now.workflow.tasks.find((x) => x.node === 'study_network')?.status).toBe('cancelled');
    const sup = await t.login('supervisor');
    const res = await t.call('POST', '/api/v1/workflow/signals', sup, {
      event: 'inventory.capacity_added',
      payload: { zone: 'DAKAR' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const after = await get(r.number);
    expect(after.workflow.tasks.filter((x) => x.node === 'study_mdf' && x.status === 'ready')).toHaveLength(
      1,
    );
    await t.call('POST', `/api/v1/requests/${r.number}/cancel`, front, { reason: 'test over' });
  });

  it('lists baskets by actor, refuses other actors’ baskets, and simulates a scenario without side effects', async () => {
    const c = await newCustomer();
    await create({ kind: 'new_line', customer: c.code, productCode: 'FIXE' });
    await t.app.workflow.drain();
    const network = await t.login('network');
    const basket = await t.call('GET', '/api/v1/baskets/actors/network_studies', network);
    expect(basket.statusCode).toBe(200);
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
      data: { zone: 'DAKAR' },
      outcomes: { study_mdf: 'not_feasible' },
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
