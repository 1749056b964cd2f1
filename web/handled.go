package web

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/intyg/intyg/intake"
)

// handlingStore marks certificates handled and lists their events.
type handlingStore interface {
	SetHandled(ctx context.Context, id string, handled bool, by string) (*intake.Certificate, error)
	FindCertificateEvents(ctx context.Context, id string) ([]intake.Event, error)
}

// actorID names the actor in a certificate's events: the person's user id
// or the token's id.
func actorID(a *intake.Actor) string {
	if a.User != nil {
		return a.User.ID
	}
	return a.Token.ID
}

// setHandled marks the certificate in the URL handled or not, as the
// actor, and writes the change to the access log (it answers with patient
// data).
func setHandled(r *http.Request, certs certificateStore, handling handlingStore, audit auditStore, handled bool) (*intake.Certificate, error) {
	c, err := findVisible(r, certs)
	if err != nil {
		return nil, err
	}
	action := "certificate.handled"
	if !handled {
		action = "certificate.unhandled"
	}
	if err := audit.CreateAuditEntry(r.Context(), readEntry(r, action, c)); err != nil {
		return nil, err
	}
	return handling.SetHandled(r.Context(), c.ID, handled, actorID(actorFrom(r.Context())))
}

// handleCertificateHandled handles POST (handled) and DELETE (not handled
// any more) /api/v1/certificates/{id}/handled, for caseworkers: 200 with
// the record; both are idempotent.
func handleCertificateHandled(logger *slog.Logger, eng *intake.Engine, certs certificateStore, handling handlingStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		c, err := setHandled(r, certs, handling, audit, r.Method == http.MethodPost)
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, viewOf(w, r, eng, c))
		return nil
	})
}

// handleCertificateEvents handles GET /api/v1/certificates/{id}/events:
// every change of the certificate, oldest first; a read of the access log.
func handleCertificateEvents(logger *slog.Logger, certs certificateStore, handling handlingStore, audit auditStore) http.Handler {
	type response struct {
		Items []intake.Event `json:"items"`
	}
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		if err := noParams(r); err != nil {
			return err
		}
		c, err := findVisible(r, certs)
		if err != nil {
			return err
		}
		if err := audit.CreateAuditEntry(r.Context(), readEntry(r, "certificate.events", c)); err != nil {
			return err
		}
		events, err := handling.FindCertificateEvents(r.Context(), c.ID)
		if err != nil {
			return err
		}
		if events == nil {
			events = []intake.Event{}
		}
		encode(w, http.StatusOK, response{Items: events})
		return nil
	})
}

// handleCertificateHandledPage handles POST /certificates/{id}/handled
// (caseworkers) from the certificate page: handled=true marks it handled,
// handled=false reopens it; back to the page.
func handleCertificateHandledPage(logger *slog.Logger, certs certificateStore, handling handlingStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		form, err := readForm(w, r, 1<<10)
		if err != nil {
			return err
		}
		handled, ok := map[string]bool{"true": true, "false": false}[form.Get("handled")]
		if !ok {
			return intake.Failure(intake.EINVALID, "invalid.handled")
		}
		if _, err := setHandled(r, certs, handling, audit, handled); err != nil {
			return err
		}
		http.Redirect(w, r, "/certificates/"+mux.Vars(r)["id"], http.StatusSeeOther)
		return nil
	})
}
