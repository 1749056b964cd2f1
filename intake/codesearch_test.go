package intake_test

import (
	"testing"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

func TestCodeSearch(t *testing.T) {
	icd, err := intake.LoadICD10SE(schemas.ICD10SE())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q     string
		want  string // a code among the results
		first string // the first result, when it matters
	}{
		{"F32", "F32.1", "F32"},
		{"f321", "F32.1", "F32.1"},
		{"F32.1", "F32.1", "F32.1"},
		{"depression", "F32.1", ""},
		{"Depression medelsvår", "F32.1", ""},
		{"utmattning", "F43.8A", ""},
		{"UTMATTNINGSSYNDROM", "F43.8A", "F43.8A"},
		{"varmeutmattning", "T67.3", ""}, // no accents typed
		{"ryggvärk", "", ""},
	}
	for _, tt := range tests {
		got := icd.Search(tt.q, 20)
		found := tt.want == ""
		for _, m := range got {
			found = found || m.Code == tt.want
			if m.Title == "" {
				t.Errorf("Search(%q): %s has no title", tt.q, m.Code)
			}
		}
		if !found {
			t.Errorf("Search(%q) = %v, want %s among them", tt.q, got, tt.want)
		}
		if tt.first != "" && (len(got) == 0 || got[0].Code != tt.first) {
			t.Errorf("Search(%q) first = %v, want %s", tt.q, got, tt.first)
		}
	}
	if got := icd.Search("", 20); len(got) != 0 {
		t.Errorf("empty query found %v", got)
	}
}

func BenchmarkCodeSearch(b *testing.B) {
	icd, _ := intake.LoadICD10SE(schemas.ICD10SE())
	icd.Search("warm", 1)
	for _, q := range []string{"depression", "F32"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				icd.Search(q, 20)
			}
		})
	}
}
