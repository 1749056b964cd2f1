package intake

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/intyg/intyg/schemas"
)

// newTagValidator returns validator/v10 with Intyg's custom tags, to check
// the struct tags of Certificate that checkFields writes out.
func newTagValidator(tb testing.TB) *validator.Validate {
	tb.Helper()
	v := validator.New(validator.WithRequiredStructEnabled())
	tags := map[string]validator.Func{
		"personalid": func(fl validator.FieldLevel) bool { return ValidPersonalID(fl.Field().String()) },
		"hsaid":      func(fl validator.FieldLevel) bool { return isHSAID(fl.Field().String()) },
		"postalcode": func(fl validator.FieldLevel) bool {
			s := fl.Field().String()
			return len(s) == 6 && s[3] == ' ' && isPostalCode(s)
		},
	}
	for tag, fn := range tags {
		if err := v.RegisterValidation(tag, fn); err != nil {
			tb.Fatal(err)
		}
	}
	return v
}

// TestCheckFields checks that checkFields and the struct tags agree: every
// valid example's record passes both, and each broken record fails both.
func TestCheckFields(t *testing.T) {
	icd, err := LoadICD10SE(schemas.ICD10SE())
	if err != nil {
		t.Fatal(err)
	}
	reg, err := schemas.Load(schemas.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	eng, err := NewEngine(reg, icd, 0)
	if err != nil {
		t.Fatal(err)
	}
	tags := newTagValidator(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	files, _ := filepath.Glob(filepath.Join("..", "examples", "*", "valid", "*.json"))
	if len(files) == 0 {
		t.Fatal("no valid examples")
	}
	breaks := []struct {
		name   string
		change func(c *Certificate)
	}{
		{"no template", func(c *Certificate) { c.Template = "" }},
		{"no version", func(c *Certificate) { c.Version = "" }},
		{"no signing time", func(c *Certificate) { c.SignedAt = time.Time{} }},
		{"no answers", func(c *Certificate) { c.Answers = nil }},
		{"identity number not normalised", func(c *Certificate) { c.Patient.ID = "19121212-1212" }},
		{"identity number checksum", func(c *Certificate) { c.Patient.ID = "191212121213" }},
		{"identity kind", func(c *Certificate) { c.Patient.IDKind = "reserv" }},
		{"no patient name", func(c *Certificate) { c.Patient.Name = "" }},
		{"patient name over 200", func(c *Certificate) { c.Patient.Name = string(make([]rune, 201)) }},
		{"issuer HSA-id lower case", func(c *Certificate) { c.Issuer.HSAID = "se2321000016-1003" }},
		{"no issuer name", func(c *Certificate) { c.Issuer.Name = "" }},
		{"no issuer role", func(c *Certificate) { c.Issuer.Role = "" }},
		{"unit HSA-id", func(c *Certificate) { c.Issuer.Unit.HSAID = "x" }},
		{"no unit name", func(c *Certificate) { c.Issuer.Unit.Name = "" }},
		{"no unit address", func(c *Certificate) { c.Issuer.Unit.Address = "" }},
		{"postal code without space", func(c *Certificate) { c.Issuer.Unit.PostalCode = "11122" }},
		{"no unit city", func(c *Certificate) { c.Issuer.Unit.City = "" }},
		{"no unit phone", func(c *Certificate) { c.Issuer.Unit.Phone = "" }},
		{"care provider HSA-id", func(c *Certificate) { c.Issuer.CareProvider = &CareProvider{HSAID: "x", Name: "V"} }},
		{"no care provider name", func(c *Certificate) { c.Issuer.CareProvider = &CareProvider{HSAID: "SE2321000016-1003"} }},
		{"diagnosis without code", func(c *Certificate) { c.Diagnoses = append(c.Diagnoses, Diagnosis{Description: "d"}) }},
		{"diagnosis without description", func(c *Certificate) { c.Diagnoses = append(c.Diagnoses, Diagnosis{Code: "F32.1"}) }},
		{"no periods", func(c *Certificate) { c.SickLeave = &SickLeave{TotalDays: 1} }},
		{"no days", func(c *Certificate) { c.SickLeave = &SickLeave{Periods: []Period{{Degree: 100, Days: 1}}} }},
		{"degree 0", func(c *Certificate) { c.SickLeave = &SickLeave{TotalDays: 1, Periods: []Period{{Degree: 0, Days: 1}}} }},
		{"degree 101", func(c *Certificate) {
			c.SickLeave = &SickLeave{TotalDays: 1, Periods: []Period{{Degree: 101, Days: 1}}}
		}},
		{"period of no days", func(c *Certificate) { c.SickLeave = &SickLeave{TotalDays: 1, Periods: []Period{{Degree: 50}}} }},
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := eng.Intake(b, now)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := tags.Struct(cert); err != nil {
			t.Errorf("%s: tags: %v", f, err)
		}
		if err := checkFields(cert); err != nil {
			t.Errorf("%s: checkFields: %v", f, err)
		}
		for _, tt := range breaks {
			c, _ := eng.Intake(b, now)
			tt.change(c)
			if tags.Struct(c) == nil {
				t.Errorf("%s, %s: the tags pass it", f, tt.name)
			}
			if checkFields(c) == nil {
				t.Errorf("%s, %s: checkFields passes it", f, tt.name)
			}
		}
	}
}
