package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"

	"github.com/intyg/intyg/intake"
)

// CreateCertificate stores an accepted certificate with the exact bytes that
// were submitted. It sets c.ID, c.Status, c.ReceivedAt and c.SHA256, and
// returns only once the certificate is durably committed.
//
// With an idempotency key: if the scope already stored a certificate under
// the key with the same bytes, that certificate is returned and replay is
// true; with different bytes it returns ECONFLICT and stores nothing,
// unless its relation is refused whatever its key (EINVALID: notFound,
// relationMismatch), which comes first.
//
// With flags, c.Flags are computed from the patient's case certificates
// stored before it, every unit's. On SQLite the writer reads them in the
// transaction that stores c, so that they include a certificate for the
// same patient stored a moment before, in the same batch too; on
// PostgreSQL they are read just before.
func (db *DB) CreateCertificate(ctx context.Context, c *intake.Certificate, submitted []byte, idem *intake.Idempotency, flags intake.FlagFunc) (*intake.Certificate, bool, error) {
	stored, replay, err := db.createCertificate(ctx, c, submitted, idem, flags)
	if isUniqueViolation(err) {
		// Another instance stored the same key between our check and our
		// insert; now the check finds it.
		stored, replay, err = db.createCertificate(ctx, c, submitted, idem, flags)
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: create certificate: %w", err)
	}
	return stored, replay, nil
}

func (db *DB) createCertificate(ctx context.Context, c *intake.Certificate, submitted []byte, idem *intake.Idempotency, flags intake.FlagFunc) (stored *intake.Certificate, replay bool, err error) {
	sum := sha256.Sum256(submitted)
	c.SHA256 = hex.EncodeToString(sum[:])
	c.Status = intake.StatusReceived
	// The id and the time received are made before the write is queued,
	// so that the one writer spends its time on writing; so is the record,
	// unless the writer flags the certificate first (createHeld).
	c.ReceivedAt = db.now()
	c.ID = newCertificateID(c.ReceivedAt)
	row := &certInsert{c: c, submitted: submitted, idem: idem, flags: flags}
	switch {
	case db.dialect == Postgres && c.Relation == nil:
		// PostgreSQL's history reads are batched with other submissions'.
		err := row.flag(func() ([]intake.CaseCertificate, error) { return db.histories.find(ctx, c.Patient.ID) })
		if err != nil {
			return nil, false, err
		}
		return db.createPipelined(ctx, row)
	case c.Relation == nil:
		return db.createHeld(ctx, row)
	}
	err = db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		stored, replay = nil, false // the job may run again after a failed batch
		keyed := idem != nil && idem.Key != ""
		// The relation's state is checked only for a new certificate: look
		// for one stored under the key first, and again once the original
		// is locked, since on PostgreSQL the lock may have waited for the
		// transaction that stored this very submission (a client's retry
		// while its first try was under way): that is a replay, not a
		// second replacement. What no state changes (an original not the
		// unit's, another patient's) is refused before a used key.
		storedUnderKey := func() (bool, error) {
			if !keyed {
				return false, nil
			}
			prior, err := db.replayOf(ctx, tx, c, *idem)
			if intake.ErrorCode(err) == intake.ENOTFOUND {
				return false, nil
			}
			stored, replay = prior, err == nil
			return true, err
		}
		if found, err := storedUnderKey(); found && intake.ErrorCode(err) != intake.ECONFLICT {
			return err
		}
		target, err := db.relationTarget(ctx, tx, c.Relation.Certificate)
		if err != nil {
			return err
		}
		related := intake.CheckRelation(c, target)
		if intake.ErrorCode(related) == intake.EINVALID {
			// Refused whatever its key (an original not the unit's, or
			// another patient's): its 422 comes first, as intake's do,
			// before a used key's 409. Never a replay's: what makes it
			// does not change.
			return related
		}
		if found, err := storedUnderKey(); found {
			return err
		}
		if related != nil {
			return related
		}
		if db.dialect == Postgres && flags != nil {
			// The history is read under the patient's lock, which the
			// pipelines take too: no certificate of the patient can be
			// stored between the read and the commit. A writer's batch
			// with two of these takes two locks in its own order; a
			// deadlock PostgreSQL breaks fails this job, which the writer
			// then runs alone (rerun).
			if _, err := tx.ExecContext(ctx, lockPatientsSQL, []int64{patientLockKey(c.Patient.ID)}); err != nil {
				return err
			}
		}
		err = row.flag(func() ([]intake.CaseCertificate, error) { return db.readHistories(ctx, tx, []string{c.Patient.ID}) })
		if err != nil {
			return err
		}
		row.seen = nil // read in this transaction, under the lock
		inserted, err := db.insertCertificate(ctx, tx, row)
		if err != nil {
			return err
		}
		if !inserted {
			if !keyed {
				return fmt.Errorf("certificate %s: not inserted", c.ID)
			}
			prior, err := db.replayOf(ctx, tx, c, *idem)
			stored, replay = prior, err == nil
			return err
		}
		if err := db.relate(ctx, tx, c); err != nil {
			return err
		}
		c.Relations = []intake.RelationLink{{Type: c.Relation.Type, Certificate: c.Relation.Certificate, Direction: intake.DirectionOutgoing}}
		stored = c
		return nil
	})
	return stored, replay, err
}

