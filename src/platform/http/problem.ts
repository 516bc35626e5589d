import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, assertNever, type ErrorKind } from '../errors.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  field?: string;
  details?: Record<string, unknown>;
  instance?: string;
}

export function statusOf(kind: ErrorKind): number {
  switch (kind) {
    case 'invalid':
      return 400;
    case 'unauthenticated':
      return 401;
    case 'forbidden':
      return 403;
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'rule':
      return 422;
    case 'unavailable':
      return 503;
    default:
      return assertNever(kind);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function problem(
  status: number,
  code: string,
  detail: string,
  field?: string,
  details?: Record<string, unknown>,
): Problem {
  return {
    type: `https://gpto.dev/problems/${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(field ? { field } : {}),
    ...(details ? { details } : {}),
  };
}

interface PgError {
  code?: string;
  constraint?: string;
  column?: string;
  detail?: string;
}

/** `/address/locality` or `body must have required property 'x'` → `address.locality` / `x`. */
function fieldOfValidation(err: FastifyError): string | undefined {
  const v = err.validation?.[0];
  if (!v) return undefined;
  const missing = (v.params as { missingProperty?: string } | undefined)?.missingProperty;
  const extra = (v.params as { additionalProperty?: string } | undefined)?.additionalProperty;
  const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const leaf = missing ?? extra;
  if (leaf) return path ? `${path}.${leaf}` : leaf;
  return path || undefined;
}

/**
 * The values a field accepts when its schema is a list of them: a union of literals fails as one
 * "must be equal to constant" per branch (Ajv reports every branch of the `anyOf`), an enum with
 * its `allowedValues`. Empty when the field is not such a list.
 */
function allowedValues(errors: NonNullable<FastifyError['validation']>, path: string): string[] {
  const out: string[] = [];
  for (const e of errors) {
    if (e.instancePath !== path) continue;
    const p = e.params as { allowedValue?: unknown; allowedValues?: unknown[] } | undefined;
    if (e.keyword === 'const' && p?.allowedValue !== undefined) out.push(String(p.allowedValue));
    else if (e.keyword === 'enum' && Array.isArray(p?.allowedValues))
      out.push(...p.allowedValues.map(String));
    else if (e.keyword !== 'anyOf') return [];
  }
  return [...new Set(out)];
}

/** Maps every error to RFC 9457 problem+json. Unknown errors are logged and become a bare 500. */
export function toProblem(err: unknown, request: FastifyRequest): Problem {
  if (err instanceof DomainError) {
    return problem(statusOf(err.kind), err.code, err.message, err.field, err.details);
  }
  const fe = err as FastifyError & PgError;
  if (fe.validation) {
    const field = fieldOfValidation(fe);
    const context = fe.validationContext ?? 'body';
    const v = fe.validation[0];
    const extra = (v?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
    const allowed = v ? allowedValues(fe.validation, v.instancePath) : [];
    const message = extra
      ? `${context}: unknown field "${field}"`
      : `${context}${field ? ` field "${field}"` : ''} ${
          allowed.length ? `must be one of ${allowed.join(', ')}` : (v?.message ?? 'is invalid')
        }`;
    return problem(400, 'request.invalid', message, field);
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(415, 'request.media_type', 'send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem(400, 'request.malformed', `the body is not valid JSON: ${fe.message}`);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return problem(414, 'request.uri_too_long', 'a path parameter is too long');
    case 'FST_ERR_BAD_URL':
      return problem(400, 'request.bad_url', 'the URL is malformed');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, 'request.too_large', 'the body is too large');
    // PostgreSQL refusals that slipped past validation are still the client's input, not our crash.
    case '23505':
      return problem(409, 'conflict.duplicate', `already exists (${fe.constraint ?? 'unique constraint'})`);
    case '23503':
      return problem(
        422,
        'rule.reference',
        `refers to something that does not exist (${fe.constraint ?? 'foreign key'})`,
      );
    case '23514':
    case '23502':
      return problem(
        400,
        'request.invalid',
        `a value is out of range (${fe.constraint ?? fe.column ?? 'check'})`,
        fe.column,
      );
    case '22P02':
    case '22007':
    case '22008':
    case '22003':
    case '22001':
    case '22023':
      return problem(400, 'request.invalid', `a value has the wrong format: ${fe.message}`);
    case '40001':
    case '40P01':
      return problem(409, 'conflict.concurrent', 'a concurrent change won; retry');
    default:
      break;
  }
  // Any other data exception (class 22: NUL bytes, bad encodings, out-of-range values) is bad input.
  if (typeof fe.code === 'string' && fe.code.startsWith('22')) {
    return problem(400, 'request.invalid', `a value is not acceptable: ${fe.message}`);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return problem(fe.statusCode, 'request.invalid', fe.message);
  }
  request.log.error({ err }, 'unhandled error');
  return problem(500, 'internal', 'an internal error occurred; it has been logged');
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.status(p.status).type('application/problem+json').send(p);
}
