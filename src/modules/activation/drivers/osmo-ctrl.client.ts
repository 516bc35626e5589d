import { Socket } from 'node:net';
import { ElementRefusal, TransportError } from './driver.js';

/**
 * Osmocom CTRL client (osmo-hlr's control interface) over IPA framing, written here because no
 * package exists (facts: ../shared/notes/osmo-hlr.md and docs/activation.md).
 *
 * Frame: u16be length, u8 protocol, payload. CTRL rides in protocol 0xEE (IPAC_PROTO_OSMO) with the
 * extension byte 0x00 (IPAC_PROTO_EXT_CTRL) first in the payload; the length counts that byte. The
 * server may ping us over IPA CCM (protocol 0xFE): a PING (0x00) is answered by a PONG (0x01).
 *
 * Requests carry a numeric id; replies (`GET_REPLY`, `SET_REPLY`, `ERROR`) carry it back, so several
 * requests may be in flight on one connection (the server answers them in order). An `ERROR err …`
 * reply cannot be correlated: it means we sent something malformed, and every request in flight
 * fails with a protocol error rather than waiting forever.
 */

const IPAC_PROTO_OSMO = 0xee;
const IPAC_PROTO_EXT_CTRL = 0x00;
const IPAC_PROTO_CCM = 0xfe;
const CCM_PING = 0x00;
const CCM_PONG = 0x01;

/** osmo-hlr refused the command (`ERROR <id> <reason>`): its reason is what a switching agent reads. */
export class CtrlRefusal extends ElementRefusal {
  constructor(
    readonly id: string,
    readonly reason: string,
    readonly request: string,
  ) {
    super(reason);
    this.name = 'CtrlRefusal';
  }
}

export interface CtrlReply {
  verb: 'GET_REPLY' | 'SET_REPLY';
  variable: string;
  value: string;
}

interface Pending {
  request: string;
  resolve: (r: CtrlReply) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface CtrlClientOptions {
  host: string;
  port?: number;
  /** Per request; a reply later than this fails the request and closes the connection. */
  timeoutMs?: number;
  connectTimeoutMs?: number;
}

/** Encodes one CTRL request in its IPA frame. */
export function ctrlFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'latin1');
  const buf = Buffer.alloc(4 + payload.length);
  buf.writeUInt16BE(payload.length + 1, 0);
  buf[2] = IPAC_PROTO_OSMO;
  buf[3] = IPAC_PROTO_EXT_CTRL;
  payload.copy(buf, 4);
  return buf;
}

/** Parses a CTRL reply's text: `VERB id var value…` or `ERROR id reason…`. */
export function parseCtrlReply(
  text: string,
): { kind: 'reply'; id: string; reply: CtrlReply } | { kind: 'error'; id: string; reason: string } | null {
  const sp1 = text.indexOf(' ');
  if (sp1 < 0) return null;
  const verb = text.slice(0, sp1);
  const sp2 = text.indexOf(' ', sp1 + 1);
  const id = sp2 < 0 ? text.slice(sp1 + 1) : text.slice(sp1 + 1, sp2);
  const rest = sp2 < 0 ? '' : text.slice(sp2 + 1);
  if (verb === 'ERROR') return { kind: 'error', id, reason: rest };
  if (verb !== 'GET_REPLY' && verb !== 'SET_REPLY') return null;
  const sp3 = rest.indexOf(' ');
  const variable = sp3 < 0 ? rest : rest.slice(0, sp3);
  const value = sp3 < 0 ? '' : rest.slice(sp3 + 1);
  return { kind: 'reply', id, reply: { verb, variable, value } };
}

/** Multi-line values (`info`, `info-aud`, `info-all`) start with a newline and hold `key\tvalue` lines. */
export function parseInfo(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of value.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) out[line.slice(0, tab)] = line.slice(tab + 1);
  }
  return out;
}

export class CtrlClient {
  private socket: Socket | null = null;
  private connecting: Promise<void> | null = null;
  private buffer: Buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private closedByUs = false;

  constructor(private readonly opts: CtrlClientOptions) {}

