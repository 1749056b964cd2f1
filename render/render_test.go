package render_test

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/render"
	"github.com/intyg/intyg/schemas"
)

var update = flag.Bool("update", false, "rewrite the golden PDFs under testdata/")

var received = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

func mustRenderer(tb testing.TB) *render.Renderer {
	tb.Helper()
	r, err := render.New()
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func mustEngine(tb testing.TB) *intake.Engine {
	tb.Helper()
	icd, err := intake.LoadICD10SE(schemas.ICD10SE())
	if err != nil {
		tb.Fatal(err)
	}
	eng, err := intake.NewEngine(schemas.MustLoadEmbedded(), icd, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

// stored runs a submission through intake and gives it what the store would:
// an id, a received time, the hash of the bytes.
func stored(tb testing.TB, eng *intake.Engine, body []byte, id string) (*intake.Certificate, *schemas.Template) {
	tb.Helper()
	c, err := eng.Intake(body, received)
	if err != nil {
		tb.Fatal(err)
	}
	c.ID, c.ReceivedAt, c.Status, c.SHA256 = id, received, intake.StatusReceived, fmt.Sprintf("%064x", len(body))
	t, _ := eng.Template(c.Template, c.Version)
	return c, t
}

func examples(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob("../examples/*/valid/*.json")
	if err != nil || len(files) == 0 {
		tb.Fatal("no valid examples")
	}
	return files
}

func renderPDF(tb testing.TB, r *render.Renderer, c *intake.Certificate, t *schemas.Template, copy render.Copy) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := r.Render(&buf, c, t, copy); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// tool returns the path of a poppler tool; outside CI a missing one skips.
func tool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s is required in CI (Debian's poppler-utils)", name)
		}
		tb.Skipf("%s not installed (Debian's poppler-utils): %v", name, err)
	}
	return p
}

// TestGoldenPDFs renders every example and compares the bytes with its
// golden file: the output is deterministic. -update rewrites them.
func TestGoldenPDFs(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	for _, f := range examples(t) {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		template := filepath.Base(filepath.Dir(filepath.Dir(f)))
		t.Run(template+"/"+name, func(t *testing.T) {
			c, tmpl := stored(t, eng, readFile(t, f), "golden-"+name)
			got := renderPDF(t, r, c, tmpl, render.CopyFull)
			if again := renderPDF(t, r, c, tmpl, render.CopyFull); !bytes.Equal(got, again) {
				t.Fatal("two renderings of one record differ")
			}
			golden := filepath.Join("testdata", template, name+".pdf")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test ./render -update writes it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from its golden file (%d bytes, want %d); inspect, then go test ./render -update", name, len(got), len(want))
			}
		})
	}
}

// pageOf is the index of the first page (pdftotext's, split at form
// feeds) that holds s, or -1.
func pageOf(pages []string, s string) int {
	for i, p := range pages {
		if strings.Contains(p, s) {
			return i
		}
	}
	return -1
}

// TestTotalNeverAlone: a sick-leave table's total row stays on the page
// of the period it sums (the last ticked row), and a table whose only
// period is its first row starts with its question on one page, wherever
// the page break would fall (the text before it made one line longer at a
// time).
func TestTotalNeverAlone(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	c, tmpl := stored(t, eng, readFile(t, "../examples/fk7804/valid/occupation-job-seeker-only.json"), "total")
	on := map[int]bool{} // the pages the table was on
	for n := range 40 {
		c.Answers["functionalImpairment"] = map[string]any{"text": strings.TrimSpace(strings.Repeat("Rad om funktionsnedsättningen.\n", n+1))}
		c.Answers["activityLimitation"] = map[string]any{"text": "Kan inte stå."} // room for the table on the first page, at first
		pages := strings.Split(fullText(t, renderPDF(t, r, c, tmpl, render.CopyFull), "-layout"), "\f")
		label, head, ticked, total := pageOf(pages, "32. Min bedömning"), pageOf(pages, "Nedsättning "), pageOf(pages, "X Helt nedsatt"), pageOf(pages, "Totalt ")
		if label < 0 || label != head || head != ticked || ticked != total {
			t.Errorf("%d lines before the table: question 32 on page %d, the table's header %d, its period %d, its total %d; want one page", n+1, label+1, head+1, ticked+1, total+1)
		}
		on[total] = true
	}
	if len(on) < 2 {
		t.Fatalf("the table stood on page %v whatever the text before it: the break did not move through it", on)
	}
}

// TestAreaLabelWithItsArea: a list of areas whose first area is ticked
// starts with its question on one page, wherever the page break would
// fall (the text before it one line longer at a time).
func TestAreaLabelWithItsArea(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	c, tmpl := stored(t, eng, readFile(t, "../examples/fk7800/valid/all-seven-impairment-areas-three-investigations.json"), "areas")
	on := map[int]bool{}
	for n := range 60 {
		c.Answers["diseaseHistory"] = strings.TrimSpace(strings.Repeat("Rad om sjukdomshistorien.\n", n+1))
		pages := strings.Split(fullText(t, renderPDF(t, r, c, tmpl, render.CopyFull), "-layout"), "\f")
		label, area := pageOf(pages, "8. Beskriv undersökningsfynd"), pageOf(pages, "X 8. Intellektuell funktion")
		if label < 0 || label != area {
			t.Errorf("%d lines before it: question 8 on page %d, its first area on page %d; want one page", n+1, label+1, area+1)
		}
		on[label] = true
	}
	if len(on) < 2 {
		t.Fatalf("question 8 stood on page %v whatever the text before it: the break did not move through it", on)
	}
}

