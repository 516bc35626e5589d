import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import type { CapacityBus, CapacitySignal } from './capacity.js';
import { invConflict, invInvalid, invNotFound } from './inventory.errors.js';
import type * as S from './inventory.schemas.js';
import { idOf } from './plant.writers.js';

/** Numbers a single range may add at once: a range is a block the regulator allots, not a country. */
export const MAX_RANGE = 1_000_000;

export interface Pool {
  code: string;
  product: string;
  site: string | null;
  quarantineDays: number;
  counts: Record<'free' | 'reserved' | 'assigned' | 'quarantine' | 'golden', number>;
  ranges: { first: string; last: string }[];
}

/** Adds a range's numbers to a pool; refuses overlap with any number already known. */
export async function addRangeInTrx(
  db: Executor,
  poolCode: string,
  r: S.RangeCreate,
  signals: CapacitySignal[],
): Promise<number> {
  if (r.first.length !== r.last.length)
    throw invInvalid('number.invalid', 'last', 'both ends of a range have the same number of digits');
  if (r.first > r.last) throw invInvalid('number.invalid', 'last', 'the range ends before it starts');
  const size = Number(BigInt(r.last) - BigInt(r.first)) + 1;
  if (size > MAX_RANGE)
    throw invInvalid('number.invalid', 'last', `a range holds at most ${MAX_RANGE} numbers`);
  const pool = await db
    .selectFrom('inv_number_pool')
    .select(['id', 'product_code'])
    .where('code', '=', poolCode.toUpperCase())
    .executeTakeFirst();
  if (!pool) throw invNotFound('inventory.not_found', 'number pool', poolCode, 'pool');
  const width = r.first.length;
  const overlap = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM inv_number_range
    WHERE length(first) = ${width} AND first <= ${r.last} AND last >= ${r.first}`.execute(db);
  if (overlap.rows[0]?.n)
    throw invConflict('number.unavailable', `range ${r.first}–${r.last} overlaps a known range`, 'first');
  await db
    .insertInto('inv_number_range')
    .values({ pool_id: pool.id, first: r.first, last: r.last })
    .execute();
  const ins = await sql`
    INSERT INTO inv_number (number, pool_id, golden)
    SELECT lpad(n::text, ${width}, '0'), ${pool.id}, inv_is_golden(lpad(n::text, ${width}, '0'))
    FROM generate_series(${r.first}::bigint, ${r.last}::bigint) n
    ON CONFLICT DO NOTHING`.execute(db);
  signals.push({ elementType: 'number_pool', code: pool.product_code, reason: 'pool_extended' });
  return Number(ins.numAffectedRows ?? 0);
}

export class PoolService {
  constructor(
    private readonly db: Db,
    private readonly bus: CapacityBus,
  ) {}

  async create(i: S.PoolCreate, by: Actor): Promise<Pool> {
    await this.db.transaction().execute(async (trx) => {
      const siteId = i.site ? await idOf(trx, 'inv_site', i.site, 'site') : null;
      const r = await sql`
        INSERT INTO inv_number_pool (code, product_code, site_id, quarantine_days)
        VALUES (${i.code.toUpperCase()}, ${i.product.toUpperCase()}, ${siteId}, ${i.quarantineDays ?? 180})
        ON CONFLICT (code) DO NOTHING`.execute(trx);
      if (Number(r.numAffectedRows ?? 0) === 0)
        throw invConflict('inventory.duplicate', `pool ${i.code} already exists`, 'code');
      await appendEvent(trx, {
        entityType: 'number_pool',
        entityId: i.code.toUpperCase(),
        kind: 'number_pool.created',
        userId: by.userId,
        payload: i,
      });
    });
    return this.get(i.code);
  }

  async addRange(poolCode: string, r: S.RangeCreate, by: Actor): Promise<{ added: number }> {
    const signals: CapacitySignal[] = [];
    const added = await this.db.transaction().execute(async (trx) => {
      const n = await addRangeInTrx(trx, poolCode, r, signals);
      await appendEvent(trx, {
        entityType: 'number_pool',
        entityId: poolCode.toUpperCase(),
        kind: 'number_pool.extended',
        userId: by.userId,
        payload: { ...r, added: n },
      });
      return n;
    });
    await this.bus.announce(signals);
    return { added };
  }

  async get(code: string): Promise<Pool> {
    const p = await this.db
      .selectFrom('inv_number_pool as p')
      .leftJoin('inv_site as s', 's.id', 'p.site_id')
      .select(['p.id', 'p.code', 'p.product_code', 'p.quarantine_days', 's.code as site_code'])
      .where('p.code', '=', code.toUpperCase())
      .executeTakeFirst();
    if (!p) throw invNotFound('inventory.not_found', 'number pool', code);
    const counts = await sql<{ status: string; golden: boolean; n: number }>`
      SELECT status, golden, count(*)::int AS n FROM inv_number WHERE pool_id = ${p.id} GROUP BY status, golden`.execute(
      this.db,
    );
    const c = { free: 0, reserved: 0, assigned: 0, quarantine: 0, golden: 0 };
    for (const row of counts.rows) {
      c[row.status as keyof typeof c] += row.n;
      if (row.golden && row.status === 'free') c.golden += row.n;
    }
    const ranges = await this.db
      .selectFrom('inv_number_range')
      .select(['first', 'last'])
      .where('pool_id', '=', p.id)
      .orderBy('first')
      .execute();
    return {
      code: p.code,
      product: p.product_code,
      site: p.site_code,
      quarantineDays: p.quarantine_days,
      counts: c,
      ranges,
    };
  }

  async list(): Promise<Pool[]> {
    const rows = await this.db.selectFrom('inv_number_pool').select('code').orderBy('code').execute();
    return Promise.all(rows.map((r) => this.get(r.code)));
  }

  /**
   * Choose-a-number: free numbers of a product containing the customer's digits. Golden numbers are
   * listed only when asked for; quarantined numbers whose time is up count as free.
   */
  async available(q: S.NumberSearch): Promise<{ number: string; golden: boolean }[]> {
    const r = await sql<{ number: string; golden: boolean }>`
      SELECT n.number, n.golden FROM inv_number n JOIN inv_number_pool p ON p.id = n.pool_id
      WHERE p.product_code = ${q.product.toUpperCase()}
        AND (n.status = 'free' OR (n.status = 'quarantine' AND n.quarantine_until <= now()))
        AND n.golden = ${q.golden ?? false}
        ${q.contains ? sql`AND n.number LIKE ${`%${q.contains}%`}` : sql``}
      ORDER BY n.number LIMIT ${q.limit ?? 20}`.execute(this.db);
    return r.rows;
  }

  async number(num: string): Promise<{
    number: string;
    pool: string;
    status: string;
    golden: boolean;
    quarantineUntil: Date | null;
    history: unknown[];
  }> {
    const n = await this.db
      .selectFrom('inv_number as n')
      .innerJoin('inv_number_pool as p', 'p.id', 'n.pool_id')
      .select(['n.number', 'p.code', 'n.status', 'n.golden', 'n.quarantine_until'])
      .where('n.number', '=', num)
      .executeTakeFirst();
    if (!n) throw invNotFound('number.not_found', 'number', num);
    // Its rows and the "reserved" entry a fast-path study's reservation still carries (0235).
    const history = (
      await sql<{ from_status: string | null; to_status: string; reason: string | null; at: Date }>`
        SELECT from_status, to_status, reason, at FROM inv_resource_history_of('number', ${num})`.execute(
        this.db,
      )
    ).rows;
    return {
      number: n.number,
      pool: n.code,
      status: n.status,
      golden: n.golden,
      quarantineUntil: n.quarantine_until,
      history,
    };
  }

  /** Marks a free number as golden (kept for sale) or gives it back to ordinary assignment. */
  async setGolden(num: string, golden: boolean, by: Actor): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('inv_number')
        .set({ golden, updated_at: new Date() })
        .where('number', '=', num)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw invNotFound('number.not_found', 'number', num);
      await appendEvent(trx, {
        entityType: 'number',
        entityId: num,
        kind: 'number.golden_changed',
        lineId: num,
        userId: by.userId,
        payload: { golden },
      });
    });
  }
}
