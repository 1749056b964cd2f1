package render

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"runtime"
	"slices"
	"strconv"

	"github.com/klauspost/compress/zlib"
)

// fpdf writes a document with its page contents uncompressed and, in place
// of the font file, an empty stream (the font is added with no file
// bytes). finish then writes the document anew, object by object: each
// content stream compressed, the font file replaced by the document's
// subset, the font named as a subset ("ABCDEF+DejaVuSans"), and a new
// cross-reference table. fpdf's own compression (SetCompression) makes a
// new zlib writer for every page, which in Go 1.26 allocates 1.2 MB and
// takes 1–2 ms; a kept writer takes about 60 µs for a page, and
// klauspost/compress's zlib (the same API and format) about a third of
// that, which for the small streams of a certificate is mostly the cost of
// building Huffman codes.

// spares keeps values for reuse, up to one for each processor: unlike a
// sync.Pool, which every garbage collection empties, it keeps them.
type spares[T any] chan T

func newSpares[T any]() spares[T] { return make(chan T, runtime.GOMAXPROCS(0)) }

// get returns a spare, or ok false when there is none.
func (s spares[T]) get() (v T, ok bool) {
	select {
	case v = <-s:
		return v, true
	default:
		return v, false
	}
}

// put keeps v unless there are spares enough.
func (s spares[T]) put(v T) {
	select {
	case s <- v:
	default:
	}
}

// zlibWriters are kept because a new one allocates 1.2 MB; the buffers,
// because the pages would be copied again and again as they grew.
// Compressing with the same level gives the same bytes.
var (
	zlibWriters = newSpares[*zlib.Writer]()
	buffers     = newSpares[*bytes.Buffer]()
)

// buffer returns an empty buffer, a spare if there is one.
func buffer() *bytes.Buffer {
	b, ok := buffers.get()
	if !ok {
		return new(bytes.Buffer)
	}
	b.Reset()
	return b
}

// keep gives b back for reuse, unless an unusually long document made it
// large.
func keep(b *bytes.Buffer) {
	if b.Cap() <= 4<<20 {
		buffers.put(b)
	}
}

// deflate appends to dst the zlib stream of the parts, one after another.
func deflate(dst *bytes.Buffer, parts ...[]byte) {
	w, ok := zlibWriters.get()
	if ok {
		w.Reset(dst)
	} else {
		w, _ = zlib.NewWriterLevel(dst, zlib.BestSpeed) // a valid level: no error
	}
	for _, p := range parts {
		w.Write(p) // writes to a bytes.Buffer do not fail
	}
	w.Close()
	zlibWriters.put(w)
}

// postScriptName is the PostScript name of the embedded font, as the font
// definitions give it.
const postScriptName = "DejaVuSans"

// finish writes to out raw, a document as fpdf writes it (uncompressed),
// with font the document's subset of the font file (nil if it shows no
// text), and pages its page count for pageCount.
func finish(out *bytes.Buffer, raw, font []byte, pages int) error {
	objs, trailer, err := objects(raw)
	if err != nil {
		return fmt.Errorf("render: reading fpdf's output: %w", err)
	}
	out.Write(raw[:objs[0].start])
	offsets := make([]int, len(objs)+1)
	// The subset's name tag: six capital letters from its bytes.
	tag := make([]byte, 0, 7)
	for h := crc32.ChecksumIEEE(font); len(tag) < 6; h /= 26 {
		tag = append(tag, byte('A'+h%26))
	}
	subsetName := []byte("/" + string(tag) + "+" + postScriptName)
	z := buffer()
	defer keep(z)
	fonts := 0
	count := []byte(strconv.Itoa(pages))
	for _, o := range objs {
		offsets[o.num] = out.Len()
		b := raw[o.start:o.end]
		dict, data, isStream := splitStream(b)
		switch {
		case !isStream:
			if bytes.Contains(b, []byte("/Type /Font")) {
				b = bytes.ReplaceAll(b, []byte("/"+postScriptName), subsetName)
			}
			out.Write(b)
			continue
		case bytes.Contains(dict, []byte("/Length1")):
			fonts++
			z.Reset()
			deflate(z, font)
			fmt.Fprintf(out, "%d 0 obj\n<</Length %d /Filter /FlateDecode /Length1 %d>>\nstream\n", o.num, z.Len(), len(font))
			out.Write(z.Bytes())
		case !bytes.Contains(dict, []byte("/Filter")):
			// The page count goes in as the page is compressed.
			var parts [][]byte
			for i, p := range bytes.Split(data, []byte(pageCount)) {
				if i > 0 {
					parts = append(parts, count)
				}
				parts = append(parts, p)
			}
			z.Reset()
			deflate(z, parts...)
			fmt.Fprintf(out, "%d 0 obj\n<</Filter /FlateDecode /Length %d>>\nstream\n", o.num, z.Len())
			out.Write(z.Bytes())
		default:
			out.Write(b)
			continue
		}
		out.WriteString("\nendstream\nendobj\n")
	}
	if fonts > 1 || (fonts == 1) != (font != nil) {
		return fmt.Errorf("render: %d font files in fpdf's output", fonts)
	}
	xrefAt := out.Len()
	fmt.Fprintf(out, "xref\n0 %d\n0000000000 65535 f \n", len(offsets))
	for _, off := range offsets[1:] {
		fmt.Fprintf(out, "%010d 00000 n \n", off)
	}
	out.Write(trailer)
	fmt.Fprintf(out, "startxref\n%d\n%%%%EOF\n", xrefAt)
	return nil
}

