/**
 * The kinds of failure a domain can report. Modules throw their own coded errors carrying one of
 * these kinds; only `platform/http` turns a kind into a transport status, in one exhaustive switch.
 */
export type ErrorKind =
  | 'invalid' // the input is malformed or out of range (names a field)
  | 'not_found'
  | 'conflict' // the state forbids it now: duplicate, concurrent change, wrong status
  | 'rule' // well-formed but a business rule refuses it (blacklisted, deposit unpaid…)
  | 'unauthenticated'
  | 'forbidden'
  | 'unavailable'; // a dependency (database, network element) is down

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** Stable machine code, e.g. `customer.not_found`; clients may switch on it. */
    readonly code: string,
    message: string,
    /** The input field at fault, as a JSON pointer-ish path (`address.locality`). */
    readonly field?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function notFound(code: string, what: string, id: string | number): DomainError {
  return new DomainError('not_found', code, `${what} ${id} does not exist`);
}

export function invalid(code: string, field: string, message: string): DomainError {
  return new DomainError('invalid', code, message, field);
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
