package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// TestKeptCountsAndCases walks certificates through their lifecycle
// (handled, replaced, renewed, the replacement revoked, unhandled,
// revoked) and after every step wants the counts per status and the
// cases, which triggers keep (migration 00012; the flags' statuses,
// 00020; the messages', 00021), to be what counting the certificates and
// joining their periods give; then again after the changes are folded,
// and after the migrations from 00012 on are undone and applied again
// over the stored certificates (their backfills).
func TestKeptCountsAndCases(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		l := newLifecycle(t, db)
		const p1, p2 = "191212121212", "197010632391"
		const u1, u2 = "SE2321000016-7P0C", "SE2321000016-9Z9Z"
		home := l.original.Issuer.Unit.HSAID
		mustUnit(t, db, u1, "SE2321000016-PROV")
		mustUnit(t, db, u2, "SE2321000016-PROV")
		units := []string{u1, u2, home}
		mustCaseCertificate(t, db, p1, u1, true, period(t, 100, "2026-10-01", "2026-10-10"), period(t, 50, "2026-10-11", "2026-11-30"))
		mustCaseCertificate(t, db, p1, u2, true, period(t, 25, "2026-11-15", "2026-11-30"))
		mustCaseCertificate(t, db, p2, u1, false, period(t, 100, "2026-11-01", "2026-11-30")) // smittbärarpenning
		revoked := mustCaseCertificate(t, db, p2, u1, true, period(t, 100, "2026-11-01", "2026-11-30"))
		other, body := mustCertificate(t, "full-time-one-period.json")
		other.Template, other.Issuer.Unit.HSAID = "fk7810", u2
		if _, _, err := db.CreateCertificate(ctx, other, body, nil, nil); err != nil {
			t.Fatal(err)
		}
		for _, unit := range []string{u1, u2} {
			flagged, body := mustCertificate(t, "full-time-one-period.json")
			flagged.Issuer.Unit.HSAID, flagged.Flags = unit, []intake.Flag{{Code: "earlyStart", Message: "sv", MessageEn: "en"}}
			stored, _, err := db.CreateCertificate(ctx, flagged, body, nil, nil)
			if err == nil && unit == u1 {
				_, err = db.SetHandled(ctx, stored.ID, true, "cw-1")
			}
			if err != nil {
				t.Fatal(err)
			}
		}

		today, _ := intake.ParseDate("2026-11-23")
		// Messages: two open on the original (one overdue: a certificate
		// with two in a state is one certificate in that state's queue),
		// one open on the certificate that is revoked (which closes it),
		// one answered.
		ask := func(cert, replyBy string) *intake.Message {
			t.Helper()
			m := &intake.Message{Certificate: cert, Type: intake.MessageContact, Text: "Fråga.", SentBy: "cw-1"}
			if replyBy != "" {
				m.ReplyBy, _ = intake.ParseDate(replyBy)
			}
			stored, err := db.CreateMessage(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			return stored
		}
		ask(l.original.ID, "2026-11-01")
		ask(l.original.ID, "")
		ask(revoked, "2026-12-01")
		if _, err := db.AnswerMessage(ctx, ask(l.original.ID, "").ID, &intake.MessageAnswer{Text: "Svar.", By: "asa"}); err != nil {
			t.Fatal(err)
		}
		filters := []intake.CertificateFilter{
			{},
			{Status: ptr(intake.StatusHandled)},
			{Template: ptr("fk7804")},
			{Template: ptr("fk7810")},
			{Units: &[]string{u1}},
			{Units: &[]string{u1, u2}, Template: ptr("fk7804")},
			{Units: &[]string{}},
			{CareProvider: ptr("SE2321000016-PROV")},
			{Units: &[]string{home}, Today: today, Limit: 3},
			{Flag: ptr("earlyStart")},
			{Flag: ptr("earlyStart"), Units: &[]string{u2}, Template: ptr("fk7804")},
			{Flag: ptr("earlyStart"), Status: ptr(intake.StatusReceived)},
			{Flag: ptr("noExamination")},
			{ContactRequested: ptr(false), Units: &[]string{u1}},
			{Messages: ptr("open"), Today: today},
			{Messages: ptr("overdue"), Today: today},
			{Messages: ptr("answered"), Today: today},
			{Messages: ptr("closed"), Today: today},
			{Messages: ptr("open"), Units: &[]string{u1, home}, Today: today},
			{Messages: ptr("open"), Units: &[]string{}, Today: today},
			{Messages: ptr("open"), CareProvider: ptr("SE2321000016-PROV"), Today: today},
			{Messages: ptr("closed"), CareProvider: ptr("SE2321000016-PROV"), Today: today},
			{Messages: ptr("open"), Status: ptr(intake.StatusHandled), Today: today},
			{Messages: ptr("open"), Flag: ptr("earlyStart"), Today: today},
		}
		check := func(step string) {
			t.Helper()
			for _, f := range filters {
				checkCounts(t, db, step, f)
			}
			for _, state := range []string{"open", "overdue", "answered", "closed"} {
				checkMessageQueue(t, db, step, state, today)
			}
			for _, us := range [][]string{{u1}, {u1, u2}, {home}, units, {}} {
				for _, day := range []string{"2026-09-01", "2026-11-23", "2026-12-20"} {
					at, _ := intake.ParseDate(day)
					want, err := db.FindCaseCertificatesJoined(ctx, "", us, at, intake.DefaultCaseGap)
					if err != nil {
						t.Fatal(err)
					}
					got, err := db.FindOngoingCaseCertificates(ctx, us, at, intake.DefaultCaseGap)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%s: FindOngoingCaseCertificates(%v, %s) mismatch (-joined +kept):\n%s", step, us, day, diff)
					}
				}
			}
			for _, patient := range []string{p1, p2, l.original.Patient.ID} {
				for _, us := range [][]string{{u1}, {home}, units} {
					want, err := db.FindCaseCertificatesJoined(ctx, patient, us, intake.Date{}, 0)
					if err != nil {
						t.Fatal(err)
					}
					got, err := db.FindCaseCertificates(ctx, patient, &us)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%s: FindCaseCertificates(%s, %v) mismatch (-joined +kept):\n%s", step, patient, us, diff)
					}
					if len(us) == len(units) {
						all, err := db.FindCaseCertificates(ctx, patient, nil)
						if err != nil {
							t.Fatal(err)
						}
						if diff := cmp.Diff(want, all); diff != "" {
							t.Errorf("%s: FindCaseCertificates(%s, every unit) mismatch (-joined +kept):\n%s", step, patient, diff)
						}
					}
				}
			}
		}
		check("stored")
		var replacement *intake.Certificate
		steps := []struct {
			name string
			do   func() error
		}{
			{"handled", func() error { _, err := db.SetHandled(ctx, l.original.ID, true, "cw-1"); return err }},
			{"replaced", func() error { replacement = l.create(ptr(intake.RelationReplaces)); return nil }},
			{"renewed", func() error { l.create(ptr(intake.RelationRenews)); return nil }},
			{"replacement revoked", func() error {
				_, err := db.RevokeCertificate(ctx, replacement.ID, intake.RevokeSeriousError, "", "tok-1")
				return err
			}},
			{"unhandled", func() error { _, err := db.SetHandled(ctx, l.original.ID, false, "cw-1"); return err }},
			{"revoked", func() error {
				_, err := db.RevokeCertificate(ctx, revoked, intake.RevokeWrongPatient, "", "tok-1")
				return err
			}},
		}
		for _, s := range steps {
			if err := s.do(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			check(s.name)
		}
		if err := db.Optimize(ctx); err != nil {
			t.Fatal(err)
		}
		check("folded")
		if err := store.RedoMigration(ctx, db, 12); err != nil {
			t.Fatal(err)
		}
		check("migrated again")
	})
}

