package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CreatePatientRef keeps patient under a new random reference for the
// session whose secret is session, for life, and returns the reference.
// References expired by then are deleted.
func (db *DB) CreatePatientRef(ctx context.Context, session, patient string, life time.Duration) (string, error) {
	ref := newID()
	now := db.now()
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM patient_refs WHERE expires_at < ?`), db.timeArg(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO patient_refs (ref, session_hash, patient, expires_at) VALUES (?, ?, ?, ?)`),
			ref, hashSecret(session), patient, db.timeArg(now.Add(life)))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store: create patient reference: %w", err)
	}
	return ref, nil
}

// FindPatientRef returns the patient kept under ref for the session whose
// secret is session, unless it expired; ok is false for a reference
// unknown, expired or another session's.
func (db *DB) FindPatientRef(ctx context.Context, ref, session string) (patient string, ok bool, err error) {
	err = db.read.QueryRowContext(ctx, db.rebind(`SELECT patient FROM patient_refs WHERE ref = ? AND session_hash = ? AND expires_at >= ?`),
		ref, hashSecret(session), db.timeArg(db.now())).Scan(&patient)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, unavailable(fmt.Errorf("store: find patient reference: %w", err))
	}
	return patient, true, nil
}
