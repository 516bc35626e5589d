/**
 * What every network-element driver shares: the two ways a command can fail, the link a driver
 * talks through, and the session the element manager hands to an operation.
 */

/** The element answered and refused: not retried; the order falls out with the element's message. */
export class ElementRefusal extends Error {
  constructor(
    message: string,
    /** The element's own error code, when it gives one (osmo-hlr: none usable; MML: `DNUNK`…). */
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'ElementRefusal';
  }
}

/** The conversation broke (refused or lost connection, timeout, garbled reply): retried with back-off. */
export class TransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransportError';
  }
}

/** One connection to one element, speaking its wire protocol; `send` takes and returns plain text. */
export interface Link {
  /** Sends one command (without correlation id: the link adds it) and returns the reply's value. */
  send(command: string): Promise<string>;
  /** A harmless exchange proving the element is up (the circuit breaker's probe). */
  probe(): Promise<void>;
  close(): void;
}

/** What an operation sees: commands go through the throttle and into the journal. */
export interface Session {
  send(command: string, opts?: SendOptions): Promise<string>;
  /**
   * The order's checkpoint (automaton sessions only): what an operation in several steps saved,
   * durably, before its destructive step, so that a re-run after a crash between the steps knows
   * what to rebuild. Absent on raw sessions.
   */
  checkpoint?: Checkpoint;
}

export interface Checkpoint {
  /** What an earlier run of this order saved, or null. */
  read(): Record<string, unknown> | null;
  /** Saves it in the database (committed when this resolves). */
  save(data: Record<string, unknown>): Promise<void>;
}

export interface SendOptions {
  /** What the journal keeps instead of the command (secrets masked). */
  shown?: string;
  /** The reply holds secrets (keys): the journal keeps only its size. */
  hideReply?: boolean;
  /**
   * A read whose refusal code says "no such line" (the answer to a status read of an absent line):
   * journaled as an answer (`ok`), not as the element refusing, and not counted as a refusal.
   * The driver still gets the refusal and turns it into `exists: false`.
   */
  absent?: (err: ElementRefusal) => boolean;
}

export type ElementKind = 'osmo_hlr' | 'mml_switch';
