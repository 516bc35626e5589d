import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { SYSTEM } from '../../platform/events.js';
import { runBilling } from '../billing/invoice-run.js';
import { makeCustomer, makeLine } from '../billing/test-fixtures.js';

const BILL = '/tmf-api/customerBillManagement/v4';
const PAY = '/tmf-api/payment/v4';
let t: TestApp;
let admin: string;
let cust: { customerId: number; code: string; payerId: number; payerCode: string };

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.login('admin');
  cust = await makeCustomer(t.tdb.db, { name: 'Sarr' });
  await makeLine(t.tdb.db, cust, 'FIXE', [['active', '2025-12-01T08:00:00Z']], { number: '338219901' });
  await runBilling(t.tdb.db, 'XOF', { period: '2026-01', at: new Date('2026-02-01T06:00:00Z') }, SYSTEM);
});
afterAll(async () => {
  await t?.close();
});

type Bill = Record<string, unknown> & {
  id: string;
  state: string;
  amountDue: { value: number; unit: string };
  remainingAmount: { value: number };
  billDocument: { url: string }[];
};

describe('TMF678 customerBill and TMF676 payment', () => {
  it('shows the issued invoice with its lines, amounts to the unit and its PDF', async () => {
    const res = await t.call('GET', `${BILL}/customerBill?billingAccount.id=${cust.payerCode}`, admin);
    expect(res.statusCode).toBe(200);
    const bills = res.json() as Bill[];
    expect(bills).toHaveLength(1);
    const bill = bills[0] as Bill;
    const native = (await t.call('GET', `/api/v1/invoices/${bill.id}`, admin)).json() as {
      total: number;
      amountExclTax: number;
      lines: unknown[];
    };
    expect(bill).toMatchObject({
      state: 'sent',
      runType: 'onCycle',
      amountDue: { unit: 'XOF', value: native.total },
      taxExcludedAmount: { value: native.amountExclTax },
      remainingAmount: { value: native.total },
    });
    expect(swaggerErrors('TMF678', 'CustomerBill', bill)).toEqual([]);
    const pdf = await t.app.http.inject({
      method: 'GET',
      url: new URL(bill.billDocument[0]?.url ?? '').pathname,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(pdf.headers['content-type']).toContain('application/pdf');
    const rates = (
      await t.call('GET', `${BILL}/appliedCustomerBillingRate?bill.id=${bill.id}`, admin)
    ).json() as {
      id: string;
      taxExcludedAmount: { value: number };
    }[];
    expect(rates).toHaveLength(native.lines.length);
    expect(rates.reduce((s, r) => s + r.taxExcludedAmount.value, 0)).toBe(native.amountExclTax);
    for (const r of rates) expect(swaggerErrors('TMF678', 'AppliedCustomerBillingRate', r)).toEqual([]);
    const one = await t.call('GET', `${BILL}/appliedCustomerBillingRate/${rates[0]?.id}`, admin);
    expect(one.json()).toEqual(rates[0]);
  });

  it('records a payment through TMF676 that settles the bill', async () => {
    const bill = (
      (
        await t.call('GET', `${BILL}/customerBill?billingAccount.id=${cust.payerCode}`, admin)
      ).json() as Bill[]
    )[0] as Bill;
    const part = await t.call('POST', `${PAY}/payment`, admin, {
      account: { id: cust.payerCode },
      paymentMethod: { name: 'mobile_money', '@type': 'MobileMoney' },
      totalAmount: { unit: 'XOF', value: 1000 },
      correlatorId: 'OM-7781',
      paymentItem: [{ item: { id: bill.id } }],
    });
    expect(part.statusCode, part.body).toBe(201);
    const p = part.json() as Record<string, unknown> & { id: string };
    expect(part.headers.location).toBe(p.href);
    expect(p).toMatchObject({
      status: 'done',
      paymentItem: [{ item: { id: bill.id }, amount: { value: 1000 } }],
    });
    expect(swaggerErrors('TMF676', 'Payment', p)).toEqual([]);
    const partly = (await t.call('GET', `${BILL}/customerBill/${bill.id}`, admin)).json() as Bill;
    expect(partly).toMatchObject({
      state: 'partiallyPaid',
      remainingAmount: { value: bill.amountDue.value - 1000 },
    });
    const rest = await t.call('POST', `${PAY}/payment`, admin, {
      account: { id: cust.payerCode },
      paymentMethod: { name: 'cash', '@type': 'Cash' },
      totalAmount: { unit: 'XOF', value: bill.amountDue.value - 1000 },
    });
    expect(rest.statusCode).toBe(201);
    const settled = (await t.call('GET', `${BILL}/customerBill/${bill.id}`, admin)).json() as Bill;
    expect(settled).toMatchObject({ state: 'settled', remainingAmount: { value: 0 } });
    expect((settled.appliedPayment as unknown[]).length).toBe(2);
    const byRef = (await t.call('GET', `${PAY}/payment?correlatorId=OM-7781`, admin)).json() as {
      id: string;
    }[];
    expect(byRef.map((x) => x.id)).toEqual([p.id]);
    const native = await t.call('GET', `/api/v1/payments/${p.id}`, admin);
    expect(native.json()).toMatchObject({ amount: 1000, method: 'mobile_money' });
  });

  it('names the field at fault; rights', async () => {
    const bad = await t.call('POST', `${PAY}/payment`, admin, {
      account: { id: cust.payerCode },
      paymentMethod: { name: 'bitcoin', '@type': 'Crypto' },
      totalAmount: { value: 10 },
    });
    expect(bad.json()).toMatchObject({ status: '400', field: 'paymentMethod.name' });
    const cents = await t.call('POST', `${PAY}/payment`, admin, {
      account: { id: cust.payerCode },
      paymentMethod: { name: 'cash', '@type': 'Cash' },
      totalAmount: { value: 10.5 },
    });
    expect(cents.json()).toMatchObject({ field: 'totalAmount.value' });
    expect((await t.call('GET', `${BILL}/customerBill/F000000000000`, admin)).statusCode).toBe(404);
    const commercial = await t.login('commercial');
    expect(
      (
        await t.call('POST', `${PAY}/payment`, commercial, {
          account: { id: cust.payerCode },
          paymentMethod: { name: 'cash' },
          totalAmount: { value: 1 },
        })
      ).statusCode,
    ).toBe(403);
  });
});
