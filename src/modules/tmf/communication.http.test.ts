import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, DEMO_PASSWORD, TEST_SECRET_KEY } from '../../../test/app.js';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { buildApp, type App } from '../../app.js';
import { loadReferenceData } from '../../demo/reference-data.js';
import { bootstrap } from '../../platform/bootstrap.js';
import { makeCustomer } from '../billing/test-fixtures.js';
import { hubNotes } from './hub-notes.testing.js';
import { tmfApisOf } from './index.js';

/**
 * TMF681 POST communicationMessage sends through the bills' SMTP sender: a real SMTP listener
 * here receives it (one recipient refused on demand), and an app without GPTO_SMTP_URL refuses.
 */

const BASE = '/tmf-api/communicationManagement/v4/communicationMessage';
const received: { to: string[]; raw: string }[] = [];
const state = { refuse: null as string | null };
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onRcptTo(address, _session, cb) {
    if (state.refuse && address.address === state.refuse) {
      const err = new Error('mailbox unavailable') as Error & { responseCode: number };
      err.responseCode = 550;
      return cb(err);
    }
    cb();
  },
  onData(stream, session, cb) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      received.push({
        to: session.envelope.rcptTo.map((r) => r.address),
        raw: Buffer.concat(chunks).toString('utf8'),
      });
      cb();
    });
  },
});

let tdb: TestDb;
let app: App;
let bare: App;
let customer: { code: string };
let token: string;

async function login(a: App, username: string, password: string): Promise<string> {
  const res = await a.http.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username, password },
  });
  return (res.json() as { token: string }).token;
}
const call = (a: App, method: 'GET' | 'POST', url: string, body?: unknown) =>
  a.http.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(body !== undefined ? { payload: body as object } : {}),
  });

beforeAll(async () => {
  const port = await new Promise<number>((resolve) =>
    smtp.listen(0, '127.0.0.1', () => resolve((smtp.server.address() as AddressInfo).port)),
  );
  tdb = await createTestDb();
  await bootstrap(tdb.db, ADMIN_PASSWORD);
  await loadReferenceData(tdb.db, DEMO_PASSWORD);
  const config = { currency: 'XOF', logLevel: 'silent' as const, secretKey: TEST_SECRET_KEY };
  app = await buildApp({
    db: tdb.db,
    config: { ...config, smtpUrl: `smtp://127.0.0.1:${port}`, mailFrom: 'GPTo <clients@gpto.example>' },
    logger: false,
  });
  bare = await buildApp({ db: tdb.db, config, logger: false });
  customer = await makeCustomer(tdb.db, { name: 'Destinataire', email: 'destinataire@client.sn' });
  token = await login(app, 'commercial', DEMO_PASSWORD);
});
afterAll(async () => {
  app?.billingCycle.delivery.close();
  await app?.http.close();
  await bare?.http.close();
  await tdb?.close();
  await new Promise<void>((r) => smtp.close(() => r()));
});

const message = (extra: Record<string, unknown> = {}) => ({
  messageType: 'email',
  subject: 'Votre ligne est prête',
  content: 'Bonjour, votre ligne mobile est active depuis ce matin.',
  sender: { id: 'crm', name: 'CRM' },
  receiver: [{ id: customer.code, party: { id: customer.code, '@referredType': 'Customer' } }],
  ...extra,
});

