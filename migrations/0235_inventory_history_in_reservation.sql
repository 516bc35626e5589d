-- The study's cost per call, again (issue 4, study throughput; docs/performance.md, session 5).
-- Measured with callgrind on the bench plant (one backend, instructions per fixed-wired study,
-- load-independent). Two things go, the answers stay the same:
--
-- 1. The four history rows of a fast-path study (≈ 9 % of its instructions: four heap rows, four
--    btree entries, an INSERT with its CHECK). The study's "free → reserved" entries are carried by
--    the reservation row itself (new columns `user_id`, `number_from`: the number's status before,
--    free or quarantine) and each reserved resource points at it (`history_held_by`, not indexed, so
--    the status change stays a HOT update). They are written out as ordinary history rows, with the
--    reservation's time, user and reason, at the resource's next status change — release, commit,
--    fault, CSV import, whatever writes it — by the free-list triggers, which fire for every status
--    change but the study's own statement. Until then `inv_resource_history_of(type, id)` answers
--    them; every reader of a resource's history goes through it. History rows written by every other
--    path (the step-by-step study, releases, commits, the plant) are unchanged.
-- 2. The foreign keys from the reservation to its port, pairs and number (≈ 4 %: a trigger call and
--    an SPI query each, re-checking rows the study has just locked FOR UPDATE itself). Only the study
--    functions and the reservation service write those columns, always with a resource they picked
--    and locked in the same transaction. What the keys also guarded — deleting plant that a
--    reservation names — is kept by statement-level delete triggers on inv_pair, inv_port and
--    inv_number that refuse such a delete (nothing in the application deletes those rows today).

ALTER TABLE inv_reservation ADD COLUMN user_id bigint, ADD COLUMN number_from text;
ALTER TABLE inv_pair ADD COLUMN history_held_by bigint;
ALTER TABLE inv_port ADD COLUMN history_held_by bigint;
ALTER TABLE inv_number ADD COLUMN history_held_by bigint;
COMMENT ON COLUMN inv_pair.history_held_by IS
  'reservation whose row still holds this pair''s latest "reserved" history entry (fast-path study); written out at the next status change';
COMMENT ON COLUMN inv_port.history_held_by IS
  'reservation whose row still holds this port''s latest "reserved" history entry (fast-path study); written out at the next status change';
COMMENT ON COLUMN inv_number.history_held_by IS
  'reservation whose row still holds this number''s latest "reserved" history entry (fast-path study); written out at the next status change';

ALTER TABLE inv_reservation DROP CONSTRAINT inv_reservation_port_id_fkey;
ALTER TABLE inv_reservation DROP CONSTRAINT inv_reservation_primary_pair_id_fkey;
ALTER TABLE inv_reservation DROP CONSTRAINT inv_reservation_distribution_pair_id_fkey;
ALTER TABLE inv_reservation DROP CONSTRAINT inv_reservation_directory_number_fkey;

CREATE FUNCTION inv_plant_delete_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_what text;
BEGIN
  IF TG_TABLE_NAME = 'inv_pair' THEN
    SELECT 'pair ' || o.id INTO v_what FROM old_rows o
    WHERE EXISTS (SELECT 1 FROM inv_reservation r WHERE r.primary_pair_id = o.id OR r.distribution_pair_id = o.id) LIMIT 1;
  ELSIF TG_TABLE_NAME = 'inv_port' THEN
    SELECT 'port ' || o.id INTO v_what FROM old_rows o
    WHERE EXISTS (SELECT 1 FROM inv_reservation r WHERE r.port_id = o.id) LIMIT 1;
  ELSE
    SELECT 'number ' || o.number INTO v_what FROM old_rows o
    WHERE EXISTS (SELECT 1 FROM inv_reservation r WHERE r.directory_number = o.number) LIMIT 1;
  END IF;
  IF v_what IS NOT NULL THEN
    RAISE EXCEPTION 'cannot delete % of %: a reservation names it', v_what, TG_TABLE_NAME
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER inv_pair_delete_guard AFTER DELETE ON inv_pair REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION inv_plant_delete_guard();
CREATE TRIGGER inv_port_delete_guard AFTER DELETE ON inv_port REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION inv_plant_delete_guard();
CREATE TRIGGER inv_number_delete_guard AFTER DELETE ON inv_number REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION inv_plant_delete_guard();

