package store_test

import (
	"context"
	"testing"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// TestFindUserByHSAID finds a physician by personal HSA-id in any case,
// and never a user without one (whose HSA-id is empty) for an empty id.
func TestFindUserByHSAID(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		u := &intake.User{Username: "cia", Name: "Cia Handläggare", Role: intake.RoleCaseworker}
		if err := db.CreateUser(ctx, u, "korrekt häst batteri häftklammer"); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"", " "} {
			if got, err := db.FindUserByHSAID(ctx, id); intake.ErrorCode(err) != intake.ENOTFOUND {
				t.Errorf("FindUserByHSAID(%q) = %+v, %v; want ENOTFOUND", id, got, err)
			}
		}
		if got, err := db.FindUserByHSAID(ctx, "se2321000016-1003"); intake.ErrorCode(err) != intake.ENOTFOUND {
			t.Errorf("FindUserByHSAID(unknown) = %+v, %v; want ENOTFOUND", got, err)
		}
	})
}
