package intake_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/intyg/intyg/intake"
)

// caseCert is a hand-made counted certificate: periods as "DEGREE FROM TO".
func caseCert(tb testing.TB, id, unit string, periods ...string) intake.CaseCertificate {
	tb.Helper()
	c := intake.CaseCertificate{ID: id, Unit: unit}
	for _, p := range periods {
		var degree int
		var from, to string
		if _, err := fmt.Sscan(p, &degree, &from, &to); err != nil {
			tb.Fatalf("caseCert(%q): %v", p, err)
		}
		c.Periods = append(c.Periods, intake.Period{Degree: degree, From: mustDate(tb, from), To: mustDate(tb, to)})
	}
	return c
}

func mustDate(tb testing.TB, s string) intake.Date {
	tb.Helper()
	d, err := intake.ParseDate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// caseSummary is a case's reported figures in a compact, comparable form.
type caseSummary struct {
	Start, End   string
	Days         int
	NetDays      float64
	Gaps         string
	Degree       string
	Day90        string
	Day180       string
	Day365       string
	Certificates string
}

func summarize(cs []intake.Case) []caseSummary {
	var out []caseSummary
	for _, c := range cs {
		var gaps []string
		for _, g := range c.Gaps {
			gaps = append(gaps, g.From.String()+".."+g.To.String())
		}
		degree := "null"
		if c.CurrentDegree != nil {
			degree = fmt.Sprint(*c.CurrentDegree)
		}
		out = append(out, caseSummary{Start: c.Start.String(), End: c.End.String(), Days: c.Days, NetDays: c.NetDays,
			Gaps: strings.Join(gaps, " "), Degree: degree, Day90: c.Milestones["day90"].String(), Day180: c.Milestones["day180"].String(),
			Day365: c.Milestones["day365"].String(), Certificates: strings.Join(c.Certificates, " ")})
	}
	return out
}

var milestones = []int{90, 180, 365}

func TestBuildCases(t *testing.T) {
	tests := []struct {
		name  string
		certs []intake.CaseCertificate
		gap   int
		at    string
		want  []caseSummary
	}{
		{
			name: "Inera's example: 02-01..10 and 02-12..20 give 19 days",
			certs: []intake.CaseCertificate{
				caseCert(t, "b", "U1", "50 2016-02-12 2016-02-20"),
				caseCert(t, "a", "U1", "100 2016-02-01 2016-02-10"),
			},
			gap: 5, at: "2016-02-15",
			want: []caseSummary{{Start: "2016-02-01", End: "2016-02-20", Days: 19, NetDays: 14.5, Gaps: "2016-02-11..2016-02-11", Degree: "50", Certificates: "a b"}},
		},
		{
			name: "a gap of exactly gap days joins",
			certs: []intake.CaseCertificate{
				caseCert(t, "a", "U1", "100 2026-03-01 2026-03-10"),
				caseCert(t, "b", "U1", "100 2026-03-16 2026-03-20"), // 11..15 empty: 5 days
			},
			gap: 5, at: "2026-03-13",
			want: []caseSummary{{Start: "2026-03-01", End: "2026-03-20", Days: 15, NetDays: 15, Gaps: "2026-03-11..2026-03-15", Degree: "null", Certificates: "a b"}},
		},
		{
			name: "a gap of gap+1 days starts a new case, newest first",
			certs: []intake.CaseCertificate{
				caseCert(t, "a", "U1", "100 2026-03-01 2026-03-10"),
				caseCert(t, "b", "U1", "25 2026-03-17 2026-03-20"), // 11..16 empty: 6 days
			},
			gap: 5, at: "2026-03-18",
			want: []caseSummary{
				{Start: "2026-03-17", End: "2026-03-20", Days: 4, NetDays: 1, Degree: "25", Certificates: "b"},
				{Start: "2026-03-01", End: "2026-03-10", Days: 10, NetDays: 10, Degree: "null", Certificates: "a"},
			},
		},
		{
			name: "gap 0 joins adjacent certificates only",
			certs: []intake.CaseCertificate{
				caseCert(t, "a", "U1", "100 2026-01-01 2026-01-10"),
				caseCert(t, "b", "U1", "100 2026-01-11 2026-01-20"),
				caseCert(t, "c", "U1", "100 2026-01-22 2026-01-25"),
			},
			gap: 0,
			want: []caseSummary{
				{Start: "2026-01-22", End: "2026-01-25", Days: 4, NetDays: 4, Degree: "null", Certificates: "c"},
				{Start: "2026-01-01", End: "2026-01-20", Days: 20, NetDays: 20, Degree: "null", Certificates: "a b"},
			},
		},
		{
			name: "gap 90 joins 90 empty days, not 91",
			certs: []intake.CaseCertificate{
				caseCert(t, "a", "U1", "100 2026-01-01 2026-01-10"),
				caseCert(t, "b", "U1", "100 2026-04-11 2026-04-20"), // 01-11..04-10 empty: 90 days
				caseCert(t, "c", "U1", "100 2026-07-20 2026-07-21"), // 04-21..07-19 empty: 90 days
				caseCert(t, "d", "U1", "100 2026-10-20 2026-10-21"), // 07-22..10-19 empty: 90 days
				caseCert(t, "e", "U1", "100 2027-01-20 2027-01-20"), // 10-22..01-19 empty: 90 days
				caseCert(t, "f", "U1", "100 2027-04-22 2027-04-22"), // 01-21..04-21 empty: 91 days
			},
			gap: 90,
			want: []caseSummary{
				{Start: "2027-04-22", End: "2027-04-22", Days: 1, NetDays: 1, Degree: "null", Certificates: "f"},
				{Start: "2026-01-01", End: "2027-01-20", Days: 25, NetDays: 25, Degree: "null",
					Gaps:         "2026-01-11..2026-04-10 2026-04-21..2026-07-19 2026-07-22..2026-10-19 2026-10-22..2027-01-19",
					Certificates: "a b c d e"},
			},
		},
		{
			name: "overlapping certificates from two units: the union of days, the highest degree in net days",
			certs: []intake.CaseCertificate{
				caseCert(t, "a", "U1", "50 2026-01-01 2026-01-20"),
				caseCert(t, "b", "U2", "100 2026-01-11 2026-01-31"),
			},
			gap: 5, at: "2026-01-15",
			want: []caseSummary{{Start: "2026-01-01", End: "2026-01-31", Days: 31, NetDays: 10*0.5 + 21, Degree: "100", Certificates: "a b"}},
		},
		{
			name: "the latest last day so far decides, not the previous certificate's",
			certs: []intake.CaseCertificate{
				caseCert(t, "a", "U1", "100 2026-01-01 2026-03-01"),
				caseCert(t, "b", "U2", "50 2026-01-05 2026-01-10"),
				caseCert(t, "c", "U1", "75 2026-03-05 2026-03-10"),
			},
			gap:  5,
			want: []caseSummary{{Start: "2026-01-01", End: "2026-03-10", Days: 66, NetDays: 60 + 4.5, Gaps: "2026-03-02..2026-03-04", Degree: "null", Certificates: "a b c"}},
		},
		{
			name: "a spell crossing day 90 and day 180, gap days not counted",
			certs: []intake.CaseCertificate{
				caseCert(t, "a", "U1", "100 2026-01-01 2026-03-31"),                            // days 1–90
				caseCert(t, "b", "U1", "50 2026-04-04 2026-05-31", "25 2026-06-01 2026-07-05"), // 3 gap days, then days 91–183
			},
			gap: 5, at: "2026-07-05",
			want: []caseSummary{{Start: "2026-01-01", End: "2026-07-05", Days: 183, NetDays: 90 + 58*0.5 + 35*0.25, Gaps: "2026-04-01..2026-04-03",
				Degree: "25", Day90: "2026-03-31", Day180: "2026-07-02", Certificates: "a b"}},
		},
		{
			name: "a year-long case reaches day 365",
			certs: []intake.CaseCertificate{
				caseCert(t, "a", "U1", "100 2025-01-01 2025-12-31"),
			},
			gap: 5, at: "2026-01-01",
			want: []caseSummary{{Start: "2025-01-01", End: "2025-12-31", Days: 365, NetDays: 365, Degree: "null", Day90: "2025-03-31", Day180: "2025-06-29", Day365: "2025-12-31", Certificates: "a"}},
		},
		{
			name:  "no certificates, no cases",
			certs: nil,
			gap:   5,
			want:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var at intake.Date
			if tt.at != "" {
				at = mustDate(t, tt.at)
			}
			got := summarize(intake.BuildCases(tt.certs, intake.CaseOptions{Gap: tt.gap, At: at, Milestones: milestones}))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("BuildCases() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCaseCertificates builds cases from whole certificates through the
// engine: which count (not revoked, not replaced, not smittbärarpenning),
// a replaced certificate counting through the one that completed it, and a
// samordningsnummer patient written in several forms.
func TestCaseCertificates(t *testing.T) {
	eng := mustEngine(t)
	cert := func(id string, status intake.Status, changes map[string]any) *intake.Certificate {
		t.Helper()
		if p, _ := changes["/answers/sickLeave"].([]any); p[0].(map[string]any)["degree"] == 100.0 {
			// uneven working hours are asked only for part-time sick leave
			changes["/answers/unevenWorkingHours"], changes["/answers/unevenWorkingHoursReason"] = nil, nil
		}
		c, err := eng.Intake(mutate(t, baseFK7804, changes), testNow)
		if err != nil {
			t.Fatal(err)
		}
		c.ID, c.Status = id, status
		return c
	}
	period := func(degree int, from, to string) any {
		return raw(t, fmt.Sprintf(`[{"degree": %d, "from": %q, "to": %q}]`, degree, from, to))
	}
	infection := map[string]any{"/answers/infectionControl": true}
	for _, f := range []string{"basis", "occupation", "occupationDescription", "functionalImpairment", "activityLimitation", "treatment",
		"fmbMotivation", "transportToWork", "unevenWorkingHours", "unevenWorkingHoursReason", "prognosis", "prognosisMonths", "measures", "contactRequested", "contactReason"} {
		infection["/answers/"+f] = nil
	}
	infection["/answers/sickLeave"] = period(100, "2026-11-06", "2026-11-10")

	certs := []*intake.Certificate{
		cert("received", intake.StatusReceived, map[string]any{"/answers/sickLeave": period(100, "2026-10-01", "2026-10-10")}),
		cert("handled", intake.StatusHandled, map[string]any{"/answers/sickLeave": period(50, "2026-10-11", "2026-10-20")}),
		cert("revoked", intake.StatusRevoked, map[string]any{"/answers/sickLeave": period(100, "2026-10-21", "2026-10-31")}),
		cert("replaced", intake.StatusReplaced, map[string]any{"/answers/sickLeave": period(100, "2026-10-21", "2026-10-25")}),
		cert("completes", intake.StatusReceived, map[string]any{"/answers/sickLeave": period(75, "2026-10-21", "2026-10-24")}),
		cert("smittbararpenning", intake.StatusReceived, infection),
	}
	if certs[5].CountsTowardCases {
		t.Fatal("a smittbärarpenning certificate counts toward cases")
	}
	got := summarize(intake.BuildCases(intake.CaseCertificates(certs), intake.CaseOptions{Gap: 5, At: mustDate(t, "2026-10-22"), Milestones: milestones}))
	want := []caseSummary{{Start: "2026-10-01", End: "2026-10-24", Days: 24, NetDays: 10 + 5 + 3, Degree: "75", Certificates: "received handled completes"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cases mismatch (-want +got):\n%s", diff)
	}

	// A samordningsnummer patient, written with and without the century
	// and dash, is one patient with one case.
	var sam []*intake.Certificate
	for i, id := range []string{"19701063-2391", "197010632391", "701063-2391"} {
		c := cert(fmt.Sprint("s", i), intake.StatusReceived, map[string]any{"/patient/id": id, "/answers/sickLeave": period(100, fmt.Sprintf("2026-10-%02d", 1+10*i), fmt.Sprintf("2026-10-%02d", 10+10*i))})
		if c.Patient.ID != "197010632391" || c.Patient.IDKind != intake.KindSamordningsnummer {
			t.Fatalf("patient %s normalised to %s (%s)", id, c.Patient.ID, c.Patient.IDKind)
		}
		sam = append(sam, c)
	}
	cases := intake.BuildCases(intake.CaseCertificates(sam), intake.CaseOptions{Gap: 5, Milestones: milestones})
	if len(cases) != 1 || cases[0].Days != 30 {
		t.Errorf("samordningsnummer patient: cases = %+v, want one of 30 days", summarize(cases))
	}
}

func TestMilestonesDue(t *testing.T) {
	certs := []intake.CaseCertificate{
		caseCert(t, "a", "U1", "100 2026-01-01 2026-03-25"), // days 1–84
		caseCert(t, "b", "U1", "50 2026-03-28 2026-04-10"),  // after 2 gap days: days 85–98, day 90 on 04-02
	}
	tests := []struct {
		at      string
		sofar   int
		reached string // "day:date reached|due", space-separated
	}{
		{"2026-03-10", 69, ""},
		{"2026-03-20", 79, "90:2026-04-02 due"},
		{"2026-04-02", 90, "90:2026-04-02 reached"},
		{"2026-04-10", 98, "90:2026-04-02 reached"},
	}
	for _, tt := range tests {
		t.Run(tt.at, func(t *testing.T) {
			at := mustDate(t, tt.at)
			c := intake.BuildCases(certs, intake.CaseOptions{Gap: 5, At: at, Milestones: milestones})[0]
			if got := c.DaysBy(at); got != tt.sofar {
				t.Errorf("DaysBy() = %d, want %d", got, tt.sofar)
			}
			var got []string
			for _, m := range c.MilestonesDue(at, 14, milestones) {
				s := fmt.Sprintf("%d:%s due", m.Day, m.Date)
				if m.Reached {
					s = fmt.Sprintf("%d:%s reached", m.Day, m.Date)
				}
				got = append(got, s)
			}
			if diff := cmp.Diff(tt.reached, strings.Join(got, " ")); diff != "" {
				t.Errorf("MilestonesDue() mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// The next milestone, however far ahead.
	for at, want := range map[string]string{"2026-03-10": "90 2026-04-02", "2026-04-02": "180 2026-07-01", "2026-04-10": "180 2026-07-01"} {
		d := mustDate(t, at)
		c := intake.BuildCases(certs, intake.CaseOptions{Gap: 5, At: d, Milestones: milestones})[0]
		if m, ok := c.NextMilestone(d, milestones); !ok || fmt.Sprintf("%d %s", m.Day, m.Date) != want {
			t.Errorf("NextMilestone(%s) = %+v, %v; want %s", at, m, ok, want)
		}
	}
	// Beyond the periods, a milestone is projected from the reference day.
	long := intake.BuildCases([]intake.CaseCertificate{caseCert(t, "a", "U1", "100 2026-01-01 2026-06-20")}, intake.CaseOptions{Gap: 5, Milestones: milestones})[0]
	due := long.MilestonesDue(mustDate(t, "2026-06-20"), 14, milestones) // day 171
	if len(due) != 2 || due[1].Day != 180 || due[1].Date.String() != "2026-06-29" || due[1].Reached {
		t.Errorf("MilestonesDue() = %+v, want day 90 reached and day 180 due 2026-06-29", due)
	}
}

func TestChapters(t *testing.T) {
	eng := mustEngine(t)
	icd, _ := eng.CodeList("icd10se")
	if len(icd.Chapters()) != 22 { // A00-B99 … Z00-Z99, U00-U99 among them
		t.Errorf("%d chapters, want 22", len(icd.Chapters()))
	}
	for code, want := range map[string]string{"F43.8A": "F00-F99", "M512": "M00-M99", "D50": "D50-D89", "D48": "C00-D48", "Ö12": ""} {
		ch, ok := icd.ChapterOf(code)
		if ch.ID != want || ok != (want != "") {
			t.Errorf("ChapterOf(%s) = %q, %v; want %q", code, ch.ID, ok, want)
		}
	}
}

// TestByPatient splits certificates by patient, whether or not they come
// in patient order, keeping each patient's in the order given, and leaves
// the caller's slice as it was.
func TestByPatient(t *testing.T) {
	cert := func(patient, id string) intake.CaseCertificate {
		c := caseCert(t, id, "UNIT", "100 2026-10-01 2026-10-10")
		c.Patient.ID = patient
		return c
	}
	ids := func(groups [][]intake.CaseCertificate) []string {
		var out []string
		for _, g := range groups {
			var s []string
			for _, c := range g {
				s = append(s, c.Patient.ID+":"+c.ID)
			}
			out = append(out, strings.Join(s, " "))
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		certs []intake.CaseCertificate
		want  []string
	}{
		{"none", nil, nil},
		{"in patient order", []intake.CaseCertificate{cert("1", "b"), cert("1", "a"), cert("2", "c"), cert("3", "d"), cert("3", "e")},
			[]string{"1:b 1:a", "2:c", "3:d 3:e"}},
		{"in no order", []intake.CaseCertificate{cert("3", "d"), cert("1", "b"), cert("2", "c"), cert("1", "a"), cert("3", "e")},
			[]string{"1:b 1:a", "2:c", "3:d 3:e"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := ids([][]intake.CaseCertificate{tc.certs})
			got := intake.ByPatient(tc.certs)
			if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
				t.Errorf("groups mismatch (-want +got):\n%s", diff)
			}
			if after := ids([][]intake.CaseCertificate{tc.certs}); !cmp.Equal(before, after) {
				t.Errorf("the certificates given were reordered: %v, then %v", before, after)
			}
			// A group is the patient's alone: appending to one leaves the next as it was.
			if len(got) > 1 {
				next := ids(got[1:2])
				_ = append(got[0], cert("9", "z"))
				if after := ids(got[1:2]); !cmp.Equal(next, after) {
					t.Errorf("appending to the first group changed the second: %v, then %v", next, after)
				}
			}
		})
	}
}
