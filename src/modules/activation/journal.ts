import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db.js';
import type { JournalEntry } from './element-manager.js';

/**
 * Writes the command journal in batches: commands arrive from every connection at element speed,
 * and one multi-row insert costs the database far less than one per command. Most entries are
 * written with their order's outcome (the automaton takes them); the timer (200 ms) writes those
 * of orders still running.
 * The automaton flushes it before it records an order's outcome, so an order marked done always
 * has its commands in the journal; a crash may lose the last unflushed entries of an order that is
 * then re-run (and journaled again).
 */
export class JournalWriter {
  private buffer: JournalEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly opts: { delayMs?: number; maxBatch?: number; onError?: (err: unknown) => void } = {},
  ) {}

  add = (e: JournalEntry): void => {
    this.buffer.push(e);
    if (this.buffer.length >= (this.opts.maxBatch ?? 500)) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.opts.delayMs ?? 200);
    }
  };

  /** Hands over the entries not written yet (the caller writes them in its own transaction). */
  take(): JournalEntry[] {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const rows = this.buffer;
    this.buffer = [];
    return rows;
  }

  /** Writes everything added so far in its own statement(s). */
  async flush(): Promise<void> {
    const rows = this.take();
    const previous = this.flushing;
    this.flushing = (async () => {
      await previous;
      try {
        await this.insert(this.db, rows);
      } catch (err) {
        this.opts.onError?.(err);
      }
    })();
    await this.flushing;
  }

  /**
   * One statement per 1,000 entries, the rows as one JSON parameter (not 11 bound values a row:
   * serialising thousands of parameters cost more than the insert).
   */
  async insert(db: Executor, rows: JournalEntry[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      await sql`
        INSERT INTO act_command (order_id, element_code, line_id, instance_id, task_id, attempt, command, reply,
                                 outcome, sent_at, duration_ms)
        SELECT x.order_id, x.element_code, x.line_id, x.instance_id, x.task_id, x.attempt, x.command, x.reply,
               x.outcome, x.sent_at, x.duration_ms
          FROM ROWS FROM (jsonb_to_recordset(${JSON.stringify(
            chunk.map((e) => ({
              order_id: e.orderId ?? null,
              element_code: e.elementCode,
              line_id: e.lineId,
              instance_id: e.instanceId ?? null,
              task_id: e.taskId ?? null,
              attempt: e.attempt ?? 1,
              command: e.command.slice(0, 2000),
              reply: e.reply === null ? null : e.reply.slice(0, 4000),
              outcome: e.outcome,
              sent_at: e.sentAt,
              duration_ms: e.durationMs,
            })),
          )}::jsonb) AS (order_id bigint, element_code text, line_id text, instance_id bigint, task_id bigint,
                attempt int, command text, reply text, outcome text, sent_at timestamptz, duration_ms real))
               WITH ORDINALITY AS x(order_id, element_code, line_id, instance_id, task_id, attempt, command, reply,
                                    outcome, sent_at, duration_ms, n)
         ORDER BY x.n`.execute(db);
    }
  }
}
