package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// The data directory holds patient data and secrets: it is made 0700 and
// the files in it 0600, set with chmod after creation so that the umask
// does not decide. SQLite gives its -wal and -shm files the mode of the
// database file.
const (
	dirMode  fs.FileMode = 0o700
	fileMode fs.FileMode = 0o600
)

// makePrivateDir makes dir, mode 0700, if it does not exist.
func makePrivateDir(dir string) error {
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	return os.Chmod(dir, dirMode)
}

// prepareDataDir makes the data directory and an empty database file,
// mode 0600, if they do not exist, and returns the file's path. SQLite
// takes an empty file for a new database.
func prepareDataDir(dir string) (string, error) {
	if err := makePrivateDir(dir); err != nil {
		return "", fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, "intyg.db")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	switch {
	case errors.Is(err, fs.ErrExist):
		return path, nil
	case err != nil:
		return "", fmt.Errorf("database file: %w", err)
	}
	if err := errors.Join(f.Chmod(fileMode), f.Close()); err != nil {
		return "", fmt.Errorf("database file: %w", err)
	}
	return path, nil
}

// openToOthers returns those of paths whose mode lets group or others read,
// write or enter them. Windows has no such modes.
func openToOthers(paths ...string) []string {
	var open []string
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
			open = append(open, fmt.Sprintf("%s (%s)", p, fi.Mode().Perm()))
		}
	}
	return open
}

// writeSecretFile writes a secret to a new file of mode 0600, replacing a
// file of that name; a symlink is replaced too, never followed.
func writeSecretFile(path, secret string) error {
	if err := makePrivateDir(filepath.Dir(path)); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return err
	}
	_, err = io.WriteString(f, secret)
	err = errors.Join(err, f.Chmod(fileMode), f.Sync(), f.Close())
	if err != nil {
		os.Remove(path)
	}
	return err
}

// isTerminal reports whether w is a terminal, where a person reads what
// is written, rather than a file, a pipe or a log collector.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && fdIsTerminal(f.Fd())
}
