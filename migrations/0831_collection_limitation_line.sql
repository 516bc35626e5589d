-- One line's limitation for unpaid bills (billing's lineLimitations(db, dn)) is read by the line
-- consultation, by a restoration step and by the network audit before it repairs a line: without
-- this index each read walked every running limitation request (wf_instance_running_idx holds them
-- by scenario only). Partial on the limitation scenario, so no other request's instance pays for it.
CREATE INDEX wf_instance_limitation_line_idx ON wf_instance (line_id)
  WHERE status = 'running' AND scenario_code = 'collection_limitation';
