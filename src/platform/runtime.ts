import pg from 'pg';
import type { Config } from '../config.js';
import { createDb, createPool, type Db } from './db.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded-pg.js';
import { migrate } from './migrate.js';

export interface Runtime {
  pool: pg.Pool;
  db: Db;
  url: string;
  embedded?: EmbeddedServer;
  close: () => Promise<void>;
}

/** Creates `name` on the server of `adminUrl` when it does not exist yet. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (r.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
}

/**
 * Opens the database GPTo runs on: the server of DATABASE_URL when set, else the embedded
 * PostgreSQL in `<dataDir>/pg`, started here and stopped by `close()`. Migrations are applied.
 */
export async function openRuntime(
  config: Config,
  opts: { migrate?: boolean; poolSize?: number } = {},
): Promise<Runtime> {
  let embedded: EmbeddedServer | undefined;
  let url: string;
  if (config.databaseUrl) {
    url = config.databaseUrl;
  } else {
    embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort);
    await ensureDatabase(embedded.url('postgres'), 'gpto');
    url = embedded.url('gpto');
  }
  const pool = createPool(url, opts.poolSize ?? 20);
  try {
    if (opts.migrate !== false) await migrate(pool);
  } catch (err) {
    await pool.end();
    await embedded?.stop();
    throw err;
  }
  const db = createDb(pool);
  return {
    pool,
    db,
    url,
    ...(embedded ? { embedded } : {}),
    close: async () => {
      await db.destroy().catch(() => undefined);
      await embedded?.stop();
    },
  };
}
