import PDFDocument from 'pdfkit';
import type { Db } from '../../platform/db.js';
import type { BillLine, InvoiceDoc } from './invoices.service.js';

/** Who the bill is for: the customer's hierarchy printed on it (customer, payer, lines). */
export interface BillContext {
  customerCode: string;
  customerName: string;
  payerCode: string;
  payerName: string;
  address: string[];
}

const OPERATOR = ['GPTo Télécom', 'Service clients : 1414', 'www.gpto.example'];
const KIND_TITLE: Record<string, string> = {
  periodic: 'Facture',
  one_off: 'Facture',
  credit_note: 'Avoir',
};

export function money(amount: number, currency = 'XOF'): string {
  const s = Math.abs(amount)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return `${amount < 0 ? '-' : ''}${s} ${currency}`;
}

const day = (iso: string) => iso.slice(0, 10).split('-').reverse().join('/');

function addressLines(a: unknown): string[] {
  const x = (a ?? {}) as Record<string, string | null | undefined>;
  return [
    [x.number, x.street].filter(Boolean).join(' '),
    x.district ?? '',
    [x.postalCode, x.locality].filter(Boolean).join(' '),
  ].filter((l) => l.length > 0);
}

/** Names and addresses of invoices' customers and payers, in one query for a page of invoices. */
export async function billContexts(db: Db, invoices: InvoiceDoc[]): Promise<Map<number, BillContext>> {
  const out = new Map<number, BillContext>();
  if (invoices.length === 0) return out;
  const rows = await db
    .selectFrom('payer as p')
    .innerJoin('customer as c', 'c.id', 'p.customer_id')
    .select([
      'p.id',
      'p.code as payer_code',
      'p.name as payer_name',
      'p.billing_address',
      'c.code as customer_code',
      'c.last_name',
      'c.first_names',
      'c.company_name',
      'c.title',
    ])
    .where('p.id', 'in', [...new Set(invoices.map((i) => i.payerId))])
    .execute();
  for (const r of rows)
    out.set(r.id, {
      customerCode: r.customer_code,
      customerName: r.company_name ?? [r.title, r.first_names, r.last_name].filter(Boolean).join(' '),
      payerCode: r.payer_code,
      payerName: r.payer_name,
      address: addressLines(r.billing_address),
    });
  return out;
}

type Doc = InstanceType<typeof PDFDocument>;

function row(doc: Doc, cells: [string, number, 'left' | 'right'][], y: number, bold = false): number {
  doc.font(bold ? 'Helvetica-Bold' : 'Helvetica');
  let x = 50;
  let h = 0;
  for (const [raw, width, align] of cells) {
    // the built-in PDF fonts have WinAnsi glyphs only: no arrows
    const text = raw.replace(/→/g, '->');
    doc.text(text, x, y, { width, align });
    h = Math.max(h, doc.heightOfString(text, { width }));
    x += width;
  }
  return y + h + 3;
}

function ensureSpace(doc: Doc, y: number, need: number): number {
  if (y + need < doc.page.height - 60) return y;
  doc.addPage();
  return 50;
}

