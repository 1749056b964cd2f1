package intake

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// isHSAID reports whether s is an HSA-id in upper case: a 2–14 character
// prefix, ten digits (the organisation number), a dash and a local part,
// ^[A-Z0-9]{2,14}[0-9]{10}-[A-Z0-9]{1,31}$. It is written out rather than a
// regular expression, which cost a tenth of an intake (TestShapes holds
// it to the expression).
func isHSAID(s string) bool {
	dash := strings.IndexByte(s, '-')
	if dash < 12 || dash > 24 || len(s)-dash-1 < 1 || len(s)-dash-1 > 31 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		digit := isDigit(c)
		switch {
		case i == dash:
		case i >= dash-10 && i < dash && !digit:
			return false
		case !digit && (c < 'A' || c > 'Z'):
			return false
		}
	}
	return true
}

// isPostalCode reports whether s is a Swedish postal code, with or without
// the space: ^[0-9]{3} ?[0-9]{2}$ (TestShapes holds it to the expression).
func isPostalCode(s string) bool {
	switch {
	case len(s) == 5:
		return allDigits(s)
	case len(s) == 6 && s[3] == ' ':
		return allDigits(s[:3]) && allDigits(s[4:])
	}
	return false
}

// formatError is returned by our format checkers; its code becomes the
// problem code.
type formatError struct{ code, want string }

func (e *formatError) Error() string { return e.code }

// formats are the custom JSON Schema formats templates may use, and the
// library's date and date-time checked as quickSchema checks them (a real
// date from MinYear on).
var formats = []*jsonschema.Format{
	{Name: "date", Validate: func(v any) error {
		if s, ok := v.(string); ok && !quickDate(s) {
			return &formatError{"invalidDate", ""}
		}
		return nil
	}},
	{Name: "date-time", Validate: func(v any) error {
		if s, ok := v.(string); ok && !quickDateTime(s) {
			return &formatError{"invalidDateTime", ""}
		}
		return nil
	}},
	{Name: "hsa-id", Validate: func(v any) error {
		if s, ok := v.(string); ok && !ValidHSAID(s) {
			return &formatError{"format", "HSA-id (SE2321000016-1003)"}
		}
		return nil
	}},
	{Name: "se-postal-code", Validate: func(v any) error {
		if s, ok := v.(string); ok && !validPostalCode(s) {
			return &formatError{"format", "NNN NN"}
		}
		return nil
	}},
}

// ValidHSAID reports whether s is an HSA-id, in any case (format hsa-id).
func ValidHSAID(s string) bool { return isHSAID(UpperASCII(s)) }

// UpperASCII upper-cases the ASCII letters of s and leaves every other
// character as it is: identifiers (HSA-ids, codes) are ASCII, and
// strings.ToUpper would turn a letter outside it into one of theirs (ſ into
// S, ı into I), so that a refused id passed as another.
func UpperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'a' <= b[j] && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// validPostalCode reports whether s is a Swedish postal code (format
// se-postal-code).
func validPostalCode(s string) bool { return isPostalCode(s) }

// compileSchema compiles one template's JSON Schema (draft 2020-12 unless it
// says otherwise) with format assertions on.
func compileSchema(url string, raw []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	for _, f := range formats {
		c.RegisterFormat(f)
	}
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// schemaProblems validates doc against the template's JSON Schema and turns
// every leaf of the library's error tree into a Problem at the exact JSON
// Pointer of the offending (or missing) value. The library runs only when
// the quick check cannot accept doc; utf8OK promises that doc's strings
// are valid UTF-8 (see quickSchema.accepts).
func (c *compiled) schemaProblems(doc any, utf8OK bool) (Problems, error) {
	if c.quick != nil && c.quick.accepts(doc, utf8OK) {
		return nil, nil
	}
	err := c.schema.Validate(doc)
	if err == nil {
		return nil, nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil, err
	}
	var ps Problems
	collectLeaves(ve, &ps)
	return ps, nil
}

func collectLeaves(ve *jsonschema.ValidationError, ps *Problems) {
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			collectLeaves(c, ps)
		}
		return
	}
	ptr := Pointer(ve.InstanceLocation).String()
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			*ps = append(*ps, problem(JoinPointer(ptr, m), "required", nil))
		}
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			*ps = append(*ps, problem(JoinPointer(ptr, p), "notAllowed", nil))
		}
	case *kind.Type:
		*ps = append(*ps, problem(ptr, "type", strings.Join(k.Want, " / ")))
	case *kind.Enum:
		*ps = append(*ps, problem(ptr, "enum", joinValues(k.Want)))
	case *kind.Const:
		*ps = append(*ps, problem(ptr, "enum", joinValues([]any{k.Want})))
	case *kind.MaxLength:
		*ps = append(*ps, problem(ptr, "maxLength", k.Want))
	case *kind.MinLength:
		*ps = append(*ps, problem(ptr, "minLength", k.Want))
	case *kind.MaxItems:
		*ps = append(*ps, problem(ptr, "maxItems", k.Want))
	case *kind.MinItems:
		*ps = append(*ps, problem(ptr, "minItems", k.Want))
	case *kind.Minimum:
		*ps = append(*ps, problem(ptr, "minimum", ratString(k.Want)))
	case *kind.Maximum:
		*ps = append(*ps, problem(ptr, "maximum", ratString(k.Want)))
	case *kind.Pattern:
		*ps = append(*ps, problem(ptr, "pattern", nil))
	case *kind.UniqueItems:
		*ps = append(*ps, problem(JoinIndex(ptr, k.Duplicates[1]), "duplicate", nil))
	case *kind.Format:
		var fe *formatError
		switch {
		case errors.As(k.Err, &fe):
			*ps = append(*ps, problem(ptr, fe.code, fe.want))
		case k.Want == "date":
			*ps = append(*ps, problem(ptr, "invalidDate", nil))
		case k.Want == "date-time":
			*ps = append(*ps, problem(ptr, "invalidDateTime", nil))
		default:
			*ps = append(*ps, problem(ptr, "format", k.Want))
		}
	default:
		*ps = append(*ps, problem(ptr, "invalid", nil))
	}
}

// joinValues lists values for an "enum" message.
func joinValues[T any](vs []T) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, ", ")
}

func ratString(r *big.Rat) string {
	if r == nil {
		return ""
	}
	if r.IsInt() {
		return r.Num().String()
	}
	return r.FloatString(3)
}
