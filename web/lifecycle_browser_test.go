package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// TestCompletionInBrowser: in a real browser a caseworker asks for
// completion of question 32; the physician finds the request among the
// unit's messages, opens the form pre-filled with question 32 marked,
// signs the completion; the caseworker then sees the original replaced,
// the request answered and the relation both ways.
func TestCompletionInBrowser(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "caseworker")
	ts.person(t, "physician")
	orig := ts.submit(t, "valid/full-time-one-period.json")

	cw := browser(t)
	var sent string
	err := chromedp.Run(cw,
		signIn(ts.URL+"/sign-in?next=/certificates/"+orig, "cia"),
		chromedp.WaitVisible(`#certificate-id`),
		chromedp.Click(`details.send-message summary`, chromedp.NodeVisible),
		chromedp.SetValue(`#message-type`, "KOMPLT"),
		chromedp.Click(`#question-32`, chromedp.NodeVisible),
		chromedp.SendKeys(`#complement-32`, "Ange sjukskrivningsgrad för december."),
		chromedp.Click(`#send-message`),
		chromedp.WaitVisible(`#messages article.message`),
		chromedp.Text(`#messages article.message`, &sent),
	)
	if err != nil {
		t.Fatalf("caseworker: %v", err)
	}
	if !strings.Contains(sent, "Obesvarad") || !strings.Contains(sent, "Fråga 32") {
		t.Fatalf("the sent request reads %q", sent)
	}
	checkAxe(t, cw, axeSource(t), "certificate page with a message")

	doc := browser(t)
	var listed, opened, asked, note string
	err = chromedp.Run(doc,
		signIn(ts.URL+"/sign-in?next=/messages", "asa"),
		chromedp.WaitVisible(`#message-list`),
		chromedp.Text(`#message-list tbody`, &listed),
		chromedp.Click(`#message-list tbody a`),
		chromedp.WaitVisible(`#certificate-id`),
		chromedp.Text(`#certificate-id`, &opened),
		chromedp.Click(`#messages button[id^="complete-"]`),
		chromedp.WaitVisible(`#relation-note`),
		chromedp.Text(`#relation-note`, &note),
		chromedp.Text(`#q-sickLeave .complement-request`, &asked),
	)
	if err != nil {
		t.Fatalf("physician: %v", err)
	}
	if !strings.Contains(listed, "Komplettering") || !strings.Contains(listed, "Visa") || !strings.Contains(listed, "Karin Johansson, 19780614-2381") || !strings.Contains(listed, unit) {
		t.Errorf("the physician's messages read %q", listed)
	}
	if opened != orig {
		t.Errorf("the message's link opened certificate %q, want %s", opened, orig)
	}
	if !strings.Contains(note, "Kompletterar") || !strings.Contains(asked, "Ange sjukskrivningsgrad för december.") {
		t.Errorf("the completion form: note %q, question 32 %q", note, asked)
	}
	checkAxe(t, doc, axeSource(t), "completion form")
	var completing, reviewed string
	err = chromedp.Run(doc,
		chromedp.SetValue(`input[name="answers.sickLeave.100.to"]`, "2026-12-31"),
		chromedp.Click(`#submit`),
		chromedp.WaitVisible(`#sign, #error-summary`),
		chromedp.Text(`main`, &reviewed),
	)
	if err != nil || strings.Contains(reviewed, "fel") && !strings.Contains(reviewed, "Signera") {
		t.Fatalf("physician reviewing: %v\n%s", err, reviewed)
	}
	err = chromedp.Run(doc,
		chromedp.Click(`#sign`),
		chromedp.WaitVisible(`#certificate-id`),
		chromedp.Text(`#certificate-id`, &completing),
	)
	if err != nil {
		t.Fatalf("physician signing: %v", err)
	}
	if completing == orig || completing == "" {
		t.Fatalf("the completion got id %q", completing)
	}

	var status, relations, answered string
	err = chromedp.Run(cw,
		chromedp.Navigate(ts.URL+"/certificates/"+orig),
		chromedp.WaitVisible(`#certificate-id`),
		chromedp.Text(`#certificate-status`, &status),
		chromedp.Text(`#relations`, &relations),
		chromedp.Text(`#messages article.message`, &answered),
	)
	if err != nil {
		t.Fatalf("caseworker after completion: %v", err)
	}
	if status != "Ersatt" || !strings.Contains(relations, "Kompletterat av") || !strings.Contains(relations, completing) {
		t.Errorf("original: status %q, relations %q", status, relations)
	}
	if !strings.Contains(answered, "Besvarad") || !strings.Contains(answered, completing) {
		t.Errorf("the request reads %q, want answered by %s", answered, completing)
	}
	var back string
	err = chromedp.Run(cw,
		chromedp.Click(`#relations a`),
		chromedp.WaitVisible(`#relations`),
		chromedp.Text(`#relations`, &back),
	)
	if err != nil || !strings.Contains(back, "Kompletterar") || !strings.Contains(back, orig) {
		t.Errorf("the completing certificate's relations: %q, %v", back, err)
	}
}

// TestMessageAcrossSessionExpiry: a caseworker writes a message, the
// session ends, she sends it: after signing in again the certificate page
// has her text back, she sends it, and the tab's copy is gone.
func TestMessageAcrossSessionExpiry(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	u := ts.person(t, "caseworker")
	orig := ts.submit(t, "valid/full-time-one-period.json")
	cw := browser(t)
	const text = "Kan ni ringa patienten om arbetsträningen?"
	err := chromedp.Run(cw,
		signIn(ts.URL+"/sign-in?next=/certificates/"+orig, "cia"),
		chromedp.WaitVisible(`#certificate-id`),
		chromedp.Click(`details.send-message summary`, chromedp.NodeVisible),
		chromedp.SetValue(`#message-type`, "KONTKT"),
		chromedp.SendKeys(`#message-text`, text, chromedp.NodeVisible),
	)
	if err != nil {
		t.Fatalf("caseworker: %v", err)
	}
	ts.endSessions(t, u)
	var restored string
	var left int
	err = chromedp.Run(cw,
		chromedp.Click(`#send-message`),
		chromedp.WaitVisible(`#session-expired`),
		chromedp.SendKeys(`#username`, "cia"),
		chromedp.SendKeys(`#password`, testPassword),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`#certificate-id`),
		chromedp.Value(`#message-text`, &restored),
		chromedp.Click(`#send-message`, chromedp.NodeVisible),
		chromedp.WaitVisible(`#messages article.message`),
		chromedp.Evaluate(`Object.keys(sessionStorage).filter(k => k.startsWith("intyg-unsaved:")).length`, &left),
	)
	if err != nil {
		t.Fatalf("caseworker, after the session ended: %v", err)
	}
	if restored != text {
		t.Errorf("the message came back as %q, want %q", restored, text)
	}
	if left != 0 {
		t.Errorf("after sending, the tab keeps %d copies, want none", left)
	}
	if _, body := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+orig+"/messages", nil); !strings.Contains(string(body), text) {
		t.Errorf("the message was not sent: %s", body)
	}
}

// endSessions ends every session of u on the server, as a timeout would
// (disabling the account ends them; it is enabled again at once).
func (ts *testServer) endSessions(t *testing.T, u *intake.User) {
	t.Helper()
	for _, disabled := range []bool{true, false} {
		if err := ts.db.SetUserDisabled(context.Background(), u.ID, disabled); err != nil {
			t.Fatal(err)
		}
	}
}
