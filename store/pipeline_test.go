package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/url"
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

// TestPipelineFailureTakesOnlyItself stores 64 new certificates at once on
// PostgreSQL, which sends them in shared pipelines; every eighth has a
// patient name PostgreSQL refuses (a NUL byte), which aborts the pipeline
// it is in. Each refused one must fail alone: the others are stored, each
// once, under its key if it has one. Half have none, so that a pipeline
// that committed part of its inserts before failing would show: the part
// run again would collide with itself.
func TestPipelineFailureTakesOnlyItself(t *testing.T) {
	db := mustOpenDB(t, store.Postgres, pgtest.DSN(t))
	ctx := context.Background()
	tx0, w0 := db.WriteStats()
	certs := make([]*intake.Certificate, 64)
	var body []byte
	for i := range certs {
		certs[i], body = mustCertificate(t, "full-time-one-period.json")
		if i%8 == 0 {
			certs[i].Patient.Name = "Bad\x00Name"
		}
	}
	unit := certs[0].Issuer.Unit.HSAID
	_, errs := createAtOnce(t, db, certs, body, func(i int) bool { return i%2 == 1 }, nil)
	for i, err := range errs {
		if i%8 == 0 && err == nil {
			t.Errorf("certificate %d with a NUL in its name was stored", i)
		}
		if i%8 != 0 && err != nil {
			t.Errorf("certificate %d: %v", i, err)
		}
	}
	if n, _ := db.CountCertificates(ctx); n != 56 {
		t.Errorf("%d certificates stored, want 56", n)
	}
	for i := 1; i < len(errs); i += 2 {
		c, err := db.FindCertificateByIdempotencyKey(ctx, intake.Idempotency{Scope: unit, Key: fmt.Sprint("key-", i)})
		if err != nil || c == nil {
			t.Errorf("certificate %d under its key: %v, %v", i, c, err)
		}
	}
	tx, w := db.WriteStats()
	if w-w0 != 56 || tx-tx0 >= 56 {
		t.Errorf("56 inserts took %d transactions for %d writes; want them shared", tx-tx0, w-w0)
	}
	if n := db.PipelineWrites(); n != 56 {
		t.Errorf("%d inserts went through pipelines, want all 56", n)
	}
}

// TestPipelineCutAfterItsCommit cuts the connection of a pipeline after
// PostgreSQL received it, so that it commits while its answers are lost:
// the commit is in doubt. The pipeline is sent again, and each caller must
// be told its certificate was stored, once, as a fresh submission, with
// or without a key; and with flags, each patient's own, a certificate
// sent again must not count as a change of its patient's history (it
// would be flagged again, from a history holding itself).
func TestPipelineCutAfterItsCommit(t *testing.T) {
	for _, tt := range []struct{ keyed, flagged bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		keyed := tt.keyed
		t.Run(fmt.Sprintf("keyed=%v,flagged=%v", tt.keyed, tt.flagged), func(t *testing.T) {
			dsn := pgtest.DSN(t)
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatal(err)
			}
			var armed atomic.Bool
			u.Host = cuttingProxy(t, u.Host, &armed)
			db := mustOpenDB(t, store.Postgres, u.String())
			ctx := context.Background()
			certs := make([]*intake.Certificate, 16)
			var body []byte
			for i := range certs {
				certs[i], body = mustCertificate(t, "full-time-one-period.json")
				certs[i].Patient.ID, certs[i].CountsTowardCases = fmt.Sprintf("19%010d", i+1), true
			}
			var flags intake.FlagFunc
			var flagged atomic.Int32
			if tt.flagged {
				flags = func(c *intake.Certificate, history []intake.CaseCertificate) []intake.Flag {
					flagged.Add(1)
					if len(history) > 0 {
						t.Errorf("certificate %s flagged from a history of %d, want none (each patient has one)", c.ID, len(history))
					}
					return nil
				}
			}
			armed.Store(true)
			replays, errs := createAtOnce(t, db, certs, body, func(int) bool { return keyed }, flags)
			if armed.Load() {
				t.Fatal("no pipeline of two or more inserts was cut; the test proved nothing")
			}
			if n := flagged.Load(); tt.flagged && n != int32(len(certs)) {
				t.Errorf("flags made %d times for %d certificates, want once each", n, len(certs))
			}
			for i := range certs {
				if errs[i] != nil || replays[i] {
					t.Errorf("certificate %d: replay %v, %v; want stored", i, replays[i], errs[i])
				}
			}
			if n, _ := db.CountCertificates(ctx); n != len(certs) {
				t.Errorf("%d certificates stored for %d submissions", n, len(certs))
			}
		})
	}
}

