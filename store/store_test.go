package store_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/internal/pgtest"
	"github.com/intyg/intyg/schemas"
	"github.com/intyg/intyg/store"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// dialects runs the same test against a real SQLite file and a real
// PostgreSQL server.
func dialects(t *testing.T, fn func(t *testing.T, open func(t *testing.T) *store.DB)) {
	dialectsOn(t, pgtest.DSN, fn)
}

// dialectsOn is dialects with PostgreSQL's database made by postgresDSN.
func dialectsOn(t *testing.T, postgresDSN func(testing.TB) string, fn func(t *testing.T, open func(t *testing.T) *store.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, func(t *testing.T) *store.DB {
			return mustOpenDB(t, store.SQLite, filepath.Join(t.TempDir(), "intyg.db"))
		})
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, func(t *testing.T) *store.DB {
			return mustOpenDB(t, store.Postgres, postgresDSN(t))
		})
	})
}

// twoServers runs fn on each dialect with two handles on one database, as
// two servers of a region share it.
func twoServers(t *testing.T, fn func(t *testing.T, a, b *store.DB)) {
	for _, driver := range []string{store.SQLite, store.Postgres} {
		t.Run(driver, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "intyg.db")
			if driver == store.Postgres {
				dsn = pgtest.DSN(t)
			}
			fn(t, mustOpenDB(t, driver, dsn), mustOpenDB(t, driver, dsn))
		})
	}
}

// TestServersMigrateTogether: servers that start at once on a new
// PostgreSQL database migrate it one at a time, and every one starts (one
// failed on a migration another was running).
func TestServersMigrateTogether(t *testing.T) {
	dsn := pgtest.DSN(t)
	const n = 4
	errs := make(chan error, n)
	for range n {
		go func() {
			db, err := store.Open(context.Background(), store.Postgres, dsn)
			if err == nil {
				t.Cleanup(func() { db.Close() })
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("a server starting beside others: %v", err)
		}
	}
}

// TestMigrationWaitsForTheLock: a server migrates only once it holds the
// migration lock: while another session holds it, Open waits, and goes on
// when it is released.
func TestMigrationWaitsForTheLock(t *testing.T) {
	dsn := pgtest.DSN(t)
	other, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, store.MigrationLockID); err != nil {
		t.Fatal(err)
	}
	opened := make(chan error, 1)
	go func() {
		db, err := store.Open(ctx, store.Postgres, dsn)
		if err == nil {
			t.Cleanup(func() { db.Close() })
		}
		opened <- err
	}()
	select {
	case err := <-opened:
		t.Fatalf("Open returned while another session held the migration lock: %v", err)
	case <-time.After(1500 * time.Millisecond):
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, store.MigrationLockID); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-opened:
		if err != nil {
			t.Errorf("Open after the lock was released: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Open did not go on after the migration lock was released")
	}
}

// otherSession opens a second session on the PostgreSQL database at dsn,
// as another server's, and begins a transaction in it, rolled back at the
// test's end unless committed.
func otherSession(t *testing.T, dsn string) (*sql.DB, *sql.Tx) {
	t.Helper()
	other, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	tx, err := other.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	return other, tx
}

