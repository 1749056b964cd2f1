package intake

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
