-- The newest order that replayed each listed order (the orders' list and export: max(id) WHERE
-- replay_of = o.id) comes from this index whatever the statistics say. On (replay_of) alone the
-- planner could prefer walking the primary key backwards with a filter — the whole table for every
-- order never replayed, found when 100,000 orders loaded at once were exported before an ANALYZE.
-- Still partial: the hot path (orders that are not replays) writes no entry in it.
DROP INDEX act_order_replay_of_idx;
CREATE INDEX act_order_replay_of_idx ON act_order (replay_of, id) WHERE replay_of IS NOT NULL;
