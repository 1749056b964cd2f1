package render

import (
	_ "embed"
	"strings"

	"codeberg.org/go-pdf/fpdf"
)

// dejaVuSans is DejaVu Sans (Bitstream Vera licence, see
// fonts/DejaVu-LICENSE.txt): Latin with all its extensions, Greek,
// Cyrillic, and the punctuation and symbols certificates use.
//
//go:embed fonts/DejaVuSans.ttf
var dejaVuSans []byte

// fontRanges are the code points kept when the font is cut at start-up:
// everything a name or an answer in a European language needs, plus the
// check boxes.
var fontRanges = [][2]rune{
	{0x0020, 0x024F}, // Basic Latin, Latin-1, Latin Extended-A and -B
	{0x02B0, 0x02FF}, // spacing modifier letters
	{0x0300, 0x036F}, // combining diacritics
	{0x0370, 0x052F}, // Greek, Cyrillic
	{0x1E00, 0x1EFF}, // Latin Extended Additional (Vietnamese and more)
	{0x2000, 0x206F}, // general punctuation: dashes, curly quotes, bullets
	{0x20A0, 0x20BF}, // currency: €
	{0x2116, 0x2116}, // numero sign
	{0x2122, 0x2122}, // trade mark sign
	{0x2212, 0x2212}, // minus
	{0x2610, 0x2612}, // ballot boxes ☐ ☑ ☒
	{0x2713, 0x2717}, // check marks
	{0xFFFD, 0xFFFD}, // replacement character
}

// cutFont returns the embedded font cut to fontRanges. Rendering parses
// the font for every document (fpdf has no way to share a parsed font), so
// a font a fifth of the size makes every document cheaper; the cut is made
// once, by New.
func cutFont() []byte {
	var b strings.Builder
	for _, r := range fontRanges {
		for c := r[0]; c <= r[1]; c++ {
			b.WriteRune(c)
		}
	}
	return fpdf.UTF8CutFont(dejaVuSans, b.String())
}

// supported reports whether the cut font has a glyph for r.
func supported(r rune) bool {
	for _, rg := range fontRanges {
		if r >= rg[0] && r <= rg[1] {
			return true
		}
	}
	return r == '\n' || r == '\t'
}
