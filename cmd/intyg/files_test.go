package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestDataFileModes serves a new database under several umasks and checks
// that the data directory is 0700 and every file in it 0600.
func TestDataFileModes(t *testing.T) {
	tests := []struct {
		name  string
		umask int
	}{
		{"usual umask 022", 0o022},
		{"no umask", 0},
		{"umask taking the owner's write bit", 0o277},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			old := syscall.Umask(tt.umask)
			defer syscall.Umask(old)
			_, _, stop := startServe(t, data)
			defer stop()
			want := map[string]os.FileMode{
				data:                                     0o700,
				filepath.Join(data, "intyg.db"):          0o600,
				filepath.Join(data, "intyg.db-wal"):      0o600,
				filepath.Join(data, "intyg.db-shm"):      0o600,
				filepath.Join(data, "first-admin-token"): 0o600,
			}
			for path, mode := range want {
				fi, err := os.Stat(path)
				if os.IsNotExist(err) && strings.Contains(path, "intyg.db-") {
					continue // SQLite may not have made it yet
				}
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != mode {
					t.Errorf("%s: mode %v, want %v", filepath.Base(path), fi.Mode().Perm(), mode)
				}
			}
			entries, _ := os.ReadDir(data)
			for _, e := range entries {
				if fi, err := e.Info(); err == nil && fi.Mode().Perm()&0o077 != 0 {
					t.Errorf("%s: mode %v lets others in", e.Name(), fi.Mode().Perm())
				}
			}
		})
	}
}

// TestFirstAdminTokenOnTerminal serves a new database with stdout on a
// pseudo-terminal: the secret is shown there and no file is written.
func TestFirstAdminTokenOnTerminal(t *testing.T) {
	ptmx, pts := mustOpenPTY(t)
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		code, _ := run(ctx, []string{"intyg", "serve", "--addr", "127.0.0.1:0", "--data", data}, func(string) string { return "" }, strings.NewReader(""), pts, &lockedBuffer{})
		done <- code
	}()
	defer func() { cancel(); <-done }()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(ptmx)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var secret string
	timeout := time.After(20 * time.Second)
	for secret == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the terminal closed before showing a token")
			}
			if m := regexp.MustCompile(`^\s*(intyg_\S+)`).FindStringSubmatch(l); m != nil {
				secret = m[1]
			}
		case <-timeout:
			t.Fatal("no token shown on the terminal")
		}
	}
	if _, err := os.Stat(filepath.Join(data, "first-admin-token")); !os.IsNotExist(err) {
		t.Errorf("a token file was written although stdout is a terminal (%v)", err)
	}
}

// mustOpenPTY opens a pseudo-terminal pair, or skips where there is none.
func mustOpenPTY(tb testing.TB) (ptmx, pts *os.File) {
	tb.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		tb.Skipf("no pseudo-terminals here: %v", err)
	}
	tb.Cleanup(func() { ptmx.Close() })
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		tb.Skipf("cannot unlock a pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		tb.Skipf("cannot name a pseudo-terminal: %v", err)
	}
	pts, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		tb.Skipf("cannot open a pseudo-terminal: %v", err)
	}
	tb.Cleanup(func() { pts.Close() })
	return ptmx, pts
}

func TestReadDSNFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "dsn")
	if err := os.WriteFile(file, []byte("postgres://from-file/intyg\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{name: "no dsn: SQLite", want: ""},
		{name: "--dsn", args: []string{"--dsn", "postgres://flag/intyg"}, want: "postgres://flag/intyg"},
		{name: "--dsn-file", args: []string{"--dsn-file", file}, want: "postgres://from-file/intyg"},
		{name: "INTYG_DSN", env: map[string]string{"INTYG_DSN": "postgres://env/intyg"}, want: "postgres://env/intyg"},
		{name: "INTYG_DSN_FILE", env: map[string]string{"INTYG_DSN_FILE": file}, want: "postgres://from-file/intyg"},
		{name: "--dsn-file beats INTYG_DSN", args: []string{"--dsn-file", file}, env: map[string]string{"INTYG_DSN": "postgres://env/intyg"}, want: "postgres://from-file/intyg"},
		{name: "--dsn beats INTYG_DSN_FILE", args: []string{"--dsn", "postgres://flag/intyg"}, env: map[string]string{"INTYG_DSN_FILE": file}, want: "postgres://flag/intyg"},
		{name: "both flags", args: []string{"--dsn", "postgres://flag/intyg", "--dsn-file", file}, wantErr: true},
		{name: "both variables", env: map[string]string{"INTYG_DSN": "postgres://env/intyg", "INTYG_DSN_FILE": file}, wantErr: true},
		{name: "missing file", args: []string{"--dsn-file", filepath.Join(dir, "nope")}, wantErr: true},
		{name: "empty file", args: []string{"--dsn-file", empty}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Config
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			dbFlags(fs, &c, func(k string) string { return tt.env[k] })
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			err := c.readDSNFile(fs)
			if (err != nil) != tt.wantErr || c.DSN != tt.want && !tt.wantErr {
				t.Errorf("readDSNFile() = %v, DSN %q; want DSN %q (error: %v)", err, c.DSN, tt.want, tt.wantErr)
			}
		})
	}
}

// TestUsageHidesTheDSN: a command's usage, shown for a mistyped flag or
// -h, does not print INTYG_DSN's password as the flag's default.
func TestUsageHidesTheDSN(t *testing.T) {
	const dsn = "postgres://intyg:S3cretPW@db.example/intyg"
	getenv := func(k string) string {
		if k == "INTYG_DSN" {
			return dsn
		}
		return ""
	}
	for _, args := range [][]string{{"serve", "--addres", "x"}, {"serve", "-h"}, {"token", "list", "--bogus"}, {"user", "list", "-h"}, {"audit", "verify", "--bogus"}, {"backup", "--bogus"}} {
		var stdout, stderr bytes.Buffer
		code, err := run(context.Background(), append([]string{"intyg"}, args...), getenv, strings.NewReader(""), &stdout, &stderr)
		if err != nil {
			stderr.WriteString(err.Error())
		}
		if out := stdout.String() + stderr.String(); strings.Contains(out, "S3cretPW") || !strings.Contains(out, "-dsn") {
			t.Errorf("intyg %s (exit %d) printed the DSN's password, or no usage:\n%s", strings.Join(args, " "), code, out)
		}
	}
}
