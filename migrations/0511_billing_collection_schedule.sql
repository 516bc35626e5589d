-- The daily collection run scheduled inside `gpto start`: one row per operator day. Whoever
-- inserts the day's row (or takes over a row whose runner stopped beating) runs it; every other
-- process, and a restart later that day, sees the row and does nothing.
CREATE TABLE billing_collection_day (
  run_date      date PRIMARY KEY,
  status        text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  runner        text NOT NULL,
  attempts      integer NOT NULL DEFAULT 1,
  started_at    timestamptz NOT NULL,
  heartbeat_at  timestamptz NOT NULL,
  finished_at   timestamptz,
  report        jsonb,
  error         text
);
