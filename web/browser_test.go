package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// requireTool finds a program from a Debian package: CI must have it,
// elsewhere a machine without it skips the test.
func requireTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI (Debian's %s): %v", name, debianPackage, err)
		}
		t.Skipf("%s not installed (Debian's %s): %v", name, debianPackage, err)
	}
	return path
}

// browser starts Debian's headless Chromium for one test; outside CI a
// machine without it skips.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := requireTool(t, "chromium", "chromium")
	// Not t.TempDir: Chromium may still be writing its profile as the test
	// ends, so the directory is removed after the browser, with retries.
	profile, err := os.MkdirTemp("", "intyg-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests run as root here
		chromedp.DisableGPU,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
		for i := 0; i < 50 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// signIn goes to url (the sign-in page, or a page that sends there) and
// signs in as user with the test password.
func signIn(url, user string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.Navigate(url),
		chromedp.WaitVisible(`#username`),
		chromedp.SendKeys(`#username`, user),
		chromedp.SendKeys(`#password`, testPassword),
		chromedp.Submit(`#password`),
	}
}

// openForm signs in as the physician asa at url, a form or the sign-in
// page leading to one, and waits for the form.
func openForm(url string) chromedp.Tasks {
	return chromedp.Tasks{
		signIn(url, "asa"),
		chromedp.WaitVisible(`#certificate-form`),
	}
}

// signReviewed signs on the review page and reads the receipt's id.
func signReviewed(receiptID *string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.WaitVisible(`#sign`), // the review, read-only
		chromedp.Click(`#sign`),
		chromedp.WaitVisible(`#certificate-id`),
		chromedp.Text(`#certificate-id`, receiptID),
	}
}

// receiptCertificate returns the stored certificate a receipt names.
func (ts *testServer) receiptCertificate(t *testing.T, receiptID string) *intake.Certificate {
	t.Helper()
	c, err := ts.db.FindCertificateByID(context.Background(), strings.TrimSpace(receiptID))
	if err != nil {
		t.Fatalf("the receipt's id %q is not stored: %v", receiptID, err)
	}
	return c
}

// TestPhysicianFillsFK7810 signs in, fills the fk7810 form generated from
// its form definition in a real browser, sees a dependent question appear,
// submits with a mistake, finds the message next to its question with the
// answers kept, corrects it and gets a receipt; the stored record has what
// was typed.
func TestPhysicianFillsFK7810(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "physician")
	ctx := browser(t)
	q := func(name string) string { return `[name="` + name + `"]` }
	var relationHiddenBefore, relationHiddenAfter bool
	var errorText, keptName, receiptID string
	err := chromedp.Run(ctx,
		openForm(ts.URL+"/forms/fk7810/1.0"),

		chromedp.SendKeys(q("patient.id"), "19121212-1212"),
		chromedp.SendKeys(q("patient.name"), "Tolvan Tolvansson"),

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
		signReviewed(&receiptID),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !relationHiddenBefore || relationHiddenAfter {
		t.Errorf("question 1.4 hidden before/after ticking ANHORIG: %v/%v, want true/false", relationHiddenBefore, relationHiddenAfter)
	}
	if !strings.Contains(errorText, "Lärande") || !strings.Contains(errorText, "måste fyllas i") {
		t.Errorf("message next to question 65 = %q, want the required-field message naming the area", errorText)
	}
	if keptName != "Tolvan Tolvansson" {
		t.Errorf("the refused form lost the patient's name: %q", keptName)
	}
	c := ts.receiptCertificate(t, receiptID)
	if c.Template != "fk7810" || c.Patient.ID != "191212121212" || c.Answers["basisRelativeRelation"] != "Mamma, som bor med patienten" || c.Issuer.Unit.HSAID != unit {
		t.Errorf("stored record = %+v", c)
	}
	if n := ts.count(t); n != 1 {
		t.Errorf("%d certificates stored, want 1", n)
	}
}

