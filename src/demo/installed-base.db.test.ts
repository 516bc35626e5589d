import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { bootstrap } from '../platform/bootstrap.js';
import { SYSTEM } from '../platform/events.js';
import { createInventory } from '../modules/inventory/index.js';
import { generateCustomers } from './generate.js';
import { loadDemoInstalledBase, type InstalledBaseProgress } from './installed-base.js';
import { loadDemoPlant } from './plant.js';
import { loadReferenceData } from './reference-data.js';

/** Everything the installed base writes, counted: a second run must leave each count as it was. */
const FOOTPRINT = `SELECT (SELECT count(*) FROM inv_line)::int AS lines, (SELECT count(*) FROM inv_port)::int AS ports,
  (SELECT count(*) FROM inv_sim)::int AS sims, (SELECT count(*) FROM inv_base_station)::int AS stations,
  (SELECT sum(used) FROM inv_base_station)::int AS used, (SELECT count(*) FROM inv_mdf_position)::int AS positions`;

describe('demo installed base', () => {
  let tdb: TestDb;
  const key = randomBytes(32);
  const q = async (text: string) => (await tdb.pool.query<{ n: number }>(text)).rows[0]?.n;
  let first: InstalledBaseProgress;
  const seen: InstalledBaseProgress[] = [];
  let pairsBefore: unknown[];
  let freePortsBefore: number | undefined;

  beforeAll(async () => {
    tdb = await createTestDb();
    await bootstrap(tdb.db, 'admin-password-1');
    await loadReferenceData(tdb.db, 'demo-password-1');
    // 1,500 customers: ~2,800 subscriptions, so the generator's first ICCIDs meet the SIM stock's
    await generateCustomers(tdb.pool, 1_500, () => undefined, { batchSize: 500 });
    await loadDemoPlant(tdb.db, key);
    pairsBefore = (await tdb.pool.query('SELECT id, status FROM inv_pair ORDER BY id')).rows;
    freePortsBefore = await q('SELECT count(*)::int AS n FROM inv_port_free');
    first = await loadDemoInstalledBase(tdb.db, key, (p) => seen.push(p), { batchSize: 700 });
  }, 120_000);
  afterAll(async () => tdb?.close());

  it('reports its progress batch by batch up to every live line', async () => {
    const live = await q(`SELECT count(*)::int AS n FROM subscription WHERE status <> 'terminated'`);
    expect(first.total).toBe(live);
    expect(first.linked).toBe(live);
    expect(first.fixedWired + first.fixedRadio + first.mobile).toBe(live);
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.at(-1)).toEqual(first);
  });

  it('puts every live wired line on its own in-service port, out of the free list', async () => {
    const fixed = `FROM subscription s JOIN product_version pv ON pv.id = s.product_version_id
      JOIN product p ON p.id = pv.product_id WHERE p.kind = 'fixed_wired' AND s.status <> 'terminated'`;
    expect(await q(`SELECT count(*)::int AS n ${fixed}`)).toBeGreaterThan(300);
    expect(
      await q(`SELECT count(*)::int AS n ${fixed} AND NOT EXISTS (
        SELECT 1 FROM inv_line l JOIN inv_port pt ON pt.id = l.port_id
        WHERE l.directory_number = s.directory_number AND l.status = 'active' AND l.kind = 'fixed_wired'
          AND pt.status = 'in_service' AND pt.equipment_number = s.equipment_number AND pt.mdf_position_id IS NOT NULL
          AND l.primary_pair_id IS NULL AND l.distribution_pair_id IS NULL)`),
    ).toBe(0);
    expect(
      await q(
        `SELECT (count(*) - count(DISTINCT port_id))::int AS n FROM inv_line WHERE port_id IS NOT NULL`,
      ),
    ).toBe(0);
    expect(
      await q(`SELECT count(*)::int AS n FROM inv_port_free f JOIN inv_port p ON p.id = f.port_id
        WHERE p.status <> 'free'`),
    ).toBe(0);
    // the demo's own cards stay free for the counter's new lines; Thiès customers are on THS-E10
    expect(await q('SELECT count(*)::int AS n FROM inv_port_free')).toBe(freePortsBefore);
    const ths = await tdb.pool.query<{ locality: string; switch: string }>(
      `SELECT DISTINCT c.address->>'locality' AS locality, sw.code AS switch FROM inv_line l
       JOIN inv_port p ON p.id = l.port_id JOIN inv_switch sw ON sw.id = p.switch_id
       JOIN subscription s ON s.directory_number = l.directory_number AND s.status <> 'terminated'
       JOIN customer c ON c.id = s.customer_id WHERE sw.code = 'THS-E10' OR c.address->>'locality' = 'Thiès'`,
    );
    expect(ths.rows).toEqual([{ locality: 'Thiès', switch: 'THS-E10' }]);
  });

  it('puts every live radio line on a base station that counts it, within capacity', async () => {
    const radio = await q(`SELECT count(*)::int AS n FROM subscription s
      JOIN product_version pv ON pv.id = s.product_version_id JOIN product p ON p.id = pv.product_id
      WHERE p.kind = 'fixed_radio' AND s.status <> 'terminated'`);
    expect(radio).toBeGreaterThan(50);
    expect(
      await q(`SELECT count(*)::int AS n FROM inv_line l JOIN inv_base_station b ON b.id = l.base_station_id
        WHERE l.kind = 'fixed_radio' AND l.status = 'active' AND l.port_id IS NULL`),
    ).toBe(radio);
    expect(
      await q(`SELECT count(*)::int AS n FROM inv_base_station b
        WHERE b.used > b.capacity OR b.used <> (SELECT count(*) FROM inv_line l
          WHERE l.base_station_id = b.id AND l.status = 'active')`),
    ).toBe(0);
    // the counter's radio cell keeps its capacity
    expect(await q(`SELECT used AS n FROM inv_base_station WHERE code = 'BTS-RUF-01'`)).toBe(0);
  });

  it('gives every live mobile line its card: status, number, IMSI and keys the inventory can open', async () => {
    const rows = (
      await tdb.pool.query<{
        sub_status: string;
        sim_status: string | null;
        iccid: string;
        imsi: string | null;
      }>(
        `SELECT s.status AS sub_status, x.status AS sim_status, s.sim_iccid AS iccid, x.imsi
         FROM subscription s JOIN product_version pv ON pv.id = s.product_version_id
         JOIN product p ON p.id = pv.product_id
         LEFT JOIN inv_sim x ON x.iccid = s.sim_iccid AND x.directory_number = s.directory_number
         LEFT JOIN inv_line l ON l.sim_id = x.id AND l.status = 'active' AND l.kind = 'mobile'
           AND l.directory_number = s.directory_number
         WHERE p.kind LIKE 'mobile%' AND s.status <> 'terminated'`,
      )
    ).rows;
    expect(rows.length).toBeGreaterThan(1000);
    expect(rows.filter((r) => r.sim_status !== r.sub_status)).toEqual([]);
    expect(new Set(rows.map((r) => r.imsi)).size).toBe(rows.length);
    expect(rows.filter((r) => !/^60801200[0-9]{7}$/.test(r.imsi ?? ''))).toEqual([]);
    const inv = createInventory(tdb.db, key);
    const keys = await inv.sims.authKeysMany(
      rows.map((r) => r.iccid),
      SYSTEM,
    );
    expect(keys.size).toBe(rows.length);
    for (const r of rows) expect(keys.get(r.iccid)).toMatchObject({ imsi: r.imsi, ki: /^[0-9A-F]{32}$/ });
    const puk = await inv.sims.disclosePuk(rows[0]!.iccid, SYSTEM);
    expect(puk.puk1).toMatch(/^[0-9]{8}$/);
  });

  it('leaves the stock cards whose ICCID the generator reused, giving those lines cards of their own', async () => {
    // the generator's ICCIDs 8922101 00 <seq> meet the stock's 892210100 <i> <Luhn> for seq < 3,000
    expect(
      await q(`SELECT count(*)::int AS n FROM subscription WHERE sim_iccid LIKE '8922102%'`),
    ).toBeGreaterThan(0);
    expect(
      await q(`SELECT count(*)::int AS n FROM inv_sim x JOIN inv_sim_batch b ON b.id = x.batch_id
        WHERE b.code = 'DEMO-2026-01' AND (x.status NOT IN ('in_stock', 'allocated') OR x.directory_number IS NOT NULL)`),
    ).toBe(0);
    expect(await q(`SELECT count(*)::int AS n FROM inv_sim WHERE imsi LIKE '60801100%'`)).toBe(300);
  });

  it('gives terminated subscriptions nothing and leaves every pair as it was', async () => {
    expect(
      await q(`SELECT count(*)::int AS n FROM subscription s WHERE s.status = 'terminated' AND (
        s.equipment_number IS NOT NULL
        OR EXISTS (SELECT 1 FROM inv_line l WHERE l.directory_number = s.directory_number)
        OR EXISTS (SELECT 1 FROM inv_sim x JOIN inv_sim_batch b ON b.id = x.batch_id
                   WHERE x.iccid = s.sim_iccid AND b.code = 'DEMO-BASE'))`),
    ).toBe(0);
    expect(
      await q(`SELECT count(*)::int AS n FROM subscription WHERE status = 'terminated'`),
    ).toBeGreaterThan(50);
    expect((await tdb.pool.query('SELECT id, status FROM inv_pair ORDER BY id')).rows).toEqual(pairsBefore);
    const summary = await createInventory(tdb.db, key).pending.summary();
    expect(summary).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ cause: 'saturation', elementCode: 'PC-PAR-01', count: 3 }),
      ]),
    );
  });

  it('adds nothing when run again, and only the new customers’ lines after more are generated', async () => {
    const before = (await tdb.pool.query(FOOTPRINT)).rows[0];
    const again = await loadDemoInstalledBase(tdb.db, key);
    expect(again).toMatchObject({ total: 0, linked: 0 });
    expect((await tdb.pool.query(FOOTPRINT)).rows[0]).toEqual(before);

    await generateCustomers(tdb.pool, 200);
    const fresh = await q(`SELECT count(*)::int AS n FROM subscription s
      WHERE s.status <> 'terminated' AND NOT EXISTS (
        SELECT 1 FROM inv_line l WHERE l.directory_number = s.directory_number AND l.status = 'active')`);
    const more = await loadDemoInstalledBase(tdb.db, key);
    expect(more.linked).toBe(fresh);
    const after = await tdb.pool.query<{ lines: number }>(FOOTPRINT);
    expect(after.rows[0]?.lines).toBe((before as { lines: number }).lines + more.linked);
    // the new ports continue the installed-base cards: equipment numbers stay unique
    expect(
      await q(`SELECT (count(*) - count(DISTINCT equipment_number))::int AS n FROM subscription
        WHERE equipment_number IS NOT NULL`),
    ).toBe(0);
  });
});
