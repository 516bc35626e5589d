-- An activation order's claim (pending → running) and its lease renewals now change no indexed
-- column, so PostgreSQL updates the row in place (a HOT update) instead of adding an entry to each
-- of its six indexes; only the outcome (done, refused, cancelled) moves it out of the queue index.
--
-- The queue index was partial on `status IN ('pending', 'running')`: a column of an index's
-- predicate counts as indexed, so every claim rewrote all six indexes (WAL of 10 k mobile
-- activations, 2026-11-27: 68 index entries and 13 kB of WAL per activation). It is now partial on
-- `finished_at IS NULL`, which every ending sets (the outcome statement, the withdrawals) and the
-- CHECK below keeps equivalent to the open states. Pages keep room for the claim's new version
-- (fillfactor), without which an update in place cannot happen.
UPDATE act_order SET finished_at = coalesce(started_at, created_at)
 WHERE finished_at IS NULL AND status NOT IN ('pending', 'running');
UPDATE act_order SET finished_at = NULL
 WHERE finished_at IS NOT NULL AND status IN ('pending', 'running');
ALTER TABLE act_order ADD CONSTRAINT act_order_finished_iff_ended
  CHECK ((finished_at IS NULL) = (status IN ('pending', 'running')));
DROP INDEX act_order_queue_idx;
CREATE INDEX act_order_queue_idx ON act_order (available_at, id) WHERE finished_at IS NULL;
ALTER TABLE act_order SET (fillfactor = 70);

-- The command journal is written only by the automaton, for orders it holds, with the outcome
-- that ends them; orders are never deleted. Its foreign key checked and share-locked the order
-- row once per command (three per mobile activation, each a WAL record, often a multixact), in
-- the transaction that then updates that row: dropped.
ALTER TABLE act_command DROP CONSTRAINT act_command_order_id_fkey;
-- A request's journal is its orders' commands (act_order_instance_idx, then act_command_order_idx):
-- every command with an instance has its order.
DROP INDEX act_command_instance_idx;
