import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { loadReferenceData } from '../../demo/reference-data.js';
import { bootstrap } from '../../platform/bootstrap.js';
import { SYSTEM } from '../../platform/events.js';
import { CollectionService, type CollectionPorts } from './collection.service.js';
import { runBilling } from './invoice-run.js';
import { PaymentService } from './payments.service.js';
import { makeCustomer, makeLine } from './test-fixtures.js';

/** Records what collection asks of the requests and the workflow (their own tests cover them). */
class FakePorts implements CollectionPorts {
  started: { kind: string; subscriptionId: number; scenario?: string }[] = [];
  signals: Record<string, unknown>[] = [];
  status = new Map<string, string>();
  cancelled: string[] = [];
  startRequest: CollectionPorts['startRequest'] = async (input) => {
    this.started.push({
      kind: input.kind,
      subscriptionId: input.subscriptionId,
      ...(input.scenario ? { scenario: input.scenario } : {}),
    });
    const number = `R${this.started.length}`;
    this.status.set(number, 'open');
    return { number };
  };
  requestStatus = async (ref: string) => this.status.get(ref) ?? 'open';
  cancelRequest = async (ref: string) => {
    this.cancelled.push(ref);
    this.status.set(ref, 'cancelled');
  };
  signal = async (_event: string, payload: Record<string, unknown>) => {
    this.signals.push(payload);
    return [];
  };
}

let t: TestDb;
const day = (d: string) => new Date(`${d}T07:00:00Z`);

beforeAll(async () => {
  t = await createTestDb();
  await bootstrap(t.db, 'admin-test-password');
  await loadReferenceData(t.db, 'demo-test-password');
});
afterAll(async () => t?.close());

describe('collection', () => {
  it('takes each step on its day, once, skips exempt customers and small debts, restores on payment', async () => {
    const ports = new FakePorts();
    const coll = new CollectionService(t.db, ports);
    await coll.setRule(
      {
        category: 'STANDARD',
        reminderDay: 3,
        limitationDay: 10,
        suspensionDay: 20,
        terminationDay: 45,
        minAmount: 1000,
      },
      SYSTEM,
    );
    await expect(
      coll.setRule(
        {
          category: 'STANDARD',
          reminderDay: 30,
          limitationDay: 10,
          suspensionDay: null,
          terminationDay: null,
          minAmount: 1,
        },
        SYSTEM,
      ),
    ).rejects.toMatchObject({ code: 'billing.invalid' });
    const a = await makeCustomer(t.db, { name: 'Alpha' });
    const lineA = await makeLine(t.db, a, 'FIXE', [['active', '2025-12-01T08:00:00Z']], {
      number: '338211111',
    });
    const x = await makeCustomer(t.db, { name: 'Exempt' });
    await makeLine(t.db, x, 'FIXE', [['active', '2025-12-01T08:00:00Z']]);
    const s = await makeCustomer(t.db, { name: 'Sensible', collection: 'SENSIBLE' });
    await makeLine(t.db, s, 'FIXE', [['active', '2025-12-01T08:00:00Z']]);
    await coll.exempt({ customer: x.code, reason: 'hospital', until: null, at: day('2026-02-01') }, SYSTEM);
    // invoices of 5900 due on 16 February
    await runBilling(t.db, 'XOF', { period: '2026-01', at: new Date('2026-02-01T06:00:00Z') }, SYSTEM);

    expect(await coll.run(day('2026-02-18'), SYSTEM)).toMatchObject({ debtors: 1, reminders: 0 });
    expect(await coll.run(day('2026-02-19'), SYSTEM)).toMatchObject({
      debtors: 1,
      reminders: 1,
      limitations: 0,
    });
    expect(await coll.run(day('2026-02-20'), SYSTEM)).toMatchObject({ debtors: 1, reminders: 0 });
    expect(await coll.run(day('2026-02-26'), SYSTEM)).toMatchObject({ limitations: 1 });
    expect(ports.started).toEqual([
      { kind: 'access_change', subscriptionId: lineA.id, scenario: 'collection_limitation' },
    ]);
    expect(await coll.run(day('2026-03-08'), SYSTEM)).toMatchObject({ suspensions: 1 });
    expect(ports.started[1]).toEqual({
      kind: 'suspension',
      subscriptionId: lineA.id,
      scenario: 'collection_suspension',
    });

    // a partial payment leaving 900 (< the 1000 minimum) closes the case; the suspension still open is cancelled
    const pay = new PaymentService(t.db, 'XOF');
    await pay.record({ payerId: a.payerId, amount: 5000, method: 'cash', at: day('2026-03-09') }, SYSTEM);
    expect(await coll.run(day('2026-03-09'), SYSTEM)).toMatchObject({ debtors: 0, restored: 1 });
    expect(ports.cancelled).toEqual(['R2']);
    expect(ports.signals).toContainEqual({ payerId: a.payerId });
    const cases = await coll.cases({ payerId: a.payerId, limit: 5 });
    expect(cases[0]).toMatchObject({ stage: 'suspension', closeReason: 'debt paid' });
    expect(cases[0]!.actions.map((x) => x.stage)).toEqual(['reminder', 'limitation', 'suspension']);
    // nothing ever happened to the exempt customer nor to the SENSIBLE category (no rule)
    expect(await coll.cases({ payerId: x.payerId, limit: 5 })).toEqual([]);
    expect(await coll.cases({ payerId: s.payerId, limit: 5 })).toEqual([]);
  });

  it('restores a line whose suspension is cancelled after it suspended the subscription', async () => {
    const ports = new FakePorts();
    const coll = new CollectionService(t.db, ports);
    const c = await makeCustomer(t.db, { name: 'Gueye' });
    const line = await makeLine(t.db, c, 'FIXE', [['active', '2025-12-01T08:00:00Z']], {
      number: '338211122',
    });
    // a second run of January bills only this new payer
    await runBilling(t.db, 'XOF', { period: '2026-01', at: new Date('2026-02-01T06:00:00Z') }, SYSTEM);
    expect(await coll.run(day('2026-03-08'), SYSTEM)).toMatchObject({ limitations: 1, suspensions: 1 });
    const suspension = ports.started.find((x) => x.kind === 'suspension')!;
    expect(suspension.scenario).toBe('collection_suspension');
    // the suspension scenario's first step suspended the subscription; its element order may be on its way
    await t.db.updateTable('subscription').set({ status: 'suspended' }).where('id', '=', line.id).execute();
    const pay = new PaymentService(t.db, 'XOF');
    await pay.record({ payerId: c.payerId, amount: 5900, method: 'cash', at: day('2026-03-09') }, SYSTEM);
    expect(await coll.run(day('2026-03-09'), SYSTEM)).toMatchObject({ restored: 1 });
    expect(ports.cancelled).toEqual(['R2']);
    expect(ports.started.at(-1)).toEqual({
      kind: 'restoration',
      subscriptionId: line.id,
      scenario: 'collection_restoration',
    });
  });
});
