package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// maxBatch bounds how many writes share one transaction.
const maxBatch = 256

// writeJob is one write: fn runs inside the batch's transaction, or, for
// a new certificate, insert is held to be written with the others the
// batch inserts (writerOptions.insert).
type writeJob struct {
	ctx    context.Context
	fn     func(ctx context.Context, tx *sql.Tx) error
	insert *certInsert
	done   chan error
}

// writer is the group-commit writer: a worker takes every job waiting, runs
// them in one transaction and commits once, so that N concurrent writes cost
// one fsync rather than N. A job's caller returns only after the commit is
// durable.
//
// With a sync, the workers commit without waiting for the disk (SQLite's
// synchronous=NORMAL) and hand each committed batch to a syncer, which
// answers its jobs only after a sync that began after the commit. The next
// batch then runs while the disk takes the last, and one sync may cover
// several batches. A sync that fails is final: what it covered may be lost
// in a crash, and a log with a hole loses what follows too, so every later
// write is refused until the service restarts (as PostgreSQL stops).
type writer struct {
	// batches and written count committed transactions and the writes in
	// them; joined the new certificates inserted in one call with others
	// (writerOptions.insert), whether or not the call went through.
	batches, written, joined atomic.Int64
	// syncs and syncTime count the syncer's syncs and the time they took.
	syncs, syncTime atomic.Int64
	// maintained and maintainTime count the between work run (SQLite's
	// checkpoints finished by the writer) and the time it took, during
	// which the writer took no job.
	maintained, maintainTime atomic.Int64
	// waitWork and waitSync count the time the workers waited for a job,
	// and for the syncer to be idle before a commit (a wait that either
	// could end counts for the one that did): the rest of the time they
	// were at work. A single worker (SQLite's) that seldom waits is what
	// bounds the writes a second; one that waits for the syncer, the
	// disk's syncs.
	waitWork, waitSync atomic.Int64

	db     *sql.DB
	health *health // shared by the database's writers
	jobs   chan writeJob
	once   sync.Once
	wg     sync.WaitGroup
	close  func()
	exited chan struct{} // closed when every worker (and the syncer) has stopped

	sync      func() error // nil: a commit is durable when it returns
	committed chan committedBatch
	idle      chan struct{}         // holds a token while the syncer is idle
	failed    atomic.Pointer[error] // the sync's failure, once it failed

	between     func(ctx context.Context) error // run between two batches when asked (maintain)
	maintenance chan struct{}

	alone bool // see writerOptions

	insert func(ctx context.Context, tx *sql.Tx, rows []*certInsert) error // see writerOptions
	ended  func()                                                          // see writerOptions
}

// writerOptions says how a writer works beyond its connections.
type writerOptions struct {
	workers int          // goroutines taking batches from the one queue
	sync    func() error // if not nil, makes what the workers committed durable (see writer)
	// between, if not nil, is work on the writer's connection that must
	// run between two batches, when maintain asks for it.
	between func(ctx context.Context) error
	// alone runs each job in a transaction of its own. On PostgreSQL a
	// job holds the rows it locks (its certificate's, say) until its
	// transaction ends, so two batches that had taken rows in different
	// orders each waited for the other: a deadlock, broken after a
	// second, for every job of the batch that lost. PostgreSQL commits
	// the workers' transactions together in its own WAL flushes.
	alone bool
	// insert, if not nil, inserts new certificates (insertCertificate):
	// a batch holds those it takes until the commit, or until a job of
	// another kind, and inserts them in one call, where each statement
	// carries them all. On SQLite, starting a statement and its B-tree
	// cursors for each certificate and table had been most of the one
	// writer's time under load.
	insert func(ctx context.Context, tx *sql.Tx, rows []*certInsert) error
	// ended, if not nil, runs after a transaction that did not commit,
	// once it is rolled back (SQLite's log forgets what it held of it:
	// dropHeld).
	ended func()
}

// committedBatch is a batch committed but not yet known to be durable,
// with each job's outcome.
type committedBatch struct {
	jobs []writeJob
	errs []error
}

// errClosed is returned for a write that comes after Close.
var errClosed = errors.New("store: the database is closed")

// errNotSynced is returned for a write that was committed but that the
// disk did not confirm, and for every write after it: the database cannot
// take writes (503) until the service restarts.
var errNotSynced = errors.New("store: the disk did not confirm a write; writes are refused until the service restarts")

