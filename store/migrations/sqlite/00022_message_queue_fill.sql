-- +goose Up
-- The columns of 00021 filled in, their index and the triggers that keep
-- them. A message is filled in from its certificate as it is stored.
UPDATE messages SET (certificate_received_at, certificate_status) =
    (SELECT c.received_at, c.status FROM certificates c WHERE c.id = messages.certificate_id);
CREATE INDEX messages_queue ON messages (status, certificate_received_at, certificate_id, id, reply_by, certificate_status);
CREATE INDEX messages_unit_queue ON messages (unit_hsa_id, status, certificate_received_at, certificate_id, id, reply_by, certificate_status);
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
DROP INDEX messages_unit_queue;
DROP INDEX messages_queue;
