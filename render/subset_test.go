package render

import (
	"bytes"
	"compress/zlib"
	"io"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// TestSubset cuts subsets of the embedded font and reads them back with
// x/image's sfnt: every character maps to a glyph with the original's
// advance and outline (composite glyphs such as ễ included), and a
// character left out maps to none.
func TestSubset(t *testing.T) {
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	orig := mustParse(t, embeddedTTF(t))
	tests := []struct {
		name string
		text string
	}{
		{"Swedish", "Läkarintyg för sjukpenning – Åsa Öberg, 2026-11-23 (svensk tid)"},
		{"many scripts", "Łukasz Żółć, Şükrü Çağlar, Dvořák, Nguyễn Thị Ánh, Ελένη, Ольга, Ștefan"},
		{"symbols", "€ “” ‘’ … − ≤ ≥ → ✓ ☐ ☒ °"},
		{"one character", "X"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := []rune(tt.text)
			slices.Sort(rs)
			rs = slices.Compact(rs)
			ttf := r.face.subset(rs)
			if again := r.face.subset(rs); !bytes.Equal(ttf, again) {
				t.Fatal("two subsets of the same characters differ")
			}
			sub := mustParse(t, ttf)
			for _, c := range rs {
				want, wantAdv := outline(t, orig, c)
				got, gotAdv := outline(t, sub, c)
				if gotAdv != wantAdv {
					t.Errorf("%q: advance %v, want %v", c, gotAdv, wantAdv)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%q: outline mismatch (-want +got):\n%s", c, diff)
				}
			}
			var buf sfnt.Buffer
			if g, _ := sub.GlyphIndex(&buf, 'Q'); g != 0 && !slices.Contains(rs, 'Q') {
				t.Errorf("Q is in the subset of %q", tt.text)
			}
			// Accented letters bring their parts along, a few glyphs more.
			if n := sub.NumGlyphs(); n > 2*len(rs)+1 {
				t.Errorf("%d glyphs for %d characters", n, len(rs))
			}
		})
	}
}

// outline returns the segments and advance of c's glyph, at one unit per em unit.
func outline(t *testing.T, f *sfnt.Font, c rune) (sfnt.Segments, fixed.Int26_6) {
	t.Helper()
	var buf sfnt.Buffer
	g, err := f.GlyphIndex(&buf, c)
	if err != nil || g == 0 {
		t.Fatalf("%q: no glyph (%v)", c, err)
	}
	ppem := fixed.Int26_6(f.UnitsPerEm()) << 6
	segs, err := f.LoadGlyph(&buf, g, ppem, nil)
	if err != nil {
		t.Fatalf("%q: %v", c, err)
	}
	adv, err := f.GlyphAdvance(&buf, g, ppem, font.HintingNone)
	if err != nil {
		t.Fatalf("%q: %v", c, err)
	}
	return slices.Clone(segs), adv
}

func embeddedTTF(t *testing.T) []byte {
	t.Helper()
	z, err := fonts.ReadFile("fonts/dejavu.z")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t *testing.T, ttf []byte) *sfnt.Font {
	t.Helper()
	f, err := sfnt.Parse(ttf)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
