//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// lockDataDir takes the data directory's lock (an flock on intyg.lock)
// for as long as the server runs: a second intyg serve on the same SQLite
// database is refused, since two writers would each batch commits the
// other does not see. The tools that run beside a server (backup, audit,
// the admin commands) take no lock. The kernel lets go when the process
// ends, however it ends.
func lockDataDir(dir string) (release func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, "intyg.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	switch err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); {
	case err == unix.EWOULDBLOCK:
		f.Close()
		return nil, fmt.Errorf("another intyg serve is using %s; run one server on an SQLite database, or PostgreSQL (--dsn) for several", dir)
	case err != nil:
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return func() { f.Close() }, nil
}
