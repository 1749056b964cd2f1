package web

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// comparePage is what certificate_compare.html shows: two certificates of
// one patient and one template side by side in the template's order, the
// older first, every changed answer marked and text changes word by word.
type comparePage struct {
	layout
	Template *schemas.Template
	Old, New *intake.Certificate
	OldAt    string
	NewAt    string
	Sections []compareSection
	Changed  int
}

// compareSection is one section of the comparison.
type compareSection struct {
	Title string
	Rows  []compareRow
}

// compareRow is one question: its answer in each certificate, and whether
// it changed; Words is the newer text marked word by word when both
// answers are one text.
type compareRow struct {
	ID, Label string
	Old, New  []string
	Changed   bool
	Words     []diffWord
}

// diffWord is a word of the newer text: kept, added, or (from the older
// text) removed.
type diffWord struct {
	Text string
	Op   string // "", "add", "del"
}

// compareTwo is the refusal of a comparison of other than two certificates.
func compareTwo() error {
	return intake.Failure(intake.EINVALID, "compare.two").WithProblems(intake.Problems{intake.NewProblem("/id", "invalid", "compare.two", nil)})
}

// handleComparePost handles POST /compare, from a list's ticked
// certificates: the browser goes on to the comparison of the two (GET,
// so that going back to it from a certificate shows it again).
func handleComparePost(logger *slog.Logger) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		form, err := readForm(w, r, 4<<10)
		if err != nil {
			return err
		}
		if len(form["id"]) != 2 {
			return compareTwo()
		}
		http.Redirect(w, r, "/compare?"+url.Values{"id": form["id"]}.Encode(), http.StatusSeeOther)
		return nil
	})
}

// handleCompare handles GET /compare?id=&id= (caseworkers; physicians for
// their unit): two certificates of the same patient and template side by
// side. Both reads go to the access log.
func handleCompare(logger *slog.Logger, eng *intake.Engine, certs certificateStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		ids := r.URL.Query()["id"]
		if len(ids) != 2 {
			return compareTwo()
		}
		var cs [2]*intake.Certificate
		for i, id := range ids {
			c, err := findVisibleID(r, certs, id)
			if err != nil {
				return err
			}
			cs[i] = c
		}
		if cs[0].Template != cs[1].Template || cs[0].Patient.ID != cs[1].Patient.ID {
			return intake.Failure(intake.EINVALID, "compare.same").WithProblems(intake.Problems{intake.NewProblem("/id", "invalid", "compare.same", nil)})
		}
		if cs[0].ID == cs[1].ID {
			return intake.Failure(intake.EINVALID, "compare.twice").WithProblems(intake.Problems{intake.NewProblem("/id", "invalid", "compare.twice", nil)})
		}
		// The older is the one written first: signed first, or, signed
		// at once, received first.
		if cs[1].SignedAt.Before(cs[0].SignedAt) || cs[1].SignedAt.Equal(cs[0].SignedAt) && cs[1].ReceivedAt.Before(cs[0].ReceivedAt) {
			cs[0], cs[1] = cs[1], cs[0]
		}
		for _, c := range cs {
			if err := audit.CreateAuditEntry(r.Context(), readEntry(r, "certificate.compare", c)); err != nil {
				return err
			}
		}
		// Each certificate in its own version of the template: a yearly
		// version beside the last year's compares question by question.
		var ts [2]*schemas.Template
		for i, c := range cs {
			t, ok := eng.Template(c.Template, c.Version)
			if !ok {
				return intake.Failure(intake.ENOTFOUND, "notFound.template", c.Template, c.Version)
			}
			ts[i] = t
		}
		page := comparePage{layout: signedInLayout(r, "Jämför intyg"), Template: ts[1], Old: cs[0], New: cs[1],
			OldAt: whenWritten(cs[0]), NewAt: whenWritten(cs[1])}
		page.Sections, page.Changed = compare(ts[0], ts[1], cs[0], cs[1])
		return renderPage(w, http.StatusOK, "certificate_compare", page)
	})
}

