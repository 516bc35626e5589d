import { createHash, randomBytes } from 'node:crypto';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import type { Db, Executor } from '../db.js';
import { DomainError, invalid } from '../errors.js';
import { appendEvent, type Actor } from '../events.js';
import * as repo from './auth.repository.js';
import { hasRight, type Right } from './rights.js';

export interface Principal {
  userId: number;
  username: string;
  displayName: string;
  rights: ReadonlySet<string>;
  roles: string[];
  actors: string[];
}

const SESSION_TTL_MS = 12 * 3600 * 1000; // one working day
const CACHE_TTL_MS = 10_000;
const CACHE_MAX = 5_000;

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: Algorithm.Argon2id });
}

function toPrincipal(row: repo.PrincipalRow): Principal {
  return {
    userId: row.user_id,
    username: row.username,
    displayName: row.display_name,
    rights: new Set(row.rights),
    roles: row.roles,
    actors: row.actors,
  };
}

export function actorOf(p: Principal): Actor {
  return { userId: p.userId, username: p.username };
}

export function assertRightOrThrow(p: Principal, right: Right): void {
  if (!hasRight(p.rights, right)) {
    throw new DomainError('forbidden', 'auth.forbidden', `the right "${right}" is required`);
  }
}

/**
 * Resolves bearer tokens to principals. A short in-process cache spares the database one query per
 * request; a revoked token may live on other nodes for at most CACHE_TTL_MS.
 */
export class AuthService {
  private cache = new Map<string, { principal: Principal; until: number }>();

  constructor(private readonly db: Db) {}

  async login(username: unknown, password: unknown): Promise<{ token: string; expiresAt: Date }> {
    if (typeof username !== 'string' || username.length === 0)
      throw invalid('auth.invalid', 'username', 'username is required');
    if (typeof password !== 'string' || password.length === 0)
      throw invalid('auth.invalid', 'password', 'password is required');
    const user = await repo.findUserForLogin(this.db, username);
    // Same answer for unknown user and wrong password: do not reveal which accounts exist.
    const ok =
      user?.password_hash && user.active
        ? await verify(user.password_hash, password).catch(() => false)
        : false;
    if (!user || !ok) {
      throw new DomainError('unauthenticated', 'auth.bad_credentials', 'unknown username or wrong password');
    }
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
    await this.db.transaction().execute(async (trx) => {
      await repo.insertToken(trx, {
        userId: user.id,
        kind: 'session',
        name: null,
        hash: hashToken(token),
        expiresAt,
      });
      await appendEvent(trx, {
        entityType: 'user',
        entityId: user.id,
        kind: 'user.logged_in',
        userId: user.id,
      });
    });
    return { token, expiresAt };
  }

  async createApiToken(
    actor: Actor & { userId: number },
    name: string,
    expiresAt: Date | null,
  ): Promise<{ id: number; token: string }> {
    const token = `gpto_${randomBytes(32).toString('base64url')}`;
    const id = await this.db.transaction().execute(async (trx) => {
      const id = await repo.insertToken(trx, {
        userId: actor.userId,
        kind: 'api',
        name,
        hash: hashToken(token),
        expiresAt,
      });
      await appendEvent(trx, {
        entityType: 'user',
        entityId: actor.userId,
        kind: 'user.api_token_created',
        userId: actor.userId,
        payload: { tokenId: id, name },
      });
      return id;
    });
    return { id, token };
  }

  async logout(token: string): Promise<void> {
    const h = hashToken(token);
    this.cache.delete(h.toString('hex'));
    await repo.revokeToken(this.db, h);
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    const h = hashToken(token);
    const key = h.toString('hex');
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.principal;
    const row = await repo.findPrincipalByToken(this.db, h);
    if (!row) {
      this.cache.delete(key);
      return undefined;
    }
    const principal = toPrincipal(row);
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(key, { principal, until: now + CACHE_TTL_MS });
    return principal;
  }

  async me(userId: number): Promise<Principal | undefined> {
    const row = await repo.findPrincipalByUserId(this.db, userId);
    return row && toPrincipal(row);
  }
}

export interface NewUser {
  username: string;
  displayName: string;
  password: string;
  roles: string[];
  actors: string[];
  zone?: string | null;
  skills?: string[];
}

/** Creates a user with its roles and actors; used by the CLI, the bootstrap and the admin API. */
export async function createUser(db: Executor, input: NewUser, by: Actor): Promise<number> {
  if (!/^[a-z0-9][a-z0-9._-]{1,40}$/.test(input.username)) {
    throw invalid(
      'user.invalid',
      'username',
      'username must be 2–41 characters of a–z, 0–9, ".", "_" or "-"',
    );
  }
  if (input.password.length < 8)
    throw invalid('user.invalid', 'password', 'password must be at least 8 characters');
  const exists = await db
    .selectFrom('app_user')
    .select('id')
    .where('username', '=', input.username)
    .executeTakeFirst();
  if (exists)
    throw new DomainError('conflict', 'user.exists', `user ${input.username} already exists`, 'username');
  for (const role of input.roles) {
    const r = await db.selectFrom('role').select('code').where('code', '=', role).executeTakeFirst();
    if (!r) throw invalid('user.invalid', 'roles', `unknown role "${role}"`);
  }
  for (const a of input.actors) {
    const r = await db.selectFrom('actor').select('code').where('code', '=', a).executeTakeFirst();
    if (!r) throw invalid('user.invalid', 'actors', `unknown actor "${a}"`);
  }
  const passwordHash = await hashPassword(input.password);
  const { id } = await db
    .insertInto('app_user')
    .values({
      username: input.username,
      display_name: input.displayName,
      password_hash: passwordHash,
      zone: input.zone ?? null,
      skills: input.skills ?? [],
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (input.roles.length) {
    await db
      .insertInto('user_role')
      .values(input.roles.map((role_code) => ({ user_id: id, role_code })))
      .execute();
  }
  if (input.actors.length) {
    await db
      .insertInto('user_actor')
      .values(input.actors.map((actor_code) => ({ user_id: id, actor_code })))
      .execute();
  }
  await appendEvent(db, {
    entityType: 'user',
    entityId: id,
    kind: 'user.created',
    userId: by.userId,
    payload: { username: input.username, roles: input.roles, actors: input.actors },
  });
  return id;
}

export async function setPassword(
  db: Executor,
  username: string,
  password: string,
  by: Actor,
): Promise<void> {
  if (password.length < 8)
    throw invalid('user.invalid', 'password', 'password must be at least 8 characters');
  const passwordHash = await hashPassword(password);
  const r = await db
    .updateTable('app_user')
    .set({ password_hash: passwordHash })
    .where('username', '=', username)
    .returning('id')
    .executeTakeFirst();
  if (!r) throw new DomainError('not_found', 'user.not_found', `user ${username} does not exist`);
  await appendEvent(db, {
    entityType: 'user',
    entityId: r.id,
    kind: 'user.password_changed',
    userId: by.userId,
  });
}
