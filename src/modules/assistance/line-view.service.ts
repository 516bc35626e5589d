import { type CompiledQuery, sql } from 'kysely';
import { compiledOnce, type Executor } from '../../platform/db.js';
import { invalid } from '../../platform/errors.js';
import { decodeCursor, decodeNumericCursor, pageOf, type Page } from '../../platform/http/pagination.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import { lineHasTemporaryAccess } from '../activation/index.js';
import { balanceFromDoc, payerAccountJson, type PayerAccountDoc } from '../billing/index.js';
import { lineHasLimitation } from '../billing/cycle.index.js';
import {
  lineHasLiveTechnicalFile,
  lineTechnicalFileJson,
  technicalFileFromDoc,
  type TechnicalFile,
  type TechnicalFileDoc,
} from '../inventory/index.js';
import { linePartiesJson, type LineParties } from '../referential/index.js';
import { asstNotFound, AssistanceError } from './assistance.errors.js';
import { iso, type AssistanceContext } from './context.js';
import { technicalFileOf, toFault } from './fault.service.js';
import type { LineStatus } from './line-status.js';
import { fromParties, lineSubscription, type LineSubscription } from './lookups.js';

type LedgerEntry = Awaited<ReturnType<AssistanceContext['deps']['billing']['ledger']['entries']>>[number];

/** The payer's account as the front office reads it, from the billing ledger's entries. */
export function accountFrom(entries: LedgerEntry[]) {
  const invoices = new Map<
    number,
    { invoiceId: number; description: string; total: number; paid: number; status: string; issuedAt: string }
  >();
  const payments: { amount: number; description: string; at: string }[] = [];
  const deposits: { amount: number; kind: string; description: string; at: string }[] = [];
  const credits: { amount: number; kind: string; description: string; at: string }[] = [];
  for (const e of entries) {
    switch (e.kind) {
      case 'invoice':
        if (e.invoiceId !== null)
          invoices.set(e.invoiceId, {
            invoiceId: e.invoiceId,
            description: e.description,
            total: e.amount,
            paid: 0,
            status: 'open',
            issuedAt: e.occurredAt,
          });
        break;
      case 'payment': {
        payments.push({ amount: -e.amount, description: e.description, at: e.occurredAt });
        const inv = e.invoiceId !== null ? invoices.get(e.invoiceId) : undefined;
        if (inv) {
          inv.paid += -e.amount;
          if (inv.paid >= inv.total) inv.status = 'paid';
        }
        break;
      }
      case 'invoice_cancelled': {
        const inv = e.invoiceId !== null ? invoices.get(e.invoiceId) : undefined;
        if (inv) inv.status = 'cancelled';
        break;
      }
      case 'deposit_received':
      case 'deposit_refunded':
      case 'deposit_applied':
        deposits.push({ amount: -e.amount, kind: e.kind, description: e.description, at: e.occurredAt });
        break;
      case 'credit':
      case 'refund':
        credits.push({ amount: -e.amount, kind: e.kind, description: e.description, at: e.occurredAt });
        break;
    }
  }
  return {
    invoices: [...invoices.values()].reverse(),
    payments: payments.reverse(),
    deposits,
    credits: credits.reverse(),
  };
}

type FaultRow = Parameters<typeof toFault>[0];

/** The payer's last ledger entries the consultation shows (a screen's worth: years of monthly bills). */
export const ACCOUNT_ENTRIES = 100;
/** Events and meter readings the consultation shows; older ones are paged (`history`, `readings`). */
export const HISTORY_SHOWN = 50;
export const READINGS_SHOWN = 60;

type EventRow = LineRecords['history'][number];
type HistoryItem = ReturnType<typeof toHistoryItem>;
type Reading = ReturnType<typeof toReading>;
type ReadingRow = LineRecords['readings'][number];

const toHistoryItem = (e: EventRow) => ({
  id: e.id,
  at: new Date(e.occurred_at).toISOString(),
  entityType: e.entity_type,
  entityId: e.entity_id,
  kind: e.kind,
  actor: e.actor,
  userId: e.user_id,
  payload: e.payload,
});
const toReading = (r: ReadingRow) => ({ meterIndex: r.meter_index, source: r.source, at: iso(r.read_at) });
const readingKey = (r: ReadingRow) => [new Date(r.read_at).toISOString(), r.id];

