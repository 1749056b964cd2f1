package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
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

// MaxStale is how often a certificate is flagged again before it is
// refused (pipelines).
const MaxStale = maxStale

// Strings runs a query (with ? placeholders) of one text column behind
// the store's back and returns its rows.
func (db *DB) Strings(ctx context.Context, query string, args ...any) ([]string, error) {
	return db.strings(ctx, query, args...)
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

// ExplainFindMessages returns the plan of FindMessages' query for f.
func (db *DB) ExplainFindMessages(ctx context.Context, f intake.MessageFilter) ([]string, error) {
	q, args, _, err := db.messagesQuery(f)
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

// ExplainCaseCertificates returns the plan of FindCaseCertificates' query
// for the patient at units.
func (db *DB) ExplainCaseCertificates(ctx context.Context, patientID string, units []string) ([]string, error) {
	q, args := db.patientCaseQuery(patientID, units)
	return db.explain(ctx, q, args)
}

// PipelineWrites is how many certificates PostgreSQL's insert pipelines
// have committed.
func (db *DB) PipelineWrites() int64 { return db.pipelines.written.Load() }

// JoinedWrites is how many new certificates went in one insert statement
// with others: on PostgreSQL in a pipeline, on SQLite held by the writer
// (whether or not the insert went through).
func (db *DB) JoinedWrites() int64 {
	if db.dialect == SQLite {
		return db.writer.joined.Load()
	}
	return db.pipelines.joined.Load()
}

// HoldWriter runs a write that waits, so that the writes queued meanwhile
// join its batch. It also holds the syncer's idle token, as if the syncer
// were busy with a batch before: a batch takes the writes waiting for as
// long as the syncer is busy, and not one more once it is idle. release
// returns once queued writes wait behind it (or after ten seconds), ends
// the write, and gives the token back once the writer has taken every
// write waiting.
func (db *DB) HoldWriter() (release func(queued int)) {
	w := db.writer
	running, done := make(chan struct{}), make(chan struct{})
	var once sync.Once
	go w.do(context.Background(), func(context.Context, *sql.Tx) error {
		once.Do(func() { close(running) }) // a batch run again runs it again
		<-done
		return nil
	})
	<-running
	if w.sync != nil {
		select {
		case <-w.idle: // the previous batch's sync, if any, is done
		case <-time.After(10 * time.Second):
			panic("store: HoldWriter: the syncer was not idle within ten seconds")
		}
	}
	return func(queued int) {
		db.WaitQueued(queued)
		close(done)
		for deadline := time.Now().Add(10 * time.Second); len(w.jobs) > 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		w.syncerIdle()
	}
}

// WaitQueued returns once n writes wait for the writer (or after ten
// seconds).
func (db *DB) WaitQueued(n int) {
	for deadline := time.Now().Add(10 * time.Second); len(db.writer.jobs) < n && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
}

// ReadHistoriesTogether reads patients' histories in one batch, as
// concurrent callers on PostgreSQL would, and returns each caller's.
func (db *DB) ReadHistoriesTogether(patients []string) ([][]intake.CaseCertificate, error) {
	batch := make([]historyWait, len(patients))
	for i, p := range patients {
		batch[i] = historyWait{patient: p, done: make(chan historyResult, 1)}
	}
	db.histories.read(batch)
	out := make([][]intake.CaseCertificate, len(batch))
	for i, w := range batch {
		r := <-w.done
		if r.err != nil {
			return nil, r.err
		}
		out[i] = r.certs
	}
	return out, nil
}

// ExplainHistoriesGeneric returns PostgreSQL's generic plan of the
// batched history query, the one a prepared statement keeps after its
// first runs.
func (db *DB) ExplainHistoriesGeneric(ctx context.Context, patients []string) ([]string, error) {
	q, args := db.historyQuery(patients)
	conn, err := db.read.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	types, values := make([]string, len(args)), make([]string, len(args))
	for i, a := range args {
		types[i], values[i] = "text", "'"+a.(string)+"'"
	}
	for _, stmt := range []string{`SET plan_cache_mode = force_generic_plan`, `PREPARE histories (` + strings.Join(types, ", ") + `) AS ` + q} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return nil, err
		}
	}
	defer conn.ExecContext(ctx, `DEALLOCATE histories; RESET plan_cache_mode`)
	rows, err := conn.QueryContext(ctx, `EXPLAIN EXECUTE histories (`+strings.Join(values, ", ")+`)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		out = append(out, line)
	}
	return out, rows.Err()
}

// HoldKey inserts, without committing, a certificate under the
// idempotency key, so that an insert under the same key waits on it until
// release rolls it back. PostgreSQL only.
func (db *DB) HoldKey(ctx context.Context, scope, key string) (release func(), err error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO certificates (id, template, version, status, submitted, sha256, record, patient_id,
		issuer_hsa_id, unit_hsa_id, signed_at, received_at, idempotency_scope, idempotency_key)
		VALUES ('held', 'x', '1', 'received', '\x00', 'x', '{}', 'x', 'x', $1, now(), now(), $1, $2)`, scope, key)
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	return func() { tx.Rollback() }, nil
}

