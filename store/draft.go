package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/intyg/intyg/intake"
)

// SaveDraft stores a draft: a new one when d.ID is "" (its ID and
// CreatedAt are set), else the physician's own draft is updated. A draft
// is written at one unit: it is d.UserID's at d.Unit, or not found, so
// that a physician of several units sees at each only its drafts, and a
// unit that is disabled takes its drafts with it. A draft of d.UserID's at
// d.Unit in d's template version that was deleted (in another tab) is not
// written into: the answers go into the draft they were saved as since
// the delete, or are stored as a new draft (saveDeletedDraft), whose ID
// replaces d.ID, so that they are neither lost nor saved twice. Returns
// ENOTFOUND when the draft is not d.UserID's at d.Unit in that version,
// ECONFLICT (draftSigned) when it was signed or (draftChanged) when d.Base
// is not its last save (for a deleted draft: when the draft its answers
// were saved as has been saved since, which d.SavedAs then names, as the
// deleted one has no page to open again), and EFORBIDDEN when it is locked
// (older than intake.DraftLockAfter).
func (db *DB) SaveDraft(ctx context.Context, d *intake.Draft) error {
	now := db.now()
	d.UpdatedAt = now
	if d.ID == "" {
		d.ID, d.CreatedAt = newID(), now
		err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
			return db.insertDraft(ctx, tx, d)
		})
		if err != nil {
			return fmt.Errorf("store: create draft: %w", err)
		}
		return nil
	}
	id := d.ID
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		d.ID, d.SavedAs = id, "" // a retried transaction starts over
		old, deleted, err := db.lockDraft(ctx, tx, d.ID)
		switch {
		case err != nil:
			return err
		case !sameDraft(old, d):
			// A draft is of one template version: another's form
			// would drop its answers.
			return intake.Failure(intake.ENOTFOUND, "notFound.draft")
		case old.CertificateID != "":
			return intake.Refusal("draftSigned")
		case deleted && !old.Locked:
			return db.saveDeletedDraft(ctx, tx, d, old, now)
		case !d.Base.IsZero() && !d.Base.Equal(old.UpdatedAt):
			return intake.Refusal("draftChanged")
		case old.Locked:
			return intake.Failure(intake.EFORBIDDEN, "refused.draftLocked")
		}
		return db.updateDraft(ctx, tx, d, old, now)
	})
	if err != nil {
		return fmt.Errorf("store: save draft %s: %w", id, err)
	}
	return nil
}

// sameDraft says whether o is the draft d is a save of: the same
// physician's, at the same unit, in the same template version.
func sameDraft(o, d *intake.Draft) bool {
	return o.UserID == d.UserID && o.Unit == d.Unit && o.Template == d.Template && o.Version == d.Version
}

// updateDraft writes the answers d over the live draft old, as read in tx.
func (db *DB) updateDraft(ctx context.Context, tx *sql.Tx, d, old *intake.Draft, now time.Time) error {
	d.CreatedAt = old.CreatedAt
	// Only over the save read, and not once signed or deleted: old was
	// read with its row locked (lockDraft), and the conditions say so
	// again where the write is made.
	q := `UPDATE drafts SET patient_id = ?, patient_name = ?, form = ?, updated_at = ? WHERE id = ? AND certificate_id = '' AND deleted_at IS NULL`
	args := []any{d.PatientID, d.PatientName, d.Form, db.timeArg(now), d.ID}
	if !d.Base.IsZero() {
		q += ` AND updated_at = ?`
		args = append(args, db.timeArg(old.UpdatedAt))
	}
	res, err := tx.ExecContext(ctx, db.rebind(q), args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	saved, deleted, err := db.lockDraft(ctx, tx, d.ID)
	switch {
	case err != nil:
		return err
	case saved.CertificateID != "":
		return intake.Refusal("draftSigned")
	case deleted:
		return db.saveDeletedDraft(ctx, tx, d, saved, now) // deleted meanwhile
	}
	return intake.Refusal("draftChanged")
}

// saveDeletedDraft stores the answers d aimed at the deleted draft gone (a
// tab still open on it): into the draft they were saved as since the
// delete (by another tab, or by this tab's save whose answer was lost), if
// that is still the physician's to write (the same unit and template
// version, unsigned, not locked) and, when d names its base, not saved
// since it was made (else draftChanged, as over a later save, with
// d.SavedAs naming that draft and the message saying the answers are in
// it); otherwise as a new draft, which the deleted one then names
// (saved_as). The rows are locked in tx (lockDraft), so that of two saves
// at once one makes the new draft and the other finds it.
func (db *DB) saveDeletedDraft(ctx context.Context, tx *sql.Tx, d, gone *intake.Draft, now time.Time) error {
	gone, next, err := db.savedAs(ctx, tx, gone)
	if err != nil {
		return err
	}
	if next != nil && sameDraft(next, d) && next.CertificateID == "" && !next.Locked {
		if !d.Base.IsZero() && !next.UpdatedAt.Equal(next.CreatedAt) {
			d.SavedAs = next.ID
			return intake.Failure(intake.ECONFLICT, "lifecycle.draftChangedSavedAs").
				WithProblems(intake.Problems{intake.NewProblem("", "draftChanged", "lifecycle.draftChangedSavedAs", nil)})
		}
		d.ID = next.ID
		return db.updateDraft(ctx, tx, d, next, now)
	}
	d.ID, d.CreatedAt = newID(), now
	if err := db.insertDraft(ctx, tx, d); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, db.rebind(`UPDATE drafts SET saved_as = ? WHERE id = ?`), d.ID, gone.ID)
	return err
}

