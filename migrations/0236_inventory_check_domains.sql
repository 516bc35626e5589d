-- Static CHECK constraints of the tables a study writes become domains (issue 4, study throughput).
-- PostgreSQL re-reads every CHECK constraint of a table from its stored text (stringToNode) in each
-- statement that writes the table, and evaluates all of them on every row — an UPDATE of `status`
-- pays for `shelf >= 0`. A fast-path study wrote 11 such constraints (port 3, pair 3, number 3,
-- reservation 2: ≈ 8 % of its instructions, callgrind). A domain's check is kept parsed in the
-- type cache and is evaluated only where a value of the column is assigned. Same rules, same
-- error class (check_violation); the two cross-column checks (a pair's kind vs its concentration
-- point, a number's quarantine vs its date) stay table constraints, and so does the reservation's
-- status: a domain column comes back from array_agg() as an array of the domain, whose type the
-- pg client does not know (it returned '{}' as a string in a test of the request steps). The
-- columns made domains here are not aggregated into arrays anywhere. The tables are rewritten once
-- (≈ 15 s on the 1 M-pair bench plant); clients see the base types (text, integer) as before.

CREATE DOMAIN inv_nonneg_int AS integer CHECK (VALUE >= 0);
CREATE DOMAIN inv_positive_int AS integer CHECK (VALUE >= 1);
CREATE DOMAIN inv_pair_kind AS text CHECK (VALUE IN ('primary', 'distribution'));
CREATE DOMAIN inv_directory_number AS text CHECK (VALUE ~ '^[0-9]{6,15}$');
CREATE DOMAIN inv_number_status AS text CHECK (VALUE IN ('free', 'reserved', 'assigned', 'quarantine'));
CREATE DOMAIN inv_reservation_kind AS text CHECK (VALUE IN ('fixed_wired', 'fixed_radio', 'mobile', 'number'));

ALTER TABLE inv_port DROP CONSTRAINT inv_port_shelf_check, DROP CONSTRAINT inv_port_card_check,
  DROP CONSTRAINT inv_port_port_check,
  ALTER COLUMN shelf TYPE inv_nonneg_int, ALTER COLUMN card TYPE inv_nonneg_int, ALTER COLUMN port TYPE inv_nonneg_int;
ALTER TABLE inv_pair DROP CONSTRAINT inv_pair_kind_check, DROP CONSTRAINT inv_pair_number_check,
  ALTER COLUMN kind TYPE inv_pair_kind, ALTER COLUMN number TYPE inv_positive_int;
-- The number's free-list triggers name `status` (column list, WHEN): dropped and made again as 0233 left them.
DROP TRIGGER inv_number_free_del ON inv_number;
DROP TRIGGER inv_number_free_upd ON inv_number;
ALTER TABLE inv_number DROP CONSTRAINT inv_number_number_check, DROP CONSTRAINT inv_number_status_check,
  ALTER COLUMN number TYPE inv_directory_number, ALTER COLUMN status TYPE inv_number_status;
CREATE TRIGGER inv_number_free_del BEFORE DELETE ON inv_number FOR EACH ROW
  WHEN (OLD.status IN ('free', 'quarantine') AND NOT OLD.golden) EXECUTE FUNCTION inv_number_free_upd();
CREATE TRIGGER inv_number_free_upd BEFORE UPDATE OF status, golden ON inv_number FOR EACH ROW
  WHEN (current_setting('inv.free_lists_kept', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION inv_number_free_upd();
ALTER TABLE inv_reservation DROP CONSTRAINT inv_reservation_kind_check, ALTER COLUMN kind TYPE inv_reservation_kind;
