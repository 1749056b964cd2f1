package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"modernc.org/sqlite"

	"github.com/intyg/intyg/store"
)

// TestCheckpointKeepsTheDatabaseLocks: once a checkpoint has synced the
// database file and the writer has restarted the log, the process still
// holds SQLite's locks on the file. Closing any descriptor of a file drops
// every POSIX lock the process holds on it; without them a tool opened
// beside the server (intyg backup, the admin commands) takes itself for
// the last user, checkpoints and removes the server's log, and what the
// server acknowledged after that is lost. An earlier checkpoint synced the
// file through a descriptor it opened and closed each time.
func TestCheckpointKeepsTheDatabaseLocks(t *testing.T) {
	if sqlite.OFDLockingEnabled() {
		t.Skip("SQLite takes open file description locks, which /proc/locks lists without a process")
	}
	store.SetWALRestart(t, 1, 20*time.Millisecond)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "intyg.db")
	db := mustOpenDB(t, store.SQLite, path)
	if held := locksOn(t, path); len(held) == 0 {
		t.Fatal("no lock of this process on the database file after Open: the test cannot see locks")
	}
	eng := mustEngine(t)
	_, body := mustCertificate(t, "all-optional-fields.json")
	for deadline := time.Now().Add(30 * time.Second); ; {
		if n, _ := db.CheckpointStats(); n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer finished fewer than two checkpoints in 30 s")
		}
		c, err := eng.Intake(body, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.CreateCertificate(ctx, c, body, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if held := locksOn(t, path); len(held) == 0 {
		t.Error("after the checkpoints this process holds no lock on the database file: a tool beside the server could remove its log")
	}
}

// locksOn returns the lines of /proc/locks that are this process's locks
// on the file at path.
func locksOn(t *testing.T, path string) []string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		t.Fatal(err)
	}
	// "1: POSIX  ADVISORY  READ 1234 fd:01:5678 128 128": pid, then
	// major:minor:inode.
	pid, inode := strconv.Itoa(os.Getpid()), ":"+strconv.FormatUint(fi.Sys().(*syscall.Stat_t).Ino, 10)
	var held []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 6 && f[4] == pid && strings.HasSuffix(f[5], inode) {
			held = append(held, line)
		}
	}
	return held
}
