-- Billing, second part: the billing cycle (periodic invoices per payer, usage from meter readings,
-- gap-free numbering, immutable issued invoices and credit notes), payments matched to invoices,
-- collection (dunning) and the centralisation of the ledger into the general ledger.

-- Billing cycles: a payer is billed every `months` months, its period ending on a month that is a
-- multiple of `months` (monthly: every month; quarterly: March, June, September, December).
CREATE TABLE billing_cycle (
  code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,30}$'),
  label       text NOT NULL,
  months      integer NOT NULL CHECK (months IN (1, 2, 3, 6, 12)),
  due_days    integer NOT NULL DEFAULT 15 CHECK (due_days BETWEEN 0 AND 120)
);
INSERT INTO billing_cycle (code, label, months, due_days) VALUES
  ('monthly', 'Mensuel', 1, 15),
  ('bimonthly', 'Bimestriel', 2, 15),
  ('quarterly', 'Trimestriel', 3, 30);

-- A payer without a row is on the monthly cycle.
CREATE TABLE billing_payer_cycle (
  payer_id    bigint PRIMARY KEY REFERENCES payer (id),
  cycle_code  text NOT NULL REFERENCES billing_cycle (code),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Gap-free numbering: one counter row per series (F2026 invoices, A2026 credit notes), updated in
-- the issuing transaction. The row lock serialises issuers of one series; a rolled-back
-- transaction gives its numbers back, which a sequence never does (tax authorities want no gaps).
CREATE TABLE billing_number_series (
  series  text PRIMARY KEY,
  next    bigint NOT NULL CHECK (next >= 1)
);
-- invoices already numbered by the ledger's sequence keep their numbers: continue after them
INSERT INTO billing_number_series (series, next)
  SELECT left(number, 5), max(substr(number, 6)::bigint) + 1
  FROM billing_invoice WHERE number ~ '^F[0-9]{4}[0-9]+$' GROUP BY left(number, 5);

-- Reserves n consecutive numbers of a series and returns the first.
CREATE FUNCTION billing_reserve_numbers(p_series text, p_n bigint) RETURNS bigint
  LANGUAGE sql VOLATILE AS $$
    INSERT INTO billing_number_series AS s (series, next) VALUES (p_series, 1 + p_n)
    ON CONFLICT (series) DO UPDATE SET next = s.next + p_n
    RETURNING s.next - p_n
  $$;

ALTER TABLE billing_invoice
  ADD COLUMN period_start     date,
  ADD COLUMN period_end       date,
  ADD COLUMN run_id           bigint,
  ADD COLUMN corrects_id      bigint REFERENCES billing_invoice (id),
  ADD COLUMN credited_amount  bigint NOT NULL DEFAULT 0 CHECK (credited_amount >= 0),
  -- the account summary printed on the bill: previous balance, payments, rebates, deposits held
  ADD COLUMN summary          jsonb,
  ADD CONSTRAINT billing_invoice_settled_le_total CHECK (paid_amount + credited_amount <= total),
  ADD CONSTRAINT billing_invoice_credit_note_corrects CHECK ((kind = 'credit_note') = (corrects_id IS NOT NULL));
-- one periodic invoice per payer and period: a re-run (or a resumed run) never bills twice
CREATE UNIQUE INDEX billing_invoice_payer_period ON billing_invoice (payer_id, period_start) WHERE kind = 'periodic';
CREATE INDEX billing_invoice_run_idx ON billing_invoice (run_id, id) WHERE run_id IS NOT NULL;
CREATE INDEX billing_invoice_open_payer_idx ON billing_invoice (payer_id, due_at) WHERE status = 'open';
CREATE INDEX billing_invoice_corrects_idx ON billing_invoice (corrects_id) WHERE corrects_id IS NOT NULL;

-- Issued invoices are immutable: only their settlement (payments, credit notes) moves. A periodic
-- invoice is never cancelled: it is corrected by a credit note. No invoice is ever deleted.
CREATE FUNCTION billing_invoice_is_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'invoice % is issued: it is never deleted (issue a credit note)', OLD.number;
  END IF;
  IF (NEW.number, NEW.payer_id, NEW.customer_id, NEW.kind, NEW.currency, NEW.amount_excl_tax, NEW.tax_amount,
      NEW.total, NEW.lines, NEW.taxes, NEW.issued_at, NEW.due_at, NEW.period_start, NEW.period_end,
      NEW.corrects_id, NEW.summary, NEW.source_type, NEW.source_id, NEW.run_id)
     IS DISTINCT FROM
     (OLD.number, OLD.payer_id, OLD.customer_id, OLD.kind, OLD.currency, OLD.amount_excl_tax, OLD.tax_amount,
      OLD.total, OLD.lines, OLD.taxes, OLD.issued_at, OLD.due_at, OLD.period_start, OLD.period_end,
      OLD.corrects_id, OLD.summary, OLD.source_type, OLD.source_id, OLD.run_id) THEN
    RAISE EXCEPTION 'invoice % is issued and immutable: correct it with a credit note', OLD.number;
  END IF;
  IF NEW.status = 'cancelled' AND OLD.status <> 'cancelled' AND OLD.kind <> 'one_off' THEN
    RAISE EXCEPTION 'invoice % is a % invoice: correct it with a credit note', OLD.number, OLD.kind;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER billing_invoice_immutable BEFORE UPDATE OR DELETE ON billing_invoice
  FOR EACH ROW EXECUTE FUNCTION billing_invoice_is_immutable();

-- One billing run per (period, cycle): its progress and its figures.
CREATE TABLE billing_run (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  period        text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  cycle_code    text NOT NULL REFERENCES billing_cycle (code),
  period_start  date NOT NULL,
  period_end    date NOT NULL,
  status        text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
  invoices      integer NOT NULL DEFAULT 0,
  amount_total  bigint NOT NULL DEFAULT 0,
  started_at    timestamptz NOT NULL,
  finished_at   timestamptz,
  started_by    bigint,
  error         text
);
CREATE INDEX billing_run_period_idx ON billing_run (period, cycle_code);

-- Charges waiting for the next bill: one-off fees, adjustments. The run invoices those created
-- before the period's end and stamps them with the invoice.
CREATE TABLE billing_charge (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  payer_id         bigint NOT NULL REFERENCES payer (id),
  customer_id      bigint NOT NULL REFERENCES customer (id),
  subscription_id  bigint REFERENCES subscription (id),
  kind             text NOT NULL CHECK (kind IN ('one_off', 'adjustment')),
  label            text NOT NULL,
  product_code     text,
  amount           bigint NOT NULL CHECK (amount > 0),
  created_at       timestamptz NOT NULL,
  invoice_id       bigint REFERENCES billing_invoice (id)
);
CREATE INDEX billing_charge_pending_idx ON billing_charge (payer_id) WHERE invoice_id IS NULL;
-- a line's one-off fee is charged once
CREATE UNIQUE INDEX billing_charge_one_off_once ON billing_charge (subscription_id) WHERE kind = 'one_off';

-- Meter readings (charge-pulse index) per line and date, from the activation automaton's meter
-- query, the API or a CSV file. Usage billed = index at the period's end − index at its start.
CREATE TABLE meter_reading (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscription_id  bigint NOT NULL REFERENCES subscription (id),
  customer_id      bigint NOT NULL,
  read_at          timestamptz NOT NULL,
  meter_index      bigint NOT NULL CHECK (meter_index >= 0),
  source           text NOT NULL CHECK (source IN ('api', 'csv', 'automaton')),
  recorded_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (subscription_id, read_at)
);

-- Payments: an allocation per invoice a payment settles (oldest first, or the designated invoice).
ALTER TABLE billing_payment
  ADD COLUMN allocated_amount bigint NOT NULL DEFAULT 0,
  ADD COLUMN import_ref text;
-- an imported transaction (bank statement line, mobile money transaction id) is recorded once
CREATE UNIQUE INDEX billing_payment_import_once ON billing_payment (method, import_ref) WHERE import_ref IS NOT NULL;

CREATE TABLE billing_payment_allocation (
  payment_id  bigint NOT NULL REFERENCES billing_payment (id),
  invoice_id  bigint NOT NULL REFERENCES billing_invoice (id),
  amount      bigint NOT NULL CHECK (amount > 0),
  PRIMARY KEY (payment_id, invoice_id)
);
CREATE INDEX billing_payment_allocation_invoice_idx ON billing_payment_allocation (invoice_id);

-- Collection (dunning) rules per collection category: day N after the due date of the oldest
-- unpaid invoice, each step once. A NULL day means the step is not used by that category.
CREATE TABLE billing_collection_rule (
  category_id       bigint PRIMARY KEY REFERENCES category (id),
  reminder_day      integer CHECK (reminder_day >= 0),
  limitation_day    integer CHECK (limitation_day >= 0),
  suspension_day    integer CHECK (suspension_day >= 0),
  termination_day   integer CHECK (termination_day >= 0),
  min_amount        bigint NOT NULL DEFAULT 1 CHECK (min_amount >= 1),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE billing_collection_exemption (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id  bigint NOT NULL REFERENCES customer (id),
  reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  until        date,
  created_at   timestamptz NOT NULL,
  created_by   bigint,
  lifted_at    timestamptz
);
CREATE INDEX billing_collection_exemption_idx ON billing_collection_exemption (customer_id) WHERE lifted_at IS NULL;

CREATE TABLE billing_collection_case (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  payer_id       bigint NOT NULL REFERENCES payer (id),
  customer_id    bigint NOT NULL,
  stage          text NOT NULL CHECK (stage IN ('open', 'reminder', 'limitation', 'suspension', 'termination_proposal')),
  opened_at      timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  closed_at      timestamptz,
  close_reason   text
);
CREATE UNIQUE INDEX billing_collection_case_open ON billing_collection_case (payer_id) WHERE closed_at IS NULL;

CREATE TABLE billing_collection_action (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id          bigint NOT NULL REFERENCES billing_collection_case (id),
  payer_id         bigint NOT NULL,
  customer_id      bigint NOT NULL,
  stage            text NOT NULL,
  subscription_id  bigint,
  request_ref      text,
  debt             bigint NOT NULL,
  days_overdue     integer NOT NULL,
  at               timestamptz NOT NULL,
  detail           jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX billing_collection_action_case_idx ON billing_collection_action (case_id, id);

-- Centralisation into the general ledger: the chart the journal is posted to, and the periods.
CREATE TABLE billing_gl_account (
  key      text PRIMARY KEY,
  account  text NOT NULL CHECK (account ~ '^[0-9A-Z]{3,12}$'),
  label    text NOT NULL
);
INSERT INTO billing_gl_account (key, account, label) VALUES
  ('revenue', '706100', 'Prestations de services télécoms'),
  ('rebate', '709100', 'Rabais, remises et ristournes accordés'),
  ('deposit', '419100', 'Clients — dépôts et cautionnements reçus'),
  ('treasury:cash', '571000', 'Caisse'),
  ('treasury:bank_transfer', '521000', 'Banque'),
  ('treasury:direct_debit', '521000', 'Banque'),
  ('treasury:cheque', '513000', 'Chèques à encaisser'),
  ('treasury:card', '521000', 'Banque'),
  ('treasury:mobile_money', '521500', 'Mobile money'),
  ('tax:TVA', '443100', 'État, TVA facturée'),
  ('tax:*', '447000', 'État, autres taxes facturées');

CREATE TABLE billing_period (
  period          text PRIMARY KEY CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  period_start    date NOT NULL,
  period_end      date NOT NULL,
  status          text NOT NULL CHECK (status IN ('open', 'closed')),
  totals          jsonb,
  export_csv      text,
  closed_at       timestamptz,
  closed_by       bigint
);

-- A closed period's journal is final: no ledger entry may be dated inside it any more.
CREATE FUNCTION billing_ledger_period_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM billing_period p WHERE p.status = 'closed'
             AND NEW.occurred_at >= (p.period_start::timestamp AT TIME ZONE 'UTC')
             AND NEW.occurred_at < (p.period_end::timestamp AT TIME ZONE 'UTC')) THEN
    RAISE EXCEPTION 'the accounting period of % is closed: date the entry in an open period', NEW.occurred_at;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER billing_ledger_period_open BEFORE INSERT ON billing_ledger_entry
  FOR EACH ROW EXECUTE FUNCTION billing_ledger_period_open();
CREATE INDEX billing_ledger_occurred_idx ON billing_ledger_entry (occurred_at);
