-- The study's document without its joins (issue 4, study throughput; docs/performance.md, session 6 B3).
-- The fast study's last statement built the reservation document by joining seven tables to the
-- ids it had picked (switch, its site, the horizontal position and its MDF, the vertical position,
-- the distribution cable, the cabinet): sixteen plan nodes initialised per study, ≈ 7 % of its
-- server instructions (callgrind, copies of the bench plant). Now:
-- - the port pick also reads its switch (code, site) and its horizontal position (position, MDF),
--   the primary-pair pick its vertical position: rows those picks reach anyway, by primary key;
-- - the site, the MDF, the cabinet and the distribution cable are given by id (`site_id`, `mdf_id`,
--   `sdf_id`, `dp_cable_id`) and the service fills in their codes (study.service.ts, PlantCodes): a
--   code never changes once given — the plant writers upsert by code, ids come from sequences — so
--   each service keeps what it has read, and an id it has not seen costs one query.
-- The document the service returns is the same, key for key, as the chain view's (tested). Callers
-- of inv_study in SQL (inv_restudy_waiting) ask for the brief document, which is unchanged.

-- The automatic study, fast path (0239), its document by id.
CREATE OR REPLACE FUNCTION inv_study(p jsonb, p_zone text, p_user bigint, p_actor text)
  RETURNS json LANGUAGE plpgsql AS $$
DECLARE
  v_ref text := p->>'requestRef';
  v_kind text := p->>'kind';
  v_product text := p->>'product';
  v_with_number boolean := coalesce((p->>'withNumber')::boolean, true);
  v_addr jsonb := p->'address';
  v_brief boolean := coalesce((p->>'brief')::boolean, false);
  v_trigger jsonb := p->'trigger';
  v_id bigint;
  v_code text;
  v_cps bigint[];
  v_cp_codes text[];
  v_specs int[];
  i int;
  v_cp_id bigint;
  v_cp_code text;
  v_dp_id bigint;
  v_dp_number int;
  v_dp_cable bigint;
  v_sdf bigint;
  v_pp_id bigint;
  v_pp_number int;
  v_pp_cable text;
  v_vpos bigint;
  v_port bigint;
  v_eqn text;
  v_switch bigint;
  v_hpos bigint;
  v_site bigint;
  v_pool bigint;
  v_number text;
  v_from text;
  v_doc json;
  v_held boolean;
  v_sw_code text;
  v_sw_site bigint;
  v_hpos_pos text;
  v_hpos_mdf bigint;
  v_vpos_pos text;
