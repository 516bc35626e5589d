-- Ending an instance cancels its pending timers in one set-based statement over every instance the
-- batch ended: find them by instance without scanning every pending timer.
CREATE INDEX wf_timer_instance_idx ON wf_timer (instance_id) WHERE fired_at IS NULL AND cancelled_at IS NULL;
