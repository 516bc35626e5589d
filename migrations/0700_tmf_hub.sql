-- TMF event hub (src/modules/tmf/hub.ts): /hub subscriptions and their listener notifications,
-- delivered from the event journal.
--
-- The journal's ids are allocated at insert, not at commit, so a reader going by `id > last` would
-- skip a row whose transaction commits late. Each row therefore records the id of the transaction
-- that wrote it (`txid`, 64 bits: never wraps) and the hub reads the journal by snapshots: a window
-- is "what a new snapshot sees that the previous one did not" (pg_visible_in_snapshot), so a
-- transaction still running when a window is taken falls into a later window, never into a gap.
-- Two statements so that a big journal is not rewritten: existing rows keep NULL (they predate
-- every subscription and are never read by the hub).
ALTER TABLE event ADD COLUMN txid xid8;
ALTER TABLE event ALTER COLUMN txid SET DEFAULT pg_current_xact_id();
-- Each window reads the rows of transactions not finished at the previous snapshot: those with a
-- txid from that snapshot's xmin on.
CREATE INDEX event_txid_idx ON event (txid) WHERE txid IS NOT NULL;

-- The hub's reading position in the journal: the snapshot of the last window and its number.
-- One row; the dispatcher locks it while it cuts a window.
CREATE TABLE tmf_hub_state (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  snapshot   pg_snapshot NOT NULL,
  win        bigint NOT NULL
);
INSERT INTO tmf_hub_state (snapshot, win) VALUES (pg_current_snapshot(), 0);

-- The journal rows that some TMF resource publishes, window by window and in id order within a
-- window: the order every subscription reads them in (its cursor is a (win, event_id) pair). Rows
-- below every subscription's cursor are pruned.
CREATE TABLE tmf_hub_feed (
  win          bigint NOT NULL,
  event_id     bigint NOT NULL,
  entity_type  text NOT NULL,
  PRIMARY KEY (win, event_id)
);

-- A TMF /hub registration: notifications of one API's resources POSTed to `callback`/listener/…,
-- with the rights of the user who registered it (checked at delivery), from its cursor on.
CREATE TABLE tmf_hub_subscription (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  api              text NOT NULL,
  callback         text NOT NULL CHECK (callback ~ '^https?://'),
  query            text,
  -- the public base URL the subscriber used: hrefs in its notifications are built on it
  base_url         text NOT NULL,
  user_id          bigint NOT NULL REFERENCES app_user (id),
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deleted')),
  cursor_win       bigint NOT NULL,
  cursor_event     bigint NOT NULL,
  failures         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_error       text,
  delivered        bigint NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  deleted_at       timestamptz
);
CREATE INDEX tmf_hub_subscription_due_idx ON tmf_hub_subscription (next_attempt_at) WHERE status = 'active';
