import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { loadAssistanceScenarios } from '../assistance/index.js';
import { makeCustomer, makeLine } from '../billing/test-fixtures.js';

const BASE = '/tmf-api/troubleTicket/v4';
const DN = '338219955';
let t: TestApp;
let care: string;
let cust: { customerId: number; code: string; payerId: number; payerCode: string };

beforeAll(async () => {
  t = await createTestApp();
  await loadAssistanceScenarios(t.app.workflow);
  care = await t.login('admin');
  cust = await makeCustomer(t.tdb.db, { name: 'Faye' });
  await makeLine(t.tdb.db, cust, 'FIXE', [['active', '2025-12-01T08:00:00Z']], { number: DN });
});
afterAll(async () => {
  await t?.close();
});

type Ticket = Record<string, unknown> & { id: string; status: string };

describe('TMF621 troubleTicket', () => {
  it('creates a real fault on a line, with its diagnosis; closing keeps GPTo’s rules', async () => {
    const res = await t.call('POST', `${BASE}/troubleTicket`, care, {
      ticketType: 'fault',
      name: 'no_dial_tone',
      description: 'Plus de tonalité depuis ce matin',
      severity: 'critical',
      relatedEntity: [{ id: `number-${DN}`, role: 'line', '@referredType': 'Resource' }],
    });
    expect(res.statusCode, res.body).toBe(201);
    const tt = res.json() as Ticket;
    expect(tt).toMatchObject({
      ticketType: 'fault',
      status: 'inProgress',
      relatedParty: [{ id: cust.code, role: 'customer' }],
      '@type': 'TroubleTicket',
    });
    expect(swaggerErrors('TMF621', 'TroubleTicket', tt)).toEqual([]);
    const native = (await t.call('GET', `/api/v1/faults/${tt.id}`, care)).json() as {
      lineId: string;
      symptom: string;
    };
    expect(native).toMatchObject({ lineId: DN, symptom: 'no_dial_tone' });
    expect(JSON.stringify(tt.note)).toContain('GPTo diagnosis');

    // Only a resolved fault (field report with its cause) may be closed: GPTo's rule, in TMF's shape.
    const early = await t.call('PATCH', `${BASE}/troubleTicket/${tt.id}`, care, {
      status: 'closed',
      statusChangeReason: 'le client ne répond plus',
    });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ code: 'fault.state', '@type': 'Error' });
    const noReason = await t.call('PATCH', `${BASE}/troubleTicket/${tt.id}`, care, { status: 'inProgress' });
    expect(noReason.json()).toMatchObject({ status: 'inProgress' }); // already in progress: nothing to do
    const cancel = await t.call('PATCH', `${BASE}/troubleTicket/${tt.id}`, care, { status: 'cancelled' });
    expect(cancel.json()).toMatchObject({ status: '400', field: 'status' });
  });

  it('opens a billing complaint on a bill and lists tickets by type and customer', async () => {
    const res = await t.call('POST', `${BASE}/troubleTicket`, care, {
      ticketType: 'complaint',
      name: 'Facture de janvier trop élevée',
      description: 'Le client conteste les communications facturées',
      severity: 'minor',
      relatedParty: [{ id: cust.code, role: 'customer', '@referredType': 'Customer', name: 'Faye' }],
    });
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json() as Ticket;
    expect(c).toMatchObject({ ticketType: 'complaint', status: 'inProgress' });
    expect(swaggerErrors('TMF621', 'TroubleTicket', c)).toEqual([]);
    const mine = await t.call('GET', `${BASE}/troubleTicket?relatedParty.id=${cust.code}`, care);
    expect((mine.json() as Ticket[]).map((x) => x.ticketType).sort()).toEqual(['complaint', 'fault']);
    expect(mine.headers['x-total-count']).toBe('2');
    const complaints = (
      await t.call('GET', `${BASE}/troubleTicket?ticketType=complaint`, care)
    ).json() as Ticket[];
    expect(complaints.map((x) => x.id)).toEqual([c.id]);
    const decide = await t.call('PATCH', `${BASE}/troubleTicket/${c.id}`, care, { status: 'resolved' });
    expect(decide.json()).toMatchObject({ status: '400', field: 'status' });
  });

  it('names the field at fault; rights', async () => {
    const noLine = await t.call('POST', `${BASE}/troubleTicket`, care, {
      ticketType: 'fault',
      description: 'x',
      severity: 'minor',
    });
    expect(noLine.json()).toMatchObject({ status: '400', field: 'relatedEntity' });
    const unknownLine = await t.call('POST', `${BASE}/troubleTicket`, care, {
      ticketType: 'fault',
      description: 'x',
      severity: 'minor',
      relatedEntity: [{ id: '338200000', role: 'line', '@referredType': 'Resource' }],
    });
    expect(unknownLine.statusCode).toBe(404);
    expect((await t.call('GET', `${BASE}/troubleTicket/D999999`, care)).statusCode).toBe(404);
    const enquiries = await t.login('enquiries');
    expect((await t.call('GET', `${BASE}/troubleTicket`, enquiries)).statusCode).toBe(403);
  });
});
