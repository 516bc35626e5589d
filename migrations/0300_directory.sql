-- Directory: listings (separate from subscriptions), the tree of headings of the professional
-- listing, the enquiry search structures and the French phonetic key (seed: "Annuaire et
-- renseignements téléphoniques").

-- The search normal form of the directory: like gpto_norm, but apostrophes are dropped instead of
-- spaced, so "N'Diaye" and "Ndiaye", "M'Baye" and "Mbaye" give the same word. Same rules as
-- dirNorm() in src/modules/directory/phonetic.ts.
CREATE FUNCTION gpto_dir_norm(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN btrim(regexp_replace(regexp_replace(lower(gpto_unaccent($1)), '[''’`ʼ]', '', 'g'), '[^a-z0-9]+', ' ', 'g'));

-- A simplified French phonetic key (in the spirit of Phonex / Soundex-FR) for one normalised word,
-- so that names spelt as they sound still meet: Gaye / Guèye, Faye / Fay, Mbaye / M'Baye,
-- Cissé / Sissé, Wade / Ouade. Every rule is a regular expression so the TypeScript twin
-- (phonexFr() in src/modules/directory/phonetic.ts) is the same list; a test compares them.
CREATE FUNCTION gpto_phonex_fr(word text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $$
DECLARE
  s text := word;
BEGIN
  IF s ~ '[0-9]' OR s = '' THEN
    RETURN s;
  END IF;
  s := replace(s, 'y', 'i');
  s := regexp_replace(s, 'ph', 'F', 'g');
  s := regexp_replace(s, 'sch|sh|ch', 'X', 'g');
  s := regexp_replace(s, 'gu([ei])', 'G\1', 'g');
  s := regexp_replace(s, 'g([ei])', 'J\1', 'g');
  s := regexp_replace(s, 'gn', 'NI', 'g');
  s := regexp_replace(s, 'c([ei])', 'S\1', 'g');
  s := regexp_replace(s, 'ck|qu|q|c|k', 'K', 'g');
  s := regexp_replace(s, 'th', 'T', 'g');
  s := regexp_replace(s, 'x', 'KS', 'g');
  s := regexp_replace(s, 'w', 'U', 'g');
  s := regexp_replace(s, 'z', 'S', 'g');
  s := regexp_replace(s, 'h', '', 'g');
  -- "en"/"em" before a consonant sound like "an": Mendy / Mandy
  s := regexp_replace(s, 'e([nm])([^aeiou]|$)', 'a\1\2', 'g');
  -- a final e after a consonant is silent: Kane / Kan
  s := regexp_replace(s, '([^aeiou])e$', '\1');
  s := regexp_replace(s, 'eau|au', 'O', 'g');
  s := regexp_replace(s, 'ou', 'U', 'g');
  s := regexp_replace(s, 'oi', 'UA', 'g');
  -- ai, ei, aie, eie (y already became i) all sound like "è": Faye / Fay, Gaye / Guèye
  s := regexp_replace(s, '[ae]i+e?', 'E', 'g');
  s := upper(s);
  s := regexp_replace(s, '(.)\1+', '\1', 'g');
  RETURN s;
END $$;

-- The words of one field of a listing.
CREATE FUNCTION gpto_dir_words(text) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN array_remove(string_to_array(coalesce(gpto_dir_norm($1), ''), ' '), '');

-- Every word of a listing prefixed by the field it comes from (n: last name, f: first names,
-- t: title, k: nickname, c: company or trade name, h: heading, s: street and number, l: locality
-- and postal code). One GIN index over this array answers both the single search box (any field)
-- and the per-field boxes (one prefix).
CREATE FUNCTION gpto_dir_fterms(ln text, fn text, ti text, nk text, co text, hd text,
                                sn text, st text, lo text, pc text) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ARRAY(
    SELECT DISTINCT v.p || ':' || w
    FROM (VALUES ('n', ln), ('f', fn), ('t', ti), ('k', nk), ('c', co), ('h', hd),
                 ('s', sn), ('s', st), ('l', lo), ('l', pc)) AS v(p, txt),
         unnest(gpto_dir_words(v.txt)) AS w
    ORDER BY 1);

-- Headings of the professional listing, a tree ("Santé > Pharmacies"). `path` is the full label
-- path, unique, and is how imports name a heading.
CREATE TABLE directory_heading (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  parent_id  bigint REFERENCES directory_heading (id),
  label      text NOT NULL CHECK (length(label) BETWEEN 1 AND 120 AND label !~ '>'),
  path       text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE NULLS NOT DISTINCT (parent_id, label)
);

CREATE SEQUENCE directory_listing_code_seq START 1;

-- A listing is what a directory prints for a line: separate from the subscription, because one line
-- may appear in several directories, or several times in one under different names (the shop and
-- its owner). Unlisted (red list) listings are kept so the operator knows the subscriber refused
-- publication; enquiries never return them.
CREATE TABLE directory_listing (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code               text NOT NULL UNIQUE DEFAULT 'A' || lpad(nextval('directory_listing_code_seq')::text, 9, '0'),
  directory          text NOT NULL CHECK (directory IN ('alphabetical', 'professional', 'technical')),
  subscription_id    bigint REFERENCES subscription (id),
  customer_id        bigint REFERENCES customer (id),
  title              text CHECK (length(title) <= 40),
  last_name          text CHECK (length(last_name) <= 200),
  first_names        text CHECK (length(first_names) <= 200),
  nickname           text CHECK (length(nickname) <= 100),
  company            text CHECK (length(company) <= 200),
  heading_id         bigint REFERENCES directory_heading (id),
  -- the heading's path, copied so the search index needs no join (kept in step on rename)
  heading_path       text,
  street_number      text CHECK (length(street_number) <= 20),
  street             text CHECK (length(street) <= 200),
  locality           text CHECK (length(locality) <= 100),
  postal_code        text CHECK (length(postal_code) <= 20),
  numbers            text[] NOT NULL CHECK (cardinality(numbers) BETWEEN 1 AND 5),
  unlisted           boolean NOT NULL DEFAULT false,
  no_marketing       boolean NOT NULL DEFAULT false,
  no_reverse_search  boolean NOT NULL DEFAULT false,
  source             text NOT NULL DEFAULT 'agent' CHECK (source IN ('agent', 'import', 'demo', 'workflow')),
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  version            integer NOT NULL DEFAULT 1,
  primary_number     text GENERATED ALWAYS AS (numbers[1]) STORED,
  name_key           text GENERATED ALWAYS AS (
                       coalesce(gpto_dir_norm(last_name), '') || '|' || coalesce(gpto_dir_norm(first_names), '') || '|' ||
                       coalesce(gpto_dir_norm(company), '')) STORED,
  fterms             text[] GENERATED ALWAYS AS (gpto_dir_fterms(last_name, first_names, title, nickname, company,
                       heading_path, street_number, street, locality, postal_code)) STORED,
  CHECK (last_name IS NOT NULL OR company IS NOT NULL),
  CHECK (directory <> 'professional' OR heading_id IS NOT NULL),
  CHECK (numbers <> '{}' AND array_position(numbers, NULL) IS NULL)
);
-- The natural key imports are idempotent on: one name, one number, one directory.
CREATE UNIQUE INDEX directory_listing_natural_key ON directory_listing (directory, primary_number, name_key);
-- Partial indexes: unlisted listings are not even in the structures enquiries search.
CREATE INDEX directory_listing_fterms_gin ON directory_listing USING gin (fterms) WHERE NOT unlisted;
CREATE INDEX directory_listing_numbers_gin ON directory_listing USING gin (numbers)
  WHERE NOT unlisted AND NOT no_reverse_search;
CREATE INDEX directory_listing_subscription_idx ON directory_listing (subscription_id) WHERE subscription_id IS NOT NULL;
CREATE INDEX directory_listing_customer_idx ON directory_listing (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX directory_listing_edition_idx ON directory_listing (directory, locality) WHERE NOT unlisted;
CREATE INDEX directory_listing_heading_idx ON directory_listing (heading_id) WHERE heading_id IS NOT NULL;

-- Distinct words of all listings with their phonetic key: fragments, typos and sound-alikes are
-- looked up here (tens of thousands of rows) and then the listings by exact word (GIN), instead of
-- running trigram similarity over millions of listing rows. Words are never deleted: a stale word
-- only expands to no listing.
CREATE TABLE directory_term (
  term  text PRIMARY KEY,
  phon  text GENERATED ALWAYS AS (gpto_phonex_fr(term)) STORED
);
CREATE INDEX directory_term_trgm ON directory_term USING gin (term gin_trgm_ops);
CREATE INDEX directory_term_phon ON directory_term (phon);

CREATE FUNCTION directory_listing_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO directory_term (term)
  SELECT DISTINCT split_part(ft, ':', 2) FROM new_rows, unnest(new_rows.fterms) AS ft
  ORDER BY 1
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER directory_listing_terms_ins AFTER INSERT ON directory_listing
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION directory_listing_terms();
CREATE TRIGGER directory_listing_terms_upd AFTER UPDATE ON directory_listing
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION directory_listing_terms();

-- The words of the dictionary close to one typed word, with a closeness weight: the same word (1),
-- a word it begins (0.9), a word that sounds the same (0.85), one or two wrong letters (0.8 minus
-- 0.1 per edit), a word containing it (0.7). The SET clause lowers the trigram threshold for this
-- function only, so short names with one wrong letter still reach the levenshtein check.
CREATE FUNCTION gpto_dir_expand(tok text, ph text, lim integer) RETURNS TABLE (term text, w real)
  LANGUAGE sql STABLE PARALLEL SAFE
  SET pg_trgm.similarity_threshold = 0.2
AS $$
  SELECT x.term, max(x.w)::real AS w FROM (
    SELECT d.term, 1.0 AS w FROM directory_term d WHERE d.term = tok
    UNION ALL
    SELECT d.term, 0.9 FROM directory_term d WHERE length(tok) >= 2 AND d.term LIKE tok || '%'
    UNION ALL
    SELECT d.term, 0.85 FROM directory_term d WHERE length(tok) >= 2 AND d.phon = ph
    UNION ALL
    SELECT d.term, 0.8 - 0.1 * levenshtein(d.term, tok) FROM directory_term d
      WHERE length(tok) >= 4 AND d.term % tok
        AND levenshtein(d.term, tok) <= CASE WHEN length(tok) <= 5 THEN 1 ELSE 2 END
    UNION ALL
    SELECT d.term, 0.7 FROM directory_term d WHERE length(tok) >= 3 AND d.term LIKE '%' || tok || '%'
  ) x
  GROUP BY x.term
  ORDER BY max(x.w) DESC, length(x.term), x.term
  LIMIT lim
$$;
