-- Referential: the five customer categories, customers, payers, subscription users, the product
-- catalogue, subscriptions and the blacklist (seed: "Référentiel client/payeur/produit/abonnement").

-- The five categories are operator-managed lists. Accounting categories carry the collective GL
-- account used when centralising receivables; tax categories say whether the customer is exempt and
-- which taxes (rates in basis points: 1800 = 18 %) apply.
CREATE TABLE category (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind                text NOT NULL CHECK (kind IN ('commercial1', 'commercial2', 'collection', 'accounting', 'tax')),
  code                text NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,30}$'),
  label               text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
  collective_account  text,
  tax_exempt          boolean,
  taxes               jsonb,
  active              boolean NOT NULL DEFAULT true,
  UNIQUE (kind, code),
  CHECK ((kind = 'accounting') = (collective_account IS NOT NULL)),
  CHECK ((kind = 'tax') = (tax_exempt IS NOT NULL AND taxes IS NOT NULL))
);

-- Customer codes are for life and never reused: they come from a sequence, never from max()+1.
CREATE SEQUENCE customer_code_seq START 1;
CREATE SEQUENCE payer_code_seq START 1;
CREATE SEQUENCE subscription_code_seq START 1;

CREATE TABLE customer (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code                 text NOT NULL UNIQUE,
  kind                 text NOT NULL CHECK (kind IN ('person', 'organisation')),
  title                text,
  last_name            text,
  first_names          text,
  nickname             text,
  birth_date           date,
  id_document_type     text,
  id_document_number   text,
  company_name         text,
  trade_name           text,
  registration_number  text,
  address              jsonb NOT NULL,
  phones               text[] NOT NULL DEFAULT '{}',
  email                text,
  preferred_language   text NOT NULL DEFAULT 'fr' CHECK (preferred_language ~ '^[a-z]{2}$'),
  status               text NOT NULL DEFAULT 'active' CHECK (status IN ('prospect', 'active', 'inactive', 'closed')),
  commercial1_id       bigint NOT NULL REFERENCES category (id),
  commercial2_id       bigint NOT NULL REFERENCES category (id),
  collection_id        bigint NOT NULL REFERENCES category (id),
  accounting_id        bigint NOT NULL REFERENCES category (id),
  tax_id               bigint NOT NULL REFERENCES category (id),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  version              integer NOT NULL DEFAULT 1,
  -- what agents type: names, nickname, company and trade names, in one normalised string
  search_name          text GENERATED ALWAYS AS (gpto_norm(
                         coalesce(last_name, '') || ' ' || coalesce(first_names, '') || ' ' ||
                         coalesce(nickname, '') || ' ' || coalesce(company_name, '') || ' ' ||
                         coalesce(trade_name, ''))) STORED,
  id_document_norm     text GENERATED ALWAYS AS (upper(regexp_replace(id_document_number, '[^A-Za-z0-9]', '', 'g'))) STORED,
  CHECK (kind <> 'person' OR (last_name IS NOT NULL AND first_names IS NOT NULL)),
  CHECK (kind <> 'organisation' OR company_name IS NOT NULL)
);
CREATE INDEX customer_search_name_trgm ON customer USING gin (search_name gin_trgm_ops);
CREATE INDEX customer_id_document_idx ON customer (id_document_norm) WHERE id_document_norm IS NOT NULL;
CREATE INDEX customer_phones_idx ON customer USING gin (phones);