interface LineRecords {
  /** The referential's read of the line (its SQL, embedded): subscription, customer, payer. */
  parties: LineParties | null;
  /** Whether the inventory holds a live technical file of the number (read by `lineTechnicalFileSql`). */
  has_tf: boolean;
  /** The billing ledger's balance and last entries of the line's payer (its SQL, embedded). */
  account: PayerAccountDoc;
  history: {
    id: number;
    occurred_at: string;
    entity_type: string;
    entity_id: string;
    kind: string;
    actor: string;
    user_id: number | null;
    payload: unknown;
  }[];
  readings: { id: number; meter_index: number; source: string; read_at: string }[];
  faults: FaultRow[];
  complaints: { number: string; category: string; subject: string; status: string; opened_at: string }[];
  rebates: { number: string; amount: number; status: string; reason: string; requested_at: string }[];
  /** The open incident that flagged the number (one covering a pair of its chain: `lineTechnicalFileSql`). */
  incident: { id: number; number: string } | null;
  /** Whether a temporary change of access (activation) or a limitation for unpaid bills (billing) holds the line. */
  held_temporary: boolean;
  held_limitation: boolean;
}

type Incident = NonNullable<LineRecords['incident']>;

/**
 * Everything the consultation shows except the live status and the technical file, in ONE
 * statement: the line's subscription, customer and payer (the referential's `linePartiesJson`), the
 * payer's balance and last entries (billing's `payerAccountJson`), what assistance keeps on the line
 * (last events, meter readings, faults, complaints, rebates, the open incident that flagged it) and
 * whether the inventory holds a live technical file. Each round trip costs the app and the server
 * more than these indexed reads themselves, so the other modules' SQL is embedded, not called.
 *
 * The technical file is NOT embedded: its chain joins ~17 inventory tables, and a statement pays
 * for every relation it names on every execution, used or not — a lock each (past the 16 a backend
 * takes on its fast path they go through the shared lock table, which 20 pooled backends contend
 * for) and the plan's nodes to set up and tear down. Measured on the 1 M demo (whose lines have no
 * technical file): 53 relation locks per consultation, 37 of them in the shared table; without the
 * chain 30 and 14, and 0.2–0.26 ms less PostgreSQL CPU per consultation at 8 clients. So the
 * technical file is a second statement (`lineTechnicalFileSql`), run only when there is one.
 */
export const lineRecordsSql = (number: string, historyLimit: number) => sql<LineRecords>`
    SELECT lv.parties, ${lineHasLiveTechnicalFile(number)} AS has_tf,
      ${payerAccountJson(sql`lv.payer_id`, ACCOUNT_ENTRIES)} AS account,
      (SELECT coalesce(json_agg(e ORDER BY e.id DESC), '[]') FROM (
        SELECT id, occurred_at, entity_type, entity_id, kind, actor, user_id, payload FROM event
        WHERE line_id = ${number} ORDER BY id DESC LIMIT ${historyLimit + 1}) e) AS history,
      (SELECT coalesce(json_agg(m ORDER BY m.read_at DESC, m.id DESC), '[]') FROM (
        SELECT id, meter_index, source, read_at FROM asst_meter_reading
        WHERE line_id = ${number} ORDER BY read_at DESC, id DESC LIMIT ${READINGS_SHOWN + 1}) m) AS readings,
      (SELECT coalesce(json_agg(f ORDER BY f.id DESC), '[]') FROM (
        SELECT f.*, i.number AS incident_number, i.status AS incident_status
        FROM asst_fault f LEFT JOIN asst_incident i ON i.id = f.incident_id
        WHERE f.line_id = ${number} ORDER BY f.id DESC LIMIT 20) f) AS faults,
      (SELECT coalesce(json_agg(c ORDER BY c.id DESC), '[]') FROM (
        SELECT id, number, category, subject, status, opened_at FROM asst_complaint
        WHERE line_id = ${number} ORDER BY id DESC LIMIT 20) c) AS complaints,
      (SELECT coalesce(json_agg(b ORDER BY b.id DESC), '[]') FROM (
        SELECT id, number, amount, status, reason, requested_at FROM asst_rebate
        WHERE line_id = ${number} ORDER BY id DESC LIMIT 20) b) AS rebates,
      -- as openIncidentOn, by the lines it flagged (by a pair of the chain: lineTechnicalFileSql)
      (SELECT json_build_object('id', i.id, 'number', i.number) FROM asst_incident i
        WHERE i.status = 'open' AND i.lines @> ARRAY[${number}]::text[]
        ORDER BY i.id LIMIT 1) AS incident,
      -- flags only (one relation each): the line's access is read in detail when one is set
      ${lineHasTemporaryAccess(number)} AS held_temporary,
      ${lineHasLimitation(number)} AS held_limitation
    FROM (SELECT lp.parties, (lp.parties->'payer'->>'id')::bigint AS payer_id
      FROM (SELECT ${linePartiesJson(number)} AS parties OFFSET 0) lp OFFSET 0) lv`;

