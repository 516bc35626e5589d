-- Service requests (seed: "demandes de service des clients"): each one runs a workflow instance;
-- its documents (quotes, invoices, work orders, replies) are stored exactly as issued or sent.
CREATE SEQUENCE service_request_number_seq START 1;

CREATE TABLE service_request (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number           text NOT NULL UNIQUE,
  kind             text NOT NULL CHECK (kind IN ('new_line', 'add_option', 'remove_option', 'access_change',
                     'sim_replacement', 'transfer_ownership', 'relocation', 'suspension', 'restoration', 'termination')),
  scenario_code    text NOT NULL,
  customer_id      bigint NOT NULL REFERENCES customer (id),
  payer_id         bigint NOT NULL REFERENCES payer (id),
  -- the line the request is about: the one it changes, or the one it creates
  subscription_id  bigint REFERENCES subscription (id),
  product_code     text,
  line_id          text,
  status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed', 'rejected', 'cancelled')),
  channel          text NOT NULL DEFAULT 'counter' CHECK (channel IN ('counter', 'phone', 'web', 'api')),
  details          jsonb NOT NULL DEFAULT '{}'::jsonb,
  reason           text,
  created_at       timestamptz NOT NULL,
  created_by       bigint,
  closed_at        timestamptz
);
CREATE INDEX service_request_customer_idx ON service_request (customer_id, id DESC);
CREATE INDEX service_request_open_idx ON service_request (kind, id) WHERE status = 'open';

CREATE TABLE request_document (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id    bigint NOT NULL REFERENCES service_request (id),
  customer_id   bigint NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('quote', 'invoice', 'work_order', 'completion_report', 'letter', 'sms', 'email')),
  title         text NOT NULL,
  content_type  text NOT NULL,
  body          bytea,
  text          text,
  recipient     text,
  created_at    timestamptz NOT NULL,
  sent_at       timestamptz
);
CREATE INDEX request_document_request_idx ON request_document (request_id, id);

-- Numbers and SIM cards set aside for a request until the line is set up (consumed) or the request
-- ends otherwise (released). The inventory module takes this over when it lands.
CREATE TABLE request_reservation (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id  bigint NOT NULL REFERENCES service_request (id),
  kind        text NOT NULL CHECK (kind IN ('directory_number', 'sim')),
  value       text NOT NULL,
  status      text NOT NULL DEFAULT 'reserved' CHECK (status IN ('reserved', 'released', 'consumed')),
  created_at  timestamptz NOT NULL,
  ended_at    timestamptz
);
CREATE UNIQUE INDEX request_reservation_live ON request_reservation (kind, value) WHERE status = 'reserved';
CREATE INDEX request_reservation_request_idx ON request_reservation (request_id);

-- Reply templates per language and channel; {{placeholders}} are filled from the request.
CREATE TABLE message_template (
  code      text NOT NULL,
  channel   text NOT NULL CHECK (channel IN ('letter', 'sms', 'email')),
  language  text NOT NULL,
  subject   text,
  body      text NOT NULL,
  PRIMARY KEY (code, channel, language)
);
INSERT INTO message_template (code, channel, language, subject, body) VALUES
  ('request_completed', 'letter', 'fr', 'Votre demande {{number}} est réalisée',
   E'Madame, Monsieur {{customerName}},\n\nNous avons le plaisir de vous informer que votre demande {{number}} ({{kindLabel}}) a été réalisée le {{date}}.\n{{lineSentence}}\n\nNous vous remercions de votre confiance.\n\nLe service commercial'),
  ('request_completed', 'sms', 'fr', NULL,
   'GPTo: votre demande {{number}} ({{kindLabel}}) est réalisée. {{lineSentence}}'),
  ('request_rejected', 'letter', 'fr', 'Votre demande {{number}}',
   E'Madame, Monsieur {{customerName}},\n\nNous sommes au regret de ne pouvoir donner suite à votre demande {{number}} ({{kindLabel}}).\nMotif : {{reason}}\n\nNous restons à votre disposition.\n\nLe service commercial'),
  ('request_rejected', 'sms', 'fr', NULL,
   'GPTo: votre demande {{number}} ne peut aboutir. Motif: {{reason}}'),
  ('request_completed', 'letter', 'en', 'Your request {{number}} is done',
   E'Dear {{customerName}},\n\nYour request {{number}} ({{kindLabel}}) was completed on {{date}}.\n{{lineSentence}}\n\nThank you for your trust.\n\nCommercial service'),
  ('request_completed', 'sms', 'en', NULL, 'GPTo: your request {{number}} ({{kindLabel}}) is done. {{lineSentence}}'),
  ('request_rejected', 'letter', 'en', 'Your request {{number}}',
   E'Dear {{customerName}},\n\nWe regret that we cannot proceed with your request {{number}} ({{kindLabel}}).\nReason: {{reason}}\n\nCommercial service'),
  ('request_rejected', 'sms', 'en', NULL, 'GPTo: your request {{number}} cannot proceed. Reason: {{reason}}');
