import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { SYSTEM } from '../../platform/events.js';
import { runBilling } from '../billing/invoice-run.js';
import { makeCustomer, makeLine } from '../billing/test-fixtures.js';

const BASE = '/tmf-api/accountManagement/v4';
let t: TestApp;
let admin: string;
let finance: string;
let paper: { customerId: number; code: string; payerId: number; payerCode: string };
let mailed: { customerId: number; code: string; payerId: number; payerCode: string };
let second: string;

type Obj = Record<string, unknown> & { id: string; href: string };
type Account = Obj & {
  accountBalance: { balanceType: string; amount: { unit: string; value: number } }[];
  accountRelationship: { relationshipType: string; account: { id: string } }[];
  billStructure: {
    cycleSpecification: { id: string; href: string };
    format: { id: string };
    presentationMedia: { id: string }[];
  };
  financialAccount: { id: string };
};
const balance = (a: Account, type: string) =>
  a.accountBalance.find((b) => b.balanceType === type)?.amount.value;

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.login('admin');
  finance = await t.login('finance');
  paper = await makeCustomer(t.tdb.db, { name: 'Camara' });
  mailed = await makeCustomer(t.tdb.db, { name: 'Cisse', email: 'aida.cisse@example.sn' });
  await makeLine(t.tdb.db, paper, 'FIXE', [['active', '2025-12-01T08:00:00Z']], { number: '338214401' });
  // a second payer of the same customer, through TMF666, with a line of its own
  const created = await t.call('POST', `${BASE}/billingAccount`, admin, {
    name: 'Camara — boutique',
    relatedParty: [{ id: paper.code, role: 'owner', '@referredType': 'Customer' }],
  });
  expect(created.statusCode, created.body).toBe(201);
  second = (created.json() as Obj).id;
  const secondId = (
    await t.tdb.db.selectFrom('payer').select('id').where('code', '=', second).executeTakeFirstOrThrow()
  ).id;
  await makeLine(t.tdb.db, { customerId: paper.customerId, payerId: secondId }, 'FIXE', [
    ['active', '2025-12-01T08:00:00Z'],
  ]);
  await runBilling(t.tdb.db, 'XOF', { period: '2026-01', at: new Date('2026-02-01T06:00:00Z') }, SYSTEM);
});
afterAll(async () => {
  await t?.close();
});

