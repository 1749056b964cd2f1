package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/internal/pgtest"
	"github.com/intyg/intyg/store"
)

// mustCaseCertificate stores a certificate of patient at unit with the
// periods, counted toward cases or not, and returns its id.
func mustCaseCertificate(tb testing.TB, db *store.DB, patient, unit string, counts bool, periods ...intake.Period) string {
	tb.Helper()
	c, body := mustCertificate(tb, "full-time-one-period.json")
	c.Patient.ID, c.Issuer.Unit.HSAID, c.CountsTowardCases = patient, unit, counts
	c.SickLeave.Periods = periods
	stored, _, err := db.CreateCertificate(context.Background(), c, body, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return stored.ID
}

func period(tb testing.TB, degree int, from, to string) intake.Period {
	tb.Helper()
	f, err1 := intake.ParseDate(from)
	t, err2 := intake.ParseDate(to)
	if err1 != nil || err2 != nil {
		tb.Fatalf("period(%s, %s): bad date", from, to)
	}
	days := f.DaysUntil(t) + 1
	return intake.Period{Degree: degree, From: f, To: t, Days: days, NetDays: float64(days*degree) / 100}
}

func ids(cs []intake.CaseCertificate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string { slices.Sort(s); return s }

func TestFindCaseCertificates(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		const p1, p2 = "191212121212", "197010632391"
		const u1, u2 = "SE2321000016-7P0C", "SE2321000016-9Z9Z"
		a := mustCaseCertificate(t, db, p1, u1, true, period(t, 100, "2026-10-01", "2026-10-10"), period(t, 50, "2026-10-11", "2026-10-20"))
		b := mustCaseCertificate(t, db, p1, u2, true, period(t, 25, "2026-10-15", "2026-10-31"))
		revoked := mustCaseCertificate(t, db, p1, u1, true, period(t, 100, "2026-11-01", "2026-11-10"))
		replaced := mustCaseCertificate(t, db, p1, u1, true, period(t, 100, "2026-11-01", "2026-11-05"))
		mustCaseCertificate(t, db, p1, u1, false, period(t, 100, "2026-11-01", "2026-11-05")) // smittbärarpenning
		other := mustCaseCertificate(t, db, p2, u1, true, period(t, 100, "2026-10-01", "2026-10-10"))
		if _, err := db.RevokeCertificate(ctx, revoked, intake.RevokeWrongPatient, "", "test"); err != nil {
			t.Fatal(err)
		}
		if err := db.Exec(ctx, `UPDATE certificates SET status = ? WHERE id = ?`, string(intake.StatusReplaced), replaced); err != nil {
			t.Fatal(err)
		}

		got, err := db.FindCaseCertificates(ctx, p1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(sorted(a, b), ids(got)); diff != "" {
			t.Errorf("FindCaseCertificates() mismatch (-want +got):\n%s", diff)
		}
		for _, c := range got {
			if c.ID == a {
				want := []intake.Period{period(t, 100, "2026-10-01", "2026-10-10"), period(t, 50, "2026-10-11", "2026-10-20")}
				if diff := cmp.Diff(want, c.Periods); diff != "" {
					t.Errorf("periods mismatch (-want +got):\n%s", diff)
				}
				if c.Unit != u1 || c.Patient.ID != p1 || c.Patient.Name == "" || c.Diagnosis == "" || c.SignedAt.IsZero() {
					t.Errorf("certificate lacks unit, patient, diagnosis or signing time: %+v", c)
				}
			}
		}
		got, err = db.FindCaseCertificates(ctx, p1, &[]string{u2})
		if err != nil || !slices.Equal(ids(got), []string{b}) {
			t.Errorf("FindCaseCertificates(unit %s) = %v, %v; want %s", u2, ids(got), err, b)
		}
		if got, err = db.FindCaseCertificates(ctx, p1, &[]string{}); err != nil || len(got) != 0 {
			t.Errorf("FindCaseCertificates(no units) = %v, %v; want none", ids(got), err)
		}
		if got, err = db.FindCaseCertificates(ctx, p2, nil); err != nil || !slices.Equal(ids(got), []string{other}) {
			t.Errorf("FindCaseCertificates(%s) = %v, %v; want %s", p2, ids(got), err, other)
		}
	})
}

func TestFindOngoingCaseCertificates(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		const u1, u2 = "SE2321000016-7P0C", "SE2321000016-9Z9Z"
		at, _ := intake.ParseDate("2026-11-20")
		early := mustCaseCertificate(t, db, "191212121212", u1, true, period(t, 100, "2026-09-01", "2026-10-31"))
		now := mustCaseCertificate(t, db, "191212121212", u1, true, period(t, 100, "2026-11-01", "2026-11-20"))
		inGap := mustCaseCertificate(t, db, "197010632391", u1, true, period(t, 100, "2026-11-26", "2026-12-31")) // starts gap+1 days after
		mustCaseCertificate(t, db, "195010101010", u1, true, period(t, 100, "2026-11-27", "2026-12-31"))          // gap+2 days after
		mustCaseCertificate(t, db, "196001011234", u1, true, period(t, 100, "2026-10-01", "2026-11-19"))          // ended
		mustCaseCertificate(t, db, "197001011234", u2, true, period(t, 100, "2026-11-01", "2026-11-30"))          // another unit
		mustCaseCertificate(t, db, "198001011234", u1, false, period(t, 100, "2026-11-01", "2026-11-30"))         // not counted
		got, err := db.FindOngoingCaseCertificates(ctx, []string{u1}, at, 5)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(sorted(early, now, inGap), ids(got)); diff != "" {
			t.Errorf("FindOngoingCaseCertificates() mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestFlagsStoredAndFiltered(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		c, body := mustCertificate(t, "full-time-one-period.json")
		c.Flags = []intake.Flag{{Code: "earlyStart", Message: "sv", MessageEn: "en"}, {Code: "noExamination", Message: "sv2", MessageEn: "en2"}}
		flagged, _, err := db.CreateCertificate(ctx, c, body, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		plain, body := mustCertificate(t, "full-time-one-period.json")
		if _, _, err := db.CreateCertificate(ctx, plain, body, nil, nil); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindCertificateByID(ctx, flagged.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c.Flags, got.Flags); diff != "" {
			t.Errorf("flags in the record mismatch (-want +got):\n%s", diff)
		}
		for code, want := range map[string]int{"earlyStart": 1, "noExamination": 1, "passesDay90": 0} {
			list, _, err := db.FindCertificates(ctx, intake.CertificateFilter{Flag: &code})
			if err != nil || len(list) != want || (want == 1 && list[0].ID != flagged.ID) {
				t.Errorf("FindCertificates(flag %s) = %d certificates, %v; want %d", code, len(list), err, want)
			}
		}
		counts, err := db.CountCertificatesByStatus(ctx, intake.CertificateFilter{Flag: ptr("earlyStart")})
		if err != nil || counts[intake.StatusReceived] != 1 {
			t.Errorf("CountCertificatesByStatus(flag earlyStart) = %v, %v; want 1 received", counts, err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestHistoriesTogether asks for many patients' histories at once, some
// twice, some with certificates at two units and some with none, and wants
// each caller its own patient's certificates, as the query for the
// patient at every unit by name reads them. On PostgreSQL the first read
// is held up (its table locked) until the others queue behind it, and they
// must then take a few queries, not one each.
func TestHistoriesTogether(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		seedCases(t, db, 100)
		units := []string{"UNIT"}
		for i := range 40 {
			units = append(units, fmt.Sprintf("OTHER%d", i))
		}
		var patients []string
		for i := range 60 {
			patients = append(patients, fmt.Sprintf("19%010d", i%30), fmt.Sprintf("20%010d", i), fmt.Sprintf("21%010d", i))
		}
		want := map[string][]intake.CaseCertificate{}
		for _, p := range patients {
			certs, err := db.FindCaseCertificates(ctx, p, &units)
			if err != nil {
				t.Fatal(err)
			}
			want[p] = certs
		}
		if len(want["190000000001"]) != 2 || len(want["200000000001"]) != 2 || want["210000000001"] != nil {
			t.Fatalf("the seed is not what this test expects: %d, %d and %d certificates", len(want["190000000001"]), len(want["200000000001"]), len(want["210000000001"]))
		}
		before := db.HistoryReads()
		got := make([][]intake.CaseCertificate, len(patients))
		errs := make([]error, len(patients))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, p := range patients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				got[i], errs[i] = db.FindCaseCertificates(ctx, p, nil)
			}()
		}
		release := func() {}
		if db.Dialect() == store.Postgres {
			release = holdUntilQueued(t, db, "case_periods", db.HistoriesWaiting)
		}
		close(start)
		release()
		wg.Wait()
		for i, p := range patients {
			if errs[i] != nil {
				t.Fatalf("%s: %v", p, errs[i])
			}
			if diff := cmp.Diff(want[p], got[i]); diff != "" {
				t.Errorf("%s (-want +got):\n%s", p, diff)
			}
		}
		// Two callers for one patient in one batch get a slice each.
		p := "190000000001"
		two, err := db.ReadHistoriesTogether([]string{p, "210000000001", p})
		if err != nil {
			t.Fatal(err)
		}
		two[0][0].ID, two[0][0].Periods[0].Degree = "changed", 1
		if diff := cmp.Diff(want[p], two[2]); diff != "" {
			t.Errorf("changing one caller's certificates changed another's (-want +got):\n%s", diff)
		}
		if reads := db.HistoryReads() - before; db.Dialect() == store.Postgres && reads > 10 {
			t.Errorf("%d callers took %d queries; want them read together", len(patients), reads)
		}
	})
}

// historyFlags is a FlagFunc that keeps, by unit, the ids each
// certificate's history held, and flags the certificate with their number.
type historyFlags struct {
	mu   sync.Mutex
	seen map[string][]string
}

func (h *historyFlags) flags(c *intake.Certificate, history []intake.CaseCertificate) []intake.Flag {
	var ids []string
	for _, k := range history {
		ids = append(ids, k.ID)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen == nil {
		h.seen = map[string][]string{}
	}
	h.seen[c.Issuer.Unit.HSAID] = ids
	return []intake.Flag{{Code: fmt.Sprint("history", len(history)), Message: "sv"}}
}

// createEach stores certs (each the example full-time-one-period.json,
// changed) with flags, each from a goroutine of its own through dbOf(its
// index); wait returns their ids by unit once every one was answered.
func createEach(t *testing.T, certs []*intake.Certificate, dbOf func(i int) *store.DB, flags intake.FlagFunc) (wait func() map[string]string) {
	_, body := mustCertificate(t, "full-time-one-period.json")
	ids := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, c := range certs {
		wg.Go(func() {
			stored, _, err := dbOf(i).CreateCertificate(context.Background(), c, body, nil, flags)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ids[c.Issuer.Unit.HSAID] = stored.ID
			mu.Unlock()
		})
	}
	return func() map[string]string {
		wg.Wait()
		return ids
	}
}

// TestFlagsSeeWhatWasStoredBefore: CreateCertificate's FlagFunc gets the
// patient's case certificates stored before, every unit's, and what it
// returns is stored as the certificate's flags.
func TestFlagsSeeWhatWasStoredBefore(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		first := mustCaseCertificate(t, db, "191212121212", "unit-a", true, period(t, 100, "2026-11-01", "2026-11-20"))
		mustCaseCertificate(t, db, "194004049999", "unit-a", true, period(t, 100, "2026-11-01", "2026-11-20"))
		var h historyFlags
		c, body := mustCertificate(t, "full-time-one-period.json")
		c.Patient.ID, c.Issuer.Unit.HSAID, c.CountsTowardCases = "191212121212", "unit-b", true
		stored, _, err := db.CreateCertificate(ctx, c, body, nil, h.flags)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{first}, h.seen["unit-b"]); diff != "" {
			t.Errorf("history given to the flags (-want +got):\n%s", diff)
		}
		got, err := db.FindCertificateByID(ctx, stored.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]intake.Flag{{Code: "history1", Message: "sv"}}, got.Flags); diff != "" {
			t.Errorf("stored flags (-want +got):\n%s", diff)
		}
		list, _, err := db.FindCertificates(ctx, intake.CertificateFilter{Flag: ptr("history1")})
		if err != nil || len(list) != 1 || list[0].ID != stored.ID {
			t.Errorf("FindCertificates(flag history1) = %v, %v; want %s", list, err, stored.ID)
		}
		// A FlagFunc that finds nothing leaves none, whatever c had.
		c, body = mustCertificate(t, "full-time-one-period.json")
		c.Flags = []intake.Flag{{Code: "stale", Message: "sv"}}
		none := func(*intake.Certificate, []intake.CaseCertificate) []intake.Flag { return nil }
		if stored, _, err = db.CreateCertificate(ctx, c, body, nil, none); err != nil {
			t.Fatal(err)
		}
		if got, err = db.FindCertificateByID(ctx, stored.ID); err != nil || len(got.Flags) != 0 {
			t.Errorf("a certificate no flag was found for: flags %v, %v; want none", got.Flags, err)
		}
	})
}

