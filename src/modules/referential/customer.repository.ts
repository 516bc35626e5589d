import { sql, type RawBuilder } from 'kysely';
import { compiledOnce, type Executor } from '../../platform/db.js';
import type { Customer } from './customer.service.js';
import type { Payer, Subscription } from './mappers.js';

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

// ISO 8601 in UTC with milliseconds, exactly as Date.prototype.toISOString() writes it.
const isoSql = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

// The API's objects as PostgreSQL json expressions over a row alias: the same fields and formats
// as toCustomer/toPayer/toSubscription (the 360° test compares them field for field).
const customerJson = (c: string) =>
  sql.raw(`json_build_object('id', ${c}.id, 'code', ${c}.code, 'kind', ${c}.kind, 'title', ${c}.title,
    'lastName', ${c}.last_name, 'firstNames', ${c}.first_names, 'nickname', ${c}.nickname,
    'birthDate', to_char(${c}.birth_date, 'YYYY-MM-DD'),
    'idDocument', CASE WHEN ${c}.id_document_number <> '' THEN json_build_object(
      'type', coalesce(${c}.id_document_type, 'other'), 'number', ${c}.id_document_number) END,
    'companyName', ${c}.company_name, 'tradeName', ${c}.trade_name, 'registrationNumber', ${c}.registration_number,
    'displayName', CASE WHEN ${c}.kind = 'organisation' THEN coalesce(${c}.company_name, '')
      ELSE concat_ws(' ', nullif(${c}.title, ''), nullif(${c}.first_names, ''), nullif(${c}.last_name, '')) END,
    'address', ${c}.address, 'phones', to_json(${c}.phones), 'email', ${c}.email,
    'preferredLanguage', ${c}.preferred_language, 'status', ${c}.status,
    'categories', (SELECT json_object_agg(k.kind, k.code) FROM category k WHERE k.id IN
      (${c}.commercial1_id, ${c}.commercial2_id, ${c}.collection_id, ${c}.accounting_id, ${c}.tax_id)),
    'createdAt', ${isoSql(`${c}.created_at`)}, 'updatedAt', ${isoSql(`${c}.updated_at`)}, 'version', ${c}.version)`);
const payerJson = (p: string) =>
  sql.raw(`json_build_object('id', ${p}.id, 'customerId', ${p}.customer_id,
    'code', ${p}.code, 'name', ${p}.name, 'billingAddress', ${p}.billing_address, 'paymentMethod', ${p}.payment_method,
    'bankAccount', ${p}.bank_account, 'mobileMoneyNumber', ${p}.mobile_money_number, 'isDefault', ${p}.is_default,
    'status', ${p}.status, 'createdAt', ${isoSql(`${p}.created_at`)})`);
/** A subscription `s` with its product version `pv` and product `pr`. */
const subscriptionJson = sql.raw(`json_build_object('id', s.id, 'code', s.code,
    'customerId', s.customer_id, 'payerId', s.payer_id, 'userId', s.user_id, 'parentId', s.parent_id,
    'productVersionId', s.product_version_id,
    'product', json_build_object('code', pr.code, 'name', pr.name, 'kind', pr.kind, 'version', pv.version),
    'status', s.status, 'directoryNumber', s.directory_number, 'simIccid', s.sim_iccid,
    'equipmentNumber', s.equipment_number, 'plantRef', s.plant_ref, 'createdAt', ${isoSql('s.created_at')},
    'activatedAt', ${isoSql('s.activated_at')}, 'terminatedAt', ${isoSql('s.terminated_at')})`);

