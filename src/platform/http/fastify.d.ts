import 'fastify';
import type { Principal } from '../auth/auth.service.js';
import type { Right } from '../auth/rights.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The right a route requires; every route declares one or says it is public. */
    right?: Right;
    /** Reachable without a token (login, health, docs). Any authenticated user when `authenticated`. */
    public?: boolean;
    /** Any logged-in user, whatever their rights (e.g. "who am I"). */
    authenticated?: boolean;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}