/**
 * The technical file (the inventory's `lineTechnicalFileJson`, live or latest ceased) and the open
 * incident that covers a pair of its live chain (as openIncidentOn), for a line that has one.
 */
export const lineTechnicalFileSql = (number: string) => sql<{
  tf: TechnicalFileDoc | null;
  incident: Incident | null;
}>`
    SELECT lv.tf,
      (SELECT json_build_object('id', i.id, 'number', i.number) FROM asst_incident i
        WHERE i.status = 'open' AND lv.tf->>'status' = 'active' AND EXISTS (
          SELECT 1 FROM jsonb_array_elements(i.pairs) p
          WHERE (p->>'id')::bigint IN ((lv.tf->>'pp_id')::bigint, (lv.tf->>'dp_id')::bigint))
        ORDER BY i.id LIMIT 1) AS incident
    FROM (SELECT ${lineTechnicalFileJson(number)} AS tf OFFSET 0) lv`;

// The statements' texts do not depend on the number: each is compiled once (per history window)
// and run with the number in its parameters (platform/db.ts `compiledOnce`).
const recordsQueries = new Map<number, (db: Executor, number: string) => CompiledQuery<LineRecords>>();
const technicalFileQuery = compiledOnce((n: string) => lineTechnicalFileSql(n));

async function lineRecords(db: Executor, number: string, historyLimit: number): Promise<LineRecords> {
  let query = recordsQueries.get(historyLimit);
  if (!query) {
    query = compiledOnce((n: string) => lineRecordsSql(n, historyLimit));
    if (recordsQueries.size < 8) recordsQueries.set(historyLimit, query);
  }
  const row = (await db.executeQuery(query(db, number))).rows[0]!;
  return {
    ...row,
    // the JSON rows carry the ids the statement ordered by; the view does not show them
    complaints: row.complaints.map(
      ({ id: _id, ...c }: LineRecords['complaints'][number] & { id?: number }) => c,
    ),
    rebates: row.rebates.map(({ id: _id, ...b }: LineRecords['rebates'][number] & { id?: number }) => b),
  };
}

/**
 * The line consultation (seed: "état de la ligne et historique des événements sur la ligne, sa
 * consommation et ses comptes"): everything an agent needs on the phone, in one call: one
 * statement for the records, then the live status from the equipment through the line-status
 * source (the switch or the HLR needs the product kind and the chain the statement returns).
 */
export class LineViewService {
  constructor(private readonly ctx: AssistanceContext) {}

  private async line(number: string): Promise<LineSubscription> {
    const sub = await lineSubscription(this.ctx.db, number);
    if (!sub) throw asstNotFound('line.not_found', 'line', number);
    return sub;
  }

