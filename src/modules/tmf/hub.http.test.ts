import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { DAKAR_ADDRESS, DEMO_CATEGORIES } from '../../../test/tmf/server.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';
import { createUser } from '../../platform/auth/auth.service.js';
import { SYSTEM } from '../../platform/events.js';
import { TmfHub } from './hub-dispatcher.js';
import { tmfApisOf } from './index.js';

const BASE = '/tmf-api/customerManagement/v4';

interface Note {
  eventId: string;
  eventType: string;
  event: { customer: { id: string; status: string } };
}

/** A TMF listener on a fixed port that can be down (port closed), failing (500) or up. */
class Listener {
  server: Server | undefined;
  port = 0;
  mode: 'up' | 'failing' = 'up';
  received = new Map<string, { path: string; note: Note }[]>();
  failed = 0;

  async open(): Promise<void> {
    const srv = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        if (this.mode === 'failing') {
          this.failed++;
          res.statusCode = 500;
          return res.end();
        }
        const [, root, ...rest] = (req.url ?? '').split('/');
        const list = this.received.get(root ?? '') ?? [];
        list.push({ path: rest.join('/'), note: JSON.parse(data) as Note });
        this.received.set(root ?? '', list);
        res.statusCode = 201;
        res.end();
      });
    });
    await new Promise<void>((resolve) => srv.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (srv.address() as AddressInfo).port;
    this.server = srv;
  }

  async close(): Promise<void> {
    const srv = this.server;
    this.server = undefined;
    if (srv) {
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
  }

  notes(root: string): { path: string; note: Note }[] {
    return this.received.get(root) ?? [];
  }
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let t: TestApp;
let admin: string;
const listener = new Listener();

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.login('admin');
  await listener.open();
});
afterAll(async () => {
  await listener.close();
  await t?.close();
});

const organisation = (name: string) => ({
  name,
  engagedParty: { '@referredType': 'Organization' },
  contactMedium: [DAKAR_ADDRESS],
  characteristic: DEMO_CATEGORIES,
});

async function createCustomer(name: string): Promise<string> {
  const res = await t.call('POST', `${BASE}/customer`, admin, organisation(name));
  expect(res.statusCode).toBe(201);
  return (res.json() as { id: string }).id;
}

async function patchCustomer(id: string, body: Record<string, unknown>): Promise<void> {
  const res = await t.call('PATCH', `${BASE}/customer/${id}`, admin, body);
  expect(res.statusCode, res.body).toBe(200);
}

