import { sql, type ExpressionBuilder } from 'kysely';
import { stringify } from 'csv-stringify/sync';
import type { Db, Executor } from '../../platform/db.js';
import type { Database } from '../../platform/database.js';
import type { Clock } from '../../platform/clock.js';
import { appendEvent, appendEvents, type Actor } from '../../platform/events.js';
import { decodeNumericCursor, encodeCursor, type Page } from '../../platform/http/pagination.js';
import { ElementRefusal, TransportError, type ElementKind, type Session } from './drivers/driver.js';
import type { ElementConfig, ElementHealth, ElementManager } from './element-manager.js';
import { DomainError } from '../../platform/errors.js';
import { ActivationError, actInvalid, actNotFound } from './activation.errors.js';
import { lockOrderLines, type Automaton } from './automaton.js';
import { OPERATIONS, type KeyReader, type Params } from './operations.js';
import { elementActivity, journalWindow, type ElementActivity } from './activity.js';
import type { StepBatch } from '../workflow/handlers.js';
import type { Sealer } from '../../platform/sealed.js';
import type { CommandOutcome } from './activation.tables.js';

interface QueuedOrder {
  id: number;
  element_code: string;
  operation: string;
  line_id: string;
  params: Params;
  instance_id: number | null;
  task_id: number;
  resume_node: string | null;
  request_ref: string | null;
  customer_id: number | null;
  created_by: string;
  created_at: Date;
  /** The automaton of this process that takes the order as it is written (Automaton.takes), if any. */
  claimed_by: string | null;
  lease_until: Date | null;
  queued_payload: Record<string, unknown>;
  actor: string | null;
  user_id: number | null;
  /** Set by the write: the order was written `running`, this process's automaton's to execute. */
  handed?: boolean;
}

/**
 * Writes a worker batch's orders (ActivationService.queue) and their events with one statement,
 * after taking the locks of their lines (lockOrderLines). A task that has its order already is not
 * given another: the statement then inserts fewer rows than asked, and this throws so that the
 * worker runs the batch again step by step (`submit` finds the order).
 *
 * An order meant for this process's automaton (`claimed_by`) is written `running`, claimed and
 * leased, with its `activation.order_started` event — no claim statement, no poll — unless its line
 * has an unfinished order (it is then `pending` and waits its turn like any other); so is the
 * second order of a line in the same batch.
 */
async function insertOrders(trx: Executor, rows: QueuedOrder[]): Promise<void> {
  await lockOrderLines(
    trx,
    rows.map((r) => r.line_id),
  );
  const seen = new Set<string>();
  const items = rows.map((r) => {
    const direct = r.claimed_by !== null && !seen.has(r.line_id);
    seen.add(r.line_id);
    const { handed: _h, claimed_by, lease_until, ...rest } = r;
    return { ...rest, claimed_by: direct ? claimed_by : null, lease_until: direct ? lease_until : null };
  });
  const r = await sql<{ id: number; status: string }>`
    WITH x AS (
      SELECT x.*, x.claimed_by IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM act_order p WHERE p.line_id = x.line_id
                  AND p.status NOT IN ('done', 'refused', 'cancelled') OFFSET 0) AS direct
        FROM jsonb_to_recordset(${JSON.stringify(items)}::jsonb) AS x(
          id bigint, element_code text, operation text, line_id text, params jsonb, instance_id bigint,
          task_id bigint, resume_node text, request_ref text, customer_id bigint, created_by text,
          created_at timestamptz, claimed_by text, lease_until timestamptz, queued_payload jsonb,
          actor text, user_id bigint)),
    ins AS (
      INSERT INTO act_order (id, element_code, operation, line_id, params, instance_id, task_id, resume_node,
                             request_ref, customer_id, created_by, created_at, available_at,
                             status, claimed_by, lease_until, attempts, started_at)
      OVERRIDING SYSTEM VALUE
      SELECT x.id, x.element_code, x.operation, x.line_id, x.params, x.instance_id, x.task_id, x.resume_node,
             x.request_ref, x.customer_id, x.created_by, x.created_at, x.created_at,
             CASE WHEN x.direct THEN 'running' ELSE 'pending' END,
             CASE WHEN x.direct THEN x.claimed_by END, CASE WHEN x.direct THEN x.lease_until END,
             CASE WHEN x.direct THEN 1 ELSE 0 END, CASE WHEN x.direct THEN x.created_at END
        FROM x
       ORDER BY x.id
      ON CONFLICT (task_id) WHERE task_id IS NOT NULL AND replay_of IS NULL DO NOTHING
      RETURNING id, status),
    e AS (
      INSERT INTO event (entity_type, entity_id, kind, customer_id, line_id, actor, user_id, payload)
      SELECT 'activation_order', x.id::text, k.kind, x.customer_id, x.line_id,
             CASE WHEN k.n = 1 THEN x.actor END, CASE WHEN k.n = 1 THEN x.user_id END,
             CASE WHEN k.n = 1 THEN x.queued_payload
                  ELSE jsonb_build_object('operation', x.operation, 'element', x.element_code) END
        FROM ins JOIN x ON x.id = ins.id
        CROSS JOIN LATERAL (VALUES (1, 'activation.order_queued'), (2, 'activation.order_started')) AS k(n, kind)
       WHERE k.n = 1 OR ins.status = 'running'
       ORDER BY x.id, k.n)
    SELECT id, status FROM ins`.execute(trx);
  if (r.rows.length !== rows.length)
    throw new Error(
      `activation: ${rows.length - r.rows.length} of the batch's workflow tasks have their order already`,
    );
  const running = new Set(r.rows.filter((x) => x.status === 'running').map((x) => Number(x.id)));
  for (const row of rows) row.handed = running.has(row.id);
}

export interface ElementInput {
  code: string;
  kind: ElementKind;
  name: string;
  host: string;
  port: number;
  /** osmo-hlr's VTY port, where the audit lists its subscribers (null: 4258). */
  vtyPort?: number | null;
  username?: string | null;
  password?: string | null;
  ratePerSecond?: number;
  poolSize?: number;
  /** Operations in flight at once per connection (default 4). */
  pipeline?: number;
  /** The inventory's switches (exchanges) this switch element drives. */
  exchanges?: string[];
  timeoutMs?: number;
  isDefault?: boolean;
  enabled?: boolean;
}

export interface ElementView {
  code: string;
  kind: ElementKind;
  name: string;
  host: string;
  port: number;
  vtyPort: number | null;
  ratePerSecond: number;
  poolSize: number;
  pipeline: number;
  exchanges: string[];
  timeoutMs: number;
  isDefault: boolean;
  enabled: boolean;
}

/** An element's newest network audit, on its card. */
export interface LastAudit {
  id: number;
  status: 'running' | 'done' | 'failed';
  checked: number;
  consistent: number;
  differences: number;
  repaired: number;
  startedAt: Date;
  finishedAt: Date | null;
}

export interface OrderInput {
  operation: string;
  lineId: string;
  params: Params;
  element?: string | undefined;
  instanceId?: number | null;
  taskId?: number | null;
  resumeNode?: string | null;
  requestRef?: string | null;
  customerId?: number | null;
}

export interface OrderView {
  id: number;
  element: string;
  operation: string;
  lineId: string;
  params: Params;
  status: string;
  attempts: number;
  result: unknown;
  error: string | null;
  errorCode: string | null;
  instanceId: number | null;
  taskId: number | null;
  requestRef: string | null;
  replayOf: number | null;
  /** The order that replayed this one (the newest, if a replay was itself refused and replayed). */
  replayedBy: number | null;
  revertOf: number | null;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** A refused order switching set aside (not to be replayed): who, when, why. */
  dismissed: { at: string; by: string; reason: string } | null;
}

/** What the orders' list and export select by. */
export interface OrderFilter {
  lineId?: string;
  instanceId?: number;
  element?: string;
  status?: string;
  /** Refused orders left to handle: not replayed; a request's, its step still in the basket. */
  toHandle?: boolean;
}

/** The most orders one export holds (a night's refusals are hundreds; a month of a busy HLR is not). */
export const EXPORT_LIMIT = 100_000;
const EXPORT_COLUMNS: (keyof OrderView)[] = [
  'id',
  'createdAt',
  'element',
  'operation',
  'lineId',
  'status',
  'attempts',
  'errorCode',
  'error',
  'requestRef',
  'replayOf',
  'replayedBy',
  'revertOf',
  'createdBy',
  'startedAt',
  'finishedAt',
  'params',
  'result',
];

