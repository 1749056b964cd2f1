package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// claimsUser is a provider's user whose ID token carries extra claims
// (an HSA-id). mockoidc signs what Claims returns; a struct embedding
// jwt.Claims loses the extra fields, a jwt.MapClaims keeps them.
type claimsUser struct {
	*mockoidc.MockUser
	extra jwt.MapClaims
}

func (u *claimsUser) Claims(scope []string, c *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	base, err := u.MockUser.Claims(scope, c)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(base)
	if err != nil {
		return nil, err
	}
	mc := jwt.MapClaims{}
	if err := json.Unmarshal(b, &mc); err != nil {
		return nil, err
	}
	for k, v := range u.extra {
		mc[k] = v
	}
	return mc, nil
}

// idpUser is a user of the provider with claim set to hsaID.
func idpUser(claim, hsaID string) mockoidc.User {
	u := mockoidc.DefaultUser()
	u.Subject = "sub-" + hsaID
	return &claimsUser{MockUser: u, extra: jwt.MapClaims{claim: hsaID}}
}

// oidcTest is a test server that signs in through a real OpenID provider
// (mockoidc) on loopback.
type oidcTest struct {
	*testServer
	idp *mockoidc.MockOIDC
	// clock is the server's clock, which a test may move.
	mu    sync.Mutex
	clock time.Time
}

func (o *oidcTest) now() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.clock
}

func (o *oidcTest) advance(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.clock = o.clock.Add(d)
}

// newOIDCTest starts a provider and a test server whose sign-in matches
// the ID token's claim against HSA-ids.
func newOIDCTest(t *testing.T, claim string) *oidcTest {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	o := &oidcTest{idp: m, clock: testNow()}
	o.testServer = newTestServerOptions(t, store.SQLite, mustEngine(t), func(baseURL string) Options {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p, err := NewOIDCProvider(ctx, OIDCConfig{Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecret: m.ClientSecret, Claim: claim, PublicURL: baseURL})
		if err != nil {
			t.Fatal(err)
		}
		return Options{Now: o.now, OIDC: p}
	})
	return o
}

// browserClient is a client with a cookie jar that follows no redirect by
// itself, so that signIn can see and change each one.
func browserClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// acceptLanguage is a browser's transport that asks for pages in its
// language.
type acceptLanguage string

func (a acceptLanguage) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept-Language", string(a))
	return http.DefaultTransport.RoundTrip(r)
}

// signIn goes to /sign-in/oidc?next=… with c and follows the redirects
// (server → provider → callback → next) as a browser does; change, when
// not nil, may alter each redirect's target or the client before it is
// followed. It returns the last answer, its body and the paths visited.
func (o *oidcTest) signIn(t *testing.T, c *http.Client, next string, change func(u *url.URL, c *http.Client)) (*http.Response, string, []string) {
	t.Helper()
	u, err := url.Parse(o.URL + "/sign-in/oidc?next=" + url.QueryEscape(next))
	if err != nil {
		t.Fatal(err)
	}
	var visited []string
	for range 10 {
		visited = append(visited, u.Path)
		resp, err := c.Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode < 300 || resp.StatusCode >= 400 {
			return resp, string(body), visited
		}
		if u, err = resp.Location(); err != nil {
			t.Fatal(err)
		}
		if change != nil {
			change(u, c)
		}
	}
	t.Fatalf("more than 10 redirects: %v", visited)
	return nil, "", nil
}

// sessionUser returns whose session c's cookie names.
func (o *oidcTest) sessionUser(t *testing.T, c *http.Client) *intake.User {
	t.Helper()
	base, _ := url.Parse(o.URL)
	for _, ck := range c.Jar.Cookies(base) {
		if ck.Name == sessionCookiePlain {
			_, u, err := o.db.FindSession(context.Background(), ck.Value)
			if err != nil {
				t.Fatalf("the session cookie names no session: %v", err)
			}
			return u
		}
	}
	return nil
}

