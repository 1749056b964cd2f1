package intake

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/intyg/intyg/schemas"
)

// RolePhysician is a person who writes and signs certificates for the units
// they work at. (Clinic is the role of a system's token doing the same.)
const RolePhysician Role = "physician"

// RoleCoordinator is a rehabilitation coordinator (rehabkoordinator): a
// person at one or more care units who follows the unit's patients'
// sick leave, reading their certificates and cases, and signs nothing.
const RoleCoordinator Role = "coordinator"

// PersonRole reports whether r is a role a person can have: physician,
// coordinator, caseworker or admin.
func (r Role) PersonRole() bool {
	return r == RolePhysician || r == RoleCoordinator || r == RoleCaseworker || r == RoleAdmin
}

// AtUnits reports whether a person of role r works at care units (and
// picks one per session): physicians and rehabilitation coordinators.
func (r Role) AtUnits() bool { return r == RolePhysician || r == RoleCoordinator }

// CareUnit is a care unit (vårdenhet) registered in Intyg: what its
// certificates print as the issuing unit, and the care provider it
// belongs to.
type CareUnit struct {
	Unit
	// CareProvider is the organisation responsible for the unit.
	CareProvider CareProvider `json:"careProvider"`
	// CreatedAt is when the unit was registered.
	CreatedAt time.Time `json:"createdAt"`
	// DisabledAt is when the unit was disabled, or zero.
	DisabledAt time.Time `json:"disabledAt,omitzero"`
}

// User is a person with an account: a physician, a caseworker or an admin.
type User struct {
	// ID is the user's stable id, for the access log.
	ID string `json:"id"`
	// Username is what the person signs in with.
	Username string `json:"username"`
	// Name is the person's full name.
	Name string `json:"name"`
	// Role is physician, caseworker or admin.
	Role Role `json:"role"`
	// HSAID is a physician's personal HSA-id (and what an identity provider's
	// claim is matched against).
	HSAID string `json:"hsaId,omitempty"`
	// SigningRole is a physician's role as an issuer: DOCTOR, PRIVATE_DOCTOR, DENTIST.
	SigningRole string `json:"signingRole,omitempty"`
	// PrescriberCode is a physician's förskrivarkod.
	PrescriberCode string `json:"prescriberCode,omitempty"`
	// Specialities are a physician's specialities.
	Specialities []string `json:"specialities,omitempty"`
	// Units are the HSA-ids of the units a physician works at.
	Units []string `json:"units,omitempty"`
	// CreatedAt is when the account was made.
	CreatedAt time.Time `json:"createdAt"`
	// DisabledAt is when the account was disabled, or zero.
	DisabledAt time.Time `json:"disabledAt,omitzero"`
}

// WorksAt reports whether the user works at the unit.
func (u *User) WorksAt(unit string) bool { return slices.Contains(u.Units, unit) }

// Session is a signed-in person's session on the server. Its secret lives
// only in the person's cookie; the store keeps its hash.
type Session struct {
	// ID is the session's public id (a prefix of its hash), for logs.
	ID string `json:"id"`
	// UserID is whose session it is.
	UserID string `json:"userId"`
	// Unit is the unit a physician chose to work at in this session.
	Unit string `json:"unit,omitempty"`
	// CreatedAt is the sign-in; with the absolute timeout it bounds the session.
	CreatedAt time.Time `json:"createdAt"`
	// SeenAt is the last request; with the idle timeout it bounds the session.
	SeenAt time.Time `json:"seenAt"`
}

// Actor is who makes a request: a signed-in person (User, with their
// Session), or a system with an API token (Token).
type Actor struct {
	User    *User
	Session *Session
	Token   *Token
	// Units are the units the actor may submit for and read the
	// certificates of: a physician's chosen unit, or a token's units (all
	// of its care provider's, for a care-provider token). Empty for
	// caseworkers and admins.
	Units []string
}

// Role returns the actor's role.
func (a *Actor) Role() Role {
	if a.User != nil {
		return a.User.Role
	}
	return a.Token.Role
}

