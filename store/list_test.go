package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// listUnit is the seeded unit with a fifth of the certificates, and
// listPatient a patient of it with two certificates.
const (
	listUnit    = "SE2321000016-UNIT"
	listPatient = "190000000010"
)

// seedList writes n certificates behind the store's back, for speed, in
// the proportions of a busy service: a fifth at listUnit and the rest at
// 49 other units, two per patient; 25 % received, 70 % handled, 3 %
// replaced, 2 % revoked; three templates; 2 % asking for contact; 1 %
// flagged day180; 6 % with a message, a third of them at listUnit (two
// thirds open, half of those overdue, and a third answered: the agency
// asks for a completion of about one certificate in five).
// Each row is as large as a real one (the bytes of a submission with every
// optional field, a record of some 2.4 KB), so that a page or count that
// reads the certificates reads pages as full as in service: with rows of a
// few bytes each list page had read ten times fewer. Then it brings the
// planner's statistics up to date.
func seedList(tb testing.TB, db *store.DB, n int) {
	tb.Helper()
	ctx := context.Background()
	submitted, err := os.ReadFile(filepath.Join("..", "examples", "fk7804", "valid", "all-optional-fields.json"))
	if err != nil {
		tb.Fatal(err)
	}
	text := strings.Repeat("Arbetsförmågan är nedsatt. ", 85) // about the free text of a real record
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(t time.Time) any {
		if db.Dialect() == store.SQLite {
			return t.Format("2006-01-02T15:04:05.000000Z")
		}
		return t
	}
	yes := func(b bool) any {
		if db.Dialect() == store.SQLite {
			if b {
				return 1
			}
			return 0
		}
		return b
	}
	const chunk = 500
	var certs, flags, msgs []string
	var cargs, fargs, margs []any
	flush := func() {
		for _, s := range []struct {
			q    string
			rows []string
			args []any
		}{
			{`INSERT INTO certificates (id, template, version, status, submitted, sha256, record, patient_id, issuer_hsa_id, unit_hsa_id,
				signed_at, received_at, contact_requested, counts_toward_cases, handled) VALUES `, certs, cargs},
			{`INSERT INTO certificate_flags (certificate_id, code, raised_at) VALUES `, flags, fargs},
			{`INSERT INTO messages (id, certificate_id, unit_hsa_id, patient_id, type, reply_by, sent_at, sent_by, status) VALUES `, msgs, margs},
		} {
			if len(s.rows) == 0 {
				continue
			}
			if err := db.Exec(ctx, s.q+strings.Join(s.rows, ", "), s.args...); err != nil {
				tb.Fatal(err)
			}
		}
		certs, flags, msgs, cargs, fargs, margs = nil, nil, nil, nil, nil, nil
	}
	statuses := []intake.Status{intake.StatusHandled, intake.StatusReceived, intake.StatusReceived, intake.StatusHandled, intake.StatusHandled}
	templates := []string{"fk7804", "fk7804", "fk7804", "fk7804", "fk7804", "fk7804", "fk7810", "fk7804", "fk7804", "fk7800"}
	for i := range n {
		id := fmt.Sprintf("c%07d", i)
		patient := fmt.Sprintf("19%010d", i/2*2)
		unit := fmt.Sprintf("SE2321000016-%04d", i%49)
		if i%10 < 2 {
			unit = listUnit
			patient = fmt.Sprintf("19%010d", i/10*10) // two of each patient of the unit land here
		}
		status := statuses[i%5]
		switch i % 100 {
		case 7, 57, 97:
			status = intake.StatusReplaced
		case 13, 63:
			status = intake.StatusRevoked
		}
		received := start.Add(time.Duration(i) * time.Minute)
		certs = append(certs, "(?, ?, '1', ?, ?, 'x', ?, ?, 'SE2321000016-DOC1', ?, ?, ?, ?, ?, ?)")
		cargs = append(cargs, id, templates[i%len(templates)], string(status), submitted, `{"patient": {"id": "`+patient+`", "name": "Patient"}, "answers": {"otherInformation": "`+text+`"}}`, patient, unit,
			at(received), at(received), yes(i%50 == 3), yes(true), yes(status == intake.StatusHandled))
		if i%100 == 11 {
			flags, fargs = append(flags, "(?, 'day180', ?)"), append(fargs, id, at(received))
		}
		if i%50 == 1 || i%50 == 17 || i%50 == 33 { // a third at listUnit
			state, replyBy := "open", "2026-12-31"
			switch i / 50 % 3 {
			case 0:
				replyBy = "2026-01-31" // overdue
			case 1:
				state = "answered"
			}
			msgs = append(msgs, "(?, ?, ?, ?, 'contact', ?, ?, 'caseworker', ?)")
			margs = append(margs, "m"+id, id, unit, patient, replyBy, at(received), state)
		}
		if len(certs) == chunk {
			flush()
		}
	}
	flush()
	// What the store keeps beside the certificates, as migration 00012
	// fills it for those stored before it.
	if err := store.RedoMigration(ctx, db, 12); err != nil {
		tb.Fatal(err)
	}
	if db.Dialect() == store.Postgres {
		// As autovacuum would have by now: index-only scans need the
		// visibility map.
		if err := db.Exec(ctx, `VACUUM ANALYZE`); err != nil {
			tb.Fatal(err)
		}
	}
	if err := db.Optimize(ctx); err != nil {
		tb.Fatal(err)
	}
}

