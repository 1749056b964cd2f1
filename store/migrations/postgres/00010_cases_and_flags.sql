-- +goose Up
-- Sick-leave cases and attention flags. counts_toward_cases is set at
-- intake from the template's cases block; certificates stored before this
-- migration count when they have sick-leave periods and are not for
-- infection control (smittbärarpenning), as the templates said then.
ALTER TABLE certificates ADD COLUMN counts_toward_cases BOOLEAN NOT NULL DEFAULT false;
UPDATE certificates SET counts_toward_cases = true
WHERE EXISTS (SELECT 1 FROM certificate_periods p WHERE p.certificate_id = certificates.id)
  AND (record->'answers'->>'infectionControl')::boolean IS NOT TRUE;
CREATE INDEX certificates_unit_patient ON certificates (unit_hsa_id, patient_id, counts_toward_cases, status, id);
CREATE INDEX certificate_periods_certificate ON certificate_periods (certificate_id, to_date, from_date);

-- The attention flags raised at intake (also in the record), one row each,
-- so that the queue filters by flag.
CREATE TABLE certificate_flags (
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    code           TEXT NOT NULL,
    PRIMARY KEY (certificate_id, code)
);
CREATE INDEX certificate_flags_code ON certificate_flags (code, certificate_id);

-- +goose Down
DROP TABLE certificate_flags;
DROP INDEX certificate_periods_certificate;
DROP INDEX certificates_unit_patient;
ALTER TABLE certificates DROP COLUMN counts_toward_cases;
