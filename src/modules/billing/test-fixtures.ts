import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import { SYSTEM } from '../../platform/events.js';
import { createReferential } from '../referential/index.js';

/**
 * Test fixtures of the billing tests: customers made through the referential service, and the
 * history of their lines written at chosen dates (the referential stamps changes with the
 * present time, a billing test needs last month's history).
 */
export async function makeCustomer(
  db: Db,
  opts: {
    tax?: string;
    collection?: string;
    accounting?: string;
    name?: string;
    mobileMoney?: string;
    email?: string;
    address?: { number?: string; street: string; district?: string; postalCode?: string; locality: string };
  } = {},
): Promise<{ customerId: number; code: string; payerId: number; payerCode: string }> {
  const ref = createReferential(db, 'XOF');
  const c = await ref.customers.create(
    {
      kind: 'person',
      lastName: opts.name ?? 'Diop',
      firstNames: 'Awa',
      address: opts.address ?? { street: 'Rue 10', locality: 'Dakar' },
      ...(opts.email ? { email: opts.email } : {}),
      categories: {
        commercial1: 'RES',
        commercial2: 'STD',
        collection: opts.collection ?? 'STANDARD',
        accounting: opts.accounting ?? 'PART',
        tax: opts.tax ?? 'TVA18',
      },
      ...(opts.mobileMoney
        ? { payer: { paymentMethod: 'mobile_money' as const, mobileMoneyNumber: opts.mobileMoney } }
        : {}),
    },
    SYSTEM,
  );
  const payer = await db
    .selectFrom('payer')
    .select(['id', 'code'])
    .where('customer_id', '=', c.id)
    .executeTakeFirstOrThrow();
  return { customerId: c.id, code: c.code, payerId: payer.id, payerCode: payer.code };
}

/** A line (or an option under `parentId`) with its status history at the given dates. */
export async function makeLine(
  db: Db,
  c: { customerId: number; payerId: number },
  product: string,
  history: [status: 'active' | 'suspended' | 'terminated', at: string][],
  opts: { parentId?: number; number?: string; sim?: string } = {},
): Promise<{ id: number; code: string }> {
  const pv = await db
    .selectFrom('product_version as v')
    .innerJoin('product as p', 'p.id', 'v.product_id')
    .select('v.id')
    .where('p.code', '=', product)
    .orderBy('v.version', 'desc')
    .executeTakeFirstOrThrow();
  const created = history[0]?.[1] ?? '2026-01-01T00:00:00Z';
  const s = await db
    .insertInto('subscription')
    .values({
      code: sql<string>`'S' || lpad(nextval('subscription_code_seq')::text, 8, '0')`,
      customer_id: c.customerId,
      payer_id: c.payerId,
      user_id: null,
      product_version_id: pv.id,
      parent_id: opts.parentId ?? null,
      status: history[history.length - 1]?.[0] ?? 'pending',
      directory_number: opts.number ?? null,
      sim_iccid: opts.sim ?? null,
      equipment_number: null,
      plant_ref: null,
      created_at: new Date(created),
      activated_at: history.find((h) => h[0] === 'active')
        ? new Date(history.find((h) => h[0] === 'active')![1])
        : null,
      terminated_at: history.find((h) => h[0] === 'terminated')
        ? new Date(history.find((h) => h[0] === 'terminated')![1])
        : null,
      updated_at: new Date(created),
    })
    .returning(['id', 'code'])
    .executeTakeFirstOrThrow();
  let from: 'pending' | 'active' | 'suspended' | 'terminated' = 'pending';
  await db
    .insertInto('subscription_status_history')
    .values({ subscription_id: s.id, from_status: null, to_status: 'pending', changed_at: new Date(created) })
    .execute();
  for (const [status, at] of history) {
    await db
      .insertInto('subscription_status_history')
      .values({ subscription_id: s.id, from_status: from, to_status: status, changed_at: new Date(at) })
      .execute();
    from = status;
  }
  return s;
}
