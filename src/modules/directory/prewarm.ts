import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';

/**
 * What an enquiry reads: the listings and the indexes the search walks (words, their keys, numbers)
 * and the word dictionary. After a restart on a cold disk these come back from the disk page by page
 * as the first operators search: the first directory run after the machine had done other work for
 * three hours gave p95 38 ms against 22–24 ms warm (docs/performance.md, session 7).
 */
const SEARCH_RELATIONS = [
  'directory_listing',
  'directory_listing_fterms_gin',
  'directory_listing_keys_gin',
  'directory_listing_numbers_gin',
  'directory_term',
];

export type PrewarmReport =
  { relations: { name: string; pages: number }[]; pages: number; ms: number } | { skipped: string };

/**
 * Reads the search's relations into PostgreSQL's buffer cache with pg_prewarm (contrib, in the
 * embedded server and Debian's postgresql-contrib), as far as `shared_buffers` holds them: `gpto
 * start` runs it in the background once listening. Where the extension cannot be had (a server
 * without contrib, a user without the right to create it) it says so and does nothing else.
 */
export async function prewarmSearch(db: Executor): Promise<PrewarmReport> {
  const t0 = performance.now();
  try {
    await sql`CREATE EXTENSION IF NOT EXISTS pg_prewarm`.execute(db);
  } catch (err) {
    return { skipped: `pg_prewarm unavailable: ${err instanceof Error ? err.message : String(err)}` };
  }
  // a relation that is not there (an index a later migration dropped) skips itself only
  const r = await sql<{ name: string; pages: string }>`
    SELECT u.name, pg_prewarm(to_regclass(u.name))::text AS pages
      FROM unnest(${SEARCH_RELATIONS}::text[]) WITH ORDINALITY AS u(name, n)
     WHERE to_regclass(u.name) IS NOT NULL
     ORDER BY u.n`.execute(db);
  const relations = r.rows.map((x) => ({ name: x.name, pages: Number(x.pages) }));
  return {
    relations,
    pages: relations.reduce((n, r) => n + r.pages, 0),
    ms: Math.round(performance.now() - t0),
  };
}
