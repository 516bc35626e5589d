-- Directory enquiries (issue #6): each app process keeps the expansions of the words it was asked
-- for (gpto_dir_expand_all: same word, prefixes, sound-alikes, typos, fragments), so that most
-- searches are one statement instead of two. An expansion can only change when the dictionary
-- (directory_term, insert-only) gains a word; this counter says when. The search reads it in the
-- same statement (same snapshot) as the listings it finds, and drops its cache when it moved.
--
-- The counter moves at commit (a deferred trigger, once per transaction that added words), in the
-- same transaction as the words: a snapshot that sees generation g sees every word added up to g.
-- Taking the row lock at commit only (not in the statement that added the words) keeps two
-- transactions adding words in several statements from deadlocking on it.
CREATE TABLE directory_term_gen (
  id  boolean PRIMARY KEY DEFAULT true CHECK (id),
  gen bigint NOT NULL DEFAULT 1
);
INSERT INTO directory_term_gen DEFAULT VALUES;

CREATE FUNCTION directory_term_gen_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('gpto.dir_term_gen_bumped', true) IS DISTINCT FROM txid_current()::text THEN
    PERFORM set_config('gpto.dir_term_gen_bumped', txid_current()::text, true);
    UPDATE directory_term_gen SET gen = gen + 1;
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER directory_term_gen_bump AFTER INSERT ON directory_term
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION directory_term_gen_bump();