// Issues reports whether the actor submits certificates: a physician or a
// clinic token.
func (a *Actor) Issues() bool {
	r := a.Role()
	return r == RolePhysician || r == RoleClinic
}

// UnitBound reports whether the actor sees only its units' certificates,
// cases and messages: those who issue, and rehabilitation coordinators.
func (a *Actor) UnitBound() bool { return a.Issues() || a.Role() == RoleCoordinator }

// CoversUnit reports whether the actor may submit for, and read the
// certificates of, unit.
func (a *Actor) CoversUnit(unit string) bool { return slices.Contains(a.Units, unit) }

// Audit returns an access-log entry naming the actor: the person (id, name,
// role) or the token (id, name, role).
func (a *Actor) Audit(action, remoteAddr string) *AuditEntry {
	e := &AuditEntry{Role: a.Role(), Action: action, RemoteAddr: remoteAddr}
	if a.User != nil {
		e.UserID, e.Name = a.User.ID, a.User.Name
	}
	if a.Token != nil {
		e.TokenID, e.Name = a.Token.ID, a.Token.Name
	}
	return e
}

// CheckSigningRole returns the problem at /signingRole of a physician
// whose signing role no template lets sign (reg.IssuerRoles): every
// certificate the account tried would be refused at /issuer/role. A
// missing role is CheckUser's.
func CheckSigningRole(u *User, reg *schemas.Registry) Problems {
	if u.Role != RolePhysician || strings.TrimSpace(u.SigningRole) == "" {
		return nil
	}
	var values []string
	for _, r := range reg.IssuerRoles() {
		if r.Value == u.SigningRole {
			return nil
		}
		values = append(values, r.Value)
	}
	return Problems{problem("/signingRole", "enum", strings.Join(values, ", "))}
}

// CheckUser returns what is wrong with u as an account (its password
// aside, which the store checks), each problem at the pointer of u's JSON
// field: a user name of 2–64 lower-case letters, digits, '.', '-' or '_';
// a name; a person's role; for a physician an HSA-id, a signing role and
// at least one unit; units only for a physician. It expects u's user name
// in lower case and its HSA-ids in upper case, as the store keeps them.
func CheckUser(u *User) Problems {
	var ps Problems
	if !ValidUsername(u.Username) {
		ps = append(ps, NewProblem("/username", "pattern", "account.username", nil))
	}
	if strings.TrimSpace(u.Name) == "" {
		ps = append(ps, problem("/name", "required", nil))
	}
	ps = textProblems(ps, "/name", u.Name, maxRegisteredText)
	ps = textProblems(ps, "/signingRole", u.SigningRole, maxRegisteredText)
	if !u.Role.PersonRole() {
		ps = append(ps, NewProblem("/role", "enum", "account.role", nil))
	}
	switch {
	case u.Role == RolePhysician:
		if u.HSAID == "" {
			ps = append(ps, problem("/hsaId", "required", nil))
		} else if !isHSAID(u.HSAID) {
			ps = append(ps, NewProblem("/hsaId", "pattern", "hsaId.pattern", nil))
		}
		if strings.TrimSpace(u.SigningRole) == "" {
			ps = append(ps, problem("/signingRole", "required", nil))
		}
		if len(u.Units) == 0 {
			ps = append(ps, NewProblem("/units", "minItems", "account.units", nil))
		}
	case u.Role == RoleCoordinator:
		if len(u.Units) == 0 {
			ps = append(ps, NewProblem("/units", "minItems", "account.units", nil))
		}
	case len(u.Units) > 0:
		ps = append(ps, NewProblem("/units", "notAllowed", "account.unitsNotAllowed", nil))
	}
	if u.HSAID != "" && u.Role != RolePhysician && !isHSAID(u.HSAID) {
		ps = append(ps, NewProblem("/hsaId", "pattern", "hsaId.pattern", nil))
	}
	return sortProblems(ps)
}

// Registered texts are bounded as a submission bounds the same texts
// (the envelope's names, address and city; its phone), so that what an
// admin registers a physician can sign with.
const (
	maxRegisteredText  = 200
	maxRegisteredPhone = 100
)

