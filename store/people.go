package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	_ "embed"
	"encoding/base64"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"

	"github.com/intyg/intyg/intake"
)

// CreateUnit registers a care unit. Returns EINVALID with the problems of
// intake.CheckUnit, and ECONFLICT if the HSA-id is registered.
func (db *DB) CreateUnit(ctx context.Context, u *intake.CareUnit) error {
	u.Tidy()
	if err := intake.InvalidError(intake.CheckUnit(u)); err != nil {
		return err
	}
	u.CreatedAt = db.now()
	defer db.tokens.clear() // a care provider's token covers its live units
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO units (hsa_id, name, address, postal_code, city, phone, workplace_code, care_provider_hsa_id, care_provider_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			u.HSAID, u.Name, u.Address, u.PostalCode, u.City, u.Phone, u.WorkplaceCode, u.CareProvider.HSAID, u.CareProvider.Name, db.timeArg(u.CreatedAt))
		return err
	})
	if isUniqueViolation(err) {
		return intake.Failure(intake.ECONFLICT, "conflict.unit", u.HSAID).
			WithProblems(intake.Problems{intake.NewProblem("/hsaId", "taken", "unit.taken", nil)})
	}
	if err != nil {
		return fmt.Errorf("store: create unit %s: %w", u.HSAID, err)
	}
	return nil
}

const unitFields = `hsa_id, name, address, postal_code, city, phone, workplace_code, care_provider_hsa_id, care_provider_name, created_at, disabled_at`

func scanUnit(row scanner) (*intake.CareUnit, error) {
	var u intake.CareUnit
	err := row.Scan(&u.HSAID, &u.Name, &u.Address, &u.PostalCode, &u.City, &u.Phone, &u.WorkplaceCode,
		&u.CareProvider.HSAID, &u.CareProvider.Name, timeValue{&u.CreatedAt}, timeValue{&u.DisabledAt})
	return &u, err
}

// FindUnits returns every unit, by HSA-id, disabled ones included.
func (db *DB) FindUnits(ctx context.Context) ([]*intake.CareUnit, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+unitFields+` FROM units ORDER BY hsa_id`)
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find units: %w", err))
	}
	defer rows.Close()
	var out []*intake.CareUnit
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, fmt.Errorf("store: find units: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// FindUnitByHSAID returns a unit. Returns ENOTFOUND if it is not registered.
func (db *DB) FindUnitByHSAID(ctx context.Context, hsaID string) (*intake.CareUnit, error) {
	u, err := scanUnit(db.read.QueryRowContext(ctx, db.rebind(`SELECT `+unitFields+` FROM units WHERE hsa_id = ?`), intake.UpperASCII(hsaID)))
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find unit %s: %w", hsaID, notFound(err, "notFound.unit")))
	}
	return u, nil
}

// SetUnitDisabled disables (or enables again) a unit: a disabled unit
// cannot be chosen at sign-in nor covered by a care provider's token.
// Returns ENOTFOUND for an unknown unit.
func (db *DB) SetUnitDisabled(ctx context.Context, hsaID string, disabled bool) error {
	defer db.tokens.clear() // a care provider's token covers its live units
	return db.setDisabled(ctx, "units", "hsa_id", intake.UpperASCII(hsaID), disabled, nil)
}

func (db *DB) setDisabled(ctx context.Context, table, key, id string, disabled bool, also func(ctx context.Context, tx *sql.Tx) error) error {
	var at any
	if disabled {
		at = db.timeArg(db.now())
	}
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.rebind(`UPDATE `+table+` SET disabled_at = ? WHERE `+key+` = ?`), at, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			missing := "notFound.userID"
			if table == "units" {
				missing = "notFound.unitID"
			}
			return intake.Failure(intake.ENOTFOUND, missing, id)
		}
		if also != nil {
			return also(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: disable %s %s: %w", table, id, err)
	}
	return nil
}

// Password rules: long enough, and not a common password (or one with
// digits and signs added at its ends).
const minPasswordLength = 12

//go:embed common-passwords.txt
var commonPasswordList string

// commonPasswords are the lower-case common passwords of the embedded list
// (Openwall's password.lst, public domain).
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(commonPasswordList, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#!comment:") {
			m[strings.ToLower(l)] = true
		}
	}
	return m
}()

