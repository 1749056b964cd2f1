package intake

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/intyg/intyg/schemas"
)

// Normalize turns a submission that passed Validate into a Certificate:
// identity number in 12-digit form with kind and date of birth, HSA-ids in
// upper case, postal code as NNN NN, code-list fields in dotted form with
// titles, and the sick-leave periods with their day counts. The record's
// invariants are then checked; a breach is an EINTERNAL error, since Validate
// should have refused the submission.
func (e *Engine) Normalize(doc map[string]any) (*Certificate, error) {
	c, ps := e.lookup(doc)
	if c == nil {
		return nil, invalid(ps)
	}
	signedAt, err := parseSignedAt(str(doc, "signedAt"))
	if err != nil {
		return nil, invalid(Problems{problem("/signedAt", "invalidDateTime", nil)})
	}
	today := e.dayOf(signedAt)
	patient := obj(doc, "patient")
	pid, err := ParsePersonalID(str(patient, "id"), today.Time)
	if err != nil {
		return nil, invalid(Problems{PersonalIDProblem("/patient/id", err)})
	}
	answers := obj(doc, "answers")
	canonicalNumbers(answers)
	cert := &Certificate{
		Template: c.tmpl.ID,
		Version:  c.tmpl.Version,
		Patient: Patient{
			ID:          pid.Number,
			IDKind:      pid.Kind,
			DateOfBirth: Date{pid.BirthDate},
			Name:        str(patient, "name"),
		},
		Issuer:   normalizeIssuer(obj(doc, "issuer")),
		SignedAt: signedAt,
		SignedOn: today,
		Answers:  answers,
		Relation: relationOf(doc),
	}
	for _, r := range c.rules {
		if r.list != nil {
			normalizeCodes(answers, doc, r)
		}
	}
	if d := c.tmpl.Derive.Diagnoses; d != nil {
		cert.Diagnoses = diagnoses(answers[d.Field], c.diagnosisList)
	}
	if d := c.tmpl.Derive.SickLeave; d != nil {
		cert.SickLeave = sickLeave(answers[d.Field])
	}
	if d := c.tmpl.Derive.ContactRequested; d != nil {
		cert.ContactRequested = answers[d.Field] == true
	}
	cert.CountsTowardCases = countsTowardCases(c, answers)
	if err := checkFields(cert); err != nil {
		return nil, fmt.Errorf("intake: normalised record breaks an invariant: %w", err)
	}
	if err := c.checkRecord(cert); err != nil {
		return nil, fmt.Errorf("intake: normalised record breaks an invariant: %w", err)
	}
	return cert, nil
}

func normalizeIssuer(m map[string]any) Issuer {
	unit := obj(m, "unit")
	is := Issuer{
		HSAID:          UpperASCII(str(m, "hsaId")),
		Name:           str(m, "name"),
		Role:           str(m, "role"),
		PrescriberCode: str(m, "prescriberCode"),
		Unit: Unit{
			HSAID:         UpperASCII(str(unit, "hsaId")),
			Name:          str(unit, "name"),
			WorkplaceCode: str(unit, "workplaceCode"),
			Address:       str(unit, "address"),
			PostalCode:    postalCode(str(unit, "postalCode")),
			City:          str(unit, "city"),
			Phone:         str(unit, "phone"),
		},
	}
	if sp, ok := m["specialities"].([]any); ok {
		for _, s := range sp {
			if s, ok := s.(string); ok {
				is.Specialities = append(is.Specialities, s)
			}
		}
	}
	if cp, ok := m["careProvider"].(map[string]any); ok {
		is.CareProvider = &CareProvider{HSAID: UpperASCII(str(cp, "hsaId")), Name: str(cp, "name")}
	}
	// Write the normalised forms back, so the stored answers and envelope agree.
	m["hsaId"], unit["hsaId"], unit["postalCode"] = is.HSAID, is.Unit.HSAID, is.Unit.PostalCode
	return is
}

// postalCode writes a five-digit postal code as NNN NN.
func postalCode(s string) string {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) != 5 {
		return s
	}
	return s[:3] + " " + s[3:]
}

// normalizeCodes rewrites the codes a codeList rule covers in dotted upper case.
func normalizeCodes(answers map[string]any, doc map[string]any, r rule) {
	for _, m := range r.fields[0].Resolve(doc) {
		s, ok := m.Value.(string)
		if !ok {
			continue
		}
		if dotted, _, found := r.list.Lookup(s); found && dotted != s { // setting it again would parse the pointer for nothing
			MustParsePointer(m.Pointer()).Set(doc, dotted)
		}
	}
}

// diagnoses reads a diagnoses answer: items {code, description}, the codes
// looked up in list.
func diagnoses(v any, list *CodeList) []Diagnosis {
	items, _ := v.([]any)
	var out []Diagnosis
	for _, it := range items {
		m, _ := it.(map[string]any)
		code, title, _ := list.Lookup(str(m, schemas.ItemCode))
		out = append(out, Diagnosis{Code: code, Title: title, Description: str(m, schemas.ItemDescription)})
	}
	return out
}

// sickLeave reads a periods answer: items {degree, from, to}, and derives the
// day counts. Days count both ends.
func sickLeave(v any) *SickLeave {
	items, _ := v.([]any)
	if len(items) == 0 {
		return nil
	}
	sl := &SickLeave{DaysByDegree: map[string]int{}}
	net := 0 // in hundredths of a day, so that the sum is exact
	for _, it := range items {
		m, _ := it.(map[string]any)
		// 75, 75.0 and 7.5e1 are the same JSON number.
		f, ok := number(m[schemas.ItemDegree])
		if !ok {
			f, _ = strconv.ParseFloat(fmt.Sprint(m[schemas.ItemDegree]), 64)
		}
		degree := int(f)
		from, _ := ParseDate(str(m, schemas.ItemFrom))
		to, _ := ParseDate(str(m, schemas.ItemTo))
		days := from.DaysUntil(to) + 1
		p := Period{Degree: degree, From: from, To: to, Days: days, NetDays: float64(days*degree) / 100}
		sl.Periods = append(sl.Periods, p)
		sl.DaysByDegree[strconv.Itoa(degree)] += days
		sl.TotalDays += days
		net += days * degree
	}
	sl.NetDays = float64(net) / 100
	slices.SortStableFunc(sl.Periods, func(a, b Period) int { return a.From.Compare(b.From.Time) })
	sl.From = sl.Periods[0].From
	sl.To = sl.Periods[0].To
	for _, p := range sl.Periods {
		if p.To.After(sl.To.Time) {
			sl.To = p.To
		}
	}
	return sl
}

func obj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	if o == nil {
		return map[string]any{}
	}
	return o
}

// canonicalNumbers writes every number in v in one form: 100, 100.0 and
// 1e2 are one JSON number, and the record, its pages, its PDF and a
// comparison show it alike, on either database (PostgreSQL's JSONB would
// rewrite it anyway). Whole numbers without a fraction or exponent, others
// in Go's shortest form.
func canonicalNumbers(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if n, ok := x.(json.Number); ok {
				v[k] = canonicalNumber(n)
			} else {
				canonicalNumbers(x)
			}
		}
	case []any:
		for i, x := range v {
			if n, ok := x.(json.Number); ok {
				v[i] = canonicalNumber(n)
			} else {
				canonicalNumbers(x)
			}
		}
	}
}

func canonicalNumber(n json.Number) json.Number {
	f, err := n.Float64()
	switch {
	case err != nil:
		return n
	case f == math.Trunc(f) && math.Abs(f) < 1<<53:
		return json.Number(strconv.FormatInt(int64(f), 10))
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}
