package web

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/intyg/intyg/store"
)

// axeSource reads axe-core, installed from web/testdata/axe's lockfile
// (npm ci --prefix web/testdata/axe, as .ci/run does); outside CI a
// machine without it skips.
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("axe-core is required in CI (npm ci --prefix web/testdata/axe): %v", err)
		}
		t.Skipf("axe-core not installed (npm ci --prefix web/testdata/axe): %v", err)
	}
	return string(b)
}

// axeViolation is one failed rule, with where it failed.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkAxe runs axe-core on the page the browser shows against WCAG 2.1 A
// and AA, and 2.2 AA (its target size), and fails the test with every
// violation.
func checkAxe(t *testing.T, ctx context.Context, src, what string) {
	t.Helper()
	const run = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})
		.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.failureSummary)}))))`
	var out string
	err := chromedp.Run(ctx,
		chromedp.Evaluate(src, nil),
		chromedp.Evaluate(run, &out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
	)
	if err != nil {
		t.Fatalf("axe on %s: %v", what, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("axe on %s: %v: %s", what, err, out)
	}
	for _, v := range vs {
		t.Errorf("%s: WCAG violation %s (%s): %s\n  %s", what, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
}

// TestAccessibility checks the physician's pages with axe-core in a real
// browser: sign-in, the unit choice, the template list, every template's
// form empty and refused, the receipt, and the drafts list (also just
// after a delete, with its undo, and after the undo).
func TestAccessibility(t *testing.T) {
	src := axeSource(t)
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "physician-two-units")
	ctx := browser(t)
	if err := chromedp.Run(ctx, chromedp.Navigate(ts.URL+"/sign-in"), chromedp.WaitVisible(`#username`)); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, ctx, src, "sign-in")
	if err := chromedp.Run(ctx,
		chromedp.SendKeys(`#username`, "bo"), chromedp.SendKeys(`#password`, "fel"), chromedp.Submit(`#password`),
		chromedp.WaitVisible(`#sign-in-error`)); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, ctx, src, "sign-in refused")
	if err := chromedp.Run(ctx,
		chromedp.Clear(`#username`), chromedp.SendKeys(`#username`, "bo"), chromedp.SendKeys(`#password`, testPassword), chromedp.Submit(`#password`),
		chromedp.WaitVisible(`#unit-form`)); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, ctx, src, "unit choice")
	if err := chromedp.Run(ctx, chromedp.Click(`input[name="unit"][value="`+unit+`"]`), chromedp.Submit(`#unit-form`), chromedp.WaitVisible(`ul.templates`)); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, ctx, src, "template list")
	for _, tmpl := range mustEngine(t).Registry().All() {
		if err := chromedp.Run(ctx, chromedp.Navigate(ts.URL+"/forms/"+tmpl.ID+"/"+tmpl.Version), chromedp.WaitVisible(`#certificate-form`)); err != nil {
			t.Fatal(err)
		}
		checkAxe(t, ctx, src, tmpl.Key()+" form")
		var focused string
		if err := chromedp.Run(ctx, chromedp.Click(`#submit`), chromedp.WaitVisible(`#error-summary`)); err != nil {
			t.Fatal(err)
		}
		// The page's script moves the focus once it runs, which on a busy
		// machine may be a moment after the summary is visible.
		chromedp.Run(ctx, chromedp.Poll(`document.activeElement && document.activeElement.id === "error-summary"`, nil, chromedp.WithPollingTimeout(10*time.Second)))
		if err := chromedp.Run(ctx, chromedp.Evaluate(`document.activeElement.id`, &focused)); err != nil {
			t.Fatal(err)
		}
		if focused != "error-summary" {
			t.Errorf("%s refused: the focus is on %q, want the error summary", tmpl.Key(), focused)
		}
		checkAxe(t, ctx, src, tmpl.Key()+" form with errors")
	}
	id := ts.submit(t, "valid/full-time-one-period.json")
	if err := chromedp.Run(ctx, chromedp.Navigate(ts.URL+"/certificates/"+id), chromedp.WaitVisible(`#certificate-id`)); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, ctx, src, "receipt")
	// A saved draft, so that the list has a row.
	if err := chromedp.Run(ctx, chromedp.Navigate(ts.URL+"/forms/fk7804/2.0"), chromedp.WaitVisible(`#certificate-form`),
		chromedp.SendKeys(`[name="patient.name"]`, "Tolvan Tolvansson"), chromedp.Click(`#save-draft`), chromedp.WaitVisible(`#draft-saved`),
		chromedp.Navigate(ts.URL+"/drafts"), chromedp.WaitVisible(`#drafts`)); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, ctx, src, "drafts")
	// The list just after "Ta bort" (with "Ångra"), and after "Ångra".
	if err := chromedp.Run(ctx, chromedp.Click(`#drafts form[action$="/delete"] button`), chromedp.WaitVisible(`#draft-deleted`)); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, ctx, src, "drafts after a delete")
	if err := chromedp.Run(ctx, chromedp.Click(`#draft-restore`), chromedp.WaitVisible(`#draft-restored`), chromedp.WaitVisible(`#drafts`)); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, ctx, src, "drafts after a restore")
	if err := chromedp.Run(ctx, chromedp.Navigate(ts.URL+"/certificates"), chromedp.WaitVisible(`#my-certificates`)); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, ctx, src, "my certificates")
}

