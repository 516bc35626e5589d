import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { loadReferenceData } from '../../demo/reference-data.js';
import { bootstrap } from '../../platform/bootstrap.js';
import { SYSTEM } from '../../platform/events.js';
import { AccountService } from './accounts.service.js';
import { runBilling } from './invoice-run.js';
import { PaymentService } from './payments.service.js';
import { LedgerService } from './ledger.service.js';
import { makeCustomer, makeLine } from './test-fixtures.js';

let t: TestDb;
let a: Awaited<ReturnType<typeof makeCustomer>>;
let b: Awaited<ReturnType<typeof makeCustomer>>;
let invA: { number: string; total: number }[];
const at = new Date('2026-05-10T10:00:00Z');

beforeAll(async () => {
  t = await createTestDb();
  await bootstrap(t.db, 'admin-test-password');
  await loadReferenceData(t.db, 'demo-test-password');
  a = await makeCustomer(t.db, { name: 'Alpha' });
  b = await makeCustomer(t.db, { name: 'Bravo', tax: 'EXO', mobileMoney: '+221770000042' });
  await makeLine(t.db, a, 'FIXE', [['active', '2025-12-01T08:00:00Z']]);
  await makeLine(t.db, b, 'MOBILE-POST', [['active', '2025-12-01T08:00:00Z']]);
  for (const [period, day] of [
    ['2026-01', '2026-02-01'],
    ['2026-02', '2026-03-01'],
    ['2026-03', '2026-04-01'],
  ] as const)
    await runBilling(t.db, 'XOF', { period, at: new Date(`${day}T06:00:00Z`) }, SYSTEM);
  invA = await t.db
    .selectFrom('billing_invoice')
    .select(['number', 'total'])
    .where('payer_id', '=', a.payerId)
    .orderBy('id')
    .execute();
});
afterAll(async () => t?.close());

