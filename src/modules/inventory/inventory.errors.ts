import { DomainError, type ErrorKind } from '../../platform/errors.js';

export type InventoryErrorCode =
  | 'inventory.invalid'
  | 'inventory.not_found'
  | 'inventory.duplicate'
  | 'inventory.transition'
  | 'inventory.in_use'
  | 'number.not_found'
  | 'number.unavailable'
  | 'number.invalid'
  | 'sim.not_found'
  | 'sim.transition'
  | 'sim.invalid'
  | 'sim.secret_key'
  | 'reservation.not_found'
  | 'reservation.closed'
  | 'line.not_found'
  | 'import.rejected'
  | 'import.invalid';

export class InventoryError extends DomainError {
  constructor(
    kind: ErrorKind,
    code: InventoryErrorCode,
    message: string,
    field?: string,
    details?: Record<string, unknown>,
  ) {
    super(kind, code, message, field, details);
  }
}

export const invInvalid = (code: InventoryErrorCode, field: string, message: string) =>
  new InventoryError('invalid', code, message, field);

export const invNotFound = (code: InventoryErrorCode, what: string, ref: string | number, field?: string) =>
  new InventoryError('not_found', code, `${what} ${ref} does not exist`, field);

export const invConflict = (code: InventoryErrorCode, message: string, field?: string) =>
  new InventoryError('conflict', code, message, field);
