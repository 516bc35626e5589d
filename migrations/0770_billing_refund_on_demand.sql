-- Refunds: money given back to a payer whose account is in credit (an overpayment, a rebate, a
-- credit note larger than what was owed). Each refund is a numbered document (RB…) and one ledger
-- entry `refund` on the receivable account (what the operator owed goes down), linked to the
-- payment it gives back when there is one (it then leaves the treasury account of that payment's
-- method in the centralisation; otherwise cash).
CREATE SEQUENCE billing_refund_number_seq START 1;
CREATE TABLE billing_refund (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number           text NOT NULL UNIQUE,
  payer_id         bigint NOT NULL REFERENCES payer (id),
  customer_id      bigint NOT NULL REFERENCES customer (id),
  payment_id       bigint REFERENCES billing_payment (id),
  amount           bigint NOT NULL CHECK (amount > 0),
  currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  method           text NOT NULL CHECK (method IN ('cash', 'bank_transfer', 'direct_debit', 'mobile_money', 'cheque', 'card')),
  reason           text NOT NULL,
  reference        text,
  ledger_entry_id  bigint NOT NULL REFERENCES billing_ledger_entry (id),
  refunded_at      timestamptz NOT NULL,
  refunded_by      bigint
);
CREATE INDEX billing_refund_payer_idx ON billing_refund (payer_id, id);
CREATE INDEX billing_refund_payment_idx ON billing_refund (payment_id) WHERE payment_id IS NOT NULL;

-- TMF678 customerBillOnDemand: a client's request for a bill now, kept with the invoice it made
-- (the invoice itself is the billing module's, issued by its on-demand rule). A request that
-- cannot be carried out (nothing to bill) is refused with an error rather than stored.
CREATE SEQUENCE tmf_bill_on_demand_seq START 1;
CREATE TABLE tmf_bill_on_demand (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code         text NOT NULL UNIQUE,
  payer_id     bigint NOT NULL REFERENCES payer (id),
  invoice_id   bigint NOT NULL REFERENCES billing_invoice (id),
  name         text,
  description  text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   bigint
);
CREATE INDEX tmf_bill_on_demand_payer_idx ON tmf_bill_on_demand (payer_id);
