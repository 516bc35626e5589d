import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { SYSTEM } from '../../platform/events.js';
import { SwitchSimulator } from '../activation/index.js';
import { runBilling } from './invoice-run.js';
import { makeCustomer, makeLine } from './test-fixtures.js';

interface TaskJson {
  id: number;
  node: string;
  kind: string;
  actor: string;
  status: string;
}
interface RequestJson {
  number: string;
  status: string;
  scenario: string;
  workflow: { tasks: TaskJson[] };
}

let t: TestApp;
let sup: string;
let fin: string;
let cust: { customerId: number; code: string; payerId: number; payerCode: string };
let line: { id: number; code: string };
let sim: SwitchSimulator;
const DN = '338219999';

beforeAll(async () => {
  t = await createTestApp();
  await t.app.requests.loadDefaultScenarios();
  sup = await t.login('supervisor');
  fin = await t.login('finance');
  cust = await makeCustomer(t.tdb.db, { name: 'Ndiaye' });
  line = await makeLine(t.tdb.db, cust, 'FIXE', [['active', '2025-12-01T08:00:00Z']], { number: DN });
  // the line exists on the switch (the simulator), where collection's automaton acts on it
  sim = new SwitchSimulator({ name: 'SW1' });
  const port = await sim.start();
  await t.app.activation.service.upsertElement(
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
  await t.app.activation.service.order(
    { operation: 'fixed.activate', lineId: DN, params: { dn: DN, en: '03-02-001' } },
    SYSTEM,
  );
  await t.app.activation.automaton.drain();
  // January billed on 1 February: long overdue by now
  await runBilling(t.tdb.db, 'XOF', { period: '2026-01', at: new Date('2026-02-01T06:00:00Z') }, SYSTEM);
});
afterAll(async () => {
  await t?.app.activation.stop();
  await sim?.stop();
  await t?.close();
});

const request = async (number: string) => {
  const r = await t.call('GET', `/api/v1/requests/${number}`, sup);
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as RequestJson;
};

/** Workflow workers and the activation automaton, until neither has anything left to do. */
const settle = async () => {
  for (let i = 0; i < 6; i++) {
    const a = await t.app.workflow.drain();
    await t.app.activation.automaton.drain();
    const b = await t.app.workflow.drain();
    if (a + b === 0 && i > 0) return;
  }
};

describe('billing cycle over HTTP', () => {
  it('guards every route with its right', async () => {
    expect((await t.call('POST', '/api/v1/billing/runs', fin, { period: '2026-02' })).statusCode).toBe(403);
    expect(
      (await t.call('GET', `/api/v1/payers/${cust.payerId}/invoices`, await t.login('enquiries'))).statusCode,
    ).toBe(403);
    expect((await t.call('POST', '/api/v1/billing/collection/runs', fin)).statusCode).toBe(403);
    expect((await t.call('POST', '/api/v1/ledger/periods/2026-02/close', fin)).statusCode).toBe(403);
    const bad = await t.call('POST', '/api/v1/billing/runs', sup, { period: '2026-13' });
    expect(bad.statusCode).toBe(400);
    expect((await t.call('GET', '/api/v1/invoices/99999999999999999999', fin)).statusCode).toBe(404);
    expect((await t.call('GET', '/api/v1/payments/P202600000999', fin)).json()).toMatchObject({
      code: 'payment.not_found',
    });
    const notHis = await t.call('POST', '/api/v1/payments', fin, {
      payerId: cust.payerId,
      amount: 10,
      method: 'cash',
      invoiceNumber: 'F209900000001',
    });
    expect(notHis.json()).toMatchObject({ status: 404, code: 'invoice.not_found' });
    const early = await t.call('POST', '/api/v1/billing/runs', sup, { period: '2099-01' });
    expect(early.json()).toMatchObject({ status: 422, code: 'billing.period_not_ended' });
  });

  it('runs a cycle, prints it, dunns, gets paid, restores and centralises', async () => {
    const run = await t.call('POST', '/api/v1/billing/runs', sup, { period: '2026-02' });
    expect(run.statusCode, run.body).toBe(201);
    expect(run.json()).toMatchObject({ invoices: 1, amountTotal: 5900 });
    const runId = (run.json() as { runId: number }).runId;

    const list = await t.call('GET', `/api/v1/payers/${cust.payerId}/invoices`, fin);
    const invoices = (list.json() as { items: { number: string; total: number; periodStart: string }[] })
      .items;
    expect(invoices.map((i) => [i.periodStart, i.total])).toEqual([
      ['2026-02-01', 5900],
      ['2026-01-01', 5900],
    ]);
    const jan = invoices[1]!.number;
    const pdf = await t.call('GET', `/api/v1/invoices/${jan}/pdf`, fin);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const batch = await t.call('GET', `/api/v1/billing/runs/${runId}/print`, fin);
    expect(batch.statusCode).toBe(200);
    expect(batch.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');

    // collection: every step is due for a debt overdue since February
    const rule = await t.call('PUT', '/api/v1/billing/collection/rules/STANDARD', sup, {
      reminderDay: 0,
      limitationDay: 10,
      suspensionDay: 20,
      terminationDay: 60,
    });
    expect(rule.statusCode, rule.body).toBe(200);
    const coll = await t.call('POST', '/api/v1/billing/collection/runs', sup);
    expect(coll.statusCode, coll.body).toBe(200);
    expect(coll.json()).toMatchObject({
      debtors: 1,
      reminders: 1,
      limitations: 1,
      suspensions: 1,
      terminationProposals: 1,
      errors: [],
    });
    const [limitation, suspension] = (coll.json() as { requests: string[] }).requests;
    expect((await request(limitation!)).scenario).toBe('collection_limitation');
    expect((await request(suspension!)).scenario).toBe('collection_suspension');
    // a second run the same day does nothing more
    const again = await t.call('POST', '/api/v1/billing/collection/runs', sup);
    expect(again.json()).toMatchObject({ reminders: 0, limitations: 0, suspensions: 0, requests: [] });

    // the activation automaton bars outgoing calls and suspends the line on the switch
    await settle();
    expect(sim.lines.get(DN)).toMatchObject({ barring: 'OUTG', blocked: true });
    expect((await request(limitation!)).status).toBe('open');
    expect((await request(suspension!)).status).toBe('completed');
    const suspended = await t.tdb.db
      .selectFrom('subscription')
      .select('status')
      .where('id', '=', line.id)
      .executeTakeFirstOrThrow();
    expect(suspended.status).toBe('suspended');

    // the customer pays everything at the cash desk: oldest invoice first, then restoration
    const pay = await t.call('POST', '/api/v1/payments', fin, {
      payerId: cust.payerId,
      amount: 11800,
      method: 'cash',
    });
    expect(pay.statusCode, pay.body).toBe(201);
    expect(pay.json()).toMatchObject({
      allocations: [
        { invoice: jan, amount: 5900 },
        { invoice: invoices[0]!.number, amount: 5900 },
      ],
      unallocated: 0,
    });
    const receipt = await t.call(
      'GET',
      `/api/v1/payments/${(pay.json() as { number: string }).number}/receipt`,
      fin,
    );
    expect(receipt.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');

    const cases = await t.call('GET', `/api/v1/billing/collection/cases?payerId=${cust.payerId}`, fin);
    const kase = (
      cases.json() as { items: { closeReason: string; stage: string; actions: { stage: string }[] }[] }
    ).items[0]!;
    expect(kase).toMatchObject({ closeReason: 'debt paid', stage: 'termination_proposal' });
    expect(kase.actions.map((a) => a.stage)).toEqual([
      'reminder',
      'limitation',
      'suspension',
      'termination_proposal',
    ]);
    const restored = await t.tdb.db
      .selectFrom('event')
      .select('payload')
      .where('kind', '=', 'collection.restored')
      .where('customer_id', '=', cust.customerId)
      .executeTakeFirstOrThrow();
    const restoration = (restored.payload as { restorations: { request: string; action: string }[] })
      .restorations[0]!;
    expect(restoration.action).toBe('restoration');
    // the limitation was waiting for the payment: the automaton lifts the barring and restores
    await settle();
    expect((await request(limitation!)).status).toBe('completed');
    expect((await request(restoration.request)).status).toBe('completed');
    expect(sim.lines.get(DN)).toMatchObject({ barring: 'NONE', blocked: false });
    const active = await t.tdb.db
      .selectFrom('subscription')
      .select('status')
      .where('id', '=', line.id)
      .executeTakeFirstOrThrow();
    expect(active.status).toBe('active');

    const timeline = await t.tdb.db
      .selectFrom('event')
      .select('kind')
      .where('customer_id', '=', cust.customerId)
      .where('kind', 'like', 'collection.%')
      .orderBy('id')
      .execute();
    expect(timeline.map((e) => e.kind)).toEqual([
      'collection.opened',
      'collection.reminder',
      'collection.limitation',
      'collection.suspension',
      'collection.termination_proposal',
      'collection.restored',
    ]);

    const statement = await t.call('GET', `/api/v1/payers/${cust.payerId}/statement?from=2026-01-01`, fin);
    expect(statement.json()).toMatchObject({ openingBalance: 0, closingBalance: 0 });
    const account = await t.call('GET', `/api/v1/customers/${cust.code}/billing-account`, fin);
    expect(account.json()).toMatchObject({ totals: { balance: 0, overdue: 0 } });
  });

  it('centralises a period, closes it once and freezes it', async () => {
    const j = await t.call('GET', '/api/v1/ledger/periods/2026-02/journal', fin);
    expect(j.statusCode, j.body).toBe(200);
    expect(j.json()).toMatchObject({
      balanced: true,
      totalDebit: 5900,
      lines: [
        { account: '411100', debit: 5900, credit: 0 },
        { account: '443100', debit: 0, credit: 900 },
        { account: '706100', debit: 0, credit: 5000 },
      ],
    });
    const close = await t.call('POST', '/api/v1/ledger/periods/2026-02/close', sup);
    expect(close.statusCode, close.body).toBe(200);
    expect((await t.call('POST', '/api/v1/ledger/periods/2026-02/close', sup)).json()).toMatchObject({
      code: 'ledger.period_closed',
    });
    expect((await t.call('GET', '/api/v1/ledger/periods/2026-02/journal', fin)).statusCode).toBe(409);
    const csv = await t.call('GET', '/api/v1/ledger/periods/2026-02/export.csv', fin);
    expect(csv.body.split('\n').slice(0, 2)).toEqual([
      'journal,period,date,account,label,debit,credit,currency,entries',
      'VTE,2026-02,2026-02-28,411100,Particuliers,5900,0,XOF,1',
    ]);
    await expect(
      sql`INSERT INTO billing_ledger_entry (payer_id, customer_id, account, kind, amount, currency, description, occurred_at)
          VALUES (${cust.payerId}, ${cust.customerId}, 'receivable', 'credit', -1, 'XOF', 'late', '2026-02-10T00:00:00Z')`.execute(
        t.tdb.db,
      ),
    ).rejects.toThrow(/closed/);
  });

  it('delivers a run on paper and by e-mail, and settles a deposit with its receipt', async () => {
    const runs = await t.tdb.db.selectFrom('billing_run').select('id').orderBy('id').execute();
    const runId = runs.at(-1)!.id;
    const early = await t.call('GET', `/api/v1/billing/runs/${runId}/print/paper`, fin);
    expect(early.json()).toMatchObject({ status: 409, code: 'billing.delivery_not_prepared' });
    expect((await t.call('POST', `/api/v1/billing/runs/${runId}/delivery`, fin)).statusCode).toBe(403);
    const prep = await t.call('POST', `/api/v1/billing/runs/${runId}/delivery`, sup);
    expect(prep.statusCode, prep.body).toBe(200);
    expect(prep.json()).toMatchObject({ runId, email: 0, paper: 1 });
    const paper = await t.call('GET', `/api/v1/billing/runs/${runId}/print/paper`, fin);
    expect(paper.statusCode).toBe(200);
    expect(paper.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const queue = await t.call('GET', '/api/v1/billing/mail', fin);
    expect(queue.json()).toMatchObject({ configured: false, counts: { queued: 0, sent: 0 } });
    const send = await t.call('POST', '/api/v1/billing/mail/send', sup, {});
    expect(send.json()).toMatchObject({ status: 503, code: 'mail.not_configured' });

    const dep = await t.tdb.db.transaction().execute((trx) =>
      t.app.billing.ledger.receiveDeposit(
        trx,
        {
          payerId: cust.payerId,
          customerId: cust.customerId,
          amount: 12_000,
          method: 'cash',
          reference: null,
          source: { type: 'test', id: 'http' },
          at: new Date(),
        },
        SYSTEM,
      ),
    );
    const settle = await t.call('POST', `/api/v1/deposits/${dep.depositId}/settle`, fin, {
      reason: 'line terminated',
    });
    expect(settle.statusCode, settle.body).toBe(200);
    const st = settle.json() as { number: string; applied: number; refunded: number };
    expect(st).toMatchObject({ applied: 0, refunded: 12_000 });
    const got = await t.call('GET', `/api/v1/deposit-settlements/${st.number}`, fin);
    expect(got.json()).toMatchObject({ number: st.number, depositId: dep.depositId, refunded: 12_000 });
    const receipt = await t.call('GET', `/api/v1/deposit-settlements/${st.number}/receipt`, fin);
    expect(receipt.headers['content-type']).toBe('application/pdf');
    expect(receipt.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    expect((await t.call('GET', '/api/v1/deposit-settlements/DG209900000001', fin)).json()).toMatchObject({
      status: 404,
      code: 'deposit.settlement_not_found',
    });
    expect(
      (await t.call('GET', `/api/v1/deposit-settlements/${st.number}`, await t.login('enquiries')))
        .statusCode,
    ).toBe(403);
  });
});
