-- The study's cost per call (issue 4), measured on the bench plant (1 M pairs, 500 k numbers).
--
-- 1. Plans. PL/pgSQL caches each statement's plan per session, but the plan cache re-plans a
--    statement with its parameters ("custom plans") for its first five runs, and again after every
--    invalidation — and the autovacuum's ANALYZE of inv_pair, inv_number or inv_reservation, which
--    a busy day of studies triggers every few minutes, invalidates them in every session. The
--    reservation document's 16-table join takes 7–10 ms to plan against 0.4 ms to run, so each
--    invalidation cost every pooled connection five such plannings (the study's p99). Every
--    statement of the study is written to be planned without its values (the picks go through
--    their partial "free" indexes whatever the statistics: see 0212), so generic plans are forced:
--    one planning per session and invalidation.
ALTER FUNCTION inv_study(jsonb, text, bigint, text) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION inv_study_guarded(jsonb, text, bigint, text) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION inv_reservation_doc(bigint) SET plan_cache_mode = force_generic_plan;

-- 2. Index entries. The partial unique indexes that keep a resource in one live reservation took
--    an entry for every reservation, NULL included (a fixed line has no SIM, a mobile one no port
--    nor pairs, a number-less relocation no number): NULLs are never equal, so those entries
--    guarded nothing and cost WAL at each study. Same uniqueness, entries only where a resource is.
CREATE UNIQUE INDEX inv_reservation_port_uq2 ON inv_reservation (port_id)
  WHERE status = 'reserved' AND port_id IS NOT NULL;
DROP INDEX inv_reservation_port_uq;
ALTER INDEX inv_reservation_port_uq2 RENAME TO inv_reservation_port_uq;
CREATE UNIQUE INDEX inv_reservation_ppair_uq2 ON inv_reservation (primary_pair_id)
  WHERE status = 'reserved' AND primary_pair_id IS NOT NULL;
DROP INDEX inv_reservation_ppair_uq;
ALTER INDEX inv_reservation_ppair_uq2 RENAME TO inv_reservation_ppair_uq;
CREATE UNIQUE INDEX inv_reservation_dpair_uq2 ON inv_reservation (distribution_pair_id)
  WHERE status = 'reserved' AND distribution_pair_id IS NOT NULL;
DROP INDEX inv_reservation_dpair_uq;
ALTER INDEX inv_reservation_dpair_uq2 RENAME TO inv_reservation_dpair_uq;
CREATE UNIQUE INDEX inv_reservation_sim_uq2 ON inv_reservation (sim_id)
  WHERE status = 'reserved' AND sim_id IS NOT NULL;
DROP INDEX inv_reservation_sim_uq;
ALTER INDEX inv_reservation_sim_uq2 RENAME TO inv_reservation_sim_uq;
CREATE UNIQUE INDEX inv_reservation_number_uq2 ON inv_reservation (directory_number)
  WHERE status = 'reserved' AND directory_number IS NOT NULL;
DROP INDEX inv_reservation_number_uq;
ALTER INDEX inv_reservation_number_uq2 RENAME TO inv_reservation_number_uq;

-- 3. WAL. The 8-caller bench waits mostly on WAL flushes (pg_stat_activity: LWLock WALWrite and
--    IO WALSync far ahead of everything else). Measured with EXPLAIN (ANALYZE, WAL) right after a
--    checkpoint, a study writes ~52 WAL records, ~9 of them full-page images of the pages it is the
--    first to touch (random pairs, ports and numbers and their index leaves: the picks are spread
--    over the whole plant), ~70 kB in all; compressing the page images (pglz, the only method this
--    build has) halves that (~32 kB). wal_compression is a superuser setting: set for this database
--    when the migrating role may (the embedded server's), else left to the DBA (docs/performance.md).
DO $$
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('ALTER DATABASE %I SET wal_compression = on', current_database());
  ELSE
    RAISE NOTICE 'wal_compression not set: the migrating role is not a superuser';
  END IF;
END $$;
