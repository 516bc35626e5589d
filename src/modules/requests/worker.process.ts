// A standalone workflow worker process: `tsx src/modules/requests/worker.process.ts` with
// DATABASE_URL set. It runs the automatic steps of every scenario (requests' handlers included)
// and, with GPTO_SECRET_KEY (it opens the SIM keys), the activation automaton on the network
// elements configured in the database; stops on SIGTERM/SIGINT; SIGKILL at any moment loses nothing
// (see worker.ts and the automaton's leases). GPTO_AUTOMATON=0 runs the workflow steps only.
import { createDb, createPool } from '../../platform/db.js';
import { createActivation, AUTOMATON_ACTOR, holdWhileFull } from '../activation/index.js';
import { createBilling } from '../billing/index.js';
import { createInventory } from '../inventory/index.js';
import { createReferential } from '../referential/index.js';
import { createWorkflow, listenForReadyTasks, workLoop } from '../workflow/index.js';
import { createRequests } from './index.js';
import { lineLimitations, LIMITATION_BARRING } from '../billing/cycle.index.js';

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('DATABASE_URL is required\n');
  process.exit(2);
}
const say = (line: string) => process.stderr.write(`${line}\n`);
const text = (err: unknown) => (err instanceof Error ? err.message : String(err));
/** GPTO_SECRET_KEY as `gpto start` reads it (64 hex digits or base64 of 32 bytes). */
function secretKey(): Buffer | undefined {
  const raw = process.env.GPTO_SECRET_KEY?.trim();
  if (!raw) return undefined;
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  return key.length === 32 ? key : undefined;
}
const key = secretKey();
const pool = createPool(url, 4);
const db = createDb(pool);
const referential = createReferential(db, process.env.GPTO_CURRENCY ?? 'XOF');
const billing = createBilling(db, process.env.GPTO_CURRENCY ?? 'XOF');
const workflow = createWorkflow(db);
// The inventory's key seals SIM secrets: only the automaton reads them (the SIM's Ki/OPc).
const inventory = createInventory(db, key);
const requests = createRequests(db, {
  referential,
  billing,
  workflow,
  inventory,
  onError: (err) => say(`resume: ${text(err)}`),
});
// The automaton runs wherever the workers run: the orders the activation steps queue are carried
// out on the elements and their steps resumed, with no other process needed.
const activation = createActivation(db, {
  secretKey: key,
  keys: (iccid) => inventory.sims.authKeys(iccid, AUTOMATON_ACTOR),
  keysMany: (iccids) => inventory.sims.authKeysMany(iccids, AUTOMATON_ACTOR),
  workflow,
  // a limited line's temporary changes and restorations keep its limitation (billing's collection)
  limitations: { lines: (dn) => lineLimitations(db, dn), barring: LIMITATION_BARRING },
  onError: (err) => say(`automaton: ${text(err)}`),
});
requests.requests.orders = activation.service; // a cancel here withdraws pending orders too
const automaton = process.env.GPTO_AUTOMATON !== '0' && key !== undefined;
if (automaton) await activation.start();
else
  say(
    key === undefined
      ? 'activation automaton not run here: GPTO_SECRET_KEY is not set (it opens the SIM keys)'
      : 'activation automaton not run here (GPTO_AUTOMATON=0)',
  );
// Idle workers wait on LISTEN: a commit that makes an automatic task ready wakes them at once.
const wake = await listenForReadyTasks(url).catch((err: unknown) => {
  say(`wake: ${text(err)}; polling instead`);
  return undefined;
});
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
process.on('SIGINT', () => stop.abort());
process.stdout.write('worker ready\n');
await workLoop(db, workflow.engine, {
  batch: Number(process.env.WORKER_BATCH ?? 5),
  idleMs: 50,
  signal: stop.signal,
  ...(wake ? { wake } : {}),
  // the automaton of this process takes the steps' orders as they are written (no claim)
  ...(automaton ? { hold: holdWhileFull(activation.automaton, wake ? [wake] : []) } : {}),
  onError: (err) => say(`worker: ${text(err)}`),
});
if (automaton) await activation.stop();
await wake?.close();
await db.destroy();
