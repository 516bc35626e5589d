import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/platform/auth/auth.service.js';
import { SYSTEM } from '../../src/platform/events.js';
import { createTestApp, type TestApp } from '../app.js';

/** A concrete URL for a route template: params become a plausible id so the right check is reached. */
const concrete = (url: string) => url.replace(/:[a-zA-Z]+/g, '1').replace(/\*$/, 'x');

describe('rights on every route', () => {
  let t: TestApp;
  let nobody: string;
  beforeAll(async () => {
    t = await createTestApp();
    // A user with a role that grants nothing: every route with a right must refuse it.
    await t.tdb.db.insertInto('role').values({ code: 'nothing', name: 'No rights', rights: [] }).execute();
    await createUser(
      t.tdb.db,
      {
        username: 'nobody',
        displayName: 'Nobody',
        password: 'nobody-password',
        roles: ['nothing'],
        actors: [],
      },
      SYSTEM,
    );
    nobody = await t.login('nobody', 'nobody-password');
  });
  afterAll(async () => t?.close());

  it('every route declares a right, or says it is public or for any logged-in user', () => {
    const undeclared = t.app.routes.filter(
      (r) => !r.right && !r.public && !r.authenticated && !r.url.startsWith('/api/docs'),
    );
    expect(undeclared.map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });

  it('every non-public route refuses a request without a token (401)', async () => {
    const guarded = t.app.routes.filter((r) => !r.public && !r.url.startsWith('/api/docs'));
    expect(guarded.length).toBeGreaterThan(20);
    for (const r of guarded) {
      const res = await t.call(
        r.method as 'GET',
        concrete(r.url),
        undefined,
        r.method === 'GET' || r.method === 'DELETE' ? undefined : {},
      );
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(401);
      // the TMF facades answer in the TMF Error shape (application/json), the native API in problem+json
      const tmf = r.url.startsWith('/tmf-api/');
      expect(res.headers['content-type'], `${r.method} ${r.url}`).toContain(
        tmf ? 'application/json' : 'application/problem+json',
      );
      if (tmf) expect(res.json(), `${r.method} ${r.url}`).toMatchObject({ '@type': 'Error', status: '401' });
    }
  });

  it('every route with a right refuses a user who lacks it (403), whatever the body', async () => {
    const withRight = t.app.routes.filter((r) => r.right);
    for (const r of withRight) {
      const res = await t.call(
        r.method as 'GET',
        concrete(r.url),
        nobody,
        r.method === 'GET' || r.method === 'DELETE' ? undefined : { junk: true },
      );
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(403);
      const body = res.json() as { detail?: string; message?: string };
      expect(r.url.startsWith('/tmf-api/') ? body.message : body.detail, `${r.method} ${r.url}`).toContain(
        r.right,
      );
    }
  });

  it('a forged or revoked token is refused', async () => {
    expect((await t.call('GET', '/api/v1/auth/me', 'forged-token')).statusCode).toBe(401);
    const token = await t.login('care', undefined);
    expect((await t.call('GET', '/api/v1/auth/me', token)).statusCode).toBe(200);
    expect((await t.call('POST', '/api/v1/auth/logout', token)).statusCode).toBe(204);
    expect((await t.call('GET', '/api/v1/auth/me', token)).statusCode).toBe(401);
  });

  it('a front-office agent reads and writes customers but cannot manage the catalogue or users', async () => {
    const agent = await t.login('commercial');
    expect((await t.call('GET', '/api/v1/products', agent)).statusCode).toBe(200);
    expect(
      (
        await t.call('POST', '/api/v1/products', agent, {
          code: 'X',
          name: 'x',
          kind: 'fixed_wired',
          price: { oneOffPrice: 0, recurringPrice: 0 },
        })
      ).statusCode,
    ).toBe(403);
    expect((await t.call('GET', '/api/v1/users', agent)).statusCode).toBe(403);
    expect(
      (await t.call('POST', '/api/v1/blacklist', agent, { name: 'Someone', reason: 'fraud' })).statusCode,
    ).toBe(403);
  });

  it('logs in with the right password only, and says nothing about which part was wrong', async () => {
    const wrong = await t.call('POST', '/api/v1/auth/login', undefined, {
      username: 'commercial',
      password: 'wrong-password',
    });
    const unknown = await t.call('POST', '/api/v1/auth/login', undefined, {
      username: 'ghost',
      password: 'wrong-password',
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().detail).toBe(unknown.json().detail);
    const missing = await t.call('POST', '/api/v1/auth/login', undefined, { username: 'commercial' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().field).toBe('password');
  });

  it('issues long-lived API tokens that act with the user’s rights', async () => {
    const admin = await t.login('admin');
    const res = await t.call('POST', '/api/v1/auth/tokens', admin, { name: 'crm-integration' });
    expect(res.statusCode).toBe(201);
    const apiToken = res.json().token as string;
    expect(apiToken).toMatch(/^gpto_/);
    expect((await t.call('GET', '/api/v1/users', apiToken)).statusCode).toBe(200);
  });

  it('health and metrics are public; the OpenAPI document lists the routes', async () => {
    expect((await t.call('GET', '/health')).json()).toEqual({ status: 'ok', database: 'up' });
    const metrics = await t.call('GET', '/metrics');
    expect(metrics.body).toContain('gpto_http_request_duration_seconds');
    const doc = (await t.call('GET', '/api/openapi.json')).json();
    expect(Object.keys(doc.paths)).toContain('/api/v1/customers/{ref}');
  });
});
