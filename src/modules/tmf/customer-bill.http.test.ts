import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { SYSTEM } from '../../platform/events.js';
import { runBilling } from '../billing/invoice-run.js';
import { makeCustomer, makeLine } from '../billing/test-fixtures.js';
import { TmfHub } from './hub-dispatcher.js';
import { tmfApisOf } from './index.js';

const BILL = '/tmf-api/customerBillManagement/v4';
let t: TestApp;
let admin: string;
let cust: { customerId: number; code: string; payerId: number; payerCode: string };
let runId: number;

type Obj = Record<string, unknown> & { id: string; href: string };
type Bill = Obj & {
  state: string;
  category: string;
  runType: string;
  amountDue: { value: number; unit: string };
  taxExcludedAmount: { value: number };
  remainingAmount: { value: number };
  billDocument: { url: string }[];
  billCycle?: { id: string };
};
interface NativeInvoice {
  number: string;
  kind: string;
  total: number;
  amountExclTax: number;
  taxAmount: number;
  status: string;
  creditedAmount: number;
  lines: { label: string; amount: number }[];
}

async function charge(payerId: number, kind: 'one_off' | 'adjustment', label: string, amount: number) {
  const res = await t.call('POST', `/api/v1/payers/${payerId}/charges`, admin, { kind, label, amount });
  expect(res.statusCode, res.body).toBe(201);
}

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.login('admin');
  cust = await makeCustomer(t.tdb.db, { name: 'Ndoye' });
  await makeLine(t.tdb.db, cust, 'FIXE', [['active', '2025-12-01T08:00:00Z']], { number: '338217701' });
  runId = (
    await runBilling(t.tdb.db, 'XOF', { period: '2026-01', at: new Date('2026-02-01T06:00:00Z') }, SYSTEM)
  ).runId;
});
afterAll(async () => {
  await t?.close();
});

