package render

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/image/font/sfnt"
)

// A PDF embeds only the glyphs it shows. face holds the embedded TrueType
// font as read once per process: the tables every subset copies, each
// glyph's outline and advance, and which glyph draws each character.
// subset then cuts a document's font file from it with no parsing: a few
// microseconds and a few kilobytes where the whole font is 177 KB
// compressed. fpdf's own cutter (UTF8CutFont) parses the whole font again
// for each call (3 ms).
//
// The subset leaves out the hinting instructions (glyph programs, cvt,
// fpgm, prep, gasp), which PDF viewers do not run at the sizes a page is
// read at, and keeps of the naming table the Windows names 0–6 (copyright,
// family, style, unique id, full name, version, PostScript name) and 14
// (the licence's URL).
type face struct {
	os2, head, hhea, maxp, name, post []byte
	glyphs                            []glyphData
	// gid is the glyph of each character the font has.
	gid map[rune]uint16
}

// glyphData is one glyph's outline without instructions, its metrics,
// and, for a composite glyph, its components and where their glyph ids
// stand in the outline.
type glyphData struct {
	outline []byte
	advance uint16
	lsb     uint16
	parts   []uint16
	partsAt []int
}

// parseFace reads the tables of a TrueType font.
func parseFace(ttf []byte) (*face, error) {
	tables, err := tableDirectory(ttf)
	if err != nil {
		return nil, err
	}
	for _, tag := range []string{"OS/2", "cmap", "glyf", "head", "hhea", "hmtx", "loca", "maxp", "name", "post"} {
		if tables[tag] == nil {
			return nil, fmt.Errorf("render: font has no %s table", tag)
		}
	}
	f := &face{os2: tables["OS/2"], post: tables["post"], gid: map[rune]uint16{}}
	head, hhea, maxp := tables["head"], tables["hhea"], tables["maxp"]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 {
		return nil, errors.New("render: font header tables too short")
	}
	f.head, f.hhea, f.maxp = slices.Clone(head), slices.Clone(hhea), slices.Clone(maxp)
	n := int(u16(maxp, 4))
	nh := int(u16(hhea, 34))
	hmtx, loca, glyf := tables["hmtx"], tables["loca"], tables["glyf"]
	if nh < 1 || nh > n || len(hmtx) < 4*nh+2*(n-nh) {
		return nil, errors.New("render: font hmtx table too short")
	}
	long := u16(head, 50) == 1
	offset := func(i int) (int, bool) {
		if long {
			if 4*i+4 > len(loca) {
				return 0, false
			}
			return int(binary.BigEndian.Uint32(loca[4*i:])), true
		}
		if 2*i+2 > len(loca) {
			return 0, false
		}
		return 2 * int(u16(loca, 2*i)), true
	}
	f.glyphs = make([]glyphData, n)
	for i := range n {
		start, ok1 := offset(i)
		end, ok2 := offset(i + 1)
		if !ok1 || !ok2 || start > end || end > len(glyf) {
			return nil, fmt.Errorf("render: font glyph %d out of bounds", i)
		}
		g := &f.glyphs[i]
		if err := g.read(glyf[start:end]); err != nil {
			return nil, fmt.Errorf("render: font glyph %d: %w", i, err)
		}
		m := min(i, nh-1)
		g.advance = u16(hmtx, 4*m)
		if i < nh {
			g.lsb = u16(hmtx, 4*i+2)
		} else {
			g.lsb = u16(hmtx, 4*nh+2*(i-nh))
		}
		for _, p := range g.parts {
			if int(p) >= n {
				return nil, fmt.Errorf("render: font glyph %d has component %d of %d glyphs", i, p, n)
			}
		}
	}
	if f.name, err = windowsNames(tables["name"]); err != nil {
		return nil, err
	}
	return f, nil
}

