-- The TMF hub after a logical restore (pg_dump → pg_restore, the backup of docs/operations.md) into
-- a younger cluster: its transaction ids start again below the stored snapshot's, and the restored
-- journal rows keep the old cluster's txids. The dispatcher notices (the stored snapshot is ahead
-- of the current one), sends once what the old cluster had not sent yet, and from then on ignores
-- the restored rows by id (`floor_id`), whatever their old txids.
ALTER TABLE tmf_hub_state
  -- the highest journal id visible at the last window: what had been read before a dump
  ADD COLUMN max_id bigint NOT NULL DEFAULT 0,
  -- after a restore: rows up to this id are the restored ones (0: never restored)…
  ADD COLUMN floor_id bigint NOT NULL DEFAULT 0,
  -- …except those of transactions running at the restore's first window (this snapshot)
  ADD COLUMN reset_snapshot pg_snapshot;
UPDATE tmf_hub_state SET max_id = coalesce((SELECT max(id) FROM event), 0);