// createAtOnce stores certs (submitted as body) from a goroutine each, all
// queued behind a first pipeline held until they are (holdUntilQueued),
// those that keyed says under the key "key-i" at their unit, with flags.
// It returns what each was answered.
func createAtOnce(t *testing.T, db *store.DB, certs []*intake.Certificate, body []byte, keyed func(i int) bool, flags intake.FlagFunc) (replays []bool, errs []error) {
	t.Helper()
	replays, errs = make([]bool, len(certs)), make([]error, len(certs))
	release := holdUntilQueued(t, db, "certificates", db.PipelinesWaiting)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range certs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var idem *intake.Idempotency
			if keyed(i) {
				idem = &intake.Idempotency{Scope: c.Issuer.Unit.HSAID, Key: fmt.Sprint("key-", i)}
			}
			_, replays[i], errs[i] = db.CreateCertificate(context.Background(), c, body, idem, flags)
		}()
	}
	close(start)
	release()
	wg.Wait()
	return replays, errs
}

// holdUntilQueued locks table, so that the first batch to read or write
// it waits; the release it returns waits until the jobs queued behind it
// (queued) have stopped growing, then unlocks the table. The batches after
// the first are then full, however slowly the machine runs the callers.
// PostgreSQL only.
func holdUntilQueued(t *testing.T, db *store.DB, table string, queued func() int) (release func()) {
	t.Helper()
	ctx := context.Background()
	unlock, err := db.HoldTable(ctx, table)
	if err != nil {
		t.Fatal(err)
	}
	return func() {
		last, stable := -1, 0
		for deadline := time.Now().Add(10 * time.Second); stable < 10 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			waits, err := db.LockWaits(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n := queued(); waits > 0 && n == last {
				stable++
			} else {
				last, stable = n, 0
			}
		}
		unlock()
	}
}

