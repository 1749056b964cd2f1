package intake_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/intyg/intyg/intake"
)

func TestComparePointers(t *testing.T) {
	tests := []struct {
		a, b string
		want int // sign
	}{
		{"", "", 0},
		{"", "/a", -1},
		{"/a", "", 1},
		{"/a", "/a", 0},
		{"/a", "/a/b", -1},
		{"/a/b", "/a", 1},
		{"/a/2", "/a/10", -1},
		{"/a/10", "/a/2", 1},
		{"/a/10/x", "/a/9/y", 1},
		{"/a/b", "/a/c", -1},
		{"/a/1", "/a/b", -1},
		{"/answers/diagnoses", "/answers/diagnoses/0/code", -1},
		{"/a~1b", "/a/b", 1},
		{"/a/", "/a", 1},
		{"/a//b", "/a/b", -1},
	}
	for _, tt := range tests {
		got := intake.ComparePointers(tt.a, tt.b)
		if sign(got) != tt.want {
			t.Errorf("ComparePointers(%q, %q) = %d, want sign %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// TestResolve checks the values Resolve finds and their pointers, built
// on demand: wildcards take each index, names are escaped, and "*" names
// a member of an object literally.
func TestResolve(t *testing.T) {
	doc := map[string]any{
		"a": []any{
			map[string]any{"b/c": "x", "*": map[string]any{"d": "y"}},
			map[string]any{"b/c": "z"},
		},
		"e": []any{[]any{"p", "q"}, []any{"r"}},
	}
	tests := []struct {
		pattern string
		want    []string
	}{
		{"/a/*/b~1c", []string{"/a/0/b~1c x", "/a/1/b~1c z"}},
		{"/a/0/*/d", []string{"/a/0/*/d y"}},
		{"/e/*/*", []string{"/e/0/0 p", "/e/0/1 q", "/e/1/0 r"}},
		{"/e/1/0", []string{"/e/1/0 r"}},
		{"/missing/*", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, m := range intake.MustParsePointer(tt.pattern).Resolve(doc) {
			got = append(got, fmt.Sprintf("%s %v", m.Pointer(), m.Value))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Resolve(%s) mismatch (-want +got):\n%s", tt.pattern, diff)
		}
	}
}
