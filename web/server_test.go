package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/internal/pgtest"
	"github.com/intyg/intyg/render"
	"github.com/intyg/intyg/schemas"
	"github.com/intyg/intyg/store"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// The compile-time check that the store satisfies what the server needs.
var _ database = (*store.DB)(nil)

const unit = "SE2321000016-7P0C" // the unit of the fk7804 examples

// testServer is a real server on loopback backed by a real database.
type testServer struct {
	*httptest.Server
	db     *store.DB
	dsn    string // the SQLite file, or the PostgreSQL DSN
	logs   *syncBuffer
	tokens map[string]string // role name → secret; "other-clinic" is a clinic of another unit, "revoked" a revoked admin
}

// syncBuffer collects the server's log output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func mustEngine(tb testing.TB) *intake.Engine {
	tb.Helper()
	icd, err := intake.LoadICD10SE(schemas.ICD10SE())
	if err != nil {
		tb.Fatal(err)
	}
	eng, err := intake.NewEngine(schemas.MustLoadEmbedded(), icd, 64<<10)
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

func mustRenderer(tb testing.TB) *render.Renderer {
	tb.Helper()
	r, err := render.New()
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// testNow is the test server's fixed clock.
func testNow() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }

func newTestServer(tb testing.TB, driver string) *testServer {
	tb.Helper()
	return newTestServerClock(tb, driver, testNow)
}

// newTestServerClock is newTestServer with the server's clock given.
func newTestServerClock(tb testing.TB, driver string, now func() time.Time) *testServer {
	tb.Helper()
	return newTestServerEngine(tb, driver, mustEngine(tb), now)
}

// newTestServerEngine is newTestServer with the engine (its templates) and
// the clock given.
func newTestServerEngine(tb testing.TB, driver string, eng *intake.Engine, now func() time.Time) *testServer {
	tb.Helper()
	return newTestServerOptions(tb, driver, eng, func(string) Options { return Options{Now: now} })
}

