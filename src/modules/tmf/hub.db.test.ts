import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import type { Principal } from '../../platform/auth/auth.service.js';
import { bootstrap } from '../../platform/bootstrap.js';
import { appendEvent } from '../../platform/events.js';
import type { TmfApiDef } from './framework.js';
import { TmfHub } from './hub-dispatcher.js';
import { TmfHubSubscriptions } from './hub.js';

/**
 * The dispatcher on a real database and a real listener. The API is a small one of the test's own
 * (entity type `hub_thing`), so that the journal holds only the rows each test writes.
 */

let broken = false;
const api: TmfApiDef = {
  name: 'hubTest',
  title: 'Hub test API',
  resources: [
    {
      path: 'thing',
      type: 'Thing',
      read: 'customer:read',
      list: () => Promise.resolve({ items: [], total: 0 }),
      get: (id, ctx) =>
        id === 'boom' && broken
          ? Promise.reject(new Error('facade bug'))
          : Promise.resolve({ id, href: ctx.href('hubTest', 'thing', id), '@type': 'Thing' }),
      events: {
        entityTypes: ['hub_thing'],
        classify: ({ kind }) =>
          kind === 'thing.created' ? 'CreateEvent' : kind === 'thing.deleted' ? 'DeleteEvent' : null,
      },
    },
  ],
};

interface Received {
  path: string;
  body: { eventId: string; eventType: string; event: { thing: { id: string } } };
}

let tdb: TestDb;
let admin: Principal;
let listener: Server;
let callback: string;
let received: Received[] = [];
let answer = 200;

function listen(): Promise<Server> {
  const srv = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      if (answer === 200) received.push({ path: req.url ?? '', body: JSON.parse(data) as Received['body'] });
      res.statusCode = answer;
      res.end();
    });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

async function thing(id: string, kind = 'thing.created'): Promise<void> {
  await appendEvent(tdb.db, { entityType: 'hub_thing', entityId: id, kind });
}

