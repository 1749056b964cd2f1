package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
	"github.com/intyg/intyg/store"
)

// The hostile-input tests post the corpus in ../testdata/hostile (see its
// README.md) to a real server over loopback.

const (
	// hostileDeadline bounds each request. It guards against a hang and is
	// no timing assertion: every refusal takes milliseconds.
	hostileDeadline = 5 * time.Second
	// maxProblemBody bounds a refusal: at most 101 problems.
	maxProblemBody = 64 << 10
)

// newHostileServer is newTestServer with the production body limit
// (intake.DefaultMaxBytes, 1 MiB) instead of the tests' 64 KiB, so that
// bodies of up to a megabyte reach intake. Its one token is "clinic".
func newHostileServer(tb testing.TB) *testServer {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.SQLite, filepath.Join(tb.TempDir(), "intyg.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	icd, err := intake.LoadICD10SE(schemas.ICD10SE())
	if err != nil {
		tb.Fatal(err)
	}
	eng, err := intake.NewEngine(schemas.MustLoadEmbedded(), icd, intake.DefaultMaxBytes)
	if err != nil {
		tb.Fatal(err)
	}
	logs := &syncBuffer{}
	now := func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }
	ts := &testServer{db: db, logs: logs, tokens: map[string]string{}}
	ts.Server = httptest.NewServer(NewServer(slog.New(slog.NewJSONHandler(logs, nil)), eng, db, mustRenderer(tb), Options{Now: now}))
	tb.Cleanup(ts.Close)
	secret, _, err := db.CreateToken(ctx, intake.RoleClinic, unit, "clinic")
	if err != nil {
		tb.Fatal(err)
	}
	ts.tokens["clinic"] = secret
	return ts
}

// hostileCase is one entry of ../testdata/hostile/cases.json; package
// intake's tests read the same file.
type hostileCase struct {
	Name     string `json:"name"`
	File     string `json:"file"`
	Generate *struct {
		Prefix, Repeat, Separator, Suffix string
		Count                             int
	} `json:"generate"`
	ContentType string `json:"contentType"`
	Status      int    `json:"status"`
	Code        string `json:"code"`
	Detail      string `json:"detail"`
	Errors      int    `json:"errors"`
	Error       *struct {
		Pointer, Code string
	} `json:"error"`

	body []byte
}

// hostileFirstDay is the date "{date}" stands for in a generated body's
// first copy; each further copy is a day later.
var hostileFirstDay = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// readHostileCorpus reads the corpus and builds every body.
func readHostileCorpus(tb testing.TB) []hostileCase {
	tb.Helper()
	dir := filepath.Join("..", "testdata", "hostile")
	b, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var corpus struct{ Cases []hostileCase }
	if err := json.Unmarshal(b, &corpus); err != nil {
		tb.Fatalf("cases.json: %v", err)
	}
	for i := range corpus.Cases {
		c := &corpus.Cases[i]
		switch g := c.Generate; {
		case c.File != "":
			if c.body, err = os.ReadFile(filepath.Join(dir, c.File)); err != nil {
				tb.Fatal(err)
			}
		case g != nil:
			var b strings.Builder
			b.WriteString(g.Prefix)
			for n := range g.Count {
				if n > 0 {
					b.WriteString(g.Separator)
				}
				item := g.Repeat
				if strings.Contains(item, "{") {
					item = strings.NewReplacer("{i}", strconv.Itoa(n), "{date}", hostileFirstDay.AddDate(0, 0, n).Format(time.DateOnly)).Replace(item)
				}
				b.WriteString(item)
			}
			b.WriteString(g.Suffix)
			c.body = []byte(b.String())
		default:
			tb.Fatalf("case %s has neither file nor generate", c.Name)
		}
	}
	return corpus.Cases
}