// mapRunes records the glyph of each of rs that the font has, through its
// character map.
func (f *face) mapRunes(ttf []byte, rs []rune) error {
	font, err := sfnt.Parse(ttf)
	if err != nil {
		return fmt.Errorf("render: font: %w", err)
	}
	var buf sfnt.Buffer
	for _, r := range rs {
		if r > 0xFFFF {
			return fmt.Errorf("render: character %U is outside the Basic Multilingual Plane", r)
		}
		g, err := font.GlyphIndex(&buf, r)
		if err != nil {
			return fmt.Errorf("render: font: %U: %w", r, err)
		}
		if g != 0 && int(g) < len(f.glyphs) {
			f.gid[r] = uint16(g)
		}
	}
	return nil
}

// tableDirectory returns each table of an sfnt file by its tag.
func tableDirectory(ttf []byte) (map[string][]byte, error) {
	if len(ttf) < 12 {
		return nil, errors.New("render: font file too short")
	}
	n := int(u16(ttf, 4))
	if len(ttf) < 12+16*n {
		return nil, errors.New("render: font table directory too short")
	}
	tables := map[string][]byte{}
	for i := range n {
		rec := ttf[12+16*i:]
		off, length := int(binary.BigEndian.Uint32(rec[8:])), int(binary.BigEndian.Uint32(rec[12:]))
		if off < 0 || length < 0 || off+length > len(ttf) {
			return nil, fmt.Errorf("render: font table %q out of bounds", rec[:4])
		}
		tables[string(rec[:4])] = ttf[off : off+length]
	}
	return tables, nil
}

// Flags of a composite glyph's component.
const (
	argsAreWords      = 0x0001
	haveScale         = 0x0008
	moreComponents    = 0x0020
	haveXYScale       = 0x0040
	haveTwoByTwo      = 0x0080
	haveInstructions  = 0x0100
	simpleGlyphHeader = 10 // numberOfContours and the bounding box
)

// read keeps a glyph's outline without its instructions, and a
// composite's components.
func (g *glyphData) read(b []byte) error {
	if len(b) == 0 {
		return nil // a glyph without outline, such as the space
	}
	if len(b) < simpleGlyphHeader {
		return errors.New("outline too short")
	}
	contours := int16(u16(b, 0))
	if contours >= 0 {
		at := simpleGlyphHeader + 2*int(contours)
		if at+2 > len(b) {
			return errors.New("outline too short")
		}
		rest := at + 2 + int(u16(b, at))
		if rest > len(b) {
			return errors.New("instructions past the outline")
		}
		g.outline = append(append(slices.Clip(b[:at:at]), 0, 0), b[rest:]...)
		return nil
	}
	at, last := simpleGlyphHeader, 0
	for {
		if at+4 > len(b) {
			return errors.New("component past the outline")
		}
		flags := u16(b, at)
		g.parts = append(g.parts, u16(b, at+2))
		g.partsAt = append(g.partsAt, at+2)
		last = at
		at += 4 + 2
		if flags&argsAreWords != 0 {
			at += 2
		}
		switch {
		case flags&haveScale != 0:
			at += 2
		case flags&haveXYScale != 0:
			at += 4
		case flags&haveTwoByTwo != 0:
			at += 8
		}
		if at > len(b) {
			return errors.New("component past the outline")
		}
		if flags&moreComponents == 0 {
			break
		}
	}
	g.outline = slices.Clone(b[:at])
	binary.BigEndian.PutUint16(g.outline[last:], u16(b, last)&^haveInstructions)
	return nil
}

// windowsNames returns a naming table of the Windows names kept (see face).
func windowsNames(t []byte) ([]byte, error) {
	if len(t) < 6 {
		return nil, errors.New("render: font name table too short")
	}
	count, storage := int(u16(t, 2)), int(u16(t, 4))
	if len(t) < 6+12*count {
		return nil, errors.New("render: font name table too short")
	}
	type record struct {
		head [8]byte // platform, encoding, language, name ids
		text []byte
	}
	var kept []record
	for i := range count {
		rec := t[6+12*i:]
		platform, id := u16(rec, 0), u16(rec, 6)
		if platform != 3 || (id > 6 && id != 14) {
			continue
		}
		off, length := storage+int(u16(rec, 10)), int(u16(rec, 8))
		if off+length > len(t) {
			return nil, errors.New("render: font name out of bounds")
		}
		var r record
		copy(r.head[:], rec[:8])
		r.text = t[off : off+length]
		kept = append(kept, r)
	}
	out := make([]byte, 6+12*len(kept))
	put16(out, 2, len(kept))
	put16(out, 4, len(out))
	for i, r := range kept {
		rec := out[6+12*i:]
		copy(rec, r.head[:])
		put16(rec, 8, len(r.text))
		put16(rec, 10, len(out)-(6+12*len(kept)))
		out = append(out, r.text...)
	}
	return out, nil
}

