import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
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
const CACHE_TTL_MS = 30_000;
const CACHE_MAX = 5_000;
/** How often a process looks for auth changes made elsewhere (auth_change, migration 0004). */
const CHANGES_EVERY_MS = 1_000;
/** Changes are read again for this long: a change committed late with an earlier time is not missed. */
const CHANGES_OVERLAP_MS = 10_000;

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
 * request. What would make a cached principal wrong (logout or revocation, password change, user
 * disabled, roles, a role's rights: triggers of migration 0004 record the user in `auth_change`)
 * drops that user's entries: at once in the process that made the change, and in every other
 * process (other nodes, the CLI's password reset) at the next look at `auth_change`, which a request
 * makes at most once every `changesEveryMs`. CACHE_TTL_MS bounds an entry's life if that look fails.
 */
export class AuthService {
  private cache = new Map<string, { principal: Principal; until: number }>();
  /** auth_change rows already applied: user id → changed_at (ms), kept for the overlap window. */
  private applied = new Map<number, number>();
  private changesSince: Date | null = null;
  private nextCheck = 0;
  private checking: Promise<void> | null = null;
  private readonly changesEveryMs: number;

  constructor(
    private readonly db: Db,
    opts: { changesEveryMs?: number } = {},
  ) {
    this.changesEveryMs = opts.changesEveryMs ?? CHANGES_EVERY_MS;
  }

  /** Drops the cached principals of a user (0: of every user). */
  forgetUser(userId: number): void {
    if (userId === 0) {
      this.cache.clear();
      return;
    }
    for (const [key, hit] of this.cache) if (hit.principal.userId === userId) this.cache.delete(key);
  }

  /** Applies the auth changes recorded since the last look (by any process). */
  private async applyChanges(): Promise<void> {
    const since = this.changesSince ?? new Date(0);
    try {
      const r = await sql<{ now: Date; changes: { user: number; at: number }[] }>`
        SELECT clock_timestamp() AS now, coalesce((SELECT json_agg(json_build_object(
          'user', user_id, 'at', extract(epoch FROM changed_at) * 1000)) FROM auth_change
          WHERE changed_at > ${since}), '[]') AS changes`.execute(this.db);
      const row = r.rows[0]!;
      for (const c of row.changes) {
        if (this.applied.get(c.user) === c.at) continue;
        this.applied.set(c.user, c.at);
        // the first look only sets the baseline: nothing is cached from before it
        if (this.changesSince !== null) this.forgetUser(c.user);
      }
      const now = new Date(row.now).getTime();
      const from = now - CHANGES_OVERLAP_MS;
      for (const [user, at] of this.applied) if (at < from) this.applied.delete(user);
      this.changesSince = new Date(from);
    } catch {
      // cannot tell what changed: trust nothing cached
      this.cache.clear();
    }
  }

  private async checkChanges(): Promise<void> {
    const now = Date.now();
    if (now < this.nextCheck) return;
    if (!this.checking) {
      this.checking = this.applyChanges().finally(() => {
        this.nextCheck = Date.now() + this.changesEveryMs;
        this.checking = null;
      });
    }
    await this.checking;
  }

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
    this.cache.delete(token);
    await repo.revokeToken(this.db, h);
  }

  /**
   * The token's principal when it is cached and no look at auth_change is due, without a promise
   * (the auth hook's path for nearly every request); undefined means: ask `authenticate`.
   */
  cachedPrincipal(token: string): Principal | undefined {
    if (this.checking) return undefined;
    const now = Date.now();
    if (now >= this.nextCheck) return undefined;
    const hit = this.cache.get(token);
    return hit && hit.until > now ? hit.principal : undefined;
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    // most requests come between two looks at auth_change: no extra await for them
    if (this.checking || Date.now() >= this.nextCheck) await this.checkChanges();
    // keyed by the token itself: a hit costs no hashing (only the hash is ever stored in the database)
    const key = token;
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.principal;
    const row = await repo.findPrincipalByToken(this.db, hashToken(token));
    if (!row) {
      this.cache.delete(key);
      return undefined;
    }
    const principal = toPrincipal(row);
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    const expires = row.expires_at ? new Date(row.expires_at).getTime() : Infinity;
    this.cache.set(key, { principal, until: Math.min(now + CACHE_TTL_MS, expires) });
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

/**
 * Sets a user's password and revokes their open sessions (a reset after a leak must lock the old
 * sessions out); API tokens are separate credentials and stay. Returns the user's id.
 */
export async function setPassword(
  db: Executor,
  username: string,
  password: string,
  by: Actor,
): Promise<number> {
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
  const revoked = await db
    .updateTable('auth_token')
    .set({ revoked_at: sql<Date>`now()` })
    .where('user_id', '=', r.id)
    .where('kind', '=', 'session')
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  await appendEvent(db, {
    entityType: 'user',
    entityId: r.id,
    kind: 'user.password_changed',
    userId: by.userId,
    payload: { sessionsRevoked: Number(revoked.numUpdatedRows) },
  });
  return r.id;
}
