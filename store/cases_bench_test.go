package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// seedCases writes, behind the store's back for speed, 100,000 counted
// certificates with one period each: 10,000 patients of the unit with two
// certificates each, one of them ongoing on 2026-11-23, and 80,000 of 40
// other units.
func seedCases(b *testing.B, db *store.DB) {
	b.Helper()
	ctx := context.Background()
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
		if err := db.Exec(ctx, `INSERT INTO certificate_periods (certificate_id, patient_id, degree, from_date, to_date) VALUES `+strings.Join(periods, ", "), pargs...); err != nil {
			b.Fatal(err)
		}
		certs, periods, cargs, pargs = nil, nil, nil, nil
	}
	add := func(id, patient, unit, from, to string) {
		certs = append(certs, "(?, 'x', '1', 'received', X'00', 'x', ?, ?, 'h', ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1)")
		cargs = append(cargs, id, `{"patient": {"name": "Patient `+patient+`"}}`, patient, unit)
		periods = append(periods, "(?, ?, 100, ?, ?)")
		pargs = append(pargs, id, patient, from, to)
		if len(certs) == chunk {
			flush()
		}
	}
	for p := range 10_000 {
		patient := fmt.Sprintf("19%010d", p)
		add("a"+patient, patient, "UNIT", "2026-09-01", "2026-10-31")
		add("b"+patient, patient, "UNIT", "2026-11-01", "2026-12-15")
	}
	for i := range 80_000 {
		patient := fmt.Sprintf("20%010d", i/2)
		add(fmt.Sprintf("o%d", i), patient, fmt.Sprintf("OTHER%d", i%40), "2026-11-01", "2026-12-15")
	}
	flush()
}

// BenchmarkOngoingCases reads and builds the ongoing cases of a unit with
// 10,000 patients among 100,000 certificates, as /unit/cases does (the
// goal: under 200 ms).
func BenchmarkOngoingCases(b *testing.B) {
	db := mustOpenDB(b, store.SQLite, filepath.Join(b.TempDir(), "intyg.db"))
	seedCases(b, db)
	ctx := context.Background()
	at, _ := intake.ParseDate("2026-11-23")
	for b.Loop() {
		certs, err := db.FindOngoingCaseCertificates(ctx, []string{"UNIT"}, at, 5)
		if err != nil {
			b.Fatal(err)
		}
		byPatient := map[string][]intake.CaseCertificate{}
		for _, c := range certs {
			byPatient[c.Patient.ID] = append(byPatient[c.Patient.ID], c)
		}
		ongoing := 0
		for _, pc := range byPatient {
			for _, c := range intake.BuildCases(pc, intake.CaseOptions{Gap: 5, At: at, Milestones: []int{90, 180, 365}}) {
				if c.Ongoing {
					ongoing++
				}
			}
		}
		if ongoing != 10_000 {
			b.Fatalf("%d ongoing cases, want 10,000", ongoing)
		}
	}
}
