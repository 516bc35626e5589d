-- Name search by words. A fragment typed by an agent ("transports", "sawadogo", "coul") matches a
-- few distinct words of the customers' normalised names, but each of those words thousands of
-- customers. On the trigram index of customer_search every match had to be rechecked on its heap
-- row (a common surname: 6,000–8,000 matches spread over ~4,400 of customer_search's pages, 40–80
-- ms) before the page of the first 21 ids could be taken. Here:
--   search_word    the distinct words (a few hundred in the demo, some 10^5 for a real operator),
--                  trigram-indexed: a fragment resolves to its words in a fraction of a ms;
--   customer_word  (word, customer_id), one row per word of a customer's search_name: a word's
--                  customers in id order are an index-only range, so the page of a common word
--                  costs ~21 index entries instead of every match's heap row.
-- A customer matches the fragment word w exactly when one of its words contains w (search_name is
-- words over [a-z0-9@.] separated by single spaces, and a fragment word has no space), so the
-- results are those of `search_name LIKE '%w%'`.
CREATE TABLE search_word (
  word  text PRIMARY KEY
);
CREATE TABLE customer_word (
  word         text NOT NULL,
  customer_id  bigint NOT NULL
);
INSERT INTO customer_word (word, customer_id)
SELECT DISTINCT w, s.customer_id FROM customer_search s, string_to_table(s.search_name, ' ') AS w WHERE w <> '';
ALTER TABLE customer_word ADD PRIMARY KEY (word, customer_id);
INSERT INTO search_word (word) SELECT DISTINCT word FROM customer_word;
CREATE INDEX search_word_trgm ON search_word USING gin (word gin_trgm_ops);

-- Kept in step with customer_search, statement by statement (set-based: the demo load inserts
-- 10,000 rows per statement). ENABLE ALWAYS: they fire even under session_replication_role =
-- replica, which the demo bulk load uses to skip foreign-key checks (it fills customer_search
-- itself and these then fill the words). New words are inserted in word order, so two
-- transactions adding the same new words cannot deadlock; a word is never removed from
-- search_word (a stale one has no customer_word rows and finds nothing).
CREATE FUNCTION customer_word_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_word (word)
  SELECT DISTINCT w FROM new_rows n, string_to_table(n.search_name, ' ') AS w WHERE w <> '' ORDER BY 1
  ON CONFLICT (word) DO NOTHING;
  INSERT INTO customer_word (word, customer_id)
  SELECT DISTINCT w, n.customer_id FROM new_rows n, string_to_table(n.search_name, ' ') AS w WHERE w <> ''
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

CREATE FUNCTION customer_word_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM customer_word cw
  USING (SELECT w, o.customer_id FROM old_rows o, string_to_table(o.search_name, ' ') AS w
         EXCEPT
         SELECT w, n.customer_id FROM new_rows n, string_to_table(n.search_name, ' ') AS w) gone
  WHERE cw.word = gone.w AND cw.customer_id = gone.customer_id;
  INSERT INTO search_word (word)
  SELECT DISTINCT w FROM new_rows n, string_to_table(n.search_name, ' ') AS w WHERE w <> '' ORDER BY 1
  ON CONFLICT (word) DO NOTHING;
  INSERT INTO customer_word (word, customer_id)
  SELECT DISTINCT w, n.customer_id FROM new_rows n, string_to_table(n.search_name, ' ') AS w WHERE w <> ''
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

CREATE FUNCTION customer_word_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM customer_word cw USING old_rows o WHERE cw.customer_id = o.customer_id
    AND cw.word = ANY (string_to_array(o.search_name, ' '));
  RETURN NULL;
END $$;

CREATE TRIGGER customer_word_insert AFTER INSERT ON customer_search
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_word_inserted();
CREATE TRIGGER customer_word_update AFTER UPDATE ON customer_search
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_word_updated();
CREATE TRIGGER customer_word_delete AFTER DELETE ON customer_search
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_word_deleted();
ALTER TABLE customer_search ENABLE ALWAYS TRIGGER customer_word_insert;
ALTER TABLE customer_search ENABLE ALWAYS TRIGGER customer_word_update;
ALTER TABLE customer_search ENABLE ALWAYS TRIGGER customer_word_delete;
