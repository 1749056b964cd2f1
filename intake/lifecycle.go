package intake

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds the lifecycle's rules (contract: lifecycle.md): relations
// between certificates, the derived status, and the messages between the
// agency and the issuing unit. The store supplies what it knows inside its
// write transaction; the decisions are made here.

// RelationType is how a new certificate relates to an earlier one (Inera's
// RelationKod).
type RelationType string

// Relation types.
const (
	RelationReplaces  RelationType = "REPLACES"  // ersätter (ERSATT)
	RelationCompletes RelationType = "COMPLETES" // kompletterar (KOMPLT)
	RelationRenews    RelationType = "RENEWS"    // förlänger (FRLANG)
)

// relationTypes lists the relation types, for messages.
var relationTypes = []RelationType{RelationReplaces, RelationCompletes, RelationRenews}

// Supersedes reports whether the relation makes the original replaced.
func (t RelationType) Supersedes() bool { return t == RelationReplaces || t == RelationCompletes }

// Relation is the envelope's optional link from a new certificate to an
// earlier one.
type Relation struct {
	Type        RelationType `json:"type"`
	Certificate string       `json:"certificate"`
}

// Directions of a relation seen from one certificate.
const (
	DirectionOutgoing = "outgoing" // this certificate relates to the other
	DirectionIncoming = "incoming" // the other relates to this one
)

// RelationLink is a relation as a certificate's record lists it.
type RelationLink struct {
	Type        RelationType `json:"type"`
	Certificate string       `json:"certificate"`
	Direction   string       `json:"direction"`
}

// maxIDLength bounds a certificate or message id given in a request.
const maxIDLength = 64

// relationProblems checks the envelope's relation member: an object with a
// known type and a certificate id, nothing else.
func relationProblems(v any) Problems {
	rel, ok := v.(map[string]any)
	if !ok {
		return Problems{problem("/relation", "type", "object")}
	}
	dropBlanks(rel, "type", "certificate")
	var ps Problems
	for k := range rel {
		if k != "type" && k != "certificate" {
			ps = append(ps, problem(JoinPointer("/relation", k), "notAllowed", nil))
		}
	}
	switch t, ok := rel["type"].(string); {
	case rel["type"] == nil:
		ps = append(ps, problem("/relation/type", "required", nil))
	case !ok:
		ps = append(ps, problem("/relation/type", "type", "string"))
	case !slices.Contains(relationTypes, RelationType(t)):
		ps = append(ps, problem("/relation/type", "enum", joinValues(relationTypes)))
	}
	switch id, ok := rel["certificate"].(string); {
	case rel["certificate"] == nil:
		ps = append(ps, problem("/relation/certificate", "required", nil))
	case !ok:
		ps = append(ps, problem("/relation/certificate", "type", "string"))
	case utf8.RuneCountInString(id) > maxIDLength:
		ps = append(ps, problem("/relation/certificate", "maxLength", maxIDLength))
	}
	return ps
}

// relationOf returns the relation of a submission that passed Validate.
func relationOf(doc map[string]any) *Relation {
	rel, ok := doc["relation"].(map[string]any)
	if !ok {
		return nil
	}
	return &Relation{Type: RelationType(str(rel, "type")), Certificate: str(rel, "certificate")}
}

// RelationOf returns, from a decoded submission that intake refused, the
// id of the certificate its relation names and the issuing unit it gives
// (upper case), so that the caller can read the original and add the
// relation's own problems to the refusal (Engine.WithRelationProblems).
// ok is false when the relation member is absent or itself refused.
func RelationOf(doc map[string]any) (id, unit string, ok bool) {
	rel, isObject := doc["relation"].(map[string]any)
	if !isObject || len(relationProblems(rel)) > 0 {
		return "", "", false
	}
	issuer, _ := doc["issuer"].(map[string]any)
	u, _ := issuer["unit"].(map[string]any)
	return str(rel, "certificate"), UpperASCII(str(u, "hsaId")), true
}

