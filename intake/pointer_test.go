package intake_test

import (
	"testing"

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
