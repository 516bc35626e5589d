import { stringify } from 'csv-stringify/sync';
import PDFDocument from 'pdfkit';
import type { Db } from '../../platform/db.js';
import * as repo from './directory.repository.js';
import type { ListingRow } from './directory.repository.js';
import type { DirectoryKind } from './directory.tables.js';

/** French collation as printed directories use it: accents and apostrophes do not change the order. */
const collator = new Intl.Collator('fr', { sensitivity: 'base', ignorePunctuation: true, numeric: true });

/** The name a listing is filed under: the last name (or company) then the first names. */
export function filingName(
  r: Pick<ListingRow, 'last_name' | 'first_names' | 'company' | 'directory'>,
): string {
  if (r.directory === 'professional' && r.company) return r.company;
  const main = r.last_name ?? r.company ?? '';
  return r.first_names ? `${main} ${r.first_names}` : main;
}

/** Alphabetical order for every directory; the professional listing is ordered by heading first. */
export function editionOrder(rows: ListingRow[]): ListingRow[] {
  return [...rows].sort(
    (a, b) =>
      (a.directory === 'professional' ? collator.compare(a.heading_path ?? '', b.heading_path ?? '') : 0) ||
      collator.compare(
        a.directory === 'professional' && a.company ? a.company : (a.last_name ?? a.company ?? ''),
        b.directory === 'professional' && b.company ? b.company : (b.last_name ?? b.company ?? ''),
      ) ||
      collator.compare(a.first_names ?? '', b.first_names ?? '') ||
      collator.compare(a.primary_number, b.primary_number),
  );
}

const TITLES: Record<DirectoryKind, string> = {
  alphabetical: 'Annuaire alphabétique',
  professional: 'Annuaire professionnel',
  technical: 'Liste technique',
};

/** "33 821 45 67": numbers printed in pairs after the two-digit prefix, as subscribers read them. */
export function printedNumber(n: string): string {
  return n.length === 9 ? `${n.slice(0, 2)} ${n.slice(2, 5)} ${n.slice(5, 7)} ${n.slice(7)}` : n;
}

function addressLine(r: ListingRow): string {
  return [
    [r.street_number, r.street].filter(Boolean).join(' '),
    [r.postal_code, r.locality].filter(Boolean).join(' '),
  ]
    .filter((s) => s !== '')
    .join(', ');
}

export interface EditionPage {
  /** The running heads: the first and the last name filed on the page. */
  first: string;
  last: string;
}

/**
 * Lays a directory out in two columns per A4 page, each page headed (as printed directories are)
 * with the first and the last name it holds, so a reader leafing through finds the page.
 */