// TestPDFSize checks that a typical certificate makes a small PDF: the
// font is a subset and the pages are compressed. A maximal one (4,000
// characters in every text field, ten pages) stays small too.
func TestPDFSize(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	tests := []struct {
		name string
		body []byte
		max  int
	}{
		{"typical", readFile(t, "../examples/fk7804/valid/full-time-one-period.json"), 40_000},
		{"all optional fields", readFile(t, "../examples/fk7804/valid/all-optional-fields.json"), 40_000},
		{"maximal", longText(t, eng), 100_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A real id (22 characters) makes a larger QR code than a short one.
			c, tmpl := stored(t, eng, tt.body, "Qm9yZGVybGluZS1pZAxyzA")
			if got := len(renderPDF(t, r, c, tmpl, render.CopyFull)); got > tt.max {
				t.Errorf("%d bytes, want at most %d", got, tt.max)
			}
		})
	}
}

// TestConcurrentRender renders every example at once from one Renderer
// (which reuses buffers and compressors between documents): each PDF is
// the one rendered alone.
func TestConcurrentRender(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	files := examples(t)
	want := make([][]byte, len(files))
	got := make([][]byte, len(files))
	type job struct {
		c    *intake.Certificate
		tmpl *schemas.Template
	}
	jobs := make([]job, len(files))
	for i, f := range files {
		jobs[i].c, jobs[i].tmpl = stored(t, eng, readFile(t, f), fmt.Sprintf("concurrent-%d", i))
		want[i] = renderPDF(t, r, jobs[i].c, jobs[i].tmpl, render.CopyFull)
	}
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			var buf bytes.Buffer
			if err := r.Render(&buf, j.c, j.tmpl, render.CopyFull); err != nil {
				t.Error(err)
			}
			got[i] = buf.Bytes()
		})
	}
	wg.Wait()
	for i := range files {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("%s: rendered at once with others, it differs", files[i])
		}
	}
}

// pdfText extracts the body text of every page (header and footer cropped
// off), for checking content and order.
func pdfText(tb testing.TB, pdf []byte) string {
	tb.Helper()
	bin := tool(tb, "pdftotext")
	f := filepath.Join(tb.TempDir(), "c.pdf")
	os.WriteFile(f, pdf, 0o644)
	// Points at 72 dpi: the body lies between 24 mm (68 pt) and 269 mm (762 pt).
	out, err := exec.Command(bin, "-enc", "UTF-8", "-x", "0", "-y", "70", "-W", "595", "-H", "690", f, "-").Output()
	if err != nil {
		tb.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// fullText extracts all text, header and footer included.
func fullText(tb testing.TB, pdf []byte, flags ...string) string {
	tb.Helper()
	bin := tool(tb, "pdftotext")
	f := filepath.Join(tb.TempDir(), "c.pdf")
	os.WriteFile(f, pdf, 0o644)
	out, err := exec.Command(bin, append(append([]string{"-enc", "UTF-8"}, flags...), f, "-")...).Output()
	if err != nil {
		tb.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// squash removes all white space, since wrapping moves it.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// TestTextInSectionOrder checks with pdftotext that every submitted answer
// appears in its original characters, after its question's label, and that
// the labels appear in the form's order.
func TestTextInSectionOrder(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	for _, f := range examples(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, tmpl := stored(t, eng, readFile(t, f), "text-test")
			text := squash(pdfText(t, renderPDF(t, r, c, tmpl, render.CopyFull)))
			pos := 0
			for _, s := range tmpl.Form.Sections {
				for _, q := range s.Questions {
					v, answered := c.Answers[q.Field]
					if !answered && !intake.Holds(q.DependsOn, map[string]any{"answers": c.Answers}) {
						continue
					}
					lbl := squash(q.ID + ". " + q.Label.SV)
					i := strings.Index(text[pos:], lbl)
					if i < 0 {
						t.Fatalf("label %q not found after position %d", q.ID+". "+q.Label.SV, pos)
					}
					pos += i + len(lbl)
					for _, leaf := range expected(q, v) {
						// Table cells wrap side by side, and pdftotext reads
						// their lines in turn: check a cell's words.
						parts := []string{leaf}
						if q.Widget == "diagnoses" {
							parts = strings.Fields(leaf)
						}
						for _, part := range parts {
							if !strings.Contains(text[pos:], squash(part)) {
								t.Errorf("answer %s: %q not found after its label", q.Field, part)
							}
						}
					}
				}
			}
			for _, want := range []string{c.Issuer.Name, c.Issuer.Unit.Name, c.Issuer.Unit.HSAID} {
				if !strings.Contains(text, squash(want)) {
					t.Errorf("issuer block lacks %q", want)
				}
			}
			all := fullText(t, renderPDF(t, r, c, tmpl, render.CopyFull))
			for _, want := range []string{c.Patient.Name, c.Patient.ID[:8] + "-" + c.Patient.ID[8:], "text-test", c.SHA256, tmpl.FormNumber} {
				if !strings.Contains(all, want) {
					t.Errorf("the header or footer lacks %q", want)
				}
			}
		})
	}
}

// TestTimesInSwedishTime checks that every time the PDF shows is in
// Europe/Stockholm and says so, whatever offset it was submitted or stored
// with, in winter and in summer time.
func TestTimesInSwedishTime(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	tests := []struct {
		name     string
		signed   time.Time
		received time.Time
		want     []string
	}{
		{"winter, signed in UTC after midnight in Stockholm",
			time.Date(2026, 11, 19, 23, 40, 0, 0, time.UTC), time.Date(2026, 11, 23, 9, 30, 5, 0, time.UTC),
			[]string{"Signerat: 2026-11-20 00:40 (svensk tid)", "Mottaget: 2026-11-23 10:30:05 (svensk tid)"}},
		{"summer, signed at another offset",
			time.Date(2026, 7, 1, 9, 5, 0, 0, time.FixedZone("", -4*3600)), time.Date(2026, 7, 2, 22, 15, 0, 0, time.UTC),
			[]string{"Signerat: 2026-07-01 15:05 (svensk tid)", "Mottaget: 2026-07-03 00:15:00 (svensk tid)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, tmpl := stored(t, eng, readFile(t, "../examples/fk7804/valid/full-time-one-period.json"), "times")
			c.SignedAt, c.ReceivedAt = tt.signed, tt.received
			pdf := renderPDF(t, r, c, tmpl, render.CopyFull)
			text := fullText(t, pdf)
			for _, want := range tt.want {
				if !strings.Contains(text, want) {
					t.Errorf("the PDF lacks %q", want)
				}
			}
			// The received time is in every page's footer.
			if got, pages := strings.Count(text, tt.want[1]), pageCount(t, pdf); got != pages {
				t.Errorf("%q is on %d of %d pages", tt.want[1], got, pages)
			}
			if strings.Contains(text, "UTC") || regexp.MustCompile(`[+-]\d\d:\d\d\b`).MatchString(text) {
				t.Error("the PDF shows a time in UTC or with an offset")
			}
		})
	}
}

// expected returns what the document must show for an answer: option
// codes as their ticked labels, everything else as written.
func expected(q schemas.Question, v any) []string {
	if q.Widget == "radio" || q.Widget == "checkboxGroup" {
		var out []string
		for _, o := range q.Options {
			for _, chosen := range append([]any{v}, asList(v)...) {
				if fmt.Sprint(chosen) == fmt.Sprint(o.Value) {
					out = append(out, "X "+o.Label.SV) // the tick is an X in the box
				}
			}
		}
		return out
	}
	return leaves(v)
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// leaves returns the strings and numbers in an answer (codes as normalised).
func leaves(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case json.Number:
		return []string{v.String()}
	case map[string]any:
		var out []string
		for k, x := range v {
			if k == "type" || k == "area" || k == "degree" {
				continue // option codes are printed as their labels
			}
			out = append(out, leaves(x)...)
		}
		return out
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, leaves(x)...)
		}
		return out
	}
	return nil
}