// WithRelationProblems adds to err, intake's EINVALID refusal of the
// decoded submission doc, the problems CheckRelation would find in its
// relation to t (notFound, relationMismatch; a state that forbids the
// relation is a 409, decided when the certificate is stored), so that the
// refusal lists every problem found, not only intake's. A part of the
// envelope that is missing or refused itself decides nothing. now dates a
// short identity number when signedAt does not. Any other err, or a
// refusal already cut at maxProblems, is returned as it is.
func (e *Engine) WithRelationProblems(err error, doc map[string]any, t RelationTarget, now time.Time) error {
	var refusal *Error
	id, unit, ok := RelationOf(doc)
	if !ok || !errors.As(err, &refusal) || refusal.Code != EINVALID || len(refusal.Problems) >= maxProblems || id == "" {
		return err
	}
	var p Problem
	template, _ := doc["template"].(string)
	version, _ := doc["version"].(string)
	typ := RelationType(str(doc["relation"].(map[string]any), "type")) // RelationOf found an object
	switch {
	case !t.Found || (unit != "" && t.Unit != unit):
		p = problem("/relation/certificate", "notFound", nil)
	case unit == "":
		return err
	case template != "" && template != t.Template:
		p = problem("/relation", "relationMismatch", nil)
	case version != "" && !sameVersionOK(typ, version, t.Version) &&
		!slices.ContainsFunc(refusal.Problems, func(p Problem) bool { return p.Pointer == "/version" }):
		p = problem("/relation", "relationMismatch", nil)
	default:
		patient, _ := doc["patient"].(map[string]any)
		ref := Date{now}
		if signedAt, err := parseSignedAt(str(doc, "signedAt")); err == nil {
			ref = e.dayOf(signedAt)
		}
		pid, perr := ParsePersonalID(str(patient, "id"), ref.Time)
		if perr != nil || pid.Number == t.PatientID {
			return err
		}
		p = problem("/relation", "relationMismatch", nil)
	}
	return &Error{Code: EINVALID, Message: refusal.Message, Key: refusal.Key, Args: refusal.Args, Problems: sortProblems(append(slices.Clone(refusal.Problems), p))}
}

// sameVersionOK reports whether a certificate of version v may have a
// relation of type typ to one of version original: a replacement or a
// completion takes the original's place, so it answers the same questions
// (the same version); a renewal goes on in the newest version.
func sameVersionOK(typ RelationType, v, original string) bool {
	return typ == RelationRenews || v == original
}

// RelationTarget is what the store knows of the certificate a new one
// relates to, read in the transaction that stores the new one.
type RelationTarget struct {
	Found     bool
	Template  string
	Version   string
	PatientID string
	Unit      string
	Status    Status
	// SignedAt is when it was signed, for the pages that name it.
	SignedAt time.Time
	// OpenCompletionRequests counts its open KOMPLT messages.
	OpenCompletionRequests int
}

// CheckRelation decides whether c may be stored with its relation to t:
// EINVALID (422) when the original is not the issuing unit's (notFound, with
// no hint that it exists elsewhere) or is another patient's or template's
// (relationMismatch: a replacement or completion must also be of its
// version, a renewal may be of any); ECONFLICT (409) when its state does not
// allow the relation. nil when c has no relation or may have it.
func CheckRelation(c *Certificate, t RelationTarget) error {
	rel := c.Relation
	if rel == nil {
		return nil
	}
	if !t.Found || t.Unit != c.Issuer.Unit.HSAID {
		return Failure(EINVALID, "invalid.relatedNotFound").WithProblems(Problems{problem("/relation/certificate", "notFound", nil)})
	}
	if t.PatientID != c.Patient.ID || t.Template != c.Template || !sameVersionOK(rel.Type, c.Version, t.Version) {
		return Failure(EINVALID, "invalid.relatedMismatch").WithProblems(Problems{problem("/relation", "relationMismatch", nil)})
	}
	refuse := Refusal
	switch {
	case t.Status == StatusRevoked:
		return refuse("certificateRevoked")
	case rel.Type == RelationRenews:
		return nil
	case rel.Type == RelationCompletes && t.OpenCompletionRequests == 0:
		return refuse("noOpenCompletionRequest")
	case t.Status == StatusReplaced && (rel.Type == RelationReplaces || c.OneInForce):
		// A completion answers an open request even of a replaced
		// certificate (the contract asks only that one is open), except
		// one signed on the pages (OneInForce).
		return refuse("certificateReplaced")
	case rel.Type == RelationReplaces && t.OpenCompletionRequests > 0:
		return refuse("completionRequestOpen")
	}
	return nil
}

