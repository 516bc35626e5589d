import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { SYSTEM } from '../../platform/events.js';
import { runBilling } from '../billing/invoice-run.js';
import { makeCustomer, makeLine } from '../billing/test-fixtures.js';

let t: TestApp;
let admin: string;
let paper: { customerId: number; code: string; payerId: number; payerCode: string };
let mail: { customerId: number; code: string; payerId: number; payerCode: string };

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.login('admin');
  paper = await makeCustomer(t.tdb.db, { name: 'Papier' });
  mail = await makeCustomer(t.tdb.db, { name: 'Courriel', email: 'courriel@client.sn' });
  await makeLine(t.tdb.db, paper, 'FIXE', [['active', '2025-12-01T08:00:00Z']], { number: '338219971' });
  await makeLine(t.tdb.db, mail, 'FIXE', [['active', '2025-12-01T08:00:00Z']], { number: '338219972' });
  const run = await runBilling(
    t.tdb.db,
    'XOF',
    { period: '2026-01', at: new Date('2026-02-01T06:00:00Z') },
    SYSTEM,
  );
  await t.app.billingCycle.delivery.prepare(run.runId, new Date('2026-02-01T07:00:00Z'), SYSTEM);
  // A payment at the counter is a contact too.
  await t.call('POST', '/api/v1/payments', admin, { payerId: paper.payerId, amount: 500, method: 'cash' });
});
afterAll(async () => {
  await t?.close();
});

describe('TMF683 partyInteraction', () => {
  it('shows the customer’s contacts from the journal, valid against the swagger', async () => {
    const res = await t.call(
      'GET',
      `/tmf-api/partyInteraction/v4/partyInteraction?relatedParty.id=${paper.code}`,
      admin,
    );
    expect(res.statusCode).toBe(200);
    const list = res.json() as { id: string; reason: string; relatedParty: { id: string; role: string }[] }[];
    expect(list.map((i) => i.reason)).toEqual(['new customer', 'payment']);
    expect(list[1]?.relatedParty).toContainEqual(expect.objectContaining({ id: 'admin', role: 'agent' }));
    for (const i of list) expect(swaggerErrors('TMF683', 'PartyInteraction', i)).toEqual([]);
    const one = await t.call('GET', `/tmf-api/partyInteraction/v4/partyInteraction/${list[1]?.id}`, admin);
    expect(one.json()).toEqual(list[1]);
    const payments = await t.call(
      'GET',
      `/tmf-api/partyInteraction/v4/partyInteraction?reason=payment`,
      admin,
    );
    expect((payments.json() as unknown[]).length).toBe(1);
  });
});

describe('TMF681 communicationMessage', () => {
  it('shows invoices sent by e-mail and on paper with their delivery state', async () => {
    const emails = (
      await t.call(
        'GET',
        `/tmf-api/communicationManagement/v4/communicationMessage?receiver.id=${mail.code}`,
        admin,
      )
    ).json() as { id: string; messageType: string; state: string; receiver: { email?: string }[] }[];
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({
      messageType: 'email',
      state: 'initial',
      receiver: [{ email: 'courriel@client.sn' }],
    });
    const letters = (
      await t.call(
        'GET',
        `/tmf-api/communicationManagement/v4/communicationMessage?messageType=letter`,
        admin,
      )
    ).json() as { id: string; receiver: { id: string }[] }[];
    expect(letters.map((l) => l.receiver[0]?.id)).toEqual([paper.code]);
    for (const m of [...emails, ...letters])
      expect(swaggerErrors('TMF681', 'CommunicationMessage', m)).toEqual([]);
    const one = await t.call(
      'GET',
      `/tmf-api/communicationManagement/v4/communicationMessage/${emails[0]?.id}`,
      admin,
    );
    expect(one.json()).toEqual(emails[0]);
    expect(
      (await t.call('GET', `/tmf-api/communicationManagement/v4/communicationMessage/N999`, admin))
        .statusCode,
    ).toBe(404);
    const enquiries = await t.login('enquiries');
    expect(
      (await t.call('GET', `/tmf-api/communicationManagement/v4/communicationMessage`, enquiries)).statusCode,
    ).toBe(403);
  });
});
