import { systemClock, type Clock } from '../../platform/clock.js';
import { everyMinute, operatorDay } from '../../platform/daily.js';
import { SYSTEM, type Actor } from '../../platform/events.js';
import type { AuditView, NetworkAudit } from './audit.js';

/** Who the nightly audits are started by (the screen's "par …"). */
export const NIGHTLY_AUDITOR: Actor = { ...SYSTEM, username: 'nightly-audit' };

/**
 * The nightly network audit inside `gpto start` (GPTO_AUDIT_AT, default 03:30 of the operator's
 * day; `off` turns it off): every enabled element is audited once a day, without repair, so that on
 * Monday morning switching finds on each card what drifted over the weekend. A process started
 * later that day audits at once; any number of processes audit each element once (the day is in
 * the audit's row, unique per element).
 */
export class AuditScheduler {
  private loop: { stop: () => Promise<void> } | null = null;
  private readonly clock: Clock;

  constructor(
    private readonly audit: NetworkAudit,
    private readonly opts: { at: number; timeZone: string; clock?: Clock; onError?: (err: unknown) => void },
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Starts the day's audits not started yet, once the time has come. */
  async tick(): Promise<AuditView[] | 'not_yet'> {
    const now = this.clock.now();
    const day = operatorDay(now, this.opts.timeZone);
    // an audit whose process died no longer holds its element's card at "running"
    await this.audit.closeStale();
    if (day.minutes < this.opts.at) return 'not_yet';
    return this.audit.nightly(day.date, NIGHTLY_AUDITOR, now);
  }

  /** Looks every minute (and once now); a tick never overlaps the previous one. */
  start(everyMs = 60_000): void {
    this.loop = everyMinute(() => this.tick(), this.opts.onError, everyMs);
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
    this.loop = null;
  }
}
