package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"testing"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/internal/pgtest"
	"github.com/intyg/intyg/store"
)

// swedishPostgresDSN returns the DSN of a new, empty database on the test
// server whose default collation is Swedish (ICU sv-SE), as a server
// initialised with a Swedish or other non-C locale has: the database's
// text columns then compare by that collation, not byte by byte.
func swedishPostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := pgtest.DSN(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(u.Path) + "_sv"
	if _, err := admin.Exec(fmt.Sprintf(`CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'sv-SE' LOCALE 'C.UTF-8'`, name)); err != nil {
		t.Fatalf("create a Swedish-collated database: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// TestFindUsersInByteOrder: FindUsers ("every user, by user name";
// the admin's people page and intyg user list) gives the same order on
// both databases. User names are a-z, 0-9, '.', '-' and '_'.
func TestFindUsersInByteOrder(t *testing.T) {
	dialectsOn(t, swedishPostgresDSN, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		names := []string{"anna_berg", "anna.berg", "annaberg", "anna-berg", "anna2"}
		for _, n := range names {
			if err := db.CreateUser(ctx, &intake.User{Username: n, Name: "Anna Berg", Role: intake.RoleCaseworker}, goodPassword); err != nil {
				t.Fatal(err)
			}
		}
		users, err := db.FindUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, u := range users {
			got = append(got, u.Username)
		}
		want := slices.Sorted(slices.Values(names))
		if !slices.Equal(got, want) {
			t.Errorf("FindUsers order = %v, want %v", got, want)
		}
	})
}
