// Real technical files for the line-consultation benchmark's lines (issue 7, benchmark honesty).
//
// The generated demo (src/demo/generate.ts) has subscriptions but no plant behind them, so a
// consultation of one of its lines never reads a technical file, and the benchmark would measure
// something easier than a real consultation, where every live fixed line has one. `equipLines`
// gives each sampled fixed line what the product leaves behind after a real study + reservation +
// set-up (inv_study → inv_reserve, then request.activate_line → commitInTrx and
// changeTechnicalIn), with the same tables, states, history rows and events, written set-based:
//
//   wired  exchange site per locality, with a switch, its MDF, line ports (cards of 128, each wired
//          to its horizontal MDF position); a cabinet (sub-distribution frame) per district fed by a
//          primary cable from the MDF (one vertical MDF position per primary pair); concentration
//          points of 28 distribution pairs, 24 lines each (the rest stays free), serving the
//          district; per line: a committed reservation, the live technical file (port, primary
//          pair, distribution pair, concentration point, address), the MDF jumper and the cabinet
//          jumper, port and pairs in service, the number assigned.
//   radio  a base station per locality (capacity 125 % of its lines, `used` counting them) serving
//          the lines' districts; per line: committed reservation, technical file, number assigned.
//
// Then the subscription gets its equipment number and plant reference as `request.activate_line`
// sets them (`plantRef` = the chain's facts, zone and address text), with its
// `subscription.technical_changed` event. Everything is marked with the code prefix BENCHP: every
// run that finds lines without a live technical file lays one new batch of plant for them
// (BENCHP-B<n>-…); lines that already have one are left as they are. One transaction, under an
// advisory lock.
//
// Returns each line's equipment number as the switch knows it: the port's for a wired line, the
// virtual port of its base station for a radio line (`<base station>-<last 6 digits>`, as the
// activation's workflow glue names it).
import { readFile } from 'node:fs/promises';
import type pg from 'pg';

export type BenchLineKind = 'fixed_wired' | 'fixed_radio';

export interface BenchLine {
  dn: string;
  kind: BenchLineKind;
}

export interface EquipReport {
  /** Directory number → equipment number (only for lines that have a live technical file). */
  equipment: Map<string, string>;
  /** Lines equipped by this call, and lines that already had a live technical file. */
  built: number;
  reused: number;
  /** Numbers given that have no live subscription (nothing done for them). */
  missing: string[];
  /** The plant batch laid by this call (null when nothing was needed). */
  batch: number | null;
}

/** Lines per concentration point, pairs per distribution cable, ports per card. */
const LINES_PER_CP = 24;
const PAIRS_PER_CP = 28;
const PORTS_PER_CARD = 128;
const CARDS_PER_SHELF = 16;
export const BENCH_PLANT_PREFIX = 'BENCHP';

/** The switch's name for a radio subscriber (activation/workflow.glue.ts `radioPort`). */
export const radioEquipmentNumber = (baseStation: string, dn: string) =>
  `${baseStation}-${dn.slice(-6)}`.toUpperCase();

export async function equipLines(
  pool: pg.Pool,
  lines: BenchLine[],
  log: (message: string) => void = () => undefined,
): Promise<Map<string, string>> {
  return (await equipLinesReport(pool, lines, log)).equipment;
}

