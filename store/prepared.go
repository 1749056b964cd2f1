package store

import (
	"context"
	"database/sql"
	"errors"
)

// maxPreparedRows is how many rows the prepared multi-row inserts of a
// certificate's periods, diagnoses and flags go up to; more rows than that
// run as text.
const maxPreparedRows = 8

// prepared holds the statements of the submission path, prepared once:
// SQLite parsed each statement again on every call (about as long as it
// took to run it), and PostgreSQL's text was rebound each time. A
// *sql.Stmt is prepared on each connection the first time it runs there
// and kept with it, also when it runs inside a transaction (Tx.StmtContext).
// The map is filled by Open before the writer starts and only read after.
type prepared map[string]*sql.Stmt

// prepare prepares queries (with ? placeholders) on conns under their
// own text.
func (db *DB) prepare(ctx context.Context, conns *sql.DB, into prepared, queries ...string) error {
	for _, q := range queries {
		if _, ok := into[q]; ok {
			continue
		}
		s, err := conns.PrepareContext(ctx, db.rebind(q))
		if err != nil {
			return err
		}
		into[q] = s
	}
	return nil
}

// prepareSubmission prepares the statements that storing a submission
// runs, on the writer's connections and on the readers.
func (db *DB) prepareSubmission(ctx context.Context) error {
	db.writeStmts, db.readStmts = prepared{}, prepared{}
	writes := []string{insertEventSQL, findByIdempotencyKeySQL}
	if db.dialect == Postgres {
		writes = append(writes, insertCertificatesPostgresSQL)
	} else {
		writes = append(writes, insertCertificateSQL, keepCountSQL)
		for n := 1; n <= maxPreparedRows; n++ {
			writes = append(writes, insertPeriodsSQL+rows(n, 5), insertFlagsSQL+rows(n, 3), insertDiagnosesSQL+rows(n, 3), keepPeriodsSQL(n))
		}
	}
	if err := db.prepare(ctx, db.write, db.writeStmts, writes...); err != nil {
		return err
	}
	// The flags read the patient's case history before each submission,
	// in batches (histories).
	reads := []string{findByIdempotencyKeySQL}
	for _, n := range historySizes {
		q, _ := db.historyQuery(make([]string, n))
		reads = append(reads, q)
	}
	return db.prepare(ctx, db.read, db.readStmts, reads...)
}

// closePrepared closes the prepared statements.
func (db *DB) closePrepared() error {
	var err error
	for _, m := range []prepared{db.writeStmts, db.readStmts} {
		for _, s := range m {
			err = errors.Join(err, s.Close())
		}
	}
	return err
}

// exec runs a write in tx: through its prepared statement if there is
// one, else as text.
func (db *DB) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if s, ok := db.writeStmts[query]; ok {
		return tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, db.rebind(query), args...)
}

// query runs a query on the readers: through its prepared statement if
// there is one, else as text.
func (db *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s, ok := db.readStmts[query]; ok {
		return s.QueryContext(ctx, args...)
	}
	return db.read.QueryContext(ctx, db.rebind(query), args...)
}

// queryRow runs a one-row query in tx, or on the readers when tx is nil:
// through its prepared statement if there is one, else as text.
func (db *DB) queryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if tx != nil {
		if s, ok := db.writeStmts[query]; ok {
			return tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
		}
		return tx.QueryRowContext(ctx, db.rebind(query), args...)
	}
	if s, ok := db.readStmts[query]; ok {
		return s.QueryRowContext(ctx, args...)
	}
	return db.read.QueryRowContext(ctx, db.rebind(query), args...)
}
