package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/intyg/intyg/intake"
)

// caseColumns are the columns caseRows reads, in order: one row per
// sick-leave period of a certificate that counts toward cases. They come
// from case_periods, kept beside the certificates (kept.go): the periods
// of the certificates whose template counts them and that are neither
// revoked nor replaced (a replaced certificate counts through the one
// that replaced it), with the certificate's unit, patient, signing time
// and main diagnosis.
const caseColumns = `certificate_id, unit_hsa_id, patient_id, patient_name, signed_at, diagnosis, degree, from_date, to_date`

// FindCaseCertificates returns a patient's certificates that count toward
// sick-leave cases, with their periods; with units, only those units'
// certificates (an empty list keeps none). Every unit's are read together
// with those of other patients asked for meanwhile (histories).
func (db *DB) FindCaseCertificates(ctx context.Context, patientID string, units *[]string) ([]intake.CaseCertificate, error) {
	if units == nil {
		return db.histories.find(ctx, patientID)
	}
	q, args := db.patientCaseQuery(patientID, *units)
	certs, err := db.caseRows(ctx, nil, q, args)
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find case certificates: %w", err))
	}
	return certs, nil
}

// patientCaseQuery is the query of FindCaseCertificates for one patient
// at units.
func (db *DB) patientCaseQuery(patientID string, units []string) (string, []any) {
	in, args := inList(units)
	return db.caseQuery([]string{"patient_id = ?", "unit_hsa_id IN " + in}), append([]any{patientID}, args...)
}

// FindOngoingCaseCertificates returns, for the units' patients who may
// have an ongoing case on day at, every certificate of those units that
// counts toward their cases (with the patient). A patient is included
// when one of the units' counted periods ends on or after at and starts
// at most gap + 1 days after it; whether the case is ongoing is for
// intake.BuildCases to say.
func (db *DB) FindOngoingCaseCertificates(ctx context.Context, units []string, at intake.Date, gap int) ([]intake.CaseCertificate, error) {
	q, args := db.ongoingQuery(units, at, gap)
	certs, err := db.caseRows(ctx, nil, q, args)
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find ongoing case certificates: %w", err))
	}
	return certs, nil
}

// ongoingQuery is the query of FindOngoingCaseCertificates: the units'
// periods ending on or after at (one range of an index) name the
// patients, whose periods are then one range each of the key, of which
// the units' are kept. On SQLite the units' test is written +unit_hsa_id,
// which SQLite does not look up in an index: otherwise it read every
// period of the units by the index by end date and kept the patients'.
func (db *DB) ongoingQuery(units []string, at intake.Date, gap int) (string, []any) {
	in, unitArgs := inList(units)
	unit := "unit_hsa_id IN " + in
	if db.dialect == SQLite {
		unit = "+" + unit
	}
	where := []string{`patient_id IN (
		SELECT o.patient_id FROM case_periods o WHERE o.unit_hsa_id IN ` + in + ` AND o.to_date >= ? AND o.from_date <= ?)`, unit}
	args := append(append(unitArgs, at.String(), at.AddDays(gap+1).String()), unitArgs...)
	return db.caseQuery(where), args
}

// caseQuery selects the case periods matching where, by patient and
// certificate.
func (db *DB) caseQuery(where []string) string {
	return db.rebind(`SELECT ` + caseColumns + ` FROM case_periods
		WHERE ` + strings.Join(where, " AND ") + ` ORDER BY patient_id, certificate_id, from_date`)
}

// caseRows runs a caseQuery into certificates with their periods, in tx
// or, if tx is nil, on the readers.
func (db *DB) caseRows(ctx context.Context, tx *sql.Tx, q string, args []any) ([]intake.CaseCertificate, error) {
	rows, err := db.queryIn(ctx, tx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		out []intake.CaseCertificate
		// buf holds the periods read, a chunk at a time, so that a
		// certificate's first period is not an allocation of its own.
		buf []intake.Period
	)
	for rows.Next() {
		var (
			c        intake.CaseCertificate
			p        intake.Period
			from, to time.Time
		)
		if err := rows.Scan(&c.ID, &c.Unit, &c.Patient.ID, &c.Patient.Name, timeValue{&c.SignedAt}, &c.Diagnosis, &p.Degree, dateValue{&from}, dateValue{&to}); err != nil {
			return nil, err
		}
		p.From, p.To = intake.Date{Time: from}, intake.Date{Time: to}
		p.Days = p.From.DaysUntil(p.To) + 1
		p.NetDays = float64(p.Days*p.Degree) / 100
		if n := len(out); n > 0 && out[n-1].ID == c.ID {
			out[n-1].Periods = append(out[n-1].Periods, p)
			continue
		}
		if len(buf) == cap(buf) {
			buf = make([]intake.Period, 0, 256)
		}
		buf = append(buf, p)
		c.Periods = buf[len(buf)-1 : len(buf) : len(buf)] // a second period is appended elsewhere
		if len(out) == cap(out) {
			// Double: a unit's ongoing cases are some 20,000 rows, and
			// append's gentler growth of a slice that large copied (and
			// had the kernel map) several times what it ends up holding.
			out = slices.Grow(out, max(len(out), 64))
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// inList returns "(?, ?, …)" for values and the values as arguments; an
// empty list matches nothing.
func inList(values []string) (string, []any) {
	if len(values) == 0 {
		values = []string{""}
	}
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(values)), ", ") + ")", args
}

// paddedInList is inList of values padded with empty strings (no id,
// patient or unit is empty) to n values, so that a query of any number of
// values up to n has one text, prepared once.
func paddedInList(values []string, n int) (string, []any) {
	return inList(append(slices.Clone(values), make([]string, n-len(values))...))
}

// dateValue scans a date stored by either dialect (SQLite: YYYY-MM-DD text;
// PostgreSQL: DATE).
type dateValue struct{ t *time.Time }

func (v dateValue) Scan(src any) error {
	switch s := src.(type) {
	case time.Time:
		*v.t = time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, time.UTC)
	case string:
		d, err := intake.ParseDate(s)
		*v.t = d.Time
		return err
	case []byte:
		return v.Scan(string(s))
	default:
		return fmt.Errorf("store: cannot scan %T as a date", src)
	}
	return nil
}