beforeAll(async () => {
  tdb = await createTestDb();
  await bootstrap(tdb.db, 'admin-test-password');
  const u = await tdb.db
    .selectFrom('app_user')
    .select('id')
    .where('username', '=', 'admin')
    .executeTakeFirstOrThrow();
  admin = {
    userId: u.id,
    username: 'admin',
    displayName: 'admin',
    rights: new Set(['*']),
    roles: ['admin'],
    actors: [],
  };
  listener = await listen();
  callback = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/gpto`;
});
afterAll(async () => {
  await new Promise((r) => listener?.close(r));
  await tdb?.close();
});
beforeEach(async () => {
  received = [];
  answer = 200;
  await sql`UPDATE tmf_hub_subscription SET status = 'deleted'`.execute(tdb.db);
});

async function subscribe(query?: string): Promise<string> {
  const subs = new TmfHubSubscriptions(tdb.db);
  const s = await subs.create(api, { callback, ...(query ? { query } : {}) }, admin, 'http://gpto.test');
  return s.id;
}

describe('TMF hub dispatcher', () => {
  it('delivers the event of a transaction that commits after a later one (no gap in the journal)', async () => {
    const hub = new TmfHub(tdb.db, [api], { pollMs: 10 });
    await subscribe();
    const t1 = await tdb.pool.connect();
    try {
      await t1.query('BEGIN');
      await t1.query(
        `INSERT INTO event (entity_type, entity_id, kind) VALUES ('hub_thing', 'late', 'thing.created')`,
      );
      await thing('early'); // T2: inserted after T1's row, committed first
      expect(await hub.runOnce()).toBe(true);
      expect(received.map((r) => r.body.event.thing.id)).toEqual(['early']);
      await t1.query('COMMIT');
    } finally {
      t1.release();
    }
    await hub.runOnce();
    expect(received.map((r) => r.body.event.thing.id)).toEqual(['early', 'late']);
    // The late row's id is the lower one: a reader going by "id > last delivered" would have lost it.
    const [late, early] = received.map((r) => Number(r.body.eventId)).reverse();
    expect(late).toBeLessThan(early!);
    expect(received[0]).toMatchObject({
      path: '/gpto/listener/thingCreateEvent',
      body: {
        eventType: 'ThingCreateEvent',
        event: { thing: { id: 'early', href: 'http://gpto.test/tmf-api/hubTest/v4/thing/early' } },
      },
    });
  });

  it('keeps the lock order of one resource even when the first writer has the younger transaction id', async () => {
    const hub = new TmfHub(tdb.db, [api]);
    await subscribe();
    const older = await tdb.pool.connect();
    const younger = await tdb.pool.connect();
    try {
      await older.query('BEGIN');
      await older.query('SELECT pg_current_xact_id()'); // the older transaction id, taken first
      await younger.query('BEGIN');
      // Two changes of the resource `res` under its lock (an advisory lock stands for the row lock).
      await younger.query(`SELECT pg_advisory_xact_lock(7479999)`);
      await younger.query(
        `INSERT INTO event (entity_type, entity_id, kind) VALUES ('hub_thing', 'res', 'thing.created')`,
      );
      const waiting = older
        .query(`SELECT pg_advisory_xact_lock(7479999)`)
        .then(() =>
          older.query(
            `INSERT INTO event (entity_type, entity_id, kind) VALUES ('hub_thing', 'res', 'thing.deleted')`,
          ),
        );
      await younger.query('COMMIT');
      await waiting;
      await hub.runOnce(); // the older one still runs: only the first change goes
      expect(received.map((r) => r.body.eventType)).toEqual(['ThingCreateEvent']);
      await older.query('COMMIT');
    } finally {
      older.release();
      younger.release();
    }
    await hub.runOnce();
    expect(received.map((r) => r.body.eventType)).toEqual(['ThingCreateEvent', 'ThingDeleteEvent']);
    const ids = await sql<{ txid: string; id: number }>`
      SELECT txid::text, id FROM event WHERE entity_type = 'hub_thing' AND entity_id = 'res' ORDER BY id`.execute(
      tdb.db,
    );
    // Ordered by transaction id, the delete would have come first.
    expect(BigInt(ids.rows[1]!.txid)).toBeLessThan(BigInt(ids.rows[0]!.txid));
  });

  it('never delivers a rolled-back change, and sends only what the query asks for', async () => {
    const hub = new TmfHub(tdb.db, [api]);
    await subscribe('eventType=ThingDeleteEvent');
    await tdb.db
      .transaction()
      .execute(async (trx) => {
        await appendEvent(trx, { entityType: 'hub_thing', entityId: 'ghost', kind: 'thing.deleted' });
        throw new Error('rollback');
      })
      .catch(() => undefined);
    await thing('a');
    await thing('a', 'thing.deleted');
    await hub.runOnce();
    expect(received.map((r) => [r.body.eventType, r.body.event.thing.id])).toEqual([
      ['ThingDeleteEvent', 'a'],
    ]);
    expect(received[0]?.body.event.thing).toEqual({
      id: 'a',
      href: 'http://gpto.test/tmf-api/hubTest/v4/thing/a',
      '@type': 'Thing',
    });
  });

  it('keeps the cursor on a failing listener, backs off, then delivers in order', async () => {
    const hub = new TmfHub(tdb.db, [api], { backoffBaseMs: 60_000 });
    const id = await subscribe();
    answer = 503;
    await thing('r1');
    await thing('r2');
    await hub.runOnce();
    const failing = await sql<{ failures: number; last_error: string; wait: number }>`
      SELECT failures, last_error, extract(epoch FROM next_attempt_at - now()) AS wait
      FROM tmf_hub_subscription WHERE id = ${Number(id)}`.execute(tdb.db);
    expect(failing.rows[0]).toMatchObject({ failures: 1, last_error: 'HTTP 503' });
    expect(Number(failing.rows[0]?.wait)).toBeGreaterThan(30);
    answer = 200;
    await hub.runOnce(); // not due yet: nothing sent
    expect(received).toEqual([]);
    await sql`UPDATE tmf_hub_subscription SET next_attempt_at = now() WHERE id = ${Number(id)}`.execute(
      tdb.db,
    );
    await hub.runOnce();
    expect(received.map((r) => r.body.event.thing.id)).toEqual(['r1', 'r2']);
    const ok = await sql<{ failures: number; delivered: number; last_error: string | null }>`
      SELECT failures, delivered, last_error FROM tmf_hub_subscription WHERE id = ${Number(id)}`.execute(
      tdb.db,
    );
    expect(ok.rows[0]).toEqual({ failures: 0, delivered: 2, last_error: null });
  });

  it('holds a subscription whose row cannot be mapped, with back-off, instead of skipping the row', async () => {
    const hub = new TmfHub(tdb.db, [api]);
    const id = await subscribe();
    broken = true;
    try {
      await thing('boom');
      await thing('after');
      await hub.runOnce();
      expect(received).toEqual([]);
      const held = await sql<{ failures: number; last_error: string }>`
        SELECT failures, last_error FROM tmf_hub_subscription WHERE id = ${Number(id)}`.execute(tdb.db);
      expect(held.rows[0]).toEqual({ failures: 1, last_error: 'mapping failed' });
    } finally {
      broken = false;
    }
    await sql`UPDATE tmf_hub_subscription SET next_attempt_at = now() WHERE id = ${Number(id)}`.execute(
      tdb.db,
    );
    await hub.runOnce();
    expect(received.map((r) => r.body.event.thing.id)).toEqual(['boom', 'after']);
  });

  it('reads on after a logical restore into a younger cluster, sending the unread rows once', async () => {
    const hub = new TmfHub(tdb.db, [api]);
    await subscribe();
    await hub.runOnce();
    // What a pg_dump of an older cluster brings back: its journal rows keep that cluster's txids,
    // above this cluster's counter, and the hub's snapshot is that cluster's too.
    const now = await sql<{ x: string }>`SELECT pg_current_xact_id()::text AS x`.execute(tdb.db);
    const X = BigInt(now.rows[0]!.x) + 100n;
    const old = (id: string, txid: bigint) =>
      sql`INSERT INTO event (entity_type, entity_id, kind, txid)
        VALUES ('hub_thing', ${id}, 'thing.created', ${String(txid)}::xid8)`.execute(tdb.db);
    await old('read-before-the-dump', X - 30n);
    await old('running-at-the-last-window', X - 15n);
    await sql`UPDATE tmf_hub_state SET snapshot = ${`${X - 20n}:${X}:${X - 15n}`}::pg_snapshot,
      max_id = (SELECT max(id) FROM event)`.execute(tdb.db);
    await old('committed-after-the-last-window', X - 10n);
    await thing('written-since-the-restore');
    await hub.runOnce();
    expect(received.map((r) => r.body.event.thing.id)).toEqual([
      'running-at-the-last-window',
      'committed-after-the-last-window',
      'written-since-the-restore',
    ]);
    // Once this cluster's counter passes the old txids, the restored rows stay read.
    for (let i = 0; ; i++) {
      const x = await sql<{ x: string }>`SELECT pg_current_xact_id()::text AS x`.execute(tdb.db);
      if (BigInt(x.rows[0]!.x) > X || i > 1000) break;
    }
    await thing('later');
    await hub.runOnce();
    expect(received.map((r) => r.body.event.thing.id).slice(3)).toEqual(['later']);
  });

  it('runs one dispatcher per database and prunes the feed behind every cursor', async () => {
    const first = new TmfHub(tdb.db, [api], { pollMs: 20 });
    const second = new TmfHub(tdb.db, [api], { pollMs: 20 });
    await subscribe();
    first.start();
    await thing('solo');
    const deadline = Date.now() + 10_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await second.runOnce()).toBe(false); // the running loop holds the lock
    await first.stop();
    expect(received.map((r) => r.body.event.thing.id)).toEqual(['solo']);
    expect(await second.runOnce()).toBe(true);
    await second.prune();
    const left = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM tmf_hub_feed f
      WHERE f.win < (SELECT min(cursor_win) FROM tmf_hub_subscription WHERE status = 'active')`.execute(
      tdb.db,
    );
    expect(left.rows[0]?.n).toBe(0);
    await sql`UPDATE tmf_hub_subscription SET status = 'deleted'`.execute(tdb.db);
    await second.prune();
    const all = await sql<{ n: number }>`SELECT count(*)::int AS n FROM tmf_hub_feed`.execute(tdb.db);
    expect(all.rows[0]?.n).toBe(0);
    // Nobody listening: the journal's rows are not even copied to the feed.
    await thing('unheard');
    await second.runOnce();
    const still = await sql<{ n: number }>`SELECT count(*)::int AS n FROM tmf_hub_feed`.execute(tdb.db);
    expect(still.rows[0]?.n).toBe(0);
  });
});
