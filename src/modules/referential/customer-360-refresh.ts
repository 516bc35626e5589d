import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db.js';

// Backfill of the stored 360° documents (customer_360, migration 0020). The triggers keep them,
// but a bulk load killed half-way (it defers the rendering to its end) or rows written with the
// triggers off leave customers without a document: they are then served live, never stored.
// This renders them again with 0020's own functions — customer_360_fill(lo, hi), set-based, for a
// dense run of ids; customer_360_refresh(ids), a probe per customer, for scattered ones — so the
// 360° text is not written a fourth time.

/** The customers that have no stored document. */
const MISSING = sql`FROM customer c WHERE NOT EXISTS (SELECT 1 FROM customer_360 d WHERE d.customer_id = c.id)`;

/** How many customers lack a stored document, exactly (an anti-join over the two primary keys). */
export async function countMissing360(db: Executor): Promise<number> {
  const n = await sql<{ n: string }>`SELECT count(*) AS n ${MISSING}`.execute(db);
  return Number(n.rows[0]?.n ?? 0);
}

/**
 * How many customers lack a stored document, cheaply enough for every boot: the two tables' counts
 * first (two index-only scans, ~0.2 s at 1 M customers on a loaded machine), the exact anti-join
 * only when they differ. The anti-join alone costs 0.7–1.2 s there even with LIMIT 1, since finding
 * none means reading every key (docs/operations.md). Documents left by customers deleted with the
 * triggers off could mask as many missing ones: `gpto maintenance refresh-360` finds those too.
 */
export async function customersWithout360(db: Executor): Promise<number> {
  const gap = await sql<{
    n: string;
  }>`SELECT (SELECT count(*) FROM customer) - (SELECT count(*) FROM customer_360) AS n`.execute(db);
  return Number(gap.rows[0]?.n ?? 0) === 0 ? 0 : countMissing360(db);
}

export interface Refresh360Progress {
  /** customers examined / rendered so far */
  done: number;
  /** customers to render (missing ones, or all with `all`) as counted at the start */
  total: number;
}

export interface Refresh360Options {
  /** render every customer's document again, not only the missing ones */
  all?: boolean;
  /** customers per transaction (10 000 by default) */
  chunk?: number;
  onProgress?: (p: Refresh360Progress) => void;
}

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock

/**
 * Renders the missing documents (or all of them with `all`) in transactions of `chunk` customers,
 * so it can run beside a live GPTo. Each chunk runs REPEATABLE READ: if a trigger rewrote one of
 * its documents after the chunk's snapshot, the chunk fails with a serialization error instead of
 * writing back an older text, and is run again. Idempotent: a second run finds nothing missing.
 * Returns the number of documents written (a dense chunk of missing ones re-renders, identically,
 * the few present documents between them; those are not counted).
 */
export async function refresh360(db: Db, opts: Refresh360Options = {}): Promise<{ rendered: number }> {
  const chunk = Math.max(1, opts.chunk ?? 10_000);
  const total = opts.all
    ? Number((await sql<{ n: string }>`SELECT count(*) AS n FROM customer`.execute(db)).rows[0]?.n ?? 0)
    : await countMissing360(db);
  opts.onProgress?.({ done: 0, total });
  let after = 0;
  let rendered = 0;
  for (;;) {
    const next = opts.all
      ? sql<{ id: string }>`SELECT id FROM customer WHERE id > ${after} ORDER BY id LIMIT ${chunk}`
      : sql<{ id: string }>`SELECT c.id ${MISSING} AND c.id > ${after} ORDER BY c.id LIMIT ${chunk}`;
    const ids = (await next.execute(db)).rows.map((r) => Number(r.id));
    if (ids.length === 0) break;
    const lo = ids[0] as number;
    const hi = ids[ids.length - 1] as number;
    // A range at least half made of the chunk's customers is rendered set-based; a sparse one by id.
    const dense = opts.all || hi - lo + 1 <= 2 * ids.length;
    for (let attempt = 1; ; attempt++) {
      try {
        await db
          .transaction()
          .setIsolationLevel('repeatable read')
          .execute(async (trx) => {
            await (
              dense
                ? sql`SELECT customer_360_fill(${lo}::bigint, ${hi}::bigint)`
                : sql`SELECT customer_360_refresh(${ids}::bigint[])`
            ).execute(trx);
          });
        break;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (attempt >= 5 || !code || !RETRYABLE.has(code)) throw err;
      }
    }
    rendered += ids.length;
    after = hi;
    opts.onProgress?.({ done: rendered, total });
  }
  return { rendered };
}