// savedAs follows the deleted draft gone's saved_as, and on while the
// draft it names is deleted too, to the draft its answers are in now:
// that one (nil if there is none), and the last deleted draft on the way,
// which a new draft of the answers is to be named by. A draft's saved_as
// is one made after it, so the way ends.
func (db *DB) savedAs(ctx context.Context, tx *sql.Tx, gone *intake.Draft) (*intake.Draft, *intake.Draft, error) {
	for gone.SavedAs != "" {
		next, deleted, err := db.lockDraft(ctx, tx, gone.SavedAs)
		if err != nil || !deleted {
			return gone, next, err
		}
		gone = next
	}
	return gone, nil, nil
}

const draftFields = `id, user_id, unit_hsa_id, template, version, patient_id, patient_name, form, created_at, updated_at, certificate_id, saved_as`

func (db *DB) scanDraft(row scanner) (*intake.Draft, error) {
	var d intake.Draft
	err := row.Scan(&d.ID, &d.UserID, &d.Unit, &d.Template, &d.Version, &d.PatientID, &d.PatientName, &d.Form,
		timeValue{&d.CreatedAt}, timeValue{&d.UpdatedAt}, &d.CertificateID, &d.SavedAs)
	d.Locked = db.now().Sub(d.CreatedAt) >= intake.DraftLockAfter
	return &d, err
}

// findDraft reads a live (not deleted) draft in tx or from the readers.
func (db *DB) findDraft(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, id string) (*intake.Draft, error) {
	d, err := db.scanDraft(q.QueryRowContext(ctx, db.rebind(`SELECT `+draftFields+` FROM drafts WHERE id = ? AND deleted_at IS NULL`), id))
	if err != nil {
		return nil, notFound(err, "notFound.draft")
	}
	return d, nil
}

// lockDraft reads a draft in tx, even a deleted one, and whether it was
// deleted; on PostgreSQL its row stays locked until tx ends, so that
// another worker's or server's save, delete or restore of it waits, and
// then sees this one's (SQLite's write transaction holds the database).
// With tx nil it reads from the readers and locks nothing.
func (db *DB) lockDraft(ctx context.Context, tx *sql.Tx, id string) (*intake.Draft, bool, error) {
	q := `SELECT ` + draftFields + `, deleted_at IS NOT NULL FROM drafts WHERE id = ?`
	if db.dialect == Postgres && tx != nil {
		q += ` FOR UPDATE`
	}
	var deleted bool
	d, err := db.scanDraft(extraScan{db.queryRow(ctx, tx, q, id), &deleted})
	if err != nil {
		return nil, false, notFound(err, "notFound.draft")
	}
	return d, deleted, nil
}

// extraScan scans a row's last column into extra, after the columns
// scanned into the destinations it is given.
type extraScan struct {
	row   scanner
	extra any
}

func (s extraScan) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra)...) }

// FindDraft returns a live draft. Returns ENOTFOUND if there is none.
func (db *DB) FindDraft(ctx context.Context, id string) (*intake.Draft, error) {
	d, err := db.findDraft(ctx, db.read, id)
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find draft %s: %w", id, err))
	}
	return d, nil
}

// FindDrafts returns a physician's unsigned drafts at a unit (SaveDraft),
// the last changed first.
func (db *DB) FindDrafts(ctx context.Context, userID, unit string) ([]*intake.Draft, error) {
	ds, err := db.findDrafts(ctx, nil, userID, unit)
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find drafts: %w", err))
	}
	return ds, nil
}