func mustOpenDB(tb testing.TB, driver, dsn string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil { // again, if the test closed it: nil
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

// mustCertificate runs an example through intake.
func mustCertificate(tb testing.TB, example string) (*intake.Certificate, []byte) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", "fk7804", "valid", example))
	if err != nil {
		tb.Fatal(err)
	}
	c, err := mustEngine(tb).Intake(b, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	if err != nil {
		tb.Fatal(err)
	}
	return c, b
}

// mustEngine returns an intake engine with the embedded templates and
// ICD-10-SE.
func mustEngine(tb testing.TB) *intake.Engine {
	tb.Helper()
	icd, err := intake.LoadICD10SE(schemas.ICD10SE())
	if err != nil {
		tb.Fatal(err)
	}
	eng, err := intake.NewEngine(schemas.MustLoadEmbedded(), icd, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

func TestCertificates(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		t.Run("create and find keep the exact bytes", func(t *testing.T) {
			db := open(t)
			c, body := mustCertificate(t, "part-time-steps-75-50-25.json")
			stored, replay, err := db.CreateCertificate(ctx, c, body, nil, nil)
			if err != nil || replay {
				t.Fatalf("CreateCertificate() = %v, replay %v", err, replay)
			}
			if stored.ID == "" || stored.Status != intake.StatusReceived || stored.ReceivedAt.IsZero() || len(stored.SHA256) != 64 {
				t.Errorf("stored certificate lacks id, status, time or hash: %+v", stored)
			}
			got, err := db.FindCertificateByID(ctx, stored.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(stored, got); diff != "" {
				t.Errorf("FindCertificateByID() mismatch (-want +got):\n%s", diff)
			}
			sub, err := db.FindSubmission(ctx, stored.ID)
			if err != nil || string(sub) != string(body) {
				t.Errorf("FindSubmission() = %d bytes, %v; want the %d submitted bytes", len(sub), err, len(body))
			}
		})
		t.Run("not found", func(t *testing.T) {
			db := open(t)
			if _, err := db.FindCertificateByID(ctx, "nope"); intake.ErrorCode(err) != intake.ENOTFOUND {
				t.Errorf("FindCertificateByID(nope) = %v, want ENOTFOUND", err)
			}
		})
		t.Run("idempotency", func(t *testing.T) {
			db := open(t)
			c, body := mustCertificate(t, "full-time-one-period.json")
			key := &intake.Idempotency{Scope: "SE2321000016-7P0C", Key: "k1"}
			first, _, err := db.CreateCertificate(ctx, c, body, key, nil)
			if err != nil {
				t.Fatal(err)
			}
			c2, _ := mustCertificate(t, "full-time-one-period.json")
			again, replay, err := db.CreateCertificate(ctx, c2, body, key, nil)
			if err != nil || !replay || again.ID != first.ID {
				t.Errorf("retry = %v, replay %v, id %s; want the first certificate %s", err, replay, again.ID, first.ID)
			}
			c3, other := mustCertificate(t, "prognosis-unclear.json")
			if _, _, err := db.CreateCertificate(ctx, c3, other, key, nil); intake.ErrorCode(err) != intake.ECONFLICT {
				t.Errorf("same key, other body = %v, want ECONFLICT", err)
			}
			c4, _ := mustCertificate(t, "full-time-one-period.json")
			if _, replay, err := db.CreateCertificate(ctx, c4, body, &intake.Idempotency{Scope: "other-unit", Key: "k1"}, nil); err != nil || replay {
				t.Errorf("same key in another scope = %v, replay %v; want a new certificate", err, replay)
			}
			if n, _ := db.CountCertificates(ctx); n != 2 {
				t.Errorf("%d certificates stored, want 2", n)
			}
		})
		t.Run("concurrent retries with one key store one certificate", func(t *testing.T) {
			db := open(t)
			_, body := mustCertificate(t, "full-time-one-period.json")
			key := &intake.Idempotency{Scope: "unit", Key: "same"}
			ids := make([]string, 16)
			var wg sync.WaitGroup
			for i := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, _ := mustCertificate(t, "full-time-one-period.json")
					got, _, err := db.CreateCertificate(ctx, c, body, key, nil)
					if err != nil {
						t.Error(err)
						return
					}
					ids[i] = got.ID
				}()
			}
			wg.Wait()
			for _, id := range ids {
				if id != ids[0] {
					t.Fatalf("concurrent retries got different ids: %v", ids)
				}
			}
			if n, _ := db.CountCertificates(ctx); n != 1 {
				t.Errorf("%d certificates stored, want 1", n)
			}
		})
		t.Run("filter and paginate newest first", func(t *testing.T) {
			db := open(t)
			clock := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
			db.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
			examples := []string{"full-time-one-period.json", "prognosis-unclear.json", "coordination-number.json", "infection-control-smittbararpenning.json", "all-optional-fields.json"}
			var ids []string
			for _, e := range examples {
				c, body := mustCertificate(t, e)
				s, _, err := db.CreateCertificate(ctx, c, body, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				ids = append([]string{s.ID}, ids...) // newest first
			}
			var got []string
			cursor := ""
			for page := 0; page < 10; page++ {
				certs, next, err := db.FindCertificates(ctx, intake.CertificateFilter{Limit: 2, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range certs {
					got = append(got, c.ID)
				}
				if cursor = next; cursor == "" {
					break
				}
			}
			if diff := cmp.Diff(ids, got); diff != "" {
				t.Errorf("pages mismatch (-want +got):\n%s", diff)
			}
			coord, _ := mustCertificate(t, "coordination-number.json")
			certs, _, err := db.FindCertificates(ctx, intake.CertificateFilter{PatientID: &coord.Patient.ID})
			if err != nil || len(certs) != 1 || certs[0].Patient.ID != coord.Patient.ID {
				t.Errorf("filter by patient = %d certificates, %v; want 1", len(certs), err)
			}
			since := clock.Add(-2 * time.Second)
			certs, _, _ = db.FindCertificates(ctx, intake.CertificateFilter{ReceivedSince: &since})
			if len(certs) != 3 {
				t.Errorf("received since = %d certificates, want 3", len(certs))
			}
			tmpl, status := "fk7804", intake.StatusRevoked
			if certs, _, _ := db.FindCertificates(ctx, intake.CertificateFilter{Template: &tmpl}); len(certs) != 5 {
				t.Errorf("template filter = %d, want 5", len(certs))
			}
			if certs, _, _ := db.FindCertificates(ctx, intake.CertificateFilter{Status: &status}); len(certs) != 0 {
				t.Errorf("status revoked = %d, want 0", len(certs))
			}
			if _, _, err := db.FindCertificates(ctx, intake.CertificateFilter{Cursor: "garbage!"}); intake.ErrorCode(err) != intake.EINVALID {
				t.Errorf("bad cursor = %v, want EINVALID", err)
			}
			// A cursor of the right shape whose id the store never made:
			// a NUL (which PostgreSQL refuses in text), bytes not UTF-8.
			for _, id := range []string{"\x00", "\xff", "a b", "'"} {
				cursor := base64.RawURLEncoding.EncodeToString([]byte("2026-11-23T12:00:00Z|" + id))
				if _, _, err := db.FindCertificates(ctx, intake.CertificateFilter{Cursor: cursor}); intake.ErrorCode(err) != intake.EINVALID {
					t.Errorf("cursor with id %q = %v, want EINVALID", id, err)
				}
				if _, _, err := db.FindMessages(ctx, intake.MessageFilter{Cursor: cursor}); intake.ErrorCode(err) != intake.EINVALID {
					t.Errorf("message cursor with id %q = %v, want EINVALID", id, err)
				}
			}
		})
	})
}

// TestTimeBoundsBeyondYear9999: a list's lower time bound past the year
// 9999 in UTC (9999-12-31T23:59:59-23:59, a valid RFC 3339 time) finds
// nothing on both dialects, and one before the year 0000 everything; on
// SQLite, whose times are text, "10000-…" sorted before "2026-…".
func TestTimeBoundsBeyondYear9999(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		c, body := mustCertificate(t, "full-time-one-period.json")
		if _, _, err := db.CreateCertificate(ctx, c, body, nil, nil); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateAuditEntry(ctx, &intake.AuditEntry{Role: intake.RoleCaseworker, Action: "certificate.read"}); err != nil {
			t.Fatal(err)
		}
		late, err := time.Parse(time.RFC3339, "9999-12-31T23:59:59-23:59")
		if err != nil {
			t.Fatal(err)
		}
		early := time.Date(-1, 12, 31, 0, 0, 0, 0, time.UTC)
		for _, tt := range []struct {
			since time.Time
			want  int
		}{{late, 0}, {early, 1}} {
			certs, _, err := db.FindCertificates(ctx, intake.CertificateFilter{ReceivedSince: &tt.since})
			if err != nil || len(certs) != tt.want {
				t.Errorf("certificates received since %v = %d, %v; want %d", tt.since, len(certs), err, tt.want)
			}
			entries, _, err := db.FindAuditEntries(ctx, intake.AuditFilter{Since: &tt.since})
			if err != nil || len(entries) != tt.want {
				t.Errorf("access-log entries since %v = %d, %v; want %d", tt.since, len(entries), err, tt.want)
			}
		}
	})
}

func TestTokensAndAudit(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		secret, tok, err := db.CreateToken(ctx, intake.RoleClinic, "se2321000016-7p0c", "Journal system")
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.FindTokenBySecret(ctx, secret)
		if err != nil || got.ID != tok.ID || got.Role != intake.RoleClinic || len(got.Units) != 1 || got.Units[0] != "SE2321000016-7P0C" {
			t.Errorf("FindTokenBySecret() = %+v, %v", got, err)
		}
		if _, err := db.FindTokenBySecret(ctx, secret+"x"); intake.ErrorCode(err) != intake.EUNAUTHORIZED {
			t.Errorf("wrong secret = %v, want EUNAUTHORIZED", err)
		}
		if _, _, err := db.CreateToken(ctx, intake.RoleClinic, "", ""); intake.ErrorCode(err) != intake.EINVALID {
			t.Errorf("clinic token without unit = %v, want EINVALID", err)
		}
		if _, _, err := db.CreateToken(ctx, "root", "", ""); intake.ErrorCode(err) != intake.EINVALID {
			t.Errorf("unknown role = %v, want EINVALID", err)
		}
		if err := db.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FindTokenBySecret(ctx, secret); intake.ErrorCode(err) != intake.EUNAUTHORIZED {
			t.Errorf("revoked token = %v, want EUNAUTHORIZED", err)
		}
		if err := db.RevokeToken(ctx, tok.ID); intake.ErrorCode(err) != intake.ENOTFOUND {
			t.Errorf("revoke twice = %v, want ENOTFOUND", err)
		}

		for i := 0; i < 3; i++ {
			e := &intake.AuditEntry{TokenID: tok.ID, Role: intake.RoleCaseworker, Action: "certificate.read", CertificateID: fmt.Sprint("c", i), PatientID: "191212121212", RemoteAddr: "127.0.0.1"}
			if err := db.CreateAuditEntry(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		pid := "191212121212"
		entries, next, err := db.FindAuditEntries(ctx, intake.AuditFilter{PatientID: &pid, Limit: 2})
		if err != nil || len(entries) != 2 || next == "" || entries[0].CertificateID != "c2" {
			t.Fatalf("FindAuditEntries() = %d entries, next %q, %v", len(entries), next, err)
		}
		rest, next, err := db.FindAuditEntries(ctx, intake.AuditFilter{PatientID: &pid, Cursor: next})
		if err != nil || len(rest) != 1 || next != "" || rest[0].CertificateID != "c0" || rest[0].At.IsZero() {
			t.Errorf("second page = %+v, next %q, %v", rest, next, err)
		}
	})
}

func TestOpenRefusesNewerDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "intyg.db")
	db := mustOpenDB(t, store.SQLite, path)
	db.Close()
	raw, err := store.Open(context.Background(), store.SQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	raw.Close()
	// Pretend a newer binary applied migration 99.
	if err := store.ExecSQLite(path, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, 1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(context.Background(), store.SQLite, path); err == nil {
		t.Error("Open() accepted a database with an unknown migration")
	}
}

// TestGroupCommit checks that concurrent writes share transactions: 64
// writers must need fewer commits than writes, and every write must be there.
func TestGroupCommit(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		db := open(t)
		ctx := context.Background()
		_, body := mustCertificate(t, "full-time-one-period.json")
		tx0, w0 := db.WriteStats()
		var wg sync.WaitGroup
		for i := 0; i < 64; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, _ := mustCertificate(t, "full-time-one-period.json")
				if _, _, err := db.CreateCertificate(ctx, c, body, nil, nil); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		tx, w := db.WriteStats()
		if w-w0 != 64 || tx-tx0 >= 64 {
			t.Errorf("64 writes took %d transactions for %d writes; want fewer transactions than writes", tx-tx0, w-w0)
		}
		if n, _ := db.CountCertificates(ctx); n != 64 {
			t.Errorf("%d certificates stored, want 64", n)
		}
		t.Logf("64 concurrent writes in %d transactions", tx-tx0)
	})
}

