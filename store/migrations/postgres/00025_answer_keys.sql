-- +goose Up
-- A clinic system that retries a text answer after a lost response sends
-- it again under the same Idempotency-Key: the answer stored under the key
-- is the response, not a 409 for a message it answered itself. The key
-- belongs to the issuing unit (idempotency_scope); request_sha256 is what
-- it was first used for (the message and the body), so that the key used
-- again for another answer is refused. A certificate that answers a
-- completion request keeps its key in certificates, as every submission's.
ALTER TABLE message_events ADD COLUMN idempotency_scope TEXT;
ALTER TABLE message_events ADD COLUMN idempotency_key TEXT;
ALTER TABLE message_events ADD COLUMN request_sha256 TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX message_events_idempotency ON message_events (idempotency_scope, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- +goose Down
DROP INDEX message_events_idempotency;
ALTER TABLE message_events DROP COLUMN request_sha256;
ALTER TABLE message_events DROP COLUMN idempotency_key;
ALTER TABLE message_events DROP COLUMN idempotency_scope;
