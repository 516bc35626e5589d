// `npm run bench -- assistance [--lines N] [--duration S] [--connections C] [--pgbench-clients C]`
//
// The line consultation `GET /api/v1/lines/:number` over HTTP at C concurrent connections (default
// 32) on the demo database (1 M customers, loaded by `npm run bench -- referential`), with the live
// line status and meter index read from the switch simulator on every call, beside pgbench
// select-only on the same server in the same run. Target (issue 7): p99 ≤ 50 ms.
//
// The switch: `gpto switch-sim` runs in a child process of its own on a free port; the benchmark
// provisions N sampled live fixed lines on it (CRT-LINE with the line's equipment number: the
// generated demo has no plant, so bench/assistance-plant.ts first gives every sampled line a real,
// live technical file — its chain is then read by every consultation, as a real line's is), gives each a known meter index (SIM-CALL) and bars a few
// (BLK-LINE, SET-MAINT), then registers it as the default `mml_switch` element through the API.
// Before measuring it checks over HTTP that the consultation reports exactly those states and
// meters (so the status really comes from the simulator); after, it counts the DSP-LINE commands
// the activation journal recorded during the measured run.
//
// The database is an embedded PostgreSQL in GPTO_BENCH_DATA_DIR (default data/bench) on
// GPTO_BENCH_PG_PORT (default 54339), or the server of DATABASE_URL. The app runs in a child
// process on GPTO_BENCH_PORT (default: a free port).
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  ensureBenchUser,
  ensurePgbench,
  environment,
  login,
  openBenchRuntime,
  printResult,
  printTable,
  runPgbench,
  startAppProcess,
  loadHttp,
  cpuMeter,
  type CpuPerRequest,
  type HttpFigures,
} from './lib.js';
import { equipLinesReport, type BenchLineKind } from './assistance-plant.js';

const TARGETS = { p99Ms: 50 };
const ELEMENT = 'BENCHSW';
const SWITCH_USER = 'gpto';
const SWITCH_PASSWORD = 'bench-switch-2026';

interface Args {
  lines: number;
  duration: number;
  connections: number;
  pgbenchClients: number;
  minCustomers: number;
}

