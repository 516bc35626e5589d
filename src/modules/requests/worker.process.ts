// A standalone workflow worker process: `tsx src/modules/requests/worker.process.ts` with
// DATABASE_URL set. It runs the automatic steps of every scenario (requests' handlers included)
// and stops on SIGTERM/SIGINT; SIGKILL at any moment loses nothing (see worker.ts).
import { createDb, createPool } from '../../platform/db.js';
import { createBilling } from '../billing/index.js';
import { createInventory } from '../inventory/index.js';
import { createReferential } from '../referential/index.js';
import { createWorkflow, workLoop } from '../workflow/index.js';
import { createRequests } from './index.js';

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('DATABASE_URL is required\n');
  process.exit(2);
}
const pool = createPool(url, 4);
const db = createDb(pool);
const referential = createReferential(db, process.env.GPTO_CURRENCY ?? 'XOF');
const billing = createBilling(db, process.env.GPTO_CURRENCY ?? 'XOF');
const workflow = createWorkflow(db);
// The inventory's secret key only seals SIM secrets, which the workflow's steps never read.
const inventory = createInventory(db);
createRequests(db, {
  referential,
  billing,
  workflow,
  inventory,
  onError: (err) => process.stderr.write(`resume: ${err instanceof Error ? err.message : String(err)}\n`),
});
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
process.on('SIGINT', () => stop.abort());
process.stdout.write('worker ready\n');
await workLoop(db, workflow.engine, {
  batch: Number(process.env.WORKER_BATCH ?? 5),
  idleMs: 50,
  signal: stop.signal,
  onError: (err) => process.stderr.write(`worker: ${err instanceof Error ? err.message : String(err)}\n`),
});
await db.destroy();
