import { sql } from 'kysely';
import { createTransport, type Transporter } from 'nodemailer';
import type { Db } from '../../platform/db.js';
import { appendEvent, SYSTEM, type Actor } from '../../platform/events.js';
import { BillingCycleError } from './cycle.errors.js';
import type { DeliveryStatus } from './cycle.tables.js';
import { billContexts, money, renderInvoicePdf, type BillContext } from './invoice-pdf.js';
import { toInvoiceDoc, type InvoiceDoc } from './invoices.service.js';

export interface MailSettings {
  /** `smtp://user:pass@host:port` (or `smtps://`); unset: messages stay queued. */
  smtpUrl?: string | undefined;
  from?: string | undefined;
}

export interface DeliveryPrepared {
  runId: number;
  email: number;
  paper: number;
  /** Rows added by this call (0 when the run was prepared already). */
  added: number;
}

export interface MailQueue {
  configured: boolean;
  counts: Record<DeliveryStatus, number>;
  items: {
    invoice: string;
    runId: number;
    email: string;
    status: DeliveryStatus;
    attempts: number;
    nextAttemptAt: string | null;
    lastError: string | null;
    sentAt: string | null;
  }[];
}

export interface SendReport {
  sent: number;
  retried: number;
  failed: number;
}

/** A message is tried this many times, 1, 2, 4, 8… minutes apart, then left `failed`. */
const MAX_ATTEMPTS = 5;
/** A claimed message whose sender died is taken again after this. */
const LEASE_MS = 5 * 60_000;

/**
 * Delivery of a billing run's invoices. `prepare` splits the run once, set-based: payers whose
 * customer has an e-mail address get their bill by e-mail (a row in the outbox), the others on
 * paper, numbered in postal order (postal code, locality, district, street, number, payer) for
 * the print batch. The sender claims queued messages with a lease (SKIP LOCKED), renders each
 * invoice's PDF, sends it through SMTP (nodemailer) and records the outcome with its event; a
 * failure is retried with back-off. No transaction is open while a message is on the wire, so a
 * sender killed between the send and its record sends that message again after the lease: at
 * least once, never lost.
 */
export class DeliveryService {
  private transport: Transporter | null = null;

  constructor(
    private readonly db: Db,
    private readonly currency: string,
    private readonly mail: MailSettings = {},
  ) {}

  get mailConfigured(): boolean {
    return Boolean(this.mail.smtpUrl);
  }

  async prepare(runId: number, at: Date, by: Actor): Promise<DeliveryPrepared> {
    return this.db.transaction().execute(async (trx) => {
      const run = await trx
        .selectFrom('billing_run')
        .select(['status'])
        .where('id', '=', runId)
        .executeTakeFirst();
      if (!run) throw new BillingCycleError('not_found', 'billing.run_not_found', `no billing run ${runId}`);
      if (run.status !== 'done')
        throw new BillingCycleError(
          'conflict',
          'billing.run_not_done',
          `billing run ${runId} is ${run.status}: its bills are delivered once it is done`,
        );
      // one preparation of a run at a time: the postal ranks continue where the last one stopped
      await sql`SELECT pg_advisory_xact_lock(hashtext('billing_delivery'), ${runId}::int)`.execute(trx);
      const email = await sql`
        INSERT INTO billing_delivery (invoice_id, run_id, payer_id, customer_id, channel, email, status,
                                      next_attempt_at, created_at)
        SELECT i.id, i.run_id, i.payer_id, i.customer_id, 'email', trim(c.email), 'queued', ${at}, ${at}
        FROM billing_invoice i JOIN customer c ON c.id = i.customer_id
        WHERE i.run_id = ${runId} AND nullif(trim(c.email), '') IS NOT NULL
        ON CONFLICT (invoice_id) DO NOTHING`.execute(trx);
      const paper = await sql`
        INSERT INTO billing_delivery (invoice_id, run_id, payer_id, customer_id, channel, postal_rank, status, created_at)
        SELECT i.id, i.run_id, i.payer_id, i.customer_id, 'paper',
               (SELECT coalesce(max(postal_rank), 0) FROM billing_delivery WHERE run_id = ${runId})
                 + row_number() OVER (ORDER BY
                     upper(coalesce(p.billing_address->>'postalCode', '')),
                     upper(coalesce(p.billing_address->>'locality', '')),
                     upper(coalesce(p.billing_address->>'district', '')),
                     upper(coalesce(p.billing_address->>'street', '')),
                     lpad(coalesce(substring(p.billing_address->>'number' FROM '^[0-9]+'), ''), 10, '0'),
                     p.code, i.id),
               'paper', ${at}
        FROM billing_invoice i JOIN customer c ON c.id = i.customer_id JOIN payer p ON p.id = i.payer_id
        WHERE i.run_id = ${runId} AND nullif(trim(c.email), '') IS NULL
          AND NOT EXISTS (SELECT 1 FROM billing_delivery d WHERE d.invoice_id = i.id)`.execute(trx);
      const added = Number(email.numAffectedRows ?? 0) + Number(paper.numAffectedRows ?? 0);
      const counts = await trx
        .selectFrom('billing_delivery')
        .select(['channel', (eb) => eb.fn.countAll<number>().as('n')])
        .where('run_id', '=', runId)
        .groupBy('channel')
        .execute();
      const n = (c: string) => Number(counts.find((x) => x.channel === c)?.n ?? 0);
      const out = { runId, email: n('email'), paper: n('paper'), added };
      if (added > 0)
        await appendEvent(trx, {
          entityType: 'billing_run',
          entityId: runId,
          kind: 'billing.delivery_prepared',
          userId: by.userId,
          payload: { ...out },
        });
      return out;
    });
  }

