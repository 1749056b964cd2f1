package intake

import (
	"fmt"
	"slices"

	"github.com/go-playground/validator/v10"

	"github.com/intyg/intyg/schemas"
)

// newRecordValidator returns a validator for Certificate with Intyg's custom
// tags: personalid (12-digit personnummer or samordningsnummer), hsaid and
// postalcode (NNN NN). What depends on the template (issuer roles, degrees,
// code lists) is checked by checkRecord.
func newRecordValidator() (*validator.Validate, error) {
	v := validator.New(validator.WithRequiredStructEnabled())
	tags := map[string]validator.Func{
		"personalid": func(fl validator.FieldLevel) bool { return ValidPersonalID(fl.Field().String()) },
		"hsaid":      func(fl validator.FieldLevel) bool { return hsaIDPattern.MatchString(fl.Field().String()) },
		"postalcode": func(fl validator.FieldLevel) bool {
			s := fl.Field().String()
			return len(s) == 6 && s[3] == ' ' && postalCodePattern.MatchString(s)
		},
	}
	for tag, fn := range tags {
		if err := v.RegisterValidation(tag, fn); err != nil {
			return nil, err
		}
	}
	return v, nil
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
// that is not an option, a diagnosis code not in the declared list. Where
// the schema says the same, the duplicate problems merge when sorted.
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
			v, present := m[schemas.ItemDegree]
			if !present {
				continue
			}
			if n, ok := number(v); !ok || n != float64(int(n)) || !slices.Contains(c.degrees, int(n)) {
				ps = append(ps, problem(JoinPointer(JoinIndex("/answers/"+EscapeToken(d.Field), i), schemas.ItemDegree), "enum", joinValues(anySlice(c.degrees))))
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
