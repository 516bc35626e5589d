import PDFDocument from 'pdfkit';

export interface PdfContent {
  title: string;
  reference: string;
  date: Date;
  /** Label/value pairs printed under the title (customer, address, line…). */
  facts: [string, string][];
  /** An optional priced table (quote, invoice). */
  table?: { head: string[]; rows: string[][]; totals: [string, string][] };
  paragraphs?: string[];
  footer?: string;
}

const OPERATOR = 'GPTo — opérateur de télécommunications';

export function formatAmount(amount: number, currency: string): string {
  return `${amount.toLocaleString('fr-FR').replace(/\u202f|\u00a0/g, ' ')} ${currency}`;
}

/**
 * Renders a quote, invoice, work order or letter as a printable A4 PDF. The creation date is the
 * document's own date so the same content always gives the same file.
 */
export function renderPdf(c: PdfContent): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margin: 50,
      info: { Title: `${c.title} ${c.reference}`, Author: 'GPTo', CreationDate: c.date },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (b: Buffer) => chunks.push(b));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.fontSize(10).fillColor('#555').text(OPERATOR);
    doc.moveDown(1.5);
    doc.fontSize(18).fillColor('#000').text(c.title);
    doc.fontSize(10).text(`${c.reference} — ${c.date.toISOString().slice(0, 10)}`);
    doc.moveDown();
    for (const [label, value] of c.facts) {
      doc.font('Helvetica-Bold').text(`${label} : `, { continued: true }).font('Helvetica').text(value);
    }
    if (c.table) {
      doc.moveDown();
      const widths = c.table.head.map((_, i) => (i === 0 ? 240 : 80));
      const row = (cells: string[], bold = false) => {
        const y = doc.y;
        let x = 50;
        doc.font(bold ? 'Helvetica-Bold' : 'Helvetica');
        cells.forEach((cell, i) => {
          doc.text(cell, x, y, { width: widths[i] ?? 80, align: i === 0 ? 'left' : 'right' });
          x += (widths[i] ?? 80) + 5;
        });
        doc.x = 50;
        doc.moveDown(0.3);
      };
      row(c.table.head, true);
      for (const r of c.table.rows) row(r);
      doc.moveDown(0.5);
      for (const [label, value] of c.table.totals) row([label, '', '', value], true);
      doc.font('Helvetica');
    }
    for (const p of c.paragraphs ?? []) {
      doc.moveDown();
      doc.text(p, 50, doc.y, { width: 495 });
    }
    if (c.footer) {
      doc.moveDown(2);
      doc.fontSize(8).fillColor('#555').text(c.footer, 50, doc.y, { width: 495 });
    }
    doc.end();
  });
}

/** Fills {{placeholders}}; an unknown placeholder is left visible rather than silently dropped. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
}
