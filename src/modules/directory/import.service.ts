import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import { DirectoryError } from './directory.errors.js';
import * as repo from './directory.repository.js';
import { DIRECTORY_KINDS, type DirectoryKind } from './directory.tables.js';
import { headingLabels, normNumber } from './listing.service.js';
import { dirNorm } from './phonetic.js';

/** The import file's columns, in this order (docs/directory.md). */
export const IMPORT_COLUMNS = [
  'directory',
  'last_name',
  'first_names',
  'title',
  'nickname',
  'company',
  'heading',
  'street_number',
  'street',
  'locality',
  'postal_code',
  'number',
  'unlisted',
] as const;

export interface ImportRow {
  line: number;
  directory: DirectoryKind;
  last_name: string | null;
  first_names: string | null;
  title: string | null;
  nickname: string | null;
  company: string | null;
  heading: string | null;
  street_number: string | null;
  street: string | null;
  locality: string | null;
  postal_code: string | null;
  number: string;
  unlisted: boolean;
}

export interface Rejected {
  line: number;
  reason: string;
  field?: string;
}

export interface ImportReport {
  rows: number;
  accepted: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: Rejected[];
  /** False when nothing was written: a dry run, or a strict import with rejected rows. */
  committed: boolean;
}

const MAX: Record<string, number> = {
  last_name: 200,
  first_names: 200,
  title: 40,
  nickname: 100,
  company: 200,
  heading: 500,
  street_number: 20,
  street: 200,
  locality: 100,
  postal_code: 20,
};

const text = (v: string | undefined): string | null => {
  const t = (v ?? '').trim().replace(/\s+/g, ' ');
  return t === '' ? null : t;
};

/** Checks one record; returns the row or why it is rejected. Pure: no database. */
export function validateRecord(rec: Record<string, string>, line: number): ImportRow | Rejected {
  const directory = (rec.directory ?? '').trim().toLowerCase();
  if (!DIRECTORY_KINDS.includes(directory as DirectoryKind)) {
    return { line, field: 'directory', reason: `directory must be one of ${DIRECTORY_KINDS.join(', ')}` };
  }
  for (const [col, max] of Object.entries(MAX)) {
    const v = text(rec[col]);
    if (v !== null && v.length > max)
      return { line, field: col, reason: `${col} is longer than ${max} characters` };
  }
  const number = normNumber(rec.number ?? '');
  if (!number)
    return { line, field: 'number', reason: `"${rec.number ?? ''}" is not a directory number (6–15 digits)` };
  const u = (rec.unlisted ?? '').trim().toLowerCase();
  let unlisted: boolean;
  if (['true', '1', 'yes', 'oui'].includes(u)) unlisted = true;
  else if (['false', '0', 'no', 'non', ''].includes(u)) unlisted = false;
  else return { line, field: 'unlisted', reason: 'unlisted must be true or false' };
  const row: ImportRow = {
    line,
    directory: directory as DirectoryKind,
    last_name: text(rec.last_name),
    first_names: text(rec.first_names),
    title: text(rec.title),
    nickname: text(rec.nickname),
    company: text(rec.company),
    heading: text(rec.heading),
    street_number: text(rec.street_number),
    street: text(rec.street),
    locality: text(rec.locality),
    postal_code: text(rec.postal_code),
    number,
    unlisted,
  };
  if (row.last_name === null && row.company === null) {
    return { line, field: 'last_name', reason: 'a listing needs a last name or a company name' };
  }
  if (row.directory === 'professional' && row.heading === null) {
    return { line, field: 'heading', reason: 'a professional listing needs a heading' };
  }
  if (row.heading !== null) {
    const labels = headingLabels(row.heading);
    if (!labels) return { line, field: 'heading', reason: 'a heading is 1 to 5 labels separated by ">"' };
    row.heading = labels.join(' > ');
  }
  return row;
}

/** The natural key the database enforces (directory_listing_natural_key), computed the same way. */
export function naturalKey(r: ImportRow): string {
  const n = (v: string | null) => (v === null ? '' : dirNorm(v));
  return `${r.directory}|${r.number}|${n(r.last_name)}|${n(r.first_names)}|${n(r.company)}`;
}

