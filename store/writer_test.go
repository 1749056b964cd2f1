package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/intyg/intyg/intake"
)

// TestWriterAnswersAfterTheSync: with a syncer, a write returns only after
// a sync that began once the write was committed, and a failed sync fails
// the write as unavailable and reports it to readiness.
func TestWriterAnswersAfterTheSync(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	conns, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer conns.Close()
	conns.SetMaxOpenConns(1)
	if _, err := conns.Exec(`CREATE TABLE t (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
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
	w := newWriter(conns, h, 1, syncFn)
	defer w.close()
	insert := func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO t (n) VALUES (1)`)
		return err
	}

	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.do(ctx, insert)
			if errs[i] != nil {
				return
			}
			// This write is answered: a sync has seen it committed.
			mu.Lock()
			defer mu.Unlock()
			if len(seen) == 0 {
				errs[i] = errors.New("answered before any sync")
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	mu.Lock()
	if last := seen[len(seen)-1]; last != 20 {
		t.Errorf("the last sync saw %d rows committed, want 20 (syncs saw %v)", last, seen)
	}
	failWith = errors.New("EIO")
	mu.Unlock()

	err = w.do(ctx, insert)
	if intake.ErrorCode(err) != intake.EUNAVAILABLE {
		t.Errorf("a write whose sync failed: %v (code %q), want EUNAVAILABLE", err, intake.ErrorCode(err))
	}
	if h.lastFailure() == nil {
		t.Error("readiness does not report the failed sync")
	}
	mu.Lock()
	failWith = nil
	mu.Unlock()
	if err := w.do(ctx, insert); err != nil {
		t.Errorf("a write after the disk came back: %v", err)
	}
	if h.lastFailure() != nil {
		t.Errorf("readiness still reports %v after a write went through", h.lastFailure())
	}
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
