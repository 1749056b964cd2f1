package intake

import (
	"github.com/go-playground/validator/v10"
)

// newRecordValidator returns a validator for Certificate with Intyg's custom
// tags: personalid (12-digit personnummer or samordningsnummer), hsaid,
// postalcode (NNN NN) and icd10se (a dotted code in the given list).
func newRecordValidator(icd *CodeList) (*validator.Validate, error) {
	v := validator.New(validator.WithRequiredStructEnabled())
	tags := map[string]validator.Func{
		"personalid": func(fl validator.FieldLevel) bool { return ValidPersonalID(fl.Field().String()) },
		"hsaid":      func(fl validator.FieldLevel) bool { return hsaIDPattern.MatchString(fl.Field().String()) },
		"postalcode": func(fl validator.FieldLevel) bool {
			s := fl.Field().String()
			return len(s) == 6 && s[3] == ' ' && postalCodePattern.MatchString(s)
		},
		"icd10se": func(fl validator.FieldLevel) bool {
			s := fl.Field().String()
			dotted, _, ok := icd.Lookup(s)
			return ok && dotted == s
		},
	}
	for tag, fn := range tags {
		if err := v.RegisterValidation(tag, fn); err != nil {
			return nil, err
		}
	}
	return v, nil
}
