-- +goose Up
-- The addresses each user name last signed in from, and when: after a
-- spread-out attack locks a name for everyone (lockAccountAfter failures),
-- its person still signs in from an address they used before.
CREATE TABLE sign_in_known (
    username TEXT NOT NULL,
    addr     TEXT NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (username, addr)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE sign_in_known;
