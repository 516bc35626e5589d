import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import type { CapacitySignal, NotFeasible } from './capacity.js';
import { invConflict, invInvalid, invNotFound } from './inventory.errors.js';
import type { Address, StudyInput } from './inventory.schemas.js';
import { norm, zoneKey } from './inventory.states.js';
import type { ReservationKind } from './inventory.tables.js';
import { recordStatus } from './plant.service.js';

/**
 * The automatic study (seed: "études automatiques, réservation de constitution"): find a complete
 * free chain for the line and reserve it with a number in one transaction, or say why not.
 *
 * Concurrency: each free resource is taken with `FOR UPDATE SKIP LOCKED` and its `status = 'free'`
 * is re-checked by PostgreSQL once locked, so concurrent studies never take the same pair, port,
 * SIM or number; partial unique indexes on live reservations are the last guard. A resource locked
 * by a concurrent study that later rolls back is skipped, so a study may call a nearly saturated
 * element saturated a moment early: the request is then held and resumed by the next capacity event.
 */

export interface Serving {
  cps: { id: number; code: string }[];
  baseStations: { id: number; code: string }[];
}

/** The concentration points and base stations that serve an address: the most specific areas win. */
export async function resolveServing(db: Executor, address: Address): Promise<Serving> {
  const r = await sql<{ cp_id: number | null; base_station_id: number | null; code: string; spec: number }>`
    WITH m AS (
      SELECT a.cp_id, a.base_station_id,
             (a.district_norm <> '')::int + 2 * (a.street_norm <> '')::int AS spec
      FROM inv_serving_area a
      WHERE a.locality_norm = ${norm(address.locality)}
        AND a.district_norm IN ('', ${norm(address.district)})
        AND a.street_norm IN ('', ${norm(address.street)})
    ), best AS (
      SELECT *, max(spec) OVER (PARTITION BY cp_id IS NULL) AS best FROM m
    )
    SELECT best.cp_id, best.base_station_id, coalesce(cp.code, bs.code) AS code, spec
    FROM best LEFT JOIN inv_cp cp ON cp.id = best.cp_id LEFT JOIN inv_base_station bs ON bs.id = best.base_station_id
    WHERE spec = best ORDER BY code`.execute(db);
  return {
    cps: r.rows.filter((x) => x.cp_id !== null).map((x) => ({ id: x.cp_id as number, code: x.code })),
    baseStations: r.rows
      .filter((x) => x.base_station_id !== null)
      .map((x) => ({ id: x.base_station_id as number, code: x.code })),
  };
}

const notFeasible = (
  cause: NotFeasible['cause'],
  elementType: NotFeasible['elementType'],
  elementCode: string,
  detail: string,
): NotFeasible => ({ feasible: false, cause, elementType, elementCode, detail });

async function countOf(db: Executor, query: ReturnType<typeof sql<{ n: number }>>): Promise<number> {
  return (await query.execute(db)).rows[0]?.n ?? 0;
}

/**
 * A number for the product: the preferred one when the customer chose it (golden numbers only
 * this way), else the lowest ordinary free number of the product's pools (the site's first).
 */
