-- Billing, first part: the payer account ledger that service requests need (one-off invoices,
-- payments matched to them, guarantee deposits, credits, balances). The billing cycle (periodic
-- invoices, collection, GL export) extends these tables later: invoices already carry a kind and
-- lines, and every movement is a ledger entry on one of the payer's accounts.
CREATE SEQUENCE billing_invoice_number_seq START 1;
CREATE SEQUENCE billing_payment_number_seq START 1;

CREATE TABLE billing_invoice (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number            text NOT NULL UNIQUE,
  payer_id          bigint NOT NULL REFERENCES payer (id),
  customer_id       bigint NOT NULL REFERENCES customer (id),
  kind              text NOT NULL CHECK (kind IN ('one_off', 'periodic', 'credit_note')),
  status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid', 'cancelled')),
  currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  amount_excl_tax   bigint NOT NULL CHECK (amount_excl_tax >= 0),
  tax_amount        bigint NOT NULL CHECK (tax_amount >= 0),
  total             bigint NOT NULL CHECK (total = amount_excl_tax + tax_amount),
  paid_amount       bigint NOT NULL DEFAULT 0 CHECK (paid_amount >= 0 AND paid_amount <= total),
  lines             jsonb NOT NULL,
  taxes             jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- what the invoice bills: ('service_request', '42'), later ('billing_run', '2026-03')
  source_type       text,
  source_id         text,
  issued_at         timestamptz NOT NULL,
  due_at            timestamptz NOT NULL,
  paid_at           timestamptz,
  cancelled_at      timestamptz,
  cancel_reason     text
);
CREATE INDEX billing_invoice_payer_idx ON billing_invoice (payer_id, id DESC);
CREATE INDEX billing_invoice_source_idx ON billing_invoice (source_type, source_id);
CREATE INDEX billing_invoice_open_idx ON billing_invoice (due_at) WHERE status = 'open';

CREATE TABLE billing_deposit (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  payer_id        bigint NOT NULL REFERENCES payer (id),
  customer_id     bigint NOT NULL REFERENCES customer (id),
  subscription_id bigint REFERENCES subscription (id),
  amount          bigint NOT NULL CHECK (amount > 0),
  currency        text NOT NULL,
  status          text NOT NULL CHECK (status IN ('held', 'refunded', 'applied')),
  source_type     text,
  source_id       text,
  received_at     timestamptz NOT NULL,
  ended_at        timestamptz
);
CREATE INDEX billing_deposit_payer_idx ON billing_deposit (payer_id);
CREATE INDEX billing_deposit_source_idx ON billing_deposit (source_type, source_id);

CREATE TABLE billing_payment (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number       text NOT NULL UNIQUE,
  payer_id     bigint NOT NULL REFERENCES payer (id),
  customer_id  bigint NOT NULL REFERENCES customer (id),
  amount       bigint NOT NULL CHECK (amount > 0),
  currency     text NOT NULL,
  method       text NOT NULL CHECK (method IN ('cash', 'bank_transfer', 'direct_debit', 'mobile_money', 'cheque', 'card')),
  reference    text,
  -- a payment settles an invoice or constitutes a deposit
  invoice_id   bigint REFERENCES billing_invoice (id),
  deposit_id   bigint REFERENCES billing_deposit (id),
  received_at  timestamptz NOT NULL,
  recorded_by  bigint
);
CREATE INDEX billing_payment_payer_idx ON billing_payment (payer_id, id DESC);

-- Every movement on a payer's accounts. amount > 0: the customer owes more (debit);
-- amount < 0: the operator owes more (credit). 'receivable' is what the customer owes,
-- 'deposit' the guarantee deposits the operator holds (negative balance = held for the customer).
CREATE TABLE billing_ledger_entry (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  payer_id     bigint NOT NULL REFERENCES payer (id),
  customer_id  bigint NOT NULL,
  account      text NOT NULL CHECK (account IN ('receivable', 'deposit')),
  kind         text NOT NULL CHECK (kind IN ('invoice', 'invoice_cancelled', 'payment', 'deposit_received',
                                             'deposit_refunded', 'deposit_applied', 'credit', 'refund')),
  amount       bigint NOT NULL CHECK (amount <> 0),
  currency     text NOT NULL,
  invoice_id   bigint REFERENCES billing_invoice (id),
  payment_id   bigint REFERENCES billing_payment (id),
  deposit_id   bigint REFERENCES billing_deposit (id),
  description  text NOT NULL,
  occurred_at  timestamptz NOT NULL
);
CREATE INDEX billing_ledger_payer_idx ON billing_ledger_entry (payer_id, id);
CREATE FUNCTION billing_ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger entries are never changed: post a correcting entry';
END $$;
CREATE TRIGGER billing_ledger_append_only BEFORE UPDATE OR DELETE ON billing_ledger_entry
  FOR EACH ROW EXECUTE FUNCTION billing_ledger_is_append_only();
