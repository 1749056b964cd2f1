package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc64"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/intyg/intyg/intake"
)

//go:embed migrations
var migrations embed.FS

// Drivers Open accepts.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// timeLayout is how SQLite stores times: UTC, fixed width, so that text
// order is time order.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// Pool sizes: SQLite's readers beside its one writer, and PostgreSQL's
// connections, shared by the eight certificate workers, the access-log
// worker and the reads.
const (
	readConns = 8
	pgConns   = 24
)

// DB is Intyg's database. It is safe for concurrent use.
type DB struct {
	dialect string
	read    *sql.DB // queries; for SQLite a pool of readers beside the one writer
	write   *sql.DB // the group-commit writer's connection(s)
	writer  *writer
	// auditWriter appends to the access log. On PostgreSQL it is a writer
	// of its own with one worker: appends take the chain head's row lock,
	// and certificate writes should not queue behind it. On SQLite it is
	// writer, the one connection that may write.
	auditWriter *writer

	// health says whether the last write failed for want of the database,
	// and probing whether a probe write is under way.
	health  *health
	probing atomic.Bool

	// wal syncs SQLite's write-ahead log (walsync.go); nil on PostgreSQL.
	wal *walFile
	// logID names the writer connection's log to the log VFS (dropHeld);
	// "" on PostgreSQL.
	logID string
	// file is SQLite's database file, open from Open to Close, which
	// checkpoint syncs; nil on PostgreSQL and for a tool. It is never closed while
	// SQLite's connections are open: closing any descriptor of a file
	// drops every POSIX lock the process holds on it, SQLite's included,
	// and a tool beside the server would then take the server's log for
	// unused and remove it.
	file *os.File
	// checkpoints is the reader connection SQLite's passive checkpoints
	// run on, held from Open to Close (checkpoint); nil on PostgreSQL and
	// for a tool (OpenExisting).
	checkpoints *sql.Conn
	// logHold, once a write failed for good, is the transaction that keeps
	// SQLite's write lock (holdLog), begun and kept by the writer's
	// goroutine, or by Close after it stopped.
	logHold atomic.Pointer[sql.Tx]

	// writeStmts and readStmts are the submission path's prepared
	// statements, on write and on read.
	writeStmts, readStmts prepared

	// hashes bounds the password hashes under way (people.go).
	hashes *hashLimiter

	// histories reads patients' case histories in batches (history.go).
	histories *histories
	// pipelines inserts new certificates on PostgreSQL (pipeline.go).
	pipelines *pipelines

	// tokens caches verified API tokens for a short while.
	tokens tokenCache

	// stopHousekeeping stops the background work of housekeep (folding
	// PostgreSQL's count changes, SQLite's checkpoints), which then closes
	// housekeepingDone.
	stopHousekeeping, housekeepingDone chan struct{}

	// Now is the clock; tests may replace it before use.
	Now func() time.Time
}

// Open connects to the database, applies the embedded migrations and starts
// the group-commit writer. driver is SQLite (dsn: a file path; its directory
// is created) or Postgres (dsn: a pgx connection string). Open refuses a
// database that has migrations this binary does not know.
func Open(ctx context.Context, driver, dsn string) (*DB, error) {
	return open(ctx, driver, dsn, true)
}

// OpenExisting is Open for a tool that runs beside a server (the access
// log's check, the admin commands): it changes no schema, and refuses a
// database whose migrations are not exactly this binary's, so that a newer
// tool never migrates a database an older server is using, and one with
// no migration at all (ErrEmpty), so that a mistyped DSN is named, not
// filled with tables. On SQLite it neither gathers statistics nor
// checkpoints: a server beside it does both, and one whose sync failed
// must be the only one to say when its log is copied (checkpoint). With no
// server, SQLite copies the tool's log into the database file at Close,
// as its last connection: a command that writes much should not open
// this way.
func OpenExisting(ctx context.Context, driver, dsn string) (*DB, error) {
	return open(ctx, driver, dsn, false)
}

