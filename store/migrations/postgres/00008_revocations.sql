-- +goose Up
-- Revocations (makulering): why, by whom, when. One per certificate; the
-- certificate's status becomes revoked and an event is appended.
CREATE TABLE certificate_revocations (
    certificate_id TEXT PRIMARY KEY REFERENCES certificates (id),
    reason         TEXT NOT NULL,
    message        TEXT NOT NULL DEFAULT '',
    at             TIMESTAMPTZ NOT NULL,
    actor          TEXT NOT NULL
);

-- +goose Down
DROP TABLE certificate_revocations;
