-- TMF641 cancelServiceOrder: a request to cancel a service order (an activation order), kept with
-- its outcome. A pending order is withdrawn at once (with the service request that queued it, by
-- the requests module's cancel rule) → `done`; an order the automaton is already carrying out on
-- its element cannot be called back → `terminatedWithError`; an ended one is refused (409).
CREATE SEQUENCE tmf_cancel_service_order_seq START 1;
CREATE TABLE tmf_cancel_service_order (
  id                          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code                        text NOT NULL UNIQUE,
  order_id                    bigint NOT NULL REFERENCES act_order (id),
  cancellation_reason         text NOT NULL,
  requested_cancellation_date timestamptz,
  effective_cancellation_date timestamptz,
  state                       text NOT NULL CHECK (state IN ('accepted', 'terminatedWithError', 'inProgress', 'done')),
  -- why it could not be done (terminatedWithError)
  error                       text,
  created_at                  timestamptz NOT NULL DEFAULT now(),
  created_by                  bigint
);
CREATE INDEX tmf_cancel_service_order_order_idx ON tmf_cancel_service_order (order_id);
