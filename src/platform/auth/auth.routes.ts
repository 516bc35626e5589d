import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db.js';
import { principalOf, SESSION_COOKIE, tokenOf } from '../http/auth-hook.js';
import { actorOf, createUser, type AuthService } from './auth.service.js';
import * as repo from './auth.repository.js';
import { RIGHTS } from './rights.js';

const Login = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 100 }),
    password: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

const UserCreate = Type.Object(
  {
    username: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{1,40}$' }),
    displayName: Type.String({ minLength: 1, maxLength: 100 }),
    password: Type.String({ minLength: 8, maxLength: 200 }),
    roles: Type.Array(Type.String({ maxLength: 41 }), { maxItems: 20 }),
    actors: Type.Optional(Type.Array(Type.String({ maxLength: 41 }), { maxItems: 20 })),
    zone: Type.Optional(Type.String({ maxLength: 50 })),
    skills: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 20 })),
  },
  { additionalProperties: false },
);

function me(p: ReturnType<typeof principalOf>) {
  return {
    id: p.userId,
    username: p.username,
    displayName: p.displayName,
    roles: p.roles,
    actors: p.actors,
    rights: [...p.rights].sort(),
  };
}

export function registerAuthRoutes(app: FastifyInstance, db: Db, auth: AuthService): void {
  app.post(
    '/api/v1/auth/login',
    { config: { public: true }, schema: { tags: ['auth'], body: Login } },
    async (req, reply) => {
      const { username, password } = req.body as { username: string; password: string };
      const session = await auth.login(username, password);
      // The cookie is for the web UI; integrations use the token as a Bearer header.
      reply.header(
        'set-cookie',
        `${SESSION_COOKIE}=${session.token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${12 * 3600}`,
      );
      return { token: session.token, expiresAt: session.expiresAt.toISOString() };
    },
  );
  app.post(
    '/api/v1/auth/logout',
    { config: { authenticated: true }, schema: { tags: ['auth'] } },
    async (req, reply) => {
      const token = tokenOf(req);
      if (token) await auth.logout(token);
      reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
      return reply.status(204).send();
    },
  );
  app.get('/api/v1/auth/me', { config: { authenticated: true }, schema: { tags: ['auth'] } }, async (req) =>
    me(principalOf(req)),
  );
  app.post(
    '/api/v1/auth/tokens',
    {
      config: { authenticated: true },
      schema: {
        tags: ['auth'],
        description: 'A long-lived API token for an integration, acting with the rights of the calling user',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const body = req.body as { name: string; expiresAt?: string };
      const p = principalOf(req);
      const t = await auth.createApiToken(
        { ...actorOf(p), userId: p.userId },
        body.name,
        body.expiresAt ? new Date(body.expiresAt) : null,
      );
      return reply.status(201).send(t);
    },
  );

  app.get('/api/v1/rights', { config: { right: 'user:admin' }, schema: { tags: ['admin'] } }, async () =>
    Object.entries(RIGHTS).map(([code, description]) => ({ code, description })),
  );
  app.get('/api/v1/roles', { config: { right: 'user:admin' }, schema: { tags: ['admin'] } }, async () =>
    repo.listRoles(db),
  );
  app.get('/api/v1/actors', { config: { authenticated: true }, schema: { tags: ['admin'] } }, async () =>
    repo.listActors(db),
  );
  app.get('/api/v1/users', { config: { right: 'user:admin' }, schema: { tags: ['admin'] } }, async () =>
    (await repo.listUsers(db)).map((u) => ({
      id: u.user_id,
      username: u.username,
      displayName: u.display_name,
      roles: u.roles,
      actors: u.actors,
      active: u.active,
      zone: u.zone,
      skills: u.skills,
    })),
  );
  app.post(
    '/api/v1/users',
    { config: { right: 'user:admin' }, schema: { tags: ['admin'], body: UserCreate } },
    async (req, reply) => {
      const body = req.body as {
        username: string;
        displayName: string;
        password: string;
        roles: string[];
        actors?: string[];
        zone?: string;
        skills?: string[];
      };
      const id = await db
        .transaction()
        .execute((trx) => createUser(trx, { ...body, actors: body.actors ?? [] }, actorOf(principalOf(req))));
      return reply.status(201).send({ id, username: body.username });
    },
  );
}