// TestFollowUpQuestionAnnounced: a follow-up question that comes or goes
// as the physician answers is said in the form's one polite live region,
// by its label, the focus left on the answer; nothing is said on load.
func TestFollowUpQuestionAnnounced(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "physician")
	ctx := browser(t)
	const relative = `input[name="answers.basis"][value="ANHORIG"]`
	const label = "Ange anhörigs eller annans relation till patienten"
	var onLoad, shown, hidden string
	var focusKept bool
	err := chromedp.Run(ctx,
		openForm(ts.URL+"/forms/fk7810/1.0"),
		chromedp.Evaluate(`document.getElementById("follow-up-status").textContent`, &onLoad),
		chromedp.Click(relative),
		chromedp.Poll(`document.getElementById("follow-up-status").textContent !== ""`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate(`document.getElementById("follow-up-status").textContent`, &shown),
		chromedp.Evaluate(`document.activeElement === document.querySelector('`+relative+`')`, &focusKept),
		chromedp.Click(relative),
		chromedp.Poll(`document.getElementById("follow-up-status").textContent.includes("döljs")`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate(`document.getElementById("follow-up-status").textContent`, &hidden),
	)
	if err != nil {
		t.Fatalf("%v (said: %q)", err, shown)
	}
	if onLoad != "" {
		t.Errorf("said on load: %q, want nothing", onLoad)
	}
	if want := "Följdfrågan " + label + " visas."; shown != want {
		t.Errorf("shown: said %q, want %q", shown, want)
	}
	if want := "Följdfrågan " + label + " döljs."; hidden != want {
		t.Errorf("hidden: said %q, want %q", hidden, want)
	}
	if !focusKept {
		t.Error("the focus left the answer that showed the follow-up question")
	}
}

// TestFollowUpNotAnnouncedOnRefill: after signing in again, a follow-up
// question that the tab's unsaved answers bring back is shown but not
// said: the refill's notice says the answers came back. One the
// physician's next answer hides is said.
func TestFollowUpNotAnnouncedOnRefill(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	u := ts.person(t, "physician")
	ctx := browser(t)
	const relative = `input[name="answers.basis"][value="ANHORIG"]`
	var notice, said string
	var shown bool
	err := chromedp.Run(ctx,
		openForm(ts.URL+"/forms/fk7810/1.0"),
		chromedp.SendKeys(`[name="patient.name"]`, "Tolvan Tolvansson"),
		chromedp.Poll(`document.getElementById("autosave-status").textContent.includes("sparades")`, nil),
	)
	if err != nil {
		t.Fatalf("browser, before the session ends: %v", err)
	}
	ts.endSessions(t, u)
	err = chromedp.Run(ctx,
		chromedp.Click(relative), // its follow-up is not in the saved draft
		chromedp.Click(`#submit`),
		chromedp.WaitVisible(`#username`),
		chromedp.SendKeys(`#username`, "asa"),
		chromedp.SendKeys(`#password`, testPassword),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`#certificate-form`),
		chromedp.Poll(`document.getElementById("autosave-status").textContent.includes("fyllts i igen")`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Text(`#autosave-status`, &notice),
		chromedp.Evaluate(`!document.getElementById("q-basisRelativeRelation").hidden`, &shown),
		chromedp.Evaluate(`document.getElementById("follow-up-status").textContent`, &said),
	)
	if err != nil {
		t.Fatalf("browser, after signing in again: %v", err)
	}
	if notice != "Svar som inte hann sparas har fyllts i igen." || !shown {
		t.Fatalf("after signing in again: notice %q, follow-up shown %v; want the refill's notice and the follow-up", notice, shown)
	}
	if said != "" {
		t.Errorf("said on the refill: %q, want nothing", said)
	}
	// What the physician changes next is said again.
	err = chromedp.Run(ctx,
		chromedp.Click(relative),
		chromedp.Poll(`document.getElementById("follow-up-status").textContent.includes("döljs")`, nil, chromedp.WithPollingTimeout(10*time.Second)),
	)
	if err != nil {
		t.Errorf("unticking after the refill: %v, want its follow-up said to go", err)
	}
}

// TestMissingListMarksItsFirstItem: a form sent without its diagnoses
// marks the first diagnosis's code and description aria-invalid (each is
// required), not the rows the form offers beyond it.
func TestMissingListMarksItsFirstItem(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "physician")
	ctx := browser(t)
	var invalid []string
	err := chromedp.Run(ctx,
		openForm(ts.URL+"/forms/fk7804/2.0"),
		chromedp.Click(`#submit`),
		chromedp.WaitVisible(`#error-summary`),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('#q-diagnoses [aria-invalid="true"]')).map(el => el.name)`, &invalid),
	)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"answers.diagnoses.0.code", "answers.diagnoses.0.description"}; !slices.Equal(invalid, want) {
		t.Errorf("aria-invalid: %v, want %v", invalid, want)
	}
}

// TestMissingPeriodsMarkTheirFirstRow: a form sent without its sick-leave
// periods marks aria-invalid the first row's start, the input the
// question's table starts with (a date in a row chooses its degree), and
// neither its end nor the other rows; the group around it is described
// by the error, as a missing list's or choice's is.
func TestMissingPeriodsMarkTheirFirstRow(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "physician")
	ctx := browser(t)
	var invalid []string
	var said string
	err := chromedp.Run(ctx,
		openForm(ts.URL+"/forms/fk7804/2.0"),
		chromedp.Click(`#submit`),
		chromedp.WaitVisible(`#error-summary`),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('#q-sickLeave [aria-invalid="true"]')).map(el => el.name)`, &invalid),
		chromedp.Evaluate(`(document.querySelector('#q-sickLeave [aria-invalid="true"]')?.closest('fieldset')?.getAttribute('aria-describedby') ?? '')
			.split(' ').filter(id => id.startsWith('err-')).map(id => document.getElementById(id)?.textContent.trim()).join(' ')`, &said),
	)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"answers.sickLeave.100.from"}; !slices.Equal(invalid, want) {
		t.Errorf("aria-invalid: %v, want %v", invalid, want)
	}
	if want := "Uppgiften måste fyllas i."; !strings.Contains(said, want) {
		t.Errorf("the marked input's group is described by %q, want the error %q", said, want)
	}
}

// TestAreaTextLineBreaks: the text a physician writes under a ticked
// area (fk7810's impairments) keeps its line breaks on the review and on
// the certificate page, as every other text there does and as the PDF
// prints it; the lines ran together into one.
func TestAreaTextLineBreaks(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	asa := ts.session(t, "physician")
	b, err := os.ReadFile(filepath.Join("..", "examples", "fk7810", "valid", "adult-stroke-all-activity-areas.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := intake.Decode(b, len(b)+1)
	tmpl, _ := mustEngine(t).Template("fk7810", "1.0")
	form := formValues(tmpl, doc)
	const text = "Expressiv afasi.\nKan inte skriva."
	form.Set("answers.functionalImpairments.KOMMUNIKATION_SOCIAL_INTERAKTION.text", text)
	resp, page := ts.page(t, asa, "POST", "/forms/fk7810/1.0/draft", form)
	if resp.StatusCode != 303 {
		t.Fatalf("save the draft: %d\n%s", resp.StatusCode, page)
	}
	const area = `document.querySelector('#a-functionalImpairments li:nth-child(2)').innerText`
	var onReview, onPage, receiptID string
	err = chromedp.Run(browser(t),
		signIn(ts.URL+"/drafts/"+draftID(resp)+"/review", "asa"),
		chromedp.WaitVisible(`#sign`),
		chromedp.Evaluate(area, &onReview),
		signReviewed(&receiptID),
		chromedp.Evaluate(area, &onPage),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	for _, got := range []string{onReview, onPage} {
		if !strings.HasSuffix(got, text) {
			t.Errorf("question 9 reads %q, want it to end in %q, its line break kept", got, text)
		}
	}
	if got := ts.receiptCertificate(t, receiptID).Answers["functionalImpairments"].([]any)[0].(map[string]any)["text"]; got != text {
		t.Errorf("stored %q, want %q", got, text)
	}
}

