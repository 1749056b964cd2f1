package web

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// TestSecurityHeaders: pages, API answers and errors carry the security
// headers; everything but the static assets is never cached.
func TestSecurityHeaders(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	for _, tt := range []struct {
		who, path string
		status    int
		noStore   bool
	}{
		{"", "/sign-in", 200, true},
		{"caseworker", "/api/v1/templates", 200, true},
		{"", "/api/v1/templates", 401, true},
		{"", "/nowhere", 404, true},
		{"", "/static/intyg.css", 200, false},
	} {
		resp, _ := ts.do(t, tt.who, "GET", tt.path, nil)
		h := resp.Header
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s: %d, want %d", tt.path, resp.StatusCode, tt.status)
		}
		if !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("GET %s: security headers missing: %v", tt.path, h)
		}
		if got := h.Get("Cache-Control") == "no-store"; got != tt.noStore {
			t.Errorf("GET %s: Cache-Control %q, want no-store %v", tt.path, h.Get("Cache-Control"), tt.noStore)
		}
	}
}

// TestStaticDoesNotList: /static/ and its folders are not listed.
func TestStaticDoesNotList(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	for _, path := range []string{"/static/", "/static", "/static/./", "/static/nothing.js"} {
		resp, body := ts.do(t, "", "GET", path, nil)
		if resp.StatusCode != http.StatusNotFound || strings.Contains(string(body), "intyg.js") {
			t.Errorf("GET %s: %d %s, want 404 without a listing", path, resp.StatusCode, body)
		}
	}
}

