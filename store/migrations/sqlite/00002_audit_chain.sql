-- +goose Up
-- The access log becomes a hash chain: each entry's hash covers its fields,
-- its position (seq) and the hash of the entry before it. audit_chain holds
-- the head (the last entry's position, id and hash) in one row, updated in
-- the same transaction as every append. Entries written before this
-- migration are sealed into the chain by the Go migration 3.
ALTER TABLE audit_log ADD COLUMN seq INTEGER;
ALTER TABLE audit_log ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);

CREATE TABLE audit_chain (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    seq      INTEGER NOT NULL,
    entry_id INTEGER NOT NULL,
    hash     TEXT NOT NULL
);
INSERT INTO audit_chain (id, seq, entry_id, hash) VALUES (1, 0, 0, '');

-- +goose Down
DROP TABLE audit_chain;
DROP INDEX audit_log_seq;
ALTER TABLE audit_log DROP COLUMN hash;
ALTER TABLE audit_log DROP COLUMN seq;
