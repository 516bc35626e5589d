-- The customer 360° read (GET /customers/:ref) as a stored document. Agents open that screen far
-- more often than a customer, payer, user or subscription changes, and building it costs
-- PostgreSQL five index probes and ~110 json_build_object values per read (docs/performance.md,
-- "Referential"). Here the part that only those writes change — the customer with its categories,
-- payers, users and subscriptions with their products — is kept rendered, as the exact text the
-- API sends, up to and including `"events" : `; the read appends the last 50 events (read live by
-- index: events are appended by every module and are not worth a trigger each) and the closing
-- brace. customer.repository.ts read360Json; its test compares the text with the live rendering.
--
-- `head` is written by customer_360_refresh(ids) for a set of customers at once, from statement-
-- level triggers on customer, payer, subscription_user and subscription (one refresh per statement,
-- however many rows), and from row triggers on the rare catalogue edits that change what a
-- document shows (category code/kind, product code/name/kind, product version). A bulk load that
-- writes all four tables in one statement (src/demo/generate.ts) sets
-- `gpto.customer_360_deferred = on` and renders its customers once at the end with
-- customer_360_fill; otherwise each of the four triggers would render the same documents again.
CREATE TABLE customer_360 (
  customer_id  bigint PRIMARY KEY,
  code         text NOT NULL UNIQUE,
  head         text NOT NULL
);

