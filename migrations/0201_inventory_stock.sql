-- Inventory, logical side: number pools, SIM stock and shops, reservations (automatic studies), the
-- subscriber technical file and the pending requests waiting for capacity.

-- A number pool per product (seed: "boîtes à numéros"), optionally tied to the exchange site whose
-- switch routes its numbers. Released numbers rest in quarantine before reuse so that a new
-- subscriber does not receive the previous one's calls.
CREATE TABLE inv_number_pool (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code             text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,30}$'),
  product_code     text NOT NULL,
  site_id          bigint REFERENCES inv_site (id),
  quarantine_days  integer NOT NULL DEFAULT 180 CHECK (quarantine_days BETWEEN 0 AND 3650),
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inv_number_pool_product_idx ON inv_number_pool (product_code);

CREATE TABLE inv_number_range (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  pool_id     bigint NOT NULL REFERENCES inv_number_pool (id),
  first       text NOT NULL CHECK (first ~ '^[0-9]{6,15}$'),
  last        text NOT NULL CHECK (last ~ '^[0-9]{6,15}$'),
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (length(first) = length(last) AND first <= last)
);

-- Numbers that are easy to remember are kept for sale and never handed out automatically:
-- four identical final digits, a final run (1234, 6789…), or a repeated final pair (2525).
CREATE FUNCTION inv_is_golden(n text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN n ~ '(\d)\1\1\1$'
      OR right(n, 4) IN ('0123', '1234', '2345', '3456', '4567', '5678', '6789', '9876', '8765', '7654', '6543', '5432', '4321', '3210')
      OR n ~ '(\d\d)\1\1$'
      OR right(n, 6) ~ '^(\d\d\d)\1$';

CREATE TABLE inv_number (
  number            text PRIMARY KEY CHECK (number ~ '^[0-9]{6,15}$'),
  pool_id           bigint NOT NULL REFERENCES inv_number_pool (id),
  status            text NOT NULL DEFAULT 'free' CHECK (status IN ('free', 'reserved', 'assigned', 'quarantine')),
  golden            boolean NOT NULL DEFAULT false,
  quarantine_until  timestamptz,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'quarantine') = (quarantine_until IS NOT NULL))
);
-- Automatic assignment takes the lowest free ordinary number of a pool; quarantined numbers whose
-- time is up count as free.
CREATE INDEX inv_number_pick_idx ON inv_number (pool_id, number) WHERE status IN ('free', 'quarantine') AND NOT golden;
CREATE INDEX inv_number_pool_status_idx ON inv_number (pool_id, status);

-- Shops hold SIM stock for the counters.
CREATE TABLE inv_shop (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,30}$'),
  name        text NOT NULL,
  locality    text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE inv_sim_batch (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code          text NOT NULL UNIQUE,
  manufacturer  text NOT NULL,
  card_count    integer NOT NULL,
  imported_at   timestamptz NOT NULL DEFAULT now(),
  imported_by   bigint
);

-- A SIM card. Ki, OPc, PIN and PUK codes are one AES-256-GCM sealed JSON document (key from the
-- configuration): a database dump does not give away a single card's secrets.
CREATE TABLE inv_sim (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  iccid             text NOT NULL UNIQUE CHECK (iccid ~ '^89[0-9]{16,18}$'),
  imsi              text NOT NULL UNIQUE CHECK (imsi ~ '^[0-9]{14,15}$'),
  batch_id          bigint NOT NULL REFERENCES inv_sim_batch (id),
  secrets           bytea NOT NULL,
  status            text NOT NULL DEFAULT 'in_stock'
                      CHECK (status IN ('in_stock', 'allocated', 'active', 'suspended', 'replaced', 'destroyed', 'lost_stolen')),
  shop_id           bigint REFERENCES inv_shop (id),
  directory_number  text,
  reservation_id    bigint,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CHECK (status <> 'allocated' OR shop_id IS NOT NULL)
);
CREATE INDEX inv_sim_pick_idx ON inv_sim (shop_id, id) WHERE status = 'allocated' AND reservation_id IS NULL;
CREATE INDEX inv_sim_number_idx ON inv_sim (directory_number) WHERE directory_number IS NOT NULL;
CREATE UNIQUE INDEX inv_sim_live_number_uq ON inv_sim (directory_number) WHERE status IN ('active', 'suspended');

CREATE SEQUENCE inv_reservation_code_seq START 1;

