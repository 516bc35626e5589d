import { sql, type Selectable } from 'kysely';
import type { Db, Executor } from '../../platform/db.js';
import type { Actor } from '../../platform/events.js';
import { decodeNumericCursor, pageOf, type Page } from '../../platform/http/pagination.js';
import { ActivationError, actNotFound } from './activation.errors.js';
import type { ActivationService, ElementView } from './activation.service.js';
import type { ActAuditItemTable, AuditItemKind, AuditStatus } from './activation.tables.js';
import { switchOps, type ListedLine } from './drivers/switch.driver.js';
import { listHlrSubscribers, type HlrSubscriberRow } from './drivers/osmo-vty.client.js';
import type { JournalEntry } from './element-manager.js';
import type { Params } from './operations.js';
import { liveStatus, type Limitation, type Limitations } from './line-access.js';

/**
 * The network audit (seed: the automaton keeps the network in line with the commercial records):
 * one element's lines against the operator's records — live subscriptions (active, suspended) and
 * their technical files — read line by line through the element's pool.
 *
 * - HLR (the default one: mobile orders go there): each live mobile line's subscriber by its SIM's
 *   IMSI: present, its MSISDN, CS access cut when suspended and given when active. PS alone is not
 *   compared: a limitation for unpaid bills cuts it on an active line. Terminated lines whose SIM is
 *   still in the HLR are reported.
 * - Switch: the numbers it holds are listed first (LST-LINE), then each live fixed line of its
 *   exchanges is looked for, and read (DSP-LINE) when present: its port, barred when suspended.
 *   Numbers on the switch that no live subscription has are reported.
 *
 * With `repair`, every difference the records can settle is queued as ordinary orders (journaled,
 * throttled, replayable; `request_ref` AUDIT-<id>). Lines unknown to the records are never removed
 * on the audit's word: switching decides.
 */

export interface AuditView {
  id: number;
  element: string;
  status: AuditStatus;
  repair: boolean;
  expected: number;
  checked: number;
  consistent: number;
  differences: number;
  repaired: number;
  byKind: Partial<Record<AuditItemKind, number>>;
  /** Differences the records can settle and no order realigns yet: what "realign" would queue. */
  repairable: number;
  error: string | null;
  /** What the audit could not look at (e.g. the HLR's list of subscribers unreachable). */
  warning: string | null;
  startedBy: string;
  startedAt: string;
  finishedAt: string | null;
}

export interface AuditItemView {
  id: number;
  lineId: string;
  kind: AuditItemKind;
  subscription: string | null;
  expected: unknown;
  actual: unknown;
  detail: string;
  orderIds: number[];
  /** The records can settle it: orders were (or can be) queued. */
  repairable: boolean;
  /** The operations that realign it, in order (what differs: `fixed.barring`, `mobile.limit`…). */
  repairs: string[];
  /** Orders (not the audit's) still to run on the line when the audit read it: it may settle alone. */
  ordersInFlight: number[];
}

interface Difference {
  lineId: string;
  kind: AuditItemKind;
  subscription: string | null;
  customerId: number | null;
  expected: Params | null;
  actual: Params | null;
  detail: string;
  /** The orders that bring the element to the records, in the order they must run. */
  repair: { operation: string; params: Params }[];
}

interface LiveLine {
  id: number;
  code: string;
  status: 'active' | 'suspended';
  dn: string;
  customer_id: number;
}
type MobileLine = LiveLine & { iccid: string | null; imsi: string | null };

/** A line's limitation as the audit knows it; `unknown` when no billing tells it. */
function limitationOf(ctx: AccessContext, dn: string): Limitation | 'unknown' | null {
  return ctx.limitations ? (ctx.limitations.get(dn) ?? null) : 'unknown';
}

/** Operations whose need depends on the line's status, limitation or temporary change. */
const ACCESS_OPERATIONS = new Set([
  'mobile.limit',
  'mobile.restore',
  'mobile.suspend',
  'fixed.barring',
  'fixed.suspend',
  'fixed.restore',
]);
/** A subscriber as the HLR shows it (CTRL's status read, or a row of its VTY list). */
interface MobileState {
  exists?: boolean;
  msisdn?: string | null;
  access?: { cs: boolean; ps: boolean } | null;
}
/** A line as the switch shows it (`DSP-LINE`, or a row of `LST-LINE …,DETAIL=YES`). */
interface FixedState {
  exists?: boolean;
  en?: string | null;
  status?: string | null;
  barring?: string | null;
  services?: string[];
}
type FixedLine = LiveLine & {
  kind: string;
  en: string | null;
  base_station: string | null;
  exchange: string | null;
  /** The switch element its last activation or relocation ran on (routing without a port). */
  last: string | null;
  /** The product codes of its live options (what they give it on the switch: lineProfile). */
  options: string[];
};

export interface AuditOptions {
  /** Lines read from the database per page (and differences written per transaction). */
  pageSize?: number;
  /** Reads in flight on the element at once. */
  concurrency?: number;
  /** A running audit whose heartbeat is older than this was left by a stopped process. */
  staleAfterMs?: number;
  /** What a fixed line with these options holds on its switch (barring class, services). */
  lineProfile?: LineProfile;
  /** The command journal: the HLR's listing (VTY) is journaled with the element's commands. */
  journal?: (e: JournalEntry) => void;
  /**
   * The lines under a limitation for unpaid bills (billing's collection): `limited` while it is in
   * force (data cut, outgoing calls barred), `changing` while it is being put on or lifted.
   */
  limitations?: Limitations;
}

/** What the audit knows of a line's access besides its status, read once per audit. */
interface AccessContext {
  /** Null: no limitation is known (no billing behind this audit): PS and barring not compared. */
  limitations: Map<string, Limitation> | null;
  /** Lines with a temporary change of access not yet reverted: their access is not compared. */
  temporary: Set<string>;
}

export type LineProfile = (optionCodes: string[]) => { barring: string; services: string[] };

/** osmo-hlr's VTY port when the element names none. */
const HLR_VTY_PORT = 4258;
const STALE_MS = 120_000;
const HEARTBEAT_MS = 30_000;
/** A nightly audit is not needed for an element audited (not failed) this recently. */
const RECENT_MS = 12 * 3600_000;

