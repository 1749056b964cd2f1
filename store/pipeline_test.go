package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/internal/pgtest"
	"github.com/intyg/intyg/store"
)

// TestPipelineFailureTakesOnlyItself stores 64 new certificates at once on
// PostgreSQL, which sends them in shared pipelines; every eighth has a
// patient name PostgreSQL refuses (a NUL byte), which aborts the pipeline
// it is in. Each refused one must fail alone: the others are stored, each
// once, under its key if it has one. Half have none, so that a pipeline
// that committed part of its inserts before failing would show: the part
// run again would collide with itself.
func TestPipelineFailureTakesOnlyItself(t *testing.T) {
	db := mustOpenDB(t, store.Postgres, pgtest.DSN(t))
	ctx := context.Background()
	tx0, w0 := db.WriteStats()
	errs := make([]error, 64)
	certs := make([]*intake.Certificate, len(errs))
	var body []byte
	for i := range certs {
		certs[i], body = mustCertificate(t, "full-time-one-period.json")
		if i%8 == 0 {
			certs[i].Patient.Name = "Bad\x00Name"
		}
	}
	unit := certs[0].Issuer.Unit.HSAID
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range certs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var idem *intake.Idempotency
			if i%2 == 1 {
				idem = &intake.Idempotency{Scope: unit, Key: fmt.Sprint("key-", i)}
			}
			_, _, errs[i] = db.CreateCertificate(ctx, c, body, idem)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if i%8 == 0 && err == nil {
			t.Errorf("certificate %d with a NUL in its name was stored", i)
		}
		if i%8 != 0 && err != nil {
			t.Errorf("certificate %d: %v", i, err)
		}
	}
	if n, _ := db.CountCertificates(ctx); n != 56 {
		t.Errorf("%d certificates stored, want 56", n)
	}
	for i := 1; i < len(errs); i += 2 {
		c, err := db.FindCertificateByIdempotencyKey(ctx, intake.Idempotency{Scope: unit, Key: fmt.Sprint("key-", i)})
		if err != nil || c == nil {
			t.Errorf("certificate %d under its key: %v, %v", i, c, err)
		}
	}
	tx, w := db.WriteStats()
	if w-w0 != 56 || tx-tx0 >= 56 {
		t.Errorf("56 inserts took %d transactions for %d writes; want them shared", tx-tx0, w-w0)
	}
}