// compare lays both certificates out (layOut) and pairs their questions.
func compare(ta, tb *schemas.Template, a, b *intake.Certificate) ([]compareSection, int) {
	lines := func(q viewQuestion) []string {
		var out []string
		for _, o := range q.Options {
			if o.Chosen {
				s := o.Label
				if o.Detail != "" {
					s += ": " + o.Detail
				}
				out = append(out, s)
			}
		}
		return append(out, q.Lines...)
	}
	answers := func(t *schemas.Template, c *intake.Certificate) map[string]viewQuestion {
		m := map[string]viewQuestion{}
		for _, s := range layOut(t, c) {
			for _, q := range s.Questions {
				m[q.Field] = q
			}
		}
		return m
	}
	oldA, newA := answers(ta, a), answers(tb, b)
	// The newer's sections and questions, then what only the older's
	// version asked, paired by field.
	sections := tb.Form.Sections
	if ta != tb {
		only := schemas.Section{Title: schemas.Text{SV: "Frågor som bara version " + ta.Version + " har"}}
		for _, q := range ta.Form.Questions() {
			if _, asked := tb.Form.Question(q.Field); !asked {
				only.Questions = append(only.Questions, q)
			}
		}
		sections = append(slices.Clip(sections), only)
	}
	var out []compareSection
	changed := 0
	for _, s := range sections {
		cs := compareSection{Title: s.Title.SV}
		for _, q := range s.Questions {
			oq, inOld := oldA[q.Field]
			nq, inNew := newA[q.Field]
			if !inOld && !inNew {
				continue
			}
			row := compareRow{ID: q.ID, Label: q.Label.SV, Old: lines(oq), New: lines(nq)}
			row.Changed = strings.Join(row.Old, "\n") != strings.Join(row.New, "\n")
			if row.Changed {
				changed++
				if len(row.Old) == 1 && len(row.New) == 1 && len(oq.Options) == 0 && len(nq.Options) == 0 {
					row.Words = diffWords(row.Old[0], row.New[0])
				}
			}
			cs.Rows = append(cs.Rows, row)
		}
		if len(cs.Rows) > 0 {
			out = append(out, cs)
		}
	}
	return out, changed
}

// diffWords marks the words of b against a by their longest common
// subsequence: kept, added in b, or removed from a.
func diffWords(a, b string) []diffWord {
	x, y := wordsAndBreaks(a), wordsAndBreaks(b)
	if len(x)*len(y) > 1_000_000 { // too long to compare word by word
		return []diffWord{{Text: b, Op: "add"}}
	}
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []diffWord
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			out = append(out, diffWord{Text: x[i]})
			i, j = i+1, j+1
		case j < len(y) && (i == len(x) || lcs[i][j+1] >= lcs[i+1][j]):
			out = append(out, diffWord{Text: y[j], Op: "add"})
			j++
		default:
			out = append(out, diffWord{Text: x[i], Op: "del"})
			i++
		}
	}
	return runs(out)
}

// runs joins the words next to each other that were kept, added or
// removed alike into one, so that a screen reader says "tillagt" once
// before the words added together, not before each; a line break stays
// on its own.
func runs(words []diffWord) []diffWord {
	var out []diffWord
	for _, w := range words {
		if n := len(out); n > 0 && out[n-1].Op == w.Op && w.Text != "\n" && out[n-1].Text != "\n" {
			out[n-1].Text += " " + w.Text
			continue
		}
		out = append(out, w)
	}
	return out
}

// wordsAndBreaks splits a text into its words and its line breaks ("\n"),
// so that a changed line break shows as a change, and the text keeps its
// lines.
func wordsAndBreaks(s string) []string {
	var out []string
	for i, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if i > 0 {
			out = append(out, "\n")
		}
		out = append(out, strings.Fields(line)...)
	}
	return out
}

// whenWritten is c's template version and when it was signed and
// received, in Swedish local time, as a page names a certificate beside
// another.
func whenWritten(c *intake.Certificate) string {
	return "version " + c.Version + ", signerat " + localTime(c.SignedAt) + ", mottaget " + localTime(c.ReceivedAt)
}
