-- Free lists (issue 4, study throughput). A study takes a distribution pair, a primary pair, a line
-- port and a number, and moves each of them from free to reserved. As long as the pick indexes were
-- partial indexes on `status = 'free'` (0200, 0201), every status change was a non-HOT update:
-- PostgreSQL must write a new index entry in every index of the table when a column an index
-- depends on — its predicate included — changes, so each study wrote ~14 index entries for four
-- rows (primary keys, the cable/number, equipment-number and MDF-position keys…) and put the new
-- row versions on other pages (more pages touched, more full-page images after a checkpoint).
--
-- Now the free resources are listed in small side tables, one row per free resource, kept by
-- triggers whatever writes the status (studies, releases, plant changes, CSV imports, the fault
-- process, the TMF facades). A pick walks the free list in the same order as before (lowest id /
-- number of the concentration point, cabinet, site or pool) and locks the resource row itself
-- (`FOR UPDATE OF <resource> SKIP LOCKED`) re-checking its status, so the concurrency rules stay
-- those of 0210: two studies never lock the same row, and a row that stopped being free between
-- the list and the lock is skipped. No index of the resource tables mentions `status` any more, so
-- the status changes are HOT updates (same page, no index entry) given room on the page: the tables
-- get a fillfactor and are rewritten once here (CLUSTER on the primary key: an exclusive lock for
-- the time of the rewrite, ~10 s per million pairs).

CREATE TABLE inv_pair_free (
  pair_id  bigint NOT NULL,
  cp_id    bigint,            -- distribution pairs: the concentration point they reach
  sdf_id   bigint NOT NULL    -- primary pairs (cp_id NULL): the cabinet they reach
);
CREATE UNIQUE INDEX inv_pair_free_dist_uq ON inv_pair_free (cp_id, pair_id) WHERE cp_id IS NOT NULL;
CREATE UNIQUE INDEX inv_pair_free_prim_uq ON inv_pair_free (sdf_id, pair_id) WHERE cp_id IS NULL;

CREATE TABLE inv_port_free (
  port_id  bigint NOT NULL,
  site_id  bigint NOT NULL
);
CREATE UNIQUE INDEX inv_port_free_uq ON inv_port_free (site_id, port_id);

-- Numbers that automatic assignment may hand out: free or quarantined (the pick checks the end of
-- the quarantine on the number itself), never golden ones.
CREATE TABLE inv_number_free (
  number   text NOT NULL,
  pool_id  bigint NOT NULL
);
CREATE UNIQUE INDEX inv_number_free_uq ON inv_number_free (pool_id, number);

-- Rows are only inserted and deleted (a study deletes three or four): vacuum them often, it is cheap
-- and keeps the picks from stepping over the entries of resources already taken.
ALTER TABLE inv_pair_free SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000);
ALTER TABLE inv_port_free SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000);
ALTER TABLE inv_number_free SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000);

-- Pairs. Pairs never move to another cable, so (cp_id, sdf_id) of a row never changes.
CREATE FUNCTION inv_pair_free_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO inv_pair_free (pair_id, cp_id, sdf_id) SELECT id, cp_id, sdf_id FROM new_rows WHERE status = 'free';
  RETURN NULL;
END $$;
CREATE FUNCTION inv_pair_free_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.status = 'free' THEN
    INSERT INTO inv_pair_free (pair_id, cp_id, sdf_id) VALUES (NEW.id, NEW.cp_id, NEW.sdf_id);
  ELSIF OLD.cp_id IS NOT NULL THEN
    DELETE FROM inv_pair_free WHERE cp_id = OLD.cp_id AND pair_id = OLD.id;
  ELSE
    DELETE FROM inv_pair_free WHERE cp_id IS NULL AND sdf_id = OLD.sdf_id AND pair_id = OLD.id;
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER inv_pair_free_ins AFTER INSERT ON inv_pair
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION inv_pair_free_ins();
CREATE TRIGGER inv_pair_free_upd BEFORE UPDATE OF status ON inv_pair FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status AND (OLD.status = 'free' OR NEW.status = 'free'))
  EXECUTE FUNCTION inv_pair_free_upd();
CREATE TRIGGER inv_pair_free_del BEFORE DELETE ON inv_pair FOR EACH ROW
  WHEN (OLD.status = 'free') EXECUTE FUNCTION inv_pair_free_upd();

-- Line ports.
CREATE FUNCTION inv_port_free_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO inv_port_free (port_id, site_id) SELECT id, site_id FROM new_rows WHERE status = 'free';
  RETURN NULL;
END $$;
CREATE FUNCTION inv_port_free_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.status = 'free' THEN
    INSERT INTO inv_port_free (port_id, site_id) VALUES (NEW.id, NEW.site_id);
  ELSE
    DELETE FROM inv_port_free WHERE site_id = OLD.site_id AND port_id = OLD.id;
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER inv_port_free_ins AFTER INSERT ON inv_port
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION inv_port_free_ins();
CREATE TRIGGER inv_port_free_upd BEFORE UPDATE OF status ON inv_port FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status AND (OLD.status = 'free' OR NEW.status = 'free'))
  EXECUTE FUNCTION inv_port_free_upd();
