package web

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// TestProblemItem: a problem inside a repeated answer names its row (or
// its option) and the part of it, as the form labels them: the form's row,
// whichever rows above it were left empty.
func TestProblemItem(t *testing.T) {
	eng := mustEngine(t)
	tmpl, _ := eng.Template("fk7804", "2.0")
	v := url.Values{
		"answers.diagnoses.0.code": {"F32.1"}, "answers.diagnoses.0.description": {"Depression"},
		"answers.diagnoses.2.code":     {"F43.8A"}, // the second diagnosis, in the form's third row
		"answers.sickLeave.100.from":   {"2026-11-20"},
		"answers.sickLeave.100.to":     {"2026-11-19"},
		"answers.basis":                {"FYSISKUNDERSOKNING"},
		"answers.basis.ANNAT.date":     {"2026-11-01"}, // not ticked: no item
		"answers.workCapacityMeasures": {"ARBETSTRANING", "OVRIGT"},
	}
	for pointer, want := range map[string]string{
		"/answers/diagnoses/1/description": "Diagnos 3, diagnos",
		"/answers/diagnoses/1":             "Diagnos 3",
		"/answers/diagnoses/0/code":        "Diagnos 1, diagnoskod enligt ICD-10-SE",
		"/answers/sickLeave/0/to":          "Helt nedsatt, till och med",
		"/answers/basis/0/date":            "Min undersökning vid fysiskt vårdmöte, datum",
		"/answers/basis/1/date":            "",
		"/answers/diagnoses":               "",
	} {
		if got := problemItem(tmpl, v, pointer); got != want {
			t.Errorf("problemItem(%s) = %q, want %q", pointer, got, want)
		}
	}
}

// TestProblemInputs: a problem marks the inputs it is in, not every input
// of its question: the wrong date of a period, the box and the date of a
// basis, one row's part of a diagnosis.
func TestProblemInputs(t *testing.T) {
	eng := mustEngine(t)
	tmpl, _ := eng.Template("fk7804", "2.0")
	v := url.Values{
		"answers.diagnoses.0.code": {"F32.1"},
		"answers.diagnoses.2.code": {"F43.8A"},
		"answers.sickLeave.50.to":  {"2026-11-19"},
		"answers.basis":            {"FYSISKUNDERSOKNING", "ANNAT"},
		"answers.otherInfo":        {"x"},
	}
	for pointer, want := range map[string][]string{
		"/answers/sickLeave/0/to":          {"answers.sickLeave.50.to"},
		"/answers/sickLeave/0":             {"answers.sickLeave.50.from", "answers.sickLeave.50.to"},
		"/answers/sickLeave/0/degree":      {"answers.sickLeave.50.from", "answers.sickLeave.50.to"},
		"/answers/basis/1/date":            {"answers.basis.ANNAT.date"},
		"/answers/basis/1":                 {"answers.basis=ANNAT", "answers.basis.ANNAT.date"},
		"/answers/basis/1/type":            {"answers.basis=ANNAT"},
		"/answers/diagnoses/1/code":        {"answers.diagnoses.2.code"},
		"/answers/diagnoses/1/description": {"answers.diagnoses.2.description"},
		"/answers/diagnoses/5/code":        nil,                            // no such item: the whole question
		"/answers/sickLeave":               {"answers.sickLeave.100.from"}, // missing: the first row's start
	} {
		p, _ := intake.ParsePointer(pointer)
		q, _ := tmpl.Form.Question(p[1])
		if got := problemInputs(q, v, p[2:]); !slices.Equal(got, want) {
			t.Errorf("problemInputs(%s) = %q, want %q", pointer, got, want)
		}
	}
}

// TestGuidanceNamesItsQuestion: each "Vägledning" on the certificate page
// names its own question for a screen reader, so that no two read alike.
func TestGuidanceNamesItsQuestion(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	_, page := ts.page(t, ts.session(t, "caseworker"), "GET", "/certificates/"+id, nil)
	names := regexp.MustCompile(`Vägledning<span class="visually-hidden">([^<]*)</span>`).FindAllStringSubmatch(page, -1)
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n[1]] || !strings.HasPrefix(n[1], " till fråga ") {
			t.Errorf("guidance named %q (twice, or not after its question)", n[1])
		}
		seen[n[1]] = true
	}
	if len(names) < 3 {
		t.Errorf("%d guidance texts on the page, want several", len(names))
	}
}