  get connected(): boolean {
    return this.socket !== null && this.connecting === null;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Connects if needed; a lost connection is reopened by the next request (reconnect on demand). */
  async connect(): Promise<void> {
    if (this.socket && !this.connecting) return;
    if (this.connecting) return this.connecting;
    this.closedByUs = false;
    const socket = new Socket();
    socket.setNoDelay(true);
    this.buffer = Buffer.alloc(0);
    this.connecting = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TransportError(`connect to ${this.where()} timed out`));
      }, this.opts.connectTimeoutMs ?? 3000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new TransportError(`connect to ${this.where()}: ${err.message}`));
      });
    });
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => this.onClose(socket));
    this.socket = socket;
    socket.connect(this.opts.port ?? 4259, this.opts.host);
    try {
      await this.connecting;
    } catch (err) {
      this.socket = null;
      throw err;
    } finally {
      this.connecting = null;
    }
  }

  async get(variable: string): Promise<CtrlReply> {
    return this.request('GET', variable);
  }

  async set(variable: string, value: string): Promise<CtrlReply> {
    return this.request('SET', variable, value);
  }

  /** Sends a request and waits for its reply; several may be in flight (pipelining). */
  async request(verb: 'GET' | 'SET', variable: string, value?: string): Promise<CtrlReply> {
    await this.connect();
    const socket = this.socket;
    if (!socket) throw new TransportError(`not connected to ${this.where()}`);
    const id = String(this.nextId++);
    if (this.nextId > 2_000_000_000) this.nextId = 1;
    const text = value === undefined ? `${verb} ${id} ${variable}` : `${verb} ${id} ${variable} ${value}`;
    return new Promise<CtrlReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TransportError(`no reply from ${this.where()} within ${this.opts.timeoutMs ?? 5000} ms`));
        // the stream's position is unknown now: start afresh on the next request
        socket.destroy();
      }, this.opts.timeoutMs ?? 5000);
      this.pending.set(id, { request: text, resolve, reject, timer });
      socket.write(ctrlFrame(text));
    });
  }

  close(): void {
    this.closedByUs = true;
    this.socket?.destroy();
    this.socket = null;
  }

  private where(): string {
    return `osmo-hlr CTRL ${this.opts.host}:${this.opts.port ?? 4259}`;
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    while (this.buffer.length >= 3) {
      const len = this.buffer.readUInt16BE(0);
      if (this.buffer.length < 3 + len) break;
      const proto = this.buffer[2];
      const payload = this.buffer.subarray(3, 3 + len);
      this.buffer = this.buffer.subarray(3 + len);
      if (proto === IPAC_PROTO_CCM) {
        if (payload[0] === CCM_PING) this.socket?.write(Buffer.from([0x00, 0x01, IPAC_PROTO_CCM, CCM_PONG]));
        continue;
      }
      if (proto !== IPAC_PROTO_OSMO || payload[0] !== IPAC_PROTO_EXT_CTRL) continue;
      this.onMessage(payload.subarray(1).toString('latin1'));
    }
  }

  private onMessage(text: string): void {
    const parsed = parseCtrlReply(text);
    if (!parsed) return; // TRAP messages and anything else unsolicited are not ours to answer
    if (parsed.id === 'err') {
      // "ERROR err …" cannot be matched to a request: fail them all rather than hang
      this.failAll(
        new TransportError(`osmo-hlr protocol error: ${parsed.kind === 'error' ? parsed.reason : text}`),
      );
      return;
    }
    const p = this.pending.get(parsed.id);
    if (!p) return;
    this.pending.delete(parsed.id);
    clearTimeout(p.timer);
    if (parsed.kind === 'error') p.reject(new CtrlRefusal(parsed.id, parsed.reason, p.request));
    else p.resolve(parsed.reply);
  }

  private onClose(socket: Socket): void {
    if (this.socket === socket) this.socket = null;
    this.failAll(
      new TransportError(this.closedByUs ? 'connection closed' : `connection to ${this.where()} lost`),
    );
  }

  private failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
  }
}
