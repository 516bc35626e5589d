-- Directory enquiries on common names (issue #6). A few hundred surnames, first names, localities and
-- street words cover most of a national directory: "Moussa Diop Dakar" is 51 k × 107 k × 190 k
-- postings in the word index, and PostgreSQL's GIN decodes nearly every page of the three lists to
-- intersect them (7–10 ms on 1 M listings) even though only ~1,500 listings have all three. The
-- index below also holds every PAIR of words of a listing ("diop moussa", "dakar moussa"): the
-- pair lists are ten to a hundred times shorter, so two typed words are one short list.
--
-- Keys of one listing: its distinct words (any field), then every pair "a b" of two different
-- words with a < b (byte order: the directory normal form is plain ASCII). The field of a word is
-- not in the key: the search box matches any field; the per-field boxes still use fterms.
CREATE FUNCTION gpto_dir_keys(fterms text[]) RETURNS text[]
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $$
DECLARE
  w text[];
  k text[];
  n integer;
BEGIN
  SELECT array_agg(DISTINCT split_part(ft, ':', 2) COLLATE "C" ORDER BY split_part(ft, ':', 2) COLLATE "C")
    INTO w FROM unnest(fterms) AS ft;
  n := coalesce(cardinality(w), 0);
  k := coalesce(w, '{}');
  FOR i IN 1 .. n - 1 LOOP
    FOR j IN i + 1 .. n LOOP
      k := k || (w[i] || ' ' || w[j]);
    END LOOP;
  END LOOP;
  RETURN k;
END $$;

-- Partial like the word index: the red list is not in the structures enquiries search.
CREATE INDEX directory_listing_keys_gin ON directory_listing USING gin (gpto_dir_keys(fterms)) WHERE NOT unlisted;

-- All the typed words of one search expanded in one call (see gpto_dir_expand in 0301 for the
-- weights). PL/pgSQL keeps the plan of each branch for the life of the connection, where the SQL
-- function was planned again for every word of every search (about half its cost).
CREATE FUNCTION gpto_dir_expand_all(toks text[], phs text[], lim integer)
  RETURNS TABLE (i integer, term text, w real)
  LANGUAGE plpgsql STABLE PARALLEL SAFE
  SET pg_trgm.similarity_threshold = 0.2
AS $$
DECLARE
  tok text;
  ph text;
BEGIN
  FOR k IN 1 .. coalesce(cardinality(toks), 0) LOOP
    tok := toks[k];
    ph := phs[k];
    RETURN QUERY
    SELECT k, x.term, max(x.w)::real FROM (
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
      SELECT d.term, 0.8 - 0.1 * levenshtein(d.term, tok) FROM directory_term d
        WHERE length(tok) >= 4 AND left(d.term, 1) = left(tok, 1)
          AND length(d.term) BETWEEN length(tok) - 2 AND length(tok) + 2
          AND levenshtein(d.term, tok) <= CASE WHEN length(tok) <= 5 THEN 1 ELSE 2 END
      UNION ALL
      SELECT d.term, 0.7 FROM directory_term d WHERE length(tok) >= 3 AND d.term LIKE '%' || tok || '%'
    ) x
    GROUP BY x.term
    ORDER BY max(x.w) DESC, length(x.term), x.term
    LIMIT lim;
  END LOOP;
END $$;