// newTestServerOptions is newTestServer with the engine given, and the
// server's options made from its base URL (which is known before it starts).
func newTestServerOptions(tb testing.TB, driver string, eng *intake.Engine, opts func(baseURL string) Options) *testServer {
	tb.Helper()
	ctx := context.Background()
	dsn := filepath.Join(tb.TempDir(), "intyg.db")
	if driver == store.Postgres {
		dsn = pgtest.DSN(tb)
	}
	db, err := store.Open(ctx, driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	ts := &testServer{db: db, dsn: dsn, logs: logs, tokens: map[string]string{}}
	ts.Server = httptest.NewUnstartedServer(nil)
	ts.Config.Handler = NewServer(logger, eng, db, mustRenderer(tb), opts("http://"+ts.Listener.Addr().String()))
	ts.Start()
	tb.Cleanup(ts.Close)
	for name, spec := range map[string]struct {
		role intake.Role
		unit string
	}{
		"clinic": {intake.RoleClinic, unit}, "other-clinic": {intake.RoleClinic, "SE2321000016-9999"},
		"caseworker": {intake.RoleCaseworker, ""}, "admin": {intake.RoleAdmin, ""}, "revoked": {intake.RoleAdmin, ""},
	} {
		secret, tok, err := db.CreateToken(ctx, spec.role, spec.unit, name)
		if err != nil {
			tb.Fatal(err)
		}
		if name == "revoked" {
			if err := db.RevokeToken(ctx, tok.ID); err != nil {
				tb.Fatal(err)
			}
		}
		ts.tokens[name] = secret
	}
	return ts
}

// testPassword passes the password rules.
const testPassword = "korrekt häst batteri häftklammer"

// people are the test server's people, made when a test first asks.
var testPeople = map[string]intake.User{
	"physician": {Username: "asa", Name: "Åsa Lindberg", Role: intake.RolePhysician, HSAID: "SE2321000016-1003", SigningRole: "DOCTOR",
		PrescriberCode: "1234567", Specialities: []string{"Allmänmedicin"}, Units: []string{unit}},
	"physician-two-units": {Username: "bo", Name: "Bo Berg", Role: intake.RolePhysician, HSAID: "SE2321000016-1004", SigningRole: "DOCTOR",
		Units: []string{unit, otherUnit}},
	"caseworker":  {Username: "cia", Name: "Cia Handläggare", Role: intake.RoleCaseworker},
	"coordinator": {Username: "rut", Name: "Rut Rehabkoordinator", Role: intake.RoleCoordinator, Units: []string{unit}},
	"admin":       {Username: "dan", Name: "Dan Admin", Role: intake.RoleAdmin},
}

// otherUnit is a second unit of the care provider.
const otherUnit = "SE2321000016-9999"

// mustUnits registers the example's unit and another one.
func (ts *testServer) mustUnits(tb testing.TB) {
	tb.Helper()
	if _, err := ts.db.FindUnitByHSAID(context.Background(), unit); err == nil {
		return
	}
	for _, u := range []*intake.CareUnit{
		{Unit: intake.Unit{HSAID: unit, Name: "Vårdcentralen Östermalm", WorkplaceCode: "1234567890", Address: "Karlavägen 10",
			PostalCode: "114 59", City: "Stockholm", Phone: "08-123 45 67"}, CareProvider: intake.CareProvider{HSAID: "SE2321000016-0001", Name: "Region Stockholm"}},
		{Unit: intake.Unit{HSAID: otherUnit, Name: "Vårdcentralen Söder", Address: "Götgatan 1",
			PostalCode: "118 46", City: "Stockholm", Phone: "08-765 43 21"}, CareProvider: intake.CareProvider{HSAID: "SE2321000016-0001", Name: "Region Stockholm"}},
	} {
		if err := ts.db.CreateUnit(context.Background(), u); err != nil {
			tb.Fatal(err)
		}
	}
}

// person returns the named test person, making the account on first use.
func (ts *testServer) person(tb testing.TB, who string) *intake.User {
	tb.Helper()
	ctx := context.Background()
	spec, ok := testPeople[who]
	if !ok {
		tb.Fatalf("no test person %q", who)
	}
	if u, err := ts.db.FindUserByUsername(ctx, spec.Username); err == nil {
		return u
	}
	ts.mustUnits(tb)
	u := spec
	u.Units = append([]string(nil), spec.Units...)
	if err := ts.db.CreateUser(ctx, &u, testPassword); err != nil {
		tb.Fatal(err)
	}
	return &u
}

// session signs the named person in (at their first unit) and returns
// the session cookie.
func (ts *testServer) session(tb testing.TB, who string) *http.Cookie {
	tb.Helper()
	u := ts.person(tb, who)
	unit := ""
	if len(u.Units) > 0 {
		unit = u.Units[0]
	}
	secret, _, err := ts.db.CreateSession(context.Background(), u.ID, unit)
	if err != nil {
		tb.Fatal(err)
	}
	return &http.Cookie{Name: sessionCookiePlain, Value: secret}
}

// do sends a request as the named token ("" for none) and returns the
// response with its body read.
func (ts *testServer) do(tb testing.TB, who, method, path string, body []byte, header ...string) (*http.Response, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, ts.URL+path, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+ts.tokens[who])
	}
	given := map[string]bool{} // a name given twice is sent twice
	for i := 0; i+1 < len(header); i += 2 {
		if given[header[i]] {
			req.Header.Add(header[i], header[i+1])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
		given[header[i]] = true
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, b
}

// submit posts an example as a clinic token of the example's unit and
// returns the new certificate id.
func (ts *testServer) submit(tb testing.TB, example string) string {
	tb.Helper()
	b := readExample(tb, example)
	var doc struct {
		Issuer struct {
			Unit struct {
				HSAID string `json:"hsaId"`
			}
		}
	}
	json.Unmarshal(b, &doc)
	who := "clinic:" + doc.Issuer.Unit.HSAID
	if _, ok := ts.tokens[who]; !ok {
		secret, _, err := ts.db.CreateToken(context.Background(), intake.RoleClinic, doc.Issuer.Unit.HSAID, who)
		if err != nil {
			tb.Fatal(err)
		}
		ts.tokens[who] = secret
	}
	return ts.mustPost(tb, who, b)
}

func readExample(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", "fk7804", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func (ts *testServer) count(tb testing.TB) int {
	tb.Helper()
	n, err := ts.db.CountCertificates(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestRoleMatrix checks every endpoint against every role and no token.
func TestRoleMatrix(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	valid := readExample(t, "valid/full-time-one-period.json")
	tests := []struct {
		method, path string
		body         []byte
		want         map[string]int // by who; "" is no token
	}{
		{"GET", "/healthz", nil, map[string]int{"": 200, "clinic": 200}},
		{"GET", "/readyz", nil, map[string]int{"": 200}},
		{"GET", "/api/v1/healthz", nil, map[string]int{"": 200}},
		{"GET", "/api/v1/readyz", nil, map[string]int{"": 200}},
		{"GET", "/api/v1/openapi.json", nil, map[string]int{"": 200}},
		{"GET", "/metrics", nil, map[string]int{"": 401, "revoked": 401, "clinic": 403, "caseworker": 403, "admin": 200}},
		{"GET", "/api/v1/metrics", nil, map[string]int{"": 401, "clinic": 403, "caseworker": 403, "admin": 200}},
		{"GET", "/api/v1/templates", nil, map[string]int{"": 401, "revoked": 401, "clinic": 200, "caseworker": 200, "admin": 200}},
		{"GET", "/api/v1/templates/fk7804/2.0", nil, map[string]int{"": 401, "revoked": 401, "clinic": 200, "caseworker": 200, "admin": 200}},
		{"GET", "/api/v1/templates/fk7804/9.9", nil, map[string]int{"": 401, "clinic": 404}},
		{"POST", "/api/v1/certificates", valid, map[string]int{"": 401, "revoked": 401, "caseworker": 403, "admin": 403, "other-clinic": 403, "clinic": 201}},
		{"POST", "/api/v1/certificates/validate", valid, map[string]int{"": 401, "revoked": 401, "clinic": 200, "caseworker": 200, "admin": 200}},
		{"GET", "/api/v1/certificates", nil, map[string]int{"": 401, "revoked": 401, "admin": 403, "clinic": 200, "other-clinic": 200, "caseworker": 200}},
		{"GET", "/api/v1/certificates/" + id, nil, map[string]int{"": 401, "revoked": 401, "admin": 403, "other-clinic": 404, "clinic": 200, "caseworker": 200}},
		{"GET", "/api/v1/certificates/doesnotexistdoesnotexi", nil, map[string]int{"": 401, "caseworker": 404}},
		{"GET", "/api/v1/certificates/doesnotexist", nil, map[string]int{"": 404, "caseworker": 404}}, // not an id
		{"GET", "/api/v1/certificates/" + id + "/pdf", nil, map[string]int{"": 401, "revoked": 401, "admin": 403, "other-clinic": 404, "clinic": 200, "caseworker": 200}},
		{"GET", "/api/v1/certificates/" + id + "/pdf?copy=employer", nil, map[string]int{"": 401, "admin": 403, "caseworker": 200}},
		{"GET", "/api/v1/certificates/" + id + "/pdf?copy=doctor", nil, map[string]int{"caseworker": 422}},
		{"GET", "/api/v1/certificates/doesnotexist/pdf", nil, map[string]int{"caseworker": 404}},
		{"GET", "/api/v1/audit", nil, map[string]int{"": 401, "revoked": 401, "clinic": 403, "caseworker": 403, "admin": 200}},
		{"GET", "/api/v1/audit?cursor=abc", nil, map[string]int{"admin": 422}},
		{"GET", "/api/v1/audit?cursor=-5", nil, map[string]int{"admin": 422}},
		{"GET", "/api/v1/certificates/" + id + "/renewal", nil, map[string]int{"": 401, "revoked": 401, "admin": 403, "caseworker": 403, "other-clinic": 404, "clinic": 200}},
		{"GET", "/api/v1/certificates/" + id + "/messages", nil, map[string]int{"": 401, "revoked": 401, "admin": 403, "other-clinic": 404, "clinic": 200, "caseworker": 200}},
		{"POST", "/api/v1/certificates/" + id + "/messages", []byte(`{"type": "OVRIGT", "text": "Fråga."}`), map[string]int{"": 401, "revoked": 401, "admin": 403, "clinic": 403, "caseworker": 201}},
		{"GET", "/api/v1/messages", nil, map[string]int{"": 401, "revoked": 401, "admin": 403, "clinic": 200, "caseworker": 200}},
		{"GET", "/api/v1/messages?status=lost", nil, map[string]int{"caseworker": 422}},
		{"GET", "/api/v1/certificates?template=fk9999", nil, map[string]int{"caseworker": 422}},
		{"GET", "/api/v1/certificates?flag=bogus", nil, map[string]int{"caseworker": 422}},
		{"GET", "/api/v1/certificates?template=fk7810&flag=earlyStart", nil, map[string]int{"caseworker": 200}},
		{"POST", "/api/v1/messages/doesnotexist/answer", []byte(`{"text": "Svar."}`), map[string]int{"": 401, "admin": 403, "caseworker": 403, "clinic": 404}},
		{"POST", "/api/v1/patients/sick-leave-cases", []byte(`{"patient": "19780614-2381"}`), map[string]int{"": 401, "revoked": 401, "admin": 403, "clinic": 200, "other-clinic": 200, "caseworker": 200}},
		{"DELETE", "/api/v1/certificates/" + id, nil, map[string]int{"": 405, "admin": 405}},
		{"PUT", "/api/v1/certificates/" + id + "/events", nil, map[string]int{"caseworker": 405}},
		{"GET", "/api/v1/nothing", nil, map[string]int{"": 404}},
	}
	for _, tt := range tests {
		for who, want := range tt.want {
			t.Run(fmt.Sprintf("%s %s as %q", tt.method, tt.path, who), func(t *testing.T) {
				resp, body := ts.do(t, who, tt.method, tt.path, tt.body, "Idempotency-Key", "matrix-"+who)
				if resp.StatusCode != want {
					t.Fatalf("status = %d, want %d: %s", resp.StatusCode, want, body)
				}
				if want >= 400 {
					if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
						t.Errorf("Content-Type = %q, want application/problem+json", ct)
					}
					if want == 401 || want == 403 {
						var doc ProblemDocument
						json.Unmarshal(body, &doc)
						units, _, _ := strings.Cut(intake.Text("refused.units", "sv", "\x00"), "\x00")
						if doc.Detail != intake.Text("refused.unauthorized", "sv") && doc.Detail != intake.Text("refused.forbidden", "sv") && !strings.HasPrefix(doc.Detail, units) {
							t.Errorf("refusal says too much: %q", doc.Detail)
						}
					}
					if want == 401 && resp.Header.Get("WWW-Authenticate") == "" {
						t.Error("401 without WWW-Authenticate")
					}
					if want == 422 && !strings.Contains(string(body), `"pointer":"/`) {
						t.Errorf("422 without a pointer: %s", body)
					}
					if want == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
						t.Errorf("Allow = %q, want GET, HEAD", resp.Header.Get("Allow"))
					}
				}
			})
		}
	}
}

// TestWrongMethodOnNamedPaths checks that a path the API names, such as
// /certificates/validate, answers a method it does not take with 405 and
// the methods it does, not as a certificate id that is not found.
func TestWrongMethodOnNamedPaths(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	for _, tt := range []struct{ method, path, allow string }{
		{"GET", "/api/v1/certificates/validate", "POST"},
		{"GET", "/api/v1/certificates/search", "POST"},
		{"DELETE", "/api/v1/certificates/validate", "POST"},
		{"PUT", "/api/v1/certificates", "GET, HEAD, POST"},
		{"DELETE", "/api/v1/templates", "GET, HEAD"}, // HEAD answers as GET
	} {
		resp, body := ts.do(t, "caseworker", tt.method, tt.path, nil)
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != tt.allow {
			t.Errorf("%s %s = %d, Allow %q; want 405, Allow %q: %s", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Allow"), tt.allow, body)
		}
	}
}

// gzipped is b compressed with gzip.
func gzipped(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestRefusalsChangeNothing sends every kind of bad submission and checks
// its status, its problem document and that nothing was stored.
func TestRefusalsChangeNothing(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	valid := readExample(t, "valid/full-time-one-period.json")
	tests := []struct {
		name   string
		body   []byte
		header []string
		want   int
		code   string // first problem code, if any
	}{
		{"malformed JSON", []byte(`{"template": `), nil, 400, ""},
		{"not an object", []byte(`[1]`), nil, 400, ""},
		{"duplicate key", []byte(`{"template": "fk7804", "template": "fk7804"}`), nil, 400, ""},
		{"invalid UTF-8", []byte("{\"template\": \"\xff\"}"), nil, 400, ""},
		{"wrong content type", valid, []string{"Content-Type", "text/plain"}, 415, ""},
		{"latin-1 charset", valid, []string{"Content-Type", "application/json; charset=iso-8859-1"}, 415, ""},
		// A body labelled compressed is not read as the JSON it may also
		// be, nor refused as not UTF-8 when it is compressed.
		{"content encoding", valid, []string{"Content-Encoding", "gzip"}, 415, ""},
		{"gzipped body", gzipped(t, valid), []string{"Content-Encoding", "gzip"}, 415, ""},
		{"content encodings", valid, []string{"Content-Encoding", "identity, br"}, 415, ""},
		{"oversize", append(valid[:len(valid)-1:len(valid)-1], []byte(`, "x": "`+strings.Repeat("x", 70<<10)+`"}`)...), nil, 413, ""},
		{"unknown template", bytes.Replace(valid, []byte(`"fk7804"`), []byte(`"fk0000"`), 1), nil, 422, "unknownTemplate"},
		{"invalid certificate", readExample(t, "invalid/sickleave-overlap-shared-day.json"), nil, 422, "overlap"},
		{"bad idempotency key", valid, []string{"Idempotency-Key", "has space"}, 400, ""},
		{"empty idempotency key", valid, []string{"Idempotency-Key", ""}, 400, ""},
		{"two idempotency keys", valid, []string{"Idempotency-Key", "a", "Idempotency-Key", "b"}, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ts.count(t)
			resp, body := ts.do(t, "clinic", "POST", "/api/v1/certificates", tt.body, tt.header...)
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tt.want, body)
			}
			var doc ProblemDocument
			if err := json.Unmarshal(body, &doc); err != nil || doc.Status != tt.want || doc.Type == "" {
				t.Errorf("not a problem document with status %d: %s", tt.want, body)
			}
			// A 400 names what is wrong: the body, or (a header) the request.
			if want := map[bool]string{false: "malformed-body", true: "bad-request"}[tt.header != nil]; tt.want == 400 && doc.Type != problemBase+want {
				t.Errorf("type = %s, want %s", doc.Type, problemBase+want)
			}
			if tt.code != "" && (len(doc.Errors) == 0 || doc.Errors[0].Code != tt.code || doc.Errors[0].Pointer == "") {
				t.Errorf("errors = %+v, want first code %s with a pointer", doc.Errors, tt.code)
			}
			if slices.Contains(tt.header, "Content-Encoding") && resp.Header.Get("Accept-Encoding") != "identity" {
				t.Errorf("Accept-Encoding = %q, want identity", resp.Header.Get("Accept-Encoding"))
			}
			if after := ts.count(t); after != before {
				t.Errorf("%d certificates after a refusal, want %d", after, before)
			}
		})
	}
	// identity, or no coding listed, is the body as it is.
	for _, ce := range []string{"identity", "Identity, identity", ""} {
		if resp, body := ts.do(t, "clinic", "POST", "/api/v1/certificates", valid, "Content-Encoding", ce); resp.StatusCode != http.StatusCreated {
			t.Errorf("Content-Encoding: %q: %d %s, want 201", ce, resp.StatusCode, body)
		}
	}
}

