-- The resume of held requests after new capacity (pending.service.ts, issue 4): a chunk of up to
-- 200 waiting requests, locked by the caller's transaction, is re-studied here in one call instead
-- of one round trip per request. Same order (the ids as given: oldest first), same study
-- (inv_study_guarded: its own subtransaction, holding the request again on failure), same stop: for
-- an element signal, the first request that finds that element saturated again ends the chunk and
-- the queue behind it keeps its turn. Input per request as restudy() builds it; the zone key is the
-- one stored when the request was held (the same zoneKey() of its address; '' without an address).
-- Answers, in order, the requests re-studied: {id, requestRef, feasible, reservationId} or
-- {id, requestRef, feasible: false, elementType, elementCode} or {id, requestRef, error}.
CREATE FUNCTION inv_restudy_waiting(p_ids bigint[], p_signal jsonb, p_user bigint, p_actor text)
  RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_row record;
  v_out jsonb;
  v_done jsonb := '[]';
BEGIN
  FOR v_row IN
    SELECT w.id, w.request_ref, w.kind, w.product_code, w.address, w.shop_code, w.zone_key
    FROM unnest(p_ids) WITH ORDINALITY AS x(id, o) JOIN inv_pending w ON w.id = x.id
    ORDER BY x.o
  LOOP
    v_out := inv_study_guarded(
      jsonb_build_object('requestRef', v_row.request_ref, 'kind', v_row.kind, 'product', upper(v_row.product_code),
                         'holdIfNotFeasible', true, 'trigger', p_signal, 'brief', true)
        || CASE WHEN v_row.address IS NULL THEN '{}' ELSE jsonb_build_object('address', v_row.address) END
        || CASE WHEN coalesce(v_row.shop_code, '') = '' THEN '{}' ELSE jsonb_build_object('shop', upper(v_row.shop_code)) END,
      CASE WHEN v_row.address IS NULL THEN '' ELSE v_row.zone_key END, p_user, p_actor)::jsonb;
    IF v_out ? 'error' THEN
      v_done := v_done || jsonb_build_array(jsonb_build_object('id', v_row.id, 'requestRef', v_row.request_ref,
                                                                 'error', v_out->>'detail'));
    ELSIF (v_out->>'feasible')::boolean THEN
      v_done := v_done || jsonb_build_array(jsonb_build_object('id', v_row.id, 'requestRef', v_row.request_ref,
                  'feasible', true, 'reservationId', (v_out->'reservation'->>'id')::bigint));
    ELSE
      v_done := v_done || jsonb_build_array(jsonb_build_object('id', v_row.id, 'requestRef', v_row.request_ref,
                  'feasible', false, 'elementType', v_out->>'elementType', 'elementCode', v_out->>'elementCode'));
      EXIT WHEN p_signal->>'elementType' <> 'zone' AND v_out->>'elementType' = p_signal->>'elementType'
                AND v_out->>'elementCode' = p_signal->>'code';
    END IF;
  END LOOP;
  RETURN v_done;
END $$;
