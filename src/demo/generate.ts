import type pg from 'pg';
import {
  COMPANY_PATTERNS,
  FEMALE_FIRST_NAMES,
  LAST_NAMES,
  LOCALITIES,
  MALE_FIRST_NAMES,
  NICKNAMES,
  STREET_KINDS,
  STREET_NAMES,
} from './names.js';

/**
 * One set-based statement per batch: customers, their default payer, some subscription users,
 * 1–3 subscriptions each (with their status and payer history) and the matching events. Row by
 * row inserts would take an hour for a million customers; this takes minutes. Every join between
 * the CTEs is a hash join on the customer: a correlated lookup into a CTE is a scan of it per row,
 * which made each batch quadratic in its size.
 */
const BATCH_SQL = `
WITH src AS (
  SELECT i,
    random() AS r_kind, random() AS r_sex, random() AS r_first, random() AS r_last, random() AS r_nick,
    random() AS r_loc, random() AS r_dist, random() AS r_street, random() AS r_skind, random() AS r_num,
    random() AS r_c1, random() AS r_c2, random() AS r_tax, random() AS r_age, random() AS r_comp, random() AS r_phone
  FROM generate_series(1, $1::int) AS i
), named AS (
  SELECT s.*,
    (s.r_kind < 0.12) AS is_org,
    CASE WHEN s.r_sex < 0.5 THEN ($2::text[])[1 + floor(s.r_first * cardinality($2::text[]))::int]
         ELSE ($3::text[])[1 + floor(s.r_first * cardinality($3::text[]))::int] END AS first_names,
    ($4::text[])[1 + floor(s.r_last * cardinality($4::text[]))::int] AS last_name,
    CASE WHEN s.r_sex < 0.5 THEN 'M.' WHEN s.r_sex < 0.8 THEN 'Mme' ELSE 'Mlle' END AS title,
    1 + floor(s.r_loc * cardinality($6::text[]))::int AS loc_ix,
    -- the customer code's number, reused so e-mails and registration numbers are unique too
    nextval('customer_code_seq') AS seq
  FROM src s
), placed AS (
  SELECT n.*,
    ($6::text[])[n.loc_ix] AS locality,
    ($7::text[])[n.loc_ix] AS postal_code,
    (string_to_array(($8::text[])[n.loc_ix], '|'))[1 + floor(n.r_dist * cardinality(string_to_array(($8::text[])[n.loc_ix], '|')))::int] AS district,
    ($9::text[])[1 + floor(n.r_skind * cardinality($9::text[]))::int] || ' ' || ($10::text[])[1 + floor(n.r_street * cardinality($10::text[]))::int] AS street
  FROM named n
), c AS (
  INSERT INTO customer (code, kind, title, last_name, first_names, nickname, birth_date, id_document_type, id_document_number,
    company_name, trade_name, registration_number, address, phones, email, preferred_language, status,
    commercial1_id, commercial2_id, collection_id, accounting_id, tax_id, created_at, updated_at)
  SELECT 'C' || lpad(p.seq::text, 8, '0'),
    CASE WHEN p.is_org THEN 'organisation' ELSE 'person' END,
    CASE WHEN p.is_org THEN NULL ELSE p.title END,
    CASE WHEN p.is_org THEN NULL ELSE p.last_name END,
    CASE WHEN p.is_org THEN NULL ELSE p.first_names END,
    CASE WHEN NOT p.is_org AND p.r_nick < 0.15 THEN ($5::text[])[1 + floor(p.r_nick / 0.15 * cardinality($5::text[]))::int] END,
    CASE WHEN p.is_org THEN NULL ELSE (date '1940-01-01' + floor(p.r_age * 23000)::int) END,
    CASE WHEN p.is_org THEN NULL ELSE 'national_id' END,
    CASE WHEN p.is_org THEN NULL ELSE lpad((1000000000000 + floor(p.r_phone * 8999999999999))::bigint::text, 13, '0') END,
    CASE WHEN p.is_org THEN replace(replace(replace(($11::text[])[1 + floor(p.r_comp * cardinality($11::text[]))::int], '%L', p.last_name), '%F', p.first_names), '%D', p.district) END,
    CASE WHEN p.is_org AND p.r_nick < 0.5 THEN upper(left(p.last_name, 3)) || ' ' || p.locality END,
    CASE WHEN p.is_org THEN 'SN-' || left(p.locality, 3) || '-' || (2000 + floor(p.r_age * 25)::int) || '-B-' || lpad(p.seq::text, 7, '0') END,
    jsonb_build_object('number', (1 + floor(p.r_num * 180)::int)::text, 'street', p.street, 'district', p.district,
      'locality', p.locality, 'postalCode', p.postal_code),
    ARRAY['+22177' || lpad(floor(p.r_phone * 9999999)::int::text, 7, '0')],
    CASE WHEN p.r_nick > 0.6 THEN lower(gpto_norm(coalesce(p.first_names, 'contact'))) || '.' || replace(gpto_norm(p.last_name), ' ', '') || p.seq || '@example.sn' END,
    CASE WHEN p.r_nick > 0.97 THEN 'en' ELSE 'fr' END,
    'active',
    CASE WHEN p.is_org THEN ($13::bigint[])[1 + floor(p.r_c1 * cardinality($13::bigint[]))::int] ELSE $12::bigint END,
    ($14::bigint[])[1 + floor(p.r_c2 * cardinality($14::bigint[]))::int],
    CASE WHEN p.is_org AND p.r_c1 < 0.1 THEN $17::bigint ELSE $15::bigint END,
    CASE WHEN p.is_org THEN $18::bigint ELSE $16::bigint END,
    CASE WHEN p.r_tax < 0.03 THEN $20::bigint ELSE $19::bigint END,
    now() - make_interval(days => floor(p.r_age * 3650)::int),
    now() - make_interval(days => floor(p.r_age * 3650)::int)
  FROM placed p
  RETURNING id, kind, title, last_name, first_names, company_name, address, created_at
), u AS (
  INSERT INTO subscription_user (customer_id, title, last_name, first_names, phone, created_at, updated_at)
  SELECT c.id, NULL, ($4::text[])[1 + floor(random() * cardinality($4::text[]))::int],
    ($2::text[])[1 + floor(random() * cardinality($2::text[]))::int], NULL, c.created_at, c.created_at
  FROM c WHERE c.kind = 'organisation'
  RETURNING id, customer_id
), pay AS (
  INSERT INTO payer (customer_id, code, name, billing_address, payment_method, is_default, created_at, updated_at)
  SELECT c.id, 'P' || lpad(nextval('payer_code_seq')::text, 8, '0'),
    CASE WHEN c.kind = 'organisation' THEN c.company_name ELSE concat_ws(' ', c.title, c.first_names, c.last_name) END,
    c.address,
    (ARRAY['cash', 'cash', 'mobile_money', 'mobile_money', 'bank_transfer', 'direct_debit'])[1 + floor(random() * 6)::int],
    true, c.created_at, c.created_at
  FROM c
  RETURNING id, customer_id, created_at
), plan AS (
  -- 1–3 lines per customer; referencing pay.id makes the set-returning call run once per payer
  SELECT pay.id AS payer_id, pay.customer_id, pay.created_at, u.id AS user_id, random() AS r_prod, random() AS r_status,
    nextval('subscription_code_seq') AS seq
  FROM pay
  LEFT JOIN u ON u.customer_id = pay.customer_id
  CROSS JOIN LATERAL generate_series(1, 1 + floor(random() * 2.2 + pay.id * 0)::int) AS k
), sub AS (
  INSERT INTO subscription (code, customer_id, payer_id, user_id, product_version_id, status, directory_number,
    sim_iccid, created_at, activated_at, terminated_at, updated_at)
  SELECT 'S' || lpad(plan.seq::text, 8, '0'), plan.customer_id, plan.payer_id, plan.user_id,
    CASE WHEN plan.r_prod < 0.35 THEN $21::bigint WHEN plan.r_prod < 0.42 THEN $22::bigint
         WHEN plan.r_prod < 0.62 THEN $23::bigint ELSE $24::bigint END,
    CASE WHEN plan.r_status < 0.88 THEN 'active' WHEN plan.r_status < 0.93 THEN 'suspended' ELSE 'terminated' END,
    CASE WHEN plan.r_prod < 0.42 THEN '33' || lpad((plan.seq % 10000000)::text, 7, '0')
         ELSE (CASE WHEN plan.r_prod < 0.62 THEN '77' ELSE '78' END) || lpad((plan.seq % 10000000)::text, 7, '0') END,
    CASE WHEN plan.r_prod >= 0.42 THEN '8922101' || lpad(plan.seq::text, 12, '0') END,
    plan.created_at, plan.created_at + interval '3 days',
    CASE WHEN plan.r_status >= 0.93 THEN plan.created_at + interval '400 days' END,
    plan.created_at + interval '3 days'
  FROM plan
  RETURNING id, customer_id, payer_id, status, directory_number, created_at, activated_at, terminated_at
), sh AS (
  INSERT INTO subscription_status_history (subscription_id, from_status, to_status, changed_at)
  SELECT id, NULL, 'pending', created_at FROM sub
  UNION ALL SELECT id, 'pending', 'active', activated_at FROM sub
  UNION ALL SELECT id, 'active', status, coalesce(terminated_at, activated_at + interval '200 days') FROM sub WHERE status <> 'active'
), ph AS (
  INSERT INTO subscription_payer_history (subscription_id, from_payer_id, to_payer_id, moved_at)
  SELECT id, NULL, payer_id, created_at FROM sub
), ev AS (
  INSERT INTO event (occurred_at, entity_type, entity_id, customer_id, line_id, kind, payload)
  SELECT created_at, 'customer', id::text, id, NULL, 'customer.created', '{"source":"demo"}'::jsonb FROM c
  UNION ALL SELECT created_at, 'subscription', id::text, customer_id, directory_number, 'subscription.created', '{"source":"demo"}'::jsonb FROM sub
  UNION ALL SELECT activated_at, 'subscription', id::text, customer_id, directory_number, 'subscription.active', '{"source":"demo"}'::jsonb FROM sub
  UNION ALL SELECT coalesce(terminated_at, activated_at + interval '200 days'), 'subscription', id::text, customer_id, directory_number,
    'subscription.' || status, '{"source":"demo"}'::jsonb FROM sub WHERE status <> 'active'
)
SELECT (SELECT count(*) FROM c)::int AS customers, (SELECT count(*) FROM sub)::int AS subscriptions,
  (SELECT min(id) FROM c) AS lo, (SELECT max(id) FROM c) AS hi`;

