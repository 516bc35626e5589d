import pg from 'pg';
import { TASK_READY_CHANNEL } from './writes.js';

/** What an idle worker waits on between polls. */
export interface Wake {
  /** Resolves when an automatic task became ready (a commit notified it) or after `ms`. */
  wait(ms: number): Promise<void>;
  /** Ends the current wait (or the next one) now: something in this process has work for it. */
  nudge(): void;
  close(): Promise<void>;
}

/**
 * LISTENs on its own connection for commits that made automatic tasks ready (the set-based task
 * insert notifies `wf_task_ready`), so an idle worker claims a successor at once instead of at its
 * next poll. A notification that arrives while the worker is busy is kept for its next wait. If the
 * connection drops, waits fall back to plain polling sleeps.
 */
export async function listenForReadyTasks(url: string): Promise<Wake> {
  const client = new pg.Client({ connectionString: url, application_name: 'gpto-worker-wake' });
  await client.connect();
  let wake: (() => void) | null = null;
  let missed = false;
  const nudge = () => {
    if (wake) wake();
    else missed = true;
  };
  client.on('notification', nudge);
  client.on('error', () => undefined);
  await client.query(`LISTEN ${TASK_READY_CHANNEL}`);
  return {
    wait(ms) {
      if (missed) {
        missed = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          wake = null;
          resolve();
        }, ms);
        wake = () => {
          wake = null;
          clearTimeout(timer);
          resolve();
        };
      });
    },
    nudge,
    close: () => client.end().catch(() => undefined),
  };
}
