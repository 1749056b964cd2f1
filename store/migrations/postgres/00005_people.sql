-- +goose Up
-- Units and people, server-side sessions, sign-in failures, tokens of
-- several units or a whole care provider, and an access log that names
-- the person.
CREATE TABLE units (
    hsa_id               TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    address              TEXT NOT NULL,
    postal_code          TEXT NOT NULL,
    city                 TEXT NOT NULL,
    phone                TEXT NOT NULL,
    workplace_code       TEXT NOT NULL DEFAULT '',
    care_provider_hsa_id TEXT NOT NULL,
    care_provider_name   TEXT NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    disabled_at          TIMESTAMPTZ
);
CREATE INDEX units_care_provider ON units (care_provider_hsa_id);

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL,
    hsa_id          TEXT NOT NULL DEFAULT '',
    signing_role    TEXT NOT NULL DEFAULT '',
    prescriber_code TEXT NOT NULL DEFAULT '',
    specialities    TEXT NOT NULL DEFAULT '',
    password_hash   TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    disabled_at     TIMESTAMPTZ
);
CREATE UNIQUE INDEX users_hsa_id ON users (hsa_id) WHERE hsa_id <> '';

CREATE TABLE user_units (
    user_id     TEXT NOT NULL REFERENCES users (id),
    unit_hsa_id TEXT NOT NULL REFERENCES units (hsa_id),
    PRIMARY KEY (user_id, unit_hsa_id)
);

CREATE TABLE sessions (
    hash        TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    unit_hsa_id TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    seen_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE sign_in_failures (
    username TEXT NOT NULL,
    addr     TEXT NOT NULL,
    at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_failures_username ON sign_in_failures (username, at);

CREATE TABLE token_units (
    token_id    TEXT NOT NULL REFERENCES tokens (id),
    unit_hsa_id TEXT NOT NULL,
    PRIMARY KEY (token_id, unit_hsa_id)
);
INSERT INTO token_units (token_id, unit_hsa_id) SELECT id, unit_hsa_id FROM tokens WHERE unit_hsa_id <> '';
ALTER TABLE tokens ADD COLUMN care_provider_hsa_id TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE tokens ADD COLUMN last_used_at TIMESTAMPTZ;

ALTER TABLE audit_log ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN actor_name TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_log_user ON audit_log (user_id, id);

-- +goose Down
DROP INDEX audit_log_user;
ALTER TABLE audit_log DROP COLUMN actor_name;
ALTER TABLE audit_log DROP COLUMN user_id;
ALTER TABLE tokens DROP COLUMN last_used_at;
ALTER TABLE tokens DROP COLUMN expires_at;
ALTER TABLE tokens DROP COLUMN care_provider_hsa_id;
DROP TABLE token_units;
DROP TABLE sign_in_failures;
DROP TABLE sessions;
DROP TABLE user_units;
DROP TABLE users;
DROP TABLE units;