// createPipelined stores a new certificate that relates to no other on
// PostgreSQL, in the next insert pipeline. Not inserted, it was stored
// already, by a pipeline sent again after its commit was in doubt (found
// by its id), or its idempotency key was used (the certificate stored
// under it, committed since the insert waited for it, is read back as
// createCertificate does).
func (db *DB) createPipelined(ctx context.Context, row *certInsert) (*intake.Certificate, bool, error) {
	c, idem := row.c, row.idem
	inserted, err := db.pipelines.insert(ctx, *row)
	switch {
	case err != nil:
		return nil, false, err
	case inserted:
		c.Relations = []intake.RelationLink{}
		return c, false, nil
	}
	stored, err := db.FindCertificateByID(ctx, c.ID)
	switch {
	case err == nil:
		return stored, false, nil
	case intake.ErrorCode(err) != intake.ENOTFOUND:
		return nil, false, err
	case idem == nil || idem.Key == "":
		return nil, false, fmt.Errorf("certificate %s: not inserted", c.ID)
	}
	prior, err := db.replayOf(ctx, nil, c, *idem)
	return prior, err == nil, err
}

// createHeld stores a new certificate that relates to no other on
// SQLite, with the others that the writer's next batch inserts (see
// writerOptions.insert). The insert skips a certificate whose idempotency
// key is used (as PostgreSQL's does): only then is the certificate stored
// under it read, committed before or in the same batch, as
// createCertificate does.
func (db *DB) createHeld(ctx context.Context, row *certInsert) (*intake.Certificate, bool, error) {
	c, idem := row.c, row.idem
	// The record is made here, without flags; the writer makes it again
	// only for a certificate that it flags (most have none).
	if row.flags != nil {
		c.Flags = nil
	}
	if err := row.encode(); err != nil {
		return nil, false, err
	}
	if row.flags != nil {
		row.unflagged = row.record
	}
	if err := db.writer.insertCertificate(ctx, row); err != nil {
		return nil, false, err
	}
	if row.inserted {
		c.Relations = []intake.RelationLink{}
		return c, false, nil
	}
	if idem == nil || idem.Key == "" {
		return nil, false, fmt.Errorf("certificate %s: not inserted", c.ID)
	}
	prior, err := db.replayOf(ctx, nil, c, *idem)
	return prior, err == nil, err
}

// replayOf returns the certificate stored under idem if it was stored
// from the same bytes as c. Returns ENOTFOUND if there is none, and
// ECONFLICT if its bytes differ.
func (db *DB) replayOf(ctx context.Context, tx *sql.Tx, c *intake.Certificate, idem intake.Idempotency) (*intake.Certificate, error) {
	prior, err := db.findByIdempotencyKey(ctx, tx, idem)
	if err != nil {
		return nil, err
	}
	if prior.SHA256 != c.SHA256 {
		return nil, intake.KeyReused("idempotency.keyReused")
	}
	return prior, nil
}

