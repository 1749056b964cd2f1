-- +goose Up
-- A message keeps its certificate's received_at (which never changes) and
-- status (which a trigger follows), so that the queue filtered by messages
-- reads its page from the messages in the certificates' order
-- (messages_queue) and its counts from the messages alone. Before, both
-- read every certificate with a message in that state and sorted them: with
-- 3,333 open messages among 100,000 certificates, 74 ms for the page and
-- 32 ms for the counts on SQLite. A message is filled in from its
-- certificate as it is stored.
ALTER TABLE messages ADD COLUMN certificate_received_at TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN certificate_status TEXT NOT NULL DEFAULT '';
UPDATE messages SET (certificate_received_at, certificate_status) =
    (SELECT c.received_at, c.status FROM certificates c WHERE c.id = messages.certificate_id);
CREATE INDEX messages_queue ON messages (status, certificate_received_at, certificate_id, id, reply_by, certificate_status);
-- +goose StatementBegin
CREATE TRIGGER messages_certificate AFTER INSERT ON messages BEGIN
    UPDATE messages SET (certificate_received_at, certificate_status) =
        (SELECT c.received_at, c.status FROM certificates c WHERE c.id = NEW.certificate_id)
    WHERE id = NEW.id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_certificate_status AFTER UPDATE OF status ON certificates WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE messages SET certificate_status = NEW.status WHERE certificate_id = NEW.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER messages_certificate_status;
DROP TRIGGER messages_certificate;
DROP INDEX messages_queue;
ALTER TABLE messages DROP COLUMN certificate_status;
ALTER TABLE messages DROP COLUMN certificate_received_at;