// TestPhysicianFillsFK7804 fills a sick-pay certificate with a part-time
// period in a real browser: the uneven-hours question appears only for a
// part-time degree, ticking smittbärarpenning hides the questions it makes
// inapplicable, and the stored record has the periods' day counts.
func TestPhysicianFillsFK7804(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "physician")
	ctx := browser(t)
	q := func(name string) string { return `[name="` + name + `"]` }
	var unevenBefore, unevenAfter, basisHiddenByIC, basisShownAgain bool
	var receiptID string
	err := chromedp.Run(ctx,
		openForm(ts.URL+"/sign-in?next=/forms/fk7804/2.0"),
		chromedp.SendKeys(q("patient.id"), "191212121212"),
		chromedp.SendKeys(q("patient.name"), "Tolvan Tolvansson"),

		// Smittbärarpenning hides basis; unticking shows it again.
		chromedp.Click(`input[name="answers.infectionControl"]`),
		chromedp.Evaluate(`document.getElementById("q-basis").hidden`, &basisHiddenByIC),
		chromedp.Click(`input[name="answers.infectionControl"]`),
		chromedp.Evaluate(`document.getElementById("q-basis").hidden`, &basisShownAgain),

		chromedp.Click(`input[name="answers.basis"][value="FYSISKUNDERSOKNING"]`),
		chromedp.SetValue(q("answers.basis.FYSISKUNDERSOKNING.date"), "2026-11-20"),
		chromedp.Click(`input[name="answers.occupation"][value="NUVARANDE_ARBETE"]`),
		chromedp.SendKeys(q("answers.occupationDescription"), "Undersköterska"),
		chromedp.SendKeys(q("answers.diagnoses.0.code"), "F43.8A"),
		chromedp.SendKeys(q("answers.diagnoses.0.description"), "Utmattningssyndrom"),
		chromedp.SendKeys(q("answers.functionalImpairment.text"), "Nedsatt koncentration."),
		chromedp.SendKeys(q("answers.activityLimitation.text"), "Klarar inte planering."),
		chromedp.SetValue(q("answers.sickLeave.100.from"), "2026-11-20"),
		chromedp.SetValue(q("answers.sickLeave.100.to"), "2026-12-03"),
		chromedp.Evaluate(`document.getElementById("q-unevenWorkingHours").hidden`, &unevenBefore),
		chromedp.SendKeys(q("answers.sickLeave.50.from"), "2026-12-04"), // typing fires input events
		chromedp.SetValue(q("answers.sickLeave.50.from"), "2026-12-04"),
		chromedp.SetValue(q("answers.sickLeave.50.to"), "2026-12-17"),
		chromedp.Evaluate(`document.getElementById("q-unevenWorkingHours").hidden`, &unevenAfter),
		chromedp.Click(`input[name="answers.unevenWorkingHours"][value="false"]`),
		chromedp.Click(`input[name="answers.prognosis"][value="STOR_SANNOLIKHET"]`),
		chromedp.Click(`#submit`),
		signReviewed(&receiptID),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !basisHiddenByIC || basisShownAgain {
		t.Errorf("question 1 hidden with/without smittbärarpenning: %v/%v, want true/false", basisHiddenByIC, basisShownAgain)
	}
	if !unevenBefore || unevenAfter {
		t.Errorf("question 33 hidden before/after a 50 %% period: %v/%v, want true/false", unevenBefore, unevenAfter)
	}
	c := ts.receiptCertificate(t, receiptID)
	if c.SickLeave == nil || c.SickLeave.TotalDays != 28 || c.SickLeave.NetDays != 21 || c.Diagnoses[0].Title != "Utmattningssyndrom" {
		t.Errorf("stored sick leave %+v, diagnoses %+v; want 28 days, 21 net, F43.8A with its title", c.SickLeave, c.Diagnoses)
	}
}