func TestMessagesFollowAcceptLanguage(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	body := readExample(t, "invalid/sickleave-to-before-from.json")
	for lang, want := range map[string]string{"": "Ange ett slutdatum", "en": "Give an end date", "en-GB,sv;q=0.5": "Give an end date", "sv-SE,en;q=0.5": "Ange ett slutdatum"} {
		_, b := ts.do(t, "clinic", "POST", "/api/v1/certificates/validate", body, "Accept-Language", lang)
		if !strings.Contains(string(b), want) {
			t.Errorf("Accept-Language %q: %s, want %q", lang, b, want)
		}
	}
}

// TestRefusalsFollowAcceptLanguage: the detail of a 401 (no token, a
// revoked one) is Swedish, or English with Accept-Language: en, as the
// messages of a 422 are; its type, title and status stay as they were.
func TestRefusalsFollowAcceptLanguage(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	tests := []struct {
		name, who, lang, want string
	}{
		{"no token", "", "", "Inloggning eller en giltig nyckel krävs."},
		{"no token, English", "", "en", "Unauthorized."},
		{"revoked token", "revoked", "", "Inloggning eller en giltig nyckel krävs."},
		{"revoked token, English", "revoked", "en-GB,sv;q=0.5", "Unauthorized."},
		{"revoked token, Swedish first", "revoked", "sv-SE,en;q=0.5", "Inloggning eller en giltig nyckel krävs."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := ts.do(t, tt.who, "GET", "/api/v1/certificates", nil, "Accept-Language", tt.lang)
			var got ProblemDocument
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("%d %s: %v", resp.StatusCode, b, err)
			}
			want := ProblemDocument{Type: problemBase + "unauthorized", Title: "Unauthorized", Status: http.StatusUnauthorized, Detail: tt.want}
			if diff := cmp.Diff(want, got); diff != "" || resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("status %d, problem mismatch (-want +got):\n%s", resp.StatusCode, diff)
			}
		})
	}
}