function parseArgs(args: string[]): Args {
  const out: Args = {
    lines: 5000,
    duration: 20,
    connections: 32,
    pgbenchClients: 32,
    minCustomers: 1_000_000,
  };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i];
    const value = Number((args[i + 1] ?? '').replace(/_/g, ''));
    if (!Number.isInteger(value) || value < 1) throw new Error(`${key} needs a whole number`);
    if (key === '--lines') out.lines = value;
    else if (key === '--duration') out.duration = value;
    else if (key === '--connections') out.connections = value;
    else if (key === '--pgbench-clients') out.pgbenchClients = value;
    else if (key === '--min-customers') out.minCustomers = value;
    else throw new Error(`unknown option ${key}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The switch simulator (`gpto switch-sim`) in a child process, and a minimal pipelined MML client

interface SwitchProcess {
  port: number;
  close: () => Promise<void>;
}

async function startSwitchSim(): Promise<SwitchProcess> {
  const cli = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...process.execArgv,
      cli,
      'switch-sim',
      '--port',
      '0',
      '--name',
      'BENCH',
      '--user',
      SWITCH_USER,
      '--password',
      SWITCH_PASSWORD,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on [^:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`switch simulator exited with code ${code}: ${out}`)));
  });
  child.removeAllListeners('exit');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Sends MML commands (`VERB:TAG:K=V,…;`) pipelined on one connection after LOGIN and returns
 * how many completed and the replies that did not (DENY lines).
 */
async function mml(port: number, commands: string[]): Promise<{ ok: number; denied: string[] }> {
  const socket = connect({ port, host: '127.0.0.1' });
  socket.setEncoding('latin1');
  const all = [`LOGIN:L0:USER=${SWITCH_USER},PWD=${SWITCH_PASSWORD};`, ...commands];
  return new Promise((resolve, reject) => {
    let buf = '';
    let greeted = false;
    let replies = 0;
    let ok = 0;
    const denied: string[] = [];
    socket.on('error', reject);
    socket.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (!greeted) {
          greeted = true;
          // pipelined in chunks, so the simulator's buffer limit is never reached
          for (let i = 0; i < all.length; i += 500) socket.write(all.slice(i, i + 500).join('\n') + '\n');
          continue;
        }
        replies++;
        if (/^\S+ COMPLD/.test(line)) ok++;
        else denied.push(line);
        if (replies === all.length) {
          socket.end();
          if (denied.length && /^L0 /.test(denied[0] ?? ''))
            reject(new Error(`switch login refused: ${denied[0]}`));
          else resolve({ ok: ok - 1, denied });
        }
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Load

interface SampledLine {
  dn: string;
  en: string;
  kind: string;
  /** What the simulator was set to, so the consultation can be checked against it. */
  meter: number;
  state: 'idle' | 'barred' | 'out_of_service';
}

interface LineView {
  technicalFile: unknown;
  status: {
    available: boolean;
    state: string;
    meterIndex: number | null;
    source: string;
    detail: string | null;
  };
}

export async function run(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const env = await environment();
  const rt = await openBenchRuntime({ poolSize: 4 });
  let sim: SwitchProcess | null = null;
  try {
    const customers = Number(
      (await rt.pool.query<{ n: string }>('SELECT count(*) AS n FROM customer')).rows[0]?.n ?? 0,
    );
    if (customers < args.minCustomers)
      throw new Error(
        `the bench database holds ${customers} customers (< ${args.minCustomers}): load the demo first ` +
          `with \`npm run bench -- referential\` on the same GPTO_BENCH_DATA_DIR, or pass --min-customers`,
      );
    const pgbenchInitSeconds = await ensurePgbench(rt.url, 10);
    const credentials = await ensureBenchUser(rt);

    // Live fixed lines (wired and radio) drawn across the whole table, as agents get calls about them.
    const rows = (
      await rt.pool.query<{ dn: string; en: string | null; kind: string }>(
        `SELECT s.directory_number AS dn, s.equipment_number AS en, p.kind
         FROM subscription s TABLESAMPLE SYSTEM (3)
         JOIN product_version pv ON pv.id = s.product_version_id
         JOIN product p ON p.id = pv.product_id
         WHERE p.kind IN ('fixed_wired', 'fixed_radio') AND s.status <> 'terminated'
           AND s.directory_number IS NOT NULL
         ORDER BY random() LIMIT $1`,
        [args.lines],
      )
    ).rows;
    if (rows.length < Math.min(args.lines, 100))
      throw new Error(`only ${rows.length} live fixed lines found in the sample`);
    // The generated 1 M demo has no plant: give every sampled line a real, live technical file (as a
    // study + set-up leaves it), so each consultation reads its chain as a real line's would.
    const plant = await equipLinesReport(
      rt.pool,
      rows.map((r) => ({ dn: r.dn, kind: r.kind as BenchLineKind })),
      (m) => console.log(m),
    );
    console.log(
      `technical files: ${plant.built} lines equipped, ${plant.reused} already equipped` +
        (plant.missing.length ? `, ${plant.missing.length} without a live subscription` : ''),
    );
    const lines: SampledLine[] = rows
      .filter((r) => plant.equipment.has(r.dn))
      .map((r, i) => ({
        dn: r.dn,
        en: plant.equipment.get(r.dn) ?? '',
        kind: r.kind,
        meter: 1 + ((i * 37) % 997),
        state: i % 50 === 7 ? 'barred' : i % 100 === 13 ? 'out_of_service' : 'idle',
      }));

    // The switch: simulator process, lines provisioned, known meters, a few barred or out of service.
    sim = await startSwitchSim();
    const commands: string[] = [];
    lines.forEach((l, i) => {
      commands.push(`CRT-LINE:C${i}:DN=${l.dn},EN=${l.en},CAT=RES;`);
      commands.push(`SIM-CALL:M${i}:DN=${l.dn},UNITS=${l.meter},SECS=0;`);
      if (l.state === 'barred') commands.push(`BLK-LINE:B${i}:DN=${l.dn};`);
      if (l.state === 'out_of_service') commands.push(`SET-MAINT:O${i}:DN=${l.dn},STATE=OOS;`);
    });
    const t0 = performance.now();
    const provisioned = await mml(sim.port, commands);
    const provisionMs = performance.now() - t0;
    if (provisioned.denied.length)
      throw new Error(`switch refused ${provisioned.denied.length} commands, e.g. ${provisioned.denied[0]}`);

    const app = await startAppProcess(rt.url, Number(process.env.GPTO_BENCH_PORT || 0));
    let consult: HttpFigures;
    let cpuPerConsultation: CpuPerRequest | undefined;
    let measuredFrom: Date;
    let measuredTo: Date;
    let checked = 0;
    let journalCatchUpMs = 0;
    const journaled = async (from: Date, to: Date) => {
      const j = (
        await rt.pool.query<{ ok: string; other: string }>(
          `SELECT count(*) FILTER (WHERE outcome = 'ok') AS ok, count(*) FILTER (WHERE outcome <> 'ok') AS other
           FROM act_command
           WHERE element_code = $1 AND command LIKE 'DSP-LINE%' AND sent_at >= $2 AND sent_at <= $3`,
          [ELEMENT, from, to],
        )
      ).rows[0];
      return { ok: Number(j?.ok ?? 0), failed: Number(j?.other ?? 0) };
    };
    try {
      const auth = await login(app.baseUrl, credentials);
      const put = await fetch(`${app.baseUrl}/api/v1/activation/elements/${ELEMENT}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          kind: 'mml_switch',
          name: 'Benchmark switch simulator',
          host: '127.0.0.1',
          port: sim.port,
          username: SWITCH_USER,
          password: SWITCH_PASSWORD,
          poolSize: 8,
          ratePerSecond: 0,
          timeoutMs: 2000,
          isDefault: true,
        }),
      });
      if (!put.ok)
        throw new Error(`registering the switch element failed: ${put.status} ${await put.text()}`);

      // The consultation must report what the simulator holds: state and meter of each checked line.
      const probe = [...lines.filter((l) => l.state !== 'idle').slice(0, 10), ...lines.slice(0, 20)];
      for (const l of probe) {
        const res = await fetch(`${app.baseUrl}/api/v1/lines/${l.dn}`, { headers: auth });
        if (!res.ok) throw new Error(`GET /lines/${l.dn}: ${res.status} ${await res.text()}`);
        const v = (await res.json()) as LineView;
        const s = v.status;
        if (!v.technicalFile) throw new Error(`line ${l.dn}: the consultation shows no technical file`);
        if (!s.available || s.source !== 'switch' || s.state !== l.state || s.meterIndex !== l.meter)
          throw new Error(
            `line ${l.dn}: consultation says ${JSON.stringify(s)}, the simulator holds ${l.state} meter ${l.meter}`,
          );
        checked++;
      }

      const paths = lines.map((l) => `/api/v1/lines/${l.dn}`);
      // Warm the caches (buffer pool, plans, switch connections, JIT of the app) before measuring.
      await loadHttp(app.baseUrl, auth, paths.slice(0, 1000), args.connections, 3);
      measuredFrom = new Date();
      const cpu = cpuMeter(app.pid);
      consult = await loadHttp(app.baseUrl, auth, paths, args.connections, args.duration);
      cpuPerConsultation = cpu(consult.requests);
      measuredTo = new Date();
      // The activation journal writes the DSP-LINE rows in batches behind the answers, through the
      // same pool as the consultations: under load it lags, and rows still buffered when the app
      // stops are lost. Wait (app running) until the count of the measured window stops growing.
      const t1 = performance.now();
      for (let last = -1; performance.now() - t1 < 60_000;) {
        await new Promise((r) => setTimeout(r, 500));
        const n = await journaled(measuredFrom, measuredTo);
        if (n.ok + n.failed === last) break;
        last = n.ok + n.failed;
      }
      journalCatchUpMs = performance.now() - t1;
    } finally {
      await app.close();
    }
    const switchQueries = await journaled(measuredFrom, measuredTo);
    await sim.close();
    sim = null;
    // Leave the bench database without a default switch pointing at a port that is gone.
    await rt.pool.query('UPDATE act_element SET enabled = false, is_default = false WHERE code = $1', [
      ELEMENT,
    ]);

    // The baseline on the same server, with the app and the simulator stopped.
    const pgbench = await runPgbench(rt.url, {
      mode: 'select-only',
      clients: args.pgbenchClients,
      seconds: args.duration,
    });
    const ratio = consult.rps / pgbench.tps;
    printTable(
      [
        { what: 'line consultation GET /lines/:number', ...consult, 'ratio to pgbench -S': ratio },
        {
          what: `pgbench -S (${pgbench.clients} clients, ${pgbench.protocol})`,
          requests: pgbench.transactions,
          rps: pgbench.tps,
          'ratio to pgbench -S': 1,
        },
      ],
      `assistance on ${customers} customers, ${lines.length} fixed lines on the switch simulator, ` +
        `${args.connections} connections, ${args.duration} s (latencies in ms, rps = requests or tx per second)`,
    );
    console.log(
      `\nswitch simulator: ${provisioned.ok} provisioning commands in ${(provisionMs / 1000).toFixed(1)} s; ` +
        `${checked} consultations checked against it before the run; ` +
        `${switchQueries.ok} DSP-LINE queries journaled ok during the run (${switchQueries.failed} not ok) ` +
        `for ${consult.requests} consultations (the journal caught up ${(journalCatchUpMs / 1000).toFixed(1)} s after the run)`,
    );
    console.log(
      `CPU per consultation: app ${cpuPerConsultation?.app.toFixed(3)} ms, ` +
        `PostgreSQL ${cpuPerConsultation?.postgres?.toFixed(3) ?? '?'} ms (the simulator not counted)`,
    );
    const met = consult.p99 <= TARGETS.p99Ms && consult.errors === 0 && consult.non2xx === 0;
    console.log(`target: p99 ≤ ${TARGETS.p99Ms} ms ${met ? 'met' : 'MISSED'}\n`);
    printResult({
      bench: 'assistance',
      ...env,
      customers,
      connections: args.connections,
      durationSeconds: args.duration,
      technicalFiles: { built: plant.built, reused: plant.reused, missing: plant.missing.length },
      switchSim: {
        lines: lines.length,
        provisioningCommands: provisioned.ok,
        provisionSeconds: provisionMs / 1000,
        checkedBeforeRun: checked,
        dspLineJournaledOk: switchQueries.ok,
        dspLineJournaledNotOk: switchQueries.failed,
        journalCatchUpSeconds: journalCatchUpMs / 1000,
      },
      consultation: { ...consult, cpuMsPerRequest: cpuPerConsultation },
      pgbenchSelectOnly: {
        tps: pgbench.tps,
        clients: pgbench.clients,
        threads: pgbench.threads,
        protocol: pgbench.protocol,
        scale: 10,
        initSeconds: pgbenchInitSeconds,
      },
      ratioToPgbench: ratio,
      targets: TARGETS,
      met: { p99: met },
    });
  } finally {
    if (sim) await sim.close();
    await rt.close();
  }
}
