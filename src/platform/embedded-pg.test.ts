import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'pg-connection-string';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hasEmbeddedDatabase, pgUrl, runningEmbeddedPort, sharedBuffers, SOCKET_DIR } from './embedded-pg.js';

const GB = 2 ** 30;

describe('sharedBuffers', () => {
  it('takes a quarter of the memory, between 128 MB and 4 GB', () => {
    expect(sharedBuffers(8 * GB, undefined)).toBe('2048MB');
    expect(sharedBuffers(24 * GB, undefined)).toBe('4096MB');
    expect(sharedBuffers(256 * 2 ** 20, undefined)).toBe('128MB');
  });

  it('lets GPTO_PG_SHARED_BUFFERS decide', () => {
    expect(sharedBuffers(24 * GB, ' 512MB ')).toBe('512MB');
    expect(sharedBuffers(24 * GB, '')).toBe('4096MB');
  });
});

describe('pgUrl', () => {
  it('reaches the embedded server through its Unix-domain socket by default', () => {
    const url = pgUrl(54411, 'gpto', undefined);
    // node-postgres connects to the socket directory; the URL still names the TCP host and port
    expect(parse(url)).toMatchObject({ host: SOCKET_DIR, port: '54411', database: 'gpto' });
    const u = new URL(url);
    expect([u.hostname, u.port, u.pathname]).toEqual(['127.0.0.1', '54411', '/gpto']);
  });

  it('goes back to TCP loopback with GPTO_PG_UNIX_SOCKET=off', () => {
    for (const off of ['off', 'OFF', '0', 'false', ' no ']) {
      expect(parse(pgUrl(54411, 'gpto', off))).toMatchObject({ host: '127.0.0.1', port: '54411' });
    }
    expect(parse(pgUrl(54411, 'gpto', 'on')).host).toBe(SOCKET_DIR);
  });

  it('a database renamed through the URL keeps the socket', () => {
    const u = new URL(pgUrl(5, 'postgres', undefined));
    u.pathname = '/other';
    expect(parse(u.toString())).toMatchObject({ host: SOCKET_DIR, database: 'other' });
  });
});

describe('loadEmbeddedPostgres', () => {
  it('leaves the exit code a command or the test runner set: the package’s exit hook would make it 0', () => {
    // a process that loads the package, sets a failure code and lets its event loop drain
    const script = `const m = await import(${JSON.stringify(new URL('./embedded-pg.ts', import.meta.url).href)});
      await m.loadEmbeddedPostgres();
      process.exitCode = 3;`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
  });
});

describe('runningEmbeddedPort', () => {
  // postmaster.pid as PostgreSQL 15 writes it: pid, data directory, start time, port, socket dir…
  const pidFile = (pid: number, port: number) =>
    `${pid}\n/data/pg\n1764380000\n${port}\n/tmp\n127.0.0.1\n  5432001         0\nready   \n`;

  it('reads the port the running server listens on, whatever GPTO_PG_PORT says; none when it died', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gpto-pid-'));
    try {
      expect(runningEmbeddedPort(dir)).toBeNull();
      expect(hasEmbeddedDatabase(dir)).toBe(false);
      mkdirSync(path.join(dir, 'pg'));
      writeFileSync(path.join(dir, 'pg', 'PG_VERSION'), '15\n');
      expect(hasEmbeddedDatabase(dir)).toBe(true);
      // a live process (this one) owns the file: its port
      writeFileSync(path.join(dir, 'pg', 'postmaster.pid'), pidFile(process.pid, 54411));
      expect(runningEmbeddedPort(dir)).toBe(54411);
      // the server died and left its file: nothing runs there
      const dead = spawnSync(process.execPath, ['-e', '']).pid!;
      writeFileSync(path.join(dir, 'pg', 'postmaster.pid'), pidFile(dead, 54411));
      expect(runningEmbeddedPort(dir)).toBeNull();
      writeFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'garbage');
      expect(runningEmbeddedPort(dir)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
