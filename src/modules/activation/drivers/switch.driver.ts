import { Socket } from 'node:net';
import {
  BARRING_CLASSES,
  formatCommand,
  parseReply,
  toCompactTime,
  type BarringClass,
  type Params,
} from '../switch-sim/protocol.js';
import { ElementRefusal, TransportError, type Link, type Session } from './driver.js';

/**
 * Fixed-line driver: the MML-style switch protocol (docs/switch-protocol.md) over TCP. The link
 * logs in on connect, tags each command and matches replies by tag, so commands may be pipelined.
 * Drivers speak in command text without the tag (`CRT-LINE:DN=…,EN=…;` is written
 * `CRT-LINE DN=…,EN=…`), the link adds it.
 */

interface Pending {
  resolve: (r: string) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface SwitchLinkOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  timeoutMs?: number;
}

export class SwitchLink implements Link {
  private socket: Socket | null = null;
  private connecting: Promise<void> | null = null;
  private buf = '';
  private tag = 1;
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly opts: SwitchLinkOptions) {}

  private where(): string {
    return `switch ${this.opts.host}:${this.opts.port}`;
  }

  private async connect(): Promise<void> {
    if (this.socket && !this.connecting) return;
    if (this.connecting) return this.connecting;
    const socket = new Socket();
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    this.buf = '';
    let banner: (() => void) | null = null;
    const opened = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TransportError(`connect to ${this.where()} timed out`));
      }, 3000);
      banner = () => {
        clearTimeout(timer);
        resolve();
      };
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new TransportError(`connect to ${this.where()}: ${err.message}`));
      });
    });
    socket.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).replace(/\r$/, '');
        this.buf = this.buf.slice(nl + 1);
        if (banner && line.startsWith('GPTO-SWITCH ')) {
          banner();
          banner = null;
          continue;
        }
        this.onLine(line);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket === socket) this.socket = null;
      this.failAll(new TransportError(`connection to ${this.where()} lost`));
    });
    this.socket = socket;
    this.connecting = (async () => {
      socket.connect(this.opts.port, this.opts.host);
      await opened;
      await this.raw('LOGIN', { USER: this.opts.user, PWD: this.opts.password });
    })();
    try {
      await this.connecting;
    } catch (err) {
      socket.destroy();
      this.socket = null;
      // a wrong password is the element refusing us, not a transport fault
      throw err instanceof ElementRefusal
        ? err
        : err instanceof TransportError
          ? err
          : new TransportError(String(err));
    } finally {
      this.connecting = null;
    }
  }

  private raw(verb: string, params: Params): Promise<string> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new TransportError(`not connected to ${this.where()}`));
    const tag = String(this.tag++);
    if (this.tag > 1e9) this.tag = 1;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(tag);
        reject(new TransportError(`no reply from ${this.where()} within ${this.opts.timeoutMs ?? 5000} ms`));
        socket.destroy();
      }, this.opts.timeoutMs ?? 5000);
      this.pending.set(tag, { resolve, reject, timer });
      socket.write(formatCommand(verb, tag, params) + '\n');
    });
  }

  /** `VERB KEY=VALUE,KEY=VALUE` → the reply's parameters as `KEY=VALUE,…` (empty when none). */
  async send(command: string): Promise<string> {
    const sp = command.indexOf(' ');
    const verb = sp < 0 ? command : command.slice(0, sp);
    const params: Params = {};
    if (sp >= 0)
      for (const pair of command.slice(sp + 1).split(',')) {
        const eq = pair.indexOf('=');
        if (eq > 0) params[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
    await this.connect();
    return this.raw(verb, params);
  }

  async probe(): Promise<void> {
    await this.connect();
    await this.raw('PING', {});
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private onLine(line: string): void {
    const r = parseReply(line);
    if (!r) return;
    if (r.tag === '*') {
      this.failAll(new TransportError(`switch protocol error: ${line}`));
      return;
    }
    const p = this.pending.get(r.tag);
    if (!p) return;
    this.pending.delete(r.tag);
    clearTimeout(p.timer);
    if (r.ok)
      p.resolve(
        Object.entries(r.params)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      );
    else p.reject(new ElementRefusal(`${r.code} ${r.message}`, r.code));
  }

  private failAll(err: Error): void {
    for (const [tag, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(tag);
      p.reject(err);
    }
  }
}

export function parseParams(text: string): Params {
  const out: Params = {};
  for (const pair of text ? text.split(',') : []) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export type FixedLineStatus = 'idle' | 'busy' | 'out_of_order' | 'barred';

/** A line as `LST-LINE …,DETAIL=YES` shows it. */
export interface ListedLine {
  dn: string;
  en: string | null;
  status: FixedLineStatus | null;
  barring: BarringClass | null;
  services: string[];
}

/** What a relocation saves before it removes the line from its old port. */
interface MoveCheckpoint {
  dn: string;
  from: string | null;
  category: string | null;
  services: string[];
  barring: BarringClass | null;
  meter: number | null;
}

export interface FixedLineView {
  exists: boolean;
  dn: string;
  en: string | null;
  /** Line category (CAT: RES, BUS, PAY…). */
  category: string | null;
  status: FixedLineStatus | null;
  barring: BarringClass | null;
  temporary: { barring: BarringClass; until: string } | null;
  effectiveBarring: BarringClass | null;
  services: string[];
  meter: number | null;
}

const STATUS: Record<string, FixedLineStatus> = {
  IDLE: 'idle',
  BUSY: 'busy',
  OOS: 'out_of_order',
  BARRED: 'barred',
};

const code = (e: unknown): string | null => (e instanceof ElementRefusal ? e.code : null);
const list = (xs: string[]) => xs.map((x) => x.toUpperCase()).join('&');

/** Fixed-line operations; each one is idempotent so the automaton may re-run it after a crash. */
export const switchOps = {
  /**
   * Creates the line on its port with its services and barring class. A re-run finding the number
   * already on the same port brings services and class to what was asked; on another port it is
   * the switch's refusal, passed on.
   */
  async activate(
    s: Session,
    p: { dn: string; en: string; category?: string; services?: string[]; barring?: BarringClass },
  ): Promise<FixedLineView & { created: boolean }> {
    const services = p.services ?? [];
    const barring = p.barring ?? 'NONE';
    const params = [
      `DN=${p.dn}`,
      `EN=${p.en}`,
      `CAT=${p.category ?? 'RES'}`,
      ...(services.length ? [`SERV=${list(services)}`] : []),
      `BAR=${barring}`,
    ];
    try {
      await s.send(`CRT-LINE ${params.join(',')}`);
      return { ...(await switchOps.status(s, { dn: p.dn })), created: true };
    } catch (err) {
      if (code(err) !== 'DNEXIST') throw err;
    }
    const now = await switchOps.status(s, { dn: p.dn });
    if (now.en !== p.en.toUpperCase())
      throw new ElementRefusal(`DNEXIST directory number ${p.dn} already exists on ${now.en}`, 'DNEXIST');
    const extra = now.services.filter((x) => !services.map((y) => y.toUpperCase()).includes(x));
    const missing = services.filter((x) => !now.services.includes(x.toUpperCase()));
    if (missing.length) await s.send(`ADD-SERV DN=${p.dn},SERV=${list(missing)}`);
    if (extra.length) await s.send(`RMV-SERV DN=${p.dn},SERV=${list(extra)}`);
    if (now.barring !== barring) await s.send(`SET-BAR DN=${p.dn},CLASS=${barring}`);
    return { ...(await switchOps.status(s, { dn: p.dn })), created: false };
  },

  /**
   * Relocation onto another port: the line is removed and created again on `en` with its services,
   * barring class and category, keeping its number. Already on `en` is success (a re-run). The
   * switch has no move command, so between the removal and the creation the line is absent: before
   * removing it the operation saves what it is (port, services, class, category, meter) in the
   * order's checkpoint, and a re-run that finds the line absent re-creates it from there. Without
   * a checkpoint (a raw session, or nothing saved) an absent line is refused (DNUNK).
   */
  async move(
    s: Session,
    p: { dn: string; en: string },
  ): Promise<FixedLineView & { moved: boolean; from: string | null; meter: number | null }> {
    const now = await switchOps.status(s, { dn: p.dn });
    const saved = s.checkpoint?.read() as MoveCheckpoint | null | undefined;
    if (!now.exists) {
      if (!saved || saved.dn !== p.dn)
        throw new ElementRefusal(`DNUNK directory number ${p.dn} is not on the switch`, 'DNUNK');
      // a crash between the removal and the creation: re-create the line as it was saved
      const made = await switchOps.activate(s, {
        dn: p.dn,
        en: p.en,
        ...(saved.category ? { category: saved.category } : {}),
        services: saved.services,
        barring: saved.barring ?? 'NONE',
      });
      return { ...made, moved: true, from: saved.from, meter: saved.meter };
    }
    if (now.en === p.en.toUpperCase())
      return saved && saved.dn === p.dn
        ? { ...now, moved: true, from: saved.from, meter: saved.meter }
        : { ...now, moved: false, from: now.en, meter: now.meter };
    const keep: MoveCheckpoint = {
      dn: p.dn,
      from: now.en,
      category: now.category,
      services: now.services,
      barring: now.barring,
      meter: now.meter,
    };
    await s.checkpoint?.save({ ...keep });
    const gone = await switchOps.deactivate(s, { dn: p.dn });
    const made = await switchOps.activate(s, {
      dn: p.dn,
      en: p.en,
      ...(now.category ? { category: now.category } : {}),
      services: now.services,
      barring: now.barring ?? 'NONE',
    });
    return { ...made, moved: true, from: now.en, meter: gone.meter ?? now.meter };
  },

  /** Removes the line; a line already gone is success. Returns the final meter index. */
  async deactivate(
    s: Session,
    p: { dn: string },
  ): Promise<{ dn: string; deleted: boolean; meter: number | null }> {
    try {
      const r = parseParams(await s.send(`DLT-LINE DN=${p.dn}`));
      return { dn: p.dn, deleted: true, meter: r.METER ? Number(r.METER) : null };
    } catch (err) {
      if (code(err) === 'DNUNK') return { dn: p.dn, deleted: false, meter: null };
      throw err;
    }
  },

  async services(
    s: Session,
    p: { dn: string; add?: string[]; remove?: string[] },
  ): Promise<{ services: string[] }> {
    let r: Params = {};
    if (p.add?.length) r = parseParams(await s.send(`ADD-SERV DN=${p.dn},SERV=${list(p.add)}`));
    if (p.remove?.length) r = parseParams(await s.send(`RMV-SERV DN=${p.dn},SERV=${list(p.remove)}`));
    if (!p.add?.length && !p.remove?.length) return { services: (await switchOps.status(s, p)).services };
    return { services: r.SERV ? r.SERV.split('&') : [] };
  },

  /**
   * Sets the permanent barring class; with `clearLooser` (a limitation for unpaid bills) also ends
   * a temporary authorisation that lets the line call more than the new class (it overrides the
   * permanent class until its end).
   */
  async barring(
    s: Session,
    p: { dn: string; barring: BarringClass; clearLooser?: boolean },
  ): Promise<{ before: BarringClass | null; barring: BarringClass; clearedTemporary?: BarringClass }> {
    const st = await switchOps.status(s, p);
    await s.send(`SET-BAR DN=${p.dn},CLASS=${p.barring}`);
    const tmp = st.temporary?.barring;
    if (p.clearLooser && tmp && BARRING_CLASSES.indexOf(tmp) < BARRING_CLASSES.indexOf(p.barring)) {
      await s.send(`RMV-TMPAUTH DN=${p.dn}`);
      return { before: st.barring, barring: p.barring, clearedTemporary: tmp };
    }
    return { before: st.barring, barring: p.barring };
  },

  /** Suspension (administrative barring) and restoration. */
  async block(s: Session, p: { dn: string; blocked: boolean }): Promise<{ status: FixedLineStatus | null }> {
    const r = parseParams(await s.send(`${p.blocked ? 'BLK-LINE' : 'UBLK-LINE'} DN=${p.dn}`));
    return { status: STATUS[r.STATUS ?? ''] ?? null };
  },

  /** A temporary authorisation: the class is in force until `until`; GPTo removes it at expiry. */
  async temporaryAccess(
    s: Session,
    p: { dn: string; barring: BarringClass; until: string },
  ): Promise<{ until: string }> {
    await s.send(`SET-TMPAUTH DN=${p.dn},CLASS=${p.barring},UNTIL=${toCompactTime(new Date(p.until))}`);
    return { until: p.until };
  },

  async clearTemporaryAccess(s: Session, p: { dn: string }): Promise<{ barring: string | null }> {
    const r = parseParams(await s.send(`RMV-TMPAUTH DN=${p.dn}`));
    return { barring: r.BAR ?? null };
  },

  /** A page of the numbers on the switch, in order after `from` (an audit's listing). */
  /**
   * The numbers on the switch, in order, a page at a time; with `detail`, each line's port, status,
   * barring class and services too (`LST-LINE …,DETAIL=YES`).
   */
  async list(
    s: Session,
    p: { from?: string; count?: number; detail?: boolean },
  ): Promise<{ dns: string[]; lines: ListedLine[] | null; next: string | null }> {
    const r = parseParams(
      await s.send(
        `LST-LINE ${p.from ? `FROM=${p.from},` : ''}COUNT=${p.count ?? 500}${p.detail ? ',DETAIL=YES' : ''}`,
      ),
    );
    if (!p.detail) return { dns: r.DN ? r.DN.split('&') : [], lines: null, next: r.NEXT ?? null };
    const lines = (r.LINE ? r.LINE.split('&') : []).map((x): ListedLine => {
      const [dn = '', en = '', status = '', bar = '', serv = ''] = x.split('/');
      return {
        dn,
        en: en || null,
        status: STATUS[status] ?? null,
        barring: (bar || null) as BarringClass | null,
        services: serv ? serv.split('+') : [],
      };
    });
    return { dns: lines.map((l) => l.dn), lines, next: r.NEXT ?? null };
  },

  async status(s: Session, p: { dn: string }): Promise<FixedLineView> {
    let r: Params;
    try {
      r = parseParams(await s.send(`DSP-LINE DN=${p.dn}`, { absent: (e) => e.code === 'DNUNK' }));
    } catch (err) {
      if (code(err) === 'DNUNK')
        return {
          exists: false,
          dn: p.dn,
          en: null,
          category: null,
          status: null,
          barring: null,
          temporary: null,
          effectiveBarring: null,
          services: [],
          meter: null,
        };
      throw err;
    }
    return {
      exists: true,
      dn: p.dn,
      en: r.EN ?? null,
      category: r.CAT ?? null,
      status: STATUS[r.STATUS ?? ''] ?? null,
      barring: (r.BAR as BarringClass | undefined) ?? null,
      temporary:
        r.TMPBAR && r.TMPUNTIL
          ? {
              barring: r.TMPBAR as BarringClass,
              until: new Date(
                r.TMPUNTIL.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
              ).toISOString(),
            }
          : null,
      effectiveBarring: (r.EFFBAR as BarringClass | undefined) ?? null,
      services: r.SERV ? r.SERV.split('&') : [],
      meter: r.METER ? Number(r.METER) : null,
    };
  },

  async meter(s: Session, p: { dn: string }): Promise<{ dn: string; meter: number }> {
    const r = parseParams(await s.send(`DSP-METER DN=${p.dn}`, { absent: (e) => e.code === 'DNUNK' }));
    return { dn: p.dn, meter: Number(r.METER ?? 0) };
  },
};
