import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import type { CapacityBus, CapacitySignal } from './capacity.js';
import { parseCsv, rejectImport, RowReader, toCsv, type ImportReport } from './csv.js';
import { EXPORT_ONLY, EXPORT_TYPES, IMPORT_TYPES, SPECS } from './csv.specs.js';
import { invInvalid } from './inventory.errors.js';

/**
 * Bulk import and export of the plant as CSV, one resource type per file (operators come from
 * spreadsheets and older systems). Rows are upserts by code, so a file imported twice changes
 * nothing the second time; a file with any bad row is refused whole with every reason.
 */

export class CsvService {
  constructor(
    private readonly db: Db,
    private readonly bus: CapacityBus,
  ) {}

  async import(type: string, csv: string, by: Actor): Promise<ImportReport> {
    const spec = SPECS[type];
    if (!spec)
      throw invInvalid(
        'import.invalid',
        'type',
        `unknown resource type "${type}" (one of ${IMPORT_TYPES.join(', ')})`,
      );
    const rows = parseCsv(csv);
    const report: ImportReport = {
      type,
      rows: rows.length,
      created: 0,
      updated: 0,
      unchanged: 0,
      rejected: [],
    };
    const missing = spec.columns.filter(
      (c) => rows[0] && !(c in rows[0]) && ['code', 'site', 'sdf', 'switch', 'locality', 'kind'].includes(c),
    );
    if (missing.length) throw invInvalid('import.invalid', 'csv', `missing column(s): ${missing.join(', ')}`);
    const writers = rows.map((row, idx) => {
      const r = new RowReader(row);
      const w = spec.read(r);
      if (!w) report.rejected.push({ line: idx + 2, key: spec.key(row), reasons: r.reasons });
      return w;
    });
    // Rows that failed validation are not written, but the others still run (and roll back) so that
    // the report names every problem of the file at once, references included.
    const signals: CapacitySignal[] = [];
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < writers.length; i++) {
        const w = writers[i];
        if (!w) continue;
        // A savepoint per row lets us keep reading the file to report every bad row; the whole
        // transaction still rolls back when any row was rejected.
        await sql`SAVEPOINT csv_row`.execute(trx);
        try {
          const out = await w(trx, signals);
          if (out.created) report.created++;
          else report.updated++;
          await sql`RELEASE SAVEPOINT csv_row`.execute(trx);
        } catch (err) {
          await sql`ROLLBACK TO SAVEPOINT csv_row`.execute(trx);
          if (!(err instanceof DomainError) && !(err as { code?: string }).code?.startsWith('23')) throw err;
          const row = rows[i] ?? {};
          const reason =
            err instanceof DomainError
              ? `${err.field ? `${err.field}: ` : ''}${err.message}`
              : `refused by the database (${(err as { constraint?: string }).constraint ?? 'constraint'})`;
          report.rejected.push({ line: i + 2, key: spec.key(row), reasons: [reason] });
        }
      }
      if (report.rejected.length) {
        report.rejected.sort((a, b) => a.line - b.line);
        throw rejectImport(report);
      }
      await appendEvent(trx, {
        entityType: 'inventory_import',
        entityId: type,
        kind: 'inventory.imported',
        userId: by.userId,
        payload: { type, rows: report.rows, created: report.created, updated: report.updated },
      });
    });
    await this.bus.announce(signals);
    return report;
  }

  async export(type: string): Promise<string> {
    const spec = SPECS[type] ?? EXPORT_ONLY[type];
    if (!spec)
      throw invInvalid(
        'import.invalid',
        'type',
        `unknown resource type "${type}" (one of ${EXPORT_TYPES.join(', ')})`,
      );
    const rows = await spec.export(this.db);
    const columns = rows[0] ? Object.keys(rows[0]) : spec.columns;
    return toCsv(columns, rows);
  }
}
