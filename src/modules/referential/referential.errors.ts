import { DomainError, type ErrorKind } from '../../platform/errors.js';

export type ReferentialErrorCode =
  | 'category.not_found'
  | 'category.invalid'
  | 'customer.not_found'
  | 'customer.invalid'
  | 'customer.stale'
  | 'payer.not_found'
  | 'payer.invalid'
  | 'payer.closed'
  | 'user.not_found'
  | 'product.not_found'
  | 'product.invalid'
  | 'subscription.not_found'
  | 'subscription.invalid'
  | 'subscription.transition'
  | 'blacklist.not_found'
  | 'blacklist.invalid'
  | 'blacklist.lifted';

export class ReferentialError extends DomainError {
  constructor(kind: ErrorKind, code: ReferentialErrorCode, message: string, field?: string) {
    super(kind, code, message, field);
  }
}

export const refInvalid = (code: ReferentialErrorCode, field: string, message: string) =>
  new ReferentialError('invalid', code, message, field);

export const refNotFound = (code: ReferentialErrorCode, what: string, ref: string | number) =>
  new ReferentialError('not_found', code, `${what} ${ref} does not exist`);