// TestOIDCSignIn signs in through the provider over loopback with real
// redirects: state, nonce and PKCE go there and back, the callback starts
// a session for the physician with the claim's HSA-id, and next (a path on
// this site only), unit picking and the sign-in page's link work as with
// a password.
func TestOIDCSignIn(t *testing.T) {
	o := newOIDCTest(t, "hsa_id")
	physician := o.person(t, "physician")
	o.person(t, "physician-two-units")
	tests := []struct {
		name     string
		hsaID    string
		next     string
		wantPath string
		wantUser string
	}{
		{name: "one unit: straight to the forms", hsaID: physician.HSAID, wantPath: "/forms", wantUser: "asa"},
		{name: "next kept", hsaID: physician.HSAID, next: "/forms/fk7804/2.0", wantPath: "/forms/fk7804/2.0", wantUser: "asa"},
		{name: "next to another site is not followed", hsaID: physician.HSAID, next: "//evil.example/x", wantPath: "/forms", wantUser: "asa"},
		{name: "HSA-id in lower case", hsaID: strings.ToLower(physician.HSAID), wantPath: "/forms", wantUser: "asa"},
		{name: "two units: picks one first", hsaID: "SE2321000016-1004", next: "/forms", wantPath: "/unit", wantUser: "bo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o.idp.QueueUser(idpUser("hsa_id", tt.hsaID))
			c := browserClient(t)
			var authorize url.Values
			resp, body, visited := o.signIn(t, c, tt.next, func(u *url.URL, _ *http.Client) {
				if strings.HasSuffix(u.Path, mockoidc.AuthorizationEndpoint) {
					authorize = u.Query()
				}
			})
			if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != tt.wantPath {
				t.Fatalf("ended at %s with %d (visited %v), want %s with 200: %s", resp.Request.URL, resp.StatusCode, visited, tt.wantPath, body)
			}
			if authorize.Get("state") == "" || authorize.Get("nonce") == "" || authorize.Get("code_challenge_method") != "S256" ||
				authorize.Get("code_challenge") == "" || authorize.Get("redirect_uri") != o.URL+"/sign-in/oidc/callback" {
				t.Errorf("authorization request %v: want state, nonce, an S256 challenge and the callback", authorize)
			}
			if u := o.sessionUser(t, c); u == nil || u.Username != tt.wantUser {
				t.Errorf("signed in as %+v, want %s", u, tt.wantUser)
			}
			// The flow cookie is gone after the callback.
			base, _ := url.Parse(o.URL)
			for _, ck := range c.Jar.Cookies(base) {
				if ck.Name == oidcCookiePlain {
					t.Errorf("the flow cookie outlived the callback")
				}
			}
		})
	}
}

// TestOIDCFlowCookie checks the cookie the start sets: HttpOnly, SameSite=Lax,
// short-lived, Secure with the __Host- prefix over HTTPS.
func TestOIDCFlowCookie(t *testing.T) {
	o := newOIDCTest(t, "hsa_id")
	for _, tt := range []struct {
		name   string
		header []string
		want   string
		secure bool
	}{
		{name: "plain HTTP on loopback", want: oidcCookiePlain},
		{name: "behind an HTTPS proxy", header: []string{"X-Forwarded-Proto", "https"}, want: oidcCookie, secure: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := browserClient(t)
			req, _ := http.NewRequest("GET", o.URL+"/sign-in/oidc", nil)
			for i := 0; i+1 < len(tt.header); i += 2 {
				req.Header.Set(tt.header[i], tt.header[i+1])
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d, want 303", resp.StatusCode)
			}
			var got *http.Cookie
			for _, ck := range resp.Cookies() {
				if ck.Name == tt.want {
					got = ck
				}
			}
			if got == nil || !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Secure != tt.secure || got.MaxAge <= 0 || got.MaxAge > 600 || got.Path != "/" {
				t.Errorf("flow cookie = %+v, want %s HttpOnly, SameSite=Lax, Secure %v, at most 10 minutes", got, tt.want, tt.secure)
			}
		})
	}
}

