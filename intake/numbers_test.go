package intake_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestNumbersInOneForm: 100, 100.0 and 1e2 are one JSON number, and the
// record writes each number in one form, so that its pages, PDF and
// comparisons, and both databases, show it alike.
func TestNumbersInOneForm(t *testing.T) {
	eng := mustEngine(t)
	for _, degree := range []string{"100", "100.0", "1e2", "1.0E2", "1000e-1"} {
		c, err := eng.Intake(mutate(t, baseFK7804, map[string]any{"/answers/sickLeave/0/degree": json.Number(degree)}), testNow)
		if err != nil {
			t.Fatalf("degree %s: %v", degree, err)
		}
		b, _ := json.Marshal(c.Answers["sickLeave"])
		if !strings.HasPrefix(string(b), `[{"degree":100,`) {
			t.Errorf("degree %s is in the record as %s", degree, b)
		}
	}
}
