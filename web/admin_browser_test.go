package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/intyg/intyg/store"
)

// TestAdminCreatesPhysician: in a real browser an admin signs in with user
// name and password, registers a unit and makes a physician's account
// there through the pages (one mistake on the way, shown next to its
// field), signs out, and the new physician signs in to the forms.
func TestAdminCreatesPhysician(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "admin")
	ctx := browser(t)
	const newUnit = "SE2321000016-4444"
	var unitRow, passwordError, keptName, done, heading string
	err := chromedp.Run(ctx,
		signIn(ts.URL+"/sign-in", "dan"),
		chromedp.WaitVisible(`#admin-links`),
		chromedp.Click(`#admin-links a[href="/admin/units"]`),
		chromedp.WaitVisible(`#unit-form`),
		chromedp.SendKeys(`#f-hsaId`, newUnit),
		chromedp.SendKeys(`#f-name`, "Vårdcentralen Väster"),
		chromedp.SendKeys(`#f-address`, "Fleminggatan 5"),
		chromedp.SendKeys(`#f-postalCode`, "112 26"),
		chromedp.SendKeys(`#f-city`, "Stockholm"),
		chromedp.SendKeys(`#f-phone`, "08-222 33 44"),
		chromedp.SendKeys(`#f-careProvider-hsaId`, "SE2321000016-0001"),
		chromedp.SendKeys(`#f-careProvider-name`, "Region Stockholm"),
		chromedp.Click(`#unit-submit`),
		chromedp.WaitVisible(`#done`),
		chromedp.Text(`#unit-`+newUnit, &unitRow),

		chromedp.Navigate(ts.URL+"/admin/people"),
		chromedp.WaitVisible(`#person-form`),
		chromedp.SendKeys(`#f-username`, "greta"),
		chromedp.SendKeys(`#f-name`, "Greta Gran"),
		chromedp.Click(`input[name="role"][value="physician"]`),
		chromedp.SendKeys(`#f-hsaId`, "SE2321000016-2001"),
		chromedp.SetValue(`#f-signingRole`, "DOCTOR"),
		chromedp.Click(`input[name="units"][value="`+newUnit+`"]`),
		chromedp.SendKeys(`#f-password`, testPassword),
		chromedp.SendKeys(`#f-password2`, "något annat helt och hållet"),
		chromedp.Click(`#person-submit`),
		chromedp.WaitVisible(`#error-summary`),
		chromedp.Text(`#f-password2-error`, &passwordError),
		chromedp.Value(`#f-name`, &keptName),
		chromedp.SendKeys(`#f-password`, testPassword),
		chromedp.SendKeys(`#f-password2`, testPassword),
		chromedp.Click(`#person-submit`),
		chromedp.WaitVisible(`#done`),
		chromedp.Text(`#done`, &done),

		chromedp.Click(`header form button`),
		chromedp.WaitVisible(`#sign-in`),
		chromedp.SendKeys(`#username`, "greta"),
		chromedp.SendKeys(`#password`, testPassword),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`ul.templates`),
		chromedp.Text(`h1`, &heading),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(unitRow, "Vårdcentralen Väster") || !strings.Contains(unitRow, "Aktiv") {
		t.Errorf("the unit's row = %q", unitRow)
	}
	if !strings.Contains(passwordError, "inte lika") || keptName != "Greta Gran" {
		t.Errorf("the refused form: message %q, name kept %q", passwordError, keptName)
	}
	if !strings.Contains(done, "Kontot är skapat") || heading != "Skriv intyg" {
		t.Errorf("after creating: %q; the physician's page: %q", done, heading)
	}
	u, err := ts.db.FindUserByUsername(context.Background(), "greta")
	if err != nil || len(u.Units) != 1 || u.Units[0] != newUnit || u.SigningRole != "DOCTOR" {
		t.Errorf("stored physician %+v, %v", u, err)
	}
}