describe('TMF hub routes', () => {
  it('registers, reads and deletes a listener (EventSubscription), Location and all', async () => {
    const res = await t.call('POST', `${BASE}/hub`, admin, {
      callback: 'https://crm.example.sn/tmf',
      query: 'eventType=CustomerCreateEvent',
    });
    expect(res.statusCode).toBe(201);
    const sub = res.json() as { id: string };
    expect(sub).toEqual({
      id: sub.id,
      callback: 'https://crm.example.sn/tmf',
      query: 'eventType=CustomerCreateEvent',
    });
    expect(swaggerErrors('TMF629', 'EventSubscription', sub)).toEqual([]);
    expect(res.headers.location).toMatch(new RegExp(`${BASE}/hub/${sub.id}$`));
    const got = await t.call('GET', `${BASE}/hub/${sub.id}`, admin);
    expect(got.json()).toEqual(sub);
    // Another API's hub does not know it.
    expect((await t.call('GET', `/tmf-api/party/v4/hub/${sub.id}`, admin)).statusCode).toBe(404);
    const journal = await sql<{ kind: string; payload: { callback: string } }>`
      SELECT kind, payload FROM event WHERE entity_type = 'tmf_subscription' AND entity_id = ${sub.id}`.execute(
      t.tdb.db,
    );
    expect(journal.rows).toEqual([
      {
        kind: 'tmf_subscription.created',
        payload: expect.objectContaining({ callback: 'https://crm.example.sn/tmf' }),
      },
    ]);
    expect((await t.call('DELETE', `${BASE}/hub/${sub.id}`, admin)).statusCode).toBe(204);
    const gone = await t.call('GET', `${BASE}/hub/${sub.id}`, admin);
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ '@type': 'Error', status: '404' });
    expect((await t.call('DELETE', `${BASE}/hub/${sub.id}`, admin)).statusCode).toBe(404);
  });

  it('names the field at fault', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'callback'],
      [{ callback: 'ftp://crm.example.sn/x' }, 'callback'],
      [{ callback: 'not a url' }, 'callback'],
      [{ callback: 'https://user:secret@crm.example.sn/x' }, 'callback'],
      [{ callback: 'https://crm.example.sn', query: 'eventType=ProductOrderCreateEvent' }, 'query'],
      [{ callback: 'https://crm.example.sn', query: 'status' }, 'query'],
      [{ callback: 'https://crm.example.sn', query: 'name=x' }, 'query'],
      [{ callback: 'https://crm.example.sn', query: 'eventType=%E0%A4%A' }, 'query'],
      [{ callback: 'https://crm.example.sn', query: 42 }, 'query'],
      [{ callback: ['https://crm.example.sn'] }, 'callback'],
      [{ callback: `https://crm.example.sn/${'x'.repeat(3000)}` }, 'callback'],
      [{ callback: 'https://crm.example.sn', calback: 'x' }, 'calback'],
    ];
    for (const body of [[], 'text', 7, null]) {
      const res = await t.app.http.inject({
        method: 'POST',
        url: `${BASE}/hub`,
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json()).toMatchObject({ '@type': 'Error', field: 'body' });
    }
    for (const [body, field] of cases) {
      const res = await t.call('POST', `${BASE}/hub`, admin, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json()).toMatchObject({ '@type': 'Error', field });
      expect(swaggerErrors('TMF629', 'Error', res.json())).toEqual([]);
    }
  });

  it('never answers 500 to hostile bodies or ids', async () => {
    const hostile = fc.oneof(
      fc.string(),
      fc.constantFrom('%', '%E0%A4%A', '\u0000', 'x'.repeat(5000), '../../etc'),
    );
    const value = fc.oneof(fc.jsonValue(), hostile);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(value, fc.record({ callback: value, query: value }, { requiredKeys: [] })),
        fc.oneof(hostile, fc.constantFrom('1', '999999999999999999999')),
        async (body, id) => {
          const post = await t.call('POST', `${BASE}/hub`, admin, body);
          expect(post.statusCode, JSON.stringify(body)).toBeLessThan(500);
          if (post.statusCode === 400) expect(post.json()).toMatchObject({ '@type': 'Error' });
          if (post.statusCode === 201) {
            const sub = post.json() as { id: string };
            expect((await t.call('DELETE', `${BASE}/hub/${sub.id}`, admin)).statusCode).toBe(204);
          }
          const del = await t.call('DELETE', `${BASE}/hub/${encodeURIComponent(id || '1')}`, admin);
          expect(del.statusCode, id).toBeLessThan(500);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('asks for the read right of the API, and keeps subscriptions to their owner', async () => {
    const body = { callback: 'https://crm.example.sn/tmf' };
    expect((await t.call('POST', `${BASE}/hub`, undefined, body)).statusCode).toBe(401);
    const enquiries = await t.login('enquiries');
    const denied = await t.call('POST', `${BASE}/hub`, enquiries, body);
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ '@type': 'Error' });
    const commercial = await t.login('commercial');
    const mine = (await t.call('POST', `${BASE}/hub`, commercial, body)).json() as { id: string };
    const care = await t.login('care');
    expect((await t.call('GET', `${BASE}/hub/${mine.id}`, care)).statusCode).toBe(404);
    expect((await t.call('DELETE', `${BASE}/hub/${mine.id}`, care)).statusCode).toBe(404);
    expect((await t.call('GET', `${BASE}/hub/${mine.id}`, admin)).statusCode).toBe(200);
    expect((await t.call('DELETE', `${BASE}/hub/${mine.id}`, commercial)).statusCode).toBe(204);
  });
});

