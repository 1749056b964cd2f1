package intake

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TestNFCFastPath checks what cleanString assumes: text of characters below
// U+0300 is in NFC, each alone and beside any other of them, and text with
// other characters is normalised.
func TestNFCFastPath(t *testing.T) {
	for r := rune(0); r < 0x300; r++ {
		props := norm.NFC.PropertiesString(string(r))
		if props.CCC() != 0 || !props.BoundaryBefore() || !norm.NFC.IsNormalString(string(r)) {
			t.Errorf("U+%04X is not stable under NFC", r)
		}
		for s := rune(0); s < 0x300; s++ {
			if p := string([]rune{r, s}); !norm.NFC.IsNormalString(p) {
				t.Errorf("U+%04X U+%04X is not in NFC", r, s)
			}
		}
	}
	for _, s := range []string{"Åäö", "A\u030a", "e\u0301 ", " \u212b", "Å\u0300", "ǅ", "ß", "\u00c5\u0327"} {
		if got, want := cleanString(s), norm.NFC.String(strings.TrimSpace(s)); got != want {
			t.Errorf("cleanString(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestCleanTextControl checks what Intake assumes when it skips the control
// walk: cleanText reports a possible control character whenever the cleaned
// text holds one, for every ASCII character at the start, middle and end of
// Swedish, accented and other text (the normaliser's path included).
func TestCleanTextControl(t *testing.T) {
	for c := range 0x80 {
		for _, text := range []string{"a", "Åsa", "e\u0301", "日本", "\u0301"} {
			for _, s := range []string{string(rune(c)) + text, text + string(rune(c)) + text, text + string(rune(c))} {
				got, control := cleanText(s)
				if ps := controlProblems(got, nil); len(ps) > 0 && !control {
					t.Errorf("cleanText(%q) = %q, false; it holds a control character", s, got)
				}
			}
		}
	}
}

// TestCountValidUTF8 compares countValidUTF8 with utf8.RuneCountInString
// on valid text of one- to four-byte characters at every length and offset
// around its eight-byte steps.
func TestCountValidUTF8(t *testing.T) {
	text := "aå€😀Åsa läkare, 日本\u0301 "
	for i := 0; i < len(text); i++ {
		for j := i; j <= len(text); j++ {
			s := strings.Repeat(text, 3)[i : j+2*len(text)]
			if !utf8.ValidString(s) {
				continue
			}
			if got, want := countValidUTF8(s), utf8.RuneCountInString(s); got != want {
				t.Fatalf("countValidUTF8(%q) = %d, want %d", s, got, want)
			}
		}
	}
}
