-- +goose Up
-- Drafts: certificates being written, saved as the physician goes; never
-- certificates. The form's values are kept as posted (url-encoded).
CREATE TABLE drafts (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id),
    unit_hsa_id    TEXT NOT NULL,
    template       TEXT NOT NULL,
    version        TEXT NOT NULL,
    patient_id     TEXT NOT NULL DEFAULT '',
    patient_name   TEXT NOT NULL DEFAULT '',
    form           TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    deleted_at     TEXT,
    certificate_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX drafts_user ON drafts (user_id, updated_at);

-- +goose Down
DROP TABLE drafts;
