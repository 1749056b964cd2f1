package render_test

import (
	"bytes"
	"testing"

	"codeberg.org/go-pdf/fpdf"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/render"
)

// BenchmarkRender measures one PDF for a typical and a maximal fk7804,
// beside a naive fpdf document that parses the whole TTF for each PDF, and
// reports each PDF's size (bytes/pdf).
//
//	go test ./render -run XXX -bench Render -benchmem
func BenchmarkRender(b *testing.B) {
	eng, r := mustEngine(b), mustRenderer(b)
	typical, tmpl := stored(b, eng, readFile(b, "../examples/fk7804/valid/full-time-one-period.json"), "bench")
	maximal, _ := stored(b, eng, longText(b, eng), "bench")
	// The store's ids have 22 characters: a larger QR code than "bench".
	id22 := *typical
	id22.ID = "Qm9yZGVybGluZS1pZAxyzA"
	for _, c := range []struct {
		name string
		cert *intake.Certificate
	}{{"typical", typical}, {"maximal", maximal}, {"typical-id22", &id22}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var w countingWriter
			for b.Loop() {
				w = 0
				if err := r.Render(&w, c.cert, tmpl, render.CopyFull); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(w), "bytes/pdf")
		})
	}
	// The naive way: a new document that adds the full embedded TTF (regular
	// and bold), with fpdf's default compression, and writes one page of text.
	font := readFile(b, "fonts/DejaVuSans.ttf")
	b.Run("naive-fpdf-full-font", func(b *testing.B) {
		b.ReportAllocs()
		size := 0
		for b.Loop() {
			p := fpdf.New("P", "mm", "A4", "")
			p.AddUTF8FontFromBytes("f", "", font)
			p.AddUTF8FontFromBytes("f", "B", font)
			p.AddPage()
			p.SetFont("f", "B", 13)
			p.Cell(0, 8, typical.Patient.Name)
			p.SetFont("f", "", 9.5)
			p.Ln(10)
			p.MultiCell(0, 4.6, typical.Answers["occupationDescription"].(string), "", "L", false)
			var buf bytes.Buffer
			if err := p.Output(&buf); err != nil {
				b.Fatal(err)
			}
			size = buf.Len()
		}
		b.ReportMetric(float64(size), "bytes/pdf")
	})
}

// countingWriter counts the bytes written to it.
type countingWriter int

func (w *countingWriter) Write(b []byte) (int, error) {
	*w += countingWriter(len(b))
	return len(b), nil
}