describe('TMF678 customerBillOnDemand', () => {
  it('bills the charges waiting for the next bill now: a real invoice, the native API’s and its PDF', async () => {
    await charge(cust.payerId, 'one_off', 'Déplacement technicien', 5000);
    await charge(cust.payerId, 'adjustment', 'Régularisation de consommations', 2000);
    const res = await t.call('POST', `${BILL}/customerBillOnDemand`, admin, {
      name: 'Facture de départ',
      description: 'le client quitte Dakar',
      billingAccount: { id: cust.payerCode },
      relatedParty: { id: cust.code, '@referredType': 'Customer' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const od = res.json() as Obj & { state: string; customerBill: { id: string } };
    expect(res.headers.location).toBe(od.href);
    expect(od).toMatchObject({
      state: 'done',
      name: 'Facture de départ',
      billingAccount: { id: cust.payerCode },
      relatedParty: { id: cust.code },
    });
    expect(swaggerErrors('TMF678', 'CustomerBillOnDemand', od)).toEqual([]);

    const native = (
      await t.call('GET', `/api/v1/invoices/${od.customerBill.id}`, admin)
    ).json() as NativeInvoice;
    expect(native.kind).toBe('one_off');
    expect(native.amountExclTax).toBe(7000);
    expect(native.lines.map((l) => [l.label, l.amount])).toEqual([
      ['Déplacement technicien', 5000],
      ['Régularisation de consommations', 2000],
    ]);
    // TVA18: 18 % of 7,000, rounded once on the total
    expect(native.taxAmount).toBe(1260);
    const bill = (await t.call('GET', `${BILL}/customerBill/${od.customerBill.id}`, admin)).json() as Bill;
    expect(bill).toMatchObject({
      state: 'sent',
      category: 'one-off',
      runType: 'offCycle',
      amountDue: { unit: 'XOF', value: native.total },
      taxExcludedAmount: { value: 7000 },
      remainingAmount: { value: 8260 },
    });
    expect(bill.billCycle).toBeUndefined();
    expect(bill.financialAccount).toMatchObject({ id: cust.code, '@referredType': 'FinancialAccount' });
    const fa = await t.call('GET', new URL((bill.financialAccount as { href: string }).href).pathname, admin);
    expect(fa.json()).toMatchObject({ id: cust.code, '@type': 'FinancialAccount' });
    expect(swaggerErrors('TMF678', 'CustomerBill', bill)).toEqual([]);
    const pdf = await t.app.http.inject({
      method: 'GET',
      url: new URL(bill.billDocument[0]?.url ?? '').pathname,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toContain('application/pdf');
    // the ledger owes it; the journal has the issue with its user
    const account = (await t.call('GET', `/api/v1/payers/${cust.payerId}/account`, admin)).json() as {
      balance: { receivable: number };
    };
    const january = (
      (
        await t.call('GET', `${BILL}/customerBill?billingAccount.id=${cust.payerCode}&runType=onCycle`, admin)
      ).json() as Bill[]
    )[0] as Bill;
    expect(account.balance.receivable).toBe(january.amountDue.value + 8260);

    // read back, by id and by filters, with a projection
    const one = await t.call('GET', new URL(od.href).pathname, admin);
    expect(one.json()).toEqual(od);
    const byBill = await t.call(
      'GET',
      `${BILL}/customerBillOnDemand?customerBill.id=${bill.id}&fields=state`,
      admin,
    );
    expect(byBill.headers['x-total-count']).toBe('1');
    expect(byBill.json()).toEqual([
      { id: od.id, href: od.href, state: 'done', '@type': 'CustomerBillOnDemand' },
    ]);
    const list = (
      await t.call('GET', `${BILL}/customerBillOnDemand?billingAccount.id=${cust.payerCode}`, admin)
    ).json() as Obj[];
    expect(list.map((x) => x.id)).toEqual([od.id]);
    for (const x of list) expect(swaggerErrors('TMF678', 'CustomerBillOnDemand', x)).toEqual([]);

    // billed once: the next cycle's invoice does not bill those charges again
    await runBilling(t.tdb.db, 'XOF', { period: '2026-02', at: new Date('2026-03-01T06:00:00Z') }, SYSTEM);
    const feb = (
      (
        await t.call('GET', `${BILL}/customerBill?billingAccount.id=${cust.payerCode}&runType=onCycle`, admin)
      ).json() as Bill[]
    )[1] as Bill;
    const febNative = (await t.call('GET', `/api/v1/invoices/${feb.id}`, admin)).json() as NativeInvoice;
    expect(febNative.lines.map((l) => l.label)).not.toContain('Déplacement technicien');
    expect(febNative.amountExclTax).toBe(january.taxExcludedAmount.value);
  });

  it('settles an on-demand bill with the credit on the account first, as a run does', async () => {
    const other = await makeCustomer(t.tdb.db, { name: 'Faye' });
    const pay = await t.call('POST', '/tmf-api/payment/v4/payment', admin, {
      account: { id: other.payerCode },
      paymentMethod: { name: 'cash', '@type': 'Cash' },
      totalAmount: { unit: 'XOF', value: 10_000 },
    });
    expect(pay.statusCode, pay.body).toBe(201);
    await charge(other.payerId, 'one_off', 'Duplicata de contrat', 1000);
    const res = await t.call('POST', `${BILL}/customerBillOnDemand`, admin, {
      billingAccount: { id: other.payerCode },
    });
    expect(res.statusCode, res.body).toBe(201);
    const bill = (
      await t.call(
        'GET',
        `${BILL}/customerBill/${(res.json() as { customerBill: { id: string } }).customerBill.id}`,
        admin,
      )
    ).json() as Bill;
    expect(bill).toMatchObject({
      state: 'settled',
      amountDue: { value: 1180 },
      remainingAmount: { value: 0 },
    });
    const account = (await t.call('GET', `/api/v1/payers/${other.payerId}/account`, admin)).json() as {
      balance: { receivable: number };
    };
    expect(account.balance.receivable).toBe(-10_000 + 1180);
  });

  it('refuses what cannot be billed, naming the field; rights', async () => {
    const nothing = await t.call('POST', `${BILL}/customerBillOnDemand`, admin, {
      billingAccount: { id: cust.payerCode },
    });
    expect(nothing.statusCode).toBe(422);
    expect(nothing.json()).toMatchObject({
      code: 'billing.nothing_to_bill',
      field: 'billingAccount.id',
      '@type': 'Error',
    });
    const unknown = await t.call('POST', `${BILL}/customerBillOnDemand`, admin, {
      billingAccount: { id: 'P99999999' },
    });
    expect(unknown.json()).toMatchObject({ status: '422', field: 'billingAccount.id' });
    const missing = await t.call('POST', `${BILL}/customerBillOnDemand`, admin, { name: 'x' });
    expect(missing.json()).toMatchObject({ status: '400', field: 'billingAccount.id' });
    const wrongParty = await t.call('POST', `${BILL}/customerBillOnDemand`, admin, {
      billingAccount: { id: cust.payerCode },
      relatedParty: { id: 'C99999999', '@referredType': 'Customer' },
    });
    expect(wrongParty.json()).toMatchObject({ status: '400', field: 'relatedParty.id' });
    const stateSet = await t.call('POST', `${BILL}/customerBillOnDemand`, admin, {
      billingAccount: { id: cust.payerCode },
      state: 'done',
    });
    expect(stateSet.json()).toMatchObject({ status: '400', field: 'state' });
    expect((await t.call('GET', `${BILL}/customerBillOnDemand/BOD99999999`, admin)).statusCode).toBe(404);
    const badFilter = await t.call(
      'GET',
      `${BILL}/customerBillOnDemand?billingAccount.id=${cust.payerCode}&nom=x`,
      admin,
    );
    expect(badFilter.statusCode).toBe(200);
    expect(badFilter.json()).toEqual([]);
    // finance reads (billing:read) but does not bill (billing:run)
    const finance = await t.login('finance');
    expect((await t.call('GET', `${BILL}/customerBillOnDemand`, finance)).statusCode).toBe(200);
    expect(
      (
        await t.call('POST', `${BILL}/customerBillOnDemand`, finance, {
          billingAccount: { id: cust.payerCode },
        })
      ).statusCode,
    ).toBe(403);
    expect((await t.call('GET', `${BILL}/customerBillOnDemand`, '')).statusCode).toBe(401);
  });
});

describe('TMF678 billCycle and billCycleSpecification', () => {
  it('are the billing runs and the cycles; a cycle bill points to its run', async () => {
    const res = await t.call('GET', `${BILL}/billCycle?billingPeriod=2026-01`, admin);
    expect(res.statusCode).toBe(200);
    const runs = res.json() as (Obj & { BillCycleSpecification: { id: string } })[];
    expect(runs.map((r) => r.id)).toEqual([String(runId)]);
    const run = runs[0]!;
    const native = (await t.call('GET', `/api/v1/billing/runs/${runId}`, admin)).json() as {
      period: string;
      cycle_code: string;
      invoices: number;
    };
    expect(run).toMatchObject({
      billingPeriod: native.period,
      billingDate: '2026-02-01T06:00:00.000Z',
      paymentDueDate: '2026-02-16T06:00:00.000Z',
      validFor: { startDateTime: '2026-01-01T00:00:00.000Z', endDateTime: '2026-01-31T23:59:59.000Z' },
      BillCycleSpecification: { id: native.cycle_code },
    });
    expect(swaggerErrors('TMF678', 'BillCycle', run)).toEqual([]);
    expect((await t.call('GET', new URL(run.href).pathname, admin)).json()).toEqual(run);
    const bills = (
      await t.call('GET', `${BILL}/customerBill?billingAccount.id=${cust.payerCode}&runType=onCycle`, admin)
    ).json() as Bill[];
    expect(bills[0]?.billCycle).toMatchObject({ id: String(runId), '@referredType': 'BillCycle' });

    const specs = (await t.call('GET', `${BILL}/billCycleSpecification`, admin)).json() as Obj[];
    expect(specs.map((s) => s.id)).toEqual(['monthly', 'bimonthly', 'quarterly']);
    for (const s of specs) expect(swaggerErrors('TMF678', 'BillCycleSpecification', s)).toEqual([]);
    const monthly = await t.call('GET', `${BILL}/billCycleSpecification/monthly`, admin);
    expect(monthly.json()).toMatchObject({ frequency: 'monthly', billingPeriod: 'month', name: 'Mensuel' });
    expect((await t.call('GET', `${BILL}/billCycleSpecification/weekly`, admin)).statusCode).toBe(404);
    expect((await t.call('GET', `${BILL}/billCycle/999999`, admin)).statusCode).toBe(404);
    expect((await t.call('GET', `${BILL}/billCycle/abc`, admin)).statusCode).toBe(404);
    expect(
      (await t.call('GET', `${BILL}/billCycle?BillCycleSpecification.id=quarterly`, admin)).json(),
    ).toEqual([]);
    const enquiries = await t.login('enquiries');
    expect((await t.call('GET', `${BILL}/billCycle`, enquiries)).statusCode).toBe(403);
  });
});

describe('TMF678 events', () => {
  it('an on-demand bill makes a CustomerBillOnDemandCreateEvent and a CustomerBillCreateEvent', async () => {
    await charge(cust.payerId, 'one_off', 'Changement de numéro', 3000);
    const od = (
      await t.call('POST', `${BILL}/customerBillOnDemand`, admin, { billingAccount: { id: cust.payerCode } })
    ).json() as Obj & { customerBill: { id: string } };
    const row = await t.tdb.db
      .selectFrom('event')
      .select(['id as event_id', 'entity_type', 'entity_id', 'kind', 'payload', 'occurred_at'])
      .where('entity_type', '=', 'invoice')
      .where('kind', '=', 'invoice.issued')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    const apis = tmfApisOf(t.app.http);
    const api = apis.find((a) => a.name === 'customerBillManagement')!;
    const principal = {
      userId: 1,
      username: 'finance',
      displayName: 'finance',
      rights: new Set(['billing:read']),
      roles: [],
      actors: [],
    };
    const notes = await new TmfHub(t.tdb.db, apis).notificationsOf(row, api, principal, 'http://gpto.test', {
      eventTypes: null,
      attributes: [],
    });
    const byType = Object.fromEntries(notes.map((n) => [n.body.eventType, n.body.event]));
    expect(Object.keys(byType).sort()).toEqual([
      'CustomerBillCreateEvent',
      'CustomerBillOnDemandCreateEvent',
    ]);
    expect(byType.CustomerBillOnDemandCreateEvent).toMatchObject({
      customerBillOnDemand: { id: od.id, customerBill: { id: od.customerBill.id } },
    });
    expect(byType.CustomerBillCreateEvent).toMatchObject({ customerBill: { id: od.customerBill.id } });
    // a cycle bill is no on-demand bill
    const cycleRow = await t.tdb.db
      .selectFrom('event')
      .select(['id as event_id', 'entity_type', 'entity_id', 'kind', 'payload', 'occurred_at'])
      .where('entity_type', '=', 'invoice')
      .where('kind', '=', 'invoice.issued')
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const cycleNotes = await new TmfHub(t.tdb.db, apis).notificationsOf(
      cycleRow,
      api,
      principal,
      'http://gpto.test',
      {
        eventTypes: null,
        attributes: [],
      },
    );
    expect(cycleNotes.map((n) => n.body.eventType)).toEqual(['CustomerBillCreateEvent']);
  });
});
