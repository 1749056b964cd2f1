-- +goose Up
-- The draft a deleted draft's answers were saved as (a tab still open on
-- it saved after the delete), or '': a later save aimed at the deleted
-- draft goes into that one, and "Ångra" sends the physician to it, rather
-- than make a second draft of the same answers.
ALTER TABLE drafts ADD COLUMN saved_as TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE drafts DROP COLUMN saved_as;