/**
 * The customer 360° as the final JSON text of the API (`Customer360View` in referential.schemas.ts):
 * identity and categories, payers, users, subscriptions with their products and the last 50
 * events, in ONE statement. Agents open this screen dozens of times an hour: the text goes to the
 * client as it is, without being parsed, mapped and serialised again in Node. Everything but the
 * events is read already rendered from `customer_360` (migration 0020: kept by triggers on the
 * customer, payer, user and subscription writes), so a read is one primary-key or code probe plus
 * the events, rendered here through event_customer_idx. The timeline's events carry their payload
 * without the `before`/`after` snapshots (the screen shows the changes and a few scalars; the full
 * event is on /customers/:ref/events). Null when no such customer. `read360Live` renders the same
 * text from the tables (the reference the tests compare with).
 */
export async function read360Json(db: Executor, ref: { id?: number; code?: string }): Promise<string | null> {
  const q = ref.id !== undefined ? read360ById(db, ref.id) : read360ByCode(db, ref.code ?? '');
  const r = await db.executeQuery(q);
  return r.rows[0]?.doc ?? null;
}

/** The 360° text rendered from the tables, as customer_360 and read360Json build it. */
export async function read360Live(db: Executor, ref: { id?: number; code?: string }): Promise<string | null> {
  const where = ref.id !== undefined ? sql`c.id = ${ref.id}` : sql`c.code = ${ref.code ?? ''}`;
  const r = await read360LiveSql(where).execute(db);
  return r.rows[0]?.doc ?? null;
}

// The last 50 events of customer `id` as a json array. Events without before/after snapshots (most
// of them) go out as they are, without a jsonb copy, and are read by their own columns only (not
// `*`: no txid and no unused column to deform).
const eventsJson = (id: string) => `coalesce((SELECT json_agg(json_build_object('id', e.id,
          'occurredAt', ${isoSql('e.occurred_at')},
          'entityType', e.entity_type, 'entityId', e.entity_id, 'kind', e.kind, 'actor', e.actor,
          'userId', e.user_id, 'lineId', e.line_id, 'payload', CASE WHEN e.payload ?| '{before,after}'
            THEN e.payload - 'before' - 'after' ELSE e.payload END) ORDER BY e.id DESC)
        FROM (SELECT id, occurred_at, entity_type, entity_id, kind, actor, user_id, line_id, payload FROM event
          WHERE customer_id = ${id} ORDER BY id DESC LIMIT 50) e), '[]')`;

// Measured on 1 M customers (docs/performance.md, "Referential", task R1): the live rendering
// below costs PostgreSQL ~135 µs in-backend per read (json_build_object's per-value work, ~110
// values, and five index probes); the stored head (~2 kB, one probe) plus the events a fraction of it.
const read360Sql = (where: RawBuilder<unknown>) => sql<{ doc: string }>`
    SELECT d.head || ${sql.raw(eventsJson('d.customer_id'))} || '}' AS doc
    FROM customer_360 d WHERE ${where}`;
// Compiled once per key (id or code): a request neither rebuilds the text nor makes platform/db.ts
// hash a fresh copy of it to find its prepared statement.
const read360ById = compiledOnce((id: number) => read360Sql(sql`d.customer_id = ${id}`));
const read360ByCode = compiledOnce((code: string) => read360Sql(sql`d.code = ${code}`));

// The same document rendered from the tables (json_build_object writes `{"k" : v, "k" : v}`, the
// separators customer_360's head is written with).
const read360LiveSql = (where: RawBuilder<unknown>) => sql<{ doc: string }>`
    SELECT json_build_object(
      'customer', ${customerJson('c')},
      'payers', coalesce((SELECT json_agg(${payerJson('p')} ORDER BY p.id)
        FROM payer p WHERE p.customer_id = c.id), '[]'),
      'users', coalesce((SELECT json_agg(json_build_object('id', u.id, 'customerId', u.customer_id,
          'title', u.title, 'lastName', u.last_name, 'firstNames', u.first_names, 'phone', u.phone,
          'email', u.email, 'idDocumentNumber', u.id_document_number) ORDER BY u.id)
        FROM subscription_user u WHERE u.customer_id = c.id), '[]'),
      'subscriptions', coalesce((SELECT json_agg(${subscriptionJson} ORDER BY s.id)
        FROM subscription s JOIN product_version pv ON pv.id = s.product_version_id
        JOIN product pr ON pr.id = pv.product_id WHERE s.customer_id = c.id), '[]'),
      'events', ${sql.raw(eventsJson('c.id'))}
    )::text AS doc
    FROM customer c WHERE ${where}`;