// CheckPassword returns an EINVALID error at /password saying why a
// password may not be used: shorter than 12 characters, a common password
// (also with digits or signs around it), one repeated character, or the
// user name.
func CheckPassword(password, username string) error {
	lower := strings.ToLower(password)
	core := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	first, _ := utf8.DecodeRuneInString(password)
	repeated := password != "" && strings.Count(password, string(first)) == utf8.RuneCountInString(password)
	switch {
	case utf8.RuneCountInString(password) < minPasswordLength:
		return passwordProblem("password.short", minPasswordLength)
	case commonPasswords[lower] || commonPasswords[core] || repeated || isSequence(lower) ||
		(username != "" && strings.Contains(lower, strings.ToLower(username))):
		return passwordProblem("password.common", nil)
	}
	return nil
}

func passwordProblem(key string, arg any) error {
	return intake.Failure(intake.EINVALID, "invalid.password").
		WithProblems(intake.Problems{intake.NewProblem("/password", "weakPassword", key, arg)})
}

// isSequence reports runs such as "123456789012", "abcdefghijkl" and
// their reverse, "lkjihgfedcba" or "210987654321".
func isSequence(s string) bool {
	rs := []rune(s)
	up, down := true, true
	for i := 1; i < len(rs); i++ {
		a, b := rs[i-1], rs[i]
		up = up && (b == a+1 || a == '9' && b == '0')
		down = down && (b == a-1 || a == '0' && b == '9')
	}
	return up || down
}

// argon2Params are OWASP's argon2id parameters (19 MiB, 2 passes, 1 lane).
var argon2Params = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// hashLimiter bounds the password hashes under way: each takes
// argon2Params' 19 MiB and some tens of milliseconds of a core. At most
// cap(slots) run at once and at most maxHashWaiting more wait for one, so
// that a flood of sign-ins costs the server neither its memory nor its
// cores; what the queue cannot take is refused as unavailable (503, try
// again) at once.
type hashLimiter struct {
	slots   chan struct{}
	waiting atomic.Int32
}

const maxHashWaiting = 64

func newHashLimiter() *hashLimiter {
	return &hashLimiter{slots: make(chan struct{}, max(2, runtime.NumCPU()))}
}

// run runs fn, which hashes a password, in a slot: at once, after a wait,
// or not at all (EUNAVAILABLE) if the queue is full or ctx ends first.
func (h *hashLimiter) run(ctx context.Context, fn func()) error {
	busy := intake.Failure(intake.EUNAVAILABLE, "signIn.busy")
	if h.waiting.Add(1) > maxHashWaiting {
		h.waiting.Add(-1)
		return busy
	}
	select {
	case h.slots <- struct{}{}:
		h.waiting.Add(-1)
	case <-ctx.Done():
		h.waiting.Add(-1)
		return fmt.Errorf("%w (%v)", busy, ctx.Err())
	}
	defer func() { <-h.slots }()
	fn()
	return nil
}

// dummyHash is checked against when a user name does not exist, so that a
// sign-in takes as long whether it does or not.
var dummyHash = func() string {
	h, err := argon2id.CreateHash("no such user: constant-time sign-in", argon2Params)
	if err != nil {
		panic(err)
	}
	return h
}()