/** Draws one bill on new pages of `doc`: header, summary, details per line, taxes, balance, payment slip. */
export function drawInvoice(doc: Doc, inv: InvoiceDoc, ctx: BillContext, first = false): void {
  if (!first) doc.addPage();
  const cur = inv.currency;
  doc.fontSize(16).font('Helvetica-Bold').fillColor('#003366').text(OPERATOR[0]!, 50, 45);
  doc.fontSize(8).font('Helvetica').fillColor('#555').text(OPERATOR.slice(1).join(' · '), 50, 65);
  doc.fillColor('#000').fontSize(14).font('Helvetica-Bold');
  doc.text(`${KIND_TITLE[inv.kind] ?? 'Facture'} ${inv.number}`, 300, 45, { width: 245, align: 'right' });
  doc.fontSize(9).font('Helvetica');
  const facts = [
    `Date : ${day(inv.issuedAt)}`,
    inv.periodStart && inv.periodEnd ? `Période : du ${day(inv.periodStart)} au ${day(inv.periodEnd)}` : '',
    inv.kind === 'credit_note' ? '' : `À payer avant le ${day(inv.dueAt)}`,
  ].filter(Boolean);
  doc.text(facts.join('\n'), 300, 65, { width: 245, align: 'right' });

  // the customer's hierarchy: customer, payer (billing account), address
  doc.rect(300, 110, 245, 80).strokeColor('#999').stroke();
  doc.font('Helvetica-Bold').text(ctx.payerName, 310, 118, { width: 225 });
  doc.font('Helvetica').text(ctx.address.join('\n'), 310, doc.y, { width: 225 });
  doc.fontSize(8).fillColor('#555');
  doc.text(`Client ${ctx.customerCode} — ${ctx.customerName}`, 50, 118, { width: 230 });
  doc.text(`Compte payeur ${ctx.payerCode}`, 50, doc.y, { width: 230 });
  doc.fillColor('#000').fontSize(9);

  let y = 205;
  if (inv.summary) {
    const s = inv.summary;
    doc.font('Helvetica-Bold').fontSize(11).text('Résumé de votre compte', 50, y);
    y += 18;
    doc.fontSize(9);
    const sum: [string, number][] = [
      ['Solde précédent', s.previousBalance],
      ['Paiements reçus sur la période', -s.paymentsInPeriod],
      ['Avoirs et dégrèvements sur la période', -s.rebatesInPeriod],
      ['Montant de cette facture', s.newCharges],
    ];
    for (const [label, amount] of sum)
      y = row(
        doc,
        [
          [label, 330, 'left'],
          [money(amount, cur), 165, 'right'],
        ],
        y,
      );
    doc.moveTo(50, y).lineTo(545, y).strokeColor('#003366').stroke();
    y = row(
      doc,
      [
        ['Total dû', 330, 'left'],
        [money(s.balanceDue, cur), 165, 'right'],
      ],
      y + 3,
      true,
    );
    if (s.depositsHeld > 0)
      y = row(
        doc,
        [
          ['Dépôts de garantie détenus (pour mémoire)', 330, 'left'],
          [money(s.depositsHeld, cur), 165, 'right'],
        ],
        y,
      );
    y += 10;
  }

  doc.font('Helvetica-Bold').fontSize(11).text('Détail par abonnement', 50, y);
  y += 18;
  doc.fontSize(8);
  y = row(
    doc,
    [
      ['Désignation', 265, 'left'],
      ['Qté', 50, 'right'],
      ['P.U.', 85, 'right'],
      ['Montant HT', 95, 'right'],
    ],
    y,
    true,
  );
  const groups = new Map<string, BillLine[]>();
  for (const l of inv.lines) {
    const key = l.rootId ? String(l.rootId) : 'other';
    groups.set(key, [...(groups.get(key) ?? []), l]);
  }
  for (const lines of groups.values()) {
    const head = lines.find((l) => l.subscriptionId === l.rootId) ?? lines[0]!;
    y = ensureSpace(doc, y, 40);
    const title = head.rootId
      ? `Ligne ${head.directoryNumber ?? head.subscriptionCode ?? ''}`.trim()
      : 'Autres frais';
    y = row(doc, [[title, 495, 'left']], y + 4, true);
    let subtotal = 0;
    for (const l of lines) {
      y = ensureSpace(doc, y, 14);
      const qty = l.kind === 'recurring' ? `${l.days ?? l.quantity} j` : String(l.quantity);
      y = row(
        doc,
        [
          [`  ${l.label}`, 265, 'left'],
          [qty, 50, 'right'],
          [money(l.unitPrice, cur), 85, 'right'],
          [money(l.amount, cur), 95, 'right'],
        ],
        y,
      );
      subtotal += l.amount;
    }
    y = row(
      doc,
      [
        ['', 265, 'left'],
        ['', 50, 'right'],
        ['Sous-total', 85, 'right'],
        [money(subtotal, cur), 95, 'right'],
      ],
      y,
      true,
    );
  }

  y = ensureSpace(doc, y + 8, 80);
  doc.fontSize(9);
  y = row(
    doc,
    [
      ['Total HT', 400, 'right'],
      [money(inv.amountExclTax, cur), 95, 'right'],
    ],
    y,
    true,
  );
  for (const t of inv.taxes)
    y = row(
      doc,
      [
        [`${t.label} ${(t.rateBasisPoints / 100).toLocaleString('fr-FR')} %`, 400, 'right'],
        [money(t.amount, cur), 95, 'right'],
      ],
      y,
    );
  if (inv.taxes.length === 0)
    y = row(
      doc,
      [
        ['Exonéré de taxes', 400, 'right'],
        [money(0, cur), 95, 'right'],
      ],
      y,
    );
  y = row(
    doc,
    [
      ['Total TTC', 400, 'right'],
      [money(inv.total, cur), 95, 'right'],
    ],
    y,
    true,
  );

  if (inv.kind !== 'credit_note') {
    // the payment slip, torn off and handed in with the payment
    const slipY = Math.max(y + 20, doc.page.height - 170);
    if (slipY + 110 > doc.page.height - 30) doc.addPage();
    const sy = slipY + 110 > doc.page.height - 30 ? 50 : slipY;
    doc.moveTo(50, sy).lineTo(545, sy).dash(4, { space: 3 }).strokeColor('#666').stroke().undash();
    doc
      .fontSize(7)
      .fillColor('#666')
      .text('Talon à détacher et à joindre à votre paiement', 50, sy + 3);
    doc.fillColor('#000').fontSize(9);
    let ty = sy + 18;
    const due = inv.summary?.balanceDue ?? inv.total - inv.paidAmount - inv.creditedAmount;
    for (const [label, value] of [
      ['Compte payeur', ctx.payerCode],
      ['Facture', inv.number],
      ['Montant à payer', money(Math.max(0, due), cur)],
      ['Date limite', day(inv.dueAt)],
      ['Référence de virement / mobile money', `${inv.number} ${ctx.payerCode}`],
    ] as [string, string][])
      ty = row(
        doc,
        [
          [label, 200, 'left'],
          [value, 295, 'left'],
        ],
        ty,
        label === 'Montant à payer',
      );
  }
}