func TestWritesAfterCloseFail(t *testing.T) {
	db := mustOpenDB(t, store.SQLite, filepath.Join(t.TempDir(), "intyg.db"))
	db.Close()
	done := make(chan error, 1)
	go func() {
		done <- db.CreateAuditEntry(context.Background(), &intake.AuditEntry{TokenID: "t", Role: intake.RoleAdmin, Action: "x"})
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a write after Close succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a write after Close hangs")
	}
}

// TestOpenExistingChangesNoSchema: a tool beside a server opens a database
// at this binary's migration, migrates an empty one, and refuses one at an
// older migration without migrating it, so that an older server using it
// goes on working.
func TestOpenExistingChangesNoSchema(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct{ driver, dsn string }{
		{store.SQLite, filepath.Join(t.TempDir(), "intyg.db")},
		{store.Postgres, pgtest.DSN(t)},
	} {
		t.Run(tt.driver, func(t *testing.T) {
			for range 2 { // an empty database is refused, and left empty: refused again
				if _, err := store.OpenExisting(ctx, tt.driver, tt.dsn); !errors.Is(err, store.ErrEmpty) {
					t.Fatalf("an empty database: %v, want ErrEmpty", err)
				}
			}
			db, err := store.Open(ctx, tt.driver, tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			db, err = store.OpenExisting(ctx, tt.driver, tt.dsn)
			if err != nil {
				t.Fatalf("a database at this migration: %v", err)
			}
			asIfOlder(t, db)
			for range 2 { // and the refusal changed nothing: refused again
				if _, err := store.OpenExisting(ctx, tt.driver, tt.dsn); err == nil || !strings.Contains(err.Error(), "start this binary's intyg serve on it once") {
					t.Errorf("a database at an older migration: %v", err)
				}
			}
		})
	}
}

// asIfOlder makes db as if an older binary had made it, its last migration
// not yet applied, and closes it; it returns that migration's version.
func asIfOlder(t *testing.T, db *store.DB) string {
	t.Helper()
	ctx := context.Background()
	versions, err := db.Strings(ctx, `SELECT CAST(MAX(version_id) AS TEXT) FROM goose_db_version`)
	if err != nil || len(versions) != 1 {
		t.Fatal(versions, err)
	}
	if err := db.Exec(ctx, `DELETE FROM goose_db_version WHERE version_id = ?`, versions[0]); err != nil {
		t.Fatal(err)
	}
	db.Close()
	return versions[0]
}
