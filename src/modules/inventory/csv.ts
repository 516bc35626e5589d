import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { InventoryError } from './inventory.errors.js';

/** One rejected row of an import: its line in the file and every reason, so the sheet is fixed once. */
export interface RejectedRow {
  line: number;
  key: string | null;
  reasons: string[];
}

export interface ImportReport {
  type: string;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: RejectedRow[];
}

/**
 * Reads a CSV exported from a spreadsheet: comma, semicolon (French Excel) or tab separated, a
 * header row naming the columns (case and spaces ignored), optional UTF-8 BOM.
 */
export function parseCsv(text: string): Record<string, string>[] {
  const firstLine = text.slice(0, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n'));
  const delimiter = [';', '\t', ','].reduce(
    (best, d) => (firstLine.split(d).length > firstLine.split(best).length ? d : best),
    ',',
  );
  try {
    return parse(text, {
      bom: true,
      delimiter,
      columns: (header: string[]) =>
        header.map((h) =>
          h
            .trim()
            .toLowerCase()
            .replace(/[\s-]+/g, '_'),
        ),
      skip_empty_lines: true,
      trim: true,
      relax_column_count: false,
    }) as Record<string, string>[];
  } catch (err) {
    throw new InventoryError(
      'invalid',
      'import.invalid',
      `the file is not readable CSV: ${err instanceof Error ? err.message : String(err)}`,
      'csv',
    );
  }
}

export function toCsv(columns: string[], rows: Record<string, unknown>[]): string {
  return stringify(rows, {
    header: true,
    columns,
    cast: { boolean: (b) => (b ? 'true' : 'false'), date: (d) => d.toISOString() },
  });
}

/** Nothing half-imported: a file with any rejected row is refused whole, with the list of reasons. */
export function rejectImport(report: ImportReport): InventoryError {
  return new InventoryError(
    'rule',
    'import.rejected',
    `${report.rejected.length} of ${report.rows} rows rejected; nothing was imported`,
    'csv',
    {
      report,
    },
  );
}

/** Reads the cells of a row, collecting reasons instead of stopping at the first bad cell. */
export class RowReader {
  readonly reasons: string[] = [];
  constructor(private readonly row: Record<string, string>) {}

  text(col: string, opts: { required?: boolean; max?: number; pattern?: RegExp } = {}): string | null {
    const v = (this.row[col] ?? '').trim();
    if (v === '') {
      if (opts.required !== false) this.reasons.push(`${col}: required`);
      return null;
    }
    if (opts.max !== undefined && v.length > opts.max)
      this.reasons.push(`${col}: longer than ${opts.max} characters`);
    if (opts.pattern && !opts.pattern.test(v)) this.reasons.push(`${col}: not in the expected format`);
    return v;
  }

  int(col: string, min: number, max: number, required = true): number | null {
    const v = this.text(col, { required });
    if (v === null) return null;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.reasons.push(`${col}: a whole number between ${min} and ${max}`);
      return null;
    }
    return n;
  }

  oneOf<T extends string>(col: string, values: readonly T[]): T | null {
    const v = this.text(col);
    if (v === null) return null;
    if (!(values as readonly string[]).includes(v)) {
      this.reasons.push(`${col}: one of ${values.join(', ')}`);
      return null;
    }
    return v as T;
  }
}
