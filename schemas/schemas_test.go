package schemas_test

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/intyg/intyg/schemas"
)

func TestEmbeddedTemplatesLoad(t *testing.T) {
	reg, err := schemas.Load(schemas.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	tmpl, ok := reg.Lookup("fk7804", "2.0")
	if !ok {
		t.Fatal("fk7804 2.0 is not in the registry")
	}
	if tmpl.FormNumber != "FK 7804" || tmpl.Title.SV == "" || len(tmpl.Form.Sections) == 0 || len(tmpl.Rules) == 0 {
		t.Errorf("fk7804 2.0 loaded incompletely: %+v", tmpl)
	}
	if !reg.HasTemplate("fk7804") || reg.HasTemplate("fk0000") {
		t.Error("HasTemplate() is wrong")
	}
}

func TestLoadRefusesBrokenFolders(t *testing.T) {
	good := `{"template": "aa", "version": "1.0", "formNumber": "A", "validFrom": "2027-01-01", "title": {"sv": "A", "en": "A"}, "issuerRoles": [{"value": "DOCTOR", "label": {"sv": "Läkare"}}], "rules": []}`
	withDerive := func(derive string) string { return good[:len(good)-1] + `, "derive": ` + derive + `}` }
	periods := `{"sections": [{"id": "s", "title": {"sv": "S"}, "questions": [{"id": "1", "field": "p", "widget": "periods", "label": {"sv": "P"}, "options": [{"value": 33.5, "label": {"sv": "33,5"}}]}]}]}`
	form := `{"sections": [{"id": "s", "title": {"sv": "S", "en": "S"}, "questions": [{"id": "1", "field": "x", "widget": "text", "label": {"sv": "X", "en": "X"}}]}]}`
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string // in the error
	}{
		{"no templates", fstest.MapFS{}, "no template folders"},
		{"folder does not match", fstest.MapFS{
			"aa/2.0/template.json": {Data: []byte(good)}, "aa/2.0/schema.json": {Data: []byte(`{}`)}, "aa/2.0/form.json": {Data: []byte(form)}}, "lives in folder"},
		{"unknown key in template.json", fstest.MapFS{
			"aa/1.0/template.json": {Data: []byte(good[:len(good)-1] + `, "colour": "red"}`)}, "aa/1.0/schema.json": {Data: []byte(`{}`)}, "aa/1.0/form.json": {Data: []byte(form)}}, "colour"},
		{"schema not JSON", fstest.MapFS{
			"aa/1.0/template.json": {Data: []byte(good)}, "aa/1.0/schema.json": {Data: []byte(`{`)}, "aa/1.0/form.json": {Data: []byte(form)}}, "schema.json"},
		{"form missing", fstest.MapFS{
			"aa/1.0/template.json": {Data: []byte(good)}, "aa/1.0/schema.json": {Data: []byte(`{}`)}}, "form.json"},
		{"unknown widget", fstest.MapFS{
			"aa/1.0/template.json": {Data: []byte(good)}, "aa/1.0/schema.json": {Data: []byte(`{}`)}, "aa/1.0/form.json": {Data: []byte(`{"sections": [{"id": "s", "title": {"sv": "S"}, "questions": [{"id": "1", "field": "x", "widget": "slider", "label": {"sv": "X"}}]}]}`)}}, `form.json: section s: question 1 (field x): unknown widget "slider"`},
		{"field asked twice", fstest.MapFS{
			"aa/1.0/template.json": {Data: []byte(good)}, "aa/1.0/schema.json": {Data: []byte(`{}`)}, "aa/1.0/form.json": {Data: []byte(`{"sections": [{"id": "s", "title": {"sv": "S"}, "questions": [{"id": "1", "field": "x", "widget": "text", "label": {"sv": "X"}}, {"id": "2", "field": "x", "widget": "text", "label": {"sv": "X"}}]}]}`)}}, "asked twice"},
		{"no issuer roles", fstest.MapFS{
			"aa/1.0/template.json": {Data: []byte(`{"template": "aa", "version": "1.0", "formNumber": "A", "validFrom": "2027-01-01", "title": {"sv": "A", "en": "A"}, "issuerRoles": []}`)}, "aa/1.0/schema.json": {Data: []byte(`{}`)}, "aa/1.0/form.json": {Data: []byte(form)}}, "issuerRoles"},
		{"options missing", fstest.MapFS{
			"aa/1.0/template.json": {Data: []byte(good)}, "aa/1.0/schema.json": {Data: []byte(`{}`)}, "aa/1.0/form.json": {Data: []byte(`{"sections": [{"id": "s", "title": {"sv": "S"}, "questions": [{"id": "1", "field": "x", "widget": "radio", "label": {"sv": "X"}}]}]}`)}}, "needs options"},
		{"derived diagnoses from a text question", fstest.MapFS{
			"aa/1.0/template.json": {Data: []byte(withDerive(`{"diagnoses": {"field": "x", "list": "icd10se"}}`))}, "aa/1.0/schema.json": {Data: []byte(`{}`)}, "aa/1.0/form.json": {Data: []byte(form)}}, "derive: diagnoses"},
		{"sick-leave degree not a whole percentage", fstest.MapFS{
			"aa/1.0/template.json": {Data: []byte(withDerive(`{"sickLeave": {"field": "p"}}`))}, "aa/1.0/schema.json": {Data: []byte(`{}`)}, "aa/1.0/form.json": {Data: []byte(periods)}}, "whole percentage"},
		{"renewal clears an unknown question", fstest.MapFS{
			"aa/1.0/template.json": {Data: []byte(good[:len(good)-1] + `, "renewal": {"clear": ["9"]}}`)}, "aa/1.0/schema.json": {Data: []byte(`{}`)}, "aa/1.0/form.json": {Data: []byte(form)}}, `renewal: clear: "9" is not a question id`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := schemas.Load(tt.files)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load() = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

func TestVersionsSortNumerically(t *testing.T) {
	files := fstest.MapFS{}
	for _, v := range []string{"2.10", "2.9", "10.0"} {
		files["aa/"+v+"/template.json"] = &fstest.MapFile{Data: []byte(`{"template": "aa", "version": "` + v + `", "formNumber": "A", "validFrom": "2027-01-01", "title": {"sv": "A", "en": "A"}, "issuerRoles": [{"value": "DOCTOR", "label": {"sv": "Läkare"}}]}`)}
		files["aa/"+v+"/schema.json"] = &fstest.MapFile{Data: []byte(`{}`)}
		files["aa/"+v+"/form.json"] = &fstest.MapFile{Data: []byte(`{"sections": [{"id": "s", "title": {"sv": "S"}, "questions": [{"id": "1", "field": "x", "widget": "text", "label": {"sv": "X"}}]}]}`)}
	}
	reg, err := schemas.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tmpl := range reg.All() {
		got = append(got, tmpl.Version)
	}
	if want := []string{"2.9", "2.10", "10.0"}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("versions = %v, want %v", got, want)
	}
}

func TestMaxLength(t *testing.T) {
	reg, err := schemas.Load(schemas.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _ := reg.Lookup("fk7804", "2.0")
	for _, tt := range []struct {
		path []string
		want int
	}{
		{[]string{"treatment"}, 4000},
		{[]string{"basisOtherDescription"}, 50},
		{[]string{"functionalImpairment", "text"}, 4000},
		{[]string{"diagnoses", "description"}, 81},
		{[]string{"prognosis"}, 0},
		{[]string{"nothing"}, 0},
	} {
		if got := tmpl.MaxLength(tt.path...); got != tt.want {
			t.Errorf("MaxLength(%v) = %d, want %d", tt.path, got, tt.want)
		}
	}
}

// TestClearedFields checks what a renewal leaves out, per template: the
// contract's lists for fk7804 and fk7810; for the statements for long-term
// compensation, as for fk7810, the basis and the date the physician first
// knew the patient.
func TestClearedFields(t *testing.T) {
	reg := schemas.MustLoadEmbedded()
	for _, tt := range []struct{ template, version, want string }{
		{"fk7804", "2.0", "basis basisOtherDescription sickLeave prognosis prognosisMonths prognosisReason contactRequested contactReason"},
		{"fk7810", "1.0", "basis basisRelativeRelation basisOtherDescription knownSince"},
		{"fk7800", "1.0", "basis basisOtherDescription patientKnownSince"},
		{"fk7801", "1.0", "basis basisOtherDescription patientKnownSince"},
		{"fk7802", "1.0", "basis basisOtherDescription patientKnownSince"},
	} {
		tmpl, ok := reg.Lookup(tt.template, tt.version)
		if !ok {
			t.Fatalf("no template %s %s", tt.template, tt.version)
		}
		if got := strings.Join(tmpl.ClearedFields(), " "); got != tt.want {
			t.Errorf("%s ClearedFields() = %q, want %q", tt.template, got, tt.want)
		}
	}
}

func TestQuestionByOptionID(t *testing.T) {
	reg := schemas.MustLoadEmbedded()
	tmpl, _ := reg.Lookup("fk7810", "1.0")
	for id, field := range map[string]string{"8": "functionalImpairments", "9": "functionalImpairments", "64": "functionalImpairments", "67": "activityLimitations", "58": "diagnoses"} {
		if q, ok := tmpl.Form.QuestionByID(id); !ok || q.Field != field {
			t.Errorf("QuestionByID(%q) = %s, %v; want %s", id, q.Field, ok, field)
		}
	}
	if _, ok := tmpl.Form.QuestionByID("70.9"); ok {
		t.Error("QuestionByID found an id the form does not have")
	}
}

func TestLoadChecksCasesAndAttention(t *testing.T) {
	form := `{"sections": [{"id": "s", "title": {"sv": "S"}, "questions": [
		{"id": "1", "field": "p", "widget": "periods", "label": {"sv": "P"}, "options": [{"value": 100, "label": {"sv": "100"}}]},
		{"id": "2", "field": "basis", "widget": "checkboxDates", "label": {"sv": "B"}, "options": [{"value": "A", "label": {"sv": "A"}}]},
		{"id": "3", "field": "x", "widget": "text", "label": {"sv": "X"}}]}]}`
	template := func(extra string) fstest.MapFS {
		t := `{"template": "aa", "version": "1.0", "formNumber": "A", "validFrom": "2027-01-01", "title": {"sv": "A", "en": "A"},
			"issuerRoles": [{"value": "DOCTOR", "label": {"sv": "Läkare"}}], "rules": [], "derive": {"sickLeave": {"field": "p"}}` + extra + `}`
		return fstest.MapFS{"aa/1.0/template.json": {Data: []byte(t)}, "aa/1.0/schema.json": {Data: []byte(`{}`)}, "aa/1.0/form.json": {Data: []byte(form)}}
	}
	cases := `, "cases": {"gap": 5, "milestones": [90, 180]}`
	tests := []struct {
		name  string
		extra string
		want  string // in the error; "" loads
	}{
		{"good", cases + `, "attention": [{"code": "a", "kind": "overlapOtherUnit"}, {"code": "b", "kind": "noneOfOptions", "field": "basis", "values": ["A"]},
			{"code": "c", "kind": "reachesMilestone", "milestone": 180}, {"code": "d", "kind": "degreeDaysWithoutAnswer", "degree": 100, "days": 30, "field": "x"},
			{"code": "e", "kind": "startsBeforeSigning", "days": 7}, {"code": "f", "kind": "implausiblePeriod", "days": 365}]`, ""},
		{"gap out of range", `, "cases": {"gap": 91, "milestones": [90]}`, "cases: gap 91"},
		{"negative gap", `, "cases": {"gap": -1, "milestones": [90]}`, "cases: gap -1"},
		{"milestones not ascending", `, "cases": {"gap": 5, "milestones": [180, 90]}`, "milestones"},
		{"no milestones", `, "cases": {"gap": 5}`, "milestones"},
		{"flags without cases", `, "attention": [{"code": "a", "kind": "overlapOtherUnit"}]`, "need a cases block"},
		{"unknown kind", cases + `, "attention": [{"code": "a", "kind": "colour"}]`, `unknown kind "colour"`},
		{"repeated code", cases + `, "attention": [{"code": "a", "kind": "overlapOtherUnit"}, {"code": "a", "kind": "overlapOtherUnit"}]`, "repeated"},
		{"milestone not declared", cases + `, "attention": [{"code": "a", "kind": "reachesMilestone", "milestone": 365}]`, "milestone 365"},
		{"option not offered", cases + `, "attention": [{"code": "a", "kind": "noneOfOptions", "field": "basis", "values": ["B"]}]`, `value "B"`},
		{"options of a text question", cases + `, "attention": [{"code": "a", "kind": "noneOfOptions", "field": "x", "values": ["B"]}]`, "not a question with options"},
		{"unknown field", cases + `, "attention": [{"code": "a", "kind": "degreeDaysWithoutAnswer", "degree": 100, "days": 30, "field": "y"}]`, `field "y"`},
		{"days missing", cases + `, "attention": [{"code": "a", "kind": "startsBeforeSigning"}]`, "needs days"},
		{"unknown key", `, "cases": {"gap": 5, "milestones": [90], "colour": 1}`, "colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := schemas.Load(template(tt.extra))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Load() = %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Load() = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

// TestFlagWordedOnceAcrossTemplates: the queue filters by a flag code
// across templates under one label, so a code two templates raise must
// read the same in both.
func TestFlagWordedOnceAcrossTemplates(t *testing.T) {
	files := func(label2 string) fstest.MapFS {
		fs := fstest.MapFS{}
		for _, v := range []struct{ version, label string }{{"1.0", "Tidig"}, {"1.1", label2}} {
			fs["aa/"+v.version+"/template.json"] = &fstest.MapFile{Data: []byte(`{"template": "aa", "version": "` + v.version + `", "formNumber": "A", "validFrom": "2027-01-01",
				"title": {"sv": "A", "en": "A"}, "issuerRoles": [{"value": "DOCTOR", "label": {"sv": "Läkare"}}], "rules": [], "derive": {"sickLeave": {"field": "p"}},
				"cases": {"gap": 5, "milestones": [90]},
				"attention": [{"code": "early", "kind": "startsBeforeSigning", "days": 7, "text": {"sv": "Mer än %v dagar."}, "label": {"sv": "` + v.label + `"}}]}`)}
			fs["aa/"+v.version+"/schema.json"] = &fstest.MapFile{Data: []byte(`{}`)}
			fs["aa/"+v.version+"/form.json"] = &fstest.MapFile{Data: []byte(`{"sections": [{"id": "s", "title": {"sv": "S"}, "questions": [
				{"id": "1", "field": "p", "widget": "periods", "label": {"sv": "P"}, "options": [{"value": 100, "label": {"sv": "100"}}]}]}]}`)}
		}
		return fs
	}
	if _, err := schemas.Load(files("Tidig")); err != nil {
		t.Errorf("Load() = %v, want two versions wording the flag alike to load", err)
	}
	if _, err := schemas.Load(files("Tidig start")); err == nil || !strings.Contains(err.Error(), "flag early is worded differently") {
		t.Errorf("Load() = %v, want the flag worded two ways refused", err)
	}
}

func TestCasesDeclared(t *testing.T) {
	reg := schemas.MustLoadEmbedded()
	for _, tt := range []struct {
		template, version string
		counts            bool
	}{{"fk7804", "2.0", true}, {"fk7810", "1.0", false}} {
		tmpl, _ := reg.Lookup(tt.template, tt.version)
		if got := tmpl.Cases != nil; got != tt.counts {
			t.Errorf("%s counts toward cases = %v, want %v", tt.template, got, tt.counts)
		}
	}
}

// TestEveryQuestionWorded checks that every embedded template gives each
// question with an agency id a Swedish and English label and help text,
// and every option and item both labels: physicians and caseworkers read
// them in either language.
func TestEveryQuestionWorded(t *testing.T) {
	reg, err := schemas.Load(schemas.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	for _, tmpl := range reg.All() {
		for _, q := range tmpl.Form.Questions() {
			name := tmpl.ID + "/" + tmpl.Version + " question " + q.ID
			if q.Label.SV == "" || q.Label.EN == "" {
				t.Errorf("%s: label missing a language: %+v", name, q.Label)
			}
			if q.ID != "" && (q.Help == nil || q.Help.SV == "" || q.Help.EN == "") {
				t.Errorf("%s (%s): help text missing a language", name, q.Field)
			}
			for _, o := range q.Options {
				if o.Label.SV == "" || o.Label.EN == "" {
					t.Errorf("%s: option %v: label missing a language", name, o.Value)
				}
			}
			for _, it := range q.Items {
				if it.Label.SV == "" || it.Label.EN == "" {
					t.Errorf("%s: item %s: label missing a language", name, it.Field)
				}
			}
		}
	}
}

// TestIssuerRoles: the roles a physician's account may have are those the
// templates let sign, each once.
func TestIssuerRoles(t *testing.T) {
	var got []string
	for _, r := range schemas.MustLoadEmbedded().IssuerRoles() {
		got = append(got, r.Value+" "+r.Label.SV)
	}
	if want := []string{"DOCTOR Läkare", "PRIVATE_DOCTOR Privatpraktiserande läkare", "DENTIST Tandläkare"}; !slices.Equal(got, want) {
		t.Errorf("IssuerRoles() = %q, want %q", got, want)
	}
}
