package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/intyg/intyg/intake"
)

// Bounds of PostgreSQL's insert pipelines: certificates in one (in one
// statement, or a statement each), and how long one may take.
const (
	maxPipeline     = 64
	pipelineTimeout = 30 * time.Second
)

// maxStale bounds how often a certificate is flagged again because its
// patient's history changed while it was on its way (pipelines).
const maxStale = 5

// errHistoryChanging is returned for a certificate found stale more than
// maxStale times: nothing of it was stored, and the client may try again
// (EUNAVAILABLE, 503).
var errHistoryChanging = errors.New("store: the patient's history changed each time the certificate was about to be stored")

// lockPatientsSQL takes PostgreSQL's lock of each patient given
// (patientLockKey), in the order given, until the transaction ends. Every
// writer of a certificate whose flags read the patient's history takes
// it: two servers' pipelines, and the writer's transactions for a
// certificate that relates to another.
const lockPatientsSQL = `SELECT pg_advisory_xact_lock(l.k) FROM unnest($1::int8[]) AS l (k)`

// patientLockKey is the key of a patient's lock (lockPatientsSQL). Two
// patients whose keys collide only wait for each other.
func patientLockKey(patient string) int64 {
	h := fnv.New64a()
	h.Write([]byte("intyg patient " + patient))
	return int64(h.Sum64())
}

