import { sql } from 'kysely';
import { actorOf, type Principal } from '../../platform/auth/auth.service.js';
import { findPrincipalByUserId } from '../../platform/auth/auth.repository.js';
import { hasRight } from '../../platform/auth/rights.js';
import type { Db, Executor } from '../../platform/db.js';
import { basePathOf, type TmfApiDef, type TmfContext, type TmfResourceDef } from './framework.js';
import { hubAccepts, lowerFirst, parseHubQuery, type HubFilter } from './hub.js';

/**
 * Delivers the TMF notifications of every /hub subscription from the event journal, at least
 * once, in order per subscription, retrying with exponential back-off while a listener fails.
 *
 * Reading the journal without skipping (migration 0700): journal ids are allocated at insert, so a
 * transaction that commits late holds ids below rows already visible. The hub never reads "ids
 * after the last one"; it cuts *windows*: window k is every row visible in snapshot S_k and not
 * in S_k-1 (pg_visible_in_snapshot on the row's txid). A transaction running at S_k-1 is invisible
 * there and visible in the first snapshot after its commit, so its rows land in exactly one later
 * window: none is skipped, none is read twice. Each window's rows are appended to `tmf_hub_feed`
 * in id order, and every subscription walks the feed by (win, event_id).
 *
 * Order per resource: the services write a resource's event while holding its row lock, so of two
 * transactions changing the same resource the second inserts its event (higher id) only after the
 * first committed; the first's row is then visible in every snapshot that sees the second's. So the
 * first lands in the same or an earlier window, and within a window ids give the lock order.
 *
 * One dispatcher per database (a session advisory lock); others wait as standbys.
 */

/** Session advisory lock held by the dispatcher of a database (platform keys are 7470xxx). */
const LOCK_KEY = 7470700;

export interface HubLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface TmfHubOptions {
  /** Between two looks at the journal (ms). */
  pollMs?: number;
  /** A listener's answer must come within this (ms). */
  timeoutMs?: number;
  /** First retry after a failure (ms); doubles with each failure… */
  backoffBaseMs?: number;
  /** …up to this (ms). */
  backoffCapMs?: number;
  /** Journal rows read per query. */
  batch?: number;
  /** Subscriptions delivered at the same time. */
  concurrency?: number;
  log?: HubLog;
}

interface SubRow {
  id: number;
  api: string;
  callback: string;
  query: string | null;
  base_url: string;
  user_id: number;
  cursor_win: number;
  cursor_event: number;
  failures: number;
}

interface WindowState {
  snapshot: string;
  xmin: string;
  win: number;
  max_id: number;
  floor_id: number;
  reset_snapshot: string | null;
  /** The stored snapshot is ahead of the current one: another (younger) cluster. */
  foreign: boolean;
}

interface FeedRow {
  win: number;
  event_id: number;
  entity_type: string;
  entity_id: string;
  kind: string;
  payload: unknown;
  occurred_at: Date;
}

export interface Notification {
  /** The listener path under the callback: `listener/customerCreateEvent`. */
  path: string;
  body: {
    eventId: string;
    eventTime: string;
    eventType: string;
    event: Record<string, unknown>;
  };
}

type Outcome = { ok: true } | { ok: false; error: string };

const silent: HubLog = { warn: () => undefined, error: () => undefined };

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/** What went wrong, without the URL (its query may carry a listener's token). */
function failureOf(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timeout';
    const code = (err.cause as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? code : err.name;
  }
  return 'error';
}

export class TmfHub {
  private readonly apis: Map<string, TmfApiDef>;
  private readonly opts: Required<Omit<TmfHubOptions, 'log'>> & { log: HubLog };
  private readonly inFlight = new Map<number, Promise<void>>();
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private ticks = 0;