export async function pickNumber(
  db: Executor,
  productCode: string,
  siteId: number | null,
  preferred: string | undefined,
): Promise<{ number: string; from: string } | NotFeasible> {
  const product = productCode.toUpperCase();
  if (preferred) {
    const r = await sql<{ number: string; status: string }>`
      SELECT n.number, n.status FROM inv_number n JOIN inv_number_pool p ON p.id = n.pool_id
      WHERE n.number = ${preferred} AND p.product_code = ${product}
        AND (p.site_id IS NULL OR ${siteId}::bigint IS NULL OR p.site_id = ${siteId})
        AND (n.status = 'free' OR (n.status = 'quarantine' AND n.quarantine_until <= now()))
      FOR UPDATE OF n SKIP LOCKED`.execute(db);
    const row = r.rows[0];
    if (!row)
      throw invConflict(
        'number.unavailable',
        `number ${preferred} is not available for ${product}`,
        'preferredNumber',
      );
    return { number: row.number, from: row.status };
  }
  const pools = await sql<{ id: number }>`
    SELECT id FROM inv_number_pool WHERE product_code = ${product}
      AND (site_id IS NULL OR ${siteId}::bigint IS NULL OR site_id = ${siteId})
    ORDER BY (site_id IS NULL), id`.execute(db);
  if (pools.rows.length === 0)
    return notFeasible('missing_equipment', 'number_pool', product, `no number pool for product ${product}`);
  for (const pool of pools.rows) {
    const r = await sql<{ number: string; status: string }>`
      SELECT number, status FROM inv_number
      WHERE pool_id = ${pool.id} AND status IN ('free', 'quarantine') AND NOT golden
        AND (status = 'free' OR quarantine_until <= now())
      ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED`.execute(db);
    if (r.rows[0]) return { number: r.rows[0].number, from: r.rows[0].status };
  }
  return notFeasible('saturation', 'number_pool', product, `number pools of ${product} are exhausted`);
}

interface Chain {
  kind: ReservationKind;
  port?: { id: number };
  primaryPair?: { id: number };
  distributionPair?: { id: number };
  cpId?: number;
  baseStationId?: number;
  simId?: number;
  number?: { number: string; from: string };
}

async function pickFixedWired(
  db: Executor,
  input: StudyInput,
  address: Address,
): Promise<Chain | NotFeasible> {
  const serving = await resolveServing(db, address);
  if (serving.cps.length === 0) {
    return notFeasible(
      'unequipped_zone',
      'zone',
      zoneKey(address.locality, address.district),
      serving.baseStations.length > 0
        ? `${address.locality} ${address.district ?? ''} is served by radio only`.trim()
        : `no concentration point serves ${address.locality} ${address.district ?? ''}`.trim(),
    );
  }
  let failure: NotFeasible | undefined;
  for (const cp of serving.cps) {
    const dp = (
      await sql<{ id: number; sdf_id: number }>`
        SELECT id, sdf_id FROM inv_pair WHERE cp_id = ${cp.id} AND kind = 'distribution' AND status = 'free'
        ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`.execute(db)
    ).rows[0];
    if (!dp) {
      const total = await countOf(db, sql`SELECT count(*)::int AS n FROM inv_pair WHERE cp_id = ${cp.id}`);
      failure ??= total
        ? notFeasible(
            'saturation',
            'cp',
            cp.code,
            `concentration point ${cp.code} has no free distribution pair`,
          )
        : notFeasible(
            'missing_equipment',
            'cp',
            cp.code,
            `no distribution cable reaches concentration point ${cp.code}`,
          );
      continue;
    }
    const pp = (
      await sql<{ id: number; site_id: number }>`
        SELECT p.id, m.site_id FROM inv_pair p JOIN inv_cable c ON c.id = p.cable_id JOIN inv_mdf m ON m.id = c.mdf_id
        WHERE p.sdf_id = ${dp.sdf_id} AND p.kind = 'primary' AND p.status = 'free'
        ORDER BY p.id LIMIT 1 FOR UPDATE OF p SKIP LOCKED`.execute(db)
    ).rows[0];
    if (!pp) {
      const sdf = (
        await sql<{ code: string; n: number }>`
        SELECT s.code, (SELECT count(*)::int FROM inv_pair WHERE sdf_id = s.id AND kind = 'primary') AS n
        FROM inv_sdf s WHERE s.id = ${dp.sdf_id}`.execute(db)
      ).rows[0];
      failure ??= sdf?.n
        ? notFeasible('saturation', 'sdf', sdf.code, `no free primary pair towards cabinet ${sdf.code}`)
        : notFeasible(
            'missing_equipment',
            'sdf',
            sdf?.code ?? '',
            `no primary cable reaches cabinet ${sdf?.code ?? ''}`,
          );
      continue;
    }
    const port = (
      await sql<{ id: number }>`
        SELECT id FROM inv_port WHERE site_id = ${pp.site_id} AND status = 'free'
        ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`.execute(db)
    ).rows[0];
    if (!port) {
      const site = (
        await sql<{ code: string; n: number }>`
        SELECT s.code, (SELECT count(*)::int FROM inv_port WHERE site_id = s.id) AS n FROM inv_site s WHERE s.id = ${pp.site_id}`.execute(
          db,
        )
      ).rows[0];
      failure ??= site?.n
        ? notFeasible('saturation', 'site', site.code, `the switches of ${site.code} have no free line port`)
        : notFeasible(
            'missing_equipment',
            'site',
            site?.code ?? '',
            `no switch line equipment at ${site?.code ?? ''}`,
          );
      continue;
    }
    let number: Chain['number'];
    if (input.withNumber !== false) {
      const n = await pickNumber(db, input.product, pp.site_id, input.preferredNumber);
      if ('feasible' in n) return n;
      number = n;
    }
    return {
      kind: 'fixed_wired',
      port,
      primaryPair: pp,
      distributionPair: dp,
      cpId: cp.id,
      ...(number ? { number } : {}),
    };
  }
  return failure as NotFeasible;
}

