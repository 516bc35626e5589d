import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { loadReferenceData } from '../../demo/reference-data.js';
import { bootstrap } from '../../platform/bootstrap.js';
import { SYSTEM } from '../../platform/events.js';
import { InvoiceService } from './invoices.service.js';
import { runBilling } from './invoice-run.js';
import { MeterService } from './meter.service.js';
import { prorate, taxOf } from './period.js';
import { makeCustomer, makeLine } from './test-fixtures.js';

let t: TestDb;
const AT = new Date('2026-12-01T06:00:00Z');
const ids: Record<string, { customerId: number; payerId: number; code: string }> = {};

beforeAll(async () => {
  t = await createTestDb();
  await bootstrap(t.db, 'admin-test-password');
  await loadReferenceData(t.db, 'demo-test-password');
  // A: taxed 18 %; a fixed line all month with an option from the 16th, its meter, a mobile line
  // from the 21st (its one-off fee not invoiced yet) and an adjustment charge
  const a = await makeCustomer(t.db, { tax: 'TVA18', name: 'Alpha' });
  const fixe = await makeLine(t.db, a, 'FIXE', [['active', '2026-01-10T09:00:00Z']], { number: '338210001' });
  await makeLine(t.db, a, 'OPT-RENVOI', [['active', '2026-11-16T10:00:00Z']], { parentId: fixe.id });
  await makeLine(t.db, a, 'MOBILE-POST', [['active', '2026-11-21T12:00:00Z']], { number: '770000001' });
  const meters = new MeterService(t.db);
  await meters.record(
    [
      { line: '338210001', readAt: '2026-10-31T20:00:00Z', index: 1000 },
      { line: '338210001', readAt: '2026-11-30T22:00:00Z', index: 1123 },
      { line: '338210001', readAt: '2026-12-01T01:00:00Z', index: 1130 },
    ],
    SYSTEM,
  );
  const inv = new InvoiceService(t.db, 'XOF');
  await t.db.transaction().execute(async (trx) => {
    await inv.postCharge(
      trx,
      {
        payerId: a.payerId,
        kind: 'adjustment',
        label: 'Duplicata',
        amount: 1000,
        at: new Date('2026-11-05T10:00:00Z'),
      },
      SYSTEM,
    );
    await inv.postCharge(
      trx,
      {
        payerId: a.payerId,
        kind: 'adjustment',
        label: 'Next month',
        amount: 700,
        at: new Date('2026-12-02T10:00:00Z'),
      },
      SYSTEM,
    );
  });
  // B: TVA + telecom tax; suspended 11th–20th, a radio line terminated on the 8th
  const b = await makeCustomer(t.db, { tax: 'TVA18-TST', name: 'Bravo' });
  await makeLine(t.db, b, 'FIXE', [
    ['active', '2026-03-01T08:00:00Z'],
    ['suspended', '2026-11-11T08:00:00Z'],
    ['active', '2026-11-21T08:00:00Z'],
  ]);
  await makeLine(t.db, b, 'FIXE-RADIO', [
    ['active', '2026-02-01T08:00:00Z'],
    ['terminated', '2026-11-08T15:00:00Z'],
  ]);
  // C: exempt; D: nothing left to bill; E: quarterly
  const c = await makeCustomer(t.db, { tax: 'EXO', name: 'Charlie' });
  await makeLine(t.db, c, 'MOBILE-POST', [['active', '2025-05-01T08:00:00Z']]);
  const d = await makeCustomer(t.db, { name: 'Delta' });
  await makeLine(t.db, d, 'FIXE', [
    ['active', '2025-05-01T08:00:00Z'],
    ['terminated', '2026-09-01T08:00:00Z'],
  ]);
  const e = await makeCustomer(t.db, { name: 'Echo' });
  await makeLine(t.db, e, 'FIXE', [['active', '2025-05-01T08:00:00Z']]);
  await t.db
    .insertInto('billing_payer_cycle')
    .values({ payer_id: e.payerId, cycle_code: 'quarterly' })
    .execute();
  Object.assign(ids, { a, b, c, d, e });
});
afterAll(async () => {
  await t?.close();
});