export interface GenerateProgress {
  customers: number;
  subscriptions: number;
  /** `indexes` once every customer is in and the deferred indexes are being rebuilt. */
  phase: 'customers' | 'indexes';
}

async function ids(client: pg.PoolClient, kind: string, codes: string[]): Promise<number[]> {
  const r = await client.query<{ id: number; code: string }>(
    'SELECT id, code FROM category WHERE kind = $1 AND code = ANY($2)',
    [kind, codes],
  );
  return codes.map((code) => {
    const row = r.rows.find((x) => x.code === code);
    if (!row) throw new Error(`demo reference data missing: ${kind}/${code} (load the reference data first)`);
    return Number(row.id);
  });
}

async function productVersion(client: pg.PoolClient, code: string): Promise<number> {
  const r = await client.query<{ id: number }>(
    'SELECT pv.id FROM product_version pv JOIN product p ON p.id = pv.product_id WHERE p.code = $1 ORDER BY pv.version DESC LIMIT 1',
    [code],
  );
  const row = r.rows[0];
  if (!row) throw new Error(`demo product ${code} missing (load the reference data first)`);
  return Number(row.id);
}

/** The ids of the demo reference data every batch draws from, in BATCH_SQL's parameter order. */
async function referenceParams(pool: pg.Pool): Promise<unknown[]> {
  const client = await pool.connect();
  try {
    const [res] = await ids(client, 'commercial1', ['RES']);
    const orgC1 = await ids(client, 'commercial1', ['PRO', 'ENT', 'ADM', 'PRO', 'PRO']);
    const c2 = await ids(client, 'commercial2', ['STD', 'STD', 'STD', 'SILVER', 'GOLD']);
    const [collStd, collState] = await ids(client, 'collection', ['STANDARD', 'ETAT']);
    const [accPart, accEntr] = await ids(client, 'accounting', ['PART', 'ENTR']);
    const [taxStd, taxExo] = await ids(client, 'tax', ['TVA18', 'EXO']);
    const products = [
      await productVersion(client, 'FIXE'),
      await productVersion(client, 'FIXE-RADIO'),
      await productVersion(client, 'MOBILE-POST'),
      await productVersion(client, 'MOBILE-PREP'),
    ];
    return [
      MALE_FIRST_NAMES,
      FEMALE_FIRST_NAMES,
      LAST_NAMES,
      NICKNAMES,
      LOCALITIES.map((l) => l[0]),
      LOCALITIES.map((l) => l[1]),
      LOCALITIES.map((l) => l[2].join('|')),
      STREET_KINDS,
      STREET_NAMES,
      COMPANY_PATTERNS,
      res,
      orgC1,
      c2,
      collStd,
      accPart,
      collState,
      accEntr,
      taxStd,
      taxExo,
      ...products,
    ];
  } finally {
    client.release();
  }
}

