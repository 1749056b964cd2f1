package intake_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/intyg/intyg/intake"
)

// TestQuickSchemaCompiles wants a quick schema check for every template:
// without one, every submission pays for the JSON Schema library.
func TestQuickSchemaCompiles(t *testing.T) {
	eng := mustEngine(t)
	for _, key := range templateKeys(eng) {
		if !eng.HasQuickSchema(key) {
			t.Errorf("template %s has no quick schema check", key)
		}
	}
}

// quickCorpus returns every example, the benchmark's documents and every
// hostile body that decodes, each decoded as intake decodes it.
func quickCorpus(tb testing.TB, eng *intake.Engine) (valid, other []map[string]any) {
	tb.Helper()
	add := func(list *[]map[string]any, b []byte) {
		if doc, err := eng.Decode(b); err == nil {
			*list = append(*list, doc)
		}
	}
	add(&valid, []byte(baseFK7804))
	add(&valid, maximalFK7804(tb))
	files, _ := filepath.Glob("../examples/*/*/*.json")
	lifecycle, _ := filepath.Glob("../examples/*/*.json")
	for _, f := range append(files, lifecycle...) {
		list := &other
		if strings.Contains(f, "/valid/") {
			list = &valid
		}
		add(list, readFile(tb, f))
	}
	for _, c := range readHostileCorpus(tb) {
		add(&other, c.body)
	}
	return valid, other
}

// checkQuick fails if the quick check of any template accepts doc where the
// library refuses it. It returns how many templates' quick checks accepted.
func checkQuick(tb testing.TB, eng *intake.Engine, keys []string, doc any) int {
	tb.Helper()
	n := 0
	for _, key := range keys {
		if !eng.QuickAccepts(key, doc) {
			continue
		}
		n++
		if !eng.LibraryAccepts(key, doc) {
			b, _ := json.Marshal(doc)
			tb.Errorf("%s: the quick check accepts what the library refuses: %.2000s", key, b)
		}
	}
	return n
}

func templateKeys(eng *intake.Engine) []string {
	var keys []string
	for _, tmpl := range eng.Registry().All() {
		keys = append(keys, tmpl.Key())
	}
	return keys
}

