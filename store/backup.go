package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/intyg/intyg/intake"
)

// Backup writes a consistent copy of the SQLite database to path while the
// service runs: VACUUM INTO reads one snapshot in a read transaction, so
// writers carry on, and the copy holds exactly the transactions committed
// before it started. The file is created with mode 0600, synced to disk,
// and must not exist beforehand. A restore is the copy put in place of the
// database file while the service is stopped.
//
// Returns ECONFLICT if path exists, and EINVALID on PostgreSQL, which is
// backed up with pg_dump.
func (db *DB) Backup(ctx context.Context, path string) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("store: backup to %s: %w", path, err)
		}
	}()
	if db.dialect != SQLite {
		return intake.Errorf(intake.EINVALID, "A PostgreSQL database is backed up with pg_dump and restored with pg_restore.")
	}
	// Create the file first, exclusively: no existing file is overwritten
	// and no other user can read it. VACUUM INTO accepts an empty file.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return intake.Errorf(intake.ECONFLICT, "%s already exists; a backup never overwrites a file.", path)
	}
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(path)
		}
	}()
	// The umask cannot widen 0600, but a strange one could narrow it.
	if err := errors.Join(f.Chmod(0o600), f.Close()); err != nil {
		return err
	}
	if _, err := db.read.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return err
	}
	return syncFile(path)
}

// syncFile flushes a file and the directory entry naming it to disk.
func syncFile(path string) error {
	for _, p := range []string{path, filepath.Dir(path)} {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