  async view(rawNumber: string, opts: { historyLimit?: number } = {}) {
    const number = rawNumber.replace(/[\s.+-]/g, '');
    const historyLimit = opts.historyLimit ?? HISTORY_SHOWN;
    const own = await lineRecords(this.ctx.db, number, historyLimit);
    const parties = own.parties;
    if (!parties) throw asstNotFound('line.not_found', 'line', number);
    const { customer, payer } = parties;
    const sub = fromParties(parties);
    let tf: TechnicalFile | null = null;
    let incident = own.incident;
    if (own.has_tf) {
      const r = (await this.ctx.db.executeQuery(technicalFileQuery(this.ctx.db, number))).rows[0];
      // as technicalFileOf: the consultation shows the live technical file only
      if (r?.tf && r.tf.status === 'active') tf = technicalFileFromDoc(r.tf);
      // as openIncidentOn: the first open incident, by the lines it flagged or by a pair
      if (r?.incident && (!incident || r.incident.id < incident.id)) incident = r.incident;
    }
    const status = await this.status(sub, tf, {
      temporary: own.held_temporary,
      limitation: own.held_limitation,
    });
    const balance = balanceFromDoc(sub.payerId, this.ctx.config.currency, own.account);
    const { faults, complaints, rebates } = own;
    // one row more than shown was read: it only says that older ones are on the next page
    const history = pageOf(own.history, historyLimit, (e) => [e.id]);
    const readings = pageOf(own.readings, READINGS_SHOWN, readingKey);
    const now = this.ctx.now();
    const ordered = [...readings.items].reverse();
    return {
      line: {
        directoryNumber: number,
        product: {
          code: sub.productCode,
          name: sub.productName,
          kind: sub.productKind,
          monthlyPrice: sub.recurringPrice,
        },
      },
      subscription: {
        id: sub.subscriptionId,
        code: sub.subscriptionCode,
        status: sub.status,
        simIccid: sub.simIccid,
      },
      customer,
      payer,
      technicalFile: tf ? technical(tf) : null,
      sim: tf?.chain.sim ?? (sub.simIccid ? { iccid: sub.simIccid, imsi: null } : null),
      status,
      incident: incident ?? null,
      faults: faults.map((f) => toFault(f, now)),
      complaints: complaints.map((c) => ({ ...c, opened_at: undefined, openedAt: iso(c.opened_at) })),
      rebates: rebates.map((r) => ({ ...r, requested_at: undefined, requestedAt: iso(r.requested_at) })),
      history: history.items.map(toHistoryItem),
      // older events: GET /api/v1/lines/:number/events?cursor=…
      ...(history.nextCursor ? { historyNextCursor: history.nextCursor } : {}),
      consumption: {
        readings: ordered.map(toReading),
        // older readings: GET /api/v1/lines/:number/meter-readings?cursor=…
        ...(readings.nextCursor ? { nextCursor: readings.nextCursor } : {}),
        // pulses between consecutive readings: what the chart of consumption draws
        deltas: ordered.slice(1).map((r, i) => ({
          from: iso(ordered[i]!.read_at),
          to: iso(r.read_at),
          pulses: r.meter_index - ordered[i]!.meter_index,
        })),
      },
      account: {
        balance,
        ...accountFrom(own.account.entries),
        // the last entries only: the payer's whole account is on the billing screens
        entriesShown: own.account.entries.length,
        entriesTotal: Number(own.account.entryCount),
      },
    };
  }

  private async status(
    sub: LineSubscription,
    tf: TechnicalFile | null,
    held?: { temporary: boolean; limitation: boolean },
  ): Promise<LineStatus> {
    try {
      const iccid = tf?.chain.sim?.iccid ?? sub.simIccid;
      // a mobile line with no technical file: its card's IMSI from the inventory (not a secret)
      const imsi =
        tf?.chain.sim?.imsi ??
        (iccid
          ? ((
              await sql<{ imsi: string }>`SELECT imsi FROM inv_sim WHERE iccid = ${iccid}`.execute(
                this.ctx.db,
              )
            ).rows[0]?.imsi ?? null)
          : null);
      return await this.ctx.lineStatus.query({
        directoryNumber: sub.directoryNumber,
        productKind: sub.productKind,
        equipmentNumber: tf?.chain.equipmentNumber ?? sub.equipmentNumber,
        iccid,
        imsi,
        ...(held ? { held } : {}),
      });
    } catch (err) {
      // The consultation still answers when the equipment does not: the status says why.
      return {
        available: false,
        state: 'unknown',
        meterIndex: null,
        source: 'error',
        detail: err instanceof Error ? err.message : String(err),
        at: new Date().toISOString(),
      };
    }
  }

