-- The line consultation lists a line's last complaints and rebates (ORDER BY id DESC LIMIT 20):
-- without these, each consultation scans both tables, which grow with every dispute.
CREATE INDEX asst_complaint_line_idx ON asst_complaint (line_id, id DESC) WHERE line_id IS NOT NULL;
CREATE INDEX asst_rebate_line_idx ON asst_rebate (line_id, id DESC) WHERE line_id IS NOT NULL;