// TestPagesStayInsideMargins renders each example (and a certificate with
// 4,000 characters in every text field) to PNG with pdftoppm and checks the
// page count and that nothing is drawn outside the margins.
func TestPagesStayInsideMargins(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	cases := map[string][]byte{}
	for _, f := range examples(t) {
		c, tmpl := stored(t, eng, readFile(t, f), "margin-test")
		cases[filepath.Base(f)] = renderPDF(t, r, c, tmpl, render.CopyFull)
	}
	c, tmpl := stored(t, eng, longText(t, eng), "long-text")
	c.Status = intake.StatusRevoked
	cases["long-text-revoked"] = renderPDF(t, r, c, tmpl, render.CopyFull)
	for name, pdf := range cases {
		t.Run(name, func(t *testing.T) {
			pages := pageCount(t, pdf)
			pngs := rasterize(t, pdf)
			if len(pngs) != pages || pages == 0 {
				t.Fatalf("pdftoppm made %d images of %d pages", len(pngs), pages)
			}
			for i, img := range pngs {
				if x, y, ok := inkOutside(img, 15, 195, 6, 294); ok {
					t.Errorf("page %d: ink at %.0f mm, %.0f mm, outside the margins", i+1, x, y)
				}
			}
		})
	}
}

// TestLongTextFlows fills every text field with 4,000 characters and checks
// that every character is in the document, over several pages.
func TestLongTextFlows(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	c, tmpl := stored(t, eng, longText(t, eng), "long-text")
	pdf := renderPDF(t, r, c, tmpl, render.CopyFull)
	if n := pageCount(t, pdf); n < 6 {
		t.Errorf("%d pages for ten 4,000-character answers, want at least 6", n)
	}
	text := squash(pdfText(t, pdf))
	for _, q := range tmpl.Form.Questions() {
		v, ok := c.Answers[q.Field]
		if !ok {
			continue
		}
		field := q.Field
		for _, leaf := range expected(q, v) {
			if !strings.Contains(text, squash(leaf)) {
				t.Errorf("%s: its %d characters are not all in the document", field, len([]rune(leaf)))
			}
		}
	}
	if !strings.Contains(fullText(t, pdf), "Sida 1 av ") {
		t.Error("no page numbers")
	}
}

// TestTableHeaderRepeats pushes each table of all-optional-fields.json down
// a line at a time, by lengthening the answer before it to from, from+1 …
// lines, so that the page ends at every row in turn. On every page with
// rows of the table its header row must stand too (pdftotext, page by
// page), the header never ends a page alone, the question's label stays
// with the header, and no row is split or drawn twice.
func TestTableHeaderRepeats(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	tests := []struct {
		name   string
		before string   // the text answer just before the table
		from   int      // its lines where the table is a few rows above the page end
		label  string   // the table question's label
		head   string   // a header cell
		rows   []string // the first cell of each row
	}{
		{"diagnoses", "occupationDescription", 12, "6. Diagnos/diagnoser", "Benämning (ICD-10-SE)", []string{"M51.2", "F43.2", "G47.0"}},
		{"periods", "treatment", 32, "32. Min bedömning", "Nettodagar", []string{"Helt nedsatt", "Nedsatt med 3/4", "Nedsatt med hälften", "Nedsatt med 1/4", "Totalt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			crossed := false
			for n := tt.from; n < tt.from+12; n++ {
				var doc map[string]any
				json.Unmarshal(readFile(t, "../examples/fk7804/valid/all-optional-fields.json"), &doc)
				filler := make([]string, n)
				for i := range filler {
					filler[i] = fmt.Sprintf("Rad %d av %d.", i+1, n)
				}
				doc["answers"].(map[string]any)[tt.before] = strings.Join(filler, "\n")
				body, _ := json.Marshal(doc)
				c, tmpl := stored(t, eng, body, "table-test")
				pages := pageTexts(t, renderPDF(t, r, c, tmpl, render.CopyFull))
				seen := map[string]int{}
				var withRows []int
				labelled := false
				for i, text := range pages {
					text = squash(text)
					var here []string
					for _, row := range tt.rows {
						if strings.Contains(text, squash(row)) {
							here = append(here, row)
							seen[row]++
						}
					}
					head := strings.Contains(text, squash(tt.head))
					if len(here) > 0 {
						withRows = append(withRows, i+1)
					}
					if len(here) > 0 && !head {
						t.Errorf("%d lines before: page %d has rows %q without the header row", n, i+1, here)
					}
					if head && len(here) == 0 {
						t.Errorf("%d lines before: page %d ends with the header row alone", n, i+1)
					}
					if head && !labelled {
						labelled = true
						if !strings.Contains(text, squash(tt.label)) {
							t.Errorf("%d lines before: the table starts on page %d without its label %q", n, i+1, tt.label)
						}
					}
				}
				for _, row := range tt.rows {
					if seen[row] != 1 {
						t.Errorf("%d lines before: row %q is on %d pages, want 1", n, row, seen[row])
					}
				}
				crossed = crossed || len(withRows) > 1
			}
			if !crossed {
				t.Error("the table never crossed a page: lengthen the text before it")
			}
		})
	}
}