// Refusal is the 409 of a lifecycle step the state does not allow: one
// problem at "" whose code (certificateRevoked, certificateReplaced,
// completionRequestOpen, noOpenCompletionRequest, messageClosed) the
// problem document carries as its own, worded by the catalogue.
func Refusal(code string) *Error {
	return Failure(ECONFLICT, "lifecycle."+code).WithProblems(Problems{NewProblem("", code, "lifecycle."+code, nil)})
}

// DeriveStatus is a certificate's status from what happened to it, in the
// contract's order of precedence.
func DeriveStatus(revoked, replaced, handled bool) Status {
	switch {
	case revoked:
		return StatusRevoked
	case replaced:
		return StatusReplaced
	case handled:
		return StatusHandled
	}
	return StatusReceived
}

// MessageType is the kind of a message from the agency (Försäkringskassan's
// ämneskoder).
type MessageType string

// Message types.
const (
	MessageCompletion     MessageType = "KOMPLT" // completion request
	MessageContact        MessageType = "KONTKT" // contact
	MessageReconciliation MessageType = "AVSTMN" // reconciliation meeting
	MessageOther          MessageType = "OVRIGT" // other
)

// MessageTypes lists the message types in the order pages offer them.
var MessageTypes = []MessageType{MessageCompletion, MessageContact, MessageReconciliation, MessageOther}

// CheckMessageTo is the refusal (ECONFLICT) of a message about a
// certificate of status s, or nil: no message about a revoked certificate
// (contract: lifecycle.md). A completion request about a replaced one is
// allowed, as the contract has it, though its completion then gives the
// original a second certificate in force beside its replacement.
func CheckMessageTo(s Status) error {
	if s == StatusRevoked {
		return Refusal("certificateRevoked")
	}
	return nil
}

// MessageStatus is where a message is: open until answered, or closed when
// its certificate is revoked.
type MessageStatus string

// Message statuses.
const (
	MessageOpen     MessageStatus = "open"
	MessageAnswered MessageStatus = "answered"
	MessageClosed   MessageStatus = "closed"
)

// Valid reports whether s is a known message status.
func (s MessageStatus) Valid() bool {
	return s == MessageOpen || s == MessageAnswered || s == MessageClosed
}

// Reasons a completion request cannot be met.
const (
	CannotNoFurtherInfo      = "NO_FURTHER_MED_INFO"     // no further medical information
	CannotNoMedicalResponsib = "NO_RESP_MEDICAL_CONTENT" // not responsible for the medical content
)

var cannotCompleteReasons = []string{CannotNoFurtherInfo, CannotNoMedicalResponsib}

// Limits of messages, in characters and items.
const (
	MaxMessageText        = 3500
	MaxCannotCompleteText = 500
	MaxComplements        = 20
)

// Complement names one question a completion request asks about.
type Complement struct {
	QuestionID string `json:"questionId"`
	Text       string `json:"text"`
}

// Message is one message from a caseworker to the issuing unit about a
// certificate, with its answer once given.
type Message struct {
	ID          string        `json:"id"`
	Certificate string        `json:"certificate"`
	Type        MessageType   `json:"type"`
	Text        string        `json:"text,omitempty"`
	ReplyBy     Date          `json:"replyBy,omitzero"`
	Complements []Complement  `json:"complements,omitempty"`
	Status      MessageStatus `json:"status"`
	// Overdue is true while it is open after its replyBy date.
	Overdue bool           `json:"overdue"`
	SentAt  time.Time      `json:"sentAt"`
	SentBy  string         `json:"sentBy"`
	Answer  *MessageAnswer `json:"answer,omitempty"`
	// Unit is the issuing unit that is to answer.
	Unit string `json:"unit"`
	// PatientID is the certificate's patient, for the access log.
	PatientID string `json:"-"`
	// PatientName is the patient's name as the certificate gives it, for
	// pages (store.FindMessages).
	PatientName string `json:"-"`
}

