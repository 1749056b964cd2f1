package intake_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/intyg/intyg/intake"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestExamples runs every example submission through intake: each valid one
// must normalise to its golden record, each invalid one must give its golden
// problems, and those must be exactly the pointers and codes its template's
// invalid/expected.json names.
func TestExamples(t *testing.T) {
	eng := mustEngine(t)
	// Every template has its folder of examples (examples/lifecycle holds
	// the lifecycle's request bodies, posted by the web tests).
	var templates []string
	for _, tmpl := range eng.Registry().All() {
		if dir := filepath.Join("..", "examples", tmpl.ID); !slices.Contains(templates, dir) {
			templates = append(templates, dir)
		}
	}
	for _, dir := range templates {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			valid, _ := filepath.Glob(filepath.Join(dir, "valid", "*.json"))
			invalid, _ := filepath.Glob(filepath.Join(dir, "invalid", "*.json"))
			if len(valid) == 0 || len(invalid) == 0 {
				t.Fatalf("%s needs valid and invalid examples", dir)
			}
			for _, f := range valid {
				t.Run("valid/"+filepath.Base(f), func(t *testing.T) {
					cert, err := eng.Intake(readFile(t, f), testNow)
					if err != nil {
						t.Fatalf("Intake() = %v, want valid", err)
					}
					golden(t, filepath.Join("testdata", name, "valid", strings.TrimSuffix(filepath.Base(f), ".json")+".record.json"), cert)
				})
			}
			expected := map[string][]struct{ Pointer, Code string }{}
			if err := json.Unmarshal(readFile(t, filepath.Join(dir, "invalid", "expected.json")), &expected); err != nil {
				t.Fatalf("expected.json: %v", err)
			}
			for _, f := range invalid {
				base := filepath.Base(f)
				if base == "expected.json" {
					continue
				}
				t.Run("invalid/"+base, func(t *testing.T) {
					_, err := eng.Intake(readFile(t, f), testNow)
					if intake.ErrorCode(err) == intake.EINTERNAL || err == nil {
						t.Fatalf("Intake() = %v, want refused", err)
					}
					ps := intake.ErrorProblems(err)
					golden(t, filepath.Join("testdata", name, "invalid", strings.TrimSuffix(base, ".json")+".problems.json"), ps)
					want, ok := expected[base]
					if !ok {
						t.Fatalf("expected.json has no entry for %s", base)
					}
					var w []string
					for _, p := range want {
						w = append(w, p.Pointer+" "+p.Code)
					}
					sort.Strings(w)
					got := codes(ps)
					sort.Strings(got)
					if diff := cmp.Diff(w, got); diff != "" {
						t.Errorf("problems differ from expected.json (-want +got):\n%s", diff)
					}
				})
			}
		})
	}
}

func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// golden compares v, as indented JSON, with the file; -update rewrites it.
func golden(tb testing.TB, file string, v any) {
	tb.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		tb.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		tb.Errorf("%s mismatch (-want +got):\n%s", file, diff)
	}
}

// TestIntakeConcurrent runs the valid examples through one engine from
// several goroutines at once (Decode reuses its decoders): every result
// must equal the one-at-a-time result. Run it with -race.
func TestIntakeConcurrent(t *testing.T) {
	eng := mustEngine(t)
	files, _ := filepath.Glob("../examples/*/valid/*.json")
	want := map[string]*intake.Certificate{}
	for _, f := range files {
		cert, err := eng.Intake(readFile(t, f), testNow)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		want[f] = cert
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 3 * len(files) {
				f := files[(i+g)%len(files)]
				cert, err := eng.Intake(readFile(t, f), testNow)
				if err != nil {
					t.Errorf("%s: %v", f, err)
					return
				}
				if diff := cmp.Diff(want[f], cert); diff != "" {
					t.Errorf("%s: Intake() mismatch (-want +got):\n%s", f, diff)
					return
				}
			}
		})
	}
	wg.Wait()
}