async function pickRadio(db: Executor, input: StudyInput, address: Address): Promise<Chain | NotFeasible> {
  const serving = await resolveServing(db, address);
  if (serving.baseStations.length === 0)
    return notFeasible(
      'unequipped_zone',
      'zone',
      zoneKey(address.locality, address.district),
      `no radio coverage at ${address.locality} ${address.district ?? ''}`.trim(),
    );
  // A base station's capacity is a counter every study touches: wait for the lock rather than skip it,
  // or concurrent studies would call a station with room saturated.
  const bs = (
    await sql<{ id: number; site_id: number }>`
      SELECT id, site_id FROM inv_base_station
      WHERE id = ANY(${serving.baseStations.map((b) => b.id)}::bigint[]) AND used < capacity AND status = 'free'
      ORDER BY capacity - used DESC, id LIMIT 1 FOR UPDATE`.execute(db)
  ).rows[0];
  const first = serving.baseStations[0] as { code: string };
  if (!bs) {
    const working = await countOf(
      db,
      sql`SELECT count(*)::int AS n FROM inv_base_station WHERE id = ANY(${serving.baseStations.map((b) => b.id)}::bigint[]) AND status = 'free'`,
    );
    return working
      ? notFeasible(
          'saturation',
          'base_station',
          first.code,
          `base station ${first.code} has no free capacity`,
        )
      : notFeasible(
          'missing_equipment',
          'base_station',
          first.code,
          `base station ${first.code} is not working`,
        );
  }
  let number: Chain['number'];
  if (input.withNumber !== false) {
    const n = await pickNumber(db, input.product, bs.site_id, input.preferredNumber);
    if ('feasible' in n) return n;
    number = n;
  }
  return { kind: 'fixed_radio', baseStationId: bs.id, ...(number ? { number } : {}) };
}

async function pickMobile(db: Executor, input: StudyInput): Promise<Chain | NotFeasible> {
  if (!input.shop)
    throw invInvalid('inventory.invalid', 'shop', 'a mobile line is studied at a shop: give its code');
  const shop = await db
    .selectFrom('inv_shop')
    .select(['id', 'code'])
    .where('code', '=', input.shop.toUpperCase())
    .executeTakeFirst();
  if (!shop) throw invNotFound('inventory.not_found', 'shop', input.shop, 'shop');
  const sim = (
    await sql<{ id: number }>`
      SELECT id FROM inv_sim WHERE shop_id = ${shop.id} AND status = 'allocated' AND reservation_id IS NULL
      ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`.execute(db)
  ).rows[0];
  if (!sim) return notFeasible('saturation', 'shop', shop.code, `no SIM card in stock at shop ${shop.code}`);
  let number: Chain['number'];
  if (input.withNumber !== false) {
    const n = await pickNumber(db, input.product, null, input.preferredNumber);
    if ('feasible' in n) return n;
    number = n;
  }
  return { kind: 'mobile', simId: sim.id, ...(number ? { number } : {}) };
}

