package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// TestTokenCacheRevocation: a token verified (and so cached) is refused at
// once after a revocation in the same process, and by a second process on
// the same database within the recheck (a second), however long it would
// keep the token otherwise.
func TestTokenCacheRevocation(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "intyg.db")
	a := mustOpenDB(t, store.SQLite, path)
	b := mustOpenDB(t, store.SQLite, path)
	store.SetTokenCacheTTL(b, time.Hour)

	secret, tok, err := a.CreateToken(ctx, intake.RoleClinic, "se2321000016-7p0c", "Journal system")
	if err != nil {
		t.Fatal(err)
	}
	for _, db := range []*store.DB{a, b} {
		for range 2 { // the second answer comes from the cache
			if got, err := db.FindTokenBySecret(ctx, secret); err != nil || got.ID != tok.ID || len(got.Units) != 1 {
				t.Fatalf("FindTokenBySecret() = %+v, %v", got, err)
			}
		}
	}
	if err := a.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	revoked := time.Now()
	if _, err := a.FindTokenBySecret(ctx, secret); intake.ErrorCode(err) != intake.EUNAUTHORIZED {
		t.Errorf("same process, right after the revocation: %v, want EUNAUTHORIZED", err)
	}
	deadline := revoked.Add(1500 * time.Millisecond)
	for {
		_, err := b.FindTokenBySecret(ctx, secret)
		if intake.ErrorCode(err) == intake.EUNAUTHORIZED {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("other process still accepts the revoked token %v after the revocation", time.Since(revoked))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTokenCacheUnits: a care provider's token covers a unit registered
// after it was cached, at once.
func TestTokenCacheUnits(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t, store.SQLite, filepath.Join(t.TempDir(), "intyg.db"))
	mustUnit(t, db, "SE2321000016-0002", "SE2321000016-0001")
	secret, err := db.CreateTokenFor(ctx, &intake.Token{Role: intake.RoleClinic, Name: "Regionen", CareProvider: "SE2321000016-0001"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.FindTokenBySecret(ctx, secret); err != nil || len(got.Units) != 1 {
		t.Fatalf("FindTokenBySecret() = %+v, %v", got, err)
	}
	mustUnit(t, db, "SE2321000016-0003", "SE2321000016-0001")
	if got, err := db.FindTokenBySecret(ctx, secret); err != nil || len(got.Units) != 2 {
		t.Errorf("after a new unit: %+v, %v, want 2 units", got, err)
	}
	if err := db.SetUnitDisabled(ctx, "SE2321000016-0002", true); err != nil {
		t.Fatal(err)
	}
	if got, err := db.FindTokenBySecret(ctx, secret); err != nil || len(got.Units) != 1 {
		t.Errorf("after disabling a unit: %+v, %v, want 1 unit", got, err)
	}
}

// TestTokenCacheUnitDisabledElsewhere: a unit disabled by another process
// on the same database (a second server, as a region runs them) leaves the
// tokens this one has cached within the recheck (a second), not the cache's
// ten seconds: a care provider's token no longer covers it, a unit's own
// token covers nothing. On both databases.
func TestTokenCacheUnitDisabledElsewhere(t *testing.T) {
	twoServers(t, func(t *testing.T, a, b *store.DB) {
		ctx := context.Background()
		store.SetTokenCacheTTL(b, time.Hour)
		mustUnit(t, a, "SE2321000016-0002", "SE2321000016-0001")
		mustUnit(t, a, "SE2321000016-0003", "SE2321000016-0001")
		provider, err := a.CreateTokenFor(ctx, &intake.Token{Role: intake.RoleClinic, Name: "Regionen", CareProvider: "SE2321000016-0001"})
		if err != nil {
			t.Fatal(err)
		}
		unit, _, err := a.CreateToken(ctx, intake.RoleClinic, "SE2321000016-0002", "Journal")
		if err != nil {
			t.Fatal(err)
		}
		units := func(secret string) int {
			t.Helper()
			got, err := b.FindTokenBySecret(ctx, secret)
			if err != nil {
				t.Fatal(err)
			}
			return len(got.Units)
		}
		if p, u := units(provider), units(unit); p != 2 || u != 1 {
			t.Fatalf("before: the care provider's token covers %d units, the unit's %d; want 2 and 1", p, u)
		}
		if err := a.SetUnitDisabled(ctx, "SE2321000016-0002", true); err != nil {
			t.Fatal(err)
		}
		disabled := time.Now()
		for units(provider) != 1 || units(unit) != 0 {
			if time.Since(disabled) > 1500*time.Millisecond {
				t.Fatalf("the other process's tokens still cover the disabled unit %v after", time.Since(disabled))
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
