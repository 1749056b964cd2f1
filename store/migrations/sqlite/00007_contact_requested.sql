-- +goose Up
-- Whether the physician asks the agency to get in touch (the answer the
-- template's derive block names), queryable for the caseworker's queue.
-- Certificates stored before carry it in their record only when it was
-- derived; they count as not asking.
ALTER TABLE certificates ADD COLUMN contact_requested INTEGER NOT NULL DEFAULT 0;
UPDATE certificates SET contact_requested = 1 WHERE json_extract(record, '$.contactRequested') = 1;

-- +goose Down
ALTER TABLE certificates DROP COLUMN contact_requested;
