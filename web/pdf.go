package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/render"
	"github.com/intyg/intyg/schemas"
)

// pdfRenderer makes the PDF of a certificate, or of several to print
// together (*render.Renderer).
type pdfRenderer interface {
	Render(w io.Writer, c *intake.Certificate, t *schemas.Template, copy render.Copy) error
	RenderAll(w io.Writer, items []render.Item) error
}

// maxPrint bounds how many certificates print as one PDF.
const maxPrint = 50

// handlePrint handles POST /print (id, id, …): several certificates as one
// PDF, each from a new page with its own page numbers, in the order
// given. Each is one the person may see, and each print is in the access
// log.
func handlePrint(logger *slog.Logger, eng *intake.Engine, certs certificateStore, audit auditStore, pdfs pdfRenderer) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		form, err := readForm(w, r, 8<<10)
		if err != nil {
			return err
		}
		// Each certificate once, in the order chosen: a list with one
		// ticked twice (two pages' choices) prints it once.
		var ids []string
		for _, id := range form["id"] {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 || len(ids) > maxPrint {
			return intake.Failure(intake.EINVALID, "print.choose", maxPrint).WithProblems(intake.Problems{intake.NewProblem("/id", "invalid", "print.choose", maxPrint)})
		}
		var items []render.Item
		for _, id := range ids {
			c, err := findVisibleID(r, certs, id)
			if err != nil {
				return err
			}
			if c, err = forPrint(r.Context(), certs, c); err != nil {
				return err
			}
			t, ok := eng.Template(c.Template, c.Version)
			if !ok {
				return intake.Errorf(intake.EINTERNAL, "template %s/%s of certificate %s is not loaded", c.Template, c.Version, c.ID)
			}
			items = append(items, render.Item{Certificate: c, Template: t})
		}
		var buf bytes.Buffer
		if err := pdfs.RenderAll(&buf, items); err != nil {
			return err
		}
		for _, it := range items {
			if err := audit.CreateAuditEntry(r.Context(), readEntry(r, "certificate.pdf", it.Certificate)); err != nil {
				return err
			}
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `inline; filename="intyg.pdf"`)
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		w.Write(buf.Bytes())
		return nil
	})
}

// forPrint is c as its PDF shows it: of the certificates that replaced or
// completed it, only those that hold. One revoked gave it its status back;
// the record keeps the relation, but the PDF names what replaces it now.
func forPrint(ctx context.Context, certs certificateStore, c *intake.Certificate) (*intake.Certificate, error) {
	if c.Status != intake.StatusReplaced {
		return c, nil
	}
	printed := *c
	printed.Relations = nil
	for _, l := range c.Relations {
		if l.Direction == intake.DirectionIncoming && l.Type.Supersedes() {
			t, err := certs.FindRelationTarget(ctx, l.Certificate)
			if err != nil {
				return nil, err
			}
			if t.Status == intake.StatusRevoked {
				continue
			}
		}
		printed.Relations = append(printed.Relations, l)
	}
	return &printed, nil
}

// handleCertificatePDF handles GET /api/v1/certificates/{id}/pdf, with
// ?copy=employer for the employer's copy. Like a read, it is written to the
// access log before the PDF is sent.
func handleCertificatePDF(logger *slog.Logger, eng *intake.Engine, certs certificateStore, audit auditStore, pdfs pdfRenderer) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		c, err := findVisible(r, certs)
		if err != nil {
			return err
		}
		// A mistyped or repeated parameter is refused: read as absent, a
		// request for the employer's copy would get the whole certificate.
		q := r.URL.Query()
		p := newQueryParser(q, time.Time{}, "copy")
		copy := render.Copy(q.Get("copy"))
		if copy != render.CopyFull && copy != render.CopyEmployer {
			p.ps = append(p.ps, intake.NewProblem("/copy", "enum", "param.copy", nil))
		}
		if err := p.err(); err != nil {
			return err
		}
		t, ok := eng.Template(c.Template, c.Version)
		if !ok {
			return intake.Errorf(intake.EINTERNAL, "template %s/%s of certificate %s is not loaded", c.Template, c.Version, c.ID)
		}
		printed, err := forPrint(r.Context(), certs, c)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := pdfs.Render(&buf, printed, t, copy); err != nil {
			return err
		}
		action := "certificate.pdf"
		if copy == render.CopyEmployer {
			action = "certificate.pdf.employer"
		}
		if err := audit.CreateAuditEntry(r.Context(), readEntry(r, action, c)); err != nil {
			return err
		}
		name := c.ID + ".pdf"
		if copy == render.CopyEmployer {
			name = c.ID + "-arbetsgivare.pdf"
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `inline; filename="`+name+`"`)
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		w.Header().Set("Cache-Control", "no-store")
		w.Write(buf.Bytes())
		return nil
	})
}
