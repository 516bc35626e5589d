import { readFile, writeFile } from 'node:fs/promises';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { createDirectory, type DirectoryKind } from '../modules/directory/index.js';
import { bootstrap } from '../platform/bootstrap.js';
import { SYSTEM } from '../platform/events.js';
import { openRuntime } from '../platform/runtime.js';

const KINDS = ['alphabetical', 'professional', 'technical'];

/** `gpto directory …`: import listings from CSV, print editions, export for publishers. */
export function registerDirectoryCommands(program: Command): void {
  const directory = program.command('directory').description('directory listings, imports and editions');

  directory
    .command('import <file>')
    .description(
      'load listings from a CSV file (header: directory,last_name,first_names,title,nickname,company,heading,street_number,street,locality,postal_code,number,unlisted); idempotent',
    )
    .option('--strict', 'import nothing when any row is rejected', false)
    .option('--dry-run', 'validate and report only', false)
    .action(async (file: string, opts: { strict: boolean; dryRun: boolean }) => {
      const config = loadConfig();
      const csv = await readFile(file);
      const rt = await openRuntime(config, { poolSize: 2 });
      try {
        await bootstrap(rt.db, config.adminPassword);
        const bar = new SingleBar(
          { format: 'listings |{bar}| {value}/{total} · {eta_formatted} left', hideCursor: true },
          Presets.shades_classic,
        );
        let started = false;
        const t0 = Date.now();
        const report = await createDirectory(rt.db).imports.importCsv(csv, SYSTEM, {
          strict: opts.strict,
          dryRun: opts.dryRun,
          onProgress: (done, total) => {
            if (!started) {
              bar.start(total, 0);
              started = true;
            }
            bar.update(done);
          },
        });
        if (started) bar.stop();
        for (const r of report.rejected.slice(0, 50)) {
          console.log(`  line ${r.line}: ${r.reason}${r.field ? ` (${r.field})` : ''}`);
        }
        if (report.rejected.length > 50) console.log(`  … and ${report.rejected.length - 50} more`);
        if (report.rejected.length > 0) {
          const out = `${file}.rejected.csv`;
          await writeFile(
            out,
            [
              'line,field,reason',
              ...report.rejected.map((r) => `${r.line},${r.field ?? ''},"${r.reason.replace(/"/g, '""')}"`),
            ].join('\n') + '\n',
          );
          console.log(`rejected rows written to ${out}`);
        }
        console.log(
          `${report.rows} rows: ${report.inserted} inserted, ${report.updated} updated, ${report.unchanged} unchanged, ${report.rejected.length} rejected` +
            `${report.committed ? '' : ' — nothing written'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        );
        if (opts.strict && report.rejected.length > 0) process.exitCode = 1;
      } finally {
        await rt.close();
      }
    });

  directory
    .command('edition <directory>')
    .description(`print-ready PDF of one directory (${KINDS.join(', ')}), optionally for one locality`)
    .option('--locality <locality>', 'only this locality')
    .option('--csv', 'the publishers export (CSV) instead of the PDF', false)
    .requiredOption('--out <file>', 'file to write')
    .action(async (kind: string, opts: { locality?: string; csv: boolean; out: string }) => {
      if (!KINDS.includes(kind)) throw new Error(`directory must be one of ${KINDS.join(', ')}`);
      const rt = await openRuntime(loadConfig(), { poolSize: 2 });
      try {
        const editions = createDirectory(rt.db).editions;
        if (opts.csv) {
          await writeFile(opts.out, await editions.csv(kind as DirectoryKind, opts.locality));
          console.log(`export written to ${opts.out}`);
        } else {
          const { pdf, pages } = await editions.pdf(kind as DirectoryKind, opts.locality);
          await writeFile(opts.out, pdf);
          console.log(`${pages.length} pages written to ${opts.out}`);
        }
      } finally {
        await rt.close();
      }
    });
}
