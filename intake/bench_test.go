package intake_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
)

// maximalFK7804 returns an fk7804 submission at every limit: five basis
// items, four occupations, three diagnoses, four periods, every text at 4000
// characters of two-byte letters, and twenty ICF codes per field.
func maximalFK7804(tb testing.TB) []byte {
	text := strings.Repeat("Åäö patienten beskriver trötthet. ", 4000/34+1)[:0]
	for len([]rune(text)) < 4000 {
		text += "Åäö patienten beskriver trötthet. "
	}
	text = string([]rune(text)[:4000])
	icf := raw(tb, `["b110","b114","b117","b122","b126","b130","b134","b140","b144","b147","b152","b160","b164","b167","b172","b176","b180","d110","d115","d230"]`)
	return mutate(tb, baseFK7804, map[string]any{
		"/answers/basis":                    raw(tb, `[{"type":"FYSISKUNDERSOKNING","date":"2026-11-20"},{"type":"DIGITALUNDERSOKNING","date":"2026-11-19"},{"type":"TELEFONKONTAKT","date":"2026-11-18"},{"type":"JOURNALUPPGIFTER","date":"2026-10-01"},{"type":"ANNAT","date":"2026-09-01"}]`),
		"/answers/basisOtherDescription":    strings.Repeat("å", 50),
		"/answers/occupation":               raw(tb, `["NUVARANDE_ARBETE","ARBETSSOKANDE","FORALDRALEDIG","STUDIER"]`),
		"/answers/occupationDescription":    text,
		"/answers/diagnoses":                raw(tb, `[{"code":"F43.8A","description":"Utmattningssyndrom"},{"code":"F32.1","description":"Medelsvår depressiv episod"},{"code":"M54.5","description":"Lumbago"}]`),
		"/answers/functionalImpairment":     map[string]any{"text": text, "icf": icf},
		"/answers/activityLimitation":       map[string]any{"text": text, "icf": icf},
		"/answers/treatment":                text,
		"/answers/sickLeave":                raw(tb, `[{"degree":100,"from":"2026-11-20","to":"2026-12-03"},{"degree":75,"from":"2026-12-04","to":"2026-12-17"},{"degree":50,"from":"2026-12-18","to":"2026-12-31"},{"degree":25,"from":"2027-01-01","to":"2027-01-14"}]`),
		"/answers/fmbMotivation":            text,
		"/answers/unevenWorkingHoursReason": text,
		"/answers/measures":                 text,
		"/answers/otherInformation":         text,
		"/answers/contactReason":            text,
	})
}

func BenchmarkIntake(b *testing.B) {
	eng := mustEngine(b)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		body []byte
	}{
		{"typical", mutate(b, baseFK7804, nil)},
		{"maximal", maximalFK7804(b)},
	}
	for _, c := range cases {
		if _, err := eng.Intake(c.body, now); err != nil {
			b.Fatalf("%s: %v", c.name, err)
		}
		b.Run(c.name+"/intake", func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := eng.Intake(c.body, now); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The floor: encoding/json/v2 (here github.com/go-json-experiment/json,
		// the same code, since this Go has it only under GOEXPERIMENT=jsonv2)
		// decoding the same bytes into any. The target is intake within 3x of
		// it for a typical certificate and 2.5x for a maximal one.
		b.Run(c.name+"/jsonv2.Unmarshal", func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				var v any
				if err := jsonv2.Unmarshal(c.body, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/json.Unmarshal", func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				var v any
				if err := json.Unmarshal(c.body, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPeerDocuments keeps the documents of the peer benchmark
// (bench/peers/testdata) the same bytes as BenchmarkIntake's, so that
// both measure the same input. -update rewrites them.
func TestPeerDocuments(t *testing.T) {
	for name, body := range map[string][]byte{
		"typical": mutate(t, baseFK7804, nil),
		"maximal": maximalFK7804(t),
	} {
		path := filepath.Join("..", "bench", "peers", "testdata", name+".json")
		if *update {
			if err := os.WriteFile(path, body, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, body) {
			t.Errorf("%s differs from BenchmarkIntake's %s document; run go test ./intake -run TestPeerDocuments -update", path, name)
		}
	}
}
