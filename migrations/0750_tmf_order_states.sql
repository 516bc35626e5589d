-- TMF622 / TMF641 state changes as journal rows, so that the hub notifies them.
--
-- A TMF622 productOrder's state is derived from its service request and the request's open tasks
-- (acknowledged, pending, held, inProgress, completed, cancelled, rejected). The workflow changes
-- tasks many times per state (task churn); listeners want one ProductOrderStateChangeEvent per real
-- change. So the derivation lives here, once (tmf_product_order_state, also used by the facade's
-- reads and `state=` filters), and a deferred trigger compares, at commit, the order's state with
-- the last one noted (tmf_order_state): only when it differs does it write a
-- `request.tmf_state_changed` row {from, to} to the event journal, in the same transaction.
--
-- Deferred (at commit): a transaction that completes one task and creates the next goes through
-- intermediate states no one can see; only its net change is noted. The state row is locked before
-- the state is read (a fresh snapshot in READ COMMITTED), so two transactions changing the same
-- order note their changes in commit order, and their journal rows are in that order.

-- The request's workflow instance (the facade joins on it; the trigger below looks it up).
CREATE INDEX IF NOT EXISTS wf_instance_subject_idx ON wf_instance (subject_type, subject_id);

-- The states of product-ordering.ts: customer steps = CUSTOMER_STEPS, the capacity hold's
-- resume event = PENDING_RESUMED ('inventory.pending_resumed'). Change both together.
CREATE FUNCTION tmf_product_order_state(request_status text, instance_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE $1
    WHEN 'completed' THEN 'completed'
    WHEN 'cancelled' THEN 'cancelled'
    WHEN 'rejected' THEN 'rejected'
    ELSE CASE
      WHEN EXISTS (SELECT 1 FROM wf_task t WHERE t.instance_id = $2 AND t.status = 'held'
                   AND t.resume_event = 'inventory.pending_resumed') THEN 'held'
      WHEN NOT EXISTS (SELECT 1 FROM wf_task t WHERE t.instance_id = $2 AND t.status = 'done') THEN 'acknowledged'
      WHEN EXISTS (SELECT 1 FROM wf_task t WHERE t.instance_id = $2 AND t.status IN ('ready', 'claimed')
                   AND t.kind = 'human'
                   AND t.node = ANY ('{quote_acceptance,deposit,payment,choose_number}'::text[]))
       AND NOT EXISTS (SELECT 1 FROM wf_task t WHERE t.instance_id = $2
                   AND t.status IN ('ready', 'claimed', 'waiting', 'held')
                   AND NOT (t.kind = 'human'
                            AND t.node = ANY ('{quote_acceptance,deposit,payment,choose_number}'::text[]))) THEN 'pending'
      ELSE 'inProgress'
    END
  END
$$;

-- The last state noted per order (the first one silently: the order's CreateEvent carries it).
CREATE TABLE tmf_order_state (
  request_id  bigint PRIMARY KEY REFERENCES service_request (id),
  state       text NOT NULL,
  changed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION tmf_note_order_state(p_request bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  prev text;
  cur text;
  req record;
  noted text := coalesce(current_setting('gpto.tmf_orders_noted', true), '');
BEGIN
  -- every deferred call of one commit sees the same final state: the first one per order is enough
  IF position(',' || p_request || ',' IN noted) > 0 THEN
    RETURN;
  END IF;
  PERFORM set_config('gpto.tmf_orders_noted', noted || ',' || p_request || ',', true);
  SELECT s.state INTO prev FROM tmf_order_state s WHERE s.request_id = p_request FOR UPDATE;
  -- read after the lock: this statement's snapshot sees what a concurrent change committed
  SELECT r.status, r.number, r.customer_id, r.line_id, i.id AS instance_id INTO req
    FROM service_request r
    LEFT JOIN wf_instance i ON i.subject_type = 'service_request' AND i.subject_id = r.id::text
   WHERE r.id = p_request;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  cur := tmf_product_order_state(req.status, req.instance_id);
  IF prev IS NULL THEN
    INSERT INTO tmf_order_state (request_id, state) VALUES (p_request, cur)
      ON CONFLICT (request_id) DO NOTHING;
  ELSIF cur <> prev THEN
    UPDATE tmf_order_state SET state = cur, changed_at = now() WHERE request_id = p_request;
    INSERT INTO event (entity_type, entity_id, customer_id, line_id, kind, payload)
    VALUES ('service_request', p_request::text, req.customer_id, req.line_id, 'request.tmf_state_changed',
            jsonb_build_object('number', req.number, 'from', prev, 'to', cur));
  END IF;
END $$;

CREATE FUNCTION tmf_wf_task_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  subject text;
BEGIN
  SELECT i.subject_id INTO subject FROM wf_instance i
   WHERE i.id = NEW.instance_id AND i.subject_type = 'service_request';
  IF FOUND THEN
    PERFORM tmf_note_order_state(subject::bigint);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION tmf_service_request_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tmf_note_order_state(NEW.id);
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER tmf_order_state_task_created AFTER INSERT ON wf_task
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION tmf_wf_task_changed();
CREATE CONSTRAINT TRIGGER tmf_order_state_task_changed AFTER UPDATE OF status ON wf_task
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION tmf_wf_task_changed();
CREATE CONSTRAINT TRIGGER tmf_order_state_request_changed AFTER UPDATE OF status ON service_request
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION tmf_service_request_changed();

-- Open orders start from their current state.
INSERT INTO tmf_order_state (request_id, state)
SELECT r.id, tmf_product_order_state(r.status, i.id)
  FROM service_request r
  LEFT JOIN wf_instance i ON i.subject_type = 'service_request' AND i.subject_id = r.id::text
 WHERE r.status = 'open';

-- TMF641: a serviceOrder (activation order) goes acknowledged → inProgress when the automaton
-- claims it. The automaton writes no journal row then; this one does, under the order's row lock
-- (the claim's UPDATE), so the hub can publish ServiceOrderStateChangeEvent. A re-claim after a
-- lease ran out (running → running) is not a change.
CREATE FUNCTION tmf_act_order_started() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO event (entity_type, entity_id, customer_id, line_id, kind, payload)
  VALUES ('activation_order', NEW.id::text, NEW.customer_id, NEW.line_id, 'activation.order_started',
          jsonb_build_object('operation', NEW.operation, 'element', NEW.element_code));
  RETURN NULL;
END $$;
CREATE TRIGGER tmf_act_order_started AFTER UPDATE OF status ON act_order FOR EACH ROW
  WHEN (OLD.status = 'pending' AND NEW.status = 'running') EXECUTE FUNCTION tmf_act_order_started();
