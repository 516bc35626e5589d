-- The automatic study and its reservation as server-side functions (issue 4, performance).
--
-- Why in PL/pgSQL: a study is a chain of dependent picks (distribution pair → the primary pairs of
-- its cabinet → the line ports of the exchange those pairs reach → a number of that exchange), each
-- taken with FOR UPDATE SKIP LOCKED, then a handful of writes. Driven from Node it cost ~15 round
-- trips per study; here it is one statement, one round trip, one commit, with the same guarantees:
-- every pick re-checks `status = 'free'` once locked, locked rows are skipped, and the partial
-- unique indexes on live reservations (0201) stay the last guard. The TypeScript callers
-- (study.service.ts) keep the domain errors and the shapes; the rules are here, commented.

-- The concentration points and base stations serving an address: the most specific serving areas
-- win (street beats district beats the whole locality), separately for wire and radio.
CREATE FUNCTION inv_serving(p_locality text, p_district text, p_street text)
  RETURNS TABLE (cp_id bigint, base_station_id bigint, code text, sdf_id bigint)
  LANGUAGE sql STABLE AS $$
  WITH m AS (
    SELECT a.cp_id, a.base_station_id, (a.district_norm <> '')::int + 2 * (a.street_norm <> '')::int AS spec
    FROM inv_serving_area a
    WHERE a.locality_norm = coalesce(gpto_norm(p_locality), '')
      AND a.district_norm IN ('', coalesce(gpto_norm(p_district), ''))
      AND a.street_norm IN ('', coalesce(gpto_norm(p_street), ''))
  ), best AS (
    SELECT m.*, max(m.spec) OVER (PARTITION BY m.cp_id IS NULL) AS best FROM m
  )
  SELECT best.cp_id, best.base_station_id, coalesce(cp.code, bs.code), cp.sdf_id
  FROM best LEFT JOIN inv_cp cp ON cp.id = best.cp_id LEFT JOIN inv_base_station bs ON bs.id = best.base_station_id
  WHERE best.spec = best.best
  ORDER BY 3
$$;

-- The names technicians use for a chain of ids: read by the reservation and technical-file views.
CREATE FUNCTION inv_chain(p_port bigint, p_pp bigint, p_dp bigint, p_cp bigint, p_bs bigint, p_sim bigint)
  RETURNS TABLE (port_id bigint, equipment_number text, switch_code text, site_code text, mdf_code text,
                 h_pos text, v_pos text, pp_id bigint, pp_cable text, pp_number integer, sdf_code text,
                 dp_id bigint, dp_cable text, dp_number integer, cp_code text, bs_code text,
                 iccid text, imsi text)
  LANGUAGE sql STABLE AS $$
  SELECT port.id, port.equipment_number, sw.code, coalesce(site.code, bsite.code), mdf.code,
         hpos.position, vpos.position, pp.id, ppc.code, pp.number, sdf.code,
         dp.id, dpc.code, dp.number, cp.code, bs.code, sim.iccid, sim.imsi
  FROM (SELECT) x
  LEFT JOIN inv_port port ON port.id = p_port
  LEFT JOIN inv_switch sw ON sw.id = port.switch_id
  LEFT JOIN inv_site site ON site.id = sw.site_id
  LEFT JOIN inv_mdf_position hpos ON hpos.id = port.mdf_position_id
  LEFT JOIN inv_mdf mdf ON mdf.id = hpos.mdf_id
  LEFT JOIN inv_pair pp ON pp.id = p_pp
  LEFT JOIN inv_cable ppc ON ppc.id = pp.cable_id
  LEFT JOIN inv_mdf_position vpos ON vpos.id = pp.mdf_position_id
  LEFT JOIN inv_pair dp ON dp.id = p_dp
  LEFT JOIN inv_cable dpc ON dpc.id = dp.cable_id
  LEFT JOIN inv_cp cp ON cp.id = p_cp
  LEFT JOIN inv_sdf sdf ON sdf.id = coalesce(dp.sdf_id, cp.sdf_id)
  LEFT JOIN inv_base_station bs ON bs.id = p_bs
  LEFT JOIN inv_site bsite ON bsite.id = bs.site_id
  LEFT JOIN inv_sim sim ON sim.id = p_sim
$$;

