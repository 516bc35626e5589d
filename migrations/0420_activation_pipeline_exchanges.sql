-- Activation, issue #5 continued:
-- * pipeline: operations in flight at once on one connection to the element (both CTRL and the MML
--   protocol correlate replies, so commands of different lines may overlap on a connection);
-- * exchanges: the inventory's switches (inv_switch.code, the exchanges) a switch element drives —
--   a fixed line's orders go to the element of its exchange, the default element otherwise;
-- * checkpoint: what an operation in several steps recorded before its destructive step (the line
--   a relocation deletes and re-creates), so a re-run after a crash converges instead of failing.
ALTER TABLE act_element
  ADD COLUMN pipeline integer NOT NULL DEFAULT 4 CHECK (pipeline BETWEEN 1 AND 64),
  ADD COLUMN exchanges text[] NOT NULL DEFAULT '{}';

CREATE INDEX act_element_exchanges_idx ON act_element USING gin (exchanges);

ALTER TABLE act_order ADD COLUMN checkpoint jsonb;