// TestRefusalDetailsFollowAcceptLanguage: the detail of every refusal of a
// whole request (400, 403, 404, 405, 409, 413, 415, 422) is the
// catalogue's text, Swedish unless the client asks for English, with the
// values it names (a limit, a path, a method, a unit) in it.
func TestRefusalDetailsFollowAcceptLanguage(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	valid := readExample(t, "valid/full-time-one-period.json")
	other := readExample(t, "valid/depression-code-without-dot.json")
	if resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates", valid, "Idempotency-Key", "detail-key"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("first submission under the key: %d %s", resp.StatusCode, b)
	}
	maxBytes := mustEngine(t).MaxBytes()
	tests := []struct {
		name, who, method, path string
		body                    []byte
		header                  []string
		status                  int
		key                     string
		args                    func(resp *http.Response) []any
	}{
		{"malformed body", "clinic", "POST", "/api/v1/certificates", []byte(`{"template": `), nil, 400, "body.endsEarly", nil},
		{"bad Idempotency-Key", "clinic", "POST", "/api/v1/certificates", valid, []string{"Idempotency-Key", strings.Repeat("k", 256)}, 400, "request.idempotencyKey",
			func(*http.Response) []any { return []any{maxIdempotencyKey} }},
		{"role may not", "caseworker", "POST", "/api/v1/certificates", valid, nil, 403, "refused.forbidden", nil},
		{"token of another unit", "other-clinic", "POST", "/api/v1/certificates", valid, nil, 403, "refused.units",
			func(*http.Response) []any { return []any{otherUnit} }},
		{"nothing at the path", "", "GET", "/api/v1/nothing", nil, nil, 404, "notFound.path",
			func(*http.Response) []any { return []any{"/api/v1/nothing"} }},
		{"no such certificate", "caseworker", "GET", "/api/v1/certificates/" + strings.Repeat("x", 22), nil, nil, 404, "notFound.certificate", nil},
		{"method", "", "DELETE", "/api/v1/certificates", nil, nil, 405, "request.method",
			func(resp *http.Response) []any { return []any{"DELETE", resp.Header.Get("Allow")} }},
		{"key used with another body", "clinic", "POST", "/api/v1/certificates", other, []string{"Idempotency-Key", "detail-key"}, 409, "idempotency.keyReused", nil},
		{"body too large", "clinic", "POST", "/api/v1/certificates", bytes.Repeat([]byte(" "), maxBytes+1), nil, 413, "body.tooLarge",
			func(*http.Response) []any { return []any{maxBytes} }},
		{"content type", "clinic", "POST", "/api/v1/certificates", valid, []string{"Content-Type", "text/plain"}, 415, "body.contentType", nil},
		{"content encoding", "clinic", "POST", "/api/v1/certificates", valid, []string{"Content-Encoding", "gzip"}, 415, "body.contentEncoding", nil},
		{"invalid certificate", "clinic", "POST", "/api/v1/certificates/validate", []byte(`{}`), nil, 422, "invalid.certificate", nil},
	}
	for _, tt := range tests {
		for _, l := range []struct{ accept, lang string }{{"", "sv"}, {"sv", "sv"}, {"en", "en"}} {
			t.Run(tt.name+"/"+l.accept, func(t *testing.T) {
				header := append(slices.Clone(tt.header), "Accept-Language", l.accept)
				resp, b := ts.do(t, tt.who, tt.method, tt.path, tt.body, header...)
				var doc ProblemDocument
				if err := json.Unmarshal(b, &doc); err != nil || resp.StatusCode != tt.status || doc.Status != tt.status {
					t.Fatalf("got %d %s (%v), want %d with a problem document", resp.StatusCode, b, err, tt.status)
				}
				var args []any
				if tt.args != nil {
					args = tt.args(resp)
				}
				if want := intake.Text(tt.key, l.lang, args...); doc.Detail != want {
					t.Errorf("detail = %q, want %q", doc.Detail, want)
				}
			})
		}
	}
}

