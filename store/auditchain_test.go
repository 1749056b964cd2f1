package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/internal/pgtest"
	"github.com/intyg/intyg/store"
)

// mustCreateAuditEntries appends n entries from n goroutines and returns
// the ids of every entry in the log in chain order.
func mustCreateAuditEntries(tb testing.TB, db *store.DB, n int) []int64 {
	tb.Helper()
	ctx := context.Background()
	if err := createAuditEntries(db, n); err != nil {
		tb.Fatal(err)
	}
	entries, _, err := db.FindAuditEntries(ctx, intake.AuditFilter{Limit: 500})
	if err != nil {
		tb.Fatal(err)
	}
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[len(entries)-1-i] = e.ID // oldest first
	}
	return ids
}

// createAuditEntries appends n entries from n goroutines.
func createAuditEntries(db *store.DB, n int) error {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- db.CreateAuditEntry(ctx, &intake.AuditEntry{
				TokenID: "tok" + fmt.Sprint(i%3), Role: intake.RoleCaseworker, Action: "certificate.read",
				CertificateID: fmt.Sprint("c", i), PatientID: "191212121212", RemoteAddr: "127.0.0.1:5000",
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// TestAuditChain tampers with the access log behind the store's back and
// checks that VerifyAuditChain names the first entry that no longer
// verifies.
func TestAuditChain(t *testing.T) {
	tests := []struct {
		name        string
		tamper      func(ids []int64) (query string, args []any)
		also        string // a second statement of the tampering
		wantChecked int
		wantBroken  func(ids []int64) int64 // the index of the first broken entry
	}{
		{
			name:        "intact",
			wantChecked: 10,
			wantBroken:  func([]int64) int64 { return 0 },
		},
		{
			name: "patient id changed",
			tamper: func(ids []int64) (string, []any) {
				return `UPDATE audit_log SET patient_id = '200001012384' WHERE id = ?`, []any{ids[4]}
			},
			wantChecked: 4,
			wantBroken:  func(ids []int64) int64 { return ids[4] },
		},
		{
			name: "first entry's token changed",
			tamper: func(ids []int64) (string, []any) {
				return `UPDATE audit_log SET token_id = 'someone-else' WHERE id = ?`, []any{ids[0]}
			},
			wantChecked: 0,
			wantBroken:  func(ids []int64) int64 { return ids[0] },
		},
		{
			name: "hash overwritten",
			tamper: func(ids []int64) (string, []any) {
				return `UPDATE audit_log SET hash = (SELECT hash FROM audit_chain) WHERE id = ?`, []any{ids[7]}
			},
			wantChecked: 7,
			wantBroken:  func(ids []int64) int64 { return ids[7] },
		},
		{
			name: "entry deleted",
			tamper: func(ids []int64) (string, []any) {
				return `DELETE FROM audit_log WHERE id = ?`, []any{ids[4]}
			},
			wantChecked: 4,
			wantBroken:  func(ids []int64) int64 { return ids[5] },
		},
		{
			name: "last entry deleted",
			tamper: func(ids []int64) (string, []any) {
				return `DELETE FROM audit_log WHERE id = ?`, []any{ids[9]}
			},
			wantChecked: 9,
			wantBroken:  func(ids []int64) int64 { return ids[9] },
		},
		{
			name: "chain head deleted",
			tamper: func([]int64) (string, []any) {
				return `DELETE FROM audit_chain`, nil
			},
			wantChecked: 9,
			wantBroken:  func(ids []int64) int64 { return ids[9] },
		},
		{
			name: "every entry and the chain head deleted",
			tamper: func([]int64) (string, []any) {
				return `DELETE FROM audit_log`, nil
			},
			also:        `DELETE FROM audit_chain`,
			wantChecked: 0,
			wantBroken:  func([]int64) int64 { return store.BrokenHead },
		},
		{
			// SQLite's time no time is, PostgreSQL's the day before.
			name: "time changed to 'yesterday'",
			tamper: func(ids []int64) (string, []any) {
				return `UPDATE audit_log SET at = 'yesterday' WHERE id = ?`, []any{ids[4]}
			},
			wantChecked: 4,
			wantBroken:  func(ids []int64) int64 { return ids[4] },
		},
		{
			name: "entry written outside the chain",
			tamper: func(ids []int64) (string, []any) {
				return `INSERT INTO audit_log (at, token_id, role, action) VALUES ('2026-01-01T00:00:00.000000Z', 't', 'admin', 'x')`, nil
			},
			wantChecked: 10,
			wantBroken:  func(ids []int64) int64 { return ids[9] + 1 },
		},
	}
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				db := open(t)
				ids := mustCreateAuditEntries(t, db, 10)
				if len(ids) != 10 {
					t.Fatalf("%d entries, want 10", len(ids))
				}
				if tt.tamper != nil {
					q, args := tt.tamper(ids)
					if err := db.Exec(ctx, q, args...); err != nil {
						t.Fatal(err)
					}
					if tt.also != "" {
						if err := db.Exec(ctx, tt.also); err != nil {
							t.Fatal(err)
						}
					}
				}
				checked, broken, err := db.VerifyAuditChain(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if want := tt.wantBroken(ids); checked != tt.wantChecked || broken != want {
					t.Errorf("VerifyAuditChain() = %d checked, broken at %d; want %d checked, broken at %d", checked, broken, tt.wantChecked, want)
				}
			})
		}
	})
}

// TestAuditChainConcurrentInstances appends from two store handles on one
// database, as two instances of the service would, and checks that the
// chain they make together is intact.
func TestAuditChainConcurrentInstances(t *testing.T) {
	tests := []struct {
		name   string
		driver string
		dsn    func(t *testing.T) string
	}{
		{"sqlite", store.SQLite, func(t *testing.T) string { return filepath.Join(t.TempDir(), "intyg.db") }},
		{"postgres", store.Postgres, func(t *testing.T) string { return pgtest.DSN(t) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := tt.dsn(t)
			a := mustOpenDB(t, tt.driver, dsn)
			b := mustOpenDB(t, tt.driver, dsn)
			var wg sync.WaitGroup
			for _, db := range []*store.DB{a, b, a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := createAuditEntries(db, 50); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			checked, broken, err := a.VerifyAuditChain(context.Background())
			if err != nil || checked != 200 || broken != 0 {
				t.Errorf("VerifyAuditChain() = %d checked, broken at %d, %v; want 200 checked, intact", checked, broken, err)
			}
		})
	}
}

// TestAuditChainSealsEarlierEntries checks migration 3: entries written
// before the chain existed are chained, in id order, when the database is
// opened by this binary.
func TestAuditChainSealsEarlierEntries(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		mustCreateAuditEntries(t, db, 5)
		// Put the entries back as they were before migration 3: unchained.
		for _, q := range []string{
			`UPDATE audit_log SET seq = NULL, hash = ''`,
			`UPDATE audit_chain SET seq = 0, entry_id = 0, hash = ''`,
		} {
			if err := db.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if checked, broken, _ := db.VerifyAuditChain(ctx); checked != 0 || broken == 0 {
			t.Fatalf("before migration 3: %d checked, broken at %d; want 0 checked and broken", checked, broken)
		}
		if err := store.SealAuditLog(ctx, db); err != nil {
			t.Fatal(err)
		}
		mustCreateAuditEntries(t, db, 2)
		if checked, broken, err := db.VerifyAuditChain(ctx); err != nil || checked != 7 || broken != 0 {
			t.Errorf("after migration 3: %d checked, broken at %d, %v; want 7 checked, intact", checked, broken, err)
		}
	})
}
