import { DomainError, type ErrorKind } from '../../platform/errors.js';

export type RequestErrorCode =
  | 'request.not_found'
  | 'request.invalid'
  | 'request.state'
  | 'request.amount'
  | 'request.reserved'
  | 'document.not_found';

export class RequestError extends DomainError {
  constructor(kind: ErrorKind, code: RequestErrorCode, message: string, field?: string) {
    super(kind, code, message, field);
  }
}
