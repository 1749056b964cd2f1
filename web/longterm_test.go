package web

import (
	"encoding/json"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/intyg/intyg/store"
)

// TestLongTermStatements takes fk7800, fk7801 and fk7802 through the
// pages and the API that fk7804 and fk7810 use, with no code of their own:
// submit, read, print, validate (a known-since date after the examination
// refused), the caseworker's certificate page with every option, the queue
// filtered by template, the comparison of two of one patient, a completion
// request on the template's questions, and a renewal.
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
			resp, page = ts.posted(t, cw, "/compare", url.Values{"id": {second.ID, first}})
			if resp.StatusCode != 200 || strings.Count(page, `<tr class="changed">`) != 1 || !strings.Contains(page, `<ins><span class="visually-hidden">tillagt: </span>Helt ny bedömning efter rehabiliteringen.</ins>`) {
				t.Errorf("compare: %d, want one changed answer marked word by word\n%s", resp.StatusCode, page)
			}

			// A completion request names the template's own question ids.
			if resp, b := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+first+"/messages", []byte(`{"type": "KOMPLT", "complements": [{"questionId": "2", "text": "Ange sedan när."}]}`)); resp.StatusCode != 201 {
				t.Errorf("completion request on question 2: %d %s", resp.StatusCode, b)
			}
			if resp, b := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+first+"/messages", []byte(`{"type": "KOMPLT", "complements": [{"questionId": "32", "text": "Sjukskrivningsgrad?"}]}`)); resp.StatusCode != 422 || !strings.Contains(string(b), `"unknownQuestion"`) {
				t.Errorf("completion request on fk7804's question 32: %d %s, want 422 unknownQuestion", resp.StatusCode, b)
			}

			// Renewal clears the basis and the known-since date, keeps the rest.
			resp, b = ts.do(t, who, "GET", "/api/v1/certificates/"+second.ID+"/renewal", nil)
			var renewal map[string]any
			json.Unmarshal(b, &renewal)
			answers, _ := renewal["answers"].(map[string]any)
			if resp.StatusCode != 200 || answers["basis"] != nil || answers["patientKnownSince"] != nil || answers["diagnoses"] == nil || answers["investigations"] == nil || answers[tt.changed] == nil {
				t.Fatalf("renewal: %d %s", resp.StatusCode, b)
			}
			renewal["signedAt"] = "2026-11-20T10:15:00+01:00"
			answers["basis"] = []any{map[string]any{"type": "UNDERSOKNING", "date": "2026-11-20"}}
			answers["patientKnownSince"] = "2019-03-14"
			body, _ = json.Marshal(renewal)
			resp, created = ts.do(t, who, "POST", "/api/v1/certificates", body)
			var renewed struct{ ID string }
			json.Unmarshal(created, &renewed)
			if resp.StatusCode != 201 {
				t.Fatalf("posting the completed renewal: %d %s", resp.StatusCode, created)
			}
			if _, b := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+renewed.ID, nil); !strings.Contains(string(b), `"type":"RENEWS","certificate":"`+second.ID+`"`) {
				t.Errorf("the renewal's record does not name what it renews: %s", b)
			}
		})
	}
}

