import { DomainError, type ErrorKind } from '../../platform/errors.js';

export type ActivationErrorCode =
  | 'activation.element_not_found'
  | 'activation.element_invalid'
  | 'activation.element_unavailable'
  | 'activation.element_disabled'
  | 'activation.order_not_found'
  | 'activation.order_invalid'
  | 'activation.operation_unknown'
  | 'activation.not_replayable'
  | 'activation.not_dismissable'
  | 'activation.already_replayed'
  | 'activation.request_step'
  | 'activation.refused'
  | 'activation.line_not_on_element'
  | 'activation.exchange_change'
  | 'activation.export_too_large'
  | 'activation.secret_key'
  | 'activation.audit_running'
  | 'activation.audit_not_found'
  | 'activation.audit_not_removable'
  | 'activation.audit_stale'
  | 'activation.audit_line_busy';

export class ActivationError extends DomainError {
  constructor(
    kind: ErrorKind,
    code: ActivationErrorCode,
    message: string,
    field?: string,
    details?: Record<string, unknown>,
  ) {
    super(kind, code, message, field, details);
  }
}

export const actNotFound = (code: ActivationErrorCode, what: string, ref: string | number) =>
  new ActivationError('not_found', code, `${what} ${ref} does not exist`);

export const actInvalid = (code: ActivationErrorCode, field: string, message: string) =>
  new ActivationError('invalid', code, message, field);
