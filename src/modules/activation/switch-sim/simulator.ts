import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer, type Server, type Socket } from 'node:net';
import {
  BARRING_CLASSES,
  DENY_CODES,
  DN_PATTERN,
  EN_PATTERN,
  SERVICES,
  TIME_PATTERN,
  formatReply,
  fromCompactTime,
  parseCommand,
  toCompactTime,
  type BarringClass,
  type DenyCode,
  type LineStatusCode,
  type Params,
  type Reply,
} from './protocol.js';

/**
 * A fixed-line switch simulator speaking the project's MML-style protocol (docs/switch-protocol.md):
 * lines by equipment number and directory number, services, barring classes, temporary
 * authorisations, line status and a meter index that advances with simulated calls. It stands in
 * for a real exchange in demos, tests and benchmarks (`gpto switch-sim`).
 */

export interface SimLine {
  dn: string;
  en: string;
  category: string;
  services: Set<string>;
  barring: BarringClass;
  tmpBarring: BarringClass | null;
  tmpUntil: Date | null;
  blocked: boolean;
  outOfService: boolean;
  busyUntil: number;
  meter: number;
}

export interface SwitchSimOptions {
  name?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  /** Simulated calls per second across all idle, unbarred lines (demo traffic); 0 = none. */
  trafficPerSecond?: number;
  /**
   * How long the exchange takes over each command, in ms (default 0: it answers at once, ≈ 40 µs).
   * A session's commands are then carried out one after the other, each answered that long after
   * the previous one — as an exchange's MML session works — instead of at once.
   */
  responseMs?: number;
  /**
   * A file the lines are kept in (JSON), read at start and written every few seconds after a change
   * and at stop: a restarted exchange keeps its lines (`gpto start`'s simulators).
   */
  stateFile?: string;
}

/** Verbs that change nothing: they leave the state file as it is. */
const READ_ONLY = new Set(['PING', 'LOGIN', 'LOGOUT', 'DSP-LINE', 'DSP-METER', 'LST-LINE']);

type SavedLine = Omit<SimLine, 'services' | 'tmpUntil' | 'busyUntil'> & {
  services: string[];
  tmpUntil: string | null;
};

class Denied extends Error {
  constructor(
    readonly code: DenyCode,
    message?: string,
  ) {
    super(message ?? DENY_CODES[code]);
  }
}

export class SwitchSimulator {
  readonly lines = new Map<string, SimLine>();
  private readonly byEn = new Map<string, string>();
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private traffic: NodeJS.Timeout | null = null;
  /** Commands handled since start (tests and benchmarks read it). */
  commands = 0;
  /** Test hook: off, LST-LINE refuses DETAIL, as an exchange whose listing has numbers only. */
  listingDetail = true;
  /** Test hook: the next command with this verb is applied but its reply is never sent (link cut). */
  dropReplyOnce: string | null = null;
  private boundPort = 0;
  /** The numbers in order, for LST-LINE; dropped when a line is created or deleted. */
  private sorted: string[] | null = null;
  private dirty = false;
  private saver: NodeJS.Timeout | null = null;

  constructor(private readonly opts: SwitchSimOptions = {}) {}

  get name(): string {
    return this.opts.name ?? 'SIM1';
  }

  get port(): number {
    return this.boundPort;
  }

  get host(): string {
    return this.opts.host ?? '127.0.0.1';
  }