// cuttingProxy forwards connections to target. Once armed, it disarms on
// the first insert of two or more certificates a client sends (a pipeline
// of two or more statements, or one insert statement, 28 parameters, whose
// Bind carries more than one certificate's bytes: one example's is under
// 6,000), forwards it, waits for PostgreSQL to commit it and closes both
// ends without forwarding the answers.
func cuttingProxy(t *testing.T, target string, armed *atomic.Bool) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			var cut atomic.Bool
			go func() { // client to server, message by message
				defer server.Close()
				var head [5]byte
				if _, err := io.ReadFull(client, head[:4]); err != nil { // the startup message has no type
					return
				}
				rest := make([]byte, binary.BigEndian.Uint32(head[:4])-4)
				if _, err := io.ReadFull(client, rest); err != nil {
					return
				}
				server.Write(append(head[:4:4], rest...))
				binds := 0
				for {
					if _, err := io.ReadFull(client, head[:]); err != nil {
						return
					}
					body := make([]byte, binary.BigEndian.Uint32(head[1:])-4)
					if _, err := io.ReadFull(client, body); err != nil {
						return
					}
					switch head[0] {
					case 'B': // an insert's; the lock of the patients (one parameter) is not counted
						if bindParams(body) == 29 { // insertCertificatesPostgresSQL's
							binds++
							if len(body) > 6000 {
								binds++
							}
						}
					case 'S':
						if binds >= 2 && armed.CompareAndSwap(true, false) {
							cut.Store(true)
						}
						binds = 0
					}
					server.Write(append(head[:5:5], body...))
				}
			}()
			go func() { // server to client, until the cut
				defer client.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := server.Read(buf)
					if cut.Load() {
						time.Sleep(500 * time.Millisecond) // PostgreSQL commits
						server.Close()
						return
					}
					if n > 0 {
						client.Write(buf[:n])
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// bindParams returns how many parameters a Bind message's body binds: it
// names a portal and a statement, then gives the formats of the
// parameters, then their number.
func bindParams(body []byte) int {
	for range 2 {
		i := bytes.IndexByte(body, 0)
		if i < 0 {
			return -1
		}
		body = body[i+1:]
	}
	if len(body) < 2 {
		return -1
	}
	formats := int(binary.BigEndian.Uint16(body))
	if len(body) < 4+2*formats {
		return -1
	}
	return int(binary.BigEndian.Uint16(body[2+2*formats:]))
}

// TestPipelineWithdrawsAGoneCaller holds up a pipeline (its insert waits
// for an uncommitted one under the same key) and queues a second insert
// behind it, whose caller gives up: the caller must get its error at once,
// not when the pipeline ahead finishes, and its certificate must not be
// stored after.
func TestPipelineWithdrawsAGoneCaller(t *testing.T) {
	db := mustOpenDB(t, store.Postgres, pgtest.DSN(t))
	ctx := context.Background()
	held, body := mustCertificate(t, "full-time-one-period.json")
	unit := held.Issuer.Unit.HSAID
	release, err := db.HoldKey(ctx, unit, "held")
	if err != nil {
		t.Fatal(err)
	}
	heldDone := make(chan error, 1)
	go func() {
		_, _, err := db.CreateCertificate(ctx, held, body, &intake.Idempotency{Scope: unit, Key: "held"}, nil)
		heldDone <- err
	}()
	for waits := 0; waits == 0; {
		if waits, err = db.LockWaits(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	gone, _ := mustCertificate(t, "full-time-one-period.json")
	goneCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	answered := make(chan error, 1)
	go func() {
		_, _, err := db.CreateCertificate(goneCtx, gone, body, nil, nil)
		answered <- err
	}()
	select {
	case err := <-answered:
		if err == nil {
			t.Error("an insert whose caller gave up was stored")
		}
	case <-time.After(5 * time.Second):
		t.Error("a caller that gave up still waits for the pipeline ahead")
	}
	release()
	if err := <-heldDone; err != nil {
		t.Fatalf("the held-up insert: %v", err)
	}
	if n, _ := db.CountCertificates(ctx); n != 1 {
		t.Errorf("%d certificates stored, want the held-up one only", n)
	}
}

// TestInsertsTogetherStoreWhatEachDoes stores every valid example four
// times (with flags on some) on two databases of each dialect: half at
// once and then the other half on one, where they go in one insert
// statement a table (on SQLite in statements of up to 64 rows), and one
// by one on the other, where each goes in a statement of its own. What
// each database then holds of them, row by row in every table a
// certificate writes, must be the same.
func TestInsertsTogetherStoreWhatEachDoes(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "examples", "fk7804", "valid", "*.json"))
	if err != nil || len(files) < 10 {
		t.Fatalf("%d valid examples (%v), want the folder's", len(files), err)
	}
	files = slices.Concat(files, files, files, files) // over 64 of each row
	examples := func() (certs []*intake.Certificate, bodies [][]byte) {
		for i, f := range files {
			c, body := mustCertificate(t, filepath.Base(f))
			if i%3 == 0 {
				c.Flags = []intake.Flag{{Code: "long-sick-leave"}, {Code: fmt.Sprint("flag-", i)}}
			}
			certs, bodies = append(certs, c), append(bodies, body)
		}
		return certs, bodies
	}
	idem := func(c *intake.Certificate, i int) *intake.Idempotency {
		return &intake.Idempotency{Scope: c.Issuer.Unit.HSAID, Key: fmt.Sprint("key-", i)}
	}
	ctx := context.Background()
	for _, driver := range []string{store.SQLite, store.Postgres} {
		t.Run(driver, func(t *testing.T) {
			joinedDSN := newDSN(t, driver)
			joined := mustOpenDB(t, driver, joinedDSN)
			certs, bodies := examples()
			// Two rounds, so that the second adds to counts the first
			// stored, several certificates of a unit at once.
			half := len(certs) / 2
			for _, round := range [][2]int{{0, half}, {half, len(certs)}} {
				release := holdInserts(t, joined)
				var wg sync.WaitGroup
				errs := make([]error, len(certs))
				for i := round[0]; i < round[1]; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, _, errs[i] = joined.CreateCertificate(ctx, certs[i], bodies[i], idem(certs[i], i), nil)
					}()
				}
				release(round[1] - round[0])
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("%s: %v", files[i], err)
					}
				}
			}
			// The first insert of a round may have been taken alone; on
			// PostgreSQL a pipeline carries up to 64.
			if n := joined.JoinedWrites(); n < int64(len(certs)-2) {
				t.Fatalf("%d of %d inserts went in one statement with others, want all, or all but the first of each round", n, len(certs))
			}

			eachDSN := newDSN(t, driver)
			each := mustOpenDB(t, driver, eachDSN)
			certs, bodies = examples()
			for i, c := range certs {
				if _, _, err := each.CreateCertificate(ctx, c, bodies[i], idem(c, i), nil); err != nil {
					t.Fatalf("%s: %v", files[i], err)
				}
			}
			if n := each.JoinedWrites(); n != 0 {
				t.Fatalf("%d inserts one by one went in one statement", n)
			}

			// Each table's rows, the certificate named by its key, times by
			// whether they are the certificate's received_at.
			record, submitted, counts := `(record - 'id' - 'receivedAt')::text`, `md5(submitted)`, `SELECT unit_hsa_id, template, status, sum(n) FROM (
				SELECT unit_hsa_id, template, status, n FROM certificate_counts
				UNION ALL SELECT unit_hsa_id, template, status, n FROM certificate_count_changes) AS k
				GROUP BY unit_hsa_id, template, status`
			if driver == store.SQLite {
				record, submitted, counts = `json_remove(record, '$.id', '$.receivedAt')`, `hex(submitted)`,
					`SELECT unit_hsa_id, template, status, n FROM certificate_counts`
			}
			tables := map[string]string{
				"certificates": `SELECT idempotency_key, idempotency_scope, template, version, status, sha256, ` + submitted + `,
					` + record + `, patient_id, issuer_hsa_id, unit_hsa_id, signed_at, contact_requested, counts_toward_cases
					FROM certificates`,
				"events": `SELECT c.idempotency_key, e.status, e.actor, e.at = c.received_at
					FROM certificate_events e JOIN certificates c ON c.id = e.certificate_id`,
				"periods": `SELECT c.idempotency_key, p.patient_id, p.degree, p.from_date, p.to_date
					FROM certificate_periods p JOIN certificates c ON c.id = p.certificate_id`,
				"flags": `SELECT c.idempotency_key, f.code, f.raised_at = c.received_at
					FROM certificate_flags f JOIN certificates c ON c.id = f.certificate_id`,
				"diagnoses": `SELECT c.idempotency_key, d.position, d.code
					FROM certificate_diagnoses d JOIN certificates c ON c.id = d.certificate_id`,
				"case periods": `SELECT c.idempotency_key, p.unit_hsa_id, p.patient_id, p.from_date, p.to_date, p.degree, p.signed_at, p.patient_name, p.diagnosis
					FROM case_periods p JOIN certificates c ON c.id = p.certificate_id`,
				"counts": counts,
			}
			for name, q := range tables {
				want, got := dump(t, driver, eachDSN, q), dump(t, driver, joinedDSN, q)
				if len(want) == 0 {
					t.Errorf("%s: no rows stored one by one; the test proves nothing", name)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("%s: stored in one statement differs from one by one (-each +joined):\n%s", name, d)
				}
			}
			// Both went through one statement text; the diagnoses and flags
			// must also be the certificates' own, in order.
			var diagnoses, flags []string
			for i, c := range certs {
				for pos, d := range c.Diagnoses {
					diagnoses = append(diagnoses, fmt.Sprint(fmt.Sprint("key-", i), int64(pos), d.Code))
				}
				for _, f := range c.Flags {
					flags = append(flags, fmt.Sprint(fmt.Sprint("key-", i), f.Code, sqlTrue(driver)))
				}
			}
			slices.Sort(diagnoses)
			slices.Sort(flags)
			if d := cmp.Diff(diagnoses, dump(t, driver, joinedDSN, tables["diagnoses"])); d != "" {
				t.Errorf("diagnoses stored differ from the certificates' (-want +got):\n%s", d)
			}
			if d := cmp.Diff(flags, dump(t, driver, joinedDSN, tables["flags"])); d != "" {
				t.Errorf("flags stored differ from the certificates' (-want +got):\n%s", d)
			}
		})
	}
}

