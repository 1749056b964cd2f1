package intake

import (
	"fmt"
	"slices"
	"strings"

	"github.com/intyg/intyg/schemas"
)

// Flag is an attention flag on an accepted certificate: something a
// caseworker should look at for control. A flag never refuses a
// certificate.
type Flag struct {
	// Code is the flag's code, as the template declares it.
	Code string `json:"code"`
	// Message is the Swedish sentence.
	Message string `json:"message"`
	// MessageEn is the English sentence.
	MessageEn string `json:"messageEn,omitempty"`
}

// Localized returns the message in lang: "en" for English, else Swedish.
func (f Flag) Localized(lang string) string {
	if lang == "en" && f.MessageEn != "" {
		return f.MessageEn
	}
	return f.Message
}

// FlagText returns the catalogue key of a flag code's sentence.
func FlagText(code string) string { return "flag." + code }

// FlagLabel returns the catalogue key of a flag code's short name, for
// lists and filters.
func FlagLabel(code string) string { return "flagLabel." + code }

// FlagName returns flag f's short name in lang, for lists and filters: the
// template's own, or the catalogue's.
func FlagName(f schemas.Flag, lang string) string {
	if f.Label != nil {
		return f.Label.In(lang)
	}
	return Text(FlagLabel(f.Code), lang)
}

// newFlag is the flag f raises, worded by the template's text or else the
// catalogue's, with arg.
func newFlag(f schemas.Flag, arg any) Flag {
	if f.Text != nil {
		return Flag{Code: f.Code, Message: fillDeclared(f.Text.SV, arg), MessageEn: fillDeclared(f.Text.In("en"), arg)}
	}
	return Flag{Code: f.Code, Message: Text(FlagText(f.Code), "sv", arg), MessageEn: Text(FlagText(f.Code), "en", arg)}
}

// checkAttention checks what the catalogue and the condition engine must
// offer a template's cases block and flags.
func checkAttention(t *schemas.Template) error {
	if t.Cases != nil {
		if err := checkCondition(t.Cases.Exclude); err != nil {
			return fmt.Errorf("cases: exclude: %w", err)
		}
	}
	for _, f := range t.Attention {
		if f.Text == nil && (!HasText(FlagText(f.Code)) || !HasText(FlagLabel(f.Code))) {
			return fmt.Errorf("attention: flag %s needs a text and a label, in the template or as %q and %q in the message catalogue", f.Code, FlagText(f.Code), FlagLabel(f.Code))
		}
	}
	return nil
}

// countsTowardCases reports whether a certificate of c with answers counts
// toward the patient's cases: c declares cases and its exclusion does not
// hold.
func countsTowardCases(c *compiled, answers map[string]any) bool {
	t := c.tmpl
	return t.Cases != nil && (t.Cases.Exclude == nil || !c.exclude.holds(map[string]any{"answers": answers}))
}

// newCertificateID stands for the certificate being flagged among the
// stored ones, before the store gives it an id.
const newCertificateID = "\x00new"

// FlagFunc computes the attention flags of an accepted certificate from its
// patient's certificates stored so far, as Engine.Flags does. The store
// calls it where it stores the certificate, so that the history is the
// one the certificate joins.
type FlagFunc func(c *Certificate, history []CaseCertificate) []Flag