// newWriter starts the workers. SQLite has one writer at a time, so it
// gets one worker, which batches what is waiting; PostgreSQL commits
// concurrent transactions in shared WAL flushes, so several workers keep
// its connections busy, each with one job at a time (writerOptions.alone).
func newWriter(db *sql.DB, h *health, o writerOptions) *writer {
	w := &writer{db: db, health: h, jobs: make(chan writeJob, maxBatch), exited: make(chan struct{}), sync: o.sync, between: o.between, insert: o.insert, alone: o.alone, ended: o.ended}
	stop := make(chan struct{})
	synced := make(chan struct{})
	if w.sync != nil {
		w.committed = make(chan committedBatch, maxBatch)
		w.idle = make(chan struct{}, 1)
		w.idle <- struct{}{}
		go w.syncLoop(synced)
	} else {
		close(synced)
	}
	if w.between != nil {
		w.maintenance = make(chan struct{}, 1)
	}
	w.close = func() {
		w.once.Do(func() {
			close(stop)
			w.wg.Wait()
			if w.committed != nil {
				close(w.committed)
			}
			<-synced
			close(w.exited)
		})
		<-w.exited
	}
	for range max(o.workers, 1) {
		w.wg.Add(1)
		go w.loop(stop)
	}
	return w
}

// do runs fn in the next batch and waits for the batch's commit.
func (w *writer) do(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return w.queue(ctx, writeJob{ctx: ctx, fn: fn, done: make(chan error, 1)})
}

// insertCertificate inserts a new certificate in the next batch, with the
// others it inserts (writerOptions.insert), and waits for the batch's
// commit. An error may be another's in the batch only if each then
// failed alone.
func (w *writer) insertCertificate(ctx context.Context, row *certInsert) error {
	return w.queue(ctx, writeJob{ctx: ctx, insert: row, done: make(chan error, 1)})
}

// queue runs job in the next batch and waits for the batch's commit.
func (w *writer) queue(ctx context.Context, job writeJob) error {
	select {
	case w.jobs <- job:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.exited:
		return errClosed
	}
	// Once queued, wait for the outcome even if ctx ends: the write may
	// already be committed, and the caller must not report otherwise. A job
	// queued as the workers stopped never ran.
	select {
	case err := <-job.done:
		return err
	case <-w.exited:
		select {
		case err := <-job.done:
			return err
		default:
			return errClosed
		}
	}
}

// waited adds the time since a worker began to wait to a wait counter
// (waitWork or waitSync).
func waited(counter *atomic.Int64, since time.Time) {
	counter.Add(int64(time.Since(since)))
}

// maintain asks a worker to run the writer's between work after its
// current batch; asking again before it ran asks once.
func (w *writer) maintain() {
	if w.maintenance == nil {
		return
	}
	select {
	case w.maintenance <- struct{}{}:
	default:
	}
}

func (w *writer) loop(stop chan struct{}) {
	defer w.wg.Done()
	for {
		waiting := time.Now()
		select {
		case job := <-w.jobs:
			waited(&w.waitWork, waiting)
			w.run(job)
		case <-w.maintenance: // nil, and never ready, without between
			waited(&w.waitWork, waiting)
			start := time.Now()
			w.between(context.Background()) // a failure is left for the next request (one that is final, between records)
			w.maintained.Add(1)
			w.maintainTime.Add(int64(time.Since(start)))
		case <-stop:
			// Finish what was queued before stopping.
			for {
				select {
				case job := <-w.jobs:
					w.run(job)
				default:
					return
				}
			}
		}
	}
}

// run executes first and the jobs that join it (batch) in one transaction
// with one commit. If a job fails, the transaction is rolled back and the
// batch runs again without it, and it alone after, so that a failing job
// takes only itself down; jobs are therefore written to be re-runnable.
func (w *writer) run(first writeJob) {
	if failed := w.failed.Load(); failed != nil {
		w.finish([]writeJob{first}, []error{*failed})
		return
	}
	batch, at, err := w.runBatch(first)
	if len(batch) == 0 {
		return
	}
	w.record(err)
	errs := make([]error, len(batch))
	if err != nil {
		w.rerun(batch, at, err, errs)
	}
	w.settle(batch, errs)
}

// rerun runs again the jobs of a batch that failed with err, at the job
// failed (-1: at its beginning or commit), and sets errs to each one's
// outcome. The others run together without the job that failed, as often
// as one of them fails; then each that failed runs alone, since another
// job of its transaction may have made it fail (two writes under one
// idempotency key). A batch that could not begin or commit runs one job at
// a time. A batch of one has its outcome.
func (w *writer) rerun(batch []writeJob, failed int, err error, errs []error) {
	if len(batch) == 1 {
		errs[0] = w.again(batch, err)
		return
	}
	pending := make([]int, len(batch)) // indexes into batch
	for i := range pending {
		pending[i] = i
	}
	var alone []int
	for failed >= 0 && len(pending) > 1 {
		alone = append(alone, pending[failed])
		pending = slices.Delete(pending, failed, failed+1)
		if len(pending) == 1 {
			break
		}
		jobs := make([]writeJob, len(pending))
		for k, i := range pending {
			jobs[k] = batch[i]
		}
		failed, err = w.runTx(jobs)
		w.record(err)
		if err == nil {
			pending = nil
		}
	}
	for _, i := range append(pending, alone...) {
		_, errs[i] = w.runTx(batch[i : i+1])
		w.record(errs[i])
		errs[i] = w.again(batch[i:i+1], errs[i])
	}
}

