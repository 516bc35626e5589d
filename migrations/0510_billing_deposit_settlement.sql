-- Deposit settlement when a line ends: the guarantee deposit first pays what the payer owes, the
-- rest is refunded. Each settlement is a numbered document (its receipt, `DG…`) recording how the
-- deposit was split and which invoices it settled; one per deposit.
CREATE SEQUENCE billing_deposit_settlement_number_seq START 1;

CREATE TABLE billing_deposit_settlement (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number       text NOT NULL UNIQUE,
  deposit_id   bigint NOT NULL UNIQUE REFERENCES billing_deposit (id),
  payer_id     bigint NOT NULL REFERENCES payer (id),
  customer_id  bigint NOT NULL,
  amount       bigint NOT NULL CHECK (amount > 0),
  applied      bigint NOT NULL CHECK (applied >= 0),
  refunded     bigint NOT NULL CHECK (refunded >= 0),
  currency     text NOT NULL,
  -- [{invoice: "F…", amount}] settled by the applied part, oldest due first
  allocations  jsonb NOT NULL DEFAULT '[]'::jsonb,
  reason       text NOT NULL,
  settled_at   timestamptz NOT NULL,
  settled_by   bigint,
  CHECK (applied + refunded = amount)
);
CREATE INDEX billing_deposit_settlement_payer_idx ON billing_deposit_settlement (payer_id, id DESC);
