package render

import (
	"strconv"
	"strings"
)

// Text is written through these methods, never fpdf's MultiCell: a line
// may mix encodings (a Polish name in a Swedish sentence). Wrapping
// measures glyphs from the encodings' width tables, without calling fpdf,
// and writes each line as a few runs of one encoding.

// mm is one point in millimetres.
const mm = 25.4 / 72

// fontName is the fpdf family of encoding i.
func (d *doc) fontName(i int) string {
	if d.names[i] == "" {
		d.names[i] = "dejavu" + strconv.Itoa(i)
	}
	return d.names[i]
}

// use selects encoding i at the current size, adding its font to the
// document the first time, without the font file: output puts in the
// document's subset.
// use writes the font selection itself, as fpdf's SetFont would (whose
// string handling and formatting were a tenth of a long document's time),
// and only when the font or size changes. fpdf thus never has a font
// selected: it measures no text of ours and selects none of its own at a
// new page.
func (d *doc) use(i int) {
	if !d.added[i] {
		d.pdf.AddFontFromBytes(d.fontName(i), "", d.r.encs[i].def, nil)
		d.added[i] = true
	}
	if i == d.font && d.size == d.fontSize {
		return
	}
	b := append(append(append(d.ops[:0], "BT "...), d.r.encs[i].resource...), ' ')
	b = append(strconv.AppendFloat(b, d.size, 'f', 2, 64), " Tf ET"...)
	d.pdf.RawWriteStr(string(b))
	d.ops = b
	d.font, d.fontSize = i, d.size
}

// fontUnknown forgets which font is selected: fpdf selects fonts of its
// own around a page's header and footer.
func (d *doc) fontUnknown() {
	d.font = -1
}

// advance is the width of one glyph at the current size, in millimetres.
func (d *doc) advance(g glyph) float64 {
	return float64(d.r.encs[g.enc].widths[g.code]) * d.size / 1000 * mm
}

func (d *doc) width(gs []glyph) float64 {
	w := 0.0
	for _, g := range gs {
		w += d.advance(g)
	}
	return w
}

// wrap breaks s into lines no wider than w: at spaces, and inside a word
// only when the word alone is wider than a line. Newlines start new lines,
// a browser's CRLF and a lone CR as well as LF.
func (d *doc) wrap(s string, w float64) [][]glyph {
	var lines [][]glyph
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	for _, para := range strings.Split(s, "\n") {
		gs := encode(d.r.encs, para)
		start, lineW := 0, 0.0 // the line being filled: gs[start:i]
		lastSpace := -1        // index of the last space in the line
		for i := 0; i < len(gs); i++ {
			g := gs[i]
			if d.isSpace(g) {
				lastSpace = i
			}
			aw := d.advance(g)
			if lineW+aw <= w || i == start {
				lineW += aw
				continue
			}
			// gs[i] does not fit: break after the last space, or here.
			end := i
			if lastSpace > start {
				end = lastSpace
			}
			lines = append(lines, d.trimSpaces(gs[start:end]))
			start = end
			for start < len(gs) && d.isSpace(gs[start]) {
				start++
			}
			lastSpace = -1
			if start > i {
				// gs[i] was a space, skipped with those after it: go
				// on from the first glyph after them.
				i, lineW = start-1, 0
				continue
			}
			lineW = d.width(gs[start : i+1])
		}
		if start < len(gs) || len(gs) == 0 { // an empty paragraph is a blank line
			lines = append(lines, d.trimSpaces(gs[start:]))
		}
	}
	return lines
}

// isSpace reports whether g is a space, in whichever encoding: a Greek or
// Cyrillic run writes its spaces in its own, and a line breaks there too.
func (d *doc) isSpace(g glyph) bool { return d.r.encs[g.enc].runes[g.code] == ' ' }

func (d *doc) trimSpaces(gs []glyph) []glyph {
	for len(gs) > 0 && d.isSpace(gs[len(gs)-1]) {
		gs = gs[:len(gs)-1]
	}
	return gs
}

