package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
)

// TestWriterAnswersAfterTheSync: with a syncer, a write returns only after
// a sync that saw it committed; a failed sync fails its writes as
// unavailable, and every later write, and readiness reports it.
func TestWriterAnswersAfterTheSync(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	conns := openTable(t, path)
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	var (
		mu       sync.Mutex
		seen     []int // rows committed, as each sync found them
		failWith error
	)
	syncFn := func() error {
		var n int
		if err := other.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, n)
		return failWith
	}
	h := &health{}
	w := newWriter(conns, h, writerOptions{workers: 1, sync: syncFn})
	defer w.close()
	// insert returns the row it inserted: the rows are numbered 1, 2, …
	insert := func(row *int64) func(ctx context.Context, tx *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `INSERT INTO t (n) VALUES (1) RETURNING rowid`).Scan(row)
		}
	}
	synced := func(row int64) bool { // whether a sync has seen row committed
		mu.Lock()
		defer mu.Unlock()
		return slices.ContainsFunc(seen, func(n int) bool { return int64(n) >= row })
	}

	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var row int64
			if errs[i] = w.do(ctx, insert(&row)); errs[i] == nil && !synced(row) {
				errs[i] = fmt.Errorf("row %d answered before a sync saw it committed", row)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if h.lastFailure() != nil {
		t.Errorf("readiness reports %v", h.lastFailure())
	}

	// A failed sync fails its writes, and every later one without running
	// it, even once the disk answers again.
	mu.Lock()
	failWith = errors.New("EIO")
	mu.Unlock()
	var row int64
	if err := w.do(ctx, insert(&row)); intake.ErrorCode(err) != intake.EUNAVAILABLE {
		t.Errorf("a write whose sync failed: %v (code %q), want EUNAVAILABLE", err, intake.ErrorCode(err))
	}
	mu.Lock()
	failWith = nil
	mu.Unlock()
	if err := w.do(ctx, insert(&row)); intake.ErrorCode(err) != intake.EUNAVAILABLE {
		t.Errorf("a write after a failed sync: %v (code %q), want EUNAVAILABLE", err, intake.ErrorCode(err))
	}
	var n int
	if err := other.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 21 {
		t.Errorf("%d rows (%v), want 21: the write after the failed sync ran", n, err)
	}
	if h.lastFailure() == nil {
		t.Error("readiness does not report the failed sync")
	}
}

// TestWriterCountsItsWait: the time the writer waits for a write, and for
// the syncer before its next commit, is counted (WaitStats); the time it
// works is not.
func TestWriterCountsItsWait(t *testing.T) {
	const step = 200 * time.Millisecond
	ctx := context.Background()
	newSlowWriter := func(t *testing.T) *writer { // a sync takes two steps
		conns := openTable(t, filepath.Join(t.TempDir(), "w.db"))
		w := newWriter(conns, &health{}, writerOptions{workers: 1, sync: func() error { time.Sleep(2 * step); return nil }})
		t.Cleanup(func() { w.close() })
		return w
	}
	write := func(work time.Duration) func(ctx context.Context, tx *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			time.Sleep(work)
			_, err := tx.ExecContext(ctx, `INSERT INTO t (n) VALUES (1)`)
			return err
		}
	}

	t.Run("for a write, not at work", func(t *testing.T) {
		w := newSlowWriter(t)
		start := time.Now()
		time.Sleep(step)
		if err := w.do(ctx, write(step)); err != nil {
			t.Fatal(err)
		}
		// The writer waited a step, worked one, and is waiting again,
		// uncounted until the next write, while the sync runs. (Its wait
		// begins when its goroutine first runs, which on a busy machine
		// is a little after start: hence not less than 3/4 of a step.)
		if waited := time.Duration(w.waitWork.Load() + w.waitSync.Load()); waited < 3*step/4 || waited >= 7*step/4 {
			t.Errorf("waited %v in %v, with a write of %v's work after %v: want the wait counted and the work not", waited, time.Since(start), step, step)
		}
	})

	t.Run("for the sync before a commit", func(t *testing.T) {
		w := newSlowWriter(t)
		first := make(chan error, 1)
		go func() { first <- w.do(ctx, write(0)) }()
		time.Sleep(step / 2) // the first is committed, its sync under way
		if err := w.do(ctx, write(0)); err != nil {
			t.Fatal(err)
		}
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		// Half a step for the second write, then one and a half for the
		// first's sync to end before the second commits.
		forWrites, forSync := time.Duration(w.waitWork.Load()), time.Duration(w.waitSync.Load())
		if forWrites < step/4 || forWrites >= step || forSync < step || forSync >= 2*step {
			t.Errorf("waited %v for writes and %v for the sync: want about %v and %v", forWrites, forSync, step/2, 3*step/2)
		}
	})
}

