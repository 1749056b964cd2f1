package render

import (
	"fmt"
	"slices"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"github.com/boombuler/barcode/qr"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

const (
	ticked   = "☒"
	unticked = "☐"
	missing  = "Ej angivet"
)

// body lays out the warnings, every section of the form definition in
// order, and the issuer block.
func (d *doc) body() {
	if d.copy == CopyFull && len(d.c.Warnings) > 0 {
		d.warnings()
	}
	for _, s := range d.t.Form.Sections {
		var qs []schemas.Question
		for _, q := range s.Questions {
			if d.shows(q) {
				qs = append(qs, q)
			}
		}
		if len(qs) == 0 {
			continue
		}
		d.heading(s, qs[0])
		for _, q := range qs {
			d.question(q)
		}
	}
	d.issuer()
}

// shows reports whether a question belongs on this copy: its condition
// holds for the answers, and the employer copy names its field.
func (d *doc) shows(q schemas.Question) bool {
	if d.copy == CopyEmployer && !slices.Contains(d.t.EmployerCopy.Fields, q.Field) {
		return false
	}
	return intake.Holds(q.DependsOn, map[string]any{"answers": d.c.Answers})
}

func (d *doc) warnings() {
	p := d.pdf
	d.need(8 + float64(len(d.c.Warnings))*lineH)
	p.SetFillColor(255, 243, 205)
	p.SetFont(fontFamily, "", 10)
	d.bold(true)
	p.CellFormat(contentW, 6, "Observera", "", 1, "L", true, 0, "")
	d.bold(false)
	p.SetFont(fontFamily, "", 9)
	for _, w := range d.c.Warnings {
		p.MultiCell(contentW, lineH, text(w.Message+" ("+w.Pointer+")"), "", "L", true)
	}
	p.Ln(3)
}

// heading writes a section title; it keeps the title on the page with the
// start of its first question.
func (d *doc) heading(s schemas.Section, first schemas.Question) {
	p := d.pdf
	d.need(8 + d.questionStart(first))
	p.Ln(2)
	p.SetFillColor(228, 233, 240)
	p.SetFont(fontFamily, "", 11)
	d.bold(true)
	p.CellFormat(contentW, 7, text(s.Title.SV), "", 1, "L", true, 0, "")
	d.bold(false)
	p.Ln(1.5)
}

// questionStart is the height a question's label and first answer line need.
func (d *doc) questionStart(q schemas.Question) float64 {
	lines := d.pdf.SplitText(text(label(q)), contentW)
	return float64(len(lines))*lineH + 2*lineH + 2
}

func label(q schemas.Question) string {
	if q.ID == "" {
		return q.Label.SV
	}
	return q.ID + ". " + q.Label.SV
}

// question writes a label and its answer, keeping them together.
func (d *doc) question(q schemas.Question) {
	p := d.pdf
	d.need(d.questionStart(q))
	p.SetFont(fontFamily, "", 9.5)
	d.bold(true)
	p.MultiCell(contentW, lineH, text(label(q)), "", "L", false)
	d.bold(false)
	p.SetFont(fontFamily, "", 9.5)
	v, present := d.c.Answers[q.Field]
	switch q.Widget {
	case "checkbox":
		d.options([]schemas.Option{{Value: true, Label: schemas.Text{SV: "Ja"}}}, func(o schemas.Option) bool { return v == true })
	case "yesNo":
		d.options([]schemas.Option{{Value: true, Label: schemas.Text{SV: "Ja"}}, {Value: false, Label: schemas.Text{SV: "Nej"}}},
			func(o schemas.Option) bool { return present && v == o.Value })
	case "radio":
		d.options(q.Options, func(o schemas.Option) bool { return present && same(v, o.Value) })
	case "checkboxGroup":
		d.options(q.Options, func(o schemas.Option) bool { return contains(v, o.Value) })
	case "checkboxDates":
		d.optionDates(q, v)
	case "areaTexts":
		d.areaTexts(q, v)
	case "diagnoses":
		d.diagnoses()
	case "periods":
		d.periods(q)
	case "textWithCodes":
		m, _ := v.(map[string]any)
		d.answer(str(m["text"]))
		if codes, ok := m["icf"].([]any); ok && len(codes) > 0 {
			var cs []string
			for _, c := range codes {
				cs = append(cs, str(c))
			}
			d.answer("ICF: " + strings.Join(cs, ", "))
		}
	case "group":
		d.group(q, v)
	default: // text, textarea, integer, date
		d.answer(str(v))
	}
	p.Ln(2)
}

// answer writes free text, wrapped and flowing over pages line by line.
func (d *doc) answer(s string) {
	p := d.pdf
	p.SetX(marginX + 4)
	if s == "" {
		p.SetTextColor(110, 110, 110)
		p.MultiCell(contentW-4, lineH, missing, "", "L", false)
		p.SetTextColor(0, 0, 0)
		return
	}
	p.MultiCell(contentW-4, lineH, text(s), "", "L", false)
}

// options lists every option with a box, ticked where chosen, as on the
// paper form: a caseworker sees what was not chosen too.
func (d *doc) options(opts []schemas.Option, chosen func(schemas.Option) bool) {
	p := d.pdf
	for _, o := range opts {
		box := unticked
		if chosen(o) {
			box = ticked
		}
		p.SetX(marginX + 4)
		p.MultiCell(contentW-4, lineH, text(box+" "+o.Label.SV), "", "L", false)
	}
}

// optionDates lists each option with a box and, when ticked, its date.
func (d *doc) optionDates(q schemas.Question, v any) {
	items, _ := v.([]any)
	p := d.pdf
	for _, o := range q.Options {
		box, date := unticked, ""
		for _, it := range items {
			m, _ := it.(map[string]any)
			if same(m["type"], o.Value) {
				box, date = ticked, str(m["date"])
			}
		}
		p.SetX(marginX + 4)
		line := box + " " + o.Label.SV
		if date != "" {
			line += "   " + date
		}
		p.MultiCell(contentW-4, lineH, text(line), "", "L", false)
	}
}

// areaTexts lists each area with a box, and under a ticked one its text.
func (d *doc) areaTexts(q schemas.Question, v any) {
	items, _ := v.([]any)
	p := d.pdf
	for _, o := range q.Options {
		var body string
		box := unticked
		for _, it := range items {
			m, _ := it.(map[string]any)
			if same(m["area"], o.Value) {
				box, body = ticked, str(m["text"])
			}
		}
		d.need(3 * lineH)
		p.SetX(marginX + 4)
		p.MultiCell(contentW-4, lineH, text(box+" "+o.Label.SV), "", "L", false)
		if box == ticked {
			p.SetX(marginX + 9)
			p.MultiCell(contentW-9, lineH, text(body), "", "L", false)
		}
	}
}

// group writes repeated items: each item's fields with their labels.
func (d *doc) group(q schemas.Question, v any) {
	items, _ := v.([]any)
	if len(items) == 0 {
		d.answer("")
		return
	}
	p := d.pdf
	for i, it := range items {
		m, _ := it.(map[string]any)
		d.need(3 * lineH)
		p.SetX(marginX + 4)
		p.CellFormat(contentW-4, lineH, fmt.Sprintf("%d.", i+1), "", 1, "L", false, 0, "")
		for _, f := range q.Items {
			val := str(m[f.Field])
			for _, o := range f.Options {
				if same(m[f.Field], o.Value) {
					val = o.Label.SV
				}
			}
			p.SetX(marginX + 9)
			p.MultiCell(contentW-9, lineH, text(f.Label.SV+": "+val), "", "L", false)
		}
	}
}

// diagnoses writes a table: code, ICD-10-SE title, the physician's description.
func (d *doc) diagnoses() {
	widths := []float64{22, 72, contentW - 4 - 94}
	rows := [][]string{}
	for _, dg := range d.c.Diagnoses {
		rows = append(rows, []string{dg.Code, dg.Title, dg.Description})
	}
	d.table([]string{"Kod", "Benämning (ICD-10-SE)", "Beskrivning"}, widths, rows)
}

// periods writes one row per degree option, the chosen ones with dates and
// day counts, and the totals.
func (d *doc) periods(q schemas.Question) {
	sl := d.c.SickLeave
	widths := []float64{52, 27, 27, 22, contentW - 4 - 128}
	var rows [][]string
	for _, o := range q.Options {
		row := []string{unticked + " " + o.Label.SV, "", "", "", ""}
		if sl != nil {
			for _, pr := range sl.Periods {
				if same(pr.Degree, o.Value) {
					row = []string{ticked + " " + o.Label.SV, pr.From.String(), pr.To.String(), fmt.Sprint(pr.Days), trimFloat(pr.NetDays)}
				}
			}
		}
		rows = append(rows, row)
	}
	if sl != nil {
		rows = append(rows, []string{"Totalt", sl.From.String(), sl.To.String(), fmt.Sprint(sl.TotalDays), trimFloat(sl.NetDays)})
	}
	d.table([]string{"Nedsättning", "Från och med", "Till och med", "Dagar", "Nettodagar"}, widths, rows)
}

// table writes a bordered table whose cells wrap; a row never splits.
func (d *doc) table(head []string, widths []float64, rows [][]string) {
	p := d.pdf
	p.SetFont(fontFamily, "", 8.5)
	d.need(2 * (lineH + 1.5))
	d.row(head, widths, true)
	for _, r := range rows {
		d.row(r, widths, false)
	}
	p.SetFont(fontFamily, "", 9.5)
}

func (d *doc) row(cells []string, widths []float64, head bool) {
	p := d.pdf
	h := lineH
	for i, c := range cells {
		if n := float64(len(p.SplitText(text(c), widths[i]-2))); n*lineH > h {
			h = n * lineH
		}
	}
	h += 1.5
	if p.GetY()+h > pageH-marginBottom {
		p.AddPage()
		if !head {
			p.SetFont(fontFamily, "", 8.5)
		}
	}
	x, y := marginX+4, p.GetY()
	if head {
		p.SetFillColor(242, 242, 242)
	}
	for i, c := range cells {
		p.Rect(x, y, widths[i], h, map[bool]string{true: "FD", false: "D"}[head])
		p.SetXY(x+1, y+0.75)
		p.MultiCell(widths[i]-2, lineH, text(c), "", "L", false)
		x += widths[i]
	}
	p.SetXY(marginX, y+h)
}

// issuer writes who signed, for which unit and care provider.
func (d *doc) issuer() {
	p := d.pdf
	is := d.c.Issuer
	lines := []string{
		is.Name + ", " + roleName(is.Role) + ", HSA-id " + is.HSAID,
	}
	if is.PrescriberCode != "" {
		lines = append(lines, "Förskrivarkod: "+is.PrescriberCode)
	}
	if len(is.Specialities) > 0 {
		lines = append(lines, "Specialitet: "+strings.Join(is.Specialities, ", "))
	}
	lines = append(lines, is.Unit.Name+", HSA-id "+is.Unit.HSAID)
	if is.Unit.WorkplaceCode != "" {
		lines = append(lines, "Arbetsplatskod: "+is.Unit.WorkplaceCode)
	}
	lines = append(lines, is.Unit.Address+", "+is.Unit.PostalCode+" "+is.Unit.City, "Telefon: "+is.Unit.Phone)
	if is.CareProvider != nil {
		lines = append(lines, "Vårdgivare: "+is.CareProvider.Name+", HSA-id "+is.CareProvider.HSAID)
	}
	lines = append(lines, "Signerat: "+d.c.SignedAt.Format("2006-01-02 15:04 -07:00"))
	d.need(12 + float64(len(lines))*lineH)
	p.Ln(2)
	p.SetFillColor(228, 233, 240)
	p.SetFont(fontFamily, "", 11)
	d.bold(true)
	p.CellFormat(contentW, 7, "Intygsutfärdare", "", 1, "L", true, 0, "")
	d.bold(false)
	p.Ln(1.5)
	p.SetFont(fontFamily, "", 9.5)
	for _, l := range lines {
		p.SetX(marginX + 4)
		p.MultiCell(contentW-4, lineH, text(l), "", "L", false)
	}
}

func roleName(role string) string {
	switch role {
	case "DOCTOR":
		return "läkare"
	case "PRIVATE_DOCTOR":
		return "privatpraktiserande läkare"
	case "DENTIST":
		return "tandläkare"
	}
	return role
}

// qrRuns encodes s as a QR code and returns, row by row, the runs of dark
// modules as [row, first column, length], and the module count per side.
func qrRuns(s string) ([][3]int, int, error) {
	code, err := qr.Encode(s, qr.M, qr.Auto)
	if err != nil {
		return nil, 0, err
	}
	n := code.Bounds().Dx()
	var runs [][3]int
	for row := 0; row < n; row++ {
		start := -1
		for col := 0; col <= n; col++ {
			dark := false
			if col < n {
				r, _, _, _ := code.At(col, row).RGBA()
				dark = r == 0
			}
			switch {
			case dark && start < 0:
				start = col
			case !dark && start >= 0:
				runs = append(runs, [3]int{row, start, col - start})
				start = -1
			}
		}
	}
	return runs, n, nil
}

// drawQR draws the QR code's runs as filled rectangles in a size × size box.
func drawQR(p *fpdf.Fpdf, runs [][3]int, n int, x, y, size float64) {
	cell := size / float64(n)
	p.SetFillColor(0, 0, 0)
	for _, r := range runs {
		p.Rect(x+float64(r[1])*cell, y+float64(r[0])*cell, float64(r[2])*cell, cell, "F")
	}
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// same compares an answer value with an option value (strings, or
// numbers decoded as json.Number, float64 or int).
func same(a, b any) bool {
	return a != nil && b != nil && fmt.Sprint(a) == fmt.Sprint(b)
}

func contains(list any, v any) bool {
	items, _ := list.([]any)
	for _, it := range items {
		if same(it, v) {
			return true
		}
	}
	return false
}

func trimFloat(f float64) string {
	s := fmt.Sprintf("%.2f", f)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return strings.Replace(s, ".", ",", 1)
}