// newDSN returns a new, empty database of driver's.
func newDSN(t *testing.T, driver string) string {
	if driver == store.SQLite {
		return filepath.Join(t.TempDir(), "intyg.db")
	}
	return pgtest.DSN(t)
}

// holdInserts holds db's inserts of new certificates: PostgreSQL's
// pipeline on a locked table, SQLite's writer on a write that waits.
// release returns once queued inserts wait behind it, and lets them go.
func holdInserts(t *testing.T, db *store.DB) (release func(queued int)) {
	if db.Dialect() == store.SQLite {
		return db.HoldWriter()
	}
	r := holdUntilQueued(t, db, "certificates", db.PipelinesWaiting)
	return func(int) { r() }
}

// sqlTrue is how driver's comparison that holds scans into an any.
func sqlTrue(driver string) any {
	if driver == store.SQLite {
		return int64(1)
	}
	return true
}

// dump returns what q selects from driver's database at dsn, a row a line,
// sorted.
func dump(t *testing.T, driver, dsn, q string) []string {
	t.Helper()
	name := "pgx"
	if driver == store.SQLite {
		name = "sqlite"
	}
	db, err := sql.Open(name, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestInsertsTogetherSameKey sends seven submissions under one key to
// be inserted together, on each dialect: one certificate is stored, the
// other six are answered as replays of it, and nothing else is written
// for them (seven: SQLite's query of what was inserted is padded to
// eight). On both the insert skips a used key (ON CONFLICT DO NOTHING),
// and what it skipped is read back as the replay.
func TestInsertsTogetherSameKey(t *testing.T) {
	for _, driver := range []string{store.SQLite, store.Postgres} {
		t.Run(driver, func(t *testing.T) {
			dsn := newDSN(t, driver)
			db := mustOpenDB(t, driver, dsn)
			ctx := context.Background()
			certs := make([]*intake.Certificate, 7)
			var body []byte
			for i := range certs {
				certs[i], body = mustCertificate(t, "full-time-one-period.json")
			}
			idem := &intake.Idempotency{Scope: certs[0].Issuer.Unit.HSAID, Key: "the-same-key"}
			release := holdInserts(t, db)
			stored := make([]*intake.Certificate, len(certs))
			replays, errs := make([]bool, len(certs)), make([]error, len(certs))
			var wg sync.WaitGroup
			for i, c := range certs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					stored[i], replays[i], errs[i] = db.CreateCertificate(ctx, c, body, idem, nil)
				}()
			}
			release(len(certs))
			wg.Wait()
			if n := db.JoinedWrites(); n < int64(len(certs)-1) {
				t.Fatalf("%d of %d inserts went in one statement with others, want all, or all but the first", n, len(certs))
			}
			fresh, ids := 0, map[string]bool{}
			for i := range certs {
				if errs[i] != nil {
					t.Fatalf("submission %d: %v", i, errs[i])
				}
				if !replays[i] {
					fresh++
				}
				ids[stored[i].ID] = true
			}
			if fresh != 1 || len(ids) != 1 {
				t.Errorf("%d stored as fresh, %d ids answered; want one certificate, the others replays of it", fresh, len(ids))
			}
			if n, _ := db.CountCertificates(ctx); n != 1 {
				t.Errorf("%d certificates stored, want 1", n)
			}
			// The replays wrote nothing else of their own either: not to
			// the counts or the case periods, which no foreign key guards.
			counts := `SELECT sum(n) FROM certificate_counts`
			if driver == store.Postgres {
				counts = `SELECT sum(n) FROM (SELECT n FROM certificate_counts UNION ALL SELECT n FROM certificate_count_changes) AS k`
			}
			for _, q := range []string{counts, `SELECT count(*) FROM certificate_events`,
				`SELECT count(DISTINCT certificate_id) FROM case_periods`, `SELECT count(DISTINCT certificate_id) FROM certificate_periods`} {
				if got := dump(t, driver, dsn, q); !slices.Equal(got, []string{"1"}) {
					t.Errorf("%s: %v, want 1", q, got)
				}
			}
		})
	}
}

