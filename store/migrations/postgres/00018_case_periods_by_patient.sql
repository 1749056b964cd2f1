-- +goose Up
-- The case periods keyed by patient rather than by unit and patient, as
-- on SQLite (see there): every read of them names the patient.
ALTER TABLE case_periods DROP CONSTRAINT case_periods_pkey;
ALTER TABLE case_periods ADD PRIMARY KEY (patient_id, certificate_id, from_date, to_date, degree);

-- +goose Down
ALTER TABLE case_periods DROP CONSTRAINT case_periods_pkey;
ALTER TABLE case_periods ADD PRIMARY KEY (unit_hsa_id, patient_id, certificate_id, from_date, to_date, degree);
