import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';

/** One bucket of an element's command journal: what was sent, how it ended, how long it took. */
export interface ActivityBucket {
  /** Start of the bucket (ISO 8601). */
  at: string;
  ok: number;
  refused: number;
  transportErrors: number;
  /** Command times in the bucket (ms); null when nothing was sent. */
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
}

export interface ElementActivity {
  code: string;
  from: string;
  to: string;
  bucketMinutes: number;
  buckets: ActivityBucket[];
  totals: { ok: number; refused: number; transportErrors: number; p95Ms: number | null };
}

/** Bucket sizes a chart's axis reads easily; the smallest that keeps a window under 100 bars. */
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 240];
export function bucketMinutesFor(hours: number): number {
  return STEPS.find((m) => (hours * 60) / m <= 96) ?? STEPS[STEPS.length - 1]!;
}

/**
 * An element's commands over the last `hours`, per bucket, from the command journal.
 *
 * The journal has no index on `sent_at` (one more index on the hottest insert path, for a screen
 * read once a minute): the window's rows are found through the `(element_code, id)` index instead,
 * from the newest row sent before the window (journalWindow). Rows are inserted in batches a little after they
 * were sent, so a command sent in the window's first second may be missed — not a chart's concern.
 */
export async function elementActivity(
  db: Executor,
  code: string,
  hours: number,
  now: Date,
): Promise<ElementActivity> {
  const bucketMinutes = bucketMinutesFor(hours);
  const stepMs = bucketMinutes * 60_000;
  // buckets aligned on the step (UTC), the last one holding now
  const end = Math.floor(now.getTime() / stepMs) * stepMs + stepMs;
  const start = end - Math.ceil((hours * 60) / bucketMinutes) * stepMs;
  const from = new Date(start);
  const { low } = await journalWindow(db, code, from, undefined);
  const rows = await sql<{
    at: Date | null;
    ok: string;
    refused: string;
    transport_errors: string;
    p50: number | null;
    p95: number | null;
    max: number | null;
  }>`
    SELECT date_bin(make_interval(mins => ${bucketMinutes}), c.sent_at, ${from}::timestamptz) AS at,
           count(*) FILTER (WHERE c.outcome = 'ok') AS ok,
           count(*) FILTER (WHERE c.outcome = 'refused') AS refused,
           count(*) FILTER (WHERE c.outcome = 'transport_error') AS transport_errors,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY c.duration_ms) AS p50,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY c.duration_ms) AS p95,
           max(c.duration_ms) AS max
      FROM act_command c
     WHERE c.element_code = ${code} AND c.id > ${low} AND c.sent_at >= ${from}
     GROUP BY GROUPING SETS ((1), ())`.execute(db);
  // the grouping set () is the whole window's row: its bucket is null
  const whole = rows.rows.find((r) => r.at === null);
  const byAt = new Map(rows.rows.flatMap((r) => (r.at ? [[r.at.getTime(), r] as const] : [])));
  const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
  const buckets: ActivityBucket[] = [];
  for (let t = start; t < end; t += stepMs) {
    const r = byAt.get(t);
    buckets.push({
      at: new Date(t).toISOString(),
      ok: Number(r?.ok ?? 0),
      refused: Number(r?.refused ?? 0),
      transportErrors: Number(r?.transport_errors ?? 0),
      p50Ms: round(r?.p50 ?? null),
      p95Ms: round(r?.p95 ?? null),
      maxMs: round(r?.max ?? null),
    });
  }
  const sum = (k: 'ok' | 'refused' | 'transportErrors') => buckets.reduce((n, b) => n + b[k], 0);
  return {
    code,
    from: from.toISOString(),
    to: new Date(end).toISOString(),
    bucketMinutes,
    buckets,
    totals: {
      ok: sum('ok'),
      refused: sum('refused'),
      transportErrors: sum('transportErrors'),
      p95Ms: round(whole?.p95 ?? null),
    },
  };
}

/**
 * The ids bounding an element's commands sent in [since, until), for reading them newest first
 * through the `(element_code, id)` index (no index on `sent_at`, see elementActivity): `low`, the
 * newest command sent before `since` (0 if none or no `since`); `high`, the first command after
 * `low` sent at or after `until` (null if none or no `until`) — found walking forward from `low`
 * through the window's own rows, so an old window does not cost every command since.
 */
export async function journalWindow(
  db: Executor,
  code: string,
  since: Date | undefined,
  until: Date | undefined,
): Promise<{ low: number; high: number | null }> {
  const low = since
    ? Number(
        (
          await sql<{ id: string }>`
            SELECT id FROM act_command WHERE element_code = ${code} AND sent_at < ${since}
             ORDER BY id DESC LIMIT 1`.execute(db)
        ).rows[0]?.id ?? 0,
      )
    : 0;
  const high = until
    ? (
        await sql<{ id: string }>`
          SELECT id FROM act_command WHERE element_code = ${code} AND id > ${low} AND sent_at >= ${until}
           ORDER BY id LIMIT 1`.execute(db)
      ).rows[0]?.id
    : undefined;
  return { low, high: high === undefined ? null : Number(high) };
}