// TestCertificateHistory: the certificate page lists every change, oldest
// first, with who made it: the issuer and a caseworker by name, the
// agency's system by its token's name.
func TestCertificateHistory(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	cw := ts.session(t, "caseworker")
	if resp, _ := ts.page(t, cw, "POST", "/certificates/"+id+"/handled", url.Values{"handled": {"true"}}); resp.StatusCode != 303 {
		t.Fatalf("handled: %d", resp.StatusCode)
	}
	// Through the agency's own system: its token.
	if resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+id+"/messages", []byte(`{"type": "KONTKT", "text": "Ring."}`)); resp.StatusCode != 201 {
		t.Fatalf("message: %d %s", resp.StatusCode, body)
	}
	_, page := ts.page(t, cw, "GET", "/certificates/"+id, nil)
	i := strings.Index(page, `id="history"`)
	if i < 0 {
		t.Fatal("the page has no history")
	}
	h := page[i:]
	h = h[:strings.Index(h, "</section>")]
	received, handled := strings.Index(h, "Mottaget"), strings.Index(h, "Markerat som hanterat")
	if received < 0 || handled < received || !strings.Contains(h[handled:], "Cia Handläggare") || !strings.Contains(h[:handled], "Åsa Lindberg") ||
		!strings.Contains(h, "Meddelande skickat <span class=\"muted\">– Försäkringskassans system (caseworker)</span>") {
		t.Errorf("history: %s", h)
	}
}

// TestErrorPageLeadsBack: an error page a person reaches from a page of
// the site leads back to it, and shows what is wrong in words, without
// the API's pointers.
func TestErrorPageLeadsBack(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	req, _ := http.NewRequest("POST", ts.URL+"/compare", strings.NewReader(url.Values{"id": {id}}.Encode()))
	req.Header.Set("Accept", browserAccept)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", ts.URL+"/search?patient=x")
	req.AddCookie(ts.session(t, "caseworker"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if resp.StatusCode != 422 || !strings.Contains(page, `<a id="return" href="/search?patient=x">Tillbaka</a>`) || strings.Contains(page, "<code>") {
		t.Errorf("compare of one: %d\n%s", resp.StatusCode, page)
	}
}

// TestQueueCountsInWords: the queue says "1 obesvarat", "2 obesvarade".
func TestQueueCountsInWords(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	if resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+id+"/messages", []byte(`{"type": "KONTKT", "text": "Kan vi ringa?"}`)); resp.StatusCode != 201 {
		t.Fatalf("message: %d %s", resp.StatusCode, body)
	}
	cw := ts.session(t, "caseworker")
	if _, page := ts.page(t, cw, "GET", "/queue", nil); !strings.Contains(page, ">1 obesvarat<") {
		t.Errorf("one open message: the queue does not say 1 obesvarat")
	}
	ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+id+"/messages", []byte(`{"type": "OVRIGT", "text": "Och en sak till."}`))
	if _, page := ts.page(t, cw, "GET", "/queue", nil); !strings.Contains(page, ">2 obesvarade<") {
		t.Errorf("two open messages: the queue does not say 2 obesvarade")
	}
}

// TestSearchPageNamesTemplates: the patient's certificates are listed by
// their templates' titles, and each compare box is named apart.
func TestSearchPageNamesTemplates(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	a, b := ts.submit(t, "valid/full-time-one-period.json"), ts.submit(t, "valid/full-time-one-period.json")
	_, page := ts.posted(t, ts.session(t, "caseworker"), "/search", url.Values{"patient": {"19780614-2381"}})
	if !strings.Contains(page, ">Läkarintyg för sjukpenning</a>") || !strings.Contains(page, "("+a+")") || !strings.Contains(page, "("+b+")") {
		t.Errorf("the search page names neither the template nor each certificate apart")
	}
	// Each row says its sick leave, and so does its compare box's label.
	if !strings.Contains(page, "<td>100 % 2026-11-20 – 2026-12-06</td>") || !strings.Contains(page, "Jämför Läkarintyg för sjukpenning, 100 % 2026-11-20 – 2026-12-06, mottaget") {
		t.Errorf("the search page does not say each certificate's sick leave")
	}
}

