-- TMF673 address validations: what was submitted and what GPTo answered, kept so that a client
-- can read a validation back by its id (GET /geographicAddressValidation/{id}).
CREATE SEQUENCE tmf_address_validation_seq START 1;

CREATE TABLE tmf_address_validation (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code        text NOT NULL UNIQUE,
  submitted   jsonb NOT NULL,
  result      jsonb NOT NULL,
  user_id     bigint REFERENCES app_user (id),
  created_at  timestamptz NOT NULL DEFAULT now()
);
