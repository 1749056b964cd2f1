package intake_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// TestEmbeddedTemplatesCompile checks every embedded template: it loads,
// its schema and rules compile, and its form asks every answers field of the
// schema exactly once, with the schema's options.
func TestEmbeddedTemplatesCompile(t *testing.T) {
	eng := mustEngine(t)
	for _, tmpl := range eng.Registry().All() {
		t.Run(tmpl.Key(), func(t *testing.T) {
			props := answersProperties(t, tmpl)
			var asked []string
			for _, q := range tmpl.Form.Questions() {
				asked = append(asked, q.Field)
				if q.ID == "" {
					t.Errorf("question %s has no agency question id", q.Field)
				}
				if q.Label.EN == "" {
					t.Errorf("question %s has no English label", q.Field)
				}
				if enum := enumOf(props[q.Field]); enum != nil && len(q.Options) > 0 {
					var opts []string
					for _, o := range q.Options {
						opts = append(opts, jsonString(t, o.Value))
					}
					sort.Strings(opts)
					if diff := cmp.Diff(enum, opts); diff != "" {
						t.Errorf("question %s options differ from the schema (-schema +form):\n%s", q.Field, diff)
					}
				}
			}
			if ec := tmpl.EmployerCopy; ec != nil {
				for _, f := range ec.Fields {
					if props[f] == nil {
						t.Errorf("employer copy names %s, which answers does not have", f)
					}
				}
			}
			var want []string
			for p := range props {
				want = append(want, p)
			}
			sort.Strings(want)
			sort.Strings(asked)
			if diff := cmp.Diff(want, asked); diff != "" {
				t.Errorf("form fields differ from schema answers properties (-schema +form):\n%s", diff)
			}
		})
	}
}