// TestLongTermStatementForms fills fk7800, fk7801 and fk7802 through the
// HTML form without JavaScript: an unfinished draft is saved and resumed
// with its answers (the dated basis, the investigation's three parts), the
// review refuses it at the missing question, the completed form is signed
// and renewed from its page (the cleared answers left out of the draft),
// and Mina intyg filtered by the template lists it.
func TestLongTermStatementForms(t *testing.T) {
	common := url.Values{
		"patient.id": {"19121212-1212"}, "patient.name": {"Tolvan Tolvansson"},
		"answers.basis": {"UNDERSOKNING", "JOURNALUPPGIFTER"}, "answers.basis.UNDERSOKNING.date": {"2026-11-20"}, "answers.basis.JOURNALUPPGIFTER.date": {"2026-11-02"},
		"answers.patientKnownSince":     {"2017-08-21"},
		"answers.otherInvestigations":   {"true"},
		"answers.investigations.0.type": {"PSYKOLOG"}, "answers.investigations.0.date": {"2026-10-12"}, "answers.investigations.0.source": {"Psykologmottagningen Karlstad"},
		"answers.diagnoses.0.code": {"F41.1"}, "answers.diagnoses.0.description": {"Generaliserat ångestsyndrom"},
		"answers.contactRequested": {"true"},
	}
	longTerm := url.Values{
		"answers.diseaseHistory": {"Ångest sedan 2015."}, "answers.diagnosisBasis": {"Psykiatrin i Karlstad 2016."},
		"answers.newDiagnosisAssessment": {"false"},
		"answers.functionalImpairments":  {"PSYKISK_FUNKTION"}, "answers.functionalImpairments.PSYKISK_FUNKTION.text": {"Svår ångest i sociala situationer."},
		"answers.activityLimitation": {"Klarar inte möten med okända."},
	}
	tests := []struct {
		template string
		own      url.Values
		last     string // the field left out of the draft, given at the end
	}{
		{"fk7800", longTerm, "answers.workPrerequisites"},
		{"fk7801", merge(longTerm, url.Values{"answers.measures": {"Arbetsträning i liten grupp."}}), "answers.workPrerequisites"},
		{"fk7802", url.Values{"answers.impairmentOnset": {"Debuterade i mellanstadiet."}}, "answers.impairmentSchoolImpact"},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			ts := newTestServer(t, store.SQLite)
			asa := ts.session(t, "physician")
			path := "/forms/" + tt.template + "/1.0"
			form := merge(common, tt.own)
			resp, body := ts.page(t, asa, "POST", path+"/draft", form)
			if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/drafts/") {
				t.Fatalf("save: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			draft := draftID(resp)
			_, page := ts.page(t, asa, "GET", "/drafts/"+draft, nil)
			for _, want := range []string{`value="2026-11-20"`, `value="2017-08-21"`, `value="Psykologmottagningen Karlstad"`, `value="PSYKOLOG" selected`} {
				if !strings.Contains(page, want) {
					t.Errorf("the resumed draft lacks %s", want)
				}
			}
			form.Set("draft", draft)
			resp, page = ts.page(t, asa, "POST", path+"/review", form)
			if resp.StatusCode != 422 || !strings.Contains(page, `id="q-`+strings.TrimPrefix(tt.last, "answers.")+`"`) || !strings.Contains(page, "error-summary") {
				t.Errorf("review without %s: %d, want the form with errors", tt.last, resp.StatusCode)
			}
			form.Set(tt.last, "Bedömningen är klar.")
			resp, page = ts.page(t, asa, "POST", path+"/review", form)
			if resp.StatusCode != 200 || !strings.Contains(page, `id="sign"`) {
				t.Fatalf("review: %d\n%s", resp.StatusCode, page)
			}
			form.Set("draftSaved", reviewedSave(t, page))
			resp, _ = ts.page(t, asa, "POST", path, form)
			if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/certificates/") {
				t.Fatalf("sign: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			id, _, _ := strings.Cut(strings.TrimPrefix(resp.Header.Get("Location"), "/certificates/"), "?")
			c := ts.receiptCertificate(t, id)
			if c.Template != tt.template || c.Answers["patientKnownSince"] != "2017-08-21" || c.Answers[strings.TrimPrefix(tt.last, "answers.")] != "Bedömningen är klar." {
				t.Errorf("stored record = %+v", c)
			}

			// Renewing from the certificate page: a draft without the basis
			// and the known-since date, with the rest and the relation kept.
			resp, _ = ts.page(t, asa, "POST", "/certificates/"+c.ID+"/renew", url.Values{})
			if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/drafts/") {
				t.Fatalf("renew: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			_, page = ts.page(t, asa, "GET", resp.Header.Get("Location"), nil)
			for want, kept := range map[string]bool{`value="2017-08-21"`: false, `value="2026-11-20"`: false, `value="Psykologmottagningen Karlstad"`: true, `value="PSYKOLOG" selected`: true, `value="` + c.ID + `"`: true} {
				if strings.Contains(page, want) != kept {
					t.Errorf("the renewal's draft has %s: %v, want %v", want, !kept, kept)
				}
			}
			renew := merge(form, url.Values{"relation.type": {"RENEWS"}, "relation.certificate": {c.ID}, "draft": {strings.TrimPrefix(resp.Header.Get("Location"), "/drafts/")}})
			renew.Del("draftSaved") // the first certificate's draft's
			if resp, page = ts.page(t, asa, "POST", path+"/review", renew); resp.StatusCode != 200 {
				t.Fatalf("review the renewal: %d\n%s", resp.StatusCode, page)
			}
			renew.Set("draftSaved", reviewedSave(t, page))
			resp, _ = ts.page(t, asa, "POST", path, renew)
			if resp.StatusCode != 303 {
				t.Fatalf("sign the renewal: %d", resp.StatusCode)
			}
			id, _, _ = strings.Cut(strings.TrimPrefix(resp.Header.Get("Location"), "/certificates/"), "?")
			if _, b := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id, nil); !strings.Contains(string(b), `"type":"RENEWS","certificate":"`+c.ID+`"`) {
				t.Errorf("the renewal's record does not name what it renews: %s", b)
			}

			if _, page := ts.posted(t, asa, "/certificates", url.Values{"template": {tt.template}}); !strings.Contains(page, "/certificates/"+c.ID) {
				t.Errorf("Mina intyg filtered by %s lacks the certificate:\n%s", tt.template, page)
			}
			if _, page := ts.posted(t, asa, "/certificates", url.Values{"template": {"fk7810"}}); strings.Contains(page, "/certificates/"+c.ID+`"`) {
				t.Errorf("Mina intyg filtered by fk7810 lists the %s", tt.template)
			}
		})
	}
}