  constructor(
    private readonly db: Db,
    apis: TmfApiDef[],
    opts: TmfHubOptions = {},
  ) {
    this.apis = new Map(apis.map((a) => [a.name, a]));
    this.opts = {
      pollMs: opts.pollMs ?? 1_000,
      timeoutMs: opts.timeoutMs ?? 10_000,
      backoffBaseMs: opts.backoffBaseMs ?? 1_000,
      backoffCapMs: opts.backoffCapMs ?? 300_000,
      batch: opts.batch ?? 100,
      concurrency: opts.concurrency ?? 8,
      log: opts.log ?? silent,
    };
  }

  /** The journal entity types the resources of these APIs publish. */
  private entityTypesOf(apiNames: string[]): string[] {
    const apis = apiNames.flatMap((n) => this.apis.get(n) ?? []);
    return [...new Set(apis.flatMap((a) => a.resources.flatMap((r) => r.events?.entityTypes ?? [])))];
  }

  /** Runs the dispatcher in the background until `stop()`; a standby while another process holds the lock. */
  start(): void {
    if (this.loop) return;
    const abort = new AbortController();
    this.abort = abort;
    this.loop = this.run(abort.signal);
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    await Promise.allSettled([...this.inFlight.values()]);
    this.loop = undefined;
    this.abort = undefined;
  }

