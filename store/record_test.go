package store_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// TestRecordEncoding checks that a stored record has exactly
// encoding/json's bytes (certInsert.encode makes them with another
// library): for every valid example of every template, as received, with
// flags, relations, warnings and a revocation, and for answers that need
// escaping (HTML characters, U+2028, invalid UTF-8) or hold numbers at
// float64's limits.
func TestRecordEncoding(t *testing.T) {
	eng := mustEngine(t)
	paths, err := filepath.Glob(filepath.Join("..", "examples", "*", "valid", "*.json"))
	if err != nil || len(paths) < 40 {
		t.Fatalf("%d valid examples (%v), want every template's", len(paths), err)
	}
	received := time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.UTC)
	var certs []*intake.Certificate
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c, err := eng.Intake(b, received)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		c.ID, c.Status, c.ReceivedAt, c.SHA256 = "AbCdEfGhIjKlMnOpQrStUv", intake.StatusReceived, received, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
		certs = append(certs, c)
	}
	last := *certs[len(certs)-1]
	last.Flags = []intake.Flag{{Code: "longSickLeave", Message: "Lång <sjukskrivning>", MessageEn: "Long & sick"}, {Code: "noExamination", Message: "Ingen undersökning"}}
	last.Relations = []intake.RelationLink{{Type: "REPLACES", Certificate: "x", Direction: "from"}}
	last.Revocation = &intake.Revocation{Reason: "wrongPatient", Message: "<b>fel</b> & \u2028", At: received, By: "SE123"}
	last.Warnings = intake.Problems{intake.NewProblem("/answers/x", "someWarning", "required", nil)}
	escaped := intake.Certificate{Answers: map[string]any{
		"<script>&": "x<>&\u2028\u2029\xff\x01\"\\",
		"numbers":   []any{1.5e300, math.Copysign(0, -1), 5e-324, 1e21, 1e-7, 123456789.0, nil, true, "é"},
		"nested":    map[string]any{"b": map[string]any{}, "a": []any{}},
	}}
	certs = append(certs, &last, &escaped, &intake.Certificate{})
	for i, c := range certs {
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := store.EncodeRecord(c)
		if err != nil {
			t.Fatalf("certificate %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("certificate %d (of %d):\n got %s\nwant %s", i, len(certs), got, want)
		}
	}
}
