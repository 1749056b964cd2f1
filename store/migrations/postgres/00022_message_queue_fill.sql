-- +goose Up
-- The columns of 00021 filled in, their index and the triggers that keep
-- them: a message is filled in from its certificate as it is stored, by
-- whichever release stores it.
-- Another server may change a status or store a message while this runs:
-- the locks wait for its transaction and keep the next out until the
-- triggers are there, so that the backfill reads every change that the
-- triggers will not see. Neither lock waits for a reader of messages (see
-- 00021), and a server that writes messages, or locks one's row, takes no
-- lock on certificates that these keep out. The one on messages keeps out
-- a lock on a row too (EXCLUSIVE): one that answers a message locks its
-- row and then updates it, and SHARE ROW EXCLUSIVE let it lock the row
-- that the backfill then waited for while it waited for the lock (a
-- deadlock).
LOCK TABLE certificates IN SHARE ROW EXCLUSIVE MODE;
LOCK TABLE messages IN EXCLUSIVE MODE;
UPDATE messages m SET certificate_received_at = c.received_at, certificate_status = c.status FROM certificates c WHERE c.id = m.certificate_id;
CREATE INDEX messages_queue ON messages (status, certificate_received_at, certificate_id, id) INCLUDE (reply_by, certificate_status);
CREATE INDEX messages_unit_queue ON messages (unit_hsa_id, status, certificate_received_at, certificate_id, id) INCLUDE (reply_by, certificate_status);
-- +goose StatementBegin
CREATE FUNCTION messages_certificate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT received_at, status INTO NEW.certificate_received_at, NEW.certificate_status FROM certificates WHERE id = NEW.certificate_id;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER messages_certificate BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION messages_certificate();
-- +goose StatementBegin
CREATE FUNCTION messages_certificate_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE messages SET certificate_status = NEW.status WHERE certificate_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER messages_certificate_status AFTER UPDATE OF status ON certificates
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION messages_certificate_status();

-- +goose Down
DROP TRIGGER messages_certificate_status ON certificates;
DROP FUNCTION messages_certificate_status;
DROP TRIGGER messages_certificate ON messages;
DROP FUNCTION messages_certificate;
DROP INDEX messages_unit_queue;
DROP INDEX messages_queue;