// TestNewTemplateFolderNeedsNoCode loads a template folder this program has
// never seen, written by the test, and uses it end to end: schema, every
// rule kind, and normalisation.
func TestNewTemplateFolderNeedsNoCode(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "xx0001", "1.0")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"template.json": `{
  "template": "xx0001", "version": "1.0", "formNumber": "XX 1", "validFrom": "2027-01-01",
  "title": {"sv": "Provintyg", "en": "Test certificate"}, "agency": "Test",
  "issuerRoles": [{"value": "MIDWIFE", "label": {"sv": "Barnmorska", "en": "Midwife"}}],
  "derive": {"diagnoses": {"field": "dx", "list": "icd10se"}, "sickLeave": {"field": "leave"}},
  "rules": [
    {"rule": "required", "fields": ["/answers/why"], "when": {"field": "/answers/kind", "equals": "OTHER"}},
    {"rule": "forbidden", "fields": ["/answers/why"], "when": {"not": {"field": "/answers/kind", "equals": "OTHER"}}},
    {"rule": "forbidden", "fields": ["/answers/why"], "when": {"field": "/answers/seen", "present": true}, "severity": "warning"},
    {"rule": "unique", "field": "/answers/spans", "key": "level"},
    {"rule": "dateOrder", "field": "/answers/spans", "from": "start", "to": "end"},
    {"rule": "noOverlap", "field": "/answers/spans", "from": "start", "to": "end"},
    {"rule": "dateLimit", "field": "/answers/seen", "maxDays": 0},
    {"rule": "dateNotAfter", "field": "/answers/seen", "than": "/answers/spans/*/start", "where": {"field": "/level", "equals": 2}},
    {"rule": "codeList", "field": "/answers/dx/*/code", "list": "icd10se", "minLength": [{"prefix": "M", "length": 4}]}
  ]
}`,
		"schema.json": `{
  "type": "object", "additionalProperties": false,
  "required": ["template", "version", "patient", "issuer", "signedAt", "answers"],
  "properties": {
    "template": {"const": "xx0001"}, "version": {"const": "1.0"},
    "patient": {"type": "object"}, "issuer": {"type": "object"},
    "signedAt": {"type": "string", "format": "date-time"},
    "answers": {"type": "object", "additionalProperties": false, "required": ["kind", "dx"], "properties": {
      "kind": {"enum": ["A", "OTHER"]}, "why": {"type": "string", "maxLength": 10},
      "seen": {"type": "string", "format": "date"},
      "dx": {"type": "array", "items": {"type": "object", "properties": {"code": {"type": "string"}, "description": {"type": "string"}}}},
      "spans": {"type": "array", "items": {"type": "object", "properties": {"level": {"enum": [1, 2]}, "start": {"type": "string", "format": "date"}, "end": {"type": "string", "format": "date"}}}},
      "leave": {"type": "array", "items": {"type": "object", "required": ["degree", "from", "to"], "properties": {"degree": {"type": "integer"}, "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"}}}}
    }}
  }
}`,
		"form.json": `{"sections": [{"id": "a", "title": {"sv": "A", "en": "A"}, "questions": [
  {"id": "1", "field": "kind", "widget": "radio", "label": {"sv": "Typ", "en": "Kind"}, "options": [{"value": "A", "label": {"sv": "A", "en": "A"}}, {"value": "OTHER", "label": {"sv": "Annat", "en": "Other"}}]},
  {"id": "1.1", "field": "why", "widget": "text", "label": {"sv": "Varför", "en": "Why"}, "dependsOn": {"field": "/answers/kind", "equals": "OTHER"}},
  {"id": "2", "field": "seen", "widget": "date", "label": {"sv": "Sedd", "en": "Seen"}},
  {"id": "3", "field": "dx", "widget": "diagnoses", "label": {"sv": "Diagnos", "en": "Diagnosis"}, "maxItems": 2, "items": [
    {"field": "code", "widget": "text", "label": {"sv": "Kod", "en": "Code"}},
    {"field": "description", "widget": "text", "label": {"sv": "Beskrivning", "en": "Description"}}]},
  {"id": "4", "field": "spans", "widget": "group", "label": {"sv": "Spann", "en": "Spans"}, "items": [
    {"field": "level", "widget": "integer", "label": {"sv": "Nivå", "en": "Level"}}]},
  {"id": "5", "field": "leave", "widget": "periods", "label": {"sv": "Ledighet", "en": "Leave"}, "options": [
    {"value": 100, "label": {"sv": "Helt", "en": "Full"}}, {"value": 40, "label": {"sv": "40 procent", "en": "40 per cent"}}]}
]}]}`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(folder, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := schemas.Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	icd, err := intake.LoadICD10SE(schemas.ICD10SE())
	if err != nil {
		t.Fatal(err)
	}
	eng, err := intake.NewEngine(reg, icd, 0)
	if err != nil {
		t.Fatal(err)
	}
	envelope := `{"template": "xx0001", "version": "1.0", "patient": {"id": "191212121212", "name": "T"}, "issuer": {"hsaId": "SE2321000016-1003", "name": "L", "role": %q, "unit": {"hsaId": "SE2321000016-7P0C", "name": "U", "address": "A", "postalCode": "11459", "city": "C", "phone": "1"}}, "signedAt": "2026-11-20T10:00:00Z", "answers": %s}`
	tests := []struct {
		name    string
		role    string
		answers string
		want    []string
	}{
		{"valid", "MIDWIFE", `{"kind": "OTHER", "why": "x", "seen": "2026-11-03", "dx": [{"code": "m545", "description": "Ryggont"}], "spans": [{"level": 1, "start": "2026-11-01", "end": "2026-11-02"}, {"level": 2, "start": "2026-11-03", "end": "2026-11-03"}], "leave": [{"degree": 40, "from": "2026-11-20", "to": "2026-11-29"}, {"degree": 100, "from": "2026-11-30", "to": "2026-12-01"}]}`, nil},
		{"every rule broken", "MIDWIFE", `{"kind": "A", "why": "x", "seen": "2026-11-21", "dx": [{"code": "M54"}, {"code": "Q99.99"}], "spans": [{"level": 1, "start": "2026-11-05", "end": "2026-11-02"}, {"level": 1, "start": "2026-11-01", "end": "2026-11-03"}, {"level": 2, "start": "2026-11-03", "end": "2026-11-04"}]}`,
			[]string{"/answers/dx/0/code codeTooShort", "/answers/dx/1/code unknownCode", "/answers/seen dateAfter", "/answers/seen dateInFuture", "/answers/spans/0/end dateBeforeStart", "/answers/spans/1/level duplicate", "/answers/spans/2/start overlap", "/answers/why notAllowed"}},
		{"required when", "MIDWIFE", `{"kind": "OTHER", "dx": [{"code": "M54.5"}]}`, []string{"/answers/why required"}},
		// A forbidden rule that only warns does not excuse a required field.
		{"required when a warning forbids it", "MIDWIFE", `{"kind": "OTHER", "seen": "2026-11-03", "dx": [{"code": "M54.5"}]}`, []string{"/answers/why required"}},
		// The schema says nothing of roles and degrees; the derive block does.
		{"role and degree not the template's", "DOCTOR", `{"kind": "A", "dx": [{"code": "M54.5"}], "leave": [{"degree": 50, "from": "2026-11-20", "to": "2026-11-29"}]}`,
			[]string{"/answers/leave/0/degree enum", "/issuer/role enum"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, err := eng.Intake([]byte(sprintf(envelope, tt.role, tt.answers)), testNow)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Intake() = %v, want valid", err)
				}
				if got := cert.Diagnoses[0].Code; got != "M54.5" {
					t.Errorf("diagnosis code = %q, want M54.5", got)
				}
				if cert.Issuer.Role != "MIDWIFE" {
					t.Errorf("issuer role = %q, want MIDWIFE", cert.Issuer.Role)
				}
				sl := cert.SickLeave
				if sl == nil || len(sl.Periods) != 2 || sl.Periods[0].Degree != 40 || sl.TotalDays != 12 || sl.NetDays != 6 || sl.DaysByDegree["40"] != 10 {
					t.Errorf("sick leave = %+v, want 40 %% for 10 days and 100 %% for 2 (12 days, 6 net)", sl)
				}
				return
			}
			if diff := cmp.Diff(tt.want, codes(intake.ErrorProblems(err))); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBrokenTemplatesAreRefused(t *testing.T) {
	icd, err := intake.LoadICD10SE(schemas.ICD10SE())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		rules  string
		derive string
	}{
		{"unknown rule kind", `[{"rule": "sometimes", "field": "/answers/a"}]`, `{}`},
		{"required without fields", `[{"rule": "required"}]`, `{}`},
		{"unknown code list", `[{"rule": "codeList", "field": "/answers/a", "list": "icd9"}]`, `{}`},
		{"condition with two tests", `[{"rule": "required", "fields": ["/answers/a"], "when": {"field": "/answers/b", "equals": 1, "in": [1]}}]`, `{}`},
		{"pointer without slash", `[{"rule": "unique", "field": "answers/a"}]`, `{}`},
		{"bad severity", `[{"rule": "unique", "field": "/answers/a", "severity": "info"}]`, `{}`},
		{"code without a message", `[{"rule": "unique", "field": "/answers/a", "code": "noSuchMessage"}]`, `{}`},
		{"dateNotAfter without than", `[{"rule": "dateNotAfter", "field": "/answers/a"}]`, `{}`},
		{"dateNotAfter than an array", `[{"rule": "dateNotAfter", "field": "/answers/a", "than": "/answers/b/*"}]`, `{}`},
		{"than that is no pointer", `[{"rule": "unique", "field": "/answers/a", "than": "b"}]`, `{}`},
		{"dateNotAfter with a broken where", `[{"rule": "dateNotAfter", "field": "/answers/a", "than": "/answers/b/*/date", "where": {"field": "/type"}}]`, `{}`},
		{"derived diagnoses from an unknown code list", `[]`, `{"diagnoses": {"field": "dx", "list": "icd9"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			folder := filepath.Join(dir, "yy", "1.0")
			os.MkdirAll(folder, 0o755)
			os.WriteFile(filepath.Join(folder, "template.json"), []byte(`{"template": "yy", "version": "1.0", "formNumber": "Y", "validFrom": "2027-01-01", "title": {"sv": "Y", "en": "Y"}, "issuerRoles": [{"value": "DOCTOR", "label": {"sv": "Läkare"}}], "derive": `+tt.derive+`, "rules": `+tt.rules+`}`), 0o644)
			os.WriteFile(filepath.Join(folder, "schema.json"), []byte(`{"type": "object", "properties": {"answers": {"type": "object", "properties": {"a": {"type": "string"},
  "b": {"type": "array", "items": {"type": "object", "properties": {"type": {"type": "string"}, "date": {"type": "string"}}}},
  "dx": {"type": "array", "items": {"type": "object", "properties": {"code": {"type": "string"}, "description": {"type": "string"}}}}}}}}`), 0o644)
			os.WriteFile(filepath.Join(folder, "form.json"), []byte(`{"sections": [{"id": "a", "title": {"sv": "A", "en": "A"}, "questions": [{"id": "1", "field": "a", "widget": "text", "label": {"sv": "A", "en": "A"}},
  {"id": "2", "field": "dx", "widget": "diagnoses", "label": {"sv": "D"}, "items": [{"field": "code", "widget": "text", "label": {"sv": "K"}}]}]}]}`), 0o644)
			reg, err := schemas.Load(os.DirFS(dir))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := intake.NewEngine(reg, icd, 0); err == nil {
				t.Error("NewEngine() = nil error, want the broken rule refused")
			}
		})
	}
}

// answersProperties returns the schema of each property of answers.
func answersProperties(tb testing.TB, tmpl *schemas.Template) map[string]map[string]any {
	tb.Helper()
	var s struct {
		Properties struct {
			Answers struct {
				Properties map[string]map[string]any `json:"properties"`
			} `json:"answers"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(tmpl.Schema, &s); err != nil {
		tb.Fatal(err)
	}
	return s.Properties.Answers.Properties
}

// enumOf returns the sorted enum of a property, of its array items, or of
// the one enumerated property of its items (basis type, area).
func enumOf(prop map[string]any) []string {
	if items, ok := prop["items"].(map[string]any); ok {
		prop = items
	}
	if props, ok := prop["properties"].(map[string]any); ok {
		var enums []map[string]any
		for _, p := range props {
			if p, ok := p.(map[string]any); ok && p["enum"] != nil {
				enums = append(enums, p)
			}
		}
		if len(enums) != 1 {
			return nil
		}
		prop = enums[0]
	}
	enum, ok := prop["enum"].([]any)
	if !ok {
		return nil
	}
	var out []string
	for _, v := range enum {
		out = append(out, fmt.Sprint(v))
	}
	sort.Strings(out)
	return out
}

func jsonString(tb testing.TB, v any) string {
	tb.Helper()
	switch v.(type) {
	case string, float64:
		return fmt.Sprint(v)
	}
	tb.Fatalf("option value %v is neither string nor number", v)
	return ""
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// TestTemplateMistakesRefused builds engines from copies of real templates,
// each with one mistake a template review found went unnoticed: a pointer
// of a rule, condition or question that names nothing in the schema, and a
// form that disagrees with the schema. NewEngine must refuse each, naming
// the template version, the rule or question, and the place.
func TestTemplateMistakesRefused(t *testing.T) {
	tests := []struct {
		name  string
		key   string
		edits map[string]any
		want  []string // in the error
	}{
		{"required field", "fk7804/2.0", map[string]any{"template.json#/rules/0/fields/0": "/answers/basiss"},
			[]string{"rule 1 (required)", "/answers/basiss"}},
		{"forbidden field", "fk7804/2.0", map[string]any{"template.json#/rules/1/fields/16": "/answers/adjustedDutie"},
			[]string{"rule 2 (forbidden)", "/answers/adjustedDutie"}},
		{"when condition", "fk7804/2.0", map[string]any{"template.json#/rules/0/when/not/field": "/answers/infectionKontroll"},
			[]string{"rule 1 (required): when", "/answers/infectionKontroll"}},
		{"condition inside allOf", "fk7804/2.0", map[string]any{"template.json#/rules/14/when/allOf/0/field": "/answers/sickLeave/*/grad"},
			[]string{"rule 15 (required): when", "/answers/sickLeave/*/grad"}},
		{"dateLimit field", "fk7804/2.0", map[string]any{"template.json#/rules/3/field": "/answers/basis/*/datum"},
			[]string{"rule 4 (dateLimit)", "/answers/basis/*/datum"}},
		{"codeList field", "fk7804/2.0", map[string]any{"template.json#/rules/9/field": "/answers/diagnoses/*/kod"},
			[]string{"rule 10 (codeList)", "/answers/diagnoses/*/kod"}},
		{"unique key", "fk7804/2.0", map[string]any{"template.json#/rules/10/key": "grad"},
			[]string{"rule 11 (unique)", "/answers/sickLeave/*/grad"}},
		{"dateOrder to", "fk7804/2.0", map[string]any{"template.json#/rules/11/to": "tu"},
			[]string{"rule 12 (dateOrder)", "/answers/sickLeave/*/tu"}},
		{"noOverlap from", "fk7804/2.0", map[string]any{"template.json#/rules/12/from": "start"},
			[]string{"rule 13 (noOverlap)", "/answers/sickLeave/*/start"}},
		{"dateNotAfter than", "fk7800/1.0", map[string]any{"template.json#/rules/5/than": "/answers/basis/*/datum"},
			[]string{"rule 6 (dateNotAfter)", "/answers/basis/*/datum"}},
		{"dateNotAfter where", "fk7800/1.0", map[string]any{"template.json#/rules/5/where/field": "/typ"},
			[]string{"rule 6 (dateNotAfter): where", "/typ"}},
		{"cases exclude", "fk7804/2.0", map[string]any{"template.json#/cases/exclude/field": "/answers/infectionKontroll"},
			[]string{"cases: exclude", "/answers/infectionKontroll"}},
		{"question dependsOn", "fk7800/1.0", map[string]any{"form.json#/sections/0/questions/1/dependsOn/field": "/answers/basis/*/typ"},
			[]string{"question 1.3 (field basisOtherDescription): dependsOn", "/answers/basis/*/typ"}},
		{"form field not in the schema", "fk7804/2.0", map[string]any{"form.json#/sections/5/questions/0/field": "treatmnt"},
			[]string{"question 19 (field treatmnt)", "no such property"}},
		{"item not in the schema", "fk7804/2.0", map[string]any{"form.json#/sections/3/questions/0/items/0/field": "kod"},
			[]string{"question 6 (field diagnoses)", "item kod"}},
		{"option not in the enum", "fk7804/2.0", map[string]any{"form.json#/sections/2/questions/0/options/3/value": "STUDIES"},
			[]string{"question 28 (field occupation)", "option STUDIES"}},
		{"degree not in the enum", "fk7804/2.0", map[string]any{"form.json#/sections/6/questions/0/options/3/value": 30},
			[]string{"question 32 (field sickLeave)", "option 30"}},
		{"yes/no widget on a string", "fk7804/2.0", map[string]any{"form.json#/sections/5/questions/0/widget": "yesNo"},
			[]string{"question 19 (field treatment)", "widget yesNo gives boolean", "type string"}},
		{"date widget on a boolean", "fk7804/2.0", map[string]any{"form.json#/sections/0/questions/0/widget": "date"},
			[]string{"question 27 (field infectionControl)", "widget date gives string", "type boolean"}},
		{"employer copy field", "fk7804/2.0", map[string]any{"template.json#/employerCopy/fields/0": "infectionKontroll"},
			[]string{"employerCopy", "infectionKontroll"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := brokenCopy(t, tt.key, tt.edits)
			if err == nil {
				t.Fatal("NewEngine() = nil error, want the mistake refused")
			}
			for _, w := range append([]string{"template " + tt.key}, tt.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("NewEngine() = %v, want an error naming %q", err, w)
				}
			}
		})
	}
	for _, key := range []string{"fk7800/1.0", "fk7804/2.0"} {
		if _, err := brokenCopy(t, key, nil); err != nil {
			t.Errorf("%s unchanged: NewEngine() = %v, want no error", key, err)
		}
	}
}

// TestPeriodsInOrderWithoutARule: a template that derives sick leave from
// its periods but declares no dateOrder rule on them still has a period
// that ends before it starts refused at its "to" (it had passed Validate
// and failed Normalize's invariants, an internal error).
func TestPeriodsInOrderWithoutARule(t *testing.T) {
	eng, err := brokenCopy(t, "fk7804/2.0", map[string]any{
		"template.json#/rules/11": map[string]any{"rule": "unique", "field": "/answers/sickLeave", "key": "degree"},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = eng.Intake(mutate(t, baseFK7804, map[string]any{"/answers/sickLeave/1/to": "2026-12-03"}), testNow)
	if got := intake.ErrorCode(err); got != intake.EINVALID {
		t.Fatalf("Intake() = %v (%s), want %s", err, got, intake.EINVALID)
	}
	if diff := cmp.Diff([]string{"/answers/sickLeave/1/to dateBeforeStart"}, codes(intake.ErrorProblems(err))); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
}

// brokenCopy builds an engine from a copy of the embedded template version
// key with values replaced: each edit's key is a file of the folder and a
// pointer into it ("template.json#/rules/11/to"), which must name a value.
// It returns the error of schemas.Load or NewEngine.
func brokenCopy(tb testing.TB, key string, edits map[string]any) (*intake.Engine, error) {
	tb.Helper()
	docs := map[string]any{}
	for _, name := range []string{"template.json", "schema.json", "form.json"} {
		b, err := fs.ReadFile(schemas.Embedded(), key+"/"+name)
		if err != nil {
			tb.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(b, &doc); err != nil {
			tb.Fatal(err)
		}
		docs[name] = doc
	}
	for place, v := range edits {
		name, ptr, _ := strings.Cut(place, "#")
		p := intake.MustParsePointer(ptr)
		if len(p.Resolve(docs[name])) != 1 {
			tb.Fatalf("%s names no value of %s", place, key)
		}
		p.Set(docs[name], v)
	}
	files := fstest.MapFS{}
	for name, doc := range docs {
		b, err := json.Marshal(doc)
		if err != nil {
			tb.Fatal(err)
		}
		files[key+"/"+name] = &fstest.MapFile{Data: b}
	}
	reg, err := schemas.Load(files)
	if err != nil {
		return nil, err
	}
	icd, err := intake.LoadICD10SE(schemas.ICD10SE())
	if err != nil {
		tb.Fatal(err)
	}
	return intake.NewEngine(reg, icd, 0)
}
