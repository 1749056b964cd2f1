package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// maxBatch bounds how many writes share one transaction.
const maxBatch = 256

// writeJob is one write: fn runs inside the batch's transaction, within its
// own savepoint, so that its failure undoes only itself.
type writeJob struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
}

// writer is the group-commit writer: one goroutine takes every job waiting,
// runs them in one transaction and commits once, so that N concurrent writes
// cost one fsync rather than N. A job's caller returns only after the commit.
type writer struct {
	db    *sql.DB
	jobs  chan writeJob
	once  sync.Once
	wg    sync.WaitGroup
	close func()
}

func newWriter(db *sql.DB) *writer {
	w := &writer{db: db, jobs: make(chan writeJob, maxBatch)}
	stop := make(chan struct{})
	w.close = func() {
		w.once.Do(func() { close(stop) })
		w.wg.Wait()
	}
	w.wg.Add(1)
	go w.loop(stop)
	return w
}

// do runs fn in the next batch and waits for the batch's commit.
func (w *writer) do(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	job := writeJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case w.jobs <- job:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, wait for the outcome even if ctx ends: the write may
	// already be committed, and the caller must not report otherwise.
	return <-job.done
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

// run executes a batch in one transaction. Each job runs in a savepoint; a
// job that fails is rolled back to its savepoint and gets its error, the
// others are committed together.
func (w *writer) run(batch []writeJob) {
	errs := make([]error, len(batch))
	tx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		for _, j := range batch {
			j.done <- fmt.Errorf("store: begin: %w", err)
		}
		return
	}
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		sp := fmt.Sprintf("job%d", i)
		if _, err := tx.Exec("SAVEPOINT " + sp); err != nil {
			errs[i] = err
			continue
		}
		if errs[i] = j.fn(j.ctx, tx); errs[i] != nil {
			if _, err := tx.Exec("ROLLBACK TO SAVEPOINT " + sp); err != nil {
				errs[i] = errors.Join(errs[i], err)
			}
		}
		if _, err := tx.Exec("RELEASE SAVEPOINT " + sp); err != nil && errs[i] == nil {
			errs[i] = err
		}
	}
	if err := tx.Commit(); err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("store: commit: %w", err)
			}
		}
	}
	for i, j := range batch {
		j.done <- errs[i]
	}
}
