package web

import (
	"log/slog"
	"net/http"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// receiptPage is what certificate_receipt.html shows.
type receiptPage struct {
	layout
	Certificate *intake.Certificate
	Template    *schemas.Template
}

// handleCertificateReceipt handles GET /certificates/{id}: the receipt of a
// stored certificate, with its PDF link; it is a read of patient data and
// goes to the access log.
func handleCertificateReceipt(logger *slog.Logger, eng *intake.Engine, certs certificateStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		c, err := findVisible(r, certs)
		if err != nil {
			return err
		}
		t, _ := eng.Template(c.Template, c.Version)
		if err := audit.CreateAuditEntry(r.Context(), readEntry(r, "certificate.read", c)); err != nil {
			return err
		}
		return renderPage(w, http.StatusOK, "certificate_receipt", receiptPage{layout: signedInLayout(r, "Intyget är mottaget"), Certificate: c, Template: t})
	})
}