-- PL/pgSQL, so each session plans the statement once (a LANGUAGE sql function plans it per call).
CREATE FUNCTION customer_360_refresh(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO customer_360 (customer_id, code, head)
  SELECT c.id, c.code, concat('{"customer" : ', json_build_object('id', c.id, 'code', c.code, 'kind', c.kind, 'title', c.title,
      'lastName', c.last_name, 'firstNames', c.first_names, 'nickname', c.nickname,
      'birthDate', to_char(c.birth_date, 'YYYY-MM-DD'),
      'idDocument', CASE WHEN c.id_document_number <> '' THEN json_build_object(
        'type', coalesce(c.id_document_type, 'other'), 'number', c.id_document_number) END,
      'companyName', c.company_name, 'tradeName', c.trade_name, 'registrationNumber', c.registration_number,
      'displayName', CASE WHEN c.kind = 'organisation' THEN coalesce(c.company_name, '')
        ELSE concat_ws(' ', nullif(c.title, ''), nullif(c.first_names, ''), nullif(c.last_name, '')) END,
      'address', c.address, 'phones', to_json(c.phones), 'email', c.email,
      'preferredLanguage', c.preferred_language, 'status', c.status,
      'categories', (SELECT json_object_agg(k.kind, k.code) FROM category k WHERE k.id IN
        (c.commercial1_id, c.commercial2_id, c.collection_id, c.accounting_id, c.tax_id)),
      'createdAt', to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'updatedAt', to_char(c.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'version', c.version),
    ', "payers" : ', coalesce((SELECT json_agg(json_build_object('id', p.id, 'customerId', p.customer_id,
        'code', p.code, 'name', p.name, 'billingAddress', p.billing_address, 'paymentMethod', p.payment_method,
        'bankAccount', p.bank_account, 'mobileMoneyNumber', p.mobile_money_number, 'isDefault', p.is_default,
        'status', p.status, 'createdAt', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY p.id)
      FROM payer p WHERE p.customer_id = c.id), '[]'),
    ', "users" : ', coalesce((SELECT json_agg(json_build_object('id', u.id, 'customerId', u.customer_id,
        'title', u.title, 'lastName', u.last_name, 'firstNames', u.first_names, 'phone', u.phone,
        'email', u.email, 'idDocumentNumber', u.id_document_number) ORDER BY u.id)
      FROM subscription_user u WHERE u.customer_id = c.id), '[]'),
    ', "subscriptions" : ', coalesce((SELECT json_agg(json_build_object('id', s.id, 'code', s.code,
        'customerId', s.customer_id, 'payerId', s.payer_id, 'userId', s.user_id, 'parentId', s.parent_id,
        'productVersionId', s.product_version_id,
        'product', json_build_object('code', pr.code, 'name', pr.name, 'kind', pr.kind, 'version', pv.version),
        'status', s.status, 'directoryNumber', s.directory_number, 'simIccid', s.sim_iccid,
        'equipmentNumber', s.equipment_number, 'plantRef', s.plant_ref,
        'createdAt', to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'activatedAt', to_char(s.activated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'terminatedAt', to_char(s.terminated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY s.id)
      FROM subscription s JOIN product_version pv ON pv.id = s.product_version_id
      JOIN product pr ON pr.id = pv.product_id WHERE s.customer_id = c.id), '[]'),
    ', "events" : ')
  FROM customer c WHERE c.id = ANY (ids)
  -- in id order, so two transactions refreshing overlapping customers cannot deadlock
  ORDER BY c.id
  ON CONFLICT (customer_id) DO UPDATE SET code = excluded.code, head = excluded.head;
END $fn$;

-- The same documents for the customers of ids lo..hi at once, set-based (each table read once and
-- grouped, no probe per customer): the backfill below and the end of a bulk load, whose batches
-- defer the rendering (the load drops the customer_id indexes of payer, subscription and
-- subscription_user while it runs, so a probe per customer would scan those tables).
CREATE FUNCTION customer_360_fill(lo bigint, hi bigint) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO customer_360 (customer_id, code, head)
  SELECT c.id, c.code, concat('{"customer" : ', json_build_object('id', c.id, 'code', c.code, 'kind', c.kind, 'title', c.title,
      'lastName', c.last_name, 'firstNames', c.first_names, 'nickname', c.nickname,
      'birthDate', to_char(c.birth_date, 'YYYY-MM-DD'),
      'idDocument', CASE WHEN c.id_document_number <> '' THEN json_build_object(
        'type', coalesce(c.id_document_type, 'other'), 'number', c.id_document_number) END,
      'companyName', c.company_name, 'tradeName', c.trade_name, 'registrationNumber', c.registration_number,
      'displayName', CASE WHEN c.kind = 'organisation' THEN coalesce(c.company_name, '')
        ELSE concat_ws(' ', nullif(c.title, ''), nullif(c.first_names, ''), nullif(c.last_name, '')) END,
      'address', c.address, 'phones', to_json(c.phones), 'email', c.email,
      'preferredLanguage', c.preferred_language, 'status', c.status,
      'categories', (SELECT json_object_agg(k.kind, k.code) FROM category k WHERE k.id IN
        (c.commercial1_id, c.commercial2_id, c.collection_id, c.accounting_id, c.tax_id)),
      'createdAt', to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'updatedAt', to_char(c.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'version', c.version),
    ', "payers" : ', coalesce(p.j, '[]'), ', "users" : ', coalesce(u.j, '[]'), ', "subscriptions" : ', coalesce(s.j, '[]'), ', "events" : ')
  FROM customer c
  LEFT JOIN (SELECT p.customer_id, json_agg(json_build_object('id', p.id, 'customerId', p.customer_id,
        'code', p.code, 'name', p.name, 'billingAddress', p.billing_address, 'paymentMethod', p.payment_method,
        'bankAccount', p.bank_account, 'mobileMoneyNumber', p.mobile_money_number, 'isDefault', p.is_default,
        'status', p.status, 'createdAt', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY p.id)
  j
      FROM payer p WHERE p.customer_id BETWEEN lo AND hi GROUP BY p.customer_id) p ON p.customer_id = c.id
  LEFT JOIN (SELECT u.customer_id, json_agg(json_build_object('id', u.id, 'customerId', u.customer_id,
        'title', u.title, 'lastName', u.last_name, 'firstNames', u.first_names, 'phone', u.phone,
        'email', u.email, 'idDocumentNumber', u.id_document_number) ORDER BY u.id)
  j
      FROM subscription_user u WHERE u.customer_id BETWEEN lo AND hi GROUP BY u.customer_id) u ON u.customer_id = c.id
  LEFT JOIN (SELECT s.customer_id, json_agg(json_build_object('id', s.id, 'code', s.code,
        'customerId', s.customer_id, 'payerId', s.payer_id, 'userId', s.user_id, 'parentId', s.parent_id,
        'productVersionId', s.product_version_id,
        'product', json_build_object('code', pr.code, 'name', pr.name, 'kind', pr.kind, 'version', pv.version),
        'status', s.status, 'directoryNumber', s.directory_number, 'simIccid', s.sim_iccid,
        'equipmentNumber', s.equipment_number, 'plantRef', s.plant_ref,
        'createdAt', to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'activatedAt', to_char(s.activated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'terminatedAt', to_char(s.terminated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY s.id) j
      FROM subscription s JOIN product_version pv ON pv.id = s.product_version_id
      JOIN product pr ON pr.id = pv.product_id WHERE s.customer_id BETWEEN lo AND hi GROUP BY s.customer_id) s ON s.customer_id = c.id
  WHERE c.id BETWEEN lo AND hi
  ON CONFLICT (customer_id) DO UPDATE SET code = excluded.code, head = excluded.head;
END $fn$;

CREATE FUNCTION customer_360_deferred() RETURNS boolean LANGUAGE sql STABLE AS $fn$
  SELECT coalesce(current_setting('gpto.customer_360_deferred', true), '') = 'on';
$fn$;

-- customer: its own rows (insert, update); a deleted customer's document goes with it.
CREATE FUNCTION customer_360_customer_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF customer_360_deferred() THEN RETURN NULL; END IF;
  PERFORM customer_360_refresh(ARRAY(SELECT id FROM new_rows));
  RETURN NULL;
END $fn$;
CREATE FUNCTION customer_360_customer_deleted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM customer_360 d USING old_rows o WHERE d.customer_id = o.id;
  RETURN NULL;
END $fn$;
CREATE TRIGGER customer_360_insert AFTER INSERT ON customer
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_360_customer_changed();
CREATE TRIGGER customer_360_update AFTER UPDATE ON customer
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_360_customer_changed();
CREATE TRIGGER customer_360_delete AFTER DELETE ON customer
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_360_customer_deleted();

-- payer, subscription_user, subscription: the customers of the rows before and after.
CREATE FUNCTION customer_360_part_inserted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF customer_360_deferred() THEN RETURN NULL; END IF;
  PERFORM customer_360_refresh(ARRAY(SELECT DISTINCT customer_id FROM new_rows));
  RETURN NULL;
END $fn$;
CREATE FUNCTION customer_360_part_updated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF customer_360_deferred() THEN RETURN NULL; END IF;
  PERFORM customer_360_refresh(ARRAY(SELECT customer_id FROM new_rows UNION SELECT customer_id FROM old_rows));
  RETURN NULL;
END $fn$;
CREATE FUNCTION customer_360_part_deleted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF customer_360_deferred() THEN RETURN NULL; END IF;
  PERFORM customer_360_refresh(ARRAY(SELECT DISTINCT customer_id FROM old_rows));
  RETURN NULL;
END $fn$;
DO $do$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['payer', 'subscription_user', 'subscription'] LOOP
    EXECUTE format('CREATE TRIGGER customer_360_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION customer_360_part_inserted()', t);
    EXECUTE format('CREATE TRIGGER customer_360_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows
      NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_360_part_updated()', t);
    EXECUTE format('CREATE TRIGGER customer_360_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION customer_360_part_deleted()', t);
  END LOOP;
END $do$;

-- The catalogue values a document shows. The API never changes them (categories keep their code
-- and kind, products are versioned), but a direct edit must not leave documents stale.
CREATE FUNCTION customer_360_category_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM customer_360_refresh(ARRAY(SELECT id FROM customer WHERE NEW.id IN
    (commercial1_id, commercial2_id, collection_id, accounting_id, tax_id)));
  RETURN NULL;
END $fn$;
CREATE TRIGGER customer_360_category AFTER UPDATE OF code, kind ON category FOR EACH ROW
  WHEN (OLD.code IS DISTINCT FROM NEW.code OR OLD.kind IS DISTINCT FROM NEW.kind)
  EXECUTE FUNCTION customer_360_category_changed();
CREATE FUNCTION customer_360_product_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM customer_360_refresh(ARRAY(SELECT DISTINCT s.customer_id FROM subscription s
    JOIN product_version pv ON pv.id = s.product_version_id WHERE pv.product_id IN (OLD.id, NEW.id)));
  RETURN NULL;
END $fn$;
CREATE TRIGGER customer_360_product AFTER UPDATE OF code, name, kind ON product FOR EACH ROW
  WHEN (OLD.code IS DISTINCT FROM NEW.code OR OLD.name IS DISTINCT FROM NEW.name OR OLD.kind IS DISTINCT FROM NEW.kind)
  EXECUTE FUNCTION customer_360_product_changed();
CREATE FUNCTION customer_360_product_version_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM customer_360_refresh(ARRAY(SELECT DISTINCT s.customer_id FROM subscription s
    WHERE s.product_version_id IN (OLD.id, NEW.id)));
  RETURN NULL;
END $fn$;
CREATE TRIGGER customer_360_product_version AFTER UPDATE OF version, product_id ON product_version FOR EACH ROW
  WHEN (OLD.version IS DISTINCT FROM NEW.version OR OLD.product_id IS DISTINCT FROM NEW.product_id)
  EXECUTE FUNCTION customer_360_product_version_changed();

-- Every existing customer, in one statement.
SELECT customer_360_fill(0, (SELECT coalesce(max(id), 0) FROM customer));
ANALYZE customer_360;