// lockKeys returns the sorted keys of the patients of jobs whose history
// the insert checks: pipelines that take them in that order never wait
// for each other in a circle.
func lockKeys(jobs []pipelineJob) []int64 {
	var keys []int64
	for _, j := range jobs {
		if j.row.seen == nil {
			continue
		}
		if k := patientLockKey(j.row.c.Patient.ID); !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// pipelines sends PostgreSQL's inserts of new certificates that arrive
// while others are on their way together: in one statement that inserts
// them all (together), or, if PostgreSQL refuses that, in one pipeline of
// a statement each (every statement in one network write, run in one
// implicit transaction that commits at its end). N certificates then cost
// one round trip and one commit, where the writer spent a round trip on
// each statement and on its BEGIN and COMMIT, and on a busy machine a
// round trip (a backend woken for it) cost PostgreSQL more than the
// statement it carried (BENCHMARKS.md). The caller is answered once the
// commit is durable (synchronous_commit). A statement that fails aborts
// its pipeline, which then runs again without it, so that it takes only
// itself down (send).
//
// A certificate's flags read its patient's history before the pipeline
// (histories), where another server's certificate of the patient may be
// on its way too. So each pipeline first takes the lock of the patients
// it flags (lockPatientsSQL), then inserts a certificate only if its
// patient's history is still the one it was flagged from (certInsert's
// seen); one that is not is flagged again from the history as it is now
// and sent again (reflag). A certificate whose patient is earlier in the
// same pipeline goes in the next, since one statement cannot see what it
// inserts itself.
//
// One pipeline is on its way at a time: that gathers the most inserts in
// each, which cost the least on a busy machine (intyg-load, pairs: four at
// a time 1,077-1,097/s, two 1,183-1,348/s, one 1,421-1,447/s; with one
// statement for them all, two 1,434 and 1,694/s, one 1,812 and 1,884/s).
// The database commits other writes beside it.
type pipelines struct {
	// batches and written count committed pipelines and the inserts in
	// them (not those found stale); joined those of the inserts that went
	// in one statement.
	batches, written, joined atomic.Int64

	db   *DB
	jobs batcher[pipelineJob]
}

// newPipelines inserts into db in pipelines of up to maxPipeline.
func newPipelines(db *DB) *pipelines {
	p := &pipelines{db: db}
	p.jobs = batcher[pipelineJob]{max: maxPipeline, run: p.take}
	return p
}

type pipelineJob struct {
	row   certInsert
	done  chan pipelineResult
	taken *atomic.Bool // by a pipeline, or by its caller, gone before one took it
	stale int          // times flagged again (reflag)
}

type pipelineResult struct {
	inserted bool
	err      error
}

// insert inserts row in the next pipeline
// and reports whether it inserted the certificate (false: its id or
// idempotency key was used). If ctx ends before a pipeline took the insert,
// it is withdrawn; after, insert waits for the outcome, since the insert
// may be committed already.
func (p *pipelines) insert(ctx context.Context, row certInsert) (bool, error) {
	j := pipelineJob{row: row, done: make(chan pipelineResult, 1), taken: new(atomic.Bool)}
	if !p.jobs.add(j) {
		return false, errClosed
	}
	select {
	case r := <-j.done:
		return r.inserted, r.err
	case <-ctx.Done():
		if j.taken.CompareAndSwap(false, true) {
			return false, unavailable(ctx.Err()) // withdrawn: nothing written
		}
	}
	r := <-j.done
	return r.inserted, r.err
}

// take sends the batch's inserts that their callers have not withdrawn.
func (p *pipelines) take(batch []pipelineJob) {
	var live []pipelineJob
	for _, j := range batch {
		if j.taken.CompareAndSwap(false, true) {
			live = append(live, j)
		}
	}
	p.sendRuns(live)
}

// sendRuns sends jobs in as few pipelines as their patients allow: a job
// whose flags must see another of its patient's before it waits for the
// next (runLength).
func (p *pipelines) sendRuns(jobs []pipelineJob) {
	for len(jobs) > 0 {
		rows := make([]*certInsert, len(jobs))
		for i := range jobs {
			rows[i] = &jobs[i].row
		}
		n := runLength(rows, func(r *certInsert) bool { return r.seen != nil })
		p.send(jobs[:n], false)
		jobs = jobs[n:]
	}
}

// reflag flags jobs again from their patients' histories as they are now:
// each was not inserted because its patient's history changed after its
// flags were made. Then it sends them again; a job found stale maxStale
// times is answered that the database is unavailable, and so are all if
// the histories cannot be read.
func (p *pipelines) reflag(jobs []pipelineJob) {
	patients := make([]string, len(jobs))
	for i, j := range jobs {
		patients[i] = j.row.c.Patient.ID
	}
	ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
	defer cancel()
	byPatient, readErr := p.db.readHistoriesOf(ctx, nil, patients)
	var again []pipelineJob
	for _, j := range jobs {
		j.stale++
		err := readErr
		switch {
		case err != nil:
		case j.stale > maxStale:
			err = fmt.Errorf("%w (%d times)", errHistoryChanging, j.stale)
		default:
			err = j.row.flag(func() ([]intake.CaseCertificate, error) { return byPatient[j.row.c.Patient.ID], nil })
		}
		if err != nil {
			j.done <- pipelineResult{err: unavailable(err)}
			continue
		}
		again = append(again, j)
	}
	p.sendRuns(again)
}

// send runs the batch's inserts together (pipeline) and answers each. If an
// insert fails (PostgreSQL says so), the others run again without it, and
// it alone after, as the writer does. If
// the pipeline failed otherwise (the connection, a timeout), it may or may
// not have committed: it is sent once more, which the inserts allow, since
// each inserts nothing under an id or key already stored, and the caller
// then finds its certificate by id (createPipelined). Failing again, each
// caller is told the database is unavailable.
func (p *pipelines) send(live []pipelineJob, again bool) {
	defer func() {
		if r := recover(); r != nil {
			for _, j := range live {
				select {
				case j.done <- pipelineResult{err: fmt.Errorf("store: insert panicked: %v", r)}:
				default: // answered
				}
			}
		}
	}()
	inserted, stale, failed, err := p.pipeline(live)
	p.db.health.record(err)
	switch {
	case err == nil:
		var again []pipelineJob
		for i, j := range live {
			if stale[i] {
				again = append(again, j)
				continue
			}
			j.done <- pipelineResult{inserted: inserted[i]}
		}
		if len(again) > 0 {
			p.reflag(again)
		}
	case failed >= 0 && statementFailed(err) && len(live) > 1:
		p.send(slices.Delete(slices.Clone(live), failed, failed+1), again)
		p.send(live[failed:failed+1], again)
	case !statementFailed(err) && !again:
		p.send(live, true)
	default:
		for _, j := range live {
			j.done <- pipelineResult{err: unavailable(fmt.Errorf("store: insert: %w", err))}
		}
	}
}

// statementFailed reports whether err is PostgreSQL's refusal of a
// statement, after which its transaction is rolled back and its
// connection still works; any other error leaves the commit in doubt.
func statementFailed(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Severity != "FATAL" && pe.Severity != "PANIC"
}

// pipeline sends jobs' inserts on one connection, after the lock of the
// patients they flag (lockKeys), and returns, once committed, whether each
// inserted its certificate, or was stale: not inserted because its
// patient's history changed (certInsert's seen). Two or more go in one
// statement (insertCertificatesPostgresSQL); if PostgreSQL refuses it,
// they go again in a pipeline of a statement each, to find the one it
// refuses. If an insert failed, failed is its index (and nothing was
// committed); else -1.
func (p *pipelines) pipeline(jobs []pipelineJob) (inserted, stale []bool, failed int, err error) {
	failed = -1
	ctx, cancel := context.WithTimeout(context.Background(), pipelineTimeout)
	defer cancel()
	conn, err := p.db.write.Conn(ctx)
	if err != nil {
		return nil, nil, -1, err
	}
	defer conn.Close()
	inserted, stale = make([]bool, len(jobs)), make([]bool, len(jobs))
	keys := lockKeys(jobs)
	err = conn.Raw(func(driverConn any) error {
		pc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: pipelines need pgx's driver, not %T", driverConn)
		}
		if len(jobs) > 1 {
			err := together(ctx, pc.Conn(), keys, jobs, inserted, stale)
			if err == nil {
				p.joined.Add(int64(len(jobs)))
			}
			if !statementFailed(err) {
				return err
			}
		}
		b := lockBatch(keys)
		for _, j := range jobs {
			b.Queue(insertCertificatesPostgresSQL, insertColumns(j.row)...)
		}
		results := pc.Conn().SendBatch(ctx, b)
		if err := lockResult(results, keys); err != nil {
			return err
		}
		for i := range jobs {
			var id string
			err := results.QueryRow().Scan(&id, &stale[i])
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				failed = i
				results.Close()
				return err
			}
			inserted[i] = err == nil && !stale[i]
		}
		return results.Close() // the commit
	})
	if err != nil {
		return nil, nil, failed, err
	}
	p.batches.Add(1)
	for _, s := range stale {
		if !s {
			p.written.Add(1)
		}
	}
	return inserted, stale, -1, nil
}

