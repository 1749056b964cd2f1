package store

import "testing"

// TestNewIDNeverLooksLikeAFlag draws many ids: none may start with "-" or
// "_", so that `intyg token revoke ID` never reads an id as a flag (one in
// 32 raw ids did).
func TestNewIDNeverLooksLikeAFlag(t *testing.T) {
	for i := 0; i < 20000; i++ {
		if id := newID(); id[0] == '-' || id[0] == '_' || len(id) != 22 {
			t.Fatalf("newID() = %q", id)
		}
	}
}