// CreateUser makes an account for u (username, name, role; for a
// physician HSA-id, signing role and units) with password, which must pass
// CheckPassword; it sets u's ID and CreatedAt. Returns EINVALID with the
// problems of intake.CheckUser and NewUserProblems together, ECONFLICT if the
// only problems are a user name or HSA-id in use, ENOTFOUND for a unit that
// is not registered.
func (db *DB) CreateUser(ctx context.Context, u *intake.User, password string) error {
	u.Tidy()
	more, err := db.NewUserProblems(ctx, u, password)
	if err != nil {
		return err
	}
	if ps := append(intake.CheckUser(u), more...); len(ps) > 0 {
		err := intake.InvalidError(ps)
		if !slices.ContainsFunc(ps, func(p intake.Problem) bool { return p.Code != "taken" }) {
			err.(*intake.Error).Code = intake.ECONFLICT // only taken: the account's own answers are right
		}
		return err
	}
	var hash string
	if herr := db.hashes.run(ctx, func() { hash, err = argon2id.CreateHash(password, argon2Params) }); herr != nil {
		return herr
	}
	if err != nil {
		return fmt.Errorf("store: create user: %w", err)
	}
	u.ID, u.CreatedAt = newID()[:16], db.now()
	err = db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO users (id, username, name, role, hsa_id, signing_role, prescriber_code, specialities, password_hash, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			u.ID, u.Username, u.Name, string(u.Role), u.HSAID, u.SigningRole, u.PrescriberCode, strings.Join(u.Specialities, "\n"), hash, db.timeArg(u.CreatedAt)); err != nil {
			return err
		}
		for _, unit := range u.Units {
			var n int
			if err := tx.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM units WHERE hsa_id = ? AND disabled_at IS NULL`), unit).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return intake.Failure(intake.ENOTFOUND, "notFound.unitNotRegistered", unit).
					WithProblems(intake.Problems{intake.NewProblem("/units", "unknown", "unit.unknown", nil)})
			}
			if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO user_units (user_id, unit_hsa_id) VALUES (?, ?)`), u.ID, unit); err != nil {
				return err
			}
		}
		return nil
	})
	if isUniqueViolation(err) {
		return intake.Failure(intake.ECONFLICT, "conflict.account", u.Username).
			WithProblems(intake.Problems{intake.NewProblem("/username", "taken", "account.taken", nil)})
	}
	if err != nil {
		return fmt.Errorf("store: create user %s: %w", u.Username, err)
	}
	return nil
}

const userFields = `id, username, name, role, hsa_id, signing_role, prescriber_code, specialities, created_at, disabled_at`

// findUser returns the user a query of userFields (plus extra) finds, with
// their units.
func (db *DB) findUser(ctx context.Context, where string, arg any, extra ...any) (*intake.User, error) {
	var u intake.User
	var role, specialities string
	dest := append([]any{&u.ID, &u.Username, &u.Name, &role, &u.HSAID, &u.SigningRole, &u.PrescriberCode, &specialities,
		timeValue{&u.CreatedAt}, timeValue{&u.DisabledAt}}, extra...)
	cols := userFields
	if len(extra) > 0 {
		cols += `, password_hash`
	}
	if err := db.read.QueryRowContext(ctx, db.rebind(`SELECT `+cols+` FROM users WHERE `+where), arg).Scan(dest...); err != nil {
		return nil, err
	}
	u.Role = intake.Role(role)
	if specialities != "" {
		u.Specialities = strings.Split(specialities, "\n")
	}
	var err error
	// A disabled unit is no longer one the person works at: it cannot be
	// chosen, and a session at it goes back to choosing.
	if u.Units, err = db.strings(ctx, `SELECT uu.unit_hsa_id FROM user_units uu JOIN units u ON u.hsa_id = uu.unit_hsa_id
		WHERE uu.user_id = ? AND u.disabled_at IS NULL ORDER BY uu.unit_hsa_id`, u.ID); err != nil {
		return nil, err
	}
	return &u, nil
}

// NewUserProblems are the problems of a new account u with password that
// only the store can judge, each at its field: a weak password, and a
// user name or HSA-id in use (an insert that finds one taken after this
// check is refused all the same).
func (db *DB) NewUserProblems(ctx context.Context, u *intake.User, password string) (intake.Problems, error) {
	var ps intake.Problems
	if err := CheckPassword(password, u.Username); err != nil {
		ps = append(ps, intake.ErrorProblems(err)...)
	}
	if u.Username != "" {
		switch _, err := db.FindUserByUsername(ctx, u.Username); intake.ErrorCode(err) {
		case "":
			ps = append(ps, intake.NewProblem("/username", "taken", "account.usernameTaken", nil))
		case intake.ENOTFOUND:
		default:
			return nil, err
		}
	}
	switch _, err := db.FindUserByHSAID(ctx, u.HSAID); intake.ErrorCode(err) {
	case "":
		ps = append(ps, intake.NewProblem("/hsaId", "taken", "account.hsaIdTaken", nil))
	case intake.ENOTFOUND:
	default:
		return nil, err
	}
	return ps, nil
}