// listQuery is one list, search or queue page as the web asks for it.
type listQuery struct {
	name string
	f    intake.CertificateFilter
}

func listQueries() []listQuery {
	ptr := func(s string) *string { return &s }
	status := func(s intake.Status) *intake.Status { return &s }
	units := func(us ...string) *[]string { return &us }
	yes := true
	today, _ := intake.ParseDate("2026-11-23")
	return []listQuery{
		{"queue", intake.CertificateFilter{}},
		{"queue received", intake.CertificateFilter{Status: status(intake.StatusReceived)}},
		{"queue revoked", intake.CertificateFilter{Status: status(intake.StatusRevoked)}},
		{"queue template", intake.CertificateFilter{Template: ptr("fk7800")}},
		{"queue template received", intake.CertificateFilter{Template: ptr("fk7810"), Status: status(intake.StatusReceived)}},
		{"queue contact", intake.CertificateFilter{ContactRequested: &yes}},
		{"queue flag", intake.CertificateFilter{Flag: ptr("day180")}},
		{"queue messages open", intake.CertificateFilter{Messages: ptr("open"), Today: today}},
		{"queue messages overdue", intake.CertificateFilter{Messages: ptr("overdue"), Today: today}},
		{"queue unit", intake.CertificateFilter{Units: units(listUnit)}},
		{"queue patient", intake.CertificateFilter{PatientID: ptr(listPatient)}},
		{"clinic list", intake.CertificateFilter{Units: units(listUnit)}},
		{"clinic list received", intake.CertificateFilter{Units: units(listUnit), Status: status(intake.StatusReceived)}},
		{"clinic list messages open", intake.CertificateFilter{Units: units(listUnit), Messages: ptr("open"), Today: today}},
		{"clinic list messages overdue", intake.CertificateFilter{Units: units(listUnit), Messages: ptr("overdue"), Today: today}},
		{"clinic patient search", intake.CertificateFilter{Units: units(listUnit), PatientID: ptr(listPatient)}},
		{"clinic patient search, two units", intake.CertificateFilter{Units: units(listUnit, "SE2321000016-0001"), PatientID: ptr(listPatient)}},
	}
}

