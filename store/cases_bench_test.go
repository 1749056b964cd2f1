package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// seedCases writes, behind the store's back for speed, 10 × patients
// counted certificates with one period each: patients of the unit with
// two certificates each, one of them ongoing on 2026-11-23, and 8 ×
// patients of 40 other units.
func seedCases(b testing.TB, db *store.DB, patients int) {
	b.Helper()
	ctx := context.Background()
	var signed, yes any = "2026-01-01T00:00:00.000000Z", 1
	if db.Dialect() == store.Postgres {
		signed, yes = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), true
	}
	const chunk = 200
	var certs, periods []string
	var cargs, pargs []any
	flush := func() {
		if len(certs) == 0 {
			return
		}
		if err := db.Exec(ctx, `INSERT INTO certificates (id, template, version, status, submitted, sha256, record, patient_id, issuer_hsa_id, unit_hsa_id,
			signed_at, received_at, counts_toward_cases) VALUES `+strings.Join(certs, ", "), cargs...); err != nil {
			b.Fatal(err)
		}
		if err := db.Exec(ctx, `INSERT INTO certificate_periods (certificate_id, position, patient_id, degree, from_date, to_date) VALUES `+strings.Join(periods, ", "), pargs...); err != nil {
			b.Fatal(err)
		}
		certs, periods, cargs, pargs = nil, nil, nil, nil
	}
	add := func(id, patient, unit, from, to string) {
		certs = append(certs, "(?, 'x', '1', 'received', ?, 'x', ?, ?, 'h', ?, ?, ?, ?)")
		cargs = append(cargs, id, []byte{0}, `{"patient": {"name": "Patient `+patient+`"}}`, patient, unit, signed, signed, yes)
		periods = append(periods, "(?, 0, ?, 100, ?, ?)")
		pargs = append(pargs, id, patient, from, to)
		if len(certs) == chunk {
			flush()
		}
	}
	for p := range patients {
		patient := fmt.Sprintf("19%010d", p)
		add("a"+patient, patient, "UNIT", "2026-09-01", "2026-10-31")
		add("b"+patient, patient, "UNIT", "2026-11-01", "2026-12-15")
	}
	for i := range 8 * patients {
		patient := fmt.Sprintf("20%010d", i/2)
		add(fmt.Sprintf("o%d", i), patient, fmt.Sprintf("OTHER%d", i%40), "2026-11-01", "2026-12-15")
	}
	flush()
	// What the store keeps beside the certificates, as migration 00012
	// fills it for those stored before it.
	if err := store.RedoMigration(ctx, db, 12); err != nil {
		b.Fatal(err)
	}
	if db.Dialect() == store.Postgres {
		if err := db.Exec(ctx, `VACUUM ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Optimize(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOngoingCases reads and builds the ongoing cases of a unit with
// 10,000 patients among 100,000 certificates, as /unit/cases does (the
// goal: under 200 ms), on both dialects.
func BenchmarkOngoingCases(b *testing.B) {
	benchDialects(b, benchOngoingCases)
}

func benchOngoingCases(b *testing.B, db *store.DB) {
	seedCases(b, db, 10_000)
	ctx := context.Background()
	at, _ := intake.ParseDate("2026-11-23")
	var took []time.Duration
	cpu0 := cpuTime()
	for b.Loop() {
		t0 := time.Now()
		certs, err := db.FindOngoingCaseCertificates(ctx, []string{"UNIT"}, at, 5)
		if err != nil {
			b.Fatal(err)
		}
		ongoing := 0
		for _, pc := range intake.ByPatient(certs) {
			for _, c := range intake.BuildCases(pc, intake.CaseOptions{Gap: 5, At: at, Milestones: []int{90, 180, 365}}) {
				if c.Ongoing {
					ongoing++
				}
			}
		}
		if ongoing != 10_000 {
			b.Fatalf("%d ongoing cases, want 10,000", ongoing)
		}
		took = append(took, time.Since(t0))
	}
	b.ReportMetric(median(took).Seconds()*1000, "p50-ms")
	b.ReportMetric((cpuTime()-cpu0).Seconds()*1000/float64(len(took)), "cpu-ms/op")
}