// wrongTypeCases gives every answers field of every valid fk7804 example a
// value of the wrong JSON type, one field at a time; each must be refused
// with a problem (type, or enum for enum-only fields) at that field.
func wrongTypeCases(tb testing.TB) []hostileCase {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("..", "examples", "fk7804", "valid", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no valid fk7804 examples (%v)", err)
	}
	var out []hostileCase
	for _, f := range files {
		for field := range decodeExample(tb, f)["answers"].(map[string]any) {
			doc := decodeExample(tb, f)
			answers := doc["answers"].(map[string]any)
			answers[field] = wrongType(answers[field])
			body, err := json.Marshal(doc)
			if err != nil {
				tb.Fatal(err)
			}
			c := hostileCase{
				Name:   "wrong-type/" + strings.TrimSuffix(filepath.Base(f), ".json") + "/" + field,
				Status: http.StatusUnprocessableEntity, Code: intake.EINVALID, body: body,
			}
			c.Error = &struct{ Pointer, Code string }{Pointer: "/answers/" + field}
			out = append(out, c)
		}
	}
	return out
}

func decodeExample(tb testing.TB, name string) map[string]any {
	tb.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return doc
}

// wrongType returns a value of another JSON type than v.
func wrongType(v any) any {
	switch v := v.(type) {
	case string:
		return 12345
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case []any:
		return map[string]any{"0": v[0]}
	case map[string]any:
		return []any{v}
	}
	return false
}

// postHostile posts body as the clinic token with a deadline, and returns
// the status, the decoded problem document and the answer's bytes. It
// returns an error for no answer within the deadline, an answer over
// maxProblemBody, or one that is not a problem document.
func postHostile(ts *testServer, path string, body []byte, contentType string) (int, ProblemDocument, []byte, error) {
	var doc ProblemDocument
	ctx, cancel := context.WithTimeout(context.Background(), hostileDeadline)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+path, bytes.NewReader(body))
	if err != nil {
		return 0, doc, nil, err
	}
	if contentType == "" {
		contentType = "application/json"
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+ts.tokens["clinic"])
	req.Header.Set("Accept-Language", "en")
	resp, err := http.DefaultClient.Do(req)
	if errors.Is(err, context.DeadlineExceeded) {
		return 0, doc, nil, fmt.Errorf("POST %s: no answer within %v", path, hostileDeadline)
	}
	if err != nil {
		return 0, doc, nil, fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	// Read one byte past the bound, so that a larger answer shows.
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxProblemBody+1))
	if err != nil {
		return 0, doc, nil, fmt.Errorf("POST %s: reading the answer: %w", path, err)
	}
	if len(b) > maxProblemBody {
		return 0, doc, nil, fmt.Errorf("POST %s: status %d with an answer over %d bytes", path, resp.StatusCode, maxProblemBody)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		return 0, doc, nil, fmt.Errorf("POST %s: status %d with Content-Type %q, want application/problem+json: %.300s", path, resp.StatusCode, ct, b)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return 0, doc, nil, fmt.Errorf("POST %s: not a problem document: %w: %.300s", path, err, b)
	}
	return resp.StatusCode, doc, b, nil
}

// TestHostileCorpus posts every hostile body, and every wrong-typed answer,
// to both intake routes: each gets its 4xx with a problem document of
// bounded size, within the deadline, and nothing is stored.
func TestHostileCorpus(t *testing.T) {
	ts := newHostileServer(t)
	cases := append(readHostileCorpus(t), wrongTypeCases(t)...)
	for _, path := range []string{"/api/v1/certificates/validate", "/api/v1/certificates"} {
		for _, c := range cases {
			t.Run(path+"/"+c.Name, func(t *testing.T) {
				status, doc, body, err := postHostile(ts, path, c.body, c.ContentType)
				if err != nil {
					t.Fatal(err)
				}
				if status != c.Status || doc.Status != c.Status {
					t.Fatalf("status = %d, want %d: %.300s", status, c.Status, body)
				}
				if !strings.HasSuffix(doc.Type, "/"+problemType(c.Code)) {
					t.Errorf("type = %q, want the one of %s", doc.Type, c.Code)
				}
				if !strings.Contains(doc.Detail, c.Detail) {
					t.Errorf("detail = %q, want it to contain %q", doc.Detail, c.Detail)
				}
				if c.Errors != 0 && len(doc.Errors) != c.Errors {
					t.Errorf("%d errors, want %d", len(doc.Errors), c.Errors)
				}
				if c.Error != nil && !hasEntry(doc.Errors, c.Error.Pointer, c.Error.Code) {
					t.Errorf("errors %.500v, want %q %s among them", doc.Errors, c.Error.Pointer, c.Error.Code)
				}
			})
		}
	}
	if n := ts.count(t); n != 0 {
		t.Errorf("%d certificates stored, want 0", n)
	}
}