// subset returns a TrueType font of the glyphs of rs (sorted, without
// duplicates) and the glyphs they are built from, with a character map of
// rs alone. Glyphs are numbered anew in the order of rs, so that the
// character map is a few ranges. The same rs give the same bytes.
func (f *face) subset(rs []rune) []byte {
	// old holds the original glyph id of each new one; renumber the reverse.
	old := make([]uint16, 1, len(rs)+8)
	renumber := make([]uint16, len(f.glyphs))
	cmap := make([]uint16, len(rs))
	for i, r := range rs {
		g := f.gid[r]
		if g != 0 && renumber[g] == 0 {
			renumber[g] = uint16(len(old))
			old = append(old, g)
		}
		cmap[i] = renumber[g]
	}
	for i := 1; i < len(old); i++ { // appends to old as it goes: components of components
		for _, p := range f.glyphs[old[i]].parts {
			if p != 0 && renumber[p] == 0 {
				renumber[p] = uint16(len(old))
				old = append(old, p)
			}
		}
	}
	n := len(old)

	glyfLen := 0
	for _, g := range old {
		glyfLen += (len(f.glyphs[g].outline) + 1) &^ 1
	}
	long := glyfLen/2 > 0xFFFF
	locaLen := 2 * (n + 1)
	if long {
		locaLen = 4 * (n + 1)
	}
	// The tables in the order of their tags, as the directory lists them.
	const (
		tOS2 = iota
		tCmap
		tGlyf
		tHead
		tHhea
		tHmtx
		tLoca
		tMaxp
		tName
		tPost
		tables
	)
	tags := [tables]string{"OS/2", "cmap", "glyf", "head", "hhea", "hmtx", "loca", "maxp", "name", "post"}
	sizes := [tables]int{len(f.os2), cmapSize(rs, cmap), glyfLen, len(f.head), len(f.hhea), 4 * n, locaLen, len(f.maxp), len(f.name), len(f.post)}
	var offsets [tables]int
	at := 12 + 16*tables
	for i, size := range sizes {
		offsets[i] = at
		at += (size + 3) &^ 3
	}
	out := make([]byte, at)
	table := func(i int) []byte { return out[offsets[i] : offsets[i]+sizes[i]] }

	copy(table(tOS2), f.os2)
	writeCmap(table(tCmap), rs, cmap)
	glyf, loca, pos := table(tGlyf), table(tLoca), 0
	for j, g := range old {
		writeOffset(loca, j, pos, long)
		gd := &f.glyphs[g]
		copy(glyf[pos:], gd.outline)
		for k, p := range gd.parts {
			binary.BigEndian.PutUint16(glyf[pos+gd.partsAt[k]:], renumber[p])
		}
		pos += (len(gd.outline) + 1) &^ 1
	}
	writeOffset(loca, n, pos, long)
	head := table(tHead)
	copy(head, f.head)
	binary.BigEndian.PutUint32(head[8:], 0) // checkSumAdjustment, set last
	put16(head, 50, 0)                      // indexToLocFormat
	if long {
		put16(head, 50, 1)
	}
	copy(table(tHhea), f.hhea)
	put16(table(tHhea), 34, n) // numberOfHMetrics: every glyph has its own
	hmtx := table(tHmtx)
	for j, g := range old {
		put16(hmtx, 4*j, int(f.glyphs[g].advance))
		put16(hmtx, 4*j+2, int(f.glyphs[g].lsb))
	}
	copy(table(tMaxp), f.maxp)
	put16(table(tMaxp), 4, n)
	copy(table(tName), f.name)
	copy(table(tPost), f.post)

	binary.BigEndian.PutUint32(out, 0x00010000)
	put16(out, 4, tables)
	put16(out, 6, 128) // searchRange: 16 × the largest power of two ≤ 10 tables
	put16(out, 8, 3)   // its log2
	put16(out, 10, 16*tables-128)
	for i, tag := range tags {
		rec := out[12+16*i:]
		copy(rec, tag)
		binary.BigEndian.PutUint32(rec[4:], checksum(out[offsets[i]:offsets[i]+(sizes[i]+3)&^3]))
		binary.BigEndian.PutUint32(rec[8:], uint32(offsets[i]))
		binary.BigEndian.PutUint32(rec[12:], uint32(sizes[i]))
	}
	binary.BigEndian.PutUint32(head[8:], 0xB1B0AFBA-checksum(out))
	return out
}

