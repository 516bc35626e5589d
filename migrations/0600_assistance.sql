-- Customer assistance (seed: "Assistance aux clients, réclamation, dérangement"): faults (trouble
-- tickets), plant incidents, complaints, rebates, work orders, meter readings and the texts sent to
-- customers. Every customer-owned row carries customer_id (sharding by customer, see DESIGN.md).
CREATE SEQUENCE asst_fault_number_seq START 1;
CREATE SEQUENCE asst_incident_number_seq START 1;
CREATE SEQUENCE asst_complaint_number_seq START 1;
CREATE SEQUENCE asst_rebate_number_seq START 1;
CREATE SEQUENCE asst_work_order_number_seq START 1;

-- A plant incident: a cable, a range of its pairs or a concentration point out of order. The pairs
-- it took out of service (and their status before) are kept so the repair puts back exactly those.
CREATE TABLE asst_incident (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number         text NOT NULL UNIQUE,
  scope          text NOT NULL CHECK (scope IN ('cable', 'pair_range', 'cp')),
  cable_code     text,
  pair_from      integer,
  pair_to        integer,
  cp_code        text,
  zone           text,
  description    text NOT NULL,
  status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'repaired')),
  pairs          jsonb NOT NULL DEFAULT '[]'::jsonb,
  lines          text[] NOT NULL DEFAULT '{}',
  skipped        jsonb NOT NULL DEFAULT '[]'::jsonb,
  opened_at      timestamptz NOT NULL,
  opened_by      bigint,
  repaired_at    timestamptz,
  repaired_by    bigint,
  repair_report  text,
  CHECK ((scope = 'cp') = (cp_code IS NOT NULL)),
  CHECK ((scope IN ('cable', 'pair_range')) = (cable_code IS NOT NULL)),
  CHECK ((scope = 'pair_range') = (pair_from IS NOT NULL AND pair_to IS NOT NULL AND pair_from <= pair_to))
);
CREATE INDEX asst_incident_open_idx ON asst_incident (id) WHERE status = 'open';
CREATE INDEX asst_incident_lines_idx ON asst_incident USING gin (lines);

CREATE TABLE asst_fault (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number           text NOT NULL UNIQUE,
  customer_id      bigint NOT NULL REFERENCES customer (id),
  payer_id         bigint NOT NULL REFERENCES payer (id),
  subscription_id  bigint NOT NULL REFERENCES subscription (id),
  line_id          text NOT NULL,
  product_kind     text NOT NULL,
  zone             text,
  symptom          text NOT NULL,
  description      text,
  contact_phone    text,
  channel          text NOT NULL DEFAULT 'phone',
  status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'closed')),
  diagnosis        jsonb NOT NULL DEFAULT '{}'::jsonb,
  incident_id      bigint REFERENCES asst_incident (id),
  instance_id      bigint,
  cause_code       text,
  resolution       text,
  reopen_count     integer NOT NULL DEFAULT 0,
  reported_at      timestamptz NOT NULL,
  reported_by      bigint,
  due_at           timestamptz NOT NULL,
  resolved_at      timestamptz,
  closed_at        timestamptz,
  closed_by        bigint
);
CREATE INDEX asst_fault_line_idx ON asst_fault (line_id, id DESC);
CREATE INDEX asst_fault_customer_idx ON asst_fault (customer_id, id DESC);
CREATE INDEX asst_fault_status_idx ON asst_fault (status, reported_at);
CREATE INDEX asst_fault_incident_idx ON asst_fault (incident_id) WHERE incident_id IS NOT NULL;
-- one live trouble ticket per line: a second report on the same line adds to the first
CREATE UNIQUE INDEX asst_fault_open_line_uq ON asst_fault (line_id) WHERE status = 'open';

