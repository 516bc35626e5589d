-- Workflow engine: operator-defined scenarios (versioned JSON), their running instances, the tasks
-- that sit in the actors' baskets, timers, and the compensations to run on cancel or reject.

-- A scenario version is immutable once stored: a new version never alters instances already
-- running on an older one (they keep their scenario_id).
CREATE TABLE wf_scenario (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code        text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{1,60}$'),
  version     integer NOT NULL CHECK (version >= 1),
  name        text NOT NULL,
  definition  jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  bigint,
  UNIQUE (code, version)
);
CREATE FUNCTION wf_scenario_is_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a scenario version is immutable: store a new version';
END $$;
CREATE TRIGGER wf_scenario_immutable BEFORE UPDATE ON wf_scenario
  FOR EACH ROW EXECUTE FUNCTION wf_scenario_is_immutable();

CREATE TABLE wf_instance (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  scenario_id       bigint NOT NULL REFERENCES wf_scenario (id),
  scenario_code     text NOT NULL,
  scenario_version  integer NOT NULL,
  -- what the instance works for, e.g. ('service_request', '42')
  subject_type      text NOT NULL,
  subject_id        text NOT NULL,
  customer_id       bigint,
  line_id           text,
  status            text NOT NULL DEFAULT 'running'
                      CHECK (status IN ('running', 'completed', 'rejected', 'cancelled')),
  data              jsonb NOT NULL DEFAULT '{}'::jsonb,
  reason            text,
  created_at        timestamptz NOT NULL,
  ended_at          timestamptz,
  UNIQUE (subject_type, subject_id)
);
CREATE INDEX wf_instance_customer_idx ON wf_instance (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX wf_instance_running_idx ON wf_instance (scenario_code) WHERE status = 'running';

-- One row per visit of a scenario node: human and automatic tasks, joins waiting for their
-- branches, holds waiting for an event, timers waiting for their time.
CREATE TABLE wf_task (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  instance_id     bigint NOT NULL REFERENCES wf_instance (id),
  node            text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('human', 'automatic', 'join', 'hold', 'timer')),
  actor           text,
  status          text NOT NULL CHECK (status IN ('ready', 'claimed', 'waiting', 'held', 'done', 'cancelled')),
  assignee_id     bigint REFERENCES app_user (id),
  priority        integer NOT NULL DEFAULT 0,
  due_at          timestamptz,
  available_at    timestamptz NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  max_attempts    integer NOT NULL DEFAULT 3,
  last_error      text,
  outcome         text,
  input           jsonb NOT NULL DEFAULT '{}'::jsonb,
  result          jsonb,
  -- why this task exists and why it went to this actor and agent: the transition taken, the
  -- conditions evaluated, the actor rule and the assignment rule that matched
  explanation     jsonb NOT NULL DEFAULT '{}'::jsonb,
  hold_cause      text,
  resume_event    text,
  resume_match    jsonb,
  arrived         text[] NOT NULL DEFAULT '{}',
  escalated_from  text,
  fell_out        boolean NOT NULL DEFAULT false,
  from_task_id    bigint,
  customer_id     bigint,
  line_id         text,
  created_at      timestamptz NOT NULL,
  claimed_at      timestamptz,
  completed_at    timestamptz,
  completed_by    bigint
);
CREATE INDEX wf_task_instance_idx ON wf_task (instance_id, id);
-- the automatic workers' queue: SKIP LOCKED claims scan this partial index only
CREATE INDEX wf_task_auto_queue_idx ON wf_task (available_at, id)
  WHERE status = 'ready' AND kind = 'automatic';
-- the human baskets: by actor, then priority and deadline
CREATE INDEX wf_task_basket_idx ON wf_task (actor, priority DESC, due_at, id)
  WHERE status IN ('ready', 'claimed') AND kind = 'human';
CREATE INDEX wf_task_assignee_idx ON wf_task (assignee_id) WHERE status IN ('ready', 'claimed');
CREATE INDEX wf_task_holds_idx ON wf_task (resume_event, id) WHERE status = 'held';
CREATE UNIQUE INDEX wf_task_one_waiting_join ON wf_task (instance_id, node) WHERE kind = 'join' AND status = 'waiting';

CREATE TABLE wf_timer (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  instance_id  bigint NOT NULL REFERENCES wf_instance (id),
  task_id      bigint REFERENCES wf_task (id),
  kind         text NOT NULL CHECK (kind IN ('sla', 'deadline', 'wait')),
  fire_at      timestamptz NOT NULL,
  action       text NOT NULL CHECK (action IN ('escalate', 'cancel', 'reject', 'complete')),
  payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
  fired_at     timestamptz,
  cancelled_at timestamptz
);
CREATE INDEX wf_timer_due_idx ON wf_timer (fire_at, id) WHERE fired_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX wf_timer_task_idx ON wf_timer (task_id) WHERE fired_at IS NULL AND cancelled_at IS NULL;

-- What a step reserved or recorded and how to undo it; run newest first on cancel or reject.
CREATE TABLE wf_compensation (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  instance_id  bigint NOT NULL REFERENCES wf_instance (id),
  task_id      bigint REFERENCES wf_task (id),
  action       text NOT NULL,
  payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL,
  done_at      timestamptz
);
CREATE INDEX wf_compensation_instance_idx ON wf_compensation (instance_id, id) WHERE done_at IS NULL;
