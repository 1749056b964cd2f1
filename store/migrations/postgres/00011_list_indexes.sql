-- +goose Up
-- Indexes for the lists, searches and queue pages at 100,000 certificates
-- and more: each filter of the queue reads its matches newest first from
-- an index of its own and stops at the page's end, so that a page costs
-- what it shows rather than what the table holds. The status at the end
-- lets the counts per status read the index alone.
CREATE INDEX certificates_status ON certificates (status, received_at DESC, id DESC);
CREATE INDEX certificates_template ON certificates (template, received_at DESC, id DESC, status);
CREATE INDEX certificates_contact ON certificates (contact_requested, received_at DESC, id DESC, status);
-- A clinic's patient search names the patient and the clinic's units: with
-- both in one index the planner needs no statistics to prefer it over the
-- unit's index (a scan of the whole unit).
CREATE INDEX certificates_patient_unit ON certificates (patient_id, unit_hsa_id, received_at DESC, id DESC);
-- The messages filter (open, answered, overdue) starts from the messages.
CREATE INDEX messages_status ON messages (status, reply_by, certificate_id);

-- +goose Down
DROP INDEX messages_status;
DROP INDEX certificates_patient_unit;
DROP INDEX certificates_contact;
DROP INDEX certificates_template;
DROP INDEX certificates_status;
