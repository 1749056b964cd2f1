package intake

import (
	"encoding/json"
	"strings"
	"testing"
)

// The quick schema check and the JSON Schema library, one at a time, for
// the differential tests (quickschema_test.go). key names a template
// version, "fk7804/2.0".

// HasQuickSchema reports whether the template key has a quick check.
func (e *Engine) HasQuickSchema(key string) bool { return e.templates[key].quick != nil }

// QuickAccepts reports whether the quick check of the template key accepts
// doc, whose strings must be valid UTF-8 (Decode's are). It also holds the
// check to the same answer without that promise.
func (e *Engine) QuickAccepts(key string, doc any) bool {
	c := e.templates[key]
	if c.quick == nil {
		return false
	}
	if ok := c.quick.accepts(doc, true); ok == c.quick.accepts(doc, false) {
		return ok
	}
	panic("the quick schema check depends on utf8OK")
}

// LibraryAccepts reports whether the JSON Schema library accepts doc for
// the template key.
func (e *Engine) LibraryAccepts(key string, doc any) bool {
	return e.templates[key].schema.Validate(doc) == nil
}

// EnvelopeSchema returns the part of a template's JSON Schema that judges
// the envelope, canonical: the schema without its id, title, template,
// version and answers, with only the definitions the rest refers to.
func EnvelopeSchema(tb testing.TB, raw []byte) string {
	tb.Helper()
	var s map[string]any
	if err := json.Unmarshal(raw, &s); err != nil {
		tb.Fatal(err)
	}
	defs, _ := s["$defs"].(map[string]any)
	delete(s, "$defs")
	delete(s, "$id")
	delete(s, "title")
	props, _ := s["properties"].(map[string]any)
	for _, k := range []string{"template", "version", "answers"} {
		delete(props, k)
	}
	used := map[string]any{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				name := strings.TrimPrefix(ref, "#/$defs/")
				if _, seen := used[name]; !seen {
					used[name] = defs[name]
					walk(defs[name])
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(s)
	s["$defs"] = used
	b, err := json.Marshal(s) // maps marshal in key order
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
