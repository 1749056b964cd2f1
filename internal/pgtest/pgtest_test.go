package pgtest

import (
	"database/sql"
	"os"
	"testing"
)

// TestStartSettings starts a server of its own with a setting, as the load
// tool does, and reads the setting back.
func TestStartSettings(t *testing.T) {
	if _, err := findBin(); err != nil && os.Getenv("CI") == "" {
		t.Skipf("PostgreSQL not installed: %v", err)
	}
	dsn, stop, err := Start("autovacuum_naptime=7s")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got string
	if err := db.QueryRow("SHOW autovacuum_naptime").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "7s" {
		t.Errorf("autovacuum_naptime = %q, want 7s", got)
	}
}
