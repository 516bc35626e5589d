import { DomainError, type ErrorKind } from '../../platform/errors.js';

export type RequestErrorCode =
  | 'request.not_found'
  | 'request.invalid'
  | 'request.state'
  | 'request.activation_in_progress'
  | 'request.amount'
  | 'request.reserved'
  | 'document.not_found';

export class RequestError extends DomainError {
  constructor(
    kind: ErrorKind,
    code: RequestErrorCode,
    message: string,
    field?: string,
    details?: Record<string, unknown>,
  ) {
    super(kind, code, message, field, details);
  }
}
