package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

const goodPassword = "korrekt häst batteri häftklammer"

func mustUnit(tb testing.TB, db *store.DB, hsa, provider string) {
	tb.Helper()
	u := &intake.CareUnit{Unit: intake.Unit{HSAID: hsa, Name: "Vårdcentralen " + hsa, Address: "Gatan 1", PostalCode: "114 59", City: "Stockholm", Phone: "08-1"},
		CareProvider: intake.CareProvider{HSAID: provider, Name: "Region " + provider}}
	if err := db.CreateUnit(context.Background(), u); err != nil {
		tb.Fatal(err)
	}
}

// mustPhysician registers the physician asa (password goodPassword) at
// the unit SE2321000016-1003.
func mustPhysician(tb testing.TB, db *store.DB) *intake.User {
	tb.Helper()
	mustUnit(tb, db, "SE2321000016-1003", "SE2321000016-0001")
	u := &intake.User{Username: "asa", Name: "Åsa", Role: intake.RolePhysician, HSAID: "SE2321000016-P001", SigningRole: "DOCTOR", Units: []string{"SE2321000016-1003"}}
	if err := db.CreateUser(context.Background(), u, goodPassword); err != nil {
		tb.Fatal(err)
	}
	return u
}

func TestCheckPassword(t *testing.T) {
	for _, tt := range []struct {
		password string
		ok       bool
	}{
		{"kort", false},
		{"elva tecken", false},
		{"password1234", false},   // a common word with digits
		{"!!letmein2026!", false}, // the same, signs around it
		{"aaaaaaaaaaaaaa", false}, // one character
		{"123456789012", false},   // a run
		{"ääääääääääää", false},   // one character, of two bytes
		{"lkjihgfedcba", false},   // a run down
		{"210987654321", false},   // a run down, through 0
		{"Ålidhem 1234", true},
		{"asa-secret-pass", false}, // holds the user name
		{goodPassword, true},
		{"Kaffe och kanelbullar kl 15", true},
	} {
		err := store.CheckPassword(tt.password, "asa")
		if (err == nil) != tt.ok || (err != nil && intake.ErrorCode(err) != intake.EINVALID) {
			t.Errorf("CheckPassword(%q) = %v, want ok %v", tt.password, err, tt.ok)
		}
	}
}

