-- What a TMF622 client says about its product order beyond the service request it becomes: its own
-- reference (externalId), description, wished dates, notes. The request stays the order itself
-- (state, customer, product, dates); this row only carries the TMF attributes GPTo has no column for.
CREATE TABLE tmf_product_order (
  request_id                bigint PRIMARY KEY REFERENCES service_request (id),
  external_id               text,
  description               text,
  category                  text,
  priority                  text,
  notification_contact      text,
  requested_start_date      timestamptz,
  requested_completion_date timestamptz,
  -- the client's item id and action, echoed back in productOrderItem
  item_id                   text NOT NULL DEFAULT '1',
  item_action               text NOT NULL CHECK (item_action IN ('add', 'modify', 'delete')),
  note                      jsonb NOT NULL DEFAULT '[]'::jsonb,
  updated_at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tmf_product_order_external_idx ON tmf_product_order (external_id) WHERE external_id IS NOT NULL;

-- TMF622 cancelProductOrder: a request to cancel an order, kept with its outcome. GPTo cancels an
-- open request at once (compensation included), so a stored cancellation is `done`; one that cannot
-- be carried out is refused with an error rather than stored.
CREATE SEQUENCE tmf_cancel_product_order_seq START 1;
CREATE TABLE tmf_cancel_product_order (
  id                          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code                        text NOT NULL UNIQUE,
  request_id                  bigint NOT NULL REFERENCES service_request (id),
  cancellation_reason         text NOT NULL,
  requested_cancellation_date timestamptz,
  effective_cancellation_date timestamptz NOT NULL,
  state                       text NOT NULL CHECK (state IN ('accepted', 'terminatedWithError', 'inProgress', 'done')),
  created_at                  timestamptz NOT NULL DEFAULT now(),
  created_by                  bigint
);
CREATE INDEX tmf_cancel_product_order_request_idx ON tmf_cancel_product_order (request_id);