// TestFlagsSeeTheBatchBefore: on SQLite, two certificates of one patient
// stored in the same batch are flagged in order: the second's history
// holds the first.
func TestFlagsSeeTheBatchBefore(t *testing.T) {
	db := mustOpenDB(t, store.SQLite, filepath.Join(t.TempDir(), "intyg.db"))
	var h historyFlags
	release := db.HoldWriter()
	var certs []*intake.Certificate
	for _, unit := range []string{"unit-a", "unit-b"} {
		c, _ := mustCertificate(t, "full-time-one-period.json")
		c.Patient.ID, c.Issuer.Unit.HSAID, c.CountsTowardCases = "191212121212", unit, true
		certs = append(certs, c)
	}
	wait := createEach(t, certs, func(int) *store.DB { return db }, h.flags)
	release(2)
	ids := wait()
	a, b := h.seen["unit-a"], h.seen["unit-b"]
	if len(a)+len(b) != 1 || (len(a) == 1 && a[0] != ids["unit-b"]) || (len(b) == 1 && b[0] != ids["unit-a"]) {
		t.Errorf("histories given to the flags: unit-a %v, unit-b %v; want one of them to hold the other (ids %v)", a, b, ids)
	}
}

// TestFlagsSeeEachOtherOnPostgres: two certificates of one patient from
// two units, whose flags read the patient's history at the same moment
// (each waits in its FlagFunc until the other has read too), stored on
// PostgreSQL through one server or two (two stores on one database), one
// of them renewing an earlier certificate or not: the one stored second
// must have been flagged from a history that holds the first.
func TestFlagsSeeEachOtherOnPostgres(t *testing.T) {
	for _, tt := range []struct {
		name    string
		servers int
		renews  bool // unit-b's certificate renews one stored before
	}{
		{"one server", 1, false},
		{"two servers", 2, false},
		{"two servers, one renewing", 2, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := pgtest.DSN(t)
			dbs := []*store.DB{mustOpenDB(t, store.Postgres, dsn)}
			if tt.servers == 2 {
				dbs = append(dbs, mustOpenDB(t, store.Postgres, dsn))
			}
			const patient = "191212121212"
			var before []string
			if tt.renews {
				before = append(before, mustCaseCertificate(t, dbs[0], patient, "unit-b", true, period(t, 100, "2026-11-01", "2026-11-20")))
			}
			var h historyFlags
			var firsts atomic.Int32
			var waited sync.Map
			bothRead := make(chan struct{})
			flags := func(c *intake.Certificate, history []intake.CaseCertificate) []intake.Flag {
				if _, again := waited.LoadOrStore(c.Issuer.Unit.HSAID, true); !again {
					if firsts.Add(1) == 2 {
						close(bothRead)
					}
					select {
					case <-bothRead:
					case <-time.After(10 * time.Second):
						t.Errorf("%s: the other certificate's flags never read its history", c.Issuer.Unit.HSAID)
					}
				}
				return h.flags(c, history)
			}
			var certs []*intake.Certificate
			for _, unit := range []string{"unit-a", "unit-b"} {
				c, _ := mustCertificate(t, "full-time-one-period.json")
				c.Patient.ID, c.Issuer.Unit.HSAID, c.CountsTowardCases = patient, unit, true
				if unit == "unit-b" && tt.renews {
					c.Relation = &intake.Relation{Type: intake.RelationRenews, Certificate: before[0]}
				}
				certs = append(certs, c)
			}
			ids := createEach(t, certs, func(i int) *store.DB { return dbs[i%len(dbs)] }, flags)()
			if t.Failed() {
				return
			}
			a, b := h.seen["unit-a"], h.seen["unit-b"]
			same := func(got []string, want ...string) bool {
				return slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)))
			}
			aSawB, bSawA := same(a, append(before, ids["unit-b"])...), same(b, append(before, ids["unit-a"])...)
			if aSawB == bSawA || (aSawB && !same(b, before...)) || (bSawA && !same(a, before...)) {
				t.Errorf("histories the flags were made from: unit-a %v, unit-b %v; want one of them to hold the other (ids %v) besides %v", a, b, ids, before)
			}
			for unit, id := range ids {
				got, err := dbs[0].FindCertificateByID(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				want := []intake.Flag{{Code: fmt.Sprint("history", len(h.seen[unit])), Message: "sv"}}
				if diff := cmp.Diff(want, got.Flags); diff != "" {
					t.Errorf("%s: stored flags (-want +got):\n%s", unit, diff)
				}
			}
		})
	}
}

