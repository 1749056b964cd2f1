package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// BenchmarkCreateCertificateConcurrent stores certificates (one sick-leave
// period, counted toward cases), each of a patient of its own and under an
// idempotency key of its own as the load tool's are, from 32 goroutines on
// both dialects, and reports this process's CPU time per certificate (on
// SQLite that is the database's too).
func BenchmarkCreateCertificateConcurrent(b *testing.B) {
	benchDialects(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		c, body := mustCertificate(b, "full-time-one-period.json")
		b.SetParallelism(16) // 32 goroutines on 2 cores
		var n atomic.Int64
		start := cpuTime()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i, one := n.Add(1), *c
				one.Patient.ID = fmt.Sprintf("19%010d", i*7919%10_000_000_000)
				idem := &intake.Idempotency{Scope: one.Issuer.Unit.HSAID, Key: fmt.Sprint("key-", i*104729)}
				if _, _, err := db.CreateCertificate(ctx, &one, body, idem, nil); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-µs/op")
	})
}

// cpuTime returns the CPU time this process has used (on SQLite that
// includes the database's), which a loaded machine disturbs less than
// wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
