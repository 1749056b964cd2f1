-- +goose Up
-- The messages in a state, everywhere or at a unit, in the order of the
-- messages' list (newest first, read backwards): a page of the list by
-- status, or overdue (open and past its reply date, which the index
-- carries), reads from its cursor on instead of sorting every message in
-- the state.
CREATE INDEX messages_status_sent ON messages (status, sent_at, id, reply_by);
CREATE INDEX messages_unit_status_sent ON messages (unit_hsa_id, status, sent_at, id, reply_by);

-- +goose Down
DROP INDEX messages_unit_status_sent;
DROP INDEX messages_status_sent;
