import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { buildApp } from '../app.js';
import { loadConfig, requireSecretKey } from '../config.js';
import { runBilling } from '../modules/billing/cycle.index.js';
import { DeliveryService } from '../modules/billing/delivery.service.js';
import { billContexts, invoiceBatch } from '../modules/billing/invoice-pdf.js';
import { CentralisationService } from '../modules/billing/centralisation.service.js';
import { InvoiceService } from '../modules/billing/invoices.service.js';
import { MeterService } from '../modules/billing/meter.service.js';
import { PaymentService } from '../modules/billing/payments.service.js';
import { bootstrap } from '../platform/bootstrap.js';
import { SYSTEM } from '../platform/events.js';
import { openRuntime } from '../platform/runtime.js';

const say = (s: string) => process.stdout.write(`${s}\n`);

/** `gpto billing …`: billing runs, collection, centralisation, imports and print batches. */
export function registerBillingCommands(program: Command): void {
  const billing = program
    .command('billing')
    .description('billing cycle, payments, collection and ledger centralisation');

  billing
    .command('run')
    .description('bill a period: one invoice per payer of the cycle (the period must have ended)')
    .requiredOption('--period <YYYY-MM>', 'the (last) month billed')
    .option('--cycle <code>', 'billing cycle (monthly, bimonthly, quarterly)', 'monthly')
    .option('--chunk <n>', 'payers per transaction', '5000')
    .action(async (opts: { period: string; cycle: string; chunk: string }) => {
      const config = loadConfig();
      const rt = await openRuntime(config, { poolSize: 2 });
      try {
        await bootstrap(rt.db, config.adminPassword);
        const payers = await rt.db
          .selectFrom('payer')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        const bar = new SingleBar(
          {
            format: 'payers |{bar}| {value}/{total} · {invoices} invoices · {eta_formatted} left',
            hideCursor: true,
          },
          Presets.shades_classic,
        );
        bar.start(Number(payers.n), 0, { invoices: 0 });
        const r = await runBilling(
          rt.db,
          config.currency,
          {
            period: opts.period,
            cycle: opts.cycle,
            chunkSize: Number(opts.chunk),
            onProgress: (p) =>
              bar.update(Math.min(Number(payers.n), p.payersScanned), { invoices: p.invoices }),
          },
          SYSTEM,
        );
        bar.stop();
        say(
          `billing run ${r.runId} (${r.cycle} ${r.periodStart} → ${r.periodEnd}): ${r.invoices} invoices, ${r.amountTotal} ${config.currency}, ` +
            `${(r.ms / 1000).toFixed(1)} s (${Math.round(r.invoices / (r.ms / 1000))} invoices/s)`,
        );
      } finally {
        await rt.close();
      }
    });

  billing
    .command('collect')
    .description(
      'the daily collection run: reminders, limitations, suspensions, termination proposals, restorations',
    )
    .option('--date <iso>', 'run as of this date (default: now)')
    .action(async (opts: { date?: string }) => {
      const config = loadConfig();
      requireSecretKey(config); // the whole app is built: its inventory seals SIM keys
      const rt = await openRuntime(config, { poolSize: 4 });
      try {
        await bootstrap(rt.db, config.adminPassword);
        const app = await buildApp({ db: rt.db, config, logger: false });
        await app.requests.loadDefaultScenarios();
        const r = await app.billingCycle.collect(SYSTEM, opts.date ? new Date(opts.date) : undefined);
        say(
          `collection ${r.date}: ${r.debtors} debtors, ${r.reminders} reminders, ${r.limitations} limitations, ${r.suspensions} suspensions, ` +
            `${r.terminationProposals} termination proposals, ${r.restored} restored, ${r.requests.length} service requests`,
        );
        for (const e of r.errors) say(`  payer ${e.payerId} (${e.stage}): ${e.error}`);
        if (r.errors.length > 0) process.exitCode = 1;
        await app.http.close();
      } finally {
        await rt.close();
      }
    });

  billing
    .command('centralise')
    .description(
      'the journal of a period per collective account, as CSV (docs/billing.md); --close makes it final',
    )
    .requiredOption('--period <YYYY-MM>', 'accounting period')
    .option('--close', 'close the period (refused if already closed)', false)
    .option('--out <file>', 'write the CSV here (default: standard output)')
    .action(async (opts: { period: string; close: boolean; out?: string }) => {
      const config = loadConfig();
      const rt = await openRuntime(config, { poolSize: 2 });
      try {
        await bootstrap(rt.db, config.adminPassword);
        const c = new CentralisationService(rt.db, config.currency);
        const csv = opts.close
          ? (await c.close(opts.period, new Date(), SYSTEM)).csv
          : c.toCsv(await c.centralise(opts.period));
        if (opts.out) {
          await writeFile(opts.out, csv);
          say(`journal ${opts.period} written to ${opts.out}${opts.close ? ' (period closed)' : ''}`);
        } else process.stdout.write(csv);
      } finally {
        await rt.close();
      }
    });

  billing
    .command('import-payments <file>')
    .description('record the payments of a bank-transfer or mobile-money CSV file (each transaction once)')
    .requiredOption('--format <format>', 'bank-transfer or mobile-money')
    .action(async (file: string, opts: { format: string }) => {
      if (!['bank-transfer', 'mobile-money'].includes(opts.format))
        throw new Error('--format is bank-transfer or mobile-money');
      const config = loadConfig();
      const csv = await readFile(file);
      const rt = await openRuntime(config, { poolSize: 2 });
      try {
        await bootstrap(rt.db, config.adminPassword);
        const p = new PaymentService(rt.db, config.currency);
        const r =
          opts.format === 'bank-transfer'
            ? await p.importBankTransfers(csv, SYSTEM)
            : await p.importMobileMoney(csv, SYSTEM);
        for (const x of r.rejected) say(`  line ${x.line}: ${x.reason}`);
        say(
          `${r.rows} rows: ${r.recorded} payments (${r.amount} ${config.currency}), ${r.duplicates} already recorded, ${r.rejected.length} rejected`,
        );
      } finally {
        await rt.close();
      }
    });

  billing
    .command('import-meters <file>')
    .description('record meter readings from a CSV file (header line,read_at,index)')
    .action(async (file: string) => {
      const config = loadConfig();
      const csv = await readFile(file);
      const rt = await openRuntime(config, { poolSize: 2 });
      try {
        await bootstrap(rt.db, config.adminPassword);
        const r = await new MeterService(rt.db).importCsv(csv, SYSTEM);
        for (const x of r.rejected) say(`  line ${x.line}: ${x.reason}`);
        say(
          `${r.rows} rows: ${r.recorded} recorded, ${r.unchanged} already there, ${r.rejected.length} rejected`,
        );
      } finally {
        await rt.close();
      }
    });

  billing
    .command('print')
    .description(
      'the print batch of a billing run in one PDF: every invoice, or with --paper the bills on paper in postal order',
    )
    .requiredOption('--run <id>', 'billing run id')
    .requiredOption('--out <file>', 'PDF file to write')
    .option('--paper', 'only the payers without an e-mail address, in postal order (prepares the run)', false)
    .action(async (opts: { run: string; out: string; paper: boolean }) => {
      const config = loadConfig();
      const rt = await openRuntime(config, { poolSize: 2 });
      try {
        const invoices = new InvoiceService(rt.db, config.currency);
        const runId = Number(opts.run);
        if (opts.paper) {
          const delivery = new DeliveryService(rt.db, config.currency);
          const d = await delivery.prepare(runId, new Date(), SYSTEM);
          const bar = new SingleBar(
            { format: 'bills on paper |{bar}| {value}/{total} · {eta_formatted} left', hideCursor: true },
            Presets.shades_classic,
          );
          bar.start(d.paper, 0);
          async function* counted() {
            for await (const page of delivery.paperPages(runId)) {
              yield page;
              bar.increment(page.length);
            }
          }
          await pipeline(invoiceBatch(counted(), `Billing run ${runId}: paper`), createWriteStream(opts.out));
          bar.stop();
          say(
            `print batch of run ${runId}: ${d.paper} bills on paper, in postal order, written to ${opts.out}`,
          );
          return;
        }
        async function* pages() {
          let after = 0;
          for (;;) {
            const page = await invoices.pageOfRun(runId, after, 200);
            if (page.length === 0) return;
            const ctx = await billContexts(rt.db, page);
            yield page.map(
              (i) => [i, ctx.get(i.payerId)!] as [typeof i, NonNullable<ReturnType<typeof ctx.get>>],
            );
            after = page[page.length - 1]!.id;
          }
        }
        await pipeline(invoiceBatch(pages(), `Billing run ${runId}`), createWriteStream(opts.out));
        say(`print batch of run ${runId} written to ${opts.out}`);
      } finally {
        await rt.close();
      }
    });

  billing
    .command('mail')
    .description(
      "e-mail the bills: queue a run's bills for the payers with an e-mail address (--run), then send the outbox through GPTO_SMTP_URL",
    )
    .option('--run <id>', "queue this billing run's bills first (idempotent)")
    .option('--dry-run', 'send nothing: show the queue', false)
    .action(async (opts: { run?: string; dryRun: boolean }) => {
      const config = loadConfig();
      const rt = await openRuntime(config, { poolSize: 2 });
      const delivery = new DeliveryService(rt.db, config.currency, {
        smtpUrl: config.smtpUrl,
        from: config.mailFrom,
      });
      try {
        await bootstrap(rt.db, config.adminPassword);
        const runId = opts.run ? Number(opts.run) : undefined;
        if (runId) {
          const d = await delivery.prepare(runId, new Date(), SYSTEM);
          say(`run ${runId}: ${d.email} bills by e-mail, ${d.paper} on paper (${d.added} newly queued)`);
        }
        const q = await delivery.queue({ ...(runId ? { runId } : {}), limit: 20 });
        const pending = q.counts.queued + q.counts.sending;
        if (opts.dryRun || !delivery.mailConfigured) {
          say(
            `outbox${runId ? ` of run ${runId}` : ''}: ${q.counts.queued} queued, ${q.counts.sending} being sent, ${q.counts.sent} sent, ${q.counts.failed} failed` +
              (delivery.mailConfigured
                ? ' (dry run: nothing sent)'
                : ' (GPTO_SMTP_URL not set: nothing sent)'),
          );
          for (const i of q.items.filter((x) => x.status !== 'sent'))
            say(
              `  ${i.invoice} → ${i.email} ${i.status}${i.attempts ? ` (${i.attempts} tries${i.lastError ? `: ${i.lastError}` : ''})` : ''}`,
            );
          return;
        }
        const bar = new SingleBar(
          {
            format: 'e-mails |{bar}| {value}/{total} · {sent} sent · {retried} to retry · {failed} failed',
            hideCursor: true,
          },
          Presets.shades_classic,
        );
        bar.start(pending, 0, { sent: 0, retried: 0, failed: 0 });
        const r = await delivery.sendQueued({
          ...(runId ? { runId } : {}),
          limit: pending,
          onProgress: (p) => bar.update(p.sent + p.retried + p.failed, { ...p }),
        });
        bar.stop();
        say(`${r.sent} e-mails sent, ${r.retried} to retry later, ${r.failed} failed for good`);
        if (r.failed > 0) process.exitCode = 1;
      } finally {
        delivery.close();
        await rt.close();
      }
    });
}
