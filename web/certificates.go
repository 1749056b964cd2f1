package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/intyg/intyg/intake"
)

// certificateStore is what the certificate handlers need of the database;
// it exists so that web depends on behaviour, not on package store.
type certificateStore interface {
	CreateCertificate(ctx context.Context, c *intake.Certificate, submitted []byte, idem *intake.Idempotency, flags intake.FlagFunc) (*intake.Certificate, bool, error)
	FindCertificateByID(ctx context.Context, id string) (*intake.Certificate, error)
	FindCertificateByIdempotencyKey(ctx context.Context, idem intake.Idempotency) (*intake.Certificate, error)
	FindCertificates(ctx context.Context, f intake.CertificateFilter) ([]*intake.Certificate, string, error)
	FindRelationTarget(ctx context.Context, id string) (intake.RelationTarget, error)
}

// auditStore appends to the access log.
type auditStore interface {
	CreateAuditEntry(ctx context.Context, e *intake.AuditEntry) error
	CreateAuditEntries(ctx context.Context, es []*intake.AuditEntry) error
	FindAuditEntries(ctx context.Context, f intake.AuditFilter) ([]*intake.AuditEntry, string, error)
}

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 255

// idempotencyKey returns the request's Idempotency-Key, "" if it has none.
// A header given empty, or more than once, is refused: a retry must not
// pass as a first submission because a proxy or client library sent the
// key blank or twice.
func idempotencyKey(h http.Header) (string, error) {
	keys, given := h["Idempotency-Key"]
	if !given {
		return "", nil
	}
	if len(keys) != 1 || keys[0] == "" || len(keys[0]) > maxIdempotencyKey ||
		strings.ContainsFunc(keys[0], func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		return "", intake.Failure(eBadRequest, "request.idempotencyKey", maxIdempotencyKey)
	}
	return keys[0], nil
}

// certificateLinks are the links of a stored certificate.
type certificateLinks struct {
	Self string `json:"self"`
	PDF  string `json:"pdf"`
}

func linksFor(id string) certificateLinks {
	return certificateLinks{Self: "/api/v1/certificates/" + id, PDF: "/api/v1/certificates/" + id + "/pdf"}
}

// handleCertificateCreate handles POST /api/v1/certificates.
func handleCertificateCreate(logger *slog.Logger, sub *submitter) http.Handler {
	type response struct {
		ID         string           `json:"id"`
		Status     intake.Status    `json:"status"`
		Template   string           `json:"template"`
		Version    string           `json:"version"`
		ReceivedAt time.Time        `json:"receivedAt"`
		SHA256     string           `json:"sha256"`
		Warnings   []ProblemEntry   `json:"warnings"`
		Links      certificateLinks `json:"links"`
	}
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		actor := actorFrom(r.Context())
		key, err := idempotencyKey(r.Header)
		if err != nil {
			return err
		}
		body, err := readBody(w, r, sub.eng.MaxBytes())
		if err != nil {
			return err
		}
		stored, replay, err := sub.submit(r.Context(), actor, body, func(unit string) *intake.Idempotency {
			if key == "" {
				return nil
			}
			return &intake.Idempotency{Scope: unit, Key: key}
		}, false)
		if err != nil {
			return err
		}
		if replay {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		links := linksFor(stored.ID)
		w.Header().Set("Location", links.Self)
		encode(w, http.StatusCreated, response{
			ID: stored.ID, Status: stored.Status, Template: stored.Template, Version: stored.Version,
			ReceivedAt: stored.ReceivedAt, SHA256: stored.SHA256,
			Warnings: nonNil(Entries(stored.Warnings, lang(w, r))), Links: links,
		})
		return nil
	})
}

func nonNil(es []ProblemEntry) []ProblemEntry {
	if es == nil {
		return []ProblemEntry{}
	}
	return es
}

// handleCertificateValidate handles POST /api/v1/certificates/validate: the
// same checks as a submission (submitter.check), nothing stored.
func handleCertificateValidate(logger *slog.Logger, sub *submitter) http.Handler {
	// record is the record as a stored one reads (certificateView): its
	// warnings in their wire form, in the reader's language.
	type record struct {
		*intake.Certificate
		Warnings []ProblemEntry `json:"warnings"`
	}
	type response struct {
		Valid    bool           `json:"valid"`
		Warnings []ProblemEntry `json:"warnings"`
		Record   record         `json:"record"`
	}
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		body, err := readBody(w, r, sub.eng.MaxBytes())
		if err != nil {
			return err
		}
		cert, err := sub.check(r.Context(), actorFrom(r.Context()), body)
		if err != nil {
			return err
		}
		warnings := nonNil(Entries(cert.Warnings, lang(w, r)))
		encode(w, http.StatusOK, response{Valid: true, Warnings: warnings, Record: record{Certificate: cert, Warnings: warnings}})
		return nil
	})
}

