package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Bounds of PostgreSQL's insert pipelines: certificates in one (in one
// statement, or a statement each), and how long one may take.
const (
	maxPipeline     = 64
	pipelineTimeout = 30 * time.Second
)

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
// One pipeline is on its way at a time: that gathers the most inserts in
// each, which cost the least on a busy machine (intyg-load, pairs: four at
// a time 1,077-1,097/s, two 1,183-1,348/s, one 1,421-1,447/s; with one
// statement for them all, two 1,434 and 1,694/s, one 1,812 and 1,884/s).
// The database commits other writes beside it.
type pipelines struct {
	// batches and written count committed pipelines and the inserts in
	// them; joined those of the inserts that went in one statement.
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
	if len(live) > 0 {
		p.send(live, false)
	}
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
	inserted, failed, err := p.pipeline(live)
	p.db.health.record(err)
	switch {
	case err == nil:
		for i, j := range live {
			j.done <- pipelineResult{inserted: inserted[i]}
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

// pipeline sends jobs' inserts on one connection and returns, once
// committed, whether each inserted its certificate. Two or more go in one
// statement (insertCertificatesPostgresSQL); if PostgreSQL refuses it,
// they go again in a pipeline of a statement each, to find the one it
// refuses. If an insert failed, failed is its index (and nothing was
// committed); else -1.
func (p *pipelines) pipeline(jobs []pipelineJob) (inserted []bool, failed int, err error) {
	failed = -1
	ctx, cancel := context.WithTimeout(context.Background(), pipelineTimeout)
	defer cancel()
	conn, err := p.db.write.Conn(ctx)
	if err != nil {
		return nil, -1, err
	}
	defer conn.Close()
	inserted = make([]bool, len(jobs))
	err = conn.Raw(func(driverConn any) error {
		pc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: pipelines need pgx's driver, not %T", driverConn)
		}
		if len(jobs) > 1 {
			err := together(ctx, pc.Conn(), jobs, inserted)
			if err == nil {
				p.joined.Add(int64(len(jobs)))
			}
			if !statementFailed(err) {
				return err
			}
		}
		b := &pgx.Batch{}
		for _, j := range jobs {
			b.Queue(insertCertificatesPostgresSQL, insertColumns(j.row)...)
		}
		results := pc.Conn().SendBatch(ctx, b)
		for i := range jobs {
			var id string
			err := results.QueryRow().Scan(&id)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				failed = i
				results.Close()
				return err
			}
			inserted[i] = err == nil
		}
		return results.Close() // the commit
	})
	if err != nil {
		return nil, failed, err
	}
	p.batches.Add(1)
	p.written.Add(int64(len(jobs)))
	return inserted, -1, nil
}

// together inserts jobs' certificates in one statement, which commits on
// its own, and sets inserted[i] if job i's certificate was inserted.
func together(ctx context.Context, conn *pgx.Conn, jobs []pipelineJob, inserted []bool) error {
	rows := make([]certInsert, len(jobs))
	for i, j := range jobs {
		rows[i] = j.row
	}
	ids, err := conn.Query(ctx, insertCertificatesPostgresSQL, insertColumns(rows...)...)
	if err != nil {
		return err
	}
	done, err := pgx.CollectRows(ids, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for i, j := range jobs {
		inserted[i] = slices.Contains(done, j.row.c.ID)
	}
	return nil
}
