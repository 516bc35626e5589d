-- Directory enquiries (issue #6): each app process holds the whole dictionary (directory_term) and
-- expands typed words itself (src/modules/directory/dictionary.ts). When the dictionary grows
-- (directory_term_gen.gen moves) the process reads only the words it may not have seen: those
-- added by a transaction its last read's snapshot did not see, i.e. whose transaction id is at least
-- that snapshot's xmin (every transaction in progress or started after a snapshot has an id ≥ its
-- xmin). Reading 50,000 words again at every change cost a process 0.5–1 s.
ALTER TABLE directory_term ADD COLUMN added_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX directory_term_added_xid ON directory_term (added_xid);