// insertCertificate inserts row's certificate, whose record is made, with
// its events, periods, flags and diagnoses, and keeps its count and case
// periods (kept.go). It inserts nothing and returns false if its
// idempotency key is already used in its scope.
func (db *DB) insertCertificate(ctx context.Context, tx *sql.Tx, row *certInsert) (bool, error) {
	if db.dialect == Postgres {
		var id string
		var stale bool // never, with row.seen nil
		err := db.queryRow(ctx, tx, insertCertificatesPostgresSQL, insertColumns(*row)...).Scan(&id, &stale)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	err := db.insertCertificatesSQLite(ctx, tx, []*certInsert{row})
	return row.inserted, err
}

// insertCertificatesSQLite inserts new certificates on SQLite, with their
// first events, periods, flags and diagnoses, and keeps their counts and
// case periods (kept.go): each table's rows in as few statements as
// multiInsert makes of them. It skips a certificate whose idempotency key
// is used in its scope, also by one before it in rows, and sets each
// row's inserted.
//
// Rows with an unflagged record are flagged first (flagHeld). A row's flags
// see every certificate of its patient before it in rows: a row to flag
// whose patient is among the rows before it waits for their insert, in a
// run of its own.
func (db *DB) insertCertificatesSQLite(ctx context.Context, tx *sql.Tx, rows []*certInsert) error {
	for len(rows) > 0 {
		n := runLength(rows, func(r *certInsert) bool { return r.unflagged != nil })
		if err := db.flagHeld(ctx, tx, rows[:n]); err != nil {
			return err
		}
		if err := db.insertRun(ctx, tx, rows[:n]); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// runLength is how many of rows are flagged and inserted together: up to
// the first row whose flags must see the rows before it (flagged) and
// whose patient is among them.
func runLength(rows []*certInsert, flagged func(*certInsert) bool) int {
	for n := 1; n < len(rows); n++ {
		r := rows[n]
		if flagged(r) && slices.ContainsFunc(rows[:n], func(o *certInsert) bool { return o.c.Patient.ID == r.c.Patient.ID }) {
			return n
		}
	}
	return len(rows)
}

// flagHeld flags the rows with an unflagged record (createHeld), from
// their patients' histories read in tx (one query for up to 32 patients),
// again each time they run.
func (db *DB) flagHeld(ctx context.Context, tx *sql.Tx, rows []*certInsert) error {
	var patients []string
	for _, r := range rows {
		if r.unflagged != nil {
			patients = append(patients, r.c.Patient.ID)
		}
	}
	byPatient, err := db.readHistoriesOf(ctx, tx, patients)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.unflagged == nil {
			continue
		}
		r.c.Flags, r.record = r.flags(r.c, byPatient[r.c.Patient.ID]), r.unflagged
		if len(r.c.Flags) == 0 {
			r.c.Flags = nil
			continue
		}
		if err := r.encode(); err != nil {
			return err
		}
	}
	return nil
}

// insertRun inserts one run of rows (runLength), flagged.
func (db *DB) insertRun(ctx context.Context, tx *sql.Tx, rows []*certInsert) error {
	certs := make([]any, 0, insertCertificates.width*len(rows))
	for _, r := range rows {
		c := r.c
		var scope, key any
		if r.idem != nil && r.idem.Key != "" {
			scope, key = r.idem.Scope, r.idem.Key
		}
		certs = append(certs, c.ID, c.Template, c.Version, string(c.Status), r.submitted, c.SHA256, string(r.record), c.Patient.ID,
			c.Issuer.HSAID, c.Issuer.Unit.HSAID, db.timeArg(c.SignedAt), db.timeArg(c.ReceivedAt), scope, key, db.boolArg(c.ContactRequested),
			db.boolArg(c.CountsTowardCases))
	}
	n, err := db.execRows(ctx, tx, insertCertificates, certs)
	if err != nil {
		return err
	}
	if err := db.markInserted(ctx, tx, rows, n); err != nil {
		return err
	}
	events := make([]any, 0, insertEvents.width*len(rows))
	var periods, flags, diagnoses, cases []any
	counts := map[countKey]int{}
	var countOrder []countKey
	for _, r := range rows {
		if !r.inserted {
			continue
		}
		c := r.c
		received := db.timeArg(c.ReceivedAt)
		events = append(events, c.ID, string(c.Status), received, c.Issuer.HSAID, c.Via)
		var ps []intake.Period
		if c.SickLeave != nil {
			ps = c.SickLeave.Periods
		}
		for i, p := range ps {
			periods = append(periods, c.ID, i, c.Patient.ID, p.Degree, p.From.String(), p.To.String())
		}
		for _, f := range c.Flags {
			flags = append(flags, c.ID, f.Code, received)
		}
		for i, d := range c.Diagnoses {
			diagnoses = append(diagnoses, c.ID, i, d.Code)
		}
		k := countKey{c.Issuer.Unit.HSAID, c.Template, string(c.Status)}
		if counts[k] == 0 {
			countOrder = append(countOrder, k)
		}
		counts[k]++
		if c.CountsTowardCases {
			for _, p := range ps {
				cases = append(cases, c.Issuer.Unit.HSAID, c.Patient.ID, c.ID, p.From.String(), p.To.String(), p.Degree, db.timeArg(c.SignedAt), c.Patient.Name, mainDiagnosis(c))
			}
		}
	}
	var kept []any
	for _, k := range countOrder {
		kept = append(kept, k.unit, k.template, k.status, counts[k])
	}
	for _, in := range []struct {
		m    multiInsert
		args []any
	}{
		{insertEvents, events}, {insertPeriods, periods}, {insertFlags, flags},
		{insertDiagnoses, diagnoses}, {keepCounts, kept}, {keepPeriods, cases},
	} {
		if _, err := db.execRows(ctx, tx, in.m, in.args); err != nil {
			return err
		}
	}
	return nil
}

// markInserted sets the inserted of rows, of which n were inserted: all,
// or those whose ids tx now holds.
func (db *DB) markInserted(ctx context.Context, tx *sql.Tx, rows []*certInsert, n int64) error {
	if n == int64(len(rows)) {
		for _, r := range rows {
			r.inserted = true
		}
		return nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.c.ID
	}
	q, args := insertedQuery(ids)
	stored, err := db.queryIn(ctx, tx, q, args...)
	if err != nil {
		return err
	}
	defer stored.Close()
	found := map[string]bool{}
	for stored.Next() {
		var id string
		if err := stored.Scan(&id); err != nil {
			return err
		}
		found[id] = true
	}
	for _, r := range rows {
		r.inserted = found[r.c.ID]
	}
	return stored.Err()
}

// insertedQuery is markInserted's query of which of ids tx holds, padded
// to a power of two (paddedInList): up to maxBatch its texts are prepared
// (prepareSubmission), where a replay in a batch had the one writer parse
// the query anew each time.
func insertedQuery(ids []string) (string, []any) {
	n := 1
	for n < len(ids) {
		n *= 2
	}
	in, args := paddedInList(ids, n)
	return `SELECT id FROM certificates WHERE id IN ` + in, args
}

// countKey is a unit, template and status that certificate_counts counts.
type countKey struct{ unit, template, status string }

// certInsert is a new certificate to insert, with its record, the bytes
// submitted and its idempotency key, if any: on PostgreSQL in a pipeline
// (insertColumns), on SQLite with the others the writer holds
// (insertCertificatesSQLite).
type certInsert struct {
	c                 *intake.Certificate
	record, submitted []byte
	idem              *intake.Idempotency
	flags             intake.FlagFunc // nil: none
	// unflagged, if not nil, is the record without flags: the writer
	// flags the certificate and makes the record again if it has any
	// (flagHeld).
	unflagged []byte
	inserted  bool // on SQLite, set by insertCertificatesSQLite
	// seen, if not nil, is the patient's history the flags were made from
	// (historyKey), read before the insert's transaction: PostgreSQL's
	// pipeline inserts the certificate only if, under the patient's lock,
	// the history is still that (pipelines).
	seen *string
}

// flag computes the certificate's flags, if it has a FlagFunc, from the
// history read, and makes its record.
func (r *certInsert) flag(history func() ([]intake.CaseCertificate, error)) error {
	if r.flags != nil {
		h, err := history()
		if err != nil {
			return err
		}
		k := historyKey(h)
		r.c.Flags, r.seen = r.flags(r.c, h), &k
	}
	return r.encode()
}

// historyKey names a patient's history by its certificates' ids, in
// byte order, comma-separated, as insertCertificatesPostgresSQL names the
// history it finds.
func historyKey(h []intake.CaseCertificate) string {
	ids := make([]string, 0, len(h))
	for _, c := range h {
		if !slices.Contains(ids, c.ID) {
			ids = append(ids, c.ID)
		}
	}
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

// encode makes the record: encoding/json's bytes, made by
// github.com/goccy/go-json, which writes the same bytes (the same key
// order, escaping and numbers: TestRecordEncoding) without reflecting on
// every value. A typical fk7804 record took 14-23 µs and 98 allocations
// with encoding/json, and takes 5.6 µs and 10 (encoding it had been a
// twentieth of a certificate's CPU under intyg-load). Records are read back with
// encoding/json.
func (r *certInsert) encode() (err error) {
	r.record, err = gojson.Marshal(r.c)
	return err
}

// insertColumns are insertCertificatesPostgresSQL's arguments for rows.
func insertColumns(rows ...certInsert) []any {
	var (
		ids, templates, versions, statuses, shas, records, patients []string
		issuers, units, names, diagnoses, vias                      []string
		submitted                                                   [][]byte
		signed, received                                            []time.Time
		scopes, keys, seen                                          []*string
		contact, counts                                             []bool
		periodOf, from, to, flagOf, flags, codeOf, codes            []string
		degrees, positions                                          []int32
	)
	for _, r := range rows {
		c := r.c
		var scope, key *string // NULL without a key
		if r.idem != nil && r.idem.Key != "" {
			scope, key = &r.idem.Scope, &r.idem.Key
		}
		ids, templates, versions, statuses = append(ids, c.ID), append(templates, c.Template), append(versions, c.Version), append(statuses, string(c.Status))
		submitted, shas, records, patients = append(submitted, r.submitted), append(shas, c.SHA256), append(records, string(r.record)), append(patients, c.Patient.ID)
		issuers, units, signed, received = append(issuers, c.Issuer.HSAID), append(units, c.Issuer.Unit.HSAID), append(signed, c.SignedAt.UTC()), append(received, c.ReceivedAt.UTC())
		scopes, keys, contact, counts = append(scopes, scope), append(keys, key), append(contact, c.ContactRequested), append(counts, c.CountsTowardCases)
		names, diagnoses, seen, vias = append(names, c.Patient.Name), append(diagnoses, mainDiagnosis(c)), append(seen, r.seen), append(vias, c.Via)
		if c.SickLeave != nil {
			for _, p := range c.SickLeave.Periods {
				periodOf, degrees, from, to = append(periodOf, c.ID), append(degrees, int32(p.Degree)), append(from, p.From.String()), append(to, p.To.String())
			}
		}
		for _, f := range c.Flags {
			flagOf, flags = append(flagOf, c.ID), append(flags, f.Code)
		}
		for i, d := range c.Diagnoses {
			codeOf, positions, codes = append(codeOf, c.ID), append(positions, int32(i)), append(codes, d.Code)
		}
	}
	return []any{ids, templates, versions, statuses, submitted, shas, records, patients, issuers, units,
		signed, received, scopes, keys, contact, counts, names, diagnoses,
		periodOf, degrees, from, to, flagOf, flags, codeOf, positions, codes, seen, vias}
}

// newCertificateID returns a URL-safe id of 128 bits: the time in
// milliseconds (48 bits), then 80 random bits. Certificates received close
// together get ids close together, so that a batch of inserts shares the
// pages of every index that starts with the id (the certificate's, its
// events', periods', diagnoses' and flags') instead of writing a random
// page of each per certificate. Its first character is "A" until 2109, so
// it never starts with "-".
func newCertificateID(at time.Time) string {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b[:8], uint64(at.UnixMilli())<<16)
	rand.Read(b[6:]) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// The statements that store a submission; prepareSubmission prepares them.
const (
	insertEventSQL          = `INSERT INTO certificate_events (certificate_id, status, at, actor, via) VALUES (?, ?, ?, ?, ?)`
	findByIdempotencyKeySQL = `SELECT ` + certificateColumns + ` FROM certificates WHERE idempotency_scope = ? AND idempotency_key = ?`
)

// SQLite's inserts of new certificates (insertCertificatesSQLite). An
// insert into a table that no foreign key leaves is OR FAIL (as keepCounts
// and keepPeriods): a statement that fails stops where it is, and the
// writer rolls the whole transaction back, so SQLite keeps no statement
// journal to undo the statement alone (a copy of every page it changes).
// The tables with foreign keys keep one whatever the statement says.
var (
	insertCertificates = newMultiInsert(`INSERT OR FAIL INTO certificates (id, template, version, status, submitted, sha256, record, patient_id,
			issuer_hsa_id, unit_hsa_id, signed_at, received_at, idempotency_scope, idempotency_key, contact_requested, counts_toward_cases)
		VALUES `, ` ON CONFLICT (idempotency_scope, idempotency_key) DO NOTHING`, 16)
	insertEvents    = newMultiInsert(`INSERT INTO certificate_events (certificate_id, status, at, actor, via) VALUES `, ``, 5)
	insertPeriods   = newMultiInsert(`INSERT INTO certificate_periods (certificate_id, position, patient_id, degree, from_date, to_date) VALUES `, ``, 6)
	insertFlags     = newMultiInsert(`INSERT INTO certificate_flags (certificate_id, code, raised_at) VALUES `, ``, 3)
	insertDiagnoses = newMultiInsert(`INSERT INTO certificate_diagnoses (certificate_id, position, code) VALUES `, ``, 3)
)

// certificateColumns are the columns scanCertificate reads, in order.
const certificateColumns = `id, status, record, sha256, received_at, idempotency_key, counts_toward_cases`

type scanner interface{ Scan(dest ...any) error }

func (db *DB) scanCertificate(row scanner) (*intake.Certificate, error) {
	var (
		c          intake.Certificate
		id, status string
		record     []byte
		sha        string
		received   time.Time
		key        sql.NullString
		counts     bool
	)
	if err := row.Scan(&id, &status, &record, &sha, timeValue{&received}, &key, &counts); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(record))
	dec.UseNumber() // answers keep their numbers as written
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("certificate %s: record: %w", id, err)
	}
	c.ID, c.Status, c.SHA256, c.ReceivedAt, c.IdempotencyKey, c.CountsTowardCases = id, intake.Status(status), sha, received, key.String, counts
	return &c, nil
}

// findByIdempotencyKey reads in the writer's transaction tx, or on the
// readers when tx is nil.
func (db *DB) findByIdempotencyKey(ctx context.Context, tx *sql.Tx, idem intake.Idempotency) (*intake.Certificate, error) {
	row := db.queryRow(ctx, tx, findByIdempotencyKeySQL, idem.Scope, idem.Key)
	c, err := db.scanCertificate(row)
	return c, notFound(err, "notFound.idempotencyKey")
}

// FindCertificateByIdempotencyKey returns the certificate a client stored
// under an idempotency key. Returns ENOTFOUND if there is none.
func (db *DB) FindCertificateByIdempotencyKey(ctx context.Context, idem intake.Idempotency) (*intake.Certificate, error) {
	c, err := db.findByIdempotencyKey(ctx, nil, idem)
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find certificate by idempotency key: %w", err))
	}
	return c, nil
}

