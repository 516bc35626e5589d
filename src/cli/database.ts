import { ConfigError, loadConfig } from '../config.js';
import { createDb, createPool, type Db } from '../platform/db.js';
import { hasEmbeddedDatabase, pgUrl, runningEmbeddedPort } from '../platform/embedded-pg.js';
import { openRuntime } from '../platform/runtime.js';

/**
 * The database an administrator's command works on: DATABASE_URL; else the embedded server of a
 * `gpto start` running on the same data directory (joined on the port it listens on, never started
 * twice); else the embedded database of that directory, started for the command and stopped after
 * it. A directory with no database is an error naming it: a command never creates an empty one.
 */
export async function openDatabase(): Promise<{ db: Db; close: () => Promise<void> }> {
  const config = loadConfig();
  if (!config.databaseUrl) {
    const port = runningEmbeddedPort(config.dataDir);
    if (port !== null) {
      const db = createDb(createPool(pgUrl(port, 'gpto'), 2));
      return { db, close: () => db.destroy() };
    }
    if (!hasEmbeddedDatabase(config.dataDir))
      throw new ConfigError([
        `no GPTo database in ${config.dataDir}: run the command where \`gpto start\` runs, or set GPTO_DATA_DIR to its data directory, or DATABASE_URL`,
      ]);
  }
  const rt = await openRuntime(config, { poolSize: 2 });
  return { db: rt.db, close: rt.close };
}

/** Rows as an aligned text table (columns as wide as their widest cell, long cells cut). */
export function textTable(headers: string[], rows: (string | number | null)[][], maxWidth = 60): string {
  const cell = (v: string | number | null) => {
    const s = v === null ? '—' : String(v).replace(/\s+/g, ' ');
    return s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s;
  };
  const cells = rows.map((r) => r.map(cell));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