// MessageAnswer is the issuing unit's answer: a text, a reason a
// completion request cannot be met, or the completing certificate.
type MessageAnswer struct {
	Text           string    `json:"text,omitempty"`
	CannotComplete string    `json:"cannotComplete,omitempty"`
	Certificate    string    `json:"certificate,omitempty"`
	At             time.Time `json:"at"`
	By             string    `json:"by"`
}

// SetOverdue sets Overdue for the day today (in Europe/Stockholm).
func (m *Message) SetOverdue(today Date) {
	m.Overdue = m.Status == MessageOpen && !m.ReplyBy.IsZero() && m.ReplyBy.Before(today.Time)
}

// ParseMessage reads a message request (type, text, replyBy, complements)
// decoded from JSON or built from a form: text is trimmed and in NFC; a
// completion request names 1–MaxComplements questions for which isQuestion
// is true. It returns the message, or every problem found.
func ParseMessage(doc map[string]any, isQuestion func(id string) bool, today Date) (*Message, Problems) {
	clean(doc)
	dropBlanks(doc, "type", "text", "replyBy")
	ps := controlProblems(doc, nil)
	ps = append(ps, unknownMembers(doc, "", "type", "text", "replyBy", "complements")...)
	m := &Message{}
	switch t, ok := doc["type"].(string); {
	case doc["type"] == nil:
		ps = append(ps, problem("/type", "required", nil))
	case !ok:
		ps = append(ps, problem("/type", "type", "string"))
	case !slices.Contains(MessageTypes, MessageType(t)):
		ps = append(ps, problem("/type", "enum", joinValues(MessageTypes)))
	default:
		m.Type = MessageType(t)
	}
	m.Text, ps = textMember(doc, "", "text", MaxMessageText, ps)
	switch s, ok := doc["replyBy"].(string); {
	case doc["replyBy"] == nil:
	case !ok:
		ps = append(ps, problem("/replyBy", "type", "string"))
	default:
		d, err := ParseDate(s)
		switch {
		case err != nil:
			ps = append(ps, problem("/replyBy", "invalidDate", nil))
		case d.Before(today.Time):
			ps = append(ps, problem("/replyBy", "dateInPast", nil))
		default:
			m.ReplyBy = d
		}
	}
	list, isList := doc["complements"].([]any)
	switch {
	case doc["complements"] == nil && m.Type == MessageCompletion:
		ps = append(ps, problem("/complements", "required", nil))
	case doc["complements"] == nil:
	case m.Type != MessageCompletion && m.Type != "":
		ps = append(ps, problem("/complements", "notAllowed", nil))
	case !isList:
		ps = append(ps, problem("/complements", "type", "array"))
	case len(list) == 0:
		ps = append(ps, problem("/complements", "minItems", 1))
	case len(list) > MaxComplements:
		ps = append(ps, problem("/complements", "maxItems", MaxComplements))
	default:
		for i, v := range list {
			at := JoinPointer("/complements", fmt.Sprint(i))
			item, ok := v.(map[string]any)
			if !ok {
				ps = append(ps, problem(at, "type", "object"))
				continue
			}
			dropBlanks(item, "questionId", "text")
			ps = append(ps, unknownMembers(item, at, "questionId", "text")...)
			var c Complement
			switch id, ok := item["questionId"].(string); {
			case item["questionId"] == nil:
				ps = append(ps, problem(at+"/questionId", "required", nil))
			case !ok:
				ps = append(ps, problem(at+"/questionId", "type", "string"))
			case !isQuestion(id):
				ps = append(ps, problem(at+"/questionId", "unknownQuestion", id))
			default:
				c.QuestionID = id
			}
			c.Text, ps = textMember(item, at, "text", MaxMessageText, ps)
			if c.Text == "" && item["text"] == nil {
				ps = append(ps, problem(at+"/text", "required", nil))
			}
			m.Complements = append(m.Complements, c)
		}
	}
	if m.Text == "" && doc["text"] == nil && m.Type != MessageCompletion {
		ps = append(ps, problem("/text", "required", nil))
	}
	if len(ps) > 0 {
		return nil, sortProblems(ps)
	}
	m.Status = MessageOpen
	return m, nil
}

