import { DomainError, type ErrorKind } from '../../platform/errors.js';

export type AssistanceErrorCode =
  | 'line.not_found'
  | 'fault.not_found'
  | 'fault.invalid'
  | 'fault.state'
  | 'incident.not_found'
  | 'incident.invalid'
  | 'incident.state'
  | 'complaint.not_found'
  | 'complaint.invalid'
  | 'complaint.state'
  | 'rebate.not_found'
  | 'rebate.invalid'
  | 'rebate.state'
  | 'rebate.forbidden'
  | 'work_order.not_found'
  | 'work_order.state'
  | 'work_order.invalid'
  | 'line_status.unavailable'
  | 'line_status.no_meter';

export class AssistanceError extends DomainError {
  constructor(kind: ErrorKind, code: AssistanceErrorCode, message: string, field?: string) {
    super(kind, code, message, field);
    this.name = 'AssistanceError';
  }
}

export const asstNotFound = (code: AssistanceErrorCode, what: string, ref: string | number) =>
  new AssistanceError('not_found', code, `${what} ${ref} does not exist`);
export const asstInvalid = (code: AssistanceErrorCode, field: string, message: string) =>
  new AssistanceError('invalid', code, message, field);
export const asstConflict = (code: AssistanceErrorCode, message: string, field?: string) =>
  new AssistanceError('conflict', code, message, field);