// TestPeople: users and units, sign-in with lock-out per name and address,
// sessions with their timeouts, disabling, on both databases.
func TestPeople(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		clock := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return clock }
		mustUnit(t, db, "SE2321000016-7P0C", "SE2321000016-0001")
		mustUnit(t, db, "SE2321000016-9999", "SE2321000016-0001")
		if err := db.CreateUnit(ctx, &intake.CareUnit{Unit: intake.Unit{HSAID: "se2321000016-7p0c", Name: "X", Address: "A", PostalCode: "114 59", City: "C", Phone: "1"},
			CareProvider: intake.CareProvider{HSAID: "SE2321000016-0001", Name: "P"}}); intake.ErrorCode(err) != intake.ECONFLICT {
			t.Errorf("a unit registered twice: %v, want ECONFLICT", err)
		}
		u := &intake.User{Username: "Asa", Name: "Åsa Lindberg", Role: intake.RolePhysician, HSAID: "se2321000016-1003", SigningRole: "DOCTOR",
			Units: []string{"SE2321000016-7P0C", "SE2321000016-9999"}, Specialities: []string{"Allmänmedicin"}}
		if err := db.CreateUser(ctx, u, goodPassword); err != nil {
			t.Fatal(err)
		}
		for name, bad := range map[string]*intake.User{
			"physician without units": {Username: "x1", Name: "X", Role: intake.RolePhysician, HSAID: "SE1", SigningRole: "DOCTOR"},
			"unknown role":            {Username: "x2", Name: "X", Role: "nurse"},
			"caseworker with a unit":  {Username: "x3", Name: "X", Role: intake.RoleCaseworker, Units: []string{"SE2321000016-7P0C"}},
			"bad user name":           {Username: "å ä", Name: "X", Role: intake.RoleAdmin},
		} {
			if err := db.CreateUser(ctx, bad, goodPassword); intake.ErrorCode(err) != intake.EINVALID {
				t.Errorf("%s: %v, want EINVALID", name, err)
			}
		}
		if err := db.CreateUser(ctx, &intake.User{Username: "asa", Name: "Y", Role: intake.RoleAdmin}, goodPassword); intake.ErrorCode(err) != intake.ECONFLICT {
			t.Errorf("a user name taken: %v, want ECONFLICT", err)
		}
		if err := db.CreateUser(ctx, &intake.User{Username: "x4", Name: "X", Role: intake.RolePhysician, HSAID: "SE2321000016-1099", SigningRole: "DOCTOR", Units: []string{"SE0000000000-NONE"}}, goodPassword); intake.ErrorCode(err) != intake.ENOTFOUND {
			t.Errorf("a unit not registered: %v, want ENOTFOUND", err)
		}
		got, err := db.FindUserByHSAID(ctx, "SE2321000016-1003")
		if err != nil || got.Username != "asa" || len(got.Units) != 2 || got.Specialities[0] != "Allmänmedicin" {
			t.Fatalf("FindUserByHSAID() = %+v, %v", got, err)
		}

		// Sign-in: a wrong password and an unknown name fail alike.
		if _, err := db.Authenticate(ctx, "asa", "wrong password here", "10.0.0.1"); intake.ErrorCode(err) != intake.EUNAUTHORIZED {
			t.Errorf("wrong password: %v", err)
		}
		_, errUnknown := db.Authenticate(ctx, "nobody", goodPassword, "10.0.0.1")
		_, errWrong := db.Authenticate(ctx, "asa", "wrong password here", "10.0.0.1")
		if intake.ErrorMessage(errUnknown) != intake.ErrorMessage(errWrong) || intake.ErrorCode(errUnknown) != intake.EUNAUTHORIZED {
			t.Errorf("unknown name %v and wrong password %v differ", errUnknown, errWrong)
		}
		if u, err := db.Authenticate(ctx, " ASA ", goodPassword, "10.0.0.1"); err != nil || u.ID != got.ID {
			t.Fatalf("right password: %v, %v", u, err)
		}
		// Five failures from one address lock the name there, not elsewhere.
		for i := 0; i < 5; i++ {
			db.Authenticate(ctx, "asa", "wrong password here", "10.0.0.2")
		}
		if _, err := db.Authenticate(ctx, "asa", goodPassword, "10.0.0.2"); intake.ErrorCode(err) != intake.ELOCKED {
			t.Errorf("after 5 failures from one address: %v, want ELOCKED", err)
		}
		if _, err := db.Authenticate(ctx, "asa", goodPassword, "10.0.0.3"); err != nil {
			t.Errorf("another address is locked out too: %v", err)
		}
		clock = clock.Add(16 * time.Minute)
		if _, err := db.Authenticate(ctx, "asa", goodPassword, "10.0.0.2"); err != nil {
			t.Errorf("after the lock: %v", err)
		}
		// An unknown name locks like a real one: nothing to learn from it.
		for i := 0; i < 5; i++ {
			db.Authenticate(ctx, "nobody", "wrong password here", "10.0.0.2")
		}
		if _, err := db.Authenticate(ctx, "nobody", "wrong password here", "10.0.0.2"); intake.ErrorCode(err) != intake.ELOCKED {
			t.Errorf("an unknown name after 5 failures: %v, want ELOCKED", err)
		}
		// A spread-out attack (one failure from each of 50 addresses) locks
		// the name everywhere but where its person signed in before.
		clock = clock.Add(16 * time.Minute)
		for i := range 50 {
			db.Authenticate(ctx, "asa", "wrong password here", fmt.Sprintf("192.0.2.%d", i+1))
		}
		if _, err := db.Authenticate(ctx, "asa", goodPassword, "10.0.0.9"); intake.ErrorCode(err) != intake.ELOCKED {
			t.Errorf("after a spread-out attack, from a new address: %v, want ELOCKED", err)
		}
		if u, err := db.Authenticate(ctx, "asa", goodPassword, "10.0.0.1"); err != nil || u.ID != got.ID {
			t.Errorf("after a spread-out attack, from an address asa signed in from: %v, want the account", err)
		}
		clock = clock.Add(16 * time.Minute)

		// Sessions: idle and absolute timeouts, sign-out, disabling.
		secret, s, err := db.CreateSession(ctx, got.ID, "SE2321000016-7P0C")
		if err != nil {
			t.Fatal(err)
		}
		if s2, u2, err := db.FindSession(ctx, secret); err != nil || s2.Unit != "SE2321000016-7P0C" || u2.ID != got.ID || s2.ID != s.ID {
			t.Fatalf("FindSession() = %+v %+v %v", s2, u2, err)
		}
		if _, _, err := db.FindSession(ctx, secret+"x"); intake.ErrorCode(err) != intake.EUNAUTHORIZED {
			t.Errorf("a wrong session id: %v", err)
		}
		if err := db.SetSessionUnit(ctx, secret, "SE2321000016-9999"); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 30; i++ { // 15 hours of activity every 29 minutes
			clock = clock.Add(29 * time.Minute)
			if _, _, err := db.FindSession(ctx, secret); err != nil && clock.Sub(s.CreatedAt) < store.AbsoluteTimeout {
				t.Fatalf("an active session ended after %v: %v", clock.Sub(s.CreatedAt), err)
			}
		}
		if _, _, err := db.FindSession(ctx, secret); intake.ErrorCode(err) != intake.EUNAUTHORIZED {
			t.Errorf("a session past the absolute timeout: %v", err)
		}
		idle, _, _ := db.CreateSession(ctx, got.ID, "")
		clock = clock.Add(store.IdleTimeout - time.Minute)
		if _, u, err := db.PeekSession(ctx, idle); err != nil || u.ID != got.ID {
			t.Fatalf("PeekSession() = %+v, %v", u, err)
		}
		clock = clock.Add(time.Minute) // a peek does not keep it alive
		if _, _, err := db.FindSession(ctx, idle); intake.ErrorCode(err) != intake.EUNAUTHORIZED {
			t.Errorf("a session idle for %v: %v", store.IdleTimeout, err)
		}
		out, _, _ := db.CreateSession(ctx, got.ID, "")
		if err := db.DeleteSession(ctx, out); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.FindSession(ctx, out); intake.ErrorCode(err) != intake.EUNAUTHORIZED {
			t.Errorf("a signed-out session: %v", err)
		}
		live, _, _ := db.CreateSession(ctx, got.ID, "")
		if err := db.SetUserDisabled(ctx, got.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.FindSession(ctx, live); intake.ErrorCode(err) != intake.EUNAUTHORIZED {
			t.Errorf("the session of a disabled user: %v", err)
		}
		if _, err := db.Authenticate(ctx, "asa", goodPassword, "10.0.0.9"); intake.ErrorCode(err) != intake.EUNAUTHORIZED {
			t.Errorf("a disabled user signs in: %v", err)
		}
	})
}

