package web

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/intyg/intyg/intake"
)

// certificateStore is what the certificate handlers need of the database;
// it exists so that web depends on behaviour, not on package store.
type certificateStore interface {
	CreateCertificate(ctx context.Context, c *intake.Certificate, submitted []byte, idem *intake.Idempotency) (*intake.Certificate, bool, error)
	FindCertificateByID(ctx context.Context, id string) (*intake.Certificate, error)
	FindCertificateByIdempotencyKey(ctx context.Context, idem intake.Idempotency) (*intake.Certificate, error)
	FindCertificates(ctx context.Context, f intake.CertificateFilter) ([]*intake.Certificate, string, error)
}

// auditStore appends to the access log.
type auditStore interface {
	CreateAuditEntry(ctx context.Context, e *intake.AuditEntry) error
	FindAuditEntries(ctx context.Context, f intake.AuditFilter) ([]*intake.AuditEntry, string, error)
}

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 255

// certificateLinks are the links of a stored certificate.
type certificateLinks struct {
	Self string `json:"self"`
	PDF  string `json:"pdf"`
}

func linksFor(id string) certificateLinks {
	return certificateLinks{Self: "/api/v1/certificates/" + id, PDF: "/api/v1/certificates/" + id + "/pdf"}
}

// handleCertificateCreate handles POST /api/v1/certificates.
func handleCertificateCreate(logger *slog.Logger, eng *intake.Engine, certs certificateStore, m *metrics, now func() time.Time) http.Handler {
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
		tok := tokenFrom(r.Context())
		key := r.Header.Get("Idempotency-Key")
		if len(key) > maxIdempotencyKey || strings.ContainsFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
			return intake.Errorf(intake.EMALFORMED, "The Idempotency-Key must be 1–%d printable ASCII characters.", maxIdempotencyKey)
		}
		body, err := readBody(w, r, eng.MaxBytes())
		if err != nil {
			return err
		}
		cert, err := eng.Intake(body, now())
		if err != nil {
			m.certificates.WithLabelValues(templateLabel(eng, body), "refused").Inc()
			return err
		}
		if cert.Issuer.Unit.HSAID != tok.UnitHSAID {
			m.certificates.WithLabelValues(cert.Template, "refused").Inc()
			return intake.Errorf(intake.EFORBIDDEN, "This token may submit only for unit %s.", tok.UnitHSAID)
		}
		var idem *intake.Idempotency
		if key != "" {
			idem = &intake.Idempotency{Scope: tok.UnitHSAID, Key: key}
		}
		stored, replay, err := certs.CreateCertificate(r.Context(), cert, body, idem)
		if err != nil {
			return err
		}
		if replay {
			w.Header().Set("Idempotent-Replayed", "true")
		} else {
			m.certificates.WithLabelValues(stored.Template, "accepted").Inc()
		}
		links := linksFor(stored.ID)
		w.Header().Set("Location", links.Self)
		encode(w, http.StatusCreated, response{
			ID: stored.ID, Status: stored.Status, Template: stored.Template, Version: stored.Version,
			ReceivedAt: stored.ReceivedAt, SHA256: stored.SHA256,
			Warnings: nonNil(Entries(stored.Warnings, lang(r))), Links: links,
		})
		return nil
	})
}

// templateLabel names the template of a refused body for metrics, only if
// it is a known one (labels must stay few).
func templateLabel(eng *intake.Engine, body []byte) string {
	doc, err := intake.Decode(body, eng.MaxBytes())
	if err != nil {
		return "unknown"
	}
	name, _ := doc["template"].(string)
	if !eng.Registry().HasTemplate(name) {
		return "unknown"
	}
	return name
}

func nonNil(es []ProblemEntry) []ProblemEntry {
	if es == nil {
		return []ProblemEntry{}
	}
	return es
}

// handleCertificateValidate handles POST /api/v1/certificates/validate: the
// same checks as a submission, nothing stored.
func handleCertificateValidate(logger *slog.Logger, eng *intake.Engine, now func() time.Time) http.Handler {
	type response struct {
		Valid    bool                `json:"valid"`
		Warnings []ProblemEntry      `json:"warnings"`
		Record   *intake.Certificate `json:"record"`
	}
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		body, err := readBody(w, r, eng.MaxBytes())
		if err != nil {
			return err
		}
		cert, err := eng.Intake(body, now())
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, response{Valid: true, Warnings: nonNil(Entries(cert.Warnings, lang(r))), Record: cert})
		return nil
	})
}

// certificateView is a stored certificate as the API shows it.
type certificateView struct {
	*intake.Certificate
	Links certificateLinks `json:"links"`
}

// handleCertificateView handles GET /api/v1/certificates/{id}. A clinic
// token sees only its own unit's certificates; others are "not found".
// Every read is written to the access log before the answer is sent.
func handleCertificateView(logger *slog.Logger, certs certificateStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		tok := tokenFrom(r.Context())
		c, err := findVisible(r, certs, tok)
		if err != nil {
			return err
		}
		if err := audit.CreateAuditEntry(r.Context(), &intake.AuditEntry{
			TokenID: tok.ID, Role: tok.Role, Action: "certificate.read", CertificateID: c.ID,
			PatientID: c.Patient.ID, RemoteAddr: r.RemoteAddr,
		}); err != nil {
			return err
		}
		encode(w, http.StatusOK, certificateView{Certificate: c, Links: linksFor(c.ID)})
		return nil
	})
}

