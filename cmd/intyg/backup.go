package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// errPostgresBackup is what "intyg backup" says for a PostgreSQL database.
var errPostgresBackup = errors.New("backup: a PostgreSQL database is backed up with pg_dump (pg_dump -Fc -f intyg.dump DSN) and restored with pg_restore; intyg backup copies SQLite only")

// runBackup runs "intyg backup --to FILE": a consistent copy of the SQLite
// database, taken while the server runs, in a new 0600 file.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (int, error) {
	var c Config
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbFlags(fs, &c, getenv)
	to := fs.String("to", "", "file to write the copy to; it must not exist")
	if err := fs.Parse(args); err != nil {
		return exitUsage, helpAsked(err)
	}
	if *to == "" || fs.NArg() > 0 {
		return exitUsage, errors.New("usage: intyg backup --to FILE [--data DIR]")
	}
	if err := c.readDSNFile(fs); err != nil {
		return exitUsage, fmt.Errorf("backup: %w", err)
	}
	if c.DSN != "" {
		return exitUsage, errPostgresBackup
	}
	// The copy is a read of every patient: the access log takes an entry
	// first, naming who ran the command, or nothing is copied.
	if err := logBackup(ctx, c, *to, stderr); err != nil {
		return exitUsage, fmt.Errorf("backup: %w", err)
	}
	// The file as it is, whatever its migration: a backup is also what
	// one takes just before an upgrade.
	where := filepath.Join(c.DataDir, "intyg.db")
	start := time.Now()
	if err := store.BackupFile(ctx, where, *to); err != nil {
		if intake.ErrorCode(err) == intake.ENOTFOUND {
			return exitUsage, fmt.Errorf("backup: no database at %s (give --data DIR; intyg serve creates it)", where)
		}
		if intake.ErrorCode(err) != intake.EINTERNAL {
			err = errors.New(intake.ErrorMessage(err))
		}
		return exitUsage, fmt.Errorf("backup: %w", err)
	}
	took := time.Since(start)
	fi, err := os.Stat(*to)
	if err != nil {
		return exitUsage, fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backed up SQLite %s to %s (%d bytes in %v)\n", where, *to, fi.Size(), took.Round(time.Millisecond))
	return exitOK, nil
}

// logBackup writes the backup's entry in the access log (logCommand),
// into the copy too, since it is written first. A database this binary
// cannot open as it is (another version's migrations: the backup before
// an upgrade) is copied all the same, and stderr says it has no entry.
func logBackup(ctx context.Context, c Config, to string, stderr io.Writer) error {
	db, _, err := openExistingDB(ctx, c)
	switch {
	case errors.Is(err, errNoDatabase):
		return nil // BackupFile says so
	case err != nil:
		fmt.Fprintf(stderr, "intyg: the access log takes no entry for this backup: %v\n", err)
		return nil
	}
	defer db.Close()
	return logCommand(ctx, db, "admin.backup", "to="+to)
}

// openAdminDB opens the database for the admin commands (token, unit,
// user): one in use as openExistingDB does, never migrating it; where there
// is none yet, or one without Intyg's tables, it makes them, and says so,
// so that a mistyped --data or --dsn shows.
func openAdminDB(ctx context.Context, c Config, stderr io.Writer) (*store.DB, error) {
	db, _, err := openExistingDB(ctx, c)
	made := ""
	switch {
	case errors.Is(err, errNoDatabase):
		made = "a new database at " + filepath.Join(c.DataDir, "intyg.db")
	case errors.Is(err, store.ErrEmpty) && c.DSN == "":
		made = "Intyg's tables in " + filepath.Join(c.DataDir, "intyg.db")
	case errors.Is(err, store.ErrEmpty):
		made = "Intyg's tables in the PostgreSQL database"
	}
	if made != "" {
		if db, _, err = openDB(ctx, c); err == nil {
			fmt.Fprintf(stderr, "intyg: made %s\n", made)
		}
	}
	return db, err
}

// errNoDatabase: there is no SQLite database file where one was looked for.
var errNoDatabase = errors.New("no database")

// openExistingDB is openDB for commands that read a database: it refuses
// to make a new, empty SQLite database where none is.
func openExistingDB(ctx context.Context, c Config) (*store.DB, string, error) {
	if c.DSN != "" {
		db, err := store.OpenExisting(ctx, store.Postgres, c.DSN)
		return db, "PostgreSQL", err
	}
	path := filepath.Join(c.DataDir, "intyg.db")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("%w at %s (give --data DIR, or --dsn for PostgreSQL; intyg serve creates it)", errNoDatabase, path)
	}
	db, err := store.OpenExisting(ctx, store.SQLite, path)
	return db, "SQLite " + path, err
}
