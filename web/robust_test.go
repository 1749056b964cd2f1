package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/intyg/intyg/store"
)

// TestRecoverPanics: a handler that panics is answered 500 with a problem
// document, not a dropped connection, and the panic is logged with where
// it happened; the server goes on serving.
func TestRecoverPanics(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	srv := httptest.NewServer(recoverPanics(logger, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/half" {
			w.Header().Set("Content-Type", "application/pdf")
			w.Write([]byte("%PDF-1.7 half"))
			http.NewResponseController(w).Flush()
			panic("after the answer began")
		}
		if r.URL.Path == "/boom" {
			var s []int
			_ = s[len(r.URL.Path)] // index out of range
		}
		w.Write([]byte("ok"))
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/boom")
	if err != nil {
		t.Fatalf("the panic dropped the connection: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") || strings.Contains(string(body), "index out of range") {
		t.Errorf("after a panic: %d %s %s, want a 500 problem document that tells nothing inside", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if !strings.Contains(logs.String(), "index out of range") || !strings.Contains(logs.String(), "robust_test.go") {
		t.Errorf("the log lacks the panic and where: %s", logs.String())
	}
	// An answer already begun is cut off, not ended as if whole.
	if resp, err := http.Get(srv.URL + "/half"); err == nil {
		if b, err := io.ReadAll(resp.Body); err == nil {
			t.Errorf("a half-sent answer reads as whole: %q", b)
		}
		resp.Body.Close()
	}
	if !strings.Contains(logs.String(), "after the answer began") {
		t.Errorf("the log lacks the panic after the answer began: %s", logs.String())
	}
	if resp, err := http.Get(srv.URL + "/fine"); err != nil || resp.StatusCode != 200 {
		t.Errorf("after the panic: %v %v", resp, err)
	}
}

// TestEveryAnswerLogged: what every request passes (outer) logs and
// headers every answer, also a URL refused before the router and a
// handler's panic, and names the route the router matched.
func TestEveryAnswerLogged(t *testing.T) {
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	router := mux.NewRouter()
	router.Use(nameRoute)
	router.HandleFunc("/boom/{n}", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	router.HandleFunc("/half/{n}", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("half"))
		http.NewResponseController(w).Flush()
		panic("after the answer began")
	})
	srv := httptest.NewServer(outer(logger, newMetrics(), nil, false, router))
	defer srv.Close()
	for _, tt := range []struct {
		path   string
		status int
		route  string
	}{
		{"/boom/1", 500, "/boom/{n}"},
		{"/x?q=%FF", 400, "unmatched"},
	} {
		resp, err := http.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d %v, want %d with the security headers", tt.path, resp.StatusCode, resp.Header, tt.status)
		}
		line := fmt.Sprintf(`"msg":"request","method":"GET","route":%q,"status":%d`, tt.route, tt.status)
		if !strings.Contains(logs.String(), line) {
			t.Errorf("%s: the request log lacks %s: %s", tt.path, line, logs.String())
		}
	}
	if !strings.Contains(logs.String(), `"msg":"internal error","method":"GET","route":"/boom/{n}"`) {
		t.Errorf("the panic's log lacks its route: %s", logs.String())
	}
	// An answer cut off by a panic has its request line too.
	if resp, err := http.Get(srv.URL + "/half/1"); err == nil {
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if !strings.Contains(logs.String(), `"route":"/half/{n}","status":200`) || !strings.Contains(logs.String(), `"aborted":true`) {
		t.Errorf("the cut-off answer has no request line: %s", logs.String())
	}
}

// TestTextOnlyInRequests: an id, filter or form value that is not UTF-8
// text, or holds NUL, is refused at once and alike on both databases
// (PostgreSQL refuses such a parameter, SQLite finds nothing), never a 500.
func TestTextOnlyInRequests(t *testing.T) {
	dialects(t, func(t *testing.T, driver string) {
		ts := newTestServer(t, driver)
		for _, tt := range []struct {
			method, path string
			body         []byte
			status       int
		}{
			{"GET", "/api/v1/certificates/%FF", nil, 400},
			{"GET", "/api/v1/certificates/a%00b/events", nil, 400},
			{"GET", "/api/v1/certificates?template=%FF", nil, 400},
			{"GET", "/api/v1/certificates?unit=%00", nil, 400},
			{"GET", "/api/v1/certificates?unit=%00&x=%zz", nil, 400}, // beside a pair that does not decode
			// A query that does not parse is refused, not read without the
			// pair it could not decode (a filter left out, and every
			// patient's certificates shown).
			{"GET", "/api/v1/certificates?patient=1912121212%zz&limit=3", nil, 400},
			{"GET", "/api/v1/certificates?template=fk%zz", nil, 400},
			{"GET", "/api/v1/certificates?foo;bar=1", nil, 400},
			{"GET", "/api/v1/audit?patient=1912121212%zz", nil, 400},
			{"GET", "/api/v1/audit?user=%FF", nil, 400},
			{"POST", "/api/v1/certificates/search", []byte(`{"unit": "a\u0000b"}`), 422},
			{"GET", "/api/v1/audit?user=%C3%85sa", nil, 200},                   // UTF-8 is fine
			{"GET", "/api/v1/certificates?unit=SE2321000016-%C3%85", nil, 422}, // but not in an HSA-id
		} {
			who := "caseworker"
			if strings.HasPrefix(tt.path, "/api/v1/audit") {
				who = "admin"
			}
			resp, body := ts.do(t, who, tt.method, tt.path, tt.body)
			if resp.StatusCode != tt.status || (tt.status >= 400 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json")) {
				t.Errorf("%s %s: %d %s, want %d", tt.method, tt.path, resp.StatusCode, body, tt.status)
			}
		}
		resp, err := http.Post(ts.URL+"/sign-in", "application/x-www-form-urlencoded", strings.NewReader("username=a%00b&password=x"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("sign-in with NUL in the user name: %d, want 400", resp.StatusCode)
		}
	})
}

// TestDatesAreSwedish: a date in a filter is its midnight in Stockholm,
// as every date the service shows, in winter and in summer.
func TestDatesAreSwedish(t *testing.T) {
	for date, want := range map[string]string{"2026-12-06": "2026-12-05T23:00:00Z", "2026-07-01": "2026-06-30T22:00:00Z"} {
		p := newQueryParser(url.Values{"receivedSince": {date}}, time.Now(), "receivedSince")
		if got := p.time("receivedSince", true); p.err() != nil || got.UTC().Format(time.RFC3339) != want {
			t.Errorf("receivedSince=%s is %v (%v), want %s", date, got, p.err(), want)
		}
	}
}

// TestOptionStringOfNumbers: an option chosen by a number matches however
// the number was written, as a record stored before intake wrote numbers
// in one form may hold it.
func TestOptionStringOfNumbers(t *testing.T) {
	for _, v := range []any{float64(100), json.Number("100"), json.Number("100.0"), json.Number("1e2")} {
		if got := optionString(v); got != "100" {
			t.Errorf("optionString(%#v) = %q, want 100", v, got)
		}
	}
}

// TestSessionCookieByScheme: over HTTPS only the __Host- cookie carries a
// session; the plain name, which a sibling domain or a plain-HTTP answer
// could have planted, is not read there (and on loopback HTTP, where the
// plain one is set, it is).
func TestSessionCookieByScheme(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	secret := ts.session(t, "caseworker").Value
	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct {
		name, cookie string
		https        bool
		signedIn     bool
	}{
		{"plain name on loopback HTTP", sessionCookiePlain, false, true},
		{"plain name over HTTPS", sessionCookiePlain, true, false},
		{"__Host- name over HTTPS", sessionCookie, true, true},
	} {
		req, _ := http.NewRequest("GET", ts.URL+"/queue", nil)
		req.AddCookie(&http.Cookie{Name: tt.cookie, Value: secret})
		if tt.https {
			req.Header.Set("X-Forwarded-Proto", "https")
		}
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.StatusCode == 200; got != tt.signedIn {
			t.Errorf("%s: %d %s, signed in %v, want %v", tt.name, resp.StatusCode, resp.Header.Get("Location"), got, tt.signedIn)
		}
	}
}

// TestTrustedProxies: behind a trusted reverse proxy the client is the
// address X-Forwarded-For names: five failed sign-ins from one person lock
// the name there, not for everyone behind the proxy, and the access log
// names the person's address. Without trusted proxies the header, which
// anyone may send, is ignored.
func TestTrustedProxies(t *testing.T) {
	trusted, err := ParseTrustedProxies("::ffff:127.0.0.1, ::1") // mapped as some write it
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(ts *testServer, from, password string) int {
		req, _ := http.NewRequest("POST", ts.URL+"/sign-in", strings.NewReader(url.Values{"username": {"cia"}, "password": {password}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", "198.51.100.9, "+from) // a client may write the first
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ts := newTestServerOptions(t, store.SQLite, mustEngine(t), func(string) Options { return Options{TrustedProxies: trusted} })
	ts.session(t, "caseworker") // makes the account
	for range 5 {
		signIn(ts, "203.0.113.5", "wrong password here")
	}
	if code := signIn(ts, "203.0.113.5", testPassword); code != http.StatusTooManyRequests {
		t.Errorf("the failing address after five failures: %d, want 429", code)
	}
	if code := signIn(ts, "203.0.113.6:4711", testPassword); code != http.StatusSeeOther { // with a port, as some proxies write
		t.Errorf("another person behind the same proxy: %d, want 303", code)
	}
	found := false
	for _, e := range ts.auditActions(t, "security."+eventUnauthorized) {
		found = found || strings.HasPrefix(e.RemoteAddr, "203.0.113.5")
	}
	if !found {
		t.Error("the access log does not name the person's address")
	}

	plain := newTestServer(t, store.SQLite)
	plain.session(t, "caseworker")
	for range 5 {
		signIn(plain, "203.0.113.5", "wrong password here")
	}
	if code := signIn(plain, "203.0.113.6", testPassword); code != http.StatusTooManyRequests {
		t.Errorf("without trusted proxies X-Forwarded-For moved the lock-out: %d, want 429 (one address: the peer's)", code)
	}
	if _, err := ParseTrustedProxies("10.0.0.0/33"); err == nil {
		t.Error("a bad network was taken")
	}
}

// TestHead: HEAD answers as GET would, without a body.
func TestHead(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	for _, path := range []string{"/healthz", "/api/v1/certificates/" + id} {
		resp, body := ts.do(t, "caseworker", "HEAD", path, nil)
		if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Type") == "" {
			t.Errorf("HEAD %s: %d %q %v, want 200 with headers and no body", path, resp.StatusCode, body, resp.Header)
		}
	}
	if resp, _ := ts.do(t, "caseworker", "HEAD", "/api/v1/certificates/nope", nil); resp.StatusCode != 404 {
		t.Errorf("HEAD of no certificate: %d, want 404", resp.StatusCode)
	}
}

// TestPathTemplate: a route is named by its template without its
// variables' patterns, braces inside a pattern too.
func TestPathTemplate(t *testing.T) {
	r := mux.NewRouter()
	route := r.Handle("/x/{a:[0-9]{2}}/{b}/{c:(?:y|z){1,3}}", http.NotFoundHandler())
	if got, err := pathTemplate(route); err != nil || got != "/x/{a}/{b}/{c}" {
		t.Errorf("pathTemplate = %q, %v; want /x/{a}/{b}/{c}", got, err)
	}
}
