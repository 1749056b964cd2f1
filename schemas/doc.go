// Package schemas owns the certificate templates as data: one folder per
// template version (schema.json, form.json, template.json), the reference code
// lists they name (ICD-10-SE), and the loader that reads them into a Registry.
//
// It is also the one home of the widget vocabulary (widget.go): the typed
// Widget constants with each kind's answer shape, on which form decoding,
// normalisation, the HTML widgets, the PDF and the browser script switch.
// What a template derives (which answer gives the diagnoses and which the
// sick-leave periods, with which code list and degrees) and which issuer
// roles may sign are declared in its template.json, never in Go.
//
// Adding a template or a new version of one means adding a folder
// <template>/<version>/ here; no Go code changes. The package knows the shape
// of the files but not what the rules mean: package intake compiles the JSON
// Schemas and implements the rule vocabulary.
//
// It imports nothing of ours, and no third-party package.
package schemas