  /**
   * One full pass under the lock, waiting for every delivery (tests, tools): cuts a window and
   * delivers every due subscription as far as it can. False if another dispatcher holds the lock.
   */
  async runOnce(): Promise<boolean> {
    return this.db.connection().execute(async (conn) => {
      const got = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(${LOCK_KEY}) AS ok`.execute(conn);
      if (!got.rows[0]?.ok) return false;
      try {
        await this.cutWindow();
        await this.deliverDue(new AbortController().signal);
        await Promise.allSettled([...this.inFlight.values()]);
        return true;
      } finally {
        await sql`SELECT pg_advisory_unlock(${LOCK_KEY})`.execute(conn);
      }
    });
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.db.connection().execute(async (conn) => {
          const got = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(${LOCK_KEY}) AS ok`.execute(
            conn,
          );
          if (!got.rows[0]?.ok) return;
          // Deliveries run under this tenure of the lock and end with it.
          const tenure = new AbortController();
          const end = () => tenure.abort();
          signal.addEventListener('abort', end);
          try {
            while (!signal.aborted) {
              // The lock lives with this session: if it is gone, so is the lock — stop and retake it.
              await sql`SELECT 1`.execute(conn);
              await this.cutWindow();
              await this.deliverDue(tenure.signal);
              if (++this.ticks % 60 === 0) await this.prune();
              await sleep(this.opts.pollMs, signal);
            }
          } finally {
            signal.removeEventListener('abort', end);
            // Each delivery stops after the notification it is sending: no other dispatcher
            // starts on the same subscriptions while they still send.
            tenure.abort();
            await Promise.allSettled([...this.inFlight.values()]);
            await sql`SELECT pg_advisory_unlock(${LOCK_KEY})`.execute(conn).catch(() => undefined);
          }
        });
      } catch (err) {
        this.opts.log.error({ err }, 'TMF hub dispatcher');
      }
      await sleep(this.opts.pollMs, signal);
    }
  }

  /** Appends to the feed the mapped rows a new snapshot sees that the previous window's did not. */
  async cutWindow(): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const st = await sql<WindowState>`
        SELECT snapshot::text AS snapshot, pg_snapshot_xmin(snapshot)::text AS xmin, win, max_id, floor_id,
          reset_snapshot::text AS reset_snapshot,
          pg_snapshot_xmax(snapshot) > pg_snapshot_xmax(pg_current_snapshot()) AS foreign
        FROM tmf_hub_state FOR UPDATE`.execute(trx);
      const prev = st.rows[0];
      if (!prev) throw new Error('tmf_hub_state is empty (migration 0700)');
      // Only the entity types some live subscription reads: with the state row locked, a
      // subscription registered from now on starts after this window anyway (hub.ts, FOR SHARE).
      const apis = await sql<{ api: string }>`
        SELECT DISTINCT api FROM tmf_hub_subscription WHERE status = 'active'`.execute(trx);
      const types = this.entityTypesOf(apis.rows.map((a) => a.api));
      if (prev.foreign) return this.restoredWindow(trx, prev, types);
      // One statement: the snapshot stored is the very one the rows were selected with. The upper
      // bound on txid is implied by the visibility test; it bounds the index scan.
      const r = await sql<{ rows: number }>`
        WITH cur AS (SELECT pg_current_snapshot() AS snap),
        ins AS (
          INSERT INTO tmf_hub_feed (win, event_id, entity_type)
          SELECT ${prev.win + 1}, e.id, e.entity_type FROM event e, cur
          WHERE e.txid >= ${prev.xmin}::xid8
            AND e.txid < (SELECT pg_snapshot_xmax(snap) FROM cur)
            AND NOT pg_visible_in_snapshot(e.txid, ${prev.snapshot}::pg_snapshot)
            AND pg_visible_in_snapshot(e.txid, cur.snap)
            AND e.entity_type = ANY(${types}::text[])
            AND (${prev.floor_id}::bigint = 0 OR e.id > ${prev.floor_id}::bigint
              OR (e.txid >= pg_snapshot_xmin(${prev.reset_snapshot}::pg_snapshot)
                AND e.txid < pg_snapshot_xmax(${prev.reset_snapshot}::pg_snapshot)
                AND NOT pg_visible_in_snapshot(e.txid, ${prev.reset_snapshot}::pg_snapshot)))
          ORDER BY e.id
          RETURNING 1)
        UPDATE tmf_hub_state SET snapshot = cur.snap, win = ${prev.win + 1},
          max_id = greatest(max_id, coalesce((SELECT max(id) FROM event), 0)) FROM cur
        RETURNING (SELECT count(*) FROM ins)::int AS rows`.execute(trx);
      return r.rows[0]?.rows ?? 0;
    });
  }

  /**
   * The first window in a younger cluster than the stored snapshot's (a logical restore): sends
   * once what the old cluster had not read yet — rows after its last window's highest id, and
   * those of transactions it saw running (their txids are the old cluster's, as the snapshot) —
   * plus what this cluster wrote since; then restored rows are told apart by id (migration 0701).
   */
  private async restoredWindow(trx: Executor, prev: WindowState, types: string[]): Promise<number> {
    this.opts.log.warn({ window: prev.win }, 'TMF hub: the journal comes from another cluster; reading on');
    const r = await sql<{ rows: number }>`
      WITH cur AS (SELECT pg_current_snapshot() AS snap),
      ins AS (
        INSERT INTO tmf_hub_feed (win, event_id, entity_type)
        SELECT ${prev.win + 1}, e.id, e.entity_type FROM event e
        WHERE e.entity_type = ANY(${types}::text[])
          AND (e.id > ${prev.max_id}::bigint
            OR (e.txid >= ${prev.xmin}::xid8 AND NOT pg_visible_in_snapshot(e.txid, ${prev.snapshot}::pg_snapshot)))
        ORDER BY e.id
        RETURNING 1)
      UPDATE tmf_hub_state SET snapshot = cur.snap, reset_snapshot = cur.snap, win = ${prev.win + 1},
        floor_id = coalesce((SELECT max(id) FROM event), 0), max_id = coalesce((SELECT max(id) FROM event), 0)
      FROM cur
      RETURNING (SELECT count(*) FROM ins)::int AS rows`.execute(trx);
    return r.rows[0]?.rows ?? 0;
  }

  /** Drops the feed's windows every live subscription has passed. */
  async prune(): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      // Waits for subscriptions being created (FOR SHARE) so that their cursors are counted.
      await sql`SELECT 1 FROM tmf_hub_state FOR UPDATE`.execute(trx);
      await sql`
        DELETE FROM tmf_hub_feed WHERE win < coalesce(
          (SELECT min(cursor_win) FROM tmf_hub_subscription WHERE status = 'active'),
          (SELECT win + 1 FROM tmf_hub_state))`.execute(trx);
    });
  }

  private async deliverDue(signal: AbortSignal): Promise<void> {
    const room = this.opts.concurrency - this.inFlight.size;
    if (room <= 0) return;
    const busy = [...this.inFlight.keys()];
    const due = await sql<SubRow>`
      SELECT id, api, callback, query, base_url, user_id, cursor_win, cursor_event, failures
      FROM tmf_hub_subscription
      WHERE status = 'active' AND next_attempt_at <= now() AND api = ANY(${[...this.apis.keys()]}::text[])
        AND NOT (id = ANY(${busy}::bigint[]))
      ORDER BY next_attempt_at, id LIMIT ${room}`.execute(this.db);
    for (const sub of due.rows) {
      const work = this.deliver(sub, signal)
        .catch((err: unknown) => this.opts.log.error({ err, subscription: sub.id }, 'TMF hub delivery'))
        .finally(() => this.inFlight.delete(sub.id));
      this.inFlight.set(sub.id, work);
    }
  }

  private async principalOf(userId: number): Promise<Principal | undefined> {
    const active = await sql<{ active: boolean }>`SELECT active FROM app_user WHERE id = ${userId}`.execute(
      this.db,
    );
    if (!active.rows[0]?.active) return undefined;
    const row = await findPrincipalByUserId(this.db, userId);
    return (
      row && {
        userId: row.user_id,
        username: row.username,
        displayName: row.display_name,
        rights: new Set(row.rights),
        roles: row.roles,
        actors: row.actors,
      }
    );
  }

  /** Walks one subscription's feed from its cursor until the end, a failure or a deletion. */
  private async deliver(sub: SubRow, signal: AbortSignal): Promise<void> {
    const api = this.apis.get(sub.api);
    if (!api) return;
    const types = this.entityTypesOf([api.name]);
    const filter = parseHubQuery(sub.query, api);
    // The creator's rights as they are now: one who lost them, or was disabled, receives nothing.
    const principal = await this.principalOf(sub.user_id);
    let cursor = { win: sub.cursor_win, event: sub.cursor_event };
    let saved = { ...cursor };
    let delivered = 0;
    let failures = sub.failures;
    for (let pass = 0; pass < 20; pass++) {
      const rows = await sql<FeedRow>`
        SELECT f.win, f.event_id, e.entity_type, e.entity_id, e.kind, e.payload, e.occurred_at
        FROM tmf_hub_feed f JOIN event e ON e.id = f.event_id
        WHERE (f.win, f.event_id) > (${cursor.win}, ${cursor.event})
          AND f.entity_type = ANY(${types}::text[])
        ORDER BY f.win, f.event_id LIMIT ${this.opts.batch}`.execute(this.db);
      for (const row of rows.rows) {
        let notes: Notification[] = [];
        try {
          if (principal) notes = await this.notificationsOf(row, api, principal, sub.base_url, filter);
        } catch (err) {
          // A facade that cannot map a row (a bug, the database away) holds the subscription
          // with back-off rather than skipping the row or spinning on it.
          this.opts.log.error({ err, subscription: sub.id, event: row.event_id }, 'TMF hub mapping');
          await this.failed(sub, cursor, delivered, failures + 1, 'mapping failed');
          return;
        }
        for (const note of notes) {
          // Stopping: what is delivered is saved below; the rest waits for the next dispatcher.
          if (signal.aborted) break;
          const outcome = await this.post(sub.callback, note);
          if (!outcome.ok) {
            await this.failed(sub, cursor, delivered, failures + 1, outcome.error);
            return;
          }
          delivered++;
          failures = 0;
        }
        if (signal.aborted) break;
        cursor = { win: row.win, event: row.event_id };
        if (notes.length > 0) {
          if (!(await this.save(sub.id, cursor, delivered))) return;
          saved = { ...cursor };
          delivered = 0;
        }
      }
      if (rows.rows.length < this.opts.batch || signal.aborted) break;
    }
    if (saved.win !== cursor.win || saved.event !== cursor.event || sub.failures > 0)
      await this.save(sub.id, cursor, delivered);
  }

  /** Moves the cursor past delivered rows; false when the subscription was deleted meanwhile. */
  private async save(
    id: number,
    cursor: { win: number; event: number },
    delivered: number,
  ): Promise<boolean> {
    const r = await sql`
      UPDATE tmf_hub_subscription SET cursor_win = ${cursor.win}, cursor_event = ${cursor.event},
        delivered = delivered + ${delivered}, failures = 0, last_error = NULL, next_attempt_at = now()
      WHERE id = ${id} AND status = 'active'`.execute(this.db);
    return Number(r.numAffectedRows ?? 0) > 0;
  }

  private async failed(
    sub: SubRow,
    cursor: { win: number; event: number },
    delivered: number,
    failures: number,
    error: string,
  ): Promise<void> {
    const backoff = Math.min(
      this.opts.backoffCapMs,
      this.opts.backoffBaseMs * 2 ** Math.min(failures - 1, 30),
    );
    // ±20 %: listeners that come back do not get every subscription's retry at the same instant.
    const delay = Math.round(backoff * (0.8 + Math.random() * 0.4));
    await sql`
      UPDATE tmf_hub_subscription SET cursor_win = ${cursor.win}, cursor_event = ${cursor.event},
        delivered = delivered + ${delivered}, failures = ${failures}, last_error = ${error},
        next_attempt_at = now() + make_interval(secs => ${delay / 1000})
      WHERE id = ${sub.id} AND status = 'active'`.execute(this.db);
    this.opts.log.warn({ subscription: sub.id, failures, error, retryInMs: delay }, 'TMF listener failed');
  }

  /** The notifications a journal row makes for one API, as the subscriber may see them. */
  async notificationsOf(
    row: Pick<FeedRow, 'event_id' | 'entity_type' | 'entity_id' | 'kind' | 'payload' | 'occurred_at'>,
    api: TmfApiDef,
    principal: Principal,
    baseUrl: string,
    filter: HubFilter,
  ): Promise<Notification[]> {
    const ctx: TmfContext = {
      principal,
      actor: actorOf(principal),
      href: (a, path, id) => `${baseUrl}${basePathOf(a)}/${path}/${encodeURIComponent(id)}`,
    };
    const out: Notification[] = [];
    const defs = api.resources.filter((r) => r.events?.entityTypes.includes(row.entity_type));
    for (const def of defs as (TmfResourceDef & { events: NonNullable<TmfResourceDef['events']> })[]) {
      const event = { kind: row.kind, payload: row.payload };
      const suffix = def.events.classify(event);
      if (!suffix) continue;
      const eventType = `${def.type}${suffix}`;
      if (filter.eventTypes && !filter.eventTypes.has(eventType)) continue;
      if (!hasRight(principal.rights, def.read)) continue;
      const id = def.events.idOf ? await def.events.idOf(row.entity_id, event) : row.entity_id;
      if (id === undefined) continue;
      // The resource as it is now (listeners read the latest state anyway); a deleted one by reference.
      const resource =
        suffix === 'DeleteEvent'
          ? { id, href: ctx.href(api.name, def.path, id), '@type': def.type }
          : await def.get(id, ctx);
      if (!resource) continue;
      const shown =
        def.events.atEvent && suffix !== 'DeleteEvent' ? def.events.atEvent(resource, event) : resource;
      const body = {
        eventId: String(row.event_id),
        eventTime: new Date(row.occurred_at).toISOString(),
        eventType,
        event: { [lowerFirst(def.type)]: shown },
      };
      if (!hubAccepts(filter, eventType, body)) continue;
      out.push({ path: `listener/${lowerFirst(eventType)}`, body });
    }
    return out;
  }

  private async post(callback: string, note: Notification): Promise<Outcome> {
    const url = new URL(callback);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/${note.path}`;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(note.body),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      // The answer's body is not read: a listener cannot make the dispatcher hold a large one.
      await res.body?.cancel().catch(() => undefined);
      return res.status >= 200 && res.status < 300
        ? { ok: true }
        : { ok: false, error: `HTTP ${res.status}` };
    } catch (err) {
      return { ok: false, error: failureOf(err) };
    }
  }
}