// ParseAnswer reads a text answer to a message of type t: a text for
// KONTKT, AVSTMN and OVRIGT; for KOMPLT a reason it cannot be completed with
// a text (a completion itself is a certificate that COMPLETES the original).
func ParseAnswer(doc map[string]any, t MessageType) (*MessageAnswer, Problems) {
	clean(doc)
	dropBlanks(doc, "text", "cannotComplete")
	ps := controlProblems(doc, nil)
	ps = append(ps, unknownMembers(doc, "", "text", "cannotComplete")...)
	a := &MessageAnswer{}
	limit := MaxMessageText
	if t == MessageCompletion {
		limit = MaxCannotCompleteText
		switch s, ok := doc["cannotComplete"].(string); {
		case doc["cannotComplete"] == nil:
			ps = append(ps, problem("/cannotComplete", "required", nil))
		case !ok:
			ps = append(ps, problem("/cannotComplete", "type", "string"))
		case !slices.Contains(cannotCompleteReasons, s):
			ps = append(ps, problem("/cannotComplete", "enum", strings.Join(cannotCompleteReasons, ", ")))
		default:
			a.CannotComplete = s
		}
	} else if doc["cannotComplete"] != nil {
		ps = append(ps, problem("/cannotComplete", "notAllowed", nil))
	}
	a.Text, ps = textMember(doc, "", "text", limit, ps)
	if a.Text == "" && doc["text"] == nil {
		ps = append(ps, problem("/text", "required", nil))
	}
	if len(ps) > 0 {
		return nil, sortProblems(ps)
	}
	return a, nil
}

// textMember reads the optional text member name of obj (at pointer at),
// checking its type and length.
func textMember(obj map[string]any, at, name string, limit int, ps Problems) (string, Problems) {
	v, present := obj[name]
	if !present {
		return "", ps
	}
	s, ok := v.(string)
	switch {
	case !ok:
		return "", append(ps, problem(JoinPointer(at, name), "type", "string"))
	case utf8.RuneCountInString(s) > limit:
		return "", append(ps, problem(JoinPointer(at, name), "maxLength", limit))
	}
	return s, ps
}

// unknownMembers reports every member of obj not in allowed.
func unknownMembers(obj map[string]any, at string, allowed ...string) Problems {
	var ps Problems
	for k := range obj {
		if !slices.Contains(allowed, k) {
			ps = append(ps, problem(JoinPointer(at, k), "notAllowed", nil))
		}
	}
	return ps
}

// Renewal is the submission that renews a certificate, pre-filled from
// the original for the issuing unit to complete and submit as it is.
type Renewal struct {
	Template string         `json:"template"`
	Version  string         `json:"version"`
	Patient  any            `json:"patient"`
	Issuer   any            `json:"issuer"`
	Answers  map[string]any `json:"answers"`
	Relation Relation       `json:"relation"`
}

// NewRenewal builds the renewal of certificate id from its submitted
// document: the envelope for version (the template's newest) without
// signedAt, and the answers without the fields cleared lists (those the
// template declares cleared on renewal).
func NewRenewal(id string, submitted map[string]any, version string, cleared []string) *Renewal {
	answers := map[string]any{}
	for k, v := range obj(submitted, "answers") {
		if !slices.Contains(cleared, k) {
			answers[k] = v
		}
	}
	return &Renewal{
		Template: str(submitted, "template"), Version: version,
		Patient: submitted["patient"], Issuer: submitted["issuer"], Answers: answers,
		Relation: Relation{Type: RelationRenews, Certificate: id},
	}
}