// textProblems adds what is wrong with a registered text v at pointer:
// more than max characters, or a control character.
func textProblems(ps Problems, pointer, v string, max int) Problems {
	if utf8.RuneCountInString(v) > max {
		ps = append(ps, problem(pointer, "maxLength", max))
	}
	if c, found := firstControl(v); found {
		ps = append(ps, problem(pointer, "invalidCharacter", fmt.Sprintf("U+%04X", c)))
	}
	return ps
}

// ValidUsername reports whether s can be a user name: 2 to 64 of a–z, 0–9,
// ".", "-" and "_" (after Tidy's lower-casing).
func ValidUsername(s string) bool {
	if len(s) < 2 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// CheckUnit returns what is wrong with u as a registered unit, each
// problem at the pointer of u's JSON field: HSA-ids of the unit and its
// care provider, a name, address, postal code (NNN NN, as certificates
// print it), city and phone, and the care provider's name. It expects the
// HSA-ids in upper case.
func CheckUnit(u *CareUnit) Problems {
	var ps Problems
	for _, f := range []struct{ pointer, v string }{
		{"/name", u.Name}, {"/address", u.Address}, {"/city", u.City}, {"/phone", u.Phone}, {"/careProvider/name", u.CareProvider.Name},
	} {
		if strings.TrimSpace(f.v) == "" {
			ps = append(ps, problem(f.pointer, "required", nil))
		}
		max := maxRegisteredText
		if f.pointer == "/phone" {
			max = maxRegisteredPhone
		}
		ps = textProblems(ps, f.pointer, f.v, max)
	}
	for _, f := range []struct{ pointer, v string }{{"/hsaId", u.HSAID}, {"/careProvider/hsaId", u.CareProvider.HSAID}} {
		switch {
		case f.v == "":
			ps = append(ps, problem(f.pointer, "required", nil))
		case !isHSAID(f.v):
			ps = append(ps, NewProblem(f.pointer, "pattern", "hsaId.pattern", nil))
		}
	}
	switch pc := u.PostalCode; {
	case strings.TrimSpace(pc) == "":
		ps = append(ps, problem("/postalCode", "required", nil))
	case len(pc) != 6 || pc[3] != ' ' || !isPostalCode(pc):
		ps = append(ps, NewProblem("/postalCode", "pattern", "unit.postalCode", nil))
	}
	return sortProblems(ps)
}

// CheckToken returns what is wrong with t as a new API token at now, each
// problem at the pointer of t's JSON field: a known role; for a clinic
// token its units or its care provider (not both), for others neither;
// HSA-ids in their format; an expiry in the future. It expects HSA-ids in
// upper case.
func CheckToken(t *Token, now time.Time) Problems {
	var ps Problems
	scoped := len(t.Units) > 0 || t.CareProvider != ""
	switch {
	case !t.Role.Valid():
		ps = append(ps, NewProblem("/role", "enum", "token.role", nil))
	case t.Role == RoleClinic && !scoped:
		ps = append(ps, NewProblem("/units", "required", "token.scope", nil))
	case t.Role == RoleClinic && len(t.Units) > 0 && t.CareProvider != "":
		ps = append(ps, NewProblem("/careProvider", "notAllowed", "token.unitsOrProvider", nil))
	case t.Role != RoleClinic && scoped:
		ps = append(ps, NewProblem("/units", "notAllowed", "token.scopeNotAllowed", nil))
	}
	seen := map[string]bool{}
	for i, u := range t.Units {
		switch {
		case !isHSAID(u):
			ps = append(ps, NewProblem(JoinPointer("/units", strconv.Itoa(i)), "pattern", "hsaId.pattern", nil))
		case seen[u]:
			ps = append(ps, problem(JoinPointer("/units", strconv.Itoa(i)), "duplicate", nil))
		}
		seen[u] = true
	}
	if t.CareProvider != "" && !isHSAID(t.CareProvider) {
		ps = append(ps, NewProblem("/careProvider", "pattern", "hsaId.pattern", nil))
	}
	if !t.ExpiresAt.IsZero() && !t.ExpiresAt.After(now) {
		ps = append(ps, NewProblem("/expiresAt", "minimum", "token.expiry", nil))
	}
	ps = textProblems(ps, "/name", t.Name, maxRegisteredText) // the access log names the token by it
	return sortProblems(ps)
}

// InvalidError returns an EINVALID error of ps, sorted, whose message is
// the first problem's (in English), or nil for no problems.
func InvalidError(ps Problems) error {
	if len(ps) == 0 {
		return nil
	}
	ps = sortProblems(slices.Clone(ps))
	return &Error{Code: EINVALID, Message: ps[0].MessageEn, Problems: ps}
}

// Stockholm is the time zone of the people who use Intyg: the dates they
// give and the times pages show are in it. (time/tzdata is embedded.)
var Stockholm = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		panic(err)
	}
	return loc
}()

