// `npm run bench -- activation-latency [n=2000] [rounds=2] [connections=2] [pipeline=4]`: why the
// automaton's osmo-hlr commands take longer than the raw client's (issue #5, 2026-11-26 S5 A2).
// Interleaved phases on one osmo-hlr and one bench PostgreSQL, each with N activations (create,
// keys, MSISDN: 3 commands) over the same connections and depth:
//   raw            the raw CTRL client alone;
//   raw+pgbench-R  the raw client while pgbench (TPC-B, 1 client, rate-limited to the automaton's
//                  commit rate) writes to the same PostgreSQL: disk contention only;
//   raw+pgbench    the same with pgbench unthrottled (2 clients): far more commits and WAL;
//   auto           the workflow + automaton (as `bench activation`);
//   auto-async     the same with the server at synchronous_commit = off (diagnostic only);
//   auto-split     the automaton here, the workflow steps in a `gpto worker --role workflow` process;
//   raw+loop-stalls / raw+cpu-burner / raw+all   stand-ins for the automaton's event-loop and CPU use;
//   nice:N         renice osmo-hlr for the phases that follow.
// GPTO_LATENCY_PHASES picks and orders the phases; GPTO_LATENCY_STRACE=1 times osmo-hlr's fdatasyncs.
// Per phase: activations/s, per-command latency (raw: around link.send; automaton: the journal's
// durations), the element's operations in flight and queued (sampled every 2 ms), the event-loop
// delay of this process (perf_hooks), PostgreSQL commits/s and WAL MB/s, osmo-hlr CPU ms per
// activation and its fdatasync count. Diagnostic: not a target of its own.
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sql } from 'kysely';
import { SYSTEM } from '../src/platform/events.js';
import type { Db } from '../src/platform/db.js';
import { createInventory } from '../src/modules/inventory/index.js';
import {
  createWorkflow,
  listenForReadyTasks,
  workLoop,
  type ScenarioDef,
} from '../src/modules/workflow/index.js';
import { activationSteps, AUTOMATON_ACTOR, createActivation } from '../src/modules/activation/index.js';
import { HlrLink, hlrOps } from '../src/modules/activation/drivers/hlr.driver.js';
import type { Session } from '../src/modules/activation/drivers/driver.js';
import { cardsCsv, makeCards, type TestCard } from '../src/modules/activation/testing/fixtures.js';
import {
  osmoHlrAvailable,
  OSMO_HLR_SKIP_REASON,
  startOsmoHlr,
} from '../src/modules/activation/testing/osmo-hlr.js';
import {
  cpuMeter,
  ensurePgbench,
  environment,
  openBenchRuntime,
  percentiles,
  PGBENCH,
  printResult,
  printTable,
  round,
  withDatabase,
} from './lib.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function procCpuMs(pid: number | null): number {
  if (!pid) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(f[11] ?? 0) + Number(f[12] ?? 0)) * 10;
  } catch {
    return 0;
  }
}

/** Write syscalls of a process so far (/proc/<pid>/io syscw: writes + fsyncs are not split there). */
function procIo(pid: number | null): { syscw: number; writeBytes: number } {
  if (!pid) return { syscw: 0, writeBytes: 0 };
  try {
    const t = readFileSync(`/proc/${pid}/io`, 'utf8');
    const v = (k: string) => Number(new RegExp(`${k}: (\\d+)`).exec(t)?.[1] ?? 0);
    return { syscw: v('syscw'), writeBytes: v('write_bytes') };
  } catch {
    return { syscw: 0, writeBytes: 0 };
  }
}

function libpqEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  return {
    ...process.env,
    PGHOST: u.searchParams.get('host') || u.hostname,
    PGPORT: u.port || '5432',
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
  };
}

async function serverStats(db: Db) {
  const r = await sql<{ commits: string; lsn: string }>`
    SELECT (SELECT sum(xact_commit) FROM pg_stat_database)::text AS commits,
           pg_current_wal_lsn()::text AS lsn`.execute(db);
  return r.rows[0]!;
}

function scenario(code: string, operation: string): ScenarioDef {
  const steps = activationSteps('activate', operation, ['done']);
  return {
    code,
    name: `Benchmark: ${operation}`,
    start: ['activate'],
    nodes: { ...steps.nodes, done: { kind: 'end', label: 'Done', result: 'completed' } },
    transitions: steps.transitions,
  };
}