// TestFlagsGiveUpOnAHistoryThatKeepsChanging: on PostgreSQL, a
// certificate whose patient gets another certificate (from another
// server) each time its flags are made is flagged again a few times, then
// refused as unavailable (503, try again), and nothing of it is stored.
func TestFlagsGiveUpOnAHistoryThatKeepsChanging(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	db, other := mustOpenDB(t, store.Postgres, dsn), mustOpenDB(t, store.Postgres, dsn)
	const patient = "191212121212"
	var made atomic.Int32
	flags := func(c *intake.Certificate, history []intake.CaseCertificate) []intake.Flag {
		made.Add(1)
		more, body := mustCertificate(t, "full-time-one-period.json")
		more.Patient.ID, more.Issuer.Unit.HSAID, more.CountsTowardCases = patient, "unit-b", true
		if _, _, err := other.CreateCertificate(ctx, more, body, nil, nil); err != nil {
			t.Error(err) // not Fatal: the pipelines' goroutine calls this
		}
		return nil
	}
	c, body := mustCertificate(t, "full-time-one-period.json")
	c.Patient.ID, c.Issuer.Unit.HSAID, c.CountsTowardCases = patient, "unit-a", true
	_, _, err := db.CreateCertificate(ctx, c, body, nil, flags)
	if intake.ErrorCode(err) != intake.EUNAVAILABLE {
		t.Fatalf("CreateCertificate = %v, want EUNAVAILABLE", err)
	}
	if n := made.Load(); n != store.MaxStale+1 {
		t.Errorf("flags made %d times, want %d: once, then again each time the history had changed", n, store.MaxStale+1)
	}
	if _, err := db.FindCertificateByID(ctx, c.ID); intake.ErrorCode(err) != intake.ENOTFOUND {
		t.Errorf("FindCertificateByID(the refused one) = %v, want ENOTFOUND", err)
	}
}

// TestPostgresReadsCommitted: the pipelines' check of a patient's history
// needs each statement to see what was committed before it, so the store
// runs its sessions at READ COMMITTED even on a database whose default is
// SERIALIZABLE.
func TestPostgresReadsCommitted(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	first := mustOpenDB(t, store.Postgres, dsn)
	name, err := first.Strings(ctx, `SELECT current_database()`)
	if err != nil || len(name) != 1 {
		t.Fatal(name, err)
	}
	if err := first.Exec(ctx, `ALTER DATABASE "`+name[0]+`" SET default_transaction_isolation = 'serializable'`); err != nil {
		t.Fatal(err)
	}
	db := mustOpenDB(t, store.Postgres, dsn)
	got, err := db.Strings(ctx, `SHOW transaction_isolation`)
	if err != nil || len(got) != 1 || got[0] != "read committed" {
		t.Errorf("the store's sessions run at %v (%v), want read committed", got, err)
	}
	other, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var level string
	if err := other.QueryRowContext(ctx, `SHOW transaction_isolation`).Scan(&level); err != nil || level != "serializable" {
		t.Errorf("another session runs at %q (%v), want serializable: the test proved nothing", level, err)
	}
}
