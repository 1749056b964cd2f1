package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/intyg/intyg/intake"
)

// Backup writes a consistent copy of the SQLite database to path while the
// service runs (BackupFile).
//
// Returns ECONFLICT if path exists, and EINVALID on PostgreSQL, which is
// backed up with pg_dump.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.dialect != SQLite {
		return fmt.Errorf("store: backup to %s: %w", path, intake.Errorf(intake.EINVALID, "A PostgreSQL database is backed up with pg_dump and restored with pg_restore."))
	}
	return backup(ctx, db.read, path)
}

// BackupFile writes a consistent copy of the SQLite database file dbPath
// to path, beside a server that may be using it. It opens the file as it
// is, whatever its migration, and changes neither schema nor data: a backup just
// before an upgrade is taken by the new version's tool as well as the
// old's. VACUUM INTO reads one snapshot in a read transaction, so writers
// carry on, and the copy holds exactly the transactions committed before
// it started. The file is created with mode 0600, synced to disk, and must
// not exist beforehand. A restore is the copy put in place of the database
// file while the service is stopped.
//
// Returns ENOTFOUND if there is no database at dbPath, and ECONFLICT if
// path exists.
func BackupFile(ctx context.Context, dbPath, path string) error {
	if dbPath == "" || strings.ContainsAny(dbPath, "?#") {
		return fmt.Errorf("store: backup: sqlite needs a plain file path, got %q", dbPath)
	}
	if _, err := os.Stat(dbPath); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: backup: %w", intake.Errorf(intake.ENOTFOUND, "There is no database at %s.", dbPath))
	}
	conn, err := openPlain(SQLite, dbPath)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer conn.Close()
	return backup(ctx, conn, path)
}

// backup copies the database conn reads to a new file at path.
func backup(ctx context.Context, conn *sql.DB, path string) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("store: backup to %s: %w", path, err)
		}
	}()
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
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
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
