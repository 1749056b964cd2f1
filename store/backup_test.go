package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/internal/pgtest"
	"github.com/intyg/intyg/store"
)

// TestBackupWhileWriting takes a backup while a goroutine keeps storing
// certificates, and checks that the copy holds every certificate whose
// CreateCertificate had returned before the backup started, byte for byte.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := mustOpenDB(t, store.SQLite, filepath.Join(dir, "intyg.db"))
	examples := []string{"full-time-one-period.json", "part-time-steps-75-50-25.json", "prognosis-unclear.json", "coordination-number.json"}
	bodies := map[string][]byte{}
	for _, e := range examples {
		_, bodies[e] = mustCertificate(t, e)
	}
	eng := mustEngine(t)

	type stored struct {
		id, sha256 string
		body       []byte
	}
	var (
		mu   sync.Mutex
		done []stored
	)
	stop := make(chan struct{})
	writing := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				writing <- nil
				return
			default:
			}
			e := examples[i%len(examples)]
			c, err := eng.Intake(bodies[e], time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
			if err != nil {
				writing <- err
				return
			}
			s, _, err := db.CreateCertificate(ctx, c, bodies[e], nil, nil)
			if err != nil {
				writing <- err
				return
			}
			// Every few certificates are read, so that the access log grows too.
			if i%4 == 0 {
				db.CreateAuditEntry(ctx, &intake.AuditEntry{TokenID: "t", Role: intake.RoleCaseworker, Action: "certificate.read", CertificateID: s.ID, PatientID: c.Patient.ID})
			}
			mu.Lock()
			done = append(done, stored{s.ID, s.SHA256, bodies[e]})
			mu.Unlock()
		}
	}()
	time.Sleep(300 * time.Millisecond)

	mu.Lock()
	before := append([]stored(nil), done...)
	mu.Unlock()
	backup := filepath.Join(dir, "backup.db")
	start := time.Now()
	if err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	time.Sleep(100 * time.Millisecond) // writes go on after the backup
	close(stop)
	if err := <-writing; err != nil {
		t.Fatal(err)
	}
	if len(before) == 0 {
		t.Fatal("no certificate was stored before the backup")
	}

	fi, err := os.Stat(backup)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode = %v, want 0600", fi.Mode().Perm())
	}
	copied := mustOpenDB(t, store.SQLite, backup)
	for _, s := range before {
		sub, err := copied.FindSubmission(ctx, s.id)
		if err != nil {
			t.Fatalf("certificate %s stored before the backup is not in it: %v", s.id, err)
		}
		sum := sha256.Sum256(sub)
		if !bytes.Equal(sub, s.body) || hex.EncodeToString(sum[:]) != s.sha256 {
			t.Errorf("certificate %s: the backup's submitted bytes differ from those stored", s.id)
		}
	}
	if checked, broken, err := copied.VerifyAuditChain(ctx); err != nil || broken != 0 {
		t.Errorf("the backup's access log: %d checked, broken at %d, %v", checked, broken, err)
	}
	n, _ := copied.CountCertificates(ctx)
	mu.Lock()
	t.Logf("backup of %d certificates (%d acknowledged before it started, %d by the end) in %v", n, len(before), len(done), took)
	mu.Unlock()

	// A second backup to the same file is refused and leaves it alone.
	if err := db.Backup(ctx, backup); intake.ErrorCode(err) != intake.ECONFLICT {
		t.Errorf("backup over an existing file = %v, want ECONFLICT", err)
	}
	if _, err := copied.FindSubmission(ctx, before[0].id); err != nil {
		t.Errorf("the refused backup damaged the existing file: %v", err)
	}
}

func TestBackupPostgresRefused(t *testing.T) {
	db := mustOpenDB(t, store.Postgres, pgtest.DSN(t))
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(context.Background(), path); intake.ErrorCode(err) != intake.EINVALID {
		t.Errorf("Backup() on PostgreSQL = %v, want EINVALID", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("Backup() on PostgreSQL left a file")
	}
}

// TestBackupFileOfAnOlderMigration: a backup is what one takes just before
// an upgrade, so the newer tool copies a database an older server made,
// and changes nothing in it; where there is no database it makes none.
func TestBackupFileOfAnOlderMigration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "intyg.db")
	db := mustOpenDB(t, store.SQLite, path)
	if err := db.CreateAuditEntry(ctx, &intake.AuditEntry{TokenID: "t", Role: intake.RoleCaseworker, Action: "certificate.read", CertificateID: "c", PatientID: "19121212-1212"}); err != nil {
		t.Fatal(err)
	}
	dropped := asIfOlder(t, db)

	to := filepath.Join(dir, "backup.db")
	if err := store.BackupFile(ctx, path, to); err != nil {
		t.Fatalf("a backup of a database at an older migration: %v", err)
	}
	for _, p := range []string{path, to} {
		conn, err := sql.Open("sqlite", "file:"+p+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		var entries int
		var at string
		err = conn.QueryRow(`SELECT (SELECT count(*) FROM audit_log), (SELECT CAST(MAX(version_id) AS TEXT) FROM goose_db_version)`).Scan(&entries, &at)
		conn.Close()
		if err != nil || entries != 1 || at == dropped {
			t.Errorf("%s: %d access-log entries at migration %s (%v), want 1 at the one before %s", p, entries, at, err, dropped)
		}
	}
	if fi, err := os.Stat(to); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the copy: %v %v, want mode 0600", fi, err)
	}

	missing := filepath.Join(dir, "none", "intyg.db")
	if err := store.BackupFile(ctx, missing, filepath.Join(dir, "b2.db")); intake.ErrorCode(err) != intake.ENOTFOUND {
		t.Errorf("a backup of no database = %v, want ENOTFOUND", err)
	}
	for _, p := range []string{missing, filepath.Join(dir, "b2.db")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("a backup of no database made %s", p)
		}
	}
}
