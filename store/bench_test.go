package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/internal/pgtest"
	"github.com/intyg/intyg/store"
)

// fill stores n certificates and n access-log entries from 32 goroutines.
func fill(b *testing.B, db *store.DB, n int) {
	b.Helper()
	ctx := context.Background()
	_, body := mustCertificate(b, "full-time-one-period.json")
	eng := mustEngine(b)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 32 {
				c, err := eng.Intake(body, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
				if err == nil {
					_, _, err = db.CreateCertificate(ctx, c, body, nil, nil)
				}
				if err == nil {
					err = db.CreateAuditEntry(ctx, &intake.AuditEntry{TokenID: "t", Role: intake.RoleCaseworker, Action: "certificate.read", CertificateID: c.ID, PatientID: c.Patient.ID, RemoteAddr: "127.0.0.1:1"})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// BenchmarkBackup copies a SQLite database of 10,000 certificates (and as
// many access-log entries) with Backup.
func BenchmarkBackup(b *testing.B) {
	dir := b.TempDir()
	db := mustOpenDB(b, store.SQLite, filepath.Join(dir, "intyg.db"))
	fill(b, db, 10_000)
	ctx := context.Background()
	var size int64
	i := 0
	for b.Loop() {
		path := filepath.Join(dir, fmt.Sprintf("backup-%d.db", i))
		i++
		if err := db.Backup(ctx, path); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		size = fi.Size()
		os.Remove(path)
	}
	b.ReportMetric(float64(size)/(1<<20), "MB")
	b.SetBytes(size)
}

// BenchmarkVerifyAuditChain walks an access log of 10,000 entries.
func BenchmarkVerifyAuditChain(b *testing.B) {
	db := mustOpenDB(b, store.SQLite, filepath.Join(b.TempDir(), "intyg.db"))
	fill(b, db, 10_000)
	ctx := context.Background()
	for b.Loop() {
		if checked, broken, err := db.VerifyAuditChain(ctx); err != nil || broken != 0 || checked != 10_000 {
			b.Fatalf("VerifyAuditChain() = %d, %d, %v", checked, broken, err)
		}
	}
}

// BenchmarkAuditEntryConcurrent appends access-log entries from 32
// goroutines, as reads under load do, on both dialects.
func BenchmarkAuditEntryConcurrent(b *testing.B) {
	benchDialects(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		b.SetParallelism(16) // 32 goroutines on 2 cores
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := db.CreateAuditEntry(ctx, &intake.AuditEntry{TokenID: "t", Role: intake.RoleCaseworker, Action: "certificate.read", CertificateID: "c", PatientID: "191212121212", RemoteAddr: "127.0.0.1:1"}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// benchDialects runs a benchmark on a fresh SQLite file and a fresh
// PostgreSQL database.
func benchDialects(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	for _, d := range []struct{ name, driver string }{{"sqlite", store.SQLite}, {"postgres", store.Postgres}} {
		b.Run(d.name, func(b *testing.B) {
			dsn := filepath.Join(b.TempDir(), "intyg.db")
			if d.driver == store.Postgres {
				dsn = pgtest.DSN(b)
			}
			fn(b, mustOpenDB(b, d.driver, dsn))
		})
	}
}
