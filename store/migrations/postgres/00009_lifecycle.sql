-- +goose Up
-- The lifecycle (contract: lifecycle.md). A certificate's status column is
-- derived (revoked, replaced, handled, received) from its revocation, the
-- certificates that replace or complete it, and whether a caseworker marked
-- it handled, kept here apart from the status so that it survives a
-- replacement that is later revoked.
ALTER TABLE certificates ADD COLUMN handled BOOLEAN NOT NULL DEFAULT false;
UPDATE certificates SET handled = true WHERE status = 'handled';

-- A newer certificate's relation to an earlier one (REPLACES, COMPLETES,
-- RENEWS): at most one per newer certificate, as in the envelope.
CREATE TABLE certificate_relations (
    certificate_id TEXT PRIMARY KEY REFERENCES certificates (id),
    type           TEXT NOT NULL,
    target_id      TEXT NOT NULL REFERENCES certificates (id),
    at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX certificate_relations_target ON certificate_relations (target_id);

-- Messages from caseworkers to the issuing unit. status is derived from the
-- message's events (sent, answered, reopened, closed), which keep every
-- answer with who and when.
CREATE TABLE messages (
    id             TEXT PRIMARY KEY,
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    unit_hsa_id    TEXT NOT NULL,
    patient_id     TEXT NOT NULL,
    type           TEXT NOT NULL,
    text           TEXT NOT NULL DEFAULT '',
    reply_by       TEXT NOT NULL DEFAULT '',
    complements    TEXT NOT NULL DEFAULT '[]',
    sent_at        TIMESTAMPTZ NOT NULL,
    sent_by        TEXT NOT NULL,
    status         TEXT NOT NULL
);
CREATE INDEX messages_certificate ON messages (certificate_id, sent_at, id);
CREATE INDEX messages_unit ON messages (unit_hsa_id, sent_at DESC, id DESC);
CREATE INDEX messages_sent ON messages (sent_at DESC, id DESC);

CREATE TABLE message_events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id      TEXT NOT NULL REFERENCES messages (id),
    type            TEXT NOT NULL,
    at              TIMESTAMPTZ NOT NULL,
    actor           TEXT NOT NULL,
    text            TEXT NOT NULL DEFAULT '',
    cannot_complete TEXT NOT NULL DEFAULT '',
    certificate_id  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX message_events_message ON message_events (message_id, id);
CREATE INDEX message_events_certificate ON message_events (certificate_id);

-- +goose Down
DROP TABLE message_events;
DROP TABLE messages;
DROP TABLE certificate_relations;
ALTER TABLE certificates DROP COLUMN handled;
