import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import { BillingCycleError, invalidInput } from './cycle.errors.js';

export interface MeterReadingInput {
  /** The line: its directory number, or its subscription code or id. */
  line: string;
  readAt: string;
  index: number;
}

export interface MeterImportReport {
  rows: number;
  recorded: number;
  unchanged: number;
  rejected: { line: number; reason: string; field?: string }[];
}

/**
 * Meter readings (charge-pulse index) of fixed lines: from the activation automaton's meter-index
 * query, the API or a CSV file. An index never goes down between two dated readings: a reading
 * that would make it go down is refused (a meter replacement is recorded as a reset by an
 * adjustment charge, not by a falling index). Re-sending the same reading is harmless.
 */
export class MeterService {
  constructor(private readonly db: Db) {}

  private async lineOf(trx: Tx, line: string): Promise<{ id: number; customer_id: number }> {
    let q = trx.selectFrom('subscription').select(['id', 'customer_id']);
    if (/^[0-9+]+$/.test(line))
      q = q.where('directory_number', '=', line).where('status', '<>', 'terminated');
    else q = q.where('code', '=', line.toUpperCase());
    const s = await q.orderBy('id', 'desc').executeTakeFirst();
    if (!s) throw new BillingCycleError('not_found', 'subscription.not_found', `no line ${line}`, 'line');
    return s;
  }

  /** Records one reading in the caller's transaction; returns false when it was already there. */
  async recordIn(
    trx: Tx,
    r: MeterReadingInput,
    source: 'api' | 'csv' | 'automaton',
    by: Actor,
  ): Promise<boolean> {
    const at = new Date(r.readAt);
    if (Number.isNaN(at.getTime())) throw invalidInput('readAt', 'readAt is an ISO date or date-time');
    if (!Number.isInteger(r.index) || r.index < 0) throw invalidInput('index', 'index is a whole number ≥ 0');
    const s = await this.lineOf(trx, r.line);
    // serialise readings of one line so the monotonic check sees its neighbours
    await sql`SELECT pg_advisory_xact_lock(hashtext('meter:' || ${s.id}::text))`.execute(trx);
    const same = await trx
      .selectFrom('meter_reading')
      .select(['meter_index'])
      .where('subscription_id', '=', s.id)
      .where('read_at', '=', at)
      .executeTakeFirst();
    if (same) {
      if (Number(same.meter_index) === r.index) return false;
      throw new BillingCycleError(
        'conflict',
        'meter.duplicate',
        `line ${r.line} already has a reading at ${at.toISOString()} (${same.meter_index})`,
        'readAt',
      );
    }
    const before = await trx
      .selectFrom('meter_reading')
      .select(['meter_index', 'read_at'])
      .where('subscription_id', '=', s.id)
      .where('read_at', '<', at)
      .orderBy('read_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    const after = await trx
      .selectFrom('meter_reading')
      .select(['meter_index', 'read_at'])
      .where('subscription_id', '=', s.id)
      .where('read_at', '>', at)
      .orderBy('read_at')
      .limit(1)
      .executeTakeFirst();
    if ((before && Number(before.meter_index) > r.index) || (after && Number(after.meter_index) < r.index))
      throw new BillingCycleError(
        'rule',
        'meter.regression',
        `index ${r.index} of line ${r.line} at ${at.toISOString()} would make the meter go down`,
        'index',
      );
    await trx
      .insertInto('meter_reading')
      .values({
        subscription_id: s.id,
        customer_id: s.customer_id,
        read_at: at,
        meter_index: r.index,
        source,
      })
      .execute();
    await appendEvent(trx, {
      entityType: 'subscription',
      entityId: s.id,
      customerId: s.customer_id,
      kind: 'meter.read',
      userId: by.userId,
      payload: { index: r.index, readAt: at.toISOString(), source },
    });
    return true;
  }

  /** Readings sent by the API: all or nothing. */
  async record(readings: MeterReadingInput[], by: Actor): Promise<{ recorded: number; unchanged: number }> {
    return this.db.transaction().execute(async (trx) => {
      let recorded = 0;
      for (const [i, r] of readings.entries()) {
        try {
          if (await this.recordIn(trx, r, 'api', by)) recorded++;
        } catch (err) {
          if (err instanceof BillingCycleError && err.field)
            throw new BillingCycleError(
              err.kind,
              err.code as 'billing.invalid',
              err.message,
              `readings/${i}/${err.field}`,
            );
          throw err;
        }
      }
      return { recorded, unchanged: readings.length - recorded };
    });
  }

  /**
   * CSV import, header `line,read_at,index` (line: directory number or subscription code). Each
   * row in its own savepoint: the good rows are recorded, the others reported with their reason.
   */
  async importCsv(csv: string | Buffer, by: Actor): Promise<MeterImportReport> {
    let rows: Record<string, string>[];
    try {
      rows = parse(csv, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<
        string,
        string
      >[];
    } catch (err) {
      throw invalidInput('body', `unreadable CSV: ${(err as Error).message}`);
    }
    const report: MeterImportReport = { rows: rows.length, recorded: 0, unchanged: 0, rejected: [] };
    for (let from = 0; from < rows.length; from += 500) {
      await this.db.transaction().execute(async (trx) => {
        for (let i = from; i < Math.min(rows.length, from + 500); i++) {
          const row = rows[i]!;
          const line = i + 2;
          const index = Number(row.index);
          const sp = `m${i}`;
          await sql.raw(`SAVEPOINT ${sp}`).execute(trx);
          try {
            if (!row.line || !row.read_at || !/^[0-9]+$/.test(row.index ?? ''))
              throw invalidInput('index', 'each row gives line, read_at and a whole index');
            if (await this.recordIn(trx, { line: row.line, readAt: row.read_at, index }, 'csv', by))
              report.recorded++;
            else report.unchanged++;
            await sql.raw(`RELEASE SAVEPOINT ${sp}`).execute(trx);
          } catch (err) {
            await sql.raw(`ROLLBACK TO SAVEPOINT ${sp}`).execute(trx);
            if (!(err instanceof BillingCycleError)) throw err;
            report.rejected.push({ line, reason: err.message, ...(err.field ? { field: err.field } : {}) });
          }
        }
      });
    }
    return report;
  }
}
