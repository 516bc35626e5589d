import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { loadReferenceData } from '../../demo/reference-data.js';
import { bootstrap } from '../../platform/bootstrap.js';
import { SYSTEM } from '../../platform/events.js';
import { DeliveryService } from './delivery.service.js';
import { invoiceBatch } from './invoice-pdf.js';
import { runBilling } from './invoice-run.js';
import { makeCustomer, makeLine } from './test-fixtures.js';

interface Received {
  to: string[];
  raw: string;
}

/** A real SMTP listener: what it accepts is kept; one recipient is refused while `refuse` says so. */
function smtpListener(): {
  server: SMTPServer;
  received: Received[];
  state: { refuse: string | null };
  start: () => Promise<number>;
} {
  const received: Received[] = [];
  const state = { refuse: null as string | null };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, cb) {
      if (state.refuse && address.address === state.refuse) {
        const err = new Error('mailbox unavailable') as Error & { responseCode: number };
        err.responseCode = 450;
        return cb(err);
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        cb();
      });
    },
  });
  return {
    server,
    received,
    state,
    start: () =>
      new Promise((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port)),
      ),
  };
}

/** The PDF attached to a raw MIME message (base64 part of type application/pdf) and its file name. */
function attachment(raw: string): { filename: string; pdf: Buffer } | null {
  const m =
    /Content-Type: application\/pdf;[^]*?filename="?([^"\r\n]+)"?[^]*?\r\n\r\n([A-Za-z0-9+/=\r\n]+)/.exec(
      raw,
    );
  return m ? { filename: m[1]!, pdf: Buffer.from(m[2]!.replace(/\r\n/g, ''), 'base64') } : null;
}

let t: TestDb;
const smtp = smtpListener();
let port: number;

beforeAll(async () => {
  [t, port] = await Promise.all([createTestDb(), smtp.start()]);
  await bootstrap(t.db, 'admin-test-password');
  await loadReferenceData(t.db, 'demo-test-password');
});
afterAll(async () => {
  await new Promise<void>((r) => smtp.server.close(() => r()));
  await t?.close();
});

describe('delivery of a billing run', () => {
  it('prints the paper bills in postal order and e-mails the others through SMTP, with retries', async () => {
    const paper = [
      { name: 'Thies', address: { street: 'Avenue Lamine Gueye', postalCode: '21000', locality: 'Thiès' } },
      {
        name: 'Dakar12',
        address: { number: '12', street: 'Rue 10', postalCode: '10200', locality: 'Dakar' },
      },
      { name: 'Dakar3', address: { number: '3', street: 'Rue 10', postalCode: '10200', locality: 'Dakar' } },
      {
        name: 'Medina',
        address: { street: 'Rue 6', district: 'Médina', postalCode: '10200', locality: 'Dakar' },
      },
    ];
    const byName = new Map<string, { payerCode: string; payerId: number }>();
    for (const p of paper) {
      const c = await makeCustomer(t.db, { name: p.name, address: p.address });
      await makeLine(t.db, c, 'FIXE', [['active', '2025-12-01T08:00:00Z']]);
      byName.set(p.name, c);
    }
    const mails = ['awa@example.sn', 'moussa@example.sn', 'refuse@example.sn'];
    for (const [i, email] of mails.entries()) {
      const c = await makeCustomer(t.db, { name: `Mail${i}`, email });
      await makeLine(t.db, c, 'FIXE', [['active', '2025-12-01T08:00:00Z']]);
    }
    const run = await runBilling(
      t.db,
      'XOF',
      { period: '2026-01', at: new Date('2026-02-01T06:00:00Z') },
      SYSTEM,
    );
    expect(run.invoices).toBe(7);

    const offline = new DeliveryService(t.db, 'XOF');
    const now = new Date('2026-02-01T08:00:00Z');
    expect(await offline.prepare(run.runId, now, SYSTEM)).toEqual({
      runId: run.runId,
      email: 3,
      paper: 4,
      added: 7,
    });
    // a second preparation adds nothing
    expect(await offline.prepare(run.runId, now, SYSTEM)).toMatchObject({ email: 3, paper: 4, added: 0 });

    // paper: postal code, locality, district, street, number (as a number: 3 before 12)
    const order: string[] = [];
    for await (const page of offline.paperPages(run.runId, 2))
      for (const [, ctx] of page) order.push(ctx.payerCode);
    expect(order).toEqual(['Dakar3', 'Dakar12', 'Medina', 'Thies'].map((n) => byName.get(n)!.payerCode));
    const chunks: Buffer[] = [];
    for await (const c of invoiceBatch(offline.paperPages(run.runId), 'paper')) chunks.push(c as Buffer);
    const pdf = Buffer.concat(chunks).toString('latin1');
    expect(pdf.startsWith('%PDF-')).toBe(true);
    expect(pdf).toMatch(/\/Type \/Pages\s*\/Count 4/);

    // without an SMTP server the messages stay queued and the queue says so
    await expect(offline.sendQueued()).rejects.toMatchObject({ code: 'mail.not_configured' });
    expect(await offline.queue({ limit: 10 })).toMatchObject({
      configured: false,
      counts: { queued: 3, sending: 0, sent: 0, failed: 0 },
    });

    // with one: one message per payer, its invoice attached; a refused recipient is retried later
    const mailer = new DeliveryService(t.db, 'XOF', {
      smtpUrl: `smtp://127.0.0.1:${port}`,
      from: 'factures@gpto.example',
    });
    smtp.state.refuse = 'refuse@example.sn';
    const progress: number[] = [];
    let clock = new Date(Date.now());
    expect(
      await mailer.sendQueued({ now: () => clock, onProgress: (r) => progress.push(r.sent + r.retried) }),
    ).toEqual({ sent: 2, retried: 1, failed: 0 });
    expect(progress.at(-1)).toBe(3);
    expect(
      smtp.received
        .map((m) => m.to)
        .flat()
        .sort(),
    ).toEqual(['awa@example.sn', 'moussa@example.sn']);
    const invoices = await t.db
      .selectFrom('billing_invoice as i')
      .innerJoin('customer as c', 'c.id', 'i.customer_id')
      .select(['i.number', 'c.email'])
      .where('i.run_id', '=', run.runId)
      .where('c.email', 'is not', null)
      .execute();
    for (const m of smtp.received) {
      const number = invoices.find((i) => i.email === m.to[0])!.number;
      expect(m.raw).toContain(`Subject: Votre facture ${number}`);
      const a = attachment(m.raw);
      expect(a?.filename).toBe(`${number}.pdf`);
      expect(a!.pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(a!.pdf.toString('latin1')).toContain(`Facture ${number}`);
    }
    const queue = await mailer.queue({ runId: run.runId, limit: 10 });
    expect(queue.counts).toEqual({ queued: 1, sending: 0, sent: 2, failed: 0 });
    const refused = queue.items.find((i) => i.email === 'refuse@example.sn')!;
    expect(refused).toMatchObject({ status: 'queued', attempts: 1 });
    expect(refused.lastError).toMatch(/mailbox unavailable/);
    // not due yet: nothing is sent again
    expect(await mailer.sendQueued({ now: () => clock })).toEqual({ sent: 0, retried: 0, failed: 0 });
    smtp.state.refuse = null;
    clock = new Date(clock.getTime() + 2 * 60_000);
    expect(await mailer.sendQueued({ now: () => clock })).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(smtp.received).toHaveLength(3);
    const emailed = await t.db
      .selectFrom('event')
      .select('payload')
      .where('kind', '=', 'invoice.emailed')
      .execute();
    expect(emailed).toHaveLength(3);
    mailer.close();
  });
});