  /** Listens (port 0 = any free port); keeps the lines across stop/start like a restarted exchange. */
  async start(port = this.boundPort || this.opts.port || 0): Promise<number> {
    if (this.opts.stateFile && this.lines.size === 0) this.load(this.opts.stateFile);
    const server = createServer((socket) => this.onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => resolve());
    });
    this.server = server;
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : port;
    if (this.opts.trafficPerSecond && !this.traffic) {
      const every = Math.max(10, Math.floor(1000 / this.opts.trafficPerSecond));
      this.traffic = setInterval(() => this.randomCall(), every);
      this.traffic.unref();
    }
    if (this.opts.stateFile && !this.saver) {
      const file = this.opts.stateFile;
      this.saver = setInterval(() => {
        if (this.dirty) this.save(file);
      }, 5000);
      this.saver.unref();
    }
    return this.boundPort;
  }

  private load(file: string): void {
    let doc: { lines?: SavedLine[] };
    try {
      doc = JSON.parse(readFileSync(file, 'utf8')) as { lines?: SavedLine[] };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`switch simulator ${this.name}: cannot read ${file}: ${(err as Error).message}`);
    }
    for (const l of doc.lines ?? []) {
      this.lines.set(l.dn, {
        ...l,
        services: new Set(l.services),
        tmpUntil: l.tmpUntil ? new Date(l.tmpUntil) : null,
        busyUntil: 0,
      });
      this.byEn.set(l.en, l.dn);
    }
    this.sorted = null;
  }

  /** Writes the lines (a temporary file renamed over the old one: never half a file). */
  save(file = this.opts.stateFile): void {
    if (!file) return;
    this.dirty = false;
    const lines: SavedLine[] = [...this.lines.values()].map((l) => ({
      dn: l.dn,
      en: l.en,
      category: l.category,
      services: [...l.services],
      barring: l.barring,
      tmpBarring: l.tmpBarring,
      tmpUntil: l.tmpUntil ? l.tmpUntil.toISOString() : null,
      blocked: l.blocked,
      outOfService: l.outOfService,
      meter: l.meter,
    }));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, JSON.stringify({ switch: this.name, lines }));
    renameSync(`${file}.tmp`, file);
  }

  private sortedNumbers(): string[] {
    this.sorted ??= [...this.lines.keys()].sort();
    return this.sorted;
  }

  /** Stops listening and cuts every connection: the element is down. */
  async stop(): Promise<void> {
    if (this.traffic) clearInterval(this.traffic);
    this.traffic = null;
    if (this.saver) clearInterval(this.saver);
    this.saver = null;
    if (this.opts.stateFile && this.dirty) this.save(this.opts.stateFile);
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** What the line's status is now (idle, busy, out of order, barred). */
  status(line: SimLine, now = Date.now()): LineStatusCode {
    if (line.outOfService) return 'OOS';
    if (line.blocked) return 'BARRED';
    if (line.busyUntil > now) return 'BUSY';
    return 'IDLE';
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    const session = { user: null as string | null };
    let buf = '';
    const responseMs = this.opts.responseMs ?? 0;
    // with a response time: the session's commands one after the other, each answered when done
    let serial = Promise.resolve();
    const later = (line: string) => {
      serial = serial.then(async () => {
        await new Promise((r) => setTimeout(r, responseMs));
        if (socket.destroyed) return;
        const reply = this.handle(line, session);
        if (reply === 'drop') socket.destroy();
        else socket.write(formatReply(reply) + '\n');
      });
    };
    socket.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      const out: string[] = [];
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        if (responseMs > 0) {
          later(line);
          continue;
        }
        const reply = this.handle(line, session);
        if (reply === 'drop') {
          socket.destroy();
          return;
        }
        out.push(formatReply(reply));
        if (reply.ok && session.user === null && line.toUpperCase().startsWith('LOGOUT')) break;
      }
      if (out.length) socket.write(out.join('\n') + '\n');
      if (buf.length > 64 * 1024) socket.destroy(); // not a command stream
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
    socket.write(`GPTO-SWITCH ${this.name} READY\n`);
  }

  private handle(line: string, session: { user: string | null }): Reply | 'drop' {
    const cmd = parseCommand(line);
    if ('error' in cmd) return { tag: cmd.tag, ok: false, code: 'SYNTAX', message: cmd.error };
    this.commands++;
    try {
      const params = this.execute(cmd.verb, cmd.params, session);
      if (!READ_ONLY.has(cmd.verb)) this.dirty = true;
      if (this.dropReplyOnce === cmd.verb) {
        this.dropReplyOnce = null;
        return 'drop';
      }
      return { tag: cmd.tag, ok: true, params };
    } catch (err) {
      if (err instanceof Denied) return { tag: cmd.tag, ok: false, code: err.code, message: err.message };
      throw err;
    }
  }

  private execute(verb: string, p: Params, session: { user: string | null }): Params {
    if (verb === 'PING') return {};
    if (verb === 'LOGIN') {
      const user = need(p, 'USER');
      if (user !== (this.opts.user ?? 'gpto') || need(p, 'PWD') !== (this.opts.password ?? 'gpto'))
        throw new Denied('AUTHFAIL');
      session.user = user;
      return { SWITCH: this.name };
    }
    if (!session.user) throw new Denied('NOAUTH');
    switch (verb) {
      case 'LOGOUT':
        session.user = null;
        return {};
      case 'CRT-LINE': {
        const dn = dnOf(p);
        const en = need(p, 'EN').toUpperCase();
        if (!EN_PATTERN.test(en)) throw new Denied('BADPAR', `EN "${en}" is not an equipment number`);
        if (this.lines.has(dn)) throw new Denied('DNEXIST', `directory number ${dn} already exists`);
        const other = this.byEn.get(en);
        if (other) throw new Denied('ENINUSE', `equipment number ${en} serves ${other}`);
        const line: SimLine = {
          dn,
          en,
          category: (p.CAT ?? 'RES').toUpperCase(),
          services: new Set(servicesOf(p.SERV)),
          barring: barringOf(p.BAR ?? 'NONE'),
          tmpBarring: null,
          tmpUntil: null,
          blocked: false,
          outOfService: false,
          busyUntil: 0,
          meter: 0,
        };
        this.lines.set(dn, line);
        this.byEn.set(en, dn);
        this.sorted = null;
        return { DN: dn, EN: en };
      }
      case 'DLT-LINE': {
        const line = this.line(p);
        if (this.status(line) === 'BUSY') throw new Denied('STATE', `line ${line.dn} is busy`);
        this.lines.delete(line.dn);
        this.byEn.delete(line.en);
        this.sorted = null;
        return { DN: line.dn, METER: String(line.meter) };
      }
      case 'ADD-SERV':
      case 'RMV-SERV': {
        const line = this.line(p);
        for (const s of servicesOf(need(p, 'SERV')))
          if (verb === 'ADD-SERV') line.services.add(s);
          else line.services.delete(s);
        return { DN: line.dn, SERV: [...line.services].sort().join('&') };
      }
      case 'SET-BAR': {
        const line = this.line(p);
        line.barring = barringOf(need(p, 'CLASS'));
        return { DN: line.dn, BAR: line.barring };
      }
      case 'SET-TMPAUTH': {
        const line = this.line(p);
        const cls = barringOf(need(p, 'CLASS'));
        const until = need(p, 'UNTIL');
        if (!TIME_PATTERN.test(until) || Number.isNaN(fromCompactTime(until).getTime()))
          throw new Denied('BADPAR', `UNTIL "${until}" is not a time like 20260131T235959Z`);
        line.tmpBarring = cls;
        line.tmpUntil = fromCompactTime(until);
        return { DN: line.dn, TMPBAR: cls, TMPUNTIL: until };
      }
      case 'RMV-TMPAUTH': {
        const line = this.line(p);
        line.tmpBarring = null;
        line.tmpUntil = null;
        return { DN: line.dn, BAR: line.barring };
      }
      case 'BLK-LINE':
      case 'UBLK-LINE': {
        const line = this.line(p);
        line.blocked = verb === 'BLK-LINE';
        return { DN: line.dn, STATUS: this.status(line) };
      }
      case 'SET-MAINT': {
        const line = this.line(p);
        const state = need(p, 'STATE').toUpperCase();
        if (state !== 'OOS' && state !== 'IS') throw new Denied('BADPAR', 'STATE is OOS or IS');
        line.outOfService = state === 'OOS';
        return { DN: line.dn, STATUS: this.status(line) };
      }
      case 'DSP-LINE':
        return this.display(this.line(p));
      case 'DSP-METER': {
        const line = this.line(p);
        return { DN: line.dn, METER: String(line.meter) };
      }
      case 'LST-LINE': {
        // the numbers on the switch in order, a page at a time (an audit's listing)
        const from = p.FROM ?? '';
        const count = Number(p.COUNT ?? '500');
        if (!Number.isInteger(count) || count < 1 || count > 1000)
          throw new Denied('BADPAR', 'COUNT is 1..1000');
        const sorted = this.sortedNumbers();
        let lo = 0;
        let hi = sorted.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (sorted[mid]! <= from) lo = mid + 1;
          else hi = mid;
        }
        const page = sorted.slice(lo, lo + count);
        const detail = p.DETAIL ?? 'NO';
        if (detail !== 'YES' && detail !== 'NO') throw new Denied('BADPAR', 'DETAIL is YES or NO');
        if (detail === 'YES' && !this.listingDetail) throw new Denied('BADPAR', 'unknown parameter DETAIL');
        return {
          COUNT: String(page.length),
          // with DETAIL=YES each line as DN/EN/STATUS/BAR/SERV (services joined with +): what an
          // audit compares, without a DSP-LINE per line
          ...(detail === 'YES'
            ? {
                LINE: page
                  .map((dn) => {
                    const l = this.lines.get(dn)!;
                    return [dn, l.en, this.status(l), l.barring, [...l.services].sort().join('+')].join('/');
                  })
                  .join('&'),
              }
            : { DN: page.join('&') }),
          ...(lo + count < sorted.length ? { NEXT: page[page.length - 1]! } : {}),
        };
      }
      case 'SIM-CALL': {
        const line = this.line(p);
        const units = Number(p.UNITS ?? '1');
        const secs = Number(p.SECS ?? '0');
        if (!Number.isInteger(units) || units < 0 || units > 100000)
          throw new Denied('BADPAR', 'UNITS is 0..100000');
        if (!Number.isFinite(secs) || secs < 0 || secs > 86400)
          throw new Denied('BADPAR', 'SECS is 0..86400');
        const status = this.status(line);
        if (status !== 'IDLE') throw new Denied('STATE', `line ${line.dn} is ${status}`);
        const effective = this.effectiveBarring(line);
        if (effective === 'OUTG' || effective === 'ALL')
          throw new Denied('STATE', `line ${line.dn} is barred for outgoing calls (${effective})`);
        this.call(line, units, secs);
        return { DN: line.dn, METER: String(line.meter) };
      }
      default:
        throw new Denied('UNKCMD', `unknown command ${verb}`);
    }
  }

  /** The class in force: a temporary authorisation overrides the permanent class until it ends. */
  effectiveBarring(line: SimLine, now = Date.now()): BarringClass {
    return line.tmpBarring && line.tmpUntil && line.tmpUntil.getTime() > now ? line.tmpBarring : line.barring;
  }

  private display(line: SimLine): Params {
    return {
      DN: line.dn,
      EN: line.en,
      CAT: line.category,
      STATUS: this.status(line),
      BAR: line.barring,
      ...(line.tmpBarring && line.tmpUntil
        ? { TMPBAR: line.tmpBarring, TMPUNTIL: toCompactTime(line.tmpUntil) }
        : {}),
      EFFBAR: this.effectiveBarring(line),
      SERV: [...line.services].sort().join('&'),
      METER: String(line.meter),
    };
  }

  private call(line: SimLine, units: number, secs: number): void {
    this.dirty = true;
    line.meter += units;
    line.busyUntil = Date.now() + secs * 1000;
  }

  private randomCall(): void {
    const idle = [...this.lines.values()].filter((l) => this.status(l) === 'IDLE');
    const line = idle[Math.floor(Math.random() * idle.length)];
    if (line) this.call(line, 1 + Math.floor(Math.random() * 5), 1 + Math.floor(Math.random() * 20));
  }

  private line(p: Params): SimLine {
    const dn = dnOf(p);
    const line = this.lines.get(dn);
    if (!line) throw new Denied('DNUNK', `no line with directory number ${dn}`);
    return line;
  }
}

function need(p: Params, key: string): string {
  const v = p[key];
  if (v === undefined || v === '') throw new Denied('MISSPAR', `${key} is missing`);
  return v;
}

function dnOf(p: Params): string {
  const dn = need(p, 'DN');
  if (!DN_PATTERN.test(dn)) throw new Denied('BADPAR', `DN "${dn}" is not 4 to 15 digits`);
  return dn;
}

function servicesOf(v: string | undefined): string[] {
  if (!v) return [];
  const list = v.toUpperCase().split('&');
  for (const s of list)
    if (!(SERVICES as readonly string[]).includes(s)) throw new Denied('BADPAR', `unknown service ${s}`);
  return list;
}

function barringOf(v: string): BarringClass {
  const c = v.toUpperCase();
  if (!(BARRING_CLASSES as readonly string[]).includes(c))
    throw new Denied('BADPAR', `unknown barring class ${v} (${BARRING_CLASSES.join(', ')})`);
  return c as BarringClass;
}
