-- +goose Up
-- A caseworker's system that retries a message after a lost answer sends
-- it again under the same Idempotency-Key: the message stored under the
-- key is the answer, not a second message to the unit. The key belongs
-- to whoever sent it (idempotency_scope); request_sha256 is what it was
-- first used for (the certificate and the body), so that the key used
-- again for another message is refused.
ALTER TABLE messages ADD COLUMN idempotency_scope TEXT;
ALTER TABLE messages ADD COLUMN idempotency_key TEXT;
ALTER TABLE messages ADD COLUMN request_sha256 TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX messages_idempotency ON messages (idempotency_scope, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- +goose Down
DROP INDEX messages_idempotency;
ALTER TABLE messages DROP COLUMN request_sha256;
ALTER TABLE messages DROP COLUMN idempotency_key;
ALTER TABLE messages DROP COLUMN idempotency_scope;
