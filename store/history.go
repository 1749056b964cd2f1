package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/intyg/intyg/intake"
)

// historySizes are the numbers of patients one history read looks up: a
// batch is padded to the next size (with "", which no patient has), so
// that a few prepared statements serve every batch.
var historySizes = []int{1, 2, 4, 8, 16, 32}

// historyTimeout bounds one history read, which no caller's context
// governs alone.
const historyTimeout = 30 * time.Second

// histories gathers the reads of patients' case histories (every unit's)
// on PostgreSQL that arrive while one is running into the next: one query,
// one round trip and one read transaction for every patient waiting,
// rather than one each. Each submission on PostgreSQL reads its patient's
// history for the flags, and under load that read had cost PostgreSQL a
// third of its CPU per certificate (intyg-load), though alone it costs
// about what an empty query does: the cost was the round trip. SQLite, in
// the process, has no round trip to save; there each caller reads its own,
// and the writer reads a batch's for their flags (flagHeld).
type histories struct {
	db      *DB
	batches batcher[historyWait]
	reads   atomic.Int64 // queries run
}

// newHistories reads db's histories in batches of up to 32 patients.
func newHistories(db *DB) *histories {
	h := &histories{db: db}
	h.batches = batcher[historyWait]{max: historySizes[len(historySizes)-1], run: h.read}
	return h
}

type historyWait struct {
	patient string
	done    chan historyResult // buffered: the reader never waits for a caller gone
}

type historyResult struct {
	certs []intake.CaseCertificate
	err   error
}

// find returns patient's case certificates, from the next batch read on
// PostgreSQL.
func (h *histories) find(ctx context.Context, patient string) ([]intake.CaseCertificate, error) {
	if h.db.dialect == SQLite {
		h.reads.Add(1)
		return h.db.readHistories(ctx, nil, []string{patient})
	}
	w := historyWait{patient: patient, done: make(chan historyResult, 1)}
	if !h.batches.add(w) {
		return nil, errClosed
	}
	select {
	case r := <-w.done:
		return r.certs, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// read looks up the batch's patients in one query and answers each.
func (h *histories) read(batch []historyWait) {
	var patients []string
	for _, w := range batch {
		if !slices.Contains(patients, w.patient) {
			patients = append(patients, w.patient)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
	defer cancel()
	h.reads.Add(1)
	certs, err := h.db.readHistories(ctx, nil, patients)
	byPatient := map[string][]intake.CaseCertificate{}
	for _, c := range certs {
		byPatient[c.Patient.ID] = append(byPatient[c.Patient.ID], c)
	}
	answered := map[string]bool{}
	for _, w := range batch {
		certs := byPatient[w.patient]
		if answered[w.patient] {
			certs = cloneCaseCertificates(certs) // each caller its own
		}
		answered[w.patient] = true
		w.done <- historyResult{certs: certs, err: err}
	}
}

// readHistories reads patients' case certificates at every unit, in one
// query, in tx or, if tx is nil, on the readers.
func (db *DB) readHistories(ctx context.Context, tx *sql.Tx, patients []string) ([]intake.CaseCertificate, error) {
	q, args := db.historyQuery(patients)
	certs, err := db.caseRows(ctx, tx, q, args)
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find case certificates: %w", err))
	}
	return certs, nil
}

// readHistoriesOf reads patients' case certificates at every unit, by
// patient, in tx or, if tx is nil, on the readers: in as few queries as
// historySizes allow.
func (db *DB) readHistoriesOf(ctx context.Context, tx *sql.Tx, patients []string) (map[string][]intake.CaseCertificate, error) {
	var distinct []string
	for _, p := range patients {
		if !slices.Contains(distinct, p) {
			distinct = append(distinct, p)
		}
	}
	byPatient := map[string][]intake.CaseCertificate{}
	for len(distinct) > 0 {
		n := min(len(distinct), historySizes[len(historySizes)-1])
		certs, err := db.readHistories(ctx, tx, distinct[:n])
		if err != nil {
			return nil, err
		}
		for _, c := range certs {
			byPatient[c.Patient.ID] = append(byPatient[c.Patient.ID], c)
		}
		distinct = distinct[n:]
	}
	return byPatient, nil
}

// historyQuery is the query of a batch of patients' histories, padded to
// one of historySizes: case_periods is keyed by patient, so one range each.
func (db *DB) historyQuery(patients []string) (string, []any) {
	n := historySizes[len(historySizes)-1]
	for _, size := range historySizes {
		if size >= len(patients) {
			n = size
			break
		}
	}
	in, args := paddedInList(patients, n)
	return db.caseQuery([]string{"patient_id IN " + in}), args
}

func cloneCaseCertificates(certs []intake.CaseCertificate) []intake.CaseCertificate {
	out := slices.Clone(certs)
	for i := range out {
		out[i].Periods = slices.Clone(out[i].Periods)
	}
	return out
}