// findDrafts is FindDrafts in tx, or on the readers if tx is nil.
func (db *DB) findDrafts(ctx context.Context, tx *sql.Tx, userID, unit string) ([]*intake.Draft, error) {
	rows, err := db.queryIn(ctx, tx, db.rebind(`SELECT `+draftFields+` FROM drafts
		WHERE user_id = ? AND unit_hsa_id = ? AND deleted_at IS NULL AND certificate_id = '' ORDER BY updated_at DESC, id LIMIT 500`), userID, unit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*intake.Draft
	for rows.Next() {
		d, err := db.scanDraft(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// CreateDraftUnless stores d as a new draft, unless one of its physician's
// unsigned, unlocked drafts at its unit is the same as far as same says:
// then it stores nothing and returns that one. Two at once (a double
// click; two servers) make one draft: the physician's account is locked
// on PostgreSQL while one looks and stores (SQLite's writer is one).
func (db *DB) CreateDraftUnless(ctx context.Context, d *intake.Draft, same func(*intake.Draft) bool) (*intake.Draft, error) {
	now := db.now()
	var found *intake.Draft
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		found = nil
		if db.dialect == Postgres {
			if _, err := tx.ExecContext(ctx, db.rebind(`SELECT 1 FROM users WHERE id = ? FOR UPDATE`), d.UserID); err != nil {
				return err
			}
		}
		ds, err := db.findDrafts(ctx, tx, d.UserID, d.Unit)
		if err != nil {
			return err
		}
		for _, o := range ds {
			if !o.Locked && same(o) {
				found = o
				return nil
			}
		}
		d.ID, d.CreatedAt, d.UpdatedAt = newID(), now, now
		return db.insertDraft(ctx, tx, d)
	})
	if err != nil {
		return nil, fmt.Errorf("store: create draft: %w", err)
	}
	return found, nil
}

// insertDraft inserts the new draft d.
func (db *DB) insertDraft(ctx context.Context, tx *sql.Tx, d *intake.Draft) error {
	_, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO drafts (id, user_id, unit_hsa_id, template, version, patient_id, patient_name, form, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		d.ID, d.UserID, d.Unit, d.Template, d.Version, d.PatientID, d.PatientName, d.Form, db.timeArg(d.CreatedAt), db.timeArg(d.UpdatedAt))
	return err
}

// DeleteDraft removes a physician's unsigned draft from their list (it is
// marked deleted, not erased). Returns ENOTFOUND when it is not theirs.
func (db *DB) DeleteDraft(ctx context.Context, id, userID string) error {
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.rebind(`UPDATE drafts SET deleted_at = ? WHERE id = ? AND user_id = ? AND deleted_at IS NULL AND certificate_id = ''`),
			db.timeArg(db.now()), id, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return intake.Failure(intake.ENOTFOUND, "notFound.draft")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: delete draft %s: %w", id, err)
	}
	return nil
}

// FindDeletedDraft returns a physician's deleted, unsigned draft at unit,
// and the draft its answers were saved as since the delete (SaveDraft),
// if that one is in their list at unit: RestoreDraft then gives that
// one instead of restoring the deleted draft (else nil). Returns
// ENOTFOUND when there is no such deleted draft.
func (db *DB) FindDeletedDraft(ctx context.Context, id, userID, unit string) (*intake.Draft, *intake.Draft, error) {
	gone, in, err := db.deletedDraft(ctx, nil, id, userID, unit)
	if err != nil {
		return nil, nil, unavailable(fmt.Errorf("store: find deleted draft %s: %w", id, err))
	}
	return gone, in, nil
}

// RestoreDraft undoes DeleteDraft: a physician's unsigned draft at unit is
// back in their list, and returned. One whose answers were saved anew
// since the delete (SaveDraft: a tab still open on it saved) stays
// deleted while the draft they are in is in the physician's list at unit
// (unsigned): that one is returned, so that the list does not hold the
// answers twice. Returns ENOTFOUND when there is no such deleted draft.
func (db *DB) RestoreDraft(ctx context.Context, id, userID, unit string) (*intake.Draft, error) {
	var d *intake.Draft
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		gone, in, err := db.deletedDraft(ctx, tx, id, userID, unit)
		switch {
		case err != nil:
			return err
		case in != nil:
			d = in
			return nil
		}
		if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE drafts SET deleted_at = NULL WHERE id = ?`), id); err != nil {
			return err
		}
		d = gone
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: restore draft %s: %w", id, err)
	}
	return d, nil
}

// deletedDraft reads userID's deleted, unsigned draft id at unit, and the
// draft its answers were saved as since, if that one is in their list at
// unit (unsigned), else nil: in tx with the rows locked (lockDraft), or
// from the readers when tx is nil.
func (db *DB) deletedDraft(ctx context.Context, tx *sql.Tx, id, userID, unit string) (*intake.Draft, *intake.Draft, error) {
	gone, deleted, err := db.lockDraft(ctx, tx, id)
	switch {
	case err != nil:
		return nil, nil, err
	case !deleted, gone.UserID != userID, gone.Unit != unit, gone.CertificateID != "":
		return nil, nil, intake.Failure(intake.ENOTFOUND, "notFound.draft")
	}
	_, next, err := db.savedAs(ctx, tx, gone)
	if err != nil || next == nil || next.UserID != userID || next.Unit != unit || next.CertificateID != "" {
		return gone, nil, err
	}
	return gone, next, nil
}

// MarkDraftSigned records the certificate a physician's draft became; it
// leaves their list of drafts. Another's draft is left alone.
func (db *DB) MarkDraftSigned(ctx context.Context, id, userID, certificateID string) error {
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.rebind(`UPDATE drafts SET certificate_id = ?, updated_at = ? WHERE id = ? AND user_id = ? AND certificate_id = '' AND created_at > ?`),
			certificateID, db.timeArg(db.now()), id, userID, db.timeArg(db.now().Add(-intake.DraftLockAfter)))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: mark draft %s signed: %w", id, err)
	}
	return nil
}