CREATE TRIGGER inv_port_free_del BEFORE DELETE ON inv_port FOR EACH ROW
  WHEN (OLD.status = 'free') EXECUTE FUNCTION inv_port_free_upd();

-- Numbers: listed while free or quarantined and not golden (golden ones are sold, not assigned).
CREATE FUNCTION inv_number_free_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO inv_number_free (number, pool_id)
  SELECT number, pool_id FROM new_rows WHERE status IN ('free', 'quarantine') AND NOT golden;
  RETURN NULL;
END $$;
CREATE FUNCTION inv_number_free_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.status IN ('free', 'quarantine') AND NOT NEW.golden THEN
    INSERT INTO inv_number_free (number, pool_id) VALUES (NEW.number, NEW.pool_id);
  ELSE
    DELETE FROM inv_number_free WHERE pool_id = OLD.pool_id AND number = OLD.number;
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER inv_number_free_ins AFTER INSERT ON inv_number
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION inv_number_free_ins();
CREATE TRIGGER inv_number_free_upd BEFORE UPDATE OF status, golden ON inv_number FOR EACH ROW
  WHEN ((OLD.status IN ('free', 'quarantine') AND NOT OLD.golden)
        IS DISTINCT FROM (NEW.status IN ('free', 'quarantine') AND NOT NEW.golden))
  EXECUTE FUNCTION inv_number_free_upd();
CREATE TRIGGER inv_number_free_del BEFORE DELETE ON inv_number FOR EACH ROW
  WHEN (OLD.status IN ('free', 'quarantine') AND NOT OLD.golden) EXECUTE FUNCTION inv_number_free_upd();

INSERT INTO inv_pair_free (pair_id, cp_id, sdf_id) SELECT id, cp_id, sdf_id FROM inv_pair WHERE status = 'free';
INSERT INTO inv_port_free (port_id, site_id) SELECT id, site_id FROM inv_port WHERE status = 'free';
INSERT INTO inv_number_free (number, pool_id)
SELECT number, pool_id FROM inv_number WHERE status IN ('free', 'quarantine') AND NOT golden;

-- No index mentions a status any more (the pool counts group a pool's numbers read by pool).
DROP INDEX inv_pair_free_dist_idx;
DROP INDEX inv_pair_free_prim_idx;
DROP INDEX inv_port_free_idx;
DROP INDEX inv_number_pick_idx;
DROP INDEX inv_number_pool_status_idx;
CREATE INDEX inv_number_pool_idx ON inv_number (pool_id);

-- Room on every page for the new versions of its rows (a pair row is ~100 bytes: ~7 status
-- changes per page between two prunings), and the existing rows rewritten with it.
ALTER TABLE inv_pair SET (fillfactor = 90);
ALTER TABLE inv_port SET (fillfactor = 90);
ALTER TABLE inv_number SET (fillfactor = 90);
CLUSTER inv_pair USING inv_pair_pkey;
CLUSTER inv_port USING inv_port_pkey;
CLUSTER inv_number USING inv_number_pkey;

-- The picks, as in 0212 but on the free lists.
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
    SELECT n.number, n.status INTO o_number, o_from FROM inv_number_free f JOIN inv_number n ON n.number = f.number
    WHERE f.pool_id BETWEEN v_pool AND v_pool AND n.status IN ('free', 'quarantine') AND NOT n.golden
      AND (n.status = 'free' OR n.quarantine_until <= now())
    ORDER BY f.pool_id, f.number LIMIT 1 FOR UPDATE OF n SKIP LOCKED;
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
      SELECT d.id, d.sdf_id INTO v_dp_id, v_sdf FROM inv_pair_free f JOIN inv_pair d ON d.id = f.pair_id
      WHERE f.cp_id BETWEEN v_cp.cp_id AND v_cp.cp_id AND d.status = 'free'
      ORDER BY f.cp_id, f.pair_id LIMIT 1 FOR UPDATE OF d SKIP LOCKED;
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
      SELECT pp.id, m.site_id INTO v_pp_id, v_site FROM inv_pair_free f JOIN inv_pair pp ON pp.id = f.pair_id
      JOIN inv_cable c ON c.id = pp.cable_id JOIN inv_mdf m ON m.id = c.mdf_id
      WHERE f.sdf_id BETWEEN v_sdf AND v_sdf AND f.cp_id IS NULL AND pp.status = 'free'
      ORDER BY f.sdf_id, f.pair_id LIMIT 1 FOR UPDATE OF pp SKIP LOCKED;
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
      SELECT pt.id INTO v_port FROM inv_port_free f JOIN inv_port pt ON pt.id = f.port_id
      WHERE f.site_id BETWEEN v_site AND v_site AND pt.status = 'free'
      ORDER BY f.site_id, f.port_id LIMIT 1 FOR UPDATE OF pt SKIP LOCKED;
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

-- CREATE OR REPLACE dropped the settings of 0221: generic plans again.
ALTER FUNCTION inv_study(jsonb, text, bigint, text) SET plan_cache_mode = force_generic_plan;
