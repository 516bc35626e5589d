import type { Link, SendOptions, Session } from './driver.js';

/** A session straight on a link, with no throttle and no journal: the raw client (tests, bench baseline). */
export function directSession(link: Link, log?: (command: string, reply: string | Error) => void): Session {
  return {
    async send(command: string, opts: SendOptions = {}): Promise<string> {
      try {
        const reply = await link.send(command);
        log?.(opts.shown ?? command, opts.hideReply ? '<hidden>' : reply);
        return reply;
      } catch (err) {
        log?.(opts.shown ?? command, err as Error);
        throw err;
      }
    },
  };
}
