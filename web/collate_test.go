package web

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSwedishOrder: names sort as a Swedish reader looks for them.
func TestSwedishOrder(t *testing.T) {
	names := []string{"Östen Lund", "örjan Berg", "Åke Ahl", "Ärla Ek", "Zlatan Ek", "Émile Lindh", "Erik Ek", "adam Berg", "Åsa Berg"}
	slices.SortFunc(names, swedishOrder())
	want := []string{"adam Berg", "Émile Lindh", "Erik Ek", "Zlatan Ek", "Åke Ahl", "Åsa Berg", "Ärla Ek", "örjan Berg", "Östen Lund"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}