// varies reports whether resp's Vary names header, and returns every name
// it lists.
func varies(resp *http.Response, header string) (bool, []string) {
	var names []string
	for _, v := range resp.Header.Values("Vary") {
		for _, name := range strings.Split(v, ",") {
			names = append(names, strings.TrimSpace(name))
		}
	}
	return slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, header) }), names
}

// TestAnswersSayTheirLanguage: every answer whose text follows
// Accept-Language says which language it is in (Content-Language) and
// that it varies by it (Vary): problem documents at each status, records
// with flags' messages; the pages are Swedish whatever the browser asks
// for, and say so. Swedish without Accept-Language.
func TestAnswersSayTheirLanguage(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/prognosis-unclear.json") // flagged: no examination
	cw := ts.session(t, "caseworker")
	tests := []struct {
		name, who, method, path string
		body                    []byte
		page                    bool // a browser's request, with the caseworker's session
		status                  int
		contentType             string
		swedishOnly             bool
	}{
		{"422", "clinic", "POST", "/api/v1/certificates/validate", []byte(`{}`), false, 422, "application/problem+json", false},
		{"404", "caseworker", "GET", "/api/v1/certificates/" + strings.Repeat("x", 22), nil, false, 404, "application/problem+json", false},
		{"401", "", "GET", "/api/v1/certificates", nil, false, 401, "application/problem+json", false},
		{"a record with flags", "caseworker", "GET", "/api/v1/certificates/" + id, nil, false, 200, "application/json", false},
		{"a list with flags", "caseworker", "GET", "/api/v1/certificates", nil, false, 200, "application/json", false},
		{"an HTML page", "", "GET", "/queue", nil, true, 200, "text/html", true},
		{"an HTML error page", "", "GET", "/certificates/" + strings.Repeat("x", 22), nil, true, 404, "text/html", true},
	}
	for _, tt := range tests {
		for _, l := range []struct{ accept, lang string }{{"", "sv"}, {"sv", "sv"}, {"en", "en"}, {"en-GB,en;q=0.9", "en"}} {
			t.Run(tt.name+"/"+l.accept, func(t *testing.T) {
				var resp *http.Response
				if tt.page {
					req := ts.pageRequest(cw, tt.method, tt.path, nil)
					if l.accept != "" {
						req.Header.Set("Accept-Language", l.accept)
					}
					resp, _ = ts.sendPage(t, req)
				} else {
					var header []string
					if l.accept != "" {
						header = []string{"Accept-Language", l.accept}
					}
					resp, _ = ts.do(t, tt.who, tt.method, tt.path, tt.body, header...)
				}
				if resp.StatusCode != tt.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.contentType) {
					t.Fatalf("got %d %s, want %d %s", resp.StatusCode, resp.Header.Get("Content-Type"), tt.status, tt.contentType)
				}
				want := l.lang
				if tt.swedishOnly {
					want = "sv"
				}
				if got := resp.Header.Values("Content-Language"); len(got) != 1 || got[0] != want {
					t.Errorf("Content-Language = %q, want %q", got, want)
				}
				if ok, names := varies(resp, "Accept-Language"); !ok || len(names) != 1 {
					t.Errorf("Vary = %q, want Accept-Language once", names)
				}
			})
		}
	}
}

// TestAnswerKeepsItsVary: an answer that already varies by another
// header (as a compressing proxy's middleware makes it) keeps that, and
// names Accept-Language once beside it.
func TestAnswerKeepsItsVary(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, given := range [][]string{{"Origin"}, {"Origin, Accept-Encoding"}, {"Accept-Encoding", "accept-language"}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, v := range given {
				w.Header().Add("Vary", v)
			}
			writeError(logger, w, r, intake.Failure(intake.ENOTFOUND, "notFound.path", r.URL.Path))
		}))
		req, _ := http.NewRequest("GET", srv.URL+"/nowhere", nil)
		req.Header.Set("Accept-Language", "en")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srv.Close()
		_, names := varies(resp, "")
		var want []string
		for _, v := range given {
			for _, name := range strings.Split(v, ",") {
				want = append(want, strings.TrimSpace(name))
			}
		}
		if !slices.ContainsFunc(want, func(n string) bool { return strings.EqualFold(n, "Accept-Language") }) {
			want = append(want, "Accept-Language")
		}
		if !slices.Equal(names, want) || resp.Header.Get("Content-Language") != "en" {
			t.Errorf("given Vary %q: Vary %q, Content-Language %q; want Vary %q, Content-Language en", given, names, resp.Header.Get("Content-Language"), want)
		}
	}
}

// TestValidateRecordReadsAsStored: the record POST /certificates/validate
// returns has its warnings as a stored record's read: in the reader's
// language, with no second message beside them.
func TestValidateRecordReadsAsStored(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	body := withUnit(t, readExample(t, "valid/sickleave-starts-more-than-7-days-before-signing.json"), unit)
	resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates/validate", body, "Accept-Language", "en")
	var got struct {
		Warnings []map[string]any
		Record   struct{ Warnings []map[string]any }
	}
	if err := json.Unmarshal(b, &got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("validate: %d %s", resp.StatusCode, b)
	}
	if len(got.Record.Warnings) != 1 || !reflect.DeepEqual(got.Record.Warnings, got.Warnings) || len(got.Record.Warnings[0]) != 3 ||
		!strings.HasPrefix(got.Record.Warnings[0]["message"].(string), "The ") {
		t.Errorf("record.warnings = %v, want the answer's warnings in English: %v", got.Record.Warnings, got.Warnings)
	}
}

