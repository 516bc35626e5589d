import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Starts a real osmo-hlr (Debian package) for tests and benchmarks, with its own config, database
 * and address. osmo-hlr 1.5.0 cannot move its CTRL port (4259) away from the default, but it binds
 * any address: each instance gets its own loopback address (127.x.y.z — all of 127/8 is loopback on
 * Linux), so parallel test files never share an HLR.
 */

export const OSMO_HLR_BIN = process.env.OSMO_HLR_BIN ?? '/usr/bin/osmo-hlr';
export const CTRL_PORT = 4259;

export function osmoHlrAvailable(): boolean {
  return existsSync(OSMO_HLR_BIN);
}

/** Why tests needing osmo-hlr are skipped here; in CI a missing osmo-hlr is a failure instead. */
export const OSMO_HLR_SKIP_REASON = `${OSMO_HLR_BIN} is missing (apt-get install -y --no-install-recommends osmo-hlr)`;

export interface OsmoHlr {
  host: string;
  port: number;
  dir: string;
  /** The running process's id (CPU accounting in the benchmark), null when stopped. */
  pid(): number | null;
  /** Stops it (SIGTERM) — the element is down; the database stays. */
  stop(): Promise<void>;
  /** Starts it again on the same address and database. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** A loopback address (127.x.y.z) whose osmo-hlr ports are free. */
export async function freeLoopback(): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const host = `127.${10 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
    if ((await portFree(host, 4259)) && (await portFree(host, 4258)) && (await portFree(host, 4222)))
      return host;
  }
  throw new Error('no free loopback address for osmo-hlr');
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * `dir` and `host` given (gpto start): its config and database live there and stay; otherwise a
 * temporary directory and a free loopback address (tests, benchmarks), removed by `dispose`.
 */
export interface OsmoHlrOptions {
  dir?: string;
  host?: string;
  /** Appends the process's own messages (stderr) to this file; by default they are dropped. */
  log?: string;
  /** Called when the process exits without `stop` asking it to (a crash, a kill from outside). */
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

export async function startOsmoHlr(opts: OsmoHlrOptions = {}): Promise<OsmoHlr> {
  if (!osmoHlrAvailable()) throw new Error(OSMO_HLR_SKIP_REASON);
  const dir = opts.dir ?? (await mkdtemp(path.join(tmpdir(), 'gpto-osmo-hlr-')));
  if (opts.dir) await mkdir(opts.dir, { recursive: true });
  const host = opts.host ?? (await freeLoopback());
  const cfg = path.join(dir, 'osmo-hlr.cfg');
  await writeFile(
    cfg,
    [
      'log stderr',
      ' logging filter all 1',
      ' logging color 0',
      ' logging print category 1',
      ' logging level main notice',
      ' logging level db notice',
      ' logging level ctrl notice',
      ' logging level linp error',
      'line vty',
      ` bind ${host}`,
      'ctrl',
      ` bind ${host}`,
      'hlr',
      ' gsup',
      `  bind ip ${host}`,
      '',
    ].join('\n'),
  );
  let child: ChildProcess | null = null;
  const start = async () => {
    const log = opts.log ? openSync(opts.log, 'a') : null;
    let proc: ChildProcess;
    try {
      proc = spawn(OSMO_HLR_BIN, ['-c', cfg, '-l', path.join(dir, 'hlr.db')], {
        cwd: dir,
        stdio: ['ignore', 'ignore', log ?? 'ignore'],
      });
    } finally {
      if (log !== null) closeSync(log); // the child holds its own copy
    }
    child = proc;
    let exited = false;
    let started = false;
    proc.once('exit', (code, signal) => {
      exited = true;
      // not asked to stop (`stop` forgets the child first), and past its start
      if (child === proc && started) {
        child = null;
        opts.onExit?.(code, signal);
      }
    });
    for (let i = 0; i < 100; i++) {
      if (exited) throw new Error(`osmo-hlr exited at start (config ${cfg})`);
      if (await canConnect(host, CTRL_PORT)) {
        started = true;
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('osmo-hlr did not open its CTRL port within 5 s');
  };
  const stop = async () => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
      setTimeout(() => proc.kill('SIGKILL'), 3000).unref();
    });
  };
  await start();
  return {
    host,
    port: CTRL_PORT,
    dir,
    pid: () => (child as ChildProcess | null)?.pid ?? null,
    start,
    stop,
    dispose: async () => {
      await stop();
      if (!opts.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Test files needing osmo-hlr call this first: without the binary they are skipped with the reason
 * in the suite's name, except in CI (CI=true) where a missing osmo-hlr fails the run.
 */
export function osmoHlrSuiteName(name: string): { name: string; skip: boolean } {
  if (osmoHlrAvailable()) return { name, skip: false };
  if (process.env.CI === 'true') throw new Error(`CI=true but ${OSMO_HLR_SKIP_REASON}`);
  return { name: `${name} — SKIPPED: ${OSMO_HLR_SKIP_REASON}`, skip: true };
}
