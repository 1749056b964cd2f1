package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/intyg/intyg/store"
)

// TestPeopleSignInInBrowser: in a real browser a wrong password is refused,
// five of them lock the name from this address, another physician signs
// in, picks one of her two units, sees it on the form, and signs out, after
// which the form sends her back to sign-in.
func TestPeopleSignInInBrowser(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "physician")
	ts.person(t, "physician-two-units")
	ctx := browser(t)
	signIn := func(user, password string) chromedp.Tasks {
		return chromedp.Tasks{
			chromedp.Navigate(ts.URL + "/sign-in"),
			chromedp.WaitVisible(`#username`),
			chromedp.SendKeys(`#username`, user),
			chromedp.SendKeys(`#password`, password),
			chromedp.Submit(`#password`),
		}
	}
	var wrong, locked, unitOnForm, afterSignOut string
	tasks := chromedp.Tasks{signIn("asa", "fel lösenord igen"), chromedp.WaitVisible(`#sign-in-error`), chromedp.Text(`#sign-in-error`, &wrong)}
	for i := 0; i < 4; i++ {
		tasks = append(tasks, signIn("asa", "fel lösenord igen"), chromedp.WaitVisible(`#sign-in-error`))
	}
	tasks = append(tasks,
		signIn("asa", testPassword), chromedp.WaitVisible(`#sign-in-error`), chromedp.Text(`#sign-in-error`, &locked),
		signIn("bo", testPassword),
		chromedp.WaitVisible(`#unit-form`),
		chromedp.Click(`input[name="unit"][value="`+otherUnit+`"]`),
		chromedp.Submit(`#unit-form`),
		chromedp.WaitVisible(`ul.templates`),
		chromedp.Navigate(ts.URL+"/forms/fk7804/2.0"),
		chromedp.WaitVisible(`#issuer-unit`),
		chromedp.Text(`#issuer-unit`, &unitOnForm),
		chromedp.Submit(`header form`),
		chromedp.WaitVisible(`#username`),
		chromedp.Navigate(ts.URL+"/forms/fk7804/2.0"),
		chromedp.WaitVisible(`#username`),
		chromedp.Location(&afterSignOut),
	)
	if err := chromedp.Run(ctx, tasks); err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(wrong, "Fel användarnamn eller lösenord") {
		t.Errorf("wrong password: %q", wrong)
	}
	if !strings.Contains(locked, "Vänta 15 minuter") {
		t.Errorf("after five wrong passwords the right one says %q, want the lock-out", locked)
	}
	if !strings.Contains(unitOnForm, "Vårdcentralen Söder") {
		t.Errorf("the form's unit = %q, want the chosen Vårdcentralen Söder", unitOnForm)
	}
	if !strings.Contains(afterSignOut, "/sign-in?next=") {
		t.Errorf("after sign-out the form went to %q, want sign-in", afterSignOut)
	}
}
