import {
  ElementRefusal,
  TransportError,
  type ElementKind,
  type Link,
  type SendOptions,
  type Session,
} from './drivers/driver.js';
import { HlrLink } from './drivers/hlr.driver.js';
import { SwitchLink } from './drivers/switch.driver.js';
import type { CommandOutcome } from './activation.tables.js';

/**
 * The element manager: for each network element a pool of connections, a throttle (commands per
 * second), ordered execution per line, retries with back-off on transport errors and a circuit
 * breaker. When an element is down its requests wait — none is lost or failed — and proceed when a
 * probe finds it back. A refusal is not retried: it goes back to the caller with the element's message.
 */

export interface ElementConfig {
  code: string;
  kind: ElementKind;
  host: string;
  port: number;
  username?: string | null;
  password?: string | null;
  ratePerSecond: number;
  poolSize: number;
  /**
   * Operations in flight at once on one connection (1 = one after the other). Both protocols
   * correlate replies (CTRL ids, MML tags), so commands of different lines may be pipelined.
   */
  pipeline?: number;
  timeoutMs: number;
}

/** Who a command is for: lands in the journal with it. */
export interface CommandContext {
  lineId: string | null;
  orderId?: number | null;
  instanceId?: number | null;
  taskId?: number | null;
  attempt?: number;
}

export interface JournalEntry extends CommandContext {
  elementCode: string;
  command: string;
  reply: string | null;
  outcome: CommandOutcome;
  sentAt: Date;
  durationMs: number;
}

export type CircuitState = 'closed' | 'open';

export interface ElementHealth {
  code: string;
  kind: ElementKind;
  circuit: CircuitState;
  openedAt: string | null;
  lastError: string | null;
  /** When the last error happened: a closed circuit's error is history, shown as such. */
  lastErrorAt: string | null;
  consecutiveFailures: number;
  connections: number;
  busyConnections: number;
  /** Operations on the element's connections now (at most pool size × pipeline). */
  inFlight: number;
  /** Operations waiting for a connection slot (pool and pipelines full). */
  queued: number;
  waiting: number;
  commandsSent: number;
  refusals: number;
  transportErrors: number;
  meanLatencyMs: number | null;
  ratePerSecond: number;
}

export interface ManagerOptions {
  journal?: (e: JournalEntry) => void;
  /** Consecutive transport failures that open the circuit. */
  failureThreshold?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Delay between probes while the circuit is open. */
  probeMs?: number;
  /** For tests: how links are made (default: by element kind). */
  linkFactory?: (cfg: ElementConfig) => Link;
  /**
   * The circuit opened (the element unreachable, with the transport error) or closed again (a
   * probe found it back; `since` is when it had opened).
   */
  onCircuit?: (code: string, state: CircuitState, error: string | null, since: Date | null) => void;
}

/** The manager's settings as its elements see them. */
type ElementOptions = Required<Omit<ManagerOptions, 'journal' | 'linkFactory' | 'onCircuit'>> &
  Pick<ManagerOptions, 'onCircuit'> & { parkListeners: (() => void)[] };

