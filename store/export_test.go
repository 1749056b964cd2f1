package store

import (
	"database/sql"
)

// ExecSQLite runs one statement on a SQLite file, for tests that need to
// put the database in a state the API cannot.
func ExecSQLite(path, stmt string) error {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(stmt)
	return err
}
