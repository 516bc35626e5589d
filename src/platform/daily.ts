/**
 * Daily jobs at a time of the operator's day (the collection run, the network audits): the time
 * setting and the operator's calendar day, in its time zone whatever the server's.
 */

/** `HH:MM` (24 h) → minutes after midnight; `off` (or empty) → null, no schedule. */
export function parseDailyAt(raw: string | undefined, fallback: string): number | null | Error {
  const v = (raw ?? fallback).trim().toLowerCase();
  if (v === 'off' || v === '') return null;
  const m = /^([01]?[0-9]|2[0-3]):([0-5][0-9])$/.exec(v);
  if (!m) return new Error(`must be HH:MM (24 h) or off (got "${raw}")`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** The operator's calendar day and the minutes past its midnight at `now`, in `timeZone`. */
export function operatorDay(now: Date, timeZone: string): { date: string; minutes: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(now)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/**
 * Runs `tick` now and then every `everyMs` (a daily job looks every minute whether its time has
 * come); a tick never overlaps the previous one, an error goes to `onError`. `stop` awaits a tick
 * in progress.
 */
export function everyMinute(
  tick: () => Promise<unknown>,
  onError: (err: unknown) => void = () => undefined,
  everyMs = 60_000,
): { stop: () => Promise<void> } {
  let running: Promise<unknown> | null = null;
  const go = () => {
    if (running) return;
    running = tick()
      .catch(onError)
      .finally(() => {
        running = null;
      });
  };
  go();
  const timer = setInterval(go, everyMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