-- A reservation as the API shows it (one JSON document: the study returns it without a read-back).
CREATE FUNCTION inv_reservation_doc(p_id bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT to_jsonb(r) FROM (
    SELECT x.id, x.code, x.request_ref, x.kind, x.status, x.product_code, x.directory_number,
           x.created_at, x.closed_at, c.*
    FROM inv_reservation x
    CROSS JOIN LATERAL inv_chain(x.port_id, x.primary_pair_id, x.distribution_pair_id, x.cp_id,
                                 x.base_station_id, x.sim_id) c
    WHERE x.id = p_id) r
$$;

-- A number for a product: the preferred one when the customer chose it (golden numbers are only
-- handed out this way), else the lowest ordinary free number of the product's pools, the exchange
-- site's own pools first. Quarantined numbers whose time is up count as free.
-- o_failure: 'unavailable' (the chosen number), 'no_pool', 'exhausted'.
CREATE FUNCTION inv_pick_number(p_product text, p_site bigint, p_preferred text,
                                OUT o_number text, OUT o_from text, OUT o_failure text)
  LANGUAGE plpgsql AS $$
DECLARE
  v_pool bigint;
  v_any boolean := false;
BEGIN
  IF p_preferred IS NOT NULL THEN
    SELECT n.number, n.status INTO o_number, o_from
    FROM inv_number n JOIN inv_number_pool p ON p.id = n.pool_id
    WHERE n.number = p_preferred AND p.product_code = p_product
      AND (p.site_id IS NULL OR p_site IS NULL OR p.site_id = p_site)
      AND (n.status = 'free' OR (n.status = 'quarantine' AND n.quarantine_until <= now()))
    FOR UPDATE OF n SKIP LOCKED;
    IF NOT FOUND THEN o_failure := 'unavailable'; END IF;
    RETURN;
  END IF;
  FOR v_pool IN
    SELECT p.id FROM inv_number_pool p
    WHERE p.product_code = p_product AND (p.site_id IS NULL OR p_site IS NULL OR p.site_id = p_site)
    ORDER BY (p.site_id IS NULL), p.id
  LOOP
    v_any := true;
    SELECT n.number, n.status INTO o_number, o_from FROM inv_number n
    WHERE n.pool_id = v_pool AND n.status IN ('free', 'quarantine') AND NOT n.golden
      AND (n.status = 'free' OR n.quarantine_until <= now())
    ORDER BY n.number LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF FOUND THEN RETURN; END IF;
  END LOOP;
  o_failure := CASE WHEN v_any THEN 'exhausted' ELSE 'no_pool' END;
END $$;

-- Writes a reservation for resources the caller has locked, moves each of them to reserved with
-- its history row, and appends `reservation.created`. Returns the reservation id.
CREATE FUNCTION inv_reserve(p_request text, p_kind text, p_product text, p_address jsonb,
                            p_port bigint, p_pp bigint, p_dp bigint, p_cp bigint, p_bs bigint,
                            p_sim bigint, p_number text, p_number_from text,
                            p_user bigint, p_actor text)
  RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_id bigint;
  v_code text := 'R' || lpad(nextval('inv_reservation_code_seq')::text, 9, '0');
BEGIN
  INSERT INTO inv_reservation (code, request_ref, kind, product_code, address, port_id, primary_pair_id,
                               distribution_pair_id, cp_id, base_station_id, sim_id, directory_number)
  VALUES (v_code, p_request, p_kind, p_product, p_address, p_port, p_pp, p_dp, p_cp, p_bs, p_sim, p_number)
  RETURNING id INTO v_id;
  IF p_pp IS NOT NULL OR p_dp IS NOT NULL THEN
    UPDATE inv_pair SET status = 'reserved', updated_at = now() WHERE id IN (p_pp, p_dp);
  END IF;
  IF p_port IS NOT NULL THEN
    UPDATE inv_port SET status = 'reserved', updated_at = now() WHERE id = p_port;
  END IF;
  IF p_bs IS NOT NULL THEN
    UPDATE inv_base_station SET used = used + 1 WHERE id = p_bs;
  END IF;
  IF p_sim IS NOT NULL THEN
    UPDATE inv_sim SET reservation_id = v_id, updated_at = now() WHERE id = p_sim;
  END IF;
  IF p_number IS NOT NULL THEN
    UPDATE inv_number SET status = 'reserved', quarantine_until = NULL, updated_at = now() WHERE number = p_number;
  END IF;
  INSERT INTO inv_resource_history (resource_type, resource_id, from_status, to_status, reason, reservation_id, user_id)
  SELECT h.t, h.rid, h.f, 'reserved', 'reserved for ' || p_request, v_id, p_user
  FROM (VALUES (1, 'pair', p_pp::text, 'free'), (2, 'pair', p_dp::text, 'free'), (3, 'port', p_port::text, 'free'),
               (4, 'number', p_number, p_number_from)) h(o, t, rid, f)
  WHERE h.rid IS NOT NULL ORDER BY h.o;
  INSERT INTO event (entity_type, entity_id, kind, line_id, actor, user_id, payload)
  VALUES ('reservation', v_code, 'reservation.created', p_number, p_actor, p_user,
          jsonb_build_object('requestRef', p_request, 'kind', p_kind));
  RETURN v_id;
END $$;

-- Holds a request (same index as the pending-request view); a request already held gets its new cause.
CREATE FUNCTION inv_hold(p jsonb, p_zone text, p_why jsonb, p_user bigint, p_actor text)
  RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO inv_pending (request_ref, kind, product_code, address, shop_code, locality, district, zone_key,
                           cause, element_type, element_code, detail)
  VALUES (p->>'requestRef', p->>'kind', p->>'product', p->'address', p->>'shop',
          coalesce(p->'address'->>'locality', ''), coalesce(p->'address'->>'district', ''), p_zone,
          p_why->>'cause', p_why->>'elementType', p_why->>'elementCode', p_why->>'detail')
  ON CONFLICT (request_ref) WHERE status = 'waiting' DO UPDATE SET
    cause = EXCLUDED.cause, element_type = EXCLUDED.element_type, element_code = EXCLUDED.element_code,
    detail = EXCLUDED.detail, attempts = inv_pending.attempts + 1, updated_at = now();
  INSERT INTO event (entity_type, entity_id, kind, actor, user_id, payload)
  VALUES ('pending_request', p->>'requestRef', 'pending.registered', p_actor, p_user,
          jsonb_build_object('requestRef', p->>'requestRef', 'cause', p_why->>'cause',
                             'elementType', p_why->>'elementType', 'elementCode', p_why->>'elementCode'));
END $$;

-- A held request served by a study is resumed in the same transaction; when a capacity signal
-- (`p_trigger`) caused the study, the workflow is told through `pending.resumed`.
CREATE FUNCTION inv_mark_resumed(p_ref text, p_reservation bigint, p_trigger jsonb, p_user bigint, p_actor text)
  RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE inv_pending SET status = 'resumed', reservation_id = p_reservation, closed_at = now(), updated_at = now()
  WHERE request_ref = p_ref AND status = 'waiting';
  IF FOUND AND p_trigger IS NOT NULL THEN
    INSERT INTO event (entity_type, entity_id, kind, actor, user_id, payload)
    VALUES ('pending_request', p_ref, 'pending.resumed', p_actor, p_user,
            jsonb_build_object('requestRef', p_ref, 'reservationId', p_reservation, 'trigger', p_trigger));
  END IF;
END $$;

-- The automatic study + reservation, one call. `p` is the study input (requestRef, kind, product in
-- upper case, address, shop, preferredNumber, withNumber, holdIfNotFeasible, trigger); `p_zone` the
-- zone key of the address. Answers one JSON document:
--   {feasible: true, reused, reservation}                   the chain is reserved (or already was)
--   {feasible: false, cause, elementType, elementCode, detail, held}
--   {error: 'number.unavailable' | 'shop.not_found', detail} nothing was written
-- When the study serves a held request, that request is marked resumed in the same transaction; with
-- `trigger` (a capacity signal) the `pending.resumed` event is written too.
CREATE FUNCTION inv_study(p jsonb, p_zone text, p_user bigint, p_actor text)
  RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_ref text := p->>'requestRef';
  v_kind text := p->>'kind';
  v_product text := p->>'product';
  v_with_number boolean := coalesce((p->>'withNumber')::boolean, true);
  v_addr jsonb := p->'address';
  v_id bigint;
  v_cp record;
  v_cp_id bigint;
  v_dp_id bigint;
  v_sdf bigint;
  v_pp_id bigint;
  v_port bigint;
  v_site bigint;
  v_bs_id bigint;
  v_bs_ids bigint[];
  v_bs_first text;
  v_shop_id bigint;
  v_shop_code text;
  v_sim bigint;
  v_number text;
  v_from text;
  v_nfail text;
  v_code text;
  v_fail jsonb;
BEGIN
  SELECT r.id INTO v_id FROM inv_reservation r WHERE r.request_ref = v_ref AND r.status = 'reserved';
  IF FOUND THEN
    PERFORM inv_mark_resumed(v_ref, v_id, p->'trigger', p_user, p_actor);
    RETURN jsonb_build_object('feasible', true, 'reused', true, 'reservation', inv_reservation_doc(v_id));
  END IF;

  IF v_kind = 'fixed_wired' THEN
    FOR v_cp IN SELECT s.cp_id, s.code, s.sdf_id FROM inv_serving(v_addr->>'locality', v_addr->>'district', v_addr->>'street') s
                WHERE s.cp_id IS NOT NULL
    LOOP
      SELECT d.id, d.sdf_id INTO v_dp_id, v_sdf FROM inv_pair d
      WHERE d.cp_id = v_cp.cp_id AND d.kind = 'distribution' AND d.status = 'free'
      ORDER BY d.id LIMIT 1 FOR UPDATE SKIP LOCKED;
      IF NOT FOUND THEN
        IF v_fail IS NULL THEN
          v_fail := CASE WHEN EXISTS (SELECT 1 FROM inv_pair d WHERE d.cp_id = v_cp.cp_id)
            THEN jsonb_build_object('cause', 'saturation', 'elementType', 'cp', 'elementCode', v_cp.code,
                   'detail', format('concentration point %s has no free distribution pair', v_cp.code))
            ELSE jsonb_build_object('cause', 'missing_equipment', 'elementType', 'cp', 'elementCode', v_cp.code,
                   'detail', format('no distribution cable reaches concentration point %s', v_cp.code)) END;
        END IF;
        CONTINUE;
      END IF;
      SELECT pp.id, m.site_id INTO v_pp_id, v_site FROM inv_pair pp
      JOIN inv_cable c ON c.id = pp.cable_id JOIN inv_mdf m ON m.id = c.mdf_id
      WHERE pp.sdf_id = v_sdf AND pp.kind = 'primary' AND pp.status = 'free'
      ORDER BY pp.id LIMIT 1 FOR UPDATE OF pp SKIP LOCKED;
      IF NOT FOUND THEN
        IF v_fail IS NULL THEN
          SELECT s.code INTO v_code FROM inv_sdf s WHERE s.id = v_sdf;
          v_fail := CASE WHEN EXISTS (SELECT 1 FROM inv_pair pp WHERE pp.sdf_id = v_sdf AND pp.kind = 'primary')
            THEN jsonb_build_object('cause', 'saturation', 'elementType', 'sdf', 'elementCode', v_code,
                   'detail', format('no free primary pair towards cabinet %s', v_code))
            ELSE jsonb_build_object('cause', 'missing_equipment', 'elementType', 'sdf', 'elementCode', v_code,
                   'detail', format('no primary cable reaches cabinet %s', v_code)) END;
        END IF;
        CONTINUE;
      END IF;
      SELECT pt.id INTO v_port FROM inv_port pt WHERE pt.site_id = v_site AND pt.status = 'free'
      ORDER BY pt.id LIMIT 1 FOR UPDATE SKIP LOCKED;
      IF NOT FOUND THEN
        IF v_fail IS NULL THEN
          SELECT s.code INTO v_code FROM inv_site s WHERE s.id = v_site;
          v_fail := CASE WHEN EXISTS (SELECT 1 FROM inv_port pt WHERE pt.site_id = v_site)
            THEN jsonb_build_object('cause', 'saturation', 'elementType', 'site', 'elementCode', v_code,
                   'detail', format('the switches of %s have no free line port', v_code))
            ELSE jsonb_build_object('cause', 'missing_equipment', 'elementType', 'site', 'elementCode', v_code,
                   'detail', format('no switch line equipment at %s', v_code)) END;
        END IF;
        CONTINUE;
      END IF;
      v_cp_id := v_cp.cp_id;
      EXIT;
    END LOOP;
    IF v_cp_id IS NULL THEN
      IF v_fail IS NULL THEN
        v_fail := jsonb_build_object('cause', 'unequipped_zone', 'elementType', 'zone', 'elementCode', p_zone,
          'detail', btrim(CASE WHEN EXISTS (SELECT 1 FROM inv_serving(v_addr->>'locality', v_addr->>'district', v_addr->>'street') s
                                             WHERE s.base_station_id IS NOT NULL)
            THEN format('%s %s is served by radio only', v_addr->>'locality', coalesce(v_addr->>'district', ''))
            ELSE format('no concentration point serves %s %s', v_addr->>'locality', coalesce(v_addr->>'district', '')) END));
      END IF;
    END IF;
  ELSIF v_kind = 'fixed_radio' THEN
    SELECT array_agg(s.base_station_id ORDER BY s.code), min(s.code) INTO v_bs_ids, v_bs_first
    FROM inv_serving(v_addr->>'locality', v_addr->>'district', v_addr->>'street') s WHERE s.base_station_id IS NOT NULL;
    IF v_bs_ids IS NULL THEN
      v_fail := jsonb_build_object('cause', 'unequipped_zone', 'elementType', 'zone', 'elementCode', p_zone,
        'detail', btrim(format('no radio coverage at %s %s', v_addr->>'locality', coalesce(v_addr->>'district', ''))));
    ELSE
      -- A base station's capacity is a counter every study touches: wait for its lock rather than
      -- skip it, or concurrent studies would call a station with room saturated.
      SELECT b.id, b.site_id INTO v_bs_id, v_site FROM inv_base_station b
      WHERE b.id = ANY (v_bs_ids) AND b.used < b.capacity AND b.status = 'free'
      ORDER BY b.capacity - b.used DESC, b.id LIMIT 1 FOR UPDATE;
      IF NOT FOUND THEN
        v_fail := CASE WHEN EXISTS (SELECT 1 FROM inv_base_station b WHERE b.id = ANY (v_bs_ids) AND b.status = 'free')
          THEN jsonb_build_object('cause', 'saturation', 'elementType', 'base_station', 'elementCode', v_bs_first,
                 'detail', format('base station %s has no free capacity', v_bs_first))
          ELSE jsonb_build_object('cause', 'missing_equipment', 'elementType', 'base_station', 'elementCode', v_bs_first,
                 'detail', format('base station %s is not working', v_bs_first)) END;
      END IF;
    END IF;
  ELSIF v_kind = 'mobile' THEN
    SELECT sh.id, sh.code INTO v_shop_id, v_shop_code FROM inv_shop sh WHERE sh.code = p->>'shop';
    IF NOT FOUND THEN
      RETURN jsonb_build_object('error', 'shop.not_found', 'detail', p->>'shop');
    END IF;
    SELECT s.id INTO v_sim FROM inv_sim s
    WHERE s.shop_id = v_shop_id AND s.status = 'allocated' AND s.reservation_id IS NULL
    ORDER BY s.id LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
      v_fail := jsonb_build_object('cause', 'saturation', 'elementType', 'shop', 'elementCode', v_shop_code,
        'detail', format('no SIM card in stock at shop %s', v_shop_code));
    END IF;
  ELSE
    RAISE EXCEPTION 'unknown line kind %', v_kind;
  END IF;

  IF v_fail IS NULL AND v_with_number THEN
    SELECT n.o_number, n.o_from, n.o_failure INTO v_number, v_from, v_nfail FROM inv_pick_number(v_product, v_site, p->>'preferredNumber') n;
    IF v_nfail = 'unavailable' THEN
      RETURN jsonb_build_object('error', 'number.unavailable',
        'detail', format('number %s is not available for %s', p->>'preferredNumber', v_product));
    ELSIF v_nfail = 'no_pool' THEN
      v_fail := jsonb_build_object('cause', 'missing_equipment', 'elementType', 'number_pool', 'elementCode', v_product,
        'detail', format('no number pool for product %s', v_product));
    ELSIF v_nfail = 'exhausted' THEN
      v_fail := jsonb_build_object('cause', 'saturation', 'elementType', 'number_pool', 'elementCode', v_product,
        'detail', format('number pools of %s are exhausted', v_product));
    END IF;
  END IF;

  IF v_fail IS NOT NULL THEN
    IF coalesce((p->>'holdIfNotFeasible')::boolean, false) THEN
      PERFORM inv_hold(p, p_zone, v_fail, p_user, p_actor);
    END IF;
    RETURN v_fail || jsonb_build_object('feasible', false,
                                        'held', coalesce((p->>'holdIfNotFeasible')::boolean, false));
  END IF;

  v_id := inv_reserve(v_ref, v_kind, v_product, v_addr,
                      v_port, v_pp_id, v_dp_id, v_cp_id, v_bs_id, v_sim, v_number, v_from, p_user, p_actor);
  PERFORM inv_mark_resumed(v_ref, v_id, p->'trigger', p_user, p_actor);
  RETURN jsonb_build_object('feasible', true, 'reused', false, 'reservation', inv_reservation_doc(v_id));
END $$;