// TestOIDCRefusals checks that the callback refuses a flow that is not
// the browser's own or not the provider's word: a changed state, no flow
// cookie, a forged or expired one, another nonce in the ID token, an
// expired ID token, an error from the provider. Each refusal is the
// sign-in page (401), starts no session and is a security event.
func TestOIDCRefusals(t *testing.T) {
	o := newOIDCTest(t, "hsa_id")
	physician := o.person(t, "physician")
	isCallback := func(u *url.URL) bool { return u.Path == oidcCallbackPath }
	tests := []struct {
		name   string
		reason string // in the log
		before func()
		change func(u *url.URL, c *http.Client)
		after  func()
	}{
		{name: "changed state", reason: "state differs", change: func(u *url.URL, _ *http.Client) {
			if isCallback(u) {
				q := u.Query()
				q.Set("state", q.Get("state")+"x")
				u.RawQuery = q.Encode()
			}
		}},
		{name: "no flow cookie", reason: "no flow cookie", change: func(u *url.URL, c *http.Client) {
			if isCallback(u) {
				c.Jar, _ = cookiejar.New(nil)
			}
		}},
		{name: "forged flow cookie", reason: "signature wrong", change: func(u *url.URL, c *http.Client) {
			if isCallback(u) {
				// The callback's own state and a later expiry, under the
				// old signature.
				base, _ := url.Parse(o.URL)
				for _, ck := range c.Jar.Cookies(base) {
					if _, sig, ok := strings.Cut(ck.Value, "."); ok && ck.Name == oidcCookiePlain {
						b, _ := json.Marshal(oidcFlow{State: u.Query().Get("state"), Nonce: "n", Verifier: "v", Next: "/", Expires: o.now().Add(time.Hour).Unix()})
						c.Jar.SetCookies(base, []*http.Cookie{{Name: oidcCookiePlain, Value: base64.RawURLEncoding.EncodeToString(b) + "." + sig, Path: "/"}})
					}
				}
			}
		}},
		{name: "flow cookie expired", reason: "flow cookie expired", change: func(u *url.URL, _ *http.Client) {
			if isCallback(u) {
				o.advance(11 * time.Minute)
			}
		}},
		{name: "other nonce in the ID token", reason: "nonce differs", change: func(u *url.URL, _ *http.Client) {
			if strings.HasSuffix(u.Path, mockoidc.AuthorizationEndpoint) {
				q := u.Query()
				q.Set("nonce", "someone-elses-nonce")
				u.RawQuery = q.Encode()
			}
		}},
		{name: "PKCE challenge changed", reason: "code exchange refused: invalid_grant", change: func(u *url.URL, _ *http.Client) {
			if strings.HasSuffix(u.Path, mockoidc.AuthorizationEndpoint) {
				q := u.Query()
				q.Set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
				u.RawQuery = q.Encode()
			}
		}},
		{name: "ID token expired", reason: "token is expired", before: func() { o.idp.FastForward(-time.Hour) }, after: func() { o.idp.FastForward(time.Hour) }},
		{name: "provider answers with an error", reason: "provider answered access_denied", change: func(u *url.URL, _ *http.Client) {
			if isCallback(u) {
				q := u.Query()
				q.Del("code")
				q.Set("error", "access_denied")
				u.RawQuery = q.Encode()
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			if tt.after != nil {
				defer tt.after()
			}
			events := strings.Count(o.logs.String(), `"event":"unauthorized"`)
			o.idp.QueueUser(idpUser("hsa_id", physician.HSAID))
			c := browserClient(t)
			c.Transport = acceptLanguage("en-US,en;q=0.9") // as headless Chromium: the page is Swedish all the same
			resp, body, visited := o.signIn(t, c, "/forms", tt.change)
			if resp.StatusCode != http.StatusUnauthorized || resp.Request.URL.Path != oidcCallbackPath {
				t.Fatalf("ended at %s with %d (visited %v), want the callback refusing with 401", resp.Request.URL, resp.StatusCode, visited)
			}
			if want := intake.Text("signIn.oidcFailed", "sv"); !strings.Contains(body, want) || !strings.Contains(body, `id="oidc-sign-in"`) {
				t.Errorf("refusal page lacks %q or the link to try again: %s", want, body)
			}
			if got := resp.Header.Get("Content-Language"); got != "sv" {
				t.Errorf("refusal page's Content-Language = %q, want sv", got)
			}
			if u := o.sessionUser(t, c); u != nil {
				t.Errorf("a refused sign-in started a session for %s", u.Username)
			}
			if got := strings.Count(o.logs.String(), `"event":"unauthorized"`); got != events+1 {
				t.Errorf("%d security events recorded, want 1", got-events)
			}
			if !strings.Contains(o.logs.String(), tt.reason) {
				t.Errorf("no refusal for %q in the log: %s", tt.reason, o.logs.String())
			}
		})
	}
}

// TestOIDCProviderGone: the provider cannot be reached at the callback's
// code exchange: 503, the reason (the provider's inner address) in the
// log only, never in the answer.
func TestOIDCProviderGone(t *testing.T) {
	o := newOIDCTest(t, "hsa_id")
	o.idp.QueueUser(idpUser("hsa_id", o.person(t, "physician").HSAID))
	host := strings.TrimPrefix(o.idp.Addr(), "http://")
	resp, body, visited := o.signIn(t, browserClient(t), "/forms", func(u *url.URL, c *http.Client) {
		if u.Path == oidcCallbackPath {
			o.idp.Shutdown()
			c.Transport = acceptJSON{}
		}
	})
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Request.URL.Path != oidcCallbackPath {
		t.Fatalf("ended at %s with %d (visited %v), want the callback's 503", resp.Request.URL, resp.StatusCode, visited)
	}
	if strings.Contains(body, host) || !strings.Contains(body, intake.Text("unavailable.identityProvider", "sv")) {
		t.Errorf("the answer names the provider's address %s, or not what is wrong: %s", host, body)
	}
	if !strings.Contains(o.logs.String(), host) {
		t.Errorf("the log lacks why (the address %s): %s", host, o.logs.String())
	}
}

// acceptJSON asks for JSON, as a client other than a browser does.
type acceptJSON struct{}

func (acceptJSON) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept", "application/json")
	return http.DefaultTransport.RoundTrip(r)
}