// together inserts jobs' certificates in one statement, after the lock of
// keys, in one implicit transaction, and sets inserted[i] if job i's
// certificate was inserted, stale[i] if it was stale.
func together(ctx context.Context, conn *pgx.Conn, keys []int64, jobs []pipelineJob, inserted, stale []bool) error {
	rows := make([]certInsert, len(jobs))
	for i, j := range jobs {
		rows[i] = j.row
	}
	b := lockBatch(keys)
	b.Queue(insertCertificatesPostgresSQL, insertColumns(rows...)...)
	results := conn.SendBatch(ctx, b)
	if err := lockResult(results, keys); err != nil {
		return err
	}
	outcomes, err := results.Query()
	if err != nil {
		results.Close()
		return err
	}
	got := map[string]bool{} // id: stale
	for outcomes.Next() {
		var id string
		var s bool
		if err := outcomes.Scan(&id, &s); err != nil {
			outcomes.Close()
			results.Close()
			return err
		}
		got[id] = s
	}
	if err := outcomes.Err(); err != nil {
		results.Close()
		return err
	}
	if err := results.Close(); err != nil { // the commit
		return err
	}
	for i, j := range jobs {
		s, ok := got[j.row.c.ID]
		inserted[i], stale[i] = ok && !s, ok && s
	}
	return nil
}

// lockBatch begins a batch, one implicit transaction, with the lock of
// keys, if any.
func lockBatch(keys []int64) *pgx.Batch {
	b := &pgx.Batch{}
	if len(keys) > 0 {
		b.Queue(lockPatientsSQL, keys)
	}
	return b
}

// lockResult reads the outcome of lockBatch's lock, if it took one; on an
// error it closes results.
func lockResult(results pgx.BatchResults, keys []int64) error {
	if len(keys) == 0 {
		return nil
	}
	if _, err := results.Exec(); err != nil {
		results.Close()
		return err
	}
	return nil
}