// TestThrottleFailedTokens: an address that keeps sending bad tokens is
// refused with 429 and Retry-After, while another address, and the same
// address's first attempts, are not, nor a live token from the throttled
// address (another clinic system behind the same one); the failures are
// in the access log and the metrics.
func TestThrottleFailedTokens(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	h := NewServer(slog.New(slog.NewJSONHandler(io.Discard, nil)), mustEngine(t), ts.db, mustRenderer(t), Options{Now: testNow})
	get := func(addr, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/api/v1/templates", nil)
		req.RemoteAddr = addr
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	attacker, bystander := "192.0.2.7:4000", "192.0.2.8:4000"
	var got []int
	for i := 0; i < 25; i++ {
		got = append(got, get(attacker, "intyg_guess").Code)
	}
	if got[0] != 401 || got[19] != 401 || got[20] != 429 || got[24] != 429 {
		t.Errorf("statuses of 25 bad tokens = %v, want 20×401 then 429", got)
	}
	if w := get(attacker, "intyg_guess"); w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Errorf("another bad token from the throttled address: %d Retry-After %q, want 429 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if w := get(attacker, ""); w.Code != 429 {
		t.Errorf("no token from the throttled address: %d, want 429", w.Code)
	}
	if w := get(attacker, ts.tokens["caseworker"]); w.Code != 200 {
		t.Errorf("a live token from the throttled address: %d, want 200", w.Code)
	}
	if w := get(bystander, ts.tokens["caseworker"]); w.Code != 200 {
		t.Errorf("another address: %d, want 200", w.Code)
	}
	if w := get(bystander, "intyg_guess"); w.Code != 401 {
		t.Errorf("another address's first bad token: %d, want 401", w.Code)
	}
	entries, _, err := ts.db.FindAuditEntries(context.Background(), intake.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == "security.unauthorized" && strings.HasPrefix(e.RemoteAddr, "192.0.2.7") {
			n++
		}
	}
	if n != 20 {
		t.Errorf("%d refused tokens from the attacker in the access log, want 20", n)
	}
}

// TestSecurityEventsCounted: refused roles, cross-origin posts and reads
// of the access log are counted and written to the access log.
func TestSecurityEventsCounted(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.do(t, "caseworker", "GET", "/api/v1/audit", nil)                                              // forbidden
	ts.do(t, "admin", "GET", "/api/v1/audit?patient=191212121212", nil)                              // an access-log read
	ts.do(t, "clinic", "POST", "/api/v1/certificates", []byte(`{}`), "Sec-Fetch-Site", "cross-site") // cross-origin
	_, metrics := ts.do(t, "admin", "GET", "/metrics", nil)
	for _, want := range []string{`intyg_security_events_total{event="forbidden"} 1`, `intyg_security_events_total{event="audit_read"} 1`, `intyg_security_events_total{event="cross_origin"} 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	entries, _, err := ts.db.FindAuditEntries(context.Background(), intake.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, e := range entries {
		actions[e.Action]++
		if e.Action == "audit.read" && e.PatientID != "191212121212" {
			t.Errorf("the access-log read names patient %q, want 191212121212", e.PatientID)
		}
	}
	for _, a := range []string{"security.forbidden", "security.cross_origin", "audit.read"} {
		if actions[a] != 1 {
			t.Errorf("access log has %d %s entries, want 1 (all: %v)", actions[a], a, actions)
		}
	}
}

// TestAddrOf: throttles and sign-in locks count an IPv6 client by its /64,
// which is all one user's, and an IPv4 client (mapped or not) by its
// address.
func TestAddrOf(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.1:5000":           "192.0.2.1",
		"[::ffff:192.0.2.1]:5000":  "192.0.2.1",
		"[2001:db8:1:1::5]:443":    "2001:db8:1:1::/64",
		"[2001:db8:1:1:ffff::]:80": "2001:db8:1:1::/64",
		"[2001:db8:1:2::5]:443":    "2001:db8:1:2::/64",
		"[fe80::1%eth0]:80":        "fe80::/64",
	} {
		r := httptest.NewRequest("POST", "/sign-in", nil)
		r.RemoteAddr = remote
		if got := addrOf(r); got != want {
			t.Errorf("addrOf(%s) = %s, want %s", remote, got, want)
		}
	}
}

// TestSignInsInFlightPerAddress: one address (an IPv6 client's /64) has
// at most maxSignInsPerAddr sign-ins (password hashes) under way; one more
// waits for one to end, and other addresses are not held back.
func TestSignInsInFlightPerAddress(t *testing.T) {
	sec := &security{}
	req := func(remote string) *http.Request {
		r := httptest.NewRequest("POST", "/sign-in", nil)
		r.RemoteAddr = remote
		return r
	}
	var ends []func()
	for i := range maxSignInsPerAddr {
		end, ok := sec.beginSignIn(req(fmt.Sprintf("[2001:db8::%x]:1", i+1))) // one /64
		if !ok {
			t.Fatalf("sign-in %d of an address was refused", i+1)
		}
		ends = append(ends, end)
	}
	if _, ok := sec.beginSignIn(req("[2001:db8::ffff]:1")); ok {
		t.Error("one sign-in more from the same /64 was let through")
	}
	if end, ok := sec.beginSignIn(req("192.0.2.1:1")); !ok {
		t.Error("another address was held back")
	} else {
		end()
	}
	ends[0]()
	if end, ok := sec.beginSignIn(req("[2001:db8::ffff]:1")); !ok {
		t.Error("a sign-in after one ended was refused")
	} else {
		end()
	}
	for _, end := range ends[1:] {
		end()
	}
	if len(sec.signingIn) != 0 {
		t.Errorf("counts left after every sign-in ended: %v", sec.signingIn)
	}
}

// TestHTTPSPublicURL: behind a TLS proxy on the same host (nginx's
// proxy_pass http://127.0.0.1:8080 sends neither the public host nor
// X-Forwarded-Proto), an https public URL still makes the session cookie
// Secure (__Host-) and every answer carry Strict-Transport-Security;
// without one, plain HTTP on loopback keeps the developer's plain cookie.
func TestHTTPSPublicURL(t *testing.T) {
	for _, tt := range []struct {
		public       string
		secure, hsts bool
	}{
		{"https://intyg.region.example", true, true},
		{"", false, false},
	} {
		ts := newTestServerOptions(t, store.SQLite, mustEngine(t), func(string) Options { return Options{Now: testNow, PublicURL: tt.public} })
		ts.person(t, "physician")
		resp, _ := ts.page(t, nil, "POST", "/sign-in", url.Values{"username": {"asa"}, "password": {testPassword}})
		cookie := resp.Header.Get("Set-Cookie")
		if secure := strings.HasPrefix(cookie, sessionCookie+"=") && strings.Contains(cookie, "; Secure"); resp.StatusCode != 303 || secure != tt.secure {
			t.Errorf("public URL %q: %d, Set-Cookie %q; want Secure %v", tt.public, resp.StatusCode, cookie, tt.secure)
		}
		if hsts := resp.Header.Get("Strict-Transport-Security") != ""; hsts != tt.hsts {
			t.Errorf("public URL %q: Strict-Transport-Security %q, want one: %v", tt.public, resp.Header.Get("Strict-Transport-Security"), tt.hsts)
		}
	}
}

// TestSignInsUnderWayFromOneAddress: while an address has
// maxSignInsPerAddr sign-ins under way (here ones whose bodies have not all
// come), one more gets the sign-in page again, 429, saying so; when they
// end, sign-in works again. On a loaded machine the server may take the
// one more before the last of the others (which is then the one refused,
// and its answer waits for its body): then all are closed and sent again,
// after the closed ones have had time to end, and the one more waits
// longer before it goes.
func TestSignInsUnderWayFromOneAddress(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.person(t, "physician")
	hold := func() []net.Conn {
		var held []net.Conn
		for range maxSignInsPerAddr {
			c, err := net.Dial("tcp", ts.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, c)
			t.Cleanup(func() { c.Close() }) // else the server's Close waits for it
			fmt.Fprintf(c, "POST /sign-in HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=asa", ts.Listener.Addr())
		}
		return held
	}
	var (
		held []net.Conn
		resp *http.Response
		body string
	)
	for _, wait := range []time.Duration{0, 100 * time.Millisecond, 300 * time.Millisecond, time.Second, 3 * time.Second} {
		time.Sleep(wait) // the last round's sign-ins, closed, end first
		held = hold()
		time.Sleep(wait)
		resp, body = ts.page(t, nil, "POST", "/sign-in", url.Values{"username": {"asa"}, "password": {testPassword}})
		if resp.StatusCode == http.StatusTooManyRequests {
			break
		}
		for _, c := range held {
			c.Close()
		}
	}
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "Många inloggningar pågår") || !strings.Contains(body, `id="username"`) {
		t.Fatalf("one sign-in more beside those under way: %d, want 429 with Retry-After", resp.StatusCode)
	}
	for _, c := range held {
		c.Close()
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		resp, _ = ts.page(t, nil, "POST", "/sign-in", url.Values{"username": {"asa"}, "password": {testPassword}})
		if resp.StatusCode != http.StatusTooManyRequests || time.Now().After(deadline) {
			break
		}
	}
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a sign-in after the others ended: %d, want 303", resp.StatusCode)
	}
}

// TestRetiredTokenNamedInTheLog: a revoked or expired token presented is
// refused as an unknown one is (401, the same body), and the access log
// names it, so that an auditor sees a retired credential still in use.
func TestRetiredTokenNamedInTheLog(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ctx := context.Background()
	secret, expired, err := ts.db.CreateToken(ctx, intake.RoleCaseworker, "", "expired")
	if err != nil {
		t.Fatal(err)
	}
	ts.tokens["expired"] = secret
	other, err := sql.Open("sqlite", "file:"+ts.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	// Its last day is the moment it was made (a token cannot be made
	// expired).
	if _, err := other.ExecContext(ctx, `UPDATE tokens SET expires_at = created_at WHERE id = ?`, expired.ID); err != nil {
		t.Fatal(err)
	}
	ts.tokens["unknown"] = "intyg_not-a-token"
	_, unknownBody := ts.do(t, "unknown", "GET", "/api/v1/certificates", nil)
	for _, who := range []string{"revoked", "expired"} {
		resp, b := ts.do(t, who, "GET", "/api/v1/certificates", nil)
		if resp.StatusCode != 401 || !bytes.Equal(b, unknownBody) {
			t.Errorf("%s token: %d %s, want 401 as an unknown token's %s", who, resp.StatusCode, b, unknownBody)
		}
	}
	tokens, err := ts.db.FindTokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var revoked string
	for _, tok := range tokens {
		if tok.Name == "revoked" {
			revoked = tok.ID
		}
	}
	named := map[string]bool{}
	for _, e := range ts.auditActions(t, "security.unauthorized") {
		named[e.TokenID] = true
	}
	if !named[revoked] || !named[expired.ID] || !named[""] {
		t.Errorf("refused tokens in the access log %v, want the revoked %s, the expired %s and the unknown (no id)", named, revoked, expired.ID)
	}
}

// unavailableTokens is a token store that cannot be read (a database
// that is locked or unreachable).
type unavailableTokens struct{}

func (unavailableTokens) FindTokenBySecret(context.Context, string) (*intake.Token, error) {
	return nil, intake.Errorf(intake.EUNAVAILABLE, "The database is unavailable.")
}

// TestThrottledAddressStoreUnavailable: at an address throttled for bad
// tokens, a token that could not be looked up because the store is
// unavailable is answered 503, as at any other address, not 429 "too many
// failed attempts": it is no failed attempt, and may well be a live token
// (which the throttle lets through).
func TestThrottledAddressStoreUnavailable(t *testing.T) {
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	sec := &security{logger: logger, m: newMetrics(), audit: newTestServer(t, store.SQLite).db, failures: newThrottle(20, 3*time.Second, testNow)}
	req := httptest.NewRequest("GET", "/api/v1/templates", nil)
	req.RemoteAddr = "192.0.2.7:4000"
	req.Header.Set("Authorization", "Bearer intyg_live")
	for range 25 {
		sec.failures.fail(req)
	}
	if sec.failures.retryAfter(req) <= 0 {
		t.Fatal("the address is not throttled")
	}
	h := authenticate(logger, unavailableTokens{}, sec, intake.RoleClinic)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the request was let through")
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("a token looked up in an unavailable store at a throttled address: %d, want 503", w.Code)
	}
}
