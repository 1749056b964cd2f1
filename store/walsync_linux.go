package store

import (
	"os"
	"syscall"
)

// syncData makes f's written data durable with fdatasync, as SQLite's Unix
// file system does where built with it (modernc.org/sqlite's calls fsync)
// and PostgreSQL's log does by default on Linux: it writes the file's
// metadata only where reading the data back needs it (a size that grew,
// blocks newly allocated), not the modification time that every append
// changes, which fsync commits to the file system's journal each time.
func syncData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}