/** A time an element was unreachable, as an automaton's circuit breaker saw it. */
export interface ElementOutage {
  since: string;
  /** When a probe found it back; null while it still is unreachable. */
  until: string | null;
  durationMs: number | null;
  /** The transport error that opened the circuit. */
  error: string | null;
  /** The process that saw it (host:pid): each automaton has its own circuit. */
  seenBy: string | null;
  /**
   * The process that recorded its end when the one that saw it had stopped first (host:pid): at
   * its start it probed the element, found it back, or else took the outage over as its own.
   */
  closedBy: string | null;
  /** Ended by `closedBy` with the element still unreachable: its own outage carries on from there. */
  takenOver: boolean;
}

/** What a replay of every refused order of an element did. */
export interface ReplayReport {
  element: string;
  /** Each replayed order and its replay, oldest first. */
  replayed: { replayOf: number; id: number }[];
  /** Refused orders left for a next call (more than `limit` matched). */
  more: boolean;
  /**
   * More than `limit` requests' steps: the others are for a later call, once the workers have run
   * these (until then their orders still look unreplayed, so calling again at once retries these).
   */
  moreSteps: boolean;
  /**
   * Requests' steps whose refused order was retried (`retryStep`): the step runs again, with a new
   * order, and the request carries on when it is done.
   */
  retried: { orderId: number; taskId: number }[];
  /** Requests' steps left as they are, with why (no `retryStep`, the request ended, a right…). */
  left: { orderId: number; taskId: number; reason: string }[];
}

export interface CommandView {
  id: number;
  orderId: number | null;
  element: string;
  lineId: string | null;
  instanceId: number | null;
  taskId: number | null;
  attempt: number;
  command: string;
  reply: string | null;
  outcome: string;
  sentAt: string;
  durationMs: number;
}

type OrderRow = {
  id: number;
  element_code: string;
  operation: string;
  line_id: string;
  params: unknown;
  status: string;
  attempts: number;
  result: unknown;
  error: string | null;
  error_code: string | null;
  instance_id: number | null;
  task_id: number | null;
  request_ref: string | null;
  customer_id: number | null;
  replay_of: number | null;
  revert_of: number | null;
  replayed_by?: number | null;
  /** The number of the service request `request_ref` holds the id of (lists and the order view). */
  request_number?: string | null;
  created_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  dismissed_at?: Date | null;
  dismissed_by?: string | null;
  dismiss_reason?: string | null;
};

const orderView = (r: OrderRow): OrderView => ({
  id: r.id,
  element: r.element_code,
  operation: r.operation,
  lineId: r.line_id,
  params: r.params as Params,
  status: r.status,
  attempts: r.attempts,
  result: r.result,
  error: r.error,
  errorCode: r.error_code,
  instanceId: r.instance_id,
  taskId: r.task_id,
  requestRef: r.request_number ?? r.request_ref,
  replayOf: r.replay_of,
  replayedBy: r.replayed_by ?? null,
  revertOf: r.revert_of,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
  startedAt: r.started_at?.toISOString() ?? null,
  finishedAt: r.finished_at?.toISOString() ?? null,
  dismissed: r.dismissed_at
    ? { at: r.dismissed_at.toISOString(), by: r.dismissed_by ?? '', reason: r.dismiss_reason ?? '' }
    : null,
});

/**
 * A refused order (`o`) someone still has to deal with: no order replayed it, and, for a request's
 * order, its step is still fallen out in the switching basket — a step ended by hand, or retried
 * (a new task and order), or a request that ended, leaves nothing to replay. `error IS NOT NULL`
 * (every refusal has its message) is act_order_refused_idx's predicate, so that index serves it.
 */
function leftToHandle(eb: ExpressionBuilder<Database & { o: Database['act_order'] }, 'o'>) {
  return eb.and([
    eb('o.status', '=', 'refused'),
    eb('o.error', 'is not', null),
    eb('o.dismissed_at', 'is', null),
    eb.not(eb.exists(eb.selectFrom('act_order as r').select('r.id').whereRef('r.replay_of', '=', 'o.id'))),
    eb.or([
      eb('o.task_id', 'is', null),
      eb.exists(
        eb
          .selectFrom('wf_task as t')
          .select('t.id')
          .whereRef('t.id', '=', 'o.task_id')
          .where('t.fell_out', '=', true)
          .where('t.status', 'in', ['ready', 'claimed']),
      ),
    ]),
  ]);
}

/** An element's circuit event: `activation.element_unreachable` (open) or `_back` (closed). */
const circuitEvent = (
  db: Executor,
  code: string,
  state: 'open' | 'closed',
  payload: Record<string, unknown>,
) =>
  appendEvent(db, {
    entityType: 'network_element',
    entityId: code,
    kind: state === 'open' ? 'activation.element_unreachable' : 'activation.element_back',
    actor: 'activation_automaton',
    payload,
  });

/** Outages from an element's circuit events, oldest first in, newest first out. */
function pairOutages(events: { kind: string; occurred_at: Date; payload: unknown }[]): ElementOutage[] {
  const open = new Map<string | null, ElementOutage>();
  const all: ElementOutage[] = [];
  for (const r of events) {
    const p = r.payload as {
      error?: string;
      unreachableSince?: string;
      downMs?: number;
      seenBy?: string;
      closedBy?: string;
      takenOver?: boolean;
    };
    const by = p.seenBy ?? null;
    const at = r.occurred_at.toISOString();
    const none = { closedBy: null, takenOver: false };
    if (r.kind === 'activation.element_unreachable') {
      const o = { since: at, until: null, durationMs: null, error: p.error ?? null, seenBy: by, ...none };
      open.set(by, o);
      all.push(o);
      continue;
    }
    // back: ends the outage this process opened (an older one, past the events read, by its time)
    let o = open.get(by);
    if (!o) {
      o = {
        since: p.unreachableSince ?? at,
        until: null,
        durationMs: null,
        error: null,
        seenBy: by,
        ...none,
      };
      all.push(o);
    }
    open.delete(by);
    o.until = at;
    o.closedBy = p.closedBy ?? null;
    o.takenOver = p.takenOver === true;
    o.durationMs = p.downMs ?? new Date(at).getTime() - new Date(o.since).getTime();
  }
  return all.reverse();
}

export type JournalFilter =
  { lineId: string } | { instanceId: number } | ElementJournalFilter | { orderId: number };

/** An element's commands, optionally those sent in [since, until) and of one outcome (a chart's bar). */
export interface ElementJournalFilter {
  element: string;
  since?: Date;
  until?: Date;
  outcome?: CommandOutcome;
}

export class ActivationService {
  private readonly defaults = new Map<ElementKind, string>();
  /** Inventory switch (exchange) code → the switch element that drives it. */
  private readonly byExchange = new Map<string, string>();
  /** Elements an administrator disabled: nothing is sent to them, their lines' orders are refused. */
  private readonly disabled = new Set<string>();
  private loaded = false;

  constructor(
    private readonly db: Db,
    readonly manager: ElementManager,
    private readonly keys: KeyReader,
    private readonly clock: Clock,
    private automaton: Automaton | null = null,
    /** Seals and opens switch passwords (GPTO_SECRET_KEY); without it none can be stored. */
    private readonly sealer: Sealer | null = null,
  ) {}

  /** Wakes the automaton: orders were queued outside `order` (an audit's repair). */
  poke(): void {
    this.automaton?.poke();
  }

  attach(automaton: Automaton): void {
    this.automaton = automaton;
  }

  /** Loads the elements from the database into the element manager (at start and after changes). */
  async loadElements(): Promise<number> {
    const all = await this.db.selectFrom('act_element').selectAll().execute();
    this.defaults.clear();
    this.byExchange.clear();
    this.disabled.clear();
    // A disabled switch keeps its exchanges: their lines' orders are refused as such, never sent
    // to another exchange's switch (the default one) in its place.
    for (const r of all.filter((x) => !x.enabled)) {
      this.disabled.add(r.code);
      this.manager.disable(r.code);
      if (r.kind === 'mml_switch') for (const x of r.exchanges) this.byExchange.set(x, r.code);
    }
    const rows = all.filter((x) => x.enabled);
    for (const r of rows) {
      if (r.password !== null && this.sealer) await this.sealLegacyPassword(r.code, r.password);
      // a password that does not open (no key, another key) logs in with none: the element refuses
      // the login and its health says so
      const password = r.password_sealed
        ? (this.sealer?.open(r.password_sealed, r.code) ?? null)
        : r.password;
      this.manager.configure(toConfig({ ...r, password }));
      if (r.is_default) this.defaults.set(r.kind, r.code);
      if (r.kind === 'mml_switch') for (const x of r.exchanges) this.byExchange.set(x, r.code);
    }
    this.loaded = true;
    return rows.length;
  }

