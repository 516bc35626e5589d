-- Replays: each order shows which order replayed it, a refused order is replayed once (the
-- replay, if refused too, is the one to replay next), and an element's refused orders are replayed
-- together once the element is put right. Both indexes are partial, and neither predicate names a
-- column a claim changes (`status` would make every claim a non-HOT update again: migration 0780):
-- the refused orders are found among those with an error (refused, or cancelled with a reason;
-- the queries say both), so the orders the automaton carries out without trouble (nearly all)
-- add no entry to either.
CREATE INDEX act_order_replay_of_idx ON act_order (replay_of) WHERE replay_of IS NOT NULL;
CREATE INDEX act_order_refused_idx ON act_order (element_code, id) WHERE error IS NOT NULL;
