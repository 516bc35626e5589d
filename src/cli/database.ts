import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { createDb, createPool, type Db } from '../platform/db.js';
import { pgUrl } from '../platform/embedded-pg.js';
import { openRuntime } from '../platform/runtime.js';

/**
 * The database an administrator's command works on: DATABASE_URL; else the embedded server of a
 * `gpto start` running on the same data directory (joined, never started twice); else the embedded
 * server, started for the command and stopped after it.
 */
export async function openDatabase(): Promise<{ db: Db; close: () => Promise<void> }> {
  const config = loadConfig();
  const running = existsSync(path.join(config.dataDir, 'pg', 'postmaster.pid'));
  if (!config.databaseUrl && running) {
    const db = createDb(createPool(pgUrl(config.embeddedPgPort, 'gpto'), 2));
    return { db, close: () => db.destroy() };
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
