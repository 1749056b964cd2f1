package intake_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/intyg/intyg/intake"
)

// TestTextsDeclaredByTheTemplate: a template may word a flag code and a
// rule code of its own (a new template is a folder, not Go code), with
// %v for the value, and "%" elsewhere in the sentence kept as written.
func TestTextsDeclaredByTheTemplate(t *testing.T) {
	text := func(sv, en string) map[string]any { return map[string]any{"sv": sv, "en": en} }
	eng, err := brokenCopy(t, "fk7804/2.0", map[string]any{
		"template.json#/attention/0": map[string]any{
			"code": "veryEarlyStart", "kind": "startsBeforeSigning", "days": 3,
			"text":  text("En period på 100 % börjar mer än %v dagar före intygets datum.", "A period at 100 % starts more than %v days before the certificate's date."),
			"label": text("Mycket tidig start", "Very early start"),
		},
		"template.json#/rules/13": map[string]any{
			"rule": "dateLimit", "field": "/answers/sickLeave/*/from", "minDays": -3, "severity": "warning", "code": "startsEarly",
			"message": text("Perioden börjar tidigt (%v).", "The period starts early (%v)."),
		},
	})
	if err != nil {
		t.Fatalf("NewEngine() = %v, want the declared texts taken", err)
	}
	c, err := eng.Intake(mutate(t, baseFK7804, map[string]any{"/answers/sickLeave/0/from": "2026-11-15"}), testNow)
	if err != nil {
		t.Fatal(err)
	}
	flags := eng.Flags(c, nil)
	if len(flags) != 1 || flags[0].Code != "veryEarlyStart" ||
		flags[0].Message != "En period på 100 % börjar mer än 3 dagar före intygets datum." ||
		flags[0].MessageEn != "A period at 100 % starts more than 3 days before the certificate's date." {
		t.Errorf("Flags() = %+v, want veryEarlyStart worded as the template declares", flags)
	}
	if len(c.Warnings) != 1 || c.Warnings[0].Code != "startsEarly" ||
		!strings.HasPrefix(c.Warnings[0].Message, "Perioden börjar tidigt (") || strings.Contains(c.Warnings[0].Message, "%v") ||
		!strings.HasPrefix(c.Warnings[0].MessageEn, "The period starts early (") {
		t.Errorf("warnings = %+v, want startsEarly worded as the template declares, its value filled in", c.Warnings)
	}
	for _, tmpl := range eng.Registry().All() {
		if got := intake.FlagName(tmpl.Attention[0], "sv"); got != "Mycket tidig start" {
			t.Errorf("FlagName() = %q, want the template's label", got)
		}
		if got := intake.FlagName(tmpl.Attention[1], "en"); got != "Overlaps another unit" {
			t.Errorf("FlagName() = %q, want the catalogue's label for a code the template does not word", got)
		}
	}
}

// TestDeclaredTextMistakesRefused: a declared text that could not be
// shown as meant stops the templates from loading.
func TestDeclaredTextMistakesRefused(t *testing.T) {
	flag := func(extra map[string]any) map[string]any {
		f := map[string]any{"code": "veryEarlyStart", "kind": "startsBeforeSigning", "days": 3}
		maps.Copy(f, extra)
		return f
	}
	good := map[string]any{"sv": "Mer än %v dagar.", "en": "More than %v days."}
	label := map[string]any{"sv": "Tidig", "en": "Early"}
	rule := func(extra map[string]any) map[string]any {
		r := map[string]any{"rule": "dateLimit", "field": "/answers/sickLeave/*/from", "minDays": -3, "severity": "warning"}
		maps.Copy(r, extra)
		return r
	}
	tests := []struct {
		name  string
		edits map[string]any
		want  string
	}{
		{"a new flag code without words", map[string]any{"template.json#/attention/0": flag(nil)}, "veryEarlyStart needs a text and a label"},
		{"a text without a label", map[string]any{"template.json#/attention/0": flag(map[string]any{"text": good})}, "declare both text and label"},
		{"no Swedish", map[string]any{"template.json#/attention/0": flag(map[string]any{"text": map[string]any{"en": "Early."}, "label": label})}, "sv is required"},
		{"the value twice", map[string]any{"template.json#/attention/0": flag(map[string]any{"text": map[string]any{"sv": "%v och %v"}, "label": label})}, "%v may stand for the value once"},
		{"a value in a label", map[string]any{"template.json#/attention/0": flag(map[string]any{"text": good, "label": map[string]any{"sv": "Tidig %v"}})}, "label"},
		{"a rule code without words", map[string]any{"template.json#/rules/13": rule(map[string]any{"code": "startsEarly"})}, `code "startsEarly" has no message`},
		{"a rule message without a code", map[string]any{"template.json#/rules/13": rule(map[string]any{"message": good})}, "needs a code of its own"},
		{"a rule message with the value twice", map[string]any{"template.json#/rules/13": rule(map[string]any{"code": "startsEarly", "message": map[string]any{"sv": "%v %v"}})}, "%v may stand for the value once"},
		// A kind with no value would fill %v with "<nil>".
		{"a flag's value where its kind has none", map[string]any{"template.json#/attention/6": map[string]any{
			"code": "notExamined", "kind": "noneOfOptions", "field": "basis", "values": []any{"FYSISKUNDERSOKNING"},
			"text": map[string]any{"sv": "Inte undersökt (%v)."}, "label": label,
		}}, "%v may stand for the value once"},
		{"a rule's value where its kind has none", map[string]any{"template.json#/rules/13": map[string]any{
			"rule": "required", "fields": []any{"/answers/basis"}, "code": "basisMissing", "message": map[string]any{"sv": "Grund saknas (%v)."},
		}}, "%v may stand for the value once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := brokenCopy(t, "fk7804/2.0", tt.edits)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("loading = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}