// storableText reports whether s could be a stored text: valid UTF-8
// without NUL, which PostgreSQL refuses in a query's text parameter (and
// SQLite would simply not find), so that a lookup of an id that cannot
// exist is "not found" on both.
func storableText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// FindCertificateByID returns a certificate. Returns ENOTFOUND if there is
// no certificate with that id.
func (db *DB) FindCertificateByID(ctx context.Context, id string) (*intake.Certificate, error) {
	if !storableText(id) {
		return nil, intake.Failure(intake.ENOTFOUND, "notFound.certificate")
	}
	row := db.read.QueryRowContext(ctx, db.rebind(`SELECT `+certificateColumns+` FROM certificates WHERE id = ?`), id)
	c, err := db.scanCertificate(row)
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find certificate %s: %w", id, notFound(err, "notFound.certificate")))
	}
	if c.Status == intake.StatusRevoked {
		if c.Revocation, err = db.findRevocation(ctx, id); err != nil {
			return nil, unavailable(fmt.Errorf("store: find revocation of %s: %w", id, err))
		}
	}
	if c.Relations, err = db.findRelations(ctx, id); err != nil {
		return nil, unavailable(fmt.Errorf("store: find relations of %s: %w", id, err))
	}
	if err := db.fillMessageCounts(ctx, []*intake.Certificate{c}); err != nil {
		return nil, unavailable(err)
	}
	return c, nil
}

