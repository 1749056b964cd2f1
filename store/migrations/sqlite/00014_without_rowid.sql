-- +goose Up
-- A certificate's periods, diagnoses and flags are read only by their
-- certificate, so each is stored in its certificate's key, WITHOUT ROWID:
-- one B-tree a row instead of a table and an index. Storing a certificate
-- entered about twenty B-trees, and each costs the one writer about as
-- much as the next (issue 16: 11 % of the store's CPU per certificate).
-- A period takes its place among its certificate's periods as its key;
-- those stored before are numbered in the order of their dates, which is
-- the certificate's order (intake sorts a certificate's periods by their
-- start).
DROP TRIGGER certificates_status_kept;
DROP VIEW counted_periods;

CREATE TABLE certificate_periods_keyed (
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    position       INTEGER NOT NULL,
    patient_id     TEXT NOT NULL,
    degree         INTEGER NOT NULL,
    from_date      TEXT NOT NULL,
    to_date        TEXT NOT NULL,
    PRIMARY KEY (certificate_id, position)
) WITHOUT ROWID;
INSERT INTO certificate_periods_keyed (certificate_id, position, patient_id, degree, from_date, to_date)
SELECT certificate_id, row_number() OVER (PARTITION BY certificate_id ORDER BY from_date, to_date, rowid) - 1, patient_id, degree, from_date, to_date
FROM certificate_periods;
DROP TABLE certificate_periods;
ALTER TABLE certificate_periods_keyed RENAME TO certificate_periods;

CREATE TABLE certificate_diagnoses_keyed (
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    position       INTEGER NOT NULL,
    code           TEXT NOT NULL,
    PRIMARY KEY (certificate_id, position)
) WITHOUT ROWID;
INSERT INTO certificate_diagnoses_keyed (certificate_id, position, code)
SELECT certificate_id, position, code FROM certificate_diagnoses;
DROP TABLE certificate_diagnoses;
ALTER TABLE certificate_diagnoses_keyed RENAME TO certificate_diagnoses;

CREATE TABLE certificate_flags_keyed (
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    code           TEXT NOT NULL,
    raised_at      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (certificate_id, code)
) WITHOUT ROWID;
INSERT INTO certificate_flags_keyed (certificate_id, code, raised_at)
SELECT certificate_id, code, raised_at FROM certificate_flags;
DROP TABLE certificate_flags;
ALTER TABLE certificate_flags_keyed RENAME TO certificate_flags;
CREATE INDEX certificate_flags_raised ON certificate_flags (code, raised_at, certificate_id);

-- As in 00012, over the new tables.
CREATE VIEW counted_periods AS
SELECT c.unit_hsa_id, c.patient_id, c.id AS certificate_id, p.from_date, p.to_date, p.degree, c.signed_at,
    COALESCE(json_extract(c.record, '$.patient.name'), '') AS patient_name,
    COALESCE((SELECT d.code FROM certificate_diagnoses d WHERE d.certificate_id = c.id AND d.position = 0), '') AS diagnosis
FROM certificate_periods p JOIN certificates c ON c.id = p.certificate_id
WHERE c.counts_toward_cases = 1 AND c.status NOT IN ('revoked', 'replaced');
-- +goose StatementBegin
CREATE TRIGGER certificates_status_kept AFTER UPDATE OF status ON certificates WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE certificate_counts SET n = n - 1 WHERE unit_hsa_id = OLD.unit_hsa_id AND template = OLD.template AND status = OLD.status;
    INSERT INTO certificate_counts (unit_hsa_id, template, status, n) VALUES (NEW.unit_hsa_id, NEW.template, NEW.status, 1)
    ON CONFLICT (unit_hsa_id, template, status) DO UPDATE SET n = n + 1;
    DELETE FROM case_periods WHERE unit_hsa_id = NEW.unit_hsa_id AND patient_id = NEW.patient_id AND certificate_id = NEW.id;
    INSERT INTO case_periods (unit_hsa_id, patient_id, certificate_id, from_date, to_date, degree, signed_at, patient_name, diagnosis)
    SELECT unit_hsa_id, patient_id, certificate_id, from_date, to_date, degree, signed_at, patient_name, diagnosis FROM counted_periods WHERE certificate_id = NEW.id
    ON CONFLICT DO NOTHING;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER certificates_status_kept;