// pageTexts extracts the body text of each page in turn (pdftotext -f N -l N
// and flags, such as -layout).
func pageTexts(tb testing.TB, pdf []byte, flags ...string) []string {
	tb.Helper()
	bin := tool(tb, "pdftotext")
	f := filepath.Join(tb.TempDir(), "c.pdf")
	os.WriteFile(f, pdf, 0o644)
	var pages []string
	for n := 1; n <= pageCount(tb, pdf); n++ {
		p := strconv.Itoa(n)
		out, err := exec.Command(bin, append(append([]string{"-enc", "UTF-8"}, flags...), "-f", p, "-l", p, "-x", "0", "-y", "70", "-W", "595", "-H", "690", f, "-")...).Output()
		if err != nil {
			tb.Fatalf("pdftotext page %d: %v", n, err)
		}
		pages = append(pages, string(out))
	}
	return pages
}

// longText returns all-optional-fields.json with every free-text answer at
// 4,000 characters, including one unbreakable 300-character word.
func longText(tb testing.TB, eng *intake.Engine) []byte {
	tb.Helper()
	var doc map[string]any
	json.Unmarshal(readFile(tb, "../examples/fk7804/valid/all-optional-fields.json"), &doc)
	words := "Patienten beskriver “svår” trötthet – ökad värk i ländryggen, Łódź, Şükrü, €40. "
	long := strings.Repeat("X", 300) + " "
	for len([]rune(long)) < 4000 {
		long += words
	}
	long = string([]rune(long)[:4000])
	answers := doc["answers"].(map[string]any)
	for _, f := range []string{"occupationDescription", "treatment", "fmbMotivation", "unevenWorkingHoursReason", "measures", "otherInformation", "contactReason"} {
		answers[f] = long
	}
	answers["functionalImpairment"].(map[string]any)["text"] = long
	answers["activityLimitation"].(map[string]any)["text"] = long
	b, _ := json.Marshal(doc)
	return b
}

