import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService, Principal } from '../auth/auth.service.js';
import { hasRight } from '../auth/rights.js';
import { DomainError } from '../errors.js';

export const SESSION_COOKIE = 'gpto_session';

export function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim() || undefined;
  // The web UI may keep its session in a cookie instead of a header.
  const cookie = request.headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === SESSION_COOKIE) return decodeURIComponent(v.join('='));
    }
  }
  return undefined;
}

/** The principal of an authenticated route; routes call this instead of trusting an optional field. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new DomainError('unauthenticated', 'auth.required', 'log in first');
  return request.principal;
}

/**
 * Checks every route's declared right before its body is even parsed, so an unauthorised caller
 * learns nothing from validation messages. A route that declares neither a right nor `public` is
 * refused: forgetting to declare a right fails closed. A callback hook: a token whose principal is
 * cached (nearly every request) is checked without a promise; otherwise `authenticate` is awaited.
 */
export function registerAuthHook(app: FastifyInstance, auth: AuthService): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const config = request.routeOptions.config;
    if (!request.routeOptions.url) return done(); // 404s fall through to the not-found handler
    if (config.public) return done();
    // The browsable API page is a plugin's routes: static and public like the OpenAPI document.
    if (request.routeOptions.url.startsWith('/api/docs')) return done();
    const token = tokenOf(request);
    if (!token)
      return done(
        new DomainError('unauthenticated', 'auth.required', 'an Authorization: Bearer token is required'),
      );
    const cached = auth.cachedPrincipal(token);
    if (cached) return done(admit(request, cached));
    auth.authenticate(token).then(
      (principal) =>
        done(
          principal
            ? admit(request, principal)
            : new DomainError(
                'unauthenticated',
                'auth.invalid_token',
                'the token is unknown, expired or revoked',
              ),
        ),
      (err: Error) => done(err),
    );
  });
}

/** Sets the request's principal; the error refusing the route to it, if any. */
function admit(request: FastifyRequest, principal: Principal): DomainError | undefined {
  const config = request.routeOptions.config;
  request.principal = principal;
  if (config.authenticated) return undefined;
  if (!config.right) {
    return new DomainError('forbidden', 'auth.undeclared', 'this route declares no right and is closed');
  }
  if (!hasRight(principal.rights, config.right)) {
    return new DomainError('forbidden', 'auth.forbidden', `the right "${config.right}" is required`);
  }
  return undefined;
}