// TestInsertsHeldBeforeOtherJobs holds SQLite's writer while a new
// certificate (held to be inserted with others) and then a replacement of
// another certificate (a job of its own) queue under one idempotency key,
// with other bytes. The held insert goes in before the job runs, in the
// order they came: the first is stored, the second is refused as a used
// key, and the certificate it would have replaced stays as it was. (The
// two share a batch, as HoldWriter holds the syncer too; four rounds all
// the same.)
func TestInsertsHeldBeforeOtherJobs(t *testing.T) {
	db := mustOpenDB(t, store.SQLite, newDSN(t, store.SQLite))
	ctx := context.Background()
	for round := range 4 {
		original, body := mustCertificate(t, "full-time-one-period.json")
		original, _, err := db.CreateCertificate(ctx, original, body, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		first, body := mustCertificate(t, "full-time-one-period.json")
		second, _ := mustCertificate(t, "full-time-one-period.json")
		second.Relation = &intake.Relation{Type: intake.RelationReplaces, Certificate: original.ID}
		idem := &intake.Idempotency{Scope: first.Issuer.Unit.HSAID, Key: fmt.Sprint("key-", round)}

		release := db.HoldWriter()
		var firstReplay bool
		var firstErr, secondErr error
		var wg sync.WaitGroup
		wg.Go(func() { _, firstReplay, firstErr = db.CreateCertificate(ctx, first, body, idem, nil) })
		db.WaitQueued(1)
		wg.Go(func() {
			_, _, secondErr = db.CreateCertificate(ctx, second, append(slices.Clone(body), ' '), idem, nil)
		})
		release(2)
		wg.Wait()
		if firstErr != nil || firstReplay {
			t.Errorf("round %d, first: replay %v, %v; want it stored", round, firstReplay, firstErr)
		}
		if intake.ErrorCode(secondErr) != intake.ECONFLICT {
			t.Errorf("round %d, second: %v, want %s for the used key", round, secondErr, intake.ECONFLICT)
		}
		if got, _ := db.FindCertificateByID(ctx, original.ID); got.Status != intake.StatusReceived {
			t.Errorf("round %d: the original is %s, want it still received", round, got.Status)
		}
	}
}

// TestInsertsTogetherOneFails holds SQLite's writer while eight new
// certificates queue, one of which fails: in a later statement of the
// batch (a flag twice, which its table refuses), or partway through the
// insert of the certificates themselves (a trigger that refuses the
// patient with FAIL, which keeps the statement's rows before it, as the
// insert's own OR FAIL does, until the writer rolls the transaction
// back). That one fails, the seven others are stored, with everything
// each writes, and nothing of the one. (It checks results: whether SQLite
// kept a statement journal does not show in them.)
func TestInsertsTogetherOneFails(t *testing.T) {
	const bad = 5
	for _, how := range []string{"flag twice", "certificate refused"} {
		t.Run(how, func(t *testing.T) {
			dsn := newDSN(t, store.SQLite)
			db := mustOpenDB(t, store.SQLite, dsn)
			ctx := context.Background()
			certs := make([]*intake.Certificate, 8)
			bodies := make([][]byte, len(certs))
			for i := range certs {
				certs[i], bodies[i] = mustCertificate(t, "full-time-one-period.json")
				certs[i].Patient.ID = fmt.Sprintf("19121212%04d", i)
				certs[i].Flags = []intake.Flag{{Code: "long-sick-leave"}}
			}
			switch how {
			case "flag twice":
				certs[bad].Flags = append(certs[bad].Flags, intake.Flag{Code: "long-sick-leave"})
			case "certificate refused":
				if err := db.Exec(ctx, `CREATE TRIGGER refuse BEFORE INSERT ON certificates WHEN NEW.patient_id = '`+certs[bad].Patient.ID+`'
					BEGIN SELECT RAISE(FAIL, 'refused'); END`); err != nil {
					t.Fatal(err)
				}
			}
			release := db.HoldWriter()
			errs := make([]error, len(certs))
			var wg sync.WaitGroup
			for i, c := range certs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _, errs[i] = db.CreateCertificate(ctx, c, bodies[i], &intake.Idempotency{Scope: c.Issuer.Unit.HSAID, Key: fmt.Sprint("key-", i)}, nil)
				}()
			}
			release(len(certs))
			wg.Wait()
			if n := db.JoinedWrites(); n < int64(len(certs)-1) {
				t.Fatalf("%d of %d inserts went in one statement with others, want all, or all but the first", n, len(certs))
			}
			for i, err := range errs {
				if (err != nil) != (i == bad) {
					t.Errorf("submission %d: %v; want only %d to fail", i, err, bad)
				}
			}
			for _, q := range []string{
				`SELECT count(*) FROM certificates`, `SELECT count(*) FROM certificate_events`, `SELECT count(*) FROM certificate_flags`,
				`SELECT count(DISTINCT certificate_id) FROM certificate_periods`, `SELECT count(DISTINCT certificate_id) FROM case_periods`,
				`SELECT sum(n) FROM certificate_counts`, `SELECT count(*) FROM certificates WHERE idempotency_key <> 'key-` + fmt.Sprint(bad) + `'`,
			} {
				if got := dump(t, store.SQLite, dsn, q); !slices.Equal(got, []string{"7"}) {
					t.Errorf("%s: %v, want 7", q, got)
				}
			}
		})
	}
}
