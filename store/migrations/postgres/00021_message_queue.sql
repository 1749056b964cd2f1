-- +goose Up
-- A message keeps its certificate's received_at (which never changes) and
-- status (which a trigger follows), so that the queue filtered by messages
-- reads its page from the messages in the certificates' order
-- (messages_queue) and its counts from the messages alone. Before, the
-- counts read every certificate with a message in that state (9.9 ms for
-- 3,333 open messages among 100,000 certificates). This adds the columns
-- alone, in a transaction of their own; 00022 fills them in and adds the
-- index and the triggers. ALTER TABLE waits for every transaction that
-- has read messages, and must not while certificates is locked: a server
-- of the release before this one that stores a certificate replacing or
-- completing another reads the original's messages and then inserts into
-- certificates, and each would wait for the other (a deadlock that failed
-- the migration). A message stored before 00022 has the defaults until
-- 00022 fills it in.
ALTER TABLE messages ADD COLUMN certificate_received_at TIMESTAMPTZ NOT NULL DEFAULT '-infinity';
ALTER TABLE messages ADD COLUMN certificate_status TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE messages DROP COLUMN certificate_status;
ALTER TABLE messages DROP COLUMN certificate_received_at;