func TestCreateThenRead(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	body := withUnit(t, readExample(t, "valid/sickleave-starts-more-than-7-days-before-signing.json"), unit)
	resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates", body)
	if resp.StatusCode != 201 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var created struct {
		ID       string
		Warnings []ProblemEntry
	}
	json.Unmarshal(b, &created)
	if loc := resp.Header.Get("Location"); loc != "/api/v1/certificates/"+created.ID {
		t.Errorf("Location = %q, want the certificate's URL", loc)
	}
	if len(created.Warnings) != 1 || created.Warnings[0].Code != "earlyStart" {
		t.Errorf("warnings = %+v, want one earlyStart", created.Warnings)
	}
	resp, b = ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+created.ID, nil)
	var got struct {
		intake.Certificate
		Links struct{ Self string }
	}
	if err := json.Unmarshal(b, &got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET: %d %s", resp.StatusCode, b)
	}
	if got.ID != created.ID || got.Status != intake.StatusReceived || len(got.Patient.ID) != 12 || got.Links.Self == "" {
		t.Errorf("record = %+v", got)
	}
	// The record's warnings are the 201's: the same shape, in the
	// reader's language.
	for lang, want := range map[string]string{"": "Perioden börjar", "en": "The period starts"} {
		_, b := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+created.ID, nil, "Accept-Language", lang)
		var rec struct{ Warnings []map[string]any }
		json.Unmarshal(b, &rec)
		if len(rec.Warnings) != 1 || rec.Warnings[0]["code"] != "earlyStart" || rec.Warnings[0]["pointer"] != "/answers/sickLeave/0/from" ||
			!strings.HasPrefix(fmt.Sprint(rec.Warnings[0]["message"]), want) || len(rec.Warnings[0]) != 3 {
			t.Errorf("Accept-Language %q: warnings = %v, want {pointer, code, message} starting %q", lang, rec.Warnings, want)
		}
	}
	stored, err := ts.db.FindSubmission(context.Background(), created.ID)
	if err != nil || !bytes.Equal(stored, body) {
		t.Errorf("stored bytes differ from the submitted ones")
	}
}

func TestIdempotency(t *testing.T) {
	for _, driver := range []string{store.SQLite, store.Postgres} {
		t.Run(driver, func(t *testing.T) {
			ts := newTestServer(t, driver)
			body := readExample(t, "valid/full-time-one-period.json")
			resp1, b1 := ts.do(t, "clinic", "POST", "/api/v1/certificates", body, "Idempotency-Key", "retry-1")
			resp2, b2 := ts.do(t, "clinic", "POST", "/api/v1/certificates", body, "Idempotency-Key", "retry-1")
			if resp1.StatusCode != 201 || resp2.StatusCode != 201 || !bytes.Equal(b1, b2) || resp1.Header.Get("Location") != resp2.Header.Get("Location") {
				t.Errorf("retry: %d %s / %d %s; want the same 201", resp1.StatusCode, b1, resp2.StatusCode, b2)
			}
			if resp2.Header.Get("Idempotent-Replayed") != "true" {
				t.Error("replayed response lacks Idempotent-Replayed: true")
			}
			other := withUnit(t, readExample(t, "valid/prognosis-unclear.json"), unit)
			if resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates", other, "Idempotency-Key", "retry-1"); resp.StatusCode != 409 || !strings.Contains(string(b), `"code":"idempotencyKeyReused"`) {
				t.Errorf("same key, other body: %d %s; want 409", resp.StatusCode, b)
			}
			// A body refused whatever its key is its 422 first: intake's
			// problems, and a relation to no certificate of the unit.
			invalid := bytes.Replace(body, []byte(`"answers": {`), []byte(`"answers": {"unknown": 1, `), 1)
			nowhere := bytes.Replace(body, []byte(`"answers": {`), []byte(`"relation": {"type": "REPLACES", "certificate": "no-such-certificate"}, "answers": {`), 1)
			for what, b := range map[string][]byte{"intake's": invalid, "the relation's": nowhere} {
				if bytes.Equal(b, body) {
					t.Fatalf("%s body is the first one", what)
				}
				resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates", b, "Idempotency-Key", "retry-1")
				if resp.StatusCode != 422 {
					t.Errorf("same key, a body with %s problem: %d %s; want its 422", what, resp.StatusCode, b)
				}
			}
			if n := ts.count(t); n != 1 {
				t.Errorf("%d certificates stored, want 1", n)
			}

			// Concurrent retries with one key store one certificate and all get its id.
			const clients = 16
			locations := make([]string, clients)
			var wg sync.WaitGroup
			for i := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates", other, "Idempotency-Key", "concurrent")
					if resp.StatusCode != 201 {
						t.Errorf("concurrent retry: %d %s", resp.StatusCode, b)
					}
					locations[i] = resp.Header.Get("Location")
				}()
			}
			wg.Wait()
			for _, l := range locations {
				if l != locations[0] || l == "" {
					t.Fatalf("concurrent retries got different certificates: %v", locations)
				}
			}
			if n := ts.count(t); n != 2 {
				t.Errorf("%d certificates stored, want 2", n)
			}
		})
	}
}