describe('TMF hub delivery', () => {
  it('delivers every event after the listener was down, in order per customer', async () => {
    await sql`UPDATE tmf_hub_subscription SET status = 'deleted'`.execute(t.tdb.db);
    const all = (
      await t.call('POST', `${BASE}/hub`, admin, { callback: `http://127.0.0.1:${listener.port}/all` })
    ).json() as { id: string };
    const states = (
      await t.call('POST', `${BASE}/hub`, admin, {
        callback: `http://127.0.0.1:${listener.port}/states/`,
        query: 'eventType=CustomerStateChangeEvent',
      })
    ).json() as { id: string };
    const hub = new TmfHub(t.tdb.db, tmfApisOf(t.app.http), {
      pollMs: 20,
      backoffBaseMs: 40,
      backoffCapMs: 400,
      timeoutMs: 5_000,
    });
    hub.start();
    const errors = new Set<string>();
    const failures = async () => {
      const r = await sql<{ failures: number; last_error: string | null }>`
        SELECT failures, last_error FROM tmf_hub_subscription WHERE id = ${Number(all.id)}`.execute(t.tdb.db);
      if (r.rows[0]?.last_error) errors.add(r.rows[0].last_error);
      return r.rows[0]?.failures ?? 0;
    };
    try {
      const a = await createCustomer('Hub Alpha SARL');
      await patchCustomer(a, {
        contactMedium: [{ mediumType: 'email', characteristic: { emailAddress: 'a@hub.sn' } }],
      });
      await until('the first notifications', () => listener.notes('all').length >= 2);

      // Down: the port is closed, changes go on.
      await listener.close();
      const b = await createCustomer('Hub Beta SARL');
      await patchCustomer(a, { status: 'inactive' });
      await patchCustomer(b, {
        contactMedium: [{ mediumType: 'email', characteristic: { emailAddress: 'b@hub.sn' } }],
      });
      await until('failed attempts while down', async () => (await failures()) >= 3);

      // Back, but failing (500) for a while.
      listener.mode = 'failing';
      await listener.open();
      await patchCustomer(b, { status: 'inactive' });
      await patchCustomer(a, { status: 'active' });
      const c = await createCustomer('Hub Gamma SARL');
      await until('500s answered', () => listener.failed >= 3);
      await failures(); // the last failure recorded is a 500

      // Up again: everything arrives.
      listener.mode = 'up';
      const customers = [a, b, c];
      const rows = await sql<{ id: number; entity_id: string; kind: string; payload: unknown }>`
        SELECT e.id, e.entity_id, e.kind, e.payload FROM event e JOIN customer c ON c.id::text = e.entity_id
        WHERE e.entity_type = 'customer' AND c.code = ANY(${customers}::text[]) ORDER BY e.id`.execute(
        t.tdb.db,
      );
      const mapping = tmfApisOf(t.app.http)
        .find((x) => x.name === 'customerManagement')!
        .resources.find((r) => r.type === 'Customer')!.events!;
      const expected = rows.rows
        .map((r) => ({ id: String(r.id), type: `Customer${mapping.classify(r) ?? ''}` }))
        .filter((e) => e.type !== 'Customer');
      // three creations, two contact changes, three status changes
      expect(expected.length).toBe(8);
      const expectedStates = expected.filter((e) => e.type === 'CustomerStateChangeEvent');
      expect(expectedStates.length).toBe(3);
      const unique = (root: string) => new Set(listener.notes(root).map((n) => n.note.eventId));
      await until(
        'every notification',
        () => unique('all').size >= expected.length && unique('states').size >= expectedStates.length,
      );
      await failures();
      expect([...errors].some((e) => e === 'ECONNREFUSED')).toBe(true);
      expect([...errors]).toContain('HTTP 500');

      const got = listener.notes('all');
      expect([...unique('all')].sort()).toEqual(expected.map((e) => e.id).sort());
      const duplicates = got.length - unique('all').size;
      expect(duplicates, `${duplicates} duplicate notifications`).toBeGreaterThanOrEqual(0);
      for (const { path, note } of got) {
        expect(path).toBe(`listener/${note.eventType.charAt(0).toLowerCase()}${note.eventType.slice(1)}`);
        expect(note.eventType).toBe(expected.find((e) => e.id === note.eventId)?.type);
        expect(swaggerErrors('TMF629', note.eventType, note), note.eventType).toEqual([]);
      }
      // In order per customer: the first arrival of each event follows the journal's order.
      for (const code of customers) {
        const seen: number[] = [];
        for (const { note } of got)
          if (note.event.customer.id === code && !seen.includes(Number(note.eventId)))
            seen.push(Number(note.eventId));
        expect(seen.length).toBeGreaterThan(0);
        expect(seen).toEqual([...seen].sort((x, y) => x - y));
      }
      // The filtered subscription got the state changes only, through its own path.
      const st = listener.notes('states');
      expect([...unique('states')].sort()).toEqual(expectedStates.map((e) => e.id).sort());
      expect(new Set(st.map((n) => n.path))).toEqual(new Set(['listener/customerStateChangeEvent']));
      const subs = await sql<{ id: number; failures: number; last_error: string | null }>`
        SELECT id, failures, last_error FROM tmf_hub_subscription WHERE id = ANY(${[Number(all.id), Number(states.id)]}::bigint[])
        ORDER BY id`.execute(t.tdb.db);
      await until('the cursors saved', async () => {
        const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM tmf_hub_subscription
          WHERE id = ANY(${[Number(all.id), Number(states.id)]}::bigint[]) AND failures = 0`.execute(
          t.tdb.db,
        );
        return r.rows[0]?.n === 2;
      });
      expect(subs.rows.length).toBe(2);
    } finally {
      await hub.stop();
    }
  });

  it('sends a subscriber only what its creator may still read', async () => {
    await sql`UPDATE tmf_hub_subscription SET status = 'deleted'`.execute(t.tdb.db);
    await t.tdb.db
      .insertInto('role')
      .values({ code: 'hub_watch', name: 'Watcher', rights: ['customer:read'] })
      .execute();
    await createUser(
      t.tdb.db,
      {
        username: 'watcher',
        displayName: 'Watcher',
        password: 'watcher-password',
        roles: ['hub_watch'],
        actors: [],
      },
      SYSTEM,
    );
    const watcher = await t.login('watcher', 'watcher-password');
    const res = await t.call('POST', `${BASE}/hub`, watcher, {
      callback: `http://127.0.0.1:${listener.port}/watch`,
    });
    expect(res.statusCode).toBe(201);
    const hub = new TmfHub(t.tdb.db, tmfApisOf(t.app.http));
    const seen = await createCustomer('Hub Visible SA');
    await hub.runOnce();
    expect(listener.notes('watch').map((n) => n.note.event.customer.id)).toEqual([seen]);
    await sql`UPDATE role SET rights = '{}' WHERE code = 'hub_watch'`.execute(t.tdb.db);
    await createCustomer('Hub Hidden SA');
    await hub.runOnce();
    expect(listener.notes('watch').map((n) => n.note.event.customer.id)).toEqual([seen]);
  });
});
