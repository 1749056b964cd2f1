-- +goose Up
-- One row that readiness rewrites after a failed write, to learn whether
-- the database takes writes again (a full disk freed, a lock released).
CREATE TABLE write_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  BIGINT NOT NULL
);
INSERT INTO write_probe (id, n) VALUES (1, 0);

-- +goose Down
DROP TABLE write_probe;