// TestWriterSkipsWritesWhoseCallerHasGone: a queued write whose caller has
// gone is answered without running and does not roll back the others.
func TestWriterSkipsWritesWhoseCallerHasGone(t *testing.T) {
	conns := openTable(t, filepath.Join(t.TempDir(), "w.db"))
	w := newWriter(conns, &health{}, writerOptions{workers: 1})
	defer w.close()
	gone, cancel := context.WithCancel(context.Background())
	results := make(chan error, 10)
	holdBatch(t, w, func() {
		for i := range 10 {
			ctx := context.Background()
			if i == 5 {
				ctx = gone
			}
			go func() {
				results <- w.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO t (n) VALUES (1)`)
					return err
				})
			}()
		}
		for len(w.jobs) < 10 { // all queued behind the held write
			runtime.Gosched()
		}
		cancel()
	})
	var failed int
	for range 10 {
		if err := <-results; err != nil {
			failed++
		}
	}
	var n int
	if err := conns.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if failed != 1 || n != 10 {
		t.Errorf("%d writes failed and %d rows stored, want 1 and 10", failed, n)
	}
	if b := w.batches.Load(); b != 1 {
		t.Errorf("%d commits, want 1: the gone caller's write rolled the batch back", b)
	}
}

// TestWriterFailureTakesOnlyItself: a write that fails in a batch fails
// alone, and the others commit together rather than one by one.
func TestWriterFailureTakesOnlyItself(t *testing.T) {
	conns := openTable(t, filepath.Join(t.TempDir(), "w.db"))
	w := newWriter(conns, &health{}, writerOptions{workers: 1})
	defer w.close()
	refused := errors.New("refused")
	results := make(chan error, 10)
	holdBatch(t, w, func() {
		for i := range 10 {
			go func() {
				results <- w.do(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
					if _, err := tx.ExecContext(ctx, `INSERT INTO t (n) VALUES (?)`, i); err != nil {
						return err
					}
					if i == 3 {
						return refused
					}
					return nil
				})
			}()
		}
		for len(w.jobs) < 10 {
			runtime.Gosched()
		}
	})
	var failed int
	for range 10 {
		if err := <-results; errors.Is(err, refused) {
			failed++
		} else if err != nil {
			t.Error(err)
		}
	}
	var n int
	if err := conns.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	// The held write and nine of the ten: those before the refused one
	// again together, those after it in the next batch.
	if failed != 1 || n != 10 {
		t.Errorf("%d writes refused and %d rows stored, want 1 and 10", failed, n)
	}
	if b := w.batches.Load(); b > 2 {
		t.Errorf("%d commits for %d writes, want at most 2: the others were run again one by one", b, w.written.Load())
	}
}

// holdBatch holds the writer's worker in a first write (one row, n = -1)
// while queue queues more behind it, then lets it go.
func holdBatch(t *testing.T, w *writer, queue func()) {
	t.Helper()
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	held := make(chan error, 1)
	go func() {
		held <- w.do(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
			once.Do(func() { close(started) }) // the write may run again
			<-release
			_, err := tx.ExecContext(ctx, `INSERT INTO t (n) VALUES (-1)`)
			return err
		})
	}()
	<-started
	queue()
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
}

// openTable opens a SQLite database at path with a table t (n INTEGER),
// on one connection as the store's writer has.
func openTable(t *testing.T, path string) *sql.DB {
	t.Helper()
	conns, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conns.Close() })
	conns.SetMaxOpenConns(1)
	if _, err := conns.Exec(`CREATE TABLE t (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	return conns
}

// TestWALFileFollowsTheLog: the log's descriptor is opened again when
// SQLite has replaced the file.
func TestWALFileFollowsTheLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db-wal")
	w := &walFile{path: path}
	defer w.close()
	if err := w.sync(); err == nil {
		t.Fatal("sync() of a log that does not exist: no error")
	}
	if err := os.WriteFile(path, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := w.sync(); err != nil {
		t.Fatal(err)
	}
	first := w.f
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("second"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := w.sync(); err != nil {
		t.Fatal(err)
	}
	if w.f == first || !w.current() {
		t.Error("sync() kept the descriptor of the replaced log")
	}
}