describe('payments', () => {
  const payments = () => new PaymentService(t.db, 'XOF');

  it('settles the designated invoice first, then the oldest, and keeps the rest as credit', async () => {
    expect(invA.map((i) => i.total)).toEqual([5900, 5900, 5900]);
    const r = await payments().record(
      { payerId: a.payerId, amount: 8000, method: 'cash', invoiceNumber: invA[2]!.number, at },
      SYSTEM,
    );
    expect(r.allocations).toEqual([
      { invoice: invA[2]!.number, amount: 5900 },
      { invoice: invA[0]!.number, amount: 2100 },
    ]);
    expect(r.unallocated).toBe(0);
    const r2 = await payments().record(
      { payerId: a.payerId, amount: 10000, method: 'cheque', reference: 'CHQ 1', at },
      SYSTEM,
    );
    expect(r2.allocations).toEqual([
      { invoice: invA[0]!.number, amount: 3800 },
      { invoice: invA[1]!.number, amount: 5900 },
    ]);
    expect(r2.unallocated).toBe(300);
    const statuses = await t.db
      .selectFrom('billing_invoice')
      .select(['status', 'paid_amount'])
      .where('payer_id', '=', a.payerId)
      .orderBy('id')
      .execute();
    expect(statuses.map((s) => s.status)).toEqual(['paid', 'paid', 'paid']);
    const bal = await new LedgerService(t.db, 'XOF').balance(a.payerId);
    expect(bal.receivable).toBe(-300);
    const st = await new AccountService(t.db, 'XOF').statement(
      a.payerId,
      new Date('2026-03-01T00:00:00Z'),
      new Date('2026-06-01T00:00:00Z'),
    );
    expect(st.openingBalance).toBe(5900);
    expect(st.lines.map((l) => [l.debit, l.credit])).toEqual([
      [5900, 0],
      [5900, 0],
      [0, 8000],
      [0, 10000],
    ]);
    expect(st.closingBalance).toBe(-300);
  });

  it('imports bank transfers and mobile money once, matching by invoice, payer code or wallet', async () => {
    const invB = await t.db
      .selectFrom('billing_invoice')
      .select(['number', 'total'])
      .where('payer_id', '=', b.payerId)
      .orderBy('id')
      .execute();
    expect(invB.map((i) => i.total)).toEqual([10000, 10000, 10000]);
    const bank = [
      'date,amount,reference,payer,invoice',
      `2026-05-02,10000,VIR-001 ${invB[1]!.number},,`,
      `2026-05-03,4000,VIR-002,${b.payerCode},`,
      '2026-05-03,4000,VIR-003,P99999999,',
      '2026-05-03,abc,VIR-004,,',
    ].join('\n');
    const rep = await payments().importBankTransfers(bank, SYSTEM);
    expect(rep).toMatchObject({ rows: 4, recorded: 2, duplicates: 0, amount: 14000 });
    expect(rep.rejected.map((r) => [r.line, r.field])).toEqual([
      [4, 'payer'],
      [5, 'reference'],
    ]);
    const again = await payments().importBankTransfers(bank, SYSTEM);
    expect(again).toMatchObject({ recorded: 0, duplicates: 2 });

    const mm = [
      'transaction_id,date,msisdn,amount,reference',
      'OM-77,2026-05-04T09:30:00Z,+221770000042,16000,',
      'OM-78,2026-05-04,+221770009999,100,',
    ].join('\n');
    const rm = await payments().importMobileMoney(mm, SYSTEM);
    expect(rm).toMatchObject({ recorded: 1, amount: 16000 });
    expect(rm.rejected).toEqual([expect.objectContaining({ line: 3, field: 'msisdn' })]);
    const open = await t.db
      .selectFrom('billing_invoice')
      .select(['number', 'status', 'paid_amount'])
      .where('payer_id', '=', b.payerId)
      .orderBy('id')
      .execute();
    expect(open.map((o) => [o.status, o.paid_amount])).toEqual([
      ['paid', 10000],
      ['paid', 10000],
      ['paid', 10000],
    ]);
  });

  it('settles the next bill with the credit left on the account', async () => {
    await runBilling(t.db, 'XOF', { period: '2026-04', at: new Date('2026-05-11T06:00:00Z') }, SYSTEM);
    const apr = await t.db
      .selectFrom('billing_invoice')
      .select(['total', 'credited_amount', 'status', 'summary'])
      .where('payer_id', '=', a.payerId)
      .where('period_start', '=', '2026-04-01')
      .executeTakeFirstOrThrow();
    expect(apr).toMatchObject({ total: 5900, credited_amount: 300, status: 'open' });
    expect(apr.summary).toMatchObject({ previousBalance: -300, balanceDue: 5600 });
    const r = await payments().record({ payerId: a.payerId, amount: 5600, method: 'cash', at }, SYSTEM);
    expect(r.allocations).toEqual([{ invoice: expect.stringMatching(/^F2026/), amount: 5600 }]);
    expect((await new LedgerService(t.db, 'XOF').balance(a.payerId)).receivable).toBe(0);
  });

  it('credits a rebate to the account through the ledger', async () => {
    const ledger = new LedgerService(t.db, 'XOF');
    const before = (await ledger.balance(b.payerId)).receivable;
    await t.db.transaction().execute((trx) =>
      ledger.credit(
        trx,
        {
          payerId: b.payerId,
          customerId: b.customerId,
          amount: 750,
          description: 'rebate: line down 3 days',
          source: { type: 'fault', id: '1' },
          at,
        },
        SYSTEM,
      ),
    );
    expect((await ledger.balance(b.payerId)).receivable).toBe(before - 750);
    await expect(
      t.db.transaction().execute((trx) =>
        ledger.credit(
          trx,
          {
            payerId: b.payerId,
            customerId: b.customerId,
            amount: 0,
            description: 'x',
            source: { type: 'fault', id: '1' },
            at,
          },
          SYSTEM,
        ),
      ),
    ).rejects.toMatchObject({ field: 'amount' });
  });

  it('applies a deposit to the debt when the line ends and refunds the rest', async () => {
    const c = await makeCustomer(t.db, { name: 'Charlie', tax: 'EXO' });
    await makeLine(t.db, c, 'MOBILE-POST', [['active', '2025-12-01T08:00:00Z']]);
    await runBilling(t.db, 'XOF', { period: '2026-04', at: new Date('2026-05-01T06:00:00Z') }, SYSTEM);
    const ledger = new LedgerService(t.db, 'XOF');
    const dep = await t.db.transaction().execute((trx) =>
      ledger.receiveDeposit(
        trx,
        {
          payerId: c.payerId,
          customerId: c.customerId,
          amount: 25000,
          method: 'cash',
          reference: null,
          source: { type: 'test', id: '1' },
          at,
        },
        SYSTEM,
      ),
    );
    const r = await payments().settleDeposit(
      dep.depositId,
      { reason: 'line terminated', applyToDebt: true, at },
      SYSTEM,
    );
    expect(r).toMatchObject({ amount: 25000, applied: 10000, refunded: 15000 });
    const bal = await ledger.balance(c.payerId);
    expect(bal).toMatchObject({ receivable: 0, depositsHeld: 0, openInvoices: 0 });
    await expect(
      payments().settleDeposit(dep.depositId, { reason: 'again', applyToDebt: true, at }, SYSTEM),
    ).rejects.toMatchObject({ code: 'deposit.state' });
  });
});