  /** A password an earlier version stored in clear (before migration 0781), sealed in place. */
  private async sealLegacyPassword(code: string, password: string): Promise<void> {
    await this.db
      .updateTable('act_element')
      .set({ password_sealed: this.sealPassword(code, password), password: null })
      .where('code', '=', code)
      .where('password', '=', password)
      .execute();
  }

  private sealPassword(code: string, password: string): Buffer {
    if (!this.sealer)
      throw new ActivationError(
        'unavailable',
        'activation.secret_key',
        'a network element’s password is kept sealed: GPTO_SECRET_KEY is needed to store one',
        'password',
      );
    return this.sealer.seal(password, code);
  }

  async upsertElement(i: ElementInput, by: Actor): Promise<ElementView> {
    if (!/^[A-Z0-9][A-Z0-9_-]{0,31}$/.test(i.code))
      throw actInvalid(
        'activation.element_invalid',
        'code',
        'an element code is upper-case letters, digits, _ and -',
      );
    const row = await this.db.transaction().execute(async (trx) => {
      if (i.isDefault)
        await trx.updateTable('act_element').set({ is_default: false }).where('kind', '=', i.kind).execute();
      const values = { kind: i.kind, name: i.name, host: i.host, port: i.port };
      // Settings left out keep what the element has (a script that changes the host does not
      // reset the throttle to unlimited); a new element gets the defaults. The login, the password
      // (sealed under the element's code; '' and null both mean none) and the exchanges likewise:
      // the password is never shown, so a screen that edits the throttle cannot send it back.
      const sealed = i.password ? this.sealPassword(i.code, i.password) : null;
      const kept = {
        ...(i.ratePerSecond !== undefined ? { rate_per_second: i.ratePerSecond } : {}),
        ...(i.poolSize !== undefined ? { pool_size: i.poolSize } : {}),
        ...(i.pipeline !== undefined ? { pipeline: i.pipeline } : {}),
        ...(i.timeoutMs !== undefined ? { timeout_ms: i.timeoutMs } : {}),
        ...(i.isDefault !== undefined ? { is_default: i.isDefault } : {}),
        ...(i.enabled !== undefined ? { enabled: i.enabled } : {}),
        ...(i.username !== undefined ? { username: i.username } : {}),
        ...(i.password !== undefined ? { password: null, password_sealed: sealed } : {}),
        ...(i.exchanges !== undefined ? { exchanges: i.exchanges } : {}),
        ...(i.vtyPort !== undefined ? { vty_port: i.vtyPort } : {}),
      };
      const r = await trx
        .insertInto('act_element')
        .values({
          code: i.code,
          ...values,
          rate_per_second: i.ratePerSecond ?? 0,
          pool_size: i.poolSize ?? 2,
          pipeline: i.pipeline ?? 4,
          timeout_ms: i.timeoutMs ?? 5000,
          is_default: i.isDefault ?? false,
          enabled: i.enabled ?? true,
          username: i.username ?? null,
          password: null,
          password_sealed: sealed,
          exchanges: i.exchanges ?? [],
          vty_port: i.vtyPort ?? null,
        })
        .onConflict((oc) => oc.column('code').doUpdateSet({ ...values, ...kept }))
        .returningAll()
        .executeTakeFirstOrThrow();
      await appendEvent(trx, {
        entityType: 'network_element',
        entityId: i.code,
        kind: 'activation.element_saved',
        userId: by.userId,
        payload: {
          kind: i.kind,
          host: i.host,
          port: i.port,
          ratePerSecond: r.rate_per_second,
          poolSize: r.pool_size,
          pipeline: r.pipeline,
          exchanges: r.exchanges,
          ...(r.kind === 'osmo_hlr' ? { vtyPort: r.vty_port } : {}),
          ...(i.password !== undefined ? { passwordChanged: true } : {}),
        },
      });
      return r;
    });
    await this.loadElements();
    return elementView(row);
  }

  async elements(): Promise<
    (ElementView & {
      health: ElementHealth | null;
      queue: Record<string, number>;
      toHandle: number;
      lastOutage: ElementOutage | null;
      lastAudit: LastAudit | null;
    })[]
  > {
    const rows = await this.db.selectFrom('act_element').selectAll().orderBy('code').execute();
    const counts = await this.db
      .selectFrom('act_order')
      .select(['element_code', 'status', (eb) => eb.fn.countAll<number>().as('n')])
      // the open orders: the queue index's predicate (migration 0780), not a scan of every order
      .where('finished_at', 'is', null)
      .groupBy(['element_code', 'status'])
      .execute();
    // the refusals someone still has to deal with (act_order_refused_idx; replayed ones and
    // requests' steps no longer in the basket are not counted)
    const refused = await this.db
      .selectFrom('act_order as o')
      .select(['o.element_code', (eb) => eb.fn.countAll<number>().as('n')])
      .where(leftToHandle)
      .groupBy('o.element_code')
      .execute();
    // each element's newest audit (act_audit_element_idx, one row per element)
    const audits = await sql<LastAudit & { element: string }>`
      SELECT DISTINCT ON (element_code) element_code AS element, id, status, checked, consistent,
             differences, repaired, started_at AS "startedAt", finished_at AS "finishedAt"
      FROM act_audit ORDER BY element_code, id DESC`.execute(this.db);
    const lastAudit = new Map(audits.rows.map(({ element, ...a }) => [element, a]));
    const health = new Map(this.manager.health().map((h) => [h.code, h]));
    const outages = await this.outagesOf(
      rows.map((r) => r.code),
      1,
    );
    return rows.map((r) => ({
      ...elementView(r),
      lastOutage: outages.get(r.code)?.[0] ?? null,
      lastAudit: lastAudit.get(r.code) ?? null,
      toHandle: Number(refused.find((c) => c.element_code === r.code)?.n ?? 0),
      health: health.get(r.code) ?? null,
      queue: Object.fromEntries(
        counts.filter((c) => c.element_code === r.code).map((c) => [c.status, Number(c.n)]),
      ),
    }));
  }

  /**
   * An element's outages, newest first: the journal's `activation.element_unreachable` and
   * `activation.element_back` events (written as each automaton's circuit opens and closes),
   * paired per process that saw them. 404 for an unknown element.
   */
  async outages(code: string, limit = 20): Promise<ElementOutage[]> {
    await this.requireElement(code);
    return (await this.outagesOf([code], limit)).get(code) ?? [];
  }

  /**
   * What an element did over the last `hours` hours, per bucket — commands sent, refused, lost in
   * transport, and their times — with the outages that overlap the window: the element card's
   * chart. 404 for an unknown element.
   */
  async activity(code: string, hours: number): Promise<ElementActivity & { outages: ElementOutage[] }> {
    await this.requireElement(code);
    // Every open /activation screen asks for each card's day once a minute, and a busy element's
    // week is a million journal rows (1.2 s, docs/activation.md): one reading serves them all for
    // a few seconds — 2 s for the last hour, 10 s for longer windows (the counters beside the
    // chart are live: a longer wait shows them apart after a wave of orders).
    const key = `${code}\u0000${hours}`;
    const now = Date.now();
    for (const [k, v] of this.activityCache) if (v.until <= now) this.activityCache.delete(k);
    const cached = this.activityCache.get(key);
    if (cached) return cached.value;
    const value = this.readActivity(code, hours);
    this.activityCache.set(key, { until: now + (hours <= 1 ? 2_000 : 10_000), value });
    value.catch(() => this.activityCache.delete(key));
    return value;
  }

  private readonly activityCache = new Map<
    string,
    { until: number; value: Promise<ElementActivity & { outages: ElementOutage[] }> }
  >();