// TestPhysicianFillsFK7800 fills the statement for sickness compensation
// in a real browser: the investigations appear only after "yes" to question
// 3 and the contact reason only with the contact box ticked; a known-since
// date after the examination is refused next to question 2 with the
// answers kept; corrected, the statement is signed and the stored record
// has what was typed.
func TestPhysicianFillsFK7800(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "physician")
	ctx := browser(t)
	q := func(name string) string { return `[name="` + name + `"]` }
	hidden := func(id string, v *bool) chromedp.Action {
		return chromedp.Evaluate(`document.getElementById("`+id+`").hidden`, v)
	}
	var invHiddenBefore, invHiddenAfter, reasonHiddenBefore, reasonHiddenAfter, autoTicked bool
	var errorText, keptSource, receiptID string
	err := chromedp.Run(ctx,
		openForm(ts.URL+"/sign-in?next=/forms/fk7800/1.0"),

		chromedp.SendKeys(q("patient.id"), "19121212-1212"),
		chromedp.SendKeys(q("patient.name"), "Tolvan Tolvansson"),
		chromedp.Click(`input[name="answers.basis"][value="UNDERSOKNING"]`),
		chromedp.SetValue(q("answers.basis.UNDERSOKNING.date"), "2026-11-20"),
		chromedp.Click(`input[name="answers.basis"][value="JOURNALUPPGIFTER"]`),
		chromedp.SetValue(q("answers.basis.JOURNALUPPGIFTER.date"), "2026-11-02"),
		// Known since after the examination: a mistake.
		chromedp.SetValue(q("answers.patientKnownSince"), "2026-11-21"),
		hidden("q-investigations", &invHiddenBefore),
		chromedp.Click(`input[name="answers.otherInvestigations"][value="true"]`),
		hidden("q-investigations", &invHiddenAfter),
		chromedp.SetValue(q("answers.investigations.0.type"), "FORETAGSHALSOVARD"),
		chromedp.SetValue(q("answers.investigations.0.date"), "2026-09-15"),
		chromedp.SendKeys(q("answers.investigations.0.source"), "Företagshälsovården Feelgood, Karlstad"),
		chromedp.SendKeys(q("answers.diseaseHistory"), "Ländryggssmärta sedan 2018, opererad 2021."),
		chromedp.SendKeys(q("answers.diagnoses.0.code"), "M51.1"),
		chromedp.SendKeys(q("answers.diagnoses.0.description"), "Lumbalt diskbråck med radikulopati"),
		chromedp.SendKeys(q("answers.diagnosisBasis"), "Ortopedkliniken, Centralsjukhuset Karlstad, 2019."),
		chromedp.Click(`input[name="answers.newDiagnosisAssessment"][value="false"]`),
		chromedp.Click(`input[name="answers.functionalImpairments"][value="SINNESFUNKTION"]`),
		chromedp.SendKeys(q("answers.functionalImpairments.SINNESFUNKTION.text"), "Konstant smärta i ländrygg och vänster ben."),
		// Typing under an area not ticked ticks it.
		chromedp.SendKeys(q("answers.functionalImpairments.PSYKISK_FUNKTION.text"), "Nedstämd av smärtan."),
		chromedp.Evaluate(`document.querySelector('input[name="answers.functionalImpairments"][value="PSYKISK_FUNKTION"]').checked`, &autoTicked),
		chromedp.SendKeys(q("answers.activityLimitation"), "Kan inte sitta eller stå mer än 20 minuter."),
		chromedp.SendKeys(q("answers.workPrerequisites"), "Inga förutsättningar för arbete under överskådlig tid."),
		hidden("q-contactReason", &reasonHiddenBefore),
		chromedp.Click(`input[name="answers.contactRequested"]`),
		hidden("q-contactReason", &reasonHiddenAfter),
		chromedp.SendKeys(q("answers.contactReason"), "Vill diskutera rehabiliteringen."),
		chromedp.Click(`#submit`),

		chromedp.WaitVisible(`#error-summary`),
		chromedp.Text(`#q-patientKnownSince .error`, &errorText),
		chromedp.Value(q("answers.investigations.0.source"), &keptSource),
		chromedp.SetValue(q("answers.patientKnownSince"), "2018-05-02"),
		chromedp.Click(`#submit`),
		signReviewed(&receiptID),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !invHiddenBefore || invHiddenAfter {
		t.Errorf("question 4 hidden before/after answering yes to 3: %v/%v, want true/false", invHiddenBefore, invHiddenAfter)
	}
	if !autoTicked {
		t.Errorf("typing under an area did not tick it")
	}
	if !reasonHiddenBefore || reasonHiddenAfter {
		t.Errorf("question 26.2 hidden before/after ticking 26: %v/%v, want true/false", reasonHiddenBefore, reasonHiddenAfter)
	}
	if !strings.Contains(errorText, "2026-11-20") {
		t.Errorf("message next to question 2 = %q, want the examination's date", errorText)
	}
	if keptSource != "Företagshälsovården Feelgood, Karlstad" {
		t.Errorf("the refused form lost the investigation's source: %q", keptSource)
	}
	c := ts.receiptCertificate(t, receiptID)
	inv, _ := c.Answers["investigations"].([]any)
	if c.Template != "fk7800" || c.Answers["patientKnownSince"] != "2018-05-02" || len(inv) != 1 || c.Answers["contactReason"] != "Vill diskutera rehabiliteringen." || c.Issuer.Unit.HSAID != unit {
		t.Errorf("stored record = %+v", c)
	}
	if len(c.Diagnoses) != 1 || c.Diagnoses[0].Code != "M51.1" {
		t.Errorf("stored diagnoses = %+v, want M51.1", c.Diagnoses)
	}
}