// FindSubmission returns the exact bytes submitted for a certificate.
// Returns ENOTFOUND if there is no certificate with that id.
func (db *DB) FindSubmission(ctx context.Context, id string) ([]byte, error) {
	var b []byte
	err := db.read.QueryRowContext(ctx, db.rebind(`SELECT submitted FROM certificates WHERE id = ?`), id).Scan(&b)
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find submission %s: %w", id, notFound(err, "notFound.certificate")))
	}
	return b, nil
}

// certificateQuery is the FROM and WHERE of a certificate filter (and,
// with cursor, of its page), and the page's order. With a flag it reads
// the flag's rows, newest first in their own index, and joins their
// certificates, so that the flagged page stops at its end rather than
// sorting every flagged certificate. With messages (and no flag) it reads
// the certificates of the messages in that state in the certificates'
// order (messages_queue), each once, and joins them, for the same reason.
// A page after a cursor starts where the cursor is in the index it reads
// (afterCursor).
func (db *DB) certificateQuery(f intake.CertificateFilter, cursor bool) (from string, where []string, args []any, order string, err error) {
	var after []any // the cursor's time and id
	if cursor && f.Cursor != "" {
		t, last, err := decodeCursor(certificateCursors, f.Cursor)
		if err != nil {
			return "", nil, nil, "", err
		}
		after = []any{db.timeArg(t), db.timeArg(t), last}
	}
	from, at, id := `certificates`, "received_at", "id"
	switch {
	case f.Flag != nil:
		from, at, id = `certificate_flags f JOIN certificates ON certificates.id = f.certificate_id`, "f.raised_at", "f.certificate_id"
		where, args = append(where, "f.code = ?"), append(args, *f.Flag)
	case f.Messages != nil:
		// The columns are renamed so that the certificates' own (id,
		// status, unit_hsa_id…) are the only ones by those names. The
		// cursor is inside, where the messages' index is read.
		m, margs := messageWhere("m", f)
		if after != nil {
			m, margs, after = m+" AND "+afterCursor("m.certificate_received_at", "m.certificate_id"), append(margs, after...), nil
		}
		from = `(SELECT m.certificate_id AS message_certificate, m.certificate_received_at AS message_received FROM messages m WHERE ` + m + `
			GROUP BY m.certificate_received_at, m.certificate_id ORDER BY m.certificate_received_at DESC, m.certificate_id DESC) m
			JOIN certificates ON certificates.id = m.message_certificate`
		at, id, args = "m.message_received", "m.message_certificate", margs
	}
	if f.PatientID != nil {
		where, args = append(where, "patient_id = ?"), append(args, *f.PatientID)
	}
	if f.Template != nil {
		where, args = append(where, "template = ?"), append(args, *f.Template)
	}
	if f.Status != nil {
		where, args = append(where, "status = ?"), append(args, string(*f.Status))
	}
	if f.Units != nil {
		in, units := inList(*f.Units) // no unit: nothing matches
		where, args = append(where, "unit_hsa_id IN "+in), append(args, units...)
	}
	if f.ReceivedSince != nil {
		where, args = append(where, "received_at >= ?"), append(args, db.timeArg(*f.ReceivedSince))
	}
	if f.CareProvider != nil {
		where, args = append(where, "unit_hsa_id IN (SELECT hsa_id FROM units WHERE care_provider_hsa_id = ?)"), append(args, *f.CareProvider)
	}
	if f.ContactRequested != nil {
		where, args = append(where, "contact_requested = ?"), append(args, db.boolArg(*f.ContactRequested))
	}
	if f.Messages != nil && f.Flag != nil {
		// From the messages in that state to their certificates, rather
		// than a look for messages at every flagged certificate.
		m, margs := messageState("m", *f.Messages, f.Today)
		where, args = append(where, `certificates.id IN (SELECT m.certificate_id FROM messages m WHERE `+m+`)`), append(args, margs...)
	}
	if after != nil {
		where, args = append(where, afterCursor(at, id)), append(args, after...)
	}
	return from, where, args, fmt.Sprintf("%s DESC, %s DESC", at, id), nil
}

