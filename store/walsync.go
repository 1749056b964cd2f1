package store

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// walFile makes what SQLite's writer committed durable: the writer's
// connection commits with synchronous=NORMAL, which writes the commit to
// the write-ahead log without waiting for the disk, and the group-commit
// writer's syncer calls sync before it answers (writer.go). fsync makes a
// file's written data durable whichever descriptor it is called on, so a
// descriptor of our own serves. A commit is visible to readers from the
// moment it is written, which may be a millisecond before it is durable;
// its writer is answered only after. SQLite's recovery after a crash keeps
// the log up to its last whole commit, which includes every commit synced.
type walFile struct {
	path string // the database's path with "-wal"

	mu sync.Mutex
	f  *os.File // nil until the first sync, and after the log was replaced
}

// sync makes everything written to the log so far durable (syncData).
// The log is opened on first use, and again if SQLite has replaced it (it
// removes the log when its last connection closes); a log opened anew also
// has its directory entry synced.
func (w *walFile) sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f != nil && !w.current() {
		w.f.Close()
		w.f = nil
	}
	if w.f == nil {
		f, err := os.Open(w.path)
		if err != nil {
			return fmt.Errorf("open the write-ahead log: %w", err)
		}
		if err := syncDir(filepath.Dir(w.path)); err != nil {
			f.Close()
			return err
		}
		w.f = f
	}
	return syncData(w.f)
}

// current reports whether the open descriptor is still of the file at
// w.path.
func (w *walFile) current() bool {
	onDisk, err := os.Stat(w.path)
	if err != nil {
		return false
	}
	open, err := w.f.Stat()
	return err == nil && os.SameFile(onDisk, open)
}

// close closes the descriptor, if open.
func (w *walFile) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// syncDir makes a directory's entries durable.
func syncDir(path string) error {
	d, err := os.Open(path)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}