// certificateView is a stored certificate as the API shows it.
type certificateView struct {
	*intake.Certificate
	// Relations and OpenMessages are always there, empty or 0 included.
	Relations    []intake.RelationLink `json:"relations"`
	OpenMessages int                   `json:"openMessages"`
	// Flags and Warnings shadow the record's with their wire form in the
	// reader's language: warnings as the 201 gave them, [] when none.
	Flags    []flagEntry      `json:"flags"`
	Warnings []ProblemEntry   `json:"warnings"`
	Links    certificateLinks `json:"links"`
}

// viewOf is the API's view of c for the request's reader, in the reader's
// language.
func viewOf(w http.ResponseWriter, r *http.Request, eng *intake.Engine, c *intake.Certificate) certificateView {
	rels := c.Relations
	if rels == nil {
		rels = []intake.RelationLink{}
	}
	l := lang(w, r)
	return certificateView{Certificate: c, Relations: rels, OpenMessages: c.OpenMessages, Flags: flagEntries(flagsFor(r, eng, c), l),
		Warnings: nonNil(Entries(c.Warnings, l)), Links: linksFor(c.ID)}
}

// handleCertificateView handles GET /api/v1/certificates/{id}. A clinic
// token sees only its own unit's certificates; others are "not found".
// Every read is written to the access log before the answer is sent.
func handleCertificateView(logger *slog.Logger, eng *intake.Engine, certs certificateStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		c, err := findVisible(r, certs)
		if err != nil {
			return err
		}
		if err := audit.CreateAuditEntry(r.Context(), readEntry(r, "certificate.read", c)); err != nil {
			return err
		}
		encode(w, http.StatusOK, viewOf(w, r, eng, c))
		return nil
	})
}

// findVisible finds the certificate named in the URL, as the actor may see
// it: physicians and clinic tokens see only their own units' certificates,
// and others are "not found" rather than "forbidden", so that ids reveal
// nothing.
func findVisible(r *http.Request, certs certificateStore) (*intake.Certificate, error) {
	return findVisibleID(r, certs, mux.Vars(r)["id"])
}

// findVisibleID is findVisible for a certificate id given otherwise (a
// form listing several).
func findVisibleID(r *http.Request, certs certificateStore, id string) (*intake.Certificate, error) {
	c, err := certs.FindCertificateByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if a := actorFrom(r.Context()); a.UnitBound() && !a.CoversUnit(c.Issuer.Unit.HSAID) {
		return nil, intake.Failure(intake.ENOTFOUND, "notFound.certificate")
	}
	return c, nil
}

// readEntry is the access-log entry of the actor reading certificate c.
func readEntry(r *http.Request, action string, c *intake.Certificate) *intake.AuditEntry {
	e := actorFrom(r.Context()).Audit(action, r.RemoteAddr)
	e.CertificateID, e.PatientID = c.ID, c.Patient.ID
	return e
}

// certificateSummary is one row of a search.
type certificateSummary struct {
	ID         string            `json:"id"`
	Template   string            `json:"template"`
	Version    string            `json:"version"`
	Status     intake.Status     `json:"status"`
	Patient    intake.Patient    `json:"patient"`
	UnitHSAID  string            `json:"unitHsaId"`
	UnitName   string            `json:"-"` // as the certificate names it, for the pages
	IssuerName string            `json:"issuerName"`
	SignedAt   time.Time         `json:"signedAt"`
	ReceivedAt time.Time         `json:"receivedAt"`
	SickLeave  *intake.SickLeave `json:"sickLeave,omitempty"`
	Warnings   int               `json:"warnings"`
	// ContactRequested is for the pages: the physician asks to be
	// contacted.
	ContactRequested bool `json:"-"`
	// OpenMessages counts open messages; OverdueMessages and
	// AnsweredMessages are for the pages.
	OpenMessages     int              `json:"openMessages"`
	OverdueMessages  int              `json:"-"`
	AnsweredMessages int              `json:"-"`
	Flags            []flagEntry      `json:"flags,omitempty"`
	Links            certificateLinks `json:"links"`
}

// certificateList is a page of a certificate search.
type certificateList struct {
	Items []certificateSummary `json:"items"`
	// Next is, for GET, the URL of the next page.
	Next string `json:"next,omitempty"`
	// NextCursor is, for POST search, the cursor of the next page.
	NextCursor string `json:"nextCursor,omitempty"`
}

// certificateParams are the filters of a certificate search.
var certificateParams = []string{"patient", "template", "status", "receivedSince", "unit", "careProvider", "contactRequested", "messages", "flag", "cursor", "limit"}

// messageStates are the values of the messages filter.
var messageStates = []string{"open", "answered", "overdue"}

