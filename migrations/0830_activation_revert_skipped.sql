-- A temporary change can now end without a revert order: superseded by a later change on the same
-- line, its line terminated since, or a fixed line's temporary authorisation ended by a limitation
-- for unpaid bills (done_at set, revert_order_id null). The due index leaves those out, so the
-- revert loop never looks at them again.
DROP INDEX act_revert_due_idx;
CREATE INDEX act_revert_due_idx ON act_revert (due_at, id) WHERE revert_order_id IS NULL AND done_at IS NULL;
