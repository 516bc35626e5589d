import { Command, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { ConfigError, loadConfig, requireSecretKey } from '../config.js';
import { start } from '../main.js';
import { openRuntime } from '../platform/runtime.js';
import { bootstrap } from '../platform/bootstrap.js';
import { createUser, setPassword } from '../platform/auth/auth.service.js';
import { SYSTEM } from '../platform/events.js';
import { loadReferenceData, DEMO_PASSWORD_DEFAULT } from '../demo/reference-data.js';
import { generateCustomers } from '../demo/generate.js';
import { generateListings } from '../demo/listings.js';
import { loadDemoInstalledBase } from '../demo/installed-base.js';
import { loadDemoPlant } from '../demo/plant.js';
import { registerDirectoryCommands } from './directory.js';
import { registerBillingCommands } from './billing.js';
import { registerSwitchSimCommand } from '../modules/activation/switch-sim/cli.js';
import { registerWorkerCommand } from './worker.js';
import { registerMaintenanceCommands } from './maintenance.js';
import { registerActivationCommands } from './activation.js';
import { DomainError } from '../platform/errors.js';

const positive = (v: string) => {
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
};

const program = new Command('gpto').description(
  'GPTo — commercial and technical management for telecom operators',
);

program
  .command('start')
  .description('run GPTo: database (embedded unless DATABASE_URL), API and UI')
  .action(async () => {
    await start(loadConfig());
  });

program
  .command('migrate')
  .description('apply the database migrations and exit')
  .action(async () => {
    const rt = await openRuntime(loadConfig());
    await rt.close();
    console.log('migrations applied');
  });

program
  .command('demo')
  .description('load the demo operator: categories, catalogue, demo agents, and N generated customers')
  .option('--customers <n>', 'customers to add', positive, 10_000)
  .option('--batch <n>', 'customers per transaction', positive, 10_000)
  .action(async (opts: { customers: number; batch: number }) => {
    const config = loadConfig();
    requireSecretKey(config); // the demo plant seals its SIM cards' keys
    const rt = await openRuntime(config, { poolSize: 2 });
    try {
      await bootstrap(rt.db, config.adminPassword);
      await loadReferenceData(rt.db, process.env.GPTO_DEMO_PASSWORD || DEMO_PASSWORD_DEFAULT);
      const bar = new SingleBar(
        {
          format: 'customers |{bar}| {value}/{total} · {subs} subscriptions · {eta_formatted} left{note}',
          hideCursor: true,
        },
        Presets.shades_classic,
      );
      const t0 = Date.now();
      bar.start(opts.customers, 0, { subs: 0, note: '' });
      const total = await generateCustomers(
        rt.pool,
        opts.customers,
        (p) =>
          bar.update(p.customers, {
            subs: p.subscriptions,
            note: p.phase === 'indexes' ? ' · rebuilding the search indexes…' : '',
          }),
        opts.batch,
      );
      bar.stop();
      console.log(`customers loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      console.log(`directory: ${(await generateListings(rt.pool)).listings} listings added`);
      await loadDemoPlant(rt.db, config.secretKey);
      // the technical files of the lines that have none yet (this run's customers, or all on a first load)
      const lines = new SingleBar(
        { format: 'lines     |{bar}| {value}/{total} · {eta_formatted} left', hideCursor: true },
        Presets.shades_classic,
      );
      const t1 = Date.now();
      lines.start(0, 0);
      const base = await loadDemoInstalledBase(rt.db, config.secretKey, (p) => {
        lines.setTotal(p.total);
        lines.update(p.linked);
      });
      lines.stop();
      console.log(
        `installed base: ${base.fixedWired} wired, ${base.fixedRadio} radio and ${base.mobile} mobile lines in ${((Date.now() - t1) / 1000).toFixed(1)} s`,
      );
      if (base.linked > 0)
        console.log(
          'these lines are in the records, not yet on the network: `gpto activation audit <element> --repair` puts them on each element (SIM1, SIM2, HLR1 for gpto start’s own), and the nightly audit lists them meanwhile',
        );
      await rt.db
        .insertInto('setting')
        .values({ key: 'demo_loaded', value: JSON.stringify({ at: new Date().toISOString() }) })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      console.log(
        `loaded ${total.customers} customers and ${total.subscriptions} subscriptions in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    } finally {
      await rt.close();
    }
  });

const user = program.command('user').description('manage user accounts');
user
  .command('add <username>')
  .description('create a user account')
  .requiredOption('--password <password>', 'initial password (8 characters or more)')
  .option('--name <displayName>', 'display name')
  .option(
    '--roles <roles>',
    'comma-separated roles (admin, front_office, back_office, supervisor, …)',
    'front_office',
  )
  .option('--actors <actors>', 'comma-separated actors (commercial, finance, switching, …)', '')
  .action(
    async (username: string, opts: { password: string; name?: string; roles: string; actors: string }) => {
      const config = loadConfig();
      const rt = await openRuntime(config, { poolSize: 2 });
      try {
        await bootstrap(rt.db, config.adminPassword);
        const split = (s: string) =>
          s
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean);
        const id = await rt.db.transaction().execute((trx) =>
          createUser(
            trx,
            {
              username,
              displayName: opts.name ?? username,
              password: opts.password,
              roles: split(opts.roles),
              actors: split(opts.actors),
            },
            SYSTEM,
          ),
        );
        console.log(`user ${username} created (id ${id})`);
      } finally {
        await rt.close();
      }
    },
  );
user
  .command('password <username>')
  .description('set a user password (ends their open sessions; API tokens stay)')
  .requiredOption('--password <password>', 'new password')
  .action(async (username: string, opts: { password: string }) => {
    const rt = await openRuntime(loadConfig(), { poolSize: 2 });
    try {
      await rt.db.transaction().execute((trx) => setPassword(trx, username, opts.password, SYSTEM));
      console.log(`password of ${username} changed; their open sessions are ended`);
    } finally {
      await rt.close();
    }
  });

program
  .command('bench <name>')
  .description('run a benchmark from bench/ (referential, …) and print its figures')
  .allowUnknownOption(true)
  .action(async (name: string) => {
    // Benchmarks are development tools written in TypeScript under bench/, run with tsx.
    const { spawnSync } = await import('node:child_process');
    const root = new URL('../../', import.meta.url).pathname;
    const args = process.argv.slice(process.argv.indexOf(name) + 1);
    const r = spawnSync('npx', ['tsx', 'bench/run.ts', name, ...args], { cwd: root, stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
  });

registerDirectoryCommands(program);
registerBillingCommands(program);
registerSwitchSimCommand(program);
registerWorkerCommand(program);
registerMaintenanceCommands(program);
registerActivationCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DomainError) {
    console.error(`gpto: ${err.message}`);
  } else if (unreachable(err)) {
    // the database named (DATABASE_URL, a server that went away) does not answer: say so, no stack
    console.error(`gpto: cannot reach the database (${unreachable(err)})`);
  } else {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  }
  process.exit(1);
});

/** The reason a connection to PostgreSQL failed, when that is what `err` is. */
function unreachable(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOENT'].includes(code))
    return `${code}${err instanceof Error && err.message ? `: ${err.message}` : ''}`;
  // PostgreSQL's own refusals: wrong password, no such database, not accepting connections
  if (['28P01', '28000', '3D000', '57P03'].includes(code)) return (err as Error).message;
  return null;
}
