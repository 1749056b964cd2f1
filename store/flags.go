package store

import (
	"context"
	"fmt"
	"time"

	"github.com/intyg/intyg/intake"
)

// countedWhere keeps the certificates that count toward cases: their
// template counts them, and they are neither revoked nor replaced (a
// replaced certificate counts through the one that replaced it).
const countedWhere = `c.counts_toward_cases = ? AND c.status NOT IN (?, ?)`

// countedArgs are countedWhere's arguments.
func (db *DB) countedArgs() []any {
	return []any{db.boolArg(true), string(intake.StatusRevoked), string(intake.StatusReplaced)}
}

// flagHistorySQL reads what the attention flags need of a patient's
// certificates that count toward cases, one row per period: through the
// periods' patient index, never the record.
const flagHistorySQL = `SELECT c.id, c.unit_hsa_id, p.degree, p.from_date, p.to_date
	FROM certificate_periods p JOIN certificates c ON c.id = p.certificate_id
	WHERE p.patient_id = ? AND ` + countedWhere + ` ORDER BY c.id, p.from_date`

// FindFlagHistory returns a patient's certificates that count toward
// sick-leave cases, every unit's, with only what intake's Flags reads of
// them: the id, the unit and the periods (FindCaseCertificates also reads
// the patient's name, the signing time and the main diagnosis).
func (db *DB) FindFlagHistory(ctx context.Context, patientID string) ([]intake.CaseCertificate, error) {
	rows, err := db.query(ctx, flagHistorySQL, append([]any{patientID}, db.countedArgs()...)...)
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find flag history: %w", err))
	}
	defer rows.Close()
	var out []intake.CaseCertificate
	for rows.Next() {
		var (
			id, unit string
			p        intake.Period
			from, to time.Time
		)
		if err := rows.Scan(&id, &unit, &p.Degree, dateValue{&from}, dateValue{&to}); err != nil {
			return nil, fmt.Errorf("store: find flag history: %w", err)
		}
		p.From, p.To = intake.Date{Time: from}, intake.Date{Time: to}
		p.Days = p.From.DaysUntil(p.To) + 1
		p.NetDays = float64(p.Days*p.Degree) / 100
		if n := len(out); n > 0 && out[n-1].ID == id {
			out[n-1].Periods = append(out[n-1].Periods, p)
			continue
		}
		out = append(out, intake.CaseCertificate{ID: id, Unit: unit, Periods: []intake.Period{p}})
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(fmt.Errorf("store: find flag history: %w", err))
	}
	return out, nil
}
