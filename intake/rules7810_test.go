package intake_test

import (
	"os"
	"strings"
	"testing"
)

// TestFK7810Rules checks the rules of shared/contract/fk7810.md that
// depend on other answers, each broken and kept, from a valid example.
func TestFK7810Rules(t *testing.T) {
	eng := mustEngine(t)
	b, err := os.ReadFile("../examples/fk7810/valid/adult-stroke-all-activity-areas.json")
	if err != nil {
		t.Fatal(err)
	}
	base := string(b)
	tests := []ruleCase{
		{"as submitted", nil, nil},
		{"relative basis with relation", map[string]any{"/answers/basis/0/type": "ANHORIG", "/answers/basisRelativeRelation": "Dotter"}, nil},
		{"relative basis without relation", map[string]any{"/answers/basis/0/type": "ANHORIG"}, []string{"/answers/basisRelativeRelation required"}},
		{"relation without relative basis", map[string]any{"/answers/basisRelativeRelation": "Dotter"}, []string{"/answers/basisRelativeRelation notAllowed"}},
		{"other basis with description", map[string]any{"/answers/basis/0/type": "ANNAT", "/answers/basisOtherDescription": "Hembesök"}, nil},
		{"other basis without description", map[string]any{"/answers/basis/0/type": "ANNAT"}, []string{"/answers/basisOtherDescription required"}},
		{"investigations when there are none", map[string]any{"/answers/otherInvestigations": false, "/answers/investigations": raw(t, `[{"type":"LOGOPED","date":"2026-10-01","source":"Logopedmottagningen"}]`)}, []string{"/answers/investigations notAllowed"}},
		{"other investigations without list", map[string]any{"/answers/otherInvestigations": true}, []string{"/answers/investigations required"}},
		{"other investigations with list", map[string]any{"/answers/otherInvestigations": true, "/answers/investigations": raw(t, `[{"type":"LOGOPED","date":"2026-10-01","source":"Logopedmottagningen"}]`)}, nil},
		{"four investigations", map[string]any{"/answers/otherInvestigations": true, "/answers/investigations": raw(t, `[{"type":"LOGOPED","date":"2026-10-01","source":"a"},{"type":"PSYKOLOG","date":"2026-10-01","source":"b"},{"type":"DIETIST","date":"2026-10-01","source":"c"},{"type":"AUDIONOM","date":"2026-10-01","source":"d"}]`)}, []string{"/answers/investigations maxItems"}},
		{"impairment area twice", map[string]any{"/answers/functionalImpairments/1/area": "KOMMUNIKATION_SOCIAL_INTERAKTION"}, []string{"/answers/functionalImpairments/1/area duplicate"}},
		{"ticked area without text", map[string]any{"/answers/activityLimitations/0/text": "  "}, []string{"/answers/activityLimitations/0/text required"}},
		{"treatment without unit", map[string]any{"/answers/treatmentUnit": nil}, []string{"/answers/treatmentUnit required"}},
		{"no treatment and no unit", map[string]any{"/answers/treatment": nil, "/answers/treatmentUnit": nil}, nil},
		{"unit without treatment", map[string]any{"/answers/treatment": nil}, []string{"/answers/treatmentUnit notAllowed"}},
		// A refused text is still there: its unit is still asked for.
		{"treatment too long without unit", map[string]any{"/answers/treatment": strings.Repeat("a", 4001), "/answers/treatmentUnit": nil}, []string{"/answers/treatment maxLength", "/answers/treatmentUnit required"}},
		{"no medical care", map[string]any{"/answers/medicalCareNeeded": false, "/answers/medicalCareDescription": nil, "/answers/selfCare": nil, "/answers/selfCareDescription": nil}, nil},
		{"medical care without description and self-care", map[string]any{"/answers/medicalCareDescription": nil, "/answers/selfCare": nil, "/answers/selfCareDescription": nil}, []string{"/answers/medicalCareDescription required", "/answers/selfCare required"}},
		{"self-care without medical care", map[string]any{"/answers/medicalCareNeeded": false, "/answers/medicalCareDescription": nil, "/answers/selfCare": false, "/answers/selfCareDescription": nil}, []string{"/answers/selfCare notAllowed"}},
		{"self-care without its description", map[string]any{"/answers/selfCareDescription": nil}, []string{"/answers/selfCareDescription required"}},
		{"self-care description when not self-care", map[string]any{"/answers/selfCare": false}, []string{"/answers/selfCareDescription notAllowed"}},
	}
	runRuleCases(t, eng, "", base, tests)
}
