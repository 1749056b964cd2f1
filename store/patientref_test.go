package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/intyg/intyg/store"
)

// TestPatientRefs: a patient kept under a reference by one server is found
// by another sharing the database (a region's servers behind a load
// balancer), for the session that made it only, until it expires; an
// expired one is deleted at the next made. On both databases.
func TestPatientRefs(t *testing.T) {
	twoServers(t, func(t *testing.T, a, b *store.DB) {
		ctx := context.Background()
		ref, err := a.CreatePatientRef(ctx, "session-1", "191212121212", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if p, ok, err := b.FindPatientRef(ctx, ref, "session-1"); err != nil || !ok || p != "191212121212" {
			t.Errorf("the other server: %q, %v, %v; want the patient", p, ok, err)
		}
		if p, ok, err := b.FindPatientRef(ctx, ref, "session-2"); err != nil || ok || p != "" {
			t.Errorf("another session: %q, %v, %v; want nothing", p, ok, err)
		}
		if _, ok, err := b.FindPatientRef(ctx, "no-such-ref", "session-1"); err != nil || ok {
			t.Errorf("an unknown reference: %v, %v; want nothing", ok, err)
		}
		later := time.Now().Add(2 * time.Hour)
		b.Now = func() time.Time { return later }
		if _, ok, err := b.FindPatientRef(ctx, ref, "session-1"); err != nil || ok {
			t.Errorf("after its hour: %v, %v; want nothing", ok, err)
		}
		if _, err := b.CreatePatientRef(ctx, "session-1", "200001012384", time.Hour); err != nil {
			t.Fatal(err)
		}
		if n, err := b.Strings(ctx, `SELECT patient FROM patient_refs`); err != nil || len(n) != 1 || n[0] != "200001012384" {
			t.Errorf("the references kept after one expired: %q, %v; want the new one only", n, err)
		}
	})
}