  /** The line's events, newest first, a page at a time (the consultation shows the first page). */
  async events(rawNumber: string, q: { cursor?: string; limit: number }): Promise<Page<HistoryItem>> {
    const number = rawNumber.replace(/[\s.+-]/g, '');
    const after = decodeNumericCursor(q.cursor);
    const rows = await sql<EventRow>`
      SELECT id, occurred_at, entity_type, entity_id, kind, actor, user_id, payload FROM event
      WHERE line_id = ${number} AND id < ${after ?? Number.MAX_SAFE_INTEGER}
      ORDER BY id DESC LIMIT ${q.limit + 1}`.execute(this.ctx.db);
    if (rows.rows.length === 0 && after === undefined) await this.line(number); // 404 for a number never assigned
    const page = pageOf(rows.rows, q.limit, (e) => [e.id]);
    return { ...page, items: page.items.map(toHistoryItem) };
  }

  /** The line's meter readings, newest first, a page at a time (its consumption over time). */
  async readings(rawNumber: string, q: { cursor?: string; limit: number }): Promise<Page<Reading>> {
    const number = rawNumber.replace(/[\s.+-]/g, '');
    const key = decodeCursor(q.cursor);
    let before = sql`true`;
    if (key) {
      const [at, id] = key;
      if (typeof at !== 'string' || Number.isNaN(Date.parse(at)) || typeof id !== 'number')
        throw invalid('request.invalid', 'cursor', 'cursor is not one this server gave');
      before = sql`(read_at, id) < (${new Date(at)}, ${id})`;
    }
    const rows = await sql<ReadingRow>`
      SELECT id, meter_index, source, read_at FROM asst_meter_reading
      WHERE line_id = ${number} AND ${before}
      ORDER BY read_at DESC, id DESC LIMIT ${q.limit + 1}`.execute(this.ctx.db);
    if (rows.rows.length === 0 && !key) await this.line(number);
    const page = pageOf(rows.rows, q.limit, readingKey);
    return { ...page, items: page.items.map(toReading) };
  }

  /** An agent reads the meter now: the index is kept as a reading of the line's consumption. */
  async readMeter(rawNumber: string, by: Actor) {
    const number = rawNumber.replace(/[\s.+-]/g, '');
    const sub = await this.line(number);
    // a charge-pulse meter is a fixed line's (its switch counts it): a mobile line has none to read
    if (sub.productKind.startsWith('mobile'))
      throw new AssistanceError(
        'rule',
        'line_status.no_meter',
        `${number} is a mobile line: it has no meter index (its consumption is in its usage records)`,
        'number',
      );
    const tf = await technicalFileOf(this.ctx, number);
    // the meter only: what holds the line's access is not read
    const status = await this.status(sub, tf, { temporary: false, limitation: false });
    if (!status.available || status.meterIndex === null)
      throw new AssistanceError(
        'unavailable',
        'line_status.unavailable',
        `the meter index of ${number} could not be read: ${status.detail ?? status.source}`,
      );
    const now = this.ctx.now();
    await this.ctx.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('asst_meter_reading')
        .values({
          line_id: number,
          customer_id: sub.customerId,
          meter_index: status.meterIndex ?? 0,
          source: status.source,
          read_at: now,
        })
        .execute();
      await appendEvent(trx, {
        entityType: 'line',
        entityId: number,
        customerId: sub.customerId,
        lineId: number,
        kind: 'line.meter_read',
        userId: by.userId,
        payload: { meterIndex: status.meterIndex, source: status.source },
      });
    });
    return {
      directoryNumber: number,
      meterIndex: status.meterIndex,
      source: status.source,
      at: now.toISOString(),
    };
  }
}

function technical(tf: TechnicalFile) {
  return {
    kind: tf.kind,
    status: tf.status,
    product: tf.product,
    requestRef: tf.requestRef,
    address: tf.address,
    chain: tf.chain,
    createdAt: iso(tf.createdAt),
    history: tf.history.map((h) => ({ ...h, at: iso(h.at) })),
  };
}
