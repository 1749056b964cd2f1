package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// browse sends a browser's request (Accept: HTML) with the session cookie
// (nil for none) and, for a POST, the form; it does not follow redirects.
func (ts *testServer) browse(t *testing.T, cookie *http.Cookie, method, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", browserAccept)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// fieldError returns the message shown next to a form field (the element
// its aria-describedby names), or "".
func fieldError(page, field string) string {
	id := "f-" + strings.ReplaceAll(field, ".", "-") + "-error"
	if !strings.Contains(page, `aria-describedby="`+id+`"`) && !regexp.MustCompile(`aria-describedby="[^"]*\b`+regexp.QuoteMeta(id)+`"`).MatchString(page) {
		return ""
	}
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `">([^<]*)<`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

// adminActions returns the access log's entries whose action starts with prefix.
func (ts *testServer) adminActions(t *testing.T, prefix string) []*intake.AuditEntry {
	t.Helper()
	all, _, err := ts.db.FindAuditEntries(context.Background(), intake.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []*intake.AuditEntry
	for _, e := range all {
		if strings.HasPrefix(e.Action, prefix) {
			out = append(out, e)
		}
	}
	return out
}

// TestAdminPagesRoles: every admin page is for admins: physicians and
// caseworkers get the 403 page, no session goes to sign-in (and back).
func TestAdminPagesRoles(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	u := ts.person(t, "caseworker")
	for _, tt := range []struct{ method, path string }{
		{"GET", "/admin"}, {"GET", "/admin/people"}, {"POST", "/admin/people"}, {"POST", "/admin/people/" + u.ID + "/disable"},
		{"POST", "/admin/people/" + u.ID + "/enable"}, {"GET", "/admin/units"}, {"POST", "/admin/units"},
		{"POST", "/admin/units/" + unit + "/disable"}, {"POST", "/admin/units/" + unit + "/enable"}, {"GET", "/admin/tokens"},
		{"POST", "/admin/tokens"}, {"POST", "/admin/tokens/x/revoke"}, {"GET", "/admin/audit"}, {"POST", "/admin/audit"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			var form url.Values
			if tt.method == "POST" {
				form = url.Values{"person": {"cia"}}
			}
			for _, who := range []string{"physician", "caseworker"} {
				resp, body := ts.browse(t, ts.session(t, who), tt.method, tt.path, form)
				if resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "Du har inte behörighet") {
					t.Errorf("%s: %d %s, want the 403 page", who, resp.StatusCode, resp.Header.Get("Content-Type"))
				}
			}
			resp, _ := ts.browse(t, nil, tt.method, tt.path, form)
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/sign-in?next=") {
				t.Errorf("no session: %d to %q, want 303 to sign-in", resp.StatusCode, loc)
			}
			if resp, _ := ts.browse(t, ts.session(t, "admin"), "GET", tt.path, nil); tt.method == "GET" && resp.StatusCode != http.StatusOK {
				t.Errorf("admin: %d, want 200", resp.StatusCode)
			}
		})
	}
	if n := len(ts.adminActions(t, "admin.")); n != 0 {
		t.Errorf("%d admin changes logged after refusals, want 0", n)
	}
	// The admin's home is the overview, which links to the four pages.
	resp, body := ts.browse(t, ts.session(t, "admin"), "GET", "/", nil)
	if resp.Header.Get("Location") != "/admin" {
		t.Errorf("an admin's / goes to %q, want /admin", resp.Header.Get("Location"))
	}
	_, body = ts.browse(t, ts.session(t, "admin"), "GET", "/admin", nil)
	for _, href := range []string{"/admin/people", "/admin/units", "/admin/tokens", "/admin/audit"} {
		if !strings.Contains(body, `href="`+href+`"`) {
			t.Errorf("the overview does not link to %s", href)
		}
	}
}