// TestTokenScopes: tokens of several units and of a whole care provider,
// with an expiry and their last use.
func TestTokenScopes(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		clock := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return clock }
		mustUnit(t, db, "SE2321000016-7P0C", "SE2321000016-0001")
		mustUnit(t, db, "SE2321000016-9999", "SE2321000016-0001")
		mustUnit(t, db, "SE2321000017-1111", "SE2321000017-0001")
		two := &intake.Token{Role: intake.RoleClinic, Name: "EHR", Units: []string{"se2321000016-7p0c", "SE2321000017-1111"}, ExpiresAt: clock.Add(24 * time.Hour)}
		twoSecret, err := db.CreateTokenFor(ctx, two)
		if err != nil {
			t.Fatal(err)
		}
		region := &intake.Token{Role: intake.RoleClinic, Name: "Regional EHR", CareProvider: "SE2321000016-0001"}
		regionSecret, err := db.CreateTokenFor(ctx, region)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := db.FindTokenBySecret(ctx, twoSecret); err != nil || len(got.Units) != 2 || got.Units[0] != "SE2321000016-7P0C" {
			t.Errorf("a token of two units: %+v %v", got, err)
		}
		got, err := db.FindTokenBySecret(ctx, regionSecret)
		if err != nil || len(got.Units) != 2 || got.Units[1] != "SE2321000016-9999" {
			t.Errorf("a care provider's token covers its units: %+v %v", got, err)
		}
		if err := db.SetUnitDisabled(ctx, "SE2321000016-9999", true); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.FindTokenBySecret(ctx, regionSecret); len(got.Units) != 1 {
			t.Errorf("a disabled unit is still covered: %v", got.Units)
		}
		for name, bad := range map[string]*intake.Token{
			"clinic without units":  {Role: intake.RoleClinic},
			"caseworker with units": {Role: intake.RoleCaseworker, Units: []string{"SE1"}},
			"expiry in the past":    {Role: intake.RoleAdmin, ExpiresAt: clock.Add(-time.Hour)},
		} {
			if _, err := db.CreateTokenFor(ctx, bad); intake.ErrorCode(err) != intake.EINVALID {
				t.Errorf("%s: %v, want EINVALID", name, err)
			}
		}
		clock = clock.Add(25 * time.Hour)
		if _, err := db.FindTokenBySecret(ctx, twoSecret); intake.ErrorCode(err) != intake.EUNAUTHORIZED {
			t.Errorf("an expired token: %v, want EUNAUTHORIZED", err)
		}
		// The last use is written in the background.
		deadline := time.Now().Add(5 * time.Second)
		for {
			tokens, err := db.FindTokens(ctx)
			if err != nil {
				t.Fatal(err)
			}
			used := false
			for _, tok := range tokens {
				used = used || (tok.ID == region.ID && !tok.LastUsedAt.IsZero())
			}
			if used {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the regional token's last use was never recorded")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// TestSignInsAtOnce: password hashes (19 MiB each) run a few at a time,
// and a sign-in that finds the queue full is refused at once as
// unavailable instead of adding a hash's memory; those that waited go on
// when slots free.
func TestSignInsAtOnce(t *testing.T) {
	db := mustOpenDB(t, store.SQLite, filepath.Join(t.TempDir(), "intyg.db"))
	ctx := context.Background()
	release := db.HoldHashSlots()
	errs := make(chan error, store.MaxHashWaiting)
	for i := range store.MaxHashWaiting {
		go func() {
			_, err := db.Authenticate(ctx, "nobody"+strconv.Itoa(i), "wrong password", "192.0.2.1")
			errs <- err
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); db.HashWaiting() < store.MaxHashWaiting; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d sign-ins waiting, want %d", db.HashWaiting(), store.MaxHashWaiting)
		}
	}
	probe, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := db.Authenticate(probe, "one-too-many", "wrong password", "192.0.2.2"); intake.ErrorCode(err) != intake.EUNAVAILABLE || probe.Err() != nil {
		t.Errorf("a sign-in beside %d waiting ones: %v, want EUNAVAILABLE at once", store.MaxHashWaiting, err)
	}
	release()
	for range store.MaxHashWaiting {
		if err := <-errs; intake.ErrorCode(err) != intake.EUNAUTHORIZED {
			t.Fatalf("a waiting sign-in: %v, want EUNAUTHORIZED once a slot was free", err)
		}
	}
	if _, err := db.Authenticate(ctx, "after", "wrong password", "192.0.2.3"); intake.ErrorCode(err) != intake.EUNAUTHORIZED {
		t.Errorf("a sign-in after the flood: %v, want EUNAUTHORIZED", err)
	}
}

// TestSignInWithNoPossibleName: a user name no account can have (5,000
// characters, a NUL) is a failed sign-in on both databases, not an error
// (it would not fit PostgreSQL's index of failures).
func TestSignInWithNoPossibleName(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		db := open(t)
		long := make([]byte, 2500) // random, so that PostgreSQL cannot compress it into its index
		rand.Read(long)
		for _, name := range []string{hex.EncodeToString(long), "a\x00b", "ok name"} {
			if _, err := db.Authenticate(context.Background(), name, "wrong password", "192.0.2.1"); intake.ErrorCode(err) != intake.EUNAUTHORIZED {
				t.Errorf("user name of %d bytes: %v, want EUNAUTHORIZED", len(name), err)
			}
		}
	})
}