func open(ctx context.Context, driver, dsn string, migrate bool) (*DB, error) {
	db := &DB{dialect: driver, Now: time.Now, health: &health{}, hashes: newHashLimiter()}
	db.histories, db.pipelines = newHistories(db), newPipelines(db)
	var err error
	switch driver {
	case SQLite:
		if dsn == "" || strings.Contains(dsn, "?") {
			return nil, fmt.Errorf("store: open: sqlite needs a plain file path, got %q", dsn)
		}
		// WAL lets readers run beside the writer. The writer commits
		// without waiting for the disk and the group-commit writer syncs
		// the log before it answers (walsync.go); it leaves checkpoints to
		// a server's housekeep (checkpoint.go), which, on a reader's
		// connection, syncs the log and the database file
		// (synchronous=FULL). A log restarted after it grew is cut back
		// to walSizeLimit. The writer keeps its statement journals in
		// memory (temp_store): an insert of many rows keeps one, and
		// written to a file it had cost more than the rows saved.
		db.wal = &walFile{path: dsn + "-wal"}
		conn := "file:" + dsn + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
		if err := registerLogVFS(); err != nil {
			return nil, err
		}
		db.logID = newLogID()
		if db.write, err = sql.Open("sqlite", conn+"&vfs="+logVFSName+"&"+logParam+"="+db.logID+"&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit("+strconv.Itoa(walSizeLimit)+")&_pragma=temp_store(MEMORY)"); err != nil {
			return nil, fmt.Errorf("store: open: %w", err)
		}
		db.write.SetMaxOpenConns(1)
		db.write.SetMaxIdleConns(1)
		if db.read, err = sql.Open("sqlite", conn+"&_pragma=synchronous(FULL)"); err != nil {
			return nil, fmt.Errorf("store: open: %w", err)
		}
		// Keep every reader open: a new SQLite connection runs its
		// pragmas and parses the schema again. One more is held for the
		// checkpoints.
		db.read.SetMaxOpenConns(readConns + 1)
		db.read.SetMaxIdleConns(readConns + 1)
	case Postgres:
		config, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("store: open: %w", err)
		}
		// The pipelines' check of a patient's history (pipelines) reads
		// what was committed before it, after the patient's lock: each
		// statement's own snapshot, whatever the server's default.
		config.RuntimeParams["default_transaction_isolation"] = "read committed"
		db.read = stdlib.OpenDB(*config)
		// database/sql keeps 2 idle connections by default: under load
		// every other query then closed one and opened a new backend
		// (a process, and pgx's statement cache lost with it). Keep the
		// pool open, and let idle connections go only after a while.
		db.read.SetMaxOpenConns(pgConns)
		db.read.SetMaxIdleConns(pgConns)
		db.read.SetConnMaxIdleTime(5 * time.Minute)
		db.write = db.read
	default:
		return nil, fmt.Errorf("store: open: unknown driver %q (want %s or %s)", driver, SQLite, Postgres)
	}
	if err := db.migrate(ctx, migrate); err != nil {
		db.closeConns()
		return nil, err
	}
	if driver == SQLite && migrate {
		// SQLite has no autovacuum to gather statistics; PostgreSQL's does.
		// Not for a tool beside a server (OpenExisting): the server did at
		// its start, and one that can no longer write holds the write lock
		// (holdLog), which a tool's reads need not wait for.
		if err := db.Optimize(ctx); err != nil {
			db.closeConns()
			return nil, fmt.Errorf("store: optimize: %w", err)
		}
	}
	if err := db.prepareSubmission(ctx); err != nil {
		db.closeConns()
		return nil, fmt.Errorf("store: prepare: %w", err)
	}
	if driver == SQLite && migrate {
		// What the checkpoints use, a server's only (OpenExisting).
		// Read-write: on Windows a sync needs write access.
		if db.file, err = os.OpenFile(dsn, os.O_RDWR, 0); err != nil {
			db.closeConns()
			return nil, fmt.Errorf("store: open: %w", err)
		}
		if db.checkpoints, err = db.read.Conn(ctx); err != nil {
			db.closeConns()
			return nil, fmt.Errorf("store: open: %w", err)
		}
	}
	if err := db.syncWrites(); err != nil { // the migrations'
		db.closeConns()
		return nil, fmt.Errorf("store: open: %w", err)
	}
	opts := writerOptions{workers: 1, sync: db.syncWrites, between: db.finishCheckpoint, insert: db.insertCertificatesSQLite,
		ended: func() { dropHeld(db.logID) }}
	if driver == Postgres {
		opts = writerOptions{workers: 8, alone: true}
	}
	db.writer = newWriter(db.write, db.health, opts)
	db.auditWriter = db.writer
	switch {
	case driver == Postgres:
		db.auditWriter = newWriter(db.write, db.health, writerOptions{workers: 1})
		db.startHousekeeping(foldInterval, db.foldCounts)
	case migrate:
		// Not for a tool beside a server (OpenExisting): the server's
		// checkpoints copy its log, and after its sync failed nothing
		// may (checkpoint).
		db.startHousekeeping(checkpointInterval, db.checkpoint)
	}
	return db, nil
}