// TestSearchPageOlder: a patient with more certificates than a page holds
// gets them a page at a time, the patient only in the posted form: the
// pages' addresses name a reference to it, which is this session's.
func TestSearchPageOlder(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	for range searchPageSize + 5 {
		ts.submit(t, "valid/full-time-one-period.json")
	}
	cw := ts.session(t, "caseworker")
	rows := func(page string) int { return strings.Count(page, `name="id" value="`) }
	resp, page := ts.posted(t, cw, "/search", url.Values{"patient": {"19780614-2381"}})
	older := pageLink(page, "older-page")
	if rows(page) != searchPageSize || older == "" || pageLink(page, "newest-page") != "" {
		t.Fatalf("the first page: %d rows, want %d, and a link to the older ones only:\n%s", rows(page), searchPageSize, page)
	}
	if strings.Contains(resp.Request.URL.String()+older, "2381") {
		t.Errorf("the patient's id stands in an address: %s, %s", resp.Request.URL, older)
	}
	_, page = ts.page(t, cw, "GET", older, nil)
	if rows(page) != 5 || pageLink(page, "older-page") != "" || pageLink(page, "newest-page") == "" {
		t.Errorf("the older page: %d rows, want 5, and a link back to the newest only:\n%s", rows(page), page)
	}
	// Another session's reference names no patient.
	if _, page := ts.page(t, ts.session(t, "caseworker"), "GET", older, nil); rows(page) != 0 || !strings.Contains(page, "Ange patienten igen") {
		t.Errorf("another session's reference: %d rows, want none and a word to search again", rows(page))
	}
}

// TestFormMarksTheWrongInput: on a refused form, aria-invalid is on the
// input the problem is in (a period's end before its start), not on every
// input of its question; a list missing altogether marks its first item's.
func TestFormMarksTheWrongInput(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	form := infectionForm()
	form.Set("answers.sickLeave.100.to", "2026-11-19") // before its start
	form.Set("answers.sickLeave.50.from", "2026-11-24")
	form.Set("answers.sickLeave.50.to", "2026-11-30")
	form.Del("answers.diagnoses.0.code")
	form.Del("answers.diagnoses.0.description")
	resp, page := ts.page(t, ts.session(t, "physician"), "POST", "/forms/fk7804/2.0/review", form)
	if resp.StatusCode != 422 {
		t.Fatalf("%d, want the form with its problems:\n%s", resp.StatusCode, page)
	}
	if !strings.Contains(page, "<title>Fel: 2 att rätta – Läkarintyg för sjukpenning – Intyg</title>") || !strings.Contains(page, `<a class="skip" href="#main">`) {
		t.Error("the refused form's title does not say how many to correct, or the page has no link past its menu")
	}
	if !strings.Contains(page, `<a href="#q-sickLeave">`) || !strings.Contains(page, `id="q-sickLeave" tabindex="-1"`) {
		t.Error("the error summary's link does not lead to a question that takes the focus (the next Tab then goes into it)")
	}
	invalid := func(name string) bool {
		tag := regexp.MustCompile(`<[^>]*name="` + regexp.QuoteMeta(name) + `"[^>]*>`).FindString(page)
		if tag == "" {
			t.Fatalf("no input %s", name)
		}
		return strings.Contains(tag, `aria-invalid="true"`)
	}
	for name, want := range map[string]bool{
		"answers.sickLeave.100.to": true, "answers.sickLeave.100.from": false,
		"answers.sickLeave.50.from": false, "answers.sickLeave.50.to": false,
		"answers.diagnoses.0.code": true, "answers.diagnoses.0.description": true, // the question is missing
		"answers.diagnoses.1.code": false, // a row beyond the one required
	} {
		if got := invalid(name); got != want {
			t.Errorf("%s aria-invalid: %v, want %v", name, got, want)
		}
	}
	// The input the problem is in, of several, is described by the
	// question's error, as its group is; a text with a limit by its
	// counter, which is read when it gets focus, not at every key.
	tag := func(name string) string {
		return regexp.MustCompile(`<[^>]*name="` + regexp.QuoteMeta(name) + `"[^>]*>`).FindString(page)
	}
	if to := tag("answers.sickLeave.100.to"); !regexp.MustCompile(`aria-describedby="[^"]*err-answers\.sickLeave\b`).MatchString(to) {
		t.Errorf("the wrong period's end is not described by the error: %s", to)
	}
	if from := tag("answers.sickLeave.100.from"); strings.Contains(from, "err-") {
		t.Errorf("a period's right start is described by the error: %s", from)
	}
	if other := tag("answers.otherInformation"); !regexp.MustCompile(`aria-describedby="[^"]*count-answers\.otherInformation`).MatchString(other) {
		t.Errorf("a text with a limit is not described by its counter: %s", other)
	}
	if strings.Contains(page, `class="counter muted" id="count-answers.otherInformation" aria-live`) {
		t.Error("the counter is live: read at every key")
	}

	// A diagnosis code that is wrong is described by its error and by
	// the code's title, in one attribute (a second is not read).
	form = infectionForm()
	form.Set("answers.diagnoses.0.code", "Q")
	_, page = ts.page(t, ts.session(t, "physician"), "POST", "/forms/fk7804/2.0/review", form)
	code := tag("answers.diagnoses.0.code")
	if n := strings.Count(code, "aria-describedby="); n != 1 ||
		!regexp.MustCompile(`aria-describedby="[^"]*\btitle-answers\.diagnoses\.0\.code\b[^"]*"`).MatchString(code) ||
		!regexp.MustCompile(`aria-describedby="[^"]*\berr-answers\.diagnoses\b`).MatchString(code) {
		t.Errorf("the wrong code is not described by its error and its title in one attribute: %s", code)
	}
}

