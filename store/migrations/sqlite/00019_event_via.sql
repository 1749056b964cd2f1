-- +goose Up
-- Through what a change came: for a certificate's received event, the
-- clinic system's token or the physician's account that submitted it (its
-- by is the issuer's HSA-id, the signer). Without it nothing durable said
-- which integration submitted a certificate; events before this
-- migration have none ('').
ALTER TABLE certificate_events ADD COLUMN via TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE certificate_events DROP COLUMN via;
