// Command mkfonts writes render's font files: DejaVu Sans cut to the
// characters render supports, as one embedded font file (dejavu.z) and one
// fpdf font definition per single-byte encoding (dejavu-<encoding>.json),
// beside the encodings' maps and their order (encodings.txt). Run it with
// go generate in package render after changing the font or the ranges; its
// output is committed.
//
// Single-byte definitions let every document add its fonts without parsing
// the TrueType file (fpdf's UTF-8 fonts are parsed, measured and subset
// anew for every document) and share one font file, which render parses
// once and cuts to each document's glyphs (render/subset.go). The standard
// Windows and ISO code pages come first; every other character the font has
// in the ranges below is packed into extra encodings ("extra-N") whose
// glyph names are uniXXXX, so that text extraction gives the original
// characters back.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/sfnt"
)

// standard encodings, in order of preference.
var standard = []string{"cp1252", "iso-8859-2", "cp1254", "cp1257", "iso-8859-16", "cp1251", "cp1253", "cp1258"}

// ranges whose characters, if the font has them, render supports.
var ranges = [][2]rune{
	{0x0020, 0x024F}, // Latin and its extensions
	{0x0250, 0x02AF}, // IPA extensions (ʒ of Skolt Sami)
	{0x02B0, 0x02FF}, // spacing modifier letters
	{0x0300, 0x036F}, // combining diacritics
	{0x0370, 0x052F}, // Greek, Cyrillic
	{0x1E00, 0x1EFF}, // Latin Extended Additional (Vietnamese and more)
	{0x2000, 0x206F}, // general punctuation
	{0x2070, 0x209F}, // super- and subscripts
	{0x20A0, 0x20BF}, // currency
	{0x2100, 0x218F}, // letterlike symbols, number forms
	{0x2190, 0x21FF}, // arrows
	{0x2200, 0x22FF}, // mathematical operators (− ≤ ≥ ≈ ≠ …)
	{0x25A0, 0x25FF}, // geometric shapes
	{0x2600, 0x26FF}, // miscellaneous symbols (☐ ☑ ☒)
	{0x2700, 0x27BF}, // dingbats (✓ ✗)
	{0xFB00, 0xFB06}, // ligatures
	{0xFFFD, 0xFFFD}, // replacement character
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mkfonts:", err)
		os.Exit(1)
	}
}

func run() error {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "codeberg.org/go-pdf/fpdf").Output()
	if err != nil {
		return fmt.Errorf("locate fpdf: %w", err)
	}
	mapDir := filepath.Join(strings.TrimSpace(string(out)), "font")
	ttf, err := os.ReadFile("fonts/DejaVuSans.ttf")
	if err != nil {
		return err
	}
	font, err := sfnt.Parse(ttf)
	if err != nil {
		return err
	}
	var buf sfnt.Buffer
	has := func(r rune) bool {
		g, err := font.GlyphIndex(&buf, r)
		return err == nil && g != 0
	}

	maps := map[string]string{} // encoding → map file text
	covered := map[rune]bool{}
	for _, enc := range standard {
		b, err := os.ReadFile(filepath.Join(mapDir, enc+".map"))
		if err != nil {
			return err
		}
		// Name every glyph outside ASCII uniXXXX: some of the maps' names
		// (Tcommaaccent) mean another character to text extractors.
		var m strings.Builder
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var code, uni int
			var name string
			if n, _ := fmt.Sscanf(line, "!%x U+%x %s", &code, &uni, &name); n != 3 {
				return fmt.Errorf("%s: bad line %q", enc, line)
			}
			if name != ".notdef" {
				covered[rune(uni)] = true
				if uni > 0x7F {
					name = fmt.Sprintf("uni%04X", uni)
				}
			}
			fmt.Fprintf(&m, "!%02X U+%04X %s\n", code, uni, name)
		}
		maps[enc] = m.String()
	}
	// Pack what the standard pages miss into extra encodings of up to 224
	// characters (codes 0x20–0xFF; 0x20 stays the space).
	var extra []rune
	for _, rg := range ranges {
		for r := rg[0]; r <= rg[1]; r++ {
			if !covered[r] && has(r) {
				extra = append(extra, r)
			}
		}
	}
	names := append([]string{}, standard...)
	for i := 0; len(extra) > 0; i++ {
		n := min(len(extra), 223)
		var b strings.Builder
		for c := 0; c < 0x20; c++ {
			fmt.Fprintf(&b, "!%02X U+%04X .notdef\n", c, c)
		}
		b.WriteString("!20 U+0020 space\n")
		for j, r := range extra[:n] {
			fmt.Fprintf(&b, "!%02X U+%04X uni%04X\n", 0x21+j, r, r)
		}
		name := fmt.Sprintf("extra-%d", i+1)
		maps[name] = b.String()
		names = append(names, name)
		extra = extra[n:]
	}

	var keep strings.Builder
	for _, rg := range ranges {
		for r := rg[0]; r <= rg[1]; r++ {
			keep.WriteRune(r)
		}
	}
	cut := fpdf.UTF8CutFont(ttf, keep.String())
	tmp, err := os.MkdirTemp("", "mkfonts")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for i, enc := range names {
		dir := filepath.Join(tmp, enc)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		mapFile := filepath.Join("fonts", enc+".map")
		if err := os.WriteFile(mapFile, []byte(maps[enc]), 0o644); err != nil {
			return err
		}
		// The same file name in every definition makes fpdf embed it once.
		if err := os.WriteFile(filepath.Join(dir, "dejavu.ttf"), cut, 0o644); err != nil {
			return err
		}
		if err := fpdf.MakeFont(filepath.Join(dir, "dejavu.ttf"), mapFile, dir, os.Stderr, true); err != nil {
			return fmt.Errorf("%s: %w", enc, err)
		}
		def, err := os.ReadFile(filepath.Join(dir, "dejavu.json"))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join("fonts", "dejavu-"+enc+".json"), def, 0o644); err != nil {
			return err
		}
		if i == 0 {
			z, err := os.ReadFile(filepath.Join(dir, "dejavu.z"))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join("fonts", "dejavu.z"), z, 0o644); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(filepath.Join("fonts", "encodings.txt"), []byte(strings.Join(names, "\n")+"\n"), 0o644)
}