func TestAccessLog(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/depression-code-without-dot.json")
	var cert intake.Certificate
	_, b := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id, nil)
	json.Unmarshal(b, &cert)
	pid := cert.Patient.ID
	// A search by the patient's number in another accepted form.
	short := pid[2:8] + "-" + pid[8:]
	if resp, b := ts.do(t, "caseworker", "GET", "/api/v1/certificates?patient="+short, nil); resp.StatusCode != 200 || !strings.Contains(string(b), id) {
		t.Fatalf("search by %s: %d %s", short, resp.StatusCode, b)
	}
	resp, b := ts.do(t, "admin", "GET", "/api/v1/audit?patient="+pid, nil)
	var audit struct{ Items []intake.AuditEntry }
	if err := json.Unmarshal(b, &audit); err != nil || resp.StatusCode != 200 {
		t.Fatalf("audit: %d %s", resp.StatusCode, b)
	}
	if len(audit.Items) != 2 {
		t.Fatalf("audit has %d entries for the patient, want 2 (read and search): %s", len(audit.Items), b)
	}
	search, read := audit.Items[0], audit.Items[1]
	if read.Action != "certificate.read" || read.CertificateID != id || read.Role != intake.RoleCaseworker || read.TokenID == "" || read.RemoteAddr == "" || read.At.IsZero() {
		t.Errorf("read entry = %+v", read)
	}
	if search.Action != "certificate.search" || search.PatientID != pid {
		t.Errorf("search entry = %+v", search)
	}
	// A refused read (another unit) is not a read of patient data.
	ts.do(t, "other-clinic", "GET", "/api/v1/certificates/"+id, nil)
	_, b = ts.do(t, "admin", "GET", "/api/v1/audit?certificate="+id, nil)
	json.Unmarshal(b, &audit)
	if len(audit.Items) != 1 {
		t.Errorf("audit by certificate has %d entries, want 1", len(audit.Items))
	}
	// The request log names routes and tokens, never identity numbers or names.
	logs := ts.logs.String()
	for _, secret := range []string{pid, short, cert.Patient.Name, cert.Issuer.Name} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
	if !strings.Contains(logs, `"route":"/api/v1/certificates/{id}"`) {
		t.Errorf("the log lacks the route template: %s", logs)
	}
}

func TestListFiltersAndPages(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	for _, e := range []string{"valid/full-time-one-period.json", "valid/prognosis-unclear.json", "valid/all-optional-fields.json"} {
		ts.submit(t, e)
	}
	var ids []string
	next := "/api/v1/certificates?limit=2&template=fk7804"
	for next != "" {
		resp, b := ts.do(t, "caseworker", "GET", next, nil)
		var page struct {
			Items []struct{ ID string }
			Next  string
		}
		if err := json.Unmarshal(b, &page); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", next, resp.StatusCode, b)
		}
		for _, it := range page.Items {
			ids = append(ids, it.ID)
		}
		next = page.Next
	}
	if len(ids) != 3 {
		t.Errorf("paged through %d certificates, want 3", len(ids))
	}
	for _, bad := range []string{"patient=123", "status=lost", "receivedSince=yesterday", "limit=0", "colour=red"} {
		if resp, b := ts.do(t, "caseworker", "GET", "/api/v1/certificates?"+bad, nil); resp.StatusCode != 422 {
			t.Errorf("%s: %d %s, want 422", bad, resp.StatusCode, b)
		}
	}
	if _, b := ts.do(t, "other-clinic", "GET", "/api/v1/certificates", nil); strings.Contains(string(b), `"id"`) {
		t.Errorf("a clinic sees another unit's certificates: %s", b)
	}
	// HSA-ids in any case, as intake takes them.
	ts.mustUnits(t)
	for q, want := range map[string]int{"careProvider=se2321000016-0001": 2, "unit=se2321000016-7p0c": 2} {
		if _, b := ts.do(t, "caseworker", "GET", "/api/v1/certificates?"+q, nil); strings.Count(string(b), `"links"`) != want {
			t.Errorf("%s: %s, want %d certificates", q, b, want)
		}
	}
}

func TestMetrics(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.submit(t, "valid/full-time-one-period.json")
	ts.do(t, "clinic", "POST", "/api/v1/certificates", readExample(t, "invalid/diagnoses-missing.json"))
	_, b := ts.do(t, "admin", "GET", "/metrics", nil)
	for _, want := range []string{
		`intyg_certificates_total{outcome="accepted",template="fk7804"} 1`,
		`intyg_certificates_total{outcome="refused",template="fk7804"} 1`,
		`intyg_http_requests_total{method="POST",route="/api/v1/certificates",status="201"} 1`,
		`intyg_http_request_duration_seconds_bucket{method="POST",route="/api/v1/certificates"`,
		`go_build_info{checksum=`, // which build answers
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// The store's writes: the accepted certificate at least, in a
	// transaction the log's sync made durable.
	for _, name := range []string{"intyg_store_transactions_total", "intyg_store_writes_total", "intyg_store_log_syncs_total", "intyg_store_log_sync_seconds_total", "intyg_store_writer_wait_seconds_total"} {
		v, ok := metricValue(string(b), name)
		if !ok || v <= 0 {
			t.Errorf("%s = %v (found: %v), want more than 0", name, v, ok)
		}
	}
	// A few writes leave the log short of a restart (store's
	// TestWALStaysBounded counts those): the counters are there.
	for _, name := range []string{"intyg_store_writer_checkpoints_total", "intyg_store_writer_checkpoint_seconds_total", "intyg_store_writer_sync_wait_seconds_total"} {
		if _, ok := metricValue(string(b), name); !ok {
			t.Errorf("%s is missing from /metrics", name)
		}
	}
}

// metricValue is the value of an unlabelled metric in Prometheus' text.
func metricValue(text, name string) (float64, bool) {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

// withUnit returns a submission with its unit's HSA-id replaced.
func withUnit(tb testing.TB, body []byte, hsaID string) []byte {
	tb.Helper()
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		tb.Fatal(err)
	}
	doc["issuer"].(map[string]any)["unit"].(map[string]any)["hsaId"] = hsaID
	b, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestReadyzFollowsTheDatabase(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	if resp, _ := ts.do(t, "", "GET", "/readyz", nil); resp.StatusCode != 200 {
		t.Fatalf("readyz = %d with the database open", resp.StatusCode)
	}
	ts.db.Close()
	if resp, _ := ts.do(t, "", "GET", "/readyz", nil); resp.StatusCode != 503 {
		t.Errorf("readyz = %d with the database closed, want 503", resp.StatusCode)
	}
	if resp, _ := ts.do(t, "", "GET", "/healthz", nil); resp.StatusCode != 200 {
		t.Errorf("healthz = %d, want 200: the process is still up", resp.StatusCode)
	}
}

func TestCertificatePDF(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	resp, b := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id+"/pdf", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("GET pdf: %d %s, %d bytes starting %q", resp.StatusCode, resp.Header.Get("Content-Type"), len(b), b[:min(8, len(b))])
	}
	if _, again := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id+"/pdf", nil); !bytes.Equal(b, again) {
		t.Error("the same certificate gave two different PDFs")
	}
	_, emp := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id+"/pdf?copy=employer", nil)
	// The header is text in the page content.
	if bytes.Equal(b, emp) || !strings.Contains(pdfContent(t, emp), "(AG 7804) Tj") {
		t.Error("the employer copy is not the AG 7804 variant")
	}
	_, audit := ts.do(t, "admin", "GET", "/api/v1/audit?certificate="+id, nil)
	for _, action := range []string{`"certificate.pdf"`, `"certificate.pdf.employer"`} {
		if !bytes.Contains(audit, []byte(action)) {
			t.Errorf("the access log lacks %s: %s", action, audit)
		}
	}
}