/** One bill as a PDF file. */
export function renderInvoicePdf(inv: InvoiceDoc, ctx: BillContext): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margin: 50,
      info: {
        Title: `${KIND_TITLE[inv.kind] ?? 'Facture'} ${inv.number}`,
        Author: 'GPTo',
        CreationDate: new Date(inv.issuedAt),
      },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (b: Buffer) => chunks.push(b));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    drawInvoice(doc, inv, ctx, true);
    doc.end();
  });
}

/**
 * A print batch: many bills in one PDF, drawn a page of invoices at a time from `pages` and
 * streamed out as it is produced, so a run of any size never sits in memory.
 */
export function invoiceBatch(pages: AsyncIterable<[InvoiceDoc, BillContext][]>, title: string): Doc {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    autoFirstPage: false,
    info: { Title: title, Author: 'GPTo' },
  });
  void (async () => {
    try {
      let count = 0;
      for await (const page of pages) {
        for (const [inv, ctx] of page) {
          doc.addPage();
          drawInvoice(doc, inv, ctx, true);
          count++;
        }
        // pdfkit pushes without back-pressure: wait until the consumer has read what was drawn,
        // so a slow reader of a million bills never makes the batch sit in memory
        do await new Promise((r) => setTimeout(r, 5));
        while (doc.readableLength > 4 * 1024 * 1024 && !doc.destroyed);
      }
      if (count === 0) {
        doc.addPage();
        doc.fontSize(12).text(`${title}: aucune facture`);
      }
      doc.end();
    } catch (err) {
      doc.emit('error', err);
    }
  })();
  return doc;
}

/** A payment receipt. */
export function renderReceiptPdf(p: {
  number: string;
  receivedAt: string;
  amount: number;
  method: string;
  reference: string | null;
  payerCode: string;
  payerName: string;
  allocations: { invoice: string; amount: number }[];
  unallocated: number;
  currency: string;
}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A5',
      margin: 40,
      info: { Title: `Reçu ${p.number}`, Author: 'GPTo', CreationDate: new Date(p.receivedAt) },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (b: Buffer) => chunks.push(b));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.fontSize(14).font('Helvetica-Bold').fillColor('#003366').text(OPERATOR[0]!);
    doc.fillColor('#000').fontSize(13).text(`Reçu de paiement ${p.number}`).moveDown(0.5);
    doc.fontSize(9).font('Helvetica');
    doc.text(`Date : ${day(p.receivedAt)}`);
    doc.text(`Payeur : ${p.payerName} (${p.payerCode})`);
    doc.text(`Mode de paiement : ${p.method}${p.reference ? ` — réf. ${p.reference}` : ''}`);
    doc
      .font('Helvetica-Bold')
      .text(`Montant reçu : ${money(p.amount, p.currency)}`)
      .font('Helvetica')
      .moveDown(0.5);
    for (const a of p.allocations) doc.text(`Facture ${a.invoice} : ${money(a.amount, p.currency)}`);
    if (p.unallocated > 0) doc.text(`Au crédit de votre compte : ${money(p.unallocated, p.currency)}`);
    doc.end();
  });
}
