// One workflow worker in a process of its own, for `npm run bench -- workflow`: the real workLoop
// (claims, steps, set-based writes, LISTEN wake-up) on DATABASE_URL with the benchmark's step
// handler. Commands on stdin, one per line: `go` starts working, `pause` stops the loop after its
// current round and prints `paused`, `stats` prints `stats <json>` (rounds, transitions, round
// durations since the last `stats`) and resets them. Stops on SIGTERM.
import { createInterface } from 'node:readline';
import { createDb, createPool } from '../src/platform/db.js';
import { createWorkflow, workLoop } from '../src/modules/workflow/index.js';
import { listenForReadyTasks } from '../src/modules/workflow/wake.js';
import { registerBenchStep } from './workflow.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const batch = Number(process.env.WORKER_BATCH || 50);
const chain = process.env.WORKER_CHAIN !== 'off';
const db = createDb(createPool(url, 2));
const wf = createWorkflow(db);
registerBenchStep(wf.handlers);
const wake = await listenForReadyTasks(url);
let stop = new AbortController();

let rounds = 0;
let busyRounds = 0;
let transitions = 0;
let failed = 0;
let errors = 0;
let roundMs: number[] = [];

let started: Promise<void> | undefined;
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line === 'go' && !started) {
    stop = new AbortController();
    started = workLoop(db, wf.engine, {
      batch,
      chain,
      idleMs: 250,
      wake,
      signal: stop.signal,
      onError: (err) => {
        errors++;
        process.stderr.write(`worker: ${err instanceof Error ? err.message : String(err)}\n`);
      },
      onRound: (r, ms) => {
        rounds++;
        if (r.claimed > 0) {
          busyRounds++;
          roundMs.push(ms);
        }
        transitions += r.completed;
        failed += r.failed;
      },
    });
  } else if (line === 'pause') {
    stop.abort();
    void (async () => {
      await started;
      started = undefined;
      process.stdout.write('paused\n');
    })();
  } else if (line === 'stats') {
    process.stdout.write(
      `stats ${JSON.stringify({ pid: process.pid, rounds, busyRounds, transitions, failed, errors, roundMs })}\n`,
    );
    rounds = busyRounds = transitions = failed = errors = 0;
    roundMs = [];
  }
});
process.on('SIGTERM', () => {
  stop.abort();
  void (async () => {
    await started;
    await wake.close();
    await db.destroy();
    process.exit(0);
  })();
});
process.stdout.write('ready\n');
