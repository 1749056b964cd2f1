package intake_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
)

// FuzzIntake feeds arbitrary bytes through the whole intake. It must never
// panic, must refuse with an *intake.Error (never an internal error), and an
// accepted certificate must carry its template's name. The seed corpus is
// every example plus the committed corpus in testdata/fuzz/FuzzIntake.
func FuzzIntake(f *testing.F) {
	eng := mustEngine(f)
	f.Add([]byte(baseFK7804))
	examples, _ := filepath.Glob("../examples/*/*/*.json")
	for _, e := range examples {
		if b, err := os.ReadFile(e); err == nil {
			f.Add(b)
		}
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		cert, err := eng.Intake(b, now)
		if err != nil {
			if code := intake.ErrorCode(err); code == intake.EINTERNAL {
				t.Fatalf("Intake() internal error: %v", err)
			}
			return
		}
		if cert.Template == "" || cert.Patient.ID == "" {
			t.Fatalf("accepted certificate without template or patient: %+v", cert)
		}
	})
}
