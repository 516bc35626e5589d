-- Directory enquiries after writes (issue #6). A GIN index first appends new entries to a "pending
-- list" (4 MB by default) that every search then reads through in full, until the list is merged
-- into the index. Measured on 1 M listings: a full pending list (20,000 listings inserted) took the
-- candidate query from 0.3 to 5.7 ms of server CPU per search — more than all the rest of a search.
-- 256 kB bounds that to ~32 pages (a few tenths of a ms) at the price of slower bulk writes (pending
-- lists merged 16 times as often: inserting 20,000 listings took 2.3× as long, ~1,200 a second).
ALTER INDEX directory_listing_keys_gin SET (gin_pending_list_limit = 256);
ALTER INDEX directory_listing_fterms_gin SET (gin_pending_list_limit = 256);