// TestAdminPeople: the list, a valid and invalid new account, and
// disabling a person, which ends their session at once.
func TestAdminPeople(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	admin := ts.session(t, "admin")
	physician := ts.person(t, "physician")

	resp, body := ts.browse(t, admin, "GET", "/admin/people", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `<th scope="col">Användarnamn</th>`) || !strings.Contains(body, `<th scope="row">asa</th>`) ||
		!strings.Contains(body, "Åsa Lindberg") || !strings.Contains(body, "SE2321000016-1003") || !strings.Contains(body, `value="`+otherUnit+`"`) {
		t.Fatalf("GET /admin/people: %d\n%s", resp.StatusCode, body)
	}

	valid := url.Values{"username": {"Erik"}, "name": {"Erik Ek"}, "role": {"physician"}, "hsaId": {"se2321000016-1010"}, "signingRole": {"DOCTOR"},
		"prescriberCode": {"7654321"}, "specialities": {"Kirurgi, Ortopedi"}, "units": {unit, otherUnit}, "password": {testPassword}, "password2": {testPassword}}
	tests := []struct {
		name   string
		change func(v url.Values)
		errors map[string]string // field → part of its message
	}{
		{"missing name and role", func(v url.Values) { v.Del("name"); v.Del("role") }, map[string]string{"name": "måste fyllas i", "role": "Välj roll"}},
		{"physician without units or signing role", func(v url.Values) { v.Del("units"); v.Del("signingRole") },
			map[string]string{"units": "minst en vårdenhet", "signingRole": "måste fyllas i"}},
		{"bad user name and HSA-id", func(v url.Values) { v.Set("username", "e"); v.Set("hsaId", "nope") },
			map[string]string{"username": "2–64 tecken", "hsaId": "HSA-id"}},
		{"a signing role no template lets sign", func(v url.Values) { v.Set("signingRole", "NURSE") }, map[string]string{"signingRole": "DOCTOR, PRIVATE_DOCTOR, DENTIST"}},
		{"passwords differ", func(v url.Values) { v.Set("password2", testPassword+"x") }, map[string]string{"password2": "inte lika"}},
		{"weak password", func(v url.Values) { v.Set("password", "sommar2026"); v.Set("password2", "sommar2026") }, map[string]string{"password": "minst 12 tecken"}},
		{"user name taken", func(v url.Values) { v.Set("username", "asa"); v.Set("hsaId", "SE2321000016-1011") }, map[string]string{"username": "Användarnamnet används redan"}},
		{"HSA-id taken", func(v url.Values) { v.Set("hsaId", "SE2321000016-1003") }, map[string]string{"hsaId": "används redan av ett annat konto"}},
		// Every fault in one round, not one after another.
		{"everything at once", func(v url.Values) {
			v.Set("username", "asa")
			v.Set("password", "abc123")
			v.Set("password2", "abc124")
			v.Del("signingRole")
		}, map[string]string{"username": "Användarnamnet används redan", "password": "minst 12 tecken", "password2": "inte lika", "signingRole": "måste fyllas i"}},
		{"caseworker with units", func(v url.Values) { v.Set("role", "caseworker"); v.Del("hsaId") }, map[string]string{"units": "Bara läkare"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{}
			for k, v := range valid {
				form[k] = append([]string(nil), v...)
			}
			tt.change(form)
			resp, body := ts.browse(t, admin, "POST", "/admin/people", form)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="error-summary"`) {
				t.Fatalf("status %d, want 422 with the error summary", resp.StatusCode)
			}
			for field, want := range tt.errors {
				if got := fieldError(body, field); !strings.Contains(got, want) {
					t.Errorf("message next to %s = %q, want one saying %q", field, got, want)
				}
			}
			if strings.Contains(body, testPassword) || strings.Contains(body, "sommar2026") {
				t.Errorf("the refused form shows a password")
			}
			if name := form.Get("name"); name != "" && !strings.Contains(body, `value="`+name+`"`) {
				t.Errorf("the refused form lost the name %q", name)
			}
		})
	}
	if _, err := ts.db.FindUserByUsername(context.Background(), "erik"); err == nil {
		t.Fatalf("a refused account was stored")
	}

	resp, _ = ts.browse(t, admin, "POST", "/admin/people", valid)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/people?done=userCreated") {
		t.Fatalf("create: %d to %q, want 303 to the list", resp.StatusCode, resp.Header.Get("Location"))
	}
	erik, err := ts.db.FindUserByUsername(context.Background(), "erik")
	if err != nil || erik.HSAID != "SE2321000016-1010" || len(erik.Units) != 2 || len(erik.Specialities) != 2 || erik.PrescriberCode != "7654321" {
		t.Fatalf("stored = %+v, %v", erik, err)
	}
	if _, body := ts.browse(t, admin, "GET", resp.Header.Get("Location"), nil); !strings.Contains(body, "Kontot är skapat") || !strings.Contains(body, `id="person-`+erik.ID+`"`) {
		t.Errorf("the list after creating does not say so or show the account")
	}

	// Disabling a signed-in physician ends the session at once.
	cookie := ts.session(t, "physician")
	if resp, _ := ts.browse(t, cookie, "GET", "/forms", nil); resp.StatusCode != 200 {
		t.Fatalf("the physician's session does not work before: %d", resp.StatusCode)
	}
	resp, _ = ts.browse(t, admin, "POST", "/admin/people/"+physician.ID+"/disable", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	resp, _ = ts.browse(t, cookie, "GET", "/forms", nil)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/sign-in") {
		t.Errorf("the disabled physician's session: %d to %q, want 303 to sign-in", resp.StatusCode, loc)
	}
	if _, body := ts.browse(t, admin, "GET", "/admin/people", nil); !strings.Contains(body, "Avstängd") || !strings.Contains(body, `/admin/people/`+physician.ID+`/enable`) {
		t.Errorf("the list does not show the physician disabled with an enable button")
	}
	if resp, _ := ts.browse(t, admin, "POST", "/admin/people/"+physician.ID+"/enable", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("enable: %d", resp.StatusCode)
	}
	if resp, _ := ts.browse(t, admin, "POST", "/admin/people/nosuchid/disable", url.Values{}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("disable an unknown person: %d, want 404", resp.StatusCode)
	}

	// Every change names the admin and what was changed.
	adminUser := ts.person(t, "admin")
	got := map[string]string{}
	for _, e := range ts.adminActions(t, "admin.user.") {
		if e.UserID != adminUser.ID || e.Role != intake.RoleAdmin || e.Name != adminUser.Name {
			t.Errorf("entry %+v does not name the admin", e)
		}
		got[e.Action] = e.Query
	}
	want := map[string]string{"admin.user.create": "username=" + erik.Username, "admin.user.disable": "user=" + physician.ID, "admin.user.enable": "user=" + physician.ID}
	for action, q := range want {
		if got[action] != q {
			t.Errorf("access log %s = %q, want %q", action, got[action], q)
		}
	}
}

// TestAdminUnits: the list, a valid and invalid new unit, disabling one.
func TestAdminUnits(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.mustUnits(t)
	admin := ts.session(t, "admin")
	resp, body := ts.browse(t, admin, "GET", "/admin/units", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `<th scope="row">`+unit+`</th>`) || !strings.Contains(body, "Vårdcentralen Söder") || !strings.Contains(body, "Region Stockholm") {
		t.Fatalf("GET /admin/units: %d\n%s", resp.StatusCode, body)
	}
	valid := url.Values{"hsaId": {"se2321000016-5555"}, "name": {"Vårdcentralen Norr"}, "address": {"Norrtullsgatan 1"}, "postalCode": {"113 29"},
		"city": {"Stockholm"}, "phone": {"08-111 22 33"}, "careProvider.hsaId": {"SE2321000016-0001"}, "careProvider.name": {"Region Stockholm"}}
	for _, tt := range []struct {
		name   string
		change func(v url.Values)
		errors map[string]string
	}{
		{"missing fields", func(v url.Values) { v.Del("name"); v.Del("careProvider.name"); v.Set("postalCode", "11329") },
			map[string]string{"name": "måste fyllas i", "careProvider.name": "måste fyllas i", "postalCode": "NNN NN"}},
		{"bad HSA-id", func(v url.Values) { v.Set("careProvider.hsaId", "region") }, map[string]string{"careProvider.hsaId": "HSA-id"}},
		{"registered", func(v url.Values) { v.Set("hsaId", unit) }, map[string]string{"hsaId": "redan registrerad"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{}
			for k, v := range valid {
				form[k] = append([]string(nil), v...)
			}
			tt.change(form)
			resp, body := ts.browse(t, admin, "POST", "/admin/units", form)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", resp.StatusCode)
			}
			for field, want := range tt.errors {
				if got := fieldError(body, field); !strings.Contains(got, want) {
					t.Errorf("message next to %s = %q, want one saying %q", field, got, want)
				}
			}
			if !strings.Contains(body, `value="`+form.Get("address")+`"`) {
				t.Errorf("the refused form lost the address")
			}
		})
	}
	resp, _ = ts.browse(t, admin, "POST", "/admin/units", valid)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	u, err := ts.db.FindUnitByHSAID(context.Background(), "SE2321000016-5555")
	if err != nil || u.PostalCode != "113 29" || u.CareProvider.Name != "Region Stockholm" {
		t.Fatalf("stored %+v, %v", u, err)
	}
	if resp, _ := ts.browse(t, admin, "POST", "/admin/units/SE2321000016-5555/disable", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	if u, _ := ts.db.FindUnitByHSAID(context.Background(), "SE2321000016-5555"); u.DisabledAt.IsZero() {
		t.Errorf("the unit is not disabled")
	}
	// A disabled unit is not offered to new physicians.
	if _, body := ts.browse(t, admin, "GET", "/admin/people", nil); strings.Contains(body, `value="SE2321000016-5555"`) {
		t.Errorf("the people form offers a disabled unit")
	}
	// Newest first; a change is logged before it is tried, so the refused
	// create of a registered unit is there too.
	if got := ts.adminActions(t, "admin.unit."); len(got) != 3 || got[0].Action != "admin.unit.disable" || got[1].Query != "unit=SE2321000016-5555" || got[2].Query != "unit="+unit {
		t.Errorf("access log %+v, want the refused create, the create and the disable", got)
	}
}

var secretPattern = regexp.MustCompile(`intyg_[A-Za-z0-9_-]{20,}`)

// TestAdminTokens: a token made on the page works as a bearer token, its
// secret is shown once and never on the list; revoking stops it.
func TestAdminTokens(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.mustUnits(t)
	admin := ts.session(t, "admin")
	for _, tt := range []struct {
		name   string
		form   url.Values
		errors map[string]string
	}{
		{"no role", url.Values{"name": {"x"}}, map[string]string{"role": "Välj roll"}},
		{"clinic without units", url.Values{"role": {"clinic"}}, map[string]string{"units": "vårdenheter eller en vårdgivare"}},
		{"units and provider", url.Values{"role": {"clinic"}, "units": {unit}, "careProvider": {"SE2321000016-0001"}}, map[string]string{"careProvider": "inte båda"}},
		{"past expiry", url.Values{"role": {"caseworker"}, "expiresAt": {"2020-01-01"}}, map[string]string{"expiresAt": "framtiden"}},
		{"bad expiry", url.Values{"role": {"caseworker"}, "expiresAt": {"snart"}}, map[string]string{"expiresAt": "giltigt datum"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := ts.browse(t, admin, "POST", "/admin/tokens", tt.form)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", resp.StatusCode)
			}
			for field, want := range tt.errors {
				if got := fieldError(body, field); !strings.Contains(got, want) {
					t.Errorf("message next to %s = %q, want one saying %q", field, got, want)
				}
			}
		})
	}

	resp, body := ts.browse(t, admin, "POST", "/admin/tokens", url.Values{"role": {"clinic"}, "name": {"Journalsystemet"}, "units": {unit, otherUnit}, "expiresAt": {"2027-01-31"}})
	secret := secretPattern.FindString(body)
	if resp.StatusCode != 200 || secret == "" || resp.Header.Get("Cache-Control") != "no-store" || strings.Contains(resp.Header.Get("Location"), secret) {
		t.Fatalf("create: %d, Cache-Control %q\n%s", resp.StatusCode, resp.Header.Get("Cache-Control"), body)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/templates", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the new token on /api/v1/templates: %v %v", resp.StatusCode, err)
	}
	tokens, _ := ts.db.FindTokens(context.Background())
	tok := tokens[0]
	if tok.Name != "Journalsystemet" || len(tok.Units) != 2 || tok.ExpiresAt.In(intake.Stockholm).Format("2006-01-02 15:04") != "2027-02-01 00:00" {
		t.Errorf("stored token %+v", tok)
	}

	resp, body = ts.browse(t, admin, "GET", "/admin/tokens", nil)
	if resp.StatusCode != 200 || strings.Contains(body, secret) || secretPattern.MatchString(body) || !strings.Contains(body, `id="token-`+tok.ID+`"`) || !strings.Contains(body, "Journalsystemet") {
		t.Errorf("the list shows a secret or misses the token:\n%s", body)
	}
	if !strings.Contains(body, `<td class="nowrap">2027-01-31</td>`) {
		t.Error("the list does not show the token's last day as it was given, 2027-01-31")
	}

	resp, _ = ts.browse(t, admin, "POST", "/admin/tokens", url.Values{"role": {"clinic"}, "name": {"Regionen"}, "careProvider": {"SE2321000016-0001"}})
	if resp.StatusCode != 200 {
		t.Errorf("a care provider's token: %d", resp.StatusCode)
	}

	if resp, _ := ts.browse(t, admin, "POST", "/admin/tokens/"+tok.ID+"/revoke", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("the revoked token: %v %v, want 401", resp.StatusCode, err)
	}
	if resp, _ := ts.browse(t, admin, "POST", "/admin/tokens/"+tok.ID+"/revoke", url.Values{}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoke twice: %d, want 404", resp.StatusCode)
	}
	var actions []string
	for _, e := range ts.adminActions(t, "admin.token.") {
		actions = append(actions, e.Action+" "+e.Query)
	}
	// Newest first: the refused second revoke is logged too (each change is
	// logged before it is tried), then the revoke, the two tokens made.
	if len(actions) != 4 || actions[0] != "admin.token.revoke token="+tok.ID || actions[1] != actions[0] || actions[3] != "admin.token.create token="+tok.ID {
		t.Errorf("access log %v, want create, create, revoke, revoke", actions)
	}
}

// TestAdminAudit: the access-log page filtered by person and by patient
// (posted, never in the URL), pages on by a posted cursor, and every read
// is itself logged.
func TestAdminAudit(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	admin := ts.session(t, "admin")
	caseworker := ts.person(t, "caseworker")
	id := ts.submit(t, "valid/full-time-one-period.json")
	c, err := ts.db.FindCertificateByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	// The caseworker reads the certificate twice; the clinic token once.
	cw := ts.session(t, "caseworker")
	for range 2 {
		if resp, _ := ts.browse(t, cw, "GET", "/certificates/"+id, nil); resp.StatusCode != 200 {
			t.Fatalf("caseworker read: %d", resp.StatusCode)
		}
	}
	ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id, nil)
	// A command run on the server's host, as intyg user add logs it: no
	// account or token, the operating system's user by name.
	if err := ts.db.CreateAuditEntry(context.Background(), &intake.AuditEntry{Role: intake.RoleAdmin, Name: "drift (command line)", Action: "admin.user.create", Query: "username=nyanställd", RemoteAddr: "command line on server1"}); err != nil {
		t.Fatal(err)
	}

	resp, body := ts.browse(t, admin, "GET", "/admin/audit", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `<th scope="col">Vem</th>`) || !strings.Contains(body, "Cia Handläggare") {
		t.Fatalf("GET /admin/audit: %d\n%s", resp.StatusCode, body)
	}
	if !strings.Contains(body, `<td>drift (command line) <span class="muted">(`) {
		t.Error("the access log's page does not name who ran a command")
	}

	// By person, user name or id.
	for _, who := range []string{"cia", caseworker.ID} {
		resp, body = ts.browse(t, admin, "POST", "/admin/audit", url.Values{"person": {who}})
		rows := regexp.MustCompile(`<tr id="entry-`).FindAllString(body, -1)
		if resp.StatusCode != 200 || len(rows) != 2 || !strings.Contains(body, "certificate.read") || strings.Contains(body, "nyckel <code>") {
			t.Errorf("by person %s: %d, %d rows, want the caseworker's 2 reads only\n%s", who, resp.StatusCode, len(rows), body)
		}
		if want := `<td>Läste intyget <span class="muted"><code>certificate.read</code>`; !strings.Contains(body, want) {
			t.Errorf("the access log's page does not say the action in words: want %s", want)
		}
	}
	resp, body = ts.browse(t, admin, "POST", "/admin/audit", url.Values{"person": {"nobody"}})
	if resp.StatusCode != 422 || !strings.Contains(fieldError(body, "person"), "ingen person") {
		t.Errorf("unknown person: %d, message %q", resp.StatusCode, fieldError(body, "person"))
	}

	// By patient, in another accepted form; the time is Stockholm's.
	short := c.Patient.ID[2:8] + "-" + c.Patient.ID[8:]
	resp, body = ts.browse(t, admin, "POST", "/admin/audit", url.Values{"patient": {short}})
	newest := ts.auditActions(t, "certificate.read")[0]
	if resp.StatusCode != 200 || strings.Count(body, `<tr id="entry-`) < 3 || !strings.Contains(body, newest.At.In(intake.Stockholm).Format("2006-01-02 15:04")) {
		t.Errorf("by patient: %d\n%s", resp.StatusCode, body)
	}
	resp, body = ts.browse(t, admin, "POST", "/admin/audit", url.Values{"patient": {"19121212-1213"}})
	if resp.StatusCode != 422 || fieldError(body, "patient") == "" {
		t.Errorf("bad patient id: %d, message %q", resp.StatusCode, fieldError(body, "patient"))
	}

	// Reads are logged, each naming the one patient every page showed; no
	// read put a patient in a URL.
	reads := ts.auditActions(t, "audit.read")
	if len(reads) != 4 {
		t.Errorf("%d audit.read entries, want 4 (the list, two people, a patient; refused filters read nothing)", len(reads))
	}
	named := 0
	for _, e := range reads {
		if e.PatientID == c.Patient.ID {
			named++
		}
		if e.UserID != ts.person(t, "admin").ID {
			t.Errorf("read %+v does not name the admin", e)
		}
	}
	if named != 4 {
		t.Errorf("%d reads name the patient, want 4", named)
	}

	// Pages go on by a posted cursor.
	for range 60 {
		ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id, nil)
	}
	_, body = ts.browse(t, admin, "POST", "/admin/audit", url.Values{"patient": {short}})
	m := regexp.MustCompile(`name="cursor" value="([0-9]+)"`).FindStringSubmatch(body)
	if m == nil || strings.Count(body, `<tr id="entry-`) != auditPageSize || !strings.Contains(body, `name="patient" value="`+short+`"`) {
		t.Fatalf("first page: no cursor form, or not %d rows", auditPageSize)
	}
	resp, next := ts.browse(t, admin, "POST", "/admin/audit", url.Values{"patient": {short}, "cursor": {m[1]}})
	if resp.StatusCode != 200 || strings.Count(next, `<tr id="entry-`) == 0 {
		t.Fatalf("next page: %d", resp.StatusCode)
	}
	first := regexp.MustCompile(`<tr id="entry-([0-9]+)"`).FindAllStringSubmatch(body, -1)
	second := regexp.MustCompile(`<tr id="entry-([0-9]+)"`).FindAllStringSubmatch(next, -1)
	last, _ := strconv.Atoi(first[len(first)-1][1])
	if after, _ := strconv.Atoi(second[0][1]); after >= last {
		t.Errorf("the next page does not continue after entry %s (starts at %s)", first[len(first)-1][1], second[0][1])
	}
}

// crossSitePost posts form to target as a page of another site would make
// a browser with cookie post it, and returns the status.
func crossSitePost(t *testing.T, target string, cookie *http.Cookie, form url.Values) int {
	t.Helper()
	req, _ := http.NewRequest("POST", target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	req.AddCookie(cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestCrossSitePostKeepsNoSessionAlive: naming the person of a refused
// cross-site post does not count as their use of the session, which ends
// when it would have.
func TestCrossSitePostKeepsNoSessionAlive(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	var mu sync.Mutex
	now := testNow()
	ts.db.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	move := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	admin := ts.session(t, "admin")
	move(store.IdleTimeout - time.Minute)
	if status := crossSitePost(t, ts.URL+"/admin/units", admin, url.Values{"hsaId": {"x"}}); status != http.StatusForbidden {
		t.Fatalf("cross-site post: %d, want 403", status)
	}
	move(time.Minute)
	if resp, _ := ts.browse(t, admin, "GET", "/admin", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the session idle for %v but for a refused cross-site post: %d, want it ended", store.IdleTimeout, resp.StatusCode)
	}
}

// TestAdminCrossSitePostRefused: an admin's browser tricked into posting
// from another site changes nothing.
func TestAdminCrossSitePostRefused(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	admin := ts.session(t, "admin")
	for _, path := range []string{"/admin/units", "/admin/tokens"} {
		if status := crossSitePost(t, ts.URL+path, admin, url.Values{"role": {"admin"}, "hsaId": {"SE2321000016-5555"}}); status != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d, want 403", path, status)
		}
	}
	if tokens, _ := ts.db.FindTokens(context.Background()); len(tokens) != 5 {
		t.Errorf("%d tokens after a cross-site post, want the test server's 5", len(tokens))
	}
	if n := len(ts.adminActions(t, "admin.")); n != 0 {
		t.Errorf("%d admin changes logged, want 0", n)
	}
	// Each refusal is in the access log with the person whose session the
	// browser sent and the route it posted to.
	entries, _, err := ts.db.FindAuditEntries(context.Background(), intake.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, e := range entries {
		if e.Action == "security.cross_origin" {
			if e.UserID != ts.person(t, "admin").ID || e.Role != intake.RoleAdmin {
				t.Errorf("a cross-site post is logged as user %q, role %q; want the admin's", e.UserID, e.Role)
			}
			routes = append(routes, e.Query)
		}
	}
	if slices.Sort(routes); !slices.Equal(routes, []string{"/admin/tokens", "/admin/units"}) {
		t.Errorf("cross-site posts logged for routes %q, want /admin/tokens and /admin/units", routes)
	}
}

// TestAuditPageSaysEveryReadInWords: the access log's page says in words
// what each read was, the employer's copy of a PDF too, not only its code.
func TestAuditPageSaysEveryReadInWords(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	if resp, _ := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id+"/pdf?copy=employer", nil); resp.StatusCode != 200 {
		t.Fatalf("employer copy: %d", resp.StatusCode)
	}
	resp, body := ts.browse(t, ts.session(t, "admin"), "GET", "/admin/audit", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /admin/audit: %d", resp.StatusCode)
	}
	if want := `<td>Skrev ut arbetsgivarens kopia <span class="muted"><code>certificate.pdf.employer</code>`; !strings.Contains(body, want) {
		t.Errorf("the access log's page does not say the employer copy's read in words: want %s", want)
	}
}

// TestAuditReadLogsEveryPatientShown: reading the access log is a read of
// every patient it shows. Each read, by the page or the API, by person,
// by time, a page at a time, writes exactly one audit.read entry per
// patient on that page (one naming none when it shows none), and no more.
func TestAuditReadLogsEveryPatientShown(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ctx := context.Background()
	cw := ts.session(t, "caseworker")
	caseworker := ts.person(t, "caseworker")
	patients := map[string]bool{}
	for _, name := range []string{"valid/full-time-one-period.json", "valid/coordination-number.json", "valid/prognosis-unclear.json"} {
		id := ts.submit(t, name)
		c, err := ts.db.FindCertificateByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		patients[c.Patient.ID] = true
		// The caseworker reads each certificate twice: six entries, three patients.
		for range 2 {
			if resp, _ := ts.browse(t, cw, "GET", "/certificates/"+id, nil); resp.StatusCode != 200 {
				t.Fatalf("caseworker read: %d", resp.StatusCode)
			}
		}
	}
	if len(patients) != 3 {
		t.Fatalf("the examples name %d patients, want 3", len(patients))
	}
	// An entry of the caseworker's that names no patient.
	if err := ts.db.CreateAuditEntry(ctx, &intake.AuditEntry{UserID: caseworker.ID, Role: caseworker.Role, Name: caseworker.Name, Action: "security.forbidden", RemoteAddr: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	byID := func() map[int64]*intake.AuditEntry {
		all, _, err := ts.db.FindAuditEntries(ctx, intake.AuditFilter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		m := map[int64]*intake.AuditEntry{}
		for _, e := range all {
			m[e.ID] = e
		}
		return m
	}
	// check runs read, which returns the ids of the entries it was shown,
	// and compares the audit.read entries it wrote with their patients.
	check := func(name string, read func() []int64) {
		t.Helper()
		before := byID()
		shown := read()
		after := byID()
		want := map[string]bool{}
		for _, id := range shown {
			e := before[id]
			if e == nil {
				t.Errorf("%s: showed entry %d, which is not in the log or was written by the read itself", name, id)
				continue
			}
			if e.PatientID != "" {
				want[e.PatientID] = true
			}
		}
		var got []string
		for id, e := range after {
			if before[id] != nil {
				continue
			}
			if e.Action != "audit.read" || e.UserID != ts.person(t, "admin").ID && e.TokenID == "" {
				t.Errorf("%s: wrote %+v, want audit.read entries naming the admin", name, e)
			}
			got = append(got, e.PatientID)
		}
		slices.Sort(got)
		var wantList []string
		for p := range want {
			wantList = append(wantList, p)
		}
		slices.Sort(wantList)
		if len(wantList) == 0 {
			wantList = []string{""}
		}
		if !slices.Equal(got, wantList) {
			t.Errorf("%s: %d entries shown; the read logged patients %q, want exactly %q", name, len(shown), got, wantList)
		}
	}
	apiRead := func(who, method, path string, body []byte) func() []int64 {
		return func() []int64 {
			resp, b := ts.do(t, who, method, path, body)
			var list auditList
			if err := json.Unmarshal(b, &list); err != nil || resp.StatusCode != 200 {
				t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
			}
			var ids []int64
			for _, e := range list.Items {
				ids = append(ids, e.ID)
			}
			return ids
		}
	}
	rows := regexp.MustCompile(`<tr id="entry-([0-9]+)"`)
	pageRead := func(form url.Values) func() []int64 {
		return func() []int64 {
			resp, body := ts.browse(t, ts.session(t, "admin"), "POST", "/admin/audit", form)
			if resp.StatusCode != 200 {
				t.Fatalf("POST /admin/audit %v: %d", form, resp.StatusCode)
			}
			var ids []int64
			for _, m := range rows.FindAllStringSubmatch(body, -1) {
				id, _ := strconv.ParseInt(m[1], 10, 64)
				ids = append(ids, id)
			}
			return ids
		}
	}
	user := url.QueryEscape(caseworker.ID)
	check("the page by person", pageRead(url.Values{"person": {"cia"}}))
	check("GET by user", apiRead("admin", "GET", "/api/v1/audit?user="+user, nil))
	check("POST search by user", apiRead("admin", "POST", "/api/v1/audit/search", []byte(`{"user": "`+caseworker.ID+`"}`)))
	check("a page of two by user", apiRead("admin", "GET", "/api/v1/audit?limit=2&user="+user, nil))
	_, b := ts.do(t, "admin", "GET", "/api/v1/audit?limit=2&user="+user, nil)
	var first auditList
	if err := json.Unmarshal(b, &first); err != nil || first.Next == "" {
		t.Fatalf("a page of two by user: %s, want a next page", b)
	}
	check("the next page of two", apiRead("admin", "GET", first.Next, nil))
	check("by time, the reads above too", apiRead("admin", "GET", "/api/v1/audit?since=2000-01-01T00:00:00Z", nil))
	check("the whole log on the page", func() []int64 {
		resp, body := ts.browse(t, ts.session(t, "admin"), "GET", "/admin/audit", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET /admin/audit: %d", resp.StatusCode)
		}
		var ids []int64
		for _, m := range rows.FindAllStringSubmatch(body, -1) {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			ids = append(ids, id)
		}
		return ids
	})
	check("a token with no entries", apiRead("admin", "GET", "/api/v1/audit?token=none", nil))
	check("only the entry naming no patient", apiRead("admin", "GET", "/api/v1/audit?limit=1&user="+user, nil))
}

// TestAuditReadUnloggedShowsNothing: while the access log cannot be
// written (another process holds the database locked), a read of it shows
// no entry: 503 with a problem document, not the page it could not log.
func TestAuditReadUnloggedShowsNothing(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id, nil)
	other, err := sql.Open("sqlite", "file:"+ts.dsn+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")
	resp, b := ts.do(t, "admin", "GET", "/api/v1/audit", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(string(b), "certificate.read") || strings.Contains(string(b), `"items"`) {
		t.Errorf("GET /api/v1/audit with the log locked: %d %s, want 503 showing no entry", resp.StatusCode, b)
	}
}