// TestListQueryPlans seeds 20,000 certificates and asserts that every
// list, search and queue page reads through an index, in the order of the
// page (no sort of everything that matches, no full scan of the table),
// so that its cost grows with the page, not the table; and that the
// counts per status read the counts kept per unit, template and status,
// or the rows of a flag or of messages that keep their certificates'
// status, where the filter allows (never the certificates), and otherwise
// an index, not the table.
func TestListQueryPlans(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		seedList(t, db, 20_000)
		for _, tt := range listQueries() {
			t.Run(tt.name, func(t *testing.T) {
				plan, err := db.ExplainFindCertificates(ctx, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				if bad := fullScans(db.Dialect(), plan, tt.f); bad != "" {
					t.Errorf("FindCertificates: %s in the plan:\n%s", bad, strings.Join(plan, "\n"))
				}
				plan, err = db.ExplainCountCertificates(ctx, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				if bad := countScans(db.Dialect(), plan, tt.f); bad != "" {
					t.Errorf("CountCertificatesByStatus: %s in the plan:\n%s", bad, strings.Join(plan, "\n"))
				}
				got, _, err := db.FindCertificates(ctx, tt.f)
				if err != nil || len(got) == 0 {
					t.Errorf("FindCertificates() = %d certificates, %v; the seed should match some", len(got), err)
				}
				// A later page: the cursor is where the page starts in
				// the index, not a filter over every entry before it.
				f := tt.f
				f.Limit = 1
				if _, f.Cursor, err = db.FindCertificates(ctx, f); err != nil || f.Cursor == "" {
					t.Fatalf("FindCertificates(limit 1) = next %q, %v; the seed should match more", f.Cursor, err)
				}
				if plan, err = db.ExplainFindCertificates(ctx, f); err != nil {
					t.Fatal(err)
				}
				if bad := fullScans(db.Dialect(), plan, f); bad != "" {
					t.Errorf("FindCertificates after a cursor: %s in the plan:\n%s", bad, strings.Join(plan, "\n"))
				}
				if bad := cursorBound(db.Dialect(), plan, f); bad != "" {
					t.Errorf("FindCertificates after a cursor: %s in the plan:\n%s", bad, strings.Join(plan, "\n"))
				}
			})
		}
	})
}

// cursorBound names what is wrong with a later page's plan: its cursor
// not a bound of the index range it reads (but for a patient's
// certificates, which are few and sorted, and messages sorted before
// they are joined).
func cursorBound(dialect string, plan []string, f intake.CertificateFilter) string {
	if f.PatientID != nil {
		return ""
	}
	for _, line := range plan {
		switch dialect {
		case store.SQLite:
			if strings.HasPrefix(line, "SEARCH") && strings.Contains(line, "_at<?") {
				return ""
			}
		default:
			// Or the messages in a state sorted before a page of them
			// is joined (fullScans): the cursor is a filter on them.
			if strings.Contains(line, "Index Cond:") && strings.Contains(line, "_at <=") || messagesSorted(line) {
				return ""
			}
		}
	}
	return "the cursor not a bound of the index read"
}

// fullScans names what in a page's plan costs more than the page: a scan
// of certificates in no index's order, a sort of every match (of many), or (with a
// filter the seed makes rare) walking the whole newest-first index.
func fullScans(dialect string, plan []string, f intake.CertificateFilter) string {
	rare := f.PatientID != nil || f.Flag != nil || f.ContactRequested != nil || f.Messages != nil || f.Template != nil || f.Units != nil ||
		(f.Status != nil && *f.Status != intake.StatusReceived)
	// Sorting the matches is fine where they are few whatever the size of
	// the table: a patient's certificates.
	sortable := f.PatientID == nil
	for i, line := range plan {
		switch dialect {
		case store.SQLite:
			switch {
			case strings.HasPrefix(line, "SCAN certificates") && !strings.Contains(line, "INDEX"):
				return "a full scan"
			case strings.Contains(line, "USE TEMP B-TREE FOR ORDER BY") && sortable:
				return "a sort of every match"
			case strings.HasPrefix(line, "SCAN certificates USING INDEX certificates_received") && rare:
				return "a walk of the whole table's index for a rare filter"
			}
		default:
			switch {
			case strings.Contains(line, "Seq Scan on certificates"):
				return "a full scan"
			case !strings.HasPrefix(strings.TrimSpace(line), "Sort Key:") || !sortable || strings.Contains(plan[i-1], "Incremental"):
			case messagesSorted(line):
			default:
				return "a sort of every match"
			}
		}
	}
	return ""
}

