package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// accessEntries returns the access-log entries of action for patient.
func accessEntries(t *testing.T, ts *testServer, action, patient string) []*intake.AuditEntry {
	t.Helper()
	var out []*intake.AuditEntry
	for _, e := range ts.auditActions(t, action) {
		if e.PatientID == patient {
			out = append(out, e)
		}
	}
	return out
}

func TestPatientCasesPage(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	first, second := caseHistory(t, ts)
	caseworker, physician := ts.session(t, "caseworker"), ts.session(t, "physician")

	resp, body := ts.posted(t, caseworker, "/patients/cases", url.Values{"patient": {"780614-2381"}})
	if resp.StatusCode != 200 {
		t.Fatalf("caseworker: %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{`<svg class="timeline"`, `<g class="mark" id="day90">`, "Dag 90: 2026-11-20", `<dd class="days">103</dd>`,
		`href="/certificates/` + first + `"`, `href="/certificates/` + second + `"`, "Intyg 2: 100 % 2026-11-15 – 2026-12-03"} {
		if !strings.Contains(body, want) {
			t.Errorf("the caseworker's case page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="day180"`) {
		t.Error("the case page marks day 180, which the case does not reach")
	}
	// One bar per period: two certificates of one period each.
	if n := strings.Count(body, `<rect class="period"`); n != 2 {
		t.Errorf("%d period bars, want 2", n)
	}

	// A physician sees the case built from the own unit's certificates.
	resp, body = ts.posted(t, physician, "/patients/cases", url.Values{"patient": {"19780614-2381"}})
	if resp.StatusCode != 200 || !strings.Contains(body, `<dd class="days">89</dd>`) || strings.Contains(body, second) || strings.Contains(body, `id="day90"`) {
		t.Errorf("the physician's case page: %d, want 89 days of %s only\n%s", resp.StatusCode, first, body)
	}
	if !strings.Contains(body, `<p id="case-patient">Patient: Karin Johansson, 19780614-2381</p>`) {
		t.Errorf("the case page does not name the patient:\n%s", body)
	}
	// Gaps are drawn and listed.
	resp, body = ts.posted(t, caseworker, "/patients/cases", url.Values{"patient": {"19780614-2381"}, "gap": {"0"}})
	if resp.StatusCode != 200 || strings.Count(body, `<section class="case"`) != 1 {
		t.Errorf("gap 0: %d, want one case (the certificates overlap)", resp.StatusCode)
	}
	// A bad id or gap comes back with the message beside its input.
	for _, tt := range []struct {
		form      url.Values
		want, not string
	}{
		{url.Values{"patient": {"19780614-2382"}}, `aria-describedby="patient-error"`, `id="gap-error"`},
		{url.Values{"patient": {"19780614-2381"}, "gap": {"91"}}, `aria-describedby="gap-error"`, `id="patient-error"`},
		{url.Values{"patient": {" "}}, "Fyll i patientens personnummer eller samordningsnummer.", "fel format"},
	} {
		resp, body = ts.posted(t, caseworker, "/patients/cases", tt.form)
		if resp.StatusCode != 422 || !strings.Contains(body, tt.want) || strings.Contains(body, tt.not) {
			t.Errorf("%v: %d, want 422 with %s and without %s", tt.form, resp.StatusCode, tt.want, tt.not)
		}
	}
	resp, body = ts.posted(t, caseworker, "/patients/cases", url.Values{"patient": {"19121212-1212"}})
	if resp.StatusCode != 200 || !strings.Contains(body, `id="no-cases"`) {
		t.Errorf("a patient without certificates: %d\n%s", resp.StatusCode, body)
	}
	// Every page shown is in the access log, naming the person.
	entries := accessEntries(t, ts, "cases.patient", casePatient)
	if len(entries) != 3 {
		t.Fatalf("%d cases.patient entries, want 3", len(entries))
	}
	for _, e := range entries {
		if e.UserID == "" || e.Name == "" {
			t.Errorf("entry does not name the person: %+v", e)
		}
	}
}

func TestUnitCasesPage(t *testing.T) {
	ts := newTestServer(t, store.SQLite) // today is 2026-11-23
	caseHistory(t, ts)
	ts.submit(t, "valid/full-time-one-period.json") // 2026-11-20..12-06: joins the unit's 89 days, day 90 on 11-20
	coordination := readExample(t, "valid/coordination-number.json")
	ts.mustPost(t, "clinic", withUnit(t, coordination, unit)) // 2026-11-17..12-14, S52.5
	ts.mustPost(t, "clinic", withUnit(t, withPeriod(t, "valid/prognosis-unclear.json", "2026-10-01T09:00:00+02:00", "2026-10-01", "2026-10-31"), unit))
	physician := ts.session(t, "physician")

	resp, body := ts.page(t, physician, "GET", "/unit/cases", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d\n%s", resp.StatusCode, body)
	}
	rows := regexp.MustCompile(`(?s)<tr><th scope="row">(.*?)</tr>`).FindAllStringSubmatch(body, -1)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2 ongoing cases (the October case ended)\n%s", len(rows), body)
	}
	// Sorted by days so far, longest first: 89 + 4 days, then 7.
	if !strings.Contains(rows[0][1], "Karin Johansson") || !strings.Contains(rows[0][1], `<td class="days">93</td>`) || !strings.Contains(rows[0][1], "dag 90 nådd 2026-11-20") {
		t.Errorf("first row = %s", rows[0][1])
	}
	if !strings.Contains(rows[1][1], "Tomas Petrauskas") || !strings.Contains(rows[1][1], `<td class="days">7</td>`) || !strings.Contains(rows[1][1], "S52.5") {
		t.Errorf("second row = %s", rows[1][1])
	}
	// Sorted by name, filtered by chapter and by days.
	for path, want := range map[string][]string{
		"/unit/cases?sort=name":          {"Karin Johansson", "Tomas Petrauskas"},
		"/unit/cases?sort=days":          {"Karin Johansson", "Tomas Petrauskas"},
		"/unit/cases?chapter=S00-T98":    {"Tomas Petrauskas"},
		"/unit/cases?chapter=A00-B99":    nil,
		"/unit/cases?min=10":             {"Karin Johansson"},
		"/unit/cases?max=10":             {"Tomas Petrauskas"},
		"/unit/cases?min=10&max=90":      nil,
		"/unit/cases?sort=degree&min=0":  {"Karin Johansson", "Tomas Petrauskas"},
		"/unit/cases?sort=nonsense&max=": {"Karin Johansson", "Tomas Petrauskas"},
		// Next milestone first, however far ahead: Tomas's day 90 on
		// 2027-02-14, before Karin's day 180 on 2027-02-18.
		"/unit/cases?sort=milestone": {"Tomas Petrauskas", "Karin Johansson"},
	} {
		resp, body := ts.page(t, physician, "GET", path, nil)
		var got []string
		for _, m := range regexp.MustCompile(`<tr><th scope="row">([^<]*) <span`).FindAllStringSubmatch(body, -1) {
			got = append(got, m[1])
		}
		if resp.StatusCode != 200 || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: %d %v, want %v", path, resp.StatusCode, got, want)
		}
	}
	if resp, _ := ts.page(t, physician, "GET", "/unit/cases?min=x", nil); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("min=x: %d, want 422", resp.StatusCode)
	}
	if resp, page := ts.page(t, physician, "GET", "/unit/cases?min=30&max=10", nil); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "inga sjukfall kan visas") {
		t.Errorf("min over max: %d, want 422 saying no case can show", resp.StatusCode)
	}
	// Every patient shown is in the access log; the one not shown is not.
	if n := len(accessEntries(t, ts, "cases.unit", casePatient)); n < 1 {
		t.Error("the listed patient is not in the access log")
	}
	if n := len(accessEntries(t, ts, "cases.unit", "198807742930")); n < 1 {
		t.Error("the listed samordningsnummer patient is not in the access log")
	}
	if n := len(accessEntries(t, ts, "cases.unit", "198305192661")); n != 0 {
		t.Errorf("the patient whose case ended, never listed, has %d cases.unit entries", n)
	}
}

