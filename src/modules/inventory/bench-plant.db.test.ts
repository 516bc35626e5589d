import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { equipLinesReport, radioEquipmentNumber, type BenchLine } from '../../../bench/assistance-plant.js';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { generateCustomers } from '../../demo/generate.js';
import { SYSTEM } from '../../platform/events.js';
import { EN_PATTERN } from '../activation/switch-sim/protocol.js';

// The assistance benchmark's plant (bench/assistance-plant.ts): the generated demo's fixed lines
// get the technical file a real study + reservation + set-up leaves, so the benchmarked line
// consultation reads one. Held here to what the inventory's own readers and the consultation show.
describe('benchmark plant for the line consultation', () => {
  let t: TestApp;
  let lines: BenchLine[];
  let first: Awaited<ReturnType<typeof equipLinesReport>>;
  const count = async (table: string) =>
    Number((await t.tdb.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);
  const TABLES = [
    'inv_site',
    'inv_switch',
    'inv_mdf',
    'inv_mdf_position',
    'inv_port',
    'inv_sdf',
    'inv_cp',
    'inv_cable',
    'inv_pair',
    'inv_base_station',
    'inv_serving_area',
    'inv_number',
    'inv_reservation',
    'inv_line',
    'inv_line_history',
    'inv_cross_connect',
    'inv_resource_history',
    'event',
  ];

  beforeAll(async () => {
    t = await createTestApp();
    await generateCustomers(t.tdb.pool, 120, () => undefined, { batchSize: 120, concurrency: 1 });
    const rows = await t.tdb.pool.query<{ dn: string; kind: BenchLine['kind'] }>(
      `SELECT s.directory_number AS dn, p.kind FROM subscription s
       JOIN product_version pv ON pv.id = s.product_version_id JOIN product p ON p.id = pv.product_id
       WHERE p.kind IN ('fixed_wired', 'fixed_radio') AND s.status <> 'terminated' ORDER BY s.directory_number`,
    );
    lines = rows.rows;
    first = await equipLinesReport(t.tdb.pool, [...lines, { dn: '339999999', kind: 'fixed_wired' }]);
  }, 60_000);
  afterAll(async () => t?.close());

  it('has wired and radio lines to equip', () => {
    expect(lines.filter((l) => l.kind === 'fixed_wired').length).toBeGreaterThan(10);
    expect(lines.filter((l) => l.kind === 'fixed_radio').length).toBeGreaterThan(0);
    expect(first.built).toBe(lines.length);
    expect(first.missing).toEqual(['339999999']);
    expect([...first.equipment.keys()].sort()).toEqual(lines.map((l) => l.dn).sort());
  });

  it('gives every line a live technical file with its whole chain, as the inventory reads it', async () => {
    const ports = new Set<string>();
    const pairs = new Set<number>();
    for (const l of lines) {
      const tf = await t.app.inventory.service.line(l.dn);
      const en = first.equipment.get(l.dn);
      expect(tf.status).toBe('active');
      expect(tf.kind).toBe(l.kind);
      expect(tf.history.map((h) => h.change)).toEqual(['built']);
      expect(en).toMatch(EN_PATTERN);
      const c = tf.chain;
      expect(c.site).toMatch(/^BENCHP-/);
      if (l.kind === 'fixed_wired') {
        expect(c.equipmentNumber).toBe(en);
        for (const v of [c.switch, c.mdf, c.mdfHorizontal, c.mdfVertical, c.sdf, c.cp])
          expect(v).toMatch(/^[HV]?BENCHP-/);
        expect(c.primaryPair?.cable).toMatch(/^BENCHP-.*-P$/);
        expect(c.distributionPair?.cable).toBe(`${c.cp}-D`);
        expect(c.baseStation).toBeNull();
        ports.add(c.equipmentNumber ?? '');
        pairs.add(c.primaryPair?.id ?? 0).add(c.distributionPair?.id ?? 0);
      } else {
        expect(c.baseStation).toMatch(/^BENCHP-B1R\d\d$/);
        expect(en).toBe(radioEquipmentNumber(c.baseStation ?? '', l.dn));
        expect(c.equipmentNumber).toBeNull();
        expect(c.primaryPair).toBeNull();
      }
    }
    const wired = lines.filter((l) => l.kind === 'fixed_wired').length;
    expect(ports.size).toBe(wired);
    expect(pairs.size).toBe(2 * wired);
  });

  it('leaves the rows a study, its reservation and the set-up leave', async () => {
    const q = async (text: string) => (await t.tdb.pool.query(text)).rows[0] as Record<string, string>;
    const wired = lines.filter((l) => l.kind === 'fixed_wired').length;
    const radio = lines.length - wired;
    const r = await q(`
      SELECT (SELECT count(*) FROM inv_line l JOIN inv_reservation r ON r.id = l.reservation_id
              WHERE l.status = 'active' AND r.status = 'committed' AND r.directory_number = l.directory_number) AS lines,
        (SELECT count(*) FROM inv_port WHERE status = 'in_service') AS ports_used,
        (SELECT count(*) FROM inv_pair WHERE status = 'in_service') AS pairs_used,
        (SELECT count(*) FROM inv_pair p WHERE status = 'free'
           AND EXISTS (SELECT 1 FROM inv_pair_free f WHERE f.pair_id = p.id)) AS pairs_free_listed,
        (SELECT count(*) FROM inv_pair WHERE status = 'free') AS pairs_free,
        (SELECT count(*) FROM inv_cross_connect WHERE status = 'active') AS jumpers,
        (SELECT count(*) FROM inv_number WHERE status = 'assigned') AS numbers,
        (SELECT sum(used) FROM inv_base_station) AS radio_used,
        (SELECT count(*) FROM inv_resource_history) AS history,
        (SELECT count(*) FROM event WHERE kind = 'line.built') AS built_events,
        (SELECT count(*) FROM subscription s JOIN inv_line l ON l.directory_number = s.directory_number
           AND l.status = 'active' JOIN inv_port p ON p.id = l.port_id
           WHERE s.equipment_number = p.equipment_number AND s.plant_ref->>'equipmentNumber' = p.equipment_number
             AND s.plant_ref->>'reservation' IS NOT NULL) AS subs_wired,
        (SELECT count(*) FROM subscription s JOIN inv_line l ON l.directory_number = s.directory_number
           AND l.status = 'active' JOIN inv_base_station b ON b.id = l.base_station_id
           WHERE s.plant_ref->>'baseStation' = b.code) AS subs_radio,
        (SELECT count(*) FROM event WHERE kind = 'subscription.technical_changed') AS tech_events`);
    expect(Number(r.lines)).toBe(lines.length);
    expect(Number(r.ports_used)).toBe(wired);
    expect(Number(r.pairs_used)).toBe(2 * wired);
    expect(Number(r.pairs_free)).toBeGreaterThan(0);
    expect(Number(r.pairs_free_listed)).toBe(Number(r.pairs_free));
    expect(Number(r.jumpers)).toBe(2 * wired);
    expect(Number(r.numbers)).toBe(lines.length);
    expect(Number(r.radio_used)).toBe(radio);
    // inv_reserve: pairs, port, number → reserved; commitInTrx: → in service / assigned
    expect(Number(r.history)).toBe(8 * wired + 2 * radio);
    expect(Number(r.built_events)).toBe(lines.length);
    expect(Number(r.subs_wired)).toBe(wired);
    expect(Number(r.subs_radio)).toBe(radio);
    expect(Number(r.tech_events)).toBe(lines.length);
  });

  it('shows the technical file in the line consultation', async () => {
    const care = await t.login('care');
    const wired = lines.find((l) => l.kind === 'fixed_wired');
    const radio = lines.find((l) => l.kind === 'fixed_radio');
    for (const l of [wired, radio]) {
      if (!l) continue;
      const tf = await t.app.inventory.service.line(l.dn);
      const res = await t.call('GET', `/api/v1/lines/${l.dn}`, care);
      expect(res.statusCode).toBe(200);
      const v = res.json();
      expect(v.technicalFile).toMatchObject({ status: 'active', kind: l.kind, chain: tf.chain });
    }
  });

  it('is idempotent: a second call builds nothing and answers the same equipment numbers', async () => {
    const before = await Promise.all(TABLES.map(count));
    const again = await equipLinesReport(t.tdb.pool, lines);
    expect(again.built).toBe(0);
    expect(again.reused).toBe(lines.length);
    expect(again.batch).toBeNull();
    expect(again.equipment).toEqual(first.equipment);
    expect(await Promise.all(TABLES.map(count))).toEqual(before);
  });

  it('is real plant: a new study at a bench line’s address takes a spare pair of its concentration point', async () => {
    const l = lines.find((x) => x.kind === 'fixed_wired');
    if (!l) throw new Error('no wired line');
    const tf = await t.app.inventory.service.line(l.dn);
    const address = tf.address as { locality: string; district?: string | null };
    const pools = await t.tdb.pool.query(
      `INSERT INTO inv_number_pool (code, product_code) VALUES ('T-FIXE', 'FIXE') RETURNING id`,
    );
    await t.tdb.pool.query(`INSERT INTO inv_number (number, pool_id) VALUES ('338000001', $1)`, [
      pools.rows[0].id,
    ]);
    const out = await t.app.inventory.service.study(
      {
        requestRef: 'T-BENCHP-1',
        kind: 'fixed_wired',
        product: 'FIXE',
        address: { locality: address.locality, district: address.district ?? null },
      },
      SYSTEM,
    );
    expect(out.feasible).toBe(true);
    if (!out.feasible) return;
    expect(out.reservation.chain.cp).toMatch(/^BENCHP-B1-/);
    expect(out.reservation.chain.sdf).toBe(out.reservation.chain.cp?.replace(/-\d{3}$/, ''));
    expect(out.reservation.chain.equipmentNumber).toMatch(/^BENCHP-B1S\d\d-/);
  });
});
