-- Directory enquiries (issue #6): a number typed in the search box ("10", "49") is a street
-- number, a numbered street or a postal code, not the beginning of another number. Until now its
-- completions ("10" → 100…109, 1000, 10000) weighed 0.9 like a name's, so they counted as well
-- matched: "Abdoulaye Ndiaye 10" drew every Abdoulaye Ndiaye living at a number starting with 10
-- (949 listings on the benchmark's million, cut at 400 in no useful order) and ranked number 104
-- next to number 10. A number's completions now weigh 0.75: below the "well matched" line (0.85),
-- so they are tried only when the exact number leaves the page short, and still above a typo or a
-- fragment inside a word (0.7). Everything else is as in 0310.
CREATE OR REPLACE FUNCTION gpto_dir_expand_all(toks text[], phs text[], lim integer)
  RETURNS TABLE (i integer, term text, w real)
  LANGUAGE plpgsql STABLE PARALLEL SAFE
  SET pg_trgm.similarity_threshold = 0.2
AS $$
DECLARE
  tok text;
  ph text;
  prefix_w real;
BEGIN
  FOR k IN 1 .. coalesce(cardinality(toks), 0) LOOP
    tok := toks[k];
    ph := phs[k];
    prefix_w := CASE WHEN tok ~ '^[0-9]+$' THEN 0.75 ELSE 0.9 END;
    RETURN QUERY
    SELECT k, x.term, max(x.w)::real FROM (
      SELECT d.term, 1.0 AS w FROM directory_term d WHERE d.term = tok
      UNION ALL
      SELECT d.term, prefix_w FROM directory_term d WHERE length(tok) >= 2 AND d.term LIKE tok || '%'
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
