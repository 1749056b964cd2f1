package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// TestDrafts: a draft is saved without JavaScript, listed, resumed and
// deleted by its physician only; it is never a certificate until signed
// through the review; a draft older than 14 days is locked; every read and
// write is in the access log.
func TestDrafts(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	asa, bo := ts.session(t, "physician"), ts.session(t, "physician-two-units")
	form := infectionForm()
	form.Del("answers.sickLeave.100.to") // unfinished
	resp, body := ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", form)
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/drafts/") {
		t.Fatalf("save: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	draft := draftID(resp)
	if _, page := ts.page(t, asa, "GET", "/drafts/"+draft+"?saved=1", nil); !strings.Contains(page, `id="draft-saved"`) ||
		!strings.Contains(page, `value="Tolvan"`) || !strings.Contains(page, `name="draft" value="`+draft+`"`) {
		t.Errorf("the resumed draft lacks its values:\n%s", page)
	}
	if _, page := ts.page(t, asa, "GET", "/drafts", nil); !strings.Contains(page, "Tolvan") || !strings.Contains(page, "/drafts/"+draft) || strings.Contains(page, `id="drafts-unit"`) {
		t.Errorf("the list lacks the draft, or speaks of other units to a physician of one:\n%s", page)
	}
	if resp, _ := ts.page(t, bo, "GET", "/drafts/"+draft, nil); resp.StatusCode != 404 {
		t.Errorf("another physician's view of the draft: %d, want 404", resp.StatusCode)
	}
	if n := ts.count(t); n != 0 {
		t.Fatalf("a draft made %d certificates", n)
	}
	if _, list := ts.do(t, "caseworker", "GET", "/api/v1/certificates", nil); strings.Contains(string(list), "Tolvan") {
		t.Errorf("a draft reached the API list: %s", list)
	}

	// Review: problems come back on the form; a valid one is shown read-only.
	form.Set("draft", draft)
	if resp, body := ts.page(t, asa, "POST", "/forms/fk7804/2.0/review", form); resp.StatusCode != 422 || !strings.Contains(body, "error-summary") {
		t.Errorf("review of an unfinished draft: %d, want the form with errors", resp.StatusCode)
	}
	form.Set("answers.sickLeave.100.to", "2026-11-23")
	resp, review := ts.page(t, asa, "POST", "/forms/fk7804/2.0/review", form)
	if resp.StatusCode != 200 || !strings.Contains(review, `id="sign"`) || !strings.Contains(review, "Virusenterit") || !strings.Contains(review, "191212121212") {
		t.Fatalf("review: %d\n%s", resp.StatusCode, review)
	}
	if n := ts.count(t); n != 0 {
		t.Fatalf("the review stored %d certificates", n)
	}
	form.Set("draftSaved", reviewedSave(t, review))
	resp, _ = ts.page(t, asa, "POST", "/forms/fk7804/2.0", form)
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/certificates/") {
		t.Fatalf("sign: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, page := ts.page(t, asa, "GET", "/drafts", nil); strings.Contains(page, "/drafts/"+draft) {
		t.Errorf("a signed draft is still listed")
	}
	// A signed draft's addresses (the back button, another tab) lead to
	// its certificate; another physician's are still not found.
	signed := resp.Header.Get("Location")
	for _, rq := range []struct{ method, path string }{{"GET", "/drafts/" + draft}, {"GET", "/drafts/" + draft + "/review"}, {"POST", "/forms/fk7804/2.0/review"}} {
		if resp, _ := ts.page(t, asa, rq.method, rq.path, form); resp.StatusCode != 303 || resp.Header.Get("Location") != signed {
			t.Errorf("%s %s of the signed draft: %d to %q, want 303 to %s", rq.method, rq.path, resp.StatusCode, resp.Header.Get("Location"), signed)
		}
	}
	if resp, _ := ts.page(t, bo, "GET", "/drafts/"+draft, nil); resp.StatusCode != 404 {
		t.Errorf("another physician's view of the signed draft: %d, want 404", resp.StatusCode)
	}

	// A draft is of one template version: saving it under another's form
	// is refused and keeps its answers.
	resp, _ = ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", url.Values{"patient.name": {"Sjuk"}, "answers.diagnoses.0.description": {"Virusenterit"}})
	mine := draftID(resp)
	if resp, _ := ts.page(t, asa, "POST", "/forms/fk7810/1.0/draft", url.Values{"draft": {mine}, "patient.name": {"Sjuk"}}); resp.StatusCode != 404 {
		t.Errorf("saving an fk7804 draft under fk7810: %d, want 404", resp.StatusCode)
	}
	if resp, _ := ts.page(t, asa, "POST", "/forms/fk7810/1.0/review", url.Values{"draft": {mine}, "patient.name": {"Sjuk"}}); resp.StatusCode != 404 {
		t.Errorf("reviewing an fk7804 draft under fk7810: %d, want 404", resp.StatusCode)
	}
	if _, page := ts.page(t, asa, "GET", "/drafts/"+mine, nil); !strings.Contains(page, "Virusenterit") {
		t.Errorf("the draft lost its answers:\n%s", page)
	}
	// A draft naming a certificate that is not there still opens.
	resp, _ = ts.page(t, asa, "POST", "/forms/fk7804/2.0/review", url.Values{"draft": {mine}, "patient.name": {"Sjuk"}, "relation.type": {"REPLACES"}, "relation.certificate": {"nope"}})
	if resp.StatusCode != 422 {
		t.Errorf("review naming no certificate: %d, want 422", resp.StatusCode)
	}
	if resp, _ := ts.page(t, asa, "GET", "/drafts/"+mine, nil); resp.StatusCode != 200 {
		t.Errorf("a draft naming no certificate: %d, want 200", resp.StatusCode)
	}

	// Delete, and a draft that has aged 14 days.
	resp, _ = ts.page(t, asa, "POST", "/forms/fk7810/1.0/draft", url.Values{"patient.name": {"Gammal"}})
	old := draftID(resp)
	resp, _ = ts.page(t, asa, "POST", "/forms/fk7810/1.0/draft", url.Values{"patient.name": {"Borta"}})
	gone := draftID(resp)
	if resp, _ := ts.page(t, bo, "POST", "/drafts/"+gone+"/delete", url.Values{}); resp.StatusCode != 404 {
		t.Errorf("another physician deletes the draft: %d, want 404", resp.StatusCode)
	}
	if resp, _ := ts.page(t, asa, "POST", "/drafts/"+gone+"/delete", url.Values{}); resp.StatusCode != 303 {
		t.Errorf("delete: %d", resp.StatusCode)
	} else if _, page := ts.page(t, asa, "GET", resp.Header.Get("Location"), nil); !strings.Contains(page, `role="status" id="draft-deleted"`) {
		t.Errorf("the list after a delete (%s) does not say the draft is gone", resp.Header.Get("Location"))
	}
	if deleted := ts.auditActions(t, "draft.delete"); len(deleted) != 1 || deleted[0].Query != "draft="+gone {
		t.Errorf("the access log's deletes %+v, want the one of %s", deleted, gone)
	}
	if resp, _ := ts.page(t, asa, "GET", "/drafts/"+gone, nil); resp.StatusCode != 404 {
		t.Errorf("a deleted draft: %d, want 404", resp.StatusCode)
	}
	ts.db.Now = func() time.Time { return time.Now().Add(15 * 24 * time.Hour) }
	defer func() { ts.db.Now = time.Now }()
	asa = ts.session(t, "physician")
	if _, page := ts.page(t, asa, "GET", "/drafts/"+old, nil); !strings.Contains(page, `id="draft-locked"`) || strings.Contains(page, `id="submit"`) {
		t.Errorf("a draft of 15 days is not locked:\n%s", page)
	}
	if resp, _ := ts.page(t, asa, "POST", "/forms/fk7810/1.0/draft", url.Values{"draft": {old}, "patient.name": {"Ny"}}); resp.StatusCode != 403 {
		t.Errorf("saving a locked draft: %d, want 403", resp.StatusCode)
	}
	before := ts.count(t)
	// Signing or reviewing a locked draft goes to its page, which says why.
	for _, path := range []string{"/forms/fk7810/1.0", "/forms/fk7810/1.0/review"} {
		if resp, _ := ts.page(t, asa, "POST", path, url.Values{"draft": {old}, "patient.name": {"Ny"}}); resp.StatusCode != 303 || resp.Header.Get("Location") != "/drafts/"+old {
			t.Errorf("POST %s with a locked draft: %d to %q, want 303 to the draft's page", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resp, _ := ts.page(t, asa, "POST", "/forms/fk7804/2.0", url.Values{"draft": {old}, "patient.name": {"Ny"}}); resp.StatusCode != 404 {
		t.Errorf("signing a draft under another template: %d, want 404", resp.StatusCode)
	}
	if n := ts.count(t); n != before {
		t.Errorf("a locked draft was signed: %d certificates, want %d", n, before)
	}
	actions := map[string]int{}
	for _, a := range []string{"draft.write", "draft.read", "draft.list"} {
		for _, e := range ts.auditActions(t, a) {
			if e.UserID != "" {
				actions[a]++
			}
		}
	}
	if actions["draft.write"] < 3 || actions["draft.read"] < 2 || actions["draft.list"] < 2 {
		t.Errorf("access log of drafts: %v", actions)
	}
}

// TestDraftAcrossSessionExpiry: in a real browser the physician writes,
// the form saves itself; the session ends on the server; she answers one
// more question and asks to review; she signs in again, comes back to the
// draft with every answer (the last one from the tab's copy), finds F32.1
// by typing "depression", and signs.
func TestDraftAcrossSessionExpiry(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	u := ts.person(t, "physician")
	ctx := browser(t)
	q := func(name string) string { return `[name="` + name + `"]` }
	var saved, suggestion, restored, receiptID, reviewURL string
	err := chromedp.Run(ctx,
		signIn(ts.URL+"/sign-in?next=/forms/fk7804/2.0", "asa"),
		chromedp.WaitVisible(`#certificate-form`),
		chromedp.SendKeys(q("patient.id"), "191212121212"),
		chromedp.SendKeys(q("patient.name"), "Tolvan Tolvansson"),
		chromedp.Click(`input[name="answers.basis"][value="FYSISKUNDERSOKNING"]`),
		chromedp.SetValue(q("answers.basis.FYSISKUNDERSOKNING.date"), "2026-11-20"),
		chromedp.Click(`input[name="answers.occupation"][value="NUVARANDE_ARBETE"]`),
		chromedp.SendKeys(q("answers.occupationDescription"), "Lärare"),
		chromedp.SendKeys(q("answers.diagnoses.0.code"), "depression"),
		chromedp.WaitReady(`datalist[id="list-answers.diagnoses.0.code"] option[value="F32.1"]`),
		chromedp.AttributeValue(`datalist[id="list-answers.diagnoses.0.code"] option[value="F32.1"]`, "label", &suggestion, nil),
		chromedp.SetValue(q("answers.diagnoses.0.code"), "F32.1"),
		chromedp.SendKeys(q("answers.diagnoses.0.description"), "Medelsvår depression"),
		chromedp.SendKeys(q("answers.functionalImpairment.text"), "Orkar inte."),
		chromedp.SendKeys(q("answers.activityLimitation.text"), "Klarar inte arbetet."),
		chromedp.SetValue(q("answers.sickLeave.100.from"), "2026-11-20"),
		chromedp.SetValue(q("answers.sickLeave.100.to"), "2026-12-03"),
		chromedp.Click(`input[name="answers.prognosis"][value="STOR_SANNOLIKHET"]`),
		chromedp.Poll(`document.getElementById("autosave-status").textContent.includes("sparades")`, nil),
		chromedp.Text(`#autosave-status`, &saved),
	)
	if err != nil {
		t.Fatalf("browser, before the session ends: %v", err)
	}
	ts.endSessions(t, u)
	err = chromedp.Run(ctx,
		chromedp.SendKeys(q("answers.measures"), "Samtal med företagshälsovården."),
		chromedp.Click(`#submit`),
		chromedp.WaitVisible(`#username`),
		chromedp.WaitVisible(`#session-expired`), // said why
		chromedp.SendKeys(`#username`, "asa"),
		chromedp.SendKeys(`#password`, testPassword),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`#certificate-form`),
		chromedp.Value(q("answers.measures"), &restored),
		chromedp.Click(`#submit`),
		chromedp.WaitVisible(`#sign, #error-summary`),
		chromedp.Location(&reviewURL),
	)
	if err != nil {
		t.Fatalf("browser, after the session ended: %v", err)
	}
	if !strings.Contains(reviewURL, "/drafts/") || !strings.HasSuffix(reviewURL, "/review") {
		t.Errorf("the review's address is %s, want its draft's review", reviewURL)
	}
	var summary string
	chromedp.Run(ctx, chromedp.Evaluate(`(document.getElementById("error-summary")||{}).innerText || ""`, &summary))
	if summary != "" {
		t.Fatalf("the review after signing in again refused the form: %s (restored measures %q)", summary, restored)
	}
	err = chromedp.Run(ctx,
		chromedp.Click(`#sign`),
		chromedp.WaitVisible(`#certificate-id`),
		chromedp.Text(`#certificate-id`, &receiptID),
	)
	if err != nil {
		t.Fatalf("browser, after the session ended: %v", err)
	}
	// A second draft, deleted from the list in the browser.
	var listed, after string
	err = chromedp.Run(ctx,
		chromedp.Navigate(ts.URL+"/forms/fk7810/1.0"),
		chromedp.WaitVisible(`#certificate-form`),
		chromedp.SendKeys(q("patient.name"), "Utkast Attta Bort"),
		chromedp.Click(`#save-draft`),
		chromedp.WaitVisible(`#draft-saved`),
		chromedp.Navigate(ts.URL+"/drafts"),
		chromedp.WaitVisible(`#drafts`),
		chromedp.Text(`#drafts`, &listed),
		chromedp.Click(`#drafts button`),
		chromedp.WaitVisible(`#no-drafts`),
		chromedp.Text(`main`, &after),
	)
	if err != nil {
		t.Fatalf("browser, deleting a draft: %v", err)
	}
	// After it, the name is only where "Ångra" says whose draft it
	// restores.
	if !strings.Contains(listed, "Utkast Attta Bort") || strings.Count(after, "Utkast Attta Bort") != strings.Count(after, "borttagningen av utkastet för Utkast Attta Bort") {
		t.Errorf("the draft list before and after deleting: %q / %q", listed, after)
	}
	// The tab's copy went with the post that the server answered: the
	// next new form is blank, after signing and after a refused review.
	blank := func(when string) {
		t.Helper()
		var id, status string
		err := chromedp.Run(ctx,
			chromedp.Navigate(ts.URL+"/forms/fk7804/2.0"),
			chromedp.WaitVisible(`#certificate-form`),
			chromedp.Value(q("patient.id"), &id),
			chromedp.Text(`#autosave-status`, &status),
		)
		if err != nil || id != "" || strings.Contains(status, "igen") {
			t.Errorf("a new form %s: patient %q, %q (%v); want it blank", when, id, status, err)
		}
	}
	blank("after signing")
	err = chromedp.Run(ctx,
		chromedp.SendKeys(q("patient.id"), "191212121212"),
		chromedp.Click(`#submit`),
		chromedp.WaitVisible(`#error-summary`),
	)
	if err != nil {
		t.Fatalf("browser, a refused review: %v", err)
	}
	blank("after a refused review")
	// Signing out drops every copy the tab keeps.
	var left int
	err = chromedp.Run(ctx,
		chromedp.SendKeys(q("patient.id"), "191212121212"),
		chromedp.Evaluate(`document.querySelector('form[action="/sign-out"] button').click()`, nil),
		chromedp.WaitVisible(`#username`),
		chromedp.Evaluate(`Object.keys(sessionStorage).filter(k => k.startsWith("intyg-unsaved:")).length`, &left),
		signIn(ts.URL+"/sign-in?next=/drafts", "asa"),
		chromedp.WaitVisible(`#drafts, #no-drafts`),
	)
	if err != nil || left != 0 {
		t.Errorf("after signing out the tab keeps %d copies (%v), want none", left, err)
	}
	if !strings.Contains(saved, "sparades") {
		t.Errorf("autosave status %q", saved)
	}
	if !strings.Contains(suggestion, "Medelsvår depressiv episod") {
		t.Errorf("the suggestion for F32.1 reads %q", suggestion)
	}
	if restored != "Samtal med företagshälsovården." {
		t.Errorf("the answer typed as the session ended came back as %q", restored)
	}
	c, err := ts.db.FindCertificateByID(context.Background(), strings.TrimSpace(receiptID))
	if err != nil {
		t.Fatal(err)
	}
	if c.Answers["measures"] != "Samtal med företagshälsovården." || c.Diagnoses[0].Code != "F32.1" || c.Answers["occupation"] == nil {
		t.Errorf("stored answers lost something: %v", c.Answers)
	}
	if !c.SignedAt.Equal(testNow()) {
		t.Errorf("signedAt = %v, want the server's clock %v", c.SignedAt, testNow())
	}
}

// TestReviewAgain: a draft's review has an address of its own, which the
// browser comes back to after signing in again; the review's post address
// leads to the drafts; and what is signed is for the unit reviewed.
func TestReviewAgain(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	physician := ts.session(t, "physician")
	_, v := exampleForm(t, "fk7804", "2.0", "valid/full-time-one-period.json")
	draft, page, _ := reviewToSign(t, ts, physician, v)
	v.Set("draftSaved", reviewedSave(t, page))
	before := len(accessEntries(t, ts, "draft.read", "197806142381"))
	if resp, page := ts.page(t, physician, "GET", "/drafts/"+draft+"/review", nil); resp.StatusCode != 200 || !strings.Contains(page, `id="sign"`) {
		t.Errorf("GET the draft's review: %d, want the review", resp.StatusCode)
	}
	if after := len(accessEntries(t, ts, "draft.read", "197806142381")); after != before+1 {
		t.Errorf("draft.read entries %d after %d, want one more", after, before)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", ts.URL+"/forms/fk7804/2.0/review", nil)
	req.AddCookie(physician)
	if resp, err := client.Do(req); err != nil || resp.StatusCode != 303 || resp.Header.Get("Location") != "/drafts" {
		t.Errorf("GET the review's post address: %v %v, want 303 to /drafts", resp, err)
	}
	// Signed for another unit than the one reviewed: refused, nothing stored.
	v.Set("draft", draft)
	v.Set("reviewedUnit", "SE2321000016-0999")
	n := ts.count(t)
	if resp, page := ts.page(t, physician, "POST", "/forms/fk7804/2.0", v); resp.StatusCode != 409 || !strings.Contains(page, "Granska det igen") || !strings.Contains(page, `name="draft" value="`+draft+`"`) {
		t.Errorf("signing for another unit than reviewed: %d, want 409 asking to review again, the draft kept", resp.StatusCode)
	}
	if ts.count(t) != n {
		t.Errorf("a certificate was stored")
	}
	// Signed, then sent again (the back button): the same certificate.
	v.Set("reviewedUnit", unit)
	var first string
	for i := range 2 {
		req, _ := http.NewRequest("POST", ts.URL+"/forms/fk7804/2.0", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(physician)
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != 303 || !strings.HasSuffix(resp.Header.Get("Location"), "?signed=1") {
			t.Fatalf("sign %d: %v %v", i+1, resp, err)
		}
		if first == "" {
			first = resp.Header.Get("Location")
		} else if resp.Header.Get("Location") != first {
			t.Errorf("signed again: to %s, want %s", resp.Header.Get("Location"), first)
		}
	}
	if ts.count(t) != n+1 {
		t.Errorf("%d certificates after signing twice, want %d", ts.count(t), n+1)
	}
	// The submission names the physician's account it came through.
	events, err := ts.db.FindCertificateEvents(context.Background(), certificateIDFrom(first))
	if err != nil || len(events) != 1 || events[0].Via != ts.person(t, "physician").ID {
		t.Errorf("events %+v (%v), want the received one via the physician's account", events, err)
	}
}

// TestHiddenQuestionHidesItsFollowUp: a draft (a renewal's, say) whose
// periods no longer make question 33 apply still holds its answer and the
// follow-up 33.2: in the browser both stay hidden and neither is sent.
func TestHiddenQuestionHidesItsFollowUp(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	u := ts.person(t, "physician")
	_, v := exampleForm(t, "fk7804", "2.0", "valid/full-time-one-period.json")
	v.Set("answers.unevenWorkingHours", "true")
	v.Set("answers.unevenWorkingHoursReason", "Kortare dagar.")
	d := &intake.Draft{UserID: u.ID, Unit: unit, Template: "fk7804", Version: "2.0", PatientName: v.Get("patient.name"), Form: v.Encode()}
	if err := ts.db.SaveDraft(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	var parentHidden, followUpHidden, followUpDisabled bool
	err := chromedp.Run(ctx,
		signIn(ts.URL+"/sign-in?next=/drafts/"+d.ID, "asa"),
		chromedp.WaitVisible(`#certificate-form`),
		chromedp.Evaluate(`document.getElementById("q-unevenWorkingHours").hidden`, &parentHidden),
		chromedp.Evaluate(`document.getElementById("q-unevenWorkingHoursReason").hidden`, &followUpHidden),
		chromedp.Evaluate(`document.querySelector('[name="answers.unevenWorkingHoursReason"]').disabled`, &followUpDisabled),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !parentHidden || !followUpHidden || !followUpDisabled {
		t.Errorf("33 hidden %v, 33.2 hidden %v and disabled %v; want all true", parentHidden, followUpHidden, followUpDisabled)
	}
}

// TestDraftsStayAtTheirUnit: a draft is written at one unit. A physician
// of two units sees at each only its drafts: at the other one the draft is
// not listed, does not open, and cannot be saved into or reviewed; back at
// its unit it is there. A unit that is disabled takes its drafts with it.
func TestDraftsStayAtTheirUnit(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ctx := context.Background()
	bo := ts.person(t, "physician-two-units")
	sessionAt := func(hsaID string) *http.Cookie {
		t.Helper()
		value, _, err := ts.db.CreateSession(ctx, bo.ID, hsaID)
		if err != nil {
			t.Fatal(err)
		}
		c := ts.session(t, "physician-two-units")
		c.Value = value
		return c
	}
	atUnit := sessionAt(unit)
	resp, _ := ts.page(t, atUnit, "POST", "/forms/fk7804/2.0/draft", infectionForm())
	if resp.StatusCode != 303 {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	draft := draftID(resp)

	atOther := sessionAt(otherUnit)
	if _, page := ts.page(t, atOther, "GET", "/drafts", nil); strings.Contains(page, "Tolvan") || strings.Contains(page, draft) || !strings.Contains(page, `id="drafts-unit"`) {
		t.Errorf("the drafts list at the other unit shows the first unit's draft, or does not say that it shows only this unit's")
	}
	if resp, page := ts.page(t, atOther, "GET", "/drafts/"+draft, nil); resp.StatusCode != 404 || !strings.Contains(page, "skrevs vid vårdenheten "+unit) {
		t.Errorf("the draft opened at the other unit: %d, want 404 saying at which unit it opens", resp.StatusCode)
	} else if !strings.Contains(page, `id="switch-unit" href="/unit?next=%2Fdrafts%2F`+draft+`"`) {
		t.Error("the draft opened at the other unit offers no way to switch units and come back to it")
	}
	if resp, _ := ts.page(t, atOther, "GET", "/drafts/"+draft+"/review", nil); resp.StatusCode != 404 {
		t.Errorf("the draft's review at the other unit: %d, want 404", resp.StatusCode)
	}
	form := infectionForm()
	form.Set("draft", draft)
	form.Set("patient.name", "Ändrad")
	if resp, _ := ts.page(t, atOther, "POST", "/forms/fk7804/2.0/draft", form); resp.StatusCode != 404 {
		t.Errorf("saving into the draft at the other unit: %d, want 404", resp.StatusCode)
	}
	if resp, _ := ts.page(t, atOther, "POST", "/drafts/"+draft+"/delete", url.Values{}); resp.StatusCode != 404 {
		t.Errorf("deleting the draft at the other unit: %d, want 404", resp.StatusCode)
	}
	if _, page := ts.page(t, atUnit, "GET", "/drafts", nil); !strings.Contains(page, "Tolvan") || !strings.Contains(page, "/drafts/"+draft) {
		t.Errorf("the draft is not listed at its own unit:\n%s", page)
	}
	if resp, page := ts.page(t, atUnit, "GET", "/drafts/"+draft, nil); resp.StatusCode != 200 || !strings.Contains(page, `value="Tolvan"`) {
		t.Errorf("the draft at its own unit: %d, or without its answers", resp.StatusCode)
	}

	if err := ts.db.SetUnitDisabled(ctx, unit, true); err != nil {
		t.Fatal(err)
	}
	atOther = sessionAt(otherUnit)
	if _, page := ts.page(t, atOther, "GET", "/drafts", nil); strings.Contains(page, "Tolvan") {
		t.Errorf("the drafts list shows a patient of the disabled unit's draft")
	}
	if resp, _ := ts.page(t, atOther, "GET", "/drafts/"+draft, nil); resp.StatusCode != 404 {
		t.Errorf("the disabled unit's draft opened: %d, want 404", resp.StatusCode)
	}
}

// TestDraftListLogsEveryDraftShown: the list of drafts shows a draft's
// patient by name even when the identity number typed is not (yet) a
// valid one; every draft shown is in the access log, by its id, with its
// patient when the number is valid.
func TestDraftListLogsEveryDraftShown(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	asa := ts.session(t, "physician")
	drafts := map[string]string{} // patient id typed → draft
	for _, pid := range []string{"191212121212", "191212121213"} {
		form := infectionForm()
		form.Set("patient.id", pid)
		form.Set("patient.name", "Patient "+pid)
		resp, body := ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", form)
		if resp.StatusCode != 303 {
			t.Fatalf("save %s: %d\n%s", pid, resp.StatusCode, body)
		}
		drafts[pid] = draftID(resp)
	}
	if resp, page := ts.page(t, asa, "GET", "/drafts", nil); resp.StatusCode != 200 || !strings.Contains(page, "Patient 191212121213") {
		t.Fatalf("the list lacks the second draft: %d\n%s", resp.StatusCode, page)
	}
	logged := map[string]string{} // draft → patient id logged
	for _, e := range ts.auditActions(t, "draft.list") {
		logged[strings.TrimPrefix(e.Query, "draft=")] = e.PatientID
	}
	if p, ok := logged[drafts["191212121212"]]; !ok || p != "191212121212" {
		t.Errorf("the draft with a valid number: logged %v with patient %q", ok, p)
	}
	if p, ok := logged[drafts["191212121213"]]; !ok || p != "" {
		t.Errorf("the draft whose number has a typo: logged %v with patient %q, want logged by its id", ok, p)
	}
}

// TestDraftSavedInAnotherTab: a draft open in two tabs (or windows) is
// saved from one; the other's save, by itself or with "Spara utkast" or
// "Granska och signera", is refused, saying why, and the first tab's
// answers stand. In the browser the second tab says so and saves no more.
func TestDraftSavedInAnotherTab(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	asa := ts.session(t, "physician")
	resp, _ := ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", infectionForm())
	draft := draftID(resp)
	_, page := ts.page(t, asa, "GET", "/drafts/"+draft, nil)
	m := regexp.MustCompile(`name="draftSaved" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the draft's form does not say which save it shows:\n%s", page)
	}
	tab := func(name string) url.Values {
		v := infectionForm()
		v.Set("draft", draft)
		v.Set("draftSaved", m[1])
		v.Set("patient.name", name)
		return v
	}
	if resp, _ := ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", tab("Tolvan A")); resp.StatusCode != 303 {
		t.Fatalf("the first tab's save: %d", resp.StatusCode)
	}
	for _, path := range []string{"/forms/fk7804/2.0/draft", "/forms/fk7804/2.0/review"} {
		resp, page := ts.page(t, asa, "POST", path, tab("Tolvan B"))
		if resp.StatusCode != 409 || !strings.Contains(page, "sparats i en annan flik") {
			t.Errorf("POST %s from the second tab: %d, want 409 saying the draft was saved elsewhere", path, resp.StatusCode)
		}
		// The review or save refused (a browser without JavaScript's
		// "Spara utkast") keeps the tab's answers in sight, on the form,
		// still over the save the tab knew (a save from it stays
		// refused).
		if !strings.Contains(page, `id="certificate-form"`) || !strings.Contains(page, `value="Tolvan B"`) || !strings.Contains(page, `name="draftSaved" value="`+m[1]+`"`) {
			t.Errorf("the second tab's refused POST %s does not keep its answers on the form:\n%s", path, page)
		}
	}
	if form := draftForm(t, ts, draft); !strings.Contains(form, "Tolvan+A") {
		t.Errorf("the draft after the second tab's saves: %s, want the first tab's answers", form)
	}
	bad := tab("Tolvan C")
	bad.Set("draftSaved", "igår")
	if resp, _ := ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", bad); resp.StatusCode != 400 {
		t.Errorf("a save naming no time as its base: %d, want 400", resp.StatusCode)
	}

	// In the browser: tab A adds a measure and saves by itself; tab B,
	// opened before, changes the occupation and is refused.
	_, page = ts.page(t, asa, "GET", "/drafts/"+draft, nil)
	a := browser(t)
	if err := chromedp.Run(a, signIn(ts.URL+"/sign-in?next=/drafts/"+draft, "asa"), chromedp.WaitVisible(`#certificate-form`)); err != nil {
		t.Fatal(err)
	}
	b, cancel := chromedp.NewContext(a) // a second tab of the same browser and session
	defer cancel()
	if err := chromedp.Run(b, chromedp.Navigate(ts.URL+"/drafts/"+draft), chromedp.WaitVisible(`#certificate-form`)); err != nil {
		t.Fatal(err)
	}
	clear := chromedp.Evaluate(`document.getElementById("autosave-status").textContent = ""`, nil)
	// The tab in front: a background tab's timers (the save's) may wait.
	front := chromedp.ActionFunc(func(ctx context.Context) error {
		return target.ActivateTarget(chromedp.FromContext(ctx).Target.TargetID).Do(ctx)
	})
	if err := chromedp.Run(a, front, clear, typeName(" Andersson"),
		chromedp.Poll(`document.getElementById("autosave-status").textContent.includes("sparades")`, nil, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("tab A: %v", err)
	}
	var said string
	if err := chromedp.Run(b, front, clear, typeName(" Berg"),
		chromedp.Poll(`document.getElementById("autosave-status").textContent !== ""`, nil, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Text(`#autosave-status`, &said)); err != nil {
		t.Fatalf("tab B: %v", err)
	}
	if want := intake.Text("lifecycle.draftChanged", "sv"); said != want {
		t.Errorf("tab B says %q, want the catalogue's %q", said, want)
	}
	if form := draftForm(t, ts, draft); !strings.Contains(form, "Andersson") || strings.Contains(form, "Berg") {
		t.Errorf("the draft after both tabs: %s, want tab A's answers only", form)
	}
	// Tab A goes on saving.
	if err := chromedp.Run(a, front, clear, typeName(" Ek"),
		chromedp.Poll(`document.getElementById("autosave-status").textContent.includes("sparades")`, nil, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("tab A again: %v", err)
	}
	if form := draftForm(t, ts, draft); !strings.Contains(form, "Andersson+Ek") {
		t.Errorf("tab A's second save: %s", form)
	}
}

// TestDraftSignedElsewhereInBrowser: a tab still open on a draft signed
// elsewhere says so in the server's words (the catalogue's, in Swedish
// whatever the browser's language), not in a copy of its own.
func TestDraftSignedElsewhereInBrowser(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	physician := ts.session(t, "physician")
	_, v := exampleForm(t, "fk7804", "2.0", "valid/full-time-one-period.json")
	draft, _, sign := reviewToSign(t, ts, physician, v)
	ctx := browser(t)
	if err := chromedp.Run(ctx, signIn(ts.URL+"/sign-in?next=/drafts/"+draft, "asa"), chromedp.WaitVisible(`#certificate-form`)); err != nil {
		t.Fatal(err)
	}
	if resp, _ := ts.page(t, physician, "POST", "/forms/fk7804/2.0", sign); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign: %d", resp.StatusCode)
	}
	var said string
	if err := chromedp.Run(ctx,
		chromedp.Evaluate(`document.getElementById("autosave-status").textContent = ""`, nil),
		typeName(" Berg"),
		chromedp.Poll(`document.getElementById("autosave-status").textContent !== ""`, nil, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Text(`#autosave-status`, &said)); err != nil {
		t.Fatal(err)
	}
	if want := intake.Text("lifecycle.draftSigned", "sv"); said != want {
		t.Errorf("the tab says %q, want the catalogue's %q", said, want)
	}
}

// TestDraftFromBackForwardCache: a draft's form that the browser brings
// back from its back/forward cache (a pageshow event that says the page
// persisted) opens the draft again, at the draft's address even where the
// form was shown at a review's (whose reload would post again), so that
// it shows and names the save made since it was left, and the
// physician's next change is saved over that one, not refused as if
// another tab had saved. The cache itself cannot be driven here (the
// pages are no-store, which Chromium mostly leaves out), so the test
// sends the event it would.
func TestDraftFromBackForwardCache(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	asa := ts.session(t, "physician")
	resp, _ := ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", infectionForm())
	draft := draftID(resp)
	saved := regexp.MustCompile(`name="draftSaved" value="([^"]+)"`)
	ctx := browser(t)
	var before string
	if err := chromedp.Run(ctx, signIn(ts.URL+"/sign-in?next=/drafts/"+draft, "asa"), chromedp.WaitVisible(`#certificate-form`),
		chromedp.Value(`input[name="draftSaved"]`, &before, chromedp.ByQuery),
		chromedp.Evaluate(`window.leftAt = "the old page"; history.replaceState(null, "", "/forms/fk7804/2.0/review")`, nil)); err != nil {
		t.Fatal(err)
	}
	// While the tab is away, the draft is saved elsewhere.
	_, page := ts.page(t, asa, "GET", "/drafts/"+draft, nil)
	m := saved.FindStringSubmatch(page)
	if m == nil || m[1] != before {
		t.Fatalf("the draft's form names save %v, the tab %q", m, before)
	}
	v := infectionForm()
	v.Set("draft", draft)
	v.Set("draftSaved", m[1])
	v.Set("patient.name", "Tolvan Elsewhere")
	if resp, _ := ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", v); resp.StatusCode != 303 {
		t.Fatalf("the save elsewhere: %d", resp.StatusCode)
	}
	_, page = ts.page(t, asa, "GET", "/drafts/"+draft, nil)
	latest := saved.FindStringSubmatch(page)[1]

	var after, name, path string
	var old bool
	if err := chromedp.Run(ctx,
		// After this evaluation has returned: a reload ends its context.
		chromedp.Evaluate(`setTimeout(() => window.dispatchEvent(new PageTransitionEvent("pageshow", {persisted: true})), 50)`, nil),
		chromedp.Sleep(time.Second),
		chromedp.WaitVisible(`#certificate-form`),
		chromedp.Evaluate(`window.leftAt !== undefined`, &old),
		chromedp.Evaluate(`location.pathname`, &path),
		chromedp.Value(`input[name="draftSaved"]`, &after, chromedp.ByQuery),
		chromedp.Value(`input[name="patient.name"]`, &name, chromedp.ByQuery)); err != nil {
		t.Fatalf("the page brought back: %v", err)
	}
	if old || after != latest || name != "Tolvan Elsewhere" || path != "/drafts/"+draft {
		t.Errorf("the page brought back is at %s, names save %q and shows %q (old page kept: %v), want /drafts/%s, save %q and the answers saved since", path, after, name, old, draft, latest)
	}
	var said string
	if err := chromedp.Run(ctx,
		chromedp.Evaluate(`document.getElementById("autosave-status").textContent = ""`, nil),
		typeName(" Back"),
		chromedp.Poll(`document.getElementById("autosave-status").textContent !== ""`, nil, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Text(`#autosave-status`, &said)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(said, "sparades") || !strings.Contains(draftForm(t, ts, draft), "Tolvan+Elsewhere+Back") {
		t.Errorf("the change after coming back: the tab says %q, the draft %s; want it saved over the save made elsewhere", said, draftForm(t, ts, draft))
	}
}

// TestDraftSlowSave: a save whose answer is slow (here 4 s) is not
// overtaken by the next: the tab sends the next once it knows the save it
// is made over, so that it is not refused as if another tab had saved.
func TestDraftSlowSave(t *testing.T) {
	ts, draft, ctx := draftInBrowser(t)
	var said string
	if err := chromedp.Run(ctx,
		// The server has each save at once, the tab its answer 4 s later.
		chromedp.Evaluate(`(function(){const f = window.fetch; window.fetch = function(){ return f.apply(this, arguments).then(r => new Promise(res => setTimeout(() => res(r), 4000))); };})()`, nil),
		typeName(" Andersson"), chromedp.Sleep(3500*time.Millisecond), typeName(" Berg"),
	); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(draftForm(t, ts, draft), "Berg") && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	chromedp.Run(ctx, chromedp.Sleep(4500*time.Millisecond), chromedp.Text(`#autosave-status`, &said))
	if strings.Contains(said, "annan flik") || !strings.Contains(draftForm(t, ts, draft), "Andersson+Berg") {
		t.Errorf("one tab with slow answers says %q, the draft %s; want both changes saved", said, draftForm(t, ts, draft))
	}
}

// TestDraftSavedOnLeaving: what is typed in the seconds before the
// physician leaves the form for another page, or signs out, is saved, not
// only kept in a copy the sign-out drops: leaving sends the save as the
// page goes (keepalive), and signing out waits for the save's answer.
func TestDraftSavedOnLeaving(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	asa := ts.session(t, "physician")
	resp, _ := ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", infectionForm())
	draft := draftID(resp)
	saved := func(want string) {
		t.Helper()
		for range 50 {
			if strings.Contains(draftForm(t, ts, draft), want) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("the draft is %s, want %q in it", draftForm(t, ts, draft), want)
	}
	ctx := browser(t)
	if err := chromedp.Run(ctx, signIn(ts.URL+"/sign-in?next=/drafts/"+draft, "asa"), chromedp.WaitVisible(`#certificate-form`),
		typeName(" Left"),
		chromedp.Navigate(ts.URL+"/drafts"), chromedp.WaitVisible(`#drafts`)); err != nil {
		t.Fatal(err)
	}
	saved("Tolvan+Left")
	if err := chromedp.Run(ctx, chromedp.Navigate(ts.URL+"/drafts/"+draft), chromedp.WaitVisible(`#certificate-form`),
		typeName(" SignedOut"),
		chromedp.Click(`form[action="/sign-out"] button`), chromedp.WaitVisible(`#username`)); err != nil {
		t.Fatal(err)
	}
	saved("Tolvan+Left+SignedOut")

	// A save that fails (the session has ended elsewhere) holds the
	// sign-out once and says so; signing out again goes.
	var said string
	if err := chromedp.Run(ctx, signIn(ts.URL+"/sign-in?next=/drafts/"+draft, "asa"), chromedp.WaitVisible(`#certificate-form`)); err != nil {
		t.Fatal(err)
	}
	asaUser := ts.person(t, "physician")
	ts.endSessions(t, asaUser)
	if err := chromedp.Run(ctx, typeName(" Held"),
		chromedp.Click(`form[action="/sign-out"] button`),
		chromedp.Poll(`document.getElementById("autosave-status").textContent.includes("loggades inte ut")`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Text(`#autosave-status`, &said),
		chromedp.Click(`form[action="/sign-out"] button`), chromedp.WaitVisible(`#username`)); err != nil {
		t.Fatalf("sign-out after a failed save: %v (the page said %q)", err, said)
	}

	// Leaving a form never saved makes no draft of its own: the tab's copy
	// fills in the next new form, which makes the one draft.
	drafts := func() int {
		t.Helper()
		ds, err := ts.db.FindDrafts(context.Background(), asaUser.ID, asaUser.Units[0])
		if err != nil {
			t.Fatal(err)
		}
		return len(ds)
	}
	before := drafts()
	if err := chromedp.Run(ctx, signIn(ts.URL+"/sign-in?next=/forms/fk7804/2.0", "asa"), chromedp.WaitVisible(`#certificate-form`),
		chromedp.SendKeys(`[name="patient.name"]`, "Ny Patient"),
		chromedp.Navigate(ts.URL+"/drafts"), chromedp.WaitVisible(`#drafts`),
		chromedp.Navigate(ts.URL+"/forms/fk7804/2.0"), chromedp.WaitVisible(`#certificate-form`),
		chromedp.Poll(`document.getElementById("autosave-status").textContent.includes("sparades")`, nil, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatal(err)
	}
	if n := drafts(); n != before+1 {
		t.Errorf("%d drafts after leaving a new form and opening one again, want %d", n, before+1)
	}
}

// TestSignOutWaitsForTheSaveOnItsWay: clicking "Logga ut" again while the
// first click's save is on its way waits with the first click, rather
// than signing out past the save (which would end the session before the
// save arrived, and lose what was typed). The browser holds the save
// (the DevTools protocol's Fetch domain) until the second click is in.
func TestSignOutWaitsForTheSaveOnItsWay(t *testing.T) {
	ts, draft, ctx := draftInBrowser(t)
	if err := chromedp.Run(ctx, typeName(" Waited")); err != nil {
		t.Fatal(err)
	}
	// Hold the draft's save; let every other request through.
	saves := make(chan fetch.RequestID, 4)
	chromedp.ListenTarget(ctx, func(ev any) {
		e, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		if e.Request.Method == "POST" && strings.HasSuffix(e.Request.URL, "/forms/fk7804/2.0/draft") {
			saves <- e.RequestID
			return
		}
		go chromedp.Run(ctx, fetch.ContinueRequest(e.RequestID))
	})
	if err := chromedp.Run(ctx, fetch.Enable(), chromedp.Click(`form[action="/sign-out"] button`)); err != nil {
		t.Fatal(err)
	}
	var held fetch.RequestID
	select {
	case held = <-saves:
	case <-time.After(10 * time.Second):
		t.Fatal("signing out sent no save of what was typed")
	}
	var form bool
	if err := chromedp.Run(ctx, chromedp.Click(`form[action="/sign-out"] button`), chromedp.Sleep(time.Second),
		chromedp.Evaluate(`document.getElementById("certificate-form") !== null`, &form)); err != nil {
		t.Fatal(err)
	}
	if !form {
		t.Error("a second click on Logga ut while the save was on its way left the form before the save's answer")
	}
	if err := chromedp.Run(ctx, fetch.ContinueRequest(held), chromedp.WaitVisible(`#username`)); err != nil {
		t.Fatalf("signing out once the save came back: %v", err)
	}
	if got := draftForm(t, ts, draft); !strings.Contains(got, "Tolvan+Waited") {
		t.Errorf("the draft is %s, want what was typed before signing out in it", got)
	}
}

// draftID is the id of the draft a form's save redirects to.
func draftID(resp *http.Response) string {
	path, _, _ := strings.Cut(resp.Header.Get("Location"), "?")
	return strings.TrimPrefix(path, "/drafts/")
}

// typeName adds text to the form's patient name as typing does, with the
// input event the drafts script listens for.
func typeName(text string) chromedp.Action {
	return chromedp.Evaluate(`(function(){const e=document.querySelector('[name="patient.name"]'); e.value += "`+text+`"; e.dispatchEvent(new Event("input", {bubbles: true}));})()`, nil)
}

// draftInBrowser saves a draft as the physician asa and opens it in
// Chromium, signed in as asa.
func draftInBrowser(t *testing.T) (*testServer, string, context.Context) {
	t.Helper()
	ts := newTestServer(t, store.SQLite)
	resp, _ := ts.page(t, ts.session(t, "physician"), "POST", "/forms/fk7804/2.0/draft", infectionForm())
	draft := draftID(resp)
	ctx := browser(t)
	if err := chromedp.Run(ctx, signIn(ts.URL+"/sign-in?next=/drafts/"+draft, "asa"), chromedp.WaitVisible(`#certificate-form`)); err != nil {
		t.Fatal(err)
	}
	return ts, draft, ctx
}

// TestTwoTabsSignOneSave: a draft's save signed in two tabs at once (each
// past the check that the draft is not yet signed before either marked
// it) is one certificate, which both tabs are shown.
func TestTwoTabsSignOneSave(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	physician := ts.session(t, "physician")
	for round := range 5 {
		_, v := exampleForm(t, "fk7804", "2.0", "valid/full-time-one-period.json")
		_, _, sign := reviewToSign(t, ts, physician, v)
		before := ts.count(t)
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			where [2]string
			errs  [2]error
		)
		for tab := range 2 {
			form := maps.Clone(sign)
			form.Set("submission", fmt.Sprintf("tab-%d-%d", round, tab)) // each tab's review has its own
			wg.Go(func() {
				req := ts.pageRequest(physician, "POST", "/forms/fk7804/2.0", form)
				<-start
				resp, err := noRedirect.Do(req)
				if err != nil {
					errs[tab] = err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusSeeOther {
					errs[tab] = fmt.Errorf("sign: %d", resp.StatusCode)
				}
				where[tab] = resp.Header.Get("Location")
			})
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs[:]...); err != nil {
			t.Fatal(err)
		}
		if n := ts.count(t) - before; n != 1 || where[0] != where[1] || !strings.HasPrefix(where[0], "/certificates/") {
			t.Fatalf("round %d: two tabs signing one save stored %d certificates and went to %q and %q, want one, shown to both", round, n, where[0], where[1])
		}
	}
}

// reviewedSave is the save of the draft that a review page shows, as its
// sign form posts it (draftSaved): signing names it, so that a draft saved
// since the review is not signed as reviewed.
// reviewToSign posts fk7804 form values v for review as physician, and
// returns the draft the review saved, the review page, and v as the
// review's sign form sends it (the draft, the save it shows, the unit).
func reviewToSign(t *testing.T, ts *testServer, physician *http.Cookie, v url.Values) (draft, review string, sign url.Values) {
	t.Helper()
	resp, review := ts.page(t, physician, "POST", "/forms/fk7804/2.0/review", v)
	m := regexp.MustCompile(`data-review-url="/drafts/([^/"]+)/review"`).FindStringSubmatch(review)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("review: %d, want 200 with the draft's review address", resp.StatusCode)
	}
	sign = maps.Clone(v)
	sign.Set("draft", m[1])
	sign.Set("draftSaved", reviewedSave(t, review))
	sign.Set("reviewedUnit", "SE2321000016-7P0C")
	return m[1], review, sign
}

func reviewedSave(t *testing.T, review string) string {
	t.Helper()
	_, form, ok := strings.Cut(review, `id="sign-form"`)
	m := regexp.MustCompile(`name="draftSaved" value="([^"]+)"`).FindStringSubmatch(form)
	if !ok || m == nil {
		t.Fatalf("the review has no sign form naming its save:\n%s", review)
	}
	return m[1]
}

// TestPatientErrorsBesideTheirInputs: a form sent with neither the
// patient's id nor name is refused with a message beside each input (and
// in the summary), not one at the patient as a whole, which no input
// showed.
func TestPatientErrorsBesideTheirInputs(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	asa := ts.session(t, "physician")
	_, form := exampleForm(t, "fk7804", "2.0", "valid/full-time-one-period.json")
	form.Del("patient.id")
	form.Del("patient.name")
	resp, body := ts.page(t, asa, "POST", "/forms/fk7804/2.0/review", form)
	if resp.StatusCode != 422 || !strings.Contains(body, "Formuläret har 2 fel") {
		t.Fatalf("review without a patient: %d, want the form with 2 errors", resp.StatusCode)
	}
	for _, name := range []string{"patient.id", "patient.name"} {
		if !strings.Contains(body, `aria-describedby="err-`+name+`"`) || !strings.Contains(body, `id="err-`+name+`"`) || !strings.Contains(body, `href="#q-`+name+`"`) {
			t.Errorf("no message beside %s, or none in the summary linking to it:\n%s", name, body)
		}
	}
}

// TestTextKeptAsTypedFromItsFirstLine: a text that begins with a line
// break (pasted from the journal) comes back with it, on the saved draft
// and on the form refused: the HTML parser drops one line break right
// after <textarea>, so the page must write one before the value.
func TestTextKeptAsTypedFromItsFirstLine(t *testing.T) {
	ts, draft, ctx := draftInBrowser(t)
	typed := "\n  Första raden är tom.\n  Åäö ✓  "
	form := infectionForm()
	form.Set("draft", draft)
	form.Set("answers.otherInformation", typed)
	if resp, _ := ts.page(t, ts.session(t, "physician"), "POST", "/forms/fk7804/2.0/draft", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d, want 303", resp.StatusCode)
	}
	text := `document.querySelector('[name="answers.otherInformation"]').value`
	var resumed, refused string
	err := chromedp.Run(ctx,
		chromedp.Navigate(ts.URL+"/drafts/"+draft),
		chromedp.WaitVisible(`#certificate-form`),
		chromedp.Evaluate(text, &resumed),
		chromedp.Evaluate(`document.querySelector('[name="patient.name"]').value = ""`, nil),
		chromedp.Click(`#submit`),
		chromedp.WaitVisible(`#error-summary`),
		chromedp.Evaluate(text, &refused),
	)
	if err != nil {
		t.Fatal(err)
	}
	if resumed != typed || refused != typed {
		t.Errorf("the draft opened again shows %q, the form refused %q, want %q both", resumed, refused, typed)
	}
}

// TestDraftDeletedInAnotherTab: a tab still open on a draft deleted in
// another tab ("Ta bort" on Mina utkast) saves its answers as a new draft,
// by "Spara utkast", by the script's save and by "Granska och signera",
// carries on under its id and says so; another physician's deleted draft
// stays not found.
func TestDraftDeletedInAnotherTab(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	asa, bo := ts.session(t, "physician"), ts.session(t, "physician-two-units")
	deleted := func() string {
		resp, _ := ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", infectionForm())
		id := draftID(resp)
		if resp, _ := ts.page(t, asa, "POST", "/drafts/"+id+"/delete", url.Values{}); resp.StatusCode != 303 {
			t.Fatalf("delete: %d", resp.StatusCode)
		}
		return id
	}
	tab := func(id, name string) url.Values {
		v := infectionForm()
		v.Set("draft", id)
		v.Set("patient.name", name)
		return v
	}
	const said = `id="draft-recreated"`
	recreated := intake.Text("lifecycle.draftRecreated", "sv")

	// "Spara utkast" without JavaScript.
	gone := deleted()
	if resp, _ := ts.page(t, bo, "POST", "/forms/fk7804/2.0/draft", tab(gone, "Bo")); resp.StatusCode != 404 {
		t.Errorf("another physician saves the deleted draft: %d, want 404", resp.StatusCode)
	}
	resp, _ := ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", tab(gone, "Tolvan Spara"))
	if resp.StatusCode != 303 || draftID(resp) == gone {
		t.Fatalf("saving the deleted draft: %d to %s, want 303 to a new draft", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, page := ts.page(t, asa, "GET", resp.Header.Get("Location"), nil); !strings.Contains(page, said) || !strings.Contains(page, recreated) ||
		!strings.Contains(page, `value="Tolvan Spara"`) || !strings.Contains(page, `name="draft" value="`+draftID(resp)+`"`) {
		t.Errorf("the new draft's page does not say it is new, or lacks its answers:\n%s", page)
	}

	// The script's save.
	gone = deleted()
	req := ts.pageRequest(asa, "POST", "/forms/fk7804/2.0/draft", tab(gone, "Tolvan Skript"))
	req.Header.Set("Accept", "application/json")
	resp, body := ts.sendPage(t, req)
	var saved struct{ ID, URL, Notice string }
	if err := json.Unmarshal([]byte(body), &saved); resp.StatusCode != 200 || err != nil || saved.ID == gone || saved.URL != "/drafts/"+saved.ID || saved.Notice != recreated {
		t.Errorf("the script's save of the deleted draft: %d %s, want a new draft and the notice", resp.StatusCode, body)
	} else if form := draftForm(t, ts, saved.ID); !strings.Contains(form, "Tolvan+Skript") {
		t.Errorf("the new draft holds %s", form)
	}

	// "Granska och signera".
	gone = deleted()
	resp, review := ts.page(t, asa, "POST", "/forms/fk7804/2.0/review", tab(gone, "Tolvan Granska"))
	if resp.StatusCode != 200 || !strings.Contains(review, said) || !strings.Contains(review, `id="sign"`) || strings.Contains(review, gone) {
		t.Errorf("reviewing the deleted draft: %d, want the review of a new draft that says so:\n%s", resp.StatusCode, review)
	}
	if _, err := ts.db.FindDraft(context.Background(), gone); intake.ErrorCode(err) != intake.ENOTFOUND {
		t.Errorf("the deleted draft: %v, want still deleted", err)
	}
}

// TestDraftDeletedInTwoTabs: two tabs still open on a draft deleted in a
// third save at once, one by "Spara utkast" and one by the script: their
// answers go into one new draft, and each is told that the draft is a
// new one. "Ångra" on the deleted draft then goes to that draft and says
// why, rather than restore a second copy; the access log then has the
// read of that draft, with its patient, and no restore (nothing was
// restored), on either database. Before, each tab made a draft, and
// "Ångra" a third.
func TestDraftDeletedInTwoTabs(t *testing.T) {
	for _, driver := range []string{store.SQLite, store.Postgres} {
		t.Run(driver, func(t *testing.T) {
			ts := newTestServer(t, driver)
			asa := ts.session(t, "physician")
			gone, tab := deletedDraftTab(t, ts, asa)
			recreated := intake.Text("lifecycle.draftRecreated", "sv")
			var form *http.Response
			var script struct{ ID, URL, Notice string }
			var scriptStatus int
			var wg sync.WaitGroup
			wg.Go(func() { form, _ = ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", tab("Tolvan Ett")) })
			wg.Go(func() {
				req := ts.pageRequest(asa, "POST", "/forms/fk7804/2.0/draft", tab("Tolvan Två"))
				req.Header.Set("Accept", "application/json")
				resp, body := ts.sendPage(t, req)
				scriptStatus = resp.StatusCode
				json.Unmarshal([]byte(body), &script)
			})
			wg.Wait()
			made := draftID(form)
			if form.StatusCode != 303 || made == gone || !strings.Contains(form.Header.Get("Location"), "recreated=1") {
				t.Fatalf("the first tab's save: %d to %q, want 303 to a new draft that says so", form.StatusCode, form.Header.Get("Location"))
			}
			if scriptStatus != 200 || script.ID != made || script.Notice != recreated {
				t.Errorf("the second tab's save: %d %+v, want the draft %s and the notice", scriptStatus, script, made)
			}
			links := regexp.MustCompile(`<a href="/drafts/([^"?]+)"`)
			listed := func() []string {
				_, list := ts.page(t, asa, "GET", "/drafts", nil)
				var ids []string
				for _, m := range links.FindAllStringSubmatch(list, -1) {
					ids = append(ids, m[1])
				}
				return ids
			}
			if ids := listed(); len(ids) != 1 || ids[0] != made {
				t.Errorf("Mina utkast after both saves: %q, want the one new draft %s", ids, made)
			}

			logged := ts.auditSince(t)
			resp, _ := ts.page(t, asa, "POST", "/drafts/"+gone+"/restore", url.Values{})
			if resp.StatusCode != 303 || resp.Header.Get("Location") != "/drafts/"+made+"?savedAnew=1" {
				t.Fatalf("Ångra on the draft saved anew: %d to %q, want 303 to the new draft", resp.StatusCode, resp.Header.Get("Location"))
			}
			// Nothing is restored, nor shown, by Ångra: the access log has
			// no restore of the deleted draft.
			if got := logged(); len(got) != 0 {
				t.Errorf("the access log's entries from Ångra: %q, want none", got)
			}
			resp, page := ts.page(t, asa, "GET", resp.Header.Get("Location"), nil)
			if resp.StatusCode != 200 || !strings.Contains(page, `id="draft-recreated"`) || !strings.Contains(page, intake.Text("lifecycle.draftSavedAnew", "sv")) ||
				!strings.Contains(page, `name="draft" value="`+made+`"`) {
				t.Errorf("the new draft after Ångra: %d, does not say why it is shown, or is not the draft:\n%s", resp.StatusCode, page)
			}
			// The draft shown is read, with its patient.
			if got, want := logged(), []string{"draft.read draft=" + made + " 191212121212"}; !slices.Equal(got, want) {
				t.Errorf("the access log's entries from the page Ångra leads to: %q, want %q", got, want)
			}
			if ids := listed(); len(ids) != 1 || ids[0] != made {
				t.Errorf("Mina utkast after Ångra: %q, want the one new draft %s", ids, made)
			}
			if _, err := ts.db.FindDraft(context.Background(), gone); intake.ErrorCode(err) != intake.ENOTFOUND {
				t.Errorf("the deleted draft after Ångra: %v, want still deleted", err)
			}
		})
	}
}

// TestDraftSavedAnewSavedSince: a tab still open on a deleted draft whose
// answers another tab saved as a new draft, and saved again since, is
// refused (draftChanged) rather than write over that work; its refusal
// names the new draft and links to it, as the deleted draft's own page is
// gone (404): the form post's page and the page script's JSON, which
// keeps the problem document's fields. The tab's answers stay on the
// form. On either database.
func TestDraftSavedAnewSavedSince(t *testing.T) {
	for _, driver := range []string{store.SQLite, store.Postgres} {
		t.Run(driver, func(t *testing.T) {
			ts := newTestServer(t, driver)
			asa := ts.session(t, "physician")
			gone, tab := deletedDraftTab(t, ts, asa)
			resp, _ := ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", tab("Tolvan A"))
			made := draftID(resp)
			if resp.StatusCode != 303 || made == gone {
				t.Fatalf("tab A's save of the deleted draft: %d to %q, want a new draft", resp.StatusCode, resp.Header.Get("Location"))
			}
			again := infectionForm()
			again.Set("draft", made)
			again.Set("patient.name", "Tolvan A Andersson")
			if resp, _ := ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", again); resp.StatusCode != 303 {
				t.Fatalf("tab A's next save: %d", resp.StatusCode)
			}
			if resp, _ := ts.page(t, asa, "GET", "/drafts/"+gone, nil); resp.StatusCode != 404 {
				t.Fatalf("the deleted draft's page: %d, want 404 (no way on)", resp.StatusCode)
			}

			said := intake.Text("lifecycle.draftChangedSavedAs", "sv")
			link := `<a href="/drafts/` + made + `">`
			for _, path := range []string{"/forms/fk7804/2.0/draft", "/forms/fk7804/2.0/review"} {
				resp, page := ts.page(t, asa, "POST", path, tab("Tolvan B"))
				if resp.StatusCode != 409 || !strings.Contains(page, said) || !strings.Contains(page, `id="draft-saved-as"`) || !strings.Contains(page, link) {
					t.Errorf("POST %s from tab B: %d, want 409 saying the answers are in the new draft and linking to it:\n%s", path, resp.StatusCode, page)
				}
				if !strings.Contains(page, `id="certificate-form"`) || !strings.Contains(page, `value="Tolvan B"`) {
					t.Errorf("POST %s from tab B does not keep its answers on the form:\n%s", path, page)
				}
			}

			req := ts.pageRequest(asa, "POST", "/forms/fk7804/2.0/draft", tab("Tolvan B"))
			req.Header.Set("Accept", "application/json")
			resp, body := ts.sendPage(t, req)
			var got map[string]any
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("the script's refused save: %v\n%s", err, body)
			}
			want := map[string]any{
				"type": "https://intyg.se/problems/conflict", "title": "Conflict", "status": float64(409), "detail": said, "code": "draftChanged",
				"errors": []any{map[string]any{"pointer": "", "code": "draftChanged", "message": said}},
				"draft":  made, "url": "/drafts/" + made, "notice": said,
			}
			if resp.StatusCode != 409 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("the script's refused save: %d %s, want 409 problem+json", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the script's refused save mismatch (-want +got):\n%s", diff)
			}
			if form := draftForm(t, ts, made); !strings.Contains(form, "Tolvan+A+Andersson") {
				t.Errorf("the new draft after tab B's refused saves: %s, want tab A's answers", form)
			}
		})
	}
}

// TestDraftSavedAnewSavedSinceInBrowser: the page script's save of a
// deleted draft whose answers are in a new draft saved since says so and
// links to that draft, keeping what was typed in the tab.
func TestDraftSavedAnewSavedSinceInBrowser(t *testing.T) {
	ts, draft, ctx := draftInBrowser(t)
	asa := ts.session(t, "physician")
	opened, err := ts.db.FindDraft(context.Background(), draft)
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := ts.page(t, asa, "POST", "/drafts/"+draft+"/delete", url.Values{}); resp.StatusCode != 303 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	other := infectionForm() // another tab, open on the draft too
	other.Set("draft", draft)
	other.Set("draftSaved", opened.UpdatedAt.Format(time.RFC3339Nano))
	resp, _ := ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", other)
	made := draftID(resp)
	other.Set("draft", made)
	other.Del("draftSaved")
	other.Set("patient.name", "Tolvan Ek")
	if resp, _ := ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", other); resp.StatusCode != 303 || made == draft {
		t.Fatalf("the other tab's saves: %d, new draft %q", resp.StatusCode, made)
	}
	var said, href, name string
	if err := chromedp.Run(ctx, typeName(" Andersson"),
		chromedp.Poll(`document.getElementById("autosave-status").textContent.includes("nytt utkast")`, nil, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Text(`#autosave-status`, &said),
		chromedp.Evaluate(`(document.querySelector('#autosave-status a#draft-saved-as') || {}).pathname || ""`, &href),
		chromedp.Evaluate(`document.querySelector('[name="patient.name"]').value`, &name)); err != nil {
		t.Fatalf("the refused save: %v (the tab says %q)", err, said)
	}
	if !strings.HasPrefix(said, intake.Text("lifecycle.draftChangedSavedAs", "sv")) || href != "/drafts/"+made {
		t.Errorf("the tab says %q and links to %q, want that the answers are in the new draft and a link to /drafts/%s", said, href, made)
	}
	if name != "Tolvan Andersson" {
		t.Errorf("the tab's name after the refusal: %q, want what was typed", name)
	}
	if form := draftForm(t, ts, made); !strings.Contains(form, "Tolvan+Ek") {
		t.Errorf("the new draft after the refused save: %s, want the other tab's answers", form)
	}
}

// TestDraftDeletedInAnotherTabInBrowser: the form's own save of a draft
// deleted in another tab makes a new draft, which the tab carries on with
// (its id, its address) and says so, rather than fail at every change.
func TestDraftDeletedInAnotherTabInBrowser(t *testing.T) {
	ts, draft, ctx := draftInBrowser(t)
	if resp, _ := ts.page(t, ts.session(t, "physician"), "POST", "/drafts/"+draft+"/delete", url.Values{}); resp.StatusCode != 303 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	var said, id, path string
	if err := chromedp.Run(ctx, typeName(" Andersson"),
		chromedp.Poll(`document.getElementById("autosave-status").textContent.includes("nytt utkast")`, nil, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Text(`#autosave-status`, &said),
		chromedp.Evaluate(`document.querySelector('input[name="draft"]').value`, &id),
		chromedp.Evaluate(`location.pathname`, &path)); err != nil {
		t.Fatalf("the save of the deleted draft: %v (the tab says %q)", err, said)
	}
	if id == draft || path != "/drafts/"+id {
		t.Fatalf("the tab goes on as draft %s at %s, want a new draft at its address", id, path)
	}
	if form := draftForm(t, ts, id); !strings.Contains(form, "Andersson") {
		t.Errorf("the new draft holds %s", form)
	}
	// Its next change is saved into the new draft.
	if err := chromedp.Run(ctx, typeName(" Berg"),
		chromedp.Poll(`document.getElementById("autosave-status").textContent.includes("sparades")`, nil, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatal(err)
	}
	if form := draftForm(t, ts, id); !strings.Contains(form, "Andersson+Berg") {
		t.Errorf("the new draft after the next change holds %s", form)
	}
}

// TestDraftDeleteUndone: after "Ta bort" the list offers "Ångra", a form
// that works without JavaScript; it brings the draft back to its
// physician's list, says so, and is in the access log; another physician
// cannot, nor can it be done twice.
func TestDraftDeleteUndone(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	asa, bo := ts.session(t, "physician"), ts.session(t, "physician-two-units")
	resp, _ := ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", infectionForm())
	draft := draftID(resp)
	resp, _ = ts.page(t, asa, "POST", "/drafts/"+draft+"/delete", url.Values{})
	_, list := ts.page(t, asa, "GET", resp.Header.Get("Location"), nil)
	undo := `<form method="post" action="/drafts/` + draft + `/restore"><button type="submit" id="draft-restore">Ångra<span class="visually-hidden">`
	if !strings.Contains(list, undo) || strings.Contains(list, `href="/drafts/`+draft+`"`) {
		t.Fatalf("the list after a delete has no undo, or still lists the draft:\n%s", list)
	}
	// "Ångra" says for screen readers whose draft it restores, as "Ta
	// bort" said whose it deleted; the patient shown is in the access log.
	button := regexp.MustCompile(`<button type="submit" id="draft-restore">(.*?)</button>`).FindStringSubmatch(list)
	if want := `Ångra<span class="visually-hidden"> borttagningen av utkastet för Tolvan, `; button == nil || !strings.HasPrefix(button[1], want) {
		t.Errorf("the undo button reads %q, want it to begin %q", button, want)
	}
	shown := false
	for _, e := range ts.auditActions(t, "draft.list") {
		shown = shown || e.Query == "draft="+draft && e.PatientID == "191212121212"
	}
	if !shown {
		t.Error("the list naming the deleted draft's patient is not in the access log with that patient")
	}
	// Another physician's list, given the draft's id, names no patient.
	if _, other := ts.page(t, bo, "GET", "/drafts?deleted="+draft, nil); strings.Contains(other, "Tolvan") {
		t.Errorf("another physician's list names the deleted draft's patient:\n%s", other)
	}
	// A confirmation, as "Utkastet är sparat." is, not in the error
	// summary's red.
	if !strings.Contains(list, `<div class="notice" role="status" id="draft-deleted">`) {
		t.Errorf("the list after a delete does not say so as a notice:\n%s", list)
	}
	if resp, _ := ts.page(t, bo, "POST", "/drafts/"+draft+"/restore", url.Values{}); resp.StatusCode != 404 {
		t.Errorf("another physician restores the draft: %d, want 404", resp.StatusCode)
	}
	// While the access log takes no restore (a trigger in the same file
	// refuses it), the draft stays deleted: the entry comes first.
	other, err := sql.Open("sqlite", "file:"+ts.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(`CREATE TRIGGER refuse_restores BEFORE INSERT ON audit_log WHEN NEW.action = 'draft.restore'
		BEGIN SELECT RAISE(ABORT, 'the access log takes no entry'); END`); err != nil {
		t.Fatal(err)
	}
	if resp, _ := ts.page(t, asa, "POST", "/drafts/"+draft+"/restore", url.Values{}); resp.StatusCode < 500 {
		t.Errorf("restored while the access log refuses the entry: %d", resp.StatusCode)
	}
	if _, list := ts.page(t, asa, "GET", "/drafts", nil); strings.Contains(list, `href="/drafts/`+draft+`"`) {
		t.Error("the draft is back though the access log took no entry of it")
	}
	if _, err := other.Exec(`DROP TRIGGER refuse_restores`); err != nil {
		t.Fatal(err)
	}
	resp, _ = ts.page(t, asa, "POST", "/drafts/"+draft+"/restore", url.Values{})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/drafts?restored=1" {
		t.Fatalf("restore: %d to %q, want 303 to /drafts?restored=1", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, list := ts.page(t, asa, "GET", "/drafts?restored=1", nil); !strings.Contains(list, `<p class="notice" role="status" id="draft-restored">Utkastet är återställt.</p>`) ||
		!strings.Contains(list, `href="/drafts/`+draft+`"`) {
		t.Errorf("the list after restoring does not show the draft and say so:\n%s", list)
	}
	if restored := ts.auditActions(t, "draft.restore"); len(restored) != 1 || restored[0].Query != "draft="+draft || restored[0].PatientID != "191212121212" {
		t.Errorf("the access log's restores %+v, want the one of %s with its patient", restored, draft)
	}
	if resp, _ := ts.page(t, asa, "POST", "/drafts/"+draft+"/restore", url.Values{}); resp.StatusCode != 404 {
		t.Errorf("restoring it again: %d, want 404", resp.StatusCode)
	}
}

// TestDraftSaveRetried: a save that fails (the network, the server) is
// tried again by itself, with no further change, and the tab says when it
// went through.
func TestDraftSaveRetried(t *testing.T) {
	ts, draft, ctx := draftInBrowser(t)
	var said string
	if err := chromedp.Run(ctx,
		// The first save fails as a lost connection does.
		chromedp.Evaluate(`(function(){const f = window.fetch; let failed = false; window.fetch = function(url){
			if (!failed && String(url).endsWith('/draft')) { failed = true; return Promise.reject(new TypeError('Failed to fetch')); }
			return f.apply(this, arguments); };})()`, nil),
		typeName(" Andersson"),
		chromedp.Poll(`document.getElementById("autosave-status").textContent.includes("kunde inte sparas")`, nil, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Poll(`document.getElementById("autosave-status").textContent.includes("sparades igen")`, nil, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Text(`#autosave-status`, &said)); err != nil {
		t.Fatalf("the failed save: %v (the tab says %q)", err, said)
	}
	if form := draftForm(t, ts, draft); !strings.Contains(form, "Andersson") {
		t.Errorf("the draft after the retry holds %s", form)
	}
}

// TestDraftSaveNotRetriedWhenRefused: a save the server refuses as it
// stands (here a 404, as for a draft at another unit) is not sent again
// by itself every few seconds; the next change sends it.
func TestDraftSaveNotRetriedWhenRefused(t *testing.T) {
	ts, draft, ctx := draftInBrowser(t)
	var said string
	var sent int
	if err := chromedp.Run(ctx,
		chromedp.Evaluate(`(function(){const f = window.fetch; window.draftSaves = 0; window.fetch = function(url){
			if (String(url).endsWith('/draft') && window.draftSaves++ === 0) { return Promise.resolve(new Response('{}', {status: 404, headers: {'Content-Type': 'application/problem+json'}})); }
			return f.apply(this, arguments); };})()`, nil),
		typeName(" Andersson"),
		chromedp.Poll(`document.getElementById("autosave-status").textContent.includes("när du ändrar något igen")`, nil, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Sleep(6*time.Second), // past the first retry's wait (5 s)
		chromedp.Evaluate(`window.draftSaves`, &sent)); err != nil {
		t.Fatalf("the refused save: %v", err)
	}
	if sent != 1 {
		t.Errorf("a refused save was sent %d times without a change, want once", sent)
	}
	if err := chromedp.Run(ctx,
		typeName("s"),
		chromedp.Poll(`document.getElementById("autosave-status").textContent.includes("sparades igen")`, nil, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Text(`#autosave-status`, &said)); err != nil {
		t.Fatalf("the next change's save: %v (the tab says %q)", err, said)
	}
	if form := draftForm(t, ts, draft); !strings.Contains(form, "Anderssons") {
		t.Errorf("the draft after the next change holds %s", form)
	}
}

// TestDraftUndoStaysOnItsDraft: the list's "Ångra" posts to the restore
// of the draft named by ?deleted=, and nowhere else: a link whose value
// climbs out of /drafts/{id} (../, ?, #) must not make the button post an
// empty form to another route of the physician's (a same-origin post
// passes the cross-origin check).
func TestDraftUndoStaysOnItsDraft(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	asa := ts.session(t, "physician")
	action := regexp.MustCompile(`id="draft-deleted".*?<form method="post" action="([^"]*)"`)
	for _, deleted := range []string{"../../sign-out?", "x/../../certificates/abc/revoke?", "..", "a#b", "a b"} {
		_, list := ts.page(t, asa, "GET", "/drafts?deleted="+url.QueryEscape(deleted), nil)
		m := action.FindStringSubmatch(list)
		if m == nil {
			continue // no undo offered: nothing to post
		}
		to, err := url.Parse("http://intyg.test/drafts")
		if err != nil {
			t.Fatal(err)
		}
		ref, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
		if err != nil {
			t.Fatalf("deleted=%q: undo action %q: %v", deleted, m[1], err)
		}
		got := to.ResolveReference(ref)
		if !regexp.MustCompile(`^/drafts/[^/]+/restore$`).MatchString(got.EscapedPath()) || got.RawQuery != "" || got.Fragment != "" {
			t.Errorf("deleted=%q: Ångra posts to %s, want /drafts/{id}/restore", deleted, got)
		}
	}
}

// deletedDraftTab saves a draft as the physician signed in with asa and
// deletes it: its id, and the form of a tab still open on it as it was
// saved (draftSaved), with the patient's name typed as name.
func deletedDraftTab(t *testing.T, ts *testServer, asa *http.Cookie) (string, func(name string) url.Values) {
	t.Helper()
	resp, _ := ts.page(t, asa, "POST", "/forms/fk7804/2.0/draft", infectionForm())
	gone := draftID(resp)
	opened, err := ts.db.FindDraft(context.Background(), gone)
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := ts.page(t, asa, "POST", "/drafts/"+gone+"/delete", url.Values{}); resp.StatusCode != 303 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	return gone, func(name string) url.Values {
		v := infectionForm()
		v.Set("draft", gone)
		v.Set("draftSaved", opened.UpdatedAt.Format(time.RFC3339Nano))
		v.Set("patient.name", name)
		return v
	}
}
