package pgtest

import (
	"database/sql"
	"os"
	"testing"
)

// TestStart starts a server of its own, as the load tool does, and finds
// its one empty database there.
func TestStart(t *testing.T) {
	if _, err := findBin(); err != nil && os.Getenv("CI") == "" {
		t.Skipf("PostgreSQL not installed: %v", err)
	}
	dsn, stop, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name string
	var tables int
	if err := db.QueryRow(`SELECT current_database(), (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')`).Scan(&name, &tables); err != nil {
		t.Fatal(err)
	}
	if name != "intyg" || tables != 0 {
		t.Errorf("database %q with %d tables, want intyg, empty", name, tables)
	}
}
