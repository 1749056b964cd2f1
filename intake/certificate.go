package intake

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// Status is where a stored certificate is in its life.
type Status string

// Statuses of a certificate. Status changes are appended as events; a stored
// submission is never overwritten.
const (
	StatusReceived Status = "received" // accepted and stored, not yet handled
	StatusRevoked  Status = "revoked"  // withdrawn by the issuer (MAKULERAT)
	StatusReplaced Status = "replaced" // superseded by a newer certificate (ERSATT)
	StatusHandled  Status = "handled"  // a caseworker marked it handled
)

// Revocation reasons (Inera's and the agency's codes).
const (
	RevokeWrongPatient = "FEL_PATIENT"          // written for the wrong patient
	RevokeSeriousError = "ANNAT_ALLVARLIGT_FEL" // another serious error
)

// MaxRevocationMessage bounds a revocation's message, in characters.
const MaxRevocationMessage = 3500

// Revocation is why, when and by whom a certificate was revoked.
type Revocation struct {
	Reason  string    `json:"reason"`
	Message string    `json:"message"` // "" when none was given
	At      time.Time `json:"at"`
	By      string    `json:"by"`
}

// ParseRevocation returns a revocation's message trimmed and in NFC, as
// every free text is kept, and reports what is wrong with the reason and
// message: the reason is one of the codes, the message is required for
// another serious error, at most MaxRevocationMessage characters and free
// of control characters, as every text.
func ParseRevocation(reason, message string) (string, Problems) {
	message = cleanString(message)
	var ps Problems
	switch reason {
	case RevokeWrongPatient, RevokeSeriousError:
	case "":
		ps = append(ps, problem("/reason", "required", nil))
	default:
		ps = append(ps, problem("/reason", "enum", RevokeWrongPatient+", "+RevokeSeriousError))
	}
	switch n := utf8.RuneCountInString(message); {
	case reason == RevokeSeriousError && message == "":
		ps = append(ps, problem("/message", "required", nil))
	case n > MaxRevocationMessage:
		ps = append(ps, problem("/message", "maxLength", MaxRevocationMessage))
	}
	return message, controlProblems(map[string]any{"message": message}, ps)
}

// Event is one change in a certificate's life, appended and never changed.
type Event struct {
	// Type is what happened: received, handled, unhandled, …
	Type string `json:"type"`
	// At is when (UTC).
	At time.Time `json:"at"`
	// By is who: a person's user id, a token's id, or the issuer's HSA-id
	// for the events a submission causes (received; replaced, renewed and
	// messageAnswered on the certificate it relates to).
	By string `json:"by"`
	// Via is, for the events a submission causes, what it came through:
	// the clinic system's token id, or the physician's user id for a
	// certificate signed on the form; empty for the other events, and for
	// events stored before it was kept.
	Via string `json:"via,omitempty"`
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	return s == StatusReceived || s == StatusRevoked || s == StatusReplaced || s == StatusHandled
}

