package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/internal/pgtest"
)

// TestAuditVerifyCommand writes access-log entries, runs "intyg audit
// verify", then changes an entry behind the service's back and checks that
// the command exits 1 naming it, on SQLite (--data) and PostgreSQL
// (--dsn-file).
func TestAuditVerifyCommand(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the database flags and a raw connection.
		setup func(t *testing.T) ([]string, *sql.DB)
	}{
		{"sqlite", func(t *testing.T) ([]string, *sql.DB) {
			data := t.TempDir()
			raw, err := sql.Open("sqlite", "file:"+filepath.Join(data, "intyg.db"))
			if err != nil {
				t.Fatal(err)
			}
			return []string{"--data", data}, raw
		}},
		{"postgres", func(t *testing.T) ([]string, *sql.DB) {
			dsn := pgtest.DSN(t)
			file := filepath.Join(t.TempDir(), "dsn")
			if err := os.WriteFile(file, []byte(dsn+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			raw, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			return []string{"--dsn-file", file}, raw
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dbArgs, raw := tt.setup(t)
			defer raw.Close()
			if code, _, stderr := runCmd(t, "", append([]string{"token", "create", "--role", "admin"}, dbArgs...)...); code != exitOK {
				t.Fatalf("token create: %s", stderr)
			}
			var c Config
			fs := flagSetFor(t, &c, dbArgs)
			if err := c.readDSNFile(fs); err != nil {
				t.Fatal(err)
			}
			db, _, err := openDB(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 5 {
				e := &intake.AuditEntry{TokenID: "tok", Role: intake.RoleCaseworker, Action: "certificate.read", CertificateID: fmt.Sprint("c", i), PatientID: "191212121212", RemoteAddr: "127.0.0.1:1"}
				if err := db.CreateAuditEntry(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()

			verify := append([]string{"audit", "verify"}, dbArgs...)
			code, out, stderr := runCmd(t, "", verify...)
			if code != exitOK || !strings.Contains(out, "intact: 6 entries checked") { // the token create, then five reads
				t.Errorf("intact log: exit %d, output %q %s; want 0 and 6 entries checked", code, out, stderr)
			}
			head := regexp.MustCompile(`head: (\d+:[0-9a-f]+)`).FindStringSubmatch(out)
			if head == nil {
				t.Fatalf("verify printed no head: %q", out)
			}
			if code, out, _ := runCmd(t, "", append(verify, "--head", head[1])...); code != exitOK || !strings.Contains(out, "still holds the head recorded") {
				t.Errorf("verify --head %s on the same log: exit %d, %q", head[1], code, out)
			}
			if code, _, _ := runCmd(t, "", append(verify, "--head", "x")...); code != exitUsage {
				t.Errorf("verify --head x: exit %d, want %d", code, exitUsage)
			}
			// The last two entries cut and the head rewritten to the entry
			// before them: the chain alone still verifies; the head recorded
			// before shows the cut.
			for _, q := range []string{
				`DELETE FROM audit_log WHERE seq > (SELECT MAX(seq) - 2 FROM audit_log)`,
				`UPDATE audit_chain SET seq = (SELECT MAX(seq) FROM audit_log), entry_id = (SELECT id FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)), hash = (SELECT hash FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log))`,
			} {
				if _, err := raw.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			if code, out, _ := runCmd(t, "", verify...); code != exitOK {
				t.Fatalf("the cut log without a recorded head: exit %d, %q", code, out)
			}
			if code, out, _ := runCmd(t, "", append(verify, "--head", head[1])...); code != exitBroken || !strings.Contains(out, "no longer holds entry") {
				t.Errorf("the cut log with the head recorded before: exit %d, %q; want 1", code, out)
			}

			var id int64
			if err := raw.QueryRow(`SELECT id FROM audit_log WHERE seq = 3`).Scan(&id); err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec(fmt.Sprintf(`UPDATE audit_log SET patient_id = '200001012384' WHERE id = %d`, id)); err != nil {
				t.Fatal(err)
			}
			code, out, _ = runCmd(t, "", verify...)
			if code != exitBroken || !strings.Contains(out, fmt.Sprintf("BROKEN at entry %d ", id)) || !strings.Contains(out, "2 entries before it verified") {
				t.Errorf("changed entry %d: exit %d, output %q; want exit 1 naming it", id, code, out)
			}
		})
	}
	t.Run("no database", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "nothing-here")
		if code, _, _ := runCmd(t, "", "audit", "verify", "--data", data); code != exitUsage {
			t.Errorf("exit %d, want %d", code, exitUsage)
		}
		if _, err := os.Stat(data); err == nil {
			t.Error("audit verify made a database where there was none")
		}
	})
}