/** The audit's running counters (written to its row after every page). */
interface Counts {
  expected: number;
  checked: number;
  consistent: number;
  differences: number;
  repaired: number;
}

export class NetworkAudit {
  private readonly pageSize: number;
  private readonly concurrency: number;
  private readonly staleAfterMs: number;
  private readonly lineProfile: LineProfile | null;
  private readonly journal: ((e: JournalEntry) => void) | null;
  private readonly limitations: AuditOptions['limitations'] | null;
  /** The audits this process runs: ended as interrupted when it stops. */
  private readonly mine = new Set<number>();

  constructor(
    private readonly db: Db,
    private readonly service: ActivationService,
    opts: AuditOptions = {},
  ) {
    this.pageSize = opts.pageSize ?? 500;
    this.concurrency = opts.concurrency ?? 8;
    this.staleAfterMs = opts.staleAfterMs ?? STALE_MS;
    this.lineProfile = opts.lineProfile ?? null;
    this.journal = opts.journal ?? null;
    this.limitations = opts.limitations ?? null;
  }

  /** The process stops: its running audits end as interrupted (a new one may start at once). */
  async interrupt(): Promise<void> {
    if (this.mine.size === 0) return;
    await this.db
      .updateTable('act_audit')
      .set({ status: 'failed', error: 'interrupted: GPTo stopped', finished_at: new Date() })
      .where('id', 'in', [...this.mine])
      .where('status', '=', 'running')
      .execute();
    this.mine.clear();
  }

  /**
   * Starts an audit of the element and returns it at once; it runs in the background (`get` shows
   * its progress). `run` is the same in the foreground (the CLI).
   */
  async start(element: string, opts: { repair?: boolean }, by: Actor): Promise<AuditView> {
    const id = await this.open(element, opts.repair ?? false, by);
    void this.execute(id, element, opts.repair ?? false, by);
    return this.get(id);
  }

  /**
   * The nightly audit of every enabled element (no repair: switching reads what differs in the
   * morning), once per element and operator day across processes. An element with an audit
   * running is left for the next tick; one audited in the last 12 hours is not audited again.
   * Returns the audits started.
   */
  async nightly(day: string, by: Actor, now = new Date()): Promise<AuditView[]> {
    const started: AuditView[] = [];
    const recent = new Date(now.getTime() - RECENT_MS);
    // the codes only: this runs every minute once the time has come (not the cards' health)
    const enabled = await this.db
      .selectFrom('act_element')
      .select('code')
      .where('enabled', '=', true)
      .orderBy('code')
      .execute();
    for (const e of enabled) {
      // tonight's done, or an audit of the last 12 hours (by hand, or the alignment of an element
      // new at this start, whose orders may still be running): nothing to add tonight
      const done = await this.db
        .selectFrom('act_audit')
        .select('id')
        .where('element_code', '=', e.code)
        .where((eb) =>
          eb.or([
            eb('scheduled_for', '=', day),
            eb.and([eb('started_at', '>', recent), eb('status', '<>', 'failed')]),
          ]),
        )
        .executeTakeFirst();
      if (done) continue;
      let id: number;
      try {
        id = await this.open(e.code, false, by, day);
      } catch (err) {
        // running already (a manual audit, or the same night's from another process)
        if (err instanceof ActivationError && err.code === 'activation.audit_running') continue;
        throw err;
      }
      void this.execute(id, e.code, false, by);
      started.push(await this.get(id));
    }
    return started;
  }

  async run(
    element: string,
    opts: { repair?: boolean },
    by: Actor,
    onProgress?: (a: AuditView) => void,
  ): Promise<AuditView> {
    const id = await this.open(element, opts.repair ?? false, by);
    await this.execute(id, element, opts.repair ?? false, by, onProgress);
    return this.get(id);
  }

