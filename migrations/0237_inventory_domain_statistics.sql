-- 0236's rewrite by ALTER COLUMN TYPE dropped the altered columns' statistics (status and number of
-- inv_number, kind and number of inv_pair, …). Without them the planner took the number pick's status
-- filter for 26 rows out of 500 k and chose a sequential scan of inv_number under the study's generic
-- plan: the first bench run after 0236 took minutes per study until autovacuum would have analysed.
ANALYZE inv_port, inv_pair, inv_number, inv_reservation;
