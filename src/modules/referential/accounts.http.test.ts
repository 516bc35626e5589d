import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';

const CATS = {
  commercial1: 'ENT',
  commercial2: 'STD',
  collection: 'STANDARD',
  accounting: 'ENTR',
  tax: 'TVA18',
};
const company = {
  kind: 'organisation',
  companyName: 'Boulangerie Ndiaye et Fils',
  tradeName: 'Pain Doré',
  registrationNumber: 'SN-DKR-2019-B-1234',
  address: { street: 'Avenue Blaise Diagne', locality: 'Dakar' },
  categories: CATS,
};

describe('payers, users and subscriptions', () => {
  let t: TestApp;
  let agent: string;
  let code: string;
  let defaultPayer: number;
  beforeAll(async () => {
    t = await createTestApp();
    agent = await t.login('commercial');
    code = (await t.call('POST', '/api/v1/customers', agent, company)).json().code;
    defaultPayer = (await t.call('GET', `/api/v1/customers/${code}/payers`, agent)).json()[0].id;
  });
  afterAll(async () => t?.close());

  it('adds a branch payer and moves the default flag to it', async () => {
    const res = await t.call('POST', `/api/v1/customers/${code}/payers`, agent, {
      name: 'Agence de Thiès',
      billingAddress: { street: 'Rue 12', locality: 'Thiès' },
      paymentMethod: 'mobile_money',
      mobileMoneyNumber: '77 555 44 33',
      isDefault: true,
    });
    expect(res.statusCode).toBe(201);
    const payers = (await t.call('GET', `/api/v1/customers/${code}/payers`, agent)).json();
    expect(
      payers.filter((p: { isDefault: boolean }) => p.isDefault).map((p: { name: string }) => p.name),
    ).toEqual(['Agence de Thiès']);
    // put the default back for the other tests
    await t.call('PATCH', `/api/v1/payers/${defaultPayer}`, agent, { isDefault: true });
  });

  it('creates a subscription under the default payer, with a user distinct from the customer', async () => {
    const user = (
      await t.call('POST', `/api/v1/customers/${code}/users`, agent, {
        lastName: 'Diop',
        firstNames: 'Moussa',
        phone: '+221 77 000 11 22',
      })
    ).json();
    const res = await t.call('POST', `/api/v1/customers/${code}/subscriptions`, agent, {
      productCode: 'MOBILE-POST',
      userId: user.id,
      directoryNumber: '771110001',
    });
    expect(res.statusCode).toBe(201);
    const s = res.json();
    expect(s).toMatchObject({
      status: 'pending',
      payerId: defaultPayer,
      userId: user.id,
      product: { code: 'MOBILE-POST', version: 1 },
    });
    expect(s.statusHistory).toHaveLength(1);
  });

  it('refuses a user or payer of another customer', async () => {
    const other = (
      await t.call('POST', '/api/v1/customers', agent, { ...company, companyName: 'Autre SARL' })
    ).json();
    const otherPayers = (await t.call('GET', `/api/v1/customers/${other.code}/payers`, agent)).json();
    const res = await t.call('POST', `/api/v1/customers/${code}/subscriptions`, agent, {
      productCode: 'FIXE',
      payerId: otherPayers[0].id,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe('payerId');
  });

  it('follows the subscription life cycle and refuses impossible transitions', async () => {
    const s = (
      await t.call('POST', `/api/v1/customers/${code}/subscriptions`, agent, {
        productCode: 'FIXE',
        directoryNumber: '338001122',
      })
    ).json();
    const step = (status: string) =>
      t.call('POST', `/api/v1/subscriptions/${s.id}/status`, agent, { status, reason: 'test' });
    expect((await step('suspended')).statusCode).toBe(409);
    expect((await step('active')).json()).toMatchObject({ status: 'active' });
    expect((await step('suspended')).json().status).toBe('suspended');
    expect((await step('active')).json().status).toBe('active');
    const done = (await step('terminated')).json();
    expect(done.status).toBe('terminated');
    expect(done.terminatedAt).not.toBeNull();
    expect(done.statusHistory.map((h: { to: string }) => h.to)).toEqual([
      'pending',
      'active',
      'suspended',
      'active',
      'terminated',
    ]);
    const again = await step('active');
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('subscription.transition');
    // the terminated line stays under the customer's code, and its number is free for a new line
    const view = (await t.call('GET', `/api/v1/customers/${code}`, agent)).json();
    expect(
      view.subscriptions.some(
        (x: { id: number; status: string }) => x.id === s.id && x.status === 'terminated',
      ),
    ).toBe(true);
    expect(
      (
        await t.call('POST', `/api/v1/customers/${code}/subscriptions`, agent, {
          productCode: 'FIXE',
          directoryNumber: '338001122',
        })
      ).statusCode,
    ).toBe(201);
  });

  it('refuses a directory number already on a live line', async () => {
    await t.call('POST', `/api/v1/customers/${code}/subscriptions`, agent, {
      productCode: 'FIXE',
      directoryNumber: '338009999',
    });
    const dup = await t.call('POST', `/api/v1/customers/${code}/subscriptions`, agent, {
      productCode: 'FIXE',
      directoryNumber: '338009999',
    });
    expect(dup.statusCode).toBe(409);
  });

  it('hangs options under a line of a kind they apply to, and terminates them with the line', async () => {
    const line = (
      await t.call('POST', `/api/v1/customers/${code}/subscriptions`, agent, {
        productCode: 'FIXE',
        directoryNumber: '338002233',
      })
    ).json();
    expect(
      (
        await t.call('POST', `/api/v1/customers/${code}/subscriptions`, agent, { productCode: 'OPT-INTER' })
      ).json().field,
    ).toBe('parentId');
    const opt = (
      await t.call('POST', `/api/v1/customers/${code}/subscriptions`, agent, {
        productCode: 'OPT-HOTLINE',
        parentId: line.id,
      })
    ).json();
    expect(opt.parentId).toBe(line.id);
    const mobile = (
      await t.call('POST', `/api/v1/customers/${code}/subscriptions`, agent, {
        productCode: 'MOBILE-PREP',
        directoryNumber: '781234567',
      })
    ).json();
    const refused = await t.call('POST', `/api/v1/customers/${code}/subscriptions`, agent, {
      productCode: 'OPT-HOTLINE',
      parentId: mobile.id,
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().detail).toContain('does not apply to mobile_prepaid');
    await t.call('POST', `/api/v1/subscriptions/${line.id}/status`, agent, { status: 'terminated' });
    expect((await t.call('GET', `/api/v1/subscriptions/${opt.id}`, agent)).json().status).toBe('terminated');
  });

  it('moves a subscription between payers of the same customer, with history and an event', async () => {
    const branch = (
      await t.call('POST', `/api/v1/customers/${code}/payers`, agent, { name: 'Succursale Rufisque' })
    ).json();
    const s = (
      await t.call('POST', `/api/v1/customers/${code}/subscriptions`, agent, {
        productCode: 'MOBILE-POST',
        directoryNumber: '771110002',
      })
    ).json();
    const moved = (
      await t.call('POST', `/api/v1/subscriptions/${s.id}/payer`, agent, { payerId: branch.id })
    ).json();
    expect(moved.payerId).toBe(branch.id);
    expect(moved.payerHistory.map((h: { toPayerId: number }) => h.toPayerId)).toEqual([
      defaultPayer,
      branch.id,
    ]);
    const events = (await t.call('GET', `/api/v1/customers/${code}/events?limit=5`, agent)).json().items;
    expect(events[0]).toMatchObject({ kind: 'subscription.payer_moved', lineId: '771110002' });
    // a payer still paying a live line cannot be closed; the default payer cannot be closed at all
    expect(
      (await t.call('PATCH', `/api/v1/payers/${branch.id}`, agent, { status: 'closed' })).statusCode,
    ).toBe(422);
    expect(
      (await t.call('PATCH', `/api/v1/payers/${defaultPayer}`, agent, { status: 'closed' })).json().field,
    ).toBe('status');
  });

  it('edits a subscription user', async () => {
    const u = (await t.call('POST', `/api/v1/customers/${code}/users`, agent, { lastName: 'Fall' })).json();
    const res = await t.call('PATCH', `/api/v1/subscription-users/${u.id}`, agent, { firstNames: 'Awa' });
    expect(res.json()).toMatchObject({ lastName: 'Fall', firstNames: 'Awa' });
    expect(
      (await t.call('PATCH', '/api/v1/subscription-users/999999', agent, { firstNames: 'x' })).statusCode,
    ).toBe(404);
  });
});
