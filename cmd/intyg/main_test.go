package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/intyg/intyg/internal/pgtest"
	"github.com/intyg/intyg/web"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// runCmd runs the program with args and returns its exit code and output.
func runCmd(tb testing.TB, stdin string, args ...string) (int, string, string) {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(string) string { return "" }
	code, err := run(context.Background(), append([]string{"intyg"}, args...), getenv, strings.NewReader(stdin), &stdout, &stderr)
	if err != nil {
		stderr.WriteString(err.Error())
	}
	return code, stdout.String(), stderr.String()
}

func examples(tb testing.TB, pattern string) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "fk7804", pattern))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no examples match %s", pattern)
	}
	var out []string
	for _, f := range files {
		if filepath.Base(f) != "expected.json" {
			out = append(out, f)
		}
	}
	return out
}

func TestValidateExitCodes(t *testing.T) {
	valid := examples(t, "valid/*.json")
	invalid := examples(t, "invalid/*.json")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"valid files", valid, exitOK},
		{"one invalid among valid", append([]string{valid[0]}, invalid[0]), exitInvalid},
		{"missing file", []string{"no-such-file.json"}, exitUsage},
		{"no files", nil, exitUsage},
		{"bad format flag", []string{"--format", "xml", valid[0]}, exitUsage},
		{"bad format flag after the file", []string{valid[0], "--format", "xml"}, exitUsage},
		{"flags after the file", []string{valid[0], "--lang", "en", "--format", "json"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, "", append([]string{"validate"}, tt.args...)...)
			if code != tt.want {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.want, stderr)
			}
		})
	}
}

// TestValidateAfterDoubleDash: after "--" an argument is a file even if
// it reads like a flag.
func TestValidateAfterDoubleDash(t *testing.T) {
	dir := t.TempDir()
	body, err := os.ReadFile(examples(t, "valid/*.json")[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "--lang"), body, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	if code, _, stderr := runCmd(t, "", "validate", "--format", "json", "--", "--lang"); code != exitOK {
		t.Errorf("validate -- --lang: exit %d, %s", code, stderr)
	}
}

func TestValidatePrintsRecord(t *testing.T) {
	f := examples(t, "valid/*.json")[0]
	code, stdout, stderr := runCmd(t, "", "validate", f)
	if code != exitOK {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	var rec struct {
		Template string
		Patient  struct{ ID, IDKind string }
	}
	if err := json.Unmarshal([]byte(stdout), &rec); err != nil {
		t.Fatalf("output is not a record: %v\n%s", err, stdout)
	}
	if rec.Template != "fk7804" || len(rec.Patient.ID) != 12 || rec.Patient.IDKind == "" {
		t.Errorf("record = %+v, want fk7804 with a 12-digit patient id and its kind", rec)
	}
}

func TestValidateStdinJSONProblemDocument(t *testing.T) {
	f := examples(t, "invalid/*.json")[0]
	body, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"sv", "en"} {
		code, stdout, _ := runCmd(t, string(body), "validate", "--format", "json", "--lang", lang, "-")
		if code != exitInvalid {
			t.Fatalf("exit code = %d, want %d", code, exitInvalid)
		}
		var doc web.ProblemDocument
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("not a problem document: %v\n%s", err, stdout)
		}
		if doc.Status != 422 || len(doc.Errors) == 0 || doc.Errors[0].Pointer == "" || doc.Errors[0].Code == "" || doc.Errors[0].Message == "" {
			t.Errorf("problem document = %+v, want 422 with pointer, code and message", doc)
		}
	}
	code, stdout, _ := runCmd(t, "[1,2]", "validate", "--format", "json", "-")
	if code != exitInvalid || !strings.Contains(stdout, `"status": 400`) {
		t.Errorf("array body: exit %d, output %s; want exit 1 and a 400 problem document", code, stdout)
	}
}

func TestTemplatesCommand(t *testing.T) {
	code, stdout, _ := runCmd(t, "", "templates")
	if code != exitOK || !strings.Contains(stdout, "fk7804") || !strings.Contains(stdout, "FK 7804") {
		t.Errorf("templates: exit %d, output %q", code, stdout)
	}
}

// TestValidateWithICDEdition loads a (tiny) ICD-10-SE edition from a
// directory: codes missing from it are then refused.
func TestValidateWithICDEdition(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"digit3.txt": "A00\t\tKolera\n", "digit4.txt": "A000\t\tKolera orsakad av Vibrio cholerae 01, biovar cholerae\n", "digit5.txt": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f := examples(t, "valid/full-time-one-period.json")[0]
	code, stdout, _ := runCmd(t, "", "validate", "--icd10se", dir, "--format", "json", f)
	if code != exitInvalid || !strings.Contains(stdout, "unknownCode") {
		t.Errorf("exit %d, output %s; want the example's diagnosis refused as unknownCode", code, stdout)
	}
}

// flagSetFor parses database flags into c as the commands do.
func flagSetFor(tb testing.TB, c *Config, args []string) *flag.FlagSet {
	tb.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	dbFlags(fs, c, func(string) string { return "" })
	if err := fs.Parse(args); err != nil {
		tb.Fatal(err)
	}
	return fs
}

// TestCommandVersion: "intyg version" names the build and Go's version.
func TestCommandVersion(t *testing.T) {
	for _, cmd := range []string{"version", "--version"} {
		code, stdout, stderr := runCmd(t, "", cmd)
		if code != exitOK || !strings.HasPrefix(stdout, "intyg ") || !strings.HasSuffix(stdout, runtime.Version()+"\n") || stderr != "" {
			t.Errorf("intyg %s: exit %d, %q, %q; want the build and %s", cmd, code, stdout, stderr, runtime.Version())
		}
	}
	if code, _, stderr := runCmd(t, "", "version", "now"); code != exitUsage || !strings.Contains(stderr, "no arguments") {
		t.Errorf("intyg version now: exit %d, %q", code, stderr)
	}
}

// TestCommandHelp: every command's -h or --help prints its flags and exits
// 0, with no usage error after them (they had exited 2).
func TestCommandHelp(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--help"}, {"token", "create", "-h"}, {"token", "list", "--help"}, {"unit", "add", "--help"},
		{"user", "add", "--help"}, {"audit", "verify", "-h"}, {"backup", "--help"}, {"validate", "--help"},
		{"render", "-h"}, {"templates", "--help"}, {"version", "-h"},
	} {
		code, _, stderr := runCmd(t, "", args...)
		if code != exitOK || strings.Contains(stderr, "usage: intyg") || !strings.Contains(stderr, "Usage of") {
			t.Errorf("intyg %s: exit %d, stderr %q; want 0 and the flags", strings.Join(args, " "), code, stderr)
		}
	}
	if _, _, stderr := runCmd(t, "", "user", "add", "--help"); !strings.Contains(stderr, "physician, coordinator, caseworker or admin") {
		t.Errorf("user add --help does not name every role:\n%s", stderr)
	}
}
