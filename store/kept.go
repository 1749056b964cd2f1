package store

import (
	"context"
	"fmt"
	"time"

	"github.com/intyg/intyg/intake"
)

// The store keeps, in the same transaction as each write of a
// certificate, what the lists and cases read in place of the
// certificates themselves (migration 00012): the number of certificates
// per unit, template and status, and the periods of the certificates that
// count toward cases. insertCertificatesSQLite keeps a new certificate there; a
// trigger of the migration follows its status when it changes (a trigger
// on every insert costs SQLite about 0.1 ms a certificate).

// mainDiagnosis is the code of c's first diagnosis, as case_periods keeps
// it, or "".
func mainDiagnosis(c *intake.Certificate) string {
	if len(c.Diagnoses) == 0 {
		return ""
	}
	return c.Diagnoses[0].Code
}

// keepCounts counts certificates of a unit, template and status on
// SQLite (the fourth value is how many; OR FAIL: insertCertificates).
// PostgreSQL appends a change rather than update the count
// (insertCertificatesPostgresSQL): concurrent writers would wait for each
// other's commits on a shared row.
var keepCounts = newMultiInsert(`INSERT OR FAIL INTO certificate_counts (unit_hsa_id, template, status, n) VALUES `,
	` ON CONFLICT (unit_hsa_id, template, status) DO UPDATE SET n = n + excluded.n`, 4)

// keepPeriods copies the periods of certificates to case_periods (OR
// FAIL: insertCertificates).
var keepPeriods = newMultiInsert(`INSERT OR FAIL INTO case_periods (unit_hsa_id, patient_id, certificate_id, from_date, to_date, degree, signed_at, patient_name, diagnosis)
		VALUES `, ` ON CONFLICT DO NOTHING`, 9)

// keptCounts is what the counts per status read for a filter of template,
// units and care provider alone: the number of certificates per unit,
// template and status, rather than every certificate. On PostgreSQL the
// changes appended since the last fold are added to it.
func (db *DB) keptCounts() string {
	if db.dialect == Postgres {
		return `(SELECT unit_hsa_id, template, status, n FROM certificate_counts
			UNION ALL SELECT unit_hsa_id, template, status, n FROM certificate_count_changes) AS counts`
	}
	return `certificate_counts`
}

// keptFilter says whether the kept counts answer a count of f: whether
// it filters by nothing but template, units and care provider (a status,
// cursor or limit aside). Any other field, including one added later,
// counts the certificates.
func keptFilter(f intake.CertificateFilter) bool {
	f = counted(f)
	return f == intake.CertificateFilter{Template: f.Template, Units: f.Units, CareProvider: f.CareProvider}
}

// counted is what of f decides how a count per status is read: not its
// status, cursor or limit, nor the day overdue is judged on (which only a
// filter by messages uses, and which its count reads from f itself).
func counted(f intake.CertificateFilter) intake.CertificateFilter {
	f.Status, f.Cursor, f.Limit, f.Today = nil, "", 0, intake.Date{}
	return f
}

// flagFilter says whether a flag's rows answer a count of f by
// themselves: whether it filters by a flag and nothing else (a status,
// cursor or limit aside). certificate_flags keeps each flag's certificate's
// status (migration 00020).
func flagFilter(f intake.CertificateFilter) bool {
	f = counted(f)
	return f.Flag != nil && f == intake.CertificateFilter{Flag: f.Flag}
}

// messagesFilter says whether the messages' rows answer a count of f by
// themselves: whether it filters by messages in a state, and perhaps by
// units or care provider, and nothing else (a status, cursor, limit or
// day aside). A message keeps its certificate's unit and status
// (migrations 00021 and 00022).
func messagesFilter(f intake.CertificateFilter) bool {
	f = counted(f)
	return f.Messages != nil && f == intake.CertificateFilter{Messages: f.Messages, Units: f.Units, CareProvider: f.CareProvider}
}

// foldInterval is how often PostgreSQL's appended count changes are
// folded into the counts, so that a count reads few rows.
const foldInterval = time.Second

// foldCounts adds PostgreSQL's appended count changes to the counts and
// deletes them, in one statement: a reader sees them either appended or
// folded, never both nor neither. A change committed meanwhile waits for
// the next fold. SQLite's one writer keeps the counts themselves.
func (db *DB) foldCounts(ctx context.Context) error {
	if db.dialect != Postgres {
		return nil
	}
	_, err := db.write.ExecContext(ctx, `
		WITH folded AS (DELETE FROM certificate_count_changes RETURNING unit_hsa_id, template, status, n)
		INSERT INTO certificate_counts (unit_hsa_id, template, status, n)
		SELECT unit_hsa_id, template, status, SUM(n) FROM folded GROUP BY unit_hsa_id, template, status
		ON CONFLICT (unit_hsa_id, template, status) DO UPDATE SET n = certificate_counts.n + EXCLUDED.n`)
	if err != nil {
		return fmt.Errorf("store: fold counts: %w", err)
	}
	return nil
}
