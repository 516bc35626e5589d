import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { createDb, createPool } from '../platform/db.js';
import { runningEmbeddedPort } from '../platform/embedded-pg.js';
import { AUTOMATON_ACTOR, createActivation, holdWhileFull } from '../modules/activation/index.js';
import { createBilling } from '../modules/billing/index.js';
import { createInventory } from '../modules/inventory/index.js';
import { createReferential } from '../modules/referential/index.js';
import { createRequests } from '../modules/requests/index.js';
import { createWorkflow, listenForReadyTasks, workLoop } from '../modules/workflow/index.js';
import { lineLimitations, LIMITATION_BARRING } from '../modules/billing/cycle.index.js';

const ROLES = ['automaton', 'workflow', 'all'] as const;
type Role = (typeof ROLES)[number];

/**
 * The database a worker joins: DATABASE_URL, else the embedded server of a `gpto start` running
 * on the same data directory (the worker never starts a server of its own: two servers on one
 * data directory would corrupt it).
 */
function databaseUrl(config: ReturnType<typeof loadConfig>): string {
  if (config.databaseUrl) return config.databaseUrl;
  const port = runningEmbeddedPort(config.dataDir);
  if (port === null)
    throw new ConfigError([
      `no DATABASE_URL and no running embedded PostgreSQL in ${config.dataDir}/pg: start \`gpto start\` first or set DATABASE_URL`,
    ]);
  return `postgres://gpto:gpto@127.0.0.1:${port}/gpto`;
}

/**
 * `gpto worker --role automaton|workflow|all`: the activation automaton and/or the workflow's
 * automatic steps as a process of their own, next to `gpto start` (same data directory or
 * DATABASE_URL) or on another machine. Any number may run: claims never overlap (SKIP LOCKED), the
 * automaton's per-line order holds across processes, and a process killed at any moment loses
 * nothing (leases, transactions). The automaton needs the secret key that opens the SIM keys
 * (GPTO_SECRET_KEY, or `<dataDir>/secret.key` next to an embedded `gpto start`).
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run the activation automaton and/or the workflow workers as a process of their own')
    .option('--role <role>', `what to run: ${ROLES.join(', ')}`, 'all')
    .option('--pool <n>', 'database connections', '6')
    .option('--batch <n>', 'workflow tasks per transaction', '20')
    .action(async (opts: { role: string; pool: string; batch: string }) => {
      if (!(ROLES as readonly string[]).includes(opts.role))
        throw new ConfigError([`--role must be one of ${ROLES.join(', ')}`]);
      const role = opts.role as Role;
      const config = loadConfig();
      const url = databaseUrl(config);
      const say = (line: string) => process.stderr.write(`${line}\n`);
      const text = (err: unknown) => (err instanceof Error ? err.message : String(err));
      const db = createDb(createPool(url, Math.max(2, Number(opts.pool) || 6)));
      const referential = createReferential(db, config.currency);
      const billing = createBilling(db, config.currency);
      const workflow = createWorkflow(db);
      const inventory = createInventory(db, config.secretKey);
      // the requests' step handlers: a workflow worker runs them; the automaton's completions take
      // the requests' transitions
      const requests = createRequests(db, {
        referential,
        billing,
        workflow,
        inventory,
        onError: (e) => say(`resume: ${text(e)}`),
      });
      const activation = createActivation(db, {
        secretKey: config.secretKey,
        keys: (iccid) => inventory.sims.authKeys(iccid, AUTOMATON_ACTOR),
        keysMany: (iccids) => inventory.sims.authKeysMany(iccids, AUTOMATON_ACTOR),
        workflow,
        // a limited line's temporary changes and restorations keep its limitation (billing's collection)
        limitations: { lines: (dn) => lineLimitations(db, dn), barring: LIMITATION_BARRING },
        onError: (err) => say(`automaton: ${text(err)}`),
      });
      requests.requests.orders = activation.service; // a cancel here withdraws pending orders too
      const stop = new AbortController();
      process.once('SIGTERM', () => stop.abort());
      process.once('SIGINT', () => stop.abort());
      const runAutomaton = role === 'automaton' || role === 'all';
      const runWorkflow = role === 'workflow' || role === 'all';
      if (runAutomaton) {
        const n = await activation.service.loadElements();
        await activation.start();
        say(`gpto worker: activation automaton ${activation.automaton.id} on ${n} network element(s)`);
      }
      let wake: Awaited<ReturnType<typeof listenForReadyTasks>> | undefined;
      if (runWorkflow) {
        wake = await listenForReadyTasks(url).catch((err: unknown) => {
          say(`wake: ${text(err)}; polling instead`);
          return undefined;
        });
        say('gpto worker: workflow worker');
      }
      process.stdout.write('worker ready\n');
      if (runWorkflow)
        await workLoop(db, workflow.engine, {
          batch: Math.max(1, Number(opts.batch) || 20),
          idleMs: 50,
          signal: stop.signal,
          ...(wake ? { wake } : {}),
          // the automaton of this process takes the steps' orders as they are written (no claim)
          ...(runAutomaton ? { hold: holdWhileFull(activation.automaton, wake ? [wake] : []) } : {}),
          onError: (err) => say(`worker: ${text(err)}`),
        });
      else await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve()));
      if (runAutomaton) await activation.stop();
      await wake?.close();
      await db.destroy();
    });
}
