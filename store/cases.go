package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/intyg/intyg/intake"
)

// caseColumns are the columns scanCaseRows reads, in order: one row per
// sick-leave period of a counted certificate.
func (db *DB) caseColumns() string {
	name := `json_extract(c.record, '$.patient.name')`
	if db.dialect == Postgres {
		name = `c.record->'patient'->>'name'`
	}
	return `c.id, c.unit_hsa_id, c.patient_id, ` + name + `, c.signed_at,
		COALESCE((SELECT d.code FROM certificate_diagnoses d WHERE d.certificate_id = c.id AND d.position = 0), ''),
		p.degree, p.from_date, p.to_date`
}

// countedWhere keeps the certificates that count toward cases: their
// template counts them, and they are neither revoked nor replaced (a
// replaced certificate counts through the one that replaced it).
const countedWhere = `c.counts_toward_cases = ? AND c.status NOT IN (?, ?)`

func (db *DB) countedArgs() []any {
	return []any{db.boolArg(true), string(intake.StatusRevoked), string(intake.StatusReplaced)}
}

// FindCaseCertificates returns a patient's certificates that count toward
// sick-leave cases, with their periods; with units, only those units'
// certificates (an empty list keeps none).
func (db *DB) FindCaseCertificates(ctx context.Context, patientID string, units *[]string) ([]intake.CaseCertificate, error) {
	where, args := []string{countedWhere, "c.patient_id = ?"}, append(db.countedArgs(), patientID)
	if units != nil {
		in, unitArgs := inList(*units)
		where, args = append(where, "c.unit_hsa_id IN "+in), append(args, unitArgs...)
	}
	certs, err := db.findCaseRows(ctx, where, args)
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find case certificates: %w", err))
	}
	return certs, nil
}

// FindOngoingCaseCertificates returns, for the units' patients who may
// have an ongoing case on day at, every certificate of those units that
// counts toward their cases (with the patient). A patient is included
// when one of the units' counted periods ends on or after at and starts
// at most gap + 1 days after it; whether the case is ongoing is for
// intake.BuildCases to say.
func (db *DB) FindOngoingCaseCertificates(ctx context.Context, units []string, at intake.Date, gap int) ([]intake.CaseCertificate, error) {
	q, args := db.ongoingQuery(units, at, gap)
	certs, err := db.caseRows(ctx, q, args)
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find ongoing case certificates: %w", err))
	}
	return certs, nil
}

// ongoingQuery is the query of FindOngoingCaseCertificates.
func (db *DB) ongoingQuery(units []string, at intake.Date, gap int) (string, []any) {
	in, unitArgs := inList(units)
	where := []string{countedWhere, "c.unit_hsa_id IN " + in, `c.patient_id IN (
		SELECT c.patient_id FROM certificates c JOIN certificate_periods p ON p.certificate_id = c.id
		WHERE ` + countedWhere + ` AND c.unit_hsa_id IN ` + in + ` AND p.to_date >= ? AND p.from_date <= ?)`}
	args := append(db.countedArgs(), unitArgs...)
	args = append(args, db.countedArgs()...)
	args = append(args, unitArgs...)
	args = append(args, at.String(), at.AddDays(gap+1).String())
	return db.caseQuery(where), args
}

// findCaseRows reads the counted certificates matching where, one row per
// period, into certificates with their periods.
func (db *DB) findCaseRows(ctx context.Context, where []string, args []any) ([]intake.CaseCertificate, error) {
	return db.caseRows(ctx, db.caseQuery(where), args)
}

// caseQuery selects the counted certificates matching where, one row per
// period.
func (db *DB) caseQuery(where []string) string {
	return db.rebind(`SELECT ` + db.caseColumns() + ` FROM certificates c JOIN certificate_periods p ON p.certificate_id = c.id
		WHERE ` + strings.Join(where, " AND ") + ` ORDER BY c.patient_id, c.id, p.from_date`)
}

// caseRows runs a caseQuery into certificates with their periods.
func (db *DB) caseRows(ctx context.Context, q string, args []any) ([]intake.CaseCertificate, error) {
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []intake.CaseCertificate
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
		c.Periods = []intake.Period{p}
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
