import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { SYSTEM } from '../../platform/events.js';
import { runBilling } from '../billing/invoice-run.js';
import { makeCustomer, makeLine } from '../billing/test-fixtures.js';
import { TmfHub } from './hub-dispatcher.js';
import { tmfApisOf } from './index.js';

const PAY = '/tmf-api/payment/v4';
const BILL = '/tmf-api/customerBillManagement/v4';
let t: TestApp;
let admin: string;
let finance: string;
let cust: { customerId: number; code: string; payerId: number; payerCode: string };
let billTotal: number;
let paymentId: string;

type Obj = Record<string, unknown> & { id: string; href: string };
const receivable = async (payerId: number) =>
  (
    (await t.call('GET', `/api/v1/payers/${payerId}/account`, admin)).json() as {
      balance: { receivable: number };
    }
  ).balance.receivable;

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.login('admin');
  finance = await t.login('finance');
  cust = await makeCustomer(t.tdb.db, { name: 'Gueye' });
  await makeLine(t.tdb.db, cust, 'FIXE', [['active', '2025-12-01T08:00:00Z']], { number: '338215501' });
  await runBilling(t.tdb.db, 'XOF', { period: '2026-01', at: new Date('2026-02-01T06:00:00Z') }, SYSTEM);
  const bill = (
    (await t.call('GET', `${BILL}/customerBill?billingAccount.id=${cust.payerCode}`, admin)).json() as {
      amountDue: { value: number };
    }[]
  )[0]!;
  billTotal = bill.amountDue.value;
  // the customer pays 5,000 too much by mobile money: its account is in credit
  const pay = await t.call('POST', `${PAY}/payment`, finance, {
    account: { id: cust.payerCode },
    paymentMethod: { name: 'mobile_money', '@type': 'MobileMoney' },
    totalAmount: { unit: 'XOF', value: billTotal + 5000 },
    correlatorId: 'OM-99120',
  });
  expect(pay.statusCode, pay.body).toBe(201);
  paymentId = (pay.json() as Obj).id;
});
afterAll(async () => {
  await t?.close();
});

