package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	qr "github.com/piglig/go-qr"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

const missing = "Ej angivet"

// body lays out the warnings, every section of the form definition in
// order, and the issuer block.
func (d *doc) body() {
	if d.nameCut {
		d.size = 9
		d.para("Patient: "+d.c.Patient.Name, marginX, contentW, lineH)
		d.pdf.SetY(d.pdf.GetY() + 2)
	}
	if lines := d.statusLines(); lines != nil {
		d.note(lines[0], lines[1:], 250, 220, 220)
	}
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
		d.heading(s.Title.SV, d.questionStart(qs[0]))
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

// statusLines says, in words the text layer keeps, that the certificate is
// revoked or replaced, and when, why and by which: its title and lines.
// nil for one that is neither (the watermark alone is drawn text that
// pdftotext scatters).
func (d *doc) statusLines() []string {
	switch c := d.c; {
	case c.Status == intake.StatusRevoked && c.Revocation != nil:
		why := "annat allvarligt fel"
		if c.Revocation.Reason == intake.RevokeWrongPatient {
			why = "skrivet för fel patient"
		}
		line := "Makulerat " + localTime(c.Revocation.At, "2006-01-02 15:04") + ": " + why + "."
		if c.Revocation.Message != "" && d.copy == CopyFull {
			// The physician's words may be medical: not the employer's.
			line += " " + c.Revocation.Message
		}
		return []string{"MAKULERAT: intyget gäller inte", line}
	case c.Status == intake.StatusReplaced:
		lines := []string{"ERSATT: intyget är ersatt av ett annat"}
		for _, r := range c.Relations {
			if r.Direction == intake.DirectionIncoming && r.Type.Supersedes() {
				lines = append(lines, "Ersatt av intyg "+r.Certificate+".")
			}
		}
		return lines
	}
	return nil
}

// warnings writes the non-blocking problems found at intake, boxed.
func (d *doc) warnings() {
	var lines []string
	for _, w := range d.c.Warnings {
		lines = append(lines, w.Message+" ("+w.Pointer+")")
	}
	d.note("Observera", lines, 255, 243, 205)
}

// note writes title and lines in a box shaded (r, g, b).
func (d *doc) note(title string, lines []string, r, g, b int) {
	p := d.pdf
	d.size = 9
	h := 7.0
	for _, l := range lines {
		h += d.height(l, contentW-4, lineH)
	}
	if h > pageH-marginBottom-marginTop {
		// Longer than a page: shaded line by line, so that no page's
		// part of it runs into the footer.
		d.need(7 + lineH)
		d.shade(marginX, p.GetY(), contentW, 6.5, "F", r, g, b)
		d.noteTitle(title)
		for _, l := range lines {
			for _, gs := range d.wrap(l, contentW-4) {
				d.need(lineH + 0.5)
				y := p.GetY()
				d.shade(marginX, y, contentW, lineH+0.5, "F", r, g, b)
				d.line(gs, marginX+2, y, lineH)
				p.SetY(y + lineH)
			}
		}
		p.SetY(p.GetY() + 3)
		return
	}
	d.need(h)
	d.shade(marginX, p.GetY(), contentW, h, "F", r, g, b)
	d.noteTitle(title)
	for _, l := range lines {
		d.para(l, marginX+2, contentW-4, lineH)
	}
	p.SetY(p.GetY() + 3)
}

// noteTitle writes a note's title at the top of its box.
func (d *doc) noteTitle(title string) {
	p := d.pdf
	d.size = 10
	d.bold(true)
	d.textAt(title, marginX+2, p.GetY()+0.5, 6)
	d.bold(false)
	p.SetY(p.GetY() + 6.5)
	d.size = 9
}

// shade fills a rectangle in colour (r, g, b), and outlines it too with
// style "FD", then sets the fill colour back to black, the text's: text
// whose colour is not the fill colour is written inside q … Q with its own.
func (d *doc) shade(x, y, w, h float64, style string, r, g, b int) {
	d.pdf.SetFillColor(r, g, b)
	d.pdf.Rect(x, y, w, h, style)
	d.pdf.SetFillColor(0, 0, 0)
}

// heading writes a section title, on the page with the next need mm.
func (d *doc) heading(title string, next float64) {
	p := d.pdf
	d.need(2 + 8.5 + next)
	p.SetY(p.GetY() + 2)
	d.shade(marginX, p.GetY(), contentW, 7, "F", 228, 233, 240)
	d.size = 11
	d.bold(true)
	d.textAt(title, marginX+1.5, p.GetY(), 7)
	d.bold(false)
	p.SetY(p.GetY() + 8.5)
	d.size = 9.5
}

// questionStart is the height a question's label and first answer lines
// need; for a table, its header row and first row.
func (d *doc) questionStart(q schemas.Question) float64 {
	d.size = 9.5
	h := d.height(label(q), contentW, lineH)
	if g, ok := d.grid(q, d.c.Answers[q.Field]); ok {
		return h + d.tableStart(g)
	}
	if items, _ := d.c.Answers[q.Field].([]any); q.Widget == schemas.WidgetGroup && len(items) > 0 {
		return h + d.tableStart(d.groupGrid(q, items))
	}
	if q.Widget == schemas.WidgetAreaTexts {
		return h + 3*lineH + 2 // what areaTexts keeps for a ticked area and its text
	}
	return h + 2*lineH + 2
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
	d.size = 9.5
	d.bold(true)
	d.para(label(q), marginX, contentW, lineH)
	d.bold(false)
	v, present := d.c.Answers[q.Field]
	switch q.Widget {
	case schemas.WidgetCheckbox:
		d.options([]schemas.Option{{Value: true, Label: schemas.Text{SV: "Ja"}}}, func(o schemas.Option) bool { return v == true })
	case schemas.WidgetYesNo:
		d.options([]schemas.Option{{Value: true, Label: schemas.Text{SV: "Ja"}}, {Value: false, Label: schemas.Text{SV: "Nej"}}},
			func(o schemas.Option) bool { return present && v == o.Value })
	case schemas.WidgetRadio:
		d.options(q.Options, func(o schemas.Option) bool { return present && same(v, o.Value) })
	case schemas.WidgetCheckboxGroup:
		d.options(q.Options, func(o schemas.Option) bool { return contains(v, o.Value) })
	case schemas.WidgetCheckboxDates:
		d.optionDates(q, v)
	case schemas.WidgetAreaTexts:
		d.areaTexts(q, v)
	case schemas.WidgetDiagnoses, schemas.WidgetPeriods:
		if g, ok := d.grid(q, v); ok {
			d.table(g)
		} else {
			d.group(q, v)
		}
	case schemas.WidgetTextWithCodes:
		m, _ := v.(map[string]any)
		d.answer(str(m[schemas.ItemText]))
		if codes, ok := m[schemas.ItemICF].([]any); ok && len(codes) > 0 {
			var cs []string
			for _, c := range codes {
				cs = append(cs, str(c))
			}
			d.answer("ICF: " + strings.Join(cs, ", "))
		}
	case schemas.WidgetGroup:
		if items, _ := v.([]any); len(items) > 0 {
			d.table(d.groupGrid(q, items))
		} else {
			d.answer("")
		}
	case schemas.WidgetText, schemas.WidgetTextarea, schemas.WidgetInteger, schemas.WidgetDate:
		d.answer(str(v))
	default:
		panic("render: widget " + string(q.Widget) + " has no layout") // schemas.Load refuses unknown widgets
	}
	p.SetY(p.GetY() + 2)
}

// answer writes free text, wrapped and flowing over pages line by line.
func (d *doc) answer(s string) {
	if s == "" {
		d.pdf.SetTextColor(110, 110, 110)
		d.para(missing, marginX+4, contentW-4, lineH)
		d.pdf.SetTextColor(0, 0, 0)
		return
	}
	d.para(s, marginX+4, contentW-4, lineH)
}

// box draws a check box at (x, y), ticked with an X when on; the X is
// text, so that extracted text says which boxes are ticked.
func (d *doc) box(x, y float64, on bool) {
	p := d.pdf
	p.SetLineWidth(0.25)
	p.Rect(x, y+0.8, 3, 3, "D")
	if on {
		size := d.size
		d.size = 8
		d.textAt("X", x+0.55, y+0.45, 3.6)
		d.size = size
	}
}

// option writes one choice: its box and its label (and what follows it).
func (d *doc) option(on bool, text string, indent float64) {
	p := d.pdf
	if p.GetY()+lineH > pageH-marginBottom {
		p.AddPage()
	}
	d.box(marginX+indent, p.GetY(), on)
	d.para(text, marginX+indent+5, contentW-indent-5, lineH)
}

// options lists every option with a box, ticked where chosen, as on the
// paper form: a caseworker sees what was not chosen too.
func (d *doc) options(opts []schemas.Option, chosen func(schemas.Option) bool) {
	for _, o := range opts {
		d.option(chosen(o), o.NumberedSV(), 4)
	}
}

// optionDates lists each option with a box and, when ticked, its date.
func (d *doc) optionDates(q schemas.Question, v any) {
	items, _ := v.([]any)
	for _, o := range q.Options {
		on, date := false, ""
		for _, it := range items {
			m, _ := it.(map[string]any)
			if same(m[schemas.ItemType], o.Value) {
				on, date = true, str(m[schemas.ItemDate])
			}
		}
		text := o.NumberedSV()
		if date != "" {
			text += "   " + date
		}
		d.option(on, text, 4)
	}
}

// areaTexts lists each area with a box, and under a ticked one its text.
func (d *doc) areaTexts(q schemas.Question, v any) {
	items, _ := v.([]any)
	for _, o := range q.Options {
		var body string
		on := false
		for _, it := range items {
			m, _ := it.(map[string]any)
			if same(m[schemas.ItemArea], o.Value) {
				on, body = true, str(m[schemas.ItemText])
			}
		}
		if on {
			d.need(3 * lineH)
		}
		d.option(on, o.NumberedSV(), 4)
		if on {
			d.para(body, marginX+9, contentW-9, lineH)
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
	for i, it := range items {
		m, _ := it.(map[string]any)
		d.need(3 * lineH)
		d.para(fmt.Sprintf("%d.", i+1), marginX+4, contentW-4, lineH)
		for _, f := range q.Items {
			val := str(m[f.Field])
			for _, o := range f.Options {
				if same(m[f.Field], o.Value) {
					val = o.Label.SV
				}
			}
			d.para(f.Label.SV+": "+val, marginX+9, contentW-9, lineH)
		}
	}
}

// groupGrid is a table of repeated items (investigations: type,
// date, source): a column per item field, dates narrow, an option shown by
// its label.
func (d *doc) groupGrid(q schemas.Question, items []any) grid {
	const dateW = 24
	dates := 0
	for _, f := range q.Items {
		if f.Widget == schemas.WidgetDate {
			dates++
		}
	}
	rest := (contentW - 4 - float64(dates)*dateW) / float64(max(len(q.Items)-dates, 1))
	var g grid
	for _, f := range q.Items {
		g.head = append(g.head, f.Label.SV)
		if f.Widget == schemas.WidgetDate {
			g.widths = append(g.widths, dateW)
		} else {
			g.widths = append(g.widths, rest)
		}
	}
	for _, it := range items {
		m, _ := it.(map[string]any)
		var row []string
		for _, f := range q.Items {
			val := str(m[f.Field])
			for _, o := range f.Options {
				if same(m[f.Field], o.Value) {
					val = o.Label.SV
				}
			}
			row = append(row, val)
		}
		g.rows = append(g.rows, row)
	}
	return g
}

// grid is a table's content: its header row, column widths and rows, and
// for a table of options whether each row's option is ticked.
type grid struct {
	head   []string
	widths []float64
	rows   [][]string
	ticks  []bool
	total  bool // the last row sums the others: it never begins a page without the last ticked row
}

// grid returns the table that answers q, if q is laid out as one: the
// periods, and the diagnoses when the template derives them from q.
func (d *doc) grid(q schemas.Question, v any) (grid, bool) {
	switch q.Widget {
	case schemas.WidgetPeriods:
		return d.periods(q, v), true
	case schemas.WidgetDiagnoses:
		if dd := d.t.Derive.Diagnoses; dd != nil && dd.Field == q.Field {
			return d.diagnoses(), true
		}
	}
	return grid{}, false
}

// diagnoses is a table: code, ICD-10-SE title, the physician's description.
func (d *doc) diagnoses() grid {
	widths := []float64{22, 72, contentW - 4 - 94}
	var rows [][]string
	for _, dg := range d.c.Diagnoses {
		rows = append(rows, []string{dg.Code, dg.Title, dg.Description})
	}
	return grid{head: []string{"Kod", "Benämning (ICD-10-SE)", "Beskrivning"}, widths: widths, rows: rows}
}

// periods is a table of one row per degree option, the chosen ones ticked with
// dates and day counts, and the totals. The figures are the record's when
// the template derives its sick leave from q; otherwise the answer's dates.
func (d *doc) periods(q schemas.Question, v any) grid {
	var sl *intake.SickLeave
	if ds := d.t.Derive.SickLeave; ds != nil && ds.Field == q.Field {
		sl = d.c.SickLeave
	}
	items, _ := v.([]any)
	widths := []float64{52, 27, 27, 22, contentW - 4 - 128}
	var rows [][]string
	var ticks []bool
	for _, o := range q.Options {
		row, on := []string{o.Label.SV, "", "", "", ""}, false
		if sl != nil {
			for _, pr := range sl.Periods {
				if same(pr.Degree, o.Value) {
					row, on = []string{o.Label.SV, pr.From.String(), pr.To.String(), fmt.Sprint(pr.Days), intake.SwedishDecimal(pr.NetDays)}, true
				}
			}
		} else {
			for _, it := range items {
				m, _ := it.(map[string]any)
				if same(m[schemas.ItemDegree], o.Value) {
					row, on = []string{o.Label.SV, str(m[schemas.ItemFrom]), str(m[schemas.ItemTo]), "", ""}, true
				}
			}
		}
		rows, ticks = append(rows, row), append(ticks, on)
	}
	if sl != nil {
		rows = append(rows, []string{"Totalt", sl.From.String(), sl.To.String(), fmt.Sprint(sl.TotalDays), intake.SwedishDecimal(sl.NetDays)})
	}
	return grid{head: []string{"Nedsättning", "Från och med", "Till och med", "Dagar", "Nettodagar"}, widths: widths, rows: rows, ticks: ticks, total: sl != nil}
}

// table writes a bordered table whose cells wrap. The header row starts
// on the page with the first row, and when rows go on over a page it is
// repeated at the top of the new one. A row that fits on a page is never
// split; one taller than a page (a long text in a cell) fills the page
// and goes on over the next, every line of it printed, under its label
// again or, of a label that goes on itself, under "(forts.)" (split).
// When ticks is given, the first cell of row i starts with a check box.
func (d *doc) table(g grid) {
	p := d.pdf
	d.size = 8.5
	hd := d.cells(g.head, g.widths, nil)
	bottom := pageH - marginBottom
	keepFrom := g.keepFrom()
	for i := range g.rows {
		c := d.gridRow(g, i)
		head := i == 0 // the header row comes first, here or on a new page
		fresh := false // a page was just begun for the row
		// A total keeps company over a page break with the rows from the
		// last ticked one (the period it ends with), or the row before.
		var next float64
		if g.total && i >= keepFrom && i < len(g.rows)-1 {
			for j := i + 1; j < len(g.rows); j++ {
				next += d.gridRow(g, j).h
			}
		}
		for {
			room := bottom - p.GetY()
			if head {
				room -= hd.h
			}
			if c.h+next <= room || fresh && c.h <= room {
				break
			}
			if fresh || hd.h+c.h > bottom-marginTop && room >= minRowPart*lineH {
				// Taller than a page: what fits here, the rest over the next.
				mark := d.wrap("(forts.)", g.widths[0]-2)
				again := d.wrap(g.rows[i][0]+" (forts.)", g.widths[0]-2)
				if hd.h+float64(len(again))*lineH+rowPad > bottom-marginTop {
					again = mark // a label taller than a page is not printed twice
				}
				var part tableRow
				part, c = c.split(max(int((room-rowPad)/lineH), 1), again, mark)
				d.headAndRow(hd, part, head, g.widths)
			}
			p.AddPage()
			head, fresh = true, true
		}
		d.headAndRow(hd, c, head, g.widths)
	}
	if len(g.rows) == 0 {
		d.need(hd.h)
		d.row(hd, g.widths, true)
	}
	d.size = 9.5
}

// headAndRow draws row r, after the header row hd when head.
func (d *doc) headAndRow(hd, r tableRow, head bool, widths []float64) {
	if head {
		d.row(hd, widths, true)
	}
	d.row(r, widths, false)
}

// minRowPart is how many lines of a row taller than a page begin on a page
// before it goes on over the next; less room than that, and it begins on
// the next. rowPad is the room a row has beside its lines.
const (
	minRowPart = 3
	rowPad     = 1.5
)

// split cuts r after n lines of each cell: the part on this page, and the
// rest (no check box again) on the next, whose first cell says that the
// row goes on, so that the next page does not go on with an unlabelled
// row: when the first cell, the row's label, ends on this page, it is
// again (the label again, "… (forts.)"); when the label itself goes on,
// mark ("(forts.)") above the rest of it.
func (r tableRow) split(n int, again, mark [][]glyph) (tableRow, tableRow) {
	part := tableRow{lines: make([][][]glyph, len(r.lines)), h: float64(n)*lineH + rowPad, tick: r.tick}
	rest := tableRow{lines: make([][][]glyph, len(r.lines)), tick: nil}
	most := 0
	for i, ls := range r.lines {
		k := min(n, len(ls))
		part.lines[i], rest.lines[i] = ls[:k], ls[k:]
		if i == 0 && k == len(ls) {
			rest.lines[i] = again
		} else if i == 0 {
			rest.lines[i] = slices.Concat(mark, ls[k:])
		}
		most = max(most, len(rest.lines[i]))
	}
	rest.h = max(float64(most), 1)*lineH + rowPad
	return part, rest
}

// tableStart is the height of g's header row and its first row (or, of a
// first row taller than a page, the part that begins with the header),
// which start on one page; of a table whose first row stays with its total
// (keepFrom), every row.
func (d *doc) tableStart(g grid) float64 {
	size := d.size
	defer func() { d.size = size }()
	d.size = 8.5
	h := d.cells(g.head, g.widths, nil).h
	if g.total && g.keepFrom() <= 0 {
		// The first row stays with the total: all of it starts together,
		// if it fits a page.
		all := h
		for i := range g.rows {
			all += d.gridRow(g, i).h
		}
		if all <= pageH-marginBottom-marginTop {
			return all
		}
	}
	if len(g.rows) > 0 {
		r := d.gridRow(g, 0)
		if h+r.h > pageH-marginBottom-marginTop {
			return h + minRowPart*lineH + rowPad
		}
		h += r.h
	}
	return h
}

// keepFrom is the first of the rows a total keeps with it over a page
// break: from the last ticked one (the period it ends with), or the row
// before it when none is ticked.
func (g grid) keepFrom() int {
	from := len(g.rows) - 2
	for i, on := range g.ticks {
		if on && i < len(g.rows)-1 {
			from = i
		}
	}
	return from
}

// gridRow is row i of g wrapped to its columns.
func (d *doc) gridRow(g grid, i int) tableRow {
	var tick *bool
	if i < len(g.ticks) {
		tick = &g.ticks[i]
	}
	return d.cells(g.rows[i], g.widths, tick)
}

// tableRow is a row's cells wrapped to their columns, and its height.
type tableRow struct {
	lines [][][]glyph
	h     float64
	tick  *bool
}

// pad is the room before cell i's text: a check box's in a ticked row's first cell.
func (r tableRow) pad(i int) float64 {
	if i == 0 && r.tick != nil {
		return 5
	}
	return 0
}

func (d *doc) cells(cells []string, widths []float64, tick *bool) tableRow {
	r := tableRow{lines: make([][][]glyph, len(cells)), h: lineH, tick: tick}
	for i, c := range cells {
		r.lines[i] = d.wrap(c, widths[i]-2-r.pad(i))
		r.h = max(r.h, float64(len(r.lines[i]))*lineH)
	}
	r.h += rowPad
	return r
}

// row draws r at the current position, on a new page if it does not fit.
func (d *doc) row(r tableRow, widths []float64, head bool) {
	p := d.pdf
	d.need(r.h)
	x, y := marginX+4, p.GetY()
	p.SetLineWidth(0.2)
	for i := range r.lines {
		if head {
			d.shade(x, y, widths[i], r.h, "FD", 242, 242, 242)
		} else {
			p.Rect(x, y, widths[i], r.h, "D")
		}
		if r.pad(i) > 0 {
			d.box(x+1, y+0.75, *r.tick)
		}
		for j, l := range r.lines[i] {
			d.line(l, x+1+r.pad(i), y+0.75+float64(j)*lineH, lineH)
		}
		x += widths[i]
	}
	p.SetXY(marginX, y+r.h)
}

// issuer writes who signed, for which unit and care provider.
func (d *doc) issuer() {
	is := d.c.Issuer
	lines := []string{
		is.Name + ", " + d.roleName(is.Role) + ", HSA-id " + is.HSAID,
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
	lines = append(lines, "Signerat: "+localTime(d.c.SignedAt, "2006-01-02 15:04"))
	d.heading("Intygsutfärdare", float64(len(lines))*lineH)
	for _, l := range lines {
		d.para(l, marginX+4, contentW-4, lineH)
	}
}

// roleName is the issuer role's name as the template declares it, in
// lower case as it stands inside a sentence.
func (d *doc) roleName(role string) string {
	for _, r := range d.t.IssuerRoles {
		if r.Value == role {
			return strings.ToLower(r.Label.SV)
		}
	}
	return role
}

// qrRuns encodes s as a QR code and returns, row by row, the runs of dark
// modules as [row, first column, length], and the module count per side.
func qrRuns(s string) ([][3]int, int, error) {
	// Medium error correction, raised where the same size allows; the
	// mask the standard's penalty rules choose.
	code, err := qr.EncodeText(s, qr.Medium)
	if err != nil {
		return nil, 0, err
	}
	n := code.Size()
	var runs [][3]int
	for row := 0; row < n; row++ {
		start := -1
		for col := 0; col <= n; col++ {
			dark := col < n && code.Module(col, row)
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

// qrPath returns PDF operators that fill the QR code's dark modules in a
// size × size box at (x, y) (millimetres from the page's top left): a
// rectangle for each run, merged with the same run in the rows below, in
// a coordinate system of one unit per module, so that each is a few
// integers. A document makes it once and writes it on every page.
func qrPath(runs [][3]int, n int, x, y, size float64) string {
	type rect struct{ row, col, w, h int }
	var rects []rect
	var open, next map[[2]int]int // (column, width) → rectangle ending on the row before
	row := -1
	for _, r := range runs {
		if r[0] != row {
			row, open, next = r[0], next, map[[2]int]int{}
		}
		key := [2]int{r[1], r[2]}
		if i, ok := open[key]; ok && rects[i].row+rects[i].h == row {
			rects[i].h++
			next[key] = i
			continue
		}
		next[key] = len(rects)
		rects = append(rects, rect{row: row, col: r[1], w: r[2], h: 1})
	}
	const k = 72 / 25.4 // points per millimetre
	cell := size / float64(n) * k
	b := make([]byte, 0, 64+12*len(rects))
	// Scale to modules, rows downwards from the top left corner.
	b = append(b, "q "...)
	for _, v := range []float64{cell, 0, 0, -cell, x * k, (pageH - y) * k} {
		b = append(strconv.AppendFloat(b, v, 'f', 4, 64), ' ')
	}
	b = append(b, "cm\n"...)
	for _, r := range rects {
		for _, v := range []int{r.col, r.row, r.w, r.h} {
			b = append(strconv.AppendInt(b, int64(v), 10), ' ')
		}
		b = append(b, "re\n"...)
	}
	return string(append(b, "f Q"...))
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
