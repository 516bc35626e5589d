import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from '../../../test/app.js';
import { Sealer } from '../../platform/sealed.js';
import { createActivation } from './index.js';
import { SwitchSimulator } from './switch-sim/simulator.js';

describe('activation API (switch simulator)', () => {
  let t: TestApp;
  const sim = new SwitchSimulator({ name: 'SWH', user: 'op', password: 'pw' });
  let port = 0;
  beforeAll(async () => {
    [t, port] = await Promise.all([createTestApp(), sim.start()]);
  });
  afterAll(async () => {
    await t.app.activation.stop();
    await sim.stop();
    await t.close();
  });

  const element = () => ({
    kind: 'mml_switch',
    name: 'Test switch',
    host: '127.0.0.1',
    port,
    username: 'op',
    password: 'pw',
    ratePerSecond: 200,
    poolSize: 2,
    isDefault: true,
  });

  it('guards every route with a right: configuring elements is for administrators', async () => {
    for (const r of t.app.routes.filter((x) => x.url.startsWith('/api/v1/activation')))
      expect(r.right, `${r.method} ${r.url}`).toMatch(/^activation:(read|write|admin)$/);
    const switching = await t.login('switching');
    const enquiries = await t.login('enquiries');
    expect((await t.call('PUT', '/api/v1/activation/elements/SWH', switching, element())).statusCode).toBe(
      403,
    );
    expect((await t.call('GET', '/api/v1/activation/elements', enquiries)).statusCode).toBe(403);
    const admin = await t.login('admin');
    const put = await t.call('PUT', '/api/v1/activation/elements/SWH', admin, element());
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({
      code: 'SWH',
      kind: 'mml_switch',
      isDefault: true,
      ratePerSecond: 200,
    });
    expect(put.body).not.toContain('pw');
    // a change that leaves settings out keeps them: the throttle is not reset to unlimited
    const { ratePerSecond: _rate, poolSize: _pool, isDefault: _default, ...moved } = element();
    const again = await t.call('PUT', '/api/v1/activation/elements/SWH', admin, {
      ...moved,
      name: 'Renamed',
    });
    expect(again.json()).toMatchObject({ name: 'Renamed', ratePerSecond: 200, poolSize: 2, isDefault: true });
    const bad = await t.call('PUT', '/api/v1/activation/elements/swh', admin, element());
    expect(bad.statusCode).toBe(400);
  });

  it('queues orders, journals every command, answers status and meter on demand', async () => {
    const token = await t.login('switching');
    const bad = await t.call('POST', '/api/v1/activation/orders', token, {
      operation: 'fixed.explode',
      lineId: '338240001',
      params: {},
    });
    expect(bad.statusCode).toBe(400);
    // a value outside a list is answered with the list
    const all = await t.call('GET', '/api/v1/activation/orders?status=all', token);
    expect(all.statusCode).toBe(400);
    expect(all.json()).toMatchObject({
      field: 'status',
      detail: 'querystring field "status" must be one of pending, running, done, refused, cancelled',
    });
    const res = await t.call('POST', '/api/v1/activation/orders', token, {
      operation: 'fixed.activate',
      lineId: '338240001',
      params: { dn: '338240001', en: '04-01-001', services: ['CLIP', 'CW'], barring: 'INTL' },
    });
    expect(res.statusCode).toBe(202);
    const id = (res.json() as { id: number }).id;
    await t.app.activation.automaton.drain();
    const order = await t.call('GET', `/api/v1/activation/orders/${id}`, token);
    expect(order.json()).toMatchObject({ status: 'done', element: 'SWH', createdBy: 'switching' });
    expect((order.json() as { commands: { command: string }[] }).commands.map((c) => c.command)).toEqual([
      'DSP-LINE DN=338240001',
      'CRT-LINE DN=338240001,EN=04-01-001,CAT=RES,SERV=CLIP&CW,BAR=INTL',
    ]);
    const journal = await t.call('GET', '/api/v1/activation/lines/338240001/journal?limit=1', token);
    expect(journal.json()).toMatchObject({
      items: [{ lineId: '338240001', outcome: 'ok' }],
      nextCursor: expect.any(String),
    });
    const byElement = await t.call('GET', '/api/v1/activation/elements/SWH/journal', token);
    expect((byElement.json() as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(2);

    sim.lines.get('338240001')!.meter = 17;
    const care = await t.login('care'); // front office: reads the line for the customer on the phone
    const status = await t.call('GET', '/api/v1/activation/lines/338240001/status', care);
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({
      exists: true,
      status: 'idle',
      barring: 'INTL',
      services: ['CLIP', 'CW'],
      meter: 17,
    });
    const meter = await t.call('GET', '/api/v1/activation/lines/338240001/meter', care);
    expect(meter.json()).toEqual({ dn: '338240001', meter: 17 });
    expect((await t.call('GET', '/api/v1/activation/lines/338249999/status', care)).json()).toMatchObject({
      exists: false,
    });
    // "no such line" to a status read is the switch's answer, not a refusal: journaled ok, not counted
    await t.app.activation.journal.flush();
    const absent = await t.call('GET', '/api/v1/activation/lines/338249999/journal', token);
    expect((absent.json() as { items: unknown[] }).items).toEqual([
      expect.objectContaining({
        command: 'DSP-LINE DN=338249999',
        outcome: 'ok',
        reply: expect.stringContaining('DNUNK'),
      }),
    ]);
    expect(t.app.activation.manager.health().find((h) => h.code === 'SWH')!.refusals).toBe(0);
    // nor is it to a meter read: the line is missing there (404), the switch refused nothing
    const noMeter = await t.call('GET', '/api/v1/activation/lines/338249999/meter', care);
    expect(noMeter.statusCode).toBe(404);
    expect(noMeter.json()).toMatchObject({ code: 'activation.line_not_on_element' });
    expect(t.app.activation.manager.health().find((h) => h.code === 'SWH')!.refusals).toBe(0);
    // a SIM card that does not exist is answered at once, naming the field; no order is written
    const orders = async () =>
      (
        await t.tdb.db
          .selectFrom('act_order')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n;
    const placed = await orders();
    const noCard = await t.call('POST', '/api/v1/activation/orders', token, {
      operation: 'mobile.activate',
      lineId: '771234567',
      params: { iccid: '8922100000000099999', msisdn: '771234567' },
    });
    expect(noCard.statusCode, noCard.body).toBe(400);
    expect(noCard.json()).toMatchObject({ code: 'activation.order_invalid', field: 'params.iccid' });
    expect(noCard.json().detail).toContain('8922100000000099999');
    expect(await orders()).toBe(placed);
    expect(
      (
        await t.call('POST', '/api/v1/activation/orders', care, {
          operation: 'fixed.suspend',
          lineId: '1234',
          params: {},
        })
      ).statusCode,
    ).toBe(403);
    const elements = await t.call('GET', '/api/v1/activation/elements', token);
    expect(elements.json()).toEqual([
      expect.objectContaining({
        code: 'SWH',
        health: expect.objectContaining({ circuit: 'closed', commandsSent: expect.any(Number) }),
      }),
    ]);
  });

  it('a refused order keeps the element message and can be replayed once the cause is fixed', async () => {
    const token = await t.login('switching');
    const res = await t.call('POST', '/api/v1/activation/orders', token, {
      operation: 'fixed.services',
      lineId: '338240002',
      params: { dn: '338240002', add: ['CFU'] },
    });
    const id = (res.json() as { id: number }).id;
    await t.app.activation.automaton.drain();
    const refused = (await t.call('GET', `/api/v1/activation/orders/${id}`, token)).json() as Record<
      string,
      unknown
    >;
    expect(refused).toMatchObject({
      status: 'refused',
      errorCode: 'DNUNK',
      error: 'DNUNK no line with directory number 338240002',
    });
    const early = await t.call('POST', `/api/v1/activation/orders/${id}/replay`, token, {});
    expect(early.statusCode).toBe(202);
    await t.app.activation.automaton.drain();
    const again = (early.json() as { id: number }).id;
    expect((await t.call('GET', `/api/v1/activation/orders/${again}`, token)).json()).toMatchObject({
      status: 'refused',
      replayOf: id,
    });
    // switching creates the line, then replays
    await t.call('POST', '/api/v1/activation/orders', token, {
      operation: 'fixed.activate',
      lineId: '338240002',
      params: { dn: '338240002', en: '04-01-002' },
    });
    await t.app.activation.automaton.drain();
    // the first order was replayed already: its replay, refused too, is the one to replay now
    const stale = await t.call('POST', `/api/v1/activation/orders/${id}/replay`, token, {});
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({
      code: 'activation.already_replayed',
      details: { replayedBy: again },
    });
    expect((await t.call('GET', `/api/v1/activation/orders/${id}`, token)).json()).toMatchObject({
      replayedBy: again,
    });
    const replay = await t.call('POST', `/api/v1/activation/orders/${again}/replay`, token, {});
    expect(replay.statusCode).toBe(202);
    await t.app.activation.automaton.drain();
    const done = await t.call(
      'GET',
      `/api/v1/activation/orders/${(replay.json() as { id: number }).id}`,
      token,
    );
    expect(done.json()).toMatchObject({ status: 'done', result: { services: ['CFU'] } });
    const twice = await t.call(
      'POST',
      `/api/v1/activation/orders/${(replay.json() as { id: number }).id}/replay`,
      token,
      {},
    );
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ code: 'activation.not_replayable' });
  });

  it('a refused order switching will not pursue is set aside with its reason, and leaves the refusals to handle', async () => {
    const token = await t.login('switching');
    // an order on a line that does not exist: every replay would be refused again
    const res = await t.call('POST', '/api/v1/activation/orders', token, {
      operation: 'fixed.suspend',
      lineId: '338249997',
      params: { dn: '338249997' },
    });
    const id = (res.json() as { id: number }).id;
    await t.app.activation.automaton.drain();
    const toHandle = async () =>
      (
        (await t.call('GET', '/api/v1/activation/orders?toHandle=true&lineId=338249997', token)).json() as {
          items: { id: number }[];
        }
      ).items.map((o) => o.id);
    expect(await toHandle()).toEqual([id]);
    const care = await t.login('care');
    expect(
      (await t.call('POST', `/api/v1/activation/orders/${id}/dismiss`, care, { reason: 'x' })).statusCode,
    ).toBe(403);
    const blank = await t.call('POST', `/api/v1/activation/orders/${id}/dismiss`, token, { reason: '  ' });
    expect(blank.statusCode).toBe(400);
    expect(blank.json()).toMatchObject({ field: 'reason' });
    const set = await t.call('POST', `/api/v1/activation/orders/${id}/dismiss`, token, {
      reason: 'numéro inexistant, saisi par erreur',
    });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({
      status: 'refused',
      errorCode: 'DNUNK',
      dismissed: { by: 'switching', reason: 'numéro inexistant, saisi par erreur' },
    });
    expect(await toHandle()).toEqual([]);
    // a double click changes nothing; an order that is not refused is not set aside
    expect(
      (await t.call('POST', `/api/v1/activation/orders/${id}/dismiss`, token, { reason: 'again' })).json(),
    ).toMatchObject({ dismissed: { reason: 'numéro inexistant, saisi par erreur' } });
    const ok = await t.call('POST', '/api/v1/activation/orders', token, {
      operation: 'fixed.activate',
      lineId: '338249996',
      params: { dn: '338249996', en: '04-01-096' },
    });
    await t.app.activation.automaton.drain();
    const notRefused = await t.call(
      'POST',
      `/api/v1/activation/orders/${(ok.json() as { id: number }).id}/dismiss`,
      token,
      { reason: 'x' },
    );
    expect(notRefused.statusCode).toBe(409);
    expect(notRefused.json()).toMatchObject({ code: 'activation.not_dismissable' });
  });

  it("replays an element's refused orders together once it is put right, each once", async () => {
    const token = await t.login('switching');
    const lines = ['338240011', '338240012', '338240013'];
    const ids: number[] = [];
    for (const dn of lines) {
      const r = await t.call('POST', '/api/v1/activation/orders', token, {
        operation: 'fixed.services',
        lineId: dn,
        params: { dn, add: ['CW'] },
      });
      ids.push((r.json() as { id: number }).id);
    }
    await t.app.activation.automaton.drain();
    // the first one replayed on its own, refused again: its replay is what the bulk replay takes
    const first = await t.call('POST', `/api/v1/activation/orders/${ids[0]}/replay`, token, {});
    const firstReplay = (first.json() as { id: number }).id;
    await t.app.activation.automaton.drain();
    const waiting = await t.call('GET', '/api/v1/activation/orders?element=SWH&toHandle=true', token);
    const waitingIds = (waiting.json() as { items: { id: number }[] }).items.map((o) => o.id);
    expect(waitingIds).toEqual(expect.arrayContaining([firstReplay, ids[1], ids[2]]));
    expect(waitingIds).not.toContain(ids[0]);

    expect((await t.call('POST', '/api/v1/activation/orders/replay', token, {})).json()).toMatchObject({
      code: 'request.invalid',
      field: 'element',
    });
    expect(
      (await t.call('POST', '/api/v1/activation/orders/replay', token, { element: 'NOPE' })).statusCode,
    ).toBe(404);
    const care = await t.login('care');
    expect(
      (await t.call('POST', '/api/v1/activation/orders/replay', care, { element: 'SWH' })).statusCode,
    ).toBe(403);

    for (const dn of lines)
      await t.call('POST', '/api/v1/activation/orders', token, {
        operation: 'fixed.activate',
        lineId: dn,
        params: { dn, en: `04-02-${dn.slice(-3)}` },
      });
    await t.app.activation.automaton.drain();
    const toHandle = async () =>
      ((await t.call('GET', '/api/v1/activation/elements/SWH', token)).json() as { toHandle: number })
        .toHandle;
    expect(await toHandle()).toBe(waitingIds.length);
    const bulk = await t.call('POST', '/api/v1/activation/orders/replay', token, { element: 'SWH' });
    expect(bulk.statusCode).toBe(200);
    const report = bulk.json() as {
      replayed: { replayOf: number; id: number }[];
      more: boolean;
      inRequests: number;
    };
    const mine = report.replayed.filter((r) => [firstReplay, ids[1], ids[2]].includes(r.replayOf));
    expect(mine.map((r) => r.replayOf).sort()).toEqual([firstReplay, ids[1]!, ids[2]!].sort());
    expect(report.replayed.map((r) => r.replayOf)).not.toContain(ids[0]);
    expect(report).toMatchObject({ more: false, retried: [], left: [] });
    await t.app.activation.automaton.drain();
    for (const r of mine)
      expect((await t.call('GET', `/api/v1/activation/orders/${r.id}`, token)).json()).toMatchObject({
        status: 'done',
        replayOf: r.replayOf,
        createdBy: 'switching',
      });
    expect(await toHandle()).toBe(0);
    // nothing left to replay: a second call (a double click) replays nothing
    const again = await t.call('POST', '/api/v1/activation/orders/replay', token, { element: 'SWH' });
    expect(again.json()).toMatchObject({ replayed: [], more: false, left: [] });
    const events = await t.tdb.db
      .selectFrom('event')
      .select(['entity_id', 'payload'])
      .where('kind', '=', 'activation.order_replayed')
      .where(
        'entity_id',
        'in',
        mine.map((r) => String(r.id)),
      )
      .execute();
    expect(events).toHaveLength(3);
  });

  it('two replays of the same refused order at once (single or bulk) give one new order', async () => {
    const token = await t.login('switching');
    const refusedOrder = async (dn: string) => {
      const r = await t.call('POST', '/api/v1/activation/orders', token, {
        operation: 'fixed.services',
        lineId: dn,
        params: { dn, add: ['CW'] },
      });
      return (r.json() as { id: number }).id;
    };
    const a = await refusedOrder('338240021');
    const b = await refusedOrder('338240022');
    await t.app.activation.automaton.drain();
    const single = await Promise.all([
      t.call('POST', `/api/v1/activation/orders/${a}/replay`, token, {}),
      t.call('POST', `/api/v1/activation/orders/${a}/replay`, token, {}),
    ]);
    expect(single.map((r) => r.statusCode).sort()).toEqual([202, 409]);
    const bulk = await Promise.all([
      t.call('POST', '/api/v1/activation/orders/replay', token, { element: 'SWH' }),
      t.call('POST', '/api/v1/activation/orders/replay', token, { element: 'SWH' }),
      t.call('POST', `/api/v1/activation/orders/${b}/replay`, token, {}),
    ]);
    const replaysOfB = await t.tdb.db
      .selectFrom('act_order')
      .select('id')
      .where('replay_of', '=', b)
      .execute();
    expect(replaysOfB).toHaveLength(1);
    expect(bulk.every((r) => r.statusCode === 200 || r.statusCode === 202 || r.statusCode === 409)).toBe(
      true,
    );
    await t.app.activation.automaton.drain();
  });

  it("an element's settings changed without its password keep the password (a screen cannot send it back)", async () => {
    const admin = await t.login('admin');
    const { username: _u, password: _p, ...withoutLogin } = element();
    const put = await t.call('PUT', '/api/v1/activation/elements/SWH', admin, {
      ...withoutLogin,
      ratePerSecond: 300,
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ ratePerSecond: 300 });
    const row = await t.tdb.db
      .selectFrom('act_element')
      .select(['username', 'password', 'password_sealed'])
      .where('code', '=', 'SWH')
      .executeTakeFirstOrThrow();
    // sealed under the element's code, never in clear (migration 0781)
    expect(row).toMatchObject({ username: 'op', password: null });
    expect(row.password_sealed!.includes(Buffer.from('pw'))).toBe(false);
    expect(new Sealer(TEST_SECRET_KEY).open(row.password_sealed!, 'SWH')).toBe('pw');
    expect(new Sealer(TEST_SECRET_KEY).open(row.password_sealed!, 'OTHER')).toBeNull();
    // the reloaded element still logs in
    const care = await t.login('care');
    const status = await t.call('GET', '/api/v1/activation/lines/338240001/status', care);
    expect(status.statusCode, status.body).toBe(200);
    // null clears the password (new connections then log in without one); given again, it is stored
    await t.call('PUT', '/api/v1/activation/elements/SWH', admin, { ...element(), password: null });
    const cleared = await t.tdb.db
      .selectFrom('act_element')
      .select(['password', 'password_sealed'])
      .where('code', '=', 'SWH')
      .executeTakeFirstOrThrow();
    expect(cleared).toEqual({ password: null, password_sealed: null });
    expect((await t.call('PUT', '/api/v1/activation/elements/SWH', admin, element())).statusCode).toBe(200);
    expect((await t.call('GET', '/api/v1/activation/lines/338240001/status', care)).statusCode).toBe(200);
  });

  it('a password an earlier version stored in clear is sealed at the next load; without the key none is stored', async () => {
    await t.tdb.db
      .updateTable('act_element')
      .set({ password: 'pw', password_sealed: null })
      .where('code', '=', 'SWH')
      .execute();
    await t.app.activation.service.loadElements();
    const row = await t.tdb.db
      .selectFrom('act_element')
      .select(['password', 'password_sealed'])
      .where('code', '=', 'SWH')
      .executeTakeFirstOrThrow();
    expect(row.password).toBeNull();
    expect(new Sealer(TEST_SECRET_KEY).open(row.password_sealed!, 'SWH')).toBe('pw');
    // a new connection logs in with the opened password (the probe's own connection)
    await expect(t.app.activation.manager.probe('SWH')).resolves.toMatchObject({ ms: expect.any(Number) });
    // a process without GPTO_SECRET_KEY cannot store one, and says why
    const keyless = createActivation(t.tdb.db, { keys: () => Promise.reject(new Error('no keys')) });
    await expect(
      keyless.service.upsertElement({ ...element(), code: 'SWK', kind: 'mml_switch' } as never, {
        userId: null,
        username: 'test',
      }),
    ).rejects.toMatchObject({ code: 'activation.secret_key', field: 'password' });
    keyless.manager.close();
  });

  it("an element's outages: from the journal, newest first; an unknown element is 404", async () => {
    const token = await t.login('switching');
    // what an automaton's circuit breaker journals when the element goes and comes back
    await t.tdb.db
      .insertInto('event')
      .values([
        {
          entity_type: 'network_element',
          entity_id: 'SWH',
          kind: 'activation.element_unreachable',
          actor: 'activation_automaton',
          payload: JSON.stringify({ error: 'connect ECONNREFUSED', seenBy: 'node1:42' }),
        },
        {
          entity_type: 'network_element',
          entity_id: 'SWH',
          kind: 'activation.element_back',
          actor: 'activation_automaton',
          payload: JSON.stringify({
            unreachableSince: '2026-11-27T02:10:00.000Z',
            downMs: 2100000,
            seenBy: 'node1:42',
          }),
        },
      ])
      .execute();
    const res = await t.call('GET', '/api/v1/activation/elements/SWH/outages', token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      expect.objectContaining({ error: 'connect ECONNREFUSED', durationMs: 2100000, seenBy: 'node1:42' }),
    ]);
    expect((await t.call('GET', '/api/v1/activation/elements/SWH', token)).json()).toMatchObject({
      lastOutage: { error: 'connect ECONNREFUSED', durationMs: 2100000 },
    });
    expect((await t.call('GET', '/api/v1/activation/elements/NOPE/outages', token)).statusCode).toBe(404);
  });

  it('switching tests the connection to an element: answers, or not and why; unknown 404, disabled 409', async () => {
    const switching = await t.login('switching');
    const ok = await t.call('POST', '/api/v1/activation/elements/SWH/probe', switching);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ code: 'SWH', reachable: true, ms: expect.any(Number), error: null });
    await sim.stop();
    try {
      const down = await t.call('POST', '/api/v1/activation/elements/SWH/probe', switching);
      expect(down.statusCode).toBe(200);
      expect(down.json()).toMatchObject({
        reachable: false,
        ms: null,
        error: expect.stringMatching(/ECONNREFUSED/),
      });
    } finally {
      await sim.start(port);
    }
    expect((await t.call('POST', '/api/v1/activation/elements/NOPE/probe', switching)).statusCode).toBe(404);
    expect(
      (await t.call('POST', '/api/v1/activation/elements/SWH/probe', await t.login('enquiries'))).statusCode,
    ).toBe(403);
    const admin = await t.login('admin');
    const off = { kind: 'mml_switch', name: 'Off', host: '127.0.0.1', port, enabled: false };
    expect((await t.call('PUT', '/api/v1/activation/elements/SWOFF', admin, off)).statusCode).toBe(200);
    const disabled = await t.call('POST', '/api/v1/activation/elements/SWOFF/probe', switching);
    expect(disabled.statusCode).toBe(409);
    expect(disabled.json()).toMatchObject({ code: 'activation.element_disabled' });
  });

  it('an element that is down answers on-demand queries with 503 instead of hanging', async () => {
    const care = await t.login('care');
    await sim.stop();
    try {
      const res = await t.call('GET', '/api/v1/activation/lines/338240001/status', care);
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'activation.element_unavailable' });
    } finally {
      await sim.start(port);
    }
  });
});
