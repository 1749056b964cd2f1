package web

import (
	"context"
	"log/slog"
	"net/http"
	"slices"

	"github.com/intyg/intyg/intake"
)

// revocationStore revokes certificates.
type revocationStore interface {
	RevokeCertificate(ctx context.Context, id, reason, message, by string) (*intake.Certificate, error)
}

// handleCertificateRevoke handles POST /api/v1/certificates/{id}/revoke
// ({"reason": "FEL_PATIENT" | "ANNAT_ALLVARLIGT_FEL", "message": …}): the
// issuing unit's clinic token or an admin revokes the certificate; 200 with
// the record, 409 (code certificateRevoked) when it already is. It stays
// readable, and its PDF carries MAKULERAT.
func handleCertificateRevoke(logger *slog.Logger, eng *intake.Engine, certs certificateStore, revocations revocationStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		c, err := findVisible(r, certs)
		if err != nil {
			return err
		}
		doc, err := readJSONObject(w, r, maxRevocationBody)
		if err != nil {
			return err
		}
		var ps intake.Problems
		for k := range doc {
			if k != "reason" && k != "message" {
				ps = append(ps, intake.NewProblem(intake.JoinPointer("", k), "notAllowed", "notAllowed", nil))
			}
		}
		reason, rok := doc["reason"].(string)
		message, mok := doc["message"].(string)
		if doc["reason"] != nil && !rok {
			ps = append(ps, intake.NewProblem("/reason", "type", "type", "string"))
		}
		if doc["message"] != nil && !mok {
			ps = append(ps, intake.NewProblem("/message", "type", "type", "string"))
		}
		message, mps := intake.ParseRevocation(reason, message)
		for _, p := range mps { // a member of the wrong type is not missing too
			if !slices.ContainsFunc(ps, func(q intake.Problem) bool { return q.Pointer == p.Pointer }) {
				ps = append(ps, p)
			}
		}
		if len(ps) > 0 {
			return intake.Failure(intake.EINVALID, "invalid.revocation").WithProblems(ps)
		}
		if err := audit.CreateAuditEntry(r.Context(), readEntry(r, "certificate.revoke", c)); err != nil {
			return err
		}
		revoked, err := revocations.RevokeCertificate(r.Context(), c.ID, reason, message, actorID(actorFrom(r.Context())))
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, viewOf(w, r, eng, revoked))
		return nil
	})
}

// handleCertificateRevokePage handles POST /certificates/{id}/revoke from
// the certificate page: a physician of the issuing unit revokes it with a
// reason (and a message); problems come back on the page (422).
func handleCertificateRevokePage(logger *slog.Logger, eng *intake.Engine, certs certificateStore, revocations revocationStore, messages receiptStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		c, err := findVisible(r, certs)
		if err != nil {
			return err
		}
		form, err := readForm(w, r, maxRevocationBody)
		if err != nil {
			return err
		}
		reason, message := form.Get("reason"), form.Get("message")
		message, ps := intake.ParseRevocation(reason, message)
		if len(ps) > 0 {
			page, err := newReceiptPage(r, eng, messages, audit, c)
			if err != nil {
				return err
			}
			page.RevokeErrors, page.RevokeReason, page.RevokeMessage, page.DropKept = ps, reason, message, true
			return renderPage(w, http.StatusUnprocessableEntity, "certificate_receipt", page)
		}
		if err := audit.CreateAuditEntry(r.Context(), readEntry(r, "certificate.revoke", c)); err != nil {
			return err
		}
		if _, err := revocations.RevokeCertificate(r.Context(), c.ID, reason, message, actorID(actorFrom(r.Context()))); err != nil {
			return err
		}
		http.Redirect(w, r, "/certificates/"+c.ID+"?sent=revoked", http.StatusSeeOther)
		return nil
	})
}
