package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// TestDiskFullIsUnavailable fills the SQLite database (max_page_count on
// the writer's connection stands in for a full disk): the write that does
// not fit is EUNAVAILABLE, not internal; readiness reports it until space
// is back, then writes go through again and nothing acknowledged is lost.
func TestDiskFullIsUnavailable(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t, store.SQLite, filepath.Join(t.TempDir(), "intyg.db"))
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping() before = %v", err)
	}
	if err := db.Exec(ctx, "PRAGMA max_page_count = 1"); err != nil { // as many pages as there are now
		t.Fatal(err)
	}
	var acknowledged []string
	var full error
	for i := 0; i < 500 && full == nil; i++ {
		c, body := mustCertificate(t, "all-optional-fields.json")
		stored, _, err := db.CreateCertificate(ctx, c, body, nil, nil)
		if err != nil {
			full = err
			break
		}
		acknowledged = append(acknowledged, stored.ID)
	}
	if code := intake.ErrorCode(full); code != intake.EUNAVAILABLE {
		t.Fatalf("the write that does not fit: %v (code %q), want EUNAVAILABLE", full, code)
	}
	if code := intake.ErrorCode(db.Ping(ctx)); code != intake.EUNAVAILABLE {
		t.Errorf("Ping() while full: code %q, want EUNAVAILABLE", code)
	}
	if err := db.Exec(ctx, "PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for db.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("Ping() still fails after space came back: %v", db.Ping(ctx))
		}
		time.Sleep(20 * time.Millisecond)
	}
	c, body := mustCertificate(t, "all-optional-fields.json")
	if _, _, err := db.CreateCertificate(ctx, c, body, nil, nil); err != nil {
		t.Fatalf("a write after space came back: %v", err)
	}
	for _, id := range acknowledged {
		if _, err := db.FindCertificateByID(ctx, id); err != nil {
			t.Errorf("acknowledged certificate %s: %v", id, err)
		}
	}
}
