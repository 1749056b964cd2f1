package store_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// TestCheckpointBesideTheWriter: the writer never checkpoints SQLite's
// write-ahead log itself, so the database file grows only if the
// background checkpoint copies the log back into it.
func TestCheckpointBesideTheWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "intyg.db")
	db := mustOpenDB(t, store.SQLite, path)
	// What the migrations wrote may be checkpointed at any time: wait for
	// the first checkpoint after them.
	time.Sleep(store.CheckpointInterval() + 500*time.Millisecond)
	before := fileSize(t, path)
	eng := mustEngine(t)
	_, body := mustCertificate(t, "full-time-one-period.json")
	for range 200 {
		c, err := eng.Intake(body, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.CreateCertificate(ctx, c, body, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	// 200 certificates take more than 400 KB (their submitted bytes and
	// records alone).
	for fileSize(t, path) < before+400<<10 {
		if time.Now().After(deadline) {
			t.Fatalf("the database file grew from %d to only %d bytes with 200 certificates: they were not checkpointed", before, fileSize(t, path))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestWALStaysBounded: under a steady stream of writes SQLite's
// write-ahead log starts again from its beginning now and then, rather
// than growing with everything written (the writer does not checkpoint by
// itself, and a checkpoint beside it never finishes on its own). The log
// is checkpointed every 100 ms here, not every second, so that the test
// need not write the gigabytes the service's interval would take to show
// it.
func TestWALStaysBounded(t *testing.T) {
	store.SetWALRestart(t, 4096, 100*time.Millisecond)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "intyg.db")
	db := mustOpenDB(t, store.SQLite, path)
	if v, err := store.WriterPragma(ctx, db, "wal_autocheckpoint"); err != nil || v != 0 {
		t.Fatalf("the writer's wal_autocheckpoint = %d (%v), want 0", v, err)
	}
	eng := mustEngine(t)
	_, body := mustCertificate(t, "all-optional-fields.json")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := eng.Intake(body, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
				if err != nil {
					t.Error(err)
					return
				}
				if _, _, err := db.CreateCertificate(ctx, c, body, nil, nil); err != nil {
					t.Error(err)
					return
				}
				written.Add(int64(len(body)))
			}
		}()
	}
	// Write until the log would be past the bound if it were never
	// restarted: a certificate writes its body twice over (submitted and
	// record) and about ten pages in all.
	const bound = 64 << 20
	var largest int64
	deadline := time.Now().Add(2 * time.Minute)
	for written.Load() < bound/4 && time.Now().Before(deadline) {
		if fi, err := os.Stat(path + "-wal"); err == nil {
			largest = max(largest, fi.Size())
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if written.Load() < bound/4 {
		t.Fatalf("only %d bytes submitted in 2 minutes", written.Load())
	}
	t.Logf("the log's largest size: %d bytes, with %d bytes submitted", largest, written.Load())
	if largest > bound {
		t.Errorf("the write-ahead log grew to %d bytes with %d bytes submitted: it is not restarted", largest, written.Load())
	}
	if n, took := db.CheckpointStats(); n == 0 || took <= 0 {
		t.Errorf("CheckpointStats() = %d, %v: want the writer's checkpoints that restarted the log, and their time", n, took)
	}
}

// TestFailedDatabaseSyncKeepsTheLog: when a checkpoint's sync of the
// database file fails, the kernel may have dropped pages it could not
// write, and a later sync that succeeds would not say so. So the log, which
// still holds them, must never be restarted or removed after it: every
// write is refused (503) and Close leaves the log for the next start to
// recover from. Before, the error was dropped, the next second's sync
// succeeded, and the log was written over.
func TestFailedDatabaseSyncKeepsTheLog(t *testing.T) {
	store.SetWALRestart(t, 1, 20*time.Millisecond)
	failSyncs := store.FailDatabaseSync(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "intyg.db")
	db, err := store.Open(ctx, store.SQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		c, body := mustCertificate(t, "full-time-one-period.json")
		if _, _, err := db.CreateCertificate(ctx, c, body, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	failSyncs()
	accepted := 20
	for deadline := time.Now().Add(30 * time.Second); ; {
		if time.Now().After(deadline) {
			t.Fatal("writes were still accepted 30 s after the database file's syncs began to fail")
		}
		c, body := mustCertificate(t, "full-time-one-period.json")
		_, _, err := db.CreateCertificate(ctx, c, body, nil, nil)
		if intake.ErrorCode(err) == intake.EUNAVAILABLE {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		accepted++
	}
	if code := intake.ErrorCode(db.Ping(ctx)); code != intake.EUNAVAILABLE {
		t.Errorf("Ping() after the database file's sync failed: code %q, want EUNAVAILABLE", code)
	}
	if code := intake.ErrorCode(db.Optimize(ctx)); code != intake.EUNAVAILABLE {
		t.Errorf("Optimize() after the database file's sync failed: code %q, want EUNAVAILABLE", code)
	}
	restarts, copied := logRestarts(t, path), logCopied(t, path)
	waitOthersCannotWrite(t, path, 10*time.Second)
	time.Sleep(100 * time.Millisecond) // five more checkpoint intervals
	if n := logCopied(t, path); n != copied {
		t.Errorf("the log was copied into the database file up to frame %d after the writes were refused, want it left at frame %d", n, copied)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("after Close the log is %v (%v): want it kept, with the %d certificates accepted", fi, err, accepted)
	}
	if n := logRestarts(t, path); n != restarts {
		t.Errorf("the log was restarted %d times after the writes were refused: it was written over", n-restarts)
	}
}

// TestToolBesideAFailedServer: an admin command opened beside a server
// whose sync failed reads, and copies none of the server's log into the
// database file, as the server itself no longer does.
func TestToolBesideAFailedServer(t *testing.T) {
	store.SetWALRestart(t, 4096, time.Hour) // the server never checkpoints
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "intyg.db")
	db := mustOpenDB(t, store.SQLite, path)
	c, body := mustCertificate(t, "full-time-one-period.json")
	stored, _, err := db.CreateCertificate(ctx, c, body, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	store.LoseWAL(db)
	c, body = mustCertificate(t, "full-time-one-period.json")
	if _, _, err := db.CreateCertificate(ctx, c, body, nil, nil); intake.ErrorCode(err) != intake.EUNAVAILABLE {
		t.Fatalf("a write after the log was lost: %v, want EUNAVAILABLE", err)
	}
	copied := logCopied(t, path)
	store.SetWALRestart(t, 1, 20*time.Millisecond) // a tool's checkpoints would come at once
	start := time.Now()
	tool, err := store.OpenExisting(ctx, store.SQLite, path)
	if err != nil {
		t.Fatalf("OpenExisting beside a server whose sync failed: %v", err)
	}
	defer tool.Close()
	if _, err := tool.FindCertificateByID(ctx, stored.ID); err != nil {
		t.Errorf("a tool's read beside a server whose sync failed: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a tool's open and read beside a server whose sync failed took %v: it waited for the write lock", took)
	}
	time.Sleep(300 * time.Millisecond) // fifteen of a tool's checkpoint intervals
	if n := logCopied(t, path); n != copied {
		t.Errorf("a tool copied the server's log into the database file up to frame %d, want it left at frame %d", n, copied)
	}
}

// logCopied returns how far SQLite has copied the write-ahead log of the
// database at path into the database file (nBackfill, in frames), from
// the log's index, in the machine's byte order, after two 48-byte copies
// of its header.
func logCopied(t *testing.T, path string) uint32 {
	t.Helper()
	b, err := os.ReadFile(path + "-shm")
	if err != nil || len(b) < 100 {
		t.Fatalf("the log's index: %d bytes, %v", len(b), err)
	}
	return binary.NativeEndian.Uint32(b[96:100])
}

// TestCheckpointsBesideBusyReaders: the checkpoints run on a connection
// of their own, held from Open, not on whichever reader the pool gives
// (which may have been opened after a failed writeback, and whose sync
// would not report it), so they go on while long reads hold every reader.
func TestCheckpointsBesideBusyReaders(t *testing.T) {
	store.SetWALRestart(t, 1, 20*time.Millisecond)
	ctx := context.Background()
	db := mustOpenDB(t, store.SQLite, filepath.Join(t.TempDir(), "intyg.db"))
	if n := store.TakeReaders(t, db); n == 0 {
		t.Fatal("took no reader: the pool gave none")
	}
	before, _ := db.CheckpointStats()
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, body := mustCertificate(t, "full-time-one-period.json")
		if _, _, err := db.CreateCertificate(ctx, c, body, nil, nil); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.CheckpointStats(); n >= before+2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("fewer than two checkpoints in 10 s while every reader was taken")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitOthersCannotWrite waits until a write from another connection to the
// database at path, as from an admin command beside the server, fails
// with SQLITE_BUSY, and fails the test if it still succeeds after d.
func waitOthersCannotWrite(t *testing.T, path string, d time.Duration) {
	t.Helper()
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(50)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for deadline := time.Now().Add(d); ; {
		_, err := other.Exec(`UPDATE write_probe SET n = n + 1 WHERE id = 1`)
		var sqErr *sqlite.Error
		if errors.As(err, &sqErr) && sqErr.Code()&0xff == sqlite3.SQLITE_BUSY {
			return
		}
		if err != nil {
			t.Fatalf("another connection's write after a failed sync: %v, want SQLITE_BUSY", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("another connection could still write %v after a sync failed: it could restart the log", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logRestarts returns the checkpoint sequence number in the header of the
// write-ahead log of the database at path, which SQLite increments each
// time it restarts the log.
func logRestarts(t *testing.T, path string) uint32 {
	t.Helper()
	f, err := os.Open(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var header [32]byte
	if _, err := f.ReadAt(header[:], 0); err != nil {
		t.Fatalf("the log's header: %v", err)
	}
	return binary.BigEndian.Uint32(header[12:16])
}

// TestFailedSyncRefusesWrites: a write whose log SQLite's writer cannot
// sync is not acknowledged, nor is any write after it, and at once no
// other connection can write either.
func TestFailedSyncRefusesWrites(t *testing.T) {
	// The checkpoints come seldom: the write lock is taken at once, by
	// the writer, not at the next checkpoint.
	store.SetWALRestart(t, 4096, 5*time.Second)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "intyg.db")
	db := mustOpenDB(t, store.SQLite, path)
	if v, err := store.WriterPragma(ctx, db, "synchronous"); err != nil || v != 1 {
		t.Fatalf("the writer's synchronous = %d (%v), want 1 (NORMAL: the syncer syncs)", v, err)
	}
	c, body := mustCertificate(t, "full-time-one-period.json")
	if _, _, err := db.CreateCertificate(ctx, c, body, nil, nil); err != nil {
		t.Fatal(err)
	}
	store.LoseWAL(db)
	for i := range 2 {
		c, body := mustCertificate(t, "full-time-one-period.json")
		if _, _, err := db.CreateCertificate(ctx, c, body, nil, nil); intake.ErrorCode(err) != intake.EUNAVAILABLE {
			t.Errorf("write %d after the log was lost: %v (code %q), want EUNAVAILABLE", i+1, err, intake.ErrorCode(err))
		}
	}
	if code := intake.ErrorCode(db.Ping(ctx)); code != intake.EUNAVAILABLE {
		t.Errorf("Ping() after a failed sync: code %q, want EUNAVAILABLE", code)
	}
	waitOthersCannotWrite(t, path, 500*time.Millisecond)
}