export async function renderEditionPdf(
  rows: ListingRow[],
  directory: DirectoryKind,
  locality: string | undefined,
): Promise<{ pdf: Buffer; pages: EditionPage[] }> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: 60, bottom: 50, left: 40, right: 40 },
    bufferPages: true,
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => doc.on('end', () => resolve()));
  doc.info.Title = `${TITLES[directory]}${locality ? ` — ${locality}` : ''}`;

  const gutter = 20;
  const left = doc.page.margins.left;
  const colWidth = (doc.page.width - left - doc.page.margins.right - gutter) / 2;
  const top = doc.page.margins.top;
  const bottom = doc.page.height - doc.page.margins.bottom;
  const pages: EditionPage[] = [];
  let col = 0;
  let y = top;
  let current: EditionPage | undefined;

  const newPage = () => {
    if (current) pages.push(current);
    current = undefined;
    doc.addPage();
    col = 0;
    y = top;
  };
  const room = (h: number) => {
    if (y + h <= bottom) return;
    if (col === 0) {
      col = 1;
      y = top;
    } else newPage();
  };
  const x = () => left + col * (colWidth + gutter);

  if (rows.length === 0) {
    doc.font('Helvetica').fontSize(10).text('Aucune parution.', left, top);
  }
  let heading: string | null = null;
  for (const r of editionOrder(rows)) {
    if (directory === 'professional' && r.heading_path !== heading) {
      heading = r.heading_path;
      doc.font('Helvetica-Bold').fontSize(10);
      const h = doc.heightOfString(heading ?? '', { width: colWidth }) + 8;
      room(h + 24);
      doc.rect(x(), y, colWidth, h - 4).fill('#e6e6e6');
      doc.fillColor('black').text(heading ?? '', x() + 3, y + 2, { width: colWidth - 6 });
      y += h;
    }
    const name = filingName(r);
    const nameLine = [
      r.directory === 'professional' ? null : r.title,
      name,
      r.nickname ? `« ${r.nickname} »` : null,
    ]
      .filter(Boolean)
      .join(' ');
    const addr = addressLine(r);
    const numbers = r.numbers.map(printedNumber).join(' · ');
    doc.font('Helvetica-Bold').fontSize(8.5);
    const nameWidth = colWidth - 70;
    const h1 = doc.heightOfString(nameLine, { width: nameWidth });
    doc.font('Helvetica').fontSize(7.5);
    const h2 = addr ? doc.heightOfString(addr, { width: colWidth }) : 0;
    const h3 = r.numbers.length > 1 ? doc.heightOfString(numbers, { width: colWidth }) : 0;
    room(h1 + h2 + h3 + 4);
    if (!current) current = { first: name, last: name };
    current.last = name;
    doc.font('Helvetica-Bold').fontSize(8.5).text(nameLine, x(), y, { width: nameWidth });
    doc
      .font('Helvetica-Bold')
      .fontSize(8.5)
      .text(printedNumber(r.primary_number), x() + nameWidth, y, {
        width: 70,
        align: 'right',
      });
    y += h1;
    doc.font('Helvetica').fontSize(7.5);
    if (addr) {
      doc.text(addr, x(), y, { width: colWidth });
      y += h2;
    }
    if (r.numbers.length > 1) {
      doc.text(numbers, x(), y, { width: colWidth });
      y += h3;
    }
    y += 4;
  }
  if (current) pages.push(current);

  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const head = pages[i - range.start];
    const margin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font('Helvetica-Bold').fontSize(10);
    if (head) {
      doc.text(head.first.toUpperCase(), left, 25, { width: colWidth, align: 'left', lineBreak: false });
      doc.text(head.last.toUpperCase(), left + colWidth + gutter, 25, {
        width: colWidth,
        align: 'right',
        lineBreak: false,
      });
    }
    doc.font('Helvetica').fontSize(7.5);
    doc.text(`${TITLES[directory]}${locality ? ` — ${locality}` : ''}`, left, 40, {
      width: doc.page.width - left - doc.page.margins.right,
      align: 'center',
      lineBreak: false,
    });
    doc.text(String(i + 1), left, doc.page.height - 30, {
      width: doc.page.width - left - doc.page.margins.right,
      align: 'center',
      lineBreak: false,
    });
    doc.page.margins.bottom = margin;
  }
  doc.end();
  await done;
  return { pdf: Buffer.concat(chunks), pages };
}

/** Publisher export columns, in order (documented in docs/directory.md). */
export const EXPORT_COLUMNS = [
  'code',
  'directory',
  'heading',
  'title',
  'last_name',
  'first_names',
  'nickname',
  'company',
  'street_number',
  'street',
  'locality',
  'postal_code',
  'number',
  'other_numbers',
  'no_marketing',
] as const;

export function exportCsv(rows: ListingRow[]): string {
  return stringify(
    editionOrder(rows).map((r) => [
      r.code,
      r.directory,
      r.heading_path ?? '',
      r.title ?? '',
      r.last_name ?? '',
      r.first_names ?? '',
      r.nickname ?? '',
      r.company ?? '',
      r.street_number ?? '',
      r.street ?? '',
      r.locality ?? '',
      r.postal_code ?? '',
      r.primary_number,
      r.numbers.slice(1).join(' '),
      r.no_marketing ? 'true' : 'false',
    ]),
    { header: true, columns: [...EXPORT_COLUMNS], bom: true },
  );
}

/** Directory editions: print-ready PDF and the publishers' CSV, never with red-list listings. */
export class EditionService {
  constructor(private readonly db: Db) {}

  async pdf(directory: DirectoryKind, locality?: string): Promise<{ pdf: Buffer; pages: EditionPage[] }> {
    const rows = await repo.findEditionListings(this.db, directory, locality);
    return renderEditionPdf(rows, directory, locality);
  }

  async csv(directory: DirectoryKind, locality?: string): Promise<string> {
    return exportCsv(await repo.findEditionListings(this.db, directory, locality));
  }
}