// Certificate is the normalised record of one accepted submission. The
// fields up to Warnings are derived from the submission by Normalize; ID,
// Status, ReceivedAt, SHA256 and the rest are set by the store.
type Certificate struct {
	// ID is the random, URL-safe id the store gives the certificate.
	ID string `json:"id,omitempty"`
	// Template is the template name, as in its folder.
	Template string `json:"template" validate:"required"`
	// Version is the template version, such as "1.0".
	Version string `json:"version" validate:"required"`
	// Patient is the person the certificate is about.
	Patient Patient `json:"patient"`
	// Issuer is the signing physician and their unit.
	Issuer Issuer `json:"issuer"`
	// SignedAt is when the issuer signed, as submitted (with its offset).
	SignedAt time.Time `json:"signedAt" validate:"required"`
	// SignedOn is the date of SignedAt in Europe/Stockholm: "today" for the rules.
	SignedOn Date `json:"signedOn"`
	// Answers are the template's answers, trimmed, in NFC, with codes normalised.
	Answers map[string]any `json:"answers" validate:"required"`
	// Diagnoses are the diagnoses in order, with dotted codes and titles.
	Diagnoses []Diagnosis `json:"diagnoses,omitempty" validate:"dive"`
	// SickLeave holds the periods and derived day counts, for templates that have them.
	SickLeave *SickLeave `json:"sickLeave,omitempty"`
	// ContactRequested is true when the physician asks the agency to get in
	// touch (the answer the template's derive block names).
	ContactRequested bool `json:"contactRequested,omitempty"`
	// Warnings are the non-blocking problems found at intake.
	Warnings Problems `json:"warnings,omitempty"`
	// Relation is the submission's link to an earlier certificate; the
	// store keeps it, and records list it in Relations.
	Relation *Relation `json:"-"`

	// Relations are the certificate's relations both ways.
	Relations []RelationLink `json:"relations,omitempty"`
	// OpenMessages counts the open messages about the certificate.
	OpenMessages int `json:"openMessages,omitempty"`
	// OverdueMessages and AnsweredMessages count the open messages past
	// their reply-by date and the answered ones, for the pages.
	OverdueMessages  int `json:"-"`
	AnsweredMessages int `json:"-"`
	// Flags are the attention flags raised at intake, from the patient's
	// stored certificates at that moment (Engine.Flags).
	Flags []Flag `json:"flags,omitempty"`
	// CountsTowardCases is true when the certificate counts toward the
	// patient's sick-leave cases (its template's cases block); the store
	// keeps it in a column.
	CountsTowardCases bool `json:"-"`

	// Status is the certificate's current status.
	Status Status `json:"status,omitempty"`
	// Revocation says why, when and by whom a revoked certificate was revoked.
	Revocation *Revocation `json:"revocation,omitempty"`
	// ReceivedAt is when the store committed the certificate (UTC).
	ReceivedAt time.Time `json:"receivedAt,omitzero"`
	// SHA256 is the hex SHA-256 of the submitted bytes.
	SHA256 string `json:"sha256,omitempty"`
	// IdempotencyKey is the client's Idempotency-Key, if it sent one.
	IdempotencyKey string `json:"-"`
	// Via is what the certificate was submitted through, kept in the
	// events it causes (Event.Via): the clinic system's token id, or the
	// physician's user id for one signed on the form.
	Via string `json:"-"`
	// OneInForce, set for a certificate signed on the physician's pages,
	// refuses its completion of a certificate that another has replaced
	// already (409 certificateReplaced, CheckRelation), so that one
	// certificate stays in force; the API takes such a completion while a
	// request is open, as the contract asks no more.
	OneInForce bool `json:"-"`
}

// Patient is the person a certificate is about.
type Patient struct {
	// ID is the identity number in 12-digit form YYYYMMDDNNNN.
	ID string `json:"id" validate:"required,personalid"`
	// IDKind says whether ID is a personnummer or a samordningsnummer.
	IDKind IDKind `json:"idKind" validate:"oneof=personnummer samordningsnummer"`
	// DateOfBirth is derived from ID (day − 60 for a samordningsnummer).
	DateOfBirth Date `json:"dateOfBirth"`
	// Name is the patient's name.
	Name string `json:"name" validate:"required,max=200"`
}

// Issuer is the physician who signed, with their unit.
type Issuer struct {
	HSAID          string        `json:"hsaId" validate:"hsaid"`
	Name           string        `json:"name" validate:"required"`
	Role           string        `json:"role" validate:"required"`
	PrescriberCode string        `json:"prescriberCode,omitempty"`
	Specialities   []string      `json:"specialities,omitempty"`
	Unit           Unit          `json:"unit"`
	CareProvider   *CareProvider `json:"careProvider,omitempty"`
}

// Unit is the care unit the issuer signed for.
type Unit struct {
	HSAID         string `json:"hsaId" validate:"hsaid"`
	Name          string `json:"name" validate:"required"`
	WorkplaceCode string `json:"workplaceCode,omitempty"`
	Address       string `json:"address" validate:"required"`
	PostalCode    string `json:"postalCode" validate:"postalcode"`
	City          string `json:"city" validate:"required"`
	Phone         string `json:"phone" validate:"required"`
}