-- A path reservation: what an automatic study (or a number assignment) holds for one service
-- request until the line is built (commit) or the request is cancelled (release). The partial unique
-- indexes are the last guard against handing one resource to two requests.
CREATE TABLE inv_reservation (
  id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code                  text NOT NULL UNIQUE,
  request_ref           text NOT NULL,
  kind                  text NOT NULL CHECK (kind IN ('fixed_wired', 'fixed_radio', 'mobile', 'number')),
  status                text NOT NULL DEFAULT 'reserved' CHECK (status IN ('reserved', 'released', 'committed')),
  product_code          text NOT NULL,
  address               jsonb,
  port_id               bigint REFERENCES inv_port (id),
  primary_pair_id       bigint REFERENCES inv_pair (id),
  distribution_pair_id  bigint REFERENCES inv_pair (id),
  cp_id                 bigint REFERENCES inv_cp (id),
  base_station_id       bigint REFERENCES inv_base_station (id),
  sim_id                bigint REFERENCES inv_sim (id),
  directory_number      text REFERENCES inv_number (number),
  created_at            timestamptz NOT NULL DEFAULT now(),
  closed_at             timestamptz
);
CREATE UNIQUE INDEX inv_reservation_request_uq ON inv_reservation (request_ref) WHERE status = 'reserved';
CREATE UNIQUE INDEX inv_reservation_port_uq ON inv_reservation (port_id) WHERE status = 'reserved';
CREATE UNIQUE INDEX inv_reservation_ppair_uq ON inv_reservation (primary_pair_id) WHERE status = 'reserved';
CREATE UNIQUE INDEX inv_reservation_dpair_uq ON inv_reservation (distribution_pair_id) WHERE status = 'reserved';
CREATE UNIQUE INDEX inv_reservation_sim_uq ON inv_reservation (sim_id) WHERE status = 'reserved';
CREATE UNIQUE INDEX inv_reservation_number_uq ON inv_reservation (directory_number) WHERE status = 'reserved';

-- The subscriber technical file (seed: "fichier technique des abonnés"): the chain of resources
-- that makes each line. One live record per directory number; ceased records stay as history.
CREATE TABLE inv_line (
  id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  directory_number      text NOT NULL,
  kind                  text NOT NULL CHECK (kind IN ('fixed_wired', 'fixed_radio', 'mobile')),
  status                text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ceased')),
  request_ref           text,
  reservation_id        bigint REFERENCES inv_reservation (id),
  product_code          text NOT NULL,
  address               jsonb,
  port_id               bigint REFERENCES inv_port (id),
  primary_pair_id       bigint REFERENCES inv_pair (id),
  distribution_pair_id  bigint REFERENCES inv_pair (id),
  cp_id                 bigint REFERENCES inv_cp (id),
  base_station_id       bigint REFERENCES inv_base_station (id),
  sim_id                bigint REFERENCES inv_sim (id),
  created_at            timestamptz NOT NULL DEFAULT now(),
  ceased_at             timestamptz
);
CREATE UNIQUE INDEX inv_line_live_number_uq ON inv_line (directory_number) WHERE status = 'active';
CREATE INDEX inv_line_number_idx ON inv_line (directory_number, id DESC);

CREATE TABLE inv_line_history (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  line_id   bigint NOT NULL REFERENCES inv_line (id),
  change    text NOT NULL,
  detail    jsonb NOT NULL DEFAULT '{}'::jsonb,
  user_id   bigint,
  at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inv_line_history_idx ON inv_line_history (line_id, id);

-- A held request (seed: "suivi des instances"): why it is not feasible and which element or zone it
-- waits for, so that new capacity resumes exactly the requests it can serve, oldest first.
CREATE TABLE inv_pending (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_ref     text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('fixed_wired', 'fixed_radio', 'mobile')),
  product_code    text NOT NULL,
  address         jsonb,
  shop_code       text,
  locality        text NOT NULL DEFAULT '',
  district        text NOT NULL DEFAULT '',
  zone_key        text NOT NULL DEFAULT '',
  cause           text NOT NULL CHECK (cause IN ('saturation', 'unequipped_zone', 'missing_equipment')),
  element_type    text NOT NULL,
  element_code    text NOT NULL,
  detail          text NOT NULL,
  status          text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'resumed', 'cancelled')),
  attempts        integer NOT NULL DEFAULT 1,
  reservation_id  bigint REFERENCES inv_reservation (id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  closed_at       timestamptz
);
CREATE UNIQUE INDEX inv_pending_request_uq ON inv_pending (request_ref) WHERE status = 'waiting';
CREATE INDEX inv_pending_element_idx ON inv_pending (element_type, element_code, id) WHERE status = 'waiting';
CREATE INDEX inv_pending_zone_idx ON inv_pending (zone_key, id) WHERE status = 'waiting';
CREATE INDEX inv_pending_cause_idx ON inv_pending (cause, id) WHERE status = 'waiting';