describe('TMF681 POST communicationMessage', () => {
  it('sends the e-mail through SMTP, records it and shows it with its state', async () => {
    const res = await call(app, 'POST', BASE, message());
    expect(res.statusCode, res.body).toBe(201);
    const m = res.json() as Record<string, unknown> & { id: string };
    expect(res.headers.location).toBe(m.href);
    expect(swaggerErrors('TMF681', 'CommunicationMessage', m)).toEqual([]);
    expect(m).toMatchObject({
      messageType: 'email',
      state: 'completed',
      subject: 'Votre ligne est prête',
      receiver: [{ id: customer.code, email: 'destinataire@client.sn' }],
    });
    expect(m.sendTime).toBeDefined();
    expect(received).toHaveLength(1);
    expect(received[0]!.to).toEqual(['destinataire@client.sn']);
    expect(received[0]!.raw).toContain('From: GPTo <clients@gpto.example>');
    expect(received[0]!.raw).toContain('votre ligne mobile est active');
    expect((await call(app, 'GET', `${BASE}/${m.id}`)).json()).toEqual(m);
    const mine = (await call(app, 'GET', `${BASE}?receiver.id=${customer.code}`)).json() as { id: string }[];
    expect(mine.map((x) => x.id)).toEqual([m.id]);
    // on the customer's timeline, and a state change for the hub
    const timeline = (await call(app, 'GET', `/api/v1/customers/${customer.code}/events`)).json() as {
      items: { kind: string }[];
    };
    expect(timeline.items.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['message.queued', 'message.sent']),
    );
    const def = tmfApisOf(app.http)
      .find((a) => a.name === 'communicationManagement')!
      .resources.find((r) => r.path === 'communicationMessage')!;
    const rows = await sql<{ entity_id: string; kind: string; payload: unknown }>`
      SELECT entity_id, kind, payload FROM event WHERE entity_type = 'communication_message' ORDER BY id`.execute(
      tdb.db,
    );
    const mapped = await Promise.all(
      rows.rows.map(async (r) => [def.events!.classify(r), await def.events!.idOf!(r.entity_id, r)]),
    );
    expect(mapped).toEqual([
      [null, m.id],
      ['StateChangeEvent', m.id],
    ]);
    const notes = await hubNotes(tdb.db, app, 'communicationManagement', 'communication_message', [
      'customer:read',
    ]);
    expect(notes.map((n) => n.path)).toEqual(['listener/communicationMessageStateChangeEvent']);
    expect(notes[0]!.body).toMatchObject({
      event: { communicationMessage: { id: m.id, state: 'completed' } },
    });
    for (const n of notes) expect(swaggerErrors('TMF681', n.body.eventType, n.body)).toEqual([]);
  });

  it('records a refused message as failed with the server’s answer', async () => {
    state.refuse = 'refuse@client.sn';
    const res = await call(
      app,
      'POST',
      BASE,
      message({ receiver: [{ id: customer.code, email: 'refuse@client.sn' }] }),
    );
    state.refuse = null;
    expect(res.statusCode, res.body).toBe(201);
    const m = res.json() as Record<string, unknown>;
    expect(swaggerErrors('TMF681', 'CommunicationMessage', m)).toEqual([]);
    expect(m).toMatchObject({ state: 'failed', tryTimes: 1 });
    expect(String(m.description)).toContain('550');
  });

  it('refuses what it cannot send, naming the field', async () => {
    const sms = await call(app, 'POST', BASE, message({ messageType: 'SMS' }));
    expect(sms.statusCode).toBe(422);
    expect(sms.json()).toMatchObject({
      '@type': 'Error',
      code: 'tmf.channel_unavailable',
      field: 'messageType',
    });
    const nobody = await call(app, 'POST', BASE, message({ receiver: [] }));
    expect(nobody.json()).toMatchObject({ status: '400', field: 'receiver' });
    const unknown = await call(app, 'POST', BASE, message({ receiver: [{ id: 'C99999999' }] }));
    expect(unknown.statusCode).toBe(404);
    const noMail = await makeCustomer(tdb.db, { name: 'Sans courriel' });
    const none = await call(app, 'POST', BASE, message({ receiver: [{ id: noMail.code }] }));
    expect(none.json()).toMatchObject({ field: 'receiver[0].email' });
    const empty = await call(app, 'POST', BASE, message({ content: '' }));
    expect(empty.json()).toMatchObject({ field: 'content' });
    const header = await call(app, 'POST', BASE, message({ subject: 'a\r\nBcc: x@y.z' }));
    expect(header.json()).toMatchObject({ field: 'subject' });
    // without an SMTP server nothing is recorded as if it could go
    const before = (await call(app, 'GET', BASE)).headers['x-total-count'];
    const off = await call(bare, 'POST', BASE, message());
    expect(off.statusCode).toBe(503);
    expect((await call(app, 'GET', BASE)).headers['x-total-count']).toBe(before);
    const stock = await login(app, 'stock', DEMO_PASSWORD);
    const denied = await app.http.inject({
      method: 'POST',
      url: BASE,
      headers: { authorization: `Bearer ${stock}` },
      payload: message(),
    });
    expect(denied.statusCode).toBe(403);
    expect(received).toHaveLength(1);
  });
});
