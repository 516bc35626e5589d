-- 0221 turned wal_compression on for this database: it halves the WAL a study writes (~70 → ~32 kB
-- right after a checkpoint, EXPLAIN (ANALYZE, WAL)), but on the shared 2-core machine the studies
-- were no faster with it in interleaved A/B runs (7 slices of 10 s: −8 % studies/s, inside the
-- noise): compressing ~9 page images per study costs the CPU the machine lacks most. Without a
-- measured gain it is not ours to change server-wide behaviour: back to the server's setting, left
-- to the DBA (docs/performance.md, inventory section).
DO $$
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('ALTER DATABASE %I RESET wal_compression', current_database());
  END IF;
END $$;