  private async open(element: string, repair: boolean, by: Actor, scheduledFor?: string): Promise<number> {
    const el = await this.service.element(element); // 404 for an unknown element
    if (!el.enabled)
      throw new ActivationError(
        'conflict',
        'activation.element_disabled',
        `network element ${element} is disabled`,
        'element',
      );
    // an audit left "running" by a process that stopped is ended first, so a new one may start
    await this.closeStale(element);
    const row = await this.db
      .insertInto('act_audit')
      .values({
        element_code: element,
        repair,
        started_by: by.username,
        ...(scheduledFor ? { scheduled_for: scheduledFor } : {}),
      })
      // one running audit per element, one nightly audit per element and day: nothing inserted
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!row)
      throw new ActivationError(
        'conflict',
        'activation.audit_running',
        `an audit of ${element} is running already`,
        'element',
      );
    return row.id;
  }

  private async execute(
    id: number,
    element: string,
    repair: boolean,
    by: Actor,
    onProgress?: (a: AuditView) => void,
  ): Promise<void> {
    const counts: Counts = { expected: 0, checked: 0, consistent: 0, differences: 0, repaired: 0 };
    const flush = async (
      diffs: Difference[],
      status: AuditStatus = 'running',
      error: string | null = null,
      warning?: string | null,
    ) => {
      let repaired = 0;
      await this.db.transaction().execute(async (trx) => {
        // the orders still to run on these lines, read before this audit queues its own
        const inFlight = new Map<string, number[]>();
        if (diffs.length)
          for (const o of await trx
            .selectFrom('act_order')
            .select(['line_id', 'id'])
            .where('line_id', '=', sql<string>`ANY(${diffs.map((d) => d.lineId)}::text[])`)
            .where('status', 'in', ['pending', 'running'])
            .where((eb) => eb('request_ref', 'is', null).or('request_ref', '<>', `AUDIT-${id}`))
            .orderBy('id')
            .execute())
            inFlight.set(o.line_id, [...(inFlight.get(o.line_id) ?? []), o.id]);
        for (const d of diffs) {
          const orderIds = repair
            ? await this.queue(trx, id, element, d.lineId, d.customerId, d.repair, by, d.expected)
            : [];
          if (orderIds.length) repaired++;
          await trx
            .insertInto('act_audit_item')
            .values({
              audit_id: id,
              line_id: d.lineId,
              kind: d.kind,
              subscription_code: d.subscription,
              expected: d.expected ? JSON.stringify(d.expected) : null,
              actual: d.actual ? JSON.stringify(d.actual) : null,
              detail: d.detail,
              customer_id: d.customerId,
              plan: JSON.stringify(d.repair),
              order_ids: orderIds,
              orders_in_flight: inFlight.get(d.lineId) ?? [],
            })
            .execute();
        }
        await trx
          .updateTable('act_audit')
          .set({
            ...counts,
            repaired: counts.repaired + repaired,
            status,
            error,
            ...(warning !== undefined ? { warning } : {}),
            heartbeat_at: new Date(),
            ...(status === 'running' ? {} : { finished_at: new Date() }),
          })
          .where('id', '=', id)
          // ended meanwhile (interrupted at a stop, or found stale): it stays ended
          .where('status', '=', 'running')
          .execute();
      });
      counts.repaired += repaired;
      if (repaired) this.service.poke();
      if (onProgress) onProgress(await this.get(id));
    };
    // beats while it runs, whatever a page takes on a slow (throttled) element
    const beat = setInterval(() => {
      void this.db
        .updateTable('act_audit')
        .set({ heartbeat_at: new Date() })
        .where('id', '=', id)
        .where('status', '=', 'running')
        .execute()
        .catch(() => undefined);
    }, HEARTBEAT_MS);
    beat.unref();
    this.mine.add(id);
    try {
      const el = await this.service.element(element);
      const ctx = await this.accessContext(element);
      const warning =
        el.kind === 'osmo_hlr'
          ? await this.auditHlr(el, counts, flush, ctx)
          : await this.auditSwitch(element, counts, flush, ctx);
      await flush([], 'done', null, warning);
    } catch (err) {
      await flush([], 'failed', err instanceof Error ? err.message : String(err)).catch(() => undefined);
    } finally {
      clearInterval(beat);
      this.mine.delete(id);
    }
  }

  /**
   * Ends the audits left running by a process that stopped (no heartbeat for 2 minutes), so that
   * no card says "running" for ever after a restart: at the automaton's start.
   */
  async closeStale(element?: string): Promise<number> {
    let q = this.db
      .updateTable('act_audit')
      .set({
        status: 'failed',
        error: 'interrupted: the process running it stopped',
        finished_at: new Date(),
      })
      .where('status', '=', 'running')
      .where('heartbeat_at', '<', new Date(Date.now() - this.staleAfterMs));
    if (element) q = q.where('element_code', '=', element);
    return Number((await q.executeTakeFirst()).numUpdatedRows);
  }

  /** Queues a line's repair orders (one line's orders run in the order queued). */
  private async queue(
    trx: Executor,
    id: number,
    element: string,
    lineId: string,
    customerId: number | null,
    plan: { operation: string; params: Params }[],
    by: Actor,
    expected: Params | null = null,
  ): Promise<number[]> {
    if (
      expected &&
      plan.some((o) => ACCESS_OPERATIONS.has(o.operation)) &&
      (await this.changed(trx, lineId, expected))
    )
      return [];
    // a line with orders still to run (a request's, an earlier alignment's) is left as it is: they
    // may settle it, and doubling them would not; a later audit sees what is left
    const busy = await trx
      .selectFrom('act_order')
      .select('id')
      .where('line_id', '=', lineId)
      .where('status', 'in', ['pending', 'running'])
      .where((eb) => eb('request_ref', 'is', null).or('request_ref', '<>', `AUDIT-${id}`))
      .limit(1)
      .executeTakeFirst();
    if (busy) return [];
    const ids: number[] = [];
    for (const o of plan) {
      const order = await this.service.submit(
        trx,
        { operation: o.operation, lineId, params: o.params, element, requestRef: `AUDIT-${id}`, customerId },
        by,
      );
      ids.push(order.id);
    }
    return ids;
  }

  /**
   * Whether what a difference's access repair rests on has changed since the audit read it: the
   * line's status, its limitation for unpaid bills, a temporary change of access begun since. Such
   * a line is left for the next audit (a debt paid since must not be limited again, a limitation
   * begun since must not be lifted).
   */
  private async changed(trx: Executor, lineId: string, expected: Params): Promise<boolean> {
    if ((await liveStatus(trx, lineId)) !== expected.status) return true;
    const temporary = await trx
      .selectFrom('act_revert')
      .select('id')
      .where('line_id', '=', lineId)
      .where('done_at', 'is', null)
      .limit(1)
      .executeTakeFirst();
    if (temporary) return true;
    if (!this.limitations) return false;
    const now = (await this.limitations.lines(lineId)).get(lineId) ?? null;
    return now !== ((expected.limitation as Limitation | undefined) ?? null);
  }

  /**
   * Removes from the element a line the records do not know (an `unknown_on_element` item), once
   * switching has decided so: the audit never does it on its own word. One order (`fixed.deactivate`
   * by number, `mobile.deactivate` by IMSI), journaled as the audit's; a second call gives it back.
   */
  async remove(id: number, itemId: number, by: Actor): Promise<AuditItemView> {
    const a = await this.get(id);
    const done = await this.db.transaction().execute(async (trx) => {
      const it = await trx
        .selectFrom('act_audit_item')
        .selectAll()
        .where('audit_id', '=', id)
        .where('id', '=', itemId)
        .forUpdate()
        .executeTakeFirst();
      if (!it) throw actNotFound('activation.audit_not_found', `difference ${itemId} of audit`, id);
      if (it.kind !== 'unknown_on_element')
        throw new ActivationError(
          'rule',
          'activation.audit_not_removable',
          `only a line unknown to the records is removed from the element (this one is ${it.kind})`,
          'itemId',
        );
      if (it.order_ids.length) return it;
      const imsi = (it.actual as { imsi?: string } | null)?.imsi;
      // the records may have changed since: never take a live line off the network
      const live = await sql<{ code: string }>`
        SELECT s.code FROM subscription s
        WHERE s.status IN ('pending', 'active', 'suspended') AND s.parent_id IS NULL
          AND (${imsi ? sql`s.sim_iccid = (SELECT m.iccid FROM inv_sim m WHERE m.imsi = ${imsi})` : sql`s.directory_number = ${it.line_id}`})
        LIMIT 1`.execute(trx);
      if (live.rows[0])
        throw new ActivationError(
          'conflict',
          'activation.audit_not_removable',
          `${it.line_id} belongs to the live subscription ${live.rows[0].code}: it is not removed`,
          'itemId',
        );
      const queued = await this.queue(
        trx,
        id,
        a.element,
        it.line_id,
        it.customer_id,
        [
          imsi
            ? { operation: 'mobile.deactivate', params: { imsi } }
            : { operation: 'fixed.deactivate', params: { dn: it.line_id } },
        ],
        by,
      );
      if (queued.length === 0)
        throw new ActivationError(
          'conflict',
          'activation.audit_line_busy',
          `${it.line_id} has orders still to run on the element: remove it once they have ended`,
          'itemId',
        );
      return trx
        .updateTable('act_audit_item')
        .set({ order_ids: queued })
        .where('id', '=', itemId)
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    this.service.poke();
    return itemView(done);
  }

  /**
   * Realigns what a finished audit found and did not repair: the orders of every item the records
   * can settle and that has none yet. Returns the audit with its new count of repaired lines.
   */
  async repair(id: number, by: Actor): Promise<AuditView> {
    const a = await this.get(id);
    if (a.status === 'running')
      throw new ActivationError('conflict', 'activation.audit_running', `audit ${id} is still running`, 'id');
    // what an older audit found may have changed since (a line suspended, terminated, renumbered)
    const newest = await this.db
      .selectFrom('act_audit')
      .select('id')
      .where('element_code', '=', a.element)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    if (newest.id !== id || Date.parse(a.startedAt) < Date.now() - RECENT_MS)
      throw new ActivationError(
        'conflict',
        'activation.audit_stale',
        `audit ${id} is not ${a.element}'s newest of the last 12 hours: start a new audit, then realign what it finds`,
        'id',
      );
    const n = await this.db.transaction().execute(async (trx) => {
      // the audit row locked: two clicks on "realign" queue the orders once
      await trx.selectFrom('act_audit').select('id').where('id', '=', id).forUpdate().execute();
      const items = await trx
        .selectFrom('act_audit_item')
        .select(['id', 'line_id', 'customer_id', 'plan', 'expected'])
        .where('audit_id', '=', id)
        .where(sql<boolean>`plan <> '[]'::jsonb AND order_ids = '{}'`)
        .orderBy('id')
        .execute();
      let queued = 0;
      for (const it of items) {
        const ids = await this.queue(
          trx,
          id,
          a.element,
          it.line_id,
          it.customer_id,
          it.plan as { operation: string; params: Params }[],
          by,
          it.expected as Params | null,
        );
        // none: the line is busy with other orders, or its records changed since the audit
        if (ids.length === 0) continue;
        queued++;
        await trx.updateTable('act_audit_item').set({ order_ids: ids }).where('id', '=', it.id).execute();
      }
      await trx
        .updateTable('act_audit')
        .set((eb) => ({ repaired: eb('repaired', '+', queued) }))
        .where('id', '=', id)
        .execute();
      return queued;
    });
    if (n) this.service.poke();
    return this.get(id);
  }

  /** Reads `items` on the element, `concurrency` at a time, in their order. */
  private async each<T, R>(items: T[], read: (x: T) => Promise<R>): Promise<R[]> {
    const out = new Array<R>(items.length);
    let next = 0;
    const lane = async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await read(items[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, items.length) }, lane));
    return out;
  }

  /** Limitations in force and temporary access changes, as the audit starts. */
  private async accessContext(element: string): Promise<AccessContext> {
    const temporary = await this.db
      .selectFrom('act_revert')
      .select('line_id')
      .where('element_code', '=', element)
      .where('done_at', 'is', null)
      .execute();
    return {
      limitations: this.limitations ? await this.limitations.lines() : null,
      temporary: new Set(temporary.map((r) => r.line_id)),
    };
  }

  private async auditHlr(
    el: ElementView,
    counts: Counts,
    flush: (d: Difference[]) => Promise<void>,
    ctx: AccessContext,
  ): Promise<string | null> {
    // The HLR's own list first (its VTY: CTRL cannot list): the lines it shows in line cost no
    // read of their own, and what is left of it once the live lines are taken out is unknown to
    // the records. Without it, every line is read through CTRL.
    const element = el.code;
    const listed = await this.listHlr(el);
    // mobile orders go to the default HLR: another HLR holds none of the records' lines
    const carries = (await this.service.defaultElement('osmo_hlr')) === element;
    let after = 0;
    while (carries) {
      const page = (
        await sql<MobileLine>`
          SELECT s.id, s.code, s.status, s.directory_number AS dn, s.customer_id, s.sim_iccid AS iccid, m.imsi
          FROM subscription s
          JOIN product_version pv ON pv.id = s.product_version_id
          JOIN product p ON p.id = pv.product_id
          LEFT JOIN inv_sim m ON m.iccid = s.sim_iccid
          WHERE s.id > ${after} AND s.status IN ('active', 'suspended') AND s.parent_id IS NULL AND p.kind LIKE 'mobile%'
            AND s.directory_number IS NOT NULL
          ORDER BY s.id LIMIT ${this.pageSize}`.execute(this.db)
      ).rows;
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
      counts.expected += page.length;
      const diffs = (
        await this.each(page, (l) =>
          this.checkMobile(
            element,
            l,
            ctx,
            listed.rows ? (listed.rows.get(l.imsi ?? '') ?? null) : undefined,
          ),
        )
      ).flat();
      if (listed.rows) for (const l of page) if (l.imsi) listed.rows.delete(l.imsi);
      counts.checked += page.length;
      counts.differences += diffs.length;
      counts.consistent += page.filter((l) => !diffs.some((d) => d.lineId === l.dn)).length;
      await flush(diffs);
    }
    if (!listed.rows) {
      // without the list, only the cards of terminated lines can be looked for, one by one
      await this.terminatedCards(element, counts, flush);
      return (
        `the HLR's list of subscribers could not be read (${listed.error}): every line was read ` +
        'through CTRL, and subscribers unknown to the records were looked for among terminated lines’ cards only'
      );
    }
    // every subscriber the records do not put there
    const unknown = [...listed.rows.values()];
    for (let i = 0; i < unknown.length; i += this.pageSize) {
      const diffs = await this.unknownSubscribers(element, unknown.slice(i, i + this.pageSize));
      counts.differences += diffs.length;
      await flush(diffs);
    }
    return null;
  }

  /** The HLR's subscribers by IMSI (its VTY), journaled; null rows and why when it cannot be read. */
  private async listHlr(
    el: ElementView,
  ): Promise<{ rows: Map<string, HlrSubscriberRow>; error: null } | { rows: null; error: string }> {
    const rows = new Map<string, HlrSubscriberRow>();
    const t0 = Date.now();
    const entry = (reply: string, outcome: 'ok' | 'transport_error') =>
      this.journal?.({
        elementCode: el.code,
        lineId: null,
        command: 'VTY show subscribers all',
        reply,
        outcome,
        sentAt: new Date(t0),
        durationMs: Date.now() - t0,
      });
    try {
      const r = await listHlrSubscribers({ host: el.host, port: el.vtyPort ?? HLR_VTY_PORT }, (x) =>
        rows.set(x.imsi, x),
      );
      entry(`${r.rows} subscribers`, 'ok');
      return { rows, error: null };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      entry(why, 'transport_error');
      return { rows: null, error: why };
    }
  }

  /**
   * What the records say of subscribers found in the HLR's list and not among its live lines: the
   * newest subscription of each one's card, read now (a line activated since the live lines were
   * read, or one being activated, is not reported).
   */
  private async unknownSubscribers(element: string, rows: HlrSubscriberRow[]): Promise<Difference[]> {
    const known = (
      await sql<{
        imsi: string;
        iccid: string;
        code: string | null;
        status: string | null;
        dn: string | null;
        customer_id: number | null;
      }>`
        SELECT m.imsi, m.iccid, s.code, s.status, s.directory_number AS dn, s.customer_id
        FROM inv_sim m
        LEFT JOIN LATERAL (SELECT * FROM subscription s WHERE s.sim_iccid = m.iccid AND s.parent_id IS NULL
                           ORDER BY s.id DESC LIMIT 1) s ON true
        WHERE m.imsi = ANY(${rows.map((r) => r.imsi)}::text[])`.execute(this.db)
    ).rows;
    const byImsi = new Map(known.map((k) => [k.imsi, k]));
    const left = rows.filter((r) => {
      const status = byImsi.get(r.imsi)?.status;
      return status !== 'pending' && status !== 'active' && status !== 'suspended';
    });
    // read again through CTRL: a subscriber deleted since the list was taken (a termination, a SIM
    // change carried out meanwhile) is not reported
    const now = await this.each(
      left,
      async (r) => (await this.service.query('mobile.status', { imsi: r.imsi }, element)) as MobileState,
    );
    const out: Difference[] = [];
    for (const [i, r] of left.entries()) {
      const st = now[i]!;
      if (!st.exists) continue;
      const k = byImsi.get(r.imsi);
      const msisdn = st.msisdn ?? null;
      const actual: Params = { imsi: r.imsi, msisdn, access: st.access ?? null };
      const inHlr = `IMSI ${r.imsi}${msisdn ? ` (MSISDN ${msisdn})` : ''} is in the HLR`;
      out.push({
        // by IMSI: its number may be a live line's (a card left behind by a SIM change), whose
        // orders a removal must neither wait for nor be filed under
        lineId: r.imsi,
        kind: 'unknown_on_element',
        subscription: k?.code ?? null,
        customerId: k?.customer_id ?? null,
        expected: null,
        actual,
        detail: !k
          ? `${inHlr}, its SIM card is not in the inventory`
          : !k.code
            ? `${inHlr}, its SIM card ${k.iccid} is in no subscription`
            : `subscription ${k.code} is ${k.status}, its SIM (IMSI ${r.imsi}) is still in the HLR`,
        repair: [],
      });
    }
    return out;
  }

  /** Terminated lines whose card is still in the HLR, read one by one (without the HLR's list). */
  private async terminatedCards(
    element: string,
    counts: Counts,
    flush: (d: Difference[]) => Promise<void>,
  ): Promise<void> {
    let after = 0;
    for (;;) {
      const page = (
        await sql<{ id: number; code: string; dn: string; customer_id: number; imsi: string }>`
          SELECT s.id, s.code, s.directory_number AS dn, s.customer_id, m.imsi
          FROM subscription s
          JOIN inv_sim m ON m.iccid = s.sim_iccid
          WHERE s.id > ${after} AND s.status = 'terminated' AND s.parent_id IS NULL
            AND NOT EXISTS (SELECT 1 FROM subscription o WHERE o.sim_iccid = s.sim_iccid
                             AND (o.status IN ('pending', 'active', 'suspended') OR o.id > s.id))
          ORDER BY s.id LIMIT ${this.pageSize}`.execute(this.db)
      ).rows;
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
      const found = await this.each(page, async (l) => {
        const st = await this.service.query('mobile.status', { imsi: l.imsi }, element);
        if (!st.exists) return null;
        const d: Difference = {
          lineId: l.dn,
          kind: 'unknown_on_element',
          subscription: l.code,
          customerId: l.customer_id,
          expected: null,
          actual: { imsi: l.imsi, msisdn: st.msisdn ?? null, access: st.access ?? null },
          detail: `subscription ${l.code} is terminated, its SIM (IMSI ${l.imsi}) is still in the HLR`,
          repair: [],
        };
        return d;
      });
      const diffs = found.filter((d): d is Difference => d !== null);
      counts.differences += diffs.length;
      await flush(diffs);
    }
  }

  /**
   * A live mobile line against the HLR. With the HLR's list (`listed`: its row for the line's IMSI,
   * or null when the list lacks it), a line the list shows in line costs no command; one it shows
   * differing is read through CTRL before it is reported, so a line changed since the list was
   * taken (an order carried out meanwhile) is not reported on the list's word.
   */
  private async checkMobile(
    element: string,
    l: MobileLine,
    ctx: AccessContext,
    listed?: HlrSubscriberRow | null,
  ): Promise<Difference[]> {
    const imsi = l.imsi;
    if (!imsi) return this.compareMobile(l, { exists: false }, ctx);
    const seen: MobileState | null =
      listed === undefined
        ? null
        : listed
          ? { exists: true, msisdn: listed.msisdn, access: { cs: listed.cs, ps: listed.ps } }
          : { exists: false };
    return this.confirmed(
      seen,
      (st) => this.compareMobile(l, st, ctx),
      async () => (await this.service.query('mobile.status', { imsi }, element)) as MobileState,
    );
  }

  /**
   * The differences `compare` finds, trusting what a listing showed (`seen`) only when it agrees
   * with the records: otherwise, and without a listing, the line is read (`read`) and compared.
   */
  private async confirmed<S>(
    seen: S | null,
    compare: (st: S) => Difference[],
    read: () => Promise<S>,
  ): Promise<Difference[]> {
    if (seen !== null && compare(seen).length === 0) return [];
    return compare(await read());
  }

  /** What differs between a mobile line's records and its subscriber in the HLR (`st`). */
  private compareMobile(l: MobileLine, st: MobileState, ctx: AccessContext): Difference[] {
    const base = { lineId: l.dn, subscription: l.code, customerId: l.customer_id };
    const limitation = limitationOf(ctx, l.dn);
    const expected: Params = {
      imsi: l.imsi,
      msisdn: l.dn,
      status: l.status,
      ...(limitation && limitation !== 'unknown' ? { limitation } : {}),
    };
    if (!l.imsi)
      return [
        {
          ...base,
          kind: 'not_placeable',
          expected: { iccid: l.iccid, msisdn: l.dn, status: l.status },
          actual: null,
          detail: l.iccid
            ? `SIM card ${l.iccid} is not in the inventory: its IMSI and keys are unknown`
            : 'the subscription has no SIM card',
          repair: [],
        },
      ];
    const actual: Params = st.exists
      ? { imsi: l.imsi, msisdn: st.msisdn ?? null, access: st.access ?? null }
      : { imsi: l.imsi, exists: false };
    if (!st.exists)
      return [
        {
          ...base,
          kind: 'missing',
          expected,
          actual,
          detail: `IMSI ${l.imsi} is not in the HLR`,
          repair: [
            { operation: 'mobile.activate', params: { iccid: l.iccid, msisdn: l.dn } },
            ...(l.status === 'suspended'
              ? [{ operation: 'mobile.suspend', params: { imsi: l.imsi } }]
              : limitation === 'limited'
                ? [{ operation: 'mobile.limit', params: { imsi: l.imsi } }]
                : []),
          ],
        },
      ];
    const out: Difference[] = [];
    if (st.msisdn !== l.dn)
      out.push({
        ...base,
        kind: 'number_differs',
        expected,
        actual,
        detail: `the HLR has ${st.msisdn ?? 'no number'} for IMSI ${l.imsi}, the records ${l.dn}`,
        repair: [{ operation: 'mobile.set_msisdn', params: { imsi: l.imsi, msisdn: l.dn } }],
      });
    const cs = st.access?.cs ?? false;
    const ps = st.access?.ps ?? false;
    if (l.status === 'suspended' && (cs || ps))
      out.push({
        ...base,
        kind: 'state_differs',
        expected,
        actual,
        detail: `suspended in the records, ${cs ? 'voice' : 'data'} access open in the HLR`,
        repair: [{ operation: 'mobile.suspend', params: { imsi: l.imsi } }],
      });
    // active: voice always, data unless limited for unpaid bills; not while a temporary change of
    // access (reverted at its date) holds, nor while a limitation is put on or lifted
    if (l.status !== 'active' || ctx.temporary.has(l.dn) || limitation === 'changing') return out;
    const limited = limitation === 'limited';
    // no limitation known (no billing behind the audit): voice only
    if (limitation === 'unknown' ? !cs : !cs || ps === limited)
      out.push({
        ...base,
        kind: 'state_differs',
        expected,
        actual,
        detail: limited
          ? `active and limited for unpaid bills in the records (voice open, data cut); voice ${cs ? 'open' : 'cut'}, data ${ps ? 'open' : 'cut'} in the HLR`
          : !cs
            ? 'active in the records, voice (CS) access cut in the HLR'
            : 'active in the records, data (PS) access cut in the HLR',
        // with no limitation known, a restore could lift one: switching decides
        repair:
          limitation === 'unknown'
            ? []
            : [{ operation: limited ? 'mobile.limit' : 'mobile.restore', params: { imsi: l.imsi } }],
      });
    return out;
  }

  private async auditSwitch(
    element: string,
    counts: Counts,
    flush: (d: Difference[]) => Promise<void>,
    ctx: AccessContext,
  ): Promise<null> {
    // the lines on the switch, listed first: a missing line needs no read of its own, and with the
    // listing's detail a line in line needs none either
    const onSwitch = new Set<string>();
    const listed = new Map<string, ListedLine>();
    let detail = true;
    let from: string | undefined;
    for (;;) {
      let page: Awaited<ReturnType<typeof switchOps.list>>;
      try {
        page = await this.service.runOn(element, 'mml_switch', null, 'LST-LINE', (s) =>
          switchOps.list(s, { ...(from ? { from } : {}), detail }),
        );
      } catch (err) {
        // an exchange whose listing has no detail: its numbers only, each line read
        if (
          detail &&
          from === undefined &&
          err instanceof ActivationError &&
          err.code === 'activation.refused'
        ) {
          detail = false;
          continue;
        }
        throw err;
      }
      for (const dn of page.dns) onSwitch.add(dn);
      for (const x of page.lines ?? []) listed.set(x.dn, x);
      from = page.next ?? undefined;
      if (!from) break;
    }
    const expectedHere = new Set<string>();
    let after = 0;
    for (;;) {
      const rows = (
        await sql<FixedLine>`
          SELECT s.id, s.code, s.status, s.directory_number AS dn, s.customer_id, p.kind,
                 coalesce(po.equipment_number, s.equipment_number) AS en, bs.code AS base_station,
                 -- the routing of its orders (ActivationService.exchangeElement): the exchange of
                 -- its port, else of the port the subscription names, else its last switch
                 coalesce(
                   (SELECT w.code FROM inv_switch w
                     WHERE w.id = po.switch_id OR (po.id IS NULL AND w.site_id = bs.site_id)
                     ORDER BY w.id LIMIT 1),
                   (SELECT w.code FROM inv_port p2 JOIN inv_switch w ON w.id = p2.switch_id
                     WHERE p2.equipment_number = s.equipment_number)) AS exchange,
                 (SELECT o.element_code FROM act_order o
                   WHERE o.line_id = s.directory_number AND o.operation IN ('fixed.activate', 'fixed.move')
                     AND o.status = 'done'
                   ORDER BY o.id DESC LIMIT 1) AS last,
                 (SELECT coalesce(array_agg(op.code ORDER BY c.id), '{}') FROM subscription c
                   JOIN product_version cpv ON cpv.id = c.product_version_id
                   JOIN product op ON op.id = cpv.product_id
                   WHERE c.parent_id = s.id AND c.status IN ('active', 'suspended')) AS options
          FROM subscription s
          JOIN product_version pv ON pv.id = s.product_version_id
          JOIN product p ON p.id = pv.product_id
          LEFT JOIN inv_line l ON l.directory_number = s.directory_number AND l.status = 'active'
          LEFT JOIN inv_port po ON po.id = l.port_id
          LEFT JOIN inv_base_station bs ON bs.id = l.base_station_id
          WHERE s.id > ${after} AND s.status IN ('active', 'suspended') AND s.parent_id IS NULL
            AND p.kind IN ('fixed_wired', 'fixed_radio') AND s.directory_number IS NOT NULL
          ORDER BY s.id LIMIT ${this.pageSize}`.execute(this.db)
      ).rows;
      if (rows.length === 0) break;
      after = rows[rows.length - 1]!.id;
      const page: FixedLine[] = [];
      for (const r of rows)
        if ((await this.service.switchElementFor(r.exchange, r.last)) === element) {
          // a radio line has no copper port: the switch knows it on its base station's virtual port
          const en = r.en ?? (r.base_station ? `${r.base_station}-${r.dn.slice(-6)}`.toUpperCase() : null);
          page.push({ ...r, en });
          expectedHere.add(r.dn);
        }
      counts.expected += page.length;
      const diffs = (
        await this.each(page, (l) =>
          this.checkFixed(element, l, onSwitch.has(l.dn), limitationOf(ctx, l.dn), listed.get(l.dn)),
        )
      ).flat();
      counts.checked += page.length;
      counts.differences += diffs.length;
      counts.consistent += page.filter((l) => !diffs.some((d) => d.lineId === l.dn)).length;
      await flush(diffs);
    }
    // numbers on the switch that no live subscription of its exchanges has
    const extra = [...onSwitch].filter((dn) => !expectedHere.has(dn));
    for (let i = 0; i < extra.length; i += this.pageSize) {
      const chunk = extra.slice(i, i + this.pageSize);
      const last = (
        await sql<{ dn: string; code: string; status: string; customer_id: number }>`
          SELECT DISTINCT ON (s.directory_number) s.directory_number AS dn, s.code, s.status, s.customer_id
          FROM subscription s WHERE s.directory_number = ANY(${chunk}::text[])
          ORDER BY s.directory_number, s.id DESC`.execute(this.db)
      ).rows;
      const byDn = new Map(last.map((r) => [r.dn, r]));
      const diffs: Difference[] = chunk.map((dn) => {
        const s = byDn.get(dn);
        return {
          lineId: dn,
          kind: 'unknown_on_element',
          subscription: s?.code ?? null,
          customerId: s?.customer_id ?? null,
          expected: null,
          actual: { dn },
          detail: !s
            ? `${dn} is on the switch and in no subscription`
            : s.status === 'terminated' || s.status === 'pending'
              ? `${dn} is on the switch, its subscription ${s.code} is ${s.status}`
              : `${dn} is on the switch, its subscription ${s.code} belongs to another switch`,
          repair: [],
        };
      });
      counts.differences += diffs.length;
      await flush(diffs);
    }
    return null;
  }

  /**
   * A live fixed line against the switch: missing when the listing lacks it; with the listing's
   * detail, a line it shows in line costs no command, one it shows differing is read (`DSP-LINE`)
   * before it is reported; without detail, every present line is read.
   */
  private async checkFixed(
    element: string,
    l: FixedLine,
    present: boolean,
    limitation: Limitation | 'unknown' | null,
    listed?: ListedLine,
  ): Promise<Difference[]> {
    if (!present) return this.compareFixed(l, null, limitation);
    return this.confirmed<FixedState>(
      listed ? { exists: true, ...listed } : null,
      (st) => this.compareFixed(l, st, limitation),
      async () => (await this.service.query('fixed.status', { dn: l.dn }, element)) as FixedState,
    );
  }

  /** What differs between a fixed line's records and the switch (`st`; null: not on it). */
  private compareFixed(
    l: FixedLine,
    st: FixedState | null,
    limitation: Limitation | 'unknown' | null,
  ): Difference[] {
    const base = { lineId: l.dn, subscription: l.code, customerId: l.customer_id };
    // what its options give it on the switch; a limitation for unpaid bills bars outgoing calls
    // instead (its barring class is not compared while it is being put on or lifted)
    const profile = this.lineProfile?.(l.options) ?? null;
    const barring =
      limitation === 'limited'
        ? (this.limitations?.barring ?? null)
        : limitation === 'changing' || limitation === 'unknown'
          ? null
          : (profile?.barring ?? null);
    const expected: Params = {
      dn: l.dn,
      en: l.en,
      status: l.status,
      ...(profile ? { barring: profile.barring, services: profile.services } : {}),
      ...(limitation && limitation !== 'unknown'
        ? { limitation, barring: barring ?? profile?.barring ?? null }
        : {}),
    };
    if (!st) {
      if (!l.en)
        return [
          {
            ...base,
            kind: 'not_placeable',
            expected,
            actual: { dn: l.dn, exists: false },
            detail: `${l.dn} is not on the switch and its technical file names no port (equipment number)`,
            repair: [],
          },
        ];
      return [
        {
          ...base,
          kind: 'missing',
          expected,
          actual: { dn: l.dn, exists: false },
          detail: `${l.dn} is not on the switch`,
          repair: [
            {
              operation: 'fixed.activate',
              params: {
                dn: l.dn,
                en: l.en,
                ...(profile ? { barring: barring ?? profile.barring, services: profile.services } : {}),
              },
            },
            ...(l.status === 'suspended' ? [{ operation: 'fixed.suspend', params: { dn: l.dn } }] : []),
          ],
        },
      ];
    }
    const actual: Params = {
      dn: l.dn,
      en: st.en ?? null,
      status: st.status ?? null,
      barring: st.barring ?? null,
      services: st.services ?? [],
    };
    const out: Difference[] = [];
    // deleted between the listing and the read: the next audit sees it missing
    if (!st.exists) return out;
    if (l.en && st.en && st.en.toUpperCase() !== l.en.toUpperCase())
      out.push({
        ...base,
        kind: 'port_differs',
        expected,
        actual,
        detail: `${l.dn} is on port ${st.en}, its technical file says ${l.en}`,
        repair: [{ operation: 'fixed.move', params: { dn: l.dn, en: l.en } }],
      });
    if (profile) {
      const held = new Set(st.services ?? []);
      const add = profile.services.filter((x) => !held.has(x));
      const remove = [...held].filter((x) => !profile.services.includes(x));
      if (add.length || remove.length)
        out.push({
          ...base,
          kind: 'state_differs',
          expected,
          actual,
          detail: `services on the switch ${[...held].join(' ') || 'none'}, its options give ${profile.services.join(' ') || 'none'}`,
          repair: [{ operation: 'fixed.services', params: { dn: l.dn, add, remove } }],
        });
    }
    // the permanent class (a temporary authorisation is held apart on the switch, and reverts)
    if (barring && st.barring && st.barring !== barring)
      out.push({
        ...base,
        kind: 'state_differs',
        expected,
        actual,
        detail:
          limitation === 'limited'
            ? `limited for unpaid bills in the records (barring class ${barring}), ${st.barring} on the switch`
            : `barring class ${st.barring} on the switch, its options give ${barring}`,
        repair: [{ operation: 'fixed.barring', params: { dn: l.dn, barring } }],
      });
    // out of order hides whether the line is barred (the switch shows one status): not compared
    if (st.status === 'out_of_order') return out;
    if (l.status === 'suspended' && st.status !== 'barred')
      out.push({
        ...base,
        kind: 'state_differs',
        expected,
        actual,
        detail: `suspended in the records, ${st.status ?? 'not barred'} on the switch`,
        repair: [{ operation: 'fixed.suspend', params: { dn: l.dn } }],
      });
    if (l.status === 'active' && st.status === 'barred')
      out.push({
        ...base,
        kind: 'state_differs',
        expected,
        actual,
        detail: 'active in the records, barred on the switch',
        repair: [{ operation: 'fixed.restore', params: { dn: l.dn } }],
      });
    return out;
  }

  /** How many live lines of the element's kind the records hold (a progress bar's total: a bound). */
  async estimate(element: string): Promise<number> {
    const kind = (await this.service.element(element)).kind;
    const r = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM subscription s
      JOIN product_version pv ON pv.id = s.product_version_id
      JOIN product p ON p.id = pv.product_id
      WHERE s.status IN ('active', 'suspended') AND s.parent_id IS NULL
        AND ${kind === 'osmo_hlr' ? sql`p.kind LIKE 'mobile%'` : sql`p.kind IN ('fixed_wired', 'fixed_radio')`}`.execute(
      this.db,
    );
    return r.rows[0]?.n ?? 0;
  }

  async get(id: number): Promise<AuditView> {
    const a = await this.db.selectFrom('act_audit').selectAll().where('id', '=', id).executeTakeFirst();
    if (!a) throw actNotFound('activation.audit_not_found', 'audit', id);
    const kinds = await this.db
      .selectFrom('act_audit_item')
      .select([
        'kind',
        (eb) => eb.fn.countAll<number>().as('n'),
        // the differences the records can settle (orders to queue): what "realign" would do
        sql<number>`count(*) FILTER (WHERE jsonb_array_length(plan) > 0 AND order_ids = '{}')`.as('fixable'),
      ])
      .where('audit_id', '=', id)
      .groupBy('kind')
      .execute();
    return {
      id: a.id,
      element: a.element_code,
      status: a.status,
      repair: a.repair,
      expected: a.expected,
      checked: a.checked,
      consistent: a.consistent,
      differences: a.differences,
      repaired: a.repaired,
      byKind: Object.fromEntries(kinds.map((k) => [k.kind, Number(k.n)])),
      repairable: kinds.reduce((n, k) => n + Number(k.fixable), 0),
      error: a.error,
      warning: a.warning,
      startedBy: a.started_by,
      startedAt: a.started_at.toISOString(),
      finishedAt: a.finished_at ? a.finished_at.toISOString() : null,
    };
  }

  /** The audits of an element (or of every element), newest first. */
  async list(element: string | undefined, limit = 20): Promise<AuditView[]> {
    let q = this.db.selectFrom('act_audit').select('id').orderBy('id', 'desc').limit(limit);
    if (element) q = q.where('element_code', '=', element);
    const ids = await q.execute();
    return Promise.all(ids.map((r) => this.get(r.id)));
  }

  async items(
    id: number,
    filter: { kind?: AuditItemKind | undefined },
    page: { limit?: number | undefined; cursor?: string | undefined },
  ): Promise<Page<AuditItemView>> {
    await this.get(id); // 404
    const limit = page.limit ?? 50;
    const after = decodeNumericCursor(page.cursor) ?? 0;
    let q = this.db
      .selectFrom('act_audit_item')
      .selectAll()
      .where('audit_id', '=', id)
      .where('id', '>', after)
      .orderBy('id')
      .limit(limit + 1);
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    const rows = await q.execute();
    return pageOf(rows.map(itemView), limit, (r) => [r.id]);
  }
}

function itemView(r: Selectable<ActAuditItemTable>): AuditItemView {
  return {
    id: r.id,
    lineId: r.line_id,
    kind: r.kind,
    subscription: r.subscription_code,
    expected: r.expected,
    actual: r.actual,
    detail: r.detail,
    orderIds: r.order_ids.map(Number),
    repairable: (r.plan as unknown[]).length > 0,
    repairs: (r.plan as { operation: string }[]).map((x) => x.operation),
    ordersInFlight: r.orders_in_flight.map(Number),
  };
}
