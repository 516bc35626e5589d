-- A refused order switching decides not to pursue (a line that does not exist, an order placed by
-- mistake): set aside with who, when and why, so that it leaves the refusals "to handle" without
-- being replayed. The refusal itself (status, element's message) stays as it was.
ALTER TABLE act_order
  ADD COLUMN dismissed_at timestamptz,
  ADD COLUMN dismissed_by text,
  ADD COLUMN dismiss_reason text;
