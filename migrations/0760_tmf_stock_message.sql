-- TMF687 stock tasks and TMF681 messages sent through the API.
--
-- tmf_stock_task: a reserveProductStock (kind 'reserve': the SIM cards it holds are inventory
-- reservations, request refs `<code>-<n>`, released when it is cancelled or expires at
-- `valid_until`), a checkProductStock or a queryProductStock (kinds 'check', 'query': the answer,
-- kept so that a client can read it back by id).
CREATE SEQUENCE tmf_stock_task_seq START 1;

CREATE TABLE tmf_stock_task (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code         text NOT NULL UNIQUE,
  kind         text NOT NULL CHECK (kind IN ('reserve', 'check', 'query')),
  -- reserve: the request as received and the items reserved; check/query: the answer
  document     jsonb NOT NULL,
  -- reserve: reserved → released (cancelled) | expired
  status       text NOT NULL DEFAULT 'done' CHECK (status IN ('done', 'reserved', 'released', 'expired')),
  shop_code    text,
  quantity     integer,
  valid_until  timestamptz,
  user_id      bigint REFERENCES app_user (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  closed_at    timestamptz,
  CHECK ((kind = 'reserve') = (status <> 'done'))
);
CREATE INDEX tmf_stock_task_kind ON tmf_stock_task (kind, id);
CREATE INDEX tmf_stock_task_due ON tmf_stock_task (valid_until) WHERE status = 'reserved';

-- TMF681 messages a client asked GPTo to send (POST communicationMessage): e-mail through the
-- same SMTP sender as the bills. sending → sent | failed.
CREATE SEQUENCE tmf_message_seq START 1;

CREATE TABLE tmf_message (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code         text NOT NULL UNIQUE,
  customer_id  bigint NOT NULL REFERENCES customer (id),
  channel      text NOT NULL CHECK (channel IN ('email')),
  recipient    text NOT NULL,
  subject      text NOT NULL,
  content      text NOT NULL,
  status       text NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
  attempts     integer NOT NULL DEFAULT 0,
  last_error   text,
  message_id   text,
  user_id      bigint REFERENCES app_user (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  sent_at      timestamptz
);
CREATE INDEX tmf_message_customer ON tmf_message (customer_id, id);
