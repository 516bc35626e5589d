-- Parties that are not (yet) customers: the people and organisations other systems (a CRM, a
-- partner portal) declare through TMF632 before they buy anything. GPTo's customers are parties
-- themselves; a party row becomes one of them when TMF629 makes it a customer (customer_id), and
-- stays the customer's engagedParty under its own code.
CREATE SEQUENCE party_code_seq START 1;

CREATE TABLE party (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code               text NOT NULL UNIQUE,
  kind               text NOT NULL CHECK (kind IN ('person', 'organisation')),
  title              text,
  given_name         text,
  family_name        text,
  middle_name        text,
  birth_date         date,
  trading_name       text,
  legal_name         text,
  registration_number text,
  contact_medium     jsonb NOT NULL DEFAULT '[]',
  characteristic     jsonb NOT NULL DEFAULT '[]',
  customer_id        bigint UNIQUE REFERENCES customer (id),
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CHECK (kind <> 'person' OR (family_name IS NOT NULL AND given_name IS NOT NULL)),
  CHECK (kind <> 'organisation' OR trading_name IS NOT NULL)
);
CREATE INDEX party_kind_idx ON party (kind, id);