func writeOffset(loca []byte, i, pos int, long bool) {
	if long {
		binary.BigEndian.PutUint32(loca[4*i:], uint32(pos))
	} else {
		put16(loca, 2*i, pos/2)
	}
}

// cmapSegments calls fn for each range of characters whose glyphs are
// consecutive too, skipping characters without a glyph.
func cmapSegments(rs []rune, gids []uint16, fn func(first, last rune, gid uint16)) {
	for i := 0; i < len(rs); {
		if gids[i] == 0 {
			i++
			continue
		}
		j := i + 1
		for j < len(rs) && rs[j] == rs[j-1]+1 && gids[j] == gids[j-1]+1 {
			j++
		}
		fn(rs[i], rs[j-1], gids[i])
		i = j
	}
}

func cmapSize(rs []rune, gids []uint16) int {
	segs := 1 // the closing 0xFFFF segment
	cmapSegments(rs, gids, func(rune, rune, uint16) { segs++ })
	return 4 + 2*8 + 16 + 8*segs
}

// writeCmap writes a character map of format 4 for Unicode (platform 0)
// and Windows Unicode BMP (platform 3, encoding 1), the one that PDF
// viewers read for a non-symbolic TrueType font.
func writeCmap(b []byte, rs []rune, gids []uint16) {
	segs := (len(b) - (4 + 2*8 + 16)) / 8
	put16(b, 2, 2) // tables
	put16(b, 4, 0)
	put16(b, 6, 3)
	binary.BigEndian.PutUint32(b[8:], 20)
	put16(b, 12, 3)
	put16(b, 14, 1)
	binary.BigEndian.PutUint32(b[16:], 20)
	t := b[20:]
	put16(t, 0, 4)
	put16(t, 2, len(t))
	put16(t, 6, 2*segs)
	sr := 1
	for sr*2 <= segs {
		sr *= 2
	}
	es := 0
	for 1<<es < sr {
		es++
	}
	put16(t, 8, 2*sr)
	put16(t, 10, es)
	put16(t, 12, 2*segs-2*sr)
	ends, starts, deltas := t[14:], t[16+2*segs:], t[16+4*segs:] // idRangeOffsets (t[16+6*segs:]) stay 0
	i := 0
	cmapSegments(rs, gids, func(first, last rune, gid uint16) {
		put16(ends, 2*i, int(last))
		put16(starts, 2*i, int(first))
		put16(deltas, 2*i, int(gid)-int(first))
		i++
	})
	put16(ends, 2*i, 0xFFFF)
	put16(starts, 2*i, 0xFFFF)
	put16(deltas, 2*i, 1)
}

// checksum is the sum of b's big-endian 32-bit words; len(b) is a multiple of 4.
func checksum(b []byte) uint32 {
	var s uint32
	for i := 0; i+4 <= len(b); i += 4 {
		s += binary.BigEndian.Uint32(b[i:])
	}
	return s
}

func u16(b []byte, at int) uint16 { return binary.BigEndian.Uint16(b[at:]) }

func put16(b []byte, at, v int) { binary.BigEndian.PutUint16(b[at:], uint16(v)) }
