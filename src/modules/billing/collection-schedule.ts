import { sql } from 'kysely';
import { hostname } from 'node:os';
import { systemClock, type Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db.js';
import { appendEvent, SYSTEM } from '../../platform/events.js';
import type { CollectionRunReport } from './collection.service.js';
import { everyMinute, operatorDay, parseDailyAt } from '../../platform/daily.js';

/** GPTO_COLLECTION_AT: `HH:MM` (default 02:00) or `off`. */
export const parseCollectionAt = (raw: string | undefined) => parseDailyAt(raw, '02:00');
export { operatorDay };

export type TickResult = 'not_yet' | 'taken' | 'ran' | 'failed';

/** A run that stopped beating this long ago died with its process: another takes it over. */
const STALE_MS = 10 * 60_000;
const HEARTBEAT_MS = 60_000;
/** A failed day is tried again at the next ticks, this many times in all. */
const MAX_ATTEMPTS = 3;

/**
 * The daily collection run inside `gpto start`: once a day, at or after the configured time of
 * the operator's day (GPTO_COLLECTION_AT, default 02:00; a process started later that day runs it
 * at once). Exactly once per day across restarts and any number of processes: the day's row in
 * `billing_collection_day` is inserted by one of them only (primary key); the others, and a
 * restart later that day, find it and do nothing. The runner beats while it runs; a row whose
 * runner stopped beating for 10 minutes (its process died) is taken over, and the collection run
 * resumes where it stopped (its steps happen once per collection case). A run that threw is tried
 * again at the next ticks, three times in all.
 */
export class CollectionScheduler {
  private loop: { stop: () => Promise<void> } | null = null;
  private readonly clock: Clock;
  readonly runner: string;

  constructor(
    private readonly db: Db,
    private readonly collect: (at: Date) => Promise<CollectionRunReport>,
    private readonly opts: {
      /** Minutes after the operator's midnight (parseCollectionAt). */
      at: number;
      timeZone: string;
      clock?: Clock;
      runner?: string;
      onError?: (err: unknown) => void;
      onRun?: (day: string, r: CollectionRunReport) => void;
    },
  ) {
    this.clock = opts.clock ?? systemClock;
    this.runner = opts.runner ?? `${hostname()}:${process.pid}`;
  }

  /** Runs the day's collection if it is time and no one ran it or is running it. */
  async tick(): Promise<TickResult> {
    const now = this.clock.now();
    const day = operatorDay(now, this.opts.timeZone);
    if (day.minutes < this.opts.at) return 'not_yet';
    const claimed = await sql<{ run_date: string }>`
      INSERT INTO billing_collection_day AS d (run_date, status, runner, started_at, heartbeat_at)
      VALUES (${day.date}, 'running', ${this.runner}, ${now}, ${now})
      ON CONFLICT (run_date) DO UPDATE
        SET status = 'running', runner = EXCLUDED.runner, attempts = d.attempts + 1,
            started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at, error = NULL
        WHERE (d.status = 'failed' AND d.attempts < ${MAX_ATTEMPTS})
           OR (d.status = 'running' AND d.heartbeat_at < ${new Date(now.getTime() - STALE_MS)})
      RETURNING run_date::text`.execute(this.db);
    if (claimed.rows.length === 0) return 'taken';
    const beat = setInterval(() => {
      void this.db
        .updateTable('billing_collection_day')
        .set({ heartbeat_at: this.clock.now() })
        .where('run_date', '=', day.date)
        .where('runner', '=', this.runner)
        .execute()
        .catch((err: unknown) => this.opts.onError?.(err));
    }, HEARTBEAT_MS);
    beat.unref();
    try {
      const report = await this.collect(now);
      await this.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('billing_collection_day')
          .set({
            status: 'done',
            finished_at: this.clock.now(),
            report: JSON.stringify(report),
          })
          .where('run_date', '=', day.date)
          .execute();
        await appendEvent(trx, {
          entityType: 'collection_day',
          entityId: day.date,
          kind: 'collection.daily_run',
          userId: SYSTEM.userId,
          payload: {
            runner: this.runner,
            debtors: report.debtors,
            reminders: report.reminders,
            limitations: report.limitations,
            suspensions: report.suspensions,
            terminationProposals: report.terminationProposals,
            restored: report.restored,
            errors: report.errors.length,
          },
        });
      });
      this.opts.onRun?.(day.date, report);
      return 'ran';
    } catch (err) {
      await this.db
        .updateTable('billing_collection_day')
        .set({ status: 'failed', error: (err instanceof Error ? err.message : String(err)).slice(0, 1000) })
        .where('run_date', '=', day.date)
        .execute()
        .catch(() => undefined);
      this.opts.onError?.(err);
      return 'failed';
    } finally {
      clearInterval(beat);
    }
  }

  /** Looks every minute (and once now); a tick never overlaps the previous one. */
  start(everyMs = 60_000): void {
    this.loop = everyMinute(
      () => this.tick(),
      (err) => this.opts.onError?.(err),
      everyMs,
    );
  }

  /** Stops looking; a run in progress is awaited (bounded by the caller). */
  async stop(): Promise<void> {
    await this.loop?.stop();
    this.loop = null;
  }
}

/**
 * What `gpto start` runs for billing in the background: the daily collection run (unless
 * GPTO_COLLECTION_AT=off) and, when an SMTP server is configured, the e-mail sender of the bills'
 * outbox (every 30 s; the outbox's lease keeps two processes from sending the same message).
 */
export function startBillingJobs(
  cycle: {
    db: Db;
    collect: (by: typeof SYSTEM, at?: Date) => Promise<CollectionRunReport>;
    delivery: { mailConfigured: boolean; sendQueued: () => Promise<unknown>; close: () => void };
  },
  opts: { collectionAt: number | null; timeZone: string; onError: (err: unknown) => void },
): { stop: () => Promise<void> } {
  const scheduler =
    opts.collectionAt === null
      ? null
      : new CollectionScheduler(cycle.db, (at) => cycle.collect(SYSTEM, at), {
          at: opts.collectionAt,
          timeZone: opts.timeZone,
          onError: opts.onError,
        });
  scheduler?.start();
  let sending: Promise<unknown> | null = null;
  const mail = cycle.delivery.mailConfigured
    ? setInterval(() => {
        if (sending) return;
        sending = cycle.delivery
          .sendQueued()
          .catch(opts.onError)
          .finally(() => {
            sending = null;
          });
      }, 30_000)
    : null;
  mail?.unref();
  return {
    stop: async () => {
      if (mail) clearInterval(mail);
      await Promise.all([scheduler?.stop(), sending]);
      cycle.delivery.close();
    },
  };
}
