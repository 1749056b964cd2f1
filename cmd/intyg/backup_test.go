package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// TestBackupCommand backs up a running server's database, checks the copy's
// mode and the refusals, then restores it (copies it into place of a
// stopped server's database) and finds every certificate there.
func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	base, _, stop := startServe(t, data)
	defer func() { stop() }()
	clinic := mustCreateToken(t, data, "--role", "clinic", "--unit", "SE2321000016-7P0C")
	caseworker := mustCreateToken(t, data, "--role", "caseworker")

	want := map[string]string{} // location → SHA-256 of the submitted bytes
	for _, f := range examples(t, "valid/*.json") {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(body, []byte(`"SE2321000016-7P0C"`)) {
			continue // another unit's certificate
		}
		loc := mustPost(t, base, clinic, body)
		sum := sha256.Sum256(body)
		want[loc] = hex.EncodeToString(sum[:])
	}

	backup := filepath.Join(dir, "intyg-backup.db")
	code, out, stderr := runCmd(t, "", "backup", "--to", backup, "--data", data)
	if code != exitOK || !strings.Contains(out, "backed up") {
		t.Fatalf("backup: exit %d, %q %s", code, out, stderr)
	}
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}

	refusals := []struct {
		name string
		args []string
		want string
	}{
		{"existing file", []string{"backup", "--to", backup, "--data", data}, "already exists"},
		{"PostgreSQL", []string{"backup", "--to", filepath.Join(dir, "pg.db"), "--dsn", "postgres://127.0.0.1:1/intyg"}, "pg_dump"},
		{"no --to", []string{"backup", "--data", data}, "usage"},
		{"no database", []string{"backup", "--to", filepath.Join(dir, "none.db"), "--data", filepath.Join(dir, "none")}, "no database"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, "", tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, %q; want %d saying %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "pg.db")); err == nil {
		t.Error("a refused PostgreSQL backup left a file")
	}

	// Restore: the server stopped, the copy put in place of the database.
	if code := stop(); code != exitOK {
		t.Fatalf("stop: exit %d", code)
	}
	restored := filepath.Join(dir, "restored")
	if err := os.Mkdir(restored, 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, "intyg.db"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	base, _, stop = startServe(t, restored)
	for loc, sum := range want {
		req, _ := http.NewRequest("GET", base+loc, nil)
		req.Header.Set("Authorization", "Bearer "+caseworker)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var rec struct{ SHA256 string }
		json.NewDecoder(resp.Body).Decode(&rec)
		resp.Body.Close()
		if resp.StatusCode != 200 || rec.SHA256 != sum {
			t.Errorf("restored GET %s: %d, sha256 %s; want 200 and %s", loc, resp.StatusCode, rec.SHA256, sum)
		}
	}
	if code, out, _ := runCmd(t, "", "audit", "verify", "--data", restored); code != exitOK {
		t.Errorf("restored access log: exit %d, %s", code, out)
	}
	// The copy, a read of every patient, is in the access log (the copy's
	// too: the entry is written first), naming who ran the command.
	db, err := store.OpenExisting(context.Background(), store.SQLite, filepath.Join(restored, "intyg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	entries, _, err := db.FindAuditEntries(context.Background(), intake.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	logged := slices.ContainsFunc(entries, func(e *intake.AuditEntry) bool {
		return e.Action == "admin.backup" && e.Query == "to="+backup && strings.HasSuffix(e.Name, " (command line)")
	})
	if !logged {
		t.Errorf("no admin.backup entry naming the command's user in the copy's access log")
	}
}

// mustCreateToken makes a token with "intyg token create" and returns its secret.
func mustCreateToken(tb testing.TB, data string, args ...string) string {
	tb.Helper()
	code, out, stderr := runCmd(tb, "", append([]string{"token", "create", "--data", data}, args...)...)
	if code != exitOK {
		tb.Fatalf("token create %v: %s", args, stderr)
	}
	return lastLine(out)
}

// mustPost submits a certificate and returns its Location.
func mustPost(tb testing.TB, base, token string, body []byte) string {
	tb.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), "POST", base+"/api/v1/certificates", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(resp.Body)
		tb.Fatalf("POST: %d %s", resp.StatusCode, msg)
	}
	return resp.Header.Get("Location")
}
