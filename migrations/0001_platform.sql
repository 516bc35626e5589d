-- Platform: text normalisation for search, the append-only event table, users, roles, rights, actors.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

-- unaccent() is only STABLE (it reads a dictionary); pinning the dictionary makes this wrapper safe
-- to declare IMMUTABLE so it can feed generated columns and indexes.
CREATE FUNCTION gpto_unaccent(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN public.unaccent('public.unaccent'::regdictionary, $1);

-- The one normal form every search compares: lower case, no accents, apostrophes dropped so that
-- "N'Diaye" and "Ndiaye" or "M'Baye" and "Mbaye" meet, any other punctuation as a single space.
CREATE FUNCTION gpto_norm(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN btrim(regexp_replace(regexp_replace(lower(gpto_unaccent($1)), '[''’`]', '', 'g'), '[^a-z0-9@.]+', ' ', 'g'));

-- Every state change of every module lands here in the same transaction as the change itself:
-- the customer's and the line's timelines, the audit trail and the outbox for webhooks.
CREATE TABLE event (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at  timestamptz NOT NULL DEFAULT now(),
  entity_type  text NOT NULL,
  entity_id    text NOT NULL,
  customer_id  bigint,
  line_id      text,
  kind         text NOT NULL,
  actor        text,
  user_id      bigint,
  payload      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX event_customer_idx ON event (customer_id, id DESC) WHERE customer_id IS NOT NULL;
CREATE INDEX event_entity_idx ON event (entity_type, entity_id, id DESC);
CREATE INDEX event_line_idx ON event (line_id, id DESC) WHERE line_id IS NOT NULL;

-- Events are facts: no update, no delete.
CREATE FUNCTION event_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'event is append-only';
END $$;
CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event
  FOR EACH ROW EXECUTE FUNCTION event_is_append_only();

-- Actors are the operator's services (commercial, finance, switching…) and its automata.
CREATE TABLE actor (
  code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,40}$'),
  name        text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('human', 'automatic')),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE role (
  code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,40}$'),
  name        text NOT NULL,
  rights      text[] NOT NULL DEFAULT '{}'
);

CREATE TABLE app_user (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username       text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,40}$'),
  display_name   text NOT NULL,
  password_hash  text,
  active         boolean NOT NULL DEFAULT true,
  zone           text,
  skills         text[] NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_role (
  user_id    bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
  role_code  text NOT NULL REFERENCES role (code),
  PRIMARY KEY (user_id, role_code)
);

CREATE TABLE user_actor (
  user_id     bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
  actor_code  text NOT NULL REFERENCES actor (code),
  PRIMARY KEY (user_id, actor_code)
);

-- Login sessions and long-lived integration tokens; only a SHA-256 of the token is stored.
CREATE TABLE auth_token (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('session', 'api')),
  name        text,
  token_hash  bytea NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz,
  revoked_at  timestamptz
);
CREATE INDEX auth_token_user_idx ON auth_token (user_id);

-- Settings that must survive restarts (e.g. whether the demo operator was loaded).
CREATE TABLE setting (
  key    text PRIMARY KEY,
  value  jsonb NOT NULL
);
