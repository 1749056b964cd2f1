package web

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/intyg/intyg/store"
)

// TestScreenshots writes the README's pictures of the physician's pages
// when INTYG_SCREENSHOTS names a folder:
//
//	INTYG_SCREENSHOTS=$PWD/docs go test ./web -run TestScreenshots
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("INTYG_SCREENSHOTS")
	if dir == "" {
		t.Skip("set INTYG_SCREENSHOTS to a folder to write the README's screenshots")
	}
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "physician")
	ctx := browser(t)
	shot := func(name string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			var png []byte
			if err := chromedp.FullScreenshot(&png, 100).Do(ctx); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, name), png, 0o644)
		})
	}
	q := func(name string) string { return `[name="` + name + `"]` }
	err := chromedp.Run(ctx,
		chromedp.EmulateViewport(1100, 900),
		signIn(ts.URL+"/sign-in?next=/forms/fk7804/2.0", "asa"),
		chromedp.WaitVisible(`#certificate-form`),
		chromedp.SendKeys(q("patient.id"), "19121212-1212"),
		chromedp.SendKeys(q("patient.name"), "Tolvan Tolvansson"),
		chromedp.Click(`input[name="answers.basis"][value="FYSISKUNDERSOKNING"]`),
		chromedp.SetValue(q("answers.basis.FYSISKUNDERSOKNING.date"), "2026-11-20"),
		chromedp.SendKeys(q("answers.diagnoses.0.code"), "F43.8A"),
		chromedp.SendKeys(q("answers.diagnoses.0.description"), "Utmattningssyndrom"),
		chromedp.SetValue(q("answers.sickLeave.100.from"), "2026-11-20"),
		chromedp.SetValue(q("answers.sickLeave.100.to"), "2026-12-03"),
		chromedp.SendKeys(q("answers.sickLeave.50.from"), "2026-12-04"),
		chromedp.SetValue(q("answers.sickLeave.50.from"), "2026-12-04"),
		chromedp.SetValue(q("answers.sickLeave.50.to"), "2026-12-17"),
		chromedp.Sleep(500*time.Millisecond),
		shot("physician-form.png"),
		chromedp.Click(`#submit`),
		chromedp.WaitVisible(`#error-summary`),
		shot("physician-form-errors.png"),
		chromedp.Click(`#save-draft`),
		chromedp.WaitVisible(`#draft-saved`),
		chromedp.Navigate(ts.URL+"/drafts"),
		chromedp.WaitVisible(`#drafts`),
		shot("physician-drafts.png"),
		// A second draft, then "Ta bort" on the first (with "Ångra"), and
		// "Ångra".
		chromedp.Navigate(ts.URL+"/forms/fk7804/2.0"),
		chromedp.WaitVisible(`#certificate-form`),
		chromedp.SendKeys(q("patient.id"), "19780614-2381"),
		chromedp.SendKeys(q("patient.name"), "Lisa Andersson"),
		chromedp.Click(`#save-draft`),
		chromedp.WaitVisible(`#draft-saved`),
		chromedp.Navigate(ts.URL+"/drafts"),
		chromedp.WaitVisible(`#drafts tbody tr:nth-child(2)`),
		chromedp.Click(`#drafts tbody tr:nth-child(2) form[action$="/delete"] button`),
		chromedp.WaitVisible(`#draft-deleted`),
		shot("physician-drafts-deleted.png"),
		chromedp.Click(`#draft-restore`),
		chromedp.WaitVisible(`#draft-restored`),
		shot("physician-drafts-restored.png"),
	)
	if err != nil {
		t.Fatal(err)
	}

	// The caseworker's queue, a certificate page with a guidance text
	// open, and a comparison.
	ts.person(t, "caseworker")
	ts.submit(t, "valid/full-time-one-period.json")
	ts.submit(t, "valid/all-optional-fields.json")
	ts.submit(t, "valid/part-time-steps-75-50-25.json")
	ts.submit(t, "valid/prognosis-unclear.json")
	err = chromedp.Run(ctx,
		chromedp.Submit(`header form`),
		chromedp.WaitVisible(`#username`),
		chromedp.SendKeys(`#username`, "cia"),
		chromedp.SendKeys(`#password`, testPassword),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`#queue`),
		shot("caseworker-queue.png"),
		chromedp.Click(`#queue tbody tr:nth-child(3) a`),
		chromedp.WaitVisible(`#certificate-id`),
		chromedp.Click(`#a-contactRequested details summary`, chromedp.NodeVisible),
		shot("caseworker-certificate.png"),
	)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.Unmarshal(readExample(t, "valid/full-time-one-period.json"), &doc)
	answers := doc["answers"].(map[string]any)
	answers["sickLeave"] = []any{map[string]any{"degree": 50, "from": "2026-11-20", "to": "2026-12-06"}}
	answers["unevenWorkingHours"] = false
	answers["activityLimitation"] = map[string]any{"text": "Kan inte lyfta mer än 10 kg och kan inte sitta eller stå mer än 30 minuter i taget. Klarar inte truckkörning."}
	body, _ := json.Marshal(doc)
	if resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates", body); resp.StatusCode != 201 {
		t.Fatalf("second certificate: %d %s", resp.StatusCode, b)
	}
	err = chromedp.Run(ctx,
		chromedp.Navigate(ts.URL+"/search"),
		chromedp.WaitVisible(`#patient`),
		chromedp.SendKeys(`#patient`, "19780614-2381"),
		chromedp.Submit(`#patient`),
		chromedp.WaitVisible(`#results`),
		chromedp.Click(`#results tbody tr:nth-child(1) input`),
		chromedp.Click(`#results tbody tr:nth-child(2) input`),
		chromedp.Click(`#compare`),
		chromedp.WaitVisible(`#changed-count`),
		shot("caseworker-comparison.png"),
	)
	if err != nil {
		t.Fatal(err)
	}

	// The lifecycle: a completion request on the certificate page, and
	// the physician's form that answers it.
	id := ts.submit(t, "valid/full-time-one-period.json")
	if resp, b := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+id+"/messages",
		[]byte(`{"type": "KOMPLT", "text": "Vi behöver veta mer om arbetsförmågan.", "replyBy": "2099-12-10", "complements": [{"questionId": "32", "text": "Ange sjukskrivningsgrad för december."}]}`)); resp.StatusCode != 201 {
		t.Fatalf("message: %d %s", resp.StatusCode, b)
	}
	ctx = browser(t) // a browser of its own: one has 90 seconds
	err = chromedp.Run(ctx,
		chromedp.EmulateViewport(1100, 900),
		signIn(ts.URL+"/sign-in?next=/certificates/"+id, "cia"),
		chromedp.WaitVisible(`#messages article.message`),
		chromedp.Click(`details.send-message summary`, chromedp.NodeVisible),
		shot("caseworker-messages.png"),
		chromedp.Submit(`header form`),
		chromedp.WaitVisible(`#username`),
		signIn(ts.URL+"/sign-in?next=/certificates/"+id, "asa"),
		chromedp.WaitVisible(`#messages article.message`),
		chromedp.Click(`#messages button[id^="complete-"]`),
		chromedp.WaitVisible(`#relation-note`),
		chromedp.ScrollIntoView(`#q-sickLeave`),
		shot("physician-completion.png"),
	)
	if err != nil {
		t.Fatal(err)
	}

	// A patient's sick-leave case across three certificates, and the
	// unit's ongoing cases.
	for _, p := range []struct {
		signed, from, to string
		degree           int
	}{{"2026-08-03", "2026-08-03", "2026-09-13", 100}, {"2026-09-11", "2026-09-14", "2026-10-25", 50}, {"2026-10-23", "2026-10-28", "2026-12-20", 25}} {
		var doc map[string]any
		json.Unmarshal(readExample(t, "valid/full-time-one-period.json"), &doc)
		doc["signedAt"] = p.signed + "T10:00:00+02:00"
		answers := doc["answers"].(map[string]any)
		answers["basis"] = []any{map[string]any{"type": "FYSISKUNDERSOKNING", "date": p.signed}}
		answers["sickLeave"] = []any{map[string]any{"degree": p.degree, "from": p.from, "to": p.to}}
		if p.degree < 100 {
			answers["unevenWorkingHours"] = false
		}
		body, _ := json.Marshal(doc)
		if resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates", body); resp.StatusCode != 201 {
			t.Fatalf("case certificate: %d %s", resp.StatusCode, b)
		}
	}
	err = chromedp.Run(ctx,
		chromedp.Navigate(ts.URL+"/unit/cases"),
		chromedp.WaitVisible(`main table, #no-cases, main p`),
		shot("physician-unit-cases.png"),
		chromedp.Navigate(ts.URL+"/patients/cases"),
		chromedp.WaitVisible(`#patient`),
		chromedp.SendKeys(`#patient`, "19780614-2381"),
		chromedp.Submit(`#patient`),
		chromedp.WaitVisible(`svg.timeline`),
		shot("physician-patient-cases.png"),
	)
	if err != nil {
		t.Fatal(err)
	}
}
