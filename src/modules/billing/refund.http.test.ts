import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { makeCustomer } from './test-fixtures.js';

let t: TestApp;
let admin: string;
let finance: string;

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.login('admin');
  finance = await t.login('finance');
});
afterAll(async () => {
  await t?.close();
});

async function pay(payerId: number, amount: number, method = 'cash'): Promise<string> {
  const res = await t.call('POST', '/api/v1/payments', finance, { payerId, amount, method });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { number: string }).number;
}

describe('refunds (native API)', () => {
  it('gives back a credit: document, ledger, statement; the same refund through TMF676', async () => {
    const c = await makeCustomer(t.tdb.db, { name: 'Kane' });
    const payment = await pay(c.payerId, 4000, 'bank_transfer');
    const res = await t.call('POST', `/api/v1/payers/${c.payerId}/refunds`, finance, {
      amount: 1500,
      reason: 'virement en double',
      payment,
      reference: 'VIR-8812',
    });
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json() as { number: string; method: string; paymentNumber: string; amount: number };
    expect(res.headers.location).toBe(`/api/v1/refunds/${r.number}`);
    expect(r).toMatchObject({ amount: 1500, method: 'bank_transfer', paymentNumber: payment });
    expect((await t.call('GET', `/api/v1/refunds/${r.number}`, finance)).json()).toEqual(r);
    const statement = (
      await t.call('GET', `/api/v1/payers/${c.payerId}/statement?from=2000-01-01&to=2100-01-01`, finance)
    ).json() as { closingBalance: number; lines: { kind: string; debit: number; payment: string | null }[] };
    expect(statement.closingBalance).toBe(-2500);
    expect(statement.lines.at(-1)).toMatchObject({ kind: 'refund', debit: 1500, payment });
    const tmf = (await t.call('GET', `/tmf-api/payment/v4/refund/${r.number}`, finance)).json();
    expect(tmf).toMatchObject({
      id: r.number,
      totalAmount: { value: 1500 },
      payment: { id: payment },
      paymentMethod: { name: 'bank_transfer' },
      correlatorId: 'VIR-8812',
    });
    // the schema refuses what it should, and the rules name their field
    const bad = await t.call('POST', `/api/v1/payers/${c.payerId}/refunds`, finance, {
      amount: 0,
      reason: 'x',
    });
    expect(bad.statusCode).toBe(400);
    const over = await t.call('POST', `/api/v1/payers/${c.payerId}/refunds`, finance, {
      amount: 2501,
      reason: 'tout',
    });
    expect(over.statusCode).toBe(422);
    expect(over.json()).toMatchObject({ code: 'refund.exceeds_credit', field: 'amount' });
    expect((await t.call('GET', '/api/v1/refunds/RB202699999999', finance)).statusCode).toBe(404);
    const commercial = await t.login('commercial');
    expect(
      (await t.call('POST', `/api/v1/payers/${c.payerId}/refunds`, commercial, { amount: 1, reason: 'x' }))
        .statusCode,
    ).toBe(403);
  });

  it('two refunds of the same credit at the same time: one is refused', async () => {
    const c = await makeCustomer(t.tdb.db, { name: 'Ba' });
    await pay(c.payerId, 3000);
    const both = await Promise.all(
      [1, 2].map(() =>
        t.call('POST', `/api/v1/payers/${c.payerId}/refunds`, finance, {
          amount: 2000,
          reason: 'trop-perçu',
        }),
      ),
    );
    expect(both.map((r) => r.statusCode).sort()).toEqual([201, 422]);
    const account = (await t.call('GET', `/api/v1/payers/${c.payerId}/account`, finance)).json() as {
      balance: { receivable: number };
    };
    expect(account.balance.receivable).toBe(-1000);
  });
});

describe('on-demand bill (native API)', () => {
  it('bills the waiting charges once, even asked twice at the same time', async () => {
    const c = await makeCustomer(t.tdb.db, { name: 'Wade' });
    const charge = await t.call('POST', `/api/v1/payers/${c.payerId}/charges`, admin, {
      kind: 'one_off',
      label: 'Frais de résiliation anticipée',
      amount: 10_000,
    });
    expect(charge.statusCode, charge.body).toBe(201);
    const both = await Promise.all(
      [1, 2].map(() => t.call('POST', `/api/v1/payers/${c.payerId}/invoices/on-demand`, admin)),
    );
    expect(both.map((r) => r.statusCode).sort()).toEqual([201, 422]);
    const made = both.find((r) => r.statusCode === 201)!;
    const inv = made.json() as { number: string; kind: string; total: number; lines: { label: string }[] };
    expect(made.headers.location).toBe(`/api/v1/invoices/${inv.number}`);
    expect(inv).toMatchObject({
      kind: 'one_off',
      total: 11_800,
      lines: [{ label: 'Frais de résiliation anticipée' }],
    });
    const refused = both.find((r) => r.statusCode === 422)!;
    expect(refused.json()).toMatchObject({ code: 'billing.nothing_to_bill' });
    const finance403 = await t.call('POST', `/api/v1/payers/${c.payerId}/invoices/on-demand`, finance);
    expect(finance403.statusCode).toBe(403);
  });
});
