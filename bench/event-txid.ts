// `npm run bench -- event-txid [seconds]`: what the TMF hub's `txid` column (migration 0700: a
// default of pg_current_xact_id() and a partial index) costs the event journal's inserts. pgbench
// inserts journal rows with and without it, alternating, on the same server in the same run.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { environment, openBenchRuntime, PGBENCH, printResult, printTable } from './lib.js';

const run = promisify(execFile);

const SCRIPT = `\\set cid random(1, 100000)
INSERT INTO event (entity_type, entity_id, kind, customer_id, user_id, payload)
VALUES ('customer', :cid, 'customer.updated', :cid, 1, '{"changes": {"status": {"before": "active", "after": "inactive"}}}');
`;

export async function run_(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 15);
  const rt = await openBenchRuntime({ poolSize: 4 });
  const db = rt.db;
  try {
    const n = await sql<{ n: number }>`SELECT count(*)::int AS n FROM event`.execute(db);
    if ((n.rows[0]?.n ?? 0) < 200_000) {
      await sql`INSERT INTO event (entity_type, entity_id, kind, customer_id, payload)
        SELECT 'customer', (i % 100000)::text, 'customer.updated', i % 100000, '{}'
        FROM generate_series(1, 200000) i`.execute(db);
    }
    const file = path.join(os.tmpdir(), `gpto-event-txid-${process.pid}.sql`);
    await writeFile(file, SCRIPT);
    const u = new URL(rt.url);
    const variants = {
      without: async () => {
        await sql`DROP INDEX IF EXISTS event_txid_idx`.execute(db);
        await sql`ALTER TABLE event ALTER COLUMN txid DROP DEFAULT`.execute(db);
      },
      with: async () => {
        await sql`ALTER TABLE event ALTER COLUMN txid SET DEFAULT pg_current_xact_id()`.execute(db);
        await sql`CREATE INDEX IF NOT EXISTS event_txid_idx ON event (txid) WHERE txid IS NOT NULL`.execute(
          db,
        );
      },
    };
    const rows: Record<string, string | number>[] = [];
    const figures: Record<string, number[]> = {};
    for (const commit of ['on', 'off'] as const) {
      for (const round of [1, 2]) {
        for (const v of ['without', 'with'] as const) {
          await variants[v]();
          await sql`CHECKPOINT`.execute(db);
          const { stdout } = await run(
            PGBENCH,
            ['-n', '-c', '4', '-j', '2', '-T', String(seconds), '-M', 'prepared', '-f', file],
            {
              env: {
                ...process.env,
                PGHOST: u.hostname,
                PGPORT: u.port,
                PGUSER: decodeURIComponent(u.username),
                PGPASSWORD: decodeURIComponent(u.password),
                PGDATABASE: u.pathname.slice(1),
                PGOPTIONS: `-c synchronous_commit=${commit}`,
              },
            },
          );
          const tps = Number(/tps = ([0-9.]+) \(without/.exec(stdout)?.[1]);
          (figures[`${v}_sync_${commit}`] ??= []).push(tps);
          rows.push({ synchronous_commit: commit, round, txid: v, 'inserts/s': Math.round(tps) });
        }
      }
    }
    await variants.with();
    printTable(rows, 'event inserts (pgbench, 4 clients, one insert per transaction)');
    const mean = (k: string) => (figures[k] ?? []).reduce((a, b) => a + b, 0) / (figures[k]?.length || 1);
    const result = {
      bench: 'event-txid',
      ...(await environment()),
      seconds,
      withoutSyncOn: mean('without_sync_on'),
      withSyncOn: mean('with_sync_on'),
      ratioSyncOn: mean('with_sync_on') / mean('without_sync_on'),
      withoutSyncOff: mean('without_sync_off'),
      withSyncOff: mean('with_sync_off'),
      ratioSyncOff: mean('with_sync_off') / mean('without_sync_off'),
    };
    printResult(result);
  } finally {
    await rt.close();
  }
}

export { run_ as run };