// startHousekeeping runs fn every interval until Close (housekeep).
func (db *DB) startHousekeeping(interval time.Duration, fn func(context.Context) error) {
	db.stopHousekeeping, db.housekeepingDone = make(chan struct{}), make(chan struct{})
	go housekeep(interval, fn, db.stopHousekeeping, db.housekeepingDone)
}

// AnalyzeStored has PostgreSQL gather the planner's statistics of the
// database at dsn, as after a bulk import, without opening it as the
// service does (CountStored).
func AnalyzeStored(ctx context.Context, dsn string) error {
	db, err := openPlain(Postgres, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("store: analyze: %w", err)
	}
	return nil
}

// openPlain connects to the database at dsn with none of Open's work; a
// SQLite file must exist (mode=rw: it makes none where there is none).
func openPlain(driver, dsn string) (*sql.DB, error) {
	name, conn := "pgx", dsn
	switch driver {
	case SQLite:
		name, conn = "sqlite", "file:"+dsn+"?mode=rw&_pragma=busy_timeout(10000)"
	case Postgres:
	default:
		return nil, fmt.Errorf("store: open: unknown driver %q (want %s or %s)", driver, SQLite, Postgres)
	}
	db, err := sql.Open(name, conn)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	return db, nil
}

// migrate applies the embedded migrations of the dialect in order, each in
// its own transaction, and refuses a database newer than this binary. For
// a tool beside a server (upgrade false) it migrates nothing: it refuses a
// database at an older migration, which a server of that version may be
// using, and one never migrated (ErrEmpty).
func (db *DB) migrate(ctx context.Context, upgrade bool) error {
	p, err := db.migrations()
	if err != nil {
		return err
	}
	if !upgrade {
		switch made, tables, err := db.hasVersionTable(ctx); {
		case err != nil:
			return fmt.Errorf("store: open: %w", err)
		case !made && tables > 0:
			return fmt.Errorf("store: the database has %d tables but not Intyg's: it is not an Intyg database (check the DSN)", tables)
		case !made:
			return ErrEmpty
		}
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil && !upgrade {
		return fmt.Errorf("store: open: %w", err)
	}
	if err == nil {
		sources := p.ListSources()
		switch known := sources[len(sources)-1].Version; {
		case current > known:
			return fmt.Errorf("store: the database is at migration %d but this binary knows only up to %d; run a newer intyg", current, known)
		case current < known && !upgrade:
			return fmt.Errorf("store: the database is at migration %d and this binary's last is %d; start this binary's intyg serve on it once, which migrates it (a tool beside a running server changes no schema)", current, known)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// ErrEmpty is OpenExisting's answer for a database without any tables.
var ErrEmpty = errors.New("store: the database has no tables yet (intyg serve makes Intyg's)")

// hasVersionTable reports whether the migrations' table is there (whether
// Intyg has ever migrated this database), and how many tables it has.
func (db *DB) hasVersionTable(ctx context.Context) (made bool, tables int, err error) {
	q := `SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'),
	        (SELECT count(*) FROM sqlite_master WHERE type = 'table')`
	if db.dialect == Postgres {
		q = `SELECT (SELECT count(*) FROM pg_catalog.pg_class WHERE oid = to_regclass('goose_db_version')),
		        (SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema())`
	}
	var n int
	err = db.write.QueryRowContext(ctx, q).Scan(&n, &tables)
	return n > 0, tables, err
}

// migrationLockID is the PostgreSQL advisory lock that servers migrating
// one database take in turn (crc64 of "intyg migrations", so that another
// program's goose migrations in the database do not wait for ours).
var migrationLockID = int64(crc64.Checksum([]byte("intyg migrations"), crc64.MakeTable(crc64.ECMA)) >> 1)

// migrations returns the embedded migrations of the dialect.
func (db *DB) migrations() (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations/"+db.dialect)
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectSQLite3
	if db.dialect == Postgres {
		dialect = goose.DialectPostgres
	}
	// Migration 3 computes hashes, which SQL cannot do in both dialects.
	seal := goose.NewGoMigration(3, &goose.GoFunc{RunTx: db.sealAuditLog}, nil)
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true), goose.WithGoMigrations(seal)}
	if db.dialect == Postgres {
		// Servers that start together on one database (a region's, after
		// an upgrade) migrate it one at a time: the others wait for the
		// first's session lock, then find nothing left to do. Without it,
		// two ran the same migration and one failed to start.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 600))
		if err != nil {
			return nil, fmt.Errorf("store: migrations: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.write, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	return p, nil
}

// Close stops the writer after the writes under way and closes the
// database; after a failed sync (checkpoint) it leaves SQLite's
// connections open to the process's exit, so that the log stays.
func (db *DB) Close() error {
	if db.writer != nil {
		db.pipelines.jobs.close()
		db.histories.batches.close()
		db.writer.close()
		db.auditWriter.close()
	}
	if db.stopHousekeeping != nil {
		select {
		case <-db.housekeepingDone: // closed before
		default:
			close(db.stopHousekeeping)
			<-db.housekeepingDone
		}
	}
	if db.dialect == SQLite && db.writer != nil && db.writer.failed.Load() != nil {
		// SQLite's last connection to close would copy the log into the
		// database file and remove it, though a sync had failed
		// (checkpoint). The connections are left to the process's exit,
		// and its next start recovers from the log; until then the
		// writer's keeps the write lock, if the writer stopped before it
		// took it.
		return db.holdLog()
	}
	return db.closeConns()
}

func (db *DB) closeConns() error {
	if db.logID != "" {
		// A migration that failed at Open left what it held: the log's
		// close must not write it (dropHeld).
		dropHeld(db.logID)
	}
	err := db.closePrepared()
	if db.checkpoints != nil {
		err = errors.Join(err, db.checkpoints.Close())
		db.checkpoints = nil
	}
	err = errors.Join(err, db.read.Close())
	if db.write != db.read {
		err = errors.Join(err, db.write.Close())
	}
	if db.wal != nil {
		err = errors.Join(err, db.wal.close())
	}
	if db.file != nil { // after SQLite's connections (DB.file)
		err = errors.Join(err, db.file.Close())
		db.file = nil
	}
	return err
}

// syncWrites makes what was committed on the writer's connection durable:
// on SQLite, by syncing the write-ahead log (walsync.go); PostgreSQL's
// commits are durable when they return.
func (db *DB) syncWrites() error {
	if db.wal == nil {
		return nil
	}
	return db.wal.sync()
}

// Ping reports whether the database answers and takes writes: after a
// write failed for want of the database (a full disk, a lock, a lost
// server) it reports that failure until a write succeeds again, and starts
// one probe write in the background to find out. Returns EUNAVAILABLE.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		return unavailable(fmt.Errorf("store: ping: %w", err))
	}
	if failed := db.writer.failed.Load(); failed != nil { // final: no probe
		return unavailable(fmt.Errorf("store: ping: %w", *failed))
	}
	err := db.health.lastFailure()
	if err == nil {
		return nil
	}
	if db.probing.CompareAndSwap(false, true) {
		go func() {
			defer db.probing.Store(false)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE write_probe SET n = n + 1 WHERE id = 1`)
				return err
			})
		}()
	}
	return unavailable(fmt.Errorf("store: the last write failed: %w", err))
}

// WriteStats returns how many write transactions the group-commit writers
// and PostgreSQL's insert pipelines have committed and how many writes
// they held; writes/transactions is the batching factor.
func (db *DB) WriteStats() (transactions, writes int64) {
	transactions, writes = db.writer.batches.Load()+db.pipelines.batches.Load(), db.writer.written.Load()+db.pipelines.written.Load()
	if db.auditWriter != db.writer {
		transactions += db.auditWriter.batches.Load()
		writes += db.auditWriter.written.Load()
	}
	return transactions, writes
}

// SyncStats returns how many times SQLite's syncer has made the log
// durable, and the time it took in all; on PostgreSQL, where each commit
// waits for its own flush, none.
func (db *DB) SyncStats() (syncs int64, took time.Duration) {
	return db.writer.syncs.Load(), time.Duration(db.writer.syncTime.Load())
}

// WaitStats returns how long the writer has waited for a write to do, and
// on SQLite for the syncer before its next commit, summed over its workers
// (SQLite's writer is one; PostgreSQL's several). The rest of the time
// SQLite's one writer was at work: when it seldom waits, it is what bounds
// durable submissions a second; when it waits for the syncer, the log's
// syncs do.
func (db *DB) WaitStats() (forWrites, forSync time.Duration) {
	return time.Duration(db.writer.waitWork.Load()), time.Duration(db.writer.waitSync.Load())
}

// CheckpointStats returns how many times SQLite's writer has finished a
// checkpoint between two batches, so that its log starts again
// (checkpoint.go), and the time it took in all, during which it stored
// nothing; on PostgreSQL, none. After a write failed for good, the
// writer's tries to take the write lock count too (holdLog).
func (db *DB) CheckpointStats() (n int64, took time.Duration) {
	return db.writer.maintained.Load(), time.Duration(db.writer.maintainTime.Load())
}

// Dialect returns SQLite or Postgres.
func (db *DB) Dialect() string { return db.dialect }

// now returns the clock's time in UTC at microsecond precision, which both
// databases store exactly.
func (db *DB) now() time.Time { return db.Now().UTC().Truncate(time.Microsecond) }

// rebind turns ? placeholders into $1, $2 … for PostgreSQL.
func (db *DB) rebind(query string) string {
	if db.dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// timeArg is how a time is passed to the database. SQLite's text is in
// time order only within the years 0000–9999 (UTC): a bound outside them
// (a filter's time, which RFC 3339 lets reach 10000-01-01 UTC with a
// negative offset) goes as the first or last instant of those years,
// which orders the same against every time stored.
func (db *DB) timeArg(t time.Time) any {
	t = t.UTC()
	if db.dialect == SQLite {
		switch {
		case t.Year() < 0:
			t = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
		case t.Year() > 9999:
			t = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
		}
		return t.Format(timeLayout)
	}
	return t
}

// boolArg writes a boolean as the dialect stores it (SQLite: 0 or 1).
func (db *DB) boolArg(b bool) any {
	if db.dialect == SQLite {
		if b {
			return 1
		}
		return 0
	}
	return b
}

// nullTime is timeArg for a column that may be NULL: the zero time is NULL.
func (db *DB) nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return db.timeArg(t)
}

// timeValue scans a time stored by either dialect.
type timeValue struct{ t *time.Time }

func (v timeValue) Scan(src any) error {
	switch s := src.(type) {
	case nil:
		*v.t = time.Time{}
	case time.Time:
		*v.t = s.UTC()
	case string:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return err
		}
		*v.t = t.UTC()
	case []byte:
		return v.Scan(string(s))
	default:
		return fmt.Errorf("store: cannot scan %T as a time", src)
	}
	return nil
}

// newID returns a random, URL-safe id of 128 bits.
func newID() string {
	b := make([]byte, 16)
	for {
		rand.Read(b) // crypto/rand.Read never fails on supported platforms
		// An id that starts with "-" would read as a flag on a command
		// line (intyg token revoke ID); one in 32 does, so draw again.
		if id := base64.RawURLEncoding.EncodeToString(b); id[0] != '-' && id[0] != '_' {
			return id
		}
	}
}

// isIOError reports an I/O error from SQLite (SQLITE_IOERR and its
// extended codes, such as a failed fsync).
func isIOError(err error) bool {
	var sqErr *sqlite.Error
	return errors.As(err, &sqErr) && sqErr.Code()&0xff == sqlite3.SQLITE_IOERR
}

// isUniqueViolation reports a unique-constraint error from either dialect.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// notFound translates sql.ErrNoRows into ENOTFOUND, worded by the
// catalogue's text for key.
func notFound(err error, key string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return intake.Failure(intake.ENOTFOUND, key)
	}
	return err
}

// Optimize brings the query planner's statistics up to date (SQLite:
// PRAGMA optimize, bounded; PostgreSQL: ANALYZE), so that it picks the
// index that narrows a search most. Open runs it, and so may a periodic
// job or a test that wrote many rows behind the store's back. On
// PostgreSQL it first folds the count changes (foldCounts).
func (db *DB) Optimize(ctx context.Context) error {
	if db.writer != nil {
		if failed := db.writer.failed.Load(); failed != nil { // final (checkpoint)
			return unavailable(*failed)
		}
	}
	if err := db.foldCounts(ctx); err != nil {
		return err
	}
	q := `ANALYZE`
	if db.dialect == SQLite {
		q = `PRAGMA optimize=0x10002`
	}
	if _, err := db.write.ExecContext(ctx, q); err != nil {
		return err
	}
	return db.syncWrites()
}
