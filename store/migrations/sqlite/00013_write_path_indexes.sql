-- +goose Up
-- What storing a certificate writes to its indexes (issue 16).
--
-- Indexes no query needs, each of which cost every stored certificate the
-- write of an index page, most at a random place: the cases and the flags
-- read case_periods since migration 00012; a patient's certificates are
-- found through certificates_patient_unit, which starts with the patient
-- too (sorting a patient's few certificates costs nothing); the flagged
-- lists and counts read certificate_flags_raised; nothing looks
-- certificates up by diagnosis code.
DROP INDEX certificates_unit_patient;
DROP INDEX certificate_periods_patient;
DROP INDEX certificates_patient;
DROP INDEX certificate_flags_code;
DROP INDEX certificate_diagnoses_code;
-- Newest first is read as well from an ascending index, backwards; but a
-- descending index puts each new certificate at its start, which is not
-- where a B-tree appends cheaply (SQLite splits and rebalances the first
-- pages again and again: 10 % more pages written per certificate).
DROP INDEX certificates_received;
CREATE INDEX certificates_received ON certificates (received_at, id);
DROP INDEX certificates_unit;
CREATE INDEX certificates_unit ON certificates (unit_hsa_id, received_at, id);
DROP INDEX certificates_status;
CREATE INDEX certificates_status ON certificates (status, received_at, id);
DROP INDEX certificates_template;
CREATE INDEX certificates_template ON certificates (template, received_at, id, status);
DROP INDEX certificates_contact;
CREATE INDEX certificates_contact ON certificates (contact_requested, received_at, id, status);
DROP INDEX certificates_patient_unit;
CREATE INDEX certificates_patient_unit ON certificates (patient_id, unit_hsa_id, received_at, id);
DROP INDEX certificate_flags_raised;
CREATE INDEX certificate_flags_raised ON certificate_flags (code, raised_at, certificate_id);

-- +goose Down
DROP INDEX certificate_flags_raised;
CREATE INDEX certificate_flags_raised ON certificate_flags (code, raised_at DESC, certificate_id DESC);
DROP INDEX certificates_patient_unit;
CREATE INDEX certificates_patient_unit ON certificates (patient_id, unit_hsa_id, received_at DESC, id DESC);
DROP INDEX certificates_contact;
CREATE INDEX certificates_contact ON certificates (contact_requested, received_at DESC, id DESC, status);
DROP INDEX certificates_template;
CREATE INDEX certificates_template ON certificates (template, received_at DESC, id DESC, status);
DROP INDEX certificates_status;
CREATE INDEX certificates_status ON certificates (status, received_at DESC, id DESC);
DROP INDEX certificates_unit;
CREATE INDEX certificates_unit ON certificates (unit_hsa_id, received_at DESC, id DESC);
CREATE INDEX certificates_patient ON certificates (patient_id, received_at DESC, id DESC);
DROP INDEX certificates_received;
CREATE INDEX certificates_received ON certificates (received_at DESC, id DESC);
CREATE INDEX certificate_diagnoses_code ON certificate_diagnoses (code);
CREATE INDEX certificate_flags_code ON certificate_flags (code, certificate_id);
CREATE INDEX certificate_periods_patient ON certificate_periods (patient_id, from_date);
CREATE INDEX certificates_unit_patient ON certificates (unit_hsa_id, patient_id, counts_toward_cases, status, id);