/** Writes the reservation and moves every resource of the chain to reserved, with history and event. */
export async function reserveChain(
  db: Executor,
  input: { requestRef: string; product: string; address?: Address | undefined },
  chain: Chain,
  by: Actor,
): Promise<number> {
  const code = (
    await sql<{
      c: string;
    }>`SELECT 'R' || lpad(nextval('inv_reservation_code_seq')::text, 9, '0') AS c`.execute(db)
  ).rows[0]?.c as string;
  const { id } = await db
    .insertInto('inv_reservation')
    .values({
      code,
      request_ref: input.requestRef,
      kind: chain.kind,
      product_code: input.product.toUpperCase(),
      address: input.address ? JSON.stringify(input.address) : null,
      port_id: chain.port?.id ?? null,
      primary_pair_id: chain.primaryPair?.id ?? null,
      distribution_pair_id: chain.distributionPair?.id ?? null,
      cp_id: chain.cpId ?? null,
      base_station_id: chain.baseStationId ?? null,
      sim_id: chain.simId ?? null,
      directory_number: chain.number?.number ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const history: Parameters<typeof recordStatus>[1] = [];
  const pairs = [chain.primaryPair?.id, chain.distributionPair?.id].filter(
    (x): x is number => x !== undefined,
  );
  if (pairs.length) {
    await sql`UPDATE inv_pair SET status = 'reserved', updated_at = now() WHERE id = ANY(${pairs}::bigint[])`.execute(
      db,
    );
    for (const p of pairs) history.push({ type: 'pair', id: p, from: 'free', to: 'reserved' });
  }
  if (chain.port) {
    await sql`UPDATE inv_port SET status = 'reserved', updated_at = now() WHERE id = ${chain.port.id}`.execute(
      db,
    );
    history.push({ type: 'port', id: chain.port.id, from: 'free', to: 'reserved' });
  }
  if (chain.baseStationId)
    await sql`UPDATE inv_base_station SET used = used + 1 WHERE id = ${chain.baseStationId}`.execute(db);
  if (chain.simId)
    await sql`UPDATE inv_sim SET reservation_id = ${id}, updated_at = now() WHERE id = ${chain.simId}`.execute(
      db,
    );
  if (chain.number) {
    await sql`UPDATE inv_number SET status = 'reserved', quarantine_until = NULL, updated_at = now() WHERE number = ${chain.number.number}`.execute(
      db,
    );
    history.push({ type: 'number', id: chain.number.number, from: chain.number.from, to: 'reserved' });
  }
  await recordStatus(db, history, `reserved for ${input.requestRef}`, id, by);
  await appendEvent(db, {
    entityType: 'reservation',
    entityId: code,
    kind: 'reservation.created',
    lineId: chain.number?.number ?? null,
    userId: by.userId,
    actor: by.actor ?? null,
    payload: { requestRef: input.requestRef, kind: chain.kind },
  });
  return id;
}

export type StudyOutcome = { feasible: true; reservationId: number; reused: boolean } | NotFeasible;

/** The study inside the caller's transaction: idempotent per request (a live reservation is returned). */
export async function studyInTrx(db: Executor, input: StudyInput, by: Actor): Promise<StudyOutcome> {
  const live = await db
    .selectFrom('inv_reservation')
    .select('id')
    .where('request_ref', '=', input.requestRef)
    .where('status', '=', 'reserved')
    .executeTakeFirst();
  if (live) return { feasible: true, reservationId: live.id, reused: true };
  let chain: Chain | NotFeasible;
  switch (input.kind) {
    case 'fixed_wired':
    case 'fixed_radio': {
      if (!input.address)
        throw invInvalid('inventory.invalid', 'address', 'a fixed line is studied at an address');
      chain =
        input.kind === 'fixed_wired'
          ? await pickFixedWired(db, input, input.address)
          : await pickRadio(db, input, input.address);
      break;
    }
    case 'mobile':
      chain = await pickMobile(db, input);
      break;
  }
  if ('feasible' in chain) return chain;
  const reservationId = await reserveChain(
    db,
    { requestRef: input.requestRef, product: input.product, address: input.address },
    chain,
    by,
  );
  return { feasible: true, reservationId, reused: false };
}

/**
 * Gives a reservation's resources back (compensation of a cancelled or rejected request). Numbers
 * that were only reserved go straight back to free: nobody was ever called on them.
 */
export async function releaseInTrx(
  db: Executor,
  reservationId: number,
  reason: string,
  by: Actor,
): Promise<CapacitySignal[]> {
  const r = await db
    .selectFrom('inv_reservation')
    .selectAll()
    .where('id', '=', reservationId)
    .forUpdate()
    .executeTakeFirst();
  if (!r) throw invNotFound('reservation.not_found', 'reservation', reservationId);
  if (r.status !== 'reserved')
    throw invConflict('reservation.closed', `reservation ${r.code} is already ${r.status}`);
  await db
    .updateTable('inv_reservation')
    .set({ status: 'released', closed_at: new Date() })
    .where('id', '=', r.id)
    .execute();
  const history: Parameters<typeof recordStatus>[1] = [];
  const signals: CapacitySignal[] = [];
  const pairs = [r.primary_pair_id, r.distribution_pair_id].filter((x): x is number => x !== null);
  if (pairs.length) {
    const rows = await sql<{ id: number; kind: string; cp: string | null; sdf: string }>`
      UPDATE inv_pair p SET status = 'free', updated_at = now() FROM inv_sdf s
      WHERE p.id = ANY(${pairs}::bigint[]) AND s.id = p.sdf_id AND p.status = 'reserved'
      RETURNING p.id, p.kind, (SELECT code FROM inv_cp WHERE id = p.cp_id) AS cp, s.code AS sdf`.execute(db);
    for (const p of rows.rows) {
      history.push({ type: 'pair', id: p.id, from: 'reserved', to: 'free' });
      signals.push(
        p.kind === 'primary'
          ? { elementType: 'sdf', code: p.sdf, reason: 'released' }
          : { elementType: 'cp', code: p.cp ?? '', reason: 'released' },
      );
    }
  }
  if (r.port_id) {
    const rows = await sql<{ code: string }>`
      UPDATE inv_port p SET status = 'free', updated_at = now() FROM inv_site s
      WHERE p.id = ${r.port_id} AND s.id = p.site_id AND p.status = 'reserved' RETURNING s.code`.execute(db);
    if (rows.rows[0]) {
      history.push({ type: 'port', id: r.port_id, from: 'reserved', to: 'free' });
      signals.push({ elementType: 'site', code: rows.rows[0].code, reason: 'released' });
    }
  }
  if (r.base_station_id) {
    const rows = await sql<{
      code: string;
    }>`UPDATE inv_base_station SET used = used - 1 WHERE id = ${r.base_station_id} RETURNING code`.execute(
      db,
    );
    if (rows.rows[0])
      signals.push({ elementType: 'base_station', code: rows.rows[0].code, reason: 'released' });
  }
  if (r.sim_id) {
    const rows = await sql<{ code: string | null }>`
      UPDATE inv_sim s SET reservation_id = NULL, updated_at = now() WHERE id = ${r.sim_id}
      RETURNING (SELECT code FROM inv_shop WHERE id = s.shop_id) AS code`.execute(db);
    if (rows.rows[0]?.code)
      signals.push({ elementType: 'shop', code: rows.rows[0].code, reason: 'released' });
  }
  if (r.directory_number) {
    await sql`UPDATE inv_number SET status = 'free', updated_at = now() WHERE number = ${r.directory_number} AND status = 'reserved'`.execute(
      db,
    );
    history.push({ type: 'number', id: r.directory_number, from: 'reserved', to: 'free' });
    signals.push({ elementType: 'number_pool', code: r.product_code, reason: 'released' });
  }
  await recordStatus(db, history, reason, r.id, by);
  await appendEvent(db, {
    entityType: 'reservation',
    entityId: r.code,
    kind: 'reservation.released',
    lineId: r.directory_number,
    userId: by.userId,
    actor: by.actor ?? null,
    payload: { requestRef: r.request_ref, reason },
  });
  return signals;
}
