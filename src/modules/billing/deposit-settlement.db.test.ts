import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { loadReferenceData } from '../../demo/reference-data.js';
import { bootstrap } from '../../platform/bootstrap.js';
import { SYSTEM } from '../../platform/events.js';
import { depositSettlement, renderDepositSettlementPdf } from './deposit-settlement.js';
import { runBilling } from './invoice-run.js';
import { LedgerService } from './ledger.service.js';
import { PaymentService } from './payments.service.js';
import { makeCustomer, makeLine } from './test-fixtures.js';

let t: TestDb;
let ledger: LedgerService;
const at = new Date('2026-04-10T10:00:00Z');

beforeAll(async () => {
  t = await createTestDb();
  await bootstrap(t.db, 'admin-test-password');
  await loadReferenceData(t.db, 'demo-test-password');
  ledger = new LedgerService(t.db, 'XOF');
});
afterAll(async () => t?.close());

/** A customer with a line and its deposit held; January billed: 5,900 (5,000 + 18 % VAT). */
async function customerWithDeposit(name: string, deposit: number) {
  const c = await makeCustomer(t.db, { name });
  const line = await makeLine(t.db, c, 'FIXE', [['active', '2025-12-01T08:00:00Z']]);
  const dep = await t.db.transaction().execute(async (trx) => {
    const d = await ledger.receiveDeposit(
      trx,
      {
        payerId: c.payerId,
        customerId: c.customerId,
        amount: deposit,
        method: 'cash',
        reference: null,
        source: { type: 'test', id: name },
        at: new Date('2025-12-01T08:00:00Z'),
      },
      SYSTEM,
    );
    await ledger.attachDeposit(trx, d.depositId, line.id);
    return d;
  });
  // a second run of a period bills only the payers it has not billed yet
  await runBilling(t.db, 'XOF', { period: '2026-01', at: new Date('2026-02-01T06:00:00Z') }, SYSTEM);
  return { c, line, depositId: dep.depositId };
}

/** What the termination step does (requests' `request.terminate`): every held deposit of the line settled. */
const terminate = (subscriptionId: number) =>
  t.db.transaction().execute(async (trx) => {
    const out = [];
    for (const id of await ledger.depositsOfSubscription(trx, subscriptionId))
      out.push(await ledger.settleDeposit(trx, id, 'line terminated by request R1', at, SYSTEM));
    return out;
  });

const entries = async (payerId: number) =>
  (
    await t.db
      .selectFrom('billing_ledger_entry')
      .select(['account', 'kind', 'amount'])
      .where('payer_id', '=', payerId)
      .orderBy('id')
      .execute()
  ).map((e) => [e.account, e.kind, Number(e.amount)]);

describe('deposit settled on termination', () => {
  it('pays the outstanding debt first (oldest invoice first) and refunds the remainder, to the unit', async () => {
    const { c, line } = await customerWithDeposit('Fall', 20_000);
    await runBilling(t.db, 'XOF', { period: '2026-02', at: new Date('2026-03-01T06:00:00Z') }, SYSTEM);
    // 1,237 paid on January: the debt is 5,900 − 1,237 + 5,900 = 10,563
    await new PaymentService(t.db, 'XOF').record(
      { payerId: c.payerId, amount: 1237, method: 'cash', at: new Date('2026-02-20T09:00:00Z') },
      SYSTEM,
    );
    const [s] = await terminate(line.id);
    expect(s).toMatchObject({ amount: 20_000, applied: 10_563, refunded: 9_437 });
    const invoices = await t.db
      .selectFrom('billing_invoice')
      .select(['number', 'status', 'paid_amount'])
      .where('payer_id', '=', c.payerId)
      .orderBy('due_at')
      .execute();
    expect(invoices.map((i) => [i.status, Number(i.paid_amount)])).toEqual([
      ['paid', 5900],
      ['paid', 5900],
    ]);
    expect(s!.allocations).toEqual([
      { invoice: invoices[0]!.number, amount: 4663 },
      { invoice: invoices[1]!.number, amount: 5900 },
    ]);
    expect(await entries(c.payerId)).toEqual([
      ['deposit', 'deposit_received', -20_000],
      ['receivable', 'invoice', 5900],
      ['receivable', 'invoice', 5900],
      ['receivable', 'payment', -1237],
      ['deposit', 'deposit_applied', 10_563],
      ['receivable', 'deposit_applied', -10_563],
      ['deposit', 'deposit_refunded', 9_437],
    ]);
    expect(await ledger.balance(c.payerId)).toMatchObject({ receivable: 0, depositsHeld: 0 });
    const dep = await t.db
      .selectFrom('billing_deposit')
      .select(['status'])
      .where('payer_id', '=', c.payerId)
      .executeTakeFirstOrThrow();
    expect(dep.status).toBe('refunded');

    // its receipt: a numbered settlement, readable again, printed as a PDF
    expect(s!.number).toMatch(/^DG2026[0-9]{8}$/);
    expect(await depositSettlement(t.db, s!.number)).toEqual(s);
    const pdf = await renderDepositSettlementPdf(s!, { code: c.payerCode, name: 'Fall Awa' });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const ev = await t.db
      .selectFrom('event')
      .select(['kind', 'payload'])
      .where('entity_type', '=', 'deposit')
      .where('customer_id', '=', c.customerId)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(ev).toMatchObject({
      kind: 'deposit.refunded',
      payload: { applied: 10_563, refunded: 9_437, settlement: s!.number },
    });

    // a re-run of the step finds nothing held: no second settlement, no new entry
    expect(await terminate(line.id)).toEqual([]);
    const again = await t.db
      .transaction()
      .execute((trx) => ledger.settleDeposit(trx, s!.depositId, 'again', at, SYSTEM));
    expect(again).toEqual(s);
    expect(await entries(c.payerId)).toHaveLength(7);
  });

  it('a deposit smaller than the debt is applied whole, nothing refunded; without debt it is all refunded', async () => {
    const some = await customerWithDeposit('Ba', 7_000);
    const [s] = await terminate(some.line.id);
    expect(s).toMatchObject({ amount: 7_000, applied: 5_900, refunded: 1_100 });

    const big = await customerWithDeposit('Kane', 3_000);
    const [b] = await terminate(big.line.id);
    expect(b).toMatchObject({ amount: 3_000, applied: 3_000, refunded: 0 });
    const jan = await t.db
      .selectFrom('billing_invoice')
      .select(['status', 'paid_amount'])
      .where('payer_id', '=', big.c.payerId)
      .executeTakeFirstOrThrow();
    expect([jan.status, Number(jan.paid_amount)]).toEqual(['open', 3_000]);
    expect(await entries(big.c.payerId)).toEqual([
      ['deposit', 'deposit_received', -3_000],
      ['receivable', 'invoice', 5900],
      ['deposit', 'deposit_applied', 3_000],
      ['receivable', 'deposit_applied', -3_000],
    ]);
    const dep = await t.db
      .selectFrom('billing_deposit')
      .select('status')
      .where('payer_id', '=', big.c.payerId)
      .executeTakeFirstOrThrow();
    expect(dep.status).toBe('applied');

    // a customer who owes nothing gets the deposit back whole
    const clear = await customerWithDeposit('Diallo', 15_000);
    await new PaymentService(t.db, 'XOF').record(
      { payerId: clear.c.payerId, amount: 5_900, method: 'cash', at: new Date('2026-02-05T09:00:00Z') },
      SYSTEM,
    );
    const [z] = await terminate(clear.line.id);
    expect(z).toMatchObject({ amount: 15_000, applied: 0, refunded: 15_000, allocations: [] });
  });
});