// object is where object num stands in fpdf's output.
type object struct {
	num, start, end int
}

// objects lists the objects of raw in the order they stand, from its
// cross-reference table, and checks that each is where the table says. It
// returns the trailer dictionary too ("trailer\n<<…>>\n").
func objects(raw []byte) ([]object, []byte, error) {
	i := bytes.LastIndex(raw, []byte("startxref\n"))
	if i < 0 {
		return nil, nil, errors.New("no startxref")
	}
	rest := raw[i+len("startxref\n"):]
	xrefAt, err := strconv.Atoi(string(rest[:max(0, bytes.IndexByte(rest, '\n'))]))
	if err != nil || xrefAt <= 0 || xrefAt >= i {
		return nil, nil, errors.New("bad startxref")
	}
	x := raw[xrefAt:i]
	var n int
	if _, err := fmt.Sscanf(string(x[:min(len(x), 32)]), "xref\n0 %d\n", &n); err != nil || n < 2 {
		return nil, nil, errors.New("bad xref header")
	}
	x = x[bytes.IndexByte(x[5:], '\n')+6:]
	if len(x) < 20*n || !bytes.HasPrefix(x[20*n:], []byte("trailer")) {
		return nil, nil, errors.New("bad xref table")
	}
	objs := make([]object, 0, n-1)
	for num := 1; num < n; num++ {
		off, err := strconv.Atoi(string(x[20*num : 20*num+10]))
		if err != nil || off >= xrefAt {
			return nil, nil, fmt.Errorf("bad xref entry %d", num)
		}
		objs = append(objs, object{num: num, start: off})
	}
	slices.SortFunc(objs, func(a, b object) int { return a.start - b.start })
	for k := range objs {
		objs[k].end = xrefAt
		if k+1 < len(objs) {
			objs[k].end = objs[k+1].start
		}
		head := strconv.Itoa(objs[k].num) + " 0 obj\n"
		if !bytes.HasPrefix(raw[objs[k].start:objs[k].end], []byte(head)) {
			return nil, nil, fmt.Errorf("object %d is not where the xref says", objs[k].num)
		}
	}
	return objs, x[20*n:], nil
}

// splitStream returns a stream object's dictionary and data; isStream is
// false for any other object.
func splitStream(b []byte) (dict, data []byte, isStream bool) {
	d := bytes.Index(b, []byte(" obj\n"))
	s := bytes.Index(b, []byte(">>\nstream\n"))
	if d < 0 || s < 0 {
		return nil, nil, false
	}
	dict = b[d+len(" obj\n") : s+2]
	data = b[s+len(">>\nstream\n"):]
	e := bytes.LastIndex(data, []byte("\nendstream"))
	if e < 0 {
		return nil, nil, false
	}
	return dict, data[:e], true
}
