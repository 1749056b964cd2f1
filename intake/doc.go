// Package intake is Intyg's domain: the certificate record (Certificate),
// the one error type with JSON-Pointer-keyed problems (Error, Problem), and
// the engine that turns submitted bytes into a record: strict decoding,
// validation against the template's JSON Schema, the template's declared
// rules, and normalisation (canonical identity numbers, dotted ICD-10-SE
// codes with titles, derived sick-leave periods and day counts), as the
// template's derive block declares. pointer.go is the one home of JSON
// Pointers; rules.go declares each rule kind once (its parameters, its check
// at load time, its application); template.go checks that what a
// template's rules and form name is declared by its schema, in the shape
// they need; messages.go is the one catalogue of the texts people read, in
// Swedish and English.
//
// Intake is pure: it does no I/O beyond reading the file systems it is
// handed, keeps no global state, and must stay compilable to WebAssembly so
// that a browser can run the same checks. It imports only package schemas
// of ours. The JSON Schema library and go-playground/validator are used
// nowhere else (validator only in the tests, which check that the record's
// struct tags and checkFields, their hand-written form, agree).
package intake
