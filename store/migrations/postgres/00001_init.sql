-- +goose Up
CREATE TABLE certificates (
    id                TEXT PRIMARY KEY,
    template          TEXT NOT NULL,
    version           TEXT NOT NULL,
    status            TEXT NOT NULL,
    submitted         BYTEA NOT NULL,
    sha256            TEXT NOT NULL,
    record            JSONB NOT NULL,
    patient_id        TEXT NOT NULL,
    issuer_hsa_id     TEXT NOT NULL,
    unit_hsa_id       TEXT NOT NULL,
    signed_at         TIMESTAMPTZ NOT NULL,
    received_at       TIMESTAMPTZ NOT NULL,
    idempotency_scope TEXT,
    idempotency_key   TEXT,
    UNIQUE (idempotency_scope, idempotency_key)
);
CREATE INDEX certificates_received ON certificates (received_at DESC, id DESC);
CREATE INDEX certificates_patient ON certificates (patient_id, received_at DESC, id DESC);
CREATE INDEX certificates_unit ON certificates (unit_hsa_id, received_at DESC, id DESC);

CREATE TABLE certificate_events (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    status         TEXT NOT NULL,
    at             TIMESTAMPTZ NOT NULL,
    actor          TEXT NOT NULL
);
CREATE INDEX certificate_events_certificate ON certificate_events (certificate_id, id);

CREATE TABLE certificate_periods (
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    patient_id     TEXT NOT NULL,
    degree         INTEGER NOT NULL,
    from_date      DATE NOT NULL,
    to_date        DATE NOT NULL
);
CREATE INDEX certificate_periods_patient ON certificate_periods (patient_id, from_date);

CREATE TABLE certificate_diagnoses (
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    position       INTEGER NOT NULL,
    code           TEXT NOT NULL,
    PRIMARY KEY (certificate_id, position)
);
CREATE INDEX certificate_diagnoses_code ON certificate_diagnoses (code);

CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    hash        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    unit_hsa_id TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);

CREATE TABLE audit_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             TIMESTAMPTZ NOT NULL,
    token_id       TEXT NOT NULL,
    role           TEXT NOT NULL,
    action         TEXT NOT NULL,
    certificate_id TEXT NOT NULL DEFAULT '',
    patient_id     TEXT NOT NULL DEFAULT '',
    query          TEXT NOT NULL DEFAULT '',
    remote_addr    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_patient ON audit_log (patient_id, id);
CREATE INDEX audit_log_certificate ON audit_log (certificate_id, id);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE tokens;
DROP TABLE certificate_diagnoses;
DROP TABLE certificate_periods;
DROP TABLE certificate_events;
DROP TABLE certificates;
