package store

import (
	"context"
	"database/sql"
)

// ExecSQLite runs one statement on a SQLite file, for tests that need to
// put the database in a state the API cannot.
func ExecSQLite(path, stmt string) error {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(stmt)
	return err
}

// Exec runs one statement (with ? placeholders) on the database behind
// the store's back, for tests that tamper with what it wrote.
func (db *DB) Exec(ctx context.Context, query string, args ...any) error {
	_, err := db.write.ExecContext(ctx, db.rebind(query), args...)
	return err
}

// SealAuditLog runs migration 3 (sealing unchained entries) again.
func SealAuditLog(ctx context.Context, db *DB) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := db.sealAuditLog(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}