// afterCursor is the condition of a page after a cursor on the position
// (at, id) the page is ordered by, newest first, with the cursor's time
// twice and its id as arguments: its first term is a bound of the range
// of an index on (…, at, id) that both databases read from the cursor on.
// "at < ? OR (at = ? AND id < ?)" had been a filter over every entry
// before the cursor, and SQLite planned the row value (at, id) < (?, ?)
// as a sort of every match for a small page.
func afterCursor(at, id string) string {
	return fmt.Sprintf("%[1]s <= ? AND (%[1]s < ? OR %[2]s < ?)", at, id)
}

// messageState is the condition on a message (table alias a) of a filter
// by messages in state s: a message status, or "overdue" (open, and its
// reply-by day before today).
func messageState(a, s string, today intake.Date) (string, []any) {
	if s == "overdue" {
		return fmt.Sprintf("%[1]s.status = ? AND %[1]s.reply_by <> '' AND %[1]s.reply_by < ?", a), []any{string(intake.MessageOpen), today.String()}
	}
	return a + ".status = ?", []any{s}
}

// messageWhere is the condition on a message (table alias a) of a filter
// by messages: its state (messageState), and f's units and care provider.
// A message is to its certificate's unit, so a unit's queue reads the
// unit's messages (messages_unit_queue), not every unit's.
func messageWhere(a string, f intake.CertificateFilter) (string, []any) {
	where, args := messageState(a, *f.Messages, f.Today)
	if f.Units != nil {
		in, units := inList(*f.Units) // no unit: nothing matches
		where, args = a+".unit_hsa_id IN "+in+" AND "+where, append(units, args...)
	}
	if f.CareProvider != nil {
		where, args = a+".unit_hsa_id IN (SELECT hsa_id FROM units WHERE care_provider_hsa_id = ?) AND "+where, append([]any{*f.CareProvider}, args...)
	}
	return where, args
}

// CountCertificatesByStatus counts the certificates a filter finds (its
// status, cursor and limit aside), per status.
func (db *DB) CountCertificatesByStatus(ctx context.Context, f intake.CertificateFilter) (map[intake.Status]int, error) {
	q, args, err := db.countQuery(f)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: count certificates: %w", err))
	}
	defer rows.Close()
	out := map[intake.Status]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("store: count certificates: %w", err)
		}
		out[intake.Status(s)] = n
	}
	return out, rows.Err()
}

// countQuery is the query of CountCertificatesByStatus. A filter of
// template, units and care provider alone (the queue unfiltered, by
// template, a unit's list) reads the counts kept per unit, template and
// status (keptCounts), one of a flag alone the flag's rows, and one of
// messages (at units) the messages' rows, both of which keep their
// certificate's status (flagFilter, messagesFilter); any other counts the
// matching certificates.
func (db *DB) countQuery(f intake.CertificateFilter) (string, []any, error) {
	if flagFilter(f) {
		return db.rebind(`SELECT certificate_status, COUNT(*) FROM certificate_flags WHERE code = ? GROUP BY certificate_status`), []any{*f.Flag}, nil
	}
	if messagesFilter(f) {
		m, args := messageWhere("messages", f)
		return db.rebind(`SELECT certificate_status, COUNT(DISTINCT certificate_id) FROM messages WHERE ` + m + ` GROUP BY certificate_status`), args, nil
	}
	f.Status, f.Cursor, f.Limit = nil, "", 0
	from, where, args, _, err := db.certificateQuery(f, false)
	if err != nil {
		return "", nil, err
	}
	if f.Flag != nil {
		// From the flag's rows, one look-up of each one's certificate, so
		// that their number sets the cost (PostgreSQL would otherwise
		// hash them against every certificate). certificateQuery put the
		// flag's condition first.
		inner := append([]string{"certificates.id = f.certificate_id"}, where[1:]...)
		q := `SELECT status, COUNT(*) FROM (SELECT (SELECT status FROM certificates WHERE ` + strings.Join(inner, " AND ") + `) AS status
			FROM certificate_flags f WHERE f.code = ?) AS flagged WHERE status IS NOT NULL GROUP BY status`
		return db.rebind(q), append(slices.Clone(args[1:]), args[0]), nil
	}
	count := `COUNT(*)`
	if keptFilter(f) {
		from, count = db.keptCounts(), `SUM(n)`
	}
	q := `SELECT status, ` + count + ` FROM ` + from
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	return db.rebind(q + ` GROUP BY status HAVING ` + count + ` > 0`), args, nil
}

