package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/intyg/intyg/store"
)

// TestCaseworkerInBrowser: in a real browser a caseworker finds a
// certificate by the patient's id written another way than it was
// submitted, opens it, reads a guidance text, marks it handled and sees
// the queue's count change, and compares two certificates of the patient
// with the changed degree marked, and prints both as one PDF.
func TestCaseworkerInBrowser(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "caseworker")
	first := ts.submit(t, "valid/full-time-one-period.json") // patient 19780614-2381
	var doc map[string]any
	json.Unmarshal(readExample(t, "valid/full-time-one-period.json"), &doc)
	answers := doc["answers"].(map[string]any)
	answers["sickLeave"] = []any{map[string]any{"degree": 50, "from": "2026-11-20", "to": "2026-12-06"}}
	answers["unevenWorkingHours"] = false
	body, _ := json.Marshal(doc)
	if resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates", body); resp.StatusCode != 201 {
		t.Fatalf("second certificate: %d %s", resp.StatusCode, b)
	}
	c, err := ts.db.FindCertificateByID(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	other := c.Patient.ID[2:8] + c.Patient.ID[8:] // YYMMDDNNNN, submitted as YYYYMMDD-NNNN
	ctx := browser(t)
	var guidanceOpen bool
	var before, after, changedRow string
	var stillTicked int
	err = chromedp.Run(ctx,
		signIn(ts.URL+"/sign-in", "cia"),
		chromedp.WaitVisible(`#queue-filters`),
		chromedp.Text(`#count-received`, &before),
		chromedp.SendKeys(`#q-patient`, other),
		chromedp.Submit(`#q-patient`),
		chromedp.WaitVisible(`#queue`),
		chromedp.Click(`#queue tbody tr:last-child a`),
		chromedp.WaitVisible(`#certificate-id`),
		chromedp.Click(`#a-sickLeave details summary`, chromedp.NodeVisible),
		chromedp.Evaluate(`document.querySelector("#a-sickLeave details").open`, &guidanceOpen),
		chromedp.Click(`#mark-handled`),
		chromedp.WaitVisible(`#reopen`),
		chromedp.Navigate(ts.URL+"/queue"),
		chromedp.WaitVisible(`#count-received`),
		chromedp.Text(`#count-received`, &after),
		chromedp.Navigate(ts.URL+"/search"),
		chromedp.WaitVisible(`#patient`),
		chromedp.SendKeys(`#patient`, other),
		chromedp.Submit(`#patient`),
		chromedp.WaitVisible(`#results`),
		chromedp.Click(`#results tbody tr:nth-child(1) input`),
		// One ticked: said beside the button, the tick kept.
		chromedp.Click(`#compare`),
		chromedp.WaitVisible(`#compare-error`),
		chromedp.Evaluate(`document.querySelectorAll('#results input:checked').length`, &stillTicked),
		chromedp.Click(`#results tbody tr:nth-child(2) input`),
		chromedp.Click(`#compare`),
		chromedp.WaitVisible(`#changed-count`),
		chromedp.Text(`#compare tr.changed`, &changedRow),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if stillTicked != 1 {
		t.Errorf("after comparing one: %d ticked, want the one kept", stillTicked)
	}
	// Print both as one PDF, posting the list's form as its button does.
	const printJS = `fetch('/print', {method: 'POST', credentials: 'same-origin',
		body: new URLSearchParams(new FormData(document.getElementById('compare-form')))})
		.then(r => r.arrayBuffer()).then(b => {
			const u = new Uint8Array(b); let s = '';
			for (let i = 0; i < u.length; i += 8192) s += String.fromCharCode.apply(null, u.subarray(i, i + 8192));
			return btoa(s);
		})`
	var printed string
	err = chromedp.Run(ctx,
		chromedp.Navigate(ts.URL+"/search"),
		chromedp.WaitVisible(`#patient`),
		chromedp.SendKeys(`#patient`, other),
		chromedp.Submit(`#patient`),
		chromedp.WaitVisible(`#results`),
		chromedp.Click(`#results tbody tr:nth-child(1) input`),
		chromedp.Click(`#results tbody tr:nth-child(2) input`),
		chromedp.Evaluate(printJS, &printed, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
	)
	if err != nil {
		t.Fatalf("browser, printing: %v", err)
	}
	pdf, err := base64.StdEncoding.DecodeString(printed)
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pdf)
	if strings.Count(text, "Intygs-id: ") < 2 || !strings.Contains(text, "Intygs-id: "+first) {
		t.Errorf("the printed PDF does not hold both certificates:\n%s", text)
	}
	if !guidanceOpen {
		t.Error("the guidance text did not open")
	}
	if before != "2" || after != "1" {
		t.Errorf("received in the queue before/after marking handled: %s/%s, want 2/1", before, after)
	}
	if !strings.Contains(changedRow, "32.") || !strings.Contains(changedRow, "Nedsatt med hälften") {
		t.Errorf("the changed row is %q, want question 32 with the new degree", changedRow)
	}
}

// TestBackToTheResults: the caseworker searches for a patient's
// certificates, or the patient's cases, or compares two of them, and the
// physician filters the unit's list by patient; each opens a certificate
// and goes back: the page comes back as it was (a GET of a reference to
// the patient), not the browser's question whether to post the form
// again.
func TestBackToTheResults(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "caseworker")
	ts.person(t, "physician")
	id := ts.submit(t, "valid/full-time-one-period.json")
	ts.submit(t, "valid/full-time-one-period.json")
	c, err := ts.db.FindCertificateByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	caseworker, physician := browser(t), browser(t)
	if err := chromedp.Run(caseworker, signIn(ts.URL+"/sign-in", "cia"), chromedp.WaitVisible(`#queue-filters`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(physician, signIn(ts.URL+"/sign-in?next=/certificates", "asa"), chromedp.WaitVisible(`#filters`)); err != nil {
		t.Fatal(err)
	}
	// The comparison of two of the search's certificates too, once the
	// search's results are shown: a run once failed here with chromedp's
	// "Could not find node with given id", a node gone from the document
	// it was found in.
	compare := chromedp.Tasks{chromedp.WaitVisible(`#results tbody tr:nth-child(2) input`),
		chromedp.Click(`#results tbody tr:nth-child(1) input`), chromedp.Click(`#results tbody tr:nth-child(2) input`),
		chromedp.Click(`button#compare`), chromedp.WaitVisible(`#changed-count`)}
	for _, p := range []struct {
		ctx                               context.Context
		start, path, input, results, link string
		then                              chromedp.Action
	}{
		{caseworker, "/search", "/search", "#patient", "#results", "#results tbody a", chromedp.Tasks{}},
		{caseworker, "/patients/cases", "/patients/cases", "#patient", "section.case", "section.case tbody a", chromedp.Tasks{}},
		{caseworker, "/search", "/compare", "#patient", "table#compare", "table#compare a[href^='/certificates/']", compare},
		{physician, "/certificates", "/certificates", "#f-patient", "#my-certificates", "#my-certificates a[href^='/certificates/']", chromedp.Tasks{}},
	} {
		var loc, text string
		err := chromedp.Run(p.ctx, chromedp.Navigate(ts.URL+p.start), chromedp.WaitVisible(p.input),
			chromedp.SendKeys(p.input, c.Patient.ID), chromedp.Submit(p.input), p.then, chromedp.WaitVisible(p.results),
			chromedp.Click(p.link), chromedp.WaitVisible(`#certificate-id`),
			chromedp.Evaluate(`setTimeout(function () { history.back() }, 0)`, nil))
		if err != nil {
			t.Fatalf("%s: %v", p.path, err)
		}
		// Asked again until the page after going back answers (while it
		// loads, the question may fail).
		shown := false
		for deadline := time.Now().Add(10 * time.Second); !shown && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			err = chromedp.Run(p.ctx, chromedp.Evaluate(`!!document.querySelector("`+p.results+`") && location.pathname === "`+p.path+`"`, &shown))
		}
		chromedp.Run(p.ctx, chromedp.Location(&loc), chromedp.Evaluate(`document.body ? document.body.innerText.slice(0, 200) : ""`, &text))
		if !shown || strings.Contains(loc, c.Patient.ID) {
			t.Errorf("back from a certificate to %s: at %s (%v), showing %q; want the results, the patient's id in no address", p.path, loc, err, text)
		}
	}
}
