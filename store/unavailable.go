package store

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/intyg/intyg/intake"
)

// isUnavailable reports an error that says the database cannot do the work
// now but may later: a full disk, a database locked past the busy timeout,
// an I/O fault, or a PostgreSQL server that is unreachable, shutting down or
// out of resources; or a patient's history that kept changing while a
// certificate was stored (errHistoryChanging). Such a fault is the
// client's to retry (503), not a bug.
func isUnavailable(err error) bool {
	if errors.Is(err, errNotSynced) || errors.Is(err, errHistoryChanging) {
		return true
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_NOMEM:
			return true
		}
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// 53: insufficient resources (53100 disk full); 57P: operator
		// intervention (shutdown); 08: connection exceptions; 58: system
		// errors; a deadlock still there after the writer ran the job
		// again (writer.again).
		return strings.HasPrefix(pgErr.Code, "53") || strings.HasPrefix(pgErr.Code, "57P") ||
			strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "58") || isDeadlock(err)
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err)
}

// isDeadlock reports a transaction PostgreSQL ended to break a deadlock
// (40P01): two transactions that took their locks in different orders.
// Run again, the work usually goes through (writer.again).
func isDeadlock(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "40P01"
}

// unavailable turns an unavailable-database error into EUNAVAILABLE, keeping
// the cause in the text for the server's log; other errors pass unchanged.
func unavailable(err error) error {
	if err == nil || intake.ErrorCode(err) != intake.EINTERNAL || !isUnavailable(err) {
		return err
	}
	return fmt.Errorf("%w (%v)", intake.Failure(intake.EUNAVAILABLE, "unavailable.database"), err)
}

// health remembers whether the last write failed because the database was
// unavailable, so that readiness reports it until a write succeeds again.
type health struct {
	mu     sync.Mutex
	failed time.Time // zero: the last write went through
	cause  error
}

func (h *health) record(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err == nil:
		h.failed, h.cause = time.Time{}, nil
	case isUnavailable(err):
		h.failed, h.cause = time.Now(), err
	}
}

func (h *health) lastFailure() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failed.IsZero() {
		return nil
	}
	return h.cause
}
