package intake_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/intyg/intyg/intake"
)

// TestBlankText: blank text counts as missing where the template asks for
// text (a free text, a code, a date); anywhere else a blank string is a
// value of the wrong type, or a member that is not allowed, and is refused
// as such.
func TestBlankText(t *testing.T) {
	eng := mustEngine(t)
	for _, tt := range []struct {
		name    string
		changes map[string]any
		want    []string // among the problems; nil: accepted
	}{
		{"blank optional free text", map[string]any{"/answers/treatment": "  "}, nil},
		{"blank required free text", map[string]any{"/patient/name": " "}, []string{"/patient/name required"}},
		{"blank code", map[string]any{"/answers/prognosis": "", "/answers/prognosisMonths": nil}, []string{"/answers/prognosis required"}},
		{"blank date", map[string]any{"/answers/basis/0/date": ""}, []string{"/answers/basis/0/date required"}},
		{"blank boolean", map[string]any{"/answers/transportToWork": ""}, []string{"/answers/transportToWork type"}},
		{"blank boolean that decides", map[string]any{"/answers/infectionControl": " "}, []string{"/answers/infectionControl type"}},
		{"blank integer", map[string]any{"/answers/prognosisMonths": ""}, []string{"/answers/prognosisMonths type"}},
		{"blank integer in an item", map[string]any{"/answers/sickLeave/1/degree": ""}, []string{"/answers/sickLeave/1/degree enum"}},
		{"blank array", map[string]any{"/answers/occupation": ""}, []string{"/answers/occupation type"}},
		{"blank unknown answer", map[string]any{"/answers/sjukskrivningsgrad": ""}, []string{"/answers/sjukskrivningsgrad notAllowed"}},
		{"blank unknown member of an item", map[string]any{"/answers/basis/0/x": " "}, []string{"/answers/basis/0/x notAllowed"}},
		{"blank unknown member of the patient", map[string]any{"/patient/x": ""}, []string{"/patient/x notAllowed"}},
		{"blank unknown member at the top", map[string]any{"/x": ""}, []string{"/x notAllowed"}},
		{"blank relation", map[string]any{"/relation": ""}, []string{"/relation type"}},
		{"blank relation members", map[string]any{"/relation": raw(t, `{"type": " ", "certificate": ""}`)}, []string{"/relation/certificate required", "/relation/type required"}},
		{"blank template", map[string]any{"/template": ""}, []string{"/template required"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eng.Intake(mutate(t, baseFK7804, tt.changes), testNow)
			got := codes(intake.ErrorProblems(err))
			missing := slices.ContainsFunc(tt.want, func(w string) bool { return !slices.Contains(got, w) })
			if tt.want == nil && err != nil || tt.want != nil && (err == nil || missing) {
				t.Errorf("got %v (%v), want %v", got, err, tt.want)
			}
		})
	}
}

// TestUnknownTemplateListsTheEnvelope: a submission that names no known
// template version is refused with every problem of the envelope too,
// which every template shares, but nothing of its answers, which only
// their template can judge.
func TestUnknownTemplateListsTheEnvelope(t *testing.T) {
	eng := mustEngine(t)
	for _, named := range []map[string]any{{"/version": "9.9"}, {"/template": "fk9999"}} {
		changes := map[string]any{"/patient/id": "x", "/issuer/role": "NURSE", "/signedAt": "x", "/x": 1, "/answers/sickLeave": nil}
		for k, v := range named {
			changes[k] = v
		}
		_, err := eng.Intake(mutate(t, baseFK7804, changes), testNow)
		got := strings.Join(codes(intake.ErrorProblems(err)), ", ")
		for _, want := range []string{"/patient/id", "/issuer/role enum", "/signedAt", "/x notAllowed"} {
			if !strings.Contains(got, want) {
				t.Errorf("%v: %s; want also %s", named, got, want)
			}
		}
		if strings.Contains(got, "/answers") {
			t.Errorf("%v: %s; want nothing of the answers", named, got)
		}
		if !strings.Contains(got, "unknownVersion") && !strings.Contains(got, "unknownTemplate") {
			t.Errorf("%v: %s; want the unknown template or version", named, got)
		}
	}
	// The answers object itself is still the envelope's.
	_, err := eng.Intake(mutate(t, baseFK7804, map[string]any{"/version": "9.9", "/answers": "x"}), testNow)
	if got := codes(intake.ErrorProblems(err)); !slices.Contains(got, "/answers type") {
		t.Errorf("answers not an object, unknown version: %v", got)
	}
}

// TestEnvelopeShared holds what envelopeOnly assumes: every template's
// schema has the same envelope (all but the template, the version and
// the answers), so one of them judges it for all.
func TestEnvelopeShared(t *testing.T) {
	eng := mustEngine(t)
	var first string
	for _, tmpl := range eng.Registry().All() {
		env := intake.EnvelopeSchema(t, tmpl.Schema)
		if first == "" {
			first = env
		} else if env != first {
			t.Errorf("%s: its envelope differs from the first template's", tmpl.Key())
		}
	}
}