// CareProvider is the organisation responsible for the unit.
type CareProvider struct {
	HSAID string `json:"hsaId" validate:"hsaid"`
	Name  string `json:"name" validate:"required"`
}

// Diagnosis is one diagnosis of a certificate.
type Diagnosis struct {
	// Code is the dotted upper-case code, such as "F43.8A".
	Code string `json:"code" validate:"required"`
	// Title is the code's title in the code list.
	Title string `json:"title"`
	// Description is the physician's own description.
	Description string `json:"description" validate:"required"`
}

// SickLeave is the sick-leave part of a certificate with its derived figures.
type SickLeave struct {
	// From is the first day of the first period.
	From Date `json:"from"`
	// To is the last day of the last period.
	To Date `json:"to"`
	// Periods are the periods sorted by start.
	Periods []Period `json:"periods" validate:"min=1,dive"`
	// DaysByDegree counts calendar days per degree ("100": 14).
	DaysByDegree map[string]int `json:"daysByDegree"`
	// TotalDays is the number of calendar days in all periods.
	TotalDays int `json:"totalDays" validate:"min=1"`
	// NetDays is the sum of days × degree / 100 (10 days at 50 % = 5).
	NetDays float64 `json:"netDays"`
}

// Period is one sick-leave period, both days inclusive.
type Period struct {
	Degree  int     `json:"degree" validate:"min=1,max=100"`
	From    Date    `json:"from"`
	To      Date    `json:"to"`
	Days    int     `json:"days" validate:"min=1"`
	NetDays float64 `json:"netDays"`
}

// Date is a civil date, written YYYY-MM-DD.
type Date struct{ time.Time }

// ParseDate parses YYYY-MM-DD as a real calendar date.
func ParseDate(s string) (Date, error) {
	if d, ok := dateOf(s); ok {
		return d, nil
	}
	t, err := time.Parse(time.DateOnly, s) // for its error
	return Date{t}, err
}

// MinYear is the first year a submitted date may have: no certificate
// speaks of a time before it, and year 0000 (or 0001-01-01, which Go reads
// as no date) would be refused by PostgreSQL. Only what comes in is held
// to it (validDate); dates already stored read back whatever their year.
const MinYear = 1900

// validDate reads a date a request gives: a real date written 2006-01-02,
// from year MinYear on.
func validDate(s string) (Date, bool) {
	d, ok := dateOf(s)
	return d, ok && d.Year() >= MinYear
}

// dateOf reads a real date written 2006-01-02 as time.Parse does, without
// its cost (rules read every date of a submission; TestDateOf compares
// the two).
func dateOf(s string) (Date, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !allDigits(s[:4]) || !allDigits(s[5:7]) || !allDigits(s[8:]) {
		return Date{}, false
	}
	y, _ := strconv.Atoi(s[:4])
	m, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[8:])
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || d < 1 || t.Day() != d {
		return Date{}, false
	}
	return Date{t}, true
}

// String returns the date as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(time.DateOnly)
}

// AddDays returns d plus n days.
func (d Date) AddDays(n int) Date { return Date{d.AddDate(0, 0, n)} }

// DaysUntil returns the whole days from d to e, negative if e is before d.
// It counts calendar days, so that neither a change to summer time nor a
// span longer than a time.Duration holds (some 292 years) moves it.
func (d Date) DaysUntil(e Date) int { return e.dayNumber() - d.dayNumber() }

// dayNumber is d's calendar date counted in days from 1970-01-01.
func (d Date) dayNumber() int {
	y, m, day := d.Date()
	return int(time.Date(y, m, day, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// MarshalJSON writes the date as "YYYY-MM-DD", or null for the zero Date.
// (Digits and dashes need no escaping: the string is written as it is.)
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return append(d.AppendFormat(append(make([]byte, 0, 12), '"'), time.DateOnly), '"'), nil
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	p, err := ParseDate(s)
	*d = p
	return err
}
