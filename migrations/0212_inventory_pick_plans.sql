-- Keeping the picks on their partial "free" indexes. A pick is `WHERE <element> = x AND status =
-- 'free' ORDER BY id LIMIT 1`: the planner, assuming the element's rows are spread evenly over the
-- ids, often prefers walking the primary key and filtering — but a site's ports, a cabinet's pairs
-- and a pool's numbers are contiguous id ranges, so for the last site that walk reads the whole
-- table (measured: 290 ms for one port pick at 200 k ports, 95 ms per resumed request). Written as
-- `<element> BETWEEN x AND x ORDER BY <element>, id`, the order is one only the partial index
-- (element, id) gives, so that index is used whatever the statistics say. Otherwise as in 0210/0211.

CREATE OR REPLACE FUNCTION inv_pick_number(p_product text, p_site bigint, p_preferred text,
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
    WHERE n.pool_id BETWEEN v_pool AND v_pool AND n.status IN ('free', 'quarantine') AND NOT n.golden
      AND (n.status = 'free' OR n.quarantine_until <= now())
    ORDER BY n.pool_id, n.number LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF FOUND THEN RETURN; END IF;
  END LOOP;
  o_failure := CASE WHEN v_any THEN 'exhausted' ELSE 'no_pool' END;
END $$;

CREATE OR REPLACE FUNCTION inv_study(p jsonb, p_zone text, p_user bigint, p_actor text)
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
      WHERE d.cp_id BETWEEN v_cp.cp_id AND v_cp.cp_id AND d.kind = 'distribution' AND d.status = 'free'
      ORDER BY d.cp_id, d.id LIMIT 1 FOR UPDATE SKIP LOCKED;
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
      WHERE pp.sdf_id BETWEEN v_sdf AND v_sdf AND pp.kind = 'primary' AND pp.status = 'free'
      ORDER BY pp.sdf_id, pp.id LIMIT 1 FOR UPDATE OF pp SKIP LOCKED;
      IF NOT FOUND THEN
        IF v_fail IS NULL THEN
          SELECT s.code INTO v_code FROM inv_sdf s WHERE s.id = v_sdf;
          v_fail := CASE WHEN EXISTS (SELECT 1 FROM inv_cable c WHERE c.sdf_id = v_sdf AND c.kind = 'primary')
            THEN jsonb_build_object('cause', 'saturation', 'elementType', 'sdf', 'elementCode', v_code,
                   'detail', format('no free primary pair towards cabinet %s', v_code))
            ELSE jsonb_build_object('cause', 'missing_equipment', 'elementType', 'sdf', 'elementCode', v_code,
                   'detail', format('no primary cable reaches cabinet %s', v_code)) END;
        END IF;
        CONTINUE;
      END IF;
      SELECT pt.id INTO v_port FROM inv_port pt WHERE pt.site_id BETWEEN v_site AND v_site AND pt.status = 'free'
      ORDER BY pt.site_id, pt.id LIMIT 1 FOR UPDATE SKIP LOCKED;
      IF NOT FOUND THEN
        IF v_fail IS NULL THEN
          SELECT s.code INTO v_code FROM inv_site s WHERE s.id = v_site;
          v_fail := CASE WHEN EXISTS (SELECT 1 FROM inv_switch sw JOIN inv_port pt ON pt.switch_id = sw.id WHERE sw.site_id = v_site)
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
    WHERE s.shop_id BETWEEN v_shop_id AND v_shop_id AND s.status = 'allocated' AND s.reservation_id IS NULL
    ORDER BY s.shop_id, s.id LIMIT 1 FOR UPDATE SKIP LOCKED;
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
