import { buildApp } from './app.js';
import { listenForReadyTasks, workLoop, type Wake } from './modules/workflow/index.js';
import { AuditScheduler, holdWhileFull, startLocalElements } from './modules/activation/index.js';
import { startBillingJobs } from './modules/billing/collection-schedule.js';
import { loadAssistanceScenarios } from './modules/assistance/index.js';
import { prewarmSearch } from './modules/directory/index.js';
import { TmfHub, tmfApisOf } from './modules/tmf/index.js';
import { startStockReservationExpiry } from './modules/tmf/stock-tasks.js';
import { loadConfig, requireSecretKey, type Config } from './config.js';
import { loadReferenceData, DEMO_PASSWORD_DEFAULT } from './demo/reference-data.js';
import { generateCustomers } from './demo/generate.js';
import { generateListings } from './demo/listings.js';
import { loadDemoInstalledBase } from './demo/installed-base.js';
import { loadDemoPlant } from './demo/plant.js';
import { bootstrap } from './platform/bootstrap.js';
import { openRuntime } from './platform/runtime.js';
import { customersWithout360 } from './modules/referential/customer-360-refresh.js';

const DEMO_CUSTOMERS_ON_FIRST_START = 2_000;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** `gpto start`: database (embedded unless DATABASE_URL), migrations, first-start demo, HTTP. */
export async function start(config: Config = loadConfig()): Promise<void> {
  requireSecretKey(config); // before the demo load writes anything
  say(
    config.databaseUrl
      ? 'gpto: using the PostgreSQL server of DATABASE_URL'
      : `gpto: starting the embedded PostgreSQL in ${config.dataDir}/pg`,
  );
  const runtime = await openRuntime(config);
  const boot = await bootstrap(runtime.db, config.adminPassword);
  const demoPassword = process.env.GPTO_DEMO_PASSWORD || DEMO_PASSWORD_DEFAULT;
  const demo = await runtime.db
    .selectFrom('setting')
    .select('value')
    .where('key', '=', 'demo_loaded')
    .executeTakeFirst();
  if (!demo && process.env.GPTO_NO_DEMO !== '1') {
    say(`gpto: first start — loading the demo operator (${DEMO_CUSTOMERS_ON_FIRST_START} customers)…`);
    await loadReferenceData(runtime.db, demoPassword);
    await generateCustomers(runtime.pool, DEMO_CUSTOMERS_ON_FIRST_START);
    await generateListings(runtime.pool);
    await loadDemoPlant(runtime.db, config.secretKey);
    // the generated lines' technical files: ports, base stations, SIM cards with their keys
    await loadDemoInstalledBase(runtime.db, config.secretKey);
    await runtime.db
      .insertInto('setting')
      .values({ key: 'demo_loaded', value: JSON.stringify({ at: new Date().toISOString() }) })
      .execute();
  }
  // Customers left without their stored 360° document (a bulk load stopped half-way) are served
  // live, never backfilled by the triggers: say so, and how to mend it (two index-only counts,
  // ~0.2 s at 1 M customers; the exact anti-join only when they differ).
  const no360 = await customersWithout360(runtime.db);
  if (no360 > 0)
    say(
      `gpto: ${no360} customers have no stored 360° document (read live, slower): run \`gpto maintenance refresh-360\``,
    );
  const app = await buildApp({ db: runtime.db, config });
  // The shipped scenarios (a new version only where the shipped document changed) and the
  // in-process automatic workers; more workers can run elsewhere, they compete with SKIP LOCKED.
  await app.requests.loadDefaultScenarios();
  await loadAssistanceScenarios(app.workflow);
  const workers = new AbortController();
  // Idle workers wait on LISTEN: a commit that makes an automatic task ready wakes them at once.
  // Two loops by default: while one waits for its batch's commit the other works (a single loop
  // of 20 queued activation orders at ≈ 1,150/s beside the automaton, 2 × 50 at ≈ 2,400/s: the
  // automaton then waited for orders; docs/performance.md, activation, session 8).
  const wakes: Wake[] = [];
  // while the automaton is full the loops leave its steps ready: their orders are written when it
  // can take them at once (no claim), and the loops are woken when it has room
  const hold = holdWhileFull(app.activation.automaton, wakes);
  for (let i = 0; i < config.workflowLoops; i++) {
    // one LISTEN connection per loop: a wake-up resolves one waiter
    const wake = await listenForReadyTasks(runtime.url).catch(() => undefined);
    if (wake) wakes.push(wake);
    void workLoop(runtime.db, app.workflow.engine, {
      batch: config.workflowBatch,
      signal: workers.signal,
      hold,
      ...(wake ? { wake } : {}),
    });
  }
  const stopActivation = await startLocalElements(app.activation, config.dataDir, say);
  // The nightly network audit of every element (GPTO_AUDIT_AT, default 03:30; once per element and
  // day whatever the number of processes): what drifted is on the cards in the morning.
  const audits =
    config.auditAt === null
      ? null
      : new AuditScheduler(app.activation.audit, {
          at: config.auditAt,
          timeZone: config.timeZone,
          onError: (err) => app.http.log.error({ err }, 'nightly network audit'),
        });
  audits?.start();
  // Billing in the background: the daily collection run (GPTO_COLLECTION_AT, once a day whatever
  // the number of processes) and the bills' e-mail sender when GPTO_SMTP_URL is set.
  const billingJobs = startBillingJobs(app.billingCycle, {
    collectionAt: config.collectionAt,
    timeZone: config.timeZone,
    onError: (err) => app.http.log.error({ err }, 'billing background job'),
  });
  // TMF /hub notifications: one dispatcher per database (advisory lock), standby on other nodes.
  const tmfHub = new TmfHub(runtime.db, tmfApisOf(app.http), {
    log: app.http.log.child({ module: 'tmf-hub' }),
  });
  tmfHub.start();
  // TMF687 stock reservations past their end date give their SIM cards back (every minute).
  const stopStockExpiry = startStockReservationExpiry(runtime.db, app.inventory, {
    onError: (err) => app.http.log.error({ err }, 'TMF687 reservation expiry'),
  });
  await app.http.listen({ port: config.port, host: config.host });
  // The enquiries' word dictionary, read now rather than by the first search of the day.
  void app.directory.search.preload().then(
    (words) => app.http.log.info({ words }, 'directory dictionary read'),
    (err: Error) =>
      app.http.log.error({ err }, 'directory dictionary: first read failed (searches will retry)'),
  );
  // The listings and search indexes into PostgreSQL's cache: after a restart on a cold disk the first
  // enquiries would otherwise read them from the disk page by page.
  void prewarmSearch(runtime.db).then(
    (r) =>
      'skipped' in r
        ? app.http.log.warn(r, 'directory search relations not prewarmed')
        : app.http.log.info(r, 'directory search relations prewarmed'),
    (err: Error) => app.http.log.error({ err }, 'directory prewarm failed (searches are unaffected)'),
  );

  say('');
  say(`GPTo is running on http://localhost:${config.port}`);
  say(`  API docs:  http://localhost:${config.port}/api/docs`);
  if (boot.generatedAdminPassword) {
    say(
      `  Log in as admin with the password ${boot.generatedAdminPassword}  (shown this once; set GPTO_ADMIN_PASSWORD to choose it)`,
    );
  } else if (boot.createdAdmin) {
    say('  Log in as admin with the password of GPTO_ADMIN_PASSWORD');
  } else {
    say('  Log in as admin (password chosen on the first start)');
  }
  if (!demo && process.env.GPTO_NO_DEMO !== '1') {
    say(
      `  Demo agents: commercial, finance, switching, mdf, network, stock, field, enquiries, care, supervisor — password ${demoPassword}`,
    );
  }
  say('  Ctrl-C stops GPTo and its database.');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`\ngpto: ${signal} received, stopping…`);
    await app.http.close().catch(() => undefined);
    workers.abort();
    stopStockExpiry();
    await Promise.race([audits?.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000))]);
    await Promise.race([billingJobs.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000))]);
    await Promise.all(wakes.map((w) => w.close()));
    await Promise.race([tmfHub.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000))]);
    // Running network orders finish or keep their lease (re-run after a restart, idempotently);
    // bounded so that an element that never answers cannot hold the stop.
    await Promise.race([stopActivation().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000))]);
    await runtime.close();
    say('gpto: stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
