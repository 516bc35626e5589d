import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { DAKAR_ADDRESS, DEMO_CATEGORIES } from '../../../test/tmf/server.js';

const BASE = '/tmf-api/accountManagement/v4';
let t: TestApp;
let admin: string;
let customer: { id: string; account: { id: string; href: string }[] };

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.login('admin');
  customer = (
    await t.call('POST', '/tmf-api/customerManagement/v4/customer', admin, {
      name: 'Boulangerie Jaune',
      engagedParty: { '@referredType': 'Organization' },
      contactMedium: [DAKAR_ADDRESS],
      characteristic: DEMO_CATEGORIES,
    })
  ).json() as typeof customer;
});
afterAll(async () => {
  await t?.close();
});

type Account = Record<string, unknown> & {
  id: string;
  accountBalance: { balanceType: string; amount: { unit: string; value: number } }[];
};
const receivable = (a: Account) => a.accountBalance.find((b) => b.balanceType === 'receivable')?.amount.value;

describe('TMF666 billingAccount', () => {
  it('is the customer’s payer: TMF629’s account href resolves, the balance comes from the ledger', async () => {
    const ref = customer.account[0] as { id: string; href: string };
    const res = await t.call('GET', new URL(ref.href).pathname, admin);
    expect(res.statusCode).toBe(200);
    const acc = res.json() as Account;
    expect(acc).toMatchObject({
      id: ref.id,
      state: 'active',
      paymentStatus: 'paid',
      '@type': 'BillingAccount',
    });
    expect(receivable(acc)).toBe(0);
    expect(swaggerErrors('TMF666', 'BillingAccount', acc)).toEqual([]);
    // A payment on account at the cash desk: the receivable goes below zero (an advance).
    const payerId = (
      (await t.call('GET', `/api/v1/customers/${customer.id}`, admin)).json() as { payers: { id: number }[] }
    ).payers[0]?.id;
    const pay = await t.call('POST', '/api/v1/payments', admin, { payerId, amount: 5000, method: 'cash' });
    expect(pay.statusCode, pay.body).toBe(201);
    const after = (await t.call('GET', `${BASE}/billingAccount/${ref.id}`, admin)).json() as Account;
    expect(receivable(after)).toBe(-5000);
    expect(after.accountBalance[0]?.amount.unit).toBe('XOF');
  });

  it('opens a second payer for the customer, changes it, lists and filters', async () => {
    const created = await t.call('POST', `${BASE}/billingAccount`, admin, {
      name: 'Boulangerie Jaune — succursale',
      relatedParty: [
        { id: customer.id, role: 'owner', '@referredType': 'Customer', name: 'Boulangerie Jaune' },
      ],
      defaultPaymentMethod: { id: 'mobile_money' },
      contact: [
        {
          contactType: 'billing',
          validFor: { startDateTime: new Date().toISOString() },
          contactMedium: [
            { mediumType: 'postalAddress', characteristic: { street1: 'Rue 10', city: 'Thiès' } },
          ],
        },
      ],
    });
    expect(created.statusCode, created.body).toBe(201);
    const acc = created.json() as Account;
    expect(created.headers.location).toBe(acc.href);
    expect(acc).toMatchObject({ defaultPaymentMethod: { id: 'mobile_money' }, accountType: 'billing' });
    expect(swaggerErrors('TMF666', 'BillingAccount', acc)).toEqual([]);
    const list = await t.call('GET', `${BASE}/billingAccount?relatedParty.id=${customer.id}`, admin);
    expect((list.json() as Account[]).map((a) => a.id).sort()).toEqual(
      [customer.account[0]?.id, acc.id].sort(),
    );
    expect(list.headers['x-total-count']).toBe('2');
    const closed = await t.call('PATCH', `${BASE}/billingAccount/${acc.id}`, admin, { state: 'closed' });
    expect(closed.json()).toMatchObject({ state: 'closed' });
    const native = (await t.call('GET', `/api/v1/customers/${customer.id}/payers`, admin)).json() as {
      code: string;
      status: string;
    }[];
    expect(native.find((p) => p.code === acc.id)?.status).toBe('closed');
  });

  it('names the field at fault, 404s, checks rights', async () => {
    const bad = await t.call('POST', `${BASE}/billingAccount`, admin, {
      name: 'X',
      relatedParty: [{ id: customer.id }],
      defaultPaymentMethod: { id: 'bitcoin' },
    });
    expect(bad.json()).toMatchObject({ status: '400', field: 'defaultPaymentMethod.id' });
    const noOwner = await t.call('POST', `${BASE}/billingAccount`, admin, {
      name: 'X',
      relatedParty: [{ id: 'C99999999' }],
    });
    expect(noOwner.json()).toMatchObject({ status: '422', field: 'relatedParty.id' });
    const balance = await t.call('PATCH', `${BASE}/billingAccount/${customer.account[0]?.id}`, admin, {
      accountBalance: [],
    });
    expect(balance.json()).toMatchObject({ field: 'accountBalance' });
    expect((await t.call('GET', `${BASE}/billingAccount/P99999999`, admin)).statusCode).toBe(404);
    const enquiries = await t.login('enquiries');
    expect((await t.call('GET', `${BASE}/billingAccount`, enquiries)).statusCode).toBe(403);
  });
});
