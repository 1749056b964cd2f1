package intake_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

func TestICD10SELookup(t *testing.T) {
	icd, err := intake.LoadICD10SE(schemas.ICD10SE())
	if err != nil {
		t.Fatal(err)
	}
	if n := icd.Len(); n < 35000 {
		t.Errorf("embedded ICD-10-SE has %d codes, want the ~35,600 of the three files", n)
	}
	tests := []struct {
		in, code, title string
		ok              bool
	}{
		{"F43.8A", "F43.8A", "Utmattningssyndrom", true},
		{"f438a", "F43.8A", "Utmattningssyndrom", true},
		{"F321", "F32.1", "Medelsvår depressiv episod", true},
		{" J06 ", "J06", "Akut övre luftvägsinfektion med multipel och ospecificerad lokalisation", true},
		{"F43.8Z", "", "", false},
		{"", "", "", false},
		{"F.321", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			code, title, ok := icd.Lookup(tt.in)
			if ok != tt.ok || code != tt.code || (tt.ok && title != tt.title) {
				t.Errorf("Lookup(%q) = %q, %q, %v; want %q, %q, %v", tt.in, code, title, ok, tt.code, tt.title, tt.ok)
			}
		})
	}
}

// TestICD10SEEditionFromDirectory loads the shared reference edition as a
// newer edition would be loaded, and checks it matches the embedded one.
func TestICD10SEEditionFromDirectory(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "codes", "icd10se")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared ICD-10-SE lists not found at %s: %v", dir, err)
	}
	fromDir, err := intake.LoadICD10SE(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := intake.LoadICD10SE(schemas.ICD10SE())
	if err != nil {
		t.Fatal(err)
	}
	if fromDir.Len() != embedded.Len() {
		t.Errorf("directory edition has %d codes, embedded %d", fromDir.Len(), embedded.Len())
	}
}

func TestICD10SEBrokenEditionIsRefused(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"digit3.txt": "A00\t\tKolera\n", "digit4.txt": "not a code line\n", "digit5.txt": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := intake.LoadICD10SE(os.DirFS(dir)); err == nil {
		t.Error("LoadICD10SE() accepted a file with a malformed line")
	}
}
