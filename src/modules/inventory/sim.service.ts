import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db.js';
import { appendEvent, appendEvents, type Actor } from '../../platform/events.js';
import type { CapacityBus } from './capacity.js';
import type { SecretBox } from './crypto.js';
import type { ImportReport } from './csv.js';
import { InventoryError, invConflict, invNotFound } from './inventory.errors.js';
import type * as S from './inventory.schemas.js';
import { simTransition, type SimAction } from './inventory.states.js';
import type { SimStatus } from './inventory.tables.js';
import { idOf, recordStatus } from './plant.writers.js';
import { importSimBatch } from './sim-import.js';

// Generators and tests import the ICCID check digit from here.
export { luhnOk, withLuhn } from './sim-import.js';

export interface Sim {
  iccid: string;
  imsi: string;
  batch: string;
  status: SimStatus;
  shop: string | null;
  directoryNumber: string | null;
  reserved: boolean;
  updatedAt: Date;
}

export class SimService {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly bus: CapacityBus,
  ) {}

  /** A manufacturer's output file (see sim-import.ts): parsed, checked, sealed, all or nothing. */
  importBatch(i: S.SimImport, by: Actor): Promise<ImportReport> {
    return importSimBatch(this.db, this.box, i, by);
  }

  async get(iccid: string): Promise<Sim & { history: unknown[] }> {
    const row = await this.db
      .selectFrom('inv_sim as s')
      .innerJoin('inv_sim_batch as b', 'b.id', 's.batch_id')
      .leftJoin('inv_shop as sh', 'sh.id', 's.shop_id')
      .select([
        's.id',
        's.iccid',
        's.imsi',
        'b.code as batch',
        's.status',
        'sh.code as shop',
        's.directory_number',
        's.reservation_id',
        's.updated_at',
      ])
      .where('s.iccid', '=', iccid)
      .executeTakeFirst();
    if (!row) throw invNotFound('sim.not_found', 'SIM card', iccid);
    const history = await this.db
      .selectFrom('inv_resource_history')
      .select(['from_status', 'to_status', 'reason', 'at', 'user_id'])
      .where('resource_type', '=', 'sim')
      .where('resource_id', '=', String(row.id))
      .orderBy('id')
      .execute();
    return {
      iccid: row.iccid,
      imsi: row.imsi,
      batch: row.batch,
      status: row.status,
      shop: row.shop,
      directoryNumber: row.directory_number,
      reserved: row.reservation_id !== null,
      updatedAt: row.updated_at,
      history,
    };
  }

  /** Sends cards to a shop's stock: named ones, or the next `count` cards of the central stock. */
  async allocate(i: S.SimAllocate, by: Actor): Promise<{ allocated: number }> {
    if (!i.iccids && !i.count)
      throw new InventoryError('invalid', 'sim.invalid', 'give iccids or a count', 'count');
    const shopCode = i.shop.toUpperCase();
    const n = await this.db.transaction().execute(async (trx) => {
      const shopId = await idOf(trx, 'inv_shop', shopCode, 'shop');
      const picked = i.iccids
        ? await sql<{ id: number; status: SimStatus; iccid: string }>`
            SELECT id, status, iccid FROM inv_sim WHERE iccid = ANY(${i.iccids}::text[]) FOR UPDATE`.execute(
            trx,
          )
        : await sql<{ id: number; status: SimStatus; iccid: string }>`
            SELECT id, status, iccid FROM inv_sim WHERE status = 'in_stock' ORDER BY id LIMIT ${i.count ?? 0} FOR UPDATE SKIP LOCKED`.execute(
            trx,
          );
      if (i.iccids && picked.rows.length !== i.iccids.length) {
        const found = new Set(picked.rows.map((r) => r.iccid));
        throw invNotFound('sim.not_found', 'SIM card', i.iccids.find((x) => !found.has(x)) ?? '', 'iccids');
      }
      for (const r of picked.rows)
        if (!simTransition(r.status, 'allocate'))
          throw invConflict(
            'sim.transition',
            `SIM ${r.iccid} is ${r.status} and cannot go to a shop`,
            'iccids',
          );
      const ids = picked.rows.map((r) => r.id);
      await sql`UPDATE inv_sim SET status = 'allocated', shop_id = ${shopId}, updated_at = now() WHERE id = ANY(${ids}::bigint[]) AND reservation_id IS NULL`.execute(
        trx,
      );
      await recordStatus(
        trx,
        picked.rows.map((r) => ({ type: 'sim' as const, id: r.id, from: r.status, to: 'allocated' })),
        `allocated to ${shopCode}`,
        null,
        by,
      );
      await appendEvent(trx, {
        entityType: 'shop',
        entityId: shopCode,
        kind: 'sim.allocated',
        userId: by.userId,
        payload: { count: ids.length },
      });
      return ids.length;
    });
    if (n > 0) await this.bus.announce([{ elementType: 'shop', code: shopCode, reason: 'stock_added' }]);
    return { allocated: n };
  }

  /** Suspension, restoration, return to stock, destruction, loss or theft of one card. */
  async act(iccid: string, action: SimAction, reason: string | undefined, by: Actor): Promise<Sim> {
    await this.db.transaction().execute(async (trx) => {
      const s = await trx
        .selectFrom('inv_sim')
        .select(['id', 'status', 'directory_number', 'reservation_id'])
        .where('iccid', '=', iccid)
        .forUpdate()
        .executeTakeFirst();
      if (!s) throw invNotFound('sim.not_found', 'SIM card', iccid);
      const to = simTransition(s.status, action);
      if (!to || s.reservation_id !== null)
        throw invConflict(
          'sim.transition',
          `SIM ${iccid} is ${s.status}${s.reservation_id ? ' and reserved' : ''}: ${action} is not possible`,
          'action',
        );
      await trx
        .updateTable('inv_sim')
        .set({ status: to, updated_at: new Date(), ...(to === 'in_stock' ? { shop_id: null } : {}) })
        .where('id', '=', s.id)
        .execute();
      await recordStatus(trx, [{ type: 'sim', id: s.id, from: s.status, to }], reason ?? action, null, by);
      await appendEvent(trx, {
        entityType: 'sim',
        entityId: iccid,
        kind: `sim.${action}`,
        lineId: s.directory_number,
        userId: by.userId,
        payload: { from: s.status, to, reason: reason ?? null },
      });
    });
    return this.get(iccid);
  }

  /** SIM replacement: the number moves to a new card from stock; the old card is retired. */
  async replace(oldIccid: string, i: S.SimReplace, by: Actor): Promise<Sim> {
    await this.db.transaction().execute((trx) => this.replaceIn(trx, oldIccid, i, by));
    return this.get(i.newIccid);
  }

  /** The replacement in the caller's transaction (a workflow step's). */
  async replaceIn(trx: Executor, oldIccid: string, i: S.SimReplace, by: Actor): Promise<void> {
    const rows = await sql<{
      id: number;
      iccid: string;
      status: SimStatus;
      directory_number: string | null;
      reservation_id: number | null;
    }>`
        SELECT id, iccid, status, directory_number, reservation_id FROM inv_sim WHERE iccid IN (${oldIccid}, ${i.newIccid}) ORDER BY id FOR UPDATE`.execute(
      trx,
    );
    const old = rows.rows.find((r) => r.iccid === oldIccid);
    const neu = rows.rows.find((r) => r.iccid === i.newIccid);
    if (!old) throw invNotFound('sim.not_found', 'SIM card', oldIccid);
    if (!neu) throw invNotFound('sim.not_found', 'SIM card', i.newIccid, 'newIccid');
    if (!old.directory_number || !simTransition(old.status, 'replace'))
      throw invConflict('sim.transition', `SIM ${oldIccid} is ${old.status} and carries no line to move`);
    if (!simTransition(neu.status, 'activate') || neu.reservation_id !== null)
      throw invConflict(
        'sim.transition',
        `SIM ${i.newIccid} is ${neu.status}${neu.reservation_id ? ' and reserved' : ''}: not a card from stock`,
        'newIccid',
      );
    const number = old.directory_number;
    await sql`UPDATE inv_sim SET status = 'replaced', updated_at = now() WHERE id = ${old.id}`.execute(trx);
    await sql`UPDATE inv_sim SET status = 'active', directory_number = ${number}, updated_at = now() WHERE id = ${neu.id}`.execute(
      trx,
    );
    const line = await trx
      .updateTable('inv_line')
      .set({ sim_id: neu.id })
      .where('directory_number', '=', number)
      .where('status', '=', 'active')
      .returning('id')
      .executeTakeFirst();
    if (line)
      await trx
        .insertInto('inv_line_history')
        .values({
          line_id: line.id,
          change: 'sim_replaced',
          detail: JSON.stringify({ from: oldIccid, to: i.newIccid, reason: i.reason ?? null }),
          user_id: by.userId,
        })
        .execute();
    await recordStatus(
      trx,
      [
        { type: 'sim', id: old.id, from: old.status, to: 'replaced' },
        { type: 'sim', id: neu.id, from: neu.status, to: 'active' },
      ],
      i.reason ?? 'replacement',
      null,
      by,
    );
    await appendEvent(trx, {
      entityType: 'sim',
      entityId: i.newIccid,
      kind: 'sim.replaced',
      lineId: number,
      userId: by.userId,
      payload: { from: oldIccid, to: i.newIccid, reason: i.reason ?? null },
    });
  }

  /**
   * Discloses the PUK codes to an authorised agent unblocking a customer's PIN. The route demands the
   * `sim:secret` right; every disclosure is an event naming the agent.
   */
  async disclosePuk(iccid: string, by: Actor): Promise<{ iccid: string; puk1: string; puk2: string | null }> {
    return this.db.transaction().execute(async (trx) => {
      const s = await trx
        .selectFrom('inv_sim')
        .select(['secrets', 'directory_number'])
        .where('iccid', '=', iccid)
        .executeTakeFirst();
      if (!s) throw invNotFound('sim.not_found', 'SIM card', iccid);
      const secrets = this.box.open(s.secrets, iccid);
      await appendEvent(trx, {
        entityType: 'sim',
        entityId: iccid,
        kind: 'sim.puk_disclosed',
        lineId: s.directory_number,
        userId: by.userId,
        payload: { by: by.username },
      });
      return { iccid, puk1: secrets.puk1, puk2: secrets.puk2 };
    });
  }

  /** Ki and OPc for provisioning the HLR (activation automaton only); the read is an event. */
  async authKeys(iccid: string, by: Actor): Promise<{ imsi: string; ki: string; opc: string | null }> {
    return this.db.transaction().execute(async (trx) => {
      const s = await trx
        .selectFrom('inv_sim')
        .select(['secrets', 'imsi', 'directory_number'])
        .where('iccid', '=', iccid)
        .executeTakeFirst();
      if (!s) throw invNotFound('sim.not_found', 'SIM card', iccid);
      const secrets = this.box.open(s.secrets, iccid);
      await appendEvent(trx, {
        entityType: 'sim',
        entityId: iccid,
        kind: 'sim.keys_read',
        lineId: s.directory_number,
        userId: by.userId,
        payload: { by: by.username },
      });
      return { imsi: s.imsi, ki: secrets.ki, opc: secrets.opc };
    });
  }

  /**
   * The same for a batch of cards in one transaction (the automaton reads a claimed batch's keys at
   * once): one `sim.keys_read` event per card still, written together. Cards not found are absent
   * from the result (the caller refuses their orders).
   */
  async authKeysMany(
    iccids: readonly string[],
    by: Actor,
  ): Promise<Map<string, { imsi: string; ki: string; opc: string | null }>> {
    const out = new Map<string, { imsi: string; ki: string; opc: string | null }>();
    const wanted = [...new Set(iccids)];
    if (wanted.length === 0) return out;
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('inv_sim')
        .select(['iccid', 'secrets', 'imsi', 'directory_number'])
        .where('iccid', 'in', wanted)
        .execute();
      for (const s of rows) {
        const secrets = this.box.open(s.secrets, s.iccid);
        out.set(s.iccid, { imsi: s.imsi, ki: secrets.ki, opc: secrets.opc });
      }
      await appendEvents(
        trx,
        rows.map((s) => ({
          entityType: 'sim',
          entityId: s.iccid,
          kind: 'sim.keys_read',
          lineId: s.directory_number,
          userId: by.userId,
          payload: { by: by.username },
        })),
      );
      return out;
    });
  }

  /** Stock per shop and status: what the stock service reorders from. */
  async stock(): Promise<{ shop: string | null; status: string; count: number }[]> {
    const r = await sql<{ shop: string | null; status: string; count: number }>`
      SELECT sh.code AS shop, s.status, count(*)::int AS count FROM inv_sim s LEFT JOIN inv_shop sh ON sh.id = s.shop_id
      GROUP BY sh.code, s.status ORDER BY sh.code NULLS FIRST, s.status`.execute(this.db);
    return r.rows;
  }
}