// FindUserByID returns a user. Returns ENOTFOUND if there is none.
func (db *DB) FindUserByID(ctx context.Context, id string) (*intake.User, error) {
	u, err := db.findUser(ctx, `id = ?`, id)
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find user %s: %w", id, notFound(err, "notFound.user")))
	}
	return u, nil
}

// FindUserByHSAID returns the user with this personal HSA-id (what an
// identity provider's claim names). Returns ENOTFOUND if there is none,
// and for an empty HSA-id (users without one have "").
func (db *DB) FindUserByHSAID(ctx context.Context, hsaID string) (*intake.User, error) {
	if strings.TrimSpace(hsaID) == "" {
		return nil, intake.Failure(intake.ENOTFOUND, "notFound.user")
	}
	u, err := db.findUser(ctx, `hsa_id = ?`, intake.UpperASCII(hsaID))
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find user by HSA-id: %w", notFound(err, "notFound.user")))
	}
	return u, nil
}

// FindUserByUsername returns the user with this user name. Returns
// ENOTFOUND if there is none.
func (db *DB) FindUserByUsername(ctx context.Context, username string) (*intake.User, error) {
	u, err := db.findUser(ctx, `username = ?`, strings.ToLower(strings.TrimSpace(username)))
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find user by name: %w", notFound(err, "notFound.user")))
	}
	return u, nil
}

// FindUsers returns every user, by user name (byte by byte: PostgreSQL
// would order them by the database's collation), disabled ones included.
func (db *DB) FindUsers(ctx context.Context) ([]*intake.User, error) {
	ids, err := db.strings(ctx, `SELECT id FROM users`)
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find users: %w", err))
	}
	var out []*intake.User
	for _, id := range ids {
		u, err := db.FindUserByID(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *intake.User) int { return strings.Compare(a.Username, b.Username) })
	return out, nil
}

