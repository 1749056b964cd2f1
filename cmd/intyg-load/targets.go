package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Request kinds.
const (
	kindValid   byte = 'v' // a valid example with a fresh patient and key: want 201
	kindInvalid byte = 'i' // an invalid example: want 422
	kindReplay  byte = 'r' // an earlier accepted valid body and key, to the other server: want the same 201
)

// example is a valid submission cut around its patient's identity number,
// so that a body for a new patient is three appends.
type example struct {
	name           string
	prefix, suffix []byte
}

// loadExamples reads dir/valid and dir/invalid. It returns the valid
// examples cut around the patient's id, the invalid ones as they are, and
// every unit HSA-id the valid ones name (the clinic token needs them all).
func loadExamples(dir string) (valid []example, invalid map[string][]byte, units []string, err error) {
	const placeholder = "PATIENT-ID-PLACEHOLDER"
	paths, err := filepath.Glob(filepath.Join(dir, "valid", "*.json"))
	if err != nil || len(paths) == 0 {
		return nil, nil, nil, fmt.Errorf("no valid examples in %s (%v)", dir, err)
	}
	seen := map[string]bool{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, nil, err
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", p, err)
		}
		patient, _ := doc["patient"].(map[string]any)
		if patient == nil {
			return nil, nil, nil, fmt.Errorf("%s: no patient", p)
		}
		patient["id"] = placeholder
		if issuer, ok := doc["issuer"].(map[string]any); ok {
			if unit, ok := issuer["unit"].(map[string]any); ok {
				if id, ok := unit["hsaId"].(string); ok && !seen[id] {
					seen[id] = true
					units = append(units, id)
				}
			}
		}
		out, err := json.Marshal(doc)
		if err != nil {
			return nil, nil, nil, err
		}
		before, after, _ := bytes.Cut(out, []byte(placeholder))
		valid = append(valid, example{name: filepath.Base(p), prefix: before, suffix: after})
	}
	paths, err = filepath.Glob(filepath.Join(dir, "invalid", "*.json"))
	if err != nil {
		return nil, nil, nil, err
	}
	invalid = map[string][]byte{}
	for _, p := range paths {
		if filepath.Base(p) == "expected.json" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, nil, err
		}
		invalid[filepath.Base(p)] = b
	}
	sort.Strings(units)
	return valid, invalid, units, nil
}

// personnummer returns the n-th distinct, valid Swedish personal identity
// number (YYYYMMDD-NNNC): birth dates run over about 55 years from 1940,
// then the serial number moves on; the last digit is the Luhn check digit.
func personnummer(n int) string {
	born := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n%20000)
	serial := 1 + (n/20000)%999
	digits := born.Format("060102") + fmt.Sprintf("%03d", serial)
	sum := 0
	for i, c := range digits {
		d := int(c - '0')
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return born.Format("20060102") + "-" + digits[6:] + strconv.Itoa((10-sum%10)%10)
}

// accepted is what a fresh valid submission's 201 said.
type accepted struct {
	id     string
	server int
}

// generator makes the attack's requests. The workers call next
// concurrently; the result loop records accepted submissions, which replays
// draw from.
type generator struct {
	servers       []string
	token         string
	run           string // a random prefix of every Idempotency-Key
	valid         []example
	invalid       [][]byte
	invalidFrac   float64
	replayFrac    float64
	mu            sync.Mutex
	rng           *rand.Rand
	n             int
	accepted      map[int]accepted
	acceptedOrder []int
}

func (g *generator) key(n int) string { return g.run + "-" + strconv.Itoa(n) }

func (g *generator) validBody(n int) []byte {
	ex := g.valid[n%len(g.valid)]
	pnr := personnummer(n)
	b := make([]byte, 0, len(ex.prefix)+len(pnr)+len(ex.suffix))
	return append(append(append(b, ex.prefix...), pnr...), ex.suffix...)
}

// next is the next request; the workers call it concurrently.
func (g *generator) next() request {
	g.mu.Lock()
	n := g.n
	g.n++
	r := g.rng.Float64()
	kind, server, orig := kindValid, n%len(g.servers), 0
	switch {
	case r < g.replayFrac && len(g.acceptedOrder) > 0:
		orig = g.acceptedOrder[g.rng.IntN(len(g.acceptedOrder))]
		kind, server = kindReplay, (g.accepted[orig].server+1)%len(g.servers)
	case r < g.replayFrac+g.invalidFrac && len(g.invalid) > 0:
		kind = kindInvalid
	}
	g.mu.Unlock()

	switch kind {
	case kindInvalid:
		return request{kind: kind, n: n, server: server, body: g.invalid[n%len(g.invalid)], key: g.key(n)}
	case kindReplay:
		return request{kind: kind, n: orig, server: server, body: g.validBody(orig), key: g.key(orig)}
	}
	return request{kind: kind, n: n, server: server, body: g.validBody(n), key: g.key(n)}
}

// accept records a fresh submission's 201 so that later replays may use it.
func (g *generator) accept(n int, a accepted) {
	g.mu.Lock()
	g.accepted[n] = a
	g.acceptedOrder = append(g.acceptedOrder, n)
	g.mu.Unlock()
}

// lookup returns what the fresh submission n was answered.
func (g *generator) lookup(n int) (accepted, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	a, ok := g.accepted[n]
	return a, ok
}
