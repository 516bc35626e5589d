-- osmo-hlr's VTY (telnet) port: the network audit lists the HLR's subscribers there, which CTRL
-- cannot do, to find those the records do not know. NULL: osmo-hlr's default, 4258.
ALTER TABLE act_element ADD COLUMN vty_port integer CHECK (vty_port BETWEEN 1 AND 65535);
-- what an audit could not look at (e.g. the HLR's listing unreachable): said beside its result
ALTER TABLE act_audit ADD COLUMN warning text;
