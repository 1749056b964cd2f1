package intake

import (
	"slices"
	"time"
)

// RolePhysician is a person who writes and signs certificates for the units
// they work at. (Clinic is the role of a system's token doing the same.)
const RolePhysician Role = "physician"

// PersonRole reports whether r is a role a person can have: physician,
// caseworker or admin.
func (r Role) PersonRole() bool {
	return r == RolePhysician || r == RoleCaseworker || r == RoleAdmin
}

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
