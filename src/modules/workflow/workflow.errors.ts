import { DomainError, type ErrorKind } from '../../platform/errors.js';

export type WorkflowErrorCode =
  | 'scenario.not_found'
  | 'scenario.invalid'
  | 'scenario.no_transition'
  | 'instance.not_found'
  | 'instance.ended'
  | 'task.not_found'
  | 'task.not_claimable'
  | 'task.not_yours'
  | 'task.state'
  | 'task.outcome'
  | 'task.field'
  | 'task.actor'
  | 'agent.not_found';

export class WorkflowError extends DomainError {
  constructor(
    kind: ErrorKind,
    code: WorkflowErrorCode,
    message: string,
    field?: string,
    details?: Record<string, unknown>,
  ) {
    super(kind, code, message, field, details);
  }
}
