package intake_test

import (
	"strings"
	"testing"

	"github.com/intyg/intyg/intake"
)

func TestDecodeRefusesMalformedBodies(t *testing.T) {
	tests := []struct {
		name string
		body string
		max  int
		want string // error code
		msg  string // part of the message
	}{
		{"empty", ``, 0, intake.EMALFORMED, "ends too early"},
		{"not json", `hello`, 0, intake.EMALFORMED, "not valid JSON"},
		{"array", `[1,2]`, 0, intake.EMALFORMED, "must be a JSON object"},
		{"string", `"x"`, 0, intake.EMALFORMED, "must be a JSON object"},
		{"null", `null`, 0, intake.EMALFORMED, "must be a JSON object"},
		{"truncated", `{"a": [1, 2`, 0, intake.EMALFORMED, "not valid JSON"},
		{"trailing data", `{"a": 1} {"b": 2}`, 0, intake.EMALFORMED, "data after the JSON object"},
		{"trailing garbage", `{"a": 1} x`, 0, intake.EMALFORMED, "data after"},
		{"duplicate key", `{"a": 1, "a": 2}`, 0, intake.EMALFORMED, "/a appears twice"},
		{"nested duplicate key", `{"answers": {"x": {"y": 1, "y": 1}}}`, 0, intake.EMALFORMED, "/answers/x/y appears twice"},
		{"invalid utf-8", "{\"a\": \"\xff\xfe\"}", 0, intake.EMALFORMED, "not valid UTF-8"},
		{"byte-order mark", "\xef\xbb\xbf{}", 0, intake.EMALFORMED, "byte-order mark"},
		{"too deep", strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40), 0, intake.EMALFORMED, "nested deeper"},
		{"too deep arrays", `{"a":` + strings.Repeat(`[`, 40) + strings.Repeat(`]`, 40) + `}`, 0, intake.EMALFORMED, "nested deeper"},
		{"too large", `{"a": "` + strings.Repeat("x", 100) + `"}`, 50, intake.ETOOLARGE, "larger than 50 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := intake.Decode([]byte(tt.body), tt.max)
			if got := intake.ErrorCode(err); got != tt.want {
				t.Fatalf("Decode() code = %q (%v), want %q", got, err, tt.want)
			}
			if !strings.Contains(intake.ErrorMessage(err), tt.msg) {
				t.Errorf("Decode() message = %q, want it to contain %q", intake.ErrorMessage(err), tt.msg)
			}
		})
	}
}

func TestDecodeAcceptsObjects(t *testing.T) {
	doc, err := intake.Decode([]byte(` {"a": {"b": [1, 2.5, "x", true, null]}, "a/b~c": 1} `), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc) != 2 {
		t.Errorf("got %d members, want 2", len(doc))
	}
}

// TestFreeTextIsTrimmedAndNFC checks the contract's free-text rules: text is
// trimmed, stored in NFC, and its length counted in characters.
func TestFreeTextIsTrimmedAndNFC(t *testing.T) {
	eng := mustEngine(t)
	decomposed := "A\u030angstro\u0308m" // Å and ö written as base letter + combining mark
	b := mutate(t, baseFK7804, map[string]any{
		"/patient/name":      "  " + decomposed + "\n",
		"/answers/treatment": strings.Repeat("e\u0301", 4000), // 8000 code points, 4000 in NFC
	})
	cert, err := eng.Intake(b, testNow)
	if err != nil {
		t.Fatalf("Intake() = %v", err)
	}
	if got, want := cert.Patient.Name, "Ångström"; got != want {
		t.Errorf("name = %q, want %q", got, want)
	}
	if got := cert.Answers["treatment"].(string); got != strings.Repeat("é", 4000) {
		t.Errorf("treatment not in NFC: %d bytes", len(got))
	}
}
