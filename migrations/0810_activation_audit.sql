-- The network audit: the operator's records (live subscriptions and their technical files) against
-- what a network element holds, line by line. An audit is a run over one element; its items are the
-- differences found, each with the orders that realigned it when a repair was asked for.
CREATE TABLE act_audit (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  element_code  text NOT NULL REFERENCES act_element (code),
  status        text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
  repair        boolean NOT NULL DEFAULT false,
  -- lines the records put on the element, lines read from it, and what was found
  expected      integer NOT NULL DEFAULT 0,
  checked       integer NOT NULL DEFAULT 0,
  consistent    integer NOT NULL DEFAULT 0,
  differences   integer NOT NULL DEFAULT 0,
  repaired      integer NOT NULL DEFAULT 0,
  error         text,
  started_by    text NOT NULL,
  -- the operator's day of a nightly audit (GPTO_AUDIT_AT): one per element and day, whatever the
  -- number of processes
  scheduled_for date,
  started_at    timestamptz NOT NULL DEFAULT now(),
  -- written after every page: an audit whose process died stops being "running" once it is stale
  heartbeat_at  timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz
);
-- one running audit per element
CREATE UNIQUE INDEX act_audit_running_uq ON act_audit (element_code) WHERE status = 'running';
CREATE INDEX act_audit_element_idx ON act_audit (element_code, id);
CREATE UNIQUE INDEX act_audit_nightly_uq ON act_audit (element_code, scheduled_for) WHERE scheduled_for IS NOT NULL;

CREATE TABLE act_audit_item (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  audit_id      bigint NOT NULL REFERENCES act_audit (id),
  line_id       text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('missing', 'state_differs', 'number_differs', 'port_differs',
                                              'unknown_on_element', 'not_placeable')),
  subscription_code text,
  customer_id   bigint,
  -- what the records say and what the element answered (never a SIM key)
  expected      jsonb,
  actual        jsonb,
  detail        text NOT NULL,
  -- the orders that would realign it ({operation, params}[]; empty: the records cannot settle it)
  plan          jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- the orders queued to realign the line (repair), in the order they run
  order_ids     bigint[] NOT NULL DEFAULT '{}'
);
CREATE INDEX act_audit_item_idx ON act_audit_item (audit_id, kind, id);