// Flags computes the attention flags of an accepted certificate c (after
// Normalize) from the patient's counted certificates stored so far
// (history, every unit; c itself not among them), in the template's order.
// The certificate c replaces or completes is left out of history: once c
// is stored it no longer counts (it counts through c).
func (e *Engine) Flags(c *Certificate, history []CaseCertificate) []Flag {
	ct, ok := e.templates[c.Template+"/"+c.Version]
	if !ok || ct.tmpl.Cases == nil {
		return nil
	}
	if rel := c.Relation; rel != nil && rel.Type.Supersedes() {
		history = slices.DeleteFunc(slices.Clone(history), func(h CaseCertificate) bool { return h.ID == rel.Certificate })
	}
	t := ct.tmpl
	var periods []Period
	if c.SickLeave != nil {
		periods = c.SickLeave.Periods
	}
	doc := map[string]any{"answers": c.Answers}
	var joined *Case
	if c.CountsTowardCases && len(periods) > 0 {
		self := CaseCertificate{ID: newCertificateID, Unit: c.Issuer.Unit.HSAID, Periods: periods}
		for _, k := range BuildCases(append(slices.Clip(history), self), CaseOptions{Gap: t.Cases.Gap, Milestones: t.Cases.Milestones}) {
			if slices.Contains(k.Certificates, newCertificateID) {
				joined = &k
			}
		}
	}
	var out []Flag
	for _, f := range t.Attention {
		switch f.Kind {
		case schemas.FlagStartsBeforeSigning:
			if slices.ContainsFunc(periods, func(p Period) bool { return p.From.Before(c.SignedOn.AddDays(-f.Days).Time) }) {
				out = append(out, newFlag(f, f.Days))
			}
		case schemas.FlagImplausiblePeriod:
			if slices.ContainsFunc(periods, func(p Period) bool {
				return p.Days > f.Days || p.From.Before(c.SignedOn.AddDays(-f.Days).Time) || p.From.After(c.SignedOn.AddDays(f.Days).Time)
			}) {
				out = append(out, newFlag(f, f.Days))
			}
		case schemas.FlagOverlapOtherUnit:
			if units := otherUnitsOverlapping(c, periods, history); len(units) > 0 {
				out = append(out, newFlag(f, strings.Join(units, ", ")))
			}
		case schemas.FlagReachesMilestone:
			if joined == nil {
				continue
			}
			day := joined.Milestones[MilestoneKey(f.Milestone)]
			if !day.IsZero() && slices.ContainsFunc(periods, func(p Period) bool { return !day.Before(p.From.Time) && !day.After(p.To.Time) }) {
				out = append(out, newFlag(f, day.String()))
			}
		case schemas.FlagDegreeDaysWithoutAnswer:
			days := 0
			for _, p := range periods {
				if p.Degree == f.Degree {
					days += p.Days
				}
			}
			if _, answered := c.Answers[f.Field]; days > f.Days && !answered && ct.dependsOn[f.Field].holds(doc) {
				out = append(out, newFlag(f, f.Days))
			}
		case schemas.FlagNoneOfOptions:
			q, _ := t.Form.Question(f.Field)
			if ct.dependsOn[f.Field].holds(doc) && !slices.ContainsFunc(chosenOptions(q, c.Answers[f.Field]), func(v string) bool { return slices.Contains(f.Values, v) }) {
				out = append(out, newFlag(f, nil))
			}
		}
	}
	return out
}

// otherUnitsOverlapping returns the units, other than c's, whose counted
// certificates in history have a period overlapping one of periods. c
// itself need not count: a certificate for smittbärarpenning over days
// another unit has put on sick leave is what the flag is for.
func otherUnitsOverlapping(c *Certificate, periods []Period, history []CaseCertificate) []string {
	var units []string
	for _, h := range history {
		if h.Unit == c.Issuer.Unit.HSAID || slices.Contains(units, h.Unit) {
			continue
		}
		for _, p := range periods {
			if slices.ContainsFunc(h.Periods, func(o Period) bool { return !o.From.After(p.To.Time) && !p.From.After(o.To.Time) }) {
				units = append(units, h.Unit)
				break
			}
		}
	}
	slices.Sort(units)
	return units
}

// chosenOptions returns the option values an answer chooses: a radio's
// value, a checkbox group's values, or the option member of each item.
func chosenOptions(q schemas.Question, answer any) []string {
	kind, _ := q.Widget.Kind()
	var out []string
	add := func(v any) {
		if m, ok := v.(map[string]any); ok && kind.OptionKey != "" {
			v = m[kind.OptionKey]
		}
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	if items, ok := answer.([]any); ok {
		for _, it := range items {
			add(it)
		}
	} else {
		add(answer)
	}
	return out
}