/** The tables one batch writes to. */
const LOADED_TABLES = [
  'customer',
  'payer',
  'subscription_user',
  'subscription',
  'subscription_status_history',
  'subscription_payer_history',
  'event',
  'customer_search',
];
/** The tables the batches fill through triggers, and the 360° documents rendered after them. */
const FILLED_BY_TRIGGERS = ['customer_word', 'search_word', 'customer_360'];
const DEFERRED_KEY = 'demo.deferred_indexes';

/**
 * Loading many customers into a (nearly) empty database goes faster without the secondary indexes:
 * one sorted build at the end costs far less than millions of random insertions into them. Only
 * non-unique indexes are dropped, so every uniqueness rule (codes, one default payer, one live line
 * per number) stays enforced during the load. Their definitions are saved in `setting` in the same
 * transaction, so a load interrupted half-way rebuilds them on the next run.
 */
async function dropSecondaryIndexes(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const r = await client.query<{ name: string; def: string }>(
      `SELECT format('%I.%I', n.nspname, x.relname) AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i
       JOIN pg_class x ON x.oid = i.indexrelid
       JOIN pg_class t ON t.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       WHERE n.nspname = current_schema() AND t.relname = ANY($1) AND NOT i.indisunique`,
      [LOADED_TABLES],
    );
    await client.query(
      `INSERT INTO setting (key, value) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET value = setting.value || excluded.value`,
      [DEFERRED_KEY, JSON.stringify(r.rows.map((x) => x.def))],
    );
    for (const x of r.rows) await client.query(`DROP INDEX ${x.name}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Rebuilds the indexes dropped by dropSecondaryIndexes, `concurrency` at a time. */
async function rebuildSecondaryIndexes(pool: pg.Pool, concurrency: number): Promise<number> {
  const saved = await pool.query<{ value: string[] }>('SELECT value FROM setting WHERE key = $1', [
    DEFERRED_KEY,
  ]);
  const defs = [...(saved.rows[0]?.value ?? [])];
  const worker = async () => {
    const client = await pool.connect();
    try {
      await client.query("SET maintenance_work_mem = '256MB'");
      for (let def = defs.shift(); def; def = defs.shift()) {
        await client.query(def.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS '));
      }
      await client.query('RESET maintenance_work_mem');
    } finally {
      client.release();
    }
  };
  const count = defs.length;
  await settleAll(Array.from({ length: Math.max(1, concurrency) }, worker));
  await pool.query('DELETE FROM setting WHERE key = $1', [DEFERRED_KEY]);
  return count;
}

/**
 * PostgreSQL checks a foreign key with one trigger call per inserted row: half the CPU of this load
 * (measured: 18 s of server CPU per 100,000 customers with the checks, 10 s without). Every reference
 * a batch writes comes from a row it just inserted or from the reference data looked up above, so a
 * superuser load skips those checks, as `pg_restore --disable-triggers` does. Only when no other
 * insert trigger exists on the loaded tables: session_replication_role would silently skip it too.
 */
async function canSkipForeignKeyChecks(pool: pg.Pool): Promise<boolean> {
  const r = await pool.query<{ ok: boolean }>(
    `SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT EXISTS (
         SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1)
           AND NOT t.tgisinternal AND (t.tgtype & 4) <> 0
           -- the batch fills customer_search itself when triggers are off (see generateCustomers)
           AND t.tgname <> 'customer_search_sync'
           -- ENABLE ALWAYS triggers (the name-search words, migration 0010) fire in replica mode too
           AND t.tgenabled <> 'A'
           -- the load renders its customers' 360° documents itself, at the end (migration 0020)
           AND t.tgname NOT LIKE 'customer\\_360\\_%') AS ok`, // 4: TRIGGER_TYPE_INSERT
    [LOADED_TABLES],
  );
  return r.rows[0]?.ok === true;
}

/** Waits for every task, then throws the first failure: nothing is left running on a closing pool. */
async function settleAll(tasks: Promise<void>[]): Promise<void> {
  const outcomes = await Promise.allSettled(tasks);
  const failure = outcomes.find((o) => o.status === 'rejected');
  if (failure) throw failure.reason;
}

export interface GenerateOptions {
  /** Customers per transaction (default 10,000: a smooth progress bar, a bounded transaction). */
  batchSize?: number;
  /**
   * Batches run side by side on this many connections (default 2). One batch is a single statement,
   * so one backend runs it on one core; two keep both cores of a small server busy.
   */
  concurrency?: number;
  /**
   * Drop the secondary indexes during the load and rebuild them after. Default: when adding at least
   * 100,000 customers to a database holding fewer than a quarter as many.
   */
  deferIndexes?: boolean;
}

/** Adds `count` demo customers in batches, calling `onProgress` after each committed batch. */
export async function generateCustomers(
  pool: pg.Pool,
  count: number,
  onProgress: (p: GenerateProgress) => void = () => undefined,
  options: GenerateOptions | number = {},
): Promise<GenerateProgress> {
  const { batchSize = 10_000, concurrency = 2 } =
    typeof options === 'number' ? { batchSize: options } : options;
  const reference = await referenceParams(pool);
  const total: GenerateProgress = { customers: 0, subscriptions: 0, phase: 'customers' };
  const workers = Math.max(1, Math.min(concurrency, Math.ceil(count / batchSize)));

  // An earlier load stopped half-way: put its indexes back before anything else.
  await rebuildSecondaryIndexes(pool, workers);
  const existing = await pool.query<{ n: number }>(
    // the planner's estimate is enough to tell an empty database from a loaded one
    "SELECT greatest(reltuples, 0)::bigint AS n FROM pg_class WHERE oid = 'customer'::regclass",
  );
  const defer =
    typeof options === 'object' && options.deferIndexes !== undefined
      ? options.deferIndexes
      : count >= 100_000 && (existing.rows[0]?.n ?? 0) * 4 < count;
  if (defer) await dropSecondaryIndexes(pool);
  const skipForeignKeyChecks = await canSkipForeignKeyChecks(pool);

  let claimed = 0;
  let failed = false;
  const loaded = { lo: Infinity, hi: -Infinity };
  const worker = async () => {
    const client = await pool.connect();
    try {
      while (!failed && claimed < count) {
        const n = Math.min(batchSize, count - claimed);
        claimed += n;
        await client.query('BEGIN');
        // Generated data can be generated again: no need to wait for the WAL flush of each batch.
        await client.query('SET LOCAL synchronous_commit = off');
        if (skipForeignKeyChecks) await client.query('SET LOCAL session_replication_role = replica');
        // One 360° rendering per customer at the end, not one per table the batch writes (migration 0020).
        await client.query("SET LOCAL gpto.customer_360_deferred = 'on'");
        const r = await client.query<{ customers: number; subscriptions: number; lo: number; hi: number }>(
          BATCH_SQL,
          [n, ...reference],
        );
        if (skipForeignKeyChecks) {
          // Replica mode skipped the trigger that keeps the name-search table in step: fill it here.
          // The other worker's rows inside [lo, hi] are either invisible yet or already there.
          await client.query(
            `INSERT INTO customer_search (customer_id, search_name)
             SELECT id, search_name FROM customer WHERE id BETWEEN $1 AND $2
             ON CONFLICT (customer_id) DO NOTHING`,
            [r.rows[0]?.lo ?? 0, r.rows[0]?.hi ?? -1],
          );
        }
        await client.query('COMMIT');
        loaded.lo = Math.min(loaded.lo, Number(r.rows[0]?.lo ?? Infinity));
        loaded.hi = Math.max(loaded.hi, Number(r.rows[0]?.hi ?? -Infinity));
        total.customers += r.rows[0]?.customers ?? 0;
        total.subscriptions += r.rows[0]?.subscriptions ?? 0;
        onProgress({ ...total });
      }
    } catch (err) {
      failed = true;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  };
  await settleAll(Array.from({ length: workers }, worker));
  if (defer) {
    onProgress({ ...total, phase: 'indexes' });
    await rebuildSecondaryIndexes(pool, workers);
  }
  // The loaded customers' 360° documents (migration 0020), set-based, a share of the ids per worker.
  if (loaded.hi >= loaded.lo) {
    const step = Math.ceil((loaded.hi - loaded.lo + 1) / workers);
    await settleAll(
      Array.from({ length: workers }, async (_, i) => {
        const lo = loaded.lo + i * step;
        await pool.query('SELECT customer_360_fill($1, $2)', [lo, Math.min(loaded.hi, lo + step - 1)]);
      }),
    );
  }
  // Fresh statistics and visibility maps, or the first searches plan against empty tables. The
  // word tables (migration 0010) are filled by the batches too, through triggers: without
  // statistics the planner took customer_word for empty and a two-word search read every posting
  // of both words from the heap (525 ms instead of 10 ms; 15 ms of PostgreSQL CPU per search
  // instead of ~1.5 over the bench's fragments); without a visibility map every index-only range
  // visits the heap. VACUUM does what autovacuum would otherwise do in the first minutes of use.
  await pool.query(`VACUUM (ANALYZE) ${[...LOADED_TABLES, ...FILLED_BY_TRIGGERS].join(', ')}`);
  return total;
}
