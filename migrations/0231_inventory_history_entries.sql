-- A study writes four history rows (two pairs, a port, a number), and each took two index entries:
-- the (resource, id) index every reader uses, and the primary key on the identity `id`, which no
-- query, constraint or foreign key reads (the history is append-only and read per resource, in id
-- order, through inv_resource_history_idx). Measured on the bench plant (pg_waldump over 11.5 k
-- studies): ~19 btree leaf inserts per study, four of them this key. `id` stays an identity column
-- (unique by construction, still the order of the rows); only its index goes.
ALTER TABLE inv_resource_history DROP CONSTRAINT inv_resource_history_pkey;