// TestSignInGuessesAtOnce: wrong passwords for one name from one address
// sent at once (a burst, or split across servers) get no more guesses
// than one after another: five are checked, the rest find the name locked.
// Each had counted the failures before any of them was written.
func TestSignInGuessesAtOnce(t *testing.T) {
	twoServers(t, func(t *testing.T, a, b *store.DB) {
		ctx := context.Background()
		mustPhysician(t, a)
		// An account's name and a name no account has alike: the answers
		// tell nothing of which it is.
		for _, name := range []string{"asa", "nobody"} {
			const guesses = 16
			errs := make([]error, guesses)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range guesses {
				db := []*store.DB{a, b}[i%2]
				wg.Go(func() {
					<-start
					_, errs[i] = db.Authenticate(ctx, name, fmt.Sprintf("fel lösenord %d", i), "192.0.2.7")
				})
			}
			close(start)
			wg.Wait()
			checked := 0
			for i, err := range errs {
				switch intake.ErrorCode(err) {
				case intake.EUNAUTHORIZED:
					checked++
				case intake.ELOCKED:
				default:
					t.Errorf("%s, guess %d: %v, want EUNAUTHORIZED or ELOCKED", name, i, err)
				}
			}
			if checked != 5 {
				t.Errorf("%s: %d of %d guesses at once were checked, want 5 (then the name is locked from the address)", name, checked, guesses)
			}
		}
		if _, err := a.Authenticate(ctx, "asa", goodPassword, "192.0.2.7"); intake.ErrorCode(err) != intake.ELOCKED {
			t.Errorf("the right password after the burst: %v, want ELOCKED", err)
		}
	})
}

// TestSignInNotCheckedIsNoFailure: sign-ins refused before their password
// was checked (too many at once) are not counted as failures: the right
// password afterwards signs in.
func TestSignInNotCheckedIsNoFailure(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		mustPhysician(t, db)
		release := db.HoldHashSlots()
		for range 6 {
			short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			_, err := db.Authenticate(short, "asa", goodPassword, "192.0.2.8")
			cancel()
			if err == nil {
				t.Fatal("a sign-in went through with every hash slot held")
			}
		}
		release()
		if _, err := db.Authenticate(ctx, "asa", goodPassword, "192.0.2.8"); err != nil {
			t.Errorf("the right password after sign-ins that were never checked: %v, want it signed in", err)
		}
	})
}