/** Parses and validates a whole file: the header must hold exactly the documented columns. */
export function parseImport(csv: string | Buffer): {
  rows: ImportRow[];
  rejected: Rejected[];
  total: number;
} {
  let records: string[][];
  try {
    records = parse(csv, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch (err) {
    throw new DirectoryError(
      'invalid',
      'directory.import_invalid',
      `not a readable CSV file: ${(err as Error).message}`,
      'file',
    );
  }
  const header = (records[0] ?? []).map((h) => h.trim().toLowerCase());
  const missing = IMPORT_COLUMNS.filter((c) => !header.includes(c));
  const unknown = header.filter((h) => !(IMPORT_COLUMNS as readonly string[]).includes(h));
  if (missing.length > 0 || unknown.length > 0) {
    throw new DirectoryError(
      'invalid',
      'directory.import_invalid',
      `the header must be ${IMPORT_COLUMNS.join(',')}` +
        (missing.length ? `; missing: ${missing.join(', ')}` : '') +
        (unknown.length ? `; unknown: ${unknown.join(', ')}` : ''),
      'header',
    );
  }
  const rows: ImportRow[] = [];
  const rejected: Rejected[] = [];
  const firstLine = new Map<string, number>();
  for (let i = 1; i < records.length; i++) {
    const cells = records[i] as string[];
    const line = i + 1;
    if (cells.length !== header.length) {
      rejected.push({ line, reason: `${cells.length} columns instead of ${header.length}` });
      continue;
    }
    const rec: Record<string, string> = {};
    header.forEach((h, j) => (rec[h] = cells[j] ?? ''));
    const r = validateRecord(rec, line);
    if ('reason' in r) {
      rejected.push(r);
      continue;
    }
    const key = naturalKey(r);
    const seen = firstLine.get(key);
    if (seen !== undefined) {
      rejected.push({ line, reason: `same directory, name and number as line ${seen}` });
      continue;
    }
    firstLine.set(key, line);
    rows.push(r);
  }
  return { rows, rejected, total: records.length - 1 };
}

const BATCH = 2000;

/**
 * Loads listings from CSV. Idempotent: a listing is known by its directory, number and name (the
 * natural key); loading the same file twice changes nothing. All accepted rows go in ONE
 * transaction, so a failure leaves nothing half-imported; `strict` refuses the whole file when any
 * row is rejected.
 */
export class ImportService {
  constructor(private readonly db: Db) {}

  async importCsv(
    csv: string | Buffer,
    by: Actor,
    opts: { strict?: boolean; dryRun?: boolean; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<ImportReport> {
    const { rows, rejected, total } = parseImport(csv);
    const report: ImportReport = {
      rows: total,
      accepted: rows.length,
      inserted: 0,
      updated: 0,
      unchanged: 0,
      rejected,
      committed: false,
    };
    if (opts.dryRun || (opts.strict && rejected.length > 0) || rows.length === 0) return report;
    await this.db.transaction().execute(async (trx) => {
      const headingIds = new Map<string, number>();
      for (const path of new Set(rows.map((r) => r.heading).filter((h): h is string => h !== null))) {
        headingIds.set(path, await repo.ensureHeadingPath(trx, path.split(' > ')));
      }
      for (let i = 0; i < rows.length; i += BATCH) {
        const batch = rows.slice(i, i + BATCH);
        const col = <K extends keyof ImportRow>(k: K) => batch.map((r) => r[k]);
        const res = await sql<{ inserted: boolean }>`
          INSERT INTO directory_listing AS l (directory, last_name, first_names, title, nickname, company,
            heading_id, heading_path, street_number, street, locality, postal_code, numbers, unlisted, source)
          SELECT u.directory, u.last_name, u.first_names, u.title, u.nickname, u.company, u.heading_id, u.heading,
            u.street_number, u.street, u.locality, u.postal_code, ARRAY[u.number], u.unlisted, 'import'
          FROM unnest(${col('directory')}::text[], ${col('last_name')}::text[], ${col('first_names')}::text[],
            ${col('title')}::text[], ${col('nickname')}::text[], ${col('company')}::text[],
            ${batch.map((r) => (r.heading ? (headingIds.get(r.heading) ?? null) : null))}::bigint[],
            ${col('heading')}::text[], ${col('street_number')}::text[], ${col('street')}::text[],
            ${col('locality')}::text[], ${col('postal_code')}::text[], ${col('number')}::text[],
            ${col('unlisted')}::boolean[])
            AS u(directory, last_name, first_names, title, nickname, company, heading_id, heading, street_number,
                 street, locality, postal_code, number, unlisted)
          ON CONFLICT (directory, primary_number, name_key) DO UPDATE SET
            last_name = excluded.last_name, first_names = excluded.first_names, title = excluded.title,
            nickname = excluded.nickname, company = excluded.company, heading_id = excluded.heading_id,
            heading_path = excluded.heading_path, street_number = excluded.street_number, street = excluded.street,
            locality = excluded.locality, postal_code = excluded.postal_code, unlisted = excluded.unlisted,
            updated_at = now(), version = l.version + 1
          WHERE (l.last_name, l.first_names, l.title, l.nickname, l.company, l.heading_id, l.street_number, l.street,
                 l.locality, l.postal_code, l.unlisted)
            IS DISTINCT FROM (excluded.last_name, excluded.first_names, excluded.title, excluded.nickname,
                 excluded.company, excluded.heading_id, excluded.street_number, excluded.street, excluded.locality,
                 excluded.postal_code, excluded.unlisted)
          RETURNING (xmax = 0) AS inserted`.execute(trx);
        for (const r of res.rows) {
          if (r.inserted) report.inserted++;
          else report.updated++;
        }
        report.unchanged += batch.length - res.rows.length;
        opts.onProgress?.(Math.min(i + BATCH, rows.length), rows.length);
      }
      await appendEvent(trx, {
        entityType: 'directory_import',
        entityId: new Date().toISOString(),
        kind: 'directory.imported',
        userId: by.userId,
        actor: by.actor ?? null,
        payload: {
          rows: report.rows,
          inserted: report.inserted,
          updated: report.updated,
          unchanged: report.unchanged,
          rejected: report.rejected.length,
        },
      });
    });
    report.committed = true;
    return report;
  }
}