DROP VIEW counted_periods;

CREATE TABLE certificate_periods_rowid (
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    patient_id     TEXT NOT NULL,
    degree         INTEGER NOT NULL,
    from_date      TEXT NOT NULL,
    to_date        TEXT NOT NULL
);
INSERT INTO certificate_periods_rowid (certificate_id, patient_id, degree, from_date, to_date)
SELECT certificate_id, patient_id, degree, from_date, to_date FROM certificate_periods ORDER BY certificate_id, position;
DROP TABLE certificate_periods;
ALTER TABLE certificate_periods_rowid RENAME TO certificate_periods;
CREATE INDEX certificate_periods_certificate ON certificate_periods (certificate_id, to_date, from_date);

CREATE TABLE certificate_diagnoses_rowid (
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    position       INTEGER NOT NULL,
    code           TEXT NOT NULL,
    PRIMARY KEY (certificate_id, position)
);
INSERT INTO certificate_diagnoses_rowid (certificate_id, position, code)
SELECT certificate_id, position, code FROM certificate_diagnoses;
DROP TABLE certificate_diagnoses;
ALTER TABLE certificate_diagnoses_rowid RENAME TO certificate_diagnoses;

CREATE TABLE certificate_flags_rowid (
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    code           TEXT NOT NULL,
    raised_at      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (certificate_id, code)
);
INSERT INTO certificate_flags_rowid (certificate_id, code, raised_at)
SELECT certificate_id, code, raised_at FROM certificate_flags;
DROP TABLE certificate_flags;
ALTER TABLE certificate_flags_rowid RENAME TO certificate_flags;
CREATE INDEX certificate_flags_raised ON certificate_flags (code, raised_at, certificate_id);

CREATE VIEW counted_periods AS
SELECT c.unit_hsa_id, c.patient_id, c.id AS certificate_id, p.from_date, p.to_date, p.degree, c.signed_at,
    COALESCE(json_extract(c.record, '$.patient.name'), '') AS patient_name,
    COALESCE((SELECT d.code FROM certificate_diagnoses d WHERE d.certificate_id = c.id AND d.position = 0), '') AS diagnosis
FROM certificate_periods p JOIN certificates c ON c.id = p.certificate_id
WHERE c.counts_toward_cases = 1 AND c.status NOT IN ('revoked', 'replaced');
-- +goose StatementBegin
CREATE TRIGGER certificates_status_kept AFTER UPDATE OF status ON certificates WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE certificate_counts SET n = n - 1 WHERE unit_hsa_id = OLD.unit_hsa_id AND template = OLD.template AND status = OLD.status;
    INSERT INTO certificate_counts (unit_hsa_id, template, status, n) VALUES (NEW.unit_hsa_id, NEW.template, NEW.status, 1)
    ON CONFLICT (unit_hsa_id, template, status) DO UPDATE SET n = n + 1;
    DELETE FROM case_periods WHERE unit_hsa_id = NEW.unit_hsa_id AND patient_id = NEW.patient_id AND certificate_id = NEW.id;
    INSERT INTO case_periods (unit_hsa_id, patient_id, certificate_id, from_date, to_date, degree, signed_at, patient_name, diagnosis)
    SELECT unit_hsa_id, patient_id, certificate_id, from_date, to_date, degree, signed_at, patient_name, diagnosis FROM counted_periods WHERE certificate_id = NEW.id
    ON CONFLICT DO NOTHING;
END;
-- +goose StatementEnd
