package intake

import (
	"strings"
	"testing"
)

// TestCatalogueHasBothLanguages: every text of the catalogue has a Swedish
// and an English wording, and both fill the same number of values, so that
// a refusal names its limit or id whichever language the reader asks for.
func TestCatalogueHasBothLanguages(t *testing.T) {
	for key, m := range messages {
		sv, en := strings.TrimSpace(m[0]), strings.TrimSpace(m[1])
		if sv == "" || en == "" {
			t.Errorf("%s: Swedish %q, English %q, want both", key, m[0], m[1])
		}
		if got, want := strings.Count(m[0], "%v"), strings.Count(m[1], "%v"); got != want {
			t.Errorf("%s: Swedish fills %d values, English %d", key, got, want)
		}
		if strings.Count(m[0], "%")-strings.Count(m[0], "%v") != strings.Count(m[1], "%")-strings.Count(m[1], "%v") {
			t.Errorf("%s: a verb other than %%v in %q or %q", key, m[0], m[1])
		}
	}
}

// TestFailureWordsItsKey: an error made with Failure keeps English in its
// message (for logs and the commands) and reads in the caller's language,
// with its values, through ErrorText.
func TestFailureWordsItsKey(t *testing.T) {
	err := Failure(ENOTFOUND, "notFound.template", "fk7804", "9.9")
	tests := []struct {
		name, got, want string
	}{
		{"ErrorMessage", ErrorMessage(err), "There is no template fk7804 version 9.9."},
		{"ErrorText en", ErrorText(err, "en"), "There is no template fk7804 version 9.9."},
		{"ErrorText sv", ErrorText(err, "sv"), "Intygstypen fk7804 i version 9.9 finns inte."},
		{"ErrorText of InvalidError", ErrorText(InvalidError(Problems{NewProblem("/a", "required", "required", nil)}), "sv"), "Uppgiften måste fyllas i."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}
