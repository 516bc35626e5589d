import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db.js';
import { assertNever } from '../../platform/errors.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import { currentVersion } from './catalogue.service.js';
import { lineParties, nextCode, type LineParties } from './customer.repository.js';
import type { CustomerService } from './customer.service.js';
import { toSubscription, type Subscription } from './mappers.js';
import { ReferentialError, refInvalid, refNotFound } from './referential.errors.js';
import type { SubscriptionCreate, SubscriptionStatusChange } from './referential.schemas.js';
import type { SubscriptionStatus } from './referential.tables.js';

/** The life of a line: a terminated subscription stays under the customer's code forever. */
export function canTransition(from: SubscriptionStatus, to: SubscriptionStatus): boolean {
  switch (from) {
    case 'pending':
      return to === 'active' || to === 'terminated';
    case 'active':
      return to === 'suspended' || to === 'terminated';
    case 'suspended':
      return to === 'active' || to === 'terminated';
    case 'terminated':
      return false;
    default:
      return assertNever(from);
  }
}

export class SubscriptionService {
  constructor(
    private readonly db: Db,
    private readonly customers: CustomerService,
  ) {}

  /**
   * The subscription of a directory number (the live one, else the latest ended one) with its
   * product price, customer and payer, in one round trip: the line consultation's identity part.
   * Undefined when the number was never assigned. Numbers are matched as stored (digits only).
   */
  byNumber(directoryNumber: string): Promise<LineParties | undefined> {
    return lineParties(this.db, directoryNumber);
  }

  async get(id: number): Promise<Subscription & { statusHistory: unknown[]; payerHistory: unknown[] }> {
    const row = await this.db
      .selectFrom('subscription as s')
      .innerJoin('product_version as pv', 'pv.id', 's.product_version_id')
      .innerJoin('product as p', 'p.id', 'pv.product_id')
      .selectAll('s')
      .select([
        'p.code as product_code',
        'p.name as product_name',
        'p.kind as product_kind',
        'pv.version as product_version',
      ])
      .where('s.id', '=', id)
      .executeTakeFirst();
    if (!row) throw refNotFound('subscription.not_found', 'subscription', id);
    const statusHistory = await this.db
      .selectFrom('subscription_status_history')
      .selectAll()
      .where('subscription_id', '=', id)
      .orderBy('id')
      .execute();
    const payerHistory = await this.db
      .selectFrom('subscription_payer_history')
      .selectAll()
      .where('subscription_id', '=', id)
      .orderBy('id')
      .execute();
    return {
      ...toSubscription(row as unknown as Record<string, unknown>),
      statusHistory: statusHistory.map((h) => ({
        from: h.from_status,
        to: h.to_status,
        reason: h.reason,
        at: new Date(h.changed_at).toISOString(),
        userId: h.user_id,
      })),
      payerHistory: payerHistory.map((h) => ({
        fromPayerId: h.from_payer_id,
        toPayerId: h.to_payer_id,
        at: new Date(h.moved_at).toISOString(),
        userId: h.user_id,
      })),
    };
  }

  async create(customerRef: string, input: SubscriptionCreate, by: Actor): Promise<Subscription> {
    const id = await this.db.transaction().execute((trx) => this.createIn(trx, customerRef, input, by));
    return this.get(id);
  }

