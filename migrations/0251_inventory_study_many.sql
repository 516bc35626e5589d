-- Studies that arrive together share a transaction (issue 4, study throughput; docs/performance.md,
-- session 7). The service's stand-alone study (`inv.service.study`, the API's POST of a study) queues
-- while its lanes are busy and a free lane takes what has queued as one call of this function: one
-- round trip, one transaction, one commit for the lot instead of one each, and fewer backends
-- fighting over the same free lists (8 callers on 2 lanes instead of 8 backends on two cores).
-- Each study is inv_study itself, in order: a study sees what the ones before it in the batch have
-- reserved (their free-list rows are gone, their resources reserved), so two studies of a batch never
-- take the same pair, port or number, exactly as two studies in a row would not. An error in one
-- study (not an answer: inv_study answers not-feasible, a missing shop or an unavailable number as
-- values) rolls the whole batch back; the service then runs each of its studies on its own.
CREATE FUNCTION inv_study_many(p_docs jsonb[], p_zones text[], p_users bigint[], p_actors text[])
  RETURNS json[] LANGUAGE plpgsql AS $$
DECLARE
  v_out json[] := '{}';
  i int;
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_docs, 1), 0) LOOP
    v_out := v_out || inv_study(p_docs[i], p_zones[i], p_users[i], p_actors[i]);
  END LOOP;
  RETURN v_out;
END $$;
