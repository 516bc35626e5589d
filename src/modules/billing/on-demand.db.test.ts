import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { loadReferenceData } from '../../demo/reference-data.js';
import { bootstrap } from '../../platform/bootstrap.js';
import { SYSTEM } from '../../platform/events.js';
import { runBilling } from './invoice-run.js';
import { InvoiceService, type InvoiceDoc } from './invoices.service.js';
import { billOnDemandIn } from './on-demand.js';
import { makeCustomer, makeLine } from './test-fixtures.js';

let t: TestDb;

beforeAll(async () => {
  t = await createTestDb();
  await bootstrap(t.db, 'admin-test-password');
  await loadReferenceData(t.db, 'demo-test-password');
});
afterAll(async () => {
  await t?.close();
});

/** Sessions waiting for a lock (any kind: without the advisory lock the run would wait on a row). */
async function waitingLocks(): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted`.execute(t.db);
  return r.rows[0]?.n ?? 0;
}

describe('on-demand bill and billing run', () => {
  it('a run that starts while an on-demand bill is being issued does not bill its charges again', async () => {
    const c = await makeCustomer(t.db, { name: 'Mbaye' });
    await makeLine(t.db, c, 'FIXE', [['active', '2026-09-01T08:00:00Z']], { number: '338216601' });
    const inv = new InvoiceService(t.db, 'XOF');
    await t.db.transaction().execute((trx) =>
      inv.postCharge(
        trx,
        {
          payerId: c.payerId,
          kind: 'one_off',
          label: 'Déplacement technicien',
          amount: 5000,
          at: new Date('2026-10-15T10:00:00Z'),
        },
        SYSTEM,
      ),
    );

    // the on-demand bill holds its transaction open (issued, not committed) …
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => (commit = resolve));
    let issued!: (doc: InvoiceDoc) => void;
    const billed = new Promise<InvoiceDoc>((resolve) => (issued = resolve));
    const onDemand = t.db.transaction().execute(async (trx) => {
      issued(
        await billOnDemandIn(
          trx,
          'XOF',
          { payerId: c.payerId, at: new Date('2026-11-20T09:00:00Z'), source: { type: 'test', id: '1' } },
          SYSTEM,
        ),
      );
      await committed;
    });
    const doc = await billed;
    // … while the October run starts: its chunk waits for the on-demand bill
    const run = runBilling(t.db, 'XOF', { period: '2026-10', at: new Date('2026-11-26T06:00:00Z') }, SYSTEM);
    for (let i = 0; i < 3000 && (await waitingLocks()) === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await waitingLocks()).toBeGreaterThan(0);
    commit();
    await onDemand;
    const result = await run;

    const charge = await t.db
      .selectFrom('billing_charge')
      .select('invoice_id')
      .where('payer_id', '=', c.payerId)
      .executeTakeFirstOrThrow();
    expect(charge.invoice_id).toBe(doc.id);
    const periodic = await t.db
      .selectFrom('billing_invoice')
      .select(['lines', 'amount_excl_tax'])
      .where('payer_id', '=', c.payerId)
      .where('kind', '=', 'periodic')
      .executeTakeFirstOrThrow();
    const labels = (periodic.lines as { label: string }[]).map((l) => l.label);
    expect(labels).not.toContain('Déplacement technicien');
    expect(result.invoices).toBe(1);
    expect(doc).toMatchObject({ kind: 'one_off', amountExclTax: 5000, taxAmount: 900, total: 5900 });
  });
});
