package intake_test

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// ruleCase is one change to a valid example and the problems it must give
// (none: the change keeps the submission valid).
type ruleCase struct {
	name    string
	changes map[string]any
	want    []string
}

// TestLongTermStatementRules checks each rule of shared/contract/fk7800.md,
// fk7801.md and fk7802.md, broken and kept, from each template's full valid
// example (basis: examination on 2026-11-10 and records on 2026-11-02,
// signed 2026-11-10, two investigations, a contact request with a reason).
func TestLongTermStatementRules(t *testing.T) {
	eng := mustEngine(t)
	inv := func(typ string) any {
		return raw(t, `[{"type":"`+typ+`","date":"2026-10-01","source":"Mottagningen"}]`)
	}
	common := []ruleCase{
		{"as submitted", nil, nil},
		{"each basis type once", map[string]any{"/answers/basis/1/type": "ANHORIG"}, nil},
		{"basis type twice", map[string]any{"/answers/basis/1/type": "UNDERSOKNING"}, []string{"/answers/basis/1/type duplicate"}},
		{"five basis items", map[string]any{"/answers/basis": raw(t, `[{"type":"UNDERSOKNING","date":"2026-11-10"},{"type":"JOURNALUPPGIFTER","date":"2026-11-10"},{"type":"ANHORIG","date":"2026-11-10"},{"type":"ANNAT","date":"2026-11-10"},{"type":"JOURNALUPPGIFTER","date":"2026-11-09"}]`), "/answers/basisOtherDescription": "Hembesök"}, []string{"/answers/basis maxItems", "/answers/basis/4/type duplicate"}},
		{"fk7804's examination code", map[string]any{"/answers/basis/0/type": "DIGITALUNDERSOKNING"}, []string{"/answers/basis/0/type enum"}},
		{"basis dated today", map[string]any{"/answers/basis/1/date": "2026-11-10"}, nil},
		{"basis dated tomorrow", map[string]any{"/answers/basis/1/date": "2026-11-11"}, []string{"/answers/basis/1/date dateInFuture"}},
		{"other basis with description", map[string]any{"/answers/basis/1/type": "ANNAT", "/answers/basisOtherDescription": "Hembesök"}, nil},
		{"other basis without description", map[string]any{"/answers/basis/1/type": "ANNAT"}, []string{"/answers/basisOtherDescription required"}},
		{"description without other basis", map[string]any{"/answers/basisOtherDescription": "Hembesök"}, []string{"/answers/basisOtherDescription notAllowed"}},
		{"known since the examination day", map[string]any{"/answers/patientKnownSince": "2026-11-10"}, nil},
		{"known since after the examination", map[string]any{"/answers/basis/0/date": "2026-11-08", "/answers/patientKnownSince": "2026-11-09"}, []string{"/answers/patientKnownSince dateAfterBasis"}},
		{"known since after the relative's description", map[string]any{"/answers/basis/0/type": "ANHORIG", "/answers/basis/0/date": "2026-11-03", "/answers/patientKnownSince": "2026-11-04"}, []string{"/answers/patientKnownSince dateAfterBasis"}},
		{"known since after the earlier of examination and description", map[string]any{"/answers/basis/1/type": "ANHORIG", "/answers/patientKnownSince": "2026-11-05"}, []string{"/answers/patientKnownSince dateAfterBasis"}},
		{"an examination in year 1 (before 1900)", map[string]any{"/answers/basis/0/date": "0001-01-01"}, []string{"/answers/basis/0/date invalidDate"}},
		{"known since after the examination, the description in year 1", map[string]any{"/answers/basis/1/type": "ANHORIG", "/answers/basis/1/date": "0001-01-01", "/answers/basis/0/date": "2026-11-01", "/answers/patientKnownSince": "2026-11-05"}, []string{"/answers/basis/1/date invalidDate", "/answers/patientKnownSince dateAfterBasis"}},
		{"known since after the records only", map[string]any{"/answers/basis/0/type": "ANNAT", "/answers/basisOtherDescription": "Hembesök", "/answers/patientKnownSince": "2026-11-09"}, nil},
		{"known since tomorrow", map[string]any{"/answers/basis/0/type": "ANNAT", "/answers/basisOtherDescription": "Hembesök", "/answers/patientKnownSince": "2026-11-11"}, []string{"/answers/patientKnownSince dateInFuture"}},
		{"known since missing", map[string]any{"/answers/patientKnownSince": nil}, []string{"/answers/patientKnownSince required"}},
		{"investigations when there are none", map[string]any{"/answers/otherInvestigations": false}, []string{"/answers/investigations notAllowed"}},
		{"no other investigations", map[string]any{"/answers/otherInvestigations": false, "/answers/investigations": nil}, nil},
		{"other investigations without list", map[string]any{"/answers/investigations": nil}, []string{"/answers/investigations required"}},
		{"investigation dated tomorrow", map[string]any{"/answers/investigations/0/date": "2026-11-11"}, []string{"/answers/investigations/0/date dateInFuture"}},
		{"investigation source of 100 characters", map[string]any{"/answers/investigations/0/source": strings.Repeat("å", 100)}, nil},
		{"investigation source of 101 characters", map[string]any{"/answers/investigations/0/source": strings.Repeat("å", 101)}, []string{"/answers/investigations/0/source maxLength"}},
		{"fk7810's investigation code", map[string]any{"/answers/investigations": inv("AUDIONOM")}, []string{"/answers/investigations/0/type enum"}},
		{"three diagnoses", map[string]any{"/answers/diagnoses": raw(t, `[{"code":"F33.2","description":"a"},{"code":"M79.7","description":"b"},{"code":"Z73.0","description":"c"}]`)}, nil},
		{"four diagnoses", map[string]any{"/answers/diagnoses": raw(t, `[{"code":"F33.2","description":"a"},{"code":"M79.7","description":"b"},{"code":"Z73.0","description":"c"},{"code":"G43.9","description":"d"}]`)}, []string{"/answers/diagnoses maxItems"}},
		{"Z73 with three characters", map[string]any{"/answers/diagnoses/1/code": "Z73"}, []string{"/answers/diagnoses/1/code codeTooShort"}},
		{"dotless code", map[string]any{"/answers/diagnoses/1/code": "M797"}, nil},
		{"contact without a reason", map[string]any{"/answers/contactReason": nil}, nil},
		{"no contact", map[string]any{"/answers/contactRequested": nil, "/answers/contactReason": nil}, nil},
		{"reason without contact", map[string]any{"/answers/contactRequested": false}, []string{"/answers/contactReason notAllowed"}},
		{"blank reason without contact", map[string]any{"/answers/contactRequested": false, "/answers/contactReason": " "}, nil},
		{"contact reason of 3501 characters", map[string]any{"/answers/contactReason": strings.Repeat("a", 3501)}, []string{"/answers/contactReason maxLength"}},
		{"basis type missing", map[string]any{"/answers/basis/1/type": nil}, []string{"/answers/basis/1/type required"}},
		{"basis date not in the calendar", map[string]any{"/answers/basis/1/date": "2026-02-30"}, []string{"/answers/basis/1/date invalidDate"}},
		{"other basis with blank description", map[string]any{"/answers/basis/1/type": "ANNAT", "/answers/basisOtherDescription": " \t"}, []string{"/answers/basisOtherDescription required"}},
		{"other basis description of 3500 characters", map[string]any{"/answers/basis/1/type": "ANNAT", "/answers/basisOtherDescription": strings.Repeat("å", 3500)}, nil},
		{"other basis description of 3501 characters", map[string]any{"/answers/basis/1/type": "ANNAT", "/answers/basisOtherDescription": strings.Repeat("å", 3501)}, []string{"/answers/basisOtherDescription maxLength"}},
		{"known since the relative's description day", map[string]any{"/answers/basis/0/type": "ANHORIG", "/answers/basis/0/date": "2026-11-03", "/answers/patientKnownSince": "2026-11-03"}, nil},
		{"known since not in the calendar", map[string]any{"/answers/patientKnownSince": "2019-02-29"}, []string{"/answers/patientKnownSince invalidDate"}},
		// A missing answer decides nothing: its list is not refused too.
		{"other investigations missing, list given", map[string]any{"/answers/otherInvestigations": nil}, []string{"/answers/otherInvestigations required"}},
		{"investigation type missing", map[string]any{"/answers/investigations/0/type": nil}, []string{"/answers/investigations/0/type required"}},
		{"investigation date missing", map[string]any{"/answers/investigations/0/date": nil}, []string{"/answers/investigations/0/date required"}},
		{"investigation date not in the calendar", map[string]any{"/answers/investigations/0/date": "2026-06-31"}, []string{"/answers/investigations/0/date invalidDate"}},
		{"investigation source blank", map[string]any{"/answers/investigations/0/source": " "}, []string{"/answers/investigations/0/source required"}},
		{"no diagnoses", map[string]any{"/answers/diagnoses": raw(t, `[]`)}, []string{"/answers/diagnoses minItems"}},
		{"diagnosis code missing", map[string]any{"/answers/diagnoses/0/code": nil}, []string{"/answers/diagnoses/0/code required"}},
		{"diagnosis description missing", map[string]any{"/answers/diagnoses/0/description": nil}, []string{"/answers/diagnoses/0/description required"}},
		{"diagnosis description of 81 characters", map[string]any{"/answers/diagnoses/0/description": strings.Repeat("ä", 81)}, nil},
		{"diagnosis item with an unknown field", map[string]any{"/answers/diagnoses/0/icf": raw(t, `[]`)}, []string{"/answers/diagnoses/0/icf notAllowed"}},
		{"fk7810's question", map[string]any{"/answers/knownSince": "MER_AN_ETT_AR"}, []string{"/answers/knownSince notAllowed"}},
	}
	longTexts := []string{"activityLimitation", "capacityDespiteLimitation", "completedTreatment", "diagnosisBasis", "diseaseHistory", "ongoingTreatment", "plannedTreatment", "substanceUse", "workPrerequisites"}
	longTerm := []ruleCase{
		{"new diagnosis assessment with reason", map[string]any{"/answers/newDiagnosisAssessment": true, "/answers/newDiagnosisAssessmentReason": "F43.8"}, nil},
		{"new diagnosis assessment without reason", map[string]any{"/answers/newDiagnosisAssessment": true}, []string{"/answers/newDiagnosisAssessmentReason required"}},
		{"reason without new diagnosis assessment", map[string]any{"/answers/newDiagnosisAssessmentReason": "F43.8"}, []string{"/answers/newDiagnosisAssessmentReason notAllowed"}},
		{"impairment area twice", map[string]any{"/answers/functionalImpairments/1/area": "PSYKISK_FUNKTION"}, []string{"/answers/functionalImpairments/1/area duplicate"}},
		{"fk7810's respiratory area", map[string]any{"/answers/functionalImpairments/1/area": "ANDNINGS_FUNKTION"}, []string{"/answers/functionalImpairments/1/area enum"}},
		{"ticked area without text", map[string]any{"/answers/functionalImpairments/0/text": " "}, []string{"/answers/functionalImpairments/0/text required"}},
		{"no optional treatment texts", map[string]any{"/answers/completedTreatment": nil, "/answers/ongoingTreatment": nil, "/answers/plannedTreatment": nil, "/answers/substanceUse": nil, "/answers/capacityDespiteLimitation": nil}, nil},
		{"activity limitation as fk7804's object", map[string]any{"/answers/activityLimitation": raw(t, `{"text":"a","icf":[]}`)}, []string{"/answers/activityLimitation type"}},
		{"work prerequisites blank", map[string]any{"/answers/workPrerequisites": "\n"}, []string{"/answers/workPrerequisites required"}},
		{"fk7802's question", map[string]any{"/answers/impairmentSchoolImpact": "Skolan"}, []string{"/answers/impairmentSchoolImpact notAllowed"}},
		{"other information of 2700 characters", map[string]any{"/answers/otherInformation": strings.Repeat("ö", 2700)}, nil},
		{"other information of 2701 characters", map[string]any{"/answers/otherInformation": strings.Repeat("ö", 2701)}, []string{"/answers/otherInformation maxLength"}},
		{"long texts of 3500 characters", texts(longTexts, strings.Repeat("ö", 3500)), nil},
		{"long texts of 3501 characters", texts(longTexts, strings.Repeat("ö", 3501)), problems(longTexts, "maxLength")},
		{"required long texts blank", texts([]string{"activityLimitation", "diagnosisBasis", "diseaseHistory", "workPrerequisites"}, " "), problems([]string{"activityLimitation", "diagnosisBasis", "diseaseHistory", "workPrerequisites"}, "required")},
		{"optional long texts blank", texts([]string{"capacityDespiteLimitation", "completedTreatment", "ongoingTreatment", "plannedTreatment", "substanceUse"}, " "), nil},
		{"new diagnosis assessment not yes or no", map[string]any{"/answers/newDiagnosisAssessment": "nej"}, []string{"/answers/newDiagnosisAssessment type"}},
		{"new diagnosis assessment with blank reason", map[string]any{"/answers/newDiagnosisAssessment": true, "/answers/newDiagnosisAssessmentReason": " "}, []string{"/answers/newDiagnosisAssessmentReason required"}},
		{"new diagnosis assessment reason of 3501 characters", map[string]any{"/answers/newDiagnosisAssessment": true, "/answers/newDiagnosisAssessmentReason": strings.Repeat("a", 3501)}, []string{"/answers/newDiagnosisAssessmentReason maxLength"}},
		{"all seven impairment areas", map[string]any{"/answers/functionalImpairments": raw(t, areas(7))}, nil},
		{"eight impairment areas", map[string]any{"/answers/functionalImpairments": raw(t, areas(8))}, []string{"/answers/functionalImpairments maxItems", "/answers/functionalImpairments/7/area duplicate"}},
		{"impairment area missing", map[string]any{"/answers/functionalImpairments/0/area": nil}, []string{"/answers/functionalImpairments/0/area required"}},
		{"impairment text missing", map[string]any{"/answers/functionalImpairments/0/text": nil}, []string{"/answers/functionalImpairments/0/text required"}},
		{"impairment with fk7804's icf codes", map[string]any{"/answers/functionalImpairments/0/icf": raw(t, `["b130"]`)}, []string{"/answers/functionalImpairments/0/icf notAllowed"}},
		{"fk7802's onset question", map[string]any{"/answers/impairmentOnset": "I tonåren"}, []string{"/answers/impairmentOnset notAllowed"}},
	}
	templates := []struct {
		name  string
		cases []ruleCase
	}{
		{"fk7800", concat(common, longTerm, []ruleCase{
			{"occupational health", map[string]any{"/answers/investigations": inv("FORETAGSHALSOVARD")}, nil},
			{"school health", map[string]any{"/answers/investigations": inv("SKOLHALSOVARD")}, []string{"/answers/investigations/0/type enum"}},
			{"fk7801's measures", map[string]any{"/answers/measures": "Arbetsträning"}, []string{"/answers/measures notAllowed"}},
		})},
		{"fk7801", concat(common, longTerm, []ruleCase{
			{"occupational health", map[string]any{"/answers/investigations": inv("FORETAGSHALSOVARD")}, nil},
			{"school health", map[string]any{"/answers/investigations": inv("SKOLHALSOVARD")}, nil},
			{"primary care", map[string]any{"/answers/investigations": inv("VARDCENTRAL")}, []string{"/answers/investigations/0/type enum"}},
			{"no measures", map[string]any{"/answers/measures": nil}, nil},
			{"measures of 3501 characters", map[string]any{"/answers/measures": strings.Repeat("ä", 3501)}, []string{"/answers/measures maxLength"}},
			{"measures of 3500 characters", map[string]any{"/answers/measures": strings.Repeat("ä", 3500)}, nil},
			{"measures blank", map[string]any{"/answers/measures": "  "}, nil},
			{"fk7802's school question", map[string]any{"/answers/impairmentSchoolImpact": "Skolan"}, []string{"/answers/impairmentSchoolImpact notAllowed"}},
		})},
		{"fk7802", concat(common, []ruleCase{
			{"school health", map[string]any{"/answers/investigations": inv("SKOLHALSOVARD")}, nil},
			{"occupational health", map[string]any{"/answers/investigations": inv("FORETAGSHALSOVARD")}, []string{"/answers/investigations/0/type enum"}},
			{"onset missing", map[string]any{"/answers/impairmentOnset": nil}, []string{"/answers/impairmentOnset required"}},
			{"school impact blank", map[string]any{"/answers/impairmentSchoolImpact": "  "}, []string{"/answers/impairmentSchoolImpact required"}},
			{"fk7800's questions", map[string]any{"/answers/diseaseHistory": "a", "/answers/measures": "b", "/answers/activityLimitation": "c"}, []string{"/answers/activityLimitation notAllowed", "/answers/diseaseHistory notAllowed", "/answers/measures notAllowed"}},
			{"other information of 2850 characters", map[string]any{"/answers/otherInformation": strings.Repeat("ö", 2850)}, nil},
			{"other information of 2851 characters", map[string]any{"/answers/otherInformation": strings.Repeat("ö", 2851)}, []string{"/answers/otherInformation maxLength"}},
			{"onset and school impact of 3500 characters", texts([]string{"impairmentOnset", "impairmentSchoolImpact"}, strings.Repeat("ö", 3500)), nil},
			{"onset and school impact of 3501 characters", texts([]string{"impairmentOnset", "impairmentSchoolImpact"}, strings.Repeat("ö", 3501)), []string{"/answers/impairmentOnset maxLength", "/answers/impairmentSchoolImpact maxLength"}},
			{"the other questions of fk7800 and fk7801", map[string]any{"/answers/diagnosisBasis": "a", "/answers/newDiagnosisAssessment": false, "/answers/newDiagnosisAssessmentReason": "a", "/answers/functionalImpairments": raw(t, areas(1)), "/answers/completedTreatment": "a", "/answers/ongoingTreatment": "a", "/answers/plannedTreatment": "a", "/answers/substanceUse": "a", "/answers/workPrerequisites": "a", "/answers/capacityDespiteLimitation": "a"},
				problems([]string{"capacityDespiteLimitation", "completedTreatment", "diagnosisBasis", "functionalImpairments", "newDiagnosisAssessment", "newDiagnosisAssessmentReason", "ongoingTreatment", "plannedTreatment", "substanceUse", "workPrerequisites"}, "notAllowed")},
		})},
	}
	for _, tmpl := range templates {
		b, err := os.ReadFile("../examples/" + tmpl.name + "/valid/full-two-basis-two-investigations-contact.json")
		if err != nil {
			t.Fatal(err)
		}
		runRuleCases(t, eng, tmpl.name+"/", string(b), tmpl.cases)
	}
}

