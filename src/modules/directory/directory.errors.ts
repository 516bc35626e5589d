import { DomainError, type ErrorKind } from '../../platform/errors.js';

export type DirectoryErrorCode =
  | 'directory.invalid'
  | 'directory.listing_not_found'
  | 'directory.listing_invalid'
  | 'directory.listing_exists'
  | 'directory.listing_stale'
  | 'directory.heading_not_found'
  | 'directory.heading_invalid'
  | 'directory.import_invalid'
  | 'directory.import_rejected'
  | 'directory.search_invalid';

export class DirectoryError extends DomainError {
  constructor(
    kind: ErrorKind,
    code: DirectoryErrorCode,
    message: string,
    field?: string,
    details?: Record<string, unknown>,
  ) {
    super(kind, code, message, field, details);
  }
}

export const dirInvalid = (code: DirectoryErrorCode, field: string, message: string) =>
  new DirectoryError('invalid', code, message, field);

export const listingNotFound = (ref: string) =>
  new DirectoryError('not_found', 'directory.listing_not_found', `listing ${ref} does not exist`);
