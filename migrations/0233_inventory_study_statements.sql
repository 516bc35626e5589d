-- The study's cost per call (issue 4, study throughput): the same answers, about a sixth fewer
-- server instructions per fixed-wired study. Measured with callgrind on the bench plant (one
-- backend, instructions per study, load-independent; docs/performance.md): 4.54 M before, 3.79 M
-- after. Where the instructions went, and what changes:
--
-- 1. Per statement, not per row. A study ran ~25 SQL statements (its own, the triggers' and the
--    foreign keys'), and each pays executor start/end, the plan cache's lock checks and, for every
--    table it writes, parsing that table's CHECK constraints and trigger WHEN clauses from their
--    stored text (stringToNode: 12 % of a study). The fixed-wired study's writes — reservation,
--    the four status changes, the four free-list deletions, the history rows, the event, the held
--    request resumed with its `pending.resumed` event — are now ONE statement (data-modifying CTEs),
--    and the reservation document is read in that statement from the ids the picks already hold
--    (7 lookups instead of the 16-table chain join; the same document, key for key).
-- 2. Free lists kept by the study itself. The free-list triggers (0230) fired four times per study,
--    each a PL/pgSQL call and a DELETE, and their WHEN clauses were re-parsed by every UPDATE
--    statement. The study deletes its four free-list rows in its write statement, and says so for
--    the length of that statement with the transaction-local setting `inv.free_lists_kept = on`
--    (set and reset around it; an error aborts the (sub)transaction, which restores the setting);
--    the triggers' WHEN clause is now only that setting, and the status tests moved into the
--    trigger functions. Every other writer (releases, commits, plant changes, CSV imports, the fault
--    process, the TMF facades, the step-by-step study below) keeps the lists through the triggers as
--    before.
-- 3. The address's normalised keys are computed as plain expressions: gpto_norm() calls
--    gpto_unaccent(), an IMMUTABLE SQL wrapper over the STABLE unaccent() that PostgreSQL cannot
--    inline, so each call went through the SQL-function executor (set up again in every
--    transaction). The expression is gpto_norm's own (0001); a test compares the two.
-- 4. The reservation's concentration point is no longer a foreign key: it is the distribution
--    pair's (`inv_pair.cp_id`, itself a foreign key, never changed), and its check took a share lock
--    on the concentration point's row at every study (a WAL record, a dirtied page, a multixact when
--    two studies reserve at the same point).
--
-- Everything but the fixed-wired study that finds its chain — radio, mobile, a chosen number, no
-- number, a request already reserved, and every "not feasible" answer with its cause and hold — runs
-- the step-by-step function of 0232, renamed `inv_study_stepwise` (a study that fails its fast path
-- starts over there; the rows it locked stay locked by the same transaction, so it finds them again).
-- The answer is `json` (built without jsonb's key sorting); its shape is unchanged.

ALTER TABLE inv_reservation DROP CONSTRAINT inv_reservation_cp_id_fkey;

ALTER FUNCTION inv_study(jsonb, text, bigint, text) RENAME TO inv_study_stepwise;
DROP FUNCTION inv_study_guarded(jsonb, text, bigint, text);

CREATE OR REPLACE FUNCTION inv_pair_free_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NOT (OLD.status IS DISTINCT FROM NEW.status AND (OLD.status = 'free' OR NEW.status = 'free')) THEN
      RETURN NEW;
    END IF;
    IF NEW.status = 'free' THEN
      INSERT INTO inv_pair_free (pair_id, cp_id, sdf_id) VALUES (NEW.id, NEW.cp_id, NEW.sdf_id);
      RETURN NEW;
    END IF;
  END IF;
  IF OLD.cp_id IS NOT NULL THEN
    DELETE FROM inv_pair_free WHERE cp_id = OLD.cp_id AND pair_id = OLD.id;
  ELSE
    DELETE FROM inv_pair_free WHERE cp_id IS NULL AND sdf_id = OLD.sdf_id AND pair_id = OLD.id;
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
DROP TRIGGER inv_pair_free_upd ON inv_pair;
CREATE TRIGGER inv_pair_free_upd BEFORE UPDATE OF status ON inv_pair FOR EACH ROW
  WHEN (current_setting('inv.free_lists_kept', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION inv_pair_free_upd();
CREATE OR REPLACE FUNCTION inv_port_free_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NOT (OLD.status IS DISTINCT FROM NEW.status AND (OLD.status = 'free' OR NEW.status = 'free')) THEN
      RETURN NEW;
    END IF;
    IF NEW.status = 'free' THEN
      INSERT INTO inv_port_free (port_id, site_id) VALUES (NEW.id, NEW.site_id);
      RETURN NEW;
    END IF;
  END IF;
  DELETE FROM inv_port_free WHERE site_id = OLD.site_id AND port_id = OLD.id;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
DROP TRIGGER inv_port_free_upd ON inv_port;
CREATE TRIGGER inv_port_free_upd BEFORE UPDATE OF status ON inv_port FOR EACH ROW
  WHEN (current_setting('inv.free_lists_kept', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION inv_port_free_upd();
CREATE OR REPLACE FUNCTION inv_number_free_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NOT ((OLD.status IN ('free', 'quarantine') AND NOT OLD.golden)
            IS DISTINCT FROM (NEW.status IN ('free', 'quarantine') AND NOT NEW.golden)) THEN
      RETURN NEW;
    END IF;
    IF NEW.status IN ('free', 'quarantine') AND NOT NEW.golden THEN
      INSERT INTO inv_number_free (number, pool_id) VALUES (NEW.number, NEW.pool_id);
      RETURN NEW;
    END IF;
  END IF;
  DELETE FROM inv_number_free WHERE pool_id = OLD.pool_id AND number = OLD.number;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
DROP TRIGGER inv_number_free_upd ON inv_number;
CREATE TRIGGER inv_number_free_upd BEFORE UPDATE OF status, golden ON inv_number FOR EACH ROW
  WHEN (current_setting('inv.free_lists_kept', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION inv_number_free_upd();

-- The automatic study (see 0210 for the answer's shapes). Fixed-wired with a number: the fast path.
CREATE FUNCTION inv_study(p jsonb, p_zone text, p_user bigint, p_actor text)
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
  v_pools bigint[];
  v_pool bigint;
  v_number text;
  v_from text;
  v_doc json;
  v_flag text;
  v_loc text;
  v_dis text;
  v_str text;
BEGIN
  IF v_kind <> 'fixed_wired' OR p->>'preferredNumber' IS NOT NULL OR NOT v_with_number THEN
    RETURN inv_study_stepwise(p, p_zone, p_user, p_actor)::json;
  END IF;
  SELECT r.id INTO v_id FROM inv_reservation r WHERE r.request_ref = v_ref AND r.status = 'reserved';
  IF FOUND THEN
    RETURN inv_study_stepwise(p, p_zone, p_user, p_actor)::json;
  END IF;

  v_loc := coalesce(btrim(regexp_replace(regexp_replace(lower(unaccent('unaccent'::regdictionary, v_addr->>'locality')), '[''’`]', '', 'g'), '[^a-z0-9@.]+', ' ', 'g')), '');
  v_dis := coalesce(btrim(regexp_replace(regexp_replace(lower(unaccent('unaccent'::regdictionary, v_addr->>'district')), '[''’`]', '', 'g'), '[^a-z0-9@.]+', ' ', 'g')), '');
  v_str := coalesce(btrim(regexp_replace(regexp_replace(lower(unaccent('unaccent'::regdictionary, v_addr->>'street')), '[''’`]', '', 'g'), '[^a-z0-9@.]+', ' ', 'g')), '');
  SELECT array_agg(a.cp_id ORDER BY a.spec DESC, cp.code), array_agg(cp.code ORDER BY a.spec DESC, cp.code),
         array_agg(a.spec ORDER BY a.spec DESC, cp.code)
  INTO v_cps, v_cp_codes, v_specs
  FROM (SELECT a.cp_id, (a.district_norm <> '')::int + 2 * (a.street_norm <> '')::int AS spec
        FROM inv_serving_area a
        WHERE a.locality_norm = v_loc AND a.district_norm IN ('', v_dis) AND a.street_norm IN ('', v_str)
          AND a.cp_id IS NOT NULL) a
  JOIN inv_cp cp ON cp.id = a.cp_id;

  FOR i IN 1 .. coalesce(array_length(v_cps, 1), 0) LOOP
    EXIT WHEN v_specs[i] < v_specs[1];
    SELECT d.id, d.sdf_id, d.number, d.cable_id INTO v_dp_id, v_sdf, v_dp_number, v_dp_cable
    FROM inv_pair_free f JOIN inv_pair d ON d.id = f.pair_id
    WHERE f.cp_id BETWEEN v_cps[i] AND v_cps[i] AND d.status = 'free'
    ORDER BY f.cp_id, f.pair_id LIMIT 1 FOR UPDATE OF d SKIP LOCKED;
    CONTINUE WHEN NOT FOUND;
    SELECT pp.id, m.site_id, pp.number, c.code, pp.mdf_position_id INTO v_pp_id, v_site, v_pp_number, v_pp_cable, v_vpos
    FROM inv_pair_free f JOIN inv_pair pp ON pp.id = f.pair_id
    JOIN inv_cable c ON c.id = pp.cable_id JOIN inv_mdf m ON m.id = c.mdf_id
    WHERE f.sdf_id BETWEEN v_sdf AND v_sdf AND f.cp_id IS NULL AND pp.status = 'free'
    ORDER BY f.sdf_id, f.pair_id LIMIT 1 FOR UPDATE OF pp SKIP LOCKED;
    CONTINUE WHEN NOT FOUND;
    SELECT pt.id, pt.equipment_number, pt.switch_id, pt.mdf_position_id INTO v_port, v_eqn, v_switch, v_hpos
    FROM inv_port_free f JOIN inv_port pt ON pt.id = f.port_id
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

  SELECT array_agg(p.id ORDER BY (p.site_id IS NULL), p.id) INTO v_pools FROM inv_number_pool p
  WHERE p.product_code = v_product AND (p.site_id IS NULL OR p.site_id = v_site);
  FOREACH v_pool IN ARRAY coalesce(v_pools, '{}') LOOP
    SELECT n.number, n.status INTO v_number, v_from FROM inv_number_free f JOIN inv_number n ON n.number = f.number
    WHERE f.pool_id BETWEEN v_pool AND v_pool AND n.status IN ('free', 'quarantine') AND NOT n.golden
      AND (n.status = 'free' OR n.quarantine_until <= now())
    ORDER BY f.pool_id, f.number LIMIT 1 FOR UPDATE OF n SKIP LOCKED;
    EXIT WHEN FOUND;
  END LOOP;
  IF v_number IS NULL THEN
    RETURN inv_study_stepwise(p, p_zone, p_user, p_actor)::json;
  END IF;

  v_id := nextval('inv_reservation_id_seq');
  v_code := 'R' || lpad(nextval('inv_reservation_code_seq')::text, 9, '0');
  v_flag := set_config('inv.free_lists_kept', 'on', true);
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
                                 distribution_pair_id, cp_id, directory_number)
    OVERRIDING SYSTEM VALUE
    VALUES (v_id, v_code, v_ref, v_kind, v_product, v_addr, v_port, v_pp_id, v_dp_id, v_cp_id, v_number)
  ), u1 AS (
    UPDATE inv_pair SET status = 'reserved', updated_at = now() WHERE id IN (v_pp_id, v_dp_id)
  ), u2 AS (
    UPDATE inv_port SET status = 'reserved', updated_at = now() WHERE id = v_port
  ), u3 AS (
    UPDATE inv_number SET status = 'reserved', quarantine_until = NULL, updated_at = now() WHERE number = v_number
  ), h AS (
    INSERT INTO inv_resource_history (resource_type, resource_id, from_status, to_status, reason, reservation_id, user_id)
    SELECT h.t, h.rid, h.f, 'reserved', 'reserved for ' || v_ref, v_id, p_user
    FROM (VALUES (1, 'pair', v_pp_id::text, 'free'), (2, 'pair', v_dp_id::text, 'free'), (3, 'port', v_port::text, 'free'),
                 (4, 'number', v_number, v_from)) h(o, t, rid, f)
    ORDER BY h.o
  ), pend AS (
    UPDATE inv_pending SET status = 'resumed', reservation_id = v_id, closed_at = now(), updated_at = now()
    WHERE request_ref = v_ref AND status = 'waiting'
    RETURNING 1
  ), ev AS (
    INSERT INTO event (entity_type, entity_id, kind, line_id, actor, user_id, payload)
    SELECT e.et, e.eid, e.k, e.l, p_actor, p_user, e.pl FROM (
      SELECT 1 AS o, 'reservation' AS et, v_code AS eid, 'reservation.created' AS k, v_number AS l,
             jsonb_build_object('requestRef', v_ref, 'kind', v_kind) AS pl
      UNION ALL
      SELECT 2, 'pending_request', v_ref, 'pending.resumed', NULL,
             jsonb_build_object('requestRef', v_ref, 'reservationId', v_id, 'trigger', v_trigger)
      FROM pend WHERE v_trigger IS NOT NULL) e
    ORDER BY e.o
  )
  SELECT CASE WHEN v_brief THEN json_build_object('id', v_id) ELSE json_build_object(
           'id', v_id, 'code', v_code, 'request_ref', v_ref, 'kind', v_kind, 'status', 'reserved',
           'product_code', v_product, 'directory_number', v_number, 'created_at', now(), 'closed_at', NULL,
           'port_id', v_port, 'equipment_number', v_eqn, 'switch_code', sw.code, 'site_code', site.code,
           'mdf_code', mdf.code, 'h_pos', hpos.position, 'v_pos', vpos.position,
           'pp_id', v_pp_id, 'pp_cable', v_pp_cable, 'pp_number', v_pp_number, 'sdf_code', sdf.code,
           'dp_id', v_dp_id, 'dp_cable', dpc.code, 'dp_number', v_dp_number, 'cp_code', v_cp_code,
           'bs_code', NULL, 'iccid', NULL, 'imsi', NULL) END
  INTO v_doc
  FROM (SELECT) x
  LEFT JOIN inv_switch sw ON sw.id = v_switch
  LEFT JOIN inv_site site ON site.id = sw.site_id
  LEFT JOIN inv_mdf_position hpos ON hpos.id = v_hpos
  LEFT JOIN inv_mdf mdf ON mdf.id = hpos.mdf_id
  LEFT JOIN inv_mdf_position vpos ON vpos.id = v_vpos
  LEFT JOIN inv_cable dpc ON dpc.id = v_dp_cable
  LEFT JOIN inv_sdf sdf ON sdf.id = v_sdf;
  v_flag := set_config('inv.free_lists_kept', 'off', true);
  RETURN json_build_object('feasible', true, 'reused', false, 'reservation', v_doc);
END $$;
ALTER FUNCTION inv_study(jsonb, text, bigint, text) SET plan_cache_mode = force_generic_plan;

-- The resume of held requests re-studies them one by one inside one transaction per chunk; one
-- request's unexpected failure must not undo the others (0211): its own subtransaction.
CREATE FUNCTION inv_study_guarded(p jsonb, p_zone text, p_user bigint, p_actor text)
  RETURNS json LANGUAGE plpgsql AS $$
BEGIN
  RETURN inv_study(p, p_zone, p_user, p_actor);
EXCEPTION WHEN OTHERS THEN
  RETURN json_build_object('error', 'failed', 'detail', SQLSTATE || ' ' || SQLERRM);
END $$;
ALTER FUNCTION inv_study_guarded(jsonb, text, bigint, text) SET plan_cache_mode = force_generic_plan;
