import { sql } from 'kysely';
import type { Executor } from '../db.js';

export interface PrincipalRow {
  user_id: number;
  /** The token's expiry (by token only): a cached principal never outlives it. */
  expires_at?: Date | null;
  username: string;
  display_name: string;
  rights: string[];
  roles: string[];
  actors: string[];
}

const principalColumns = (db: Executor) =>
  db
    .selectFrom('app_user as u')
    .select([
      'u.id as user_id',
      'u.username',
      'u.display_name',
      sql<
        string[]
      >`coalesce((SELECT array_agg(DISTINCT r) FROM user_role ur JOIN role ON role.code = ur.role_code, unnest(role.rights) r WHERE ur.user_id = u.id), '{}')`.as(
        'rights',
      ),
      sql<
        string[]
      >`coalesce((SELECT array_agg(ur.role_code ORDER BY ur.role_code) FROM user_role ur WHERE ur.user_id = u.id), '{}')`.as(
        'roles',
      ),
      sql<
        string[]
      >`coalesce((SELECT array_agg(ua.actor_code ORDER BY ua.actor_code) FROM user_actor ua WHERE ua.user_id = u.id), '{}')`.as(
        'actors',
      ),
    ]);

export function findPrincipalByToken(db: Executor, tokenHash: Buffer): Promise<PrincipalRow | undefined> {
  return principalColumns(db)
    .innerJoin('auth_token as t', 't.user_id', 'u.id')
    .select('t.expires_at')
    .where('t.token_hash', '=', tokenHash)
    .where('t.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', sql<Date>`now()`)]))
    .where('u.active', '=', true)
    .executeTakeFirst();
}

export function findPrincipalByUserId(db: Executor, userId: number): Promise<PrincipalRow | undefined> {
  return principalColumns(db).where('u.id', '=', userId).executeTakeFirst();
}

export function findUserForLogin(db: Executor, username: string) {
  return db
    .selectFrom('app_user')
    .select(['id', 'password_hash', 'active'])
    .where('username', '=', username)
    .executeTakeFirst();
}

export async function insertToken(
  db: Executor,
  row: { userId: number; kind: 'session' | 'api'; name: string | null; hash: Buffer; expiresAt: Date | null },
): Promise<number> {
  const r = await db
    .insertInto('auth_token')
    .values({
      user_id: row.userId,
      kind: row.kind,
      name: row.name,
      token_hash: row.hash,
      expires_at: row.expiresAt,
      revoked_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

export function revokeToken(db: Executor, hash: Buffer) {
  return db
    .updateTable('auth_token')
    .set({ revoked_at: sql<Date>`now()` })
    .where('token_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .execute();
}

export function listUsers(db: Executor) {
  return principalColumns(db)
    .select(['u.active', 'u.zone', 'u.skills', 'u.created_at'])
    .orderBy('u.username')
    .execute();
}

export function listRoles(db: Executor) {
  return db.selectFrom('role').selectAll().orderBy('code').execute();
}

export function listActors(db: Executor) {
  return db.selectFrom('actor').selectAll().orderBy('code').execute();
}