// messagesSorted says whether a line of PostgreSQL's plan sorts the
// messages in a state before a page of them is joined to its
// certificates: small rows, which fullScans and cursorBound allow.
func messagesSorted(line string) bool {
	key := strings.TrimSpace(line)
	return strings.HasPrefix(key, "Sort Key: m.") && !strings.Contains(key, "certificates.")
}

// countScans names what in a count's plan costs more than it should: for
// a filter of units and template alone (the queue unfiltered or by
// status, a unit's list), any read of the certificates rather than the
// kept counts, and for one of a flag alone, or of messages (at units),
// rather than the flag's or the messages' rows; otherwise, on SQLite, a
// scan of the certificates table (counting every match through a
// covering index is what a count is; PostgreSQL weighs a scan by the
// table's size, and at 20,000 narrow rows prefers one).
func countScans(dialect string, plan []string, f intake.CertificateFilter) string {
	kept := f.PatientID == nil && f.Flag == nil && f.ContactRequested == nil && f.Messages == nil && f.ReceivedSince == nil
	// A flag's or messages' rows keep their certificate's status (and a
	// message its unit).
	ownRows := f.Template == nil && f.PatientID == nil && f.ContactRequested == nil && f.ReceivedSince == nil &&
		(f.Flag != nil && f.Messages == nil && f.Units == nil || f.Flag == nil && f.Messages != nil)
	for _, line := range plan {
		switch {
		case (kept || ownRows) && (strings.Contains(line, "certificates ") || strings.Contains(line, "on certificates") || strings.HasSuffix(line, "certificates")):
			return "a read of the certificates"
		case dialect == store.SQLite && strings.HasPrefix(line, "SCAN certificates") && !strings.Contains(line, "COVERING INDEX"):
			return "a scan of the table"
		}
	}
	return ""
}

// BenchmarkLists answers every list, search and queue page (and the
// counts per status of the queue) over 100,000 certificates, and reports
// the median of each.
func BenchmarkLists(b *testing.B) {
	benchDialects(b, func(b *testing.B, db *store.DB) {
		seedList(b, db, 100_000)
		ctx := context.Background()
		for _, tt := range listQueries() {
			b.Run(strings.ReplaceAll(tt.name, " ", "_"), func(b *testing.B) {
				var page, count []time.Duration
				for b.Loop() {
					t0 := time.Now()
					if _, _, err := db.FindCertificates(ctx, tt.f); err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					if _, err := db.CountCertificatesByStatus(ctx, tt.f); err != nil {
						b.Fatal(err)
					}
					page, count = append(page, t1.Sub(t0)), append(count, time.Since(t1))
				}
				b.ReportMetric(median(page).Seconds()*1000, "page-p50-ms")
				b.ReportMetric(median(count).Seconds()*1000, "count-p50-ms")
			})
		}
	})
}

