package web

import (
	"context"
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
	// Flags are the certificate's attention flags the reader may see
	// (flagsFor).
	Flags []intake.Flag
	// Warnings are the certificate's warnings (warningLines).
	Warnings []string
	// Signed is true right after the physician signed it.
	Signed bool
	// Done says what one of the page's forms did, right after it went
	// through (sentNotices).
	Done string
	// Received and SignedAt are the received and signing times in
	// Swedish local time.
	Received, SignedAt string
	// RevokeErrors, RevokeReason and RevokeMessage bring a refused
	// revocation back to the form.
	RevokeErrors                intake.Problems
	RevokeReason, RevokeMessage string
	// Related are the certificate's relations both ways.
	Related []relatedPage
	// ReplacedBy is the certificate that replaced or completed this one
	// and holds, if any: a completion is asked of, and made on, that one.
	ReplacedBy string
	// Messages are the messages about it, oldest first.
	Messages []*messageView
	// History is every change of it, oldest first.
	History []historyEntry
	// Questions, MessageTypes and CannotComplete fill the message forms;
	// MessageErrors (by input: messageInput) and MessageValues bring a
	// refused message back.
	Questions      []questionChoice
	MessageTypes   []messageTypeChoice
	CannotComplete []struct{ Value, Label string }
	MessageErrors  map[string]intake.Problems
	MessageValues  url.Values
}

// historyEntry is one change of a certificate as its page shows it.
type historyEntry struct{ At, What, By string }

// receiptStore is what the certificate page reads beside the certificate:
// its messages, its changes, who made them, and whether the certificates
// it is related to still hold.
type receiptStore interface {
	messageStore
	FindCertificateEvents(ctx context.Context, id string) ([]intake.Event, error)
	FindUserByID(ctx context.Context, id string) (*intake.User, error)
	FindUserByHSAID(ctx context.Context, hsaID string) (*intake.User, error)
	FindTokens(ctx context.Context) ([]*intake.Token, error)
	FindRelationTarget(ctx context.Context, id string) (intake.RelationTarget, error)
}

// CompletionRequested reports whether a completion request about the
// certificate is open: it is answered by completing the certificate, and
// a replacement is refused until then.
func (p receiptPage) CompletionRequested() bool {
	for _, m := range p.Messages {
		if m.Type == intake.MessageCompletion && m.Status == intake.MessageOpen {
			return true
		}
	}
	return false
}

// history is certificate c's changes for its page: when, what, and who
// (a person by name, the issuer by name, an API token by whose system it
// is and its name).
func history(ctx context.Context, store receiptStore, c *intake.Certificate) ([]historyEntry, error) {
	events, err := store.FindCertificateEvents(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	n := &actorNames{store: store, names: map[string]string{c.Issuer.HSAID: c.Issuer.Name}}
	out := make([]historyEntry, 0, len(events))
	for _, e := range events {
		name, err := n.of(ctx, e)
		if err != nil {
			return nil, err
		}
		what := intake.Text("event."+e.Type, "sv")
		out = append(out, historyEntry{At: localTime(e.At), What: what, By: name})
	}
	return out, nil
}

// actorNames names who did what in a certificate's history, reading each
// person and the tokens once.
type actorNames struct {
	store  receiptStore
	names  map[string]string // by user id, token id or HSA-id, the issuer's to begin with
	tokens []*intake.Token   // read once, when an event names no person
}

// of names e's actor: the issuer of the certificate by its name; for an
// event another certificate's submission caused (a replacement, a
// renewal, a completion) what it came through (e.Via): the physician who
// signed it on the form, or the system whose token sent it, since the
// issuer's HSA-id in it is only what that system claims; a person by user
// id; a token by whose system it is; and for events stored before via
// was kept, the person with the issuer's HSA-id.
func (n *actorNames) of(ctx context.Context, e intake.Event) (string, error) {
	if name, ok := n.names[e.By]; ok {
		return name, nil
	}
	if e.Via != "" {
		name, _, err := n.byID(ctx, e.Via)
		return name, err
	}
	name, found, err := n.byID(ctx, e.By)
	if err != nil || found {
		return name, err
	}
	switch u, err := n.store.FindUserByHSAID(ctx, e.By); intake.ErrorCode(err) {
	case "":
		name = u.Name
	case intake.ENOTFOUND:
	default:
		return "", err
	}
	n.names[e.By] = name
	return name, nil
}

// byID names the person with user id, or the token with that id, and
// reports whether either is known ("unknown" if not).
func (n *actorNames) byID(ctx context.Context, id string) (name string, found bool, err error) {
	if name, ok := n.names[id]; ok {
		return name, true, nil
	}
	u, err := n.store.FindUserByID(ctx, id)
	switch {
	case err == nil:
		n.names[id] = u.Name
		return u.Name, true, nil
	case intake.ErrorCode(err) != intake.ENOTFOUND:
		return "", false, err
	}
	if n.tokens == nil {
		if n.tokens, err = n.store.FindTokens(ctx); err != nil {
			return "", false, err
		}
	}
	name, found = tokenName(n.tokens, id)
	if found {
		n.names[id] = name
	}
	return name, found, nil
}

// tokenName is who acted with the API token id: the clinic's system, the
// agency's or an administrator's, and the token's name; "unknown" and
// false if no token has the id.
func tokenName(tokens []*intake.Token, id string) (string, bool) {
	for _, t := range tokens {
		if t.ID != id {
			continue
		}
		who := intake.Text("history.system", "sv")
		switch t.Role {
		case intake.RoleCaseworker:
			who = intake.Text("history.agencySystem", "sv")
		case intake.RoleAdmin:
			who = intake.Text("history.admin", "sv")
		}
		if t.Name != "" {
			who += " (" + t.Name + ")"
		}
		return who, true
	}
	return intake.Text("history.unknown", "sv"), false
}

// sentNotices are what the certificate page says after one of its forms
// went through (?sent=…).
var sentNotices = map[string]string{
	"revoked": "Intyget är makulerat.",
	"message": "Meddelandet är skickat till vårdenheten.",
	"answer":  "Svaret är skickat till Försäkringskassan.",
}

// handleCertificateReceipt handles GET /certificates/{id}: the certificate
// page for physicians (their unit's) and caseworkers (every one), and the
// receipt after signing (?signed=1). It is a read of patient data and goes
// to the access log.
func handleCertificateReceipt(logger *slog.Logger, eng *intake.Engine, certs certificateStore, messages receiptStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		c, err := findVisible(r, certs)
		if err != nil {
			return err
		}
		page, err := newReceiptPage(r, eng, messages, audit, c)
		if err != nil {
			return err
		}
		// The receipt's words are for the physician who signed a
		// certificate that still holds, not for a link followed later.
		a := actorFrom(r.Context())
		holds := c.Status != intake.StatusRevoked && c.Status != intake.StatusReplaced
		page.Signed = r.URL.Query().Get("signed") != "" && a.User != nil && a.User.HSAID == c.Issuer.HSAID && holds
		sent := r.URL.Query().Get("sent")
		page.DropKept = sent != "" // after one of its forms went through
		// A notice only where the page shows it is so, not on any link.
		if (sent == "revoked" && c.Status == intake.StatusRevoked) || ((sent == "message" || sent == "answer") && len(page.Messages) > 0) {
			page.Done = sentNotices[sent]
		}
		if page.Signed {
			page.Title = "Intyget är mottaget"
			if t, ok := eng.Template(c.Template, c.Version); ok {
				page.DropUnsaved = formAction(t)
			}
		}
		return renderPage(w, http.StatusOK, "certificate_receipt", page)
	})
}
