package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/intyg/intyg/intake"
)

// tokenAdmin is what the tokens page needs: the API tokens, and the units
// and care providers a clinic token can cover.
type tokenAdmin interface {
	CreateTokenFor(ctx context.Context, t *intake.Token) (string, error)
	FindTokens(ctx context.Context) ([]*intake.Token, error)
	RevokeToken(ctx context.Context, id string) error
	FindUnits(ctx context.Context) ([]*intake.CareUnit, error)
}

// tokensPage is what admin_tokens.html shows: every token (never a
// secret) and the form for a new one.
type tokensPage struct {
	layout
	Tokens []*intake.Token
	Roles  []intake.Role
	// Units are the live units, CareProviders the providers they belong to.
	Units         []*intake.CareUnit
	CareProviders []intake.CareProvider
	Values        url.Values
	Errors        map[string][]string
	Done          string
}

func newTokensPage(r *http.Request, tokens tokenAdmin, v url.Values) (*tokensPage, error) {
	p := &tokensPage{layout: signedInLayout(r, "API-nycklar"), Roles: []intake.Role{intake.RoleClinic, intake.RoleCaseworker, intake.RoleAdmin},
		Values: v, Done: doneNotice(r)}
	var err error
	if p.Tokens, err = tokens.FindTokens(r.Context()); err != nil {
		return nil, err
	}
	units, err := tokens.FindUnits(r.Context())
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		if !u.DisabledAt.IsZero() {
			continue
		}
		p.Units = append(p.Units, u)
		if !slices.ContainsFunc(p.CareProviders, func(c intake.CareProvider) bool { return c.HSAID == u.CareProvider.HSAID }) {
			p.CareProviders = append(p.CareProviders, u.CareProvider)
		}
	}
	return p, nil
}

// handleTokenList handles GET /admin/tokens (admins).
func handleTokenList(logger *slog.Logger, tokens tokenAdmin) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		page, err := newTokensPage(r, tokens, url.Values{})
		if err != nil {
			return err
		}
		return renderPage(w, http.StatusOK, "admin_tokens", page)
	})
}

// tokenCreatedPage is what admin_token_created.html shows: the new token
// and its secret, this once. It is the answer to the POST itself, so that
// the secret is in no URL and no history entry that can be fetched again
// (and, as every page, it is not cached).
type tokenCreatedPage struct {
	layout
	Token  *intake.Token
	Secret string
}

// handleTokenCreate handles POST /admin/tokens (admins): a new token,
// whose secret is shown once. A refusal shows the form again (422) with
// each message next to its field.
func handleTokenCreate(logger *slog.Logger, tokens tokenAdmin, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		form, err := readForm(w, r, maxAdminForm)
		if err != nil {
			return err
		}
		t := &intake.Token{Role: intake.Role(form.Get("role")), Name: strings.TrimSpace(form.Get("name"))}
		if t.Role == intake.RoleClinic {
			t.Units, t.CareProvider = form["units"], form.Get("careProvider")
		}
		if s := form.Get("expiresAt"); s != "" {
			d, perr := intake.ParseDate(s)
			if perr != nil {
				err = intake.InvalidError(intake.Problems{intake.NewProblem("/expiresAt", "invalidDate", "invalidDate", nil)})
			}
			t.ExpiresAt = intake.ValidThrough(d)
		}
		secret := ""
		if err == nil {
			secret, err = tokens.CreateTokenFor(r.Context(), t)
		}
		if errs, ok := formErrors(err); ok {
			page, err := newTokensPage(r, tokens, form)
			if err != nil {
				return err
			}
			page.Errors = errs
			return renderPage(w, http.StatusUnprocessableEntity, "admin_tokens", page)
		}
		if err != nil {
			return err
		}
		if err := logAdmin(r, audit, "admin.token.create", "token="+t.ID); err != nil {
			// Never shown, and now never usable either.
			return errors.Join(err, tokens.RevokeToken(r.Context(), t.ID))
		}
		return renderPage(w, http.StatusOK, "admin_token_created", tokenCreatedPage{layout: signedInLayout(r, "Ny API-nyckel"), Token: t, Secret: secret})
	})
}

// handleTokenRevoke handles POST /admin/tokens/{id}/revoke (admins): the
// token stops working at once.
func handleTokenRevoke(logger *slog.Logger, tokens tokenAdmin, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		if _, err := readForm(w, r, maxAdminForm); err != nil {
			return err
		}
		id := mux.Vars(r)["id"]
		if err := logAdmin(r, audit, "admin.token.revoke", "token="+id); err != nil {
			return err
		}
		if err := tokens.RevokeToken(r.Context(), id); err != nil {
			return err
		}
		http.Redirect(w, r, "/admin/tokens?done=tokenRevoked#token-"+id, http.StatusSeeOther)
		return nil
	})
}