// line writes one line of glyphs with its top at (x, y), h high, as runs
// of one encoding.
func (d *doc) line(gs []glyph, x, y, h float64) {
	base := y + h/2 + d.size*mm/2*0.72
	var run []byte
	for i := 0; i < len(gs); {
		j := i
		run = run[:0]
		used := &d.used[gs[i].enc]
		for ; j < len(gs) && gs[j].enc == gs[i].enc; j++ {
			run = append(run, gs[j].code)
			used[gs[j].code] = true
		}
		d.use(int(gs[i].enc))
		d.text(x, base, run)
		x += d.width(gs[i:j])
		i = j
	}
}

// text writes run, bytes of the selected font, from (x, y) on the
// baseline: what fpdf's Text writes, formatted without fmt (fpdf's
// Sprintf was a tenth of a long document's time). As fpdf does, text
// whose colour is not the fill colour is painted inside q … Q with its
// own colour.
func (d *doc) text(x, y float64, run []byte) {
	k := d.pdf.GetConversionRatio()
	_, h := d.pdf.GetPageSize()
	b := d.ops[:0]
	r, g, bl := d.pdf.GetTextColor()
	fr, fg, fb := d.pdf.GetFillColor()
	coloured := r != fr || g != fg || bl != fb
	if coloured {
		b = append(b, "q "...)
		if r == g && g == bl {
			b = append(strconv.AppendFloat(b, float64(r)/255, 'f', 3, 64), " g "...)
		} else {
			for _, c := range []int{r, g, bl} {
				b = append(strconv.AppendFloat(b, float64(c)/255, 'f', 3, 64), ' ')
			}
			b = append(b, "rg "...)
		}
	}
	b = append(b, "BT "...)
	b = append(strconv.AppendFloat(b, x*k, 'f', 2, 64), ' ')
	b = append(strconv.AppendFloat(b, (h-y)*k, 'f', 2, 64), " Td ("...)
	for _, c := range run {
		if c == '(' || c == ')' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, c)
	}
	b = append(b, ") Tj ET"...)
	if coloured {
		b = append(b, " Q"...)
	}
	d.pdf.RawWriteStr(string(b))
	d.ops = b
}

// textAt writes s on one line at (x, y), h high, without wrapping.
func (d *doc) textAt(s string, x, y, h float64) {
	d.line(encode(d.r.encs, s), x, y, h)
}

// textRight writes s on one line ending at x.
func (d *doc) textRight(s string, x, y, h float64) {
	gs := encode(d.r.encs, s)
	d.line(gs, x-d.width(gs), y, h)
}

// para writes s wrapped to width w at x from the current position, h per
// line, moving to a new page between lines when the page is full (a line
// is never cut). It returns the lines' count.
func (d *doc) para(s string, x, w, h float64) int {
	lines := d.wrap(s, w)
	for _, l := range lines {
		y := d.pdf.GetY()
		if y+h > pageH-marginBottom {
			d.pdf.AddPage()
			y = d.pdf.GetY()
		}
		d.line(l, x, y, h)
		d.pdf.SetY(y + h)
	}
	return len(lines)
}

// height returns how high s wraps to at width w.
func (d *doc) height(s string, w, h float64) float64 {
	return float64(len(d.wrap(s, w))) * h
}

// fit writes s on one line at (x, y) within width w, at the current size
// or smaller down to minSize; if it is still too wide it is cut with "…".
// It reports whether all of s was written.
func (d *doc) fit(s string, x, y, w, h, minSize float64) bool {
	size := d.size
	defer func() { d.size = size }()
	gs := encode(d.r.encs, s)
	for d.width(gs) > w && d.size > minSize {
		d.size = max(minSize, d.size-0.5)
	}
	if d.width(gs) <= w {
		d.line(gs, x, y, h)
		return true
	}
	ell := encode(d.r.encs, "…")
	limit := w - d.width(ell)
	n, used := 0, 0.0
	for n < len(gs) && used+d.advance(gs[n]) <= limit {
		used += d.advance(gs[n])
		n++
	}
	d.line(append(gs[:n:n], ell...), x, y, h)
	return false
}
