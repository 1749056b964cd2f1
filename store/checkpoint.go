package store

import (
	"context"
	"database/sql"
	"errors"
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
// more, every write is refused until the service restarts, the
// checkpoints' connection takes SQLite's write lock and keeps it, so
// that no other process (an admin command beside the server) can write
// and restart the log either (holdLog), and Close leaves the log for the
// next start to recover from.
//
// The kernel reports a failed writeback once to each descriptor of the
// file open before it. So every sync here is on a descriptor held from
// Open (DB.file, the writer's connection and DB.checkpoints), never on a
// reader's connection that the pool may have opened after the failure,
// whose sync would succeed.
func (db *DB) checkpoint(ctx context.Context) error {
	err := db.copyLog(ctx)
	if db.writer.failed.Load() != nil {
		return errors.Join(err, db.holdLog(ctx))
	}
	return err
}

// copyLog is checkpoint's work while no write has failed for good.
func (db *DB) copyLog(ctx context.Context) error {
	if db.writer.failed.Load() != nil {
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

// holdLog takes SQLite's write lock on the checkpoints' connection, once
// a write has failed for good, and keeps it until the process exits
// (Close leaves the connections open then): a write from another
// process would otherwise restart the log that the next start recovers
// from (checkpoint). Another process's write waits for its busy timeout
// and fails with "database is locked"; its reads go on.
func (db *DB) holdLog(ctx context.Context) error {
	if db.logHeld {
		return nil
	}
	if _, err := db.checkpoints.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return fmt.Errorf("store: hold the log after a failed write: %w", err) // again at the next interval
	}
	db.logHeld = true
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
// the writer's next write starts the log again (see checkpoint).
func (db *DB) finishCheckpoint(ctx context.Context) error {
	if db.writer.failed.Load() != nil {
		return nil
	}
	_, err := db.passiveCheckpoint(ctx, db.write)
	return err
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