func pageCount(tb testing.TB, pdf []byte) int {
	tb.Helper()
	bin := tool(tb, "pdfinfo")
	f := filepath.Join(tb.TempDir(), "c.pdf")
	os.WriteFile(f, pdf, 0o644)
	out, err := exec.Command(bin, f).Output()
	if err != nil {
		tb.Fatalf("pdfinfo: %v", err)
	}
	m := regexp.MustCompile(`Pages:\s+(\d+)`).FindSubmatch(out)
	if m == nil {
		tb.Fatalf("pdfinfo gave no page count: %s", out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// rasterize renders every page at 40 dpi in grey.
func rasterize(tb testing.TB, pdf []byte) []image.Image {
	tb.Helper()
	return rasterizeWith(tb, pdf, "-r", "40", "-gray")
}

func rasterizeWith(tb testing.TB, pdf []byte, flags ...string) []image.Image {
	tb.Helper()
	bin := tool(tb, "pdftoppm")
	dir := tb.TempDir()
	f := filepath.Join(dir, "c.pdf")
	os.WriteFile(f, pdf, 0o644)
	if out, err := exec.Command(bin, append(append(flags, "-png"), f, filepath.Join(dir, "p"))...).CombinedOutput(); err != nil {
		tb.Fatalf("pdftoppm: %v %s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "p-*.png"))
	var imgs []image.Image
	for _, name := range files {
		fh, err := os.Open(name)
		if err != nil {
			tb.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil {
			tb.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	return imgs
}

// inkOutside finds a non-white pixel outside the box [x0,x1] × [y0,y1] (mm).
func inkOutside(img image.Image, x0, x1, y0, y1 float64) (float64, float64, bool) {
	b := img.Bounds()
	mm := float64(b.Dx()) / 210
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			fx, fy := float64(x)/mm, float64(y)/mm
			if fx >= x0 && fx <= x1 && fy >= y0 && fy <= y1 {
				continue
			}
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0xf000 {
				return fx, fy, true
			}
		}
	}
	return 0, 0, false
}

// TestWatermarks checks that a revoked or replaced certificate carries its
// word on every page, both as text in the page content and as red ink
// across the middle of every rendered page.
func TestWatermarks(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	for status, word := range map[intake.Status]string{intake.StatusRevoked: "MAKULERAT", intake.StatusReplaced: "ERSATT", intake.StatusReceived: ""} {
		t.Run(string(status), func(t *testing.T) {
			c, tmpl := stored(t, eng, longText(t, eng), "wm")
			c.Status = status
			pdf := renderPDF(t, r, c, tmpl, render.CopyFull)
			pages := pageCount(t, pdf)
			for _, w := range []string{"MAKULERAT", "ERSATT"} {
				want := 0
				if w == word {
					want = pages
				}
				// The page content holds the word as text (pdftotext
				// splits rotated text into pieces).
				if got := bytes.Count(contents(t, pdf), []byte("("+w+") Tj")); got != want {
					t.Errorf("%s is written %d times on %d pages, want %d", w, got, pages, want)
				}
			}
			for i, img := range rasterizeColour(t, pdf) {
				if red := redPixels(img); (red > 40) != (word != "") {
					t.Errorf("page %d has %d red pixels; watermark wanted: %v", i+1, red, word != "")
				}
			}
		})
	}
}

// TestLongNoteStaysAbovePageFooters: a revocation message longer than a
// page (900 short lines) is shaded on each page it runs over, never into
// the footer, and every line of it is printed.
func TestLongNoteStaysAbovePageFooters(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	c, tmpl := stored(t, eng, readFile(t, "../examples/fk7804/valid/full-time-one-period.json"), "long-note")
	var lines []string
	for i := range 900 {
		lines = append(lines, fmt.Sprintf("r%d", i))
	}
	c.Status = intake.StatusRevoked
	c.Revocation = &intake.Revocation{Reason: intake.RevokeSeriousError, Message: strings.Join(lines, "\n"), At: received, By: "u1"}
	pdf := renderPDF(t, r, c, tmpl, render.CopyFull)
	if text := strings.Fields(pdfText(t, pdf)); !slices.Contains(text, "r0") || !slices.Contains(text, "r899") {
		t.Error("the message is not printed whole")
	}
	const footer = 297.0 - 34 // mm: the page less the footer (render.go)
	for i, img := range rasterizeColour(t, pdf) {
		b := img.Bounds()
		px := float64(b.Dx()) / 210
		shaded := 0
		for y := int(footer * px); y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				// The note's pink (250, 220, 220).
				if r, g, bl, _ := img.At(x, y).RGBA(); r>>8 > 240 && g>>8 > 205 && g>>8 < 235 && bl>>8 > 205 && bl>>8 < 235 {
					shaded++
				}
			}
		}
		if shaded > 0 {
			t.Errorf("page %d: %d shaded pixels below %.0f mm, in the footer", i+1, shaded, footer)
		}
	}
}

// contents returns the document's compressed streams inflated, one after
// another: the page contents, and the font file.
func contents(tb testing.TB, pdf []byte) []byte {
	tb.Helper()
	var out []byte
	for _, m := range regexp.MustCompile(`(?s)/FlateDecode[^>]*>>\nstream\n(.*?)\nendstream`).FindAllSubmatch(pdf, -1) {
		zr, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			tb.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

// rasterizeColour renders every page at 30 dpi in colour.
func rasterizeColour(tb testing.TB, pdf []byte) []image.Image {
	tb.Helper()
	return rasterizeWith(tb, pdf, "-r", "30")
}

// redPixels counts clearly red pixels, the watermark's colour.
func redPixels(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r > 0xc000 && g < 0xc000 && bl < 0xc000 && r-g > 0x2000 {
				n++
			}
		}
	}
	return n
}

func TestEmployerCopy(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	c, tmpl := stored(t, eng, readFile(t, "../examples/fk7804/valid/all-optional-fields.json"), "employer")
	pdf := renderPDF(t, r, c, tmpl, render.CopyEmployer)
	text := fullText(t, pdf)
	squashed := squash(text)
	for _, gone := range []string{c.Diagnoses[0].Code, c.Diagnoses[0].Title, c.Diagnoses[0].Description,
		c.Answers["functionalImpairment"].(map[string]any)["text"].(string), c.Answers["treatment"].(string), c.Answers["otherInformation"].(string)} {
		if strings.Contains(squashed, squash(gone)) {
			t.Errorf("the employer copy shows %q", gone)
		}
	}
	for _, kept := range []string{"AG 7804", c.Patient.Name, c.SickLeave.From.String(), c.Issuer.Name} {
		if !strings.Contains(text, kept) {
			t.Errorf("the employer copy lacks %q", kept)
		}
	}
	noCopy := *tmpl
	noCopy.EmployerCopy = nil
	if err := r.Render(&bytes.Buffer{}, c, &noCopy, render.CopyEmployer); intake.ErrorCode(err) != intake.ENOTFOUND {
		t.Errorf("employer copy of a template without one: %v, want ENOTFOUND", err)
	}
}

// TestUnicodeNames checks that names in many Latin scripts (the Sami
// languages' among them, whose ʒ is an IPA letter), Greek and Cyrillic,
// dashes, the euro sign and curly quotes survive into the text.
func TestUnicodeNames(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	c, tmpl := stored(t, eng, readFile(t, "../examples/fk7804/valid/full-time-one-period.json"), "unicode")
	names := "Åsa Öberg-Ängström, Łukasz Żółć, Şükrü Çağlar, Ærøskøbing, Dvořák, Nguyễn Thị Ánh, Ελένη, Ольга, Ștefan Țurcanu, Áilu Ŋuolja Čuđe-Ŧoađđi, vuõʒʒâd Ǯǯ Ʒʒ"
	c.Patient.Name = names
	c.Answers["otherInformation"] = "Kostnad “cirka” 40 € – ‘ok’ … temperatur −5 °C, ≤ 3 mg → ✓ ☐ ☒"
	text := norm.NFC.String(fullText(t, renderPDF(t, r, c, tmpl, render.CopyFull)))
	for _, want := range []string{names, c.Answers["otherInformation"].(string)} {
		if !strings.Contains(squash(text), squash(want)) {
			i := strings.Index(squash(text), "Patient:")
			t.Errorf("%q did not survive: %s", want, squash(text)[i:min(i+300, len(squash(text)))])
		}
	}
}

func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestQRCodeHoldsTheID renders a page and reads its QR code back with
// zbarimg (Debian's zbar-tools): it must decode to the certificate id.
func TestQRCodeHoldsTheID(t *testing.T) {
	zbar := tool(t, "zbarimg")
	eng, r := mustEngine(t), mustRenderer(t)
	c, tmpl := stored(t, eng, readFile(t, "../examples/fk7804/valid/full-time-one-period.json"), "Qm9yZGVybGluZS1pZA")
	pdf := renderPDF(t, r, c, tmpl, render.CopyFull)
	dir := t.TempDir()
	f := filepath.Join(dir, "c.pdf")
	os.WriteFile(f, pdf, 0o644)
	if out, err := exec.Command(tool(t, "pdftoppm"), "-r", "150", "-gray", "-png", "-f", "1", "-l", "1", f, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "p*.png"))
	if len(pages) != 1 {
		t.Fatalf("pdftoppm wrote %d images", len(pages))
	}
	out, err := exec.Command(zbar, "--quiet", "--raw", pages[0]).Output()
	if err != nil {
		t.Fatalf("zbarimg found no code: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != c.ID {
		t.Errorf("the QR code says %q, want the certificate id %q", got, c.ID)
	}
}

// TestRenderAll prints three certificates as one PDF: each starts on its
// own page with its own patient, id and page numbers.
func TestRenderAll(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	var items []render.Item
	var pages []int
	for i, name := range []string{"fk7804/valid/all-optional-fields.json", "fk7804/valid/coordination-number.json", "fk7810/valid/" + firstExample(t, "fk7810")} {
		body, err := os.ReadFile(filepath.Join("..", "examples", name))
		if err != nil {
			t.Fatal(err)
		}
		c, tmpl := stored(t, eng, body, fmt.Sprintf("printed-%d", i))
		items = append(items, render.Item{Certificate: c, Template: tmpl})
		pages = append(pages, strings.Count(fullText(t, renderPDF(t, r, c, tmpl, render.CopyFull)), "\f"))
	}
	var buf bytes.Buffer
	if err := r.RenderAll(&buf, items); err != nil {
		t.Fatal(err)
	}
	text := fullText(t, buf.Bytes())
	if got, want := strings.Count(text, "\f"), pages[0]+pages[1]+pages[2]; got != want {
		t.Errorf("%d pages, want %d (%v)", got, want, pages)
	}
	for i, it := range items {
		if !strings.Contains(text, "Intygs-id: "+it.Certificate.ID) || !strings.Contains(text, it.Certificate.Patient.Name) {
			t.Errorf("certificate %d (%s) is missing", i, it.Certificate.ID)
		}
		if !strings.Contains(text, fmt.Sprintf("Sida %d av %d", pages[i], pages[i])) {
			t.Errorf("certificate %d: no \"Sida %d av %d\"", i, pages[i], pages[i])
		}
	}
	if strings.Count(text, "Sida 1 av") != 3 {
		t.Errorf("%d first pages, want 3", strings.Count(text, "Sida 1 av"))
	}
	// Every page's number counts its own certificate's pages, the last
	// page of each too (its footer is drawn as the next one begins).
	var got, want []string
	for _, page := range strings.Split(strings.TrimSuffix(text, "\f"), "\f") {
		got = append(got, regexp.MustCompile(`Sida \d+ av \d+`).FindString(page))
	}
	for _, n := range pages {
		for k := 1; k <= n; k++ {
			want = append(want, fmt.Sprintf("Sida %d av %d", k, n))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("page numbers %q, want %q", got, want)
	}
}

func firstExample(tb testing.TB, template string) string {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "examples", template, "valid", "*.json"))
	if len(files) == 0 {
		tb.Fatalf("no %s examples", template)
	}
	return filepath.Base(files[0])
}

// TestAwkwardText: text as people and browsers send it prints whole.
// Doubled spaces at every place a line may break (a panic once), a
// browser's CRLF line breaks, and characters the font has no glyph for,
// which print as "?" rather than vanish, and the invisible characters a
// word processor's text brings (a soft hyphen, a zero-width space, a
// direction override), which stay invisible.
func TestAwkwardText(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	c, tmpl := stored(t, eng, readFile(t, "../examples/fk7804/valid/full-time-one-period.json"), "awkward")
	var words []string
	for i := range 400 {
		words = append(words, fmt.Sprintf("ord%d", i))
	}
	doubled := strings.Join(words, "  ")
	c.Answers["otherInformation"] = "Rad ett om ryggen.\r\nRad två om sömnen.\r\n\r\nRad tre: 👍 中文 → klart.\r" +
		"Rygg\u00admärta och \u202eomvänd\u202c text\u200b slut.\n" + doubled
	pdf := renderPDF(t, r, c, tmpl, render.CopyFull)
	text := fullText(t, pdf, "-layout")
	c.Answers["otherInformation"] = c.Answers["otherInformation"].(string) + "\nHjärta ❤\ufe0f och\u3000mellanslag."
	pdf = renderPDF(t, r, c, tmpl, render.CopyFull)
	text = fullText(t, pdf, "-layout")
	for _, want := range []string{"Rad ett om ryggen.\n", "Rad två om sömnen.\n", "Rad tre: ? ?? → klart.", "Ryggmärta och omvänd text slut.\n",
		"Hjärta ❤ och mellanslag."} {
		if !strings.Contains(text, want) {
			t.Errorf("%q is not in the text", want)
		}
	}
	if !strings.Contains(squash(pdfText(t, pdf)), squash(strings.Join(words, ""))) {
		t.Error("the text with doubled spaces is not all in the document")
	}
	// Words of other alphabets (their spaces in their own encodings) wrap
	// at spaces too, never inside a word.
	for _, word := range []string{"больничный", "ανάρρωση", "zażółcenie"} {
		var ws []string
		for i := range 300 {
			ws = append(ws, fmt.Sprintf("%s%d", word, i))
		}
		c.Answers["otherInformation"] = strings.Join(ws, " ")
		got := strings.Fields(pdfText(t, renderPDF(t, r, c, tmpl, render.CopyFull)))
		for _, w := range ws {
			if !slices.Contains(got, w) {
				t.Errorf("%q is not whole in the text: a line broke inside it", w)
				break
			}
		}
	}
	// Each double space in its turn at a line's end: every width from a
	// word to a line.
	for w := 1; w <= 60; w++ {
		c.Answers["otherInformation"] = strings.Repeat("x", w) + "  " + strings.Repeat("y  ", 40) + "\t z"
		renderPDF(t, r, c, tmpl, render.CopyFull)
	}
}

// TestStatusInTheTextLayer: a revoked or replaced certificate says so, and
// when, why and by which, in text pdftotext reads; a patient name too long
// for the header is written whole in the body.
func TestStatusInTheTextLayer(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	c, tmpl := stored(t, eng, readFile(t, "../examples/fk7804/valid/full-time-one-period.json"), "status")
	c.Status = intake.StatusRevoked
	c.Revocation = &intake.Revocation{Reason: intake.RevokeWrongPatient, Message: "Skrevs på fel patient.", At: received, By: "u1"}
	for copy, message := range map[render.Copy]bool{render.CopyFull: true, render.CopyEmployer: false} {
		text := squash(fullText(t, renderPDF(t, r, c, tmpl, copy)))
		if !strings.Contains(text, squash("MAKULERAT: intyget gäller inte")) || !strings.Contains(text, squash("skrivet för fel patient.")) ||
			strings.Contains(text, squash("Skrevs på fel patient.")) != message {
			t.Errorf("%s copy of a revoked certificate (the physician's message shown: want %v):\n%.600s", copy, message, text)
		}
	}
	c.Status, c.Revocation = intake.StatusReplaced, nil
	c.Relations = []intake.RelationLink{{Type: intake.RelationReplaces, Certificate: "the-new-one", Direction: intake.DirectionIncoming}}
	if text := fullText(t, renderPDF(t, r, c, tmpl, render.CopyFull)); !strings.Contains(text, "Ersatt av intyg the-new-one.") {
		t.Errorf("a replaced certificate:\n%.600s", text)
	}
	c.Status, c.Relations = intake.StatusReceived, nil
	if text := pdfText(t, renderPDF(t, r, c, tmpl, render.CopyFull)); strings.Contains(text, "MAKULERAT") || strings.Contains(text, "ERSATT") || strings.Contains(text, "Patient:") {
		t.Errorf("a received certificate's body says more than its answers:\n%.600s", text)
	}
	c.Patient.Name = strings.TrimSpace(string([]rune(strings.Repeat("Maria-Łucja Åsa Oxenstierna ", 8))[:199]))
	if text := pdfText(t, renderPDF(t, r, c, tmpl, render.CopyFull)); !strings.Contains(squash(text), squash("Patient: "+c.Patient.Name)) {
		t.Errorf("a name of %d characters is not whole in the document", len([]rune(c.Patient.Name)))
	}
}

// TestTallTableRow: an answer in a table cell longer than a page (fk7810's
// investigations take 4,000 characters of source) is printed whole, over
// as many pages as it needs, never over the footer; the question's label
// begins on the page its table does.
func TestTallTableRow(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	body, err := os.ReadFile(filepath.Join("..", "examples", "fk7810", "valid", "other-investigations-three-types.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	var words []string
	source := func(from int) string {
		var b strings.Builder
		for i := from; b.Len()+8 <= 4000; i++ {
			w := fmt.Sprintf("ord%04d", i)
			words = append(words, w)
			b.WriteString(w + " ")
		}
		return strings.TrimSpace(b.String())
	}
	items := doc["answers"].(map[string]any)["investigations"].([]any)
	items[0].(map[string]any)["source"] = source(0)
	items[1].(map[string]any)["source"] = source(len(words))
	body, _ = json.Marshal(doc)
	c, tmpl := stored(t, eng, body, "tall-row")
	text := fullText(t, renderPDF(t, r, c, tmpl, render.CopyFull))
	var got []string
	for i, page := range strings.Split(text, "\f") {
		body, footer, _ := strings.Cut(page, "Intygs-id:")
		if strings.Contains(footer, "ord") {
			t.Errorf("page %d: text over the footer", i+1)
		}
		got = append(got, regexp.MustCompile(`ord\d{4}`).FindAllString(body, -1)...)
		if strings.Contains(body, "ord0000") && !strings.Contains(body, "4. ") {
			t.Errorf("page %d: the table begins without its question's label", i+1)
		}
	}
	if !slices.Equal(got, words) {
		t.Errorf("%d of %d words printed in order; first missing: %q", commonPrefix(got, words), len(words), words[min(commonPrefix(got, words), len(words)-1)])
	}
}

// TestSplitRowKeepsItsLabel: a table row taller than a page (fk7810's
// investigation with 4,000 characters of source) goes on over the next
// pages under its label, the investigation's type, marked "(forts.)":
// no page has the row's text without it.
func TestSplitRowKeepsItsLabel(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	var doc map[string]any
	if err := json.Unmarshal(readFile(t, "../examples/fk7810/valid/other-investigations-three-types.json"), &doc); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i := 0; b.Len()+8 <= 4000; i++ {
		fmt.Fprintf(&b, "ord%04d ", i)
	}
	doc["answers"].(map[string]any)["investigations"].([]any)[0].(map[string]any)["source"] = strings.TrimSpace(b.String())
	body, _ := json.Marshal(doc)
	c, tmpl := stored(t, eng, body, "split-row")
	const label = "Underlag från fysioterapeut" // the type of investigation 0
	pages := 0
	for i, text := range pageTexts(t, renderPDF(t, r, c, tmpl, render.CopyFull)) {
		text = squash(text)
		if !regexp.MustCompile(`ord\d{4}`).MatchString(text) {
			continue
		}
		want := squash(label)
		if pages > 0 {
			want = squash(label + " (forts.)")
		}
		if !strings.Contains(text, want) {
			t.Errorf("page %d has the row's text without %q", i+1, want)
		}
		pages++
	}
	if pages < 2 {
		t.Fatalf("the row is on %d pages, want it split over at least 2", pages)
	}
}

// TestSplitLabelCellIsMarked: a row whose first cell, its label, is itself
// taller than a page (a template whose table begins with a text: fk7810's
// investigations with the source first, 4,000 characters of it) goes on
// over the next pages under "(forts.)" at the head of that cell, before
// the next word of it; after it ends, a next cell longer still (the type's
// label made longer) goes on under "(forts.)" too, the long label not
// printed twice. Every word is printed once, in order, the same bytes
// every time.
func TestSplitLabelCellIsMarked(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	var doc map[string]any
	if err := json.Unmarshal(readFile(t, "../examples/fk7810/valid/other-investigations-three-types.json"), &doc); err != nil {
		t.Fatal(err)
	}
	numbered := func(prefix string, n int) (string, []string) { // words prefix0000 … of n characters
		var b strings.Builder
		var words []string
		for i := 0; b.Len()+8 <= n; i++ {
			words = append(words, fmt.Sprintf("%s%04d", prefix, i))
			b.WriteString(words[i] + " ")
		}
		return strings.TrimSpace(b.String()), words
	}
	source, words := numbered("ord", 4000)
	doc["answers"].(map[string]any)["investigations"].([]any)[0].(map[string]any)["source"] = source
	body, _ := json.Marshal(doc)
	c, tmpl := stored(t, eng, body, "split-label")
	tests := []struct {
		name      string
		typeChars int // the length of investigation 0's type label; 0: as it is
	}{
		{"label longest", 0},
		{"next cell longer still", 6000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typeLabel, typeWords := numbered("typ", tt.typeChars)
			first := *tmpl // the source first: the table's label column
			first.Form.Sections = slices.Clone(tmpl.Form.Sections)
			for i, s := range first.Form.Sections {
				s.Questions = slices.Clone(s.Questions)
				for j, q := range s.Questions {
					if q.Field != "investigations" {
						continue
					}
					k := slices.IndexFunc(q.Items, func(f schemas.Question) bool { return f.Field == "source" })
					q.Items = append([]schemas.Question{q.Items[k]}, slices.Delete(slices.Clone(q.Items), k, k+1)...)
					if typeLabel != "" {
						q.Items[1].Options = slices.Clone(q.Items[1].Options)
						for o := range q.Items[1].Options {
							if q.Items[1].Options[o].Value == "FYSIOTERAPEUT" {
								q.Items[1].Options[o].Label.SV = typeLabel
							}
						}
					}
					s.Questions[j] = q
				}
				first.Form.Sections[i] = s
			}
			pdf := renderPDF(t, r, c, &first, render.CopyFull)
			if !bytes.Equal(pdf, renderPDF(t, r, c, &first, render.CopyFull)) {
				t.Error("two renders differ")
			}
			// In the layout's lines, the first cell's are at the start:
			// "(forts.)" and on the line below it the next word, if any.
			mark := regexp.MustCompile(`(?m)^ *\(forts\.\).*\n *(\S+)`)
			var got, gotTyp []string
			pages := 0
			for i, text := range pageTexts(t, pdf, "-layout") {
				ws, typ := regexp.MustCompile(`ord\d{4}`).FindAllString(text, -1), regexp.MustCompile(`typ\d{4}`).FindAllString(text, -1)
				if len(ws)+len(typ) == 0 {
					continue
				}
				if m := mark.FindStringSubmatch(text); pages > 0 && (m == nil || len(ws) > 0 && m[1] != ws[0]) {
					t.Errorf("page %d goes on with the row without \"(forts.)\" at the head of its first cell", i+1)
				}
				got, gotTyp = append(got, ws...), append(gotTyp, typ...)
				pages++
			}
			if pages < 2 {
				t.Fatalf("the row is on %d pages, want it split over at least 2", pages)
			}
			if !slices.Equal(got, words) {
				t.Errorf("%d words of the source printed, %d in order; want the %d once each", len(got), commonPrefix(got, words), len(words))
			}
			if !slices.Equal(gotTyp, typeWords) {
				t.Errorf("%d words of the type printed, %d in order; want the %d once each", len(gotTyp), commonPrefix(gotTyp, typeWords), len(typeWords))
			}
		})
	}
}

func commonPrefix(a, b []string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// TestAreaIDs: an impairment or activity area that is a question of its
// own on the paper form (fk7800's 8–14; fk7810's 8–14, 64 and 65–69) is
// printed with its id, the first area of a list too, whose id is its
// list's own, so that a completion request naming question 9 can be found.
func TestAreaIDs(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	tests := []struct {
		template string
		want     []string
	}{
		{"fk7800", []string{"8.Intellektuellfunktion", "9.Kommunikationochsocialinteraktion", "14.Annankroppsligfunktion"}},
		{"fk7801", []string{"8.Intellektuellfunktion", "14.Annankroppsligfunktion"}},
		{"fk7810", []string{"8.Intellektuellfunktion", "64.Andningsfunktion", "65.Lärande", "66.Kommunikation"}},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			body := readFile(t, filepath.Join("..", "examples", tt.template, "valid", firstExample(t, tt.template)))
			c, tmpl := stored(t, eng, body, "areas")
			text := squash(fullText(t, renderPDF(t, r, c, tmpl, render.CopyFull)))
			for _, want := range tt.want {
				if !strings.Contains(text, want) {
					t.Errorf("the PDF lacks %q", want)
				}
			}
		})
	}
}