/**
 * A page of customers as the API's JSON (`items`, the customers as customerJson writes them, in id
 * order): `page` yields at most `limit + 1` customers in id order, the extra one only saying there
 * is a next page (`more`); `last` is the id of the page's last customer. `literal`: write `limit`
 * into the text, for a page query without parameters (customerIdsByWordSets), so the statement
 * stays one that is not prepared.
 */
export async function customerPageJson(
  db: Executor,
  page: ReturnType<typeof selectCustomer>,
  limit: number,
  literal: boolean,
): Promise<{ items: string; more: boolean; last: number | null }> {
  const n = literal ? sql.lit(Math.trunc(limit)) : sql`${limit}::int`;
  const r = await sql<{ items: string; more: boolean; last: number | null }>`
    SELECT coalesce(json_agg(${customerJson('c')} ORDER BY c.id) FILTER (WHERE c.rn <= ${n}), '[]')::text AS items,
      count(*) > ${n} AS more, max(c.id) FILTER (WHERE c.rn <= ${n}) AS last
    FROM (SELECT p.*, row_number() OVER (ORDER BY p.id) AS rn
          FROM (${page.clearSelect().selectAll('c')}) p) c`.execute(db);
  const row = r.rows[0];
  return { items: row?.items ?? '[]', more: row?.more ?? false, last: row?.last ?? null };
}

/** `%w%` for LIKE, the fragment's own `\\`, `%` and `_` taken literally. */
export function containsPattern(w: string): string {
  return `%${w.replace(/[\\%_]/g, '\\$&')}%`;
}

/**
 * The first `limit` ids (after `after`) of the customers whose search name contains every
 * fragment word, through the word tables of migration 0010: `driver` (a fragment word of at least
 * three characters, so the trigram index of search_word can resolve it) picks the distinct words
 * that contain it; each such word's customers are read in id order from customer_word's primary
 * key, only as far as `limit` of them pass the other words' test; the union's first `limit` ids
 * are the page. The other words are tested on the narrow customer_search row, as `LIKE '%w%'`.
 * The page of a common word costs a few index entries per matching word instead of a heap visit
 * per matching customer. A subquery for `c.id IN (…)`.
 */
export function customerIdsByWords(driver: string, others: string[], after: number, limit: number) {
  const tests = others.map((w) => sql`AND cs.search_name LIKE ${containsPattern(w)}`);
  const othersTest = others.length
    ? sql`AND EXISTS (SELECT 1 FROM customer_search cs WHERE cs.customer_id = cw.customer_id ${sql.join(tests, sql` `)})`
    : sql``;
  return sql<number>`(SELECT x.customer_id FROM search_word sw
    CROSS JOIN LATERAL (SELECT cw.customer_id FROM customer_word cw
      WHERE cw.word = sw.word AND cw.customer_id > ${after} ${othersTest}
      ORDER BY cw.customer_id LIMIT ${limit}) x
    WHERE sw.word LIKE ${containsPattern(driver)}
    GROUP BY x.customer_id ORDER BY x.customer_id LIMIT ${limit})`;
}

/** For each fragment word, the distinct words of search_word that contain it (in word order). */
export async function wordsContaining(db: Executor, fragments: string[]): Promise<string[][]> {
  const r = await sql<{ words: string[] }>`
    SELECT ARRAY(SELECT sw.word FROM search_word sw WHERE sw.word LIKE f.p ORDER BY sw.word) AS words
    FROM unnest(${fragments.map(containsPattern)}::text[]) WITH ORDINALITY AS f(p, i) ORDER BY f.i`.execute(
    db,
  );
  return r.rows.map((row) => row.words);
}

