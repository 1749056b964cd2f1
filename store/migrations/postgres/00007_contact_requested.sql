-- +goose Up
-- Whether the physician asks the agency to get in touch (the answer the
-- template's derive block names), queryable for the caseworker's queue.
-- Certificates stored before carry it in their record only when it was
-- derived; they count as not asking.
ALTER TABLE certificates ADD COLUMN contact_requested BOOLEAN NOT NULL DEFAULT false;
UPDATE certificates SET contact_requested = true WHERE (record->>'contactRequested')::boolean IS TRUE;

-- +goose Down
ALTER TABLE certificates DROP COLUMN contact_requested;
