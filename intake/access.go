package intake

import (
	"slices"
	"time"
)

// Role is what a token may do.
type Role string

// Roles of API tokens.
const (
	// RoleClinic submits certificates and reads those its own unit submitted.
	RoleClinic Role = "clinic"
	// RoleCaseworker reads and searches every certificate.
	RoleCaseworker Role = "caseworker"
	// RoleAdmin manages tokens and reads the access log and metrics.
	RoleAdmin Role = "admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleClinic || r == RoleCaseworker || r == RoleAdmin
}

// Token is an API credential. Its secret is shown once and stored only as a
// SHA-256 hash.
type Token struct {
	// ID is the token's public id, for logs and revocation.
	ID string `json:"id"`
	// Role is what the token may do.
	Role Role `json:"role"`
	// Units are the care units a clinic token submits for.
	Units []string `json:"units,omitempty"`
	// CareProvider is, for a clinic token of a whole care provider (a
	// regional EHR), the provider's HSA-id: the token covers every unit
	// registered under it.
	CareProvider string `json:"careProvider,omitempty"`
	// Name says whose token it is, for people reading the access log.
	Name string `json:"name,omitempty"`
	// CreatedAt is when the token was made.
	CreatedAt time.Time `json:"createdAt"`
	// RevokedAt is when the token was revoked, or zero.
	RevokedAt time.Time `json:"revokedAt,omitzero"`
	// ExpiresAt is when the token stops working, or zero for never.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// LastUsedAt is when the token was last used (to the minute), or zero.
	LastUsedAt time.Time `json:"lastUsedAt,omitzero"`
}

// AuditEntry records one access to patient data: who, when, what, from where.
type AuditEntry struct {
	ID int64 `json:"id"`
	// At is when the access happened (UTC); set by the store.
	At time.Time `json:"at"`
	// TokenID, or UserID, and Role identify who; Name is the person's name
	// or the token's.
	TokenID string `json:"tokenId,omitempty"`
	UserID  string `json:"userId,omitempty"`
	Name    string `json:"name,omitempty"`
	Role    Role   `json:"role"`
	// Action is what was done: "certificate.read", "certificate.search", "certificate.pdf".
	Action string `json:"action"`
	// CertificateID is the certificate read, if one was.
	CertificateID string `json:"certificateId,omitempty"`
	// PatientID is the patient whose data was read or searched for (12 digits).
	PatientID string `json:"patientId,omitempty"`
	// Query is the search's filter, without identity numbers.
	Query string `json:"query,omitempty"`
	// RemoteAddr is where the request came from.
	RemoteAddr string `json:"remoteAddr"`
}

// AuditFilter selects audit entries; nil fields do not filter.
type AuditFilter struct {
	PatientID     *string
	CertificateID *string
	TokenID       *string
	UserID        *string
	Since         *time.Time
	// Cursor continues a previous page; Limit bounds the page (default 50).
	Cursor string
	Limit  int
}

// CertificateFilter selects certificates; nil fields do not filter. Results
// are newest first.
type CertificateFilter struct {
	PatientID *string // 12-digit form
	Template  *string
	Status    *Status
	// Units, when set, keeps the certificates of these units only (an
	// empty list keeps none).
	Units         *[]string
	ReceivedSince *time.Time
	// CareProvider keeps the certificates of the provider's registered units.
	CareProvider *string
	// ContactRequested keeps those whose physician asks for contact (or not).
	ContactRequested *bool
	// Messages keeps those with a message in this state: "open",
	// "answered" or "overdue" (open past its reply-by date on Today).
	Messages *string
	Today    Date
	// Flag keeps those that raised the attention flag with this code.
	Flag *string
	// Cursor continues a previous page; Limit bounds the page (default 50, at most 500).
	Cursor string
	Limit  int
}

// MessageFilter selects messages: of one certificate (oldest first), or
// across certificates (newest first, in cursor pages).
type MessageFilter struct {
	Certificate *string
	// Units, when set, keeps the messages to these units only (an empty
	// list keeps none).
	Units   *[]string
	Status  *MessageStatus
	Overdue bool
	// Today is the day overdue is judged on.
	Today  Date
	Cursor string
	Limit  int
}

// Idempotency names a client's retry key: the same Scope and Key with the
// same body is the same submission.
type Idempotency struct {
	Scope string
	Key   string
	// Request names what the key was given with where the stored thing
	// does not (a message: its certificate and body, hashed); a retry
	// under the key with another request is refused. A certificate is
	// named by its own SHA256.
	Request string
}

// KeyReused is the 409 of an idempotency key given again with another
// request: one problem at the whole request, code idempotencyKeyReused,
// in the words of the catalogue's key, which names what the key was used
// for (idempotency.keyReused: a submission; …Message: a message sent;
// …Answer: an answer).
func KeyReused(key string) *Error {
	return Failure(ECONFLICT, key).WithProblems(Problems{NewProblem("", codeKeyReused, key, nil)})
}

const codeKeyReused = "idempotencyKeyReused"

// IsKeyReused reports whether err is a KeyReused refusal.
func IsKeyReused(err error) bool {
	return slices.ContainsFunc(ErrorProblems(err), func(p Problem) bool { return p.Code == codeKeyReused })
}

// TokenRefused is the error of a token that is known but no longer works
// (revoked, or past its last day): EUNAUTHORIZED to the caller, as an
// unknown one, and naming the token for the access log, which shows that
// a retired credential is still presented.
type TokenRefused struct{ Token *Token }

func (e *TokenRefused) Error() string { return "token " + e.Token.ID + " is revoked or expired" }

// Unwrap makes it EUNAUTHORIZED (ErrorCode).
func (e *TokenRefused) Unwrap() error { return Failure(EUNAUTHORIZED, "refused.unauthorized") }
