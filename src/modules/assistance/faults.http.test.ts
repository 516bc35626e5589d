import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixedClock, systemClock } from '../../platform/clock.js';
import { SYSTEM } from '../../platform/events.js';
import {
  assistanceWorld,
  buildLine,
  type AssistanceWorld,
  type BuiltLine,
} from './assistance.test-fixtures.js';

type Task = {
  id: number;
  node: string;
  actor: string;
  status: string;
  assigneeId: number | null;
  escalatedFrom: string | null;
};

describe('line consultation and faults over HTTP', () => {
  let w: AssistanceWorld;
  let a: BuiltLine;
  let b: BuiltLine;
  let care: string;
  beforeAll(async () => {
    w = await assistanceWorld();
    a = await buildLine(w, 'Ndiaye');
    b = await buildLine(w, 'Sall');
    care = await w.t.login('care');
  });
  afterAll(async () => w?.close());

  const call = (...args: Parameters<AssistanceWorld['t']['call']>) => w.t.call(...args);
  const drain = () => w.t.app.workflow.drain();
  const tasksOf = async (fault: string): Promise<Task[]> =>
    (await call('GET', `/api/v1/faults/${fault}`, care)).json().workflow.tasks;

  it('consults a line: subscription, customer, technical file, live status and meter, history, account', async () => {
    w.sim.lines.get(a.number)!.meter = 120;
    // an invoice on the payer's account, through the ledger's API
    await w.t.tdb.db.transaction().execute((trx) =>
      w.t.app.billing.ledger.issueInvoice(
        trx,
        {
          payerId: a.payerId,
          customerId: a.customerId,
          kind: 'one_off',
          lines: [{ label: 'Frais', quantity: 1, unitPrice: 10_000 }],
          taxes: [],
          source: { type: 'test', id: '1' },
          dueDays: 30,
          lineId: a.number,
          at: new Date(),
        },
        SYSTEM,
      ),
    );
    const res = await call('GET', `/api/v1/lines/${a.number}`, care);
    expect(res.statusCode).toBe(200);
    const v = res.json();
    expect(v.line.product).toMatchObject({ code: 'FIXE', kind: 'fixed_wired', monthlyPrice: 5000 });
    expect(v.subscription.id).toBe(a.subscriptionId);
    expect(v.customer.code).toBe(a.customerCode);
    expect(v.payer.id).toBe(a.payerId);
    // the customer and payer as the referential shows them everywhere else
    expect(v.customer).toEqual(await w.t.app.referential.customers.get(a.customerCode));
    expect(v.payer).toEqual(await w.t.app.referential.payers.getPayer(a.payerId));
    expect(v.technicalFile.chain).toMatchObject({ cp: 'PC1', sdf: 'SR1', switch: 'DKR-SW1' });
    expect(v.status).toMatchObject({ available: true, state: 'idle', meterIndex: 120, source: 'switch' });
    expect(v.history.map((e: { kind: string }) => e.kind)).toEqual(
      expect.arrayContaining(['subscription.created', 'invoice.issued']),
    );
    expect(v.account.balance).toMatchObject({ receivable: 10_000, openInvoices: 1 });
    expect(v.account.invoices).toHaveLength(1);
    expect(v.account.invoices[0]).toMatchObject({ total: 10_000, status: 'open' });
    expect(v.incident).toBeNull();
  });

  it('keeps meter readings as the line’s consumption', async () => {
    const field = await w.t.login('field');
    expect((await call('POST', `/api/v1/lines/${a.number}/meter-readings`, field)).statusCode).toBe(403);
    expect((await call('POST', `/api/v1/lines/${a.number}/meter-readings`, care)).json().meterIndex).toBe(
      120,
    );
    w.sim.lines.get(a.number)!.meter = 175;
    await call('POST', `/api/v1/lines/${a.number}/meter-readings`, care);
    const v = (await call('GET', `/api/v1/lines/${a.number}`, care)).json();
    expect(v.consumption.readings.map((r: { meterIndex: number }) => r.meterIndex)).toEqual([120, 175]);
    expect(v.consumption.deltas.map((d: { pulses: number }) => d.pulses)).toEqual([55]);
    // a mobile line has no charge-pulse meter: said as such, not as an element out of reach
    const agent = await w.t.login('commercial');
    const mobile = await call('POST', `/api/v1/customers/${a.customerCode}/subscriptions`, agent, {
      productCode: 'MOBILE-POST',
      directoryNumber: '770009001',
    });
    expect(mobile.statusCode, mobile.body).toBe(201);
    const none = await call('POST', '/api/v1/lines/770009001/meter-readings', care);
    expect(none.statusCode).toBe(422);
    expect(none.json()).toMatchObject({ code: 'line_status.no_meter', field: 'number' });
  });

  it('answers 404 for an unknown number and 403 without the right', async () => {
    expect((await call('GET', '/api/v1/lines/339999999', care)).json().code).toBe('line.not_found');
    const enquiries = await w.t.login('enquiries');
    expect((await call('GET', `/api/v1/lines/${a.number}`, enquiries)).statusCode).toBe(403);
    expect(
      (await call('POST', '/api/v1/faults', enquiries, { line: a.number, symptom: 'noise' })).statusCode,
    ).toBe(403);
  });

  it('runs a fault to the MDF, then the field with work orders, to its repair, notice and closure', async () => {
    const res = await call('POST', '/api/v1/faults', care, {
      line: a.number,
      symptom: 'no_dial_tone',
      description: 'plus de tonalité depuis ce matin',
    });
    expect(res.statusCode).toBe(201);
    const f = res.json();
    expect(f.number).toMatch(/^D\d{4}\d{7}$/);
    // the switch sees the line: the pair is tested at the MDF first
    expect(f.diagnosis).toMatchObject({ verdict: 'mdf', lineStatus: { state: 'idle', meterIndex: 175 } });
    expect(f).toMatchObject({ status: 'open', zone: 'DAKAR', customerId: a.customerId });
    // a second report on the same line is refused while the first is open
    const dup = await call('POST', '/api/v1/faults', care, { line: a.number, symptom: 'noise' });
    expect(dup.statusCode).toBe(409);

    await drain();
    const mdf = await w.t.login('mdf');
    const wos = (await call('GET', `/api/v1/work-orders?team=mdf&status=issued`, mdf)).json().items;
    const wo = wos.find((x: { faultNumber: string }) => x.faultNumber === f.number);
    expect(wo).toMatchObject({ team: 'mdf', zone: 'DAKAR', lineId: a.number, status: 'issued' });
    expect(wo.instructions).toContain(a.number);
    const pdf = await call('GET', `/api/v1/work-orders/${wo.number}/pdf`, mdf);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    // a field technician cannot take the MDF's work order
    const field = await w.t.login('field');
    expect((await call('POST', `/api/v1/work-orders/${wo.number}/start`, field)).statusCode).toBe(403);
    expect((await call('POST', `/api/v1/work-orders/${wo.number}/start`, mdf)).json().status).toBe(
      'in_progress',
    );
    const mdfReport = await call('POST', `/api/v1/work-orders/${wo.number}/report`, mdf, {
      outcome: 'failed',
      report: 'paire saine au répartiteur, défaut en aval',
    });
    expect(mdfReport.json()).toMatchObject({
      status: 'failed',
      report: 'paire saine au répartiteur, défaut en aval',
    });

    await drain();
    const fieldWo = (await call('GET', `/api/v1/work-orders?team=field&zone=dakar`, field))
      .json()
      .items.find((x: { faultNumber: string }) => x.faultNumber === f.number);
    expect(fieldWo.status).toBe('issued');
    // the field task was pushed to the field agent of the zone
    const fieldTask = (await tasksOf(f.number)).find((t) => t.node === 'field_repair')!;
    expect(fieldTask.actor).toBe('field');
    expect(fieldTask.assigneeId).not.toBeNull();
    expect(
      (
        await call('POST', `/api/v1/work-orders/${fieldWo.number}/report`, field, {
          outcome: 'done',
          report: 'x',
        })
      ).json().code,
    ).toBe('work_order.invalid');
    await call('POST', `/api/v1/work-orders/${fieldWo.number}/start`, field);
    await call('POST', `/api/v1/work-orders/${fieldWo.number}/report`, field, {
      outcome: 'done',
      report: 'câble de branchement remplacé au PC',
      causeCode: 'DROP_WIRE',
    });
    await drain();

    const done = (await call('GET', `/api/v1/faults/${f.number}`, care)).json();
    expect(done).toMatchObject({
      status: 'resolved',
      causeCode: 'DROP_WIRE',
      resolution: 'câble de branchement remplacé au PC',
    });
    expect(done.timeToRepairMinutes).toBeGreaterThanOrEqual(0);
    expect(done.workOrders.map((x: { team: string; status: string }) => [x.team, x.status])).toEqual([
      ['mdf', 'failed'],
      ['field', 'done'],
    ]);
    expect(done.notifications).toHaveLength(1);
    expect(done.notifications[0].text).toContain(`ligne ${a.number} est rétablie`);
    expect(done.workflow.status).toBe('completed');

    // on the customer's and the line's timelines
    const events = (await call('GET', `/api/v1/customers/${a.customerCode}/events?limit=100`, care)).json()
      .items;
    const kinds = events.map((e: { kind: string }) => e.kind);
    for (const k of [
      'fault.reported',
      'work_order.issued',
      'work_order.failed',
      'work_order.done',
      'fault.notified',
      'fault.resolved',
    ])
      expect(kinds).toContain(k);
    const line = (await call('GET', `/api/v1/lines/${a.number}`, care)).json();
    expect(line.history.filter((e: { kind: string }) => e.kind === 'work_order.issued')).toHaveLength(2);
    expect(line.faults[0]).toMatchObject({ number: f.number, status: 'resolved' });

    // closed with the customer, then reopened: the scenario runs again
    expect(
      (await call('POST', `/api/v1/faults/${f.number}/close`, care, { note: 'client confirme' })).json()
        .status,
    ).toBe('closed');
    expect((await call('POST', `/api/v1/faults/${f.number}/close`, care, {})).statusCode).toBe(409);
    const re = (
      await call('POST', `/api/v1/faults/${f.number}/reopen`, care, { reason: 'le bruit est revenu' })
    ).json();
    expect(re).toMatchObject({ status: 'open', reopenCount: 1, causeCode: null });
    expect(re.instanceId).not.toBe(f.instanceId);
  });

  it('starts at the switch for a line out of service, escalates on SLA breach, lists overdue faults', async () => {
    w.sim.lines.get(b.number)!.outOfService = true;
    const f = (await call('POST', '/api/v1/faults', care, { line: b.number, symptom: 'cut_off' })).json();
    expect(f.diagnosis).toMatchObject({ verdict: 'switch', lineStatus: { state: 'out_of_service' } });
    await drain();
    const test = (await tasksOf(f.number)).find((t) => t.node === 'test_switch')!;
    expect(test).toMatchObject({ actor: 'switching', status: 'ready' });
    const switching = await w.t.login('switching');
    const byActor = (await call('GET', '/api/v1/faults?actor=switching', switching)).json().items;
    expect(byActor.map((x: { number: string }) => x.number)).toContain(f.number);
    // 4 h SLA on the switch test: the timer escalates it to the supervisors
    await w.t.app.workflow.timers(new Date(Date.now() + 5 * 3600_000));
    const escalated = (await tasksOf(f.number)).find((t) => t.node === 'test_switch')!;
    expect(escalated.escalatedFrom).toBe('switching');
    // past the 48 h promised to the customer the fault is overdue
    w.t.app.workflow.engine.clock = new FixedClock(new Date(Date.now() + 49 * 3600_000));
    try {
      const overdue = (await call('GET', '/api/v1/faults?overdue=true', care)).json().items;
      expect(overdue.map((x: { number: string }) => x.number)).toContain(f.number);
      expect(
        overdue.every((x: { status: string; overdue: boolean }) => x.status === 'open' && x.overdue),
      ).toBe(true);
    } finally {
      w.t.app.workflow.engine.clock = systemClock;
    }
    const supervisor = await w.t.login('supervisor');
    const done = await call('POST', `/api/v1/tasks/${escalated.id}/complete`, supervisor, {
      outcome: 'repaired',
      data: { causeCode: 'SWITCH_CARD', report: 'carte abonné remplacée' },
    });
    expect(done.statusCode).toBe(200);
    await drain();
    expect((await call('GET', `/api/v1/faults/${f.number}`, care)).json()).toMatchObject({
      status: 'resolved',
      causeCode: 'SWITCH_CARD',
    });
  });

  it('refuses a second fault on a line with an open one, and a repair without its cause code', async () => {
    const dup = await call('POST', '/api/v1/faults', care, { line: a.number, symptom: 'noise' });
    expect(dup.statusCode).toBe(409); // the reopened fault is open on line a
    const open = (await call('GET', `/api/v1/faults?line=${a.number}&status=open`, care)).json().items;
    expect(open).toHaveLength(1);
    await drain();
    const task = (await tasksOf(open[0].number)).find((t) => t.status === 'ready' && t.actor === 'mdf');
    expect(task).toBeDefined();
    const mdf = await w.t.login('mdf');
    const r = await call('POST', `/api/v1/tasks/${task!.id}/complete`, mdf, {
      outcome: 'repaired',
      data: {},
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().field).toBe('data.causeCode');
  });

  it('gives per-day volumes and the mean time to repair', async () => {
    const s = (await call('GET', '/api/v1/assistance/stats?days=7', care)).json();
    const today = s.perDay.at(-1);
    expect(today.faults_reported).toBe(2);
    expect(today.faults_resolved).toBe(1); // a's fault was reopened: only b's stays resolved
    expect(today.work_orders).toBe(3);
    expect(s.meanTimeToRepairHours.byProductKind).toEqual([
      expect.objectContaining({ productKind: 'fixed_wired', faults: 1 }),
    ]);
    expect(s.meanTimeToRepairHours.overall).toBeGreaterThanOrEqual(0);
  });

  it('a barring class in force that explains the symptom is named, not sent to the MDF', async () => {
    // before, "no outgoing calls" on a line barred OUTG at the switch went to the MDF as idle
    const c = await buildLine(w, 'Fall');
    w.sim.lines.get(c.number)!.barring = 'OUTG';
    const res = await call('POST', '/api/v1/faults', care, { line: c.number, symptom: 'no_outgoing_calls' });
    expect(res.statusCode).toBe(201);
    expect(res.json().diagnosis).toMatchObject({
      verdict: 'switch',
      why: 'the switch has class OUTG in force: outgoing calls are barred',
      lineStatus: { state: 'idle', access: { effectiveBarring: 'OUTG' } },
    });
  });
});
