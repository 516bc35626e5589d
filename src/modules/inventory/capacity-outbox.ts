import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db.js';
import type { CapacityBus, CapacitySignal } from './capacity.js';

/**
 * Capacity freed inside someone else's transaction. A workflow step that releases a reservation or
 * ceases a line does so in its own step transaction, so that the step and the plant change commit
 * or roll back together; but the held requests that capacity may serve can only be re-studied after
 * that commit (until then the freed pairs, ports and numbers are locked and invisible). So:
 *
 * 1. `recordCapacity(trx, signals)` writes the signals to `inv_capacity_signal` in the caller's
 *    transaction and takes a transaction-level advisory lock named after the row;
 * 2. `CapacityRelay.afterCommit(id)` polls for that lock in the background — it is free the
 *    moment the caller's transaction ends, committed or rolled back — then takes every committed
 *    row out of the table (`FOR UPDATE SKIP LOCKED`, so relays of several processes share them)
 *    and announces the signals on the capacity bus, which re-studies the held requests.
 *
 * A rolled-back transaction leaves no row, hence no announcement. A process that dies between the
 * commit and the relay leaves its row for the next relay of any process (and the held requests'
 * periodic recheck covers the rest).
 */

/** The advisory-lock namespace of capacity rows (two-key form; other modules use other keys). */
const LOCK_CLASS = 7470210;

/** Writes signals in the caller's transaction; returns the row id to hand to the relay. */
export async function recordCapacity(trx: Executor, signals: CapacitySignal[]): Promise<number | null> {
  if (signals.length === 0) return null;
  const r = await sql<{ id: number }>`
    WITH row AS (INSERT INTO inv_capacity_signal (signals) VALUES (${JSON.stringify(signals)}::jsonb) RETURNING id)
    SELECT id, pg_advisory_xact_lock(${LOCK_CLASS}, (id % 2147483647)::int) FROM row`.execute(trx);
  return r.rows[0]?.id ?? null;
}

export class CapacityRelay {
  private waiting: number[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly bus: CapacityBus,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** Announces the row's signals once the transaction that wrote it has ended (in the background). */
  afterCommit(id: number | null): void {
    if (id === null) return;
    this.waiting.push(id);
    if (!this.running) {
      this.running = this.run().finally(() => {
        this.running = undefined;
      });
    }
  }

  /** Resolves when every signal handed to `afterCommit` so far has been announced (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Takes the committed rows out and announces them; returns how many signals went out. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await sql<{ signals: CapacitySignal[] }>`
        DELETE FROM inv_capacity_signal WHERE id IN (
          SELECT id FROM inv_capacity_signal ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED)
        RETURNING signals`.execute(this.db);
      if (rows.rows.length === 0) return total;
      const signals = rows.rows.flatMap((r) => r.signals);
      total += signals.length;
      await this.bus.announce(signals);
    }
  }

  private async run(): Promise<void> {
    while (this.waiting.length > 0) {
      const ids = this.waiting;
      this.waiting = [];
      try {
        // Polled, not waited for: a connection blocked on the lock could be the one the writer's
        // own transaction needs next from a small pool (a worker's step reading through the pool).
        let pending = ids;
        for (let delay = 10; pending.length > 0; delay = Math.min(delay * 2, 500)) {
          const free = await sql<{ id: number; ended: boolean }>`
            SELECT id, pg_try_advisory_xact_lock(${LOCK_CLASS}, (id % 2147483647)::int) AS ended
            FROM unnest(${pending}::bigint[]) AS id`.execute(this.db);
          pending = free.rows.filter((r) => !r.ended).map((r) => Number(r.id));
          if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        }
        await this.drain();
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
