-- What makes a cached principal stale: a token revoked or expired early, a password changed, a user
-- disabled, a role given or taken, a role's rights changed. Each app process keeps principals in a
-- short cache (platform/auth/auth.service.ts) and reads this table at most once a second for the
-- users changed since, so a logout or a password reset on one node (or by the CLI) is seen by
-- every node within about a second instead of the cache's TTL. One row per user (user_id 0: every
-- user, for a role's rights): it never grows beyond the number of users.
CREATE TABLE auth_change (
  user_id     bigint PRIMARY KEY,
  changed_at  timestamptz NOT NULL
);
CREATE INDEX auth_change_at_idx ON auth_change (changed_at);

CREATE FUNCTION auth_changed(uid bigint) RETURNS void LANGUAGE sql AS $$
  INSERT INTO auth_change (user_id, changed_at) VALUES (uid, clock_timestamp())
  ON CONFLICT (user_id) DO UPDATE SET changed_at = excluded.changed_at
$$;

CREATE FUNCTION auth_change_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'role' THEN
    PERFORM auth_changed(0);
  ELSIF TG_TABLE_NAME = 'app_user' THEN
    PERFORM auth_changed(NEW.id);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM auth_changed(OLD.user_id);
  ELSE
    PERFORM auth_changed(NEW.user_id);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER auth_change AFTER UPDATE OF revoked_at, expires_at ON auth_token
  FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at)
  EXECUTE FUNCTION auth_change_trigger();
CREATE TRIGGER auth_change AFTER UPDATE OF password_hash, active, username, display_name ON app_user
  FOR EACH ROW WHEN (OLD.password_hash IS DISTINCT FROM NEW.password_hash OR OLD.active IS DISTINCT FROM NEW.active
    OR OLD.username IS DISTINCT FROM NEW.username OR OLD.display_name IS DISTINCT FROM NEW.display_name)
  EXECUTE FUNCTION auth_change_trigger();
CREATE TRIGGER auth_change AFTER INSERT OR UPDATE OR DELETE ON user_role
  FOR EACH ROW EXECUTE FUNCTION auth_change_trigger();
CREATE TRIGGER auth_change AFTER INSERT OR UPDATE OR DELETE ON user_actor
  FOR EACH ROW EXECUTE FUNCTION auth_change_trigger();
CREATE TRIGGER auth_change AFTER UPDATE OR DELETE ON role
  FOR EACH ROW EXECUTE FUNCTION auth_change_trigger();