// TestSecondTemplate submits, reads and prints an fk7810 through the same
// API, with no code of its own.
func TestSecondTemplate(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "../fk7810/valid/other-investigations-three-types.json")
	resp, b := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"template":"fk7810"`) {
		t.Fatalf("GET: %d %s", resp.StatusCode, b)
	}
	if resp, _ := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id+"/pdf", nil); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("GET pdf: %d", resp.StatusCode)
	}
	if resp, b := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id+"/pdf?copy=employer", nil); resp.StatusCode != 404 {
		t.Errorf("employer copy of fk7810, which has none: %d %s, want 404", resp.StatusCode, b)
	}
	if resp, b := ts.do(t, "clinic", "GET", "/api/v1/templates/fk7810/1.0", nil); resp.StatusCode != 200 || !strings.Contains(string(b), `"formNumber":"FK 7810"`) {
		t.Errorf("GET template: %d", resp.StatusCode)
	}
	bad, _ := os.ReadFile(filepath.Join("..", "examples", "fk7810", "invalid", "selfcare-true-without-description.json"))
	if resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates/validate", bad); resp.StatusCode != 422 || !strings.Contains(string(b), "/answers/selfCareDescription") {
		t.Errorf("validate invalid fk7810: %d %s", resp.StatusCode, b)
	}
}

// TestFormPages checks the HTML pages without a browser: sign-in, a form
// for every template with every question, and refusals.
func TestFormPages(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(ts.URL + "/forms")
	if err != nil || resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/sign-in") {
		t.Fatalf("/forms without a session: %v %v, want a redirect to sign-in", resp.StatusCode, err)
	}
	post := func(form string) *http.Response {
		req, _ := http.NewRequest("POST", ts.URL+"/sign-in", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	ts.person(t, "physician")
	if resp := post("username=asa&password=wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("sign-in with a wrong password: %d, want 401", resp.StatusCode)
	}
	resp = post(url.Values{"username": {"asa"}, "password": {testPassword}, "next": {"//evil.example/"}}.Encode())
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/forms" {
		t.Errorf("sign-in: %d to %q, want 303 to /forms (never to another site)", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookiePlain {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Value == ts.tokens["clinic"] {
		t.Fatalf("session cookie = %+v, want a session id, HttpOnly and SameSite=Lax", session)
	}
	for _, tmpl := range mustEngine(t).Registry().All() {
		req, _ := http.NewRequest("GET", ts.URL+"/forms/"+tmpl.ID+"/"+tmpl.Version, nil)
		req.AddCookie(session)
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("form %s: %v %v", tmpl.Key(), resp.StatusCode, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, q := range tmpl.Form.Questions() {
			if !strings.Contains(string(b), `id="q-`+q.Field+`"`) {
				t.Errorf("form %s lacks question %s (%s)", tmpl.Key(), q.ID, q.Field)
			}
		}
	}
	// A caseworker may read but not write certificates.
	req, _ := http.NewRequest("GET", ts.URL+"/forms/fk7804/2.0", nil)
	req.AddCookie(ts.session(t, "caseworker"))
	if resp, err := client.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("caseworker on the form: %v %v, want 403", resp.StatusCode, err)
	}
	// A cross-site form post is refused before it reaches the handler.
	req, _ = http.NewRequest("POST", ts.URL+"/forms/fk7804/2.0", strings.NewReader("patient.id=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(session)
	if resp, err := client.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post: %v %v, want 403", resp.StatusCode, err)
	}
	if n := ts.count(t); n != 0 {
		t.Errorf("%d certificates stored, want 0", n)
	}
}

func TestLocalPath(t *testing.T) {
	for next, want := range map[string]string{
		"/forms/fk7804/2.0": "/forms/fk7804/2.0", "/certificates/x?y=1": "/certificates/x?y=1",
		"//evil.example": "/", `/\evil.example`: "/", "https://evil.example/": "/",
		"forms": "/", "": "/", "/\tevil": "/",
	} {
		if got := localPath(next); got != want {
			t.Errorf("localPath(%q) = %q, want %q", next, got, want)
		}
	}
}

// TestFormDoubleSubmit posts one form twice across a second boundary (the
// server's clock moves on between the posts, so signedAt differs): the
// second post shows the first certificate, and one is stored.
func TestFormDoubleSubmit(t *testing.T) {
	var mu sync.Mutex
	clock := testNow()
	ts := newTestServerClock(t, store.SQLite, func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return clock
	})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cookie := ts.session(t, "physician")
	form := url.Values{
		"submission": {"abc123"}, "patient.id": {"191212121212"}, "patient.name": {"Tolvan"},
		"answers.infectionControl": {"true"}, "answers.diagnoses.0.code": {"A08.4"}, "answers.diagnoses.0.description": {"Virusenterit"},
		"answers.sickLeave.100.from": {"2026-11-20"}, "answers.sickLeave.100.to": {"2026-11-23"},
	}
	var locations []string
	for i := 0; i < 2; i++ {
		if i == 1 {
			mu.Lock()
			clock = clock.Add(1100 * time.Millisecond) // signedAt now differs
			mu.Unlock()
		}
		req, _ := http.NewRequest("POST", ts.URL+"/forms/fk7804/2.0", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(cookie)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("post %d: %d, want 303", i+1, resp.StatusCode)
		}
		locations = append(locations, resp.Header.Get("Location"))
	}
	if locations[0] != locations[1] || !strings.HasPrefix(locations[0], "/certificates/") {
		t.Errorf("the two posts went to %v, want the same receipt", locations)
	}
	if n := ts.count(t); n != 1 {
		t.Errorf("%d certificates stored, want 1", n)
	}
}
