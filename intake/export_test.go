package intake

// The quick schema check and the JSON Schema library, one at a time, for
// the differential tests (quickschema_test.go). key names a template
// version, "fk7804/2.0".

// HasQuickSchema reports whether the template key has a quick check.
func (e *Engine) HasQuickSchema(key string) bool { return e.templates[key].quick != nil }

// QuickAccepts reports whether the quick check of the template key accepts doc.
func (e *Engine) QuickAccepts(key string, doc any) bool {
	c := e.templates[key]
	return c.quick != nil && c.quick.accepts(doc)
}

// LibraryAccepts reports whether the JSON Schema library accepts doc for
// the template key.
func (e *Engine) LibraryAccepts(key string, doc any) bool {
	return e.templates[key].schema.Validate(doc) == nil
}
