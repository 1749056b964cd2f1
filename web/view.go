package web

import (
	"fmt"
	"strings"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// viewSection is one section of a certificate laid out read-only from its
// template's form definition, for the review before signing (and the pages
// that show a certificate).
type viewSection struct {
	ID        string
	Title     string
	Questions []viewQuestion
}

// viewQuestion is one question with its answer: every option with the
// chosen ones marked, or lines of text.
type viewQuestion struct {
	ID, Field, Label string
	// Help is the agency's guidance, paragraph by paragraph (guidance).
	Help []string
	// Highlight marks what the template says a caseworker must not miss
	// (a contact request, suggested measures).
	Highlight bool
	Options   []viewOption
	Lines     []string
	// Empty is true when nothing was answered.
	Empty bool
}

// viewOption is one option, chosen or not, with what goes with it.
type viewOption struct {
	Label  string
	Chosen bool
	Detail string
}

// layOut lays a certificate's answers out in its template's order; it
// leaves out questions whose condition does not hold. Its diagnoses, when
// the template derives them, show the answer's codes dotted and with their
// titles, and its sick leave the days of each period.
func layOut(t *schemas.Template, c *intake.Certificate) []viewSection {
	answers, diagnoses := c.Answers, c.Diagnoses
	doc := map[string]any{"answers": answers}
	var out []viewSection
	for _, s := range t.Form.Sections {
		vs := viewSection{ID: s.ID, Title: s.Title.SV}
		for _, q := range s.Questions {
			if !intake.Holds(q.DependsOn, doc) {
				continue
			}
			vq := viewQuestion{ID: q.ID, Field: q.Field, Label: q.Label.SV, Help: guidance(q), Highlight: q.Highlight}
			v, present := answers[q.Field]
			items, _ := v.([]any)
			kind, _ := q.Widget.Kind()
			switch q.Widget {
			case schemas.WidgetCheckbox:
				vq.Options = []viewOption{{Label: "Ja", Chosen: v == true}}
			case schemas.WidgetYesNo:
				vq.Options = []viewOption{{Label: "Ja", Chosen: present && v == true}, {Label: "Nej", Chosen: present && v == false}}
			case schemas.WidgetRadio, schemas.WidgetCheckboxGroup:
				for _, o := range q.Options {
					chosen := present && optionString(v) == optionString(o.Value)
					for _, it := range items {
						chosen = chosen || optionString(it) == optionString(o.Value)
					}
					vq.Options = append(vq.Options, viewOption{Label: o.NumberedSV(), Chosen: chosen})
				}
			case schemas.WidgetCheckboxDates, schemas.WidgetAreaTexts, schemas.WidgetPeriods:
				for _, o := range q.Options {
					opt := viewOption{Label: o.NumberedSV()}
					for _, it := range items {
						m, _ := it.(map[string]any)
						if optionString(m[kind.OptionKey]) != optionString(o.Value) {
							continue
						}
						opt.Chosen = true
						switch {
						case kind.Detail != "":
							opt.Detail = fmt.Sprint(m[kind.Detail])
						default:
							opt.Detail = fmt.Sprintf("%v – %v", m[schemas.ItemFrom], m[schemas.ItemTo])
							if p, ok := derivedPeriod(t, q, c.SickLeave, o); ok {
								opt.Detail += periodDays(p)
							}
						}
					}
					vq.Options = append(vq.Options, opt)
				}
			case schemas.WidgetDiagnoses, schemas.WidgetGroup:
				useDiagnoses := q.Widget == schemas.WidgetDiagnoses && t.Derive.Diagnoses != nil && t.Derive.Diagnoses.Field == q.Field && diagnoses != nil
				for i, it := range items {
					m, _ := it.(map[string]any)
					if useDiagnoses && i < len(diagnoses) {
						d := diagnoses[i]
						vq.Lines = append(vq.Lines, fmt.Sprintf("%s %s – %s", d.Code, d.Title, d.Description))
						continue
					}
					var parts []string
					for _, f := range q.Items {
						val, ok := m[f.Field]
						if !ok {
							continue
						}
						s := fmt.Sprint(val)
						for _, o := range f.Options {
							if optionString(val) == optionString(o.Value) {
								s = o.Label.SV
							}
						}
						parts = append(parts, f.Label.SV+": "+s)
					}
					vq.Lines = append(vq.Lines, strings.Join(parts, "; "))
				}
			case schemas.WidgetTextWithCodes:
				m, _ := v.(map[string]any)
				if s, ok := m[schemas.ItemText].(string); ok {
					vq.Lines = append(vq.Lines, s)
				}
				if codes, ok := m[schemas.ItemICF].([]any); ok && len(codes) > 0 {
					var cs []string
					for _, c := range codes {
						cs = append(cs, fmt.Sprint(c))
					}
					vq.Lines = append(vq.Lines, "ICF: "+strings.Join(cs, ", "))
				}
			case schemas.WidgetText, schemas.WidgetTextarea, schemas.WidgetInteger, schemas.WidgetDate:
				if present {
					vq.Lines = []string{fmt.Sprint(v)}
				}
			default:
				panic("web: widget " + string(q.Widget) + " has no read-only layout") // schemas.Load refuses unknown widgets
			}
			vq.Empty = len(vq.Lines) == 0
			for _, o := range vq.Options {
				vq.Empty = vq.Empty && !o.Chosen
			}
			vs.Questions = append(vs.Questions, vq)
		}
		if len(vs.Questions) > 0 {
			out = append(out, vs)
		}
	}
	return out
}

// guidance is the agency's guidance to question q as the form and the
// certificate page show it, paragraph by paragraph: the question's own,
// then that of each part of its items, after the part's label (question
// 4's source: where Försäkringskassan can get the investigation).
func guidance(q schemas.Question) []string {
	var out []string
	if q.Help != nil {
		out = append(out, q.Help.SV)
	}
	for _, it := range q.Items {
		if it.Help != nil {
			out = append(out, labelled(it.Label.SV, it.Help.SV))
		}
	}
	return out
}

// derivedPeriod is the period of degree option o in the certificate's
// sick leave, when the template derives the sick leave from question q.
func derivedPeriod(t *schemas.Template, q schemas.Question, sl *intake.SickLeave, o schemas.Option) (intake.Period, bool) {
	if ds := t.Derive.SickLeave; ds == nil || ds.Field != q.Field || sl == nil {
		return intake.Period{}, false
	}
	for _, p := range sl.Periods {
		if optionString(p.Degree) == optionString(o.Value) {
			return p, true
		}
	}
	return intake.Period{}, false
}

// periodDays says how long a period is: its days, and its net days when
// the degree makes them fewer (", 21 dagar, 10,5 nettodagar").
func periodDays(p intake.Period) string {
	s := fmt.Sprintf(", %d dagar", p.Days)
	if p.Days == 1 {
		s = ", 1 dag"
	}
	if p.NetDays != float64(p.Days) {
		s += ", " + intake.SwedishDecimal(p.NetDays) + " nettodagar"
	}
	return s
}
