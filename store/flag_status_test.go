package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/internal/pgtest"
	"github.com/intyg/intyg/store"
)

// TestFlagStatusMigrationWhileAnotherServerWrites applies migration 00020
// on PostgreSQL while another server (of the release before it) has
// changed a flagged certificate's status and not yet committed: the
// change must reach the flag's kept status, though the other server's
// update ran before the trigger existed.
func TestFlagStatusMigrationWhileAnotherServerWrites(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	db := mustOpenDB(t, store.Postgres, dsn)
	c, body := mustCertificate(t, "full-time-one-period.json")
	c.Flags = []intake.Flag{{Code: "earlyStart", Message: "sv", MessageEn: "en"}}
	stored, _, err := db.CreateCertificate(ctx, c, body, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.UndoMigrations(ctx, db, 19); err != nil {
		t.Fatal(err)
	}
	other, tx := otherSession(t, dsn)
	if _, err := tx.ExecContext(ctx, `UPDATE certificates SET status = 'handled', handled = true WHERE id = $1`, stored.ID); err != nil {
		t.Fatal(err)
	}
	migrated := make(chan error, 1)
	go func() { migrated <- store.ApplyMigrations(ctx, db) }()
	// The migration waits for the other server's transaction, or has
	// finished without it.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var waiting int
		if err := other.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 || len(migrated) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-migrated; err != nil {
		t.Fatal(err)
	}
	checkCounts(t, db, "migrated beside a change", intake.CertificateFilter{Flag: ptr("earlyStart")})
}
