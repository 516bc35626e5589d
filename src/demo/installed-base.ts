import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Tx } from '../platform/db.js';
import { SecretBox } from '../modules/inventory/crypto.js';
import { withLuhn } from '../modules/inventory/sim.service.js';

/**
 * The demo's installed base: the generated subscriptions (src/demo/generate.ts) were sold and built
 * years ago, so each live one gets the technical file a completed new-line request would have left
 * (src/modules/inventory/line.service.ts commitInTrx): a wired line sits on a switch port, a radio
 * line on a base station, a mobile line on a SIM card with its IMSI and sealed keys. That is what
 * the activation automaton and the network alignment read to put a line on the switch or the HLR.
 *
 * Nothing here touches the plant the demo's counter works with: the installed base gets switch cards,
 * base stations and SIM cards of its own, none of them free, so the free ports, pairs, radio capacity
 * and SIM stock that studies pick from — and the saturated Parcelles area — stay as plant.ts left them.
 */

export interface InstalledBaseProgress {
  /** Subscriptions given a technical file so far in this run. */
  linked: number;
  /** Subscriptions that had none when the run started. */
  total: number;
  fixedWired: number;
  fixedRadio: number;
  mobile: number;
}

export interface InstalledBaseOptions {
  /** Subscriptions per transaction (default 10,000). */
  batchSize?: number;
}

/** The exchanges the installed base is spread over, and their switch (plant.ts). */
const SWITCH_OF_SITE: Record<string, string> = { DKR: 'DKR-E10', GYF: 'GYF-5ESS', THS: 'THS-E10' };
/**
 * Dakar districts wired from Grand-Yoff: those plant.ts serves from a Grand-Yoff cabinet, plus Yoff
 * next door; the rest of Dakar, and every town without an exchange of its own, hangs off the Plateau.
 */
const GYF_DISTRICTS = [
  'Grand Yoff',
  'Grand-Yoff',
  'Parcelles Assainies',
  'Mermoz',
  'Sacré-Cœur',
  'HLM',
  'Liberté 6',
  'Yoff',
];
const SIM_BATCH = 'DEMO-BASE';
const PORTS_PER_CARD = 256;
const CARDS_PER_SHELF = 16;
/** Shelf 1 holds the demo's own cards (plant.ts), free for the counter's new lines. */
const FIRST_SHELF = 2;
/** Subscriber lines per installed-base radio base station. */
const RADIO_CAPACITY = 1000;

/**
 * The live subscriptions of a line product without a live technical file: `pending` ones wait for
 * their request to build the line, and a number with a live SIM already belongs to a built line.
 */
const FROM_SUBSCRIPTIONS = sql`
  FROM subscription s
  JOIN product_version pv ON pv.id = s.product_version_id
  JOIN product p ON p.id = pv.product_id`;
const UNLINKED = sql`
  s.status IN ('active', 'suspended') AND s.parent_id IS NULL AND s.directory_number IS NOT NULL
    AND p.kind IN ('fixed_wired', 'fixed_radio', 'mobile_postpaid', 'mobile_prepaid')
    AND NOT EXISTS (SELECT 1 FROM inv_line l WHERE l.directory_number = s.directory_number AND l.status = 'active')
    AND NOT EXISTS (SELECT 1 FROM inv_sim x WHERE x.directory_number = s.directory_number
                    AND x.status IN ('active', 'suspended'))`;

interface Candidate {
  id: number;
  status: 'active' | 'suspended';
  number: string;
  iccid: string | null;
  product: string;
  kind: 'fixed_wired' | 'fixed_radio' | 'mobile_postpaid' | 'mobile_prepaid';
  site: string;
  /** The subscription's ICCID already names another card (the stock's ICCIDs overlap the generator's). */
  iccid_taken: boolean;
}

interface SwitchInfo {
  id: number;
  code: string;
  site_id: number;
  mdf_id: number | null;
}

/**
 * Gives every live demo subscription without a technical file its line, in batches of `batchSize`
 * subscriptions by subscription id, one transaction each; `onProgress` once the total is known, then
 * after each commit. Idempotent: a second run finds nothing left; after `gpto demo` adds customers,
 * it links only theirs. Needs the demo plant (loadDemoPlant) for its switches.
 */