// TestAccessibilityCaseworker checks the caseworker's search and a
// certificate page with axe-core.
func TestAccessibilityCaseworker(t *testing.T) {
	src := axeSource(t)
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "caseworker")
	id := ts.submit(t, "valid/all-optional-fields.json")
	ts.submit(t, "valid/all-optional-fields.json")
	c, err := ts.db.FindCertificateByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	if err := chromedp.Run(ctx, chromedp.Navigate(ts.URL+"/sign-in"), chromedp.WaitVisible(`#username`),
		chromedp.SendKeys(`#username`, "cia"), chromedp.SendKeys(`#password`, testPassword), chromedp.Submit(`#password`),
		chromedp.WaitVisible(`#queue-filters`)); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, ctx, src, "queue")
	if err := chromedp.Run(ctx, chromedp.Navigate(ts.URL+"/search"),
		chromedp.WaitVisible(`#search-form`), chromedp.SendKeys(`#patient`, c.Patient.ID), chromedp.Submit(`#patient`),
		chromedp.WaitVisible(`#results`)); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, ctx, src, "caseworker search")
	if err := chromedp.Run(ctx, chromedp.Click(`#results tbody tr:nth-child(1) input`), chromedp.Click(`#results tbody tr:nth-child(2) input`),
		chromedp.Click(`#compare`), chromedp.WaitVisible(`#changed-count`)); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, ctx, src, "comparison")
	if err := chromedp.Run(ctx, chromedp.Navigate(ts.URL+"/certificates/"+id), chromedp.WaitVisible(`#certificate-id`)); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, ctx, src, "certificate page")
	// A completion request whose question 35 was ticked, given a text and
	// unticked again (the text hides, but is sent), with a reply date
	// already past: refused, each problem beside its input, the text shown.
	if err := chromedp.Run(ctx, chromedp.Click(`details.send-message summary`), chromedp.SetValue(`#message-type`, "KOMPLT"),
		chromedp.Click(`#question-35`), chromedp.SendKeys(`#complement-35`, "Beskriv begränsningen."), chromedp.Click(`#question-35`),
		chromedp.WaitNotVisible(`#complement-35`), chromedp.SetValue(`#message-reply-by`, "2020-01-01"), chromedp.Click(`#send-message`),
		chromedp.WaitVisible(`#message-reply-by-errors`), chromedp.WaitVisible(`#complement-35`), chromedp.WaitVisible(`#complement-35-errors`)); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, ctx, src, "refused message")
}

// TestAccessibilityAdmin checks the admin pages with axe-core.
func TestAccessibilityAdmin(t *testing.T) {
	src := axeSource(t)
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "admin")
	ts.mustUnits(t)
	ctx := browser(t)
	// Wait for the admin page the sign-in leads to: the sign-in page has
	// a main h1 too, and navigating on before its form's answer came
	// aborted that navigation (net::ERR_ABORTED, now and then).
	if err := chromedp.Run(ctx, signIn(ts.URL+"/sign-in", "dan"), chromedp.WaitVisible(`#admin-links`)); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/admin", "/admin/people", "/admin/units", "/admin/tokens", "/admin/audit"} {
		if err := chromedp.Run(ctx, chromedp.Navigate(ts.URL+path), chromedp.WaitReady(`main h1`)); err != nil {
			t.Fatal(err)
		}
		checkAxe(t, ctx, src, path)
	}
}