CREATE TABLE asst_complaint (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number           text NOT NULL UNIQUE,
  customer_id      bigint NOT NULL REFERENCES customer (id),
  payer_id         bigint NOT NULL REFERENCES payer (id),
  subscription_id  bigint REFERENCES subscription (id),
  line_id          text,
  category         text NOT NULL CHECK (category IN ('billing', 'service', 'quality', 'commercial', 'other')),
  subject          text NOT NULL,
  description      text,
  invoice_number   text,
  disputed_amount  bigint CHECK (disputed_amount IS NULL OR disputed_amount > 0),
  fault_id         bigint REFERENCES asst_fault (id),
  status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected')),
  decision_reason  text,
  instance_id      bigint,
  opened_at        timestamptz NOT NULL,
  opened_by        bigint,
  decided_at       timestamptz,
  decided_by       bigint
);
CREATE INDEX asst_complaint_customer_idx ON asst_complaint (customer_id, id DESC);
CREATE INDEX asst_complaint_status_idx ON asst_complaint (status, opened_at);

-- A rebate (dégrèvement): a credit on the payer's account, fixed or computed from an outage, that
-- takes effect only once approved by an agent holding the right for its amount.
CREATE TABLE asst_rebate (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number           text NOT NULL UNIQUE,
  customer_id      bigint NOT NULL REFERENCES customer (id),
  payer_id         bigint NOT NULL REFERENCES payer (id),
  subscription_id  bigint REFERENCES subscription (id),
  line_id          text,
  fault_id         bigint REFERENCES asst_fault (id),
  complaint_id     bigint REFERENCES asst_complaint (id),
  reason           text NOT NULL,
  method           text NOT NULL CHECK (method IN ('fixed', 'outage')),
  outage_minutes   integer CHECK (outage_minutes IS NULL OR outage_minutes > 0),
  monthly_price    bigint,
  amount           bigint NOT NULL CHECK (amount > 0),
  currency         text NOT NULL,
  approval_level   text NOT NULL CHECK (approval_level IN ('small', 'large')),
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'credited', 'rejected')),
  requested_at     timestamptz NOT NULL,
  requested_by     bigint,
  decided_at       timestamptz,
  decided_by       bigint,
  decision_note    text,
  CHECK ((method = 'outage') = (outage_minutes IS NOT NULL AND monthly_price IS NOT NULL))
);
CREATE INDEX asst_rebate_customer_idx ON asst_rebate (customer_id, id DESC);
CREATE INDEX asst_rebate_status_idx ON asst_rebate (status, requested_at);
-- an accepted complaint gives one rebate
CREATE UNIQUE INDEX asst_rebate_complaint_uq ON asst_rebate (complaint_id) WHERE complaint_id IS NOT NULL;

CREATE TABLE asst_work_order (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number        text NOT NULL UNIQUE,
  fault_id      bigint REFERENCES asst_fault (id),
  incident_id   bigint REFERENCES asst_incident (id),
  customer_id   bigint REFERENCES customer (id),
  line_id       text,
  team          text NOT NULL,
  zone          text,
  instructions  text NOT NULL,
  status        text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'in_progress', 'done', 'failed')),
  report        text,
  cause_code    text,
  assignee_id   bigint,
  issued_at     timestamptz NOT NULL,
  issued_by     bigint,
  started_at    timestamptz,
  ended_at      timestamptz,
  ended_by      bigint,
  CHECK (fault_id IS NOT NULL OR incident_id IS NOT NULL)
);
CREATE INDEX asst_work_order_fault_idx ON asst_work_order (fault_id) WHERE fault_id IS NOT NULL;
CREATE INDEX asst_work_order_team_idx ON asst_work_order (team, status, issued_at);

-- Meter index readings taken from the switch (fault diagnosis, an agent's reading): the line's
-- consumption over time as the assistance saw it.
CREATE TABLE asst_meter_reading (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  line_id      text NOT NULL,
  customer_id  bigint,
  meter_index  bigint NOT NULL CHECK (meter_index >= 0),
  source       text NOT NULL,
  read_at      timestamptz NOT NULL
);
CREATE INDEX asst_meter_reading_line_idx ON asst_meter_reading (line_id, read_at DESC);

-- What was said to the customer (SMS or letter text), as sent.
CREATE TABLE asst_notification (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id   bigint NOT NULL,
  line_id       text,
  fault_id      bigint REFERENCES asst_fault (id),
  complaint_id  bigint REFERENCES asst_complaint (id),
  channel       text NOT NULL CHECK (channel IN ('sms', 'letter')),
  recipient     text,
  text          text NOT NULL,
  created_at    timestamptz NOT NULL
);
CREATE INDEX asst_notification_customer_idx ON asst_notification (customer_id, id DESC);