// LockWaits is how many of PostgreSQL's backends on this database wait for a lock.
func (db *DB) LockWaits(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`).Scan(&n)
	return n, err
}

// HoldTable locks table against every read until release. PostgreSQL
// only.
func (db *DB) HoldTable(ctx context.Context, table string) (release func(), err error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `LOCK TABLE `+table+` IN ACCESS EXCLUSIVE MODE`); err != nil {
		tx.Rollback()
		return nil, err
	}
	return func() { tx.Rollback() }, nil
}

// HistoriesWaiting is how many history reads wait for the next batch.
func (db *DB) HistoriesWaiting() int {
	db.histories.batches.mu.Lock()
	defer db.histories.batches.mu.Unlock()
	return len(db.histories.batches.waiting)
}

// PipelinesWaiting is how many inserts wait for the next pipeline.
func (db *DB) PipelinesWaiting() int {
	db.pipelines.jobs.mu.Lock()
	defer db.pipelines.jobs.mu.Unlock()
	return len(db.pipelines.jobs.waiting)
}

// HistoryReads is how many queries have read patients' case histories
// (FindCaseCertificates at every unit).
func (db *DB) HistoryReads() int64 { return db.histories.reads.Load() }

// ExplainHistories returns the plan of the query that reads patients'
// case histories together, at every unit.
func (db *DB) ExplainHistories(ctx context.Context, patients []string) ([]string, error) {
	q, args := db.historyQuery(patients)
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

// RedoMigration undoes the migrations from version on and applies them
// again, as on a database that held certificates before them.
func RedoMigration(ctx context.Context, db *DB, version int64) error {
	if err := UndoMigrations(ctx, db, version-1); err != nil {
		return err
	}
	return ApplyMigrations(ctx, db)
}

// UndoMigrations undoes the migrations after version, and ApplyMigrations
// applies those not applied, as a server of a newer release does at Open.
func UndoMigrations(ctx context.Context, db *DB, version int64) error {
	p, err := db.migrations()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}

// ApplyMigrations applies the migrations not yet applied (see
// UndoMigrations).
func ApplyMigrations(ctx context.Context, db *DB) error {
	p, err := db.migrations()
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// CountCertificatesScanned is CountCertificatesByStatus counting the
// certificates themselves, never the kept counts: what the kept counts
// must agree with.
func (db *DB) CountCertificatesScanned(ctx context.Context, f intake.CertificateFilter) (map[intake.Status]int, error) {
	f.Status = nil
	from, where, args, _, err := db.certificateQuery(f, false)
	if err != nil {
		return nil, err
	}
	q := `SELECT status, COUNT(*) FROM ` + from
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	out := map[intake.Status]int{}
	rows, err := db.read.QueryContext(ctx, db.rebind(q+` GROUP BY status`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[intake.Status(s)] = n
	}
	return out, rows.Err()
}

// FindCaseCertificatesJoined is FindOngoingCaseCertificates (with units
// and at) or FindCaseCertificates (with a patient) read from the
// certificates, their periods and diagnoses, never case_periods: what
// case_periods must agree with.
func (db *DB) FindCaseCertificatesJoined(ctx context.Context, patient string, units []string, at intake.Date, gap int) ([]intake.CaseCertificate, error) {
	name := `json_extract(c.record, '$.patient.name')`
	if db.dialect == Postgres {
		name = `c.record->'patient'->>'name'`
	}
	counted := `c.counts_toward_cases = ? AND c.status NOT IN ('revoked', 'replaced')`
	in, unitArgs := inList(units)
	where, args := counted+` AND c.unit_hsa_id IN `+in, append([]any{db.boolArg(true)}, unitArgs...)
	if patient != "" {
		where, args = where+` AND c.patient_id = ?`, append(args, patient)
	} else {
		where += ` AND c.patient_id IN (SELECT c.patient_id FROM certificates c JOIN certificate_periods p ON p.certificate_id = c.id
			WHERE ` + counted + ` AND c.unit_hsa_id IN ` + in + ` AND p.to_date >= ? AND p.from_date <= ?)`
		args = append(append(append(args, db.boolArg(true)), unitArgs...), at.String(), at.AddDays(gap+1).String())
	}
	return db.caseRows(ctx, nil, db.rebind(`SELECT c.id, c.unit_hsa_id, c.patient_id, `+name+`, c.signed_at,
		COALESCE((SELECT d.code FROM certificate_diagnoses d WHERE d.certificate_id = c.id AND d.position = 0), ''),
		p.degree, p.from_date, p.to_date
		FROM certificates c JOIN certificate_periods p ON p.certificate_id = c.id
		WHERE `+where+` ORDER BY c.patient_id, c.id, p.from_date`), args)
}

// LoseWAL makes the next sync of SQLite's write-ahead log fail, as a disk
// that stopped confirming writes would.
func LoseWAL(db *DB) {
	db.wal.mu.Lock()
	defer db.wal.mu.Unlock()
	if db.wal.f != nil {
		db.wal.f.Close()
		db.wal.f = nil
	}
	db.wal.path = filepath.Join(filepath.Dir(db.wal.path), "no-such-directory", "intyg.db-wal")
}

// FailDatabaseSync returns a function after which every sync of the
// database file by the checkpoints fails, as a disk that cannot write
// would, in every database of the process, until the test ends.
func FailDatabaseSync(tb testing.TB) (start func()) {
	var failing atomic.Bool
	old := syncDatabase
	syncDatabase = func(f *os.File) error {
		if failing.Load() {
			return errors.New("injected: the disk did not write the pages")
		}
		return old(f)
	}
	tb.Cleanup(func() { syncDatabase = old })
	return func() { failing.Store(true) }
}

// TakeReaders takes every connection of SQLite's readers' pool that it
// can get within a second each, as long reads would, until the
// test ends, and returns how many it took.
func TakeReaders(tb testing.TB, db *DB) int {
	for n := 0; ; n++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := db.read.Conn(ctx)
		cancel()
		if err != nil {
			return n
		}
		tb.Cleanup(func() { c.Close() })
	}
}

// WriterPragma returns the value of a PRAGMA on the writer's connection.
func WriterPragma(ctx context.Context, db *DB, name string) (int, error) {
	var v int
	err := db.write.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}

// HoldHashSlots takes every password-hashing slot, as hashes running would,
// until release; MaxHashWaiting is how many more may wait for one.
func (db *DB) HoldHashSlots() (release func()) {
	for range cap(db.hashes.slots) {
		db.hashes.slots <- struct{}{}
	}
	return func() {
		for range cap(db.hashes.slots) {
			<-db.hashes.slots
		}
	}
}

const MaxHashWaiting = maxHashWaiting

// HashWaiting is how many password hashes wait for a slot.
func (db *DB) HashWaiting() int { return int(db.hashes.waiting.Load()) }

// EncodeRecord makes the record that CreateCertificate stores for c.
func EncodeRecord(c *intake.Certificate) ([]byte, error) {
	r := certInsert{c: c}
	err := r.encode()
	return r.record, err
}

// SetWALRestart makes SQLite's log restart past pages (for every open
// database) and checkpoint every interval (for the databases opened after),
// until the test ends.
func SetWALRestart(tb testing.TB, pages int, every time.Duration) {
	oldPages, oldEvery := walRestartPages, checkpointInterval
	walRestartPages, checkpointInterval = pages, every
	tb.Cleanup(func() { walRestartPages, checkpointInterval = oldPages, oldEvery })
}

// CheckpointInterval is how often SQLite's log is checkpointed.
func CheckpointInterval() time.Duration { return checkpointInterval }

// MigrationLockID is the advisory lock servers take in turn to migrate a
// PostgreSQL database.
var MigrationLockID = migrationLockID