// FindCertificates returns the certificates matching f, newest first, and a
// cursor for the next page ("" on the last page). Returns EINVALID for a
// cursor it did not make.
func (db *DB) FindCertificates(ctx context.Context, f intake.CertificateFilter) ([]*intake.Certificate, string, error) {
	q, args, limit, err := db.findQuery(f)
	if err != nil {
		return nil, "", err
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", unavailable(fmt.Errorf("store: find certificates: %w", err))
	}
	defer rows.Close()
	var out []*intake.Certificate
	for rows.Next() {
		c, err := db.scanCertificate(rows)
		if err != nil {
			return nil, "", unavailable(fmt.Errorf("store: find certificates: %w", err))
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", unavailable(fmt.Errorf("store: find certificates: %w", err))
	}
	rows.Close()
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeCursor(certificateCursors, last.ReceivedAt, last.ID)
	}
	if err := db.fillMessageCounts(ctx, out); err != nil {
		return nil, "", unavailable(err)
	}
	return out, next, nil
}

// findQuery is the query of FindCertificates, which reads limit+1 rows.
func (db *DB) findQuery(f intake.CertificateFilter) (q string, args []any, limit int, err error) {
	from, where, args, order, err := db.certificateQuery(f, true)
	if err != nil {
		return "", nil, 0, err
	}
	limit = f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	q = `SELECT ` + certificateColumns + ` FROM ` + from
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(` ORDER BY %s LIMIT %d`, order, limit+1)
	return db.rebind(q), args, limit, nil
}

// CountCertificates returns how many certificates are stored.
func (db *DB) CountCertificates(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM certificates`).Scan(&n)
	return n, err
}

// CountStored counts the certificates in the database at dsn (as Open
// takes them) without opening it as the service does: no migration, no
// writer. It and AnalyzeStored are for a tool that watches a database
// another binary serves, perhaps of another version (intyg-load -against).
func CountStored(ctx context.Context, driver, dsn string) (int, error) {
	db, err := openPlain(driver, dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM certificates`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count: %w", err)
	}
	return n, nil
}

// SetHandled marks a certificate handled by a caseworker (or, with handled
// false, not handled any more), appending a "handled" or "unhandled" event
// with who and when. It is idempotent: a certificate already so is left
// as it is. A revoked or replaced certificate keeps that status, and is
// handled (or not) when that ends. It returns the certificate. Returns
// ENOTFOUND for an unknown id.
func (db *DB) SetHandled(ctx context.Context, id string, handled bool, by string) (*intake.Certificate, error) {
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := db.lockStatus(ctx, tx, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.rebind(`UPDATE certificates SET handled = ? WHERE id = ? AND handled <> ?`), db.boolArg(handled), id, db.boolArg(handled))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		event := "handled"
		if !handled {
			event = "unhandled"
		}
		if err := db.appendEvent(ctx, tx, id, event, db.now(), by, ""); err != nil {
			return err
		}
		_, _, err = db.deriveStatus(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: set handled %s: %w", id, err)
	}
	return db.FindCertificateByID(ctx, id)
}

// FindCertificateEvents returns a certificate's events, oldest first: by
// their times, then as they were written. A write's time is taken before
// it waits for the locks of others' (a revocation waiting for the
// original it unrelates), so the order written may differ by milliseconds.
func (db *DB) FindCertificateEvents(ctx context.Context, id string) ([]intake.Event, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT status, at, actor, via FROM certificate_events WHERE certificate_id = ? ORDER BY at, id`), id)
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find events of %s: %w", id, err))
	}
	defer rows.Close()
	var out []intake.Event
	for rows.Next() {
		var e intake.Event
		if err := rows.Scan(&e.Type, timeValue{&e.At}, &e.By, &e.Via); err != nil {
			return nil, fmt.Errorf("store: find events of %s: %w", id, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// RevokeCertificate revokes a certificate (makulering) for reason, with
// message, by actor: its status becomes revoked and an event is appended;
// its open messages are closed; a certificate it replaced or completed is
// no longer replaced, and the completion requests it answered are open
// again. Returns ENOTFOUND for an unknown id and ECONFLICT (code
// certificateRevoked in the problem) if it is already revoked.
func (db *DB) RevokeCertificate(ctx context.Context, id, reason, message, by string) (*intake.Certificate, error) {
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		status, err := db.lockStatus(ctx, tx, id)
		if err != nil {
			return err
		}
		if status == intake.StatusRevoked {
			return intake.Refusal("certificateRevoked")
		}
		now := db.now()
		if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO certificate_revocations (certificate_id, reason, message, at, actor) VALUES (?, ?, ?, ?, ?)`),
			id, reason, message, db.timeArg(now), by); err != nil {
			return err
		}
		if err := db.appendEvent(ctx, tx, id, "revoked", now, by, ""); err != nil {
			return err
		}
		if _, _, err := db.deriveStatus(ctx, tx, id); err != nil {
			return err
		}
		if err := db.closeMessages(ctx, tx, id, now, by); err != nil {
			return err
		}
		return db.unrelate(ctx, tx, id, now, by)
	})
	if isUniqueViolation(err) {
		err = intake.Refusal("certificateRevoked")
	}
	if err != nil {
		return nil, fmt.Errorf("store: revoke %s: %w", id, err)
	}
	return db.FindCertificateByID(ctx, id)
}

// lockStatus reads a certificate's status in tx, locking its row on
// PostgreSQL until tx ends (SQLite's write transaction holds the database).
// Returns ENOTFOUND for an unknown id.
func (db *DB) lockStatus(ctx context.Context, tx *sql.Tx, id string) (intake.Status, error) {
	q := `SELECT status FROM certificates WHERE id = ?`
	if db.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var status string
	if err := tx.QueryRowContext(ctx, db.rebind(q), id).Scan(&status); err != nil {
		return "", notFound(err, "notFound.certificate")
	}
	return intake.Status(status), nil
}

