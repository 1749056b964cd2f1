package web

import "testing"

// TestProblemItem: a problem inside a repeated answer names its row (or
// its option) and the part of it, as the form labels them.
func TestProblemItem(t *testing.T) {
	eng := mustEngine(t)
	tmpl, _ := eng.Template("fk7804", "2.0")
	doc := map[string]any{"answers": map[string]any{
		"diagnoses": []any{map[string]any{"code": "F32.1", "description": "Depression"}, map[string]any{"code": "F43.8A"}},
		"sickLeave": []any{map[string]any{"degree": 100, "from": "2026-11-20", "to": "2026-11-19"}},
		"basis":     []any{map[string]any{"type": "FYSISKUNDERSOKNING"}},
	}}
	for pointer, want := range map[string]string{
		"/answers/diagnoses/1/description": "Diagnos 2, diagnos",
		"/answers/diagnoses/1":             "Diagnos 2",
		"/answers/sickLeave/0/to":          "Helt nedsatt, till och med",
		"/answers/basis/0/date":            "Min undersökning vid fysiskt vårdmöte, datum",
		"/answers/diagnoses":               "",
	} {
		if got := problemItem(tmpl, doc, pointer); got != want {
			t.Errorf("problemItem(%s) = %q, want %q", pointer, got, want)
		}
	}
}
