package web

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// page sends a page request with a session cookie (nil: none).
func (ts *testServer) page(t *testing.T, cookie *http.Cookie, method, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	return ts.sendPage(t, ts.pageRequest(cookie, method, path, form))
}

// pageRequest is the request page sends, for a test to add to.
func (ts *testServer) pageRequest(cookie *http.Cookie, method, path string, form url.Values) *http.Request {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, ts.URL+path, body)
	req.Header.Set("Accept", browserAccept)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	return req
}

// sendPage sends req, not following a redirect, and reads the answer.
func (ts *testServer) sendPage(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// posted sends a page's form by POST, as page does, and follows the
// answer's redirect to a page (303) with a GET, as a browser does.
func (ts *testServer) posted(t *testing.T, cookie *http.Cookie, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, body := ts.page(t, cookie, "POST", path, form)
	if resp.StatusCode != http.StatusSeeOther {
		return resp, body
	}
	return ts.page(t, cookie, "GET", resp.Header.Get("Location"), nil)
}

// TestPageRoleMatrix: every page for every role, and for no session.
// Refusals are HTML pages (403), a missing session goes to sign-in.
func TestPageRoleMatrix(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	cookies := map[string]*http.Cookie{"": nil}
	for _, who := range []string{"physician", "coordinator", "caseworker", "admin"} {
		cookies[who] = ts.session(t, who)
	}
	// Bo works at two units; this session is at the other one.
	bo := ts.person(t, "physician-two-units")
	secret, _, err := ts.db.CreateSession(context.Background(), bo.ID, otherUnit)
	if err != nil {
		t.Fatal(err)
	}
	cookies["physician-other-unit"] = &http.Cookie{Name: sessionCookiePlain, Value: secret}
	secret, _, err = ts.db.CreateSession(context.Background(), bo.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	cookies["physician-no-unit"] = &http.Cookie{Name: sessionCookiePlain, Value: secret}

	const toSignIn, toUnit = "→/sign-in", "→/unit"
	tests := []struct {
		method, path string
		want         map[string]string // who → status, or → redirect target
	}{
		{"GET", "/sign-in", map[string]string{"": "200", "physician": "200"}},
		{"GET", "/", map[string]string{"": toSignIn, "physician": "→/forms", "coordinator": "→/unit/cases", "caseworker": "→/queue", "admin": "→/admin", "physician-no-unit": toUnit}},
		{"GET", "/forms", map[string]string{"": toSignIn, "coordinator": "403", "physician": "200", "physician-other-unit": "200", "physician-no-unit": toUnit, "caseworker": "403", "admin": "403"}},
		{"GET", "/forms/fk7804/2.0", map[string]string{"": toSignIn, "physician": "200", "caseworker": "403", "admin": "403"}},
		{"POST", "/forms/fk7804/2.0", map[string]string{"": toSignIn, "physician": "422", "caseworker": "403", "admin": "403"}},
		{"GET", "/unit", map[string]string{"": toSignIn, "physician": "200", "physician-no-unit": "200", "caseworker": "403", "admin": "403"}},
		{"GET", "/search", map[string]string{"": toSignIn, "caseworker": "200", "physician": "403", "admin": "403"}},
		{"GET", "/queue", map[string]string{"": toSignIn, "caseworker": "200", "physician": "403", "coordinator": "403", "admin": "403"}},
		{"GET", "/patients/cases", map[string]string{"": toSignIn, "caseworker": "200", "physician": "200", "coordinator": "200", "admin": "403"}},
		{"POST", "/patients/cases", map[string]string{"": toSignIn, "caseworker": "→/patients/cases", "physician": "→/patients/cases", "coordinator": "→/patients/cases", "admin": "403"}},
		{"GET", "/unit/cases", map[string]string{"": toSignIn, "physician": "200", "coordinator": "200", "physician-no-unit": toUnit, "caseworker": "403", "admin": "403"}},
		{"GET", "/unit", map[string]string{"coordinator": "200"}},
		{"POST", "/queue", map[string]string{"": toSignIn, "caseworker": "→/queue", "physician": "403", "admin": "403"}},
		{"GET", "/drafts", map[string]string{"": toSignIn, "physician": "200", "physician-no-unit": toUnit, "caseworker": "403", "admin": "403"}},
		{"GET", "/certificates", map[string]string{"": toSignIn, "physician": "200", "caseworker": "403", "admin": "403"}},
		{"POST", "/certificates", map[string]string{"": toSignIn, "physician": "→/certificates", "caseworker": "403", "admin": "403"}},
		{"GET", "/drafts/nothing", map[string]string{"": toSignIn, "physician": "404", "caseworker": "403"}},
		{"GET", "/codes/icd10se?q=F32", map[string]string{"": toSignIn, "physician": "200", "caseworker": "200"}},
		{"POST", "/search", map[string]string{"": toSignIn, "caseworker": "→/search", "physician": "403", "admin": "403"}},
		{"GET", "/certificates/" + id, map[string]string{"": toSignIn, "coordinator": "200", "physician": "200", "physician-other-unit": "404", "caseworker": "200", "admin": "403"}},
		{"GET", "/messages", map[string]string{"": toSignIn, "physician": "200", "caseworker": "200", "admin": "403"}},
		{"POST", "/messages/nothing/answer", map[string]string{"": toSignIn, "physician": "404", "caseworker": "403", "admin": "403"}},
		{"POST", "/certificates/" + id + "/messages", map[string]string{"": toSignIn, "caseworker": "422", "physician": "403", "admin": "403"}},
		{"POST", "/certificates/" + id + "/replace", map[string]string{"": toSignIn, "physician-other-unit": "404", "caseworker": "403", "admin": "403"}},
		{"GET", "/certificates/" + id + "/pdf", map[string]string{"": toSignIn, "physician": "200", "physician-other-unit": "404", "caseworker": "200", "admin": "403"}},
	}
	for _, tt := range tests {
		for who, want := range tt.want {
			t.Run(tt.method+" "+tt.path+" as "+who, func(t *testing.T) {
				var form url.Values
				if tt.method == "POST" {
					form = url.Values{"patient": {"19121212-1212"}}
				}
				resp, body := ts.page(t, cookies[who], tt.method, tt.path, form)
				got := resp.Status[:3]
				if resp.StatusCode == http.StatusSeeOther {
					loc, _, _ := strings.Cut(resp.Header.Get("Location"), "?")
					got = "→" + loc
				}
				if got != want {
					t.Fatalf("got %s, want %s\n%s", got, want, body)
				}
				if want == "403" && !strings.Contains(body, "Du har inte behörighet") {
					t.Errorf("the refusal is not the HTML error page:\n%s", body)
				}
			})
		}
	}
}

// TestSignInWithDisabledUnits: a physician whose other units are disabled
// works at the one left without choosing; one with none left is told so
// on the unit page, which offers nothing to choose.
func TestSignInWithDisabledUnits(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "physician-two-units")
	signIn := func() (*http.Response, *http.Cookie) {
		t.Helper()
		resp, body := ts.page(t, nil, "POST", "/sign-in", url.Values{"username": {"bo"}, "password": {testPassword}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in: %d\n%s", resp.StatusCode, body)
		}
		for _, c := range resp.Cookies() {
			if c.Name == sessionCookiePlain {
				return resp, c
			}
		}
		t.Fatal("no session cookie")
		return nil, nil
	}
	if resp, _ := signIn(); !strings.HasPrefix(resp.Header.Get("Location"), "/unit") {
		t.Fatalf("with two units: on to %s, want to choose one", resp.Header.Get("Location"))
	}
	if err := ts.db.SetUnitDisabled(context.Background(), otherUnit, true); err != nil {
		t.Fatal(err)
	}
	resp, cookie := signIn()
	if loc := resp.Header.Get("Location"); loc != "/forms" {
		t.Errorf("with one unit left: on to %s, want /forms", loc)
	}
	if resp, _ := ts.page(t, cookie, "GET", "/forms", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("/forms at the unit left: %d", resp.StatusCode)
	}
	if err := ts.db.SetUnitDisabled(context.Background(), unit, true); err != nil {
		t.Fatal(err)
	}
	_, cookie = signIn()
	_, page := ts.page(t, cookie, "GET", "/unit", nil)
	if !strings.Contains(page, `id="no-unit"`) || strings.Contains(page, `id="unit-form"`) {
		t.Errorf("with no unit left, the unit page does not say so, or offers a choice:\n%s", page)
	}
}

// TestUnitChoiceErrorAtItsGroup: the unit page sent without a choice says
// so at the group of units, which it describes, the choices marked.
func TestUnitChoiceErrorAtItsGroup(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	cookie := ts.session(t, "physician-two-units")
	resp, page := ts.page(t, cookie, "POST", "/unit", url.Values{})
	if resp.StatusCode < 400 || !strings.Contains(page, `<fieldset aria-describedby="unit-error">`) || !strings.Contains(page, `id="unit-error"`) || !strings.Contains(page, `aria-invalid="true"`) {
		t.Errorf("no unit chosen: %d, the message not tied to the group of units:\n%s", resp.StatusCode, page)
	}
}

// TestEndedSessionSaysSo: every request with the cookie of a session that
// ended goes to the sign-in page saying so, not only the first (a draft's
// autosave in the background may be the first).
func TestEndedSessionSaysSo(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	cookie := ts.session(t, "physician")
	ts.endSessions(t, ts.person(t, "physician"))
	for _, req := range []struct{ method, path string }{{"POST", "/forms/fk7804/2.0/draft"}, {"GET", "/forms/fk7804/2.0"}, {"GET", "/drafts"}} {
		var form url.Values
		if req.method == "POST" {
			form = url.Values{}
		}
		resp, _ := ts.page(t, cookie, req.method, req.path, form)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/sign-in?") || !strings.Contains(loc, "expired=1") {
			t.Errorf("%s %s with an ended session: %d to %s, want the sign-in page saying it ended", req.method, req.path, resp.StatusCode, loc)
		}
		for _, c := range resp.Cookies() {
			if c.Name == sessionCookiePlain {
				t.Errorf("%s %s with an ended session sets the cookie (%+v): the next page would not say that it ended", req.method, req.path, c)
			}
		}
	}
}

// TestSignInAndOut: a password sign-in starts a session; sign-out ends it
// on the server, so the old cookie no longer works; the API token does not
// sign in to pages.
func TestSignInAndOut(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "physician")
	resp, body := ts.page(t, nil, "POST", "/sign-in", url.Values{"username": {"asa"}, "password": {testPassword}, "next": {"/forms/fk7804/2.0"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/forms/fk7804/2.0" {
		t.Fatalf("sign-in: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookiePlain {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v", cookie)
	}
	if resp, _ := ts.page(t, cookie, "GET", "/forms", nil); resp.StatusCode != 200 {
		t.Fatalf("/forms signed in: %d", resp.StatusCode)
	}
	if resp, _ := ts.page(t, cookie, "POST", "/sign-out", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
	if resp, _ := ts.page(t, cookie, "GET", "/forms", nil); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/sign-in") {
		t.Errorf("the old cookie after sign-out: %d %s, want to sign-in", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The API token is no session.
	if resp, _ := ts.page(t, &http.Cookie{Name: sessionCookiePlain, Value: ts.tokens["clinic"]}, "GET", "/forms", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a token as cookie: %d, want a redirect to sign-in", resp.StatusCode)
	}
	// Wrong passwords say nothing of the name; the sixth is locked.
	for i, name := range []string{"asa", "nobody"} {
		_, body := ts.page(t, nil, "POST", "/sign-in", url.Values{"username": {name}, "password": {"wrong password " + name}})
		if !strings.Contains(body, "Fel användarnamn eller lösenord.") || !strings.Contains(body, `value="`+name+`"`) {
			t.Errorf("attempt %d: the refusal page:\n%s", i, body)
		}
		if strings.Count(body, `aria-invalid="true" aria-describedby="sign-in-error"`) != 2 {
			t.Errorf("attempt %d: the name and password are not marked wrong, described by the refusal", i)
		}
	}
	for i := 0; i < 4; i++ {
		ts.page(t, nil, "POST", "/sign-in", url.Values{"username": {"asa"}, "password": {"wrong password"}})
	}
	resp, body = ts.page(t, nil, "POST", "/sign-in", url.Values{"username": {"asa"}, "password": {testPassword}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Vänta 15 minuter") {
		t.Errorf("the right password after 5 failures: %d, want 429 with the wait:\n%s", resp.StatusCode, body)
	}
}

// TestFormIssuerFromRecord: a certificate signed through the form takes its
// issuer from the physician's record and the unit of the session, whatever
// the form posts; its access-log entries name the person.
func TestFormIssuerFromRecord(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	cookie := ts.session(t, "physician")
	form := infectionForm()
	form.Set("issuer.name", "Mallory")
	form.Set("issuer.hsaId", "SE2321000016-6666")
	form.Set("issuer.unit.hsaId", otherUnit)
	resp, body := ts.page(t, cookie, "POST", "/forms/fk7804/2.0", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("post: %d\n%s", resp.StatusCode, body)
	}
	id := certificateIDFrom(resp.Header.Get("Location"))
	c, err := ts.db.FindCertificateByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	is := c.Issuer
	if is.Name != "Åsa Lindberg" || is.HSAID != "SE2321000016-1003" || is.Role != "DOCTOR" || is.PrescriberCode != "1234567" ||
		is.Unit.HSAID != unit || is.Unit.Name != "Vårdcentralen Östermalm" || is.Unit.PostalCode != "114 59" ||
		is.CareProvider == nil || is.CareProvider.Name != "Region Stockholm" || len(is.Specialities) != 1 {
		t.Errorf("issuer = %+v, want Åsa's record and her unit", is)
	}
	if resp, body := ts.page(t, cookie, "GET", "/certificates/"+id, nil); resp.StatusCode != 200 {
		t.Fatalf("receipt: %d\n%s", resp.StatusCode, body)
	}
	u := ts.person(t, "physician")
	reads := ts.auditActions(t, "certificate.read")
	if len(reads) != 1 || reads[0].UserID != u.ID || reads[0].Name != "Åsa Lindberg" || reads[0].Role != intake.RolePhysician || reads[0].TokenID != "" {
		t.Errorf("access log %+v, want the receipt read naming Åsa", reads)
	}
	if checked, broken, err := ts.db.VerifyAuditChain(context.Background()); err != nil || broken != 0 || checked == 0 {
		t.Errorf("the chain with named people: %d checked, broken at %d, %v", checked, broken, err)
	}
	_, page := ts.page(t, cookie, "GET", "/forms/fk7804/2.0", nil)
	if !strings.Contains(page, `id="issuer-name">Åsa Lindberg<`) || strings.Contains(page, `name="issuer.name"`) {
		t.Errorf("the form does not show the issuer read-only:\n%s", page)
	}
}

// TestUnitChoice: a physician at two units picks one after sign-in and can
// switch; a unit not theirs is refused.
func TestUnitChoice(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "physician-two-units")
	resp, _ := ts.page(t, nil, "POST", "/sign-in", url.Values{"username": {"bo"}, "password": {testPassword}})
	if !strings.HasPrefix(resp.Header.Get("Location"), "/unit") {
		t.Fatalf("sign-in of a physician at two units goes to %q, want /unit", resp.Header.Get("Location"))
	}
	cookie := resp.Cookies()[0]
	if resp, _ := ts.page(t, cookie, "GET", "/forms", nil); !strings.HasPrefix(resp.Header.Get("Location"), "/unit") {
		t.Errorf("/forms before choosing: %s, want /unit", resp.Header.Get("Location"))
	}
	if resp, body := ts.page(t, cookie, "POST", "/unit", url.Values{"unit": {"SE2321000016-0000"}}); resp.StatusCode != 422 || !strings.Contains(body, "Välj en av dina vårdenheter") {
		t.Errorf("another unit: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := ts.page(t, cookie, "POST", "/unit", url.Values{"unit": {otherUnit}, "next": {"/forms/fk7804/2.0"}}); resp.Header.Get("Location") != "/forms/fk7804/2.0" {
		t.Errorf("choosing: %s", resp.Header.Get("Location"))
	}
	if _, page := ts.page(t, cookie, "GET", "/forms/fk7804/2.0", nil); !strings.Contains(page, "Vårdcentralen Söder") {
		t.Errorf("the form does not show the chosen unit")
	}
}

// TestMyCertificates: a physician's list shows their unit's certificates
// only, newest first, with the PDF and the employer copy; the patient
// filter is posted; every patient shown is in the access log.
func TestMyCertificates(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.submit(t, "valid/full-time-one-period.json")
	ts.submit(t, "valid/prognosis-unclear.json")
	mine := ts.session(t, "physician")
	resp, page := ts.page(t, mine, "GET", "/certificates", nil)
	if resp.StatusCode != 200 || strings.Count(page, "/pdf?copy=employer") != 2 || !strings.Contains(page, "Listan har 2 intyg.") {
		t.Fatalf("list: %d, want both and their number\n%s", resp.StatusCode, page)
	}
	before := len(ts.auditActions(t, "certificate.search"))
	if before < 2 {
		t.Errorf("%d search entries for two patients shown", before)
	}
	c, _, _ := ts.db.FindCertificates(context.Background(), intake.CertificateFilter{Limit: 1})
	pid := c[0].Patient.ID
	_, page = ts.posted(t, mine, "/certificates", url.Values{"patient": {pid[2:8] + "-" + pid[8:]}})
	if strings.Count(page, `<th scope="row"><a href="/certificates/`) != 1 || !strings.Contains(page, c[0].Patient.Name) || !strings.Contains(page, "Listan har 1 intyg.") {
		t.Errorf("the patient filter shows:\n%s", page)
	}
	// The number is the status filter's, not every status's.
	if _, err := ts.db.SetHandled(context.Background(), c[0].ID, true, "test"); err != nil {
		t.Fatal(err)
	}
	if _, page := ts.page(t, mine, "GET", "/certificates?status=handled", nil); strings.Count(page, `<th scope="row"><a href="/certificates/`) != 1 || !strings.Contains(page, "Listan har 1 intyg.") {
		t.Errorf("the handled ones: want 1 row and its number:\n%s", page)
	}
	// Bo at the other unit sees none of them.
	bo := ts.person(t, "physician-two-units")
	secret, _, _ := ts.db.CreateSession(context.Background(), bo.ID, otherUnit)
	if _, page := ts.page(t, &http.Cookie{Name: sessionCookiePlain, Value: secret}, "GET", "/certificates", nil); !strings.Contains(page, `id="no-certificates"`) {
		t.Errorf("another unit's physician sees certificates:\n%s", page)
	}
}

// certificateIDFrom returns the certificate id of a receipt's Location
// (/certificates/ID?signed=1).
func certificateIDFrom(location string) string {
	id, _, _ := strings.Cut(strings.TrimPrefix(location, "/certificates/"), "?")
	return id
}

// TestCertificatePage: a caseworker reads a certificate laid out from its
// template, with the agency's guidance a click away, the contact request
// standing out, and both PDFs; the read names the caseworker in the log.
func TestCertificatePage(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/all-optional-fields.json")
	resp, page := ts.page(t, ts.session(t, "caseworker"), "GET", "/certificates/"+id, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("certificate page: %d", resp.StatusCode)
	}
	for _, want := range []string{`id="a-contactRequested"`, `answer highlight" id="a-contactRequested"`, `<details class="guidance">`,
		`id="employer-pdf-link"`, "Läkarintyg för sjukpenning", `id="certificate-status">Mottaget<`} {
		if !strings.Contains(page, want) {
			t.Errorf("the certificate page lacks %s", want)
		}
	}
	reads := ts.auditActions(t, "certificate.read")
	if len(reads) != 1 || reads[0].Name != "Cia Handläggare" || reads[0].CertificateID != id {
		t.Errorf("access log %+v, want the caseworker's read", reads)
	}
}

// TestCompare: two certificates of one patient side by side, the older
// first; the changed degree is marked and a changed text word by word;
// other pairs are refused.
func TestCompare(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	first := ts.submit(t, "valid/full-time-one-period.json")
	var doc map[string]any
	json.Unmarshal(readExample(t, "valid/full-time-one-period.json"), &doc)
	answers := doc["answers"].(map[string]any)
	answers["sickLeave"] = []any{map[string]any{"degree": 50, "from": "2026-11-20", "to": "2026-12-06"}}
	answers["unevenWorkingHours"] = false
	answers["activityLimitation"] = map[string]any{"text": "Kan inte lyfta mer än 10 kg och kan inte sitta eller stå mer än 20 minuter i taget. Klarar inte truckkörning."}
	answers["functionalImpairment"] = map[string]any{"text": strings.Replace(answers["functionalImpairment"].(map[string]any)["text"].(string), " ", "\n", 1)}
	body, _ := json.Marshal(doc)
	resp, created := ts.do(t, "clinic", "POST", "/api/v1/certificates", body)
	if resp.StatusCode != 201 {
		t.Fatalf("second certificate: %d %s", resp.StatusCode, created)
	}
	var second struct{ ID string }
	json.Unmarshal(created, &second)
	other := ts.submit(t, "valid/coordination-number.json")
	cw := ts.session(t, "caseworker")
	resp, page := ts.posted(t, cw, "/compare", url.Values{"id": {second.ID, first}})
	if resp.StatusCode != 200 {
		t.Fatalf("compare: %d\n%s", resp.StatusCode, page)
	}
	if !strings.Contains(page, `<tr class="changed"><th scope="row">32.`) || !strings.Contains(page, "Nedsatt med hälften: 2026-11-20 – 2026-12-06") {
		t.Errorf("the changed degree is not marked:\n%s", page)
	}
	// Each change also says what it is to a screen reader, which reads
	// neither <ins> nor <del> out: once for words changed together.
	if !strings.Contains(page, `<ins><span class="visually-hidden">tillagt: </span>10</ins>`) || !strings.Contains(page, `<del><span class="visually-hidden">borttaget: </span>5</del>`) ||
		!strings.Contains(page, `<del><span class="visually-hidden">borttaget: </span>truckkörning eller plockarbete.</del>`) {
		t.Errorf("the changed text is not marked word by word:\n%s", page)
	}
	// A line break is a change, shown as one, and each text keeps its lines.
	if !strings.Contains(page, `<ins title="Ny rad">¶</ins>`+"\n") || !strings.Contains(page, `<p class="text">`) {
		t.Errorf("the new line break is not shown:\n%s", page)
	}
	// The periods say how long they are, as the PDF does.
	if !strings.Contains(page, "Nedsatt med hälften: 2026-11-20 – 2026-12-06, 17 dagar, 8,5 nettodagar") || !strings.Contains(page, "2026-11-20 – 2026-12-06, 17 dagar<") {
		t.Errorf("the periods lack their days:\n%s", page)
	}
	if strings.Index(page, "/certificates/"+first) > strings.Index(page, "/certificates/"+second.ID) {
		t.Errorf("the older certificate is not on the left")
	}
	if n := len(ts.auditActions(t, "certificate.compare")); n != 2 {
		t.Errorf("%d compare reads logged, want 2", n)
	}
	if strings.Contains(page, "revocation") || !strings.Contains(page, `id="old-status">Mottaget<`) || !strings.Contains(page, `id="new-status">Mottaget<`) {
		t.Errorf("the statuses of two received certificates are not shown:\n%s", page)
	}
	// A revoked certificate says so, and why, beside its answers.
	if resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates/"+first+"/revoke", []byte(`{"reason": "FEL_PATIENT"}`)); resp.StatusCode != 200 {
		t.Fatalf("revoke: %d %s", resp.StatusCode, b)
	}
	_, page = ts.posted(t, cw, "/compare", url.Values{"id": {first, second.ID}})
	if !strings.Contains(page, `id="old-status">Makulerat<`) || !strings.Contains(page, `id="old-revocation"`) || !strings.Contains(page, "skrivet för fel patient") ||
		strings.Contains(page, `id="new-revocation"`) || !strings.Contains(page, `id="new-status">Mottaget<`) {
		t.Errorf("the revoked certificate is not shown as revoked:\n%s", page)
	}
	for name, ids := range map[string][]string{"one": {first}, "another patient": {first, other}, "the same twice": {first, first}} {
		if resp, _ := ts.posted(t, cw, "/compare", url.Values{"id": ids}); resp.StatusCode != 422 {
			t.Errorf("compare %s: %d, want 422", name, resp.StatusCode)
		}
	}
}

// TestQueuePages walks the queue's pages forward and back: each says where
// it is among the certificates, and the first, previous and next links
// keep the filters and show the same certificates each time.
func TestQueuePages(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	const n = 2*queuePageSize + 20
	for range n {
		ts.submit(t, "valid/full-time-one-period.json")
	}
	cw := ts.session(t, "caseworker")
	rowID := regexp.MustCompile(`<th scope="row"><a href="/certificates/([^"]+)">`)
	visit := func(path string) (ids []string, page string) {
		t.Helper()
		resp, page := ts.page(t, cw, "GET", path, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, page)
		}
		for _, m := range rowID.FindAllStringSubmatch(page, -1) {
			ids = append(ids, m[1])
		}
		return ids, page
	}
	link := func(page, id string) string {
		m := regexp.MustCompile(`id="` + id + `"`).FindStringIndex(page)
		if m == nil {
			return ""
		}
		href := regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(page[:m[0]], -1)
		return html.UnescapeString(href[len(href)-1][1])
	}
	type want struct {
		position              string
		first, previous, next bool
		rows                  int
	}
	check := func(name, page string, ids []string, w want) {
		t.Helper()
		if !strings.Contains(page, `id="page-position">`+w.position+`<`) || len(ids) != w.rows {
			t.Errorf("%s: %d rows, want %d, and the position %q:\n%s", name, len(ids), w.rows, w.position, page)
		}
		for id, has := range map[string]bool{"first-page": w.first, "previous-page": w.previous, "next-page": w.next} {
			if l := link(page, id); (l != "") != has || (has && !strings.Contains(l, "status=received")) {
				t.Errorf("%s: %s link %q, want one: %v, keeping the status", name, id, l, has)
			}
		}
	}
	ids1, page1 := visit("/queue?status=received")
	check("page 1", page1, ids1, want{"Visar 1–50 av 120", false, false, true, 50})
	ids2, page2 := visit(link(page1, "next-page"))
	check("page 2", page2, ids2, want{"Visar 51–100 av 120", true, true, true, 50})
	ids3, page3 := visit(link(page2, "next-page"))
	check("page 3", page3, ids3, want{"Visar 101–120 av 120", true, true, false, 20})
	seen := map[string]bool{}
	for _, id := range slices.Concat(ids1, ids2, ids3) {
		seen[id] = true
	}
	if len(seen) != n {
		t.Errorf("%d certificates over the pages, want %d", len(seen), n)
	}
	if back, _ := visit(link(page3, "previous-page")); !slices.Equal(back, ids2) {
		t.Errorf("page 3's previous page is not page 2")
	}
	if back, _ := visit(link(page2, "previous-page")); !slices.Equal(back, ids1) {
		t.Errorf("page 2's previous page is not page 1")
	}
	if first, _ := visit(link(page3, "first-page")); !slices.Equal(first, ids1) {
		t.Errorf("page 3's first page is not page 1")
	}
	if _, page := visit("/queue"); strings.Contains(page, `id="first-page"`) || !strings.Contains(page, `id="page-position">Visar 1–50 av 120<`) {
		t.Errorf("the unfiltered queue's first page:\n%s", page)
	}
}

// TestQueue: the caseworker's queue, newest first with counts per status;
// the patient filter is posted, kept on the server under a reference that
// survives going to a certificate and back, and never stands in a URL.
func TestQueue(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.submit(t, "valid/full-time-one-period.json")
	ts.submit(t, "valid/prognosis-unclear.json")
	id := ts.submit(t, "valid/coordination-number.json")
	c, _ := ts.db.FindCertificateByID(context.Background(), id)
	cw := ts.session(t, "caseworker")
	resp, page := ts.page(t, cw, "GET", "/queue", nil)
	if resp.StatusCode != 200 || !strings.Contains(page, `id="count-received">3<`) || strings.Count(page, `<th scope="row"><a href="/certificates/`) != 3 {
		t.Fatalf("queue: %d\n%s", resp.StatusCode, page)
	}
	// The unit by the name the certificate gives it, then its HSA-id.
	if want := `<td>Vårdcentralen Östermalm <span class="muted nowrap">SE2321000016-7P0C</span></td>`; !strings.Contains(page, want) {
		t.Errorf("the queue does not name the unit as %s", want)
	}
	if _, page := ts.page(t, cw, "GET", "/queue?template=fk7810", nil); !strings.Contains(page, `id="queue-empty"`) || !strings.Contains(page, `id="count-received">0<`) {
		t.Errorf("the fk7810 queue is not empty:\n%s", page)
	}
	short := c.Patient.ID[2:8] + "-" + c.Patient.ID[8:]
	resp, _ = ts.page(t, cw, "POST", "/queue", url.Values{"patient": {short}, "template": {"fk7804"}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.Contains(loc, "ref=") || strings.Contains(loc, c.Patient.ID[8:]) {
		t.Fatalf("patient filter: %d %s", resp.StatusCode, loc)
	}
	_, page = ts.page(t, cw, "GET", loc, nil)
	if strings.Count(page, `<th scope="row"><a href="/certificates/`) != 1 || !strings.Contains(page, "/certificates/"+id) || !strings.Contains(page, `value="`+short+`"`) {
		t.Errorf("the patient's queue:\n%s", page)
	}
	if _, page := ts.page(t, ts.session(t, "caseworker"), "GET", loc, nil); !strings.Contains(page, "Patientfiltret har gått ut") {
		t.Errorf("another session used the reference:\n%s", page)
	}
}

// TestDisabledUnit: once an admin disables a unit, no physician works
// there: a session at it goes back to choosing a unit, nothing can be
// signed for it, and sign-in does not place anyone there.
func TestDisabledUnit(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	cookie := ts.session(t, "physician")
	id := ts.submit(t, "valid/full-time-one-period.json")
	if err := ts.db.SetUnitDisabled(context.Background(), unit, true); err != nil {
		t.Fatal(err)
	}
	// A clinic token that names the unit loses it at once, as people do.
	if resp, _ := ts.do(t, "clinic", "GET", "/api/v1/certificates/"+id, nil); resp.StatusCode != 404 {
		t.Errorf("the unit's token reads at a disabled unit: %d, want 404", resp.StatusCode)
	}
	if resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates", readExample(t, "valid/prognosis-unclear.json")); resp.StatusCode != 403 || !strings.Contains(string(b), intake.Text("refused.noUnit", "sv")) {
		t.Errorf("the unit's token submits at a disabled unit: %d %s, want 403 saying its units are disabled", resp.StatusCode, b)
	}
	if resp, _ := ts.page(t, cookie, "GET", "/forms", nil); !strings.HasPrefix(resp.Header.Get("Location"), "/unit") {
		t.Errorf("/forms at a disabled unit: %d %s, want /unit", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := ts.page(t, cookie, "POST", "/forms/fk7804/2.0", infectionForm()); resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/unit") {
		t.Errorf("signing at a disabled unit: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ := ts.page(t, nil, "POST", "/sign-in", url.Values{"username": {"asa"}, "password": {testPassword}})
	if !strings.HasPrefix(resp.Header.Get("Location"), "/unit") {
		t.Errorf("sign-in with only a disabled unit goes to %q, want /unit", resp.Header.Get("Location"))
	}
	if n := ts.count(t); n != 1 {
		t.Errorf("%d certificates stored, want only the one from before the unit was disabled", n)
	}
}

// TestHandled: a caseworker marks a certificate handled and reopens it,
// through the API and the certificate page; both are idempotent, appended
// as events, and the queue's counts follow.
func TestHandled(t *testing.T) {
	dialects(t, testHandled)
}

func testHandled(t *testing.T, driver string) {
	ts := newTestServer(t, driver)
	id := ts.submit(t, "valid/full-time-one-period.json")
	other := ts.submit(t, "valid/prognosis-unclear.json")
	for i := 0; i < 2; i++ {
		resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+id+"/handled", nil)
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"status":"handled"`) {
			t.Fatalf("handled (%d): %d %s", i, resp.StatusCode, body)
		}
	}
	if resp, _ := ts.do(t, "clinic", "POST", "/api/v1/certificates/"+id+"/handled", nil); resp.StatusCode != 403 {
		t.Errorf("a clinic marks handled: %d, want 403", resp.StatusCode)
	}
	if resp, _ := ts.do(t, "caseworker", "POST", "/api/v1/certificates/nope/handled", nil); resp.StatusCode != 404 {
		t.Errorf("an unknown certificate: %d, want 404", resp.StatusCode)
	}
	for i := 0; i < 2; i++ {
		if resp, body := ts.do(t, "caseworker", "DELETE", "/api/v1/certificates/"+id+"/handled", nil); resp.StatusCode != 200 || !strings.Contains(string(body), `"status":"received"`) {
			t.Errorf("unhandled (%d): %d %s", i, resp.StatusCode, body)
		}
	}
	// The record always lists relations and flags, and counts open
	// messages, even when there are none.
	_, rec0 := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id, nil)
	var rec map[string]any
	json.Unmarshal(rec0, &rec)
	if rels, ok := rec["relations"].([]any); !ok || len(rels) != 0 {
		t.Errorf("relations = %v, want []", rec["relations"])
	}
	if _, ok := rec["flags"].([]any); !ok {
		t.Errorf("flags = %v, want a list", rec["flags"])
	}
	if rec["openMessages"] != float64(0) || rec["status"] != "received" || rec["revocation"] != nil {
		t.Errorf("record = %s", rec0)
	}
	resp, body := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id+"/events", nil)
	var events struct{ Items []intake.Event }
	json.Unmarshal(body, &events)
	if resp.StatusCode != 200 || len(events.Items) != 3 || events.Items[0].Type != "received" || events.Items[1].Type != "handled" || events.Items[2].Type != "unhandled" {
		t.Errorf("events: %d %s", resp.StatusCode, body)
	}
	// The submission names the clinic system's token it came through.
	if clinic, err := ts.db.FindTokenBySecret(context.Background(), ts.tokens["clinic:SE2321000016-7P0C"]); err != nil || len(events.Items) == 0 || events.Items[0].Via != clinic.ID || events.Items[1].Via != "" {
		t.Errorf("events %s, want the received one via the clinic's token (%v)", body, err)
	}
	cw := ts.session(t, "caseworker")
	if _, page := ts.page(t, cw, "GET", "/queue", nil); !strings.Contains(page, `id="count-received">2<`) || !strings.Contains(page, `id="count-handled">0<`) {
		t.Errorf("queue counts before:\n%s", page)
	}
	_, page := ts.page(t, cw, "GET", "/certificates/"+other, nil)
	if !strings.Contains(page, `id="mark-handled"`) {
		t.Fatalf("no handled button:\n%s", page)
	}
	if resp, _ := ts.page(t, cw, "POST", "/certificates/"+other+"/handled", url.Values{"handled": {"true"}}); resp.StatusCode != 303 {
		t.Errorf("mark handled on the page: %d", resp.StatusCode)
	}
	if _, page := ts.page(t, cw, "GET", "/queue", nil); !strings.Contains(page, `id="count-received">1<`) || !strings.Contains(page, `id="count-handled">1<`) {
		t.Errorf("queue counts after:\n%s", page)
	}
	if _, page := ts.page(t, cw, "GET", "/certificates/"+other, nil); !strings.Contains(page, `id="reopen"`) || !strings.Contains(page, `id="certificate-status">Hanterat<`) {
		t.Errorf("the handled certificate's page:\n%s", page)
	}
	// Neither true nor false changes nothing.
	for _, v := range []url.Values{{"handled": {"yes"}}, {}} {
		if resp, _ := ts.page(t, cw, "POST", "/certificates/"+other+"/handled", v); resp.StatusCode != 422 {
			t.Errorf("handled=%q on the page: %d, want 422", v.Get("handled"), resp.StatusCode)
		}
	}
	if _, page := ts.page(t, cw, "GET", "/certificates/"+other, nil); !strings.Contains(page, `id="certificate-status">Hanterat<`) {
		t.Errorf("a refused handled form changed the certificate")
	}
}

// TestPrintSeveral: a caseworker prints two certificates as one PDF; both
// are in it (pdftotext), and both prints are in the access log.
func TestPrintSeveral(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	a := ts.submit(t, "valid/full-time-one-period.json")
	b := ts.submit(t, "valid/coordination-number.json")
	cw := ts.session(t, "caseworker")
	// One ticked twice is printed once.
	resp, pdf := ts.page(t, cw, "POST", "/print", url.Values{"id": {a, b, a}})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("print: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	text := pdfText(t, []byte(pdf))
	_, alone := ts.page(t, cw, "POST", "/print", url.Values{"id": {a}})
	if n, want := strings.Count(text, "Intygs-id: "+a), strings.Count(pdfText(t, []byte(alone)), "Intygs-id: "+a); n != want || !strings.Contains(text, "Intygs-id: "+b) {
		t.Errorf("the printed PDF names certificate %s %d times (%d printed alone), and %s: %v", a, n, want, b, strings.Contains(text, "Intygs-id: "+b))
	}
	if n := len(ts.auditActions(t, "certificate.pdf")); n != 3 {
		t.Errorf("%d prints logged, want 3 (two, then one alone)", n)
	}
	if resp, _ := ts.page(t, cw, "POST", "/print", url.Values{}); resp.StatusCode != 422 {
		t.Errorf("printing nothing: %d, want 422", resp.StatusCode)
	}
	bo := ts.person(t, "physician-two-units")
	secret, _, _ := ts.db.CreateSession(context.Background(), bo.ID, otherUnit)
	if resp, _ := ts.page(t, &http.Cookie{Name: sessionCookiePlain, Value: secret}, "POST", "/print", url.Values{"id": {a}}); resp.StatusCode != 404 {
		t.Errorf("another unit's physician prints: %d, want 404", resp.StatusCode)
	}
}

// TestQueueContactAndProvider: the queue keeps the certificates whose
// physician asks for contact, and those of one care provider's units.
func TestQueueContactAndProvider(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.mustUnits(t)
	asking := ts.submit(t, "valid/all-optional-fields.json")
	ts.submit(t, "valid/full-time-one-period.json")
	cw := ts.session(t, "caseworker")
	_, page := ts.page(t, cw, "GET", "/queue?contact=true", nil)
	if strings.Count(page, `<th scope="row"><a href="/certificates/`) != 1 || !strings.Contains(page, "/certificates/"+asking) {
		t.Errorf("the contact-requested queue:\n%s", page)
	}
	// Each row says it, in the whole queue too, and the certificate page
	// at its top.
	if _, page = ts.page(t, cw, "GET", "/queue", nil); strings.Count(page, `<li data-contact>`) != 1 {
		t.Errorf("the queue marks %d rows as asking for contact, want 1", strings.Count(page, `<li data-contact>`))
	}
	if _, page = ts.page(t, cw, "GET", "/certificates/"+asking, nil); !strings.Contains(page, `id="certificate-contact"`) || !strings.Contains(page, `href="#a-contactRequested"`) {
		t.Error("the certificate page does not say at its top that the physician asks for contact")
	}
	_, page = ts.page(t, cw, "GET", "/queue?provider=SE2321000016-0001", nil)
	c, _ := ts.db.FindCertificateByID(context.Background(), asking)
	want := 1
	if c.Issuer.Unit.HSAID == unit {
		want = 2
	}
	if n := strings.Count(page, `<th scope="row"><a href="/certificates/`); n != want {
		t.Errorf("the care provider's queue shows %d, want %d", n, want)
	}
	if resp, body := ts.do(t, "caseworker", "GET", "/api/v1/certificates?contactRequested=maybe", nil); resp.StatusCode != 422 || !strings.Contains(string(body), "/contactRequested") {
		t.Errorf("a bad flag: %d %s", resp.StatusCode, body)
	}
}

// TestRevoke: the issuing unit's token or an admin revokes a certificate
// with a reason (a serious error explained in at most 3500 characters);
// the record says so with who and when, the PDF carries MAKULERAT, a
// second revoke is 409 certificateRevoked; others may not. On both
// databases.
func TestRevoke(t *testing.T) {
	dialects(t, testRevoke)
}

func testRevoke(t *testing.T, driver string) {
	ts := newTestServer(t, driver)
	id := ts.submit(t, "valid/full-time-one-period.json")
	path := "/api/v1/certificates/" + id + "/revoke"
	long := strings.Repeat("é", intake.MaxRevocationMessage)
	for _, tt := range []struct {
		who, body string
		status    int
		want      string
	}{
		{"caseworker", `{"reason": "FEL_PATIENT"}`, 403, ""},
		{"other-clinic", `{"reason": "FEL_PATIENT"}`, 404, ""},
		{"clinic", `{"reason": "FEL"}`, 422, `"pointer":"/reason"`},
		{"clinic", `{}`, 422, `"pointer":"/reason"`},
		{"clinic", `{"reason": "ANNAT_ALLVARLIGT_FEL"}`, 422, `"pointer":"/message"`},
		{"clinic", `{"reason": "ANNAT_ALLVARLIGT_FEL", "message": "  "}`, 422, `"pointer":"/message"`},
		{"clinic", `{"reason": "FEL_PATIENT", "message": "` + long + `x"}`, 422, `"code":"maxLength"`},
		{"clinic", `{"reason": "FEL_PATIENT", "colour": 1}`, 422, `"pointer":"/colour"`},
		{"clinic", `{"reason": "FEL_PATIENT", "message": "a\u0000b"}`, 422, `"code":"invalidCharacter"`},
		{"clinic", `{"reason": 5}`, 422, `"errors":[{"pointer":"/reason","code":"type"`},
		// The message is kept trimmed and in NFC, as every free text.
		{"clinic", `{"reason": "FEL_PATIENT", "message": "  Skrevs pa\u030a fel patient.\n "}`, 200, `"status":"revoked"`},
		{"clinic", `{"reason": "FEL_PATIENT"}`, 409, `"code":"certificateRevoked"`},
		{"admin", `{"reason": "FEL_PATIENT"}`, 409, `"code":"certificateRevoked"`},
	} {
		resp, body := ts.do(t, tt.who, "POST", path, []byte(tt.body))
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
			t.Errorf("%s %s: %d %.300s, want %d with %s", tt.who, tt.body, resp.StatusCode, body, tt.status, tt.want)
		}
	}
	var rec struct {
		Status     intake.Status
		Revocation map[string]any `json:"revocation"`
	}
	_, body := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id, nil)
	json.Unmarshal(body, &rec)
	if rec.Status != intake.StatusRevoked || rec.Revocation["reason"] != "FEL_PATIENT" || rec.Revocation["message"] != "Skrevs på fel patient." ||
		rec.Revocation["at"] == nil || rec.Revocation["by"] == "" || rec.Revocation["by"] == nil {
		t.Errorf("the record lacks the revocation {reason, message, at, by}: %s", body)
	}

	// An admin revokes a serious error with its explanation at the limit.
	other := ts.submit(t, "valid/prognosis-unclear.json")
	// (every character escaped, as a JSON library may send it: 21 KB)
	resp, body := ts.do(t, "admin", "POST", "/api/v1/certificates/"+other+"/revoke", []byte(`{"reason": "ANNAT_ALLVARLIGT_FEL", "message": "`+strings.Repeat(`\u00e9`, intake.MaxRevocationMessage)+`"}`))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"status":"revoked"`) || !strings.Contains(string(body), `"reason":"ANNAT_ALLVARLIGT_FEL"`) {
		t.Errorf("an admin revokes: %d %.300s", resp.StatusCode, body)
	}
	// Without a message the revocation still has all four members, and a
	// record without warnings says so with [].
	third := ts.submit(t, "valid/full-time-one-period.json")
	if resp, body := ts.do(t, "clinic", "POST", "/api/v1/certificates/"+third+"/revoke", []byte(`{"reason": "FEL_PATIENT"}`)); resp.StatusCode != 200 ||
		!regexp.MustCompile(`"revocation":\{"reason":"FEL_PATIENT","message":"","at":"[^"]+","by":"[^"]+"\}`).Match(body) || !strings.Contains(string(body), `"warnings":[]`) {
		t.Errorf("revoked without a message: %d %.600s", resp.StatusCode, body)
	}
	_, pdf := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id+"/pdf", nil)
	// pdftotext splits rotated text; the page content holds it whole.
	if !strings.Contains(pdfContent(t, pdf), "(MAKULERAT) Tj") {
		t.Error("the revoked certificate's PDF has no MAKULERAT")
	}
}

// TestRevokePage: a physician of the issuing unit revokes a certificate
// from its page; a serious error needs its explanation; the page then
// says it is revoked.
func TestRevokePage(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	asa := ts.session(t, "physician")
	if resp, body := ts.page(t, asa, "POST", "/certificates/"+id+"/revoke", url.Values{"reason": {"ANNAT_ALLVARLIGT_FEL"}}); resp.StatusCode != 422 || !strings.Contains(body, `id="revoke-errors"`) {
		t.Errorf("a serious error without explanation: %d", resp.StatusCode)
	}
	if resp, _ := ts.page(t, ts.session(t, "caseworker"), "POST", "/certificates/"+id+"/revoke", url.Values{"reason": {"FEL_PATIENT"}}); resp.StatusCode != 403 {
		t.Errorf("a caseworker revokes: %d, want 403", resp.StatusCode)
	}
	if resp, _ := ts.page(t, asa, "POST", "/certificates/"+id+"/revoke", url.Values{"reason": {"FEL_PATIENT"}, "message": {"Fel patient."}}); resp.StatusCode != 303 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	_, page := ts.page(t, asa, "GET", "/certificates/"+id, nil)
	if !strings.Contains(page, `id="revocation"`) || !strings.Contains(page, `id="certificate-status">Makulerat<`) || strings.Contains(page, `id="revoke-form"`) {
		t.Errorf("the revoked certificate's page:\n%s", page)
	}
}

// TestSignInOverASessionEndsIt: on a shared workstation, the next person's
// sign-in ends the session the browser still carried, on the server too,
// so that its cookie (kept elsewhere, say) no longer works.
func TestSignInOverASessionEndsIt(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	first := ts.session(t, "physician")
	ts.person(t, "caseworker")
	if resp, _ := ts.page(t, first, "GET", "/forms", nil); resp.StatusCode != 200 {
		t.Fatalf("the first session: %d", resp.StatusCode)
	}
	resp, body := ts.page(t, first, "POST", "/sign-in", url.Values{"username": {"cia"}, "password": {testPassword}})
	if resp.StatusCode != 303 {
		t.Fatalf("the second sign-in: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := ts.page(t, first, "GET", "/forms", nil); resp.StatusCode == 200 {
		t.Errorf("the first session still works after another sign-in on its browser")
	}
}

// TestPagesSpeakSwedish: the queue, a Swedish page, gives the flags'
// sentences in Swedish whatever language the browser asks for (headless
// Chromium asks for English); the API answers in the language asked for.
func TestPagesSpeakSwedish(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.submit(t, "valid/prognosis-unclear.json") // flagged: no examination
	cw := ts.session(t, "caseworker")
	req := ts.pageRequest(cw, "GET", "/queue", nil)
	req.Header.Set("Accept-Language", "en-US,en;q=0.9")
	if _, page := ts.sendPage(t, req); !strings.Contains(page, intake.Text("flag.noExamination", "sv")) || strings.Contains(page, intake.Text("flag.noExamination", "en")) {
		t.Errorf("the queue's flags are not in Swedish:\n%s", page)
	}
}

// TestReceiptSaysWhenSignedAndWhomToCall: the certificate page shows when
// it was signed beside when it was received, and how to reach the issuing
// unit (a contact requested, question 26, is answered by a call).
func TestReceiptSaysWhenSignedAndWhomToCall(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	_, page := ts.page(t, ts.session(t, "caseworker"), "GET", "/certificates/"+id, nil)
	for _, want := range []string{`<dd id="certificate-signed">2026-11-20 10:15</dd>`, `<dd id="unit-contact">Karlavägen 10, 114 59 Stockholm, telefon 08-123 45 67</dd>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the certificate page lacks %s", want)
		}
	}
}

// TestPatientIDsAsPeopleReadThem: pages show an identity number as
// YYYYMMDD-NNNN, as the PDF does, not as the twelve digits it is stored as.
func TestPatientIDsAsPeopleReadThem(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json") // patient 197806142381
	cw := ts.session(t, "caseworker")
	for path, want := range map[string]string{
		"/certificates/" + id: `<dd>Karin Johansson, 19780614-2381</dd>`,
		"/queue":              `<span class="muted">19780614-2381</span>`,
	} {
		if _, page := ts.page(t, cw, "GET", path, nil); !strings.Contains(page, want) || strings.Contains(page, ">197806142381<") {
			t.Errorf("%s lacks %s, or shows the twelve digits as they are stored", path, want)
		}
	}
}

// TestQueueFilterErrorsBesideTheirInputs: each refused filter of the queue
// is marked on its own input with its own message (a date in words a
// caseworker can act on), not all on the patient's.
func TestQueueFilterErrorsBesideTheirInputs(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	cw := ts.session(t, "caseworker")
	resp, page := ts.page(t, cw, "GET", "/queue?unit=foo&since=2026-13-01&provider=xyz", nil)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("queue with bad filters: %d", resp.StatusCode)
	}
	for _, want := range []string{`id="q-unit" name="unit" type="text" value="foo" aria-invalid="true" aria-describedby="q-unit-error"`, `id="q-unit-error"`,
		`aria-describedby="q-provider-error"`, `id="q-provider-error"`, `aria-describedby="q-since-error"`, `<p class="error" id="q-since-error">Ange ett datum som ÅÅÅÅ-MM-DD.</p>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the refused queue lacks %s", want)
		}
	}
	if strings.Contains(page, `id="q-patient" name="patient" type="text" value="" autocomplete="off" aria-invalid`) || strings.Contains(page, "RFC 3339") {
		t.Errorf("the patient's input is marked, or the date's message speaks of RFC 3339:\n%s", page)
	}
	// A parameter with no input of its own still says why.
	if resp, page := ts.page(t, cw, "GET", "/queue?cursor=garbage", nil); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `<p class="error" id="q-error">`) {
		t.Errorf("the queue with a bad cursor: %d, want 422 saying why\n%s", resp.StatusCode, page)
	}
}

// TestQueueBadCursorShowsNoUnloggedCounts: the queue's counts for a
// patient are a read of the patient's certificates. A page address with a
// cursor the store cannot read is refused (422) before the search writes
// the access log, so that refusal shows no count of the patient's
// certificates either: else any patient's certificates could be counted,
// status by status, with nothing in the log.
func TestQueueBadCursorShowsNoUnloggedCounts(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	c, err := ts.db.FindCertificateByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	cw := ts.session(t, "caseworker")
	resp, _ := ts.page(t, cw, "POST", "/queue", url.Values{"patient": {c.Patient.ID}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /queue: %d, want 303", resp.StatusCode)
	}
	resp, page := ts.page(t, cw, "GET", resp.Header.Get("Location")+"&cursor=garbage", nil)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("the queue with a bad cursor: %d, want 422", resp.StatusCode)
	}
	logged := false
	for _, e := range ts.auditActions(t, "certificate.search") {
		logged = logged || e.PatientID == c.Patient.ID
	}
	if !logged && strings.Contains(page, `id="count-received">1<`) {
		t.Errorf("the refused queue counts the patient's certificates, and the access log has no entry naming the patient")
	}
}