  private async readActivity(
    code: string,
    hours: number,
  ): Promise<ElementActivity & { outages: ElementOutage[] }> {
    const a = await elementActivity(this.db, code, hours, this.clock.now());
    const outages = ((await this.outagesOf([code], 50)).get(code) ?? []).filter(
      (o) => o.since < a.to && (o.until === null || o.until >= a.from),
    );
    return { ...a, outages };
  }

  /**
   * Outages no running process will ever end: the last outage of a loaded element is still open and
   * the process that saw it is `me` (an earlier run with the same host and pid: a restarted
   * container) or another process of this host that has stopped (`alive(pid)` false). Another
   * host's processes cannot be checked from here: theirs stay open until they end them.
   */
  async staleOutages(
    me: string,
    alive: (pid: number) => boolean,
  ): Promise<{ code: string; outage: ElementOutage }[]> {
    if (!this.loaded) await this.loadElements();
    const codes = [...this.manager.codes()];
    if (codes.length === 0) return [];
    const host = me.slice(0, me.lastIndexOf(':'));
    const last = await this.outagesOf(codes, 1);
    return [...last].flatMap(([code, [o]]) => {
      if (!o || o.until !== null || !o.seenBy) return [];
      const at = o.seenBy.lastIndexOf(':');
      const pid = Number(o.seenBy.slice(at + 1));
      const stale =
        o.seenBy === me || (o.seenBy.slice(0, at) === host && Number.isInteger(pid) && !alive(pid));
      return stale ? [{ code, outage: o }] : [];
    });
  }

