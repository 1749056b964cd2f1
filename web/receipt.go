package web

import (
	"log/slog"
	"net/http"
	"net/url"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// receiptPage is what certificate_receipt.html shows: a stored
// certificate laid out from its template's form definition, each question
// with the agency's guidance a click away, its status, warnings and
// issuer, and its PDFs.
type receiptPage struct {
	layout
	Certificate *intake.Certificate
	Template    *schemas.Template
	Sections    []viewSection
	// Signed is true right after the physician signed it.
	Signed bool
	// Received is the received time in Swedish local time.
	Received string
	// RevokeErrors, RevokeReason and RevokeMessage bring a refused
	// revocation back to the form.
	RevokeErrors                intake.Problems
	RevokeReason, RevokeMessage string
	// Related are the certificate's relations both ways.
	Related []relatedPage
	// Messages are the messages about it, oldest first.
	Messages []*messageView
	// Questions, MessageTypes and CannotComplete fill the message forms;
	// MessageErrors and MessageValues bring a refused message back.
	Questions      []questionChoice
	MessageTypes   []messageTypeChoice
	CannotComplete []struct{ Value, Label string }
	MessageErrors  intake.Problems
	MessageValues  url.Values
}

// handleCertificateReceipt handles GET /certificates/{id}: the certificate
// page for physicians (their unit's) and caseworkers (every one), and the
// receipt after signing (?signed=1). It is a read of patient data and goes
// to the access log.
func handleCertificateReceipt(logger *slog.Logger, eng *intake.Engine, certs certificateStore, messages messageStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		c, err := findVisible(r, certs)
		if err != nil {
			return err
		}
		page, err := newReceiptPage(r, eng, messages, audit, c)
		if err != nil {
			return err
		}
		page.Signed = r.URL.Query().Get("signed") != ""
		if page.Signed {
			page.Title = "Intyget är mottaget"
			if t, ok := eng.Template(c.Template, c.Version); ok {
				page.DropUnsaved = formAction(t)
			}
		}
		return renderPage(w, http.StatusOK, "certificate_receipt", page)
	})
}