export async function loadDemoInstalledBase(
  db: Db,
  secretKey: Buffer,
  onProgress: (p: InstalledBaseProgress) => void = () => undefined,
  options: InstalledBaseOptions = {},
): Promise<InstalledBaseProgress> {
  const batchSize = options.batchSize ?? 10_000;
  const box = new SecretBox(secretKey);
  const counted = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n ${FROM_SUBSCRIPTIONS} WHERE ${UNLINKED}`.execute(db);
  const progress: InstalledBaseProgress = {
    linked: 0,
    total: counted.rows[0]?.n ?? 0,
    fixedWired: 0,
    fixedRadio: 0,
    mobile: 0,
  };
  if (progress.total === 0) return progress;
  onProgress({ ...progress });
  const switches = await switchesBySite(db);
  let after = 0;
  for (;;) {
    const done = await db.transaction().execute(async (trx) => {
      // Two loads at once (a start and a `gpto demo`) would pick the same subscriptions and ports.
      await sql`SELECT pg_advisory_xact_lock(hashtext('demo.installed_base'))`.execute(trx);
      // Generated data can be generated again: no need to wait for the WAL flush of each batch.
      await sql`SET LOCAL synchronous_commit = off`.execute(trx);
      const rows = (
        await sql<Candidate>`
          SELECT s.id, s.status, s.directory_number AS number, s.sim_iccid AS iccid, p.code AS product, p.kind,
            CASE WHEN gpto_norm(c.address->>'locality') = gpto_norm('Thiès') THEN 'THS'
                 WHEN gpto_norm(c.address->>'locality') = gpto_norm('Dakar')
                  AND gpto_norm(c.address->>'district') IN (SELECT gpto_norm(d) FROM unnest(${GYF_DISTRICTS}::text[]) d)
                 THEN 'GYF' ELSE 'DKR' END AS site,
            EXISTS (SELECT 1 FROM inv_sim x WHERE x.iccid = s.sim_iccid) AS iccid_taken
          ${FROM_SUBSCRIPTIONS} JOIN customer c ON c.id = s.customer_id
          WHERE s.id > ${after} AND ${UNLINKED}
          ORDER BY s.id LIMIT ${batchSize}`.execute(trx)
      ).rows;
      if (rows.length === 0) return true;
      after = rows[rows.length - 1]!.id;
      const of = (kind: string) => rows.filter((r) => r.kind === kind);
      const wired = await linkWired(trx, of('fixed_wired'), switches);
      const radio = await linkRadio(trx, of('fixed_radio'));
      const mobile = await linkMobile(
        trx,
        box,
        rows.filter((r) => r.kind.startsWith('mobile')),
      );
      // Numbers the generator drew inside a pool's ranges are in use: never hand them out again.
      await sql`
        UPDATE inv_number n SET status = 'assigned', quarantine_until = NULL, updated_at = now()
        WHERE n.number = ANY(${rows.map((r) => r.number)}::text[]) AND n.status IN ('free', 'quarantine')`.execute(
        trx,
      );
      progress.fixedWired += wired;
      progress.fixedRadio += radio;
      progress.mobile += mobile;
      return false;
    });
    if (done) break;
    progress.linked = progress.fixedWired + progress.fixedRadio + progress.mobile;
    onProgress({ ...progress });
  }
  // Fresh statistics: the studies' picks are planned once per session (generic plans, migrations
  // 0221 and 0237) and must not plan a join to inv_port for the 896 ports it had before.
  await sql`ANALYZE inv_port, inv_mdf_position, inv_line, inv_sim, inv_base_station`.execute(db);
  return progress;
}

async function switchesBySite(db: Db): Promise<Map<string, SwitchInfo>> {
  const r = await sql<SwitchInfo & { site: string }>`
    SELECT sw.id, sw.code, sw.site_id, site.code AS site,
      (SELECT m.id FROM inv_mdf m WHERE m.site_id = sw.site_id ORDER BY m.id LIMIT 1) AS mdf_id
    FROM inv_switch sw JOIN inv_site site ON site.id = sw.site_id
    WHERE sw.code = ANY(${Object.values(SWITCH_OF_SITE)}::text[])`.execute(db);
  const out = new Map<string, SwitchInfo>();
  for (const [site, code] of Object.entries(SWITCH_OF_SITE)) {
    const sw = r.rows.find((x) => x.code === code);
    if (!sw) throw new Error(`demo switch ${code} missing (load the demo plant first)`);
    out.set(site, sw);
  }
  return out;
}

/** A port's place counted from shelf 2, card 1, port 1 of the installed-base cards. */
const ordinal = (shelf: number, card: number, port: number) =>
  ((shelf - FIRST_SHELF) * CARDS_PER_SHELF + card - 1) * PORTS_PER_CARD + port - 1;

/**
 * Wired lines: each on a new in-service port of its exchange's switch, on installed-base cards that
 * continue after the switch's highest port (so a card an operator added is never overwritten),
 * each port wired to its own horizontal MDF position as the `ports` import does (plant.writers.ts).
 * The ports are never free, so the study's free list (inv_port_free) never lists them. Pairs,
 * cabinet and concentration point stay null: the demo's cables are deliberately small (Parcelles is
 * saturated, with requests held on it) and must keep their free pairs for the counter.
 */
async function linkWired(trx: Tx, rows: Candidate[], switches: Map<string, SwitchInfo>): Promise<number> {
  if (rows.length === 0) return 0;
  const last = await sql<{
    switch_id: number;
    shelf: number | null;
    card: number | null;
    port: number | null;
  }>`
    SELECT sw.id AS switch_id, m.shelf, m.card, m.port FROM inv_switch sw
    LEFT JOIN LATERAL (SELECT p.shelf, p.card, p.port FROM inv_port p WHERE p.switch_id = sw.id
                       ORDER BY p.shelf DESC, p.card DESC, p.port DESC LIMIT 1) m ON true
    WHERE sw.id = ANY(${[...switches.values()].map((s) => s.id)}::bigint[])`.execute(trx);
  const next = new Map<number, number>();
  for (const l of last.rows) {
    const { shelf, card, port } = l;
    next.set(
      l.switch_id,
      shelf === null || card === null || port === null || shelf < FIRST_SHELF
        ? 0
        : card > CARDS_PER_SHELF
          ? ordinal(shelf + 1, 1, 1)
          : port >= PORTS_PER_CARD
            ? ordinal(shelf, card + 1, 1)
            : ordinal(shelf, card, port + 1),
    );
  }
  const cols = {
    sub: [] as number[],
    product: [] as string[],
    switchId: [] as number[],
    siteId: [] as number[],
    mdfId: [] as (number | null)[],
    shelf: [] as number[],
    card: [] as number[],
    port: [] as number[],
    en: [] as string[],
  };
  for (const r of rows) {
    const sw = switches.get(r.site)!;
    const o = next.get(sw.id) ?? 0;
    next.set(sw.id, o + 1);
    const port = (o % PORTS_PER_CARD) + 1;
    const card = (Math.floor(o / PORTS_PER_CARD) % CARDS_PER_SHELF) + 1;
    const shelf = Math.floor(o / (PORTS_PER_CARD * CARDS_PER_SHELF)) + FIRST_SHELF;
    cols.sub.push(r.id);
    cols.product.push(r.product);
    cols.switchId.push(sw.id);
    cols.siteId.push(sw.site_id);
    cols.mdfId.push(sw.mdf_id);
    cols.shelf.push(shelf);
    cols.card.push(card);
    cols.port.push(port);
    // the equipment number as plant.writers.ts `ports` builds it: switch-shelf-card-port
    cols.en.push(
      `${sw.code}-${String(shelf).padStart(2, '0')}-${String(card).padStart(2, '0')}-${String(port).padStart(3, '0')}`,
    );
  }
  const r = await sql<{ n: number }>`
    WITH slot AS (
      SELECT * FROM unnest(${cols.sub}::bigint[], ${cols.product}::text[], ${cols.switchId}::bigint[],
        ${cols.siteId}::bigint[], ${cols.mdfId}::bigint[], ${cols.shelf}::int[], ${cols.card}::int[],
        ${cols.port}::int[], ${cols.en}::text[]) AS u(sub_id, product, switch_id, site_id, mdf_id, shelf, card, port, en)
    ), pos AS (
      INSERT INTO inv_mdf_position (mdf_id, side, position)
      SELECT mdf_id, 'horizontal', 'H' || en FROM slot WHERE mdf_id IS NOT NULL
      RETURNING id, position
    ), port AS (
      INSERT INTO inv_port (switch_id, site_id, equipment_number, shelf, card, port, mdf_position_id, status)
      SELECT slot.switch_id, slot.site_id, slot.en, slot.shelf, slot.card, slot.port, pos.id, 'in_service'
      FROM slot LEFT JOIN pos ON pos.position = 'H' || slot.en
      RETURNING id, equipment_number
    ), line AS (
      INSERT INTO inv_line (directory_number, kind, product_code, address, port_id)
      SELECT s.directory_number, 'fixed_wired', slot.product, c.address, port.id
      FROM slot JOIN port ON port.equipment_number = slot.en
      JOIN subscription s ON s.id = slot.sub_id JOIN customer c ON c.id = s.customer_id
      RETURNING 1
    ), sub AS (
      -- what a completed new-line request records on the subscription (requests/line.handlers.ts);
      -- updated_at stays: the line was built when the subscription was activated
      UPDATE subscription s SET equipment_number = slot.en FROM slot WHERE s.id = slot.sub_id
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM line)::int AS n`.execute(trx);
  return r.rows[0]?.n ?? 0;
}

/**
 * Radio lines: on installed-base base stations of their exchange's site (the automaton puts a radio
 * line on the switch of its station's site, on a virtual port named after the station and the
 * number's last six digits). BTS-RUF-01 keeps its capacity for the counter. Stations are filled in
 * subscription order, so the numbers on one station are close together and their last six digits
 * differ.
 */
async function linkRadio(trx: Tx, rows: Candidate[]): Promise<number> {
  if (rows.length === 0) return 0;
  const stations = (
    await sql<{ id: number; site: string; room: number }>`
      SELECT b.id, site.code AS site, b.capacity - b.used AS room
      FROM inv_base_station b JOIN inv_site site ON site.id = b.site_id
      WHERE b.code LIKE 'BTS-BASE-%' AND b.used < b.capacity ORDER BY b.id`.execute(trx)
  ).rows;
  const subs: number[] = [];
  const products: string[] = [];
  const stationIds: number[] = [];
  for (const r of rows) {
    let bs = stations.find((b) => b.site === r.site && b.room > 0);
    if (!bs) {
      const made = await sql<{ id: number }>`
        INSERT INTO inv_base_station (code, site_id, name, capacity)
        SELECT 'BTS-BASE-' || site.code || '-' || lpad((count(b.id) + 1)::text, 3, '0'), site.id,
          'Station radio (parc installé) ' || site.name || ' ' || (count(b.id) + 1), ${RADIO_CAPACITY}::int
        FROM inv_site site
        LEFT JOIN inv_base_station b ON b.site_id = site.id AND b.code LIKE 'BTS-BASE-%'
        WHERE site.code = ${r.site} GROUP BY site.id
        RETURNING id`.execute(trx);
      bs = { id: made.rows[0]!.id, site: r.site, room: RADIO_CAPACITY };
      stations.push(bs);
    }
    bs.room--;
    subs.push(r.id);
    products.push(r.product);
    stationIds.push(bs.id);
  }
  const r = await sql<{ n: number }>`
    WITH u AS (
      SELECT * FROM unnest(${subs}::bigint[], ${products}::text[], ${stationIds}::bigint[]) AS u(sub_id, product, bs_id)
    ), line AS (
      INSERT INTO inv_line (directory_number, kind, product_code, address, base_station_id)
      SELECT s.directory_number, 'fixed_radio', u.product, c.address, u.bs_id
      FROM u JOIN subscription s ON s.id = u.sub_id JOIN customer c ON c.id = s.customer_id
      RETURNING base_station_id
    ), used AS (
      UPDATE inv_base_station b SET used = b.used + n.n
      FROM (SELECT base_station_id, count(*)::int AS n FROM line GROUP BY 1) n WHERE b.id = n.base_station_id
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM line)::int AS n, (SELECT count(*) FROM used) AS stations`.execute(trx);
  return r.rows[0]?.n ?? 0;
}

const hex32 = (seed: string) => createHash('sha256').update(seed).digest('hex').slice(0, 32).toUpperCase();

/**
 * Mobile lines: the card the subscription names, as if imported from the manufacturer's file
 * (sim-import.ts): IMSI, and Ki, OPc, PIN and PUK sealed under the secret key with the ICCID as
 * associated data — so the automaton reads them like any card's. Demo keys are derived from the
 * ICCID (reproducible; these cards exist nowhere but here). The IMSI is 608 01 then 2 and the
 * subscription id (the stock's cards are 608 01 1…). A subscription whose ICCID is already another
 * card's (the demo stock's ICCIDs overlap the generator's first thousands) gets a card of its own.
 */
async function linkMobile(trx: Tx, box: SecretBox, rows: Candidate[]): Promise<number> {
  if (rows.length === 0) return 0;
  const batch = await sql<{ id: number }>`
    INSERT INTO inv_sim_batch (code, manufacturer, card_count) VALUES (${SIM_BATCH}, 'GPTo demo', 0)
    ON CONFLICT (code) DO UPDATE SET code = excluded.code
    RETURNING id`.execute(trx);
  const subs: number[] = [];
  const iccids: string[] = [];
  const imsis: string[] = [];
  const secrets: Buffer[] = [];
  for (const r of rows) {
    const iccid = r.iccid && !r.iccid_taken ? r.iccid : withLuhn(`8922102${String(r.id).padStart(11, '0')}`);
    subs.push(r.id);
    iccids.push(iccid);
    imsis.push(`6080120${String(r.id).padStart(8, '0')}`);
    secrets.push(
      box.seal(
        {
          ki: hex32(`ki:${iccid}`),
          opc: hex32(`opc:${iccid}`),
          pin1: '0000',
          puk1: String(10_000_000 + (r.id % 90_000_000)),
          pin2: '1234',
          puk2: String(20_000_000 + (r.id % 80_000_000)),
        },
        iccid,
      ),
    );
  }
  const r = await sql<{ n: number }>`
    WITH card AS (
      SELECT u.*, s.status, s.directory_number, s.customer_id
      FROM unnest(${subs}::bigint[], ${iccids}::text[], ${imsis}::text[], ${secrets}::bytea[],
        ${rows.map((x) => x.product)}::text[]) AS u(sub_id, iccid, imsi, secrets, product)
      JOIN subscription s ON s.id = u.sub_id
    ), sim AS (
      -- a card that clashes with one imported meanwhile is left out, with its line
      INSERT INTO inv_sim (iccid, imsi, batch_id, secrets, status, directory_number)
      SELECT iccid, imsi, ${batch.rows[0]!.id}, secrets, status, directory_number FROM card
      ON CONFLICT DO NOTHING
      RETURNING id, iccid
    ), line AS (
      INSERT INTO inv_line (directory_number, kind, product_code, address, sim_id)
      SELECT card.directory_number, 'mobile', card.product, c.address, sim.id
      FROM sim JOIN card ON card.iccid = sim.iccid JOIN customer c ON c.id = card.customer_id
      RETURNING 1
    ), reissued AS (
      UPDATE subscription s SET sim_iccid = card.iccid
      FROM sim JOIN card ON card.iccid = sim.iccid
      WHERE s.id = card.sub_id AND s.sim_iccid IS DISTINCT FROM card.iccid
      RETURNING 1
    ), counted AS (
      UPDATE inv_sim_batch SET card_count = card_count + (SELECT count(*) FROM sim)
      WHERE id = ${batch.rows[0]!.id}
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM line)::int AS n, (SELECT count(*) FROM reissued) AS reissued,
      (SELECT count(*) FROM counted) AS counted`.execute(trx);
  return r.rows[0]?.n ?? 0;
}