  /**
   * Ends an outage `staleOutages` found, for `me`, unless it ended meanwhile: two processes of the
   * host starting together (gpto start, gpto worker) end it once, under a lock per element.
   * `stillDown`: the probe's error, the element unreachable still (`takenOver`). Whether it ended it.
   */
  async endStaleOutage(
    code: string,
    outage: ElementOutage,
    me: string,
    stillDown: string | null,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`act_element_outage:${code}`}))`.execute(trx);
      const [last] = (await this.outagesOf([code], 1, trx)).get(code) ?? [];
      if (!last || last.until !== null || last.seenBy !== outage.seenBy || last.since !== outage.since)
        return false;
      await circuitEvent(trx, code, 'closed', {
        unreachableSince: outage.since,
        downMs: this.clock.now().getTime() - Date.parse(outage.since),
        seenBy: outage.seenBy,
        closedBy: me,
        ...(stillDown ? { takenOver: true, error: stillDown } : {}),
      });
      return true;
    });
  }

  /**
   * What `me`'s circuit breaker saw, journaled as it happens: the element unreachable (with the
   * transport error) or back (since when, for how long) — what `outages` pairs.
   */
  async recordCircuit(
    code: string,
    state: 'open' | 'closed',
    error: string | null,
    since: Date | null,
    me: string,
  ): Promise<void> {
    await circuitEvent(
      this.db,
      code,
      state,
      state === 'open'
        ? { error, seenBy: me }
        : {
            unreachableSince: since?.toISOString() ?? null,
            // the circuit's own clock (the manager's `openedAt`), not the service's
            downMs: since ? Date.now() - since.getTime() : null,
            seenBy: me,
          },
    );
  }

  /** The outages of several elements in one statement: each one's last `2 × limit + 2` events. */
  private async outagesOf(
    codes: string[],
    limit: number,
    db: Executor = this.db,
  ): Promise<Map<string, ElementOutage[]>> {
    const rows = await sql<{ code: string; kind: string; occurred_at: Date; payload: unknown }>`
      SELECT c.code, e.kind, e.occurred_at, e.payload
        FROM unnest(${codes}::text[]) AS c(code)
        CROSS JOIN LATERAL (
          SELECT id, kind, occurred_at, payload FROM event
           WHERE entity_type = 'network_element' AND entity_id = c.code
             AND kind IN ('activation.element_unreachable', 'activation.element_back')
           ORDER BY id DESC LIMIT ${2 * limit + 2}) e
       ORDER BY c.code, e.id`.execute(db);
    const byCode = new Map<string, typeof rows.rows>();
    for (const r of rows.rows) byCode.set(r.code, [...(byCode.get(r.code) ?? []), r]);
    return new Map([...byCode].map(([code, events]) => [code, pairOutages(events).slice(0, limit)]));
  }

  /**
   * A probe of the element from this process, on a connection of its own (the pool and the circuit
   * are left as they are): whether it answers now, and how fast — what switching checks after
   * putting an element right, before replaying its refusals. 404 for an unknown element, 409 for
   * a disabled one (no automaton drives it).
   */
  async probe(
    code: string,
  ): Promise<{ code: string; reachable: boolean; ms: number | null; error: string | null }> {
    const { enabled } = await this.requireElement(code);
    if (!enabled)
      throw new ActivationError(
        'conflict',
        'activation.element_disabled',
        `network element ${code} is disabled`,
      );
    // enabled since this process loaded the elements
    if (!this.manager.has(code)) await this.loadElements();
    try {
      const { ms } = await this.manager.probe(code);
      return { code, reachable: true, ms: Math.round(ms * 10) / 10, error: null };
    } catch (err) {
      return { code, reachable: false, ms: null, error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** 404 unless the element is declared; whether it is enabled. */
  async requireElement(code: string): Promise<{ enabled: boolean }> {
    const el = await this.db
      .selectFrom('act_element')
      .select('enabled')
      .where('code', '=', code)
      .executeTakeFirst();
    if (!el) throw actNotFound('activation.element_not_found', 'network element', code);
    return el;
  }

  async element(code: string) {
    const all = await this.elements();
    const e = all.find((x) => x.code === code);
    if (!e) throw actNotFound('activation.element_not_found', 'network element', code);
    return e;
  }

  /** The element an order goes to: the one named, else the default element for the operation's kind. */
  async resolveElement(db: Executor, operation: string, element: string | undefined): Promise<string> {
    const def = OPERATIONS[operation];
    if (!def) throw actInvalid('activation.operation_unknown', 'operation', `unknown operation ${operation}`);
    const row = element
      ? await db
          .selectFrom('act_element')
          .select(['code', 'kind', 'enabled'])
          .where('code', '=', element)
          .executeTakeFirst()
      : await db
          .selectFrom('act_element')
          .select(['code', 'kind', 'enabled'])
          .where('kind', '=', def.kind)
          .where('is_default', '=', true)
          .executeTakeFirst();
    if (!row)
      throw element
        ? actNotFound('activation.element_not_found', 'network element', element)
        : new ActivationError(
            'conflict',
            'activation.element_not_found',
            `no default ${def.kind} element is configured`,
            'element',
          );
    if (row.kind !== def.kind)
      throw actInvalid(
        'activation.element_invalid',
        'element',
        `${operation} runs on a ${def.kind}, ${row.code} is a ${row.kind}`,
      );
    if (!row.enabled) throw elementDisabled(row.code);
    return row.code;
  }

  /** An order's input checked, and the element it goes to: the one named, the line's exchange's, the default. */
  private async orderElement(trx: Executor, i: OrderInput): Promise<string> {
    const def = OPERATIONS[i.operation];
    if (!def || def.query)
      throw actInvalid(
        'activation.operation_unknown',
        'operation',
        `${i.operation} is not an order operation`,
      );
    if (!/^[0-9A-Za-z+._-]{1,32}$/.test(i.lineId))
      throw actInvalid('activation.order_invalid', 'lineId', 'lineId is the directory number of the line');
    const code = i.element
      ? await this.elementFor(trx, i.operation, i.element)
      : ((await this.exchangeElement(trx, i)) ?? (await this.elementFor(trx, i.operation, undefined)));
    if (this.disabled.has(code)) throw elementDisabled(code);
    return code;
  }

  /**
   * Queues an order in the caller's transaction (a workflow step's, or its own). A workflow task
   * has at most one order: a step re-run after a crash gets its existing order back.
   */
  async submit(trx: Executor, i: OrderInput, by: Actor): Promise<OrderView> {
    const element = await this.orderElement(trx, i);
    const now = this.clock.now();
    const payload = JSON.stringify({
      operation: i.operation,
      element,
      ...(i.requestRef ? { requestRef: i.requestRef } : {}),
    });
    await lockOrderLines(trx, [i.lineId]);
    // One round trip: the order and its event, or nothing when this workflow task has its order
    // already (a step re-run after a crash gets that order back below).
    const r = await sql<OrderRow>`
      WITH o AS (
        INSERT INTO act_order (element_code, operation, line_id, params, instance_id, task_id, resume_node,
                               request_ref, customer_id, created_by, created_at, available_at)
        VALUES (${element}, ${i.operation}, ${i.lineId}, ${JSON.stringify(i.params)}::jsonb, ${i.instanceId ?? null},
                ${i.taskId ?? null}, ${i.resumeNode ?? null}, ${i.requestRef ?? null}, ${i.customerId ?? null},
                ${by.username}, ${now}, ${now})
        ON CONFLICT (task_id) WHERE task_id IS NOT NULL AND replay_of IS NULL DO NOTHING
        RETURNING *),
      e AS (
        INSERT INTO event (entity_type, entity_id, kind, customer_id, line_id, actor, user_id, payload)
        SELECT 'activation_order', o.id::text, 'activation.order_queued', o.customer_id, o.line_id,
               ${by.actor ?? null}, ${by.userId}, ${payload}::jsonb
          FROM o)
      SELECT * FROM o`.execute(trx);
    if (r.rows[0]) return orderView(r.rows[0]);
    // The task has its order already: a step re-run after a crash waits on it again; a step sent
    // back to its worker after its order was refused (a retry) gets a new order, as a replay.
    const row = await trx
      .selectFrom('act_order')
      .selectAll()
      .where('task_id', '=', i.taskId ?? -1)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    if (row.status !== 'refused') return orderView(row);
    const replay = await sql<OrderRow>`
      WITH o AS (
        INSERT INTO act_order (element_code, operation, line_id, params, instance_id, task_id, resume_node,
                               request_ref, customer_id, replay_of, created_by, created_at, available_at)
        VALUES (${element}, ${i.operation}, ${i.lineId}, ${JSON.stringify(i.params)}::jsonb, ${i.instanceId ?? null},
                ${i.taskId ?? null}, ${i.resumeNode ?? null}, ${i.requestRef ?? null}, ${i.customerId ?? null},
                ${row.id}, ${by.username}, ${now}, ${now})
        RETURNING *),
      e AS (
        INSERT INTO event (entity_type, entity_id, kind, customer_id, line_id, actor, user_id, payload)
        SELECT 'activation_order', o.id::text, 'activation.order_replayed', o.customer_id, o.line_id,
               ${by.actor ?? null}, ${by.userId}, ${JSON.stringify({ replayOf: row.id, operation: i.operation })}::jsonb
          FROM o)
      SELECT * FROM o`.execute(trx);
    return orderView(replay.rows[0]!);
  }

  /**
   * Queues a workflow step's order with the worker's batch (TaskContext.batch): its id is taken
   * ahead from the sequence, and the order and its `activation.order_queued` event are written with
   * the batch's other orders and events — one statement for all of them, no round trip per step.
   * Only for a task's first order (a task re-run after a refusal goes through `submit`, which finds
   * its earlier order); should the task have an order all the same, the batch's write fails and the
   * worker runs the batch again step by step, through `submit`.
   */
  async queue(
    trx: Executor,
    batch: StepBatch,
    i: OrderInput & { taskId: number },
    by: Actor,
  ): Promise<{ id: number; element: string }> {
    const element = await this.orderElement(trx, i);
    const now = this.clock.now();
    const id = await batch.id('act_order');
    // this process's automaton executes the order as soon as the batch commits, if it can now
    const automaton = this.automaton?.takes(element) ? this.automaton : null;
    const row: QueuedOrder = {
      id,
      element_code: element,
      operation: i.operation,
      line_id: i.lineId,
      params: i.params,
      instance_id: i.instanceId ?? null,
      task_id: i.taskId,
      resume_node: i.resumeNode ?? null,
      request_ref: i.requestRef ?? null,
      customer_id: i.customerId ?? null,
      created_by: by.username,
      created_at: now,
      claimed_by: automaton?.id ?? null,
      lease_until: automaton?.leaseUntil(now) ?? null,
      queued_payload: {
        operation: i.operation,
        element,
        ...(i.requestRef ? { requestRef: i.requestRef } : {}),
      },
      actor: by.actor ?? null,
      user_id: by.userId,
    };
    batch.defer(insertOrders, row);
    if (automaton)
      batch.afterCommit(() => {
        if (!row.handed) return automaton.poke();
        automaton.accept({
          id,
          element_code: element,
          operation: i.operation,
          line_id: i.lineId,
          params: i.params,
          attempts: 1,
          instance_id: row.instance_id,
          task_id: i.taskId,
          resume_node: row.resume_node,
          customer_id: row.customer_id,
          request_ref: row.request_ref,
          revert_of: null,
          checkpoint: null,
        });
      });
    return { id, element };
  }

  /**
   * A fixed line's switch element when elements drive named exchanges (`act_element.exchanges`):
   * the exchange of the port the order names (`en`: a new line, a relocation), else of the line's
   * port in the inventory, else the element its last activation or relocation ran on. Null: the
   * default element. A relocation onto another exchange's switch is refused (done by hand: the
   * line is removed from one switch and created on the other).
   */
  private async exchangeElement(db: Executor, i: OrderInput): Promise<string | null> {
    if (OPERATIONS[i.operation]?.kind !== 'mml_switch') return null;
    if (!this.loaded) await this.loadElements();
    if (this.byExchange.size === 0) return null;
    const en = typeof i.params.en === 'string' ? i.params.en : null;
    const dn = typeof i.params.dn === 'string' ? i.params.dn : i.lineId;
    const r = await sql<{ port_exchange: string | null; line_exchange: string | null; last: string | null }>`
      SELECT (SELECT s.code FROM inv_port p JOIN inv_switch s ON s.id = p.switch_id
               WHERE p.equipment_number = ${en}) AS port_exchange,
             (SELECT s.code FROM inv_line l
                LEFT JOIN inv_port p ON p.id = l.port_id
                LEFT JOIN inv_base_station b ON b.id = l.base_station_id
                JOIN inv_switch s ON s.id = p.switch_id OR (p.id IS NULL AND s.site_id = b.site_id)
               WHERE l.directory_number = ${dn} AND l.status = 'active'
               ORDER BY s.id LIMIT 1) AS line_exchange,
             (SELECT o.element_code FROM act_order o
               WHERE o.line_id = ${i.lineId} AND o.operation IN ('fixed.activate', 'fixed.move')
                 AND o.status = 'done'
               ORDER BY o.id DESC LIMIT 1) AS last`.execute(db);
    const row = r.rows[0];
    const exchange = row?.port_exchange ?? row?.line_exchange ?? null;
    const target = exchange ? (this.byExchange.get(exchange) ?? null) : null;
    if (i.operation === 'fixed.move' && target && row?.last && row.last !== target)
      throw new ActivationError(
        'conflict',
        'activation.exchange_change',
        `line ${dn} moves from the switch ${row.last} to ${target} (exchange ${exchange}): remove it from one and create it on the other by hand`,
        'en',
      );
    return target ?? row?.last ?? null;
  }

  /** The element of an order, from memory when the elements are loaded (no query per order). */
  private async elementFor(db: Executor, operation: string, element: string | undefined): Promise<string> {
    const def = OPERATIONS[operation];
    if (def && this.loaded) {
      const code = element ?? this.defaults.get(def.kind);
      if (code && this.manager.kindOf(code) === def.kind) return code;
    }
    return this.resolveElement(db, operation, element);
  }

  /** An order from the API (no workflow), in its own transaction; the automaton is woken. */
  async order(i: OrderInput, by: Actor): Promise<OrderView> {
    const o = await this.db.transaction().execute(async (trx) => {
      await this.checkCards(trx, i.operation, i.params);
      return this.submit(trx, i, by);
    });
    this.automaton?.poke();
    return o;
  }

  /**
   * The SIM cards an order placed by hand (API, replay with new parameters) names must exist: a
   * typo is answered at once, naming the field, instead of an order refused later as `internal`.
   * Orders of requests are not checked (their card comes from the inventory's allocation).
   */
  private async checkCards(db: Executor, operation: string, params: Params): Promise<void> {
    const iccids = OPERATIONS[operation]?.cards?.(params) ?? [];
    if (iccids.length === 0) return;
    const known = await db.selectFrom('inv_sim').select('iccid').where('iccid', 'in', iccids).execute();
    const missing = iccids.find((c) => !known.some((k) => k.iccid === c));
    if (missing)
      throw actInvalid('activation.order_invalid', 'params.iccid', `SIM card ${missing} does not exist`);
  }

  /** Orders refused since `since`, per element (the CLI's view of what switching has to handle). */
  async refusedSince(since: Date): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('act_order')
      .select(['element_code', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', '=', 'refused')
      .where('finished_at', '>', since)
      .groupBy('element_code')
      .execute();
    return new Map(rows.map((r) => [r.element_code, Number(r.n)]));
  }

  /** The workflow instance of a service request, by its number or id (the journal per request). */
  async requestInstance(ref: string): Promise<number | null> {
    const r = await sql<{ id: number }>`
      SELECT i.id FROM service_request r
        JOIN wf_instance i ON i.subject_type = 'service_request' AND i.subject_id = r.id::text
       WHERE r.number = ${ref.toUpperCase()}
          OR (${/^[0-9]{1,18}$/.test(ref)} AND r.id::text = ${ref})
       LIMIT 1`.execute(this.db);
    return r.rows[0] ? Number(r.rows[0].id) : null;
  }

  /** Orders (as `o`) with the newest order that replayed each (act_order_replay_of_idx, on (replay_of, id)). */
  private ordersWithReplay() {
    return (
      this.db
        .selectFrom('act_order as o')
        .selectAll('o')
        .select((eb) =>
          eb
            .selectFrom('act_order as r')
            .select((r) => r.fn.max('r.id').as('m'))
            .whereRef('r.replay_of', '=', 'o.id')
            .as('replayed_by'),
        )
        // a request's order keeps the request's id (its workflow subject; the TMF facade joins on
        // it): the agents know the request by its number
        .select(
          sql<string | null>`(SELECT sr.number FROM service_request sr
          WHERE sr.id = CASE WHEN o.request_ref ~ '^[0-9]{1,18}$' THEN o.request_ref::bigint END)`.as(
            'request_number',
          ),
        )
    );
  }

  async get(id: number): Promise<OrderView & { commands: CommandView[] }> {
    const row = await this.ordersWithReplay().where('o.id', '=', id).executeTakeFirst();
    if (!row) throw actNotFound('activation.order_not_found', 'activation order', id);
    const commands = await this.journal({ orderId: id }, { limit: 200 });
    return { ...orderView(row), commands: commands.items };
  }

  private filteredOrders(f: OrderFilter) {
    let q = this.ordersWithReplay();
    if (f.lineId) q = q.where('o.line_id', '=', f.lineId);
    if (f.instanceId) q = q.where('o.instance_id', '=', f.instanceId);
    if (f.element) q = q.where('o.element_code', '=', f.element);
    if (f.status) q = q.where('o.status', '=', f.status as 'pending');
    if (f.toHandle) q = q.where(leftToHandle);
    return q;
  }

  /**
   * The temporary changes of access in force on a line (not yet reverted), oldest first: what the
   * line consultation shows beside the element's answer. A change's `until` is its revert's due time.
   */
  async temporaryInForce(
    lineId: string,
  ): Promise<{ orderId: number; until: string; voice?: boolean; data?: boolean; barring?: string }[]> {
    const rows = await this.db
      .selectFrom('act_revert as v')
      .innerJoin('act_order as o', 'o.id', 'v.order_id')
      .select(['v.order_id', 'v.due_at', 'o.operation', 'o.params'])
      .where('v.line_id', '=', lineId)
      .where('v.done_at', 'is', null)
      .where('v.revert_order_id', 'is', null)
      .orderBy('v.id')
      .execute();
    return rows.map((r) => {
      const p = (r.params ?? {}) as Params;
      return {
        orderId: r.order_id,
        until: r.due_at.toISOString(),
        ...(typeof p.cs === 'boolean' ? { voice: p.cs } : {}),
        ...(typeof p.ps === 'boolean' ? { data: p.ps } : {}),
        ...(typeof p.barring === 'string' ? { barring: p.barring } : {}),
      };
    });
  }

  async orders(f: OrderFilter, page: { limit?: number; cursor?: string }): Promise<Page<OrderView>> {
    const limit = page.limit ?? 50;
    const after = decodeNumericCursor(page.cursor);
    let q = this.filteredOrders(f);
    if (after !== undefined) q = q.where('o.id', '<', after);
    const rows = await q
      .orderBy('o.id', 'desc')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map(orderView);
    const last = items[items.length - 1];
    return rows.length > limit && last ? { items, nextCursor: encodeCursor([last.id]) } : { items };
  }

  /**
   * The orders the list's filters select, newest first, as CSV — what switching sends the network
   * team after a bad night (the refusals of an element with its messages), or keeps for a report.
   * `since` / `until` bound the creation time. At most EXPORT_LIMIT orders: more is refused (409,
   * naming `since`) rather than cut short without a word.
   */
  async ordersCsv(f: OrderFilter & { since?: Date; until?: Date }): Promise<{ csv: string; rows: number }> {
    let q = this.filteredOrders(f);
    if (f.since) q = q.where('o.created_at', '>=', f.since);
    if (f.until) q = q.where('o.created_at', '<', f.until);
    const rows = (
      await q
        .orderBy('o.id', 'desc')
        .limit(EXPORT_LIMIT + 1)
        .execute()
    ).map(orderView);
    if (rows.length > EXPORT_LIMIT)
      throw new ActivationError(
        'conflict',
        'activation.export_too_large',
        `more than ${EXPORT_LIMIT} orders match: narrow the export (since, until, element, status)`,
        'since',
      );
    const csv = stringify(
      rows.map((o) => ({
        ...o,
        params: JSON.stringify(o.params),
        result: o.result === null ? '' : JSON.stringify(o.result),
      })),
      { header: true, columns: EXPORT_COLUMNS, bom: true },
    );
    return { csv, rows: rows.length };
  }

  /** The command journal, newest first, for a line, a request (workflow instance), an element or an order. */
  async journal(f: JournalFilter, page: { limit?: number; cursor?: string }): Promise<Page<CommandView>> {
    const limit = page.limit ?? 50;
    const after = decodeNumericCursor(page.cursor);
    let q = this.db.selectFrom('act_command').selectAll();
    if ('lineId' in f) q = q.where('line_id', '=', f.lineId);
    // a request's commands are its orders' (migration 0780: no index of its own on instance_id)
    else if ('instanceId' in f)
      q = q.where('order_id', 'in', (eb) =>
        eb.selectFrom('act_order').select('id').where('instance_id', '=', f.instanceId),
      );
    else if ('element' in f) {
      q = q.where('element_code', '=', f.element);
      if (f.since || f.until) {
        const { low, high } = await journalWindow(this.db, f.element, f.since, f.until);
        q = q.where('id', '>', low);
        if (high !== null) q = q.where('id', '<', high);
      }
      if (f.since) q = q.where('sent_at', '>=', f.since);
      if (f.until) q = q.where('sent_at', '<', f.until);
      if (f.outcome) q = q.where('outcome', '=', f.outcome);
    } else q = q.where('order_id', '=', f.orderId);
    if (after !== undefined) q = q.where('id', '<', after);
    const rows = await q
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const items: CommandView[] = rows.slice(0, limit).map((r) => ({
      id: r.id,
      orderId: r.order_id,
      element: r.element_code,
      lineId: r.line_id,
      instanceId: r.instance_id,
      taskId: r.task_id,
      attempt: r.attempt,
      command: r.command,
      reply: r.reply,
      outcome: r.outcome,
      sentAt: r.sent_at.toISOString(),
      durationMs: Math.round(r.duration_ms * 100) / 100,
    }));
    const last = items[items.length - 1];
    return rows.length > limit && last ? { items, nextCursor: encodeCursor([last.id]) } : { items };
  }

  /**
   * A refused order again, once the cause is fixed (number freed, data corrected). An order on its
   * own is replayed as it was (with `params` over its own): a new pending order, linked to the
   * first; an order is replayed once (its replay, if refused too, is the one to replay). A request's order whose step is still fallen out in the switching basket
   * is retried through `retryStep` instead (the workflow's "retry now"): the step runs again, with
   * a new order, and the request carries on — the answer is the refused order with `retriedStep`.
   * Without `retryStep` (the command line) such an order is refused, a plain replay would leave the
   * request where it is.
   */
  async replay(
    id: number,
    by: Actor,
    params?: Params,
    retryStep?: (taskId: number) => Promise<void>,
  ): Promise<OrderView & { retriedStep?: number }> {
    const step = await this.db
      .selectFrom('act_order as o')
      .select('o.task_id')
      .where('o.id', '=', id)
      .where('o.task_id', 'is not', null)
      .where(leftToHandle)
      .executeTakeFirst();
    if (step) {
      if (!retryStep || params)
        throw new ActivationError(
          'conflict',
          'activation.request_step',
          `order ${id} is the refused step of a request: retry the step (switching basket, or the activation screen), which carries the request on`,
        );
      await retryStep(step.task_id!);
      return { ...(await this.get(id)), retriedStep: step.task_id! };
    }
    const o = await this.db.transaction().execute(async (trx) => {
      // the lock makes a second replay of the same order (a double click, a colleague) wait for
      // the first and then see it
      const src = await trx
        .selectFrom('act_order')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!src) throw actNotFound('activation.order_not_found', 'activation order', id);
      if (src.status !== 'refused')
        throw new ActivationError(
          'conflict',
          'activation.not_replayable',
          `order ${id} is ${src.status}; only a refused order is replayed`,
        );
      const already = await trx
        .selectFrom('act_order')
        .select(['id', 'status'])
        .where('replay_of', '=', id)
        .orderBy('id', 'desc')
        .executeTakeFirst();
      if (already)
        throw new ActivationError(
          'conflict',
          'activation.already_replayed',
          `order ${id} was already replayed as order ${already.id} (${already.status}); if that one was refused too, replay it instead`,
          undefined,
          { replayedBy: already.id },
        );
      if (params) await this.checkCards(trx, src.operation, { ...(src.params as Params), ...params });
      const [row] = await this.insertReplays(trx, [src], by, params);
      return orderView(row!);
    });
    this.automaton?.poke();
    return o;
  }

  /**
   * Sets a refused order aside: switching will not pursue it (a line that does not exist, an order
   * placed by mistake). It leaves the refusals left to handle; its refusal stays as it was, with
   * who set it aside, when and why. A request's refused step is handled in the switching basket
   * instead (retried or done by hand), which this does not replace.
   */
  async dismiss(id: number, reason: string, by: Actor): Promise<OrderView> {
    const why = reason.trim();
    if (why.length === 0)
      throw actInvalid('activation.order_invalid', 'reason', 'say why the refused order is set aside');
    await this.db.transaction().execute(async (trx) => {
      const o = await trx
        .selectFrom('act_order')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!o) throw actNotFound('activation.order_not_found', 'activation order', id);
      if (o.status !== 'refused')
        throw new ActivationError(
          'conflict',
          'activation.not_dismissable',
          `order ${id} is ${o.status}; only a refused order is set aside`,
        );
      if (o.dismissed_at) return; // set aside already (a double click, a colleague)
      if (o.task_id !== null)
        throw new ActivationError(
          'conflict',
          'activation.request_step',
          `order ${id} is a step of a request: handle it in the switching basket (retry, or done by hand)`,
        );
      const replayed = await trx
        .selectFrom('act_order')
        .select('id')
        .where('replay_of', '=', id)
        .executeTakeFirst();
      if (replayed)
        throw new ActivationError(
          'conflict',
          'activation.already_replayed',
          `order ${id} was replayed as order ${replayed.id}: there is nothing left to set aside`,
          undefined,
          { replayedBy: replayed.id },
        );
      await trx
        .updateTable('act_order')
        .set({ dismissed_at: this.clock.now(), dismissed_by: by.username, dismiss_reason: why.slice(0, 500) })
        .where('id', '=', id)
        .execute();
      await appendEvent(trx, {
        entityType: 'activation_order',
        entityId: id,
        kind: 'activation.order_dismissed',
        customerId: o.customer_id,
        lineId: o.line_id,
        userId: by.userId,
        payload: { operation: o.operation, element: o.element_code, reason: why.slice(0, 500) },
      });
    });
    return this.get(id);
  }

  /**
   * Replays, as they were, the refused orders of an element that no order has replayed yet (once
   * the element or its data is put right), oldest first, at most `limit` at a time; `since` keeps
   * to those refused from then on. Only orders outside any request (queued from the API or the
   * command line, the reverts of temporary changes) are replayed here. A request's refused step
   * fell out to the switching basket, and a replay would not carry the request on: the step is
   * retried instead through `retryStep` (the workflow's "retry now", with the caller's rights), each
   * in its own transaction after the replays; without it, or when it refuses, the step is `left`.
   */
  async replayRefused(
    f: { element: string; since?: Date },
    by: Actor,
    opts: { limit?: number; retryStep?: (taskId: number) => Promise<void> } = {},
  ): Promise<ReplayReport> {
    const limit = opts.limit ?? 500;
    await this.requireElement(f.element);
    const report = await this.db.transaction().execute(async (trx) => {
      const toHandle = () => {
        const q = trx
          .selectFrom('act_order as o')
          .selectAll('o')
          .where('o.element_code', '=', f.element)
          .where(leftToHandle);
        return f.since ? q.where('o.finished_at', '>=', f.since) : q;
      };
      const steps = await toHandle()
        .clearSelect()
        .select(['o.id', 'o.task_id'])
        .where('o.task_id', 'is not', null)
        .orderBy('o.id')
        .limit(limit + 1)
        .execute();
      // Locks first, then reads again: a replay another transaction committed while this one
      // waited for its lock is seen only by a statement started after the wait (read committed).
      const locked = await toHandle()
        .where('o.task_id', 'is', null)
        .orderBy('o.id')
        .limit(limit + 1)
        .forUpdate()
        .execute();
      const ids = locked.slice(0, limit).map((r) => r.id);
      const srcs = ids.length ? await toHandle().where('o.id', 'in', ids).orderBy('o.id').execute() : [];
      const rows = await this.insertReplays(trx, srcs, by);
      return {
        element: f.element,
        replayed: rows.map((r) => ({ replayOf: r.replay_of!, id: r.id })),
        more: locked.length > limit,
        moreSteps: steps.length > limit,
        steps: steps.slice(0, limit).map((x) => ({ orderId: x.id, taskId: x.task_id! })),
      };
    });
    if (report.replayed.length) this.automaton?.poke();
    const retried: ReplayReport['retried'] = [];
    const left: ReplayReport['left'] = [];
    for (const step of report.steps) {
      if (!opts.retryStep) {
        left.push({ ...step, reason: "a request's step: retry it from the switching basket" });
        continue;
      }
      try {
        await opts.retryStep(step.taskId);
        retried.push(step);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        left.push({ ...step, reason: err.message });
      }
    }
    const { element, replayed, more, moreSteps } = report;
    return { element, replayed, more, retried, left, moreSteps };
  }

  /** New pending orders repeating `srcs` (with `params` over theirs), and their events. */
  private async insertReplays(
    trx: Executor,
    srcs: OrderRow[],
    by: Actor,
    params?: Params,
  ): Promise<OrderRow[]> {
    if (srcs.length === 0) return [];
    await lockOrderLines(
      trx,
      srcs.map((o) => o.line_id),
    );
    const now = this.clock.now();
    const rows = await trx
      .insertInto('act_order')
      .values(
        srcs.map((src) => ({
          element_code: src.element_code,
          operation: src.operation,
          line_id: src.line_id,
          params: JSON.stringify({ ...(src.params as Params), ...(params ?? {}) }),
          instance_id: src.instance_id,
          task_id: src.task_id,
          request_ref: src.request_ref,
          customer_id: src.customer_id,
          replay_of: src.id,
          created_by: by.username,
          created_at: now,
          available_at: now,
        })),
      )
      .returningAll()
      .execute();
    rows.sort((a, b) => a.id - b.id);
    await appendEvents(
      trx,
      rows.map((row) => ({
        entityType: 'activation_order',
        entityId: row.id,
        kind: 'activation.order_replayed',
        customerId: row.customer_id,
        lineId: row.line_id,
        userId: by.userId,
        payload: { replayOf: row.replay_of, operation: row.operation },
      })),
    );
    return rows;
  }

  /**
   * Withdraws an order the automaton has not claimed yet (TMF641 cancelServiceOrder), in the
   * caller's transaction: it becomes `cancelled` with the reason, and its event is written. False
   * when it is no longer pending (on the element now, or ended); undefined when it does not exist.
   */
  async withdrawIn(trx: Executor, id: number, reason: string, by: Actor): Promise<boolean | undefined> {
    const r = await trx
      .updateTable('act_order')
      .set({ status: 'cancelled', error: reason, error_code: 'cancelled', finished_at: this.clock.now() })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .returning(['id', 'operation', 'line_id', 'customer_id', 'request_ref'])
      .executeTakeFirst();
    if (!r) {
      const exists = await trx.selectFrom('act_order').select('id').where('id', '=', id).executeTakeFirst();
      return exists ? false : undefined;
    }
    await appendEvent(trx, {
      entityType: 'activation_order',
      entityId: r.id,
      kind: 'activation.order_cancelled',
      customerId: r.customer_id,
      lineId: r.line_id,
      actor: by.actor ?? null,
      userId: by.userId,
      payload: { operation: r.operation, reason, requestRef: r.request_ref },
    });
    return true;
  }

  /**
   * Withdraws, in the caller's transaction, every order a workflow instance queued that the
   * automaton has not claimed yet (a service request cancelled: its line must not be activated
   * afterwards), each `cancelled` with its event as in `withdrawIn`; and names the instance's orders
   * on the element now, which nothing calls back. Pending orders are updated first, so an order the
   * automaton claims meanwhile is seen as running, never missed. Revert orders are left alone: they
   * undo a temporary change already made on the element, which must end whatever the request became.
   */
  async withdrawForInstanceIn(
    trx: Executor,
    instanceId: number,
    reason: string,
    by: Actor,
  ): Promise<{ withdrawn: number[]; running: { id: number; element: string }[] }> {
    const rows = await trx
      .updateTable('act_order')
      .set({ status: 'cancelled', error: reason, error_code: 'cancelled', finished_at: this.clock.now() })
      .where('instance_id', '=', instanceId)
      .where('status', '=', 'pending')
      .where('revert_of', 'is', null)
      .returning(['id', 'operation', 'line_id', 'customer_id', 'request_ref'])
      .execute();
    for (const r of rows)
      await appendEvent(trx, {
        entityType: 'activation_order',
        entityId: r.id,
        kind: 'activation.order_cancelled',
        customerId: r.customer_id,
        lineId: r.line_id,
        actor: by.actor ?? null,
        userId: by.userId,
        payload: { operation: r.operation, reason, requestRef: r.request_ref },
      });
    const running = await trx
      .selectFrom('act_order')
      .select(['id', 'element_code'])
      .where('instance_id', '=', instanceId)
      .where('status', '=', 'running')
      .where('revert_of', 'is', null)
      .orderBy('id')
      .execute();
    return {
      withdrawn: rows.map((r) => r.id),
      running: running.map((r) => ({ id: r.id, element: r.element_code })),
    };
  }

  /**
   * On-demand queries for the assistance screens (line status, meter index, HLR status): through
   * the same pools, journaled, no order. A fixed line is asked on the switch its orders go to
   * (`exchangeElement`: its exchange's, else its last activation's), not on the default one. An
   * element that is down answers `unavailable` at once instead of making an agent wait for the
   * circuit to close.
   */
  async query(
    operation: 'fixed.status' | 'fixed.meter' | 'mobile.status',
    params: Params,
    element?: string,
  ): Promise<Params> {
    const def = OPERATIONS[operation];
    if (!def) throw actInvalid('activation.operation_unknown', 'operation', operation);
    const lineId =
      typeof params.dn === 'string' ? params.dn : typeof params.imsi === 'string' ? params.imsi : null;
    const code =
      element ??
      (def.kind === 'mml_switch' && lineId !== null
        ? await this.exchangeElement(this.db, { operation, lineId, params })
        : null) ??
      this.defaults.get(def.kind) ??
      (await this.resolveElement(this.db, operation, undefined));
    return this.runOn(code, def.kind, lineId, operation, (s) => def.run(s, params, this.keys));
  }

  /**
   * One read on an element, outside any order (on-demand queries, an audit's listing): through its
   * pool, journaled; an element that is down answers `unavailable` at once, a slow one after 3 s.
   */
  async runOn<T>(
    code: string,
    kind: ElementKind,
    lineId: string | null,
    what: string,
    op: (s: Session) => Promise<T>,
  ): Promise<T> {
    if (!this.manager.has(code)) await this.loadElements();
    if (this.disabled.has(code)) throw elementDisabled(code);
    const health = this.manager.health().find((h) => h.code === code);
    if (!health) throw actNotFound('activation.element_not_found', 'network element', code);
    if (health.kind !== kind)
      throw actInvalid(
        'activation.element_invalid',
        'element',
        `${what} runs on a ${kind}, ${code} is a ${health.kind}`,
      );
    if (health.circuit === 'open')
      throw new ActivationError(
        'unavailable',
        'activation.element_unavailable',
        `network element ${code} is down: ${health.lastError ?? ''}`,
      );
    try {
      return await withTimeout(this.manager.run(code, null, { lineId }, op), 3000, code);
    } catch (err) {
      // the element does not know the line (its meter asked): the line is missing there, the
      // element did not refuse anything
      if (err instanceof ElementRefusal && err.code === 'DNUNK')
        throw new ActivationError(
          'not_found',
          'activation.line_not_on_element',
          `line ${lineId ?? ''} is not on ${code}`,
          undefined,
          { element: code },
        );
      if (err instanceof ElementRefusal)
        throw new ActivationError(
          'rule',
          'activation.refused',
          `${code} refused: ${err.message}`,
          undefined,
          { element: code },
        );
      throw err;
    }
  }

  /**
   * The switch element a fixed line's orders go to, as `exchangeElement` decides it: the element
   * driving the line's exchange, else the one its last activation or relocation ran on, else the
   * default switch (the last is not looked at when no element drives named exchanges).
   */
  async switchElementFor(exchange: string | null, last: string | null = null): Promise<string | null> {
    if (!this.loaded) await this.loadElements();
    const byDefault = this.defaults.get('mml_switch') ?? null;
    if (this.byExchange.size === 0) return byDefault;
    return (exchange ? this.byExchange.get(exchange) : undefined) ?? last ?? byDefault;
  }

  /** The default element of a kind (the one orders go to when they name none). */
  async defaultElement(kind: ElementKind): Promise<string | null> {
    if (!this.loaded) await this.loadElements();
    return this.defaults.get(kind) ?? null;
  }
}

const elementDisabled = (code: string) =>
  new ActivationError(
    'conflict',
    'activation.element_disabled',
    `network element ${code} is disabled: nothing is sent to it until an administrator enables it again`,
    'element',
  );

async function withTimeout<T>(p: Promise<T>, ms: number, code: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ActivationError(
                'unavailable',
                'activation.element_unavailable',
                `network element ${code} did not answer within ${ms} ms`,
              ),
            ),
          ms,
        );
      }),
    ]);
  } catch (err) {
    if (err instanceof TransportError)
      throw new ActivationError(
        'unavailable',
        'activation.element_unavailable',
        `network element ${code}: ${err.message}`,
      );
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function toConfig(r: {
  code: string;
  kind: ElementKind;
  host: string;
  port: number;
  username: string | null;
  password: string | null;
  rate_per_second: number;
  pool_size: number;
  pipeline: number;
  timeout_ms: number;
}): ElementConfig {
  return {
    code: r.code,
    kind: r.kind,
    host: r.host,
    port: r.port,
    username: r.username,
    password: r.password,
    ratePerSecond: r.rate_per_second,
    poolSize: r.pool_size,
    pipeline: r.pipeline,
    timeoutMs: r.timeout_ms,
  };
}

function elementView(r: {
  code: string;
  kind: ElementKind;
  name: string;
  host: string;
  port: number;
  vty_port: number | null;
  rate_per_second: number;
  pool_size: number;
  pipeline: number;
  exchanges: string[];
  timeout_ms: number;
  is_default: boolean;
  enabled: boolean;
}): ElementView {
  return {
    code: r.code,
    kind: r.kind,
    name: r.name,
    host: r.host,
    port: r.port,
    vtyPort: r.vty_port,
    ratePerSecond: r.rate_per_second,
    poolSize: r.pool_size,
    pipeline: r.pipeline,
    exchanges: r.exchanges,
    timeoutMs: r.timeout_ms,
    isDefault: r.is_default,
    enabled: r.enabled,
  };
}
