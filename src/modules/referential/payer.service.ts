import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import { appendEvent, diff, type Actor } from '../../platform/events.js';
import { nextCode } from './customer.repository.js';
import { CustomerService, displayNameOf, normPhone } from './customer.service.js';
import { toPayer, toUser, type Payer, type SubscriptionUser } from './mappers.js';
import { ReferentialError, refInvalid, refNotFound } from './referential.errors.js';
import type { PayerInput, UserInput, UserPatch } from './referential.schemas.js';

/** Payers (billing accounts grouping some of a customer's subscriptions) and subscription users. */
export class PayerService {
  constructor(
    private readonly db: Db,
    private readonly customers: CustomerService,
  ) {}

  async listPayers(customerRef: string): Promise<Payer[]> {
    const customerId = await this.customers.idOf(this.db, customerRef);
    const rows = await this.db
      .selectFrom('payer')
      .selectAll()
      .where('customer_id', '=', customerId)
      .orderBy('id')
      .execute();
    return rows.map((r) => toPayer(r as unknown as Record<string, unknown>));
  }

  async getPayer(id: number): Promise<Payer> {
    const row = await this.db.selectFrom('payer').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw refNotFound('payer.not_found', 'payer', id);
    return toPayer(row as unknown as Record<string, unknown>);
  }