// TestQuickSchemaAgrees holds the quick schema check to the JSON Schema
// library: on every example, every hostile body and every one-step mutation
// of the valid documents (a member removed, added, or replaced by one of
// many awkward values), the quick check never accepts what the library
// refuses. It must also accept every valid document, or the fast path
// would silently stop working.
func TestQuickSchemaAgrees(t *testing.T) {
	eng := mustEngine(t)
	keys := templateKeys(eng)
	valid, other := quickCorpus(t, eng)
	for _, doc := range valid {
		if key := str(doc, "template") + "/" + str(doc, "version"); !eng.QuickAccepts(key, doc) {
			b, _ := json.Marshal(doc)
			t.Errorf("%s: the quick check does not accept a valid document: %.300s", key, b)
		}
	}
	for _, doc := range append(valid, other...) {
		checkQuick(t, eng, keys, doc)
	}
	values := mutationValues(valid)
	mutations, accepted := 0, 0
	tried := map[string]bool{}
	for _, doc := range valid {
		key := []string{str(doc, "template") + "/" + str(doc, "version")}
		eachMutation(doc, "", values, func(change string) {
			if change = key[0] + change; tried[change] {
				return
			}
			tried[change] = true
			mutations++
			accepted += checkQuick(t, eng, key, doc)
		})
	}
	t.Logf("%d mutations, %d accepted by the quick check (each confirmed by the library)", mutations, accepted)
	if accepted == 0 {
		t.Error("no mutation was accepted: the mutations test nothing the quick check accepts")
	}
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// mutationValues are the values a mutation puts in place of another: every
// type, numbers the library reads differently from their text, strings at
// and past the limits, dates and date-times on either side of the library's
// formats, and every short string without spaces (codes, enum members,
// dates) and every number of the valid documents, so that enum members land
// at other places.
func mutationValues(docs []map[string]any) []any {
	values := []any{
		nil, true, false, "", " ", "x", map[string]any{}, []any{},
		strings.Repeat("a", 50), strings.Repeat("å", 51), strings.Repeat("å", 4000), strings.Repeat("a", 4001),
		json.Number("0"), json.Number("-0"), json.Number("1"), json.Number("-1"), json.Number("3"),
		json.Number("25"), json.Number("25.0"), json.Number("2.5e1"), json.Number("250e-1"), json.Number("0.25e2"),
		json.Number("100"), json.Number("100.5"), json.Number("101"), json.Number("12"), json.Number("13"),
		json.Number("1e999"), json.Number("-1e-999"), json.Number("123456789012345678901234567890"),
		"2026-02-29", "2024-02-29", "2100-02-29", "2000-02-29", "0000-01-01", "2026-04-31", "2026-00-10",
		"2026-12-32", "2026-11-00", "2026-13-01", "2026-1-01", "2026-11-20T10:15:00.1Z", "2026-11-20", "2026-11-20T10:15:00Z",
		"2026-11-20t10:15:00z", "2026-11-20T23:59:60Z", "2026-11-20T23:59:60+01:00", "2026-11-20T10:15:00+01:00",
		"2026-11-20T10:15:00.123456789-23:59", "2026-11-20T10:15:00.+01:00", "2026-11-20T10:15:00+24:00",
		"2026-11-20T24:00:00Z", "2026-11-20 10:15:00Z", "2026-11-20T10:15Z", "+026-11-20T10:15:00Z",
		"se2321000016-1003", "SE2321000016-1003", "SE2321000016-", "ſe2321000016-1003", "11459", "114 59", "114  59",
		"b140", "B140.123", "b1400000", "x140", "F43.8A", "19121212-1212",
	}
	seen := map[any]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case string:
			if len(v) <= 30 && !strings.Contains(v, " ") && !seen[v] {
				seen[v] = true
				values = append(values, v)
			}
		case json.Number:
			if !seen[v] {
				seen[v] = true
				values = append(values, v)
			}
		}
	}
	for _, d := range docs {
		walk(d)
	}
	return values
}

// eachMutation changes doc in place one step at a time, calls check with
// each change, and undoes it: at every member and item it puts each of
// values, removes the member, adds an unknown member to an object, and
// repeats, drops or clears an array's items. check gets the change's place
// (its pointer, with "*" for indexes) and kind, so that a caller can skip a
// change already tried on another document.
func eachMutation(doc any, at string, values []any, check func(change string)) {
	switch v := doc.(type) {
	case map[string]any:
		v["unknownMember"] = "x"
		check(at + " add")
		delete(v, "unknownMember")
		for k, x := range v {
			place := at + "/" + k
			delete(v, k)
			check(place + " remove")
			for i, y := range values {
				v[k] = y
				check(place + " " + strconv.Itoa(i))
			}
			if items, ok := x.([]any); ok && len(items) > 0 {
				for i, y := range [][]any{append(slices.Clone(items), items...), items[1:], items[:len(items)-1]} {
					v[k] = y
					check(place + " items" + strconv.Itoa(i))
				}
			}
			v[k] = x
			eachMutation(x, place, values, check)
		}
	case []any:
		for i, x := range v {
			for j, y := range values {
				v[i] = y
				check(at + "/* " + strconv.Itoa(j))
			}
			v[i] = x
			eachMutation(x, at+"/*", values, check)
		}
	}
}

// FuzzQuickSchema decodes arbitrary bytes as intake does and holds the
// quick schema check of every template to the library on the result: it
// must never accept what the library refuses. The seed corpus is every
// example and the benchmark's documents.
func FuzzQuickSchema(f *testing.F) {
	eng := mustEngine(f)
	keys := templateKeys(eng)
	f.Add([]byte(baseFK7804))
	f.Add(maximalFK7804(f))
	files, _ := filepath.Glob("../examples/*/*/*.json")
	for _, name := range files {
		f.Add(readFile(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if doc, err := eng.Decode(b); err == nil {
			checkQuick(t, eng, keys, doc)
		}
	})
}
