-- +goose Up
-- The patients a page was asked about, each under a random reference that
-- the page's address carries instead of the identity number, for the
-- session that asked, until it expires: in the database, so that every
-- server sharing it knows a reference another made.
CREATE TABLE patient_refs (
    ref          TEXT PRIMARY KEY,
    session_hash TEXT NOT NULL,
    patient      TEXT NOT NULL,
    expires_at   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX patient_refs_expires ON patient_refs (expires_at);

-- +goose Down
DROP TABLE patient_refs;
