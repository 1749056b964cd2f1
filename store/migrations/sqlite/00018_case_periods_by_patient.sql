-- +goose Up
-- The case periods keyed by patient rather than by unit and patient. Every
-- read of them names the patient: the flags' history of a batch's patients
-- (every unit), a patient's cases (some units) and a unit's ongoing cases
-- (the patients its index by end date names). Keyed by unit first, the
-- history had to find each patient's units among the certificates and then
-- sort what it read; keyed by patient, it is one range of the key, already
-- in the order a case is built in. A certificate's unit and patient never
-- change, so the key is as unique as before. (Issue 16: the writer's
-- history read was 4 % of a submission's throughput.)
DROP TRIGGER certificates_status_kept;
CREATE TABLE case_periods_by_patient (
    unit_hsa_id    TEXT NOT NULL,
    patient_id     TEXT NOT NULL,
    certificate_id TEXT NOT NULL,
    from_date      TEXT NOT NULL,
    to_date        TEXT NOT NULL,
    degree         INTEGER NOT NULL,
    signed_at      TEXT NOT NULL,
    patient_name   TEXT NOT NULL,
    diagnosis      TEXT NOT NULL,
    PRIMARY KEY (patient_id, certificate_id, from_date, to_date, degree)
) WITHOUT ROWID;
INSERT INTO case_periods_by_patient (unit_hsa_id, patient_id, certificate_id, from_date, to_date, degree, signed_at, patient_name, diagnosis)
SELECT unit_hsa_id, patient_id, certificate_id, from_date, to_date, degree, signed_at, patient_name, diagnosis FROM case_periods;
DROP TABLE case_periods;
ALTER TABLE case_periods_by_patient RENAME TO case_periods;
CREATE INDEX case_periods_unit_to ON case_periods (unit_hsa_id, to_date, from_date, patient_id);
-- As in 00014.
-- +goose StatementBegin
CREATE TRIGGER certificates_status_kept AFTER UPDATE OF status ON certificates WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE certificate_counts SET n = n - 1 WHERE unit_hsa_id = OLD.unit_hsa_id AND template = OLD.template AND status = OLD.status;
    INSERT INTO certificate_counts (unit_hsa_id, template, status, n) VALUES (NEW.unit_hsa_id, NEW.template, NEW.status, 1)
    ON CONFLICT (unit_hsa_id, template, status) DO UPDATE SET n = n + 1;
    DELETE FROM case_periods WHERE patient_id = NEW.patient_id AND certificate_id = NEW.id;
    INSERT INTO case_periods (unit_hsa_id, patient_id, certificate_id, from_date, to_date, degree, signed_at, patient_name, diagnosis)
    SELECT unit_hsa_id, patient_id, certificate_id, from_date, to_date, degree, signed_at, patient_name, diagnosis FROM counted_periods WHERE certificate_id = NEW.id
    ON CONFLICT DO NOTHING;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER certificates_status_kept;
CREATE TABLE case_periods_by_unit (
    unit_hsa_id    TEXT NOT NULL,
    patient_id     TEXT NOT NULL,
    certificate_id TEXT NOT NULL,
    from_date      TEXT NOT NULL,
    to_date        TEXT NOT NULL,
    degree         INTEGER NOT NULL,
    signed_at      TEXT NOT NULL,
    patient_name   TEXT NOT NULL,
    diagnosis      TEXT NOT NULL,
    PRIMARY KEY (unit_hsa_id, patient_id, certificate_id, from_date, to_date, degree)
) WITHOUT ROWID;
INSERT INTO case_periods_by_unit (unit_hsa_id, patient_id, certificate_id, from_date, to_date, degree, signed_at, patient_name, diagnosis)
SELECT unit_hsa_id, patient_id, certificate_id, from_date, to_date, degree, signed_at, patient_name, diagnosis FROM case_periods;
DROP TABLE case_periods;
ALTER TABLE case_periods_by_unit RENAME TO case_periods;
CREATE INDEX case_periods_unit_to ON case_periods (unit_hsa_id, to_date, from_date, patient_id);
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
