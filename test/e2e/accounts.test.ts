import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { runBilling } from '../../src/modules/billing/invoice-run.js';
import { makeCustomer, makeLine } from '../../src/modules/billing/test-fixtures.js';
import { SYSTEM } from '../../src/platform/events.js';
import { DEMO_PASSWORD } from '../app.js';
import {
  browserAvailability,
  errorsOf,
  login,
  newPage,
  overflow,
  shot,
  startSession,
  type Session,
} from './browser.js';

const availability = browserAvailability();
if (!availability.run) process.stderr.write(`\n${availability.reason}\n`);

/** The digits of a formatted amount ("12 345 F CFA" → "12345"): the locale's spaces and symbol vary. */
const digits = (s: string | null) => (s ?? '').replace(/[^0-9-]/g, '');

describe.skipIf(!availability.run)(
  `the customer's accounts in the browser${availability.run ? '' : ` — ${availability.reason}`}`,
  () => {
    let s: Session;
    let cust: { customerId: number; code: string; payerId: number; payerCode: string };
    let invoice: { number: string; total: number };
    const pages: Page[] = [];
    beforeAll(async () => {
      s = await startSession();
      const db = s.t.tdb.db;
      cust = await makeCustomer(db, { name: 'Sarr' });
      // Active since two months ago; last month is billed today, the way the monthly run does it.
      const now = new Date();
      const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1, 8));
      await makeLine(db, cust, 'FIXE', [['active', since.toISOString()]], { number: '338217001' });
      const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
      const period = last.toISOString().slice(0, 7);
      const run = await runBilling(db, 'XOF', { period }, SYSTEM);
      expect(run.invoices).toBeGreaterThanOrEqual(1);
      invoice = await db
        .selectFrom('billing_invoice')
        .select(['number', 'total'])
        .where('payer_id', '=', cust.payerId)
        .executeTakeFirstOrThrow();
      expect(invoice.total).toBeGreaterThan(0);
    }, 240_000);
    afterAll(async () => {
      await s?.close();
    });

    const open360 = async (username: string, password = DEMO_PASSWORD) => {
      const page = await newPage(s);
      pages.push(page);
      await login(page, s.base, username, password);
      await page.goto(`${s.base}/customers/${cust.code}`);
      await page.getByTestId('customer-360').waitFor();
      return page;
    };

    it('finance sees the invoice, opens its PDF and takes a part payment at the cash desk', async () => {
      const page = await open360('finance');
      await page.getByTestId('tab-accounts').click();
      const account = page.getByTestId(`account-${cust.payerCode}`);
      const row = account.getByTestId(`invoice-${invoice.number}`);
      await row.waitFor();
      expect(digits(await row.getByTestId('invoice-total').textContent())).toBe(String(invoice.total));
      expect(digits(await row.getByTestId('invoice-open').textContent())).toBe(String(invoice.total));
      expect(digits(await account.getByTestId('payer-balance').textContent())).toBe(String(invoice.total));
      await shot(page, '90-accounts');
      expect(await overflow(page)).toEqual([]);

      // The PDF opens in a new tab with the session's cookie.
      const pdfLink = row.getByTestId('invoice-pdf');
      const [response] = await Promise.all([
        page.context().waitForEvent('response', (r) => r.url().endsWith(`/invoices/${invoice.number}/pdf`)),
        pdfLink.click(),
      ]);
      expect(response.status()).toBe(200);
      expect(response.headers()['content-type']).toContain('application/pdf');
      const href = await pdfLink.getAttribute('href');
      const bytes = await page.context().request.get(`${s.base}${href}`);
      expect(bytes.status()).toBe(200);
      expect((await bytes.body()).subarray(0, 5).toString('latin1')).toBe('%PDF-');
      for (const p of page.context().pages()) if (p !== page) await p.close();

      // The statement of the default period: the invoice is its only movement so far.
      await account.getByTestId('statement-show').click();
      await account.getByTestId('statement').waitFor();
      expect(digits(await account.getByTestId('statement-closing').textContent())).toBe(
        String(invoice.total),
      );

      // A refused amount is shown next to its field (the problem's `field`), nothing is recorded.
      await account.getByTestId('take-payment').click();
      const form = page.getByTestId('payment-form');
      await form.getByLabel(/^Montant/).fill('0');
      await form.getByTestId('payment-submit').click();
      await form.getByText('Valeur absente ou invalide').waitFor();
      // …next to the field, not in a general message.
      expect(await form.getByRole('alert').count()).toBe(0);
      await shot(page, '91-payment-error');
      const none = await s.t.tdb.db
        .selectFrom('billing_payment')
        .select('id')
        .where('payer_id', '=', cust.payerId)
        .execute();
      expect(none).toEqual([]);

      const part = Math.floor(invoice.total / 3);
      await form.getByLabel(/^Montant/).fill(String(part));
      await form.getByLabel(/^Référence/).fill('GUICHET-42');
      await page.getByRole('textbox', { name: /^Facture à solder/ }).click();
      await page.getByRole('option', { name: new RegExp(`^${invoice.number}`) }).click();
      await form.getByTestId('payment-submit').click();
      const done = page.getByTestId('payment-done');
      const receipt = (await done.getByTestId('receipt-number').textContent()) ?? '';
      const number = /P[0-9]{12}/.exec(receipt)?.[0];
      expect(number).toBeDefined();
      const recorded = await s.t.tdb.db
        .selectFrom('billing_payment')
        .select(['number', 'amount', 'method', 'reference'])
        .where('payer_id', '=', cust.payerId)
        .execute();
      expect(recorded).toEqual([{ number, amount: part, method: 'cash', reference: 'GUICHET-42' }]);
      await shot(page, '92-payment-receipt');
      const receiptHref = await done.getByTestId('receipt-pdf').getAttribute('href');
      const receiptPdf = await page.context().request.get(`${s.base}${receiptHref}`);
      expect(receiptPdf.headers()['content-type']).toContain('application/pdf');
      expect((await receiptPdf.body()).subarray(0, 5).toString('latin1')).toBe('%PDF-');
      await done.getByRole('button', { name: 'Fermer' }).click();

      // The open amount and the balance follow the payment.
      const left = String(invoice.total - part);
      await expect.poll(async () => digits(await row.getByTestId('invoice-open').textContent())).toBe(left);
      await expect
        .poll(async () => digits(await account.getByTestId('payer-balance').textContent()))
        .toBe(left);
      await shot(page, '93-accounts-after-payment');
      expect(await overflow(page)).toEqual([]);
      expect(errorsOf(page)).toEqual([]);
    });

    it('a reader of accounts without the payment right sees the invoices but no cash desk', async () => {
      const admin = await s.t.login('admin');
      const u = await s.t.call('POST', '/api/v1/users', admin, {
        username: 'auditor',
        displayName: 'Auditeur',
        password: 'auditor-password-1',
        roles: ['auditor'],
        actors: [],
      });
      expect(u.statusCode, u.body).toBe(201);
      const page = await open360('auditor', 'auditor-password-1');
      await page.getByTestId('tab-accounts').click();
      await page.getByTestId(`invoice-${invoice.number}`).waitFor();
      expect(await page.getByTestId('take-payment').count()).toBe(0);
      // The same screen in English.
      await page.getByText('EN', { exact: true }).click();
      await page.getByRole('tab', { name: 'Accounts' }).waitFor();
      await page.getByRole('columnheader', { name: 'Open amount' }).waitFor();
      expect(errorsOf(page)).toEqual([]);
    });

    it('a counter agent (billing:read, no payment right) sees the accounts but not the cash desk', async () => {
      const page = await open360('commercial');
      await page.getByTestId('tab-accounts').click();
      await page.getByRole('columnheader', { name: 'Reste dû' }).waitFor();
      expect(await page.getByTestId('take-payment').count()).toBe(0);
      expect(errorsOf(page)).toEqual([]);
    });
  },
);