-- The free-list triggers (0233) also write out a carried "reserved" entry when the status changes.
CREATE OR REPLACE FUNCTION inv_pair_free_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.history_held_by IS NOT NULL AND OLD.status IS DISTINCT FROM NEW.status THEN
      INSERT INTO inv_resource_history (resource_type, resource_id, from_status, to_status, reason, reservation_id, user_id, at)
      SELECT 'pair', OLD.id::text, 'free', 'reserved', 'reserved for ' || r.request_ref, r.id, r.user_id, r.created_at
      FROM inv_reservation r WHERE r.id = OLD.history_held_by;
      NEW.history_held_by := NULL;
    END IF;
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
CREATE OR REPLACE FUNCTION inv_port_free_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.history_held_by IS NOT NULL AND OLD.status IS DISTINCT FROM NEW.status THEN
      INSERT INTO inv_resource_history (resource_type, resource_id, from_status, to_status, reason, reservation_id, user_id, at)
      SELECT 'port', OLD.id::text, 'free', 'reserved', 'reserved for ' || r.request_ref, r.id, r.user_id, r.created_at
      FROM inv_reservation r WHERE r.id = OLD.history_held_by;
      NEW.history_held_by := NULL;
    END IF;
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
CREATE OR REPLACE FUNCTION inv_number_free_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.history_held_by IS NOT NULL AND OLD.status IS DISTINCT FROM NEW.status THEN
      INSERT INTO inv_resource_history (resource_type, resource_id, from_status, to_status, reason, reservation_id, user_id, at)
      SELECT 'number', OLD.number, r.number_from, 'reserved', 'reserved for ' || r.request_ref, r.id, r.user_id, r.created_at
      FROM inv_reservation r WHERE r.id = OLD.history_held_by;
      NEW.history_held_by := NULL;
    END IF;
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

-- A resource's history, oldest first: its rows, then the "reserved" entry its reservation still
-- carries (at most one: any later status change would have written it out).
CREATE FUNCTION inv_resource_history_of(p_type text, p_id text)
  RETURNS TABLE (from_status text, to_status text, reason text, reservation_id bigint, user_id bigint, at timestamptz)
  LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_res bigint;
BEGIN
  IF p_type = 'pair' THEN
    SELECT x.history_held_by INTO v_res FROM inv_pair x WHERE x.id = p_id::bigint;
  ELSIF p_type = 'port' THEN
    SELECT x.history_held_by INTO v_res FROM inv_port x WHERE x.id = p_id::bigint;
  ELSIF p_type = 'number' THEN
    SELECT x.history_held_by INTO v_res FROM inv_number x WHERE x.number = p_id;
  END IF;
  RETURN QUERY
    SELECT h.from_status, h.to_status, h.reason, h.reservation_id, h.user_id, h.at
    FROM inv_resource_history h WHERE h.resource_type = p_type AND h.resource_id = p_id ORDER BY h.id;
  IF v_res IS NOT NULL THEN
    RETURN QUERY
      SELECT CASE WHEN p_type = 'number' THEN r.number_from ELSE 'free' END, 'reserved'::text,
             'reserved for ' || r.request_ref, r.id, r.user_id, r.created_at
      FROM inv_reservation r WHERE r.id = v_res;
  END IF;
END $$;

-- The automatic study, fast path (0233), without its history rows: the reservation and the resources carry them.
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
                                 distribution_pair_id, cp_id, directory_number, user_id, number_from)
    OVERRIDING SYSTEM VALUE
    VALUES (v_id, v_code, v_ref, v_kind, v_product, v_addr, v_port, v_pp_id, v_dp_id, v_cp_id, v_number, p_user, v_from)
  ), u1 AS (
    UPDATE inv_pair SET status = 'reserved', history_held_by = v_id, updated_at = now() WHERE id IN (v_pp_id, v_dp_id)
  ), u2 AS (
    UPDATE inv_port SET status = 'reserved', history_held_by = v_id, updated_at = now() WHERE id = v_port
  ), u3 AS (
    UPDATE inv_number SET status = 'reserved', quarantine_until = NULL, history_held_by = v_id, updated_at = now() WHERE number = v_number
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
