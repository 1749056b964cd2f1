package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/intyg/intyg/intake"
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

// SetTokenCacheTTL changes how long verified tokens are kept in memory.
func SetTokenCacheTTL(db *DB, d time.Duration) {
	db.tokens.mu.Lock()
	defer db.tokens.mu.Unlock()
	db.tokens.ttl = d
}

// ExplainFindCertificates returns the plan of FindCertificates' query for
// f, one line per step (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN).
func (db *DB) ExplainFindCertificates(ctx context.Context, f intake.CertificateFilter) ([]string, error) {
	q, args, _, err := db.findQuery(f)
	if err != nil {
		return nil, err
	}
	return db.explain(ctx, q, args)
}

// ExplainCountCertificates returns the plan of CountCertificatesByStatus'
// query for f.
func (db *DB) ExplainCountCertificates(ctx context.Context, f intake.CertificateFilter) ([]string, error) {
	q, args, err := db.countQuery(f)
	if err != nil {
		return nil, err
	}
	return db.explain(ctx, q, args)
}

// ExplainOngoingCases returns the plan of FindOngoingCaseCertificates' query.
func (db *DB) ExplainOngoingCases(ctx context.Context, units []string, at intake.Date, gap int) ([]string, error) {
	q, args := db.ongoingQuery(units, at, gap)
	return db.explain(ctx, q, args)
}

func (db *DB) explain(ctx context.Context, q string, args []any) ([]string, error) {
	if db.dialect == SQLite {
		rows, err := db.read.QueryContext(ctx, `EXPLAIN QUERY PLAN `+q, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				return nil, err
			}
			out = append(out, detail)
		}
		return out, rows.Err()
	}
	return db.strings(ctx, `EXPLAIN `+q, args...)
}
