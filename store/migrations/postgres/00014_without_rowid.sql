-- +goose Up
-- A period's place among its certificate's periods is its key, as on
-- SQLite, where periods, diagnoses and flags are stored in their
-- certificate's key (issue 16); those stored before are numbered in the
-- order of their dates, which is the certificate's order (intake sorts a
-- certificate's periods by their start).
ALTER TABLE certificate_periods ADD COLUMN position INTEGER;
UPDATE certificate_periods p SET position = n.position
FROM (SELECT ctid, row_number() OVER (PARTITION BY certificate_id ORDER BY from_date, to_date, ctid) - 1 AS position FROM certificate_periods) n
WHERE p.ctid = n.ctid;
ALTER TABLE certificate_periods ALTER COLUMN position SET NOT NULL;
DROP INDEX certificate_periods_certificate;
ALTER TABLE certificate_periods ADD PRIMARY KEY (certificate_id, position);

-- +goose Down
ALTER TABLE certificate_periods DROP CONSTRAINT certificate_periods_pkey;
CREATE INDEX certificate_periods_certificate ON certificate_periods (certificate_id, to_date, from_date);
ALTER TABLE certificate_periods DROP COLUMN position;
