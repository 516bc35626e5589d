-- Capacity freed inside a caller's transaction (a workflow step's compensation releasing a
-- reservation, a termination ceasing a line) may only re-study held requests once that transaction
-- has committed: before, the freed pairs, ports and numbers are still locked and invisible to others.
-- The signals are written here in the same transaction (so they exist exactly when the change does)
-- and taken out by the inventory's relay after the commit (capacity-outbox.ts). A row left behind
-- by a process that died between the two is taken by the next relay of any process.
CREATE TABLE inv_capacity_signal (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  signals jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
