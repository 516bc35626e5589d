-- A switch element's password is kept sealed (AES-256-GCM under GPTO_SECRET_KEY, the element code
-- as associated data), as the SIM secrets are, instead of in clear. The application seals what an
-- earlier version stored in `password` the first time it loads the elements with the key; from
-- then on `password` stays empty.
ALTER TABLE act_element ADD COLUMN password_sealed bytea;
ALTER TABLE act_element ADD CONSTRAINT act_element_one_password
  CHECK (password IS NULL OR password_sealed IS NULL);
