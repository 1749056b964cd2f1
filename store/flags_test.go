package store_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// TestFindFlagHistory checks that the flags' narrow read finds what
// FindCaseCertificates finds (counted, not revoked, every unit's, only the
// patient's), with the id, the unit and the periods.
func TestFindFlagHistory(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx, db := context.Background(), open(t)
		patient, unit, other := "191212121212", "SE2321000016-7P0C", "SE2321000016-9Z9Z"
		stored := []struct {
			patient, unit string
			counts        bool
			periods       []intake.Period
		}{
			{patient, unit, true, []intake.Period{period(t, 100, "2026-10-01", "2026-10-10"), period(t, 50, "2026-10-11", "2026-10-20")}},
			{patient, other, true, []intake.Period{period(t, 25, "2026-10-15", "2026-10-31")}},
			{patient, unit, true, []intake.Period{period(t, 100, "2026-11-01", "2026-11-10")}}, // revoked below
			{patient, unit, false, []intake.Period{period(t, 100, "2026-11-01", "2026-11-05")}},
			{"197010632391", unit, true, []intake.Period{period(t, 100, "2026-10-01", "2026-10-10")}},
		}
		var ids []string
		for _, c := range stored {
			ids = append(ids, mustCaseCertificate(t, db, c.patient, c.unit, c.counts, c.periods...))
		}
		if _, err := db.RevokeCertificate(ctx, ids[2], intake.RevokeWrongPatient, "", "test"); err != nil {
			t.Fatal(err)
		}
		cases, err := db.FindCaseCertificates(ctx, patient, nil)
		if err != nil {
			t.Fatal(err)
		}
		var want []intake.CaseCertificate
		for _, c := range cases {
			want = append(want, intake.CaseCertificate{ID: c.ID, Unit: c.Unit, Periods: c.Periods})
		}
		got, err := db.FindFlagHistory(ctx, patient)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) != 2 {
			t.Fatalf("FindCaseCertificates() found %d certificates, want 2", len(want))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("FindFlagHistory() mismatch (-want +got):\n%s", diff)
		}
	})
}