describe('TMF676 refund', () => {
  it('gives back part of a payment by its method: a ledger movement, audited, in the journal', async () => {
    expect(await receivable(cust.payerId)).toBe(-5000);
    const res = await t.call('POST', `${PAY}/refund`, finance, {
      account: { id: cust.payerCode },
      paymentMethod: { name: 'mobile_money', '@type': 'MobileMoney' },
      totalAmount: { unit: 'XOF', value: 3000 },
      payment: { id: paymentId },
      description: 'trop-perçu sur la facture de janvier',
      correlatorId: 'OM-REV-551',
    });
    expect(res.statusCode, res.body).toBe(201);
    const refund = res.json() as Obj;
    expect(res.headers.location).toBe(refund.href);
    expect(refund).toMatchObject({
      status: 'done',
      totalAmount: { unit: 'XOF', value: 3000 },
      paymentMethod: { name: 'mobile_money', '@type': 'MobileMoney' },
      payment: { id: paymentId, '@referredType': 'Payment' },
      account: { id: cust.payerCode },
      description: 'trop-perçu sur la facture de janvier',
      correlatorId: 'OM-REV-551',
      '@type': 'Refund',
    });
    expect(refund.id).toMatch(/^RB\d{4}\d{8}$/);
    expect(swaggerErrors('TMF676', 'Refund', refund)).toEqual([]);
    expect(await receivable(cust.payerId)).toBe(-2000);
    const ledger = (await t.call('GET', `/api/v1/payers/${cust.payerId}/account`, admin)).json() as {
      entries: { kind: string; amount: number; description: string }[];
    };
    expect(ledger.entries.filter((e) => e.kind === 'refund')).toMatchObject([
      { amount: 3000, description: expect.stringContaining(refund.id) },
    ]);
    // audited: the journal row names the finance agent who did it
    const ev = await t.tdb.db
      .selectFrom('event as e')
      .innerJoin('app_user as u', 'u.id', 'e.user_id')
      .select(['e.kind', 'u.username', 'e.customer_id'])
      .where('e.entity_type', '=', 'refund')
      .execute();
    expect(ev).toEqual([{ kind: 'refund.recorded', username: 'finance', customer_id: cust.customerId }]);
    // centralisation: the refund leaves the mobile-money treasury account, the journal balances
    const month = new Date().toISOString().slice(0, 7);
    const j = (await t.call('GET', `/api/v1/ledger/periods/${month}/journal`, admin)).json() as {
      balanced: boolean;
      lines: { account: string; debit: number; credit: number }[];
    };
    expect(j.balanced).toBe(true);
    expect(j.lines.find((l) => l.account === '521500')).toMatchObject({
      debit: billTotal + 5000,
      credit: 3000,
    });

    // read back by id and by filters
    expect((await t.call('GET', new URL(refund.href).pathname, admin)).json()).toEqual(refund);
    for (const q of [`account.id=${cust.payerCode}`, `payment.id=${paymentId}`, 'correlatorId=OM-REV-551']) {
      const list = await t.call('GET', `${PAY}/refund?${q}`, finance);
      expect(list.headers['x-total-count'], q).toBe('1');
      expect((list.json() as Obj[]).map((r) => r.id)).toEqual([refund.id]);
    }
    const projected = (
      await t.call('GET', `${PAY}/refund?account.id=${cust.payerCode}&fields=totalAmount`, admin)
    ).json();
    expect(projected).toEqual([
      { id: refund.id, href: refund.href, totalAmount: { unit: 'XOF', value: 3000 }, '@type': 'Refund' },
    ]);
  });

  it('never gives back more than the credit, nor than the payment; names the field', async () => {
    const base = { account: { id: cust.payerCode }, description: 'remboursement' };
    const tooMuch = await t.call('POST', `${PAY}/refund`, finance, {
      ...base,
      paymentMethod: { name: 'mobile_money', '@type': 'MobileMoney' },
      totalAmount: { value: 2001 },
      payment: { id: paymentId },
    });
    expect(tooMuch.statusCode).toBe(422);
    expect(tooMuch.json()).toMatchObject({ code: 'refund.exceeds_credit', field: 'totalAmount.value' });
    const otherWay = await t.call('POST', `${PAY}/refund`, finance, {
      ...base,
      paymentMethod: { name: 'cash', '@type': 'Cash' },
      totalAmount: { value: 500 },
      payment: { id: paymentId },
    });
    expect(otherWay.json()).toMatchObject({ status: '400', field: 'paymentMethod.name' });
    const bankWithout = await t.call('POST', `${PAY}/refund`, finance, {
      ...base,
      paymentMethod: { name: 'bank_transfer', '@type': 'BankTransfer' },
      totalAmount: { value: 500 },
    });
    expect(bankWithout.json()).toMatchObject({ status: '400', field: 'paymentMethod.name' });
    const noReason = await t.call('POST', `${PAY}/refund`, finance, {
      account: { id: cust.payerCode },
      paymentMethod: { name: 'cash', '@type': 'Cash' },
      totalAmount: { value: 500 },
    });
    expect(noReason.json()).toMatchObject({ status: '400', field: 'description' });
    const unknownPayment = await t.call('POST', `${PAY}/refund`, finance, {
      ...base,
      paymentMethod: { name: 'cash', '@type': 'Cash' },
      totalAmount: { value: 500 },
      payment: { id: 'P202600999999' },
    });
    expect(unknownPayment.json()).toMatchObject({ status: '404', field: 'payment.id' });
    const unknownAccount = await t.call('POST', `${PAY}/refund`, finance, {
      ...base,
      account: { id: 'P99999999' },
      paymentMethod: { name: 'cash', '@type': 'Cash' },
      totalAmount: { value: 500 },
    });
    expect(unknownAccount.json()).toMatchObject({ status: '422', field: 'account.id' });
    expect(await receivable(cust.payerId)).toBe(-2000);

    // the rest of the credit in cash, without naming a payment: the account is square
    const cash = await t.call('POST', `${PAY}/refund`, finance, {
      ...base,
      paymentMethod: { name: 'cash', '@type': 'Cash' },
      totalAmount: { unit: 'XOF', value: 2000 },
    });
    expect(cash.statusCode, cash.body).toBe(201);
    expect(swaggerErrors('TMF676', 'Refund', cash.json())).toEqual([]);
    expect(await receivable(cust.payerId)).toBe(0);
    const none = await t.call('POST', `${PAY}/refund`, finance, {
      ...base,
      paymentMethod: { name: 'cash', '@type': 'Cash' },
      totalAmount: { value: 1 },
    });
    expect(none.json()).toMatchObject({ code: 'refund.exceeds_credit', field: 'totalAmount.value' });
  });

  it('caps a payment’s refunds at the payment even when the account has more credit', async () => {
    const other = await makeCustomer(t.tdb.db, { name: 'Sow' });
    const small = (
      await t.call('POST', `${PAY}/payment`, finance, {
        account: { id: other.payerCode },
        paymentMethod: { name: 'cheque', '@type': 'Check' },
        totalAmount: { value: 1000 },
      })
    ).json() as Obj;
    await t.call('POST', `${PAY}/payment`, finance, {
      account: { id: other.payerCode },
      paymentMethod: { name: 'cash', '@type': 'Cash' },
      totalAmount: { value: 9000 },
    });
    const over = await t.call('POST', `${PAY}/refund`, finance, {
      account: { id: other.payerCode },
      paymentMethod: { name: 'cheque', '@type': 'Check' },
      totalAmount: { value: 1500 },
      payment: { id: small.id },
      description: 'chèque rendu',
    });
    expect(over.json()).toMatchObject({ code: 'refund.exceeds_payment', field: 'totalAmount.value' });
    // another payer's payment is not this account's
    const foreign = await t.call('POST', `${PAY}/refund`, finance, {
      account: { id: other.payerCode },
      paymentMethod: { name: 'mobile_money', '@type': 'MobileMoney' },
      totalAmount: { value: 100 },
      payment: { id: paymentId },
      description: 'erreur',
    });
    expect(foreign.json()).toMatchObject({ status: '404', field: 'payment.id' });
  });

  it('rights: payment:write to refund, billing:read to read', async () => {
    const enquiries = await t.login('enquiries');
    const commercial = await t.login('commercial');
    const body = {
      account: { id: cust.payerCode },
      paymentMethod: { name: 'cash', '@type': 'Cash' },
      totalAmount: { value: 1 },
      description: 'x',
    };
    expect((await t.call('POST', `${PAY}/refund`, commercial, body)).statusCode).toBe(403);
    expect((await t.call('GET', `${PAY}/refund`, enquiries)).statusCode).toBe(403);
    expect((await t.call('GET', `${PAY}/refund`, '')).statusCode).toBe(401);
    expect((await t.call('GET', `${PAY}/refund/RB202600000000`, admin)).statusCode).toBe(404);
  });
});

