-- The orders that were still to run on a line when the audit found it differing (a request's
-- suspension queued a moment before, say): the difference may settle by itself, and the screen
-- says so. Empty for most items.
ALTER TABLE act_audit_item ADD COLUMN orders_in_flight bigint[] NOT NULL DEFAULT '{}';