  /** The paper bills of a run in postal order, a page at a time (the print batch streams these). */
  async *paperPages(runId: number, pageSize = 200): AsyncGenerator<[InvoiceDoc, BillContext][]> {
    let after = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('billing_delivery as d')
        .innerJoin('billing_invoice as i', 'i.id', 'd.invoice_id')
        .selectAll('i')
        .select('d.postal_rank')
        .where('d.run_id', '=', runId)
        .where('d.channel', '=', 'paper')
        .where('d.postal_rank', '>', after)
        .orderBy('d.postal_rank')
        .limit(pageSize)
        .execute();
      if (rows.length === 0) return;
      const docs = rows.map((r) => toInvoiceDoc(r as Parameters<typeof toInvoiceDoc>[0]));
      const ctx = await billContexts(this.db, docs);
      yield docs.map((d) => [d, ctx.get(d.payerId)!] as [InvoiceDoc, BillContext]);
      after = rows[rows.length - 1]!.postal_rank!;
    }
  }

  /** The outbox: counts by status and the messages not sent yet (or of one run). */
  async queue(q: { runId?: number; limit: number }): Promise<MailQueue> {
    let counts = this.db
      .selectFrom('billing_delivery')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('channel', '=', 'email');
    if (q.runId) counts = counts.where('run_id', '=', q.runId);
    let items = this.db
      .selectFrom('billing_delivery as d')
      .innerJoin('billing_invoice as i', 'i.id', 'd.invoice_id')
      .select([
        'i.number',
        'd.run_id',
        'd.email',
        'd.status',
        'd.attempts',
        'd.next_attempt_at',
        'd.last_error',
        'd.sent_at',
      ])
      .where('d.channel', '=', 'email');
    items = q.runId
      ? items.where('d.run_id', '=', q.runId)
      : items.where('d.status', 'in', ['queued', 'sending', 'failed']);
    const [c, rows] = await Promise.all([
      counts.groupBy('status').execute(),
      items.orderBy('d.invoice_id').limit(q.limit).execute(),
    ]);
    const all: Record<DeliveryStatus, number> = { queued: 0, sending: 0, sent: 0, failed: 0, paper: 0 };
    for (const r of c) all[r.status] = Number(r.n);
    delete (all as Partial<typeof all>).paper;
    return {
      configured: this.mailConfigured,
      counts: all,
      items: rows.map((r) => ({
        invoice: r.number,
        runId: r.run_id,
        email: r.email!,
        status: r.status,
        attempts: r.attempts,
        nextAttemptAt: r.next_attempt_at ? new Date(r.next_attempt_at).toISOString() : null,
        lastError: r.last_error,
        sentAt: r.sent_at ? new Date(r.sent_at).toISOString() : null,
      })),
    };
  }

  private mailer(): Transporter {
    if (!this.mail.smtpUrl)
      throw new BillingCycleError(
        'unavailable',
        'mail.not_configured',
        'no SMTP server configured (GPTO_SMTP_URL): the messages stay queued',
      );
    this.transport ??= createTransport(this.mail.smtpUrl);
    return this.transport;
  }

  /**
   * Sends what is due in the outbox (of one run, or all), `batch` messages claimed at a time,
   * until nothing is due or `limit` messages were tried. `onProgress` gets the running totals.
   */
  async sendQueued(
    opts: {
      runId?: number;
      batch?: number;
      limit?: number;
      now?: () => Date;
      onProgress?: (r: SendReport) => void;
    } = {},
  ): Promise<SendReport> {
    const mailer = this.mailer();
    const now = opts.now ?? (() => new Date());
    const report: SendReport = { sent: 0, retried: 0, failed: 0 };
    const limit = opts.limit ?? Number.MAX_SAFE_INTEGER;
    while (report.sent + report.retried + report.failed < limit) {
      const at = now();
      const claimed = await sql<{ invoice_id: number; email: string; attempts: number }>`
        UPDATE billing_delivery SET status = 'sending', attempts = attempts + 1,
               lease_until = ${new Date(at.getTime() + LEASE_MS)}
        WHERE invoice_id IN (
          SELECT invoice_id FROM billing_delivery
          WHERE ((status = 'queued' AND next_attempt_at <= ${at}) OR (status = 'sending' AND lease_until < ${at}))
            ${opts.runId ? sql`AND run_id = ${opts.runId}` : sql``}
          ORDER BY next_attempt_at, invoice_id
          LIMIT ${Math.min(opts.batch ?? 20, limit - report.sent - report.retried - report.failed)}
          FOR UPDATE SKIP LOCKED)
        RETURNING invoice_id, email, attempts`.execute(this.db);
      if (claimed.rows.length === 0) break;
      const invoices = await this.db
        .selectFrom('billing_invoice')
        .selectAll()
        .where(
          'id',
          'in',
          claimed.rows.map((r) => r.invoice_id),
        )
        .execute();
      const docs = new Map(
        invoices.map((r) => [r.id, toInvoiceDoc(r as Parameters<typeof toInvoiceDoc>[0])] as const),
      );
      const ctx = await billContexts(this.db, [...docs.values()]);
      await Promise.all(
        claimed.rows.map(async (m) => {
          const inv = docs.get(m.invoice_id)!;
          try {
            const pdf = await renderInvoicePdf(inv, ctx.get(inv.payerId)!);
            const info = (await mailer.sendMail({
              from: this.mail.from ?? 'GPTo Télécom <factures@gpto.example>',
              to: m.email,
              subject: `Votre facture ${inv.number}`,
              text: this.body(inv, ctx.get(inv.payerId)!),
              attachments: [{ filename: `${inv.number}.pdf`, content: pdf, contentType: 'application/pdf' }],
            })) as { messageId?: string };
            await this.sent(m.invoice_id, inv, m.email, info.messageId ?? null, now());
            report.sent++;
          } catch (err) {
            const final = await this.failed(m, inv, err, now());
            if (final) report.failed++;
            else report.retried++;
          }
        }),
      );
      opts.onProgress?.({ ...report });
    }
    return report;
  }

  /**
   * Sends one e-mail through the same SMTP sender and sender address as the bills (TMF681
   * `communicationMessage`); one try, the caller records the outcome. Throws when it fails.
   */
  async sendMessage(m: { to: string; subject: string; text: string }): Promise<{ messageId: string | null }> {
    const info = (await this.mailer().sendMail({
      from: this.mail.from ?? 'GPTo Télécom <factures@gpto.example>',
      to: m.to,
      subject: m.subject,
      text: m.text,
    })) as { messageId?: string };
    return { messageId: info.messageId ?? null };
  }

  private body(inv: InvoiceDoc, ctx: BillContext): string {
    const due = inv.total - inv.paidAmount - inv.creditedAmount;
    return [
      `Bonjour ${ctx.payerName},`,
      '',
      `Veuillez trouver ci-joint votre facture ${inv.number}${inv.periodStart ? ` (période du ${inv.periodStart} au ${inv.periodEnd})` : ''}.`,
      `Montant à payer : ${money(due, this.currency)}, avant le ${inv.dueAt.slice(0, 10)}.`,
      `Référence de paiement : ${ctx.payerCode} / ${inv.number}`,
      '',
      'GPTo Télécom — Service clients : 1414',
    ].join('\n');
  }

  private async sent(
    invoiceId: number,
    inv: InvoiceDoc,
    email: string,
    messageId: string | null,
    at: Date,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('billing_delivery')
        .set({ status: 'sent', sent_at: at, message_id: messageId, lease_until: null, last_error: null })
        .where('invoice_id', '=', invoiceId)
        .execute();
      await appendEvent(trx, {
        entityType: 'invoice',
        entityId: invoiceId,
        customerId: inv.customerId,
        kind: 'invoice.emailed',
        userId: SYSTEM.userId,
        payload: { number: inv.number, to: email, messageId },
      });
    });
  }

  /** Records a failed try: queued again with back-off, or `failed` after the last attempt. */
  private async failed(
    m: { invoice_id: number; email: string; attempts: number },
    inv: InvoiceDoc,
    err: unknown,
    at: Date,
  ): Promise<boolean> {
    const error = (err instanceof Error ? err.message : String(err)).slice(0, 500);
    const final = m.attempts >= MAX_ATTEMPTS;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('billing_delivery')
        .set({
          status: final ? 'failed' : 'queued',
          last_error: error,
          lease_until: null,
          next_attempt_at: new Date(at.getTime() + 60_000 * 2 ** (m.attempts - 1)),
        })
        .where('invoice_id', '=', m.invoice_id)
        .execute();
      if (final)
        await appendEvent(trx, {
          entityType: 'invoice',
          entityId: m.invoice_id,
          customerId: inv.customerId,
          kind: 'invoice.email_failed',
          userId: SYSTEM.userId,
          payload: { number: inv.number, to: m.email, attempts: m.attempts, error },
        });
    });
    return final;
  }

  close(): void {
    this.transport?.close();
    this.transport = null;
  }
}
