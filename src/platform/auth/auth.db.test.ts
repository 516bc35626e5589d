import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { bootstrap } from '../bootstrap.js';
import { SYSTEM } from '../events.js';
import { AuthService, createUser, setPassword } from './auth.service.js';

const PASSWORD = 'first-password-1';

describe('principal cache invalidation', () => {
  let tdb: TestDb;
  // Two app processes on one database: node A makes the changes, node B has the principal cached.
  let a: AuthService;
  let b: AuthService;
  beforeAll(async () => {
    tdb = await createTestDb();
    await bootstrap(tdb.db, 'admin-test-password');
    await createUser(
      tdb.db,
      { username: 'agent', displayName: 'Agent', password: PASSWORD, roles: ['front_office'], actors: [] },
      SYSTEM,
    );
    a = new AuthService(tdb.db, { changesEveryMs: 0 });
    b = new AuthService(tdb.db, { changesEveryMs: 0 });
  });
  afterAll(async () => tdb?.close());

  const loggedIn = async (password = PASSWORD) => {
    const { token } = await a.login('agent', password);
    const cached = await b.authenticate(token);
    expect(cached?.rights.has('customer:read')).toBe(true);
    return token;
  };

  it('keeps a principal cached between looks at the change log (the stale window the log closes)', async () => {
    const lazy = new AuthService(tdb.db, { changesEveryMs: 3_600_000 });
    const { token } = await a.login('agent', PASSWORD);
    expect(await lazy.authenticate(token)).toBeDefined();
    await a.logout(token);
    // without a look at auth_change the revoked session is still served from the cache
    expect(await lazy.authenticate(token)).toBeDefined();
    expect(await b.authenticate(token)).toBeUndefined();
  });

  it('answers a cached principal without a promise only while no look at the change log is due', async () => {
    const lazy = new AuthService(tdb.db, { changesEveryMs: 3_600_000 });
    const { token } = await a.login('agent', PASSWORD);
    expect(lazy.cachedPrincipal(token)).toBeUndefined(); // nothing cached, and the first look is due
    const p = await lazy.authenticate(token);
    expect(lazy.cachedPrincipal(token)).toBe(p);
    expect(lazy.cachedPrincipal(`${token}x`)).toBeUndefined();
    await lazy.logout(token); // the process that logs out forgets at once
    expect(lazy.cachedPrincipal(token)).toBeUndefined();
    // a service that looks at every request never answers from the cache alone
    const fresh = (await a.login('agent', PASSWORD)).token;
    expect(await b.authenticate(fresh)).toBeDefined();
    expect(b.cachedPrincipal(fresh)).toBeUndefined();
  });

  it('drops a session logged out on another node', async () => {
    const token = await loggedIn();
    await a.logout(token);
    expect(await a.authenticate(token)).toBeUndefined();
    expect(await b.authenticate(token)).toBeUndefined();
  });

  it('drops the sessions of a user whose password changed, and the new password logs in', async () => {
    const token = await loggedIn();
    await setPassword(tdb.db, 'agent', 'second-password-2', SYSTEM);
    expect(await b.authenticate(token)).toBeUndefined();
    await expect(a.login('agent', PASSWORD)).rejects.toMatchObject({ code: 'auth.bad_credentials' });
    const fresh = await loggedIn('second-password-2');
    expect(await b.authenticate(fresh)).toBeDefined();
    await setPassword(tdb.db, 'agent', PASSWORD, SYSTEM);
  });

  it('sees a role taken away, a role given and a role whose rights changed', async () => {
    const token = await loggedIn();
    const { id } = await tdb.db
      .selectFrom('app_user')
      .select('id')
      .where('username', '=', 'agent')
      .executeTakeFirstOrThrow();
    await tdb.db.deleteFrom('user_role').where('user_id', '=', id).execute();
    expect((await b.authenticate(token))?.rights.has('customer:read')).toBe(false);
    await tdb.db.insertInto('user_role').values({ user_id: id, role_code: 'directory_operator' }).execute();
    const p = await b.authenticate(token);
    expect(p?.roles).toEqual(['directory_operator']);
    expect(p?.rights.has('directory:search')).toBe(true);
    await tdb.db
      .updateTable('role')
      .set({ rights: sql<string[]>`array_append(rights, 'line:read')` })
      .where('code', '=', 'directory_operator')
      .execute();
    expect((await b.authenticate(token))?.rights.has('line:read')).toBe(true);
    await tdb.db.deleteFrom('user_role').where('user_id', '=', id).execute();
    await tdb.db.insertInto('user_role').values({ user_id: id, role_code: 'front_office' }).execute();
  });

  it('drops the sessions of a user who is disabled', async () => {
    const token = await loggedIn();
    await tdb.db.updateTable('app_user').set({ active: false }).where('username', '=', 'agent').execute();
    expect(await b.authenticate(token)).toBeUndefined();
    await tdb.db.updateTable('app_user').set({ active: true }).where('username', '=', 'agent').execute();
  });
});
