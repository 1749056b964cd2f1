package web

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/intyg/intyg/store"
)

// browser starts Debian's headless Chromium for one test; outside CI a
// machine without it skips.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is required in CI: %v", err)
		}
		t.Skipf("chromium not installed (Debian's chromium package): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests run as root here
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// TestPhysicianFillsFK7810 signs in, fills the fk7810 form generated from
// its form definition in a real browser, sees a dependent question appear,
// submits with a mistake, finds the message next to its question with the
// answers kept, corrects it and gets a receipt; the stored record has what
// was typed.
func TestPhysicianFillsFK7810(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ctx := browser(t)
	q := func(name string) string { return `[name="` + name + `"]` }
	var relationHiddenBefore, relationHiddenAfter bool
	var errorText, keptName, receiptID string
	err := chromedp.Run(ctx,
		chromedp.Navigate(ts.URL+"/forms/fk7810/1.0"),
		chromedp.WaitVisible(`#token`),
		chromedp.SendKeys(`#token`, ts.tokens["clinic"]),
		chromedp.Submit(`#token`),
		chromedp.WaitVisible(`#certificate-form`),

		chromedp.SendKeys(q("patient.id"), "19121212-1212"),
		chromedp.SendKeys(q("patient.name"), "Tolvan Tolvansson"),
		chromedp.SendKeys(q("issuer.name"), "Åsa Läkare"),
		chromedp.SendKeys(q("issuer.hsaId"), "SE2321000016-1003"),
		chromedp.SendKeys(q("issuer.unit.name"), "Vårdcentralen Östermalm"),
		chromedp.SendKeys(q("issuer.unit.address"), "Karlavägen 10"),
		chromedp.SendKeys(q("issuer.unit.postalCode"), "11459"),
		chromedp.SendKeys(q("issuer.unit.city"), "Stockholm"),
		chromedp.SendKeys(q("issuer.unit.phone"), "08-123 45 67"),

		chromedp.Click(`input[name="answers.basis"][value="FYSISKUNDERSOKNING"]`),
		chromedp.SetValue(q("answers.basis.FYSISKUNDERSOKNING.date"), "2026-11-20"),
		chromedp.Evaluate(`document.getElementById("q-basisRelativeRelation").hidden`, &relationHiddenBefore),
		chromedp.Click(`input[name="answers.basis"][value="ANHORIG"]`),
		chromedp.SetValue(q("answers.basis.ANHORIG.date"), "2026-11-19"),
		chromedp.Evaluate(`document.getElementById("q-basisRelativeRelation").hidden`, &relationHiddenAfter),
		chromedp.SendKeys(q("answers.basisRelativeRelation"), "Mamma, som bor med patienten"),
		chromedp.Click(`input[name="answers.knownSince"][value="MER_AN_ETT_AR"]`),
		chromedp.Click(`input[name="answers.otherInvestigations"][value="false"]`),
		chromedp.SendKeys(q("answers.diagnoses.0.code"), "F84.0"),
		chromedp.SendKeys(q("answers.diagnoses.0.description"), "Autism"),
		chromedp.SendKeys(q("answers.diagnosisHistory"), "Diagnos ställd 2019 av BUP."),
		chromedp.Click(`input[name="answers.functionalImpairments"][value="INTELLEKTUELL_FUNKTION"]`),
		chromedp.SendKeys(q("answers.functionalImpairments.INTELLEKTUELL_FUNKTION.text"), "Lindrig intellektuell funktionsnedsättning."),
		chromedp.Click(`input[name="answers.activityLimitations"][value="LARANDE"]`),
		// The text of the ticked area is left out: a mistake.
		chromedp.SendKeys(q("answers.prognosis"), "Bestående behov."),
		chromedp.Click(`input[name="answers.medicalCareNeeded"][value="false"]`),
		chromedp.Click(`#submit`),

		chromedp.WaitVisible(`#error-summary`),
		chromedp.Text(`#q-activityLimitations .error`, &errorText),
		chromedp.Value(q("patient.name"), &keptName),
		chromedp.SendKeys(q("answers.activityLimitations.LARANDE.text"), "Behöver stöd för att lära nya moment."),
		chromedp.Click(`#submit`),
		chromedp.WaitVisible(`#certificate-id`),
		chromedp.Text(`#certificate-id`, &receiptID),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !relationHiddenBefore || relationHiddenAfter {
		t.Errorf("question 1.4 hidden before/after ticking ANHORIG: %v/%v, want true/false", relationHiddenBefore, relationHiddenAfter)
	}
	if !strings.Contains(errorText, "måste fyllas i") {
		t.Errorf("message next to question 65 = %q, want the required-field message", errorText)
	}
	if keptName != "Tolvan Tolvansson" {
		t.Errorf("the refused form lost the patient's name: %q", keptName)
	}
	c, err := ts.db.FindCertificateByID(context.Background(), strings.TrimSpace(receiptID))
	if err != nil {
		t.Fatalf("the receipt's id %q is not stored: %v", receiptID, err)
	}
	if c.Template != "fk7810" || c.Patient.ID != "191212121212" || c.Answers["basisRelativeRelation"] != "Mamma, som bor med patienten" || c.Issuer.Unit.HSAID != unit {
		t.Errorf("stored record = %+v", c)
	}
	if n := ts.count(t); n != 1 {
		t.Errorf("%d certificates stored, want 1", n)
	}
}
