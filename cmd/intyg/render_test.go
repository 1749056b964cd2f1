package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRenderCommand(t *testing.T) {
	dir := t.TempDir()
	valid := examples(t, "valid/full-time-one-period.json")[0]
	out := filepath.Join(dir, "out.pdf")
	if code, _, stderr := runCmd(t, "", "render", valid, "-o", out); code != exitOK {
		t.Fatalf("render: exit %d: %s", code, stderr)
	}
	pdf, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("no PDF written: %v", err)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Errorf("the PDF is %v, want 0600: it holds patient data", fi.Mode().Perm())
	}
	emp := filepath.Join(dir, "emp.pdf")
	if code, _, stderr := runCmd(t, "", "render", "--copy", "employer", valid, "-o", emp); code != exitOK {
		t.Fatalf("render --copy employer: exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(emp); bytes.Equal(b, pdf) {
		t.Error("the employer copy is the same as the full one")
	}
	invalid := examples(t, "invalid/diagnoses-missing.json")[0]
	bad := filepath.Join(dir, "bad.pdf")
	code, stdout, _ := runCmd(t, "", "render", invalid, "-o", bad)
	if code != exitInvalid || !strings.Contains(stdout, "/answers/diagnoses") {
		t.Errorf("invalid submission: exit %d, output %q; want exit 1 naming the problem", code, stdout)
	}
	if _, err := os.Stat(bad); err == nil {
		t.Error("an invalid submission wrote a PDF")
	}
	if code, _, _ := runCmd(t, "", "render", valid); code != exitUsage {
		t.Errorf("render without -o: exit %d, want %d", code, exitUsage)
	}
}
