package intake_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// testNow is the fixed receiving time of the tests: after every example's
// signedAt, before the year 2099 some invalid examples use.
var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// mustEngine builds an engine over the embedded templates and ICD-10-SE.
func mustEngine(tb testing.TB) *intake.Engine {
	tb.Helper()
	icd, err := intake.LoadICD10SE(schemas.ICD10SE())
	if err != nil {
		tb.Fatal(err)
	}
	reg, err := schemas.Load(schemas.Embedded())
	if err != nil {
		tb.Fatal(err)
	}
	eng, err := intake.NewEngine(reg, icd, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

// baseFK7804 is a valid fk7804 submission using most optional fields.
const baseFK7804 = `{
  "template": "fk7804",
  "version": "2.0",
  "patient": { "id": "19121212-1212", "name": "Tolvan Tolvansson" },
  "issuer": {
    "hsaId": "SE2321000016-1003", "name": "Åsa Läkare", "role": "DOCTOR",
    "prescriberCode": "1234567", "specialities": ["Allmänmedicin"],
    "unit": {
      "hsaId": "SE2321000016-7P0C", "name": "Vårdcentralen Östermalm", "workplaceCode": "1234567890",
      "address": "Karlavägen 10", "postalCode": "114 59", "city": "Stockholm", "phone": "08-123 45 67"
    },
    "careProvider": { "hsaId": "SE2321000016-0001", "name": "Region Stockholm" }
  },
  "signedAt": "2026-11-20T10:15:00+01:00",
  "answers": {
    "basis": [ { "type": "FYSISKUNDERSOKNING", "date": "2026-11-20" }, { "type": "JOURNALUPPGIFTER", "date": "2026-10-01" } ],
    "occupation": ["NUVARANDE_ARBETE"],
    "occupationDescription": "Undersköterska på äldreboende, tunga lyft.",
    "diagnoses": [ { "code": "F43.8A", "description": "Utmattningssyndrom" }, { "code": "F321", "description": "Medelsvår depression" } ],
    "functionalImpairment": { "text": "Nedsatt koncentration och minne.", "icf": ["b140", "b144"] },
    "activityLimitation": { "text": "Klarar inte att planera arbetsdagen.", "icf": ["d230"] },
    "treatment": "KBT och SSRI.",
    "sickLeave": [
      { "degree": 100, "from": "2026-11-20", "to": "2026-12-03" },
      { "degree": 50, "from": "2026-12-04", "to": "2026-12-17" }
    ],
    "fmbMotivation": "Långsam återhämtning.",
    "transportToWork": false,
    "unevenWorkingHours": true,
    "unevenWorkingHoursReason": "Behöver korta dagar.",
    "prognosis": "ATER_X_ANTAL_MANADER",
    "prognosisMonths": 3,
    "measures": "Arbetsanpassning.",
    "otherInformation": "Inga.",
    "contactRequested": true,
    "contactReason": "Vill diskutera upplägget."
  }
}`

// mutate returns base with the values at the given pointers replaced; a nil
// value removes the member. Pointers must name existing parents.
func mutate(tb testing.TB, base string, changes map[string]any) []byte {
	tb.Helper()
	var doc any
	if err := json.Unmarshal([]byte(base), &doc); err != nil {
		tb.Fatal(err)
	}
	for ptr, v := range changes {
		toks := strings.Split(ptr[1:], "/")
		cur := doc
		for i, t := range toks {
			last := i == len(toks)-1
			switch c := cur.(type) {
			case map[string]any:
				if last {
					if v == nil {
						delete(c, t)
					} else {
						c[t] = v
					}
				}
				cur = c[t]
			case []any:
				var n int
				fmt.Sscan(t, &n)
				if last {
					c[n] = v
				}
				cur = c[n]
			default:
				tb.Fatalf("mutate: no parent for %s", ptr)
			}
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// raw parses a JSON literal for use as a mutation value.
func raw(tb testing.TB, s string) any {
	tb.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		tb.Fatalf("raw(%s): %v", s, err)
	}
	return v
}

// codes returns "pointer code" for each problem, for compact comparison.
func codes(ps intake.Problems) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Pointer + " " + p.Code
	}
	return out
}

// TestDatesBeforeMinYear: a date before 1900 (year 0000, 0001-01-01, which
// Go reads as no date, 1899-12-31) is no date a certificate speaks of: it
// is refused at its own pointer, a time of signing so too, and 1900-01-01
// is a date like any other.
func TestDatesBeforeMinYear(t *testing.T) {
	eng := mustEngine(t)
	for _, tt := range []struct {
		changes map[string]any
		want    string
	}{
		{map[string]any{"/answers/sickLeave/0/from": "0000-01-01"}, "/answers/sickLeave/0/from invalidDate"},
		{map[string]any{"/answers/sickLeave/0/from": "0001-01-01"}, "/answers/sickLeave/0/from invalidDate"},
		{map[string]any{"/answers/sickLeave/0/to": "1899-12-31"}, "/answers/sickLeave/0/to invalidDate"},
		{map[string]any{"/answers/basis/1/date": "0000-12-31"}, "/answers/basis/1/date invalidDate"},
		{map[string]any{"/signedAt": "0001-01-01T00:00:00Z"}, "/signedAt invalidDateTime"},
	} {
		_, err := eng.Intake(mutate(t, baseFK7804, tt.changes), testNow)
		if got := codes(intake.ErrorProblems(err)); !slices.Contains(got, tt.want) {
			t.Errorf("%v: problems %v, want %s among them", tt.changes, got, tt.want)
		}
	}
	_, err := eng.Intake(mutate(t, baseFK7804, map[string]any{"/answers/basis/1/date": "1900-01-01"}), testNow)
	if slices.ContainsFunc(codes(intake.ErrorProblems(err)), func(s string) bool { return strings.HasSuffix(s, "invalidDate") }) {
		t.Errorf("1900-01-01 refused: %v", err)
	}
}
