-- +goose Up
-- What the queue's counts, the flagged page and the unit's ongoing cases
-- read, kept in the same transaction as each write of a certificate (by
-- the store as it stores one, store/kept.go; by a trigger when its status
-- changes), so that a page costs what it shows rather than what the
-- table holds. Filled here from the certificates stored before.

-- The number of certificates per unit, template and status: the queue's
-- counts per status read these few rows rather than every certificate.
CREATE TABLE certificate_counts (
    unit_hsa_id TEXT NOT NULL,
    template    TEXT NOT NULL,
    status      TEXT NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (unit_hsa_id, template, status)
) WITHOUT ROWID;
INSERT INTO certificate_counts (unit_hsa_id, template, status, n)
SELECT unit_hsa_id, template, status, COUNT(*) FROM certificates GROUP BY unit_hsa_id, template, status;

-- A flag's certificate's received_at (flags are raised at intake), so that
-- the flagged page reads its flag's index newest first and stops at the
-- page's end instead of sorting every flagged certificate.
ALTER TABLE certificate_flags ADD COLUMN raised_at TEXT NOT NULL DEFAULT '';
UPDATE certificate_flags SET raised_at = (SELECT c.received_at FROM certificates c WHERE c.id = certificate_flags.certificate_id);
CREATE INDEX certificate_flags_raised ON certificate_flags (code, raised_at DESC, certificate_id DESC);

-- The sick-leave periods of the certificates that count toward cases (the
-- template counts them, and they are neither revoked nor replaced), with
-- what a case shows of their certificate: a unit's ongoing cases are one
-- range of an index of case_periods, with no join and no JSON per row.
-- counted_periods says what case_periods holds; a certificate's rows are
-- copied from it when the certificate is stored and when its status
-- changes.
CREATE VIEW counted_periods AS
SELECT c.unit_hsa_id, c.patient_id, c.id AS certificate_id, p.from_date, p.to_date, p.degree, c.signed_at,
    COALESCE(json_extract(c.record, '$.patient.name'), '') AS patient_name,
    COALESCE((SELECT d.code FROM certificate_diagnoses d WHERE d.certificate_id = c.id AND d.position = 0), '') AS diagnosis
FROM certificate_periods p JOIN certificates c ON c.id = p.certificate_id
WHERE c.counts_toward_cases = 1 AND c.status NOT IN ('revoked', 'replaced');
CREATE TABLE case_periods (
    unit_hsa_id    TEXT NOT NULL,
    patient_id     TEXT NOT NULL,
    certificate_id TEXT NOT NULL,
    from_date      TEXT NOT NULL,
    to_date        TEXT NOT NULL,
    degree         INTEGER NOT NULL,
    signed_at      TEXT NOT NULL,
    patient_name   TEXT NOT NULL,
    diagnosis      TEXT NOT NULL,
    -- A certificate's periods do not overlap (intake); a period given
    -- twice would add no day to a case.
    PRIMARY KEY (unit_hsa_id, patient_id, certificate_id, from_date, to_date, degree)
) WITHOUT ROWID;
CREATE INDEX case_periods_unit_to ON case_periods (unit_hsa_id, to_date, from_date, patient_id);
INSERT INTO case_periods (unit_hsa_id, patient_id, certificate_id, from_date, to_date, degree, signed_at, patient_name, diagnosis)
SELECT unit_hsa_id, patient_id, certificate_id, from_date, to_date, degree, signed_at, patient_name, diagnosis FROM counted_periods WHERE true
ON CONFLICT DO NOTHING;

-- A certificate's status changes after it is stored (handled, revoked,
-- replaced, no longer replaced): whoever changes it, this trigger moves
-- it in the counts and copies its case periods again. (Its unit,
-- template, patient and periods never change.)
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
DROP TABLE case_periods;
DROP VIEW counted_periods;
DROP INDEX certificate_flags_raised;
ALTER TABLE certificate_flags DROP COLUMN raised_at;
DROP TABLE certificate_counts;
