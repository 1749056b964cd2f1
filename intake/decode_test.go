package intake_test

import (
	"fmt"
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
		{"array of 1,001 items", `{"answers": {"diagnoses": [` + repeatJoin(`{}`, 1001) + `]}}`, 0, intake.EMALFORMED, "array at /answers/diagnoses has more than 1000 items"},
		{"200,000 empty objects", `{"answers": {"diagnoses": [` + repeatJoin(`{}`, 200000) + `]}}`, 0, intake.EMALFORMED, "array at /answers/diagnoses has more than 1000 items"},
		{"nested array of 1,001 items", `{"a": [[], [` + repeatJoin(`0`, 1001) + `]]}`, 0, intake.EMALFORMED, "array at /a/1 has more than 1000 items"},
		{"10,001 values in objects", `{` + repeatMembers(10000) + `}`, 0, intake.EMALFORMED, "more than 10000 values (the limit was reached at /k9999)"},
		{"10,001 values in short arrays", `{"a": [` + repeatJoin(`[`+repeatJoin(`0`, 99)+`]`, 101) + `]}`, 0, intake.EMALFORMED, "more than 10000 values (the limit was reached at /a/99/97)"},
		{"million-digit number", `{"answers": {"sickLeave": [{"degree": 1` + strings.Repeat("0", 1000000) + `}]}}`, 0, intake.EMALFORMED, "number at /answers/sickLeave/0/degree is longer than 100 characters"},
		{"101-character number", `{"n": 1` + strings.Repeat("0", 100) + `}`, 0, intake.EMALFORMED, "number at /n is longer than 100"},
		{"exponent 1000", `{"n": 1e1000}`, 0, intake.EMALFORMED, "number at /n has an exponent beyond ±999"},
		{"exponent -999999", `{"a": [1E-999999]}`, 0, intake.EMALFORMED, "number at /a/0 has an exponent beyond ±999"},
		{"exponent with leading zeros", `{"n": 2e+0001000}`, 0, intake.EMALFORMED, "exponent beyond ±999"},
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

// TestDecodeAcceptsValuesAtTheLimits checks that the hostile-input limits
// refuse nothing at or under them: 1,000 items, 10,000 values, a number of
// 100 characters, exponents up to ±999 (1e999 decodes; the schema refuses it).
func TestDecodeAcceptsValuesAtTheLimits(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"1,000 items", `{"a": [` + repeatJoin(`{}`, 1000) + `]}`},
		{"10,000 values", `{` + repeatMembers(9999) + `}`},
		{"100-character number", `{"n": 1` + strings.Repeat("0", 99) + `}`},
		{"100-character fraction", `{"n": -0.` + strings.Repeat("1", 97) + `}`},
		{"1e999", `{"n": 1e999}`},
		{"1e-999", `{"n": 1E-999}`},
		{"exponent zeros", `{"n": 1e+000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000005}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := intake.Decode([]byte(tt.body), 0); err != nil {
				t.Errorf("Decode() = %v, want no error", err)
			}
		})
	}
}

// repeatJoin returns n copies of s separated by commas.
func repeatJoin(s string, n int) string {
	return strings.TrimSuffix(strings.Repeat(s+",", n), ",")
}

// repeatMembers returns n members "k0": 0, "k1": 0, ... of an object.
func repeatMembers(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d": 0`, i)
	}
	return b.String()
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