  async createPayer(
    customerRef: string,
    input: PayerInput & { isDefault?: boolean },
    by: Actor,
  ): Promise<Payer> {
    return this.db.transaction().execute(async (trx) => {
      const customerId = await this.customers.idOf(trx, customerRef);
      const c = await trx
        .selectFrom('customer')
        .selectAll()
        .where('id', '=', customerId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (c.status === 'closed')
        throw new ReferentialError('rule', 'payer.invalid', 'the customer is closed');
      if (input.isDefault) {
        await trx
          .updateTable('payer')
          .set({ is_default: false })
          .where('customer_id', '=', customerId)
          .where('is_default', '=', true)
          .execute();
      }
      const row = await trx
        .insertInto('payer')
        .values({
          customer_id: customerId,
          code: await nextCode(trx, 'payer_code_seq', 'P'),
          name: input.name ?? displayNameOf(c),
          billing_address: JSON.stringify(input.billingAddress ?? c.address),
          payment_method: input.paymentMethod ?? 'cash',
          bank_account: input.bankAccount ?? null,
          mobile_money_number: input.mobileMoneyNumber ? normPhone(input.mobileMoneyNumber) : null,
          is_default: input.isDefault ?? false,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const payer = toPayer(row as unknown as Record<string, unknown>);
      await appendEvent(trx, {
        entityType: 'payer',
        entityId: row.id,
        customerId,
        kind: 'payer.created',
        userId: by.userId,
        payload: { after: payer },
      });
      return payer;
    });
  }

  async updatePayer(
    id: number,
    patch: PayerInput & { isDefault?: boolean; status?: 'active' | 'closed' },
    by: Actor,
  ): Promise<Payer> {
    return this.db.transaction().execute(async (trx) => {
      const beforeRow = await trx
        .selectFrom('payer')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!beforeRow) throw refNotFound('payer.not_found', 'payer', id);
      if (patch.status === 'closed') {
        if (beforeRow.is_default)
          throw refInvalid(
            'payer.invalid',
            'status',
            'the default payer cannot be closed; make another payer the default first',
          );
        const live = await trx
          .selectFrom('subscription')
          .select(sql<number>`count(*)::int`.as('n'))
          .where('payer_id', '=', id)
          .where('status', '<>', 'terminated')
          .executeTakeFirstOrThrow();
        if (live.n > 0)
          throw new ReferentialError(
            'rule',
            'payer.invalid',
            `the payer still pays ${live.n} live subscription(s); move them first`,
            'status',
          );
      }
      if (patch.isDefault === false && beforeRow.is_default) {
        throw refInvalid('payer.invalid', 'isDefault', 'make another payer the default instead');
      }
      if (patch.isDefault) {
        if (beforeRow.status === 'closed')
          throw refInvalid('payer.invalid', 'isDefault', 'a closed payer cannot be the default');
        await trx
          .updateTable('payer')
          .set({ is_default: false })
          .where('customer_id', '=', beforeRow.customer_id)
          .where('is_default', '=', true)
          .where('id', '<>', id)
          .execute();
      }
      const row = await trx
        .updateTable('payer')
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.billingAddress !== undefined
            ? { billing_address: JSON.stringify(patch.billingAddress) }
            : {}),
          ...(patch.paymentMethod !== undefined ? { payment_method: patch.paymentMethod } : {}),
          ...(patch.bankAccount !== undefined ? { bank_account: patch.bankAccount } : {}),
          ...(patch.mobileMoneyNumber !== undefined
            ? { mobile_money_number: patch.mobileMoneyNumber ? normPhone(patch.mobileMoneyNumber) : null }
            : {}),
          ...(patch.isDefault !== undefined ? { is_default: patch.isDefault } : {}),
          ...(patch.status !== undefined ? { status: patch.status } : {}),
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const before = toPayer(beforeRow as unknown as Record<string, unknown>);
      const after = toPayer(row as unknown as Record<string, unknown>);
      await appendEvent(trx, {
        entityType: 'payer',
        entityId: id,
        customerId: row.customer_id,
        kind: 'payer.updated',
        userId: by.userId,
        payload: {
          changes: diff(
            before as unknown as Record<string, unknown>,
            after as unknown as Record<string, unknown>,
          ),
        },
      });
      return after;
    });
  }

  async listUsers(customerRef: string): Promise<SubscriptionUser[]> {
    const customerId = await this.customers.idOf(this.db, customerRef);
    const rows = await this.db
      .selectFrom('subscription_user')
      .selectAll()
      .where('customer_id', '=', customerId)
      .orderBy('id')
      .execute();
    return rows.map((r) => toUser(r as unknown as Record<string, unknown>));
  }

  async createUser(customerRef: string, input: UserInput, by: Actor): Promise<SubscriptionUser> {
    return this.db.transaction().execute(async (trx) => {
      const customerId = await this.customers.idOf(trx, customerRef);
      const row = await trx
        .insertInto('subscription_user')
        .values({
          customer_id: customerId,
          title: input.title ?? null,
          last_name: input.lastName,
          first_names: input.firstNames ?? null,
          phone: input.phone ? normPhone(input.phone) : null,
          email: input.email ?? null,
          id_document_number: input.idDocumentNumber ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const user = toUser(row as unknown as Record<string, unknown>);
      await appendEvent(trx, {
        entityType: 'subscription_user',
        entityId: row.id,
        customerId,
        kind: 'user.created',
        userId: by.userId,
        payload: { after: user },
      });
      return user;
    });
  }

  async updateUser(id: number, patch: UserPatch, by: Actor): Promise<SubscriptionUser> {
    return this.db.transaction().execute(async (trx) => {
      const beforeRow = await trx
        .selectFrom('subscription_user')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!beforeRow) throw refNotFound('user.not_found', 'subscription user', id);
      const row = await trx
        .updateTable('subscription_user')
        .set({
          ...(patch.title !== undefined ? { title: patch.title } : {}),
          ...(patch.lastName !== undefined ? { last_name: patch.lastName } : {}),
          ...(patch.firstNames !== undefined ? { first_names: patch.firstNames } : {}),
          ...(patch.phone !== undefined ? { phone: patch.phone ? normPhone(patch.phone) : null } : {}),
          ...(patch.email !== undefined ? { email: patch.email } : {}),
          ...(patch.idDocumentNumber !== undefined ? { id_document_number: patch.idDocumentNumber } : {}),
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = toUser(row as unknown as Record<string, unknown>);
      await appendEvent(trx, {
        entityType: 'subscription_user',
        entityId: id,
        customerId: row.customer_id,
        kind: 'user.updated',
        userId: by.userId,
        payload: {
          changes: diff(
            toUser(beforeRow as unknown as Record<string, unknown>) as unknown as Record<string, unknown>,
            after as unknown as Record<string, unknown>,
          ),
        },
      });
      return after;
    });
  }
}