  /** `create` inside the caller's transaction (a workflow step commits it with its transition). */
  async createIn(trx: Tx, customerRef: string, input: SubscriptionCreate, by: Actor): Promise<number> {
    {
      const customerId = await this.customers.idOf(trx, customerRef);
      const customer = await trx
        .selectFrom('customer')
        .select(['status'])
        .where('id', '=', customerId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (customer.status === 'closed' || customer.status === 'inactive') {
        throw new ReferentialError('rule', 'subscription.invalid', `the customer is ${customer.status}`);
      }
      const product = await trx
        .selectFrom('product')
        .selectAll()
        .where('code', '=', input.productCode.toUpperCase())
        .executeTakeFirst();
      if (!product)
        throw refInvalid('product.not_found', 'productCode', `there is no product "${input.productCode}"`);
      if (!product.active)
        throw refInvalid('product.invalid', 'productCode', `product ${product.code} is withdrawn from sale`);
      const version = await currentVersion(trx, product.id);
      if (!version)
        throw refInvalid(
          'product.invalid',
          'productCode',
          `product ${product.code} has no price in force yet`,
        );
      const payer = input.payerId
        ? await trx
            .selectFrom('payer')
            .select(['id', 'customer_id', 'status'])
            .where('id', '=', input.payerId)
            .executeTakeFirst()
        : await trx
            .selectFrom('payer')
            .select(['id', 'customer_id', 'status'])
            .where('customer_id', '=', customerId)
            .where('is_default', '=', true)
            .executeTakeFirst();
      if (!payer || payer.customer_id !== customerId)
        throw refInvalid('payer.not_found', 'payerId', 'the payer must be one of this customer’s payers');
      if (payer.status !== 'active') throw refInvalid('payer.closed', 'payerId', 'the payer is closed');
      if (input.userId) {
        const u = await trx
          .selectFrom('subscription_user')
          .select(['customer_id'])
          .where('id', '=', input.userId)
          .executeTakeFirst();
        if (!u || u.customer_id !== customerId)
          throw refInvalid('user.not_found', 'userId', 'the user must be one of this customer’s users');
      }
      let lineNumber: string | null = input.directoryNumber ?? null;
      if (product.kind === 'option') {
        if (!input.parentId)
          throw refInvalid(
            'subscription.invalid',
            'parentId',
            'an option is added to a line: give the line subscription',
          );
        const parent = await trx
          .selectFrom('subscription as s')
          .innerJoin('product_version as pv', 'pv.id', 's.product_version_id')
          .innerJoin('product as p', 'p.id', 'pv.product_id')
          .select(['s.customer_id', 's.status', 'p.kind', 's.directory_number'])
          .where('s.id', '=', input.parentId)
          .executeTakeFirst();
        if (!parent || parent.customer_id !== customerId)
          throw refInvalid(
            'subscription.not_found',
            'parentId',
            'the line must be one of this customer’s subscriptions',
          );
        if (parent.status === 'terminated')
          throw refInvalid('subscription.invalid', 'parentId', 'the line is terminated');
        if (!product.applies_to.includes(parent.kind)) {
          throw refInvalid(
            'subscription.invalid',
            'productCode',
            `option ${product.code} does not apply to ${parent.kind} lines`,
          );
        }
        lineNumber = parent.directory_number;
      } else if (input.parentId) {
        throw refInvalid('subscription.invalid', 'parentId', 'only options hang under another subscription');
      }
      const row = await trx
        .insertInto('subscription')
        .values({
          code: await nextCode(trx, 'subscription_code_seq', 'S'),
          customer_id: customerId,
          payer_id: payer.id,
          user_id: input.userId ?? null,
          product_version_id: version.id,
          parent_id: input.parentId ?? null,
          directory_number: product.kind === 'option' ? null : (input.directoryNumber ?? null),
          sim_iccid: input.simIccid ?? null,
          equipment_number: null,
          plant_ref: null,
          activated_at: null,
          terminated_at: null,
        })
        .returning(['id', 'code'])
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('subscription_status_history')
        .values({
          subscription_id: row.id,
          from_status: null,
          to_status: 'pending',
          reason: null,
          user_id: by.userId,
        })
        .execute();
      await trx
        .insertInto('subscription_payer_history')
        .values({ subscription_id: row.id, from_payer_id: null, to_payer_id: payer.id, user_id: by.userId })
        .execute();
      await appendEvent(trx, {
        entityType: 'subscription',
        entityId: row.id,
        customerId,
        lineId: lineNumber,
        kind: 'subscription.created',
        userId: by.userId,
        payload: { code: row.code, product: product.code, version: version.version, payerId: payer.id },
      });
      return row.id;
    }
  }

  async changeStatus(id: number, change: SubscriptionStatusChange, by: Actor): Promise<Subscription> {
    await this.db.transaction().execute((trx) => this.changeStatusIn(trx, id, change, by));
    return this.get(id);
  }

  /** `changeStatus` inside the caller's transaction. */
  async changeStatusIn(trx: Tx, id: number, change: SubscriptionStatusChange, by: Actor): Promise<void> {
    {
      const s = await trx
        .selectFrom('subscription')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!s) throw refNotFound('subscription.not_found', 'subscription', id);
      if (!canTransition(s.status, change.status)) {
        throw new ReferentialError(
          'conflict',
          'subscription.transition',
          `a ${s.status} subscription cannot become ${change.status}`,
          'status',
        );
      }
      await trx
        .updateTable('subscription')
        .set({
          status: change.status,
          ...(change.status === 'active' && !s.activated_at ? { activated_at: sql<Date>`now()` } : {}),
          ...(change.status === 'terminated' ? { terminated_at: sql<Date>`now()` } : {}),
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', id)
        .execute();
      await trx
        .insertInto('subscription_status_history')
        .values({
          subscription_id: id,
          from_status: s.status,
          to_status: change.status,
          reason: change.reason ?? null,
          user_id: by.userId,
        })
        .execute();
      await appendEvent(trx, {
        entityType: 'subscription',
        entityId: id,
        customerId: s.customer_id,
        lineId: s.directory_number,
        kind: `subscription.${change.status}`,
        userId: by.userId,
        payload: { from: s.status, to: change.status, reason: change.reason ?? null },
      });
      // Options follow their line into termination: an option on a dead line bills nothing.
      if (change.status === 'terminated') {
        const options = await trx
          .selectFrom('subscription')
          .select(['id', 'status'])
          .where('parent_id', '=', id)
          .where('status', '<>', 'terminated')
          .execute();
        for (const o of options) {
          await trx
            .updateTable('subscription')
            .set({ status: 'terminated', terminated_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
            .where('id', '=', o.id)
            .execute();
          await trx
            .insertInto('subscription_status_history')
            .values({
              subscription_id: o.id,
              from_status: o.status,
              to_status: 'terminated',
              reason: 'line terminated',
              user_id: by.userId,
            })
            .execute();
          await appendEvent(trx, {
            entityType: 'subscription',
            entityId: o.id,
            customerId: s.customer_id,
            lineId: s.directory_number,
            kind: 'subscription.terminated',
            userId: by.userId,
            payload: { from: o.status, to: 'terminated', reason: 'line terminated' },
          });
        }
      }
    }
  }

  /**
   * The technical identity of a line changes (SIM replacement, relocation onto another pair or
   * equipment number), inside the caller's transaction, with its event.
   */
  async changeTechnicalIn(
    trx: Tx,
    id: number,
    change: { simIccid?: string; equipmentNumber?: string; plantRef?: Record<string, unknown> },
    reason: string,
    by: Actor,
  ): Promise<void> {
    const s = await trx
      .selectFrom('subscription')
      .selectAll()
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!s) throw refNotFound('subscription.not_found', 'subscription', id);
    if (s.status === 'terminated')
      throw new ReferentialError(
        'conflict',
        'subscription.transition',
        'a terminated subscription does not change',
      );
    await trx
      .updateTable('subscription')
      .set({
        ...(change.simIccid !== undefined ? { sim_iccid: change.simIccid } : {}),
        ...(change.equipmentNumber !== undefined ? { equipment_number: change.equipmentNumber } : {}),
        ...(change.plantRef !== undefined ? { plant_ref: JSON.stringify(change.plantRef) } : {}),
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', id)
      .execute();
    await appendEvent(trx, {
      entityType: 'subscription',
      entityId: id,
      customerId: s.customer_id,
      lineId: s.directory_number,
      kind: 'subscription.technical_changed',
      userId: by.userId,
      payload: {
        reason,
        before: { simIccid: s.sim_iccid, equipmentNumber: s.equipment_number, plantRef: s.plant_ref },
        after: change,
      },
    });
  }

  /** A subscription moves between payers of the same customer (e.g. to a branch), with history. */
  async movePayer(id: number, payerId: number, by: Actor): Promise<Subscription> {
    await this.db.transaction().execute(async (trx) => {
      const s = await trx
        .selectFrom('subscription')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!s) throw refNotFound('subscription.not_found', 'subscription', id);
      if (s.status === 'terminated')
        throw new ReferentialError(
          'conflict',
          'subscription.transition',
          'a terminated subscription keeps its last payer',
          'payerId',
        );
      const payer = await trx
        .selectFrom('payer')
        .select(['id', 'customer_id', 'status'])
        .where('id', '=', payerId)
        .executeTakeFirst();
      if (!payer || payer.customer_id !== s.customer_id)
        throw refInvalid('payer.not_found', 'payerId', 'the payer must belong to the same customer');
      if (payer.status !== 'active') throw refInvalid('payer.closed', 'payerId', 'the payer is closed');
      if (payer.id === s.payer_id) return;
      await trx
        .updateTable('subscription')
        .set({ payer_id: payerId, updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .execute();
      await trx
        .insertInto('subscription_payer_history')
        .values({ subscription_id: id, from_payer_id: s.payer_id, to_payer_id: payerId, user_id: by.userId })
        .execute();
      await appendEvent(trx, {
        entityType: 'subscription',
        entityId: id,
        customerId: s.customer_id,
        lineId: s.directory_number,
        kind: 'subscription.payer_moved',
        userId: by.userId,
        payload: { fromPayerId: s.payer_id, toPayerId: payerId },
      });
    });
    return this.get(id);
  }
}
