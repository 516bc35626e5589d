import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { SYSTEM } from '../../platform/events.js';
import { SwitchSimulator } from '../activation/index.js';
import { runBilling } from './invoice-run.js';
import { makeCustomer, makeLine } from './test-fixtures.js';

interface RequestJson {
  number: string;
  status: string;
  workflow: { tasks: { id: number; node: string; kind: string; actor: string; status: string }[] };
}

const AGENT: Record<string, string> = {
  finance: 'finance',
  switching: 'switching',
  commercial: 'commercial',
};

let t: TestApp;
let sim: SwitchSimulator;
const DN = '338260001';

beforeAll(async () => {
  t = await createTestApp();
  await t.app.requests.loadDefaultScenarios();
  sim = new SwitchSimulator({ name: 'SW1' });
  const port = await sim.start();
  await t.app.activation.service.upsertElement(
    {
      code: 'SW1',
      kind: 'mml_switch',
      name: 'Switch',
      host: '127.0.0.1',
      port,
      username: 'gpto',
      password: 'gpto',
      isDefault: true,
    },
    SYSTEM,
  );
});
afterAll(async () => {
  await t?.app.activation.stop();
  await sim?.stop();
  await t?.close();
});

/** Workers, the automaton, and the human tasks (each ended with the outcome given for its node). */
async function drive(number: string, outcomes: Record<string, string>): Promise<RequestJson> {
  const sup = await t.login('supervisor');
  for (let round = 0; round < 20; round++) {
    await t.app.workflow.drain();
    await t.app.activation.automaton.drain();
    await t.app.workflow.drain();
    const r = (await t.call('GET', `/api/v1/requests/${number}`, sup)).json() as RequestJson;
    if (r.status !== 'open') return r;
    const open = r.workflow.tasks.filter(
      (x) => x.kind === 'human' && ['ready', 'claimed'].includes(x.status),
    );
    if (open.length === 0) return r;
    for (const task of open) {
      const outcome = outcomes[task.node];
      if (!outcome) throw new Error(`no outcome for ${task.node}`);
      const token = await t.login(AGENT[task.actor] ?? 'supervisor');
      expect((await t.call('POST', `/api/v1/tasks/${task.id}/claim`, token)).statusCode).toBe(200);
      const done = await t.call('POST', `/api/v1/tasks/${task.id}/complete`, token, { outcome });
      expect(done.statusCode, done.body).toBe(200);
    }
  }
  throw new Error('the request did not settle');
}

describe('termination settles the deposit', () => {
  it('a termination request pays the debt with the deposit and refunds the rest, with its receipt', async () => {
    const c = await makeCustomer(t.tdb.db, { name: 'Mbaye' });
    const line = await makeLine(t.tdb.db, c, 'FIXE', [['active', '2025-12-01T08:00:00Z']], { number: DN });
    await t.app.activation.service.order(
      { operation: 'fixed.activate', lineId: DN, params: { dn: DN, en: '06-01-001' } },
      SYSTEM,
    );
    await t.app.activation.automaton.drain();
    const dep = await t.tdb.db.transaction().execute(async (trx) => {
      const d = await t.app.billing.ledger.receiveDeposit(
        trx,
        {
          payerId: c.payerId,
          customerId: c.customerId,
          amount: 20_000,
          method: 'cash',
          reference: null,
          source: { type: 'test', id: 'termination' },
          at: new Date('2025-12-01T08:00:00Z'),
        },
        SYSTEM,
      );
      await t.app.billing.ledger.attachDeposit(trx, d.depositId, line.id);
      return d;
    });
    // January and February: 5,900 each; 999 paid on January → the debt is 10,801
    for (const [period, at] of [
      ['2026-01', '2026-02-01T06:00:00Z'],
      ['2026-02', '2026-03-01T06:00:00Z'],
    ] as const)
      await runBilling(t.tdb.db, 'XOF', { period, at: new Date(at) }, SYSTEM);
    const fin = await t.login('finance');
    const pay = await t.call('POST', '/api/v1/payments', fin, {
      payerId: c.payerId,
      amount: 999,
      method: 'cash',
    });
    expect(pay.statusCode, pay.body).toBe(201);

    const front = await t.login('commercial');
    const created = await t.call('POST', '/api/v1/requests', front, {
      kind: 'termination',
      customer: c.code,
      subscriptionId: line.id,
    });
    expect(created.statusCode, created.body).toBe(201);
    const end = await drive((created.json() as { number: string }).number, {
      final_account: 'settled',
      switching_apply: 'done',
    });
    expect(end.status).toBe('completed');
    expect(sim.lines.has(DN)).toBe(false); // removed from the switch by the automaton

    const settlement = await t.tdb.db
      .selectFrom('billing_deposit_settlement')
      .selectAll()
      .where('deposit_id', '=', dep.depositId)
      .executeTakeFirstOrThrow();
    expect([Number(settlement.amount), Number(settlement.applied), Number(settlement.refunded)]).toEqual([
      20_000, 10_801, 9_199,
    ]);
    const entries = await t.tdb.db
      .selectFrom('billing_ledger_entry')
      .select(['account', 'kind', 'amount'])
      .where('payer_id', '=', c.payerId)
      .orderBy('id')
      .execute();
    expect(entries.map((e) => [e.account, e.kind, Number(e.amount)])).toEqual([
      ['deposit', 'deposit_received', -20_000],
      ['receivable', 'invoice', 5900],
      ['receivable', 'invoice', 5900],
      ['receivable', 'payment', -999],
      ['deposit', 'deposit_applied', 10_801],
      ['receivable', 'deposit_applied', -10_801],
      ['deposit', 'deposit_refunded', 9_199],
    ]);
    const account = await t.call('GET', `/api/v1/payers/${c.payerId}/account`, fin);
    expect(account.json()).toMatchObject({ balance: { receivable: 0, depositsHeld: 0, openInvoices: 0 } });
    const receipt = await t.call('GET', `/api/v1/deposit-settlements/${settlement.number}/receipt`, fin);
    expect(receipt.statusCode).toBe(200);
    expect(receipt.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
  });
});
