package store

import (
	"slices"
	"sync"
)

// batcher gathers the jobs that arrive while a batch is on its way into
// the next: one goroutine runs batches of at most max jobs, one at a time,
// while jobs wait, so that under load each batch holds what arrived during
// the last. PostgreSQL's round trips are what it saves (histories,
// pipelines).
type batcher[J any] struct {
	max int         // jobs in one batch
	run func(b []J) // runs a batch and answers its jobs

	mu      sync.Mutex
	waiting []J
	running bool           // a goroutine is running batches until none wait
	closed  bool           // close has begun: no more jobs
	done    sync.WaitGroup // the goroutine running
}

// add queues j for the next batch; false if the batcher is closed.
func (b *batcher[J]) add(j J) bool {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return false
	}
	b.waiting = append(b.waiting, j)
	start := !b.running
	if start {
		b.running = true
		b.done.Add(1)
	}
	b.mu.Unlock()
	if start {
		go b.loop()
	}
	return true
}

// loop runs batches while jobs wait.
func (b *batcher[J]) loop() {
	defer b.done.Done()
	for {
		b.mu.Lock()
		n := min(len(b.waiting), b.max)
		if n == 0 {
			b.running, b.waiting = false, nil
			b.mu.Unlock()
			return
		}
		batch := slices.Clone(b.waiting[:n])
		b.waiting = b.waiting[n:]
		b.mu.Unlock()
		b.run(batch)
	}
}

// close refuses new jobs and waits for the batches on their way.
func (b *batcher[J]) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.done.Wait()
}