// findVisible finds the certificate named in the URL, as the token may see
// it: a clinic token sees only its own unit's certificates, and others are
// "not found" rather than "forbidden", so that ids reveal nothing.
func findVisible(r *http.Request, certs certificateStore, tok *intake.Token) (*intake.Certificate, error) {
	c, err := certs.FindCertificateByID(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		return nil, err
	}
	if tok.Role == intake.RoleClinic && c.Issuer.Unit.HSAID != tok.UnitHSAID {
		return nil, intake.Errorf(intake.ENOTFOUND, "Certificate not found.")
	}
	return c, nil
}

// certificateSummary is one row of a search.
type certificateSummary struct {
	ID         string            `json:"id"`
	Template   string            `json:"template"`
	Version    string            `json:"version"`
	Status     intake.Status     `json:"status"`
	Patient    intake.Patient    `json:"patient"`
	UnitHSAID  string            `json:"unitHsaId"`
	SignedAt   time.Time         `json:"signedAt"`
	ReceivedAt time.Time         `json:"receivedAt"`
	SickLeave  *intake.SickLeave `json:"sickLeave,omitempty"`
	Warnings   int               `json:"warnings"`
	Links      certificateLinks  `json:"links"`
}

// handleCertificateList handles GET /api/v1/certificates: filters patient
// (any accepted form), template, status, receivedSince (RFC 3339 or a
// date), cursor and limit; newest first. Every search is written to the
// access log, with the patient when one is named.
func handleCertificateList(logger *slog.Logger, certs certificateStore, audit auditStore, now func() time.Time) http.Handler {
	type response struct {
		Items []certificateSummary `json:"items"`
		Next  string               `json:"next,omitempty"`
	}
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		tok := tokenFrom(r.Context())
		f, query, err := parseCertificateFilter(r, now())
		if err != nil {
			return err
		}
		if tok.Role == intake.RoleClinic {
			f.UnitHSAID = &tok.UnitHSAID
		}
		entry := &intake.AuditEntry{TokenID: tok.ID, Role: tok.Role, Action: "certificate.search", Query: query, RemoteAddr: r.RemoteAddr}
		if f.PatientID != nil {
			entry.PatientID = *f.PatientID
		}
		list, next, err := certs.FindCertificates(r.Context(), f)
		if err != nil {
			return err
		}
		if err := audit.CreateAuditEntry(r.Context(), entry); err != nil {
			return err
		}
		resp := response{Items: []certificateSummary{}}
		for _, c := range list {
			resp.Items = append(resp.Items, certificateSummary{
				ID: c.ID, Template: c.Template, Version: c.Version, Status: c.Status, Patient: c.Patient,
				UnitHSAID: c.Issuer.Unit.HSAID, SignedAt: c.SignedAt, ReceivedAt: c.ReceivedAt,
				SickLeave: c.SickLeave, Warnings: len(c.Warnings), Links: linksFor(c.ID),
			})
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

// parseCertificateFilter reads the search parameters; it also returns them
// for the access log, with the patient id left out (it has its own column).
func parseCertificateFilter(r *http.Request, now time.Time) (intake.CertificateFilter, string, error) {
	q := r.URL.Query()
	var f intake.CertificateFilter
	var ps intake.Problems
	var logged []string
	bad := func(param, msg, msgEn string) {
		ps = append(ps, intake.Problem{Pointer: "/" + param, Code: "invalid", Message: msg, MessageEn: msgEn})
	}
	for param := range q {
		switch param {
		case "patient", "template", "status", "receivedSince", "cursor", "limit":
		default:
			bad(param, "Okänd sökparameter.", "Unknown search parameter.")
		}
	}
	if v := q.Get("patient"); v != "" {
		pid, err := intake.ParsePersonalID(v, now)
		if err != nil {
			bad("patient", "Ange ett giltigt personnummer eller samordningsnummer.", "Give a valid personnummer or samordningsnummer.")
		} else {
			f.PatientID = &pid.Number
		}
	}
	if v := q.Get("template"); v != "" {
		f.Template = &v
		logged = append(logged, "template="+v)
	}
	if v := q.Get("status"); v != "" {
		s := intake.Status(v)
		if s != intake.StatusReceived && s != intake.StatusRevoked && s != intake.StatusReplaced {
			bad("status", "Okänd status.", "Unknown status.")
		}
		f.Status = &s
		logged = append(logged, "status="+v)
	}
	if v := q.Get("receivedSince"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			var d intake.Date
			if d, err = intake.ParseDate(v); err == nil {
				t = d.Time
			}
		}
		if err != nil {
			bad("receivedSince", "Ange en tidpunkt (RFC 3339) eller ett datum.", "Give an RFC 3339 time or a date.")
		}
		f.ReceivedSince = &t
		logged = append(logged, "receivedSince="+v)
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			bad("limit", "Ange ett antal mellan 1 och 500.", "Give a number from 1 to 500.")
		}
		f.Limit = n
	}
	f.Cursor = q.Get("cursor")
	if len(ps) > 0 {
		return f, "", &intake.Error{Code: intake.EINVALID, Message: "The search parameters are not valid.", Problems: ps}
	}
	return f, strings.Join(logged, "&"), nil
}
