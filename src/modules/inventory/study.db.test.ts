import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { createInventory, type InventoryServices, type StudyResult } from './index.js';
import { plantWriters } from './plant.writers.js';
import { PlantCodes } from './study.service.js';
import type { ReservationDoc } from './technical-file.js';
import { ADMIN, buildPlant } from './test-fixtures.js';

const plateau = { street: 'Rue Carnot', district: 'Plateau', locality: 'Dakar' };
const reserved = (r: StudyResult) => {
  if (!r.feasible) throw new Error(`not feasible: ${r.detail}`);
  return r.reservation;
};

describe('automatic study and reservation', () => {
  let tdb: TestDb;
  let inv: InventoryServices;
  beforeAll(async () => {
    tdb = await createTestDb();
    inv = createInventory(tdb.db);
    await buildPlant(inv, { distPairs: 3, primaryPairs: 10, ports: 10, radio: 1 });
  });
  afterAll(async () => tdb?.close());

  it('reserves a complete wired chain and a number in one go, idempotently per request', async () => {
    const r = reserved(
      await inv.service.study(
        { requestRef: 'REQ-1', kind: 'fixed_wired', product: 'FIXE', address: plateau },
        ADMIN,
      ),
    );
    expect(r.chain).toMatchObject({ cp: 'PC1', sdf: 'SR1', site: 'DKR', mdf: 'DKR-MDF', switch: 'DKR-SW1' });
    expect(r.chain.equipmentNumber).toMatch(/^DKR-SW1-01-01-\d{3}$/);
    expect(r.chain.mdfHorizontal).toMatch(/^H/);
    expect(r.chain.mdfVertical).toMatch(/^VP1\//);
    expect(r.directoryNumber).toMatch(/^33821\d{4}$/);
    const again = await inv.service.study(
      { requestRef: 'REQ-1', kind: 'fixed_wired', product: 'FIXE', address: plateau },
      ADMIN,
    );
    expect(again.feasible && again.reused && again.reservation.code === r.code).toBe(true);
    const statuses = await sql<{
      status: string;
    }>`SELECT status FROM inv_pair WHERE id IN (${r.chain.primaryPair?.id}, ${r.chain.distributionPair?.id})`.execute(
      tdb.db,
    );
    expect(statuses.rows.map((x) => x.status)).toEqual(['reserved', 'reserved']);
    const ev = await tdb.db
      .selectFrom('event')
      .select(['kind', 'line_id'])
      .where('entity_id', '=', r.code)
      .execute();
    expect(ev).toEqual([{ kind: 'reservation.created', line_id: r.directoryNumber }]);
  });

  it('never hands out golden numbers automatically but honours a customer’s choice', async () => {
    const golden = await sql<{
      number: string;
    }>`SELECT number FROM inv_number WHERE golden AND pool_id = (SELECT id FROM inv_number_pool WHERE code = 'FIXE-DKR')`.execute(
      tdb.db,
    );
    expect(golden.rows.map((g) => g.number)).toContain('338210000');
    const r = reserved(
      await inv.service.study(
        {
          requestRef: 'REQ-G',
          kind: 'fixed_wired',
          product: 'FIXE',
          address: plateau,
          preferredNumber: '338210000',
        },
        ADMIN,
      ),
    );
    expect(r.directoryNumber).toBe('338210000');
    await expect(
      inv.service.study(
        {
          requestRef: 'REQ-G2',
          kind: 'fixed_wired',
          product: 'FIXE',
          address: plateau,
          preferredNumber: '338210000',
        },
        ADMIN,
      ),
    ).rejects.toMatchObject({ code: 'number.unavailable' });
    await inv.service.release({ requestRef: 'REQ-G' }, 'customer changed their mind', ADMIN);
  });

  it('answers not feasible with the cause: unequipped zone, missing equipment, saturation naming the element', async () => {
    const z = await inv.service.study(
      {
        requestRef: 'REQ-Z',
        kind: 'fixed_wired',
        product: 'FIXE',
        address: { locality: 'Kaolack', district: 'Centre' },
      },
      ADMIN,
    );
    expect(z).toMatchObject({
      feasible: false,
      cause: 'unequipped_zone',
      elementType: 'zone',
      elementCode: 'kaolack/centre',
    });
    const m = await inv.service.study(
      {
        requestRef: 'REQ-M',
        kind: 'fixed_wired',
        product: 'FIXE',
        address: { locality: 'Dakar', district: 'Medina' },
      },
      ADMIN,
    );
    expect(m).toMatchObject({
      feasible: false,
      cause: 'missing_equipment',
      elementType: 'cp',
      elementCode: 'PC2',
    });
    reserved(
      await inv.service.study(
        { requestRef: 'REQ-2', kind: 'fixed_wired', product: 'FIXE', address: plateau },
        ADMIN,
      ),
    );
    reserved(
      await inv.service.study(
        { requestRef: 'REQ-3', kind: 'fixed_wired', product: 'FIXE', address: plateau },
        ADMIN,
      ),
    );
    const s = await inv.service.study(
      { requestRef: 'REQ-4', kind: 'fixed_wired', product: 'FIXE', address: plateau },
      ADMIN,
    );
    expect(s).toMatchObject({ feasible: false, cause: 'saturation', elementType: 'cp', elementCode: 'PC1' });
    const radio = await inv.service.study(
      {
        requestRef: 'REQ-R1',
        kind: 'fixed_radio',
        product: 'FIXE-RADIO',
        address: { locality: 'Dakar', district: 'Ngor' },
      },
      ADMIN,
    );
    expect(radio.feasible && radio.reservation.chain.baseStation).toBe('BS1');
    const radio2 = await inv.service.study(
      {
        requestRef: 'REQ-R2',
        kind: 'fixed_radio',
        product: 'FIXE-RADIO',
        address: { locality: 'Dakar', district: 'Ngor' },
      },
      ADMIN,
    );
    expect(radio2).toMatchObject({
      feasible: false,
      cause: 'saturation',
      elementType: 'base_station',
      elementCode: 'BS1',
    });
  });

  it('releases a reservation (compensation) and builds a line into the technical file on commit', async () => {
    const rel = await inv.service.release({ requestRef: 'REQ-3' }, 'request cancelled', ADMIN);
    expect(rel.status).toBe('released');
    const pair = await sql<{
      status: string;
    }>`SELECT status FROM inv_pair WHERE id = ${rel.chain.distributionPair?.id}`.execute(tdb.db);
    expect(pair.rows[0]?.status).toBe('free');
    // The release wrote out the study's carried "reserved" entry before its own (0235).
    const pairHistory = await sql<{ from_status: string; to_status: string; code: string }>`
      SELECT h.from_status, h.to_status, r.code FROM inv_resource_history h JOIN inv_reservation r ON r.id = h.reservation_id
      WHERE h.resource_type = 'pair' AND h.resource_id = ${String(rel.chain.distributionPair?.id)} ORDER BY h.id`.execute(
      tdb.db,
    );
    expect(pairHistory.rows.map((h) => [h.from_status, h.to_status, h.code])).toEqual([
      ['free', 'reserved', rel.code],
      ['reserved', 'free', rel.code],
    ]);
    const heldBy = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM inv_pair WHERE id = ${rel.chain.distributionPair?.id} AND history_held_by IS NOT NULL`.execute(
      tdb.db,
    );
    expect(heldBy.rows[0]!.n).toBe(0);
    await expect(inv.service.release({ code: rel.code }, 'twice', ADMIN)).rejects.toMatchObject({
      code: 'reservation.closed',
    });

    const line = await inv.service.commit({ requestRef: 'REQ-1' }, ADMIN);
    expect(line).toMatchObject({ status: 'active', kind: 'fixed_wired', chain: { cp: 'PC1', sdf: 'SR1' } });
    expect(line.history.map((h) => h.change)).toEqual(['built']);
    const jumpers = await tdb.db
      .selectFrom('inv_cross_connect')
      .select(['kind', 'status'])
      .where('line_id', '=', line.id)
      .orderBy('kind')
      .execute();
    expect(jumpers).toEqual([
      { kind: 'mdf_jumper', status: 'active' },
      { kind: 'sdf_jumper', status: 'active' },
    ]);
    const n = await inv.pools.number(line.directoryNumber);
    expect(n.status).toBe('assigned');
    expect(
      n.history.map((h) => [
        (h as { from_status: string }).from_status,
        (h as { to_status: string }).to_status,
      ]),
    ).toEqual([
      ['free', 'reserved'],
      ['reserved', 'assigned'],
    ]);

    const ceased = await inv.service.cease(line.directoryNumber, 'termination', ADMIN);
    expect(ceased.status).toBe('ceased');
    const after = await inv.pools.number(line.directoryNumber);
    expect(after.status).toBe('quarantine');
    expect(after.quarantineUntil!.getTime()).toBeGreaterThan(Date.now() + 80 * 86_400_000);
    const next = reserved(
      await inv.service.study(
        { requestRef: 'REQ-5', kind: 'fixed_wired', product: 'FIXE', address: plateau },
        ADMIN,
      ),
    );
    expect(next.directoryNumber).not.toBe(line.directoryNumber);
  });

  it('reserves a SIM from the shop’s stock and a number for a mobile line', async () => {
    const none = await inv.service.study(
      { requestRef: 'REQ-MOB0', kind: 'mobile', product: 'MOBILE-PREP', shop: 'SHOP1' },
      ADMIN,
    );
    expect(none).toMatchObject({
      feasible: false,
      cause: 'saturation',
      elementType: 'shop',
      elementCode: 'SHOP1',
    });
    await expect(
      inv.service.study(
        { requestRef: 'REQ-MOB1', kind: 'mobile', product: 'MOBILE-PREP', shop: 'NOPE' },
        ADMIN,
      ),
    ).rejects.toMatchObject({ code: 'inventory.not_found', field: 'shop' });
    await expect(
      inv.service.study({ requestRef: 'REQ-MOB2', kind: 'mobile', product: 'MOBILE-PREP' }, ADMIN),
    ).rejects.toMatchObject({ code: 'inventory.invalid', field: 'shop' });
  });

  it('holds a request in the same statement as its study, and resumes it when a later study succeeds', async () => {
    const medina = { locality: 'Dakar', district: 'Medina' };
    const held = await inv.service.study(
      { requestRef: 'REQ-H', kind: 'fixed_wired', product: 'FIXE', address: medina, holdIfNotFeasible: true },
      ADMIN,
    );
    expect(held).toMatchObject({ feasible: false, held: true, cause: 'missing_equipment' });
    expect((await inv.pending.list({})).map((p) => p.requestRef)).toContain('REQ-H');
    const ok = await inv.service.study(
      { requestRef: 'REQ-H', kind: 'fixed_wired', product: 'FIXE', address: plateau, withNumber: false },
      ADMIN,
    );
    expect(ok.feasible && ok.reservation.directoryNumber).toBeNull();
    expect((await inv.pending.list({})).map((p) => p.requestRef)).not.toContain('REQ-H');
  });
});

describe('the fixed-wired study in one write statement (migration 0233)', () => {
  let tdb: TestDb;
  beforeAll(async () => {
    tdb = await createTestDb();
    await buildPlant(createInventory(tdb.db), { distPairs: 3, primaryPairs: 10, ports: 10, radio: 1 });
  });
  afterAll(async () => tdb?.close());

  it('answers from its one write statement what the step-by-step study and the chain view answer (0233)', async () => {
    // An address spelt otherwise (case, accents, apostrophe, spaces): the study's own normalised keys
    // must be gpto_norm's, so it finds the concentration point inv_serving finds.
    const address = { street: ' RUE CARNÔT ', district: "plâteau'", locality: 'DAKAR' };
    const serving = await sql<{ code: string }>`
      SELECT code FROM inv_serving(${address.locality}, ${address.district}, ${address.street}) WHERE cp_id IS NOT NULL`.execute(
      tdb.db,
    );
    expect(serving.rows.map((x) => x.code)).toEqual(['PC1']);
    const doc = JSON.stringify({ requestRef: 'REQ-FAST', kind: 'fixed_wired', product: 'FIXE', address });
    const r = await sql<{ out: string }>`
      SELECT inv_study(${doc}::jsonb, 'dakar/plateau', NULL, NULL)::text AS out`.execute(tdb.db);
    // Built by the fast path (json_build_object's " : "), not handed over to inv_study_stepwise
    // (which would find the chain too, with gpto_norm): so the fast path's keys matched.
    expect(r.rows[0]!.out).toMatch(/^\{"feasible" : true, "reused" : false, "reservation" : \{"id" : /);
    const out = JSON.parse(r.rows[0]!.out) as { feasible: boolean; reservation: Record<string, unknown> };
    expect(out.feasible).toBe(true);
    expect(out.reservation.cp_code).toBe('PC1');
    // The document, key for key, as the chain view builds it from the stored reservation, once the
    // service has put the codes of the site, MDF, cabinet and cable the study gives by id (0250),
    // from a fresh cache (one query) and from a warm one (none).
    const view = await sql<{ doc: Record<string, unknown> }>`
      SELECT inv_reservation_doc(${out.reservation.id}::bigint) AS doc`.execute(tdb.db);
    expect(out.reservation).toMatchObject({ site_id: expect.any(Number), sdf_id: expect.any(Number) });
    expect(out.reservation).not.toHaveProperty('site_code');
    const codes = new PlantCodes();
    const fastDoc = out.reservation as unknown as ReservationDoc;
    expect(await codes.complete(tdb.db, fastDoc)).toEqual(view.rows[0]!.doc);
    expect(await codes.complete(tdb.db, fastDoc)).toEqual(view.rows[0]!.doc);
    expect(view.rows[0]!.doc).toMatchObject({
      site_code: 'DKR',
      mdf_code: 'DKR-MDF',
      sdf_code: 'SR1',
      cp_code: 'PC1',
    });
    // Each resource's history answers the study's entry, as the step-by-step path's rows did; the
    // reservation row carries it (0235) until the resource's next status change writes it out.
    const resources = [
      ['pair', String(out.reservation.pp_id)],
      ['pair', String(out.reservation.dp_id)],
      ['port', String(out.reservation.port_id)],
      ['number', String(out.reservation.directory_number)],
    ];
    for (const [type, id] of resources) {
      const h = await sql<{ from_status: string; to_status: string; reason: string; reservation_id: string }>`
        SELECT from_status, to_status, reason, reservation_id::text FROM inv_resource_history_of(${type}, ${id})`.execute(
        tdb.db,
      );
      expect(h.rows).toEqual([
        {
          from_status: 'free',
          to_status: 'reserved',
          reason: 'reserved for REQ-FAST',
          reservation_id: String(out.reservation.id),
        },
      ]);
    }
    const rows = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM inv_resource_history WHERE reservation_id = ${out.reservation.id}::bigint`.execute(
      tdb.db,
    );
    expect(rows.rows[0]!.n).toBe(0);
    // Without the reservation's foreign keys (0235), plant a reservation names still cannot be deleted.
    for (const [table, column, id] of [
      ['inv_pair', 'id', String(out.reservation.pp_id)],
      ['inv_port', 'id', String(out.reservation.port_id)],
      ['inv_number', 'number', String(out.reservation.directory_number)],
    ]) {
      await expect(
        sql`DELETE FROM ${sql.table(table!)} WHERE ${sql.ref(column!)}::text = ${id}`.execute(tdb.db),
      ).rejects.toMatchObject({ code: '23503' });
    }
    const left = await sql<{ n: number }>`
      SELECT (SELECT count(*) FROM inv_pair_free WHERE pair_id IN (${out.reservation.pp_id}::bigint, ${out.reservation.dp_id}::bigint))
           + (SELECT count(*) FROM inv_port_free WHERE port_id = ${out.reservation.port_id}::bigint)
           + (SELECT count(*) FROM inv_number_free WHERE number = ${out.reservation.directory_number}::text) AS n`.execute(
      tdb.db,
    );
    expect(Number(left.rows[0]!.n)).toBe(0);
    // The free-list triggers skip the study's own status change by its history_held_by (0239): the
    // study sets no setting for them, and none is left behind.
    const setting = await sql<{
      s: string | null;
    }>`SELECT current_setting('inv.free_lists_kept', true) AS s`.execute(tdb.db);
    expect(setting.rows[0]!.s ?? 'off').not.toBe('on');
  });
});

describe('the study in fewer statements (migration 0239)', () => {
  let tdb: TestDb;
  let inv: InventoryServices;
  beforeAll(async () => {
    tdb = await createTestDb();
    inv = createInventory(tdb.db);
    await buildPlant(inv, { distPairs: 3, primaryPairs: 10, ports: 10, radio: 1 });
  });
  afterAll(async () => tdb?.close());

  it('marks a held request resumed when its next fast-path study succeeds, without a pending.resumed event', async () => {
    const held = await inv.service.study(
      {
        requestRef: 'REQ-H2',
        kind: 'fixed_wired',
        product: 'FIXE',
        address: { locality: 'Dakar', district: 'Medina' },
        holdIfNotFeasible: true,
      },
      ADMIN,
    );
    expect(held).toMatchObject({ feasible: false, held: true });
    // With a number and no chosen one: the fast path (0233), not the step-by-step study.
    const doc = JSON.stringify({
      requestRef: 'REQ-H2',
      kind: 'fixed_wired',
      product: 'FIXE',
      address: plateau,
    });
    const r = await sql<{
      out: string;
    }>`SELECT inv_study(${doc}::jsonb, 'dakar/plateau', NULL, NULL)::text AS out`.execute(tdb.db);
    expect(r.rows[0]!.out).toMatch(/^\{"feasible" : true, "reused" : false, "reservation" : \{"id" : /);
    const id = (JSON.parse(r.rows[0]!.out) as { reservation: { id: number } }).reservation.id;
    const pending = await sql<{ status: string; reservation_id: string | null; closed: boolean }>`
      SELECT status, reservation_id::text, closed_at IS NOT NULL AS closed FROM inv_pending WHERE request_ref = 'REQ-H2'`.execute(
      tdb.db,
    );
    expect(pending.rows).toEqual([{ status: 'resumed', reservation_id: String(id), closed: true }]);
    const events = await sql<{ kind: string }>`
      SELECT kind FROM event WHERE entity_id IN ('REQ-H2', (SELECT code FROM inv_reservation WHERE id = ${id}::bigint))
      ORDER BY id`.execute(tdb.db);
    // A study the caller ran itself says nothing of a resume (only a capacity event's re-study does).
    expect(events.rows.map((e) => e.kind)).toEqual(['pending.registered', 'reservation.created']);
  });

  it('still refuses a distribution pair without a concentration point, or a primary pair with one (23514)', async () => {
    const pairs = await sql<{
      id: string;
      kind: string;
      cable_id: string;
      sdf_id: string;
      cp_id: string | null;
    }>`
      SELECT DISTINCT ON (kind) id::text, kind, cable_id::text, sdf_id::text, cp_id::text FROM inv_pair ORDER BY kind, id`.execute(
      tdb.db,
    );
    const dist = pairs.rows.find((x) => x.kind === 'distribution')!;
    const prim = pairs.rows.find((x) => x.kind === 'primary')!;
    await expect(
      sql`UPDATE inv_pair SET cp_id = NULL WHERE id = ${dist.id}::bigint`.execute(tdb.db),
    ).rejects.toMatchObject({
      code: '23514',
      constraint: 'inv_pair_check',
    });
    await expect(
      sql`UPDATE inv_pair SET cp_id = ${dist.cp_id}::bigint WHERE id = ${prim.id}::bigint`.execute(tdb.db),
    ).rejects.toMatchObject({ code: '23514' });
    await expect(
      sql`INSERT INTO inv_pair (cable_id, kind, number, sdf_id, cp_id)
          VALUES (${dist.cable_id}::bigint, 'distribution', 9999, ${dist.sdf_id}::bigint, NULL)`.execute(
        tdb.db,
      ),
    ).rejects.toMatchObject({ code: '23514' });
    await expect(
      sql`UPDATE inv_pair SET kind = 'primary' WHERE id = ${dist.id}::bigint`.execute(tdb.db),
    ).rejects.toMatchObject({ code: '23514' });
    // A consistent row goes in, and a status change does not look at the check at all.
    await sql`INSERT INTO inv_pair (cable_id, kind, number, sdf_id, cp_id)
              VALUES (${dist.cable_id}::bigint, 'distribution', 9999, ${dist.sdf_id}::bigint, ${dist.cp_id}::bigint)`.execute(
      tdb.db,
    );
    await sql`UPDATE inv_pair SET status = 'faulty' WHERE cable_id = ${dist.cable_id}::bigint AND number = 9999`.execute(
      tdb.db,
    );
  });
});

describe('plant writers', () => {
  let tdb: TestDb;
  afterAll(async () => tdb?.close());

  it('equips a card of more than 999 ports and lays a 10,000-pair cable without losing any to name clashes', async () => {
    tdb = await createTestDb();
    const inv = createInventory(tdb.db);
    await buildPlant(inv, { ports: 5 });
    const ports = await inv.plant.write(
      'ports',
      'plant',
      (t, s) =>
        plantWriters.ports(t, { switch: 'DKR-SW1', mdf: 'DKR-MDF', shelf: 2, card: 1, ports: 1200 }, s),
      { code: 'DKR-SW1' },
      ADMIN,
      false,
    );
    expect(ports.added).toBe(1200);
    const cable = await inv.plant.write(
      'cable',
      'plant',
      (t, s) =>
        plantWriters.cable(
          t,
          { code: 'BIG-P', kind: 'primary', mdf: 'DKR-MDF', sdf: 'SR1', pairs: 10000 },
          s,
        ),
      { code: 'BIG-P' },
      ADMIN,
      false,
    );
    expect(cable.pairsAdded).toBe(10000);
    const names = await sql<{ position: string }>`
      SELECT v.position FROM inv_pair p JOIN inv_mdf_position v ON v.id = p.mdf_position_id
      WHERE p.cable_id = ${cable.id} AND p.number IN (1000, 10000) ORDER BY p.number`.execute(tdb.db);
    expect(names.rows.map((r) => r.position)).toEqual(['VBIG-P/1000', 'VBIG-P/10000']);
  });
});

// 50 concurrent studies on a nearly saturated concentration point: study-batch.db.test.ts, for every
// way the studies share transactions.

describe('free lists (migration 0230)', () => {
  let tdb: TestDb;
  let inv: InventoryServices;
  beforeAll(async () => {
    tdb = await createTestDb();
    inv = createInventory(tdb.db);
    await buildPlant(inv, { distPairs: 4, primaryPairs: 10, ports: 10, radio: 1 });
  });
  afterAll(async () => tdb?.close());

  /** Each free list against the rows whose status makes them pickable, id for id. */
  async function mismatches(): Promise<Record<string, string[]>> {
    const r = await sql<{ what: string; missing: string[] | null; extra: string[] | null }>`
      WITH pairs AS (SELECT id::text || '@' || coalesce(cp_id, 0) || '/' || sdf_id AS k FROM inv_pair WHERE status = 'free'),
           lp AS (SELECT pair_id::text || '@' || coalesce(cp_id, 0) || '/' || sdf_id AS k FROM inv_pair_free),
           ports AS (SELECT id::text || '@' || site_id AS k FROM inv_port WHERE status = 'free'),
           lt AS (SELECT port_id::text || '@' || site_id AS k FROM inv_port_free),
           nums AS (SELECT number || '@' || pool_id AS k FROM inv_number WHERE status IN ('free', 'quarantine') AND NOT golden),
           ln AS (SELECT number || '@' || pool_id AS k FROM inv_number_free)
      SELECT 'pairs' AS what, (SELECT array_agg(k) FROM (SELECT k FROM pairs EXCEPT ALL SELECT k FROM lp) x) AS missing,
             (SELECT array_agg(k) FROM (SELECT k FROM lp EXCEPT ALL SELECT k FROM pairs) x) AS extra
      UNION ALL
      SELECT 'ports', (SELECT array_agg(k) FROM (SELECT k FROM ports EXCEPT ALL SELECT k FROM lt) x),
             (SELECT array_agg(k) FROM (SELECT k FROM lt EXCEPT ALL SELECT k FROM ports) x)
      UNION ALL
      SELECT 'numbers', (SELECT array_agg(k) FROM (SELECT k FROM nums EXCEPT ALL SELECT k FROM ln) x),
             (SELECT array_agg(k) FROM (SELECT k FROM ln EXCEPT ALL SELECT k FROM nums) x)`.execute(tdb.db);
    const out: Record<string, string[]> = {};
    for (const row of r.rows) {
      const bad = [
        ...(row.missing ?? []).map((k) => `missing ${k}`),
        ...(row.extra ?? []).map((k) => `extra ${k}`),
      ];
      if (bad.length) out[row.what] = bad;
    }
    return out;
  }

  it('follow every status change: studies, release, commit, cease, faults, repairs, golden marking', async () => {
    const counts = await sql<{ pairs: number; ports: number; numbers: number }>`
      SELECT (SELECT count(*)::int FROM inv_pair_free) AS pairs, (SELECT count(*)::int FROM inv_port_free) AS ports,
             (SELECT count(*)::int FROM inv_number_free) AS numbers`.execute(tdb.db);
    expect(counts.rows[0]!.pairs).toBeGreaterThan(0);
    expect(counts.rows[0]!.ports).toBeGreaterThan(0);
    expect(counts.rows[0]!.numbers).toBeGreaterThan(0);
    expect(await mismatches()).toEqual({});

    const study = (ref: string) =>
      inv.service.study({ requestRef: ref, kind: 'fixed_wired', product: 'FIXE', address: plateau }, ADMIN);
    const a = reserved(await study('FL-A'));
    const b = reserved(await study('FL-B'));
    expect(await mismatches()).toEqual({});

    await inv.service.release({ requestRef: 'FL-A' }, 'cancelled', ADMIN);
    const line = await inv.service.commit({ requestRef: 'FL-B' }, ADMIN);
    expect(await mismatches()).toEqual({});
    await inv.service.cease(line.directoryNumber, 'termination', ADMIN);
    expect(await mismatches()).toEqual({});

    // A released pair goes faulty (out of the list), then is repaired (back in it, picked again).
    const pair = a.chain.distributionPair!.id;
    await inv.plant.changeStatus('pair', pair, { status: 'faulty' }, ADMIN);
    expect(await mismatches()).toEqual({});
    const c = reserved(await study('FL-C'));
    expect(c.chain.distributionPair!.id).not.toBe(pair);
    expect(await mismatches()).toEqual({});
    await inv.plant.changeStatus('pair', pair, { status: 'free' }, ADMIN);
    expect(await mismatches()).toEqual({});

    // Golden marking takes a number out of automatic assignment and back.
    const free = await sql<{ number: string }>`
      SELECT number FROM inv_number WHERE status = 'free' AND NOT golden ORDER BY number LIMIT 1`.execute(
      tdb.db,
    );
    await inv.pools.setGolden(free.rows[0]!.number, true, ADMIN);
    expect(await mismatches()).toEqual({});
    const d = reserved(await study('FL-D'));
    expect(d.directoryNumber).not.toBe(free.rows[0]!.number);
    await inv.pools.setGolden(free.rows[0]!.number, false, ADMIN);
    expect(await mismatches()).toEqual({});
    expect(b.code).not.toBe(a.code);
  });
});
