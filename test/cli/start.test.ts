import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, chmod } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** Runs `gpto start` as a user would (through tsx, so no build is needed) and collects its output. */
/** Every process started, so a failing test never leaves a GPTo (and its database) running. */
const started: ChildProcess[] = [];

function startGpto(env: NodeJS.ProcessEnv): {
  child: ChildProcess;
  output: () => string;
  ready: Promise<void>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ctrl-C stops GPTo')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`gpto exited with ${code}:\n${out}`)));
  });
  return { child, output: () => out, ready };
}

/** Runs a `gpto` command to its end: its exit code and output. */
function gpto(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

function stopped(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.on('exit', (code) => resolve(code));
  });
}

describe('gpto start with the embedded PostgreSQL', () => {
  let dataDir = '';
  afterAll(async () => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(
    'initialises, loads the demo, serves, stops cleanly on SIGTERM, and reuses the data on a second start',
    { timeout: 180_000 },
    async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'gpto-start-'));
      await chmod(dataDir, 0o755);
      const env = {
        PORT: String(await freePort()),
        GPTO_PG_PORT: String(await freePort()),
        GPTO_DATA_DIR: dataDir,
        DATABASE_URL: '',
        LOG_LEVEL: 'warn',
      };
      const first = startGpto(env);
      await first.ready;
      const password = /admin with the password (\S+)/.exec(first.output())?.[1];
      expect(password, first.output()).toBeTruthy();
      expect(first.output()).toContain('Demo agents');
      const base = `http://127.0.0.1:${env.PORT}`;
      expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok', database: 'up' });
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      });
      const { token } = (await login.json()) as { token: string };
      const found = (await (
        await fetch(`${base}/api/v1/customers?q=diop&limit=5`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as { items: unknown[] };
      expect(found.items.length).toBeGreaterThan(0);
      first.child.kill('SIGTERM');
      expect(await stopped(first.child)).toBe(0);
      expect(first.output()).toContain('gpto: stopped');
      expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

      const second = startGpto(env);
      await second.ready;
      expect(second.output()).not.toContain('loading the demo operator');
      expect(second.output()).not.toMatch(/admin with the password \S+/);
      const again = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      });
      expect(again.status).toBe(200);
      second.child.kill('SIGINT');
      expect(await stopped(second.child)).toBe(0);
    },
  );

  it('uses the server of DATABASE_URL and starts no embedded PostgreSQL', { timeout: 120_000 }, async () => {
    const adminUrl = inject('adminUrl');
    const name = `gpto_t_start_${process.pid}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gpto-url-'));
    try {
      const env = {
        PORT: String(await freePort()),
        GPTO_DATA_DIR: dir,
        DATABASE_URL: url.toString(),
        GPTO_ADMIN_PASSWORD: 'chosen-admin-pw',
        GPTO_SECRET_KEY: 'ab'.repeat(32),
        LOG_LEVEL: 'warn',
      };
      // Without the SIM secrets' key: `gpto start` refuses before it writes anything; the commands
      // that never touch a SIM secret run.
      const { GPTO_SECRET_KEY: _key, ...noKey } = env;
      const refused = await gpto(['start'], { ...noKey, GPTO_SECRET_KEY: '' });
      expect(refused.code).not.toBe(0);
      expect(refused.output).toContain('GPTO_SECRET_KEY is required with DATABASE_URL');
      const db = new pg.Client({ connectionString: url.toString() });
      await db.connect();
      try {
        expect((await db.query(`SELECT to_regclass('setting') AS t`)).rows[0].t).toBeNull();
      } finally {
        await db.end();
      }
      expect(await gpto(['migrate'], { ...noKey, GPTO_SECRET_KEY: '' })).toMatchObject({ code: 0 });
      const repair = await gpto(['maintenance', 'refresh-360'], { ...noKey, GPTO_SECRET_KEY: '' });
      expect(repair.code, repair.output).toBe(0);

      const run = startGpto(env);
      await run.ready;
      expect(run.output()).toContain('using the PostgreSQL server of DATABASE_URL');
      expect(run.output()).toContain('password of GPTO_ADMIN_PASSWORD');
      expect(existsSync(path.join(dir, 'pg'))).toBe(false);
      const login = await fetch(`http://127.0.0.1:${env.PORT}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'chosen-admin-pw' }),
      });
      expect(login.status).toBe(200);
      run.child.kill('SIGTERM');
      expect(await stopped(run.child)).toBe(0);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