func TestFlagsInQueueAndCertificatePage(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	first, second := caseHistory(t, ts)
	caseworker := ts.session(t, "caseworker")
	resp, body := ts.page(t, caseworker, "GET", "/queue?flag=passesDay90", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "/certificates/"+second) || strings.Contains(body, "/certificates/"+first) ||
		!strings.Contains(body, `<li data-flag="passesDay90">Sjukfallet når dag 90`) || !strings.Contains(body, `<option value="passesDay90" selected>Passerar dag 90</option>`) {
		t.Errorf("queue filtered by passesDay90: %d\n%s", resp.StatusCode, body)
	}
	resp, body = ts.page(t, caseworker, "GET", "/queue", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "/certificates/"+first) || !strings.Contains(body, `data-flag="longFullTimeWithoutMeasures"`) {
		t.Errorf("queue: %d, want both certificates with their flags", resp.StatusCode)
	}
	// The filter survives posting the queue's form.
	resp, _ = ts.page(t, caseworker, "POST", "/queue", url.Values{"flag": {"overlapOtherIssuer"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "flag=overlapOtherIssuer") {
		t.Errorf("POST /queue: %d %s, want a redirect keeping the flag", resp.StatusCode, loc)
	}
	resp, body = ts.page(t, caseworker, "GET", "/certificates/"+second, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `id="certificate-flags"`) || !strings.Contains(body, `<li data-flag="overlapOtherIssuer">`) ||
		!strings.Contains(body, `id="patient-cases"`) {
		t.Errorf("certificate page: %d, want its flags and the link to the cases\n%s", resp.StatusCode, body)
	}
	// The flags are at the top, above what grows (the history, the messages).
	if f, h := strings.Index(body, `id="certificate-flags"`), strings.Index(body, `id="history"`); f < 0 || h < 0 || f > h || f > strings.Index(body, `id="pdf-link"`) {
		t.Errorf("the flags (at %d) are not at the top of the page, above its actions and history (at %d)", f, h)
	}
	resp, body = ts.page(t, caseworker, "GET", "/certificates/"+first, nil)
	if strings.Contains(body, `data-flag="passesDay90"`) {
		t.Error("the first certificate's page shows a flag it did not raise")
	}
	// A physician at the issuing unit does not see the flags that rest on
	// another unit's certificate.
	u := ts.person(t, "physician-two-units")
	secret, _, err := ts.db.CreateSession(context.Background(), u.ID, otherUnit)
	if err != nil {
		t.Fatal(err)
	}
	resp, body = ts.page(t, &http.Cookie{Name: sessionCookiePlain, Value: secret}, "GET", "/certificates/"+second, nil)
	if resp.StatusCode != 200 || strings.Contains(body, `data-flag="overlapOtherIssuer"`) || strings.Contains(body, `data-flag="passesDay90"`) {
		t.Errorf("the issuing unit's physician's certificate page: %d, want no flag of another unit's certificate", resp.StatusCode)
	}
}

// TestCasePageInBrowser: a caseworker opens a certificate, goes on to the
// patient's cases, and the timeline shows the day-90 mark; the case page
// and the unit's ongoing cases pass axe-core.
func TestCasePageInBrowser(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	_, second := caseHistory(t, ts)
	// Two ongoing cases at the unit, so that its list shows a page of one
	// with the link to the next.
	ts.submit(t, "valid/full-time-one-period.json")
	ts.mustPost(t, "clinic", withUnit(t, readExample(t, "valid/coordination-number.json"), unit))
	ts.person(t, "caseworker")
	ts.person(t, "physician")
	src := axeSource(t)
	ctx := browser(t)
	var mark, label string
	err := chromedp.Run(ctx,
		signIn(ts.URL+"/sign-in", "cia"),
		chromedp.WaitVisible(`#queue-filters`),
		chromedp.Navigate(ts.URL+"/certificates/"+second),
		chromedp.WaitVisible(`#certificate-flags`),
		chromedp.Click(`#patient-cases`),
		chromedp.WaitVisible(`svg.timeline`),
		// SVG elements have no innerText; read the DOM directly.
		chromedp.Evaluate(`document.querySelector("svg.timeline g#day90 line").getAttribute("x1")`, &mark),
		chromedp.Evaluate(`document.querySelector("svg.timeline g#day90 text").textContent`, &label),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if mark == "" || label != "Dag 90" {
		t.Errorf("day-90 mark at x=%q labelled %q, want a mark labelled Dag 90", mark, label)
	}
	checkAxe(t, ctx, src, "patient's cases")
	err = chromedp.Run(ctx,
		chromedp.Click(`form[action="/sign-out"] button`),
		chromedp.WaitVisible(`#username`),
		chromedp.SendKeys(`#username`, "asa"),
		chromedp.SendKeys(`#password`, testPassword),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`nav`),
		chromedp.Navigate(ts.URL+"/unit/cases?per=1"),
		chromedp.WaitVisible(`#unit-cases-filters`),
		chromedp.WaitVisible(`nav.pages a[rel="next"]`),
	)
	if err != nil {
		t.Fatalf("browser, unit: %v", err)
	}
	checkAxe(t, ctx, src, "unit's ongoing cases")
}

func TestUnitCasesPages(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	caseHistory(t, ts)
	ts.submit(t, "valid/full-time-one-period.json")
	coordination := readExample(t, "valid/coordination-number.json")
	ts.mustPost(t, "clinic", withUnit(t, coordination, unit))
	physician := ts.session(t, "physician")
	names := func(body string) []string {
		var got []string
		for _, m := range regexp.MustCompile(`<tr><th scope="row">([^<]*) <span`).FindAllStringSubmatch(body, -1) {
			got = append(got, m[1])
		}
		return got
	}
	// One patient a page: the first page links the second, which shows
	// the other patient and links back; only the one shown is logged.
	resp, body := ts.page(t, physician, "GET", "/unit/cases?sort=name&per=1", nil)
	if resp.StatusCode != 200 || strings.Join(names(body), ",") != "Karin Johansson" ||
		!strings.Contains(body, `Visar 1–1 av 2 patienter`) || !strings.Contains(body, `href="/unit/cases?page=2&amp;per=1&amp;sort=name" rel="next"`) || strings.Contains(body, `rel="prev"`) {
		t.Fatalf("first page: %d %v\n%s", resp.StatusCode, names(body), body)
	}
	if n := len(accessEntries(t, ts, "cases.unit", "198807742930")); n != 0 {
		t.Errorf("the patient on the second page has %d cases.unit entries before it was shown", n)
	}
	resp, body = ts.page(t, physician, "GET", "/unit/cases?sort=name&per=1&page=2", nil)
	if resp.StatusCode != 200 || strings.Join(names(body), ",") != "Tomas Petrauskas" ||
		!strings.Contains(body, `Visar 2–2 av 2 patienter`) || !strings.Contains(body, `href="/unit/cases?per=1&amp;sort=name" rel="prev"`) || strings.Contains(body, `rel="next"`) {
		t.Fatalf("second page: %d %v\n%s", resp.StatusCode, names(body), body)
	}
	if n := len(accessEntries(t, ts, "cases.unit", "198807742930")); n != 1 {
		t.Errorf("the patient shown on the second page has %d cases.unit entries, want 1", n)
	}
	// A page past the last says how many there are, not that there are none.
	if _, body := ts.page(t, physician, "GET", "/unit/cases?sort=name&per=1&page=5", nil); !strings.Contains(body, "Sidan är tom: listan har 2 patienter.") || !strings.Contains(body, `href="/unit/cases?per=1&amp;sort=name">Till första sidan`) {
		t.Errorf("a page past the last:\n%s", body)
	}
	for _, q := range []string{"page=0", "page=x", "per=0", "per=501"} {
		if resp, body := ts.page(t, physician, "GET", "/unit/cases?"+q, nil); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="u-error"`) {
			t.Errorf("%s: %d, want 422 with the error", q, resp.StatusCode)
		}
	}
}

// TestPagesNameUnits: the messages list, a patient's cases and the unit's
// cases name a registered unit, not only its HSA-id.
func TestPagesNameUnits(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.mustUnits(t)
	id := ts.submit(t, "valid/full-time-one-period.json")
	if resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+id+"/messages", []byte(`{"type": "KONTKT", "text": "Ring mig."}`)); resp.StatusCode != 201 {
		t.Fatalf("message: %d %s", resp.StatusCode, body)
	}
	named := `Vårdcentralen Östermalm <span class="muted nowrap">` + unit + `</span>`
	cw := ts.session(t, "caseworker")
	if _, page := ts.page(t, cw, "GET", "/messages", nil); !strings.Contains(page, named) {
		t.Error("the messages list does not name the unit")
	}
	c, _ := ts.db.FindCertificateByID(context.Background(), id)
	if _, page := ts.posted(t, cw, "/patients/cases", url.Values{"patient": {c.Patient.ID}}); !strings.Contains(page, named) {
		t.Error("the patient's cases do not name the unit")
	}
	if _, page := ts.page(t, ts.session(t, "physician"), "GET", "/unit/cases", nil); !strings.Contains(page, `<span class="muted">Vårdcentralen Östermalm, `) {
		t.Error("the unit's cases do not name the unit in their heading")
	}
}