export class ShutdownError extends Error {
  constructor() {
    super('the element manager is shutting down');
    this.name = 'ShutdownError';
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function defaultLink(cfg: ElementConfig): Link {
  switch (cfg.kind) {
    case 'osmo_hlr':
      return new HlrLink({ host: cfg.host, port: cfg.port, timeoutMs: cfg.timeoutMs });
    case 'mml_switch':
      return new SwitchLink({
        host: cfg.host,
        port: cfg.port,
        user: cfg.username ?? 'gpto',
        password: cfg.password ?? '',
        timeoutMs: cfg.timeoutMs,
      });
  }
}

class Element {
  readonly links: Link[] = [];
  /** Operations running on each open link. */
  private readonly load = new Map<Link, number>();
  private readonly linkWaiters: ((l: Link) => void)[] = [];
  private readonly circuitWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  readonly lineTails = new Map<string, Promise<void>>();
  private nextSlot = 0;
  circuit: CircuitState = 'closed';
  openedAt: Date | null = null;
  lastError: string | null = null;
  lastErrorAt: Date | null = null;
  consecutiveFailures = 0;
  sent = 0;
  refusals = 0;
  transportErrors = 0;
  latencyTotal = 0;
  waiting = 0;
  private probing = false;
  closed = false;
  /** Its owner is stopping: operations no longer wait for the element to come back. */
  private abandoning = false;

  /** Links with at least one operation on them. */
  get busy(): number {
    let n = 0;
    for (const l of this.links) if ((this.load.get(l) ?? 0) > 0) n++;
    return n;
  }

  /** Operations running on the open links. */
  get inFlight(): number {
    let n = 0;
    for (const v of this.load.values()) n += v;
    return n;
  }

  get queued(): number {
    return this.linkWaiters.length;
  }

  private get depth(): number {
    return Math.max(1, this.cfg.pipeline ?? 1);
  }

  constructor(
    public cfg: ElementConfig,
    private readonly opts: ElementOptions,
    private readonly makeLink: (cfg: ElementConfig) => Link,
  ) {}

  /**
   * A link for one operation: an idle one, else a new one while the pool has room, else the least
   * busy one with room in its pipeline, else the caller waits for a release.
   */
  async acquire(): Promise<Link> {
    let best: Link | null = null;
    let bestLoad = Infinity;
    for (const l of this.links) {
      const n = this.load.get(l) ?? 0;
      if (n < bestLoad) {
        best = l;
        bestLoad = n;
      }
    }
    if ((best === null || bestLoad > 0) && this.links.length < this.cfg.poolSize) {
      const link = this.makeLink(this.cfg);
      this.links.push(link);
      this.load.set(link, 1);
      return link;
    }
    if (best !== null && bestLoad < this.depth) {
      this.load.set(best, bestLoad + 1);
      return best;
    }
    return new Promise<Link>((resolve) => this.linkWaiters.push(resolve));
  }

  release(link: Link): void {
    if (!this.load.has(link)) return; // discarded meanwhile
    const w = this.linkWaiters.shift();
    if (w) w(link);
    else this.load.set(link, (this.load.get(link) ?? 1) - 1);
  }

  /** Waits for the element's next command slot: `ratePerSecond` evenly spaced slots a second. */
  async throttle(): Promise<void> {
    if (this.cfg.ratePerSecond <= 0) return;
    const now = Date.now();
    const at = Math.max(now, this.nextSlot);
    this.nextSlot = at + 1000 / this.cfg.ratePerSecond;
    if (at > now) await sleep(at - now);
  }

  /** Resolves at once while the circuit is closed; while it is open, when a probe finds the element back. */
  async whenClosed(): Promise<void> {
    if (this.closed) throw new ShutdownError();
    if (this.circuit === 'closed') return;
    if (this.abandoning) throw new ShutdownError();
    this.waiting++;
    for (const fn of this.opts.parkListeners) fn();
    try {
      await new Promise<void>((resolve, reject) => this.circuitWaiters.push({ resolve, reject }));
    } finally {
      this.waiting--;
    }
  }

  success(): void {
    this.consecutiveFailures = 0;
  }

  failure(err: Error): void {
    this.transportErrors++;
    this.consecutiveFailures++;
    this.noteError(err.message);
    if (this.consecutiveFailures >= this.opts.failureThreshold) this.open(err.message);
  }

  private noteError(message: string): void {
    this.lastError = message;
    this.lastErrorAt = new Date();
  }

  /** Opens the circuit (operations wait) and probes until the element is back. */
  open(error: string): void {
    if (this.circuit === 'open' || this.closed) return;
    this.noteError(error);
    this.circuit = 'open';
    this.openedAt = new Date();
    this.opts.onCircuit?.(this.cfg.code, 'open', error, this.openedAt);
    void this.probeLoop();
  }

  /** A harmless exchange on a connection of its own (the pool is not touched); its duration in ms. */
  async probeOnce(): Promise<number> {
    const link = this.makeLink(this.cfg);
    const t0 = performance.now();
    try {
      await link.probe();
      return performance.now() - t0;
    } finally {
      link.close();
    }
  }

  private async probeLoop(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    let delay = this.opts.probeMs;
    while (this.circuit === 'open' && !this.closed) {
      await sleep(delay);
      if (this.closed) break;
      try {
        await this.probeOnce();
        const since = this.openedAt;
        this.circuit = 'closed';
        this.openedAt = null;
        this.consecutiveFailures = 0;
        this.opts.onCircuit?.(this.cfg.code, 'closed', null, since);
        for (const w of this.circuitWaiters.splice(0)) w.resolve();
      } catch (err) {
        this.noteError((err as Error).message);
        delay = Math.min(delay * 2, this.opts.retryMaxMs);
      }
    }
    this.probing = false;
  }

  /** Operations waiting for the element to come back give up (ShutdownError); `on = false` undoes it. */
  abandon(on: boolean): void {
    this.abandoning = on;
    if (on) for (const w of this.circuitWaiters.splice(0)) w.reject(new ShutdownError());
  }

  shutdown(): void {
    this.closed = true;
    for (const w of this.circuitWaiters.splice(0)) w.reject(new ShutdownError());
    for (const l of this.links) l.close();
    this.links.length = 0;
    this.load.clear();
  }

  /** A link that failed may hold a half-read stream: drop it and let the pool open a fresh one. */
  discard(link: Link): void {
    link.close();
    const i = this.links.indexOf(link);
    if (i >= 0) this.links.splice(i, 1);
    this.load.delete(link);
    const w = this.linkWaiters.shift();
    if (w) void this.acquire().then(w);
  }
}

export class ElementManager {
  private readonly elements = new Map<string, Element>();
  /** Elements an administrator disabled: operations on them are refused as such. */
  private readonly disabledCodes = new Set<string>();
  private readonly opts: ElementOptions;

  constructor(private readonly options: ManagerOptions = {}) {
    this.opts = {
      failureThreshold: options.failureThreshold ?? 3,
      retryBaseMs: options.retryBaseMs ?? 100,
      retryMaxMs: options.retryMaxMs ?? 5000,
      probeMs: options.probeMs ?? 250,
      ...(options.onCircuit ? { onCircuit: options.onCircuit } : {}),
      parkListeners: [],
    };
  }

  /**
   * Calls `fn` each time an operation starts waiting behind an open circuit: it no longer counts
   * among the automaton's orders in flight (`parked`), so the automaton may have room again.
   */
  onPark(fn: () => void): void {
    this.opts.parkListeners.push(fn);
  }

  /** Adds an element or updates its settings (pool, rate, address take effect for new connections). */
  configure(cfg: ElementConfig): void {
    this.disabledCodes.delete(cfg.code);
    const el = this.elements.get(cfg.code);
    if (el) {
      const moved = el.cfg.host !== cfg.host || el.cfg.port !== cfg.port || el.cfg.kind !== cfg.kind;
      el.cfg = cfg;
      if (moved) for (const l of [...el.links]) el.discard(l);
      return;
    }
    this.elements.set(cfg.code, new Element(cfg, this.opts, this.options.linkFactory ?? defaultLink));
  }

  /**
   * Takes a disabled element out: its connections are closed, operations waiting for it give up
   * (their orders keep their lease and are refused as `element_disabled` when taken again), and
   * new operations on it are refused at once.
   */
  disable(code: string): void {
    this.disabledCodes.add(code);
    const el = this.elements.get(code);
    if (!el) return;
    this.elements.delete(code);
    el.shutdown();
  }

  /** The configured elements' codes. */
  codes(): IterableIterator<string> {
    return this.elements.keys();
  }

  has(code: string): boolean {
    return this.elements.has(code);
  }

  /**
   * Operations waiting for an unreachable element to come back (its circuit open). They hold no
   * connection: the automaton does not count them against its orders in flight, so that one element
   * down does not hold up the others.
   */
  parked(): number {
    let n = 0;
    for (const el of this.elements.values()) n += el.waiting;
    return n;
  }

  /** The elements whose circuit is open: a claim leaves their orders pending until they are back. */
  down(): string[] {
    const out: string[] = [];
    for (const el of this.elements.values()) if (el.circuit === 'open') out.push(el.cfg.code);
    return out;
  }

  /** Whether the element is configured and its circuit closed: an order given now would run now. */
  ready(code: string): boolean {
    const el = this.elements.get(code);
    return el !== undefined && !el.closed && el.circuit === 'closed';
  }

  kindOf(code: string): ElementKind | undefined {
    return this.elements.get(code)?.cfg.kind;
  }

  /**
   * Runs one operation on an element for a line: after the line's earlier operations (same
   * `lineKey`), through a pooled connection, each command throttled and journaled. Transport errors
   * re-run the whole operation (operations are idempotent) with back-off, waiting while the
   * element's circuit is open; a refusal is thrown to the caller.
   */
  async run<T>(
    code: string,
    lineKey: string | null,
    ctx: CommandContext,
    op: (s: Session) => Promise<T>,
  ): Promise<T> {
    const el = this.elements.get(code);
    if (!el)
      throw this.disabledCodes.has(code)
        ? new ElementRefusal(`network element ${code} is disabled`, 'element_disabled')
        : new ElementRefusal(`unknown network element ${code}`, 'unknown_element');
    if (lineKey === null) return this.attempts(el, ctx, op);
    const key = lineKey;
    const prev = el.lineTails.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((r) => (done = r));
    const tail = prev.then(() => mine);
    el.lineTails.set(key, tail);
    await prev;
    try {
      return await this.attempts(el, ctx, op);
    } finally {
      done();
      if (el.lineTails.get(key) === tail) el.lineTails.delete(key);
    }
  }

  private async attempts<T>(el: Element, ctx: CommandContext, op: (s: Session) => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      await el.whenClosed();
      const link = await el.acquire();
      let broken = false;
      try {
        const result = await op(this.session(el, link, { ...ctx, attempt: (ctx.attempt ?? 1) + n - 1 }));
        el.success();
        return result;
      } catch (err) {
        if (!(err instanceof TransportError) || el.closed) throw err;
        broken = true;
        el.failure(err);
        if (el.circuit === 'closed')
          await sleep(Math.min(this.opts.retryBaseMs * 2 ** (n - 1), this.opts.retryMaxMs));
      } finally {
        if (broken) el.discard(link);
        else el.release(link);
      }
    }
  }

  private session(el: Element, link: Link, ctx: CommandContext): Session {
    const journal = this.options.journal;
    return {
      send: async (command: string, opts: SendOptions = {}) => {
        await el.throttle();
        const sentAt = new Date();
        const t0 = performance.now();
        const entry = (outcome: CommandOutcome, reply: string | null): JournalEntry => ({
          ...ctx,
          elementCode: el.cfg.code,
          command: opts.shown ?? command,
          reply:
            opts.hideReply && outcome === 'ok' ? `<${reply?.split('\n').length ?? 0} lines hidden>` : reply,
          outcome,
          sentAt,
          durationMs: performance.now() - t0,
        });
        try {
          const reply = await link.send(command);
          el.sent++;
          el.latencyTotal += performance.now() - t0;
          journal?.(entry('ok', reply));
          return reply;
        } catch (err) {
          if (err instanceof ElementRefusal) {
            el.sent++;
            el.latencyTotal += performance.now() - t0;
            const absent = opts.absent?.(err) ?? false;
            if (!absent) el.refusals++;
            journal?.(entry(absent ? 'ok' : 'refused', err.message));
          } else journal?.(entry('transport_error', (err as Error).message));
          throw err;
        }
      },
    };
  }

  /**
   * A probe of its own (a new connection and a harmless exchange, as the circuit breaker's), from
   * this process: whether the element answers and how fast. The pool is not touched.
   */
  async probe(code: string): Promise<{ ms: number }> {
    const el = this.elements.get(code);
    if (!el) throw new ElementRefusal(`unknown network element ${code}`, 'unknown_element');
    return { ms: await el.probeOnce() };
  }

  /**
   * The element is known to be unreachable (a probe failed): its circuit opens now, so that its
   * operations wait for it instead of each failing its retries first, and probes look for it.
   */
  markUnreachable(code: string, error: string): void {
    this.elements.get(code)?.open(error);
  }

  /**
   * The automaton is stopping: operations waiting behind an open circuit give up with a
   * ShutdownError (their orders keep their lease and are taken over later) instead of holding the
   * stop until the element comes back. Operations on reachable elements run to their end.
   */
  abandonWaiting(): void {
    for (const el of this.elements.values()) el.abandon(true);
  }

  /** Operations wait for unreachable elements again (the automaton started). */
  resumeWaiting(): void {
    for (const el of this.elements.values()) el.abandon(false);
  }

  health(): ElementHealth[] {
    return [...this.elements.values()].map((el) => ({
      code: el.cfg.code,
      kind: el.cfg.kind,
      circuit: el.circuit,
      openedAt: el.openedAt?.toISOString() ?? null,
      lastError: el.lastError,
      lastErrorAt: el.lastErrorAt?.toISOString() ?? null,
      consecutiveFailures: el.consecutiveFailures,
      connections: el.links.length,
      busyConnections: el.busy,
      inFlight: el.inFlight,
      queued: el.queued,
      waiting: el.waiting,
      commandsSent: el.sent,
      refusals: el.refusals,
      transportErrors: el.transportErrors,
      meanLatencyMs: el.sent ? Math.round((el.latencyTotal / el.sent) * 100) / 100 : null,
      ratePerSecond: el.cfg.ratePerSecond,
    }));
  }

  close(): void {
    for (const el of this.elements.values()) el.shutdown();
    this.elements.clear();
  }
}