// merge returns the values of both, b's replacing a's.
func merge(a, b url.Values) url.Values {
	out := url.Values{}
	for _, v := range []url.Values{a, b} {
		for k, vs := range v {
			out[k] = append([]string(nil), vs...)
		}
	}
	return out
}

// TestLabelsInSentences: an area's text reads "Beskriv intellektuell
// funktion" (the label inside a sentence), and a message after a question
// reads "…underlaget? Uppgiften …", not "…underlaget?: Uppgiften".
func TestLabelsInSentences(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	if _, page := ts.page(t, ts.session(t, "physician"), "GET", "/forms/fk7800/1.0", nil); !strings.Contains(page, "Beskriv intellektuell funktion") || strings.Contains(page, "Beskriv Intellektuell") {
		t.Errorf("the fk7800 form's area text is not in a sentence's case")
	}
	for label, want := range map[string]string{"Från vilken vårdgivare kommer underlaget?": "Från vilken vårdgivare kommer underlaget? Uppgiften måste fyllas i.", "Diagnos": "Diagnos: Uppgiften måste fyllas i."} {
		if got := labelled(label, "Uppgiften måste fyllas i."); got != want {
			t.Errorf("labelled(%q) = %q, want %q", label, got, want)
		}
	}
}

// TestItemGuidanceShown: the agency's guidance to a part of a list's item
// (question 4's source, in every statement but fk7804) is shown with its
// question's on the physician's form and on the certificate page, after
// the part's label; it was in the template and shown nowhere.
func TestItemGuidanceShown(t *testing.T) {
	const label = "Från vilken vårdgivare kan Försäkringskassan hämta information om utredningen eller underlaget? "
	for _, tt := range []struct{ template, example, guidance string }{
		{"fk7800", "full-two-basis-two-investigations-contact.json", label + "Ange vårdgivaren, högst 100 tecken"},
		{"fk7801", "full-two-basis-two-investigations-contact.json", label + "Ange vårdgivaren, högst 100 tecken"},
		{"fk7802", "full-two-basis-two-investigations-contact.json", label + "Ange vårdgivaren, högst 100 tecken"},
		{"fk7810", "other-investigations-three-types.json", label + "Skriv till exempel Neuropsykiatriska kliniken"},
	} {
		t.Run(tt.template, func(t *testing.T) {
			ts := newTestServer(t, store.SQLite)
			_, form := ts.page(t, ts.session(t, "physician"), "GET", "/forms/"+tt.template+"/1.0", nil)
			if got := elementText(form, `id="help-answers.investigations"`); !strings.Contains(got, tt.guidance) {
				t.Errorf("the form's help to question 4 = %q, want the source's guidance %q", got, tt.guidance)
			}
			id := ts.submit(t, "../"+tt.template+"/valid/"+tt.example)
			_, page := ts.page(t, ts.session(t, "caseworker"), "GET", "/certificates/"+id, nil)
			if got := elementText(page, `id="a-investigations"`); !strings.Contains(got, tt.guidance) {
				t.Errorf("the certificate page's question 4 = %q, want the source's guidance %q", got, tt.guidance)
			}
		})
	}
}

// elementText is the text from the tag of page that has the attribute
// attr to the next closing div, its words without tags.
func elementText(page, attr string) string {
	_, rest, ok := strings.Cut(page, attr)
	if !ok {
		return ""
	}
	_, rest, _ = strings.Cut(rest, ">")
	rest, _, _ = strings.Cut(rest, "</div>")
	return strings.Join(strings.Fields(html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(rest, " "))), " ")
}
