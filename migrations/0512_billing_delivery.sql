-- Delivery of a billing run's invoices: by e-mail to the payers whose customer has an e-mail
-- address (the outbox: one message per invoice, sent by the mail sender), on paper for the others
-- (the print batch, in postal order: `postal_rank`). Filled once per run by one INSERT … SELECT;
-- a second preparation of the same run adds nothing (one row per invoice).
CREATE TABLE billing_delivery (
  invoice_id       bigint PRIMARY KEY REFERENCES billing_invoice (id),
  run_id           bigint NOT NULL,
  payer_id         bigint NOT NULL,
  customer_id      bigint NOT NULL,
  channel          text NOT NULL CHECK (channel IN ('email', 'paper')),
  -- paper: order in the print batch (postal code, locality, district, street, number, payer)
  postal_rank      integer,
  email            text,
  -- email: queued → sending (claimed, lease) → sent | failed (after max attempts); paper: printed
  status           text NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'paper')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz,
  lease_until      timestamptz,
  last_error       text,
  message_id       text,
  sent_at          timestamptz,
  created_at       timestamptz NOT NULL,
  CHECK ((channel = 'email') = (email IS NOT NULL)),
  CHECK ((channel = 'paper') = (postal_rank IS NOT NULL))
);
CREATE UNIQUE INDEX billing_delivery_print_order ON billing_delivery (run_id, postal_rank) WHERE channel = 'paper';
CREATE INDEX billing_delivery_outbox ON billing_delivery (next_attempt_at, invoice_id) WHERE status IN ('queued', 'sending');
CREATE INDEX billing_delivery_run ON billing_delivery (run_id, channel, status);