// SetUserDisabled disables (or enables again) an account; disabling ends
// every session of the person at once. Returns ENOTFOUND for an unknown id.
func (db *DB) SetUserDisabled(ctx context.Context, id string, disabled bool) error {
	return db.setDisabled(ctx, "users", "id", id, disabled, func(ctx context.Context, tx *sql.Tx) error {
		if !disabled {
			return nil
		}
		_, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM sessions WHERE user_id = ?`), id)
		return err
	})
}

// SetPassword changes a user's password, which must pass CheckPassword,
// and ends the person's sessions. Returns ENOTFOUND for an unknown id.
func (db *DB) SetPassword(ctx context.Context, id, password string) error {
	u, err := db.FindUserByID(ctx, id)
	if err != nil {
		return err
	}
	if err := CheckPassword(password, u.Username); err != nil {
		return err
	}
	var hash string
	if herr := db.hashes.run(ctx, func() { hash, err = argon2id.CreateHash(password, argon2Params) }); herr != nil {
		return herr
	}
	if err != nil {
		return fmt.Errorf("store: set password: %w", err)
	}
	err = db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE users SET password_hash = ? WHERE id = ?`), hash, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM sessions WHERE user_id = ?`), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: set password of %s: %w", id, err)
	}
	return nil
}

// Lock-out: failures of one user name from one address lock that pair for
// lockFor after lockPairAfter failures; failures of one user name from
// anywhere lock the account after lockAccountAfter (a spread-out attack),
// except from an address the name signed in from within knownFor. One
// address alone can thus never lock a person out of their account, nor
// can many addresses lock them out of the ones they use (an attacker
// would have to guess from those, five at a time); the per-address
// throttle in package web bounds how fast any guesses.
const (
	lockWindow       = 15 * time.Minute
	lockFor          = 15 * time.Minute
	lockPairAfter    = 5
	lockAccountAfter = 50
	knownFor         = 90 * 24 * time.Hour
)

// Authenticate checks a user name and password from addr. It returns the
// user, or EUNAUTHORIZED saying no more than that the sign-in failed
// (whether the name exists or not, the same answer and the same work), or
// ELOCKED while the name is locked for addr (or for everyone, after a
// spread-out attack). A failure is counted; a success clears the pair's.
func (db *DB) Authenticate(ctx context.Context, username, password, addr string) (*intake.User, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	now := db.now()
	if !intake.ValidUsername(username) {
		// No account has such a name, and it is no key to count failures
		// under (a 5,000-character one would not fit PostgreSQL's index):
		// the same work and answer as a wrong password; the address's
		// throttle counts it.
		if err := db.hashes.run(ctx, func() { argon2id.ComparePasswordAndHash(password, dummyHash) }); err != nil {
			return nil, err
		}
		return nil, intake.Failure(intake.EUNAUTHORIZED, "signIn.failed")
	}
	// The attempt counts as a failure before its password is checked, in
	// the write that finds whether the name is locked: attempts at once
	// (many requests, or several servers) each see those before them, where
	// each had counted the failures before any of them was written. A
	// sign-in that goes through deletes it with the pair's other failures.
	var locked bool
	if err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if db.dialect == Postgres { // SQLite's writer is one
			// A lock of the name, whether an account has it or not: the
			// same work and answers either way.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "sign-in:"+username); err != nil {
				return err
			}
		}
		var err error
		if locked, err = db.signInLocked(ctx, tx, username, addr, now); err != nil || locked {
			return err
		}
		_, err = tx.ExecContext(ctx, db.rebind(`INSERT INTO sign_in_failures (username, addr, at) VALUES (?, ?, ?)`), username, addr, db.timeArg(now))
		return err
	}); err != nil {
		return nil, unavailable(fmt.Errorf("store: sign in: %w", err))
	} else if locked {
		if err := db.hashes.run(ctx, func() { argon2id.ComparePasswordAndHash(password, dummyHash) }); err != nil {
			return nil, err
		}
		return nil, intake.Failure(intake.ELOCKED, "refused.locked", int(lockFor.Minutes()))
	}
	// An attempt whose password is not checked (too many at once, the
	// caller gone, the database failing) is no failure: withdrawn.
	withdraw := func() {
		db.writer.do(context.WithoutCancel(ctx), func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM sign_in_failures WHERE username = ? AND addr = ? AND at = ?`), username, addr, db.timeArg(now))
			return err
		})
	}
	var hash string
	u, err := db.findUser(ctx, `username = ?`, username, &hash)
	if err != nil && err != sql.ErrNoRows {
		withdraw()
		return nil, unavailable(fmt.Errorf("store: sign in: %w", err))
	}
	if err == sql.ErrNoRows || hash == "" {
		hash = dummyHash
	}
	var ok bool
	var cerr error
	if herr := db.hashes.run(ctx, func() { ok, cerr = argon2id.ComparePasswordAndHash(password, hash) }); herr != nil {
		withdraw()
		return nil, herr
	}
	if err != nil || cerr != nil || !ok || !u.DisabledAt.IsZero() {
		return nil, intake.Failure(intake.EUNAUTHORIZED, "signIn.failed") // its failure is written
	}
	if err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM sign_in_failures WHERE (username = ? AND addr = ?) OR at < ?`), username, addr, db.timeArg(now.Add(-lockWindow)))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO sign_in_known (username, addr, at) VALUES (?, ?, ?)
			ON CONFLICT (username, addr) DO UPDATE SET at = excluded.at`), username, addr, db.timeArg(now)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, db.rebind(`DELETE FROM sign_in_known WHERE username = ? AND at < ?`), username, db.timeArg(now.Add(-knownFor)))
		return err
	}); err != nil {
		return nil, fmt.Errorf("store: sign in: %w", err)
	}
	return u, nil
}

func (db *DB) signInLocked(ctx context.Context, tx *sql.Tx, username, addr string, now time.Time) (bool, error) {
	var pair, all, known int
	err := tx.QueryRowContext(ctx, db.rebind(`SELECT
		COALESCE(SUM(CASE WHEN addr = ? THEN 1 ELSE 0 END), 0), COUNT(*),
		(SELECT COUNT(*) FROM sign_in_known WHERE username = ? AND addr = ? AND at >= ?)
		FROM sign_in_failures WHERE username = ? AND at >= ?`),
		addr, username, addr, db.timeArg(now.Add(-knownFor)), username, db.timeArg(now.Add(-lockWindow))).Scan(&pair, &all, &known)
	return pair >= lockPairAfter || all >= lockAccountAfter && known == 0, err
}