BEGIN
  IF v_kind <> 'fixed_wired' OR p->>'preferredNumber' IS NOT NULL OR NOT v_with_number THEN
    RETURN inv_study_stepwise(p, p_zone, p_user, p_actor)::json;
  END IF;
  -- One statement: the live reservation (then the step-by-step path answers it), whether the request
  -- is held, and the serving concentration points, most specific areas first.
  SELECT (SELECT r.id FROM inv_reservation r WHERE r.request_ref = v_ref AND r.status = 'reserved'),
         EXISTS (SELECT FROM inv_pending q WHERE q.request_ref = v_ref AND q.status = 'waiting'),
         array_agg(a.cp_id ORDER BY a.spec DESC, cp.code), array_agg(cp.code ORDER BY a.spec DESC, cp.code),
         array_agg(a.spec ORDER BY a.spec DESC, cp.code)
  INTO v_id, v_held, v_cps, v_cp_codes, v_specs
  FROM (SELECT a.cp_id, (a.district_norm <> '')::int + 2 * (a.street_norm <> '')::int AS spec
        FROM inv_serving_area a
        WHERE a.locality_norm = (SELECT coalesce(btrim(regexp_replace(regexp_replace(lower(unaccent('unaccent'::regdictionary, v_addr->>'locality')), '[''’`]', '', 'g'), '[^a-z0-9@.]+', ' ', 'g')), ''))
          AND a.district_norm IN ('', (SELECT coalesce(btrim(regexp_replace(regexp_replace(lower(unaccent('unaccent'::regdictionary, v_addr->>'district')), '[''’`]', '', 'g'), '[^a-z0-9@.]+', ' ', 'g')), '')))
          AND a.street_norm IN ('', (SELECT coalesce(btrim(regexp_replace(regexp_replace(lower(unaccent('unaccent'::regdictionary, v_addr->>'street')), '[''’`]', '', 'g'), '[^a-z0-9@.]+', ' ', 'g')), '')))
          AND a.cp_id IS NOT NULL) a
  JOIN inv_cp cp ON cp.id = a.cp_id;
  IF v_id IS NOT NULL THEN
    RETURN inv_study_stepwise(p, p_zone, p_user, p_actor)::json;
  END IF;

  FOR i IN 1 .. coalesce(array_length(v_cps, 1), 0) LOOP
    EXIT WHEN v_specs[i] < v_specs[1];
    SELECT d.id, d.sdf_id, d.number, d.cable_id INTO v_dp_id, v_sdf, v_dp_number, v_dp_cable
    FROM inv_pair_free f JOIN inv_pair d ON d.id = f.pair_id
    WHERE f.cp_id BETWEEN v_cps[i] AND v_cps[i] AND d.status = 'free'
    ORDER BY f.cp_id, f.pair_id LIMIT 1 FOR UPDATE OF d SKIP LOCKED;
    CONTINUE WHEN NOT FOUND;
    SELECT pp.id, m.site_id, pp.number, c.code, pp.mdf_position_id, vp.position
    INTO v_pp_id, v_site, v_pp_number, v_pp_cable, v_vpos, v_vpos_pos
    FROM inv_pair_free f JOIN inv_pair pp ON pp.id = f.pair_id LEFT JOIN inv_mdf_position vp ON vp.id = pp.mdf_position_id
    JOIN inv_cable c ON c.id = pp.cable_id JOIN inv_mdf m ON m.id = c.mdf_id
    WHERE f.sdf_id BETWEEN v_sdf AND v_sdf AND f.cp_id IS NULL AND pp.status = 'free'
    ORDER BY f.sdf_id, f.pair_id LIMIT 1 FOR UPDATE OF pp SKIP LOCKED;
    CONTINUE WHEN NOT FOUND;
    SELECT pt.id, pt.equipment_number, pt.switch_id, pt.mdf_position_id, sw.code, sw.site_id, hp.position, hp.mdf_id
    INTO v_port, v_eqn, v_switch, v_hpos, v_sw_code, v_sw_site, v_hpos_pos, v_hpos_mdf
    FROM inv_port_free f JOIN inv_port pt ON pt.id = f.port_id JOIN inv_switch sw ON sw.id = pt.switch_id
    LEFT JOIN inv_mdf_position hp ON hp.id = pt.mdf_position_id
    WHERE f.site_id BETWEEN v_site AND v_site AND pt.status = 'free'
    ORDER BY f.site_id, f.port_id LIMIT 1 FOR UPDATE OF pt SKIP LOCKED;
    CONTINUE WHEN NOT FOUND;
    v_cp_id := v_cps[i];
    v_cp_code := v_cp_codes[i];
    EXIT;
  END LOOP;
  IF v_cp_id IS NULL THEN
    RETURN inv_study_stepwise(p, p_zone, p_user, p_actor)::json;
  END IF;

  -- The number: the first pool (the site's, then the product's general ones) with a free number.
  SELECT x.number, x.status, pl.id INTO v_number, v_from, v_pool
  FROM (SELECT p.id FROM inv_number_pool p
        WHERE p.product_code = v_product AND (p.site_id IS NULL OR p.site_id = v_site)
        ORDER BY (p.site_id IS NULL), p.id) pl
  CROSS JOIN LATERAL (
    SELECT n.number, n.status FROM inv_number_free f JOIN inv_number n ON n.number = f.number
    WHERE f.pool_id BETWEEN pl.id AND pl.id AND n.status IN ('free', 'quarantine') AND NOT n.golden
      AND (n.status = 'free' OR n.quarantine_until <= now())
    ORDER BY f.pool_id, f.number LIMIT 1 FOR UPDATE OF n SKIP LOCKED) x
  LIMIT 1;
  IF v_number IS NULL THEN
    RETURN inv_study_stepwise(p, p_zone, p_user, p_actor)::json;
  END IF;

  v_id := nextval('inv_reservation_id_seq');
  v_code := 'R' || lpad(nextval('inv_reservation_code_seq')::text, 9, '0');
  WITH d1 AS (
    DELETE FROM inv_pair_free WHERE cp_id = v_cp_id AND pair_id = v_dp_id
  ), d2 AS (
    DELETE FROM inv_pair_free WHERE cp_id IS NULL AND sdf_id = v_sdf AND pair_id = v_pp_id
  ), d3 AS (
    DELETE FROM inv_port_free WHERE site_id = v_site AND port_id = v_port
  ), d4 AS (
    DELETE FROM inv_number_free WHERE pool_id = v_pool AND number = v_number
  ), r AS (
    INSERT INTO inv_reservation (id, code, request_ref, kind, product_code, address, port_id, primary_pair_id,
                                 distribution_pair_id, cp_id, directory_number, user_id, number_from)
    OVERRIDING SYSTEM VALUE
    VALUES (v_id, v_code, v_ref, v_kind, v_product, v_addr, v_port, v_pp_id, v_dp_id, v_cp_id, v_number, p_user, v_from)
  ), u1 AS (
    UPDATE inv_pair SET status = 'reserved', history_held_by = v_id, updated_at = now() WHERE id IN (v_pp_id, v_dp_id)
  ), u2 AS (
    UPDATE inv_port SET status = 'reserved', history_held_by = v_id, updated_at = now() WHERE id = v_port
  ), u3 AS (
    UPDATE inv_number SET status = 'reserved', quarantine_until = NULL, history_held_by = v_id, updated_at = now() WHERE number = v_number
  ), ev AS (
    INSERT INTO event (entity_type, entity_id, kind, line_id, actor, user_id, payload)
    VALUES ('reservation', v_code, 'reservation.created', v_number, p_actor, p_user,
            jsonb_build_object('requestRef', v_ref, 'kind', v_kind))
  )
  -- The document without a join: the picks brought the switch and the MDF positions; the site, MDF,
  -- cabinet and distribution cable go by id and the service fills in their codes (study.service.ts,
  -- PlantCodes: a code never changes once given).
  SELECT CASE WHEN v_brief THEN json_build_object('id', v_id) ELSE json_build_object(
           'id', v_id, 'code', v_code, 'request_ref', v_ref, 'kind', v_kind, 'status', 'reserved',
           'product_code', v_product, 'directory_number', v_number, 'created_at', now(), 'closed_at', NULL,
           'port_id', v_port, 'equipment_number', v_eqn, 'switch_code', v_sw_code, 'site_id', v_sw_site,
           'mdf_id', v_hpos_mdf, 'h_pos', v_hpos_pos, 'v_pos', v_vpos_pos,
           'pp_id', v_pp_id, 'pp_cable', v_pp_cable, 'pp_number', v_pp_number, 'sdf_id', v_sdf,
           'dp_id', v_dp_id, 'dp_cable_id', v_dp_cable, 'dp_number', v_dp_number, 'cp_code', v_cp_code,
           'bs_code', NULL, 'iccid', NULL, 'imsi', NULL) END
  INTO v_doc;
  IF v_held THEN
    WITH pend AS (
      UPDATE inv_pending SET status = 'resumed', reservation_id = v_id, closed_at = now(), updated_at = now()
      WHERE request_ref = v_ref AND status = 'waiting'
      RETURNING 1
    )
    INSERT INTO event (entity_type, entity_id, kind, line_id, actor, user_id, payload)
    SELECT 'pending_request', v_ref, 'pending.resumed', NULL, p_actor, p_user,
           jsonb_build_object('requestRef', v_ref, 'reservationId', v_id, 'trigger', v_trigger)
    FROM pend WHERE v_trigger IS NOT NULL;
  END IF;
  RETURN json_build_object('feasible', true, 'reused', false, 'reservation', v_doc);
END $$;
ALTER FUNCTION inv_study(jsonb, text, bigint, text) SET plan_cache_mode = force_generic_plan;
