package store

import (
	"context"
	"database/sql"
	"errors"
	"math/bits"
	"strings"
)

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
		for _, m := range []multiInsert{insertCertificates, insertEvents, insertPeriods, insertFlags, insertDiagnoses, keepCounts, keepPeriods} {
			writes = append(writes, m.texts...)
		}
		for n := 1; n <= maxBatch; n *= 2 {
			q, _ := insertedQuery(make([]string, n))
			writes = append(writes, q)
		}
		// The writer reads the histories of the certificates it inserts
		// (flagHeld).
		for _, n := range historySizes {
			q, _ := db.historyQuery(make([]string, n))
			writes = append(writes, q)
		}
	}
	if err := db.prepare(ctx, db.write, db.writeStmts, writes...); err != nil {
		return err
	}
	// On PostgreSQL the flags read the patient's case history before
	// each submission, in batches (histories).
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
	return db.queryIn(ctx, nil, query, args...)
}

// queryIn runs a query in tx, or on the readers when tx is nil: through
// its prepared statement if there is one, else as text.
func (db *DB) queryIn(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if tx != nil {
		if s, ok := db.writeStmts[query]; ok {
			return tx.StmtContext(ctx, s).QueryContext(ctx, args...)
		}
		return tx.QueryContext(ctx, db.rebind(query), args...)
	}
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

// maxStatementRows is how many rows one multi-row insert carries at most.
const maxStatementRows = 64

// multiInsert is an insert of any number of rows of width values, as
// statements of 1, 2, 4 … maxStatementRows rows, which are prepared once
// (execRows): on SQLite each statement costs its start and its cursors on
// the table and every index, whatever rows it carries.
type multiInsert struct {
	width int
	texts []string // texts[i] inserts 1<<i rows
}

// newMultiInsert returns the insert that is prefix, the rows' placeholders
// and suffix.
func newMultiInsert(prefix, suffix string, width int) multiInsert {
	m := multiInsert{width: width}
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	for n := 1; n <= maxStatementRows; n *= 2 {
		m.texts = append(m.texts, prefix+strings.TrimSuffix(strings.Repeat(tuple+", ", n), ", ")+suffix)
	}
	return m
}

// execRows inserts the rows whose values args holds, m.width each, in tx:
// in the fewest statements of m's sizes, largest first. It returns how
// many rows were inserted.
func (db *DB) execRows(ctx context.Context, tx *sql.Tx, m multiInsert, args []any) (int64, error) {
	var inserted int64
	for n := len(args) / m.width; n > 0; {
		i := bits.Len(uint(min(n, maxStatementRows))) - 1 // the largest size up to n
		k := 1 << i
		res, err := db.exec(ctx, tx, m.texts[i], args[:k*m.width]...)
		if err != nil {
			return inserted, err
		}
		affected, err := res.RowsAffected()
		if err != nil {
			return inserted, err
		}
		inserted += affected
		args, n = args[k*m.width:], n-k
	}
	return inserted, nil
}
