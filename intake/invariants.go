package intake

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/intyg/intyg/schemas"
)

// checkFields checks the record's invariants that do not depend on the
// template, those its struct tags state (validate:"…"): required fields
// present, identity number, HSA-ids and postal code in their normalised
// forms, at least one period, degrees 1–100, day counts of at least one.
// It is the tags written out: Normalize runs it on every submission, where
// reflecting over the tags cost a tenth of the intake. TestCheckFields
// keeps it and the tags (checked by validator/v10) in agreement.
func checkFields(c *Certificate) error {
	var bad []string
	check := func(ok bool, field string) {
		if !ok {
			bad = append(bad, field)
		}
	}
	check(c.Template != "", "Template")
	check(c.Version != "", "Version")
	check(!c.SignedAt.IsZero(), "SignedAt")
	check(c.Answers != nil, "Answers")
	p := c.Patient
	check(p.ID != "" && ValidPersonalID(p.ID), "Patient.ID")
	check(p.IDKind == "personnummer" || p.IDKind == "samordningsnummer", "Patient.IDKind")
	check(p.Name != "" && utf8.RuneCountInString(p.Name) <= 200, "Patient.Name")
	is := c.Issuer
	check(isHSAID(is.HSAID), "Issuer.HSAID")
	check(is.Name != "", "Issuer.Name")
	check(is.Role != "", "Issuer.Role")
	u := is.Unit
	check(isHSAID(u.HSAID), "Issuer.Unit.HSAID")
	check(u.Name != "", "Issuer.Unit.Name")
	check(u.Address != "", "Issuer.Unit.Address")
	check(len(u.PostalCode) == 6 && u.PostalCode[3] == ' ' && isPostalCode(u.PostalCode), "Issuer.Unit.PostalCode")
	check(u.City != "", "Issuer.Unit.City")
	check(u.Phone != "", "Issuer.Unit.Phone")
	if cp := is.CareProvider; cp != nil {
		check(isHSAID(cp.HSAID), "Issuer.CareProvider.HSAID")
		check(cp.Name != "", "Issuer.CareProvider.Name")
	}
	// The names of list items are formatted only for a breach: formatting
	// them for every item cost more than the checks.
	checkItem := func(ok bool, format string, i int) {
		if !ok {
			bad = append(bad, fmt.Sprintf(format, i))
		}
	}
	for i, d := range c.Diagnoses {
		checkItem(d.Code != "", "Diagnoses[%d].Code", i)
		checkItem(d.Description != "", "Diagnoses[%d].Description", i)
	}
	if sl := c.SickLeave; sl != nil {
		check(len(sl.Periods) >= 1, "SickLeave.Periods")
		check(sl.TotalDays >= 1, "SickLeave.TotalDays")
		for i, pd := range sl.Periods {
			checkItem(pd.Degree >= 1 && pd.Degree <= 100, "SickLeave.Periods[%d].Degree", i)
			checkItem(pd.Days >= 1, "SickLeave.Periods[%d].Days", i)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("invalid %s", strings.Join(bad, ", "))
	}
	return nil
}

// checkRecord checks the record's invariants that the template declares:
// the issuer's role is one the template allows, each period's degree is one
// of the periods question's options, and each diagnosis code is a dotted
// code of the declared list.
func (c *compiled) checkRecord(cert *Certificate) error {
	if !slices.Contains(c.roles, cert.Issuer.Role) {
		return fmt.Errorf("issuer role %q is not one of %v", cert.Issuer.Role, c.roles)
	}
	if cert.SickLeave != nil {
		for _, p := range cert.SickLeave.Periods {
			if !slices.Contains(c.degrees, p.Degree) {
				return fmt.Errorf("degree %d is not one of %v", p.Degree, c.degrees)
			}
		}
	}
	for _, d := range cert.Diagnoses {
		if dotted, _, ok := c.diagnosisList.Lookup(d.Code); !ok || dotted != d.Code {
			return fmt.Errorf("diagnosis code %q is not in %s", d.Code, c.diagnosisList.Name)
		}
	}
	return nil
}

// derivedProblems reports what the record's derived parts need and the
// schema may not say: an issuer role the template does not allow, a degree
// that is not an option, a period that ends before it starts, a diagnosis
// code not in the declared list. Where the schema or a rule says the same,
// the duplicate problems merge when sorted.
func (c *compiled) derivedProblems(doc map[string]any) Problems {
	var ps Problems
	issuer, _ := doc["issuer"].(map[string]any)
	if role, ok := issuer["role"].(string); ok && !slices.Contains(c.roles, role) {
		ps = append(ps, problem("/issuer/role", "enum", joinValues(anySlice(c.roles))))
	}
	answers, _ := doc["answers"].(map[string]any)
	if d := c.tmpl.Derive.SickLeave; d != nil {
		items, _ := answers[d.Field].([]any)
		for i, it := range items {
			m, _ := it.(map[string]any)
			// The item's pointer, made only for a problem (most have none).
			at := func(member string) string { return JoinPointer(JoinIndex("/answers/"+EscapeToken(d.Field), i), member) }
			// A period that ends before it starts has no day count; the
			// record needs the order whether or not the template declares
			// a dateOrder rule on its periods.
			from, fromOK := dateValue(m[schemas.ItemFrom])
			if to, toOK := dateValue(m[schemas.ItemTo]); fromOK && toOK && to.Before(from.Time) {
				ps = append(ps, problem(at(schemas.ItemTo), "dateBeforeStart", nil))
			}
			v, present := m[schemas.ItemDegree]
			if !present {
				continue
			}
			if n, ok := number(v); !ok || n != float64(int(n)) || !slices.Contains(c.degrees, int(n)) {
				ps = append(ps, problem(at(schemas.ItemDegree), "enum", joinValues(anySlice(c.degrees))))
			}
		}
	}
	if d := c.tmpl.Derive.Diagnoses; d != nil {
		items, _ := answers[d.Field].([]any)
		for i, it := range items {
			m, _ := it.(map[string]any)
			code, ok := m[schemas.ItemCode].(string)
			if !ok {
				continue
			}
			if bare := bareCode(code); !codeShape(bare) {
				ps = append(ps, problem(JoinPointer(JoinIndex("/answers/"+EscapeToken(d.Field), i), schemas.ItemCode), "unknownCode", c.diagnosisList.Title))
			} else if _, _, found := c.diagnosisList.Lookup(bare); !found {
				ps = append(ps, problem(JoinPointer(JoinIndex("/answers/"+EscapeToken(d.Field), i), schemas.ItemCode), "unknownCode", c.diagnosisList.Title))
			}
		}
	}
	return ps
}

func anySlice[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
