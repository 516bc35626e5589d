import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';

/** Customer with its five categories resolved to codes: what every screen shows. */
export function selectCustomer(db: Executor) {
  return db
    .selectFrom('customer as c')
    .selectAll('c')
    .select([
      sql<
        Record<string, string>
      >`(SELECT jsonb_object_agg(k.kind, k.code) FROM category k WHERE k.id IN (c.commercial1_id, c.commercial2_id, c.collection_id, c.accounting_id, c.tax_id))`.as(
        'category_codes',
      ),
    ]);
}
export type CustomerRow = NonNullable<
  Awaited<ReturnType<ReturnType<typeof selectCustomer>['executeTakeFirst']>>
>;

export function findCustomer(db: Executor, ref: { id?: number; code?: string }) {
  let q = selectCustomer(db);
  q = ref.id !== undefined ? q.where('c.id', '=', ref.id) : q.where('c.code', '=', ref.code ?? '');
  return q.executeTakeFirst();
}

export async function nextCode(
  db: Executor,
  sequence: 'customer_code_seq' | 'payer_code_seq' | 'subscription_code_seq',
  prefix: string,
) {
  const r = await sql<{
    code: string;
  }>`SELECT ${prefix} || lpad(nextval(${sequence})::text, 8, '0') AS code`.execute(db);
  const row = r.rows[0];
  if (!row) throw new Error(`sequence ${sequence} returned nothing`);
  return row.code;
}

/**
 * The customer 360° in one round trip: identity and categories, payers, users, subscriptions with
 * their products, and the last 50 events. Agents open this screen dozens of times an hour, so the
 * customer itself comes in the same statement rather than a second query. Null when no such customer.
 */
export async function read360(db: Executor, ref: { id?: number; code?: string }) {
  const where = ref.id !== undefined ? sql`c.id = ${ref.id}` : sql`c.code = ${ref.code ?? ''}`;
  const r = await sql<{ doc: Record<string, unknown> }>`
    SELECT jsonb_build_object(
      'customer', to_jsonb(c) || jsonb_build_object('category_codes', (SELECT jsonb_object_agg(k.kind, k.code)
          FROM category k WHERE k.id IN (c.commercial1_id, c.commercial2_id, c.collection_id, c.accounting_id, c.tax_id))),
      'payers', coalesce((SELECT jsonb_agg(to_jsonb(p) ORDER BY p.id) FROM payer p WHERE p.customer_id = c.id), '[]'),
      'users', coalesce((SELECT jsonb_agg(to_jsonb(u) ORDER BY u.id) FROM subscription_user u WHERE u.customer_id = c.id), '[]'),
      'subscriptions', coalesce((SELECT jsonb_agg(to_jsonb(s) || jsonb_build_object(
            'product_code', pr.code, 'product_name', pr.name, 'product_kind', pr.kind, 'product_version', pv.version)
          ORDER BY s.id)
        FROM subscription s JOIN product_version pv ON pv.id = s.product_version_id JOIN product pr ON pr.id = pv.product_id
        WHERE s.customer_id = c.id), '[]'),
      'events', coalesce((SELECT jsonb_agg(to_jsonb(e) ORDER BY e.id DESC) FROM (
          SELECT id, occurred_at, entity_type, entity_id, kind, actor, user_id, line_id, payload FROM event
          WHERE customer_id = c.id ORDER BY id DESC LIMIT 50) e), '[]')
    ) AS doc
    FROM customer c WHERE ${where}`.execute(db);
  return r.rows[0]?.doc ?? null;
}

export function customerEvents(
  db: Executor,
  customerId: number,
  beforeId: number | undefined,
  limit: number,
) {
  let q = db
    .selectFrom('event')
    .select([
      'id',
      'occurred_at',
      'entity_type',
      'entity_id',
      'kind',
      'actor',
      'user_id',
      'line_id',
      'payload',
    ])
    .where('customer_id', '=', customerId);
  if (beforeId !== undefined) q = q.where('id', '<', beforeId);
  return q
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
}
