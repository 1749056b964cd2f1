package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/intyg/intyg/intake"
)

// submissionStore returns the exact bytes of a stored submission.
type submissionStore interface {
	FindSubmission(ctx context.Context, id string) ([]byte, error)
}

// submittedDocument is certificate id's submission as it was sent, decoded.
func submittedDocument(ctx context.Context, subs submissionStore, id string) (map[string]any, error) {
	body, err := subs.FindSubmission(ctx, id)
	if err != nil {
		return nil, err
	}
	return intake.Decode(body, len(body)+1)
}

// renewalOf builds the renewal of certificate c (not revoked) from its
// submitted bytes: the version of its template in force now, without the
// answers either version declares cleared on renewal.
func renewalOf(r *http.Request, eng *intake.Engine, subs submissionStore, c *intake.Certificate, now time.Time) (*intake.Renewal, error) {
	if c.Status == intake.StatusRevoked {
		return nil, intake.Refusal("certificateRevoked")
	}
	doc, err := submittedDocument(r.Context(), subs, c.ID)
	if err != nil {
		return nil, err
	}
	newest, ok := eng.Registry().InForce(c.Template, intake.DateOf(now).String())
	if !ok { // no version in force yet (a clock before every validFrom): its own
		newest, ok = eng.Template(c.Template, c.Version)
	}
	if !ok {
		return nil, intake.Errorf(intake.EINTERNAL, "certificate %s names unknown template %s %s", c.ID, c.Template, c.Version)
	}
	cleared := newest.ClearedFields()
	if t, ok := eng.Template(c.Template, c.Version); ok {
		cleared = append(cleared, t.ClearedFields()...)
	}
	// An answer to a question the newest version no longer asks is not
	// carried over: the renewal must be a submission the newest version
	// takes as it is (a question dropped is notAllowed there).
	if newest.Version != c.Version {
		answers, _ := doc["answers"].(map[string]any)
		for field := range answers {
			if _, asked := newest.Form.Question(field); !asked {
				cleared = append(cleared, field)
			}
		}
	}
	return intake.NewRenewal(c.ID, doc, newest.Version, cleared), nil
}

// handleRenewal handles GET /api/v1/certificates/{id}/renewal: for the
// issuing unit, a submission pre-filled from the certificate that renews
// it (contract: lifecycle.md); 409 for a revoked certificate.
func handleRenewal(logger *slog.Logger, eng *intake.Engine, certs certificateStore, subs submissionStore, audit auditStore, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		c, err := findVisible(r, certs)
		if err != nil {
			return err
		}
		renewal, err := renewalOf(r, eng, subs, c, now())
		if err != nil {
			return err
		}
		if err := audit.CreateAuditEntry(r.Context(), readEntry(r, "certificate.renewal", c)); err != nil {
			return err
		}
		encode(w, http.StatusOK, renewal)
		return nil
	})
}