// maxAgain bounds how often again runs a job once more.
const maxAgain = 3

// again runs a job alone once more, up to maxAgain times, while it fails
// with err because the database ended its transaction to break a deadlock
// (isDeadlock): the job, run again, finds the other transaction done,
// and is answered as that leaves it (a 409, say) rather than with a 503.
func (w *writer) again(job []writeJob, err error) error {
	for range maxAgain {
		if !isDeadlock(err) {
			break
		}
		_, err = w.runTx(job)
		w.record(err)
	}
	return err
}

// record tells readiness how a write went. With a sync, the syncer says
// that a write went through, once it is durable.
func (w *writer) record(err error) {
	if err != nil || w.sync == nil {
		w.health.record(err)
	}
}

// admit answers a job whose caller has gone without running it, and
// reports whether it is still to run: one caller's going must not roll
// back the others' writes.
func (w *writer) admit(j writeJob) bool {
	if err := j.ctx.Err(); err != nil {
		w.finish([]writeJob{j}, []error{err})
		return false
	}
	return true
}

// runBatch begins a transaction with first and runs the jobs that join
// it, then commits. Without a syncer, the jobs that join are those already
// waiting. With one, jobs join for as long as the syncer is busy with the
// previous batch: the writer's work on the next batch overlaps the disk's
// on the last, and a batch grows with the load. It returns the batch (empty
// if first's caller has gone) and the first error, or a panic in a job,
// which rolls everything back.
func (w *writer) runBatch(first writeJob) (batch []writeJob, failed int, err error) {
	if !w.admit(first) {
		return nil, -1, nil
	}
	batch, failed = []writeJob{first}, 0 // failed: the job running
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: write panicked: %v", p)
		}
	}()
	tx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		return batch, -1, fmt.Errorf("store: begin: %w", err)
	}
	committed := false
	defer w.end(&committed)
	defer tx.Rollback()
	t := &txJobs{w: w, tx: tx}
	if failed, err := t.run(first, 0); err != nil {
		return batch, failed, err
	}
	idle := false // whether the syncer is known to be idle
join:
	for !w.alone && len(batch) < maxBatch {
		var j writeJob
		select {
		case j = <-w.jobs:
		case <-w.idle: // nil, and never ready, without a syncer
			idle = true
			break join
		default:
			// None waiting: insert the certificates held while the
			// syncer is busy, then wait for a job or for the syncer.
			if err := t.insertHeld(); err != nil {
				return batch, -1, err
			}
			if w.sync == nil {
				break join
			}
			waiting := time.Now()
			select {
			case j = <-w.jobs:
				waited(&w.waitWork, waiting)
			case <-w.idle:
				waited(&w.waitSync, waiting)
				idle = true
				break join
			}
		}
		if !w.admit(j) {
			continue
		}
		batch, failed = append(batch, j), len(batch)
		if failed, err := t.run(j, failed); err != nil {
			return batch, failed, err
		}
	}
	failed = -1
	if err := t.insertHeld(); err != nil {
		return batch, -1, err
	}
	if w.sync != nil && !idle {
		waiting := time.Now()
		<-w.idle // a full batch still waits for the syncer
		waited(&w.waitSync, waiting)
	}
	if err := tx.Commit(); err != nil {
		w.syncerIdle() // nothing to sync: the syncer stays idle
		return batch, -1, fmt.Errorf("store: commit: %w", err)
	}
	committed = true
	w.batches.Add(1)
	w.written.Add(int64(len(batch)))
	return batch, -1, nil
}

// runTx runs jobs in one transaction and commits it; the first error, or
// a panic in a job, rolls everything back. It returns the index of the job
// that failed, or -1 if none did (the transaction could not begin or
// commit, or it went through).
func (w *writer) runTx(jobs []writeJob) (failed int, err error) {
	failed = -1
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: write panicked: %v", p)
		}
	}()
	tx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		return -1, fmt.Errorf("store: begin: %w", err)
	}
	committed := false
	defer w.end(&committed)
	defer tx.Rollback()
	t := &txJobs{w: w, tx: tx}
	for i, j := range jobs {
		failed = i
		if failed, err := t.run(j, i); err != nil {
			return failed, err
		}
	}
	failed = -1
	if err := t.insertHeld(); err != nil {
		return -1, err
	}
	if err := tx.Commit(); err != nil {
		return -1, fmt.Errorf("store: commit: %w", err)
	}
	committed = true
	w.batches.Add(1)
	w.written.Add(int64(len(jobs)))
	return -1, nil
}

