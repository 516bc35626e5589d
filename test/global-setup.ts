import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/platform/embedded-pg.js';
import { migrate } from '../src/platform/migrate.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

let embedded: EmbeddedServer | undefined;
let tmp: string | undefined;

/**
 * Starts one PostgreSQL for the run (embedded by default, or the server of TEST_DATABASE_URL) and
 * builds a migrated template database that every test file clones.
 */
export async function setup(project: TestProject): Promise<void> {
  let adminUrl: string;
  if (process.env.TEST_DATABASE_URL) {
    adminUrl = process.env.TEST_DATABASE_URL;
  } else {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'gpto-test-'));
    const { chmod } = await import('node:fs/promises');
    await chmod(tmp, 0o755);
    embedded = await startEmbeddedPostgres(tmp, await freePort());
    adminUrl = embedded.url('postgres');
  }
  const template = `gpto_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: withDatabase(adminUrl, template), max: 1 });
  await migrate(pool);
  await pool.end();
  project.provide('adminUrl', adminUrl);
  project.provide('templateDb', template);
}

export async function teardown(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) {
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    const r = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'gpto_t_%' OR datname = $1`,
      [`gpto_template_${process.pid}`],
    );
    for (const row of r.rows)
      await admin.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
  await embedded?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
  }
}