CREATE TABLE payer (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id      bigint NOT NULL REFERENCES customer (id),
  code             text NOT NULL UNIQUE,
  name             text NOT NULL,
  billing_address  jsonb NOT NULL,
  payment_method   text NOT NULL CHECK (payment_method IN ('cash', 'bank_transfer', 'direct_debit', 'mobile_money', 'cheque')),
  bank_account     text,
  mobile_money_number text,
  is_default       boolean NOT NULL DEFAULT false,
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payer_customer_idx ON payer (customer_id);
CREATE UNIQUE INDEX payer_one_default ON payer (customer_id) WHERE is_default;

-- The person using a line: often not the customer (an employee, a child).
CREATE TABLE subscription_user (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id         bigint NOT NULL REFERENCES customer (id),
  title               text,
  last_name           text NOT NULL,
  first_names         text,
  phone               text,
  email               text,
  id_document_number  text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscription_user_customer_idx ON subscription_user (customer_id);

CREATE TABLE product (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,30}$'),
  name        text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('fixed_wired', 'fixed_radio', 'mobile_postpaid', 'mobile_prepaid', 'option')),
  -- for options: the line kinds they can be added to
  applies_to  text[] NOT NULL DEFAULT '{}',
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Prices change by new version, never by editing one a subscription already points to.
CREATE TABLE product_version (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  product_id       bigint NOT NULL REFERENCES product (id),
  version          integer NOT NULL CHECK (version >= 1),
  valid_from       timestamptz NOT NULL DEFAULT now(),
  one_off_price    bigint NOT NULL CHECK (one_off_price >= 0),
  recurring_price  bigint NOT NULL CHECK (recurring_price >= 0),
  usage_unit_price bigint NOT NULL DEFAULT 0 CHECK (usage_unit_price >= 0),
  currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- guarantee deposit per commercial category code; "*" is the default
  deposits         jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (product_id, version)
);

CREATE TABLE subscription (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code                text NOT NULL UNIQUE,
  customer_id         bigint NOT NULL REFERENCES customer (id),
  payer_id            bigint NOT NULL REFERENCES payer (id),
  user_id             bigint REFERENCES subscription_user (id),
  product_version_id  bigint NOT NULL REFERENCES product_version (id),
  -- options hang under the line they modify
  parent_id           bigint REFERENCES subscription (id),
  status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'suspended', 'terminated')),
  directory_number    text,
  sim_iccid           text,
  equipment_number    text,
  plant_ref           jsonb,
  created_at          timestamptz NOT NULL DEFAULT now(),
  activated_at        timestamptz,
  terminated_at       timestamptz,
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscription_customer_idx ON subscription (customer_id);
CREATE INDEX subscription_payer_idx ON subscription (payer_id);
CREATE INDEX subscription_parent_idx ON subscription (parent_id) WHERE parent_id IS NOT NULL;
-- a directory number belongs to one live line at a time
CREATE UNIQUE INDEX subscription_live_number ON subscription (directory_number)
  WHERE directory_number IS NOT NULL AND status <> 'terminated';
CREATE INDEX subscription_number_idx ON subscription (directory_number) WHERE directory_number IS NOT NULL;
CREATE INDEX subscription_iccid_idx ON subscription (sim_iccid) WHERE sim_iccid IS NOT NULL;

CREATE TABLE subscription_status_history (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscription_id  bigint NOT NULL REFERENCES subscription (id),
  from_status      text,
  to_status        text NOT NULL,
  reason           text,
  changed_at       timestamptz NOT NULL DEFAULT now(),
  user_id          bigint
);
CREATE INDEX subscription_status_history_idx ON subscription_status_history (subscription_id, id);

CREATE TABLE subscription_payer_history (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscription_id  bigint NOT NULL REFERENCES subscription (id),
  from_payer_id    bigint REFERENCES payer (id),
  to_payer_id      bigint NOT NULL REFERENCES payer (id),
  moved_at         timestamptz NOT NULL DEFAULT now(),
  user_id          bigint
);
CREATE INDEX subscription_payer_history_idx ON subscription_payer_history (subscription_id, id);

-- Customers refused service. An entry matches on any of: customer code, identity document, name.
CREATE TABLE blacklist_entry (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_code       text,
  id_document_number  text,
  name                text,
  reason              text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  listed_at           timestamptz NOT NULL DEFAULT now(),
  listed_by           bigint,
  lifted_at           timestamptz,
  lifted_by           bigint,
  lift_reason         text,
  id_document_norm    text GENERATED ALWAYS AS (upper(regexp_replace(id_document_number, '[^A-Za-z0-9]', '', 'g'))) STORED,
  name_norm           text GENERATED ALWAYS AS (gpto_norm(name)) STORED,
  CHECK (customer_code IS NOT NULL OR id_document_number IS NOT NULL OR name IS NOT NULL)
);
CREATE INDEX blacklist_code_idx ON blacklist_entry (customer_code) WHERE lifted_at IS NULL;
CREATE INDEX blacklist_doc_idx ON blacklist_entry (id_document_norm) WHERE lifted_at IS NULL;
CREATE INDEX blacklist_name_idx ON blacklist_entry (name_norm) WHERE lifted_at IS NULL;