// end runs after a transaction has ended (deferred before its rollback):
// ended, unless it committed.
func (w *writer) end(committed *bool) {
	if !*committed && w.ended != nil {
		w.ended()
	}
}

// txJobs runs the jobs of one transaction in their order, holding the
// new certificates to insert (writerOptions.insert) until the commit or
// the next job of another kind.
type txJobs struct {
	w    *writer
	tx   *sql.Tx
	held []*certInsert
}

// run runs or holds job j, the i-th of the transaction. On an error it
// returns the index of the job that failed: i, or -1 if it was in the
// certificates held, which one unknown.
func (t *txJobs) run(j writeJob, i int) (int, error) {
	if j.insert != nil {
		if err := j.ctx.Err(); err != nil { // as runJob
			return i, err
		}
		t.held = append(t.held, j.insert)
		return i, nil
	}
	if err := t.insertHeld(); err != nil {
		return -1, err
	}
	return i, runJob(t.tx, j)
}

// insertHeld inserts the certificates held.
func (t *txJobs) insertHeld() error {
	if len(t.held) == 0 {
		return nil
	}
	rows := t.held
	t.held = nil
	if len(rows) > 1 {
		t.w.joined.Add(int64(len(rows)))
	}
	return t.w.insert(context.Background(), t.tx, rows)
}

// runJob runs j in tx, unless its caller has gone. Once begun, a job's
// statements run to the end without its caller: a statement interrupted
// half-way would fail the whole batch, and watching the caller's context
// cost SQLite's driver a goroutine per statement.
func runJob(tx *sql.Tx, j writeJob) error {
	if err := j.ctx.Err(); err != nil {
		return err
	}
	return j.fn(context.WithoutCancel(j.ctx), tx)
}

// settle answers a batch's jobs once what it committed is durable: at
// once, or through the syncer.
func (w *writer) settle(batch []writeJob, errs []error) {
	if w.sync == nil {
		w.finish(batch, errs)
		return
	}
	w.committed <- committedBatch{jobs: batch, errs: errs}
}

// syncerIdle says that the syncer has nothing to do; a writer waiting to
// commit may go on.
func (w *writer) syncerIdle() {
	if w.sync == nil {
		return
	}
	select {
	case w.idle <- struct{}{}:
	default: // said already
	}
}

// syncLoop takes every batch committed so far, syncs once and answers
// their jobs, until committed is closed; then it closes done. A job whose
// batch committed but could not be synced gets the sync's error: it may or
// may not outlast a crash, so the caller is not told it was stored. A
// failed sync is final (see writer).
func (w *writer) syncLoop(done chan<- struct{}) {
	defer close(done)
	for b := range w.committed {
		batches := []committedBatch{b}
	more:
		for {
			select {
			case b, ok := <-w.committed:
				if !ok {
					break more
				}
				batches = append(batches, b)
			default:
				break more
			}
		}
		err := w.syncBatches(batches)
		w.syncerIdle()
		for _, b := range batches {
			for i := range b.errs {
				if b.errs[i] == nil {
					b.errs[i] = err
				}
			}
			w.finish(b.jobs, b.errs)
		}
	}
}

// syncBatches syncs what batches committed, if any of their jobs
// committed anything, and records the outcome.
func (w *writer) syncBatches(batches []committedBatch) error {
	if failed := w.failed.Load(); failed != nil {
		return *failed
	}
	committed := false
	for _, b := range batches {
		committed = committed || slices.Contains(b.errs, nil)
	}
	if !committed {
		return nil
	}
	start := time.Now()
	err := w.sync()
	w.syncs.Add(1)
	w.syncTime.Add(int64(time.Since(start)))
	if err != nil {
		return w.fail(err)
	}
	w.health.record(nil)
	return nil
}

// fail records that the disk did not confirm a sync (err): every write
// from now on is refused with errNotSynced, until the service restarts.
// It returns the error writes get.
func (w *writer) fail(err error) error {
	err = fmt.Errorf("%w: %w", errNotSynced, err)
	if !w.failed.CompareAndSwap(nil, &err) {
		err = *w.failed.Load()
	}
	w.health.record(err)
	w.maintain() // SQLite's writer then keeps the write lock (holdLog)
	return err
}

// finish hands each job its outcome; a database that cannot take writes
// now is EUNAVAILABLE (503), not an internal error.
func (w *writer) finish(batch []writeJob, errs []error) {
	for i, j := range batch {
		j.done <- unavailable(errs[i])
	}
}
