package render

//go:generate go run ./internal/mkfonts

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/text/unicode/norm"
)

// fonts holds DejaVu Sans (Bitstream Vera licence, fonts/DejaVu-LICENSE.txt)
// as made by internal/mkfonts: one font file cut to the characters below
// (compressed), and an fpdf definition and character map per single-byte
// encoding. A document embeds a subset of the font file (subset.go).
//
//go:embed fonts/dejavu.z fonts/*.json fonts/*.map fonts/encodings.txt
var fonts embed.FS

// encoding is one single-byte font: its fpdf definition and which byte
// stands for each character.
type encoding struct {
	name string
	def  []byte
	code map[rune]byte
	// runes is the character of each byte.
	runes [256]rune
	// ascii is set when every printable ASCII character is its own byte.
	ascii bool
	// resource is the name fpdf gives the font in a page's resources.
	resource string
	// widths are the glyph advances in thousandths of the font size.
	widths [256]int
}

// loadFonts reads the embedded font file and the encodings in order of
// preference (fonts/encodings.txt): a run of text takes the first that has
// all its characters. The Windows and ISO code pages come first (Swedish
// and the other Western, Central European, Turkish, Baltic, Romanian,
// Cyrillic, Greek and Vietnamese alphabets, dashes, curly quotes, €), then
// extra encodings with every other character the font has in mkfonts'
// ranges (− ≤ ≥ → ☐ ☒ ✓ …).
func loadFonts() (*face, []encoding, error) {
	z, err := fonts.ReadFile("fonts/dejavu.z")
	if err != nil {
		return nil, nil, err
	}
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, nil, fmt.Errorf("render: font file: %w", err)
	}
	ttf, err := io.ReadAll(zr)
	if err != nil {
		return nil, nil, fmt.Errorf("render: font file: %w", err)
	}
	f, err := parseFace(ttf)
	if err != nil {
		return nil, nil, err
	}
	list, err := fonts.ReadFile("fonts/encodings.txt")
	if err != nil {
		return nil, nil, err
	}
	var encs []encoding
	for _, name := range strings.Fields(string(list)) {
		def, err := fonts.ReadFile("fonts/dejavu-" + name + ".json")
		if err != nil {
			return nil, nil, err
		}
		m, err := fonts.ReadFile("fonts/" + name + ".map")
		if err != nil {
			return nil, nil, err
		}
		e := encoding{name: name, def: def, code: map[rune]byte{}}
		if e.resource, err = resourceName(def); err != nil {
			return nil, nil, fmt.Errorf("render: font definition %s: %w", name, err)
		}
		var metrics struct{ Cw []int }
		if err := json.Unmarshal(def, &metrics); err != nil || len(metrics.Cw) != 256 {
			return nil, nil, fmt.Errorf("render: font definition %s: widths: %v", name, err)
		}
		copy(e.widths[:], metrics.Cw)
		sc := bufio.NewScanner(bytes.NewReader(m))
		for sc.Scan() {
			var code, uni int
			var glyph string
			if n, _ := fmt.Sscanf(sc.Text(), "!%x U+%x %s", &code, &uni, &glyph); n == 3 && uni >= 0x20 && code >= 0 && code < 256 && glyph != ".notdef" {
				e.code[rune(uni)] = byte(code)
				e.runes[code] = rune(uni)
			}
		}
		e.ascii = true
		for c := rune(0x20); c < 0x7F; c++ {
			e.ascii = e.ascii && e.code[c] == byte(c) && e.runes[c] == c
		}
		if len(e.code) < 2 {
			return nil, nil, fmt.Errorf("render: encoding %s has only %d characters", name, len(e.code))
		}
		encs = append(encs, e)
	}
	var rs []rune
	for _, e := range encs {
		for r := range e.code {
			rs = append(rs, r)
		}
	}
	slices.Sort(rs)
	if err := f.mapRunes(ttf, slices.Compact(rs)); err != nil {
		return nil, nil, err
	}
	return f, encs, nil
}

// glyph is one character as written: which encoding, which byte.
type glyph struct {
	enc  uint8
	code byte
}

// encode turns s into glyphs, keeping to one encoding as long as it can,
// so that a line needs few font changes. A character no encoding has is
// written decomposed (base letter and combining marks, as some Vietnamese
// needs) when that is covered, and otherwise as "?", so nothing is silently
// dropped but what was never meant to be seen (format characters).
func encode(encs []encoding, s string) []glyph {
	gs := make([]glyph, 0, len(s))
	cur := 0
	find := func(r rune) (glyph, bool) {
		if r >= 0x20 && r < 0x7F && encs[cur].ascii {
			return glyph{uint8(cur), byte(r)}, true
		}
		if c, ok := encs[cur].code[r]; ok {
			return glyph{uint8(cur), c}, true
		}
		for i := range encs {
			if c, ok := encs[i].code[r]; ok {
				cur = i
				return glyph{uint8(i), c}, true
			}
		}
		return glyph{}, false
	}
	for _, r := range s {
		if r == '\t' || r == '\n' || r == '\r' {
			r = ' '
		}
		if unicode.Is(unicode.Cf, r) {
			// Invisible: a soft hyphen, a zero-width space or joiner, a
			// direction mark or override from a word processor's text.
			// Printed, a font shows a hyphen or a box.
			continue
		}
		if unicode.Is(unicode.Variation_Selector, r) {
			// How the character before it is drawn (as an emoji, say):
			// nothing of its own.
			continue
		}
		if g, ok := find(r); ok {
			gs = append(gs, g)
			continue
		}
		parts := []rune(norm.NFD.String(string(r)))
		var decomposed []glyph
		for _, p := range parts {
			if g, ok := find(p); ok && len(parts) > 1 {
				decomposed = append(decomposed, g)
			} else {
				decomposed = nil
				break
			}
		}
		switch {
		case decomposed == nil && unicode.Is(unicode.Zs, r):
			// A space the font lacks (an ideographic one): a space.
			sp, _ := find(' ')
			decomposed = []glyph{sp}
		case decomposed == nil:
			// No glyph for it (an emoji, CJK): a question mark, from an
			// encoding that has one, so that it shows and is not dropped.
			q, _ := find('?')
			decomposed = []glyph{q}
		}
		gs = append(gs, decomposed...)
	}
	return gs
}

// resourceName returns the name fpdf gives the font of definition def in
// a page's resources (a hash of the definition), as fpdf itself writes it
// when asked to select the font on a page of its own.
func resourceName(def []byte) (string, error) {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCompression(false)
	p.AddFontFromBytes("probe", "", def, nil)
	p.AddPage()
	p.SetFont("probe", "", 10)
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		return "", err
	}
	m := regexp.MustCompile(`BT (/F[0-9A-Za-z]+) 10\.00 Tf ET`).FindSubmatch(b.Bytes())
	if m == nil {
		return "", errors.New("fpdf wrote no font selection")
	}
	return string(m[1]), nil
}