// appendEvent appends one event to a certificate's history; via is what
// the submission that caused it came through (Event.Via), or empty.
func (db *DB) appendEvent(ctx context.Context, tx *sql.Tx, id, event string, at time.Time, by, via string) error {
	_, err := db.exec(ctx, tx, insertEventSQL, id, event, db.timeArg(at), by, via)
	return err
}

// findRevocation reads a revoked certificate's revocation.
func (db *DB) findRevocation(ctx context.Context, id string) (*intake.Revocation, error) {
	var r intake.Revocation
	err := db.read.QueryRowContext(ctx, db.rebind(`SELECT reason, message, at, actor FROM certificate_revocations WHERE certificate_id = ?`), id).
		Scan(&r.Reason, &r.Message, timeValue{&r.At}, &r.By)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// insertCertificatesPostgresSQL is insertCertificatesSQLite on PostgreSQL,
// for one certificate or many (pipelines): each of their columns is an array
// (insertColumns), and so are their periods, flags and diagnoses, each
// with its certificate's id. It inserts nothing under an id or idempotency
// key already used (an insert sent again, see pipelines), and with each
// certificate it inserts its first event, periods, flags, diagnoses and
// count change and, if it counts toward cases, its case periods, as
// SQLite keeps them. It returns the ids it inserted, each with stale false,
// and with stale true those it did not insert because their patient's
// history is no longer the one their flags were made from (certInsert's
// seen; pipelines). A certificate is not part of its own history: a
// pipeline sent again after its commit was in doubt finds it stored, not
// stale.
// For many, PostgreSQL starts the plan, and ends it with the foreign keys'
// checks, once for them all: with a statement for each, a third of its
// time under load went to their start-up and end (perf, under intyg-load).
const insertCertificatesPostgresSQL = `WITH input AS (
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[], $13::text[], $14::text[], $15::bool[], $16::bool[],
			$17::text[], $18::text[], $28::text[], $29::text[])
		AS i (id, template, version, status, submitted, sha256, record, patient_id,
			issuer_hsa_id, unit_hsa_id, signed_at, received_at, idempotency_scope, idempotency_key, contact_requested, counts_toward_cases,
			patient_name, diagnosis, seen, via)
	), stale AS (
		SELECT i.id FROM input i WHERE i.seen IS NOT NULL AND i.seen <> (
			SELECT coalesce(string_agg(h.id, ',' ORDER BY h.id COLLATE "C"), '') FROM (
				SELECT DISTINCT p.certificate_id AS id FROM case_periods p
				WHERE p.patient_id = i.patient_id AND p.certificate_id <> i.id) h)
	), c AS (
		INSERT INTO certificates (id, template, version, status, submitted, sha256, record, patient_id,
			issuer_hsa_id, unit_hsa_id, signed_at, received_at, idempotency_scope, idempotency_key, contact_requested, counts_toward_cases)
		SELECT id, template, version, status, submitted, sha256, record::jsonb, patient_id,
			issuer_hsa_id, unit_hsa_id, signed_at, received_at, idempotency_scope, idempotency_key, contact_requested, counts_toward_cases
		FROM input WHERE input.id NOT IN (SELECT id FROM stale)
		ON CONFLICT DO NOTHING RETURNING id
	), ci AS (
		SELECT input.* FROM input JOIN c ON c.id = input.id
	), periods AS (
		SELECT p.certificate_id, p.degree, p.from_date::date AS from_date, p.to_date::date AS to_date,
			row_number() OVER (PARTITION BY p.certificate_id ORDER BY p.n) - 1 AS position
		FROM unnest($19::text[], $20::int4[], $21::text[], $22::text[]) WITH ORDINALITY AS p (certificate_id, degree, from_date, to_date, n)
	), events AS (
		INSERT INTO certificate_events (certificate_id, status, at, actor, via) SELECT id, status, received_at, issuer_hsa_id, via FROM ci
	), inserted_periods AS (
		INSERT INTO certificate_periods (certificate_id, position, patient_id, degree, from_date, to_date)
		SELECT ci.id, p.position, ci.patient_id, p.degree, p.from_date, p.to_date FROM ci JOIN periods p ON p.certificate_id = ci.id
	), flags AS (
		INSERT INTO certificate_flags (certificate_id, code, raised_at)
		SELECT ci.id, f.code, ci.received_at FROM ci JOIN unnest($23::text[], $24::text[]) AS f (certificate_id, code) ON f.certificate_id = ci.id
	), diagnoses AS (
		INSERT INTO certificate_diagnoses (certificate_id, position, code)
		SELECT ci.id, d.position, d.code FROM ci JOIN unnest($25::text[], $26::int4[], $27::text[]) AS d (certificate_id, position, code) ON d.certificate_id = ci.id
	), counted AS (
		INSERT INTO certificate_count_changes (unit_hsa_id, template, status, n)
		SELECT unit_hsa_id, template, status, count(*) FROM ci GROUP BY unit_hsa_id, template, status
	), cases AS (
		INSERT INTO case_periods (unit_hsa_id, patient_id, certificate_id, from_date, to_date, degree, signed_at, patient_name, diagnosis)
		SELECT ci.unit_hsa_id, ci.patient_id, ci.id, p.from_date, p.to_date, p.degree, ci.signed_at, ci.patient_name, ci.diagnosis
		FROM ci JOIN periods p ON p.certificate_id = ci.id WHERE ci.counts_toward_cases
		ON CONFLICT DO NOTHING
	)
	SELECT id, false AS stale FROM c UNION ALL SELECT id, true FROM stale`