// ValidThrough returns when something valid through day d stops being
// valid: the midnight after d in Europe/Stockholm, as UTC.
func ValidThrough(d Date) time.Time {
	y, m, day := d.Date()
	return time.Date(y, m, day+1, 0, 0, 0, 0, Stockholm).UTC()
}

// LastValidDay is ValidThrough undone: the last day something that stops
// being valid at t is valid ("" for a zero t, valid until further notice).
func LastValidDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return DateOf(t.Add(-time.Nanosecond)).String()
}

// Tidy puts u's identifiers in the form they are kept in: the user name
// trimmed and in lower case, HSA-ids trimmed and in upper case.
func (u *User) Tidy() {
	u.Username = strings.ToLower(strings.TrimSpace(u.Username))
	u.HSAID = UpperASCII(strings.TrimSpace(u.HSAID))
	u.Units = upperAll(u.Units)
}

// Tidy puts u's HSA-ids in the form they are kept in: trimmed, upper case.
func (u *CareUnit) Tidy() {
	u.HSAID = UpperASCII(strings.TrimSpace(u.HSAID))
	u.CareProvider.HSAID = UpperASCII(strings.TrimSpace(u.CareProvider.HSAID))
}

// Tidy puts t's HSA-ids in the form they are kept in: trimmed, upper case.
func (t *Token) Tidy() {
	t.Units = upperAll(t.Units)
	t.CareProvider = UpperASCII(strings.TrimSpace(t.CareProvider))
}

func upperAll(ss []string) []string {
	for i, s := range ss {
		ss[i] = UpperASCII(strings.TrimSpace(s))
	}
	return ss
}

// DraftLockAfter is how long a draft can be edited and signed: older ones
// are locked (read and deleted only), as in Webcert.
const DraftLockAfter = 14 * 24 * time.Hour

// Draft is a certificate being written: the form's values as the
// physician left them. A draft is never a certificate: nothing reaches
// caseworkers or the API lists until it is signed.
type Draft struct {
	// ID is the draft's random id.
	ID string `json:"id"`
	// UserID is the physician writing it; Unit the unit they write for.
	UserID string `json:"userId"`
	Unit   string `json:"unit"`
	// Template and Version name the form.
	Template string `json:"template"`
	Version  string `json:"version"`
	// PatientID (12 digits, when what was typed is a valid number) and
	// PatientName are what the list of drafts shows.
	PatientID   string `json:"patientId,omitempty"`
	PatientName string `json:"patientName,omitempty"`
	// Form is the form's values, URL-encoded as posted.
	Form string `json:"-"`
	// CreatedAt and UpdatedAt are the first and the last save.
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Base, on a save, is the save the form was opened at or last saved
	// as (its UpdatedAt), if known: a save over a later one (made in
	// another tab) is refused, not a silent overwrite of its answers.
	Base time.Time `json:"-"`
	// CertificateID is the certificate it became when signed, or "".
	CertificateID string `json:"certificateId,omitempty"`
	// Locked is set by the store when the draft is older than
	// DraftLockAfter: it may be read and deleted, not edited or signed.
	Locked bool `json:"locked"`
	// SavedAs is, for a deleted draft, the draft its answers were saved
	// as since (a tab still open on it saved after the delete), or "".
	SavedAs string `json:"-"`
}
