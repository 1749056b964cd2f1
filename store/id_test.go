package store

import (
	"testing"
	"time"
)

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

// TestNewCertificateID checks that certificate ids are as long as other
// ids, never start like a flag, share their leading characters for
// certificates received within seconds of each other (what lets a batch's
// inserts share index pages), and differ for the same millisecond.
func TestNewCertificateID(t *testing.T) {
	at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	a, b, later := newCertificateID(at), newCertificateID(at), newCertificateID(at.Add(time.Second))
	for _, id := range []string{a, b, later} {
		if len(id) != 22 || id[0] == '-' || id[0] == '_' {
			t.Errorf("newCertificateID() = %q, want 22 characters not starting with - or _", id)
		}
	}
	if a == b {
		t.Errorf("two ids in one millisecond are both %q", a)
	}
	if a[:6] != later[:6] {
		t.Errorf("ids a second apart %q and %q differ in their first 6 characters", a, later)
	}
	if far := newCertificateID(at.AddDate(1, 0, 0)); far[:6] == a[:6] {
		t.Errorf("ids a year apart %q and %q share their first 6 characters", a, far)
	}
}
