-- TMF645 service qualifications: the request and GPTo's answer (the automatic study, run and
-- rolled back so that nothing is reserved), kept so that a client can read them back.
CREATE SEQUENCE tmf_service_qualification_seq START 1;

CREATE TABLE tmf_service_qualification (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code        text NOT NULL UNIQUE,
  document    jsonb NOT NULL,
  user_id     bigint REFERENCES app_user (id),
  created_at  timestamptz NOT NULL DEFAULT now()
);
