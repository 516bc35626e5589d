-- Inventory, fixed plant (seed: "Gestion technique — infrastructure"): exchange sites, switches and
-- their line ports (equipment numbers), main distribution frames with vertical (line side) and
-- horizontal (equipment side) positions, sub-distribution frames (cabinets), concentration points,
-- cables and their pairs, cross-connects, radio base stations, and the zones they serve.

-- The five states every port and pair goes through. TM Forum's administrative / operational / usage
-- states are derived from it in the API (see inventory.states.ts).
CREATE DOMAIN inv_resource_status AS text
  CHECK (VALUE IN ('free', 'reserved', 'in_service', 'faulty', 'out_of_order'));

CREATE TABLE inv_site (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,30}$'),
  name        text NOT NULL,
  locality    text NOT NULL,
  district    text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE inv_switch (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,30}$'),
  site_id     bigint NOT NULL REFERENCES inv_site (id),
  name        text NOT NULL,
  model       text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE inv_mdf (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,30}$'),
  site_id     bigint NOT NULL REFERENCES inv_site (id),
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- A position on the MDF: the horizontal side carries the switch's line equipment, the vertical side
-- the primary cable pairs; a jumper (cross-connect) joins one of each to make a line.
CREATE TABLE inv_mdf_position (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  mdf_id    bigint NOT NULL REFERENCES inv_mdf (id),
  side      text NOT NULL CHECK (side IN ('vertical', 'horizontal')),
  position  text NOT NULL,
  UNIQUE (mdf_id, side, position)
);

-- A line port of a switch: its equipment number is what the switch knows the line by. Each port is
-- wired once and for all to a horizontal MDF position.
CREATE TABLE inv_port (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  switch_id         bigint NOT NULL REFERENCES inv_switch (id),
  site_id           bigint NOT NULL REFERENCES inv_site (id),
  equipment_number  text NOT NULL UNIQUE,
  shelf             integer NOT NULL CHECK (shelf >= 0),
  card              integer NOT NULL CHECK (card >= 0),
  port              integer NOT NULL CHECK (port >= 0),
  mdf_position_id   bigint UNIQUE REFERENCES inv_mdf_position (id),
  status            inv_resource_status NOT NULL DEFAULT 'free',
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (switch_id, shelf, card, port)
);
CREATE INDEX inv_port_free_idx ON inv_port (site_id, id) WHERE status = 'free';

CREATE TABLE inv_sdf (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,30}$'),
  site_id     bigint NOT NULL REFERENCES inv_site (id),
  name        text NOT NULL,
  locality    text NOT NULL,
  district    text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE inv_cp (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,30}$'),
  sdf_id      bigint NOT NULL REFERENCES inv_sdf (id),
  name        text NOT NULL,
  locality    text NOT NULL,
  district    text,
  street      text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Primary cables run MDF → cabinet, distribution cables cabinet → concentration point. The cable
-- head is the end at the MDF or cabinet; the lead (stub) is the pair range leaving it; a bundle groups
-- cables laid together.
CREATE TABLE inv_cable (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,40}$'),
  kind        text NOT NULL CHECK (kind IN ('primary', 'distribution')),
  bundle      text,
  mdf_id      bigint REFERENCES inv_mdf (id),
  sdf_id      bigint NOT NULL REFERENCES inv_sdf (id),
  cp_id       bigint REFERENCES inv_cp (id),
  head        text,
  lead        text,
  pair_count  integer NOT NULL CHECK (pair_count BETWEEN 1 AND 10000),
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'primary') = (mdf_id IS NOT NULL AND cp_id IS NULL)),
  CHECK ((kind = 'distribution') = (cp_id IS NOT NULL AND mdf_id IS NULL))
);

-- A copper pair. site/sdf/cp are copied from the cable so that a study finds a free pair with one
-- index probe; a primary pair ends on one vertical MDF position.
CREATE TABLE inv_pair (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  cable_id         bigint NOT NULL REFERENCES inv_cable (id),
  kind             text NOT NULL CHECK (kind IN ('primary', 'distribution')),
  number           integer NOT NULL CHECK (number >= 1),
  sdf_id           bigint NOT NULL REFERENCES inv_sdf (id),
  cp_id            bigint REFERENCES inv_cp (id),
  mdf_position_id  bigint UNIQUE REFERENCES inv_mdf_position (id),
  status           inv_resource_status NOT NULL DEFAULT 'free',
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (cable_id, number),
  CHECK ((kind = 'distribution') = (cp_id IS NOT NULL))
);
CREATE INDEX inv_pair_free_dist_idx ON inv_pair (cp_id, id) WHERE status = 'free' AND kind = 'distribution';
CREATE INDEX inv_pair_free_prim_idx ON inv_pair (sdf_id, id) WHERE status = 'free' AND kind = 'primary';
CREATE INDEX inv_pair_cp_idx ON inv_pair (cp_id) WHERE cp_id IS NOT NULL;

-- Cross-connects: the MDF jumper (horizontal position → vertical position) and the cabinet jumper
-- (primary pair → distribution pair). A live end is used by one cross-connect only.
CREATE TABLE inv_cross_connect (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('mdf_jumper', 'sdf_jumper')),
  from_id     bigint NOT NULL,
  to_id       bigint NOT NULL,
  line_id     bigint,
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'removed')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  removed_at  timestamptz
);
CREATE UNIQUE INDEX inv_cross_connect_from_uq ON inv_cross_connect (kind, from_id) WHERE status = 'active';
CREATE UNIQUE INDEX inv_cross_connect_to_uq ON inv_cross_connect (kind, to_id) WHERE status = 'active';

-- Radio (WLL) base stations serve fixed lines without copper: capacity in subscriber lines.
CREATE TABLE inv_base_station (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,30}$'),
  site_id     bigint NOT NULL REFERENCES inv_site (id),
  name        text NOT NULL,
  capacity    integer NOT NULL CHECK (capacity >= 0),
  used        integer NOT NULL DEFAULT 0 CHECK (used >= 0),
  status      inv_resource_status NOT NULL DEFAULT 'free',
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (used <= capacity)
);

-- Which concentration points or base stations serve an address: a row names a locality, and
-- optionally a district and a street within it (empty = the whole of the wider area). The most
-- specific rows that match an address win.
CREATE TABLE inv_serving_area (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  locality         text NOT NULL,
  district         text NOT NULL DEFAULT '',
  street           text NOT NULL DEFAULT '',
  cp_id            bigint REFERENCES inv_cp (id),
  base_station_id  bigint REFERENCES inv_base_station (id),
  locality_norm    text GENERATED ALWAYS AS (gpto_norm(locality)) STORED,
  district_norm    text GENERATED ALWAYS AS (coalesce(gpto_norm(district), '')) STORED,
  street_norm      text GENERATED ALWAYS AS (coalesce(gpto_norm(street), '')) STORED,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((cp_id IS NULL) <> (base_station_id IS NULL))
);
CREATE UNIQUE INDEX inv_serving_area_uq ON inv_serving_area
  (locality_norm, district_norm, street_norm, coalesce(cp_id, 0), coalesce(base_station_id, 0));

-- Status history of every port, pair and base station: what the fault process and the MDF read.
CREATE TABLE inv_resource_history (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  resource_type   text NOT NULL CHECK (resource_type IN ('port', 'pair', 'base_station', 'number', 'sim')),
  resource_id     text NOT NULL,
  from_status     text,
  to_status       text NOT NULL,
  reason          text,
  reservation_id  bigint,
  user_id         bigint,
  at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inv_resource_history_idx ON inv_resource_history (resource_type, resource_id, id DESC);
