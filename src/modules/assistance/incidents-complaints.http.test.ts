import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../platform/events.js';
import { minutesBetween, outageRebate } from './assistance.rules.js';
import {
  assistanceWorld,
  buildLine,
  type AssistanceWorld,
  type BuiltLine,
} from './assistance.test-fixtures.js';

const plateau = { number: '3', street: 'Rue Carnot', district: 'Plateau', locality: 'Dakar' };

describe('plant incidents, complaints and rebates over HTTP', () => {
  let w: AssistanceWorld;
  let a: BuiltLine;
  let b: BuiltLine;
  let care: string;
  let network: string;
  let supervisor: string;
  let leader: string;
  // PC1 has 3 distribution pairs: two lines, one free pair left
  beforeAll(async () => {
    w = await assistanceWorld({ distPairs: 3 });
    a = await buildLine(w, 'Faye');
    b = await buildLine(w, 'Gaye');
    care = await w.t.login('care');
    network = await w.t.login('network');
    supervisor = await w.t.login('supervisor');
    const admin = await w.t.login('admin');
    const u = await w.t.call('POST', '/api/v1/users', admin, {
      username: 'leader',
      displayName: 'Chef d’équipe service client',
      password: 'leader-password-1',
      roles: ['care_leader'],
      actors: ['customer_care'],
    });
    if (u.statusCode !== 201) throw new Error(u.body);
    leader = await w.t.login('leader', 'leader-password-1');
  });
  afterAll(async () => w?.close());

  const call = (...args: Parameters<AssistanceWorld['t']['call']>) => w.t.call(...args);
  const drain = () => w.t.app.workflow.drain();
  const pairStatuses = async () =>
    (
      (await w.t.app.inventory.queries.cable('D1')) as { pairs: { number: number; status: string }[] }
    ).pairs.map((p) => [p.number, p.status] as const);

  it('takes a cable out of service, attaches new faults, and its repair gives everything back', async () => {
    expect(await pairStatuses()).toEqual([
      [1, 'in_service'],
      [2, 'in_service'],
      [3, 'free'],
    ]);
    expect(
      (await call('POST', '/api/v1/incidents', care, { scope: 'cable', cable: 'D1', description: 'x' }))
        .statusCode,
    ).toBe(403);
    const res = await call('POST', '/api/v1/incidents', network, {
      scope: 'cable',
      cable: 'D1',
      description: 'câble arraché par des travaux de voirie',
    });
    expect(res.statusCode).toBe(201);
    const inc = res.json();
    expect(inc.number).toMatch(/^INC\d{11}$/);
    expect([...inc.lines].sort()).toEqual([a.number, b.number].sort());
    expect(inc.pairs).toHaveLength(3);
    expect(await pairStatuses()).toEqual([
      [1, 'faulty'],
      [2, 'faulty'],
      [3, 'faulty'],
    ]);
    // the line view shows the incident; the customer's timeline has the flag
    expect((await call('GET', `/api/v1/lines/${a.number}`, care)).json().incident.number).toBe(inc.number);
    const ev = (await call('GET', `/api/v1/customers/${a.customerCode}/events`, care)).json().items;
    expect(ev.map((e: { kind: string }) => e.kind)).toContain('line.incident_flagged');

    // no free pair is left for a new line at PC1: the study holds the request
    const held = await w.t.app.inventory.service.study(
      {
        requestRef: 'T-HELD-1',
        kind: 'fixed_wired',
        product: 'FIXE',
        address: plateau,
        holdIfNotFeasible: true,
      },
      SYSTEM,
    );
    expect(held).toMatchObject({ feasible: false, cause: 'saturation', held: true });

    // a fault on the line attaches to the incident and waits for its repair
    const f = (
      await call('POST', '/api/v1/faults', care, { line: a.number, symptom: 'no_dial_tone' })
    ).json();
    expect(f.diagnosis.verdict).toBe('incident');
    expect(f.incident.number).toBe(inc.number);
    await drain();
    const waiting = (await call('GET', `/api/v1/faults/${f.number}`, care)).json();
    expect(waiting.workflow.tasks.map((t: { node: string; status: string }) => [t.node, t.status])).toEqual([
      ['triage', 'done'],
      ['wait_incident', 'held'],
    ]);
    expect((await call('GET', `/api/v1/incidents/${inc.number}`, care)).json().openFaults).toEqual([
      f.number,
    ]);

    const repaired = await call('POST', `/api/v1/incidents/${inc.number}/repair`, network, {
      report: 'câble remplacé, 3 paires reprises',
    });
    expect(repaired.json()).toMatchObject({ status: 'repaired', openFaults: [] });
    // the freed pair gave capacity back: the held request was studied again and reserved it
    expect(await pairStatuses()).toEqual([
      [1, 'in_service'],
      [2, 'in_service'],
      [3, 'reserved'],
    ]);
    expect((await w.t.app.inventory.pending.list({})).map((p) => p.requestRef)).not.toContain('T-HELD-1');
    expect((await w.t.app.inventory.service.reservation({ requestRef: 'T-HELD-1' })).status).toBe('reserved');
    // the attached fault is closed, and its customer told once the scenario ends
    await drain();
    const closed = (await call('GET', `/api/v1/faults/${f.number}`, care)).json();
    expect(closed).toMatchObject({ status: 'closed', causeCode: 'PLANT_INCIDENT' });
    expect(closed.workflow.status).toBe('completed');
    expect(closed.notifications[0].text).toContain('incident réseau');
    // what the repair did, as its page shows it: the faults it closed, the held request it served
    const after = (await call('GET', `/api/v1/incidents/${inc.number}`, care)).json();
    expect(after).toMatchObject({
      closedFaults: [f.number],
      repair: { faultsClosed: 1, requestsResumed: ['T-HELD-1'] },
    });
    expect(repaired.json().repair).toEqual(after.repair);
    expect(
      (await call('POST', `/api/v1/incidents/${inc.number}/repair`, network, { report: 'x' })).statusCode,
    ).toBe(409);
  });

  it('takes a pair range out without touching the others', async () => {
    const inc = (
      await call('POST', '/api/v1/incidents', network, {
        scope: 'pair_range',
        cable: 'D1',
        from: b.distributionPair.number,
        to: b.distributionPair.number,
        description: 'paire coupée',
      })
    ).json();
    expect(inc.lines).toEqual([b.number]);
    const statuses = new Map(await pairStatuses());
    expect(statuses.get(b.distributionPair.number)).toBe('faulty');
    expect(statuses.get(a.distributionPair.number)).toBe('in_service');
    await call('POST', `/api/v1/incidents/${inc.number}/repair`, network, { report: 'paire réparée' });
    expect(new Map(await pairStatuses()).get(b.distributionPair.number)).toBe('in_service');
    const bad = await call('POST', '/api/v1/incidents', network, {
      scope: 'cp',
      cp: 'PC99',
      description: 'x',
    });
    expect(bad.json()).toMatchObject({ code: 'incident.invalid', field: 'cp' });
  });

  it('investigates a billing complaint, accepts it and credits the payer once the rebate is approved', async () => {
    const res = await call('POST', '/api/v1/complaints', care, {
      line: a.number,
      category: 'billing',
      subject: 'communications internationales contestées',
      disputedAmount: 3000,
    });
    expect(res.statusCode).toBe(201);
    const c = res.json();
    expect(c).toMatchObject({ status: 'open', customerId: a.customerId, lineId: a.number });
    // a billing dispute is investigated by finance
    const finance = await w.t.login('finance');
    const basket = (await call('GET', '/api/v1/baskets/actors/finance', finance)).json().items;
    const inv = basket.find((t: { subject: string }) => t.subject === `complaint:${c.id}`);
    expect(inv.node).toBe('investigate');
    expect(inv.subjectRef).toBe(c.number);
    expect(
      (await call('POST', `/api/v1/tasks/${inv.id}/complete`, finance, { outcome: 'done', data: {} })).json()
        .field,
    ).toBe('data.findings');
    await call('POST', `/api/v1/tasks/${inv.id}/complete`, finance, {
      outcome: 'done',
      data: { findings: 'appels facturés deux fois', recommendedAmount: 3000 },
    });
    const detail = (await call('GET', `/api/v1/complaints/${c.number}`, care)).json();
    const decide = detail.workflow.tasks.find((t: { node: string }) => t.node === 'decide');
    expect(decide.actor).toBe('supervision');
    await call('POST', `/api/v1/tasks/${decide.id}/complete`, supervisor, {
      outcome: 'accepted',
      data: { reason: 'double facturation constatée' },
    });
    await drain();
    const accepted = (await call('GET', `/api/v1/complaints/${c.number}`, care)).json();
    expect(accepted).toMatchObject({ status: 'accepted', rebate: { amount: 3000, status: 'pending' } });
    expect(accepted.notifications[0]).toMatchObject({ channel: 'letter' });
    expect(accepted.notifications[0].text).toContain('3000 XOF');
    const before = await w.t.app.billing.ledger.balance(a.payerId);

    const rebate = accepted.rebate.number;
    // the API tells each person whether they may decide, and why not
    const seen = async (token: string) =>
      (await call('GET', `/api/v1/rebates/${rebate}`, token)).json().decision;
    expect(await seen(care)).toMatchObject({ allowed: false, why: expect.stringContaining('approve_small') });
    expect(await seen(supervisor)).toMatchObject({
      allowed: false,
      why: expect.stringContaining('someone other'),
    });
    expect(await seen(leader)).toEqual({ allowed: true, why: null });
    const listed = (await call('GET', '/api/v1/rebates?status=pending', leader)).json().items;
    expect(listed.find((r: { number: string }) => r.number === rebate).decision.allowed).toBe(true);
    expect((await call('POST', `/api/v1/rebates/${rebate}/approve`, care, {})).statusCode).toBe(403);
    // the supervisor asked for it (by accepting): someone else approves
    expect((await call('POST', `/api/v1/rebates/${rebate}/approve`, supervisor, {})).json().code).toBe(
      'rebate.forbidden',
    );
    const ok = await call('POST', `/api/v1/rebates/${rebate}/approve`, leader, { note: 'ok' });
    expect(ok.json()).toMatchObject({ status: 'credited', approvalLevel: 'small' });
    const after = await w.t.app.billing.ledger.balance(a.payerId);
    expect(after.receivable - before.receivable).toBe(-3000);
    expect((await call('POST', `/api/v1/rebates/${rebate}/approve`, leader, {})).statusCode).toBe(409);
    const line = (await call('GET', `/api/v1/lines/${a.number}`, care)).json();
    expect(line.account.credits[0]).toMatchObject({ amount: 3000, kind: 'credit' });
    const kinds = line.history.map((e: { kind: string }) => e.kind);
    for (const k of [
      'complaint.opened',
      'complaint.decided',
      'rebate.requested',
      'rebate.approved',
      'payer.credited',
    ])
      expect(kinds).toContain(k);
  });

  it('rejects a complaint without a rebate', async () => {
    const c = (
      await call('POST', '/api/v1/complaints', care, {
        customer: b.customerCode,
        category: 'service',
        subject: 'accueil',
      })
    ).json();
    const task = (await call('GET', `/api/v1/complaints/${c.number}`, care)).json().workflow.tasks[0];
    expect(task.actor).toBe('customer_care');
    await call('POST', `/api/v1/tasks/${task.id}/complete`, care, {
      outcome: 'done',
      data: { findings: 'rien' },
    });
    const decide = (await call('GET', `/api/v1/complaints/${c.number}`, care)).json().workflow.tasks[1];
    await call('POST', `/api/v1/tasks/${decide.id}/complete`, supervisor, {
      outcome: 'rejected',
      data: { reason: 'aucune anomalie' },
    });
    await drain();
    const done = (await call('GET', `/api/v1/complaints/${c.number}`, care)).json();
    expect(done).toMatchObject({ status: 'rejected', rebate: null, decisionReason: 'aucune anomalie' });
    expect(done.notifications[0].text).toContain('ne pouvons donner une suite favorable');
  });

  it('computes an outage rebate from a fault and binds large amounts to the larger right', async () => {
    const f = (await call('POST', '/api/v1/faults', care, { line: b.number, symptom: 'cut_off' })).json();
    const r = (await call('POST', '/api/v1/rebates', care, { fault: f.number, reason: 'coupure' })).json();
    const minutes = minutesBetween(new Date(f.reportedAt), new Date(r.requestedAt));
    expect(r).toMatchObject({
      method: 'outage',
      monthlyPrice: 5000,
      outageMinutes: minutes,
      amount: outageRebate(minutes, 5000),
      lineId: b.number,
      approvalLevel: 'small',
    });
    const big = (
      await call('POST', '/api/v1/rebates', care, {
        line: b.number,
        reason: 'geste commercial',
        amount: 100_000,
      })
    ).json();
    expect(big).toMatchObject({ method: 'fixed', approvalLevel: 'large', status: 'pending' });
    const refused = await call('POST', `/api/v1/rebates/${big.number}/approve`, leader, {});
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('rebate.forbidden');
    expect(
      (await call('POST', `/api/v1/rebates/${big.number}/reject`, supervisor, { note: 'trop élevé' })).json(),
    ).toMatchObject({ status: 'rejected', decisionNote: 'trop élevé' });
    const bad = await call('POST', '/api/v1/rebates', care, { line: b.number, reason: 'x' });
    expect(bad.json()).toMatchObject({ code: 'rebate.invalid', field: 'amount' });
    const pending = (await call('GET', '/api/v1/rebates?status=pending', leader)).json().items;
    expect(pending.map((x: { number: string }) => x.number)).toEqual([r.number]);
  });

  it('the approval queue (decidableBy=me) pages only what the caller may decide, every page full', async () => {
    const ask = async (token: string, amount: number) => {
      const r = await call('POST', '/api/v1/rebates', token, { line: a.number, reason: 'geste', amount });
      expect(r.statusCode).toBe(201);
      return r.json().number as string;
    };
    // oldest first: one the leader may decide, then a newer run of ones they may not (their own,
    // four eyes; large ones, above their right), then another they may decide
    const first = await ask(care, 1000);
    for (let i = 0; i < 3; i++) await ask(leader, 1500);
    for (let i = 0; i < 2; i++) await ask(care, 100_000);
    const last = await ask(care, 2000);
    const all: { number: string; decision: { allowed: boolean } }[] = [];
    for (let cursor: string | undefined, n = 0; n === 0 || cursor; n++) {
      const body = (
        await call(
          'GET',
          `/api/v1/rebates?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          leader,
        )
      ).json();
      all.push(...body.items);
      cursor = body.nextCursor;
    }
    const decidable = all.filter((r) => r.decision.allowed).map((r) => r.number);
    expect(decidable).toContain(first);
    expect(decidable).toContain(last);
    expect(decidable.length).toBeGreaterThanOrEqual(3);
    // a page of 2 unfiltered shows at most one the leader may decide: filtering after paging would leave it short
    const plain = (await call('GET', '/api/v1/rebates?status=pending&limit=2', leader)).json().items;
    expect(plain.filter((r: { decision: { allowed: boolean } }) => r.decision.allowed).length).toBeLessThan(
      2,
    );

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let n = 0; n < 20; n++) {
      const res = await call(
        'GET',
        `/api/v1/rebates?decidableBy=me&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        leader,
      );
      expect(res.statusCode).toBe(200);
      const body = res.json() as {
        items: { number: string; decision: { allowed: boolean } }[];
        nextCursor?: string;
      };
      expect(body.items.every((r) => r.decision.allowed)).toBe(true);
      if (body.nextCursor) expect(body.items.length).toBe(2);
      seen.push(...body.items.map((r) => r.number));
      cursor = body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(decidable);
    // no approval right: an empty queue; a supervisor's queue holds the large ones too
    expect((await call('GET', '/api/v1/rebates?decidableBy=me', care)).json().items).toEqual([]);
    const sup = (await call('GET', '/api/v1/rebates?decidableBy=me&limit=100', supervisor)).json().items;
    expect(sup.some((r: { approvalLevel: string }) => r.approvalLevel === 'large')).toBe(true);
    expect(sup.every((r: { decision: { allowed: boolean } }) => r.decision.allowed)).toBe(true);
    const bad = await call('GET', '/api/v1/rebates?decidableBy=you', leader);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('decidableBy');
  });
});