// TestMissingChoiceMarksItsChoices: a question missing altogether marks
// aria-invalid the boxes or radios to choose from, not the dates and texts
// beside options nobody chose, nor a description's optional codes; of the
// periods, the first row's start only (a date in a row chooses its
// degree), not its end nor the other rows; its error describes the group,
// not each box.
func TestMissingChoiceMarksItsChoices(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	physician := ts.session(t, "physician")
	tests := []struct {
		name string
		want map[string]bool // input (name, or name=value for a box) → aria-invalid
	}{
		{"fk7804/2.0", map[string]bool{
			"answers.basis=FYSISKUNDERSOKNING": true, "answers.basis.FYSISKUNDERSOKNING.date": false,
			"answers.occupation=NUVARANDE_ARBETE": true,
			"answers.functionalImpairment.text":   true, "answers.functionalImpairment.icf": false,
			"answers.sickLeave.100.from": true, "answers.sickLeave.100.to": false, "answers.sickLeave.75.from": false, "answers.sickLeave.25.from": false,
			"answers.prognosis=STOR_SANNOLIKHET": true,
			"answers.diagnoses.0.code":           true, "answers.diagnoses.1.code": false,
		}},
		{"fk7800/1.0", map[string]bool{
			"answers.basis=UNDERSOKNING": true, "answers.basis.UNDERSOKNING.date": false,
			"answers.functionalImpairments=PSYKISK_FUNKTION": true, "answers.functionalImpairments.PSYKISK_FUNKTION.text": false,
			"answers.otherInvestigations=true": true,
		}},
		{"fk7810/1.0", map[string]bool{
			"answers.basis=ANHORIG": true, "answers.basis.ANHORIG.date": false,
			"answers.activityLimitations=LARANDE": true, "answers.activityLimitations.LARANDE.text": false,
			"answers.knownSince=INGEN_TIDIGARE": true,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"submission": {"sub-1"}, "patient.id": {"191212121212"}, "patient.name": {"Tolvan"}}
			resp, page := ts.page(t, physician, "POST", "/forms/"+tt.name+"/review", form)
			if resp.StatusCode != 422 {
				t.Fatalf("%d, want the form with its problems:\n%s", resp.StatusCode, page)
			}
			for input, want := range tt.want {
				attr := `name="` + input + `"`
				if name, value, box := strings.Cut(input, "="); box {
					attr = `name="` + name + `" value="` + value + `"`
				}
				tag := regexp.MustCompile(`<[^>]*` + regexp.QuoteMeta(attr) + `[^>]*>`).FindString(page)
				if tag == "" {
					t.Fatalf("no input %s", input)
				}
				if got := strings.Contains(tag, `aria-invalid="true"`); got != want {
					t.Errorf("%s aria-invalid: %v, want %v", input, got, want)
				}
				if strings.Contains(tag, "err-") {
					t.Errorf("%s is described by the question's error, which its group says: %s", input, tag)
				}
			}
		})
	}
}

