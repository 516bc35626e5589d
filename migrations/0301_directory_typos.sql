-- Directory search: two wrong letters in a short word leave too few shared trigrams for the trigram
-- branch of gpto_dir_expand (e.g. "ndiaye" typed "nxiaqe"). A second branch checks the edit distance
-- directly on the words that start with the same letter and have about the same length: people
-- rarely get the first letter wrong, and that slice of the dictionary is a few hundred words.
CREATE INDEX directory_term_first_len ON directory_term (left(term, 1), length(term));

CREATE OR REPLACE FUNCTION gpto_dir_expand(tok text, ph text, lim integer) RETURNS TABLE (term text, w real)
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
    SELECT d.term, 0.8 - 0.1 * levenshtein(d.term, tok) FROM directory_term d
      WHERE length(tok) >= 4 AND left(d.term, 1) = left(tok, 1)
        AND length(d.term) BETWEEN length(tok) - 2 AND length(tok) + 2
        AND levenshtein(d.term, tok) <= CASE WHEN length(tok) <= 5 THEN 1 ELSE 2 END
    UNION ALL
    SELECT d.term, 0.7 FROM directory_term d WHERE length(tok) >= 3 AND d.term LIKE '%' || tok || '%'
  ) x
  GROUP BY x.term
  ORDER BY max(x.w) DESC, length(x.term), x.term
  LIMIT lim
$$;