const invoiceOf = (payerId: number, period = '2026-11-01') =>
  t.db
    .selectFrom('billing_invoice')
    .selectAll()
    .where('payer_id', '=', payerId)
    .where('period_start', '=', period)
    .executeTakeFirst();

describe('billing run', () => {
  it('refuses a period that has not ended and a cycle not due', async () => {
    await expect(
      runBilling(t.db, 'XOF', { period: '2026-11', at: new Date('2026-11-30T23:00:00Z') }, SYSTEM),
    ).rejects.toMatchObject({
      code: 'billing.period_not_ended',
    });
    await expect(
      runBilling(t.db, 'XOF', { period: '2026-11', cycle: 'quarterly', at: AT }, SYSTEM),
    ).rejects.toMatchObject({
      code: 'billing.cycle_not_due',
    });
  });

  it('bills every payer of the cycle once, prorated, with usage, one-off fees, charges and taxes', async () => {
    const r = await runBilling(t.db, 'XOF', { period: '2026-11', at: AT, chunkSize: 2 }, SYSTEM);
    expect(r.invoices).toBe(3);

    const a = await invoiceOf(ids.a!.payerId);
    const aLines = a!.lines as { kind: string; amount: number; quantity: number; productCode: string }[];
    const byProduct = (code: string, kind: string) =>
      aLines.find((l) => l.productCode === code && l.kind === kind);
    expect(byProduct('FIXE', 'recurring')!.amount).toBe(5000);
    expect(byProduct('OPT-RENVOI', 'recurring')!.amount).toBe(prorate(500, 1, 15, 30));
    expect(byProduct('OPT-RENVOI', 'recurring')!.amount).toBe(250);
    expect(byProduct('FIXE', 'usage')).toMatchObject({ quantity: 123, amount: 123 * 60 });
    expect(byProduct('MOBILE-POST', 'one_off')!.amount).toBe(5000);
    expect(byProduct('MOBILE-POST', 'recurring')!.amount).toBe(3333);
    expect(aLines.find((l) => l.kind === 'adjustment')!.amount).toBe(1000);
    expect(aLines).toHaveLength(6);
    const aExcl = 5000 + 250 + 7380 + 5000 + 3333 + 1000;
    expect(a!.amount_excl_tax).toBe(aExcl);
    expect(a!.tax_amount).toBe(taxOf(aExcl, 1800));
    expect(a!.tax_amount).toBe(3953);
    expect(a!.total).toBe(aExcl + 3953);
    // lines grouped per subscription: the fixed line, then its option
    expect(aLines.map((l) => l.productCode).slice(0, 3)).toEqual(['FIXE', 'OPT-RENVOI', 'FIXE']);

    const b = await invoiceOf(ids.b!.payerId);
    const bExcl = 3333 + 1400;
    expect(b!.amount_excl_tax).toBe(bExcl);
    expect(b!.taxes).toEqual([
      expect.objectContaining({ code: 'TVA', amount: 852 }),
      expect.objectContaining({ code: 'TST', amount: 237 }),
    ]);
    expect(b!.total).toBe(bExcl + 852 + 237);

    const c = await invoiceOf(ids.c!.payerId);
    expect(c).toMatchObject({ amount_excl_tax: 10000, tax_amount: 0, total: 10000 });
    expect(await invoiceOf(ids.d!.payerId)).toBeUndefined();
    expect(await invoiceOf(ids.e!.payerId)).toBeUndefined();

    // gap-free numbers in payer order, a receivable ledger entry and an event per invoice
    const nums = [a!, b!, c!].map((i) => Number(i.number.slice(5)));
    expect(nums[1]).toBe(nums[0]! + 1);
    expect(nums[2]).toBe(nums[1]! + 1);
    const ledger = await t.db
      .selectFrom('billing_ledger_entry')
      .select(['invoice_id', 'amount'])
      .where('kind', '=', 'invoice')
      .where('invoice_id', 'in', [a!.id, b!.id, c!.id])
      .execute();
    expect(ledger.map((l) => l.amount).sort()).toEqual([a!.total, b!.total, c!.total].sort());
    const events = await t.db
      .selectFrom('event')
      .select('entity_id')
      .where('kind', '=', 'invoice.issued')
      .execute();
    expect(events.map((e) => Number(e.entity_id))).toEqual(expect.arrayContaining([a!.id, b!.id, c!.id]));
    // the December charge waits for December
    const pending = await t.db
      .selectFrom('billing_charge')
      .select(['label', 'invoice_id'])
      .where('payer_id', '=', ids.a!.payerId)
      .execute();
    expect(pending.find((p) => p.label === 'Next month')!.invoice_id).toBeNull();
    expect(pending.find((p) => p.label === 'Duplicata')!.invoice_id).toBe(a!.id);
  });

  it('never bills a payer twice for a period', async () => {
    const again = await runBilling(t.db, 'XOF', { period: '2026-11', at: AT }, SYSTEM);
    expect(again.invoices).toBe(0);
    const n = await t.db
      .selectFrom('billing_invoice')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('kind', '=', 'periodic')
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(3);
  });

  it('bills a quarterly payer for three months at the end of its quarter', async () => {
    const r = await runBilling(
      t.db,
      'XOF',
      { period: '2026-12', cycle: 'quarterly', at: new Date('2027-01-01T06:00:00Z') },
      SYSTEM,
    );
    expect(r.invoices).toBe(1);
    const e = await invoiceOf(ids.e!.payerId, '2026-10-01');
    expect(e).toMatchObject({ amount_excl_tax: 15000, tax_amount: 2700, period_end: '2026-12-31' });
    // a new year: a new series starting at 1
    expect(e!.number).toBe('F202700000001');
  });

  it('keeps issued invoices immutable and corrects them by credit note', async () => {
    const a = (await invoiceOf(ids.a!.payerId))!;
    await expect(
      sql`UPDATE billing_invoice SET total = total + 1, amount_excl_tax = amount_excl_tax + 1 WHERE id = ${a.id}`.execute(
        t.db,
      ),
    ).rejects.toThrow(/immutable/);
    await expect(sql`DELETE FROM billing_invoice WHERE id = ${a.id}`.execute(t.db)).rejects.toThrow(
      /never deleted/,
    );
    await expect(
      sql`UPDATE billing_invoice SET status = 'cancelled' WHERE id = ${a.id}`.execute(t.db),
    ).rejects.toThrow(/credit note/);

    const inv = new InvoiceService(t.db, 'XOF');
    const note = await inv.creditNote(
      {
        invoice: a.number,
        reason: 'renvoi facturé à tort',
        lines: [{ label: 'Renvoi', amount: 250 }],
        at: AT,
      },
      SYSTEM,
    );
    expect(note).toMatchObject({
      kind: 'credit_note',
      amountExclTax: 250,
      taxAmount: 45,
      total: 295,
      correctsId: a.id,
    });
    expect(note.number).toMatch(/^A2026[0-9]{8}$/);
    const after = await inv.get(a.number);
    expect(after.creditedAmount).toBe(295);
    expect(after.openAmount).toBe(a.total - 295);
    const credit = await t.db
      .selectFrom('billing_ledger_entry')
      .select('amount')
      .where('invoice_id', '=', note.id)
      .executeTakeFirstOrThrow();
    expect(credit.amount).toBe(-295);
    await expect(
      inv.creditNote(
        { invoice: a.number, reason: 'trop', lines: [{ label: 'x', amount: a.amount_excl_tax }], at: AT },
        SYSTEM,
      ),
    ).rejects.toMatchObject({ code: 'credit_note.amount' });
  });

  it('refuses a meter index that goes down', async () => {
    const meters = new MeterService(t.db);
    await expect(
      meters.record([{ line: '338210001', readAt: '2026-11-15T00:00:00Z', index: 999 }], SYSTEM),
    ).rejects.toMatchObject({
      code: 'meter.regression',
    });
    const rep = await meters.importCsv(
      'line,read_at,index\n338210001,2026-12-31T20:00:00Z,1200\n338210001,2026-12-15T20:00:00Z,1300\n999,2026-12-01,5\n',
      SYSTEM,
    );
    expect(rep).toMatchObject({ rows: 3, recorded: 1 });
    expect(rep.rejected.map((r) => r.line)).toEqual([3, 4]);
  });
});
