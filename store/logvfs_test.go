package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// openLogTest opens path with the writer's settings (or others, more),
// through logVFS (vfs) or the host's ("").
func openLogTest(t *testing.T, path, vfs string, more ...string) *sql.DB {
	t.Helper()
	if err := registerLogVFS(); err != nil {
		t.Fatal(err)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(0)"
	if len(more) > 0 {
		dsn = "file:" + path + "?_pragma=journal_mode(WAL)&" + strings.Join(more, "&")
	}
	if vfs != "" {
		dsn += "&vfs=" + vfs
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// TestLogVFSLeavesAWholeLog writes through logVFS what the writer does
// and more: small commits, each read at once by a connection of the host
// VFS; a transaction above maxHeld; and one that, with a cache of a few
// pages, spills pages to the log before its commit, reads them back and
// writes them again. A copy of the files taken before any checkpoint, as
// a crash would leave them, must then hold every commit: SQLite's recovery
// keeps the log only up to its first frame out of place.
func TestLogVFSLeavesAWholeLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log.db")
	db := openLogTest(t, path, logVFSName)
	reader := openLogTest(t, path, "")
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)`); err != nil {
		t.Fatal(err)
	}
	want := map[int][]byte{}
	put := func(q interface {
		Exec(string, ...any) (sql.Result, error)
	}, id, size int) {
		unit := []byte(fmt.Sprint(id, "-", size, ";"))
		b := bytes.Repeat(unit, size/len(unit)+1)[:size]
		if _, err := q.Exec(`INSERT OR REPLACE INTO t (id, b) VALUES (?, ?)`, id, b); err != nil {
			t.Fatal(err)
		}
		want[id] = b
	}

	// Small commits, each seen by another connection as soon as it returns,
	// and the log restarted by a checkpoint halfway.
	for i := range 50 {
		if i == 25 {
			if _, err := db.Exec(`PRAGMA wal_checkpoint(RESTART)`); err != nil {
				t.Fatal(err)
			}
		}
		put(db, i, 500+i*97)
		var n int
		if err := reader.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil {
			t.Fatalf("commit %d: a reader: %v", i, err)
		}
		if n != len(want) {
			t.Fatalf("commit %d: a reader sees %d rows, want %d", i, n, len(want))
		}
	}
	// A transaction of 3 MB, more than logVFS holds.
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := 100; i < 400; i++ {
		put(tx, i, 10_000)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// A transaction that spills: a cache of 10 pages, 600 rows written,
	// read back, then every one of them written again.
	if _, err := db.Exec(`PRAGMA cache_size = 10`); err != nil {
		t.Fatal(err)
	}
	tx, err = db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for pass := range 2 {
		for i := 1000; i < 1600; i++ {
			put(tx, i, 1500+pass*700)
		}
		for i := 1000; i < 1600; i++ {
			var b []byte
			if err := tx.QueryRow(`SELECT b FROM t WHERE id = ?`, i).Scan(&b); err != nil || !bytes.Equal(b, want[i]) {
				t.Fatalf("row %d read back in its transaction: %d bytes, %v; want %d bytes", i, len(b), err, len(want[i]))
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	// The files as they are, the log not checkpointed.
	copyDir := t.TempDir()
	for _, name := range []string{"log.db", "log.db-wal"} {
		copyFile(t, filepath.Join(dir, name), filepath.Join(copyDir, name))
	}
	copied := openLogTest(t, filepath.Join(copyDir, "log.db"), "")
	var check string
	if err := copied.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check of the copy: %q, %v", check, err)
	}
	got := map[int][]byte{}
	rows, err := copied.Query(`SELECT id, b FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			t.Fatal(err)
		}
		got[id] = b
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("the copy holds %d rows, want %d", len(got), len(want))
	}
	for id, b := range want {
		if !bytes.Equal(got[id], b) {
			t.Fatalf("row %d: %x, want %x", id, sha256.Sum256(got[id]), sha256.Sum256(b))
		}
	}
}

// TestLogVFSReadsWhatItHolds: a transaction larger than its cache spills
// pages to the log before its commit and reads them back: what logVFS
// holds must be in the file by then.
func TestLogVFSReadsWhatItHolds(t *testing.T) {
	db := openLogTest(t, filepath.Join(t.TempDir(), "log.db"), logVFSName)
	for _, q := range []string{`CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)`, `PRAGMA cache_size = 10`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for i := range 300 {
		if _, err := tx.Exec(`INSERT INTO t (id, b) VALUES (?, ?)`, i, bytes.Repeat([]byte{byte(i)}, 1500)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 300 {
		var b []byte
		if err := tx.QueryRow(`SELECT b FROM t WHERE id = ?`, i).Scan(&b); err != nil || !bytes.Equal(b, bytes.Repeat([]byte{byte(i)}, 1500)) {
			t.Fatalf("row %d read back in its transaction: %d bytes, %v", i, len(b), err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestLogVFSSyncedMidFrame: with synchronous=FULL and no powersafe
// overwrite, SQLite pads a commit to a sector and syncs inside a frame;
// each commit must still be whole for a reader.
func TestLogVFSSyncedMidFrame(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	db := openLogTest(t, path, logVFSName, "_pragma=synchronous(FULL)", "psow=0")
	reader := openLogTest(t, path, "")
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)`); err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		if _, err := db.Exec(`INSERT INTO t (b) VALUES (?)`, bytes.Repeat([]byte{byte(i)}, 700+i*211)); err != nil {
			t.Fatal(err)
		}
		var check string
		if err := reader.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
			t.Fatalf("commit %d: a reader's integrity_check: %q, %v", i, check, err)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDropHeldIsOneDBs: two DBs of one file in one process (a server and
// a tool, as tests open them): the server's writer ending a transaction
// that did not commit forgets what its own log holds, never what the
// tool's holds of a transaction under way, which then commits whole.
func TestDropHeldIsOneDBs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "intyg.db")
	server, err := Open(ctx, SQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	tool, err := OpenExisting(ctx, SQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	defer tool.Close()
	for _, q := range []string{`PRAGMA cache_size = 10`, `CREATE TABLE spill (id INTEGER PRIMARY KEY, b BLOB)`} {
		if _, err := tool.write.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := tool.write.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 60 { // spilled from a cache of ten pages: held in the tool's log
		if _, err := tx.Exec(`INSERT INTO spill (id, b) VALUES (?, ?)`, i, bytes.Repeat([]byte{byte(i)}, 3000)); err != nil {
			t.Fatal(err)
		}
	}
	server.writer.ended() // as after a transaction of the server's that did not commit
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	check := openLogTest(t, path, "")
	var ok string
	var n int
	if err := check.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %q, %v", ok, err)
	}
	if err := check.QueryRow(`SELECT count(*) FROM spill`).Scan(&n); err != nil || n != 60 {
		t.Errorf("%d rows, %v; want the tool's 60", n, err)
	}
}