export async function run(args: string[]): Promise<void> {
  const positional = args.filter((a) => !a.startsWith('--'));
  const n = Number(positional[0] ?? 2000);
  const rounds = Number(positional[1] ?? 2);
  const conns = Number(positional[2] ?? 2);
  const depth = Number(positional[3] ?? 4);
  process.env.GPTO_BENCH_DATA_DIR ??= 'data/bench-activation';
  if (!osmoHlrAvailable()) {
    console.error(`bench activation-latency needs osmo-hlr: ${OSMO_HLR_SKIP_REASON}`);
    process.exit(2);
  }
  rmSync(process.env.GPTO_BENCH_DATA_DIR, { recursive: true, force: true });
  const rt = await openBenchRuntime({
    dataDir: process.env.GPTO_BENCH_DATA_DIR,
    pgPort: Number(process.env.GPTO_BENCH_PG_PORT ?? 54383),
    poolSize: 16,
  });
  const hlr = await startOsmoHlr();
  const secretKey = randomBytes(32);
  const inventory = createInventory(rt.db, secretKey);
  const workflow = createWorkflow(rt.db);
  const activation = createActivation(rt.db, {
    secretKey,
    keys: (iccid) => inventory.sims.authKeys(iccid, AUTOMATON_ACTOR),
    keysMany: (iccids) => inventory.sims.authKeysMany(iccids, AUTOMATON_ACTOR),
    workflow,
    onError: (e) => console.error('automaton error', e),
  });
  const wakes = await Promise.all([0, 1].map(() => listenForReadyTasks(rt.url)));
  let pgb: ChildProcess | null = null;
  try {
    const env = await environment();
    await ensurePgbench(rt.url, 10);
    await activation.service.upsertElement(
      {
        code: 'BENCH_HLR',
        kind: 'osmo_hlr',
        name: 'bench HLR',
        host: hlr.host,
        port: hlr.port,
        poolSize: conns,
        pipeline: depth,
        isDefault: true,
      },
      SYSTEM,
    );
    await workflow.scenarios.createVersion(scenario('bench_act_mobile', 'mobile.activate'), SYSTEM);
    await activation.service.loadElements();
    const seed = Math.floor(Date.now() / 1000) % 10000;
    let set = 0;
    const results: Record<string, string | number>[] = [];

    /** Runs `work` with the samplers on; returns the phase's figures. */
    const measure = async (
      phase: string,
      work: () => Promise<{ done: number; commandMs: number[]; windowS?: number }>,
    ): Promise<void> => {
      const eld = monitorEventLoopDelay({ resolution: 1 });
      const inFlight: number[] = [];
      const queued: number[] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const h = activation.manager.health().find((x) => x.code === 'BENCH_HLR');
          inFlight.push(h?.inFlight ?? 0);
          queued.push(h?.queued ?? 0);
          await sleep(2);
        }
      })();
      const s0 = await serverStats(rt.db);
      const cpu0 = procCpuMs(hlr.pid());
      const cpu = cpuMeter(process.pid);
      const io0 = procIo(hlr.pid());
      const load = (await import('node:os')).loadavg()[0]!;
      // GPTO_LATENCY_STRACE=1: osmo-hlr's fdatasync durations during the phase (strace attached with
      // a seccomp filter, so only those calls stop the process): the disk's share of its latency
      const traceFile = path.join(tmpdir(), `gpto-hlr-fsync-${process.pid}-${results.length}.txt`);
      const tracer =
        process.env.GPTO_LATENCY_STRACE === '1'
          ? spawn(
              'strace',
              [
                '--seccomp-bpf',
                '-f',
                '-T',
                '-e',
                'trace=fdatasync,fsync',
                '-o',
                traceFile,
                '-p',
                String(hlr.pid()),
              ],
              {
                stdio: 'ignore',
              },
            )
          : null;
      if (tracer) await sleep(300);
      eld.enable();
      const t0 = performance.now();
      const { done, commandMs, windowS } = await work();
      const ms = performance.now() - t0;
      eld.disable();
      sampling = false;
      await sampler;
      let fsync: { count: number; p50: number; p95: number; sumMs: number } | null = null;
      if (tracer) {
        tracer.kill('SIGINT');
        await new Promise((r) => tracer.once('exit', r));
        const d = [...readFileSync(traceFile, 'utf8').matchAll(/<([0-9.]+)>/g)].map(
          (m) => Number(m[1]) * 1000,
        );
        const p = percentiles(d);
        fsync = { count: d.length, p50: p.p50, p95: p.p95, sumMs: d.reduce((a, b) => a + b, 0) };
        rmSync(traceFile, { force: true });
      }
      const cpu1 = procCpuMs(hlr.pid());
      const own = cpu(done);
      const io1 = procIo(hlr.pid());
      await sleep(1100);
      const s1 = await serverStats(rt.db);
      const wal = await sql<{ b: string }>`SELECT pg_wal_lsn_diff(${s1.lsn}, ${s0.lsn})::text AS b`.execute(
        rt.db,
      );
      const c = percentiles(commandMs);
      const busy = inFlight.filter((x) => x > 0);
      const row = {
        phase,
        load: round(load),
        perSecond: round((done * 1000) / ms),
        // automaton phases: activations per second of the orders' window (first queued → last done)
        orderWindowPerSecond: windowS ? round(done / windowS) : 0,
        cmdP50: round(c.p50),
        cmdP95: round(c.p95),
        // the element's operations in flight while it had any (raw phases: 0, their links are not pooled)
        inFlightMean: busy.length ? round(busy.reduce((a, b) => a + b, 0) / busy.length) : 0,
        inFlightFull: busy.length ? round(busy.filter((x) => x >= conns * depth).length / busy.length) : 0,
        queuedMean: queued.length ? round(queued.reduce((a, b) => a + b, 0) / queued.length) : 0,
        eldP50: round(eld.percentile(50) / 1e6),
        eldP99: round(eld.percentile(99) / 1e6),
        eldMax: round(eld.max / 1e6),
        pgCommitsPerS: round(((Number(s1.commits) - Number(s0.commits)) * 1000) / (ms + 1100)),
        walMBPerS: round(Number(wal.rows[0]!.b) / 1e6 / (ms / 1000)),
        hlrCpuMs: round((cpu1 - cpu0) / done),
        // CPU ms per activation of this process and of PostgreSQL (pgbench's backends included)
        nodeCpuMs: round(own.app),
        pgCpuMs: own.postgres === null ? -1 : round(own.postgres),
        // the cores the phase's own processes used (node + PostgreSQL + osmo-hlr)
        coresUsed: round(((own.app + (own.postgres ?? 0) + (cpu1 - cpu0) / done) * done) / ms),
        hlrWriteSyscalls: round((io1.syscw - io0.syscw) / done),
        ...(fsync
          ? {
              fsyncPerAct: round(fsync.count / done),
              fsyncP50: round(fsync.p50),
              fsyncP95: round(fsync.p95),
              // share of the phase osmo-hlr spent inside fdatasync
              fsyncShare: round(fsync.sumMs / ms),
            }
          : {}),
      };
      console.log(JSON.stringify(row));
      results.push(row);
    };

    const raw = async () => {
      const cards = makeCards(n, seed * 10 + set++);
      const links = Array.from({ length: conns }, () => new HlrLink({ host: hlr.host }));
      const commandMs: number[] = [];
      const session = (l: HlrLink): Session => ({
        async send(command: string) {
          const t = performance.now();
          const reply = await l.send(command);
          commandMs.push(performance.now() - t);
          return reply;
        },
      });
      let next = 0;
      const msisdn = (i: number) =>
        `2218${String(set).padStart(2, '0')}${String(seed).padStart(4, '0')}${String(i).padStart(5, '0')}`;
      await Promise.all(
        Array.from({ length: conns * depth }, async (_, lane) => {
          while (next < cards.length) {
            const i = next++;
            const c = cards[i]! as TestCard;
            await hlrOps.activate(session(links[lane % conns]!), {
              imsi: c.imsi,
              msisdn: msisdn(i),
              keys: c,
            });
          }
        }),
      );
      links.forEach((l) => l.close());
      return { done: n, commandMs };
    };

    const startPgbench = (rate: number | null, clients: number, script?: string) => {
      const a = [
        '-c',
        String(clients),
        '-j',
        String(clients),
        '-T',
        '3600',
        '-n',
        ...(rate ? ['-R', String(rate)] : []),
        ...(script ? ['-f', script] : []),
      ];
      pgb = spawn(PGBENCH, a, { env: libpqEnv(withDatabase(rt.url, 'pgbench')), stdio: 'ignore' });
    };
    const stopPgbench = async () => {
      const p = pgb;
      pgb = null;
      if (!p) return;
      p.kill('SIGINT');
      await new Promise((r) => p.once('exit', r));
    };

    const prepareAuto = async () => {
      const cards = makeCards(n, seed * 10 + set++);
      for (let i = 0; i < n; i += 5000)
        await inventory.sims.importBatch(
          { batch: `LAT${seed}S${set}X${i}`, manufacturer: 'bench', csv: cardsCsv(cards.slice(i, i + 5000)) },
          SYSTEM,
        );
      const ids: number[] = [];
      for (let i = 0; i < n; i += 500)
        await rt.db.transaction().execute(async (trx) => {
          for (let j = i; j < Math.min(n, i + 500); j++) {
            const line = `2219${String(set).padStart(2, '0')}${String(seed).padStart(4, '0')}${String(j).padStart(5, '0')}`;
            ids.push(
              await workflow.engine.start(trx, {
                scenarioCode: 'bench_act_mobile',
                subjectType: 'bench_activation',
                subjectId: `lat${seed}-${set}-${j}`,
                customerId: null,
                lineId: line,
                data: { directoryNumber: line, simIccid: cards[j]!.iccid },
                by: SYSTEM,
              }),
            );
          }
        });
      for (const t of ['inv_sim', 'wf_instance', 'wf_task', 'act_order', 'act_command', 'event'])
        await sql`VACUUM (ANALYZE) ${sql.table(t)}`.execute(rt.db);
      return ids;
    };

    // split: the workflow's steps in a `gpto worker --role workflow` process, only the automaton here
    // (the deployment docs/activation.md describes: `gpto worker --role automaton` beside it)
    const auto =
      (ids: number[], split = false) =>
      async () => {
        const since = new Date();
        const stop = new AbortController();
        const child = split
          ? spawn(
              process.execPath,
              ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--role', 'workflow', '--batch', '50'],
              {
                env: {
                  ...process.env,
                  DATABASE_URL: rt.url,
                  GPTO_SECRET_KEY: secretKey.toString('hex'),
                },
                stdio: 'ignore',
              },
            )
          : null;
        activation.automaton.start();
        const loops = (split ? [] : [0, 1]).map((i) =>
          workLoop(rt.db, workflow.engine, {
            batch: 50,
            signal: stop.signal,
            actors: ['activation_automaton'],
            wake: wakes[i]!,
          }),
        );
        const last = ids[ids.length - 1]!;
        let cursor = ids[0]!;
        for (;;) {
          const r = await sql<{ id: number }>`
          SELECT id FROM wf_instance WHERE id BETWEEN ${cursor} AND ${last} AND status = 'running' ORDER BY id LIMIT 1`.execute(
            rt.db,
          );
          if (!r.rows[0]) break;
          cursor = Number(r.rows[0].id);
          await sleep(50);
        }
        stop.abort();
        await Promise.all(loops);
        if (child) {
          child.kill('SIGTERM');
          await new Promise((r) => child.once('exit', r));
        }
        await activation.automaton.stop();
        const d = await sql<{ ms: number }>`
        SELECT duration_ms AS ms FROM act_command WHERE element_code = 'BENCH_HLR' AND sent_at >= ${since}`.execute(
          rt.db,
        );
        const c = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM wf_instance WHERE id BETWEEN ${ids[0]} AND ${last} AND status = 'completed'`.execute(
          rt.db,
        );
        // the orders' own window, from the first order queued to the last finished: the same clock for
        // both placements of the workflow workers (a worker process takes seconds to start)
        const w = await sql<{ s: number }>`
        SELECT extract(epoch FROM max(finished_at) - min(created_at))::float8 AS s
          FROM act_order WHERE element_code = 'BENCH_HLR' AND created_at >= ${since}`.execute(rt.db);
        return {
          done: c.rows[0]!.n,
          commandMs: d.rows.map((x) => Number(x.ms)),
          windowS: Number(w.rows[0]?.s ?? 0),
        };
      };

    const setSync = async (on: boolean) => {
      await sql.raw(`ALTER SYSTEM SET synchronous_commit = ${on ? 'on' : 'off'}`).execute(rt.db);
      await sql`SELECT pg_reload_conf()`.execute(rt.db);
      await sleep(200);
    };

    // a stand-in for the automaton's own work: this process's event loop blocked `ms` every `every` ms
    const stalls = (ms: number, every: number) => {
      const t = setInterval(() => {
        const end = performance.now() + ms;
        while (performance.now() < end);
      }, every);
      return () => clearInterval(t);
    };
    // the same CPU burnt in another process (the machine's CPU, not this event loop)
    const burner = (ms: number, every: number) => {
      const p = spawn(
        process.execPath,
        [
          '-e',
          `setInterval(() => { const e = performance.now() + ${ms}; while (performance.now() < e); }, ${every})`,
        ],
        { stdio: 'ignore' },
      );
      return () => p.kill('SIGTERM');
    };
    const walScript = path.join(tmpdir(), `gpto-pgbench-wal-${process.pid}.sql`);
    // ≈ 35 kB of WAL per commit: at 60/s the automaton's commit rate and WAL volume (≈ 2 MB/s)
    writeFileSync(
      walScript,
      "INSERT INTO bench_wal_pad SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 1000);\n",
    );
    const pgbDb = new pg.Client({ connectionString: withDatabase(rt.url, 'pgbench') });
    await pgbDb.connect();
    await pgbDb.query('CREATE TABLE IF NOT EXISTS bench_wal_pad (x text)');
    await pgbDb.end();

    // the burner's duty: `busy/period` ms (GPTO_LATENCY_BURN, default 8/20: 0.4 of a core)
    const burn = (process.env.GPTO_LATENCY_BURN ?? '8/20').split('/').map(Number) as [number, number];
    const phases = (
      process.env.GPTO_LATENCY_PHASES ??
      'raw,raw+pgbench-R60,auto,raw+pgbench-wal,raw+loop-stalls,auto-async,raw+cpu-burner,raw+pgbench'
    ).split(',');
    for (let r = 0; r < rounds; r++) {
      for (const phase of phases) {
        switch (phase) {
          case 'raw':
            await measure(phase, raw);
            break;
          case 'raw+pgbench-R60':
            startPgbench(60, 1);
            await sleep(1000);
            await measure(phase, raw);
            await stopPgbench();
            break;
          case 'raw+pgbench-wal':
            startPgbench(60, 1, walScript);
            await sleep(1000);
            await measure(phase, raw);
            await stopPgbench();
            break;
          case 'raw+pgbench':
            startPgbench(null, 2);
            await sleep(1000);
            await measure(phase, raw);
            await stopPgbench();
            break;
          case 'raw+loop-stalls': {
            const stop = stalls(4, 25);
            await measure(phase, raw);
            stop();
            break;
          }
          case 'raw+cpu-burner': {
            const stop = burner(burn[0], burn[1]);
            await sleep(500);
            await measure(phase, raw);
            stop();
            break;
          }
          case 'raw+all': {
            // the three stand-ins at once: WAL-heavy commits, loop stalls, another process's CPU
            startPgbench(60, 1, walScript);
            const stopStalls = stalls(4, 25);
            const stopBurner = burner(burn[0], burn[1]);
            await sleep(1000);
            await measure(phase, raw);
            stopBurner();
            stopStalls();
            await stopPgbench();
            break;
          }
          case 'auto':
            await measure(phase, auto(await prepareAuto()));
            break;
          case 'auto-split':
            await measure(phase, auto(await prepareAuto(), true));
            break;
          case 'auto-async': {
            const ids = await prepareAuto();
            await setSync(false);
            await measure(phase, auto(ids));
            await setSync(true);
            break;
          }
          default: {
            // `nice:N`: osmo-hlr's scheduling priority from now on (a stand-in for an HLR on a host
            // of its own: it gets a core whenever it is runnable); the next phases carry it
            const m = /^nice:(-?\d+)$/.exec(phase);
            if (!m) throw new Error(`unknown phase ${phase}`);
            await new Promise((r) =>
              spawn('renice', ['-n', m[1]!, '-p', String(hlr.pid())], { stdio: 'ignore' }).once('exit', r),
            );
            results.push({ phase: `osmo-hlr nice ${m[1]}` });
          }
        }
      }
    }
    printTable(results, `activation latency: ${n} activations per phase, ${conns} connections × ${depth}`);
    printResult({
      bench: 'activation-latency',
      n,
      rounds,
      connections: conns,
      pipeline: depth,
      phases: results,
      env,
    });
  } finally {
    if (pgb) (pgb as ChildProcess).kill('SIGINT');
    await sql`ALTER SYSTEM RESET synchronous_commit`.execute(rt.db).catch(() => undefined);
    await activation.stop().catch(() => undefined);
    await Promise.all(wakes.map((w) => w.close()));
    await hlr.dispose();
    await rt.close();
  }
}
