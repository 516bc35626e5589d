import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from '../../../test/app.js';
import { generateCustomers } from '../../demo/generate.js';
import { loadDemoInstalledBase } from '../../demo/installed-base.js';
import { loadDemoPlant } from '../../demo/plant.js';
import { directSession } from './drivers/direct-session.js';
import { HlrLink, hlrOps } from './drivers/hlr.driver.js';
import { SwitchLink } from './drivers/switch.driver.js';
import type { AuditView } from './audit.js';
import { LOCAL_SWITCHES } from './local-elements.js';
import { SwitchSimulator } from './switch-sim/simulator.js';
import { fixedLineProfile } from '../requests/index.js';
import { LIMITATION_SCENARIO_DEF } from '../billing/cycle.index.js';
import { osmoHlrSuiteName, startOsmoHlr, type OsmoHlr } from './testing/osmo-hlr.js';

const suite = osmoHlrSuiteName(
  'network audit: the demo’s records against a real osmo-hlr and two simulated switches',
);

interface Live {
  dn: string;
  code: string;
  status: string;
  kind: string;
  en: string | null;
  exchange: string | null;
  imsi: string | null;
  options: string[];
}

describe.skipIf(suite.skip)(suite.name, () => {
  let t: TestApp;
  let hlr: OsmoHlr;
  const sims = LOCAL_SWITCHES.map((x) => new SwitchSimulator({ name: x.code, user: 'gpto', password: 'pw' }));
  let token: string;
  let live: Live[];

  beforeAll(async () => {
    [t, hlr] = await Promise.all([createTestApp(), startOsmoHlr()]);
    // 400: the Dakar-East switch (SIM2) has ≈ 2 % of the fixed lines; with 150 it had none one run in 20
    await generateCustomers(t.tdb.pool, 400, () => undefined, { batchSize: 400, concurrency: 1 });
    await loadDemoPlant(t.tdb.db, TEST_SECRET_KEY);
    await loadDemoInstalledBase(t.tdb.db, TEST_SECRET_KEY);
    const s = t.app.activation.service;
    await s.upsertElement(
      { code: 'HLR1', kind: 'osmo_hlr', name: 'HLR', host: hlr.host, port: hlr.port, isDefault: true },
      { userId: null, username: 'test' },
    );
    for (const [i, x] of LOCAL_SWITCHES.entries()) {
      const port = await sims[i]!.start();
      await s.upsertElement(
        {
          code: x.code,
          kind: 'mml_switch',
          name: x.code,
          host: '127.0.0.1',
          port,
          username: 'gpto',
          password: 'pw',
          isDefault: i === 0,
          exchanges: [...x.exchanges],
        },
        { userId: null, username: 'test' },
      );
    }
    token = await t.login('switching');
    // the records as the test reads them: live lines, their port's exchange (radio: the base
    // station's site's switch) and their SIM's IMSI
    live = (
      await sql<Live>`
        SELECT s.directory_number AS dn, s.code, s.status, p.kind, s.equipment_number AS en,
               (SELECT w.code FROM inv_switch w WHERE w.id = po.switch_id OR (po.id IS NULL AND w.site_id = bs.site_id)
                 ORDER BY w.id LIMIT 1) AS exchange, m.imsi,
               (SELECT coalesce(array_agg(op.code), '{}') FROM subscription c
                 JOIN product_version cpv ON cpv.id = c.product_version_id JOIN product op ON op.id = cpv.product_id
                 WHERE c.parent_id = s.id AND c.status IN ('active', 'suspended')) AS options
        FROM subscription s
        JOIN product_version pv ON pv.id = s.product_version_id JOIN product p ON p.id = pv.product_id
        LEFT JOIN inv_line l ON l.directory_number = s.directory_number AND l.status = 'active'
        LEFT JOIN inv_port po ON po.id = l.port_id
        LEFT JOIN inv_base_station bs ON bs.id = l.base_station_id
        LEFT JOIN inv_sim m ON m.iccid = s.sim_iccid
        WHERE s.status IN ('active', 'suspended') AND s.parent_id IS NULL ORDER BY s.id`.execute(t.tdb.db)
    ).rows;
  });
  afterAll(async () => {
    await t?.app.activation.stop();
    await Promise.all(sims.map((x) => x.stop()));
    await hlr?.stop();
    await t?.close();
  });

  const fixedOf = (code: string) => {
    const exchanges: readonly string[] = LOCAL_SWITCHES.find((x) => x.code === code)!.exchanges;
    return live.filter((l) => l.kind.startsWith('fixed') && exchanges.includes(l.exchange ?? ''));
  };
  const mobile = () => live.filter((l) => l.kind.startsWith('mobile'));

  /** Starts an audit through the API and waits for its end. */
  async function audit(element: string, repair = false): Promise<AuditView> {
    const res = await t.call('POST', `/api/v1/activation/elements/${element}/audits`, token, { repair });
    expect(res.statusCode, res.body).toBe(202);
    const id = (res.json() as AuditView).id;
    for (let i = 0; i < 400; i++) {
      const a = (await t.call('GET', `/api/v1/activation/audits/${id}`, token)).json() as AuditView;
      if (a.status !== 'running') return a;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`audit ${id} still running`);
  }
  /** HLR1 on the test's osmo-hlr, its VTY on `vtyPort` (null: osmo-hlr's 4258). */
  const setHlr = (vtyPort: number | null) =>
    t.app.activation.service.upsertElement(
      {
        code: 'HLR1',
        kind: 'osmo_hlr',
        name: 'HLR',
        host: hlr.host,
        port: hlr.port,
        vtyPort,
        isDefault: true,
      },
      { userId: null, username: 'test' },
    );

  /** Every difference of an audit (all pages). */
  const items = async (id: number, kind?: string) => {
    type Item = {
      id: number;
      lineId: string;
      kind: string;
      detail: string;
      orderIds: number[];
      ordersInFlight: number[];
    };
    const out: Item[] = [];
    let cursor: string | undefined;
    do {
      const page = (
        await t.call(
          'GET',
          `/api/v1/activation/audits/${id}/items?limit=200${kind ? `&kind=${kind}` : ''}${cursor ? `&cursor=${cursor}` : ''}`,
          token,
        )
      ).json() as {
        items: Item[];
        nextCursor?: string;
      };
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  };

  let limitations = 0;
  /**
   * A limitation for unpaid bills on a line, as billing's collection leaves it: its request at the
   * hold waiting for the payment (`wait_payment`, limited), or at an activation step (changing).
   */
  async function limitation(
    dn: string,
    node: 'wait_payment' | 'limit_mobile' | 'limit_fixed',
  ): Promise<void> {
    await t.app.workflow.scenarios.createVersion(LIMITATION_SCENARIO_DEF, { userId: null, username: 'test' });
    const sc = await sql<{ id: number; version: number }>`
      SELECT id, version FROM wf_scenario WHERE code = ${LIMITATION_SCENARIO_DEF.code}
      ORDER BY version DESC LIMIT 1`.execute(t.tdb.db);
    const i = await sql<{ id: number }>`
      INSERT INTO wf_instance (scenario_id, scenario_code, scenario_version, subject_type, subject_id, line_id, created_at)
      VALUES (${sc.rows[0]!.id}, ${LIMITATION_SCENARIO_DEF.code}, ${sc.rows[0]!.version}, 'test_limitation', ${`${dn}-${++limitations}`}, ${dn}, now())
      RETURNING id`.execute(t.tdb.db);
    await sql`
      INSERT INTO wf_task (instance_id, node, kind, status, available_at, created_at)
      VALUES (${i.rows[0]!.id}, ${node}, ${node === 'wait_payment' ? 'hold' : 'automatic'},
              ${node === 'wait_payment' ? 'held' : 'waiting'}, now(), now())`.execute(t.tdb.db);
  }

  it('finds every live fixed line missing on a new switch, realigns them on demand, then finds none', async () => {
    const firstAudits: number[] = [];
    expect(fixedOf('SIM1').length).toBeGreaterThan(5);
    expect(fixedOf('SIM2').length).toBeGreaterThan(0);
    // every live fixed line belongs to one of the two switches
    expect(fixedOf('SIM1').length + fixedOf('SIM2').length).toBe(
      live.filter((l) => l.kind.startsWith('fixed')).length,
    );
    for (const code of ['SIM1', 'SIM2']) {
      const expected = fixedOf(code);
      const a = await audit(code);
      expect(a).toMatchObject({
        status: 'done',
        expected: expected.length,
        checked: expected.length,
        consistent: 0,
        differences: expected.length,
        repaired: 0,
        repairable: expected.length,
        byKind: { missing: expected.length },
      });
      expect((await items(a.id)).map((i) => i.lineId).sort()).toEqual(expected.map((l) => l.dn).sort());
      // two clicks at once: the orders are queued once
      const clicks = await Promise.all(
        [1, 2].map(() => t.call('POST', `/api/v1/activation/audits/${a.id}/repair`, token)),
      );
      for (const c of clicks) expect(c.json()).toMatchObject({ repaired: expected.length });
      const queued = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM act_order WHERE request_ref = ${`AUDIT-${a.id}`}`.execute(t.tdb.db);
      // an activation per line, then a suspension for a suspended one
      expect(queued.rows[0]!.n).toBe(
        expected.length + expected.filter((l) => l.status === 'suspended').length,
      );
      firstAudits.push(a.id);
    }
    await t.app.activation.automaton.drain();
    for (const [i, code] of ['SIM1', 'SIM2'].entries()) {
      const sim = sims[i]!;
      expect(sim.lines.size).toBe(fixedOf(code).length);
      for (const l of fixedOf(code)) {
        const on = sim.lines.get(l.dn)!;
        // wired lines on their port; radio lines on their base station's virtual port
        if (l.kind === 'fixed_wired') expect(on.en).toBe(l.en);
        else expect(on.en).toMatch(/^[A-Z0-9-]+-\d{6}$/);
        expect(on.blocked).toBe(l.status === 'suspended');
        // re-created with what its options give it (none: international calls barred, as a new line)
        const profile = fixedLineProfile(l.options);
        expect(on.barring).toBe(profile.barring);
        expect([...on.services].sort()).toEqual(profile.services);
      }
      const again = await audit(code);
      expect(again).toMatchObject({ status: 'done', consistent: fixedOf(code).length, differences: 0 });
      // the listing's detail showed every line in line: no DSP-LINE of its own
      await t.app.activation.journal.flush();
      const sent = await sql<{ command: string }>`
        SELECT command FROM act_command WHERE element_code = ${code} AND sent_at >= ${new Date(again.startedAt)}`.execute(
        t.tdb.db,
      );
      expect(sent.rows.length).toBeGreaterThan(0);
      expect(sent.rows.filter((r) => !r.command.startsWith('LST-LINE '))).toEqual([]);
    }
    // the first audits are no longer the newest: what they found may have changed since
    const stale = await t.call('POST', `/api/v1/activation/audits/${firstAudits[0]}/repair`, token);
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ code: 'activation.audit_stale' });
  });

  it('tells a removed line, a barring, a suspension not carried out, a moved port and an unknown number apart', async () => {
    const sim = sims[0]!;
    const link = new SwitchLink({ host: '127.0.0.1', port: sim.port, user: 'gpto', password: 'pw' });
    const s = directSession(link);
    const wired = fixedOf('SIM1').filter((l) => l.kind === 'fixed_wired' && l.status === 'active');
    const [gone, barred, suspended, moved] = wired;
    await s.send(`DLT-LINE DN=${gone!.dn}`);
    await s.send(`BLK-LINE DN=${barred!.dn}`);
    // suspended in the records (as a request would) while the switch was not told
    await sql`UPDATE subscription SET status = 'suspended' WHERE directory_number = ${suspended!.dn}`.execute(
      t.tdb.db,
    );
    await s.send(`DLT-LINE DN=${moved!.dn}`);
    await s.send(`CRT-LINE DN=${moved!.dn},EN=99-99-999`);
    await s.send('CRT-LINE DN=339999001,EN=99-99-998');
    // a service nobody ordered, added by hand on the switch
    const serviced = wired[4]!;
    await s.send(`ADD-SERV DN=${serviced.dn},SERV=CLIP`);
    // limited for unpaid bills in the records, outgoing calls still open on the switch; another
    // whose limitation is being put on (either way on the switch: not compared)
    const [limited, limiting] = [wired[5]!, wired[6]!];
    await limitation(limited.dn, 'wait_payment');
    await limitation(limiting.dn, 'limit_fixed');
    await s.send(`SET-BAR DN=${limiting.dn},CLASS=ALL`);
    await link.close();
    // the suspension's order is queued (a request's, not yet run: due in an hour)
    const queued = await sql<{ id: number }>`
      INSERT INTO act_order (element_code, operation, line_id, params, created_by, created_at, available_at)
      VALUES ('SIM1', 'fixed.suspend', ${suspended!.dn}, ${JSON.stringify({ dn: suspended!.dn })}::jsonb, 'test',
              now(), now() + interval '1 hour') RETURNING id`.execute(t.tdb.db);
    const a = await audit('SIM1');
    expect(a.byKind).toEqual({ missing: 1, state_differs: 5, port_differs: 1, unknown_on_element: 1 });
    // an exchange whose listing has the numbers only: the same differences, each line read
    sim.listingDetail = false;
    const plain = await audit('SIM1');
    sim.listingDetail = true;
    expect(plain).toMatchObject({ status: 'done', byKind: a.byKind, consistent: a.consistent });
    expect(a.consistent).toBe(fixedOf('SIM1').length - 6);
    const found = await items(a.id);
    const kindOf = (dn: string) => found.filter((i) => i.lineId === dn).map((i) => i.kind);
    expect(kindOf(gone!.dn)).toEqual(['missing']);
    expect(kindOf(barred!.dn)).toEqual(['state_differs']);
    expect(kindOf(suspended!.dn)).toEqual(['state_differs']);
    // …and the screen says an order was still to run on it; on no other line
    expect(found.filter((i) => i.ordersInFlight.length).map((i) => [i.lineId, i.ordersInFlight])).toEqual([
      [suspended!.dn, [queued.rows[0]!.id]],
    ]);
    await t.app.activation.service.withdrawIn(t.tdb.db, queued.rows[0]!.id, 'test over', {
      userId: null,
      username: 'test',
    });
    // re-created by hand on another port, without the barring class its options give it
    expect(kindOf(moved!.dn)).toEqual(['port_differs', 'state_differs']);
    expect(found.find((i) => i.lineId === moved!.dn && i.kind === 'state_differs')!.detail).toBe(
      `barring class NONE on the switch, its options give ${fixedLineProfile(moved!.options).barring}`,
    );
    expect(found.find((i) => i.lineId === limited.dn)).toMatchObject({
      kind: 'state_differs',
      detail: `limited for unpaid bills in the records (barring class OUTG), ${fixedLineProfile(limited.options).barring} on the switch`,
    });
    expect(kindOf(limiting.dn)).toEqual([]);
    expect(found.find((i) => i.lineId === '339999001')).toMatchObject({
      kind: 'unknown_on_element',
      detail: '339999001 is on the switch and in no subscription',
    });

    // with repair at once: every difference the records settle, the unknown number left alone
    const fixed = await audit('SIM1', true);
    expect(fixed).toMatchObject({ differences: 8, repaired: 7 });
    // what the first audit offered to realign is what was realigned: not the unknown number
    expect(a.repairable).toBe(7);
    expect((await items(fixed.id, 'unknown_on_element'))[0]!.orderIds).toEqual([]);
    const orders = await t.call(
      'GET',
      `/api/v1/activation/orders?element=SIM1&status=pending&limit=200`,
      token,
    );
    expect((orders.json() as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(4);
    await t.app.activation.automaton.drain();
    expect(sim.lines.get(moved!.dn)!.en).toBe(moved!.en);
    expect(sim.lines.get(suspended!.dn)!.blocked).toBe(true);
    expect(sim.lines.get(barred!.dn)!.blocked).toBe(false);
    expect([...sim.lines.get(serviced.dn)!.services]).toEqual([]);
    expect(sim.lines.get(moved!.dn)!.barring).toBe(fixedLineProfile(moved!.options).barring);
    expect(sim.lines.get(limited.dn)!.barring).toBe('OUTG');
    expect(sim.lines.get(limiting.dn)!.barring).toBe('ALL');
    // the limitation put on by then: its barring class is compared again
    await sql`UPDATE wf_task SET node = 'wait_payment', kind = 'hold', status = 'held'
               WHERE instance_id = (SELECT id FROM wf_instance WHERE line_id = ${limiting.dn})`.execute(
      t.tdb.db,
    );
    expect((await audit('SIM1')).byKind).toEqual({ unknown_on_element: 1, state_differs: 1 });
    await sql`UPDATE wf_instance SET status = 'completed' WHERE subject_type = 'test_limitation'`.execute(
      t.tdb.db,
    );
    // ended in the records (the debt paid), the switch not told: both found, and realigned
    const lifted = await audit('SIM1', true);
    expect(lifted.byKind).toEqual({ unknown_on_element: 1, state_differs: 2 });
    await t.app.activation.automaton.drain();
    expect(sim.lines.get(limited.dn)!.barring).toBe(fixedLineProfile(limited.options).barring);
    const last = await audit('SIM1');
    expect(last.byKind).toEqual({ unknown_on_element: 1 });
    // switching decides to remove the unknown number: one order, once; nothing else is removable
    const [unknown] = await items(last.id, 'unknown_on_element');
    const removal = await t.call(
      'POST',
      `/api/v1/activation/audits/${last.id}/items/${unknown!.id}/remove`,
      token,
    );
    expect(removal.statusCode, removal.body).toBe(200);
    const orderIds = (removal.json() as { orderIds: number[] }).orderIds;
    expect(orderIds).toHaveLength(1);
    expect(
      (
        await t.call('POST', `/api/v1/activation/audits/${last.id}/items/${unknown!.id}/remove`, token)
      ).json(),
    ).toMatchObject({ orderIds });
    const missingItem = (await items(a.id, 'missing'))[0]!;
    const refused = await t.call(
      'POST',
      `/api/v1/activation/audits/${a.id}/items/${missingItem.id}/remove`,
      token,
    );
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ code: 'activation.audit_not_removable', field: 'itemId' });
    await t.app.activation.automaton.drain();
    expect((await t.call('GET', `/api/v1/activation/orders/${orderIds[0]}`, token)).json()).toMatchObject({
      operation: 'fixed.deactivate',
      status: 'done',
      lineId: '339999001',
    });
    expect(sim.lines.has('339999001')).toBe(false);
    expect((await audit('SIM1')).differences).toBe(0);
  });

  it('puts the live mobile lines in the HLR, then finds a number, an access, a deletion, a terminated SIM and a card not in stock', async () => {
    const lines = mobile();
    expect(lines.length).toBeGreaterThan(10);
    const first = await audit('HLR1', true);
    expect(first).toMatchObject({
      status: 'done',
      expected: lines.length,
      differences: lines.length,
      repaired: lines.length,
    });
    await t.app.activation.automaton.drain();
    const raw = new HlrLink({ host: hlr.host, port: hlr.port });
    const s = directSession(raw);
    for (const l of lines) {
      const st = await hlrOps.status(s, { imsi: l.imsi! });
      expect(st).toMatchObject({ exists: true, msisdn: l.dn });
      expect(st.access!.cs).toBe(l.status === 'active');
    }
    const inLine = await audit('HLR1');
    expect(inLine).toMatchObject({ consistent: lines.length, differences: 0 });
    // the HLR's list showed every line in line: not one command of its own
    await t.app.activation.journal.flush();
    const sent = await sql<{ command: string }>`
      SELECT command FROM act_command WHERE element_code = 'HLR1' AND sent_at >= ${new Date(inLine.startedAt)}`.execute(
      t.tdb.db,
    );
    expect(sent.rows.map((r) => r.command)).toEqual(['VTY show subscribers all']);

    const active = lines.filter((l) => l.status === 'active');
    const [renumbered, cut, deleted, terminated, unknownCard] = active;
    await hlrOps.setMsisdn(s, { imsi: renumbered!.imsi!, msisdn: '779999001' });
    await hlrOps.setAccess(s, { imsi: cut!.imsi!, access: { cs: false, ps: false } });
    await hlrOps.deactivate(s, { imsi: deleted!.imsi! });
    await sql`UPDATE subscription SET status = 'terminated' WHERE directory_number = ${terminated!.dn}`.execute(
      t.tdb.db,
    );
    await sql`UPDATE subscription SET sim_iccid = '8900000000000000001' WHERE directory_number = ${unknownCard!.dn}`.execute(
      t.tdb.db,
    );
    // a subscriber created by hand in the HLR, on a card the inventory does not know
    await hlrOps.activate(s, {
      imsi: '001019999000001',
      msisdn: '779999002',
      keys: { ki: '000102030405060708090a0b0c0d0e0f', opc: null },
    });
    raw.close();
    const a = await audit('HLR1');
    expect(a.warning).toBeNull();
    expect(a.byKind).toEqual({
      number_differs: 1,
      state_differs: 1,
      missing: 1,
      // the terminated line's SIM, the SIM the re-carded line left in the HLR, the hand-made one
      unknown_on_element: 3,
      not_placeable: 1,
    });
    const found = await items(a.id);
    expect(found.find((i) => i.lineId === renumbered!.dn)!.detail).toContain('779999001');
    // the HLR's subscribers unknown to the records go by their IMSI (a number may be a live line's)
    expect(found.find((i) => i.lineId === terminated!.imsi)).toMatchObject({
      kind: 'unknown_on_element',
      detail: `subscription ${terminated!.code} is terminated, its SIM (IMSI ${terminated!.imsi}) is still in the HLR`,
    });
    expect(found.find((i) => i.lineId === unknownCard!.imsi)).toMatchObject({
      kind: 'unknown_on_element',
      actual: { imsi: unknownCard!.imsi, msisdn: unknownCard!.dn },
      detail: expect.stringMatching(
        /^IMSI [0-9]+ \(MSISDN [0-9]+\) is in the HLR, its SIM card [0-9]+ is in no subscription$/,
      ),
    });
    expect(found.find((i) => i.lineId === '001019999000001')).toMatchObject({
      kind: 'unknown_on_element',
      subscription: null,
      actual: { imsi: '001019999000001', msisdn: '779999002', access: { cs: true, ps: true } },
      detail: 'IMSI 001019999000001 (MSISDN 779999002) is in the HLR, its SIM card is not in the inventory',
    });
    expect(found.find((i) => i.lineId === unknownCard!.dn && i.kind === 'not_placeable')).toMatchObject({
      detail: 'SIM card 8900000000000000001 is not in the inventory: its IMSI and keys are unknown',
    });
    // the listing is journaled with the element's commands (the journal is written every 200 ms)
    await t.app.activation.journal.flush();
    const journal = (
      await t.call('GET', '/api/v1/activation/elements/HLR1/journal?limit=20', token)
    ).json() as {
      items: { command: string; reply: string; outcome: string }[];
    };
    expect(journal.items.find((c) => c.command === 'VTY show subscribers all')).toMatchObject({
      outcome: 'ok',
      reply: expect.stringMatching(/^[0-9]+ subscribers$/),
    });
    await t.call('POST', `/api/v1/activation/audits/${a.id}/repair`, token);
    await t.app.activation.automaton.drain();
    // what the records settle is realigned; the subscribers they do not know are left to switching
    const after = await audit('HLR1');
    expect(after.byKind).toEqual({ unknown_on_element: 3, not_placeable: 1 });
    // switching removes the terminated line's and the hand-made subscribers, by their IMSI
    const stale = await items(after.id, 'unknown_on_element');
    const orders: number[] = [];
    for (const it of stale.filter((i) => i.lineId === terminated!.imsi || i.lineId === '001019999000001')) {
      const removal = await t.call(
        'POST',
        `/api/v1/activation/audits/${after.id}/items/${it.id}/remove`,
        token,
      );
      expect(removal.statusCode, removal.body).toBe(200);
      orders.push((removal.json() as { orderIds: number[] }).orderIds[0]!);
    }
    await t.app.activation.automaton.drain();
    expect((await t.call('GET', `/api/v1/activation/orders/${orders[0]}`, token)).json()).toMatchObject({
      operation: 'mobile.deactivate',
      status: 'done',
      params: { imsi: terminated!.imsi },
    });
    const check = new HlrLink({ host: hlr.host, port: hlr.port });
    expect((await hlrOps.status(directSession(check), { imsi: terminated!.imsi! })).exists).toBe(false);
    expect((await hlrOps.status(directSession(check), { imsi: '001019999000001' })).exists).toBe(false);
    check.close();
    expect((await audit('HLR1')).byKind).toEqual({ unknown_on_element: 1, not_placeable: 1 });

    // the HLR's list out of reach (its VTY port closed): the audit says so, and looks for the cards
    // of terminated lines one by one, as it can through CTRL
    await setHlr(1);
    const blind = await audit('HLR1');
    expect(blind).toMatchObject({ status: 'done', byKind: { not_placeable: 1 } });
    expect(blind.warning).toMatch(/^the HLR's list of subscribers could not be read \(osmo-hlr VTY .*:1: /);
    await setHlr(null);

    // data (PS): open on an active line, cut while it is limited for unpaid bills
    const [limited, limiting, dataCut, temporary] = active.slice(5);
    const hlrLink = new HlrLink({ host: hlr.host, port: hlr.port });
    const h = directSession(hlrLink);
    await limitation(limited!.dn, 'wait_payment');
    // being limited: either way in the HLR, not compared
    await limitation(limiting!.dn, 'limit_mobile');
    await hlrOps.setAccess(h, { imsi: limiting!.imsi!, access: { cs: true, ps: false } });
    await hlrOps.setAccess(h, { imsi: dataCut!.imsi!, access: { cs: true, ps: false } });
    // a temporary change of access, reverted at its date: not a difference meanwhile
    await hlrOps.setAccess(h, { imsi: temporary!.imsi!, access: { cs: false, ps: false } });
    await sql`
      INSERT INTO act_revert (order_id, element_code, line_id, operation, params, due_at)
      VALUES ((SELECT max(id) FROM act_order), 'HLR1', ${temporary!.dn}, 'mobile.restore', '{}', now() + interval '1 day')`.execute(
      t.tdb.db,
    );
    const access = await audit('HLR1');
    expect(access.byKind).toEqual({ state_differs: 2, unknown_on_element: 1, not_placeable: 1 });
    const diffs = await items(access.id, 'state_differs');
    expect(diffs.map((d) => [d.lineId, d.detail]).sort()).toEqual(
      [
        [
          limited!.dn,
          'active and limited for unpaid bills in the records (voice open, data cut); voice open, data open in the HLR',
        ],
        [dataCut!.dn, 'active in the records, data (PS) access cut in the HLR'],
      ].sort(),
    );
    // the debt paid before switching realigns: the line is no longer to be limited, its data stays
    await sql`UPDATE wf_instance SET status = 'completed' WHERE subject_type = 'test_limitation' AND line_id = ${limited!.dn}`.execute(
      t.tdb.db,
    );
    const realigned = await t.call('POST', `/api/v1/activation/audits/${access.id}/repair`, token);
    expect(realigned.json()).toMatchObject({ repaired: 1 });
    expect(
      (await items(access.id, 'state_differs')).map((d) => [d.lineId, d.orderIds.length]).sort(),
    ).toEqual(
      [
        [limited!.dn, 0],
        [dataCut!.dn, 1],
      ].sort(),
    );
    await t.app.activation.automaton.drain();
    expect((await hlrOps.status(h, { imsi: limited!.imsi! })).access).toEqual({ cs: true, ps: true });
    expect((await hlrOps.status(h, { imsi: dataCut!.imsi! })).access).toEqual({ cs: true, ps: true });
    // and a limitation begun after the audit is not lifted by its realignment
    await hlrOps.setAccess(h, { imsi: limited!.imsi!, access: { cs: true, ps: false } });
    const before = await audit('HLR1');
    const dataOff = (await items(before.id, 'state_differs')).map((d) => [d.lineId, d.detail]);
    expect(dataOff).toEqual([[limited!.dn, 'active in the records, data (PS) access cut in the HLR']]);
    await limitation(limited!.dn, 'wait_payment');
    expect(
      (await t.call('POST', `/api/v1/activation/audits/${before.id}/repair`, token)).json(),
    ).toMatchObject({
      repaired: 0,
    });
    await t.app.activation.automaton.drain();
    expect((await hlrOps.status(h, { imsi: limited!.imsi! })).access).toEqual({ cs: true, ps: false });
    await sql`UPDATE wf_instance SET status = 'completed' WHERE subject_type = 'test_limitation'`.execute(
      t.tdb.db,
    );
    await hlrOps.setAccess(h, { imsi: limited!.imsi!, access: { cs: true, ps: true } });
    // the limitation that was being put on ended too: its line back to full access
    await hlrOps.setAccess(h, { imsi: limiting!.imsi!, access: { cs: true, ps: true } });
    // a temporary change does not excuse a suspended line whose access is open
    const suspendedLine = lines.find((l) => l.status === 'suspended');
    expect(suspendedLine).toBeDefined();
    await hlrOps.setAccess(h, { imsi: suspendedLine!.imsi!, access: { cs: true, ps: false } });
    await sql`
      INSERT INTO act_revert (order_id, element_code, line_id, operation, params, due_at)
      VALUES ((SELECT max(id) FROM act_order), 'HLR1', ${suspendedLine!.dn}, 'mobile.suspend', '{}', now() + interval '1 day')`.execute(
      t.tdb.db,
    );
    const open = await audit('HLR1');
    expect((await items(open.id, 'state_differs')).map((d) => [d.lineId, d.detail])).toEqual([
      [suspendedLine!.dn, 'suspended in the records, voice access open in the HLR'],
    ]);
    await hlrOps.setAccess(h, { imsi: suspendedLine!.imsi!, access: { cs: false, ps: false } });
    expect((await hlrOps.status(h, { imsi: temporary!.imsi! })).access).toEqual({ cs: false, ps: false });
    hlrLink.close();
    expect((await audit('HLR1')).byKind).toEqual({ unknown_on_element: 1, not_placeable: 1 });
  });

  it('checks rights and input, and lets one audit of an element run at a time', async () => {
    // the front office reads the audits (activation:read) but starts none; enquiries see nothing
    const care = await t.login('care');
    expect((await t.call('POST', '/api/v1/activation/elements/SIM1/audits', care, {})).statusCode).toBe(403);
    expect((await t.call('GET', '/api/v1/activation/audits', care)).statusCode).toBe(200);
    const enquiries = await t.login('enquiries');
    expect((await t.call('GET', '/api/v1/activation/audits', enquiries)).statusCode).toBe(403);
    expect((await t.call('POST', '/api/v1/activation/elements/NOPE/audits', token, {})).statusCode).toBe(404);
    const bad = await t.call('POST', '/api/v1/activation/elements/SIM1/audits', token, { repair: 'yes' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('repair');
    expect((await t.call('GET', '/api/v1/activation/audits/1/items?kind=odd', token)).statusCode).toBe(400);
    expect((await t.call('GET', '/api/v1/activation/audits/999999', token)).statusCode).toBe(404);
    // another process's audit, still beating: refused; once its heartbeat is stale, taken over
    const other = await sql<{ id: number }>`
      INSERT INTO act_audit (element_code, started_by) VALUES ('SIM2', 'elsewhere') RETURNING id`.execute(
      t.tdb.db,
    );
    const busy = await t.call('POST', '/api/v1/activation/elements/SIM2/audits', token, {});
    expect(busy.statusCode).toBe(409);
    expect(busy.json()).toMatchObject({ code: 'activation.audit_running' });
    await sql`UPDATE act_audit SET heartbeat_at = now() - interval '10 minutes' WHERE id = ${other.rows[0]!.id}`.execute(
      t.tdb.db,
    );
    expect((await audit('SIM2')).status).toBe('done');
    expect(
      (await t.call('GET', `/api/v1/activation/audits/${other.rows[0]!.id}`, token)).json(),
    ).toMatchObject({
      status: 'failed',
      error: 'interrupted: the process running it stopped',
    });
    const list = (await t.call('GET', '/api/v1/activation/audits?element=SIM2', token)).json() as AuditView[];
    expect(list[0]!.id).toBeGreaterThan(other.rows[0]!.id);
  });
});