// certificateFilter reads a certificate search's filters from q, as the
// request's actor may search: physicians and clinic tokens their own
// units only. A template or flag eng does not know is refused, not an
// empty page: a misspelt filter must not look like no certificates.
func certificateFilter(r *http.Request, eng *intake.Engine, now time.Time, q url.Values) (intake.CertificateFilter, *queryParser, error) {
	actor := actorFrom(r.Context())
	p := newQueryParser(q, now, certificateParams...)
	f := intake.CertificateFilter{
		PatientID: p.patient("patient"), Template: p.text("template"), Status: p.status("status"),
		ReceivedSince: p.time("receivedSince", true), Limit: p.limit(), Cursor: p.cursor(),
		CareProvider: p.hsaID("careProvider"), ContactRequested: p.flag("contactRequested"), Flag: p.text("flag"),
		Messages: p.text("messages"), Today: intake.DateOf(now),
	}
	if f.Messages != nil && !slices.Contains(messageStates, *f.Messages) {
		p.bad("messages", "param.messages", nil)
	}
	if f.Template != nil && !eng.Registry().HasTemplate(*f.Template) {
		p.bad("template", "param.template", nil)
	}
	switch {
	case f.Flag != nil && !slices.ContainsFunc(declaredFlags(eng), func(d queueFlag) bool { return d.Code == *f.Flag }):
		p.bad("flag", "param.attention", nil)
	case f.Flag != nil && actor.UnitBound() && flagReadsOtherUnits(eng, *f.Flag):
		p.bad("flag", "param.attentionOtherUnits", nil)
	}
	if unit := p.hsaID("unit"); unit != nil {
		units := []string{*unit}
		f.Units = &units
	}
	if err := p.err(); err != nil {
		return f, p, err
	}
	if actor.UnitBound() {
		units := actor.Units
		if f.Units != nil && !actor.CoversUnit((*f.Units)[0]) {
			units = []string{}
		} else if f.Units != nil {
			units = *f.Units
		}
		f.Units = &units
	}
	return f, p, nil
}

// searchCertificates runs a certificate search with the filters in q, as
// tok may see it (a clinic only its own units), and writes every patient
// shown to the access log, one entry each, before the answer is sent.
// It returns the page and the cursor of the next one, the flags' messages
// in lang (the pages' "sv", whatever the browser asks for).
func searchCertificates(r *http.Request, eng *intake.Engine, certs certificateStore, audit auditStore, now time.Time, q url.Values, lang string) (certificateList, string, error) {
	actor := actorFrom(r.Context())
	f, p, err := certificateFilter(r, eng, now, q)
	if err != nil {
		return certificateList{}, "", err
	}
	list, next, err := certs.FindCertificates(r.Context(), f)
	if err != nil {
		return certificateList{}, "", err
	}
	var patients []string
	for _, c := range list {
		patients = append(patients, c.Patient.ID)
	}
	if f.PatientID != nil {
		patients = append(patients, *f.PatientID)
	}
	base := actor.Audit("certificate.search", r.RemoteAddr)
	base.Query = p.query()
	if err := logPatients(r.Context(), audit, *base, patients); err != nil {
		return certificateList{}, "", err
	}
	resp := certificateList{Items: []certificateSummary{}}
	for _, c := range list {
		resp.Items = append(resp.Items, certificateSummary{
			ID: c.ID, Template: c.Template, Version: c.Version, Status: c.Status, Patient: c.Patient,
			UnitHSAID: c.Issuer.Unit.HSAID, UnitName: c.Issuer.Unit.Name, IssuerName: c.Issuer.Name, SignedAt: c.SignedAt, ReceivedAt: c.ReceivedAt,
			SickLeave: c.SickLeave, Warnings: len(c.Warnings), Flags: flagEntries(flagsFor(r, eng, c), lang), Links: linksFor(c.ID),
			OpenMessages: c.OpenMessages, OverdueMessages: c.OverdueMessages, AnsweredMessages: c.AnsweredMessages,
			ContactRequested: c.ContactRequested,
		})
	}
	return resp, next, nil
}

// handleCertificateList handles GET /api/v1/certificates: filters patient
// (any accepted form), template, status, receivedSince (RFC 3339 or a
// date, from its midnight in Stockholm), cursor and limit; newest first.
// Every patient shown is written to the access log. POST
// /api/v1/certificates/search keeps the patient's id out of the URL.
func handleCertificateList(logger *slog.Logger, eng *intake.Engine, certs certificateStore, audit auditStore, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		resp, next, err := searchCertificates(r, eng, certs, audit, now(), r.URL.Query(), lang(w, r))
		if err != nil {
			return err
		}
		if next != "" {
			q := r.URL.Query()
			q.Set("cursor", next)
			resp.Next = "/api/v1/certificates?" + q.Encode()
		}
		encode(w, http.StatusOK, resp)
		return nil
	})
}

// handleCertificateSearch handles POST /api/v1/certificates/search: the
// filters of GET /api/v1/certificates as a JSON object in the body, so
// that a patient's id never stands in a URL (or a proxy's log); the next
// page is asked for with the same filters and "cursor": nextCursor.
func handleCertificateSearch(logger *slog.Logger, eng *intake.Engine, certs certificateStore, audit auditStore, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		q, err := readFilters(w, r, certificateParams...)
		if err != nil {
			return err
		}
		resp, next, err := searchCertificates(r, eng, certs, audit, now(), q, lang(w, r))
		if err != nil {
			return err
		}
		resp.NextCursor = next
		encode(w, http.StatusOK, resp)
		return nil
	})
}