export async function equipLinesReport(
  pool: pg.Pool,
  lines: BenchLine[],
  log: (message: string) => void = () => undefined,
): Promise<EquipReport> {
  const t0 = performance.now();
  const client = await pool.connect();
  try {
    const cpu = await backendCpu(client);
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('gpto.bench.assistance-plant'))`);
    const report = await equipIn(client, lines);
    await client.query('COMMIT');
    const cpuMs = await cpu();
    // Statistics for the tables just filled (a running product's autovacuum would have them), so
    // the consultation right after is planned on them, not on the empty demo plant's.
    if (report.built > 0)
      await client.query(
        `ANALYZE inv_site, inv_switch, inv_mdf, inv_mdf_position, inv_port, inv_sdf, inv_cp, inv_cable, inv_pair,
           inv_pair_free, inv_port_free, inv_base_station, inv_serving_area, inv_number, inv_number_free,
           inv_reservation, inv_line, inv_line_history, inv_cross_connect, inv_resource_history`,
      );
    log(
      `bench plant: ${report.built} lines equipped (batch ${report.batch ?? '—'}), ${report.reused} already had a ` +
        `technical file, ${report.missing.length} without a live subscription, in ${((performance.now() - t0) / 1000).toFixed(1)} s` +
        (cpuMs === null ? '' : ` (PostgreSQL backend CPU ${(cpuMs / 1000).toFixed(1)} s)`),
    );
    return report;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * CPU time the connection's backend spends from now until the returned function is called (null
 * when the server is not on this machine): the cost of a run, which machine load does not inflate.
 */
async function backendCpu(client: pg.PoolClient): Promise<() => Promise<number | null>> {
  const pid = Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  const read = async (): Promise<number | null> => {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, USER_HZ = 100
    } catch {
      return null;
    }
  };
  const before = await read();
  return async () => {
    const after = await read();
    return before === null || after === null ? null : after - before;
  };
}

async function equipIn(c: pg.PoolClient, lines: BenchLine[]): Promise<EquipReport> {
  // GPTO_BENCH_PLANT_TRACE=1 prints each statement's time (to see where a run spends it).
  const trace = process.env.GPTO_BENCH_PLANT_TRACE === '1';
  const q = async (text: string, values: unknown[] = []) => {
    const t0 = performance.now();
    const r = await c.query(text, values);
    if (trace)
      console.log(
        `${(performance.now() - t0).toFixed(0).padStart(6)} ms ${String(r.rowCount ?? '').padStart(6)} ${text.replace(/\s+/g, ' ').trim().slice(0, 90)}`,
      );
    return r;
  };
  await q(`CREATE TEMP TABLE bp_in (dn text PRIMARY KEY, kind text NOT NULL) ON COMMIT DROP`);
  await q(
    `INSERT INTO bp_in (dn, kind) SELECT DISTINCT ON (dn) dn, kind FROM unnest($1::text[], $2::text[]) AS x(dn, kind)`,
    [lines.map((l) => l.dn), lines.map((l) => l.kind)],
  );
  const bad = lines.find((l) => l.kind !== 'fixed_wired' && l.kind !== 'fixed_radio');
  if (bad) throw new Error(`line ${bad.dn}: ${String(bad.kind)} is not a fixed line`);

  // The lines to equip: a live subscription, no live technical file yet.
  await q(`
    CREATE TEMP TABLE bp_new ON COMMIT DROP AS
    SELECT i.dn, i.kind, s.id AS sub_id, s.customer_id, s.sim_iccid, s.equipment_number AS old_en, s.plant_ref AS old_plant,
      p.code AS product, 'BENCHP-' || s.code AS ref,
      coalesce(nullif(cu.address->>'locality', ''), 'Dakar') AS locality,
      coalesce(cu.address->>'district', '') AS district,
      cu.address->>'street' AS street, cu.address->>'number' AS house,
      0 AS l, 0 AS d, 0 AS i_sdf, 0 AS j_site,
      NULL::text AS site_code, NULL::text AS sw_code, NULL::text AS sdf_code, NULL::text AS cp_code,
      NULL::text AS pcable, NULL::text AS dcable, NULL::text AS en, NULL::text AS bs_code,
      NULL::bigint AS port_id, NULL::bigint AS pp_id, NULL::bigint AS dp_id, NULL::bigint AS cp_id,
      NULL::bigint AS bs_id, NULL::bigint AS res_id, NULL::text AS res_code, NULL::bigint AS line_id,
      NULL::text AS number_from
    FROM bp_in i
    JOIN LATERAL (SELECT * FROM subscription s WHERE s.directory_number = i.dn AND s.status <> 'terminated'
                  ORDER BY s.id DESC LIMIT 1) s ON true
    JOIN product_version pv ON pv.id = s.product_version_id
    JOIN product p ON p.id = pv.product_id
    JOIN customer cu ON cu.id = s.customer_id
    WHERE NOT EXISTS (SELECT 1 FROM inv_line l WHERE l.directory_number = i.dn AND l.status = 'active')`);
  await q(`CREATE UNIQUE INDEX ON bp_new (dn)`);
  await q(`ANALYZE bp_new`);
  const missing = (
    await q(`SELECT i.dn FROM bp_in i WHERE NOT EXISTS (
      SELECT 1 FROM subscription s WHERE s.directory_number = i.dn AND s.status <> 'terminated') ORDER BY 1`)
  ).rows.map((r: { dn: string }) => r.dn);
  const toBuild = Number((await q(`SELECT count(*)::int AS n FROM bp_new`)).rows[0].n);

  let batch: number | null = null;
  if (toBuild > 0) {
    batch = Number(
      (
        await q(`SELECT coalesce(max(substring(code from '^BENCHP-B([0-9]+)-')::int), 0) + 1 AS b
                 FROM inv_site WHERE code LIKE 'BENCHP-B%'`)
      ).rows[0].b,
    );
    await layPlant(q, batch);
    await buildLines(q);
  }

  // Every given line with a live technical file, and its equipment number on the switch.
  const r = await q(`
    SELECT i.dn, port.equipment_number AS en, bs.code AS bs
    FROM bp_in i JOIN inv_line l ON l.directory_number = i.dn AND l.status = 'active'
    LEFT JOIN inv_port port ON port.id = l.port_id
    LEFT JOIN inv_base_station bs ON bs.id = l.base_station_id`);
  const equipment = new Map<string, string>();
  for (const row of r.rows as { dn: string; en: string | null; bs: string | null }[]) {
    const en = row.en ?? (row.bs ? radioEquipmentNumber(row.bs, row.dn) : null);
    if (en) equipment.set(row.dn, en);
  }
  return { equipment, built: toBuild, reused: equipment.size - toBuild, missing, batch };
}

type Q = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

/** Sites, switches, MDFs, ports, cabinets, concentration points, cables, pairs, base stations, areas. */
async function layPlant(q: Q, b: number): Promise<void> {
  // Positions of each line in the plant: locality (site), district (cabinet), rank in both.
  await q(`
    UPDATE bp_new n SET l = x.l, d = x.d, i_sdf = x.i_sdf, j_site = x.j_site FROM (
      SELECT dn, dense_rank() OVER (ORDER BY locality) AS l,
        dense_rank() OVER (PARTITION BY locality, kind ORDER BY district) AS d,
        row_number() OVER (PARTITION BY locality, district, kind ORDER BY dn) - 1 AS i_sdf,
        row_number() OVER (PARTITION BY locality, kind ORDER BY district, dn) - 1 AS j_site
      FROM bp_new) x
    WHERE x.dn = n.dn`);
  const L = `lpad(l::text, 2, '0')`;
  await q(
    `UPDATE bp_new SET site_code = format('BENCHP-B%s-%s', $1::int, ${L}),
       sw_code = format('BENCHP-B%sS%s', $1::int, ${L}),
       sdf_code = format('BENCHP-B%s-%s-%s', $1::int, ${L}, lpad(d::text, 2, '0')),
       bs_code = CASE WHEN kind = 'fixed_radio' THEN format('BENCHP-B%sR%s', $1::int, ${L}) END`,
    [b],
  );
  await q(`
    UPDATE bp_new SET cp_code = sdf_code || '-' || lpad((i_sdf / ${LINES_PER_CP} + 1)::text, 3, '0'),
      pcable = sdf_code || '-P',
      en = format('%s-%s-%s-%s', sw_code, lpad((((j_site / ${PORTS_PER_CARD}) / ${CARDS_PER_SHELF}) + 1)::text, 2, '0'),
        lpad((((j_site / ${PORTS_PER_CARD}) % ${CARDS_PER_SHELF}) + 1)::text, 2, '0'),
        lpad((j_site % ${PORTS_PER_CARD} + 1)::text, 3, '0'))
    WHERE kind = 'fixed_wired'`);
  await q(`UPDATE bp_new SET dcable = cp_code || '-D' WHERE kind = 'fixed_wired'`);
  await q(`CREATE INDEX ON bp_new (en)`);
  await q(`ANALYZE bp_new`);

  // Exchange sites (every locality with a line), switches and MDFs (wired ones).
  await q(`
    WITH s AS (
      INSERT INTO inv_site (code, name, locality, district)
      SELECT DISTINCT site_code, 'Bench exchange ' || locality, locality, NULL FROM bp_new
      RETURNING code)
    INSERT INTO event (entity_type, entity_id, kind, payload)
    SELECT 'site', code, 'site.created', jsonb_build_object('code', code) FROM s`);
  await q(`
    WITH s AS (
      INSERT INTO inv_switch (code, site_id, name, model)
      SELECT DISTINCT n.sw_code, st.id, 'Bench switch ' || n.locality, 'BENCH'
      FROM bp_new n JOIN inv_site st ON st.code = n.site_code WHERE n.kind = 'fixed_wired'
      RETURNING code)
    INSERT INTO event (entity_type, entity_id, kind, payload)
    SELECT 'switch', code, 'switch.created', jsonb_build_object('code', code) FROM s`);
  await q(`
    WITH m AS (
      INSERT INTO inv_mdf (code, site_id, name)
      SELECT DISTINCT n.site_code || '-RG', st.id, 'Bench MDF ' || n.locality
      FROM bp_new n JOIN inv_site st ON st.code = n.site_code WHERE n.kind = 'fixed_wired'
      RETURNING code)
    INSERT INTO event (entity_type, entity_id, kind, payload)
    SELECT 'mdf', code, 'mdf.created', jsonb_build_object('code', code) FROM m`);

  // Line ports: whole cards of 128 per site, each port wired to its horizontal MDF position
  // (named as plantWriters.ports names them); the lines' ports in service, the others free.
  await q(`
    CREATE TEMP TABLE bp_port ON COMMIT DROP AS
    SELECT sw.id AS switch_id, sw.site_id, m.id AS mdf_id, sw.code AS sw_code,
      (k / ${CARDS_PER_SHELF}) + 1 AS shelf, (k % ${CARDS_PER_SHELF}) + 1 AS card, p AS port,
      format('%s-%s-%s-%s', sw.code, lpad(((k / ${CARDS_PER_SHELF}) + 1)::text, 2, '0'),
        lpad(((k % ${CARDS_PER_SHELF}) + 1)::text, 2, '0'), lpad(p::text, 3, '0')) AS en
    FROM (SELECT sw_code, site_code, count(*) AS n FROM bp_new WHERE kind = 'fixed_wired' GROUP BY 1, 2) g
    JOIN inv_switch sw ON sw.code = g.sw_code
    JOIN inv_mdf m ON m.code = g.site_code || '-RG'
    CROSS JOIN LATERAL generate_series(0, ((g.n - 1) / ${PORTS_PER_CARD})::int) k
    CROSS JOIN LATERAL generate_series(1, ${PORTS_PER_CARD}) p`);
  // (positions inserted and joined back by their RETURNING rows: one hash join, whatever the stats)
  await q(`
    WITH pos AS (
      INSERT INTO inv_mdf_position (mdf_id, side, position)
      SELECT mdf_id, 'horizontal', 'H' || en FROM bp_port
      RETURNING id, mdf_id, position)
    INSERT INTO inv_port (switch_id, site_id, equipment_number, shelf, card, port, mdf_position_id, status)
    SELECT bp.switch_id, bp.site_id, bp.en, bp.shelf, bp.card, bp.port, pos.id,
      CASE WHEN n.dn IS NOT NULL THEN 'in_service' ELSE 'free' END
    FROM bp_port bp
    JOIN pos ON pos.mdf_id = bp.mdf_id AND pos.position = 'H' || bp.en
    LEFT JOIN bp_new n ON n.en = bp.en`);
  await q(`
    INSERT INTO event (entity_type, entity_id, kind, payload)
    SELECT 'switch', sw_code, 'ports.installed',
      jsonb_build_object('code', sw_code, 'shelf', shelf, 'card', card, 'ports', count(*))
    FROM bp_port GROUP BY sw_code, shelf, card`);

  // Cabinets (one per district of wired lines), concentration points (24 lines each).
  await q(`
    WITH s AS (
      INSERT INTO inv_sdf (code, site_id, name, locality, district)
      SELECT DISTINCT n.sdf_code, st.id, 'Bench cabinet ' || n.locality || ' ' || n.district, n.locality, nullif(n.district, '')
      FROM bp_new n JOIN inv_site st ON st.code = n.site_code WHERE n.kind = 'fixed_wired'
      RETURNING code)
    INSERT INTO event (entity_type, entity_id, kind, payload)
    SELECT 'sdf', code, 'sdf.created', jsonb_build_object('code', code) FROM s`);
  await q(`
    WITH s AS (
      INSERT INTO inv_cp (code, sdf_id, name, locality, district, street)
      SELECT DISTINCT n.cp_code, sdf.id, 'Bench CP ' || n.cp_code, n.locality, nullif(n.district, ''), NULL::text
      FROM bp_new n JOIN inv_sdf sdf ON sdf.code = n.sdf_code WHERE n.kind = 'fixed_wired'
      RETURNING code)
    INSERT INTO event (entity_type, entity_id, kind, payload)
    SELECT 'cp', code, 'cp.created', jsonb_build_object('code', code) FROM s`);

  // Cables: a primary cable MDF → cabinet with 28 pairs per concentration point behind it, and a
  // distribution cable of 28 pairs cabinet → concentration point.
  await q(`
    WITH c AS (
      INSERT INTO inv_cable (code, kind, bundle, mdf_id, sdf_id, cp_id, head, lead, pair_count)
      SELECT g.pcable, 'primary', NULL, m.id, sdf.id, NULL, NULL, NULL, g.ncp * ${PAIRS_PER_CP}
      FROM (SELECT pcable, sdf_code, site_code, count(DISTINCT cp_code) AS ncp FROM bp_new
            WHERE kind = 'fixed_wired' GROUP BY 1, 2, 3) g
      JOIN inv_sdf sdf ON sdf.code = g.sdf_code JOIN inv_mdf m ON m.code = g.site_code || '-RG'
      UNION ALL
      SELECT DISTINCT n.dcable, 'distribution', NULL, NULL::bigint, cp.sdf_id, cp.id, NULL, NULL, ${PAIRS_PER_CP}
      FROM bp_new n JOIN inv_cp cp ON cp.code = n.cp_code WHERE n.kind = 'fixed_wired'
      RETURNING code, pair_count)
    INSERT INTO event (entity_type, entity_id, kind, payload)
    SELECT 'cable', code, 'cable.laid', jsonb_build_object('code', code, 'pairs', pair_count) FROM c`);
  await q(`
    CREATE TEMP TABLE bp_cable ON COMMIT DROP AS
    SELECT c.id, c.code, c.kind, c.mdf_id, c.sdf_id, c.cp_id, c.pair_count FROM inv_cable c
    WHERE c.code IN (SELECT pcable FROM bp_new UNION SELECT dcable FROM bp_new)`);
  // A primary pair lands on its own vertical MDF position (as plantWriters' addPairs names it).
  await q(`
    WITH g AS (
      SELECT c.id AS cable_id, c.sdf_id, c.mdf_id, k, 'V' || c.code || '/' || lpad(k::text, 4, '0') AS position,
        CASE WHEN k <= u.n THEN 'in_service' ELSE 'free' END AS status
      FROM bp_cable c JOIN (SELECT pcable, count(*) AS n FROM bp_new GROUP BY 1) u ON u.pcable = c.code
      CROSS JOIN LATERAL generate_series(1, c.pair_count) k
      WHERE c.kind = 'primary'),
    pos AS (
      INSERT INTO inv_mdf_position (mdf_id, side, position)
      SELECT mdf_id, 'vertical', position FROM g
      RETURNING id, mdf_id, position)
    INSERT INTO inv_pair (cable_id, kind, number, sdf_id, mdf_position_id, status)
    SELECT g.cable_id, 'primary', g.k, g.sdf_id, pos.id, g.status
    FROM g JOIN pos ON pos.mdf_id = g.mdf_id AND pos.position = g.position`);
  await q(`
    INSERT INTO inv_pair (cable_id, kind, number, sdf_id, cp_id, status)
    SELECT c.id, 'distribution', k, c.sdf_id, c.cp_id,
      CASE WHEN k <= u.n THEN 'in_service' ELSE 'free' END
    FROM bp_cable c JOIN (SELECT dcable, count(*) AS n FROM bp_new GROUP BY 1) u ON u.dcable = c.code
    CROSS JOIN LATERAL generate_series(1, c.pair_count) k
    WHERE c.kind = 'distribution'`);

  // Radio: a base station per locality with radio lines, sized 125 % of them.
  await q(`
    WITH s AS (
      INSERT INTO inv_base_station (code, site_id, name, capacity, used)
      SELECT g.bs_code, st.id, 'Bench radio ' || g.locality, g.n + greatest(4, (g.n + 3) / 4), g.n
      FROM (SELECT bs_code, site_code, locality, count(*)::int AS n FROM bp_new WHERE kind = 'fixed_radio' GROUP BY 1, 2, 3) g
      JOIN inv_site st ON st.code = g.site_code
      RETURNING code, capacity)
    INSERT INTO event (entity_type, entity_id, kind, payload)
    SELECT 'base_station', code, 'base_station.created', jsonb_build_object('code', code, 'capacity', capacity) FROM s`);

  // Serving areas: each concentration point (or base station) serves its lines' district.
  await q(`
    WITH a AS (
      INSERT INTO inv_serving_area (locality, district, street, cp_id, base_station_id)
      SELECT DISTINCT n.locality, n.district, '', cp.id, bs.id
      FROM bp_new n LEFT JOIN inv_cp cp ON cp.code = n.cp_code AND n.kind = 'fixed_wired'
      LEFT JOIN inv_base_station bs ON bs.code = n.bs_code AND n.kind = 'fixed_radio'
      ON CONFLICT DO NOTHING
      RETURNING id, locality, district)
    INSERT INTO event (entity_type, entity_id, kind, payload)
    SELECT 'serving_area', id::text, 'serving_area.added', jsonb_build_object('locality', locality, 'district', district) FROM a`);
}

/** The reservations, technical files, jumpers, numbers, history and subscriptions of the lines. */
async function buildLines(q: Q): Promise<void> {
  // The chain's ids per line.
  await q(`
    UPDATE bp_new n SET port_id = port.id, pp_id = pp.id, dp_id = dp.id, cp_id = cp.id
    FROM inv_port port, inv_cable pc, inv_pair pp, inv_cp cp, inv_cable dc, inv_pair dp
    WHERE n.kind = 'fixed_wired' AND port.equipment_number = n.en
      AND pc.code = n.pcable AND pp.cable_id = pc.id AND pp.number = n.i_sdf + 1
      AND cp.code = n.cp_code AND dc.code = n.dcable AND dp.cable_id = dc.id AND dp.number = n.i_sdf % ${LINES_PER_CP} + 1`);
  await q(`
    UPDATE bp_new n SET bs_id = bs.id FROM inv_base_station bs WHERE n.kind = 'fixed_radio' AND bs.code = n.bs_code`);
  const incomplete = await q(`
    SELECT dn FROM bp_new WHERE (kind = 'fixed_wired' AND (port_id IS NULL OR pp_id IS NULL OR dp_id IS NULL OR cp_id IS NULL))
      OR (kind = 'fixed_radio' AND bs_id IS NULL) LIMIT 1`);
  if (incomplete.rows[0]) throw new Error(`bench plant: no complete chain for ${incomplete.rows[0].dn}`);

  // Numbers: each line's number assigned in a pool of its product (BENCHP-<product>), the numbers
  // the inventory did not know added to it as ranges of consecutive numbers.
  await q(`
    INSERT INTO inv_number_pool (code, product_code, site_id, quarantine_days)
    SELECT DISTINCT 'BENCHP-' || product, product, NULL::bigint, 180 FROM bp_new
    ON CONFLICT (code) DO NOTHING`);
  await q(`UPDATE bp_new n SET number_from = x.status FROM inv_number x WHERE x.number = n.dn`);
  const unusable = await q(
    `SELECT dn, number_from FROM bp_new WHERE number_from IS NOT NULL AND number_from NOT IN ('free', 'quarantine') LIMIT 1`,
  );
  if (unusable.rows[0])
    throw new Error(
      `bench plant: number ${unusable.rows[0].dn} is ${unusable.rows[0].number_from} in the inventory already`,
    );
  await q(`
    INSERT INTO inv_number_range (pool_id, first, last)
    SELECT p.id, min(dn), max(dn)
    FROM (SELECT dn, product, dn::numeric - row_number() OVER (PARTITION BY product, length(dn) ORDER BY dn::numeric) AS grp
          FROM bp_new WHERE number_from IS NULL) x
    JOIN inv_number_pool p ON p.code = 'BENCHP-' || x.product
    GROUP BY p.id, x.grp, length(x.dn)`);
  await q(`
    INSERT INTO inv_number (number, pool_id, status, golden)
    SELECT n.dn, p.id, 'assigned', inv_is_golden(n.dn)
    FROM bp_new n JOIN inv_number_pool p ON p.code = 'BENCHP-' || n.product WHERE n.number_from IS NULL`);
  await q(`
    UPDATE inv_number x SET status = 'assigned', quarantine_until = NULL, updated_at = now()
    FROM bp_new n WHERE x.number = n.dn AND n.number_from IS NOT NULL`);
  await q(`UPDATE bp_new SET number_from = 'free' WHERE number_from IS NULL`);

  // The committed reservations (inv_reserve's row, closed as commitInTrx closes it).
  await q(`UPDATE bp_new SET res_code = 'R' || lpad(nextval('inv_reservation_code_seq')::text, 9, '0')`);
  await q(`
    WITH r AS (
      INSERT INTO inv_reservation (code, request_ref, kind, status, product_code, address, port_id, primary_pair_id,
        distribution_pair_id, cp_id, base_station_id, sim_id, directory_number, closed_at)
      SELECT res_code, ref, kind, 'committed', product,
        jsonb_build_object('number', house, 'street', street, 'district', nullif(district, ''), 'locality', locality),
        port_id, pp_id, dp_id, cp_id, bs_id, NULL::bigint, dn, now()
      FROM bp_new ORDER BY dn
      RETURNING id, code)
    UPDATE bp_new n SET res_id = r.id FROM r WHERE r.code = n.res_code`);
  // The technical files.
  await q(`
    WITH l AS (
      INSERT INTO inv_line (directory_number, kind, request_ref, reservation_id, product_code, address, port_id,
        primary_pair_id, distribution_pair_id, cp_id, base_station_id, sim_id)
      SELECT n.dn, n.kind, n.ref, n.res_id, n.product, r.address, n.port_id, n.pp_id, n.dp_id, n.cp_id, n.bs_id, NULL::bigint
      FROM bp_new n JOIN inv_reservation r ON r.id = n.res_id ORDER BY n.dn
      RETURNING id, reservation_id)
    UPDATE bp_new n SET line_id = l.id FROM l WHERE l.reservation_id = n.res_id`);
  // The MDF jumper (port's horizontal position → primary pair's vertical one), the cabinet jumper.
  await q(`
    INSERT INTO inv_cross_connect (kind, from_id, to_id, line_id)
    SELECT 'mdf_jumper', port.mdf_position_id, pp.mdf_position_id, n.line_id
    FROM bp_new n JOIN inv_port port ON port.id = n.port_id JOIN inv_pair pp ON pp.id = n.pp_id
    WHERE n.kind = 'fixed_wired'
    UNION ALL
    SELECT 'sdf_jumper', n.pp_id, n.dp_id, n.line_id FROM bp_new n WHERE n.kind = 'fixed_wired'`);
  // Status history as inv_reserve then commitInTrx write it: free → reserved, reserved → in service.
  await q(`
    INSERT INTO inv_resource_history (resource_type, resource_id, from_status, to_status, reason, reservation_id, user_id)
    SELECT h.t, h.rid, h.f, h.s, h.why, h.res_id, NULL::bigint
    FROM (
      SELECT n.dn, n.res_id, x.o, x.t, x.rid, x.f, x.s,
        CASE WHEN x.o < 10 THEN 'reserved for ' ELSE 'line built for ' END || n.ref AS why
      FROM bp_new n CROSS JOIN LATERAL (VALUES
        (1, 'pair', n.pp_id::text, 'free', 'reserved'), (2, 'pair', n.dp_id::text, 'free', 'reserved'),
        (3, 'port', n.port_id::text, 'free', 'reserved'), (4, 'number', n.dn, n.number_from, 'reserved'),
        (11, 'pair', n.pp_id::text, 'reserved', 'in_service'), (12, 'pair', n.dp_id::text, 'reserved', 'in_service'),
        (13, 'port', n.port_id::text, 'reserved', 'in_service'), (14, 'number', n.dn, 'reserved', 'assigned')
      ) x(o, t, rid, f, s)
      WHERE x.rid IS NOT NULL) h
    ORDER BY h.dn, h.o`);
  await q(`
    INSERT INTO inv_line_history (line_id, change, detail, user_id)
    SELECT line_id, 'built', jsonb_build_object('reservation', res_code, 'requestRef', ref), NULL::bigint
    FROM bp_new ORDER BY dn`);
  await q(`
    INSERT INTO event (entity_type, entity_id, kind, line_id, payload)
    SELECT 'reservation', res_code, 'reservation.created', dn, jsonb_build_object('requestRef', ref, 'kind', kind)
    FROM bp_new
    UNION ALL
    SELECT 'line', dn, 'line.built', dn, jsonb_build_object('reservation', res_code, 'requestRef', ref, 'kind', kind)
    FROM bp_new`);

  // The subscription's equipment number and plant, as request.activate_line sets them: the
  // chain's facts (request.handlers chainFacts), the zone and the address text.
  await q(`
    CREATE TEMP TABLE bp_tech ON COMMIT DROP AS
    SELECT n.sub_id, n.customer_id, n.dn, n.sim_iccid, n.old_en, n.old_plant, c.equipment_number AS en,
      jsonb_build_object(
        'reservation', n.res_code, 'number', n.dn, 'site', c.site_code, 'switch', c.switch_code,
        'equipmentNumber', c.equipment_number, 'mdf', c.mdf_code,
        'mdfPositions', CASE WHEN c.h_pos IS NOT NULL OR c.v_pos IS NOT NULL
                             THEN coalesce(c.h_pos, '—') || ' ↔ ' || coalesce(c.v_pos, '—') END,
        'primaryPair', CASE WHEN c.pp_id IS NOT NULL THEN c.pp_cable || '/' || c.pp_number END,
        'sdf', c.sdf_code,
        'distributionPair', CASE WHEN c.dp_id IS NOT NULL THEN c.dp_cable || '/' || c.dp_number END,
        'cp', c.cp_code, 'baseStation', c.bs_code, 'sim', NULL,
        'zone', upper(n.locality),
        'address', nullif(concat_ws(' ', nullif(n.house, ''), nullif(n.street, ''), nullif(n.district, ''), n.locality), '')
      ) AS plant
    FROM bp_new n
    CROSS JOIN LATERAL inv_chain(n.port_id, n.pp_id, n.dp_id, n.cp_id, n.bs_id, NULL::bigint) c`);
  await q(`
    UPDATE subscription s SET equipment_number = coalesce(t.en, s.equipment_number), plant_ref = t.plant, updated_at = now()
    FROM bp_tech t WHERE s.id = t.sub_id`);
  await q(`
    INSERT INTO event (entity_type, entity_id, customer_id, line_id, kind, payload)
    SELECT 'subscription', t.sub_id::text, t.customer_id, t.dn, 'subscription.technical_changed',
      jsonb_build_object('reason', 'set up by the benchmark plant (BENCHP)',
        'before', jsonb_build_object('simIccid', t.sim_iccid, 'equipmentNumber', t.old_en, 'plantRef', t.old_plant),
        'after', jsonb_strip_nulls(jsonb_build_object('equipmentNumber', t.en)) || jsonb_build_object('plantRef', t.plant))
    FROM bp_tech t ORDER BY t.dn`);
}
