package store

import (
	"context"
	"fmt"
	"time"
)

// checkpointInterval is how often SQLite's write-ahead log is copied back
// into the database file.
const checkpointInterval = 100 * time.Millisecond

// checkpoint copies what SQLite's write-ahead log holds back into the
// database file, as far as no reader still needs it, without waiting for
// the writer or the readers (a passive checkpoint). SQLite would otherwise
// do this in the commit that takes the log past 1,000 pages, so that the
// one writer, and every submission queued behind it, waited for the copy
// and its fsync (about an eighth of the writer's time under load). Here it
// runs on a reader's connection beside the writer. PostgreSQL
// checkpoints by itself.
func (db *DB) checkpoint(ctx context.Context) error {
	if db.dialect != SQLite {
		return nil
	}
	if _, err := db.read.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	return nil
}

// housekeep runs fn every interval until stop is closed, then closes
// done. A failed run is left for the next: it only does again what the
// previous one did not finish.
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