describe('TMF676 refund events', () => {
  it('a refund makes a RefundCreateEvent carrying the refund', async () => {
    const rows = await t.tdb.db
      .selectFrom('event')
      .select(['id as event_id', 'entity_type', 'entity_id', 'kind', 'payload', 'occurred_at'])
      .where('entity_type', '=', 'refund')
      .orderBy('id')
      .execute();
    expect(rows.length).toBe(2);
    const apis = tmfApisOf(t.app.http);
    const api = apis.find((a) => a.name === 'payment')!;
    const principal = {
      userId: 1,
      username: 'finance',
      displayName: 'finance',
      rights: new Set(['billing:read']),
      roles: [],
      actors: [],
    };
    const hub = new TmfHub(t.tdb.db, apis);
    const notes = await hub.notificationsOf(rows[0]!, api, principal, 'http://gpto.test', {
      eventTypes: null,
      attributes: [],
    });
    expect(notes).toMatchObject([
      {
        path: 'listener/refundCreateEvent',
        body: {
          eventType: 'RefundCreateEvent',
          event: { refund: { totalAmount: { value: 3000 }, status: 'done' } },
        },
      },
    ]);
    // without billing:read nothing is published
    const blind = await hub.notificationsOf(
      rows[0]!,
      api,
      { ...principal, rights: new Set<string>() },
      'http://gpto.test',
      {
        eventTypes: null,
        attributes: [],
      },
    );
    expect(blind).toEqual([]);
  });
});
