import type { LightMyRequestResponse } from 'fastify';
import { buildApp, type App } from '../src/app.js';
import { bootstrap } from '../src/platform/bootstrap.js';
import { loadReferenceData } from '../src/demo/reference-data.js';
import { createTestDb, type TestDb } from './db.js';

export const ADMIN_PASSWORD = 'admin-test-password';
export const DEMO_PASSWORD = 'demo-test-password';
/** The key sealing SIM secrets in test apps: demo data loaded apart (loadDemoPlant) must use it too. */
export const TEST_SECRET_KEY = Buffer.alloc(32, 7);

export interface TestApp {
  app: App;
  tdb: TestDb;
  /** Logs a user in through the API and returns its bearer token. */
  login: (username: string, password?: string) => Promise<string>;
  call: (
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    token?: string,
    body?: unknown,
  ) => Promise<LightMyRequestResponse>;
  close: () => Promise<void>;
}

/** The real application on a fresh database with the demo reference data and demo agents. */
export async function createTestApp(): Promise<TestApp> {
  const tdb = await createTestDb();
  await bootstrap(tdb.db, ADMIN_PASSWORD);
  await loadReferenceData(tdb.db, DEMO_PASSWORD);
  const app = await buildApp({
    db: tdb.db,
    config: { currency: 'XOF', logLevel: 'silent', secretKey: TEST_SECRET_KEY },
    logger: false,
  });
  const tokens = new Map<string, string>();
  const login = async (username: string, password?: string) => {
    const cached = tokens.get(username);
    if (cached && !password) return cached;
    const res = await app.http.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username, password: password ?? (username === 'admin' ? ADMIN_PASSWORD : DEMO_PASSWORD) },
    });
    if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
    const token = (res.json() as { token: string }).token;
    tokens.set(username, token);
    return token;
  };
  const call: TestApp['call'] = (method, url, token, body) =>
    app.http.inject({
      method,
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(body !== undefined ? { payload: body as object } : {}),
    });
  return {
    app,
    tdb,
    login,
    call,
    close: async () => {
      await app.http.close();
      await tdb.close();
    },
  };
}
