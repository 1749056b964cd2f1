package store_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/intyg/intyg/store"
)

// BenchmarkCreateCertificateConcurrent stores certificates (one sick-leave
// period, counted toward cases) from 32 goroutines on both dialects, and
// reports this process's CPU time per certificate (on SQLite that is the
// database's too).
func BenchmarkCreateCertificateConcurrent(b *testing.B) {
	benchDialects(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		c, body := mustCertificate(b, "full-time-one-period.json")
		b.SetParallelism(16) // 32 goroutines on 2 cores
		start := cpuTime()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				one := *c
				if _, _, err := db.CreateCertificate(ctx, &one, body, nil); err != nil {
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
