import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { makeCustomer } from '../billing/test-fixtures.js';
import { hubNotes } from './hub-notes.testing.js';
import { tmfApisOf } from './index.js';

const BASE = '/tmf-api/partyInteraction/v4/partyInteraction';
let t: TestApp;
let care: string;
let customer: { code: string };
type Obj = Record<string, unknown> & { id: string };

beforeAll(async () => {
  t = await createTestApp();
  care = await t.login('commercial');
  customer = await makeCustomer(t.tdb.db, { name: 'Contact' });
});
afterAll(async () => {
  await t?.close();
});

const call = (customerCode: string, extra: Record<string, unknown> = {}) => ({
  relatedParty: [{ id: customerCode, role: 'customer', '@referredType': 'Customer' }],
  channel: [{ id: 'phone', name: 'phone' }],
  direction: 'inbound',
  reason: 'asks about roaming',
  description: 'Customer asks whether roaming works in Mali',
  status: 'inProgress',
  note: [{ text: 'will call back with the tariff' }],
  interactionItem: [{ item: { id: customerCode, '@referredType': 'Customer' } }],
  ...extra,
});

describe('TMF683 POST and PATCH partyInteraction', () => {
  it('records a contact on the customer’s timeline, the same row the native API shows', async () => {
    const res = await t.call('POST', BASE, care, call(customer.code));
    expect(res.statusCode, res.body).toBe(201);
    const pi = res.json() as Obj;
    expect(res.headers.location).toBe(pi.href);
    expect(swaggerErrors('TMF683', 'PartyInteraction', pi)).toEqual([]);
    expect(pi).toMatchObject({
      reason: 'asks about roaming',
      direction: 'inbound',
      status: 'inProgress',
      channel: [{ id: 'phone' }],
      note: [{ text: 'will call back with the tariff', author: 'commercial' }],
      interactionItem: [{ item: { id: customer.code, '@referredType': 'Customer' } }],
    });
    expect(pi.relatedParty).toContainEqual(expect.objectContaining({ id: customer.code, role: 'customer' }));
    expect(pi.relatedParty).toContainEqual(expect.objectContaining({ id: 'commercial', role: 'agent' }));
    const timeline = (await t.call('GET', `/api/v1/customers/${customer.code}/events`, care)).json() as {
      items: { id: number; kind: string; payload: { reason?: string } }[];
    };
    const row = timeline.items.find((e) => e.kind === 'contact.recorded');
    expect(row && `PI${row.id}`).toBe(pi.id);
    expect(row?.payload.reason).toBe('asks about roaming');
    expect((await t.call('GET', `${BASE}/${pi.id}`, care)).json()).toEqual(pi);
    const mine = (
      await t.call('GET', `${BASE}?relatedParty.id=${customer.code}&reason=asks about roaming`, care)
    ).json() as Obj[];
    expect(mine.map((i) => i.id)).toEqual([pi.id]);

    // PATCH: completed with a note added; the change is a journal row of its own
    const patched = await t.call('PATCH', `${BASE}/${pi.id}`, care, {
      status: 'completed',
      note: [{ text: 'will call back with the tariff' }, { text: 'tariff given: 250 XOF/min' }],
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const done = patched.json() as Obj;
    expect(swaggerErrors('TMF683', 'PartyInteraction', done)).toEqual([]);
    expect(done).toMatchObject({ status: 'completed' });
    expect((done.note as { text: string }[]).map((n) => n.text)).toEqual([
      'will call back with the tariff',
      'tariff given: 250 XOF/min',
    ]);
    expect((done.interactionDate as { endDateTime?: string }).endDateTime).toBeDefined();
    expect((await t.call('GET', `${BASE}/${pi.id}`, care)).json()).toEqual(done);
    const reopen = await t.call('PATCH', `${BASE}/${pi.id}`, care, { status: 'inProgress' });
    expect(reopen.statusCode).toBe(422);
    expect(reopen.json()).toMatchObject({ '@type': 'Error', field: 'status' });
    const fixed = await t.call('PATCH', `${BASE}/${pi.id}`, care, { reason: 'other' });
    expect(fixed.json()).toMatchObject({ status: '400', field: 'reason' });

    // the hub's mapping: the recorded row is a CreateEvent of this id, the change a StatusChangeEvent
    const def = tmfApisOf(t.app.http)
      .find((a) => a.name === 'partyInteraction')!
      .resources.find((r) => r.path === 'partyInteraction')!;
    const rows = await sql<{ entity_id: string; kind: string; payload: unknown }>`
      SELECT entity_id, kind, payload FROM event WHERE kind IN ('contact.recorded', 'contact.updated') ORDER BY id`.execute(
      t.tdb.db,
    );
    const mapped = await Promise.all(
      rows.rows.map(async (r) => [def.events!.classify(r), await def.events!.idOf!(r.entity_id, r)]),
    );
    expect(mapped).toEqual([
      ['CreateEvent', pi.id],
      ['StatusChangeEvent', pi.id],
    ]);
    const notes = (await hubNotes(t.tdb.db, t.app, 'partyInteraction', 'contact', ['customer:read'])).concat(
      (await hubNotes(t.tdb.db, t.app, 'partyInteraction', 'customer', ['customer:read'])).filter(
        (n) => (n.body.event as { partyInteraction: { id: string } }).partyInteraction.id === pi.id,
      ),
    );
    expect(notes.map((n) => n.body.eventType).sort()).toEqual([
      'PartyInteractionCreateEvent',
      'PartyInteractionStatusChangeEvent',
    ]);
    for (const n of notes) expect(swaggerErrors('TMF683', n.body.eventType, n.body)).toEqual([]);
  });

  it('refuses what it cannot record, naming the field, and checks rights', async () => {
    const noCustomer = await t.call('POST', BASE, care, call(customer.code, { relatedParty: [] }));
    expect(noCustomer.json()).toMatchObject({ status: '400', field: 'relatedParty' });
    const unknown = await t.call('POST', BASE, care, call('C99999999'));
    expect(unknown.statusCode).toBe(404);
    const noChannel = await t.call('POST', BASE, care, call(customer.code, { channel: [] }));
    expect(noChannel.json()).toMatchObject({ field: 'channel' });
    const direction = await t.call('POST', BASE, care, call(customer.code, { direction: 'sideways' }));
    expect(direction.json()).toMatchObject({ field: 'direction' });
    // a contact read from the work done (the customer's creation) does not change
    const created = (
      await t.call('GET', `${BASE}?relatedParty.id=${customer.code}&reason=new customer`, care)
    ).json() as Obj[];
    expect(created).toHaveLength(1);
    const ro = await t.call('PATCH', `${BASE}/${created[0]!.id}`, care, { status: 'completed' });
    expect(ro.statusCode).toBe(422);
    expect((await t.call('PATCH', `${BASE}/PI999999999`, care, { status: 'completed' })).statusCode).toBe(
      404,
    );
    expect((await t.call('POST', BASE, undefined, call(customer.code))).statusCode).toBe(401);
    const stock = await t.login('stock');
    expect((await t.call('POST', BASE, stock, call(customer.code))).statusCode).toBe(403);
  });
});
