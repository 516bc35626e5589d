import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { iccidOf, simFile } from './test-fixtures.js';

describe('inventory over HTTP', () => {
  let t: TestApp;
  let admin: string;
  let network: string;
  let care: string;
  let supervisor: string;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.login('admin');
    network = await t.login('network');
    care = await t.login('care');
    supervisor = await t.login('supervisor');
  });
  afterAll(async () => t?.close());

  const P = '/api/v1/inventory';

  it('imports the plant from CSV idempotently and all-or-nothing, with a report of rejected rows', async () => {
    const sites = 'code;name;locality;district\nDKR;Dakar Plateau;Dakar;Plateau\nTHS;Thiès;Thiès;';
    const first = await t.call('POST', `${P}/import/sites`, network, { csv: sites });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ rows: 2, created: 2, updated: 0, rejected: [] });
    const again = await t.call('POST', `${P}/import/sites`, network, { csv: sites });
    expect(again.json()).toMatchObject({ created: 0, updated: 2 });

    const bad =
      'code,site,name,locality,district\nSR1,DKR,SR Plateau,Dakar,Plateau\nSR2,NOPE,SR ailleurs,Dakar,\n,DKR,,Dakar,';
    const res = await t.call('POST', `${P}/import/sdfs`, network, { csv: bad });
    expect(res.statusCode).toBe(422);
    const report = res.json().details.report;
    expect(report.rejected.map((r: { line: number }) => r.line)).toEqual([3, 4]);
    expect(report.rejected[1].reasons).toEqual(['code: required', 'name: required']);
    expect(report.rejected[0].reasons[0]).toMatch(/^site: site NOPE does not exist/);
    const sdfs = await t.call('GET', `${P}/export/sdfs`, network);
    expect(sdfs.headers['content-type']).toMatch(/text\/csv/);
    expect(sdfs.body.trim()).toBe('code,site,name,locality,district');

    const steps: [string, string][] = [
      ['sdfs', 'code,site,name,locality,district\nSR1,DKR,SR Plateau,Dakar,Plateau'],
      ['cps', 'code,sdf,name,locality,district,street\nPC1,SR1,PC Carnot,Dakar,Plateau,Rue Carnot'],
      ['mdfs', 'code,site,name\nDKR-MDF,DKR,Répartiteur'],
      ['switches', 'code,site,name,model\nDKR-SW1,DKR,Commutateur,E10'],
      ['ports', 'switch,mdf,shelf,card,ports\nDKR-SW1,DKR-MDF,1,1,8'],
      ['cables', 'code,kind,mdf,sdf,cp,pairs\nP1,primary,DKR-MDF,SR1,,8\nD1,distribution,,SR1,PC1,2'],
      ['serving_areas', 'locality,district,street,cp,base_station\nDakar,Plateau,,PC1,'],
      ['shops', 'code,name,locality\nSHOP1,Agence Plateau,Dakar'],
    ];
    for (const [type, csv] of steps) {
      const r = await t.call('POST', `${P}/import/${type}`, network, { csv });
      expect(r.statusCode, `${type}: ${r.body}`).toBe(200);
    }
    const cable = (await t.call('GET', `${P}/cables/D1`, network)).json();
    expect(cable.pairs).toHaveLength(2);
    expect(cable.pairs[0]).toMatchObject({
      status: 'free',
      administrativeState: 'unlocked',
      operationalState: 'enable',
      usageState: 'idle',
    });
    const exported = await t.call('GET', `${P}/export/cables`, network);
    expect(exported.body).toContain('D1,distribution,,SR1,PC1,2');
  });

  it('studies a fixed line, holds it when saturated and shows it in the pending view', async () => {
    let r = await t.call('POST', `${P}/number-pools`, network, {
      code: 'FIXE-DKR',
      product: 'FIXE',
      site: 'DKR',
    });
    expect(r.statusCode).toBe(201);
    r = await t.call('POST', `${P}/number-pools/FIXE-DKR/ranges`, network, {
      first: '338210100',
      last: '338210199',
    });
    expect(r.json()).toEqual({ added: 100 });
    const choose = (await t.call('GET', `${P}/numbers/available?product=FIXE&contains=1015`, care)).json();
    expect(choose.map((x: { number: string }) => x.number)).toEqual(
      Array.from({ length: 10 }, (_, i) => `33821015${i}`),
    );
    const address = { street: 'Rue Carnot', district: 'Plateau', locality: 'Dakar' };
    const a = await t.call('POST', `${P}/studies`, care, {
      requestRef: 'SR-1',
      kind: 'fixed_wired',
      product: 'FIXE',
      address,
      preferredNumber: '338210150',
    });
    expect(a.json()).toMatchObject({
      feasible: true,
      reservation: { directoryNumber: '338210150', chain: { cp: 'PC1' } },
    });
    await t.call('POST', `${P}/studies`, care, {
      requestRef: 'SR-2',
      kind: 'fixed_wired',
      product: 'FIXE',
      address,
    });
    const held = await t.call('POST', `${P}/studies`, care, {
      requestRef: 'SR-3',
      kind: 'fixed_wired',
      product: 'FIXE',
      address,
      holdIfNotFeasible: true,
    });
    expect(held.json()).toMatchObject({
      feasible: false,
      cause: 'saturation',
      elementType: 'cp',
      elementCode: 'PC1',
      held: true,
    });
    const pending = (await t.call('GET', `${P}/pending?cause=saturation`, network)).json();
    expect(pending).toMatchObject([{ requestRef: 'SR-3', zone: 'dakar/plateau', ageDays: 0 }]);
    const code = a.json().reservation.code;
    const line = await t.call('POST', `${P}/reservations/${code}/commit`, network);
    expect(line.statusCode).toBe(200);
    const file = (await t.call('GET', `${P}/lines/338210150`, care)).json();
    expect(file.chain).toMatchObject({ cp: 'PC1', sdf: 'SR1', mdf: 'DKR-MDF', switch: 'DKR-SW1' });
    expect(file.chain.equipmentNumber).toMatch(/^DKR-SW1-01-01-/);
    // more pairs at the saturated point: the held request is reserved at once
    await t.call('POST', `${P}/import/cables`, network, {
      csv: 'code,kind,mdf,sdf,cp,pairs\nD1,distribution,,SR1,PC1,3',
    });
    expect((await t.call('GET', `${P}/pending`, network)).json()).toEqual([]);
    expect(
      (
        await t.call(
          'GET',
          `${P}/reservations/${(await t.call('POST', `${P}/studies`, care, { requestRef: 'SR-3', kind: 'fixed_wired', product: 'FIXE', address })).json().reservation.code}`,
          network,
        )
      ).json().requestRef,
    ).toBe('SR-3');
  });

  it('imports SIM batches with sealed secrets, allocates them and discloses a PUK only with the right', async () => {
    const imp = await t.call('POST', `${P}/sims/batches`, network, {
      batch: 'B2026-01',
      manufacturer: 'Gemalto',
      csv: simFile(5),
    });
    expect(imp.statusCode).toBe(201);
    expect(imp.json()).toMatchObject({ created: 5, rejected: [] });
    const again = await t.call('POST', `${P}/sims/batches`, network, {
      batch: 'B2026-01',
      manufacturer: 'Gemalto',
      csv: simFile(5),
    });
    expect(again.json()).toMatchObject({ created: 0, unchanged: 5 });
    const broken = simFile(2, 10).replace(/;10000010;/, ';12;');
    const bad = await t.call('POST', `${P}/sims/batches`, network, {
      batch: 'B2',
      manufacturer: 'Gemalto',
      csv: broken,
    });
    expect(bad.statusCode).toBe(422);
    expect(JSON.stringify(bad.json())).not.toMatch(/[0-9A-F]{32}/);
    expect(bad.json().details.report.rejected).toEqual([
      { line: 2, key: iccidOf(10), reasons: ['puk1: not in the expected format'] },
    ]);
    const raw = await t.tdb.db.selectFrom('inv_sim').select('secrets').executeTakeFirstOrThrow();
    expect(raw.secrets.toString('latin1')).not.toContain('10000000');

    expect((await t.call('POST', `${P}/sims/allocate`, network, { shop: 'SHOP1', count: 3 })).json()).toEqual(
      { allocated: 3 },
    );
    const pool = await t.call('POST', `${P}/number-pools`, network, {
      code: 'MOB',
      product: 'MOBILE-PREP',
      quarantineDays: 30,
    });
    expect(pool.statusCode).toBe(201);
    await t.call('POST', `${P}/number-pools/MOB/ranges`, network, { first: '771000000', last: '771000009' });
    const s = (
      await t.call('POST', `${P}/studies`, care, {
        requestRef: 'M-1',
        kind: 'mobile',
        product: 'MOBILE-PREP',
        shop: 'SHOP1',
      })
    ).json();
    expect(s.feasible).toBe(true);
    const iccid = s.reservation.chain.sim.iccid;
    await t.call('POST', `${P}/reservations/${s.reservation.code}/commit`, network);
    expect((await t.call('GET', `${P}/sims/${iccid}`, care)).json()).toMatchObject({
      status: 'active',
      directoryNumber: s.reservation.directoryNumber,
    });

    expect((await t.call('POST', `${P}/sims/${iccid}/puk`, care)).statusCode).toBe(403);
    const puk = await t.call('POST', `${P}/sims/${iccid}/puk`, supervisor);
    expect(puk.statusCode).toBe(200);
    expect(puk.json().puk1).toMatch(/^1000000\d$/);
    const ev = await t.tdb.db
      .selectFrom('event')
      .select(['kind', 'user_id', 'payload'])
      .where('entity_id', '=', iccid)
      .where('kind', '=', 'sim.puk_disclosed')
      .execute();
    expect(ev).toHaveLength(1);
    expect(JSON.stringify(ev[0]?.payload)).not.toContain(puk.json().puk1);

    // replacement keeps the number on a new card from stock
    const spare = iccidOf(4);
    await t.call('POST', `${P}/sims/allocate`, network, { shop: 'SHOP1', iccids: [spare] });
    const rep = await t.call('POST', `${P}/sims/${iccid}/replace`, network, {
      newIccid: spare,
      reason: 'carte abîmée',
    });
    expect(rep.json()).toMatchObject({
      iccid: spare,
      status: 'active',
      directoryNumber: s.reservation.directoryNumber,
    });
    expect((await t.call('GET', `${P}/sims/${iccid}`, care)).json().status).toBe('replaced');
    const destroy = await t.call('POST', `${P}/sims/${iccid}/actions`, network, { action: 'destroy' });
    expect(destroy.json().status).toBe('destroyed');
    const again2 = await t.call('POST', `${P}/sims/${iccid}/actions`, network, { action: 'restore' });
    expect(again2.statusCode).toBe(409);
  });

  it('guards routes by right and validates input', async () => {
    const enquiries = await t.login('enquiries');
    expect((await t.call('GET', `${P}/sites`, enquiries)).statusCode).toBe(403);
    expect(
      (await t.call('POST', `${P}/sites`, care, { code: 'X', name: 'x', locality: 'x' })).statusCode,
    ).toBe(403);
    const dup = await t.call('POST', `${P}/sites`, admin, { code: 'DKR', name: 'x', locality: 'x' });
    expect(dup.statusCode).toBe(409);
    const badCable = await t.call('POST', `${P}/cables`, admin, {
      code: 'X1',
      kind: 'distribution',
      sdf: 'SR1',
      pairs: 2,
    });
    expect(badCable.json()).toMatchObject({ status: 400, field: 'cp' });
    const shrink = await t.call('POST', `${P}/cables`, admin, {
      code: 'D1',
      kind: 'distribution',
      sdf: 'SR1',
      cp: 'PC1',
      pairs: 1,
    });
    expect(shrink.statusCode).toBe(409);
    const bad = await t.call('PATCH', `${P}/pairs/1/status`, network, { status: 'reserved' });
    expect(bad.statusCode).toBe(409);
  });
});