// TestCaseQueryPlans seeds 10,000 certificates and asserts that the
// unit's ongoing cases and a patient's cases read case_periods through
// its indexes, never a scan of a table: on SQLite the ongoing cases are
// one range of the unit's periods ending on or after the day and then
// one range per patient found, so their cost grows with the unit's
// ongoing patients, not with the certificates stored.
func TestCaseQueryPlans(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		seedCases(t, db, 1_000)
		at, _ := intake.ParseDate("2026-11-23")
		for _, tt := range []struct {
			name    string
			explain func() ([]string, error)
			// ordered: the periods come in the order cases are built in
			// (by patient, then certificate), with no sort.
			ordered bool
		}{
			{"ongoing, one unit", func() ([]string, error) { return db.ExplainOngoingCases(ctx, []string{"UNIT"}, at, 5) }, true},
			{"ongoing, two units", func() ([]string, error) { return db.ExplainOngoingCases(ctx, []string{"UNIT", "OTHER1"}, at, 5) }, true},
			{"a patient's, every unit", func() ([]string, error) { return db.ExplainHistories(ctx, []string{"190000000001"}) }, true},
			{"three patients', every unit", func() ([]string, error) {
				return db.ExplainHistories(ctx, []string{"190000000001", "190000000002", "190000000003"})
			}, true},
			{"a patient's, one unit", func() ([]string, error) { return db.ExplainCaseCertificates(ctx, "190000000001", []string{"UNIT"}) }, true},
			{"three patients', every unit, as prepared", func() ([]string, error) {
				if db.Dialect() == store.SQLite {
					return db.ExplainHistories(ctx, []string{"190000000001", "190000000002", "190000000003"})
				}
				return db.ExplainHistoriesGeneric(ctx, []string{"190000000001", "190000000002", "190000000003"})
			}, true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				plan, err := tt.explain()
				if err != nil {
					t.Fatal(err)
				}
				text := strings.Join(plan, "\n")
				var bad string
				switch {
				case db.Dialect() == store.Postgres:
					if strings.Contains(text, "Seq Scan") {
						bad = "a scan of a table"
					}
				case strings.Contains(text, "SCAN "):
					bad = "a scan of a table"
				case !strings.Contains(text, "SEARCH case_periods USING PRIMARY KEY (patient_id=?)"):
					bad = "no look-up of the patient's periods by the key"
				case tt.ordered && strings.Contains(text, "TEMP B-TREE"):
					bad = "a sort"
				}
				if bad != "" {
					t.Errorf("%s in the plan:\n%s", bad, text)
				}
			})
		}
	})
}