// TestNarrowScreens: on a phone's 360 px the pages fit the screen's width;
// a table wider than that scrolls in its own box, not the page (a
// fieldset had grown to the periods table's width, and the queue's and
// the comparison's tables pushed the whole page sideways).
func TestNarrowScreens(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "physician")
	ts.person(t, "caseworker")
	older := ts.submit(t, "valid/full-time-one-period.json")
	newer := ts.submit(t, "valid/full-time-one-period.json")
	ctx := browser(t)
	fits := func(path, ready string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			var over int
			err := chromedp.Run(ctx,
				chromedp.Navigate(ts.URL+path),
				chromedp.WaitVisible(ready),
				chromedp.Evaluate(`document.documentElement.scrollWidth - document.documentElement.clientWidth`, &over),
			)
			if err == nil && over > 0 {
				var wide []string
				chromedp.Evaluate(`[...document.querySelectorAll('body *')].filter(e => (!e.parentElement.closest('.table-scroll')) && e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5).slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + (e.getAttribute('name') || e.textContent.slice(0, 30)) + ' ' + Math.round(e.getBoundingClientRect().right))`, &wide).Do(ctx)
				t.Errorf("%s is %d px wider than the screen: %v", path, over, wide)
			}
			return err
		})
	}
	err := chromedp.Run(ctx,
		chromedp.EmulateViewport(360, 740),
		openForm(ts.URL+"/sign-in?next=/forms/fk7804/2.0"),
		fits("/forms/fk7804/2.0", `table[data-periods]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Run(browser(t), // the caseworker's own browser
		chromedp.EmulateViewport(360, 740),
		signIn(ts.URL+"/sign-in?next=/queue", "cia"),
		chromedp.WaitVisible(`#queue`),
		fits("/queue", `#queue`),
		fits("/certificates/"+older, `#certificate-id`),
		fits("/compare?id="+older+"&id="+newer, `#compare`),
	)
	if err != nil {
		t.Fatal(err)
	}
	// The lists of the other roles, each table in its own box.
	ts.person(t, "coordinator")
	ts.person(t, "admin")
	for _, who := range []struct {
		user  string
		pages [][2]string // path, an element to wait for
	}{
		{"asa", [][2]string{{"/certificates", "#my-certificates"}}},
		{"rut", [][2]string{{"/unit/cases", "#unit-cases"}}},
		{"dan", [][2]string{{"/admin/people", "#people"}, {"/admin/units", "#units"}, {"/admin/tokens", "#tokens"}, {"/admin/audit", "#audit"}}},
	} {
		var header float64
		actions := []chromedp.Action{chromedp.EmulateViewport(360, 740), signIn(ts.URL+"/sign-in?next="+who.pages[0][0], who.user), chromedp.WaitVisible(who.pages[0][1]),
			chromedp.Evaluate(`document.querySelector('header.top').getBoundingClientRect().height`, &header)}
		for _, p := range who.pages {
			actions = append(actions, fits(p[0], p[1]))
		}
		if err := chromedp.Run(browser(t), actions...); err != nil {
			t.Fatalf("%s: %v", who.user, err)
		}
		// The menu's links wrap side by side under the name, not in a
		// column (the physician's seven took 280 px of the screen).
		if header > 160 {
			t.Errorf("%s: the header is %.0f px high on a phone, want at most 160", who.user, header)
		}
	}
}
