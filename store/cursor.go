package store

import (
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"github.com/intyg/intyg/intake"
)

// A cursor is a page's position in the one list (and order) that made it,
// and names that list, so that no other list reads it: a certificates
// cursor given to the messages list would otherwise be read as a position
// among messages and give a wrong page, or an empty one, without a word.
// The lists ordered by a time and an id encode "list|time|id" in URL-safe
// base64; the access log's cursor is an entry's id in decimal, which no
// base64 cursor is and which decodes to no "list|…" text.
const (
	certificateCursors = "certificates" // newest received first, however filtered
	messageCursors     = "messages"     // newest sent first, across certificates
)

// encodeCursor is the cursor of list's page after the row at (at, id).
func encodeCursor(list string, at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(list + "|" + at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

// badCursor is the refusal of a cursor the store did not make for the
// list it is given to.
func badCursor() *intake.Error {
	return intake.Failure(intake.EINVALID, "invalid.cursor").WithProblems(intake.Problems{intake.NewProblem("/cursor", "invalid", "invalid.cursor", nil)})
}

// decodeCursor reads a cursor that list made (encodeCursor). Returns
// EINVALID (badCursor) for any other.
func decodeCursor(list, s string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", badCursor()
	}
	name, pos, named := strings.Cut(string(b), "|")
	if !named {
		return time.Time{}, "", badCursor()
	}
	if _, err := time.Parse(time.RFC3339Nano, name); err == nil {
		// A cursor made before cursors named their list ("time|id"),
		// handed out by a server of an earlier version sharing the
		// database: a certificate's id begins with the millisecond it was
		// received (newCertificateID), a message's is random.
		name, pos = legacyCursorList(string(b)), string(b)
	}
	at, id, ok := strings.Cut(pos, "|")
	t, err := time.Parse(time.RFC3339Nano, at)
	// The id is one the store made (URL-safe base64): anything else, such
	// as a NUL that PostgreSQL refuses in text, is not a cursor of ours.
	if name != list || !ok || err != nil || id == "" || strings.ContainsFunc(id, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_')
	}) {
		return time.Time{}, "", badCursor()
	}
	return t, id, nil
}

// legacyCursorList names the list that made an unnamed cursor "time|id":
// the certificates list if id is a certificate's received at that
// millisecond, else the messages list.
func legacyCursorList(pos string) string {
	at, id, _ := strings.Cut(pos, "|")
	t, terr := time.Parse(time.RFC3339Nano, at)
	b, berr := base64.RawURLEncoding.DecodeString(id)
	if terr == nil && berr == nil && len(b) == 16 && int64(binary.BigEndian.Uint64(b[:8])>>16) == t.UnixMilli() {
		return certificateCursors
	}
	return messageCursors
}

// encodeAuditCursor is the access log's cursor of the page after entry id.
func encodeAuditCursor(id int64) string { return strconv.FormatInt(id, 10) }

// decodeAuditCursor reads an access-log cursor (encodeAuditCursor).
// Returns EINVALID (badCursor) for any other.
func decodeAuditCursor(s string) (int64, error) {
	before, err := strconv.ParseInt(s, 10, 64)
	if err != nil || before <= 0 { // a cursor made here is an entry's id
		return 0, badCursor()
	}
	return before, nil
}