// TestMessagesPages: a long list of messages comes a page at a time, the
// filters kept, instead of stopping without a word at the store's limit.
func TestMessagesPages(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	const n = messagesPageSize + 5
	for i := range n {
		if resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+id+"/messages", []byte(`{"type": "OVRIGT", "text": "Fråga `+strconv.Itoa(i)+`."}`)); resp.StatusCode != 201 {
			t.Fatalf("message %d: %d %s", i, resp.StatusCode, body)
		}
	}
	cw := ts.session(t, "caseworker")
	rows := func(page string) int { return strings.Count(page, "<tr class=") }
	_, page := ts.page(t, cw, "GET", "/messages?status=open", nil)
	next := regexp.MustCompile(`href="([^"]*)" id="next-page"`).FindStringSubmatch(page)
	if rows(page) != messagesPageSize || next == nil || !strings.Contains(page, `id="page-position">Visar 1–100<`) {
		t.Fatalf("the first page: %d rows, want %d, and a next page:\n%s", rows(page), messagesPageSize, page)
	}
	resp, page := ts.page(t, cw, "GET", html.UnescapeString(next[1]), nil)
	if resp.StatusCode != 200 || rows(page) != 5 || strings.Contains(page, `id="next-page"`) || !strings.Contains(page, `id="previous-page"`) ||
		!strings.Contains(page, `Visar 101–105<`) || !strings.Contains(page, `<option value="open" selected>`) {
		t.Errorf("the second page: %d, %d rows, want 5 with the filter kept and a way back:\n%s", resp.StatusCode, rows(page), page)
	}
	const choices = `<option value="">Alla</option><option value="open" selected>Obesvarad</option><option value="answered">Besvarad</option><option value="closed">Stängd</option>`
	if !strings.Contains(page, choices) {
		t.Errorf("the status filter's choices are not in a message's order (open, answered, closed):\n%s", page)
	}
}

// TestAreaIDsOnPages: the form and the certificate page number an area
// that is a question of its own (fk7800's 8–14) as the PDF does; the
// first area, whose id is its list's own, is offered for a completion
// request once, as its question.
func TestAreaIDsOnPages(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "../fk7800/valid/all-seven-impairment-areas-three-investigations.json")
	const want = "9. Kommunikation och social interaktion"
	_, page := ts.page(t, ts.session(t, "caseworker"), "GET", "/certificates/"+id, nil)
	if !strings.Contains(page, want) || !strings.Contains(page, "8. Intellektuell funktion") {
		t.Errorf("the certificate page lacks %q or area 8's id", want)
	}
	if n := strings.Count(page, `id="question-8"`); n != 1 {
		t.Errorf("the certificate page offers question 8 %d times, want once", n)
	}
	if _, page := ts.page(t, ts.session(t, "physician"), "GET", "/forms/fk7800/1.0", nil); !strings.Contains(page, "> "+want+"</label>") {
		t.Errorf("the form lacks %q", want)
	}
}

// TestCaseNetDaysInSwedish: the patient's case writes net days with a
// decimal comma ("8,5"), as the PDF does.
func TestCaseNetDaysInSwedish(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	var doc map[string]any
	json.Unmarshal(readExample(t, "valid/full-time-one-period.json"), &doc)
	doc["answers"].(map[string]any)["sickLeave"] = []any{map[string]any{"degree": 50, "from": "2026-11-20", "to": "2026-12-06"}}
	doc["answers"].(map[string]any)["unevenWorkingHours"] = false
	body, _ := json.Marshal(doc)
	if resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates", body); resp.StatusCode != 201 {
		t.Fatalf("submit: %d %s", resp.StatusCode, b)
	}
	_, page := ts.posted(t, ts.session(t, "caseworker"), "/patients/cases", url.Values{"patient": {"19780614-2381"}})
	if !strings.Contains(page, `class="net-days">8,5<`) {
		t.Errorf("net days not written 8,5:\n%s", page)
	}
}

// TestPatientBornBefore1900: a personnummer with "+" may name someone born
// before 1900 (the submitted dates may not be): the certificate is stored,
// read back, listed and printed.
func TestPatientBornBefore1900(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	var doc map[string]any
	json.Unmarshal(readExample(t, "valid/full-time-one-period.json"), &doc)
	doc["patient"].(map[string]any)["id"] = "991231+1231"
	body, _ := json.Marshal(doc)
	resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates", body)
	var created struct{ ID string }
	if json.Unmarshal(b, &created); resp.StatusCode != 201 {
		t.Fatalf("submit: %d %s", resp.StatusCode, b)
	}
	for _, path := range []string{"/api/v1/certificates/" + created.ID, "/api/v1/certificates?limit=10", "/api/v1/certificates/" + created.ID + "/pdf"} {
		if resp, b := ts.do(t, "caseworker", "GET", path, nil); resp.StatusCode != 200 || (strings.HasSuffix(path, created.ID) && !strings.Contains(string(b), `"dateOfBirth":"1899-12-31"`)) {
			t.Errorf("GET %s: %d %.300s", path, resp.StatusCode, b)
		}
	}
}

