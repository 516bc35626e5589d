-- Activation: the network elements the automaton drives, the orders it executes on them, the
-- journal of every command and reply, and the temporary changes to revert at their expiry.

-- A network element: an HLR (osmo-hlr over CTRL) or a fixed-line switch (MML-style protocol).
CREATE TABLE act_element (
  code               text PRIMARY KEY CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,31}$'),
  kind               text NOT NULL CHECK (kind IN ('osmo_hlr', 'mml_switch')),
  name               text NOT NULL,
  host               text NOT NULL,
  port               integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
  username           text,
  password           text,
  -- commands per second the element accepts from us; 0 = as fast as it answers
  rate_per_second    integer NOT NULL DEFAULT 0 CHECK (rate_per_second >= 0),
  pool_size          integer NOT NULL DEFAULT 2 CHECK (pool_size BETWEEN 1 AND 64),
  timeout_ms         integer NOT NULL DEFAULT 5000 CHECK (timeout_ms BETWEEN 100 AND 600000),
  -- the element new orders of its kind go to when the request names none
  is_default         boolean NOT NULL DEFAULT false,
  enabled            boolean NOT NULL DEFAULT true,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX act_element_one_default ON act_element (kind) WHERE is_default;

-- One operation on one line of one element, e.g. "activate subscriber 221770000001 on HLR1".
-- Written in the transaction of the workflow step that asks for it (status pending), executed by
-- the automaton outside any transaction, completed (done / refused) in a transaction that also
-- completes the workflow's waiting task: no database transaction is held open across the network.
CREATE TABLE act_order (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  element_code   text NOT NULL REFERENCES act_element (code),
  operation      text NOT NULL,
  -- the line: directory number (fixed) or MSISDN (cellular); orders of one line run in id order
  line_id        text NOT NULL,
  params         jsonb NOT NULL DEFAULT '{}'::jsonb,
  status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'running', 'done', 'refused', 'cancelled')),
  attempts       integer NOT NULL DEFAULT 0,
  result         jsonb,
  error          text,
  error_code     text,
  -- who asked: the workflow instance and task (null for API and revert orders)
  instance_id    bigint,
  task_id        bigint,
  -- the workflow node whose waiting task this order completes
  resume_node    text,
  request_ref    text,
  customer_id    bigint,
  replay_of      bigint REFERENCES act_order (id),
  revert_of      bigint REFERENCES act_order (id),
  created_by     text NOT NULL DEFAULT 'system',
  created_at     timestamptz NOT NULL DEFAULT now(),
  available_at   timestamptz NOT NULL DEFAULT now(),
  claimed_by     text,
  lease_until    timestamptz,
  started_at     timestamptz,
  finished_at    timestamptz
);
-- the automaton's queue: pending orders, and running ones whose lease ran out (a crashed automaton)
CREATE INDEX act_order_queue_idx ON act_order (available_at, id) WHERE status IN ('pending', 'running');
-- per-line ordering: is there an older unfinished order for this line?
CREATE INDEX act_order_line_open_idx ON act_order (line_id, id) WHERE status IN ('pending', 'running');
CREATE INDEX act_order_line_idx ON act_order (line_id, id);
CREATE INDEX act_order_instance_idx ON act_order (instance_id, id) WHERE instance_id IS NOT NULL;
CREATE INDEX act_order_element_idx ON act_order (element_code, id);
-- one order per workflow task: a step re-run after a crash finds its order instead of adding one
CREATE UNIQUE INDEX act_order_one_per_task ON act_order (task_id) WHERE task_id IS NOT NULL AND replay_of IS NULL;

-- The command journal: every command sent and the reply, timed, against the order (and so the
-- request and the line) and the element. Secrets (Ki, OPc) are masked before they get here.
CREATE TABLE act_command (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id      bigint REFERENCES act_order (id),
  element_code  text NOT NULL,
  line_id       text,
  instance_id   bigint,
  task_id       bigint,
  attempt       integer NOT NULL DEFAULT 1,
  command       text NOT NULL,
  reply         text,
  outcome       text NOT NULL CHECK (outcome IN ('ok', 'refused', 'transport_error')),
  sent_at       timestamptz NOT NULL,
  duration_ms   real NOT NULL
);
CREATE INDEX act_command_order_idx ON act_command (order_id, id);
CREATE INDEX act_command_line_idx ON act_command (line_id, id);
CREATE INDEX act_command_instance_idx ON act_command (instance_id, id) WHERE instance_id IS NOT NULL;
CREATE INDEX act_command_element_idx ON act_command (element_code, id);

-- Temporary changes of access authorisations to undo at their expiry. A timer loop turns each due
-- row into a revert order; the row lives in the database, so a restart never forgets one.
CREATE TABLE act_revert (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id        bigint NOT NULL UNIQUE REFERENCES act_order (id),
  element_code    text NOT NULL,
  line_id         text NOT NULL,
  operation       text NOT NULL,
  params          jsonb NOT NULL,
  due_at          timestamptz NOT NULL,
  revert_order_id bigint REFERENCES act_order (id),
  done_at         timestamptz
);
CREATE INDEX act_revert_due_idx ON act_revert (due_at, id) WHERE revert_order_id IS NULL;
