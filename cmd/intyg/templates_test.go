package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateEveryTemplate runs intyg validate over every template's
// examples: the valid ones together exit 0; each invalid one exits 1 with
// a problem document naming exactly the problems its expected.json lists;
// intyg render prints the first valid one; intyg templates lists them all.
func TestValidateEveryTemplate(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*", "invalid", "expected.json"))
	if len(dirs) < 5 {
		t.Fatalf("expected.json in %d example folders, want every template's", len(dirs))
	}
	_, listed, _ := runCmd(t, "", "templates")
	for _, exp := range dirs {
		dir := filepath.Dir(filepath.Dir(exp))
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(listed, name) {
				t.Errorf("intyg templates does not list %s:\n%s", name, listed)
			}
			valid, _ := filepath.Glob(filepath.Join(dir, "valid", "*.json"))
			if code, _, stderr := runCmd(t, "", append([]string{"validate"}, valid...)...); code != exitOK {
				t.Errorf("validate the valid examples: exit %d, %s", code, stderr)
			}
			out := filepath.Join(t.TempDir(), "c.pdf")
			if code, _, stderr := runCmd(t, "", "render", valid[0], "-o", out); code != exitOK {
				t.Errorf("render %s: exit %d, %s", valid[0], code, stderr)
			} else if b, _ := os.ReadFile(out); !strings.HasPrefix(string(b), "%PDF-") {
				t.Errorf("render %s wrote no PDF", valid[0])
			}
			want := map[string][]struct{ Pointer, Code string }{}
			b, _ := os.ReadFile(exp)
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			for file, problems := range want {
				code, stdout, _ := runCmd(t, "", "validate", "--format", "json", filepath.Join(dir, "invalid", file))
				if code != exitInvalid {
					t.Errorf("%s: exit %d, want %d", file, code, exitInvalid)
					continue
				}
				var doc struct {
					Errors []struct{ Pointer, Code string }
				}
				json.Unmarshal([]byte(stdout), &doc)
				if len(doc.Errors) != len(problems) {
					t.Errorf("%s: %d problems, want %d:\n%s", file, len(doc.Errors), len(problems), stdout)
				}
				for _, p := range problems {
					if !strings.Contains(stdout, `"pointer": "`+p.Pointer+`"`) || !strings.Contains(stdout, `"code": "`+p.Code+`"`) {
						t.Errorf("%s: the problem document lacks %s %s:\n%s", file, p.Pointer, p.Code, stdout)
					}
				}
			}
		})
	}
}
