package intake_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
)

// hostileCase is one entry of the hostile-input corpus,
// ../testdata/hostile/cases.json (see its README.md). Package web runs the
// same corpus over HTTP.
type hostileCase struct {
	Name string `json:"name"`
	// File is a committed body; Generate builds a large one at run time.
	File     string `json:"file"`
	Generate *struct {
		Prefix, Repeat, Separator, Suffix string
		Count                             int
	} `json:"generate"`
	// ContentType, if set, is sent instead of application/json (HTTP only).
	ContentType string `json:"contentType"`
	// Status and Code are the HTTP status and the error code the body must
	// get; Detail is part of the error's message.
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
	// Errors, if set, is the exact number of problems listed; Error is one
	// problem that must be among them.
	Errors int `json:"errors"`
	Error  *struct {
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
	var corpus struct{ Cases []hostileCase }
	if err := json.Unmarshal(readFile(tb, filepath.Join(dir, "cases.json")), &corpus); err != nil {
		tb.Fatalf("cases.json: %v", err)
	}
	for i := range corpus.Cases {
		c := &corpus.Cases[i]
		switch g := c.Generate; {
		case c.File != "":
			c.body = readFile(tb, filepath.Join(dir, c.File))
		case g != nil:
			var b strings.Builder
			b.Grow(len(g.Prefix) + g.Count*(len(g.Repeat)+len(g.Separator)+6) + len(g.Suffix))
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

// Every hostile body costs at most this much to refuse. A maximal valid
// fk7804 takes 313 KB in 1,754 allocations. Under the decode limits the
// cost grows linearly with the items of the lists the schema checks: the
// worst bodies of the corpus are 1,000 sick-leave periods (about 108,000
// allocations and 3.6 MB, mostly the JSON Schema library comparing each
// degree with the enum through big.Rat) and 9,990 unknown answers (6.6 MB).
// Before the limits, 200,000 empty diagnoses took 354 MB in 4.8 million
// allocations, and a million-digit degree 8.4 GB.
const (
	maxHostileAllocs = 150000
	maxHostileBytes  = 10 << 20
)

// TestIntakeHostileCorpus runs every body of the hostile-input corpus
// through the whole intake: each must be refused with its error code and
// message, and at a bounded cost in allocations and bytes.
func TestIntakeHostileCorpus(t *testing.T) {
	eng := mustEngine(t)
	for _, c := range readHostileCorpus(t) {
		if c.ContentType != "" {
			continue // a fault of the HTTP request, not of the body
		}
		t.Run(c.Name, func(t *testing.T) {
			var err error
			allocs, bytes := measure(func() { _, err = eng.Intake(c.body, testNow) })
			if got := intake.ErrorCode(err); got != c.Code {
				t.Fatalf("Intake() code = %q (%.300v), want %q", got, err, c.Code)
			}
			if msg := intake.ErrorMessage(err); !strings.Contains(msg, c.Detail) {
				t.Errorf("Intake() message = %q, want it to contain %q", msg, c.Detail)
			}
			ps := intake.ErrorProblems(err)
			if c.Errors != 0 && len(ps) != c.Errors {
				t.Errorf("got %d problems, want %d", len(ps), c.Errors)
			}
			if c.Error != nil && !hasProblem(ps, c.Error.Pointer, c.Error.Code) {
				t.Errorf("problems %.500v, want %q %s among them", codes(ps), c.Error.Pointer, c.Error.Code)
			}
			if allocs > maxHostileAllocs || bytes > maxHostileBytes {
				t.Errorf("Intake() of %d bytes took %d allocations and %d bytes, want at most %d and %d",
					len(c.body), allocs, bytes, maxHostileAllocs, maxHostileBytes)
			}
		})
	}
}

// measure runs f once and returns its allocations and allocated bytes.
func measure(f func()) (allocs, bytes uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs, after.TotalAlloc - before.TotalAlloc
}

func hasProblem(ps intake.Problems, pointer, code string) bool {
	for _, p := range ps {
		if p.Pointer == pointer && p.Code == code {
			return true
		}
	}
	return false
}

// TestProblemsAreCapped checks that a refusal lists the first 100 problems
// in order, after one problem at the whole document that counts the rest,
// and that its message gives the total.
func TestProblemsAreCapped(t *testing.T) {
	eng := mustEngine(t)
	b := mutate(t, baseFK7804, map[string]any{"/answers/diagnoses": raw(t, "["+strings.Repeat("{},", 998)+"{}]")})
	_, err := eng.Intake(b, testNow)
	ps := intake.ErrorProblems(err)
	if len(ps) != 101 {
		t.Fatalf("got %d problems, want 101 (100 and a summary)", len(ps))
	}
	// 999 items, each missing code and description, and one maxItems.
	total := 999*2 + 1
	want := []string{" tooManyProblems", "/answers/diagnoses maxItems"}
	for i := 0; len(want) < 101; i++ {
		want = append(want, fmt.Sprintf("/answers/diagnoses/%d/code required", i), fmt.Sprintf("/answers/diagnoses/%d/description required", i))
	}
	want = want[:101]
	if got := codes(ps); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems = %v, want %v", got, want)
	}
	if got, want := ps[0].MessageEn, fmt.Sprintf("has %d more problems", total-100); !strings.Contains(got, want) {
		t.Errorf("summary = %q, want it to contain %q", got, want)
	}
	if got, want := intake.ErrorMessage(err), fmt.Sprintf("%d problems, the first 100 listed", total); !strings.Contains(got, want) {
		t.Errorf("message = %q, want it to contain %q", got, want)
	}
}

// BenchmarkHostile measures the refusal of each hostile body of the corpus.
//
//	go test ./intake -run XXX -bench Hostile -benchtime 20x
func BenchmarkHostile(b *testing.B) {
	eng := mustEngine(b)
	for _, c := range readHostileCorpus(b) {
		if c.ContentType != "" {
			continue
		}
		b.Run(c.Name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := eng.Intake(c.body, testNow); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}