describe('TMF666 financialAccount, partyAccount, settlementAccount', () => {
  it('financialAccount is the customer-level account: its payers’ balances summed', async () => {
    const res = await t.call('GET', `${BASE}/financialAccount/${paper.code}`, finance);
    expect(res.statusCode, res.body).toBe(200);
    const fa = res.json() as Account;
    expect(swaggerErrors('TMF666', 'FinancialAccount', fa)).toEqual([]);
    const native = (
      await t.call('GET', `/api/v1/customers/${paper.code}/billing-account`, finance)
    ).json() as {
      totals: { balance: number; overdue: number; depositsHeld: number };
      payers: unknown[];
    };
    expect(native.totals.balance).toBeGreaterThan(0);
    expect(balance(fa, 'receivable')).toBe(native.totals.balance);
    expect(balance(fa, 'overdue')).toBe(native.totals.overdue);
    expect(balance(fa, 'depositHeld')).toBe(native.totals.depositsHeld);
    expect(fa.accountRelationship.map((r) => [r.relationshipType, r.account.id])).toEqual([
      ['aggregates', paper.payerCode],
      ['aggregates', second],
    ]);
    // each billing account points to it, and their receivables add up to it
    const accounts = (
      await t.call('GET', `${BASE}/billingAccount?relatedParty.id=${paper.code}`, finance)
    ).json() as Account[];
    expect(accounts.map((a) => a.financialAccount.id)).toEqual([paper.code, paper.code]);
    expect(accounts.reduce((s, a) => s + (balance(a, 'receivable') ?? 0), 0)).toBe(balance(fa, 'receivable'));
    const list = await t.call(
      'GET',
      `${BASE}/financialAccount?relatedParty.id=${paper.code},${mailed.code}`,
      finance,
    );
    expect(list.headers['x-total-count']).toBe('2');
    expect((list.json() as Obj[]).map((a) => a.id)).toEqual([paper.code, mailed.code]);
    expect((await t.call('GET', `${BASE}/financialAccount/C99999999`, finance)).statusCode).toBe(404);
  });

  it('partyAccount lists the payers as the billing accounts they are; no settlement accounts', async () => {
    const res = await t.call('GET', `${BASE}/partyAccount?relatedParty.id=${paper.code}`, finance);
    const party = res.json() as Account[];
    expect(party.map((a) => [a.id, a['@type']])).toEqual([
      [paper.payerCode, 'BillingAccount'],
      [second, 'BillingAccount'],
    ]);
    for (const a of party) expect(swaggerErrors('TMF666', 'PartyAccount', a)).toEqual([]);
    // the same object under both paths (balances are "as of now": their validFor is the read's time)
    const asOf = (a: Account) => ({
      ...a,
      accountBalance: a.accountBalance.map((b) => ({ ...b, validFor: null })),
    });
    const same = (await t.call('GET', `${BASE}/billingAccount/${second}`, finance)).json() as Account;
    const viaParty = (await t.call('GET', `${BASE}/partyAccount/${second}`, finance)).json() as Account;
    expect(asOf(viaParty)).toEqual(asOf(same));
    const settlement = await t.call('GET', `${BASE}/settlementAccount`, finance);
    expect(settlement.statusCode).toBe(200);
    expect(settlement.headers['x-total-count']).toBe('0');
    expect(settlement.json()).toEqual([]);
    expect((await t.call('GET', `${BASE}/settlementAccount/${second}`, finance)).statusCode).toBe(404);
    // read-only: no POST on them
    expect((await t.call('POST', `${BASE}/partyAccount`, admin, { name: 'x' })).statusCode).toBe(404);
  });
});

