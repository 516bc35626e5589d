import { Socket } from 'node:net';
import { TransportError } from './driver.js';

/**
 * osmo-hlr's VTY (telnet, 127.0.0.1:4258 by default), for the one thing its CTRL interface cannot
 * do: list the subscribers (`show subscribers all`). The network audit uses it to find subscribers
 * the records do not know (created by hand in the HLR). Read-only: no `enable`, no configuration.
 *
 * Telnet here is only its option negotiation (IAC sequences), which we ignore: the VTY works
 * without answering it. Output is a table read line by line as it arrives (a large HLR answers in
 * megabytes), until the prompt comes back.
 */

/** One row of `show subscribers all`. */
export interface HlrSubscriberRow {
  id: number;
  imsi: string;
  msisdn: string | null;
  cs: boolean;
  ps: boolean;
}

/**
 * `ID  MSISDN  IMSI  IMEI  NAM`, columns separated by blanks: `none` for no MSISDN; an IMEI, a row
 * of dashes for none, or digits followed by `(INVALID LENGTH!)`; NAM `CSPS`, `CS`, `PS` or empty
 * (both cut). Later osmo-hlr versions may add a parenthesised note (the last location update's
 * age): notes are skipped, and NAM is the last word left if it is one. Anything else (headers, the
 * count, the prompt) is null.
 */
export function parseSubscriberRow(line: string): HlrSubscriberRow | null {
  const f = line.trim().split(/\s+/);
  if (f.length < 4 || !/^[0-9]+$/.test(f[0]!) || !/^[0-9]{6,15}$/.test(f[2]!)) return null;
  if (f[1] !== 'none' && !/^[0-9]{1,15}$/.test(f[1]!)) return null;
  // after the IMSI: the IMEI, then NAM, with any parenthesised notes taken out
  const rest: string[] = [];
  let depth = 0;
  for (const w of f.slice(3)) {
    if (depth > 0 || w.startsWith('(')) {
      depth += (w.match(/\(/g)?.length ?? 0) - (w.match(/\)/g)?.length ?? 0);
      if (depth < 0) depth = 0;
      continue;
    }
    rest.push(w);
  }
  if (rest.length === 0 || !/^(-+|[0-9]+)$/.test(rest[0]!)) return null;
  if (rest.length > 2) return null;
  const nam = rest[1] ?? '';
  if (!/^(CS)?(PS)?$/.test(nam)) return null;
  return {
    id: Number(f[0]),
    msisdn: f[1] === 'none' ? null : f[1]!,
    imsi: f[2]!,
    cs: nam.startsWith('CS'),
    ps: nam.endsWith('PS'),
  };
}

const IAC = 0xff;
const SB = 0xfa;
const SE = 0xf0;

/** Drops telnet commands (IAC …) from a chunk; `state` carries a sequence cut between chunks. */
function stripTelnet(chunk: Buffer, state: { inCmd: number; inSub: boolean }): string {
  const out: number[] = [];
  for (const b of chunk) {
    if (state.inSub) {
      // subnegotiation runs until IAC SE
      if (state.inCmd === 1) {
        state.inCmd = 0;
        if (b === SE) state.inSub = false;
      } else if (b === IAC) state.inCmd = 1;
      continue;
    }
    if (state.inCmd === 1) {
      if (b === IAC) {
        out.push(IAC); // an escaped 0xff
        state.inCmd = 0;
      } else if (b === SB) {
        state.inSub = true;
        state.inCmd = 0;
      } else if (b >= 0xfb && b <= 0xfe)
        state.inCmd = 2; // WILL/WONT/DO/DONT take an option byte
      else state.inCmd = 0;
      continue;
    }
    if (state.inCmd === 2) {
      state.inCmd = 0;
      continue;
    }
    if (b === IAC) state.inCmd = 1;
    else out.push(b);
  }
  return Buffer.from(out).toString('latin1');
}

/** A VTY prompt at the end of what was read: `OsmoHLR> ` or `OsmoHLR# `. */
const PROMPT = /(^|\n)[A-Za-z0-9_.-]+[>#] $/;

/**
 * Lists the HLR's subscribers, row by row into `onRow`; resolves with how many rows it read and how
 * many the HLR said it showed. Fails with a TransportError when the VTY cannot be reached, goes
 * silent for `timeoutMs`, or its count does not match the rows read.
 */
export async function listHlrSubscribers(
  opts: { host: string; port: number; timeoutMs?: number },
  onRow: (r: HlrSubscriberRow) => void,
): Promise<{ rows: number }> {
  const where = `osmo-hlr VTY ${opts.host}:${opts.port}`;
  const socket = new Socket();
  const state = { inCmd: 0, inSub: false };
  let text = '';
  let phase: 'banner' | 'listing' = 'banner';
  let rows = 0;
  let shown: number | null = null;
  return new Promise<{ rows: number }>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else if (shown === null)
        reject(new TransportError(`${where}: the listing ended without its count of subscribers`));
      else if (shown !== rows)
        reject(new TransportError(`${where}: read ${rows} subscribers, the HLR said ${shown}`));
      else resolve({ rows });
    };
    socket.setTimeout(opts.timeoutMs ?? 10_000, () =>
      finish(new TransportError(`${where}: no answer within ${opts.timeoutMs ?? 10_000} ms`)),
    );
    socket.once('error', (err) => finish(new TransportError(`${where}: ${err.message}`)));
    socket.once('close', () => finish(new TransportError(`${where}: connection closed`)));
    socket.on('data', (chunk: Buffer) => {
      text += stripTelnet(chunk, state);
      if (phase === 'banner') {
        if (!PROMPT.test(text)) return;
        phase = 'listing';
        text = '';
        socket.write('show subscribers all\n');
        return;
      }
      // whole lines only; the last (partial) one waits for the next chunk, unless it is the prompt
      const cut = text.lastIndexOf('\n');
      const lines = cut < 0 ? [] : text.slice(0, cut).split('\n');
      text = cut < 0 ? text : text.slice(cut + 1);
      for (const line of lines) {
        const r = parseSubscriberRow(line);
        if (r) {
          rows++;
          onRow(r);
          continue;
        }
        const m = /Subscribers Shown: ([0-9]+)/.exec(line);
        if (m) shown = Number(m[1]);
        else if (/No matching subscriber/.test(line)) shown = 0;
        // osmo-hlr's own error (its database failing mid-list): what came before is not the list
        else if (line.startsWith('%')) {
          finish(new TransportError(`${where}: ${line.trim()}`));
          return;
        }
      }
      if (PROMPT.test(text) && shown !== null) finish(null);
    });
    socket.connect(opts.port, opts.host);
  });
}