// TestOIDCNoAccount refuses an identity without an active account: an
// HSA-id nobody has, a disabled physician, no claim at all (never a user
// without an HSA-id), and the claim under another name than configured.
// The page says only that there is no active account for the identity.
func TestOIDCNoAccount(t *testing.T) {
	o := newOIDCTest(t, "hsa_id")
	physician := o.person(t, "physician")
	o.person(t, "caseworker") // has no HSA-id
	disabled := o.person(t, "physician-two-units")
	if err := o.db.SetUserDisabled(context.Background(), disabled.ID, true); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		user mockoidc.User
	}{
		{name: "unknown HSA-id", user: idpUser("hsa_id", "SE2321000016-9998")},
		{name: "disabled user", user: idpUser("hsa_id", disabled.HSAID)},
		{name: "no claim", user: mockoidc.DefaultUser()},
		{name: "empty claim", user: idpUser("hsa_id", " ")},
		{name: "claim under another name", user: idpUser("personal_hsa_id", physician.HSAID)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := strings.Count(o.logs.String(), `"event":"unauthorized"`)
			o.idp.QueueUser(tt.user)
			c := browserClient(t)
			resp, body, visited := o.signIn(t, c, "/forms", nil)
			if resp.StatusCode != http.StatusUnauthorized || resp.Request.URL.Path != oidcCallbackPath {
				t.Fatalf("ended at %s with %d (visited %v), want the callback refusing with 401", resp.Request.URL, resp.StatusCode, visited)
			}
			if want := intake.Text("signIn.oidcNoAccount", "sv"); !strings.Contains(body, want) {
				t.Errorf("refusal page lacks %q: %s", want, body)
			}
			if strings.Contains(body, "inaktiv") || strings.Contains(body, disabled.Name) || strings.Contains(body, "SE2321000016") {
				t.Errorf("refusal page says more than that there is no account: %s", body)
			}
			if u := o.sessionUser(t, c); u != nil {
				t.Errorf("a refused sign-in started a session for %s", u.Username)
			}
			if got := strings.Count(o.logs.String(), `"event":"unauthorized"`); got != events+1 {
				t.Errorf("%d security events recorded, want 1", got-events)
			}
		})
	}
}

