-- The temporary changes of access not yet reverted, by line: the network audit reads them for an
-- element as it starts, and for one line before it repairs that line's access (neither scans the
-- whole history of reverts).
CREATE INDEX act_revert_pending_line_idx ON act_revert (line_id) WHERE done_at IS NULL;