// TestFlaggedPages pages through the flagged certificates, which are read
// from their flag's index, and wants every one once, newest first.
func TestFlaggedPages(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		seedList(t, db, 2_000) // flagged: the certificates i with i % 100 == 11
		var want, got []string
		for i := 1999; i >= 0; i-- {
			if i%100 == 11 {
				want = append(want, fmt.Sprintf("c%07d", i))
			}
		}
		f := intake.CertificateFilter{Flag: ptr("day180"), Limit: 3}
		for range 10 {
			page, next, err := db.FindCertificates(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page {
				got = append(got, c.ID)
			}
			if next == "" {
				break
			}
			f.Cursor = next
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("flagged pages mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestPeriodsKeptInOrder stores a certificate with three periods and one
// with one, and wants each period stored under its place among its
// certificate's periods (migration 00014), also after that migration is
// undone and applied again over them.
func TestPeriodsKeptInOrder(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		var want []string
		for _, example := range []string{"part-time-steps-75-50-25.json", "full-time-one-period.json"} {
			c, body := mustCertificate(t, example)
			if _, _, err := db.CreateCertificate(ctx, c, body, nil, nil); err != nil {
				t.Fatal(err)
			}
			for i, p := range c.SickLeave.Periods {
				want = append(want, fmt.Sprintf("%s %d %s %s %d", c.ID, i, p.From, p.To, p.Degree))
			}
		}
		slices.Sort(want)
		if len(want) != 4 {
			t.Fatalf("the examples have %d periods, want 4", len(want))
		}
		check := func(step string) {
			t.Helper()
			got, err := db.Strings(ctx, `SELECT p.certificate_id || ' ' || p.position || ' ' || p.from_date || ' ' || p.to_date || ' ' || p.degree
				FROM certificate_periods p ORDER BY p.certificate_id, p.position`)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got) // the dialects collate ids apart
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: periods mismatch (-want +got):\n%s", step, diff)
			}
		}
		check("stored")
		if err := store.RedoMigration(ctx, db, 14); err != nil {
			t.Fatal(err)
		}
		check("migrated again")
	})
}

// checkMessageQueue pages through the queue of certificates with a
// message in state, one and then 500 a page, and compares it with the
// certificates of the messages in that state: each once, newest received
// first.
func checkMessageQueue(t *testing.T, db *store.DB, step, state string, today intake.Date) {
	t.Helper()
	ctx := context.Background()
	mf := intake.MessageFilter{Limit: 500, Today: today}
	if state == "overdue" {
		mf.Overdue = true
	} else {
		mf.Status = ptr(intake.MessageStatus(state))
	}
	messages, _, err := db.FindMessages(ctx, mf)
	if err != nil {
		t.Fatal(err)
	}
	var want []*intake.Certificate
	for _, m := range messages {
		if !slices.ContainsFunc(want, func(c *intake.Certificate) bool { return c.ID == m.Certificate }) {
			c, err := db.FindCertificateByID(ctx, m.Certificate)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, c)
		}
	}
	slices.SortFunc(want, func(a, b *intake.Certificate) int {
		if c := b.ReceivedAt.Compare(a.ReceivedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	var ids []string
	for _, c := range want {
		ids = append(ids, c.ID)
	}
	for _, limit := range []int{1, 500} {
		var got []string
		f := intake.CertificateFilter{Messages: &state, Today: today, Limit: limit}
		for {
			page, next, err := db.FindCertificates(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page {
				got = append(got, c.ID)
			}
			if next == "" || len(got) > len(want) {
				break
			}
			f.Cursor = next
		}
		if !slices.Equal(ids, got) {
			t.Errorf("%s: the queue of certificates with %s messages, %d a page = %v, want %v", step, state, limit, got, ids)
		}
	}
}

// checkCounts wants the counts per status of f, as CountCertificatesByStatus
// reads them (kept counts, a flag's or the messages' rows), to be what
// counting the certificates gives.
func checkCounts(t *testing.T, db *store.DB, step string, f intake.CertificateFilter) {
	t.Helper()
	ctx := context.Background()
	want, err := db.CountCertificatesScanned(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.CountCertificatesByStatus(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: CountCertificatesByStatus(%+v) mismatch (-counted +kept):\n%s", step, f, diff)
	}
}