// TestOIDCClaimConfigurable signs in with the HSA-id under the configured
// claim name, and refuses it under the default one.
func TestOIDCClaimConfigurable(t *testing.T) {
	o := newOIDCTest(t, "personal_hsa_id")
	physician := o.person(t, "physician")
	o.idp.QueueUser(idpUser("personal_hsa_id", physician.HSAID))
	c := browserClient(t)
	if resp, _, visited := o.signIn(t, c, "/forms", nil); resp.StatusCode != http.StatusOK || o.sessionUser(t, c) == nil {
		t.Errorf("with the configured claim: %d after %v, want signed in", resp.StatusCode, visited)
	}
	o.idp.QueueUser(idpUser("hsa_id", physician.HSAID))
	c = browserClient(t)
	if resp, _, visited := o.signIn(t, c, "/forms", nil); resp.StatusCode != http.StatusUnauthorized || o.sessionUser(t, c) != nil {
		t.Errorf("with the default claim: %d after %v, want 401", resp.StatusCode, visited)
	}
}

// TestOIDCNotConfigured: without a provider the sign-in page offers no
// link and the routes are not there.
func TestOIDCNotConfigured(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	resp, body := ts.do(t, "", "GET", "/sign-in", nil, "Accept", "text/html")
	if resp.StatusCode != http.StatusOK || strings.Contains(string(body), "oidc-sign-in") {
		t.Errorf("GET /sign-in = %d with the OIDC link %v; want 200 without", resp.StatusCode, strings.Contains(string(body), "oidc-sign-in"))
	}
	for _, path := range []string{"/sign-in/oidc", "/sign-in/oidc/callback?state=x&code=y"} {
		if resp, _ := ts.do(t, "", "GET", path, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
	o := newOIDCTest(t, "hsa_id")
	if resp, body := o.do(t, "", "GET", "/sign-in?next=/forms", nil, "Accept", "text/html"); resp.StatusCode != http.StatusOK ||
		!strings.Contains(string(body), `href="/sign-in/oidc?next=%2fforms"`) {
		t.Errorf("GET /sign-in with a provider = %d, want 200 with the link keeping next: %s", resp.StatusCode, body)
	}
}

// TestOIDCBrowser: in Chromium, the physician clicks the sign-in page's
// link, the provider (no page of its own) sends the browser straight back,
// and the physician lands on the forms.
func TestOIDCBrowser(t *testing.T) {
	o := newOIDCTest(t, "hsa_id")
	physician := o.person(t, "physician")
	o.idp.QueueUser(idpUser("hsa_id", physician.HSAID))
	ctx := browser(t)
	var location, heading string
	err := chromedp.Run(ctx,
		chromedp.Navigate(o.URL+"/sign-in"),
		chromedp.WaitVisible(`#oidc-sign-in`),
		chromedp.Click(`#oidc-sign-in`),
		chromedp.WaitVisible(`ul.templates`),
		chromedp.Location(&location),
		chromedp.Text(`h1`, &heading),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if location != o.URL+"/forms" || heading != "Skriv intyg" {
		t.Errorf("landed on %s (%q), want %s/forms", location, heading, o.URL)
	}
}
