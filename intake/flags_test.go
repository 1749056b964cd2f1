package intake_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/intyg/intyg/intake"
)

// smittbararpenning turns baseFK7804 into a certificate for
// smittbärarpenning: the questions it must not answer removed.
func smittbararpenning() map[string]any {
	m := map[string]any{"/answers/infectionControl": true}
	for _, f := range []string{"basis", "occupation", "occupationDescription", "functionalImpairment", "activityLimitation", "treatment",
		"fmbMotivation", "transportToWork", "unevenWorkingHours", "unevenWorkingHoursReason", "prognosis", "prognosisMonths", "measures", "contactRequested", "contactReason"} {
		m["/answers/"+f] = nil
	}
	return m
}

// TestFlags raises every attention flag once and shows, for each, a
// certificate that must not raise it. baseFK7804 is signed 2026-11-20
// with 14 days at 100 % from that day and 14 at 50 %, a physical
// examination and measures.
func TestFlags(t *testing.T) {
	eng := mustEngine(t)
	const unit, other = "SE2321000016-7P0C", "SE2321000016-9Z9Z"
	fullTime := func(from, to string) any {
		return raw(t, fmt.Sprintf(`[{"degree": 100, "from": %q, "to": %q}]`, from, to))
	}
	onlyFullTime := func(from, to string, more map[string]any) map[string]any {
		m := map[string]any{"/answers/sickLeave": fullTime(from, to), "/answers/unevenWorkingHours": nil, "/answers/unevenWorkingHoursReason": nil}
		for k, v := range more {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		changes map[string]any
		history []intake.CaseCertificate
		want    []string // "code" or "code: message"
	}{
		{"nothing to flag", nil, nil, nil},
		{"earlyStart: 8 days before signing", map[string]any{"/answers/sickLeave/0/from": "2026-11-12"}, nil,
			[]string{"earlyStart: En sjukskrivningsperiod börjar mer än 7 dagar före intygets datum."}},
		{"no earlyStart: 7 days before signing", map[string]any{"/answers/sickLeave/0/from": "2026-11-13"}, nil, nil},
		{"overlapOtherIssuer: another unit's period overlaps", nil,
			[]intake.CaseCertificate{caseCert(t, "x", other, "50 2026-12-17 2026-12-31")},
			[]string{"overlapOtherIssuer: En period överlappar ett intyg för patienten från en annan vårdenhet (SE2321000016-9Z9Z)."}},
		{"overlapOtherIssuer: smittbärarpenning over another unit's sick leave", smittbararpenning(),
			[]intake.CaseCertificate{caseCert(t, "x", other, "100 2026-11-25 2026-12-05")},
			[]string{"overlapOtherIssuer"}},
		{"no overlapOtherIssuer: the same unit's period overlaps", nil,
			[]intake.CaseCertificate{caseCert(t, "x", unit, "50 2026-12-17 2026-12-31")}, nil},
		{"no overlapOtherIssuer: another unit's period ends the day before", nil,
			[]intake.CaseCertificate{caseCert(t, "x", other, "50 2026-11-01 2026-11-19")}, nil},
		{"passesDay90: the case's 90th day is this certificate's first", nil,
			[]intake.CaseCertificate{caseCert(t, "x", unit, "100 2026-08-23 2026-11-19")}, // 89 days
			[]string{"passesDay90: Sjukfallet når dag 90 i rehabiliteringskedjan (2026-11-20) under intygets perioder."}},
		{"passesDay90 across a gap of 5 days", nil,
			[]intake.CaseCertificate{caseCert(t, "x", unit, "100 2026-08-18 2026-11-14")}, // 89 days, then 15..19 empty
			[]string{"passesDay90"}},
		{"no passesDay90: a gap of 6 days starts a new case", nil,
			[]intake.CaseCertificate{caseCert(t, "x", unit, "100 2026-08-17 2026-11-13")}, nil},
		{"no passesDay90: the case passed it before", nil,
			[]intake.CaseCertificate{caseCert(t, "x", unit, "100 2026-08-01 2026-11-19")}, nil},
		{"no passesDay90: the case reaches it after this certificate", nil,
			[]intake.CaseCertificate{caseCert(t, "x", unit, "100 2026-10-01 2026-11-19")}, nil}, // 50 + 28 days
		{"passesDay180", nil,
			[]intake.CaseCertificate{caseCert(t, "x", unit, "100 2026-05-25 2026-11-19")}, // 179 days
			[]string{"passesDay180"}},
		{"no passesDay180: the case passed it before", nil,
			[]intake.CaseCertificate{caseCert(t, "x", unit, "100 2026-05-20 2026-11-19")}, nil}, // 184 days
		{"passesDay365 (and another unit's history counts)", nil,
			[]intake.CaseCertificate{caseCert(t, "x", other, "100 2025-11-21 2026-11-19")}, // 364 days
			[]string{"passesDay365"}},
		{"no passesDay365: the case passed it before", nil,
			[]intake.CaseCertificate{caseCert(t, "x", other, "100 2025-11-01 2026-11-19")}, nil}, // 384 days
		{"no milestone for smittbärarpenning", smittbararpenning(),
			[]intake.CaseCertificate{caseCert(t, "x", other, "100 2025-11-21 2026-11-19")}, nil},
		{"longFullTimeWithoutMeasures: 31 days at 100 %, no measures", onlyFullTime("2026-11-20", "2026-12-20", map[string]any{"/answers/measures": nil}), nil,
			[]string{"longFullTimeWithoutMeasures: Intyget har mer än 30 dagar med hel sjukskrivning men inga åtgärder."}},
		{"no longFullTimeWithoutMeasures: 30 days", onlyFullTime("2026-11-20", "2026-12-19", map[string]any{"/answers/measures": nil}), nil, nil},
		{"no longFullTimeWithoutMeasures: measures given", onlyFullTime("2026-11-20", "2026-12-20", nil), nil, nil},
		{"no longFullTimeWithoutMeasures: smittbärarpenning, where measures are not asked", func() map[string]any {
			m := smittbararpenning()
			m["/answers/sickLeave"] = fullTime("2026-11-20", "2026-12-31")
			return m
		}(), nil, nil},
		{"noExamination: records only", map[string]any{"/answers/basis": raw(t, `[{"type": "JOURNALUPPGIFTER", "date": "2026-10-01"}]`)}, nil,
			[]string{"noExamination: Intyget grundas varken på en fysisk eller en digital undersökning."}},
		{"no noExamination: a digital examination", map[string]any{"/answers/basis": raw(t, `[{"type": "DIGITALUNDERSOKNING", "date": "2026-11-19"}]`)}, nil, nil},
		{"no noExamination: smittbärarpenning, where the basis is not asked", smittbararpenning(), nil, nil},
		{"implausiblePeriod: longer than 365 days (and a year-long spell passes every milestone)", onlyFullTime("2026-11-20", "2027-11-20", nil), nil, // 366 days
			[]string{"passesDay90", "passesDay180", "passesDay365", "implausiblePeriod: En period är längre än 365 dagar eller börjar mer än så före eller efter intygets datum."}},
		{"implausiblePeriod: starts 366 days after signing", onlyFullTime("2027-11-21", "2027-11-30", nil), nil, []string{"implausiblePeriod"}},
		{"no implausiblePeriod: 365 days from signing", onlyFullTime("2026-11-20", "2027-11-19", nil), nil, []string{"passesDay90", "passesDay180", "passesDay365"}},
		{"no implausiblePeriod: starts 365 days after signing", onlyFullTime("2027-11-20", "2027-11-30", nil), nil, nil},
		{"implausiblePeriod: starts 366 days before signing", onlyFullTime("2025-11-19", "2025-11-30", nil), nil, []string{"earlyStart", "implausiblePeriod"}},
		{"no implausiblePeriod: starts 365 days before signing", onlyFullTime("2025-11-20", "2025-11-30", nil), nil, []string{"earlyStart"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := eng.Intake(mutate(t, baseFK7804, tt.changes), testNow)
			if err != nil {
				t.Fatal(err)
			}
			flags := eng.Flags(c, tt.history)
			var got []string
			for _, f := range flags {
				if f.MessageEn == "" || f.MessageEn == f.Message || strings.HasPrefix(f.Message, "flag.") {
					t.Errorf("flag %s has no sentence in both languages: %+v", f.Code, f)
				}
				got = append(got, f.Code+": "+f.Message)
			}
			for i, w := range tt.want {
				if !strings.Contains(w, ":") && i < len(got) {
					got[i], _, _ = strings.Cut(got[i], ":")
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Flags() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFlagsOfAnotherTemplate: fk7810 declares no cases block, so its
// certificates neither count toward cases nor raise flags.
func TestFlagsOfAnotherTemplate(t *testing.T) {
	eng := mustEngine(t)
	b, err := os.ReadFile("../examples/fk7810/valid/adult-stroke-all-activity-areas.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := eng.Intake(b, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if c.CountsTowardCases {
		t.Error("an fk7810 certificate counts toward cases")
	}
	if flags := eng.Flags(c, []intake.CaseCertificate{caseCert(t, "x", "SE2321000016-9Z9Z", "100 2025-01-01 2027-01-01")}); flags != nil {
		t.Errorf("Flags() = %v, want none", flags)
	}
}

// TestFlagsOfARelatedCertificate: a certificate that replaces or completes
// another is flagged from the case it joins once stored, in which the
// original no longer counts (it counts through this one); a renewal's
// original still counts. The original here holds the 89 days before
// baseFK7804's first day, so only with it does the case reach day 90.
func TestFlagsOfARelatedCertificate(t *testing.T) {
	eng := mustEngine(t)
	const unit = "SE2321000016-7P0C"
	history := []intake.CaseCertificate{
		caseCert(t, "orig", unit, "100 2026-08-23 2026-11-19"),
		caseCert(t, "older", unit, "100 2026-01-01 2026-01-31"),
	}
	for _, tt := range []struct {
		typ    intake.RelationType
		target string
		want   []string
	}{
		{intake.RelationRenews, "orig", []string{"passesDay90"}},
		{intake.RelationReplaces, "orig", nil},
		{intake.RelationCompletes, "orig", nil},
		{intake.RelationReplaces, "older", []string{"passesDay90"}},
	} {
		t.Run(string(tt.typ)+" "+tt.target, func(t *testing.T) {
			rel := map[string]any{"type": string(tt.typ), "certificate": tt.target}
			c, err := eng.Intake(mutate(t, baseFK7804, map[string]any{"/relation": rel}), testNow)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range eng.Flags(c, history) {
				got = append(got, f.Code)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Flags() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// BenchmarkFlags evaluates a typical fk7804's flags against a history of
// one certificate from another unit, as SQLite's writer does for each
// certificate it stores.
func BenchmarkFlags(b *testing.B) {
	eng := mustEngine(b)
	c, err := eng.Intake(mutate(b, baseFK7804, nil), testNow)
	if err != nil {
		b.Fatal(err)
	}
	history := []intake.CaseCertificate{caseCert(b, "x", "SE2321000016-9Z9Z", "50 2026-12-17 2026-12-31")}
	b.ReportAllocs()
	for b.Loop() {
		eng.Flags(c, history)
	}
}