describe('TMF666 bill structure: cycles, format, presentation media', () => {
  it('shows each payer’s cycle, format and channel; the cycle follows the native change', async () => {
    const specs = (await t.call('GET', `${BASE}/billingCycleSpecification`, finance)).json() as Obj[];
    expect(specs.map((s) => s.id)).toEqual(['monthly', 'bimonthly', 'quarterly']);
    for (const s of specs) expect(swaggerErrors('TMF666', 'BillingCycleSpecification', s)).toEqual([]);
    const formats = (await t.call('GET', `${BASE}/billFormat`, finance)).json() as Obj[];
    expect(formats.map((f) => f.id)).toEqual(['pdf']);
    for (const f of formats) expect(swaggerErrors('TMF666', 'BillFormat', f)).toEqual([]);
    const media = (await t.call('GET', `${BASE}/billPresentationMedia`, finance)).json() as Obj[];
    expect(media.map((m) => m.id)).toEqual(['email', 'paper']);
    for (const m of media) expect(swaggerErrors('TMF666', 'BillPresentationMedia', m)).toEqual([]);
    expect((await t.call('GET', `${BASE}/billPresentationMedia?name=Papier`, finance)).json()).toMatchObject([
      { id: 'paper' },
    ]);
    expect((await t.call('GET', `${BASE}/billPresentationMedia/paper`, finance)).statusCode).toBe(200);
    expect((await t.call('GET', `${BASE}/billFormat/xml`, finance)).statusCode).toBe(404);

    const byPaper = (
      await t.call('GET', `${BASE}/billingAccount/${paper.payerCode}`, finance)
    ).json() as Account;
    expect(byPaper.billStructure).toMatchObject({
      cycleSpecification: { id: 'monthly', '@referredType': 'BillingCycleSpecification' },
      format: { id: 'pdf' },
      presentationMedia: [{ id: 'paper' }],
    });
    expect(swaggerErrors('TMF666', 'BillingAccount', byPaper)).toEqual([]);
    const byMail = (
      await t.call('GET', `${BASE}/billingAccount/${mailed.payerCode}`, finance)
    ).json() as Account;
    expect(byMail.billStructure.presentationMedia).toMatchObject([{ id: 'email' }]);
    const put = await t.call('PUT', `/api/v1/payers/${mailed.payerId}/billing-cycle`, admin, {
      cycle: 'quarterly',
    });
    expect(put.statusCode, put.body).toBe(200);
    const moved = (
      await t.call('GET', `${BASE}/billingAccount/${mailed.payerCode}`, finance)
    ).json() as Account;
    expect(moved.billStructure.cycleSpecification.id).toBe('quarterly');
    const spec = await t.call('GET', new URL(moved.billStructure.cycleSpecification.href).pathname, finance);
    expect(spec.json()).toMatchObject({
      id: 'quarterly',
      frequency: 'every 3 months',
      billingPeriod: 'quarter',
    });
  });

  it('PATCH billStructure moves the payer to another cycle (billing:run); format and media are GPTo’s', async () => {
    const url = `${BASE}/billingAccount/${paper.payerCode}`;
    const patch = (token: string, body: unknown) =>
      t.app.http.inject({
        method: 'PATCH',
        url,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/merge-patch+json' },
        payload: JSON.stringify(body),
      });
    const moved = await patch(admin, {
      name: 'Camara — siège',
      billStructure: {
        cycleSpecification: { id: 'bimonthly' },
        format: { id: 'pdf' },
        presentationMedia: [{ id: 'paper' }],
      },
    });
    expect(moved.statusCode, moved.body).toBe(200);
    const acc = moved.json() as Account;
    expect(acc).toMatchObject({
      name: 'Camara — siège',
      billStructure: { cycleSpecification: { id: 'bimonthly' } },
    });
    expect(swaggerErrors('TMF666', 'BillingAccount', acc)).toEqual([]);
    // the native side sees the same cycle, with its event
    const row = await t.tdb.db
      .selectFrom('billing_payer_cycle')
      .select('cycle_code')
      .where('payer_id', '=', paper.payerId)
      .executeTakeFirstOrThrow();
    expect(row.cycle_code).toBe('bimonthly');
    const ev = await t.tdb.db
      .selectFrom('event')
      .select('payload')
      .where('entity_type', '=', 'payer')
      .where('entity_id', '=', String(paper.payerId))
      .where('kind', '=', 'billing.cycle_changed')
      .execute();
    expect(ev.map((e) => e.payload)).toEqual([{ cycle: 'bimonthly' }]);

    const unknown = await patch(admin, {
      name: 'jamais',
      billStructure: { cycleSpecification: { id: 'weekly' } },
    });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({ field: 'billStructure.cycleSpecification.id' });
    const media = await patch(admin, { billStructure: { presentationMedia: [{ id: 'email' }] } });
    expect(media.json()).toMatchObject({ status: '400', field: 'billStructure.presentationMedia' });
    const format = await patch(admin, { billStructure: { format: { id: 'xml' } } });
    expect(format.json()).toMatchObject({ status: '400', field: 'billStructure.format.id' });
    // a commercial agent changes the payer (customer:write) but not its cycle (billing:run)
    const commercial = await t.login('commercial');
    const refused = await patch(commercial, { billStructure: { cycleSpecification: { id: 'quarterly' } } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ field: 'billStructure.cycleSpecification.id' });
    const same = await patch(commercial, { billStructure: { cycleSpecification: { id: 'bimonthly' } } });
    expect(same.statusCode).toBe(200);
    const after = (await t.call('GET', url, finance)).json() as Account;
    expect(after).toMatchObject({
      name: 'Camara — siège',
      billStructure: { cycleSpecification: { id: 'bimonthly' } },
    });
  });

  it('rights: billing:read', async () => {
    const enquiries = await t.login('enquiries');
    for (const path of [
      'financialAccount',
      'partyAccount',
      'settlementAccount',
      'billingCycleSpecification',
      'billFormat',
      'billPresentationMedia',
    ]) {
      expect((await t.call('GET', `${BASE}/${path}`, enquiries)).statusCode, path).toBe(403);
      expect((await t.call('GET', `${BASE}/${path}`, '')).statusCode, path).toBe(401);
    }
  });
});
