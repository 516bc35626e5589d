-- 0750 added wf_instance_subject_idx on (subject_type, subject_id), which the UNIQUE constraint of
-- 0100 already indexes: every instance insert, and every update that is not HOT (each instance's
-- end, its status leaving 'running'), wrote both. The constraint's index serves the facade's joins
-- and 0750's trigger look-up alike.
DROP INDEX IF EXISTS wf_instance_subject_idx;