// problemType returns the problem type web gives an error code.
func problemType(code string) string {
	return statuses[code].typ
}

// hasEntry reports whether es has a problem at pointer with code; an empty
// code accepts "type" or "enum", the two ways a schema refuses a type.
func hasEntry(es []ProblemEntry, pointer, code string) bool {
	for _, e := range es {
		if e.Pointer == pointer && (e.Code == code || code == "" && (e.Code == "type" || e.Code == "enum")) {
			return true
		}
	}
	return false
}

// TestHostileConcurrentMemory posts the 200,000-item body from eight
// clients at once, three times each, and checks that the process's heap and
// resident size stay within 200 MB of where they started. Before the
// decode limits each such request held hundreds of megabytes.
func TestHostileConcurrentMemory(t *testing.T) {
	const (
		clients   = 8
		rounds    = 3
		maxGrowth = 200 << 20
	)
	ts := newHostileServer(t)
	var body []byte
	for _, c := range readHostileCorpus(t) {
		if c.Name == "diagnoses-200k-empty-objects" {
			body = c.body
		}
	}
	if body == nil {
		t.Fatal("no case diagnoses-200k-empty-objects in the corpus")
	}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	baseRSS := vmRSS(t)

	// Sample the heap while the requests run: the peak is what matters.
	done := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var top uint64
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			top = max(top, m.HeapInuse)
			select {
			case <-done:
				peak <- top
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, clients*rounds)
	for range clients {
		wg.Go(func() {
			for range rounds {
				status, _, _, err := postHostile(ts, "/api/v1/certificates/validate", body, "")
				if err == nil && status != http.StatusBadRequest {
					err = fmt.Errorf("status = %d, want 400", status)
				}
				errs <- err
			}
		})
	}
	wg.Wait()
	close(done)
	heapPeak := <-peak
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	growth := int64(heapPeak) - int64(base.HeapInuse)
	t.Logf("heap in use: %d MB before, %d MB at the peak; VmRSS %d MB before, %d MB after",
		base.HeapInuse>>20, heapPeak>>20, baseRSS>>20, vmRSS(t)>>20)
	if growth > maxGrowth {
		t.Errorf("heap in use grew by %d MB, want at most %d MB", growth>>20, maxGrowth>>20)
	}
	if rss := vmRSS(t); baseRSS > 0 && int64(rss)-int64(baseRSS) > maxGrowth {
		t.Errorf("VmRSS grew by %d MB, want at most %d MB", (rss-baseRSS)>>20, maxGrowth>>20)
	}
}

// vmRSS returns the resident set size from /proc/self/status, or 0 where
// there is none (not Linux).
func vmRSS(tb testing.TB) uint64 {
	tb.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb uint64
			if _, err := fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb); err != nil {
				tb.Fatalf("VmRSS: %v", err)
			}
			return kb << 10
		}
	}
	return 0
}

// BenchmarkHostileValidate posts the largest hostile bodies to
// /api/v1/certificates/validate over loopback and reports, per request, the
// time, the allocations of client and server together, the answer's size
// and its status (no check: it also measures code that answers wrongly).
//
//	go test ./web -run XXX -bench HostileValidate -benchtime 5x
func BenchmarkHostileValidate(b *testing.B) {
	ts := newHostileServer(b)
	for _, c := range readHostileCorpus(b) {
		switch c.Name {
		case "diagnoses-200k-empty-objects", "degree-million-digits", "answers-9990-unknown-members", "diagnoses-999-control-characters":
		default:
			continue
		}
		b.Run(c.Name, func(b *testing.B) {
			b.ReportAllocs()
			var answer, status int
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/v1/certificates/validate", bytes.NewReader(c.body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+ts.tokens["clinic"])
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				answer, status = int(n), resp.StatusCode
			}
			b.ReportMetric(float64(answer), "answer-bytes")
			b.ReportMetric(float64(status), "status")
		})
	}
}
