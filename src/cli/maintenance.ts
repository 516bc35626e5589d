import { SingleBar, Presets } from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { openDatabase } from './database.js';
import { refresh360 } from '../modules/referential/customer-360-refresh.js';

const chunkSize = (v: string) => {
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number above 0');
  return n;
};

/** `gpto maintenance …`: repairs an administrator runs by hand, safe beside a live GPTo. */
export function registerMaintenanceCommands(program: Command): void {
  const maintenance = program.command('maintenance').description('repairs safe to run beside a live GPTo');
  maintenance
    .command('refresh-360')
    .description(
      'render the stored customer 360° documents that are missing (a bulk load stopped half-way, rows written without the triggers); --all renders every one again',
    )
    .option('--all', 'render every customer’s document, not only the missing ones', false)
    .option('--chunk <n>', 'customers per transaction', chunkSize, 10_000)
    .action(async (opts: { all: boolean; chunk: number }) => {
      const chunk = opts.chunk;
      const { db, close } = await openDatabase();
      const bar = new SingleBar(
        { format: '360° documents |{bar}| {value}/{total} · {eta_formatted} left', hideCursor: true },
        Presets.shades_classic,
      );
      const t0 = Date.now();
      try {
        let started = false;
        const { rendered } = await refresh360(db, {
          all: opts.all,
          chunk,
          onProgress: (p) => {
            if (p.total === 0) return;
            if (!started) bar.start(p.total, 0);
            started = true;
            bar.update(Math.min(p.done, p.total));
          },
        });
        if (started) bar.stop();
        const s = ((Date.now() - t0) / 1000).toFixed(1);
        console.log(
          rendered === 0
            ? 'every customer has its 360° document: nothing to render'
            : `${rendered} customer 360° documents rendered in ${s} s${opts.all ? '' : ' (the missing ones)'}`,
        );
      } finally {
        await close();
      }
    });
}
