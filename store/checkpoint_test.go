package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/intyg/intyg/store"
)

// TestCheckpointBesideTheWriter: the writer never checkpoints SQLite's
// write-ahead log itself, so the database file grows only if the
// background checkpoint copies the log back into it.
func TestCheckpointBesideTheWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "intyg.db")
	db := mustOpenDB(t, store.SQLite, path)
	// What the migrations wrote may be checkpointed at any time.
	time.Sleep(3 * checkpointWait)
	before := fileSize(t, path)
	eng := mustEngine(t)
	_, body := mustCertificate(t, "full-time-one-period.json")
	for range 200 {
		c, err := eng.Intake(body, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.CreateCertificate(ctx, c, body, nil); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	// 200 certificates take more than 400 KB (their submitted bytes and
	// records alone).
	for fileSize(t, path) < before+400<<10 {
		if time.Now().After(deadline) {
			t.Fatalf("the database file grew from %d to only %d bytes with 200 certificates: they were not checkpointed", before, fileSize(t, path))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkpointWait is longer than the store's checkpoint interval.
const checkpointWait = 200 * time.Millisecond

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
