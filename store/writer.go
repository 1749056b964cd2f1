package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// maxBatch bounds how many writes share one transaction.
const maxBatch = 256

// writeJob is one write: fn runs inside the batch's transaction.
type writeJob struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
}

// writer is the group-commit writer: a worker takes every job waiting, runs
// them in one transaction and commits once, so that N concurrent writes cost
// one fsync rather than N. A job's caller returns only after the commit.
type writer struct {
	// batches and written count committed transactions and the writes in them.
	batches, written atomic.Int64

	db     *sql.DB
	health *health // shared by the database's writers
	jobs   chan writeJob
	once   sync.Once
	wg     sync.WaitGroup
	close  func()
	exited chan struct{} // closed when every worker has stopped
}

// errClosed is returned for a write that comes after Close.
var errClosed = errors.New("store: the database is closed")

// newWriter starts workers goroutines that take batches from one queue.
// SQLite has one writer at a time, so it gets one worker; PostgreSQL commits
// concurrent transactions in shared WAL flushes, so several workers keep its
// connections busy while each still batches what is waiting.
func newWriter(db *sql.DB, h *health, workers int) *writer {
	w := &writer{db: db, health: h, jobs: make(chan writeJob, maxBatch), exited: make(chan struct{})}
	stop := make(chan struct{})
	w.close = func() {
		w.once.Do(func() {
			close(stop)
			w.wg.Wait()
			close(w.exited)
		})
		<-w.exited
	}
	for range workers {
		w.wg.Add(1)
		go w.loop(stop)
	}
	return w
}

// do runs fn in the next batch and waits for the batch's commit.
func (w *writer) do(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	job := writeJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case w.jobs <- job:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.exited:
		return errClosed
	}
	// Once queued, wait for the outcome even if ctx ends: the write may
	// already be committed, and the caller must not report otherwise. A job
	// queued as the workers stopped never ran.
	select {
	case err := <-job.done:
		return err
	case <-w.exited:
		select {
		case err := <-job.done:
			return err
		default:
			return errClosed
		}
	}
}

func (w *writer) loop(stop chan struct{}) {
	defer w.wg.Done()
	for {
		select {
		case job := <-w.jobs:
			batch := []writeJob{job}
		more:
			for len(batch) < maxBatch {
				select {
				case j := <-w.jobs:
					batch = append(batch, j)
				default:
					break more
				}
			}
			w.run(batch)
		case <-stop:
			// Finish what was queued before stopping.
			for {
				select {
				case job := <-w.jobs:
					w.run([]writeJob{job})
				default:
					return
				}
			}
		}
	}
}

// run executes a batch in one transaction with one commit. If any job
// fails, the transaction is rolled back and every job of the batch is run
// again in a transaction of its own, so that a failing job takes only itself
// down; jobs are therefore written to be re-runnable.
func (w *writer) run(batch []writeJob) {
	if len(batch) > 1 {
		err := w.runTx(batch)
		w.health.record(err)
		if err == nil {
			w.finish(batch, make([]error, len(batch)))
			return
		}
	}
	errs := make([]error, len(batch))
	for i := range batch {
		errs[i] = w.runTx(batch[i : i+1])
		w.health.record(errs[i])
	}
	w.finish(batch, errs)
}

// runTx runs jobs in one transaction and commits it; the first error, or
// a panic in a job, rolls everything back.
func (w *writer) runTx(jobs []writeJob) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: write panicked: %v", p)
		}
	}()
	tx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	for _, j := range jobs {
		if err := j.ctx.Err(); err != nil {
			return err
		}
		if err := j.fn(j.ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	w.batches.Add(1)
	w.written.Add(int64(len(jobs)))
	return nil
}

// finish hands each job its outcome; a database that cannot take writes
// now is EUNAVAILABLE (503), not an internal error.
func (w *writer) finish(batch []writeJob, errs []error) {
	for i, j := range batch {
		j.done <- unavailable(errs[i])
	}
}
