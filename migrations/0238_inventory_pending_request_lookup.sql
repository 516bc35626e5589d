-- Every fixed-wired study marks its held request resumed in its write statement (0233):
-- `UPDATE inv_pending … WHERE request_ref = $1 AND status = 'waiting'`, almost always matching
-- nothing. Under the study's generic plan PostgreSQL chose the (cause, id) partial index for it — a
-- partial index on the same predicate qualifies as a full scan, and with few waiting rows it costs
-- the same as the request index — so each study read the whole index of waiting requests, including
-- the dead entries a resume of 10 k leaves until vacuum (27 buffer reads on the bench plant, ≈ 12 %
-- of a study's instructions, callgrind). Session 4 saw the hazard and left it. The cause, zone and
-- element indexes now also require their leading column to be non-null (the columns are NOT NULL, so
-- they index the same rows): the queries that filter on those columns still imply the predicate and
-- use them, the request lookup no longer can, and takes the request index.
DROP INDEX inv_pending_cause_idx;
DROP INDEX inv_pending_zone_idx;
DROP INDEX inv_pending_element_idx;
CREATE INDEX inv_pending_cause_idx ON inv_pending (cause, id) WHERE status = 'waiting' AND cause IS NOT NULL;
CREATE INDEX inv_pending_zone_idx ON inv_pending (zone_key, id) WHERE status = 'waiting' AND zone_key IS NOT NULL;
CREATE INDEX inv_pending_element_idx ON inv_pending (element_type, element_code, id)
  WHERE status = 'waiting' AND element_type IS NOT NULL;