func median(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// BenchmarkListsDeep answers a page far into a list over 100,000
// certificates (after 50,000 of the queue, 15,000 of a unit's, 1,500 of
// the open messages' certificates), and reports the median: what a
// client that reads a whole list pays for each page. TestListQueryPlans
// checks that a cursor is a bound of the index a page reads.
func BenchmarkListsDeep(b *testing.B) {
	benchDialects(b, func(b *testing.B, db *store.DB) {
		seedList(b, db, 100_000)
		ctx := context.Background()
		today, _ := intake.ParseDate("2026-11-23")
		for _, tt := range []struct {
			name  string
			f     intake.CertificateFilter
			pages int // of 500 before the page measured
		}{
			{"queue", intake.CertificateFilter{}, 100},
			{"clinic list", intake.CertificateFilter{Units: &[]string{listUnit}}, 30},
			{"queue messages open", intake.CertificateFilter{Messages: ptr("open"), Today: today}, 3},
		} {
			b.Run(strings.ReplaceAll(tt.name, " ", "_"), func(b *testing.B) {
				f := tt.f
				f.Limit = 500
				for range tt.pages {
					_, next, err := db.FindCertificates(ctx, f)
					if err != nil || next == "" {
						b.Fatalf("FindCertificates() = next %q, %v; the seed should match more", next, err)
					}
					f.Cursor = next
				}
				f.Limit = 50
				var page []time.Duration
				for b.Loop() {
					t0 := time.Now()
					if _, _, err := db.FindCertificates(ctx, f); err != nil {
						b.Fatal(err)
					}
					page = append(page, time.Since(t0))
				}
				b.ReportMetric(median(page).Seconds()*1000, "page-p50-ms")
			})
		}
	})
}

// messageListQuery is one page of the messages' list as the web asks for
// it.
type messageListQuery struct {
	name string
	f    intake.MessageFilter
}

// messageListQueries are the messages' lists (GET /api/v1/messages) over
// seedList's messages: everywhere and at a unit, by status and overdue.
func messageListQueries() []messageListQuery {
	today, _ := intake.ParseDate("2026-11-23")
	unit := &[]string{listUnit}
	return []messageListQuery{
		{"messages", intake.MessageFilter{Today: today}},
		{"messages open", intake.MessageFilter{Status: ptr(intake.MessageOpen), Today: today}},
		{"messages answered", intake.MessageFilter{Status: ptr(intake.MessageAnswered), Today: today}},
		{"messages overdue", intake.MessageFilter{Overdue: true, Today: today}},
		{"unit messages", intake.MessageFilter{Units: unit, Today: today}},
		{"unit messages open", intake.MessageFilter{Units: unit, Status: ptr(intake.MessageOpen), Today: today}},
		{"unit messages overdue", intake.MessageFilter{Units: unit, Overdue: true, Today: today}},
	}
}

// BenchmarkMessageLists answers each first page of the messages' lists
// over 100,000 certificates (6,000 messages) and reports the median.
func BenchmarkMessageLists(b *testing.B) {
	benchDialects(b, func(b *testing.B, db *store.DB) {
		seedList(b, db, 100_000)
		ctx := context.Background()
		for _, tt := range messageListQueries() {
			b.Run(strings.ReplaceAll(tt.name, " ", "_"), func(b *testing.B) {
				var page []time.Duration
				for b.Loop() {
					t0 := time.Now()
					ms, _, err := db.FindMessages(ctx, tt.f)
					if err != nil || len(ms) == 0 {
						b.Fatalf("FindMessages() = %d messages, %v", len(ms), err)
					}
					page = append(page, time.Since(t0))
				}
				b.ReportMetric(median(page).Seconds()*1000, "page-p50-ms")
			})
		}
	})
}

// TestMessageListPlans seeds 20,000 certificates with 1,200 messages,
// then gives each certificate a closed message, as in service, where
// most messages are answered or closed long since. It asserts that each
// default page of the messages' lists, and its page after a cursor,
// reads an index in the page's order from its cursor on, rather than
// sorting every message in a state, and that a page of a state (open,
// answered, overdue) reads the index of messages by state: the page's
// cost grows with the page, not with the messages.
func TestMessageListPlans(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		seedList(t, db, 20_000)
		if err := db.Exec(ctx, `INSERT INTO messages (id, certificate_id, unit_hsa_id, patient_id, type, reply_by, sent_at, sent_by, status)
			SELECT 'closed-' || id, id, unit_hsa_id, patient_id, 'contact', '', received_at, 'caseworker', 'closed' FROM certificates`); err != nil {
			t.Fatal(err)
		}
		if err := db.Optimize(ctx); err != nil {
			t.Fatal(err)
		}
		if db.Dialect() == store.Postgres {
			if err := db.Exec(ctx, `VACUUM ANALYZE messages`); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range messageListQueries() {
			t.Run(tt.name, func(t *testing.T) {
				f := tt.f // the default page
				plan, err := db.ExplainFindMessages(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if bad := messageScans(db.Dialect(), plan, f); bad != "" {
					t.Errorf("FindMessages: %s in the plan:\n%s", bad, strings.Join(plan, "\n"))
				}
				if _, f.Cursor, err = db.FindMessages(ctx, f); err != nil || f.Cursor == "" {
					t.Fatalf("FindMessages() = next %q, %v; the seed should match more than a page", f.Cursor, err)
				}
				if plan, err = db.ExplainFindMessages(ctx, f); err != nil {
					t.Fatal(err)
				}
				if bad := messageScans(db.Dialect(), plan, f); bad != "" {
					t.Errorf("FindMessages after a cursor: %s in the plan:\n%s", bad, strings.Join(plan, "\n"))
				}
				if bad := messageCursorBound(db.Dialect(), plan, f); bad != "" {
					t.Errorf("FindMessages after a cursor: %s in the plan:\n%s", bad, strings.Join(plan, "\n"))
				}
			})
		}
	})
}

// messageScans names what in a messages' page's plan costs more than the
// page: a scan of the table, a sort of every match, or, for a state, a
// read of any index but the one of messages by state. PostgreSQL may sort
// the overdue messages, which it finds by their state and reply date,
// when it expects them few (overdueSorted).
func messageScans(dialect string, plan []string, f intake.MessageFilter) string {
	byState := false
	for _, line := range plan {
		switch {
		case dialect == store.SQLite && strings.HasPrefix(line, "SCAN messages") && !strings.Contains(line, "INDEX"),
			dialect != store.SQLite && strings.Contains(line, "Seq Scan on messages"):
			return "a full scan"
		case dialect == store.SQLite && strings.Contains(line, "USE TEMP B-TREE FOR ORDER BY"),
			dialect != store.SQLite && strings.HasPrefix(strings.TrimSpace(line), "Sort Key:") && !overdueSorted(dialect, plan, f):
			return "a sort of every match"
		case strings.Contains(line, "messages_status_sent") || strings.Contains(line, "messages_unit_status_sent"):
			byState = true
		}
	}
	if (f.Status != nil || f.Overdue && !overdueSorted(dialect, plan, f)) && !byState {
		return "a state's messages not read by the index by state"
	}
	return ""
}

// overdueSorted says whether PostgreSQL's plan of an overdue page reads
// the open messages past their reply date through an index, to sort them.
func overdueSorted(dialect string, plan []string, f intake.MessageFilter) bool {
	if dialect == store.SQLite || !f.Overdue {
		return false
	}
	for _, line := range plan {
		if strings.Contains(line, "Index Cond:") && strings.Contains(line, "status = 'open'") && strings.Contains(line, "reply_by <") {
			return true
		}
	}
	return false
}

// messageCursorBound names what is wrong with a later messages' page's
// plan: its cursor not a bound of the index range it reads.
func messageCursorBound(dialect string, plan []string, f intake.MessageFilter) string {
	if overdueSorted(dialect, plan, f) {
		return ""
	}
	for _, line := range plan {
		if dialect == store.SQLite && strings.HasPrefix(line, "SEARCH messages") && strings.Contains(line, "sent_at<?") ||
			dialect != store.SQLite && strings.Contains(line, "Index Cond:") && strings.Contains(line, "sent_at <=") {
			return ""
		}
	}
	return "the cursor not a bound of the index read"
}
