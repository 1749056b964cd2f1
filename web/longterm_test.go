package web

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intyg/intyg/store"
)

// TestLongTermStatements takes fk7800, fk7801 and fk7802 through the
// pages and the API that fk7804 and fk7810 use, with no code of their own:
// submit, read, print, validate (a known-since date after the examination
// refused), the caseworker's certificate page with every option, the queue
// filtered by template, and the comparison of two of one patient.
func TestLongTermStatements(t *testing.T) {
	tests := []struct {
		template, formNumber string
		options              []string // labels the certificate page must show, chosen or not
		changed              string   // the question the second certificate changes
	}{
		{"fk7800", "FK 7800", []string{"Intellektuell funktion", "Annan kroppslig funktion", "Anhörigs beskrivning av patienten"}, "workPrerequisites"},
		{"fk7801", "FK 7801", []string{"Intellektuell funktion", "Annan kroppslig funktion", "Annat"}, "measures"},
		{"fk7802", "FK 7802", []string{"Min undersökning av patienten", "Anhörigs beskrivning av patienten"}, "impairmentSchoolImpact"},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			ts := newTestServer(t, store.SQLite)
			full := "../" + tt.template + "/valid/full-two-basis-two-investigations-contact.json"
			first := ts.submit(t, full)

			var doc map[string]any
			json.Unmarshal(readExample(t, full), &doc)
			doc["answers"].(map[string]any)[tt.changed] = "Helt ny bedömning efter rehabiliteringen."
			body, _ := json.Marshal(doc)
			who := "clinic:" + doc["issuer"].(map[string]any)["unit"].(map[string]any)["hsaId"].(string)
			resp, created := ts.do(t, who, "POST", "/api/v1/certificates", body)
			if resp.StatusCode != 201 {
				t.Fatalf("second certificate: %d %s", resp.StatusCode, created)
			}
			var second struct{ ID string }
			json.Unmarshal(created, &second)

			resp, b := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+first, nil)
			if resp.StatusCode != 200 || !strings.Contains(string(b), `"template":"`+tt.template+`"`) || !strings.Contains(string(b), `"contactRequested":true`) {
				t.Fatalf("GET: %d %s", resp.StatusCode, b)
			}
			if resp, _ := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+first+"/pdf", nil); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
				t.Errorf("GET pdf: %d", resp.StatusCode)
			}
			if resp, b := ts.do(t, "clinic", "GET", "/api/v1/templates/"+tt.template+"/1.0", nil); resp.StatusCode != 200 || !strings.Contains(string(b), `"formNumber":"`+tt.formNumber+`"`) || !strings.Contains(string(b), `"dateNotAfter"`) {
				t.Errorf("GET template: %d %s", resp.StatusCode, b)
			}
			bad, _ := os.ReadFile(filepath.Join("..", "examples", tt.template, "invalid", "patientknownsince-after-examination.json"))
			if resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates/validate", bad); resp.StatusCode != 422 || !strings.Contains(string(b), `"pointer":"/answers/patientKnownSince","code":"dateAfterBasis"`) {
				t.Errorf("validate invalid %s: %d %s", tt.template, resp.StatusCode, b)
			}

			cw := ts.session(t, "caseworker")
			resp, page := ts.page(t, cw, "GET", "/certificates/"+first, nil)
			if resp.StatusCode != 200 || !strings.Contains(page, "Psykologmottagningen, Centralsjukhuset Karlstad") && !strings.Contains(page, "Elevhälsan, Tingvallagymnasiet Karlstad") {
				t.Fatalf("certificate page: %d\n%s", resp.StatusCode, page)
			}
			for _, o := range tt.options {
				if !strings.Contains(page, o) {
					t.Errorf("the certificate page lacks the option %q", o)
				}
			}
			if _, page := ts.page(t, cw, "GET", "/queue?template="+tt.template, nil); !strings.Contains(page, `id="count-received">2<`) {
				t.Errorf("the %s queue does not list both:\n%s", tt.template, page)
			}
			resp, page = ts.page(t, cw, "POST", "/compare", url.Values{"id": {second.ID, first}})
			if resp.StatusCode != 200 || strings.Count(page, `<tr class="changed">`) != 1 || !strings.Contains(page, "<ins>Helt</ins>") {
				t.Errorf("compare: %d, want one changed answer marked word by word\n%s", resp.StatusCode, page)
			}
		})
	}
}