// Session timeouts: a session ends after idleTimeout without a request,
// and absoluteTimeout after sign-in in any case.
const (
	IdleTimeout     = 30 * time.Minute
	AbsoluteTimeout = 12 * time.Hour
	// seenGrain is how often a session's last request is written.
	seenGrain = time.Minute
)

// CreateSession starts a session for a user (at unit, "" for none yet) and
// returns its secret, for the person's cookie only; the store keeps its
// SHA-256. A new secret every sign-in: a session id is never reused.
func (db *DB) CreateSession(ctx context.Context, userID, unit string) (string, *intake.Session, error) {
	b := make([]byte, 32)
	rand.Read(b)
	secret := base64.RawURLEncoding.EncodeToString(b)
	hash := hashSecret(secret)
	s := &intake.Session{ID: hash[:12], UserID: userID, Unit: unit, CreatedAt: db.now(), SeenAt: db.now()}
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Sessions past their absolute timeout go at every sign-in.
		if _, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM sessions WHERE created_at < ?`), db.timeArg(s.CreatedAt.Add(-AbsoluteTimeout))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO sessions (hash, user_id, unit_hsa_id, created_at, seen_at) VALUES (?, ?, ?, ?, ?)`),
			hash, userID, unit, db.timeArg(s.CreatedAt), db.timeArg(s.SeenAt))
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("store: create session: %w", err)
	}
	return secret, s, nil
}

// FindSession returns the live session with this secret and its user, and
// records the request (to the minute). Returns EUNAUTHORIZED when there is
// none, it has timed out (idle or absolute), or the user is disabled.
func (db *DB) FindSession(ctx context.Context, secret string) (*intake.Session, *intake.User, error) {
	return db.findSession(ctx, secret, true)
}

// PeekSession is FindSession without recording the request: for naming
// whom a refused request's cookie names, which must not keep the session
// alive.
func (db *DB) PeekSession(ctx context.Context, secret string) (*intake.Session, *intake.User, error) {
	return db.findSession(ctx, secret, false)
}

func (db *DB) findSession(ctx context.Context, secret string, touch bool) (*intake.Session, *intake.User, error) {
	hash := hashSecret(secret)
	s := &intake.Session{ID: hash[:12]}
	err := db.read.QueryRowContext(ctx, db.rebind(`SELECT user_id, unit_hsa_id, created_at, seen_at FROM sessions WHERE hash = ?`), hash).
		Scan(&s.UserID, &s.Unit, timeValue{&s.CreatedAt}, timeValue{&s.SeenAt})
	now := db.now()
	if err == sql.ErrNoRows || (err == nil && (now.Sub(s.SeenAt) >= IdleTimeout || now.Sub(s.CreatedAt) >= AbsoluteTimeout)) {
		return nil, nil, intake.Failure(intake.EUNAUTHORIZED, "refused.sessionEnded")
	}
	if err != nil {
		return nil, nil, unavailable(fmt.Errorf("store: find session: %w", err))
	}
	u, err := db.FindUserByID(ctx, s.UserID)
	if intake.ErrorCode(err) == intake.ENOTFOUND || (err == nil && !u.DisabledAt.IsZero()) {
		return nil, nil, intake.Failure(intake.EUNAUTHORIZED, "refused.sessionEnded")
	}
	if err != nil {
		return nil, nil, err
	}
	if touch && now.Sub(s.SeenAt) >= seenGrain {
		s.SeenAt = now
		if err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, db.rebind(`UPDATE sessions SET seen_at = ? WHERE hash = ?`), db.timeArg(now), hash)
			return err
		}); err != nil {
			return nil, nil, fmt.Errorf("store: touch session: %w", err)
		}
	}
	return s, u, nil
}

// SetSessionUnit sets the unit a physician works at in a session.
// Returns ENOTFOUND if the session has ended.
func (db *DB) SetSessionUnit(ctx context.Context, secret, unit string) error {
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.rebind(`UPDATE sessions SET unit_hsa_id = ? WHERE hash = ?`), unit, hashSecret(secret))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return intake.Failure(intake.ENOTFOUND, "refused.sessionEnded")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: set session unit: %w", err)
	}
	return nil
}

// DeleteSession ends a session (sign-out); ending one that has ended is
// not an error.
func (db *DB) DeleteSession(ctx context.Context, secret string) error {
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM sessions WHERE hash = ?`), hashSecret(secret))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}