// Normalised words only ([a-z0-9@.], as gpto_norm and the search's own split produce): safe to
// write as literals.
const PLAIN_WORD = /^[a-z0-9@.]+$/;

/**
 * The first `limit` ids (after `after`) of the customers who, for each set of `sets`, have one of
 * its words (the words of search_word containing one fragment word, see wordsContaining), and
 * whose search name contains each of `shortWords` (fragment words under three characters).
 * Each set is a merge of its words' customer_word ranges in id order and the sets are merge-joined,
 * so the statement reads the postings only up to the page's last id (two common first name and
 * surname: a few dozen index pages, where a test per candidate read thousands of rows). The
 * words go in as literals: the statement's text varies with the number of words, so it is not
 * kept as a prepared statement (platform/db.ts prepares parameterised texts only) and its plan
 * sees the real words. A subquery for `c.id IN (…)`.
 */
export function customerIdsByWordSets(sets: string[][], shortWords: string[], after: number, limit: number) {
  for (const w of [...sets.flat(), ...shortWords]) {
    if (!PLAIN_WORD.test(w)) throw new Error(`not a normalised word: ${JSON.stringify(w)}`);
  }
  const from = sets.map((words, i) => {
    const alias = sql.raw(`s${i}`);
    const ranges = sql.join(
      words.map(
        (w) => sql`(SELECT customer_id FROM customer_word WHERE word = ${sql.lit(w)}
          AND customer_id > ${sql.lit(Math.trunc(after))} ORDER BY customer_id)`,
      ),
      sql` UNION ALL `,
    );
    return i === 0
      ? sql`(${ranges}) s0`
      : sql`JOIN (${ranges}) ${alias} ON ${alias}.customer_id = s0.customer_id`;
  });
  const tests = shortWords.map((w) => sql`AND cs.search_name LIKE ${sql.lit(containsPattern(w))}`);
  const where = shortWords.length
    ? sql`WHERE EXISTS (SELECT 1 FROM customer_search cs WHERE cs.customer_id = s0.customer_id ${sql.join(tests, sql` `)})`
    : sql``;
  return sql<number>`(SELECT s0.customer_id FROM ${sql.join(from, sql` `)} ${where}
    GROUP BY s0.customer_id ORDER BY s0.customer_id LIMIT ${sql.lit(Math.trunc(limit))})`;
}

/** The subscription of a directory number (the live one, else the latest) with its customer and payer. */
export interface LineParties {
  subscription: Subscription;
  /** The monthly price of the subscription's product version (minor units). */
  recurringPrice: number;
  customer: Customer;
  payer: Payer;
}

/**
 * A line's subscription, customer and payer in the API's shapes, as one json scalar subquery (null
 * when the number was never assigned): the referential's read for the line consultation. Callers
 * run it alone (`subscriptions.byNumber`) or embed it in their own statement, so a screen that
 * shows the line beside its own records stays one round trip; the SQL stays the referential's.
 */
export function linePartiesJson(directoryNumber: string) {
  return sql<LineParties | null>`(SELECT json_build_object('subscription', ${subscriptionJson},
      'recurringPrice', pv.recurring_price, 'customer', ${customerJson('c')}, 'payer', ${payerJson('p')})
    FROM subscription s
    JOIN product_version pv ON pv.id = s.product_version_id JOIN product pr ON pr.id = pv.product_id
    JOIN customer c ON c.id = s.customer_id JOIN payer p ON p.id = s.payer_id
    WHERE s.directory_number = ${directoryNumber}
    ORDER BY (s.status <> 'terminated') DESC, s.id DESC LIMIT 1)`;
}

export async function lineParties(db: Executor, directoryNumber: string): Promise<LineParties | undefined> {
  const r = await sql<{ doc: LineParties | null }>`SELECT ${linePartiesJson(directoryNumber)} AS doc`.execute(
    db,
  );
  return r.rows[0]?.doc ?? undefined;
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