// runRuleCases applies each case's changes to base and compares the
// problems intake finds with the case's.
func runRuleCases(t *testing.T, eng *intake.Engine, prefix, base string, cases []ruleCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(prefix+tt.name, func(t *testing.T) {
			_, err := eng.Intake(mutate(t, base, tt.changes), testNow)
			var got []string
			if err != nil {
				if intake.ErrorCode(err) != intake.EINVALID {
					t.Fatalf("Intake() = %v", err)
				}
				got = codes(intake.ErrorProblems(err))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// texts sets each of the answers fields to v.
func texts(fields []string, v string) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		out["/answers/"+f] = v
	}
	return out
}

// problems lists code at each of the answers fields, in the order of
// fields (sorted, as codes sorts problems).
func problems(fields []string, code string) []string {
	var out []string
	for _, f := range fields {
		out = append(out, "/answers/"+f+" "+code)
	}
	return out
}

// areas returns n impairment items as JSON: the seven areas in the
// contract's order, then repeats.
func areas(n int) string {
	all := []string{"INTELLEKTUELL_FUNKTION", "KOMMUNIKATION_SOCIAL_INTERAKTION", "UPPMARKSAMHET", "PSYKISK_FUNKTION", "SINNESFUNKTION", "KOORDINATION", "ANNAN_KROPPSLIG_FUNKTION"}
	var items []string
	for i := 0; i < n; i++ {
		items = append(items, `{"area":"`+all[i%len(all)]+`","text":"Fynd och grad."}`)
	}
	return "[" + strings.Join(items, ",") + "]"
}

func concat(lists ...[]ruleCase) []ruleCase {
	var out []ruleCase
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// TestLongTermStatementQuestions checks the forms of fk7800, fk7801 and
// fk7802 against the tables of their contracts: each question id (the ids a
// completion request may name) is bound to the contract's field, no other
// id is known, every field of the schema's answers has its question, and
// every question has a Swedish and an English label and help text, every
// item and option a label in both.
func TestLongTermStatementQuestions(t *testing.T) {
	common := map[string]string{
		"1": "basis", "1.3": "basisOtherDescription", "2": "patientKnownSince", "3": "otherInvestigations",
		"4": "investigations", "6": "diagnoses", "25": "otherInformation", "26": "contactRequested", "26.2": "contactReason",
	}
	longTerm := map[string]string{
		"5": "diseaseHistory", "7": "diagnosisBasis", "45": "newDiagnosisAssessment", "45.2": "newDiagnosisAssessmentReason",
		"8": "functionalImpairments", "9": "functionalImpairments", "10": "functionalImpairments", "11": "functionalImpairments",
		"12": "functionalImpairments", "13": "functionalImpairments", "14": "functionalImpairments",
		"17": "activityLimitation", "18": "completedTreatment", "19": "ongoingTreatment", "20": "plannedTreatment",
		"21": "substanceUse", "22": "workPrerequisites", "23": "capacityDespiteLimitation",
	}
	join := func(ms ...map[string]string) map[string]string {
		out := map[string]string{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	reg, err := schemas.Load(schemas.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		template string
		ids      map[string]string
	}{
		{"fk7800", join(common, longTerm)},
		{"fk7801", join(common, longTerm, map[string]string{"24": "measures"})},
		{"fk7802", join(common, map[string]string{"15": "impairmentOnset", "16": "impairmentSchoolImpact"})},
	} {
		t.Run(tt.template, func(t *testing.T) {
			tmpl, ok := reg.Lookup(tt.template, "1.0")
			if !ok {
				t.Fatalf("no template %s 1.0", tt.template)
			}
			for id, field := range tt.ids {
				if q, ok := tmpl.Form.QuestionByID(id); !ok || q.Field != field {
					t.Errorf("QuestionByID(%q) = %q, %v; want %q", id, q.Field, ok, field)
				}
			}
			for _, id := range []string{"15", "16", "24", "5", "32", "39", "44", "58", "64", "65", "70"} {
				if _, want := tt.ids[id]; want {
					continue
				}
				if q, ok := tmpl.Form.QuestionByID(id); ok {
					t.Errorf("QuestionByID(%q) = %q, want no such question", id, q.Field)
				}
			}
			var schema struct {
				Properties struct {
					Answers struct {
						Properties map[string]json.RawMessage `json:"properties"`
					} `json:"answers"`
				} `json:"properties"`
			}
			if err := json.Unmarshal(tmpl.Schema, &schema); err != nil {
				t.Fatal(err)
			}
			var fields, questions []string
			for f := range schema.Properties.Answers.Properties {
				fields = append(fields, f)
			}
			for _, q := range tmpl.Form.Questions() {
				questions = append(questions, q.Field)
			}
			sort.Strings(fields)
			sort.Strings(questions)
			if diff := cmp.Diff(fields, questions); diff != "" {
				t.Errorf("schema answers and form questions differ (-schema +form):\n%s", diff)
			}
			for _, q := range tmpl.Form.Questions() {
				if q.Help == nil || q.Help.SV == "" || q.Help.EN == "" {
					t.Errorf("question %s (%s) lacks a help text in Swedish or English", q.ID, q.Field)
				}
				checkLabels(t, q.ID, q)
			}
		})
	}
}

// checkLabels reports a question, item or option of q without both a
// Swedish and an English label.
func checkLabels(t *testing.T, id string, q schemas.Question) {
	t.Helper()
	if q.Label.SV == "" || q.Label.EN == "" {
		t.Errorf("question %s field %s lacks a label in Swedish or English", id, q.Field)
	}
	for _, o := range q.Options {
		if o.Label.SV == "" || o.Label.EN == "" {
			t.Errorf("question %s option %v lacks a label in Swedish or English", id, o.Value)
		}
	}
	for _, it := range q.Items {
		checkLabels(t, id, it)
	}
}