// TestMyCertificatesPages: the physician's list pages by links that name a
// reference to the patient filtered for (posted), so that the filter goes
// with each page and the patient's id never into a URL.
func TestMyCertificatesPages(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	for range myCertificatesPageSize + 5 {
		ts.submit(t, "valid/full-time-one-period.json")
	}
	asa := ts.session(t, "physician")
	rows := func(page string) int { return strings.Count(page, `<th scope="row"><a href="/certificates/`) }
	resp, page := ts.posted(t, asa, "/certificates", url.Values{"patient": {"780614-2381"}})
	next := pageLink(page, "next-page")
	if rows(page) != myCertificatesPageSize || next == "" || !strings.Contains(next, "ref=") || !strings.Contains(page, `id="page-position">Visar 1–50 av 55<`) {
		t.Fatalf("the first page: %d rows, next page %q:\n%s", rows(page), next, page)
	}
	if strings.Contains(resp.Request.URL.String()+next, "2381") || strings.Contains(page, "?patient=") || strings.Contains(page, "&amp;patient=") {
		t.Error("the patient stands in a link")
	}
	_, page = ts.page(t, asa, "GET", next, nil)
	if rows(page) != 5 || pageLink(page, "next-page") != "" || pageLink(page, "previous-page") == "" || !strings.Contains(pageLink(page, "first-page"), "ref=") ||
		!strings.Contains(page, `Visar 51–55 av 55<`) || !strings.Contains(page, `value="780614-2381"`) {
		t.Errorf("the second page: %d rows, want 5 with the filter kept and ways back:\n%s", rows(page), page)
	}
}

// pageLink is the address of a page's link of that id, or "".
func pageLink(page, id string) string {
	m := regexp.MustCompile(`<a href="([^"]+)" id="` + id + `"`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// TestFormMarksRequiredQuestions: a question that must be answered
// whenever it is asked is marked (a star, and words or aria-required for
// a screen reader); an optional one is not.
func TestFormMarksRequiredQuestions(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	physician := ts.session(t, "physician")
	_, page := ts.page(t, physician, "GET", "/forms/fk7804/2.0", nil)
	question := func(page, field string) string {
		return regexp.MustCompile(`(?s)id="q-` + field + `".*?</(legend|label)>`).FindString(page)
	}
	for field, want := range map[string]bool{"diagnoses": true, "sickLeave": true, "basis": true, "prognosisMonths": true, "otherInformation": false, "treatment": false} {
		q := question(page, field)
		if q == "" {
			t.Fatalf("no question %s", field)
		}
		if got := strings.Contains(q, `class="req"`); got != want {
			t.Errorf("fk7804 %s marked required: %v, want %v", field, got, want)
		}
	}
	if !strings.Contains(page, `name="patient.id" type="text" value="" autocomplete="off" aria-required="true"`) {
		t.Error("the patient's identity number is not marked required")
	}
	if !strings.Contains(page, `<legend><h2 class="legend">Diagnos</h2></legend>`) {
		t.Error("a section's legend is not a heading, for heading navigation")
	}
	if !strings.Contains(question(page, "diagnoses"), "(obligatorisk)") || !strings.Contains(page, `id="required-note"`) {
		t.Error("a required group does not say so in words, or the form does not say what the star means")
	}
	_, page = ts.page(t, physician, "GET", "/forms/fk7800/1.0", nil)
	for name, want := range map[string]bool{"answers.diseaseHistory": true, "answers.otherInformation": false} {
		tag := regexp.MustCompile(`<textarea[^>]*name="` + regexp.QuoteMeta(name) + `"[^>]*>`).FindString(page)
		if tag == "" {
			t.Fatalf("no text %s", name)
		}
		if got := strings.Contains(tag, `aria-required="true"`); got != want {
			t.Errorf("fk7800 %s aria-required: %v, want %v", name, got, want)
		}
	}
}
