package render

import (
	"fmt"
	"io"
	"slices"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// Page geometry in millimetres (A4).
const (
	pageW, pageH = 210.0, 297.0
	marginX      = 18.0
	marginTop    = 30.0 // below the header
	marginBottom = 34.0 // above the footer
	footerTop    = pageH - marginBottom + 6
	contentW     = pageW - 2*marginX
	lineH        = 4.6
)

// Copy selects which variant of a certificate to print.
type Copy string

// Copies of a certificate.
const (
	// CopyFull is the caseworker's copy with every answer.
	CopyFull Copy = ""
	// CopyEmployer leaves out diagnoses and medical details (as AG 7804 does
	// for FK 7804), for templates that declare an employer copy.
	CopyEmployer Copy = "employer"
)

// Renderer makes PDFs. It is safe for concurrent use; make one at start-up.
type Renderer struct {
	face *face      // the embedded font, which every encoding draws from
	encs []encoding // the single-byte encodings, in order of preference
}

// New returns a Renderer over the embedded fonts. It fails only if the
// binary's embedded font files are broken, which a test rules out.
func New() (*Renderer, error) {
	f, encs, err := loadFonts()
	if err != nil {
		return nil, err
	}
	return &Renderer{face: f, encs: encs}, nil
}

// Render writes the PDF of certificate c, laid out from template t, to w.
// Returns ENOTFOUND if the template has no employer copy and one is asked
// for, EINVALID for an unknown copy.
func (r *Renderer) Render(w io.Writer, c *intake.Certificate, t *schemas.Template, copy Copy) error {
	if copy != CopyFull && copy != CopyEmployer {
		return intake.Errorf(intake.EINVALID, "Unknown copy %q.", copy)
	}
	if copy == CopyEmployer && t.EmployerCopy == nil {
		return intake.Errorf(intake.ENOTFOUND, "Template %s has no employer copy.", t.Key())
	}
	d, err := r.newDoc(c, t, copy)
	if err != nil {
		return err
	}
	d.setup()
	d.body()
	if err := d.output(w); err != nil {
		return fmt.Errorf("render: %s: %w", c.ID, err)
	}
	return nil
}

// output writes the finished document to w: fpdf's output with the
// content compressed and the font subset to the glyphs the document used.
func (d *doc) output(w io.Writer) error {
	if err := d.pdf.Error(); err != nil {
		return err
	}
	raw, out := buffer(), buffer()
	defer keep(raw)
	defer keep(out)
	if err := d.pdf.Output(raw); err != nil {
		return err
	}
	var rs []rune
	for i, used := range d.used {
		for code, ok := range used {
			if ok {
				rs = append(rs, d.r.encs[i].runes[code])
			}
		}
	}
	var font []byte
	if len(rs) > 0 {
		slices.Sort(rs)
		font = d.r.face.subset(slices.Compact(rs))
	}
	if err := finish(out, raw.Bytes(), font, d.pdf.PageCount()); err != nil {
		return err
	}
	_, err := w.Write(out.Bytes())
	return err
}

// pageCount stands for the document's page count in the page contents
// until output knows it. (fpdf's AliasNbPages does the same, but copies
// every page twice to look for it.)
const pageCount = "{nb}"

// doc is one document being laid out.
type doc struct {
	r    *Renderer
	c    *intake.Certificate
	t    *schemas.Template
	copy Copy
	pdf  *fpdf.Fpdf
	// qr draws the QR code of the id, made once for every page.
	qr string
	// added marks the encodings whose font the document has, and used the
	// characters it shows of each; size is the current font size in points.
	added []bool
	used  [][256]bool
	names []string
	size  float64
	// font and fontSize are the encoding and size selected in fpdf; font
	// is -1 when not known.
	font     int
	fontSize float64
	// ops is room for the operators text writes.
	ops []byte
	// For several certificates in one document: next is the one to swap in
	// at the next page's header with its page count nextTotal (the last
	// page's footer, drawn before that header, still counts the current
	// one's), first the page the current one starts on, and total its page
	// count (0: the document's, pageCount).
	next                    *Item
	first, total, nextTotal int
	// nameCut is set by the header when the patient's line did not fit:
	// the body then starts with it whole.
	nameCut bool
}

// Item is one certificate of a document of several, with its template.
type Item struct {
	Certificate *intake.Certificate
	Template    *schemas.Template
}

// RenderAll writes one PDF of several certificates, for printing them
// together: each starts on a new page with its own header, footer, QR code
// and page numbers ("Sida 1 av 3" counts its own pages).
func (r *Renderer) RenderAll(w io.Writer, items []Item) error {
	if len(items) == 0 {
		return intake.Errorf(intake.EINVALID, "Nothing to print.")
	}
	// The first pass counts each certificate's pages.
	totals := make([]int, len(items))
	for i, it := range items {
		d, err := r.newDoc(it.Certificate, it.Template, CopyFull)
		if err != nil {
			return err
		}
		d.setup()
		d.body()
		if err := d.pdf.Error(); err != nil {
			return fmt.Errorf("render: %s: %w", it.Certificate.ID, err)
		}
		totals[i] = d.pdf.PageCount()
	}
	d, err := r.newDoc(items[0].Certificate, items[0].Template, CopyFull)
	if err != nil {
		return err
	}
	d.total = totals[0]
	d.first = 1
	d.setup()
	d.body()
	for i, it := range items[1:] {
		it := it
		d.next, d.nextTotal = &it, totals[i+1]
		d.pdf.AddPage()
		d.body()
	}
	if err := d.output(w); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return nil
}

// newDoc starts the document of one certificate.
func (r *Renderer) newDoc(c *intake.Certificate, t *schemas.Template, copy Copy) (*doc, error) {
	d := &doc{r: r, c: c, t: t, copy: copy, pdf: fpdf.New("P", "mm", "A4", ""), added: make([]bool, len(r.encs)), used: make([][256]bool, len(r.encs)), names: make([]string, len(r.encs)), size: 9.5, font: -1}
	// output writes the page count in place of pageCount after the layout.
	for c := '0'; c <= '9'; c++ {
		d.used[0][r.encs[0].code[c]] = true
	}
	var err error
	if d.qr, err = qrCode(c.ID); err != nil {
		return nil, fmt.Errorf("render: %s: qr: %w", c.ID, err)
	}
	return d, nil
}

// qrCode returns the operators that draw the QR code of id in the footer,
// or "" for no id.
func qrCode(id string) (string, error) {
	if id == "" {
		return "", nil
	}
	runs, n, err := qrRuns(id)
	if err != nil {
		return "", err
	}
	return qrPath(runs, n, pageW-marginX-20, footerTop+2, 20), nil
}

func (d *doc) setup() {
	p := d.pdf
	p.SetCompression(false) // output compresses the pages, faster (output.go)
	p.SetCatalogSort(true)
	// Fixed dates from the record make the output depend on the record only.
	stamp := d.c.ReceivedAt
	if stamp.IsZero() {
		stamp = d.c.SignedAt
	}
	p.SetCreationDate(stamp.UTC())
	p.SetModificationDate(stamp.UTC())
	p.SetProducer("Intyg", false)
	p.SetCreator("Intyg", false)
	p.SetTitle(d.title(), true)
	p.SetLang("sv-SE")
	p.SetMargins(marginX, marginTop, marginX)
	p.SetAutoPageBreak(true, marginBottom)
	p.SetHeaderFuncMode(d.header, true)
	p.SetFooterFunc(d.footer)
	p.AddPage()
}

func (d *doc) title() string {
	if d.copy == CopyEmployer {
		return d.t.EmployerCopy.Title.SV
	}
	return d.t.Title.SV
}

func (d *doc) formNumber() string {
	if d.copy == CopyEmployer {
		return d.t.EmployerCopy.FormNumber
	}
	return d.t.FormNumber
}

// bold writes the following text filled and stroked, a bold face from the
// one embedded font.
func (d *doc) bold(on bool) {
	if on {
		d.pdf.SetTextRenderingMode(2)
		d.pdf.SetLineWidth(0.18)
	} else {
		d.pdf.SetTextRenderingMode(0)
		d.pdf.SetLineWidth(0.2)
	}
}

func (d *doc) header() {
	p := d.pdf
	if d.next != nil {
		// The first page of the next certificate of several.
		d.c, d.t, d.first, d.total = d.next.Certificate, d.next.Template, p.PageNo(), d.nextTotal
		d.qr, _ = qrCode(d.c.ID) // the first pass of RenderAll encoded it
		d.next = nil
	}
	// A page can start inside a table or a box of smaller text: go on in
	// the size the text was measured in.
	defer func(size float64) { d.size = size }(d.size)
	d.fontUnknown()
	defer d.fontUnknown()
	p.SetTextColor(0, 0, 0)
	p.SetDrawColor(0, 0, 0)
	d.size = 13
	d.bold(true)
	d.textAt(d.title(), marginX, 10, 6)
	d.bold(false)
	d.size = 10
	d.textRight(d.formNumber(), pageW-marginX, 10, 6)
	d.size = 9.5
	kind := "Personnummer"
	if d.c.Patient.IDKind == intake.KindSamordningsnummer {
		kind = "Samordningsnummer"
	}
	line := fmt.Sprintf("Patient: %s   %s: %s", d.c.Patient.Name, kind, intake.FormatPersonalID(d.c.Patient.ID))
	if gs := encode(d.r.encs, line); d.width(gs) > contentW*1.4 {
		// A very long name: name and number on a line each, smaller.
		d.size = 7
		whole := d.fit("Patient: "+d.c.Patient.Name, marginX, 15.5, contentW, 3.5, 6)
		d.nameCut = !d.fit(kind+": "+intake.FormatPersonalID(d.c.Patient.ID), marginX, 19.2, contentW, 3.5, 6) || !whole
	} else {
		d.nameCut = !d.fit(line, marginX, 16.5, contentW, 5, 6.5)
	}
	p.Line(marginX, 23.5, pageW-marginX, 23.5)
	p.SetXY(marginX, marginTop)
}

func (d *doc) footer() {
	p := d.pdf
	size := d.size
	d.fontUnknown()
	defer d.fontUnknown()
	if d.c.Status == intake.StatusRevoked || d.c.Status == intake.StatusReplaced {
		d.watermark()
	}
	p.SetTextColor(0, 0, 0)
	top := footerTop
	p.SetDrawColor(0, 0, 0)
	p.Line(marginX, top, pageW-marginX, top)
	id := d.c.ID
	received := "ej lagrat"
	if id == "" {
		id = "– (förhandsgranskning, ej lagrat)"
	} else if !d.c.ReceivedAt.IsZero() {
		received = localTime(d.c.ReceivedAt, "2006-01-02 15:04:05")
	}
	lines := []string{
		"Intygs-id: " + id,
		"Mottaget: " + received,
		"SHA-256 för inskickade data: " + d.c.SHA256,
		"Signerat: " + localTime(d.c.SignedAt, "2006-01-02 15:04") + " av " + d.c.Issuer.Name + ", " + d.c.Issuer.Unit.Name,
	}
	d.size = 7.5
	for i, l := range lines {
		// The signer line may be cut; the issuer block has it in full.
		d.fit(l, marginX, top+2+float64(i)*3.6, contentW-24, 3.6, 6)
	}
	d.size = 8.5
	page := fmt.Sprintf("Sida %d av %s", p.PageNo(), pageCount)
	if d.total > 0 {
		page = fmt.Sprintf("Sida %d av %d", p.PageNo()-d.first+1, d.total)
	}
	d.textAt(page, marginX, top+2+4*3.6+1, 4)
	if d.qr != "" {
		p.SetFillColor(0, 0, 0)
		p.RawWriteStr(d.qr)
	}
	d.size = size
}

// localTime writes t as a person in Sweden reads it: in Europe/Stockholm,
// whatever offset it was submitted or stored with, and saying so. Every
// time a PDF shows goes through here.
func localTime(t time.Time, layout string) string {
	return t.In(intake.Stockholm).Format(layout) + " (svensk tid)"
}

// watermark writes MAKULERAT or ERSATT across the page.
func (d *doc) watermark() {
	p := d.pdf
	word := "MAKULERAT"
	if d.c.Status == intake.StatusReplaced {
		word = "ERSATT"
	}
	d.size = 64
	d.use(0)
	gs := encode(d.r.encs, word) // capital letters: encoding 0's bytes are ASCII
	for _, g := range gs {
		d.used[g.enc][g.code] = true
	}
	p.SetTextColor(200, 30, 30)
	p.SetAlpha(0.35, "Normal")
	w := d.width(gs)
	cx, cy := pageW/2, pageH/2
	p.TransformBegin()
	p.TransformRotate(50, cx, cy)
	p.Text(cx-w/2, cy+8, word)
	p.TransformEnd()
	p.SetAlpha(1, "Normal")
}

// need starts a new page unless h millimetres are left above the footer,
// so that a heading never ends a page and a label stays with its answer.
func (d *doc) need(h float64) {
	if d.pdf.GetY()+h > pageH-marginBottom {
		d.pdf.AddPage()
	}
}
