package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// checkpointInterval is how often SQLite's write-ahead log is copied back
// into the database file (a variable only so that a test can make the log
// restart sooner: SetWALRestart). A page written again and again (an index's
// last page, the counts) is copied once a checkpoint, so the longer the
// interval the fewer copies: a second rather than a tenth gave 2 % more
// certificates a second and 7 % fewer bytes written a certificate
// (intyg-load -beside, BENCHMARKS.md, twenty-third session).
var checkpointInterval = time.Second

// walRestartPages is the size of SQLite's write-ahead log, in pages, past
// which the writer is asked to finish a checkpoint so that the log starts
// again from its beginning (about 16 MB). The log is looked at once a
// checkpoint, so under load it holds about an interval's writes when it
// restarts, nearly every checkpoint: some 130 MB at 3,500 certificates a
// second, and the writer's part of a restart (what came in while the
// passive copies ran) 37 ms (intyg-load, 32 clients). A restart at
// 128 MB instead had it grow to 250 MB and stall the writer 75 ms, with
// no more certificates a second (-beside: 0.999).
var walRestartPages = 4096

// syncDatabase syncs the database file (a variable only so that a test
// can make it fail: FailDatabaseSync).
var syncDatabase = syncData

// walSizeLimit is the size, in bytes, to which a log restarted after it
// grew is cut back (SQLite's journal_size_limit): above what the log
// holds when it restarts under load (about a second's writes, see
// walRestartPages), so that it is written over in place rather than grown
// again, which would have each sync of it commit the file system's
// journal as well.
const walSizeLimit = 256 << 20

// checkpoint copies what SQLite's write-ahead log holds back into the
// database file, as far as no reader still needs it, without waiting for
// the writer or the readers (a passive checkpoint). SQLite would otherwise
// do this in the commit that takes the log past 1,000 pages, so that the
// one writer, and every submission queued behind it, waited for the copy
// and its fsync (about an eighth of the writer's time under load). Here it
// runs on a reader's connection beside the writer (DB.checkpoints).
//
// But the log starts again from its beginning only at a write that finds
// it wholly copied, which a checkpoint beside a busy writer never leaves
// it: so once the log is past walRestartPages, the writer is asked to
// copy the rest between two batches (finishCheckpoint). Before it is
// asked, what was committed while this copy ran is copied too, so that
// the writer, which meanwhile stores nothing, has less left: its part
// took 11.0-11.3 ms instead of 13.8-14.1 (intyg-load's writer
// checkpoints, four runs).
//
// The writer's part ends with an fsync of the database file: what the
// log held must be durable there before the log is written over. That
// fsync had to write every page the passive copies had put in the file
// since the last one (some 9,000 a second under load), while every
// submission waited: 31-47 ms a restart (intyg-load, 32 clients). So the
// file is synced here first, beside the writer, through the descriptor
// the store keeps open (DB.file), and the writer's fsync finds only what
// it copied itself: 7-10 ms a restart (BENCHMARKS.md, twenty-seventh
// session). PostgreSQL checkpoints by itself.
//
// A sync of the database file that fails, here, in SQLite's own copy of
// the whole log or in the writer's part, is final, as a failed sync of
// the log is (writer): the kernel may have dropped the pages it could not
// write, and a later sync that succeeds would not say so. So nothing
// restarts the log after it: checkpoint and finishCheckpoint copy no
// more, every write is refused until the service restarts, the writer's
// connection keeps SQLite's write lock so that no other process (an admin
// command beside the server) can restart the log either (holdLog), and
// Close leaves the log for the next start to recover from. One gap
// remains: a process still open beside the server when it exits keeps
// the log's index, which says what was copied before the failure, and
// when it closes last it copies only the rest.
//
// The kernel reports a failed writeback to each descriptor of the file
// open before it, and to one opened after it only if no other has seen
// it. So the syncs here are on descriptors held from Open (DB.file, the
// writer's connection and DB.checkpoints), never on a reader's connection
// that the pool may have opened after the failure.
func (db *DB) checkpoint(ctx context.Context) error {
	if db.writer.failed.Load() != nil {
		if db.logHold.Load() == nil {
			db.writer.maintain() // again, until the writer holds the lock (holdLog)
		}
		return nil
	}
	log, err := db.passiveCheckpoint(ctx, db.checkpoints)
	if err != nil || log < walRestartPages {
		return err
	}
	if log, err = db.passiveCheckpoint(ctx, db.checkpoints); err != nil || log < walRestartPages {
		return err
	}
	if err := syncDatabase(db.file); err != nil {
		return db.writer.fail(fmt.Errorf("store: checkpoint: %w", err))
	}
	db.writer.maintain()
	return nil
}

// passiveCheckpoint runs a passive checkpoint on conn and returns the
// log's size in frames. An I/O error, such as SQLite's own sync of the
// database file after copying the whole log, is final (checkpoint).
func (db *DB) passiveCheckpoint(ctx context.Context, conn interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (log int, err error) {
	var busy, copied int
	if err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &copied); err != nil {
		err = fmt.Errorf("store: checkpoint: %w", err)
		if isIOError(err) {
			err = db.writer.fail(err)
		}
		return 0, err
	}
	return log, nil
}

// finishCheckpoint copies the rest of SQLite's write-ahead log into the
// database file on the writer's connection, between two batches, so that
// the writer's next write starts the log again (see checkpoint). Once a
// write has failed for good, it takes SQLite's write lock instead
// (holdLog): writer.fail asks for it.
func (db *DB) finishCheckpoint(ctx context.Context) error {
	if db.writer.failed.Load() != nil {
		return db.holdLog()
	}
	_, err := db.passiveCheckpoint(ctx, db.write)
	return err
}

// holdLog begins a write transaction on the writer's connection, once a
// write has failed for good, and leaves it open until the process exits
// (Close leaves the connections open then): a write from another process
// would otherwise restart the log that the next start recovers from
// (checkpoint). Another process's write waits for its busy timeout and
// fails with "database is locked"; its reads go on. It runs where nothing
// else uses the writer's connection: between two batches, whose jobs the
// writer refuses from then on without beginning a transaction (writer.run),
// or in Close, after the writer stopped. (Optimize refuses too; Open
// calls it before the writer starts.) If another process holds the lock
// past the busy timeout, the next checkpoint asks again.
func (db *DB) holdLog() error {
	if db.logHold.Load() != nil {
		return nil
	}
	// BEGIN IMMEDIATE (_txlock), with no context to end it: database/sql
	// rolls a transaction back when its context ends.
	tx, err := db.write.BeginTx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("store: hold the log after a failed write: %w", err)
	}
	db.logHold.Store(tx)
	return nil
}

// housekeep runs fn every interval until stop is closed, then closes
// done. A failed run is left for the next: it only does again what the
// previous one did not finish (a failed sync is final, and fn records it
// itself: checkpoint).
func housekeep(interval time.Duration, fn func(context.Context) error, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			fn(ctx)
			cancel()
		case <-stop:
			return
		}
	}
}
